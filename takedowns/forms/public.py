"""The rights holder's forms: the notice, the answer to a reviewer's question, withdrawing, and
reporting a lawsuit against a counter-notice. Validation only: the views store uploads and call
the workflow."""

import re
from collections.abc import Iterable
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.forms.formsets import BaseFormSet
from django.template.defaultfilters import filesizeformat
from django_countries import countries

from takedowns import evidence, legal, resubmission_rules
from takedowns.enums import REASONS_FOR_RIGHT, EvidenceKind, InfringementReason, Language, RightType, SubmitterRole
from takedowns.evidence import size_of, sniff_content_type
from takedowns.models import Decision, Evidence
from takedowns.workflow import ReportedItem

_LISTING_ID = re.compile(r"^L-?\d{1,12}$", re.IGNORECASE)
_PHONE = re.compile(r"\+?[0-9 ()./-]+")
_url_validator = URLValidator(schemes=["http", "https"])
REPORTED_MAX = 500  # NoticeItem.reported

# The upload fields, one per kind of evidence.
EVIDENCE_FIELDS = {
    "registration_certificate": EvidenceKind.REGISTRATION_CERTIFICATE,
    "authorisation_letter": EvidenceKind.AUTHORISATION_LETTER,
    "test_buy": EvidenceKind.TEST_BUY,
    "other_evidence": EvidenceKind.OTHER,
}

def _blank_choice(label: str, choices) -> list:
    return [("", label), *choices]


def check_reported(value: str) -> str:
    """A reported listing must be a web address or a listing ID, and fit its column (the rows' field
    says so too; a pasted line has only this check)."""
    text = value.strip()
    if len(text) > REPORTED_MAX:
        raise ValidationError(f"“{text[:80]}…” is {len(text)} characters long; a listing's address may have at most "
                              f"{REPORTED_MAX}.")
    if _LISTING_ID.match(text):
        return text.upper()
    try:
        _url_validator(text)
    except ValidationError:
        raise ValidationError(
            f"“{text[:80]}” is neither a web address (https://…) nor a listing ID such as L-100001."
        ) from None
    return text


def _same_listing_key(text: str) -> str:
    return text.strip().rstrip("/").lower()


def check_upload(upload: UploadedFile) -> str:
    """The upload's content type if it is an acceptable evidence file; else a specific error."""
    content_type = sniff_content_type(upload)
    if content_type is None:
        raise ValidationError(f"“{upload.name}” is not a PDF, PNG or JPEG file (we check the content, not the name).")
    size = size_of(upload)
    if size > settings.EVIDENCE_MAX_FILE_BYTES:
        raise ValidationError(f"“{upload.name}” is {filesizeformat(size)}; each file may be at most "
                              f"{filesizeformat(settings.EVIDENCE_MAX_FILE_BYTES)}.")
    if size == 0:
        raise ValidationError(f"“{upload.name}” is empty.")
    return content_type


class CountryChoiceField(forms.ChoiceField):
    """A country code, checked by one dictionary lookup: ChoiceField would walk all 250 choices
    (rebuilt from the callable each time) for every POST (bench/RESULTS.md)."""

    def valid_value(self, value) -> bool:
        return str(value) in countries


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Accepts several files; the form checks each one (content type, size) in clean_<name>."""

    def __init__(self, *args, **kwargs):
        accept = ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": accept}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        return [super(MultipleFileField, self).clean(file, initial) for file in files]


class ItemForm(forms.Form):
    """One reported listing row."""

    reported = forms.CharField(
        label="Listing URL or ID", max_length=REPORTED_MAX, required=False,
        widget=forms.TextInput(attrs={"placeholder": "https://…/listings/L-100001/ or L-100001"}))
    reason = forms.ChoiceField(label="Infringement", required=False,
                               choices=_blank_choice("Choose the infringement…", InfringementReason.choices))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        reported, reason = (data.get("reported") or "").strip(), data.get("reason")
        if reported:
            try:
                data["reported"] = check_reported(reported)
            except ValidationError as exc:
                self.add_error("reported", exc)
            if not reason:
                self.add_error("reason", "Choose the infringement for this listing.")
        elif reason:
            self.add_error("reported", "Enter the listing's URL or ID, or clear this row.")
        return data


def item_formset_class() -> type[BaseFormSet]:
    return forms.formset_factory(ItemForm, extra=0, min_num=3, max_num=settings.NOTICE_MAX_ITEMS,
                                 absolute_max=settings.NOTICE_MAX_ITEMS, validate_max=True)


class NoticeForm(forms.Form):
    submission_key = forms.UUIDField(widget=forms.HiddenInput)

    submitter_name = forms.CharField(label="Your full name", max_length=200)
    submitter_organisation = forms.CharField(label="Organisation", max_length=200, required=False,
                                             help_text="The company or law firm you file for, if any.")
    # 254 characters: what the column (and SMTP) holds; Django's EmailField would take up to 320.
    submitter_email = forms.EmailField(
        label="E-mail address", max_length=254,
        help_text="We send a confirmation link here; the notice is queued once you follow it.",
        error_messages={"max_length": "An e-mail address has at most %(limit_value)d characters; this one has "
                                      "%(show_value)d."})
    # Required for a copyright (DMCA) notice, optional otherwise: clean() says which (legal.is_dmca_notice).
    submitter_address = forms.CharField(
        label="Postal address", max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required for a copyright notice (US DMCA, 17 U.S.C. 512(c)(3)(A)(iv)); optional otherwise.",
        error_messages={"max_length": "A postal address has at most %(limit_value)d characters; this one has "
                                      "%(show_value)d."})
    submitter_phone = forms.CharField(
        label="Telephone", max_length=40, required=False,
        help_text="With the country code, e.g. +49 30 1234567. Required for a copyright notice; optional otherwise.",
        error_messages={"max_length": "A telephone number has at most %(limit_value)d characters; this one has "
                                      "%(show_value)d."})
    # A callable, so that each form instance does not deep-copy 250 countries.
    submitter_country = CountryChoiceField(label="Country",
                                           choices=lambda: _blank_choice("Choose your country…", countries))
    submitter_role = forms.ChoiceField(label="You are", choices=SubmitterRole.choices, widget=forms.RadioSelect)
    language = forms.ChoiceField(label="Language for our messages", choices=Language.choices, initial=Language.EN)

    right_type = forms.ChoiceField(label="Type of right", choices=_blank_choice("Choose…", RightType.choices))
    right_registration_number = forms.CharField(
        label="Registration number", max_length=80,
        help_text="For an unregistered copyright, name the work (e.g. “product photos of the Aurora lamp, 2024”).")
    right_office = forms.CharField(label="Office or jurisdiction", max_length=80,
                                   help_text="e.g. EUIPO, USPTO, DPMA, WIPO, or the country for a copyright.")
    right_owner = forms.CharField(label="Rights owner", max_length=200)

    pasted_listings = forms.CharField(
        label="Or paste many listings", required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One URL or listing ID per line; all get the infringement chosen below.")
    pasted_reason = forms.ChoiceField(label="Infringement for the pasted listings", required=False,
                                      choices=_blank_choice("Choose the infringement…", InfringementReason.choices))

    description = forms.CharField(
        label="Why these listings infringe", min_length=30, max_length=10000, widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Explain what is infringed and how: e.g. how you know the goods are counterfeit.",
        error_messages={"min_length": "Explain why the listings infringe in at least %(limit_value)d characters "
                                      "(you wrote %(show_value)d)."})

    registration_certificate = MultipleFileField(label="Registration certificate")
    authorisation_letter = MultipleFileField(label="Authorisation letter",
                                             help_text="Required when you file as an authorised agent.")
    test_buy = MultipleFileField(label="Test-buy proof")
    other_evidence = MultipleFileField(label="Other evidence")
    remove_evidence = forms.TypedMultipleChoiceField(label="Remove", required=False, coerce=int,
                                                     widget=forms.CheckboxSelectMultiple)
    # The files the page listed as already uploaded: one no longer kept was swept (EVIDENCE_ORPHAN_HOURS),
    # and the submitter must hear it rather than file a notice without it.
    kept_evidence = forms.TypedMultipleChoiceField(required=False, coerce=int, widget=forms.MultipleHiddenInput)

    good_faith_statement = forms.BooleanField(label=legal.GOOD_FAITH_TEXT, error_messages={
        "required": "The notice can only be filed with the good-faith statement."})
    accuracy_statement = forms.BooleanField(label=legal.ACCURACY_TEXT, error_messages={
        "required": "The notice can only be filed with the statement of accuracy and authority."})
    signature = forms.CharField(label="Electronic signature", max_length=200,
                                help_text="Type your full name exactly as above; it signs this notice.")

    def __init__(self, *args: Any, item_rows: BaseFormSet | None = None, kept: Iterable[Evidence] = (),
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.item_rows = item_rows
        self.kept = list(kept)
        remove = self.fields["remove_evidence"]
        assert isinstance(remove, forms.TypedMultipleChoiceField)  # Form.fields is typed as plain fields
        remove.choices = [(evidence.pk, evidence.original_name) for evidence in self.kept]
        listed = self.fields["kept_evidence"]
        assert isinstance(listed, forms.TypedMultipleChoiceField)
        listed.choices = [(evidence.pk, evidence.pk) for evidence in self.kept]
        listed.error_messages["invalid_choice"] = (
            "Files you uploaded earlier on this form are no longer kept: a form left unsent for "
            f"{settings.EVIDENCE_ORPHAN_HOURS} hours loses them. Attach them again.")
        # Files that passed their checks, stored by the view even when another field has an error,
        # so the submitter never uploads them twice.
        self.accepted_uploads: list[tuple[str, UploadedFile, str]] = []
        self.items: list[ReportedItem] = []

    def _check_uploads(self, name: str):
        files = self.cleaned_data.get(name) or []
        problems = []
        for upload in files:
            try:
                content_type = check_upload(upload)
            except ValidationError as exc:
                problems.extend(exc.messages)
            else:
                self.accepted_uploads.append((EVIDENCE_FIELDS[name], upload, content_type))
        if problems:
            raise ValidationError(problems)
        return files

    def clean_registration_certificate(self):
        return self._check_uploads("registration_certificate")

    def clean_authorisation_letter(self):
        return self._check_uploads("authorisation_letter")

    def clean_test_buy(self):
        return self._check_uploads("test_buy")

    def clean_other_evidence(self):
        return self._check_uploads("other_evidence")

    def kept_after_removal(self) -> list[Evidence]:
        removed = set(self.cleaned_data.get("remove_evidence") or [])
        return [evidence for evidence in self.kept if evidence.pk not in removed]

    def clean_submitter_phone(self) -> str:
        phone = self.cleaned_data.get("submitter_phone", "")
        if phone and not _PHONE.fullmatch(phone):
            raise ValidationError("Write the telephone number with digits, spaces and + - ( ) . only, "
                                  "e.g. +49 30 1234567.")
        digits = sum(character.isdigit() for character in phone)
        if phone and not 6 <= digits <= 20:
            raise ValidationError(f"A telephone number has 6 to 20 digits with its country code; this one has "
                                  f"{digits}.")
        return phone

    def clean(self):
        data = super().clean()
        self._check_dmca_contact()
        self._check_evidence_totals()
        self._check_role_evidence()
        self._check_signature()
        self._collect_items()
        return data

    def _check_evidence_totals(self) -> None:
        kept = self.kept_after_removal()
        count = len(kept) + len(self.accepted_uploads)
        total = sum(evidence.size for evidence in kept) + sum(size_of(upload) for _, upload, _ in self.accepted_uploads)
        if count > settings.EVIDENCE_MAX_FILES:
            self.add_error(None, f"A notice may carry at most {settings.EVIDENCE_MAX_FILES} evidence files; "
                                 f"you attached {count}.")
            self.accepted_uploads.clear()
        elif total > settings.EVIDENCE_MAX_TOTAL_BYTES:
            self.add_error(None, f"The evidence files add up to {filesizeformat(total)}; a notice may carry at most "
                                 f"{filesizeformat(settings.EVIDENCE_MAX_TOTAL_BYTES)}. Remove or shrink some files.")
            self.accepted_uploads.clear()

    def _check_dmca_contact(self) -> None:
        if not legal.is_dmca_notice(self.cleaned_data.get("right_type") or ""):
            return
        why = "a copyright notice must say how to reach you (US DMCA, 17 U.S.C. 512(c)(3)(A)(iv))"
        if not self.cleaned_data.get("submitter_address") and "submitter_address" not in self.errors:
            self.add_error("submitter_address", f"Give your postal address: {why}.")
        if not self.cleaned_data.get("submitter_phone") and "submitter_phone" not in self.errors:
            self.add_error("submitter_phone", f"Give your telephone number: {why}.")

    def _check_role_evidence(self) -> None:
        if self.cleaned_data.get("submitter_role") != SubmitterRole.AGENT or "authorisation_letter" in self.errors:
            return
        has_letter = any(kind == EvidenceKind.AUTHORISATION_LETTER for kind, _, _ in self.accepted_uploads) or any(
            evidence.kind == EvidenceKind.AUTHORISATION_LETTER for evidence in self.kept_after_removal())
        if not has_letter:
            self.add_error("authorisation_letter",
                           "As an authorised agent, attach the rights owner's letter authorising you to act.")

    def _check_signature(self) -> None:
        name, signature = self.cleaned_data.get("submitter_name"), self.cleaned_data.get("signature")
        if name and signature and not legal.signature_matches(name, signature):
            self.add_error("signature", f"Type your full name exactly as entered above (“{name}”) to sign.")

    def _collect_items(self) -> None:
        """All reported listings, from the rows and the pasted list, checked together: each listing
        once, with an infringement that fits the right, and no more than a notice may carry."""
        right_type = self.cleaned_data.get("right_type")
        allowed = REASONS_FOR_RIGHT.get(right_type, frozenset()) if right_type else frozenset()
        seen: dict[str, str] = {}  # same-listing key -> where it was first reported
        row_items, rows_valid = self._items_from_rows(right_type, allowed, seen)
        pasted_items, pasted_valid = self._items_from_paste(right_type, allowed, seen)
        if not seen:
            self.add_error(None, "Report at least one listing: enter its URL or ID and the infringement.")
        elif len(seen) > settings.NOTICE_MAX_ITEMS:
            self.add_error(None, f"A notice may report at most {settings.NOTICE_MAX_ITEMS} listings; this one has "
                                 f"{len(seen)}. Split them over several notices.")
        if rows_valid and pasted_valid:
            self.items = row_items + pasted_items

    def _items_from_rows(self, right_type: str | None, allowed: frozenset[str],
                         seen: dict[str, str]) -> tuple[list[ReportedItem], bool]:
        items: list[ReportedItem] = []
        valid = self.item_rows is not None and self.item_rows.is_valid()
        for number, row in enumerate(self.item_rows or [], start=1):
            cleaned = getattr(row, "cleaned_data", {})
            reported, reason = cleaned.get("reported"), cleaned.get("reason")
            if not reported or not reason:
                continue
            key = _same_listing_key(reported)
            if key in seen:
                row.add_error("reported", f"This listing is already reported in {seen[key]}.")
                valid = False
            elif right_type and reason not in allowed:
                row.add_error("reason", self._reason_mismatch(reason, right_type))
                valid = False
            else:
                seen[key] = f"row {number}"
                items.append(ReportedItem(reported, reason))
        return items, valid

    def _items_from_paste(self, right_type: str | None, allowed: frozenset[str],
                          seen: dict[str, str]) -> tuple[list[ReportedItem], bool]:
        lines = (self.cleaned_data.get("pasted_listings") or "").splitlines()
        pasted = [line.strip() for line in lines if line.strip()]
        reason = self.cleaned_data.get("pasted_reason")
        if pasted and not reason:
            self.add_error("pasted_reason", "Choose the infringement for the pasted listings.")
        elif pasted and reason and right_type and reason not in allowed:
            self.add_error("pasted_reason", self._reason_mismatch(reason, right_type))
        items, problems = [], []
        for line_number, line in enumerate(pasted, start=1):
            try:
                reported = check_reported(line)
            except ValidationError as exc:
                problems.append(f"Line {line_number}: {exc.messages[0]}")
                continue
            key = _same_listing_key(reported)
            if key in seen:
                problems.append(f"Line {line_number}: this listing is already reported in {seen[key]}.")
                continue
            seen[key] = f"pasted line {line_number}"
            if reason:
                items.append(ReportedItem(reported, reason))
        if problems:
            self.add_error("pasted_listings", problems)
        return items, not problems and "pasted_reason" not in self.errors

    @staticmethod
    def _reason_mismatch(reason: str, right_type: str) -> str:
        fitting = " or ".join(f"“{InfringementReason(r).label}”" for r in sorted(REASONS_FOR_RIGHT[right_type]))
        return (f"“{InfringementReason(reason).label}” does not fit a {RightType(right_type).label.lower()}; "
                f"choose {fitting}, or change the type of right.")

    def notice_fields(self) -> dict:
        """The Notice model fields, for workflow.file_notice."""
        names = ["submitter_name", "submitter_organisation", "submitter_email", "submitter_address", "submitter_phone",
                 "submitter_country", "submitter_role", "language", "right_type", "right_registration_number",
                 "right_office", "right_owner", "description", "good_faith_statement", "accuracy_statement",
                 "signature"]
        return {name: self.cleaned_data[name] for name in names}

    def is_complete(self) -> bool:
        """Valid, with its listing rows valid too."""
        return self.is_valid() and self.item_rows is not None and self.item_rows.is_valid() and bool(self.items)


class AnswerForm(forms.Form):
    """The submitter's answer to a reviewer's question, on the tracking page."""

    answer = forms.CharField(label="Your answer", max_length=10000, widget=forms.Textarea(attrs={"rows": 4}),
                             error_messages={"required": "Write your answer before sending it."})
    # Django's form metaclass moves declared fields into base_fields, so BaseForm.files stays the uploads.
    files = MultipleFileField(label="Files (PDF, PNG or JPEG)")  # type: ignore[assignment]  # not BaseForm.files

    def clean_files(self):
        files = self.cleaned_data.get("files") or []
        problems, self.accepted_uploads = [], []
        for upload in files:
            try:
                self.accepted_uploads.append((upload, check_upload(upload)))
            except ValidationError as exc:
                problems.extend(exc.messages)
        if problems:
            raise ValidationError(problems)
        return files


class ResubmitForm(forms.Form):
    """The submitter's fix of a rejected listing, on the tracking page: what they fixed, and files checked
    as the filing form checks them (evidence.check_upload)."""

    text = forms.CharField(
        label="What you fixed", min_length=20, max_length=10000, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Say what the new files show, or where the listing uses your right; the reviewer reads this "
                  "with your notice.",
        error_messages={"required": "Say what you fixed or what the new files show.",
                        "min_length": "Say what you fixed in at least %(limit_value)d characters "
                                      "(you wrote %(show_value)d).",
                        "max_length": "Keep it within %(limit_value)d characters (you wrote %(show_value)d)."})
    files = MultipleFileField(label="Files (PDF, PNG or JPEG)")  # type: ignore[assignment]  # not BaseForm.files
    # (upload, content type) of each file that passed the checks, as the workflow stores them.
    accepted_uploads: list[tuple[UploadedFile, str]]

    def __init__(self, *args: Any, decision: Decision | None = None, **kwargs: Any) -> None:
        # The rejection being fixed (bound forms): whether it needs a file, and the notice's evidence so far.
        super().__init__(*args, **kwargs)
        self.decision = decision

    clean_files = AnswerForm.clean_files

    def clean(self):
        data = super().clean()
        if self.decision is not None and "files" not in self.errors:
            # The limits and the document the reason asks for, as the workflow checks them again under its lock.
            problem = resubmission_rules.files_refusal(
                self.decision, [size_of(upload) for upload, _ in self.accepted_uploads],
                *evidence.held_by(self.decision.item.notice))
            if problem:
                self.add_error("files", problem)
        return data


class WithdrawForm(forms.Form):
    """Withdrawing a notice from the tracking page: a box to tick, so that one click does not."""

    confirm = forms.BooleanField(label="Yes, withdraw this notice", error_messages={
        "required": "Tick “Yes, withdraw this notice” to withdraw it."})


class LawsuitForm(forms.Form):
    """The rights holder reports the action they filed against the seller (DMCA 512(g)(2)(C))."""

    details = forms.CharField(
        label="Court and case number", max_length=5000, widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Name the court and the case number of the action you filed.",
                        "max_length": "Keep it within %(limit_value)d characters (you wrote %(show_value)d)."})


class CatalogueFilterForm(forms.Form):
    """The catalogue's search box and category filter; `after` is the page cursor."""

    q = forms.CharField(label="Search titles", max_length=200, required=False)
    category = forms.CharField(max_length=40, required=False)
    after = forms.CharField(max_length=100, required=False)
