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
from django.utils.functional import Promise as StrPromise
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from takedowns import evidence, legal, resubmission_rules
from takedowns.enums import REASONS_FOR_RIGHT, EvidenceKind, InfringementReason, Language, RightType, SubmitterRole
from takedowns.evidence import size_of, sniff_content_type
from takedowns.models import Decision, Evidence, Right
from takedowns.selectors.protection import may_claim
from takedowns.workflow import ReportedItem

_LISTING_ID = re.compile(r"^L-?\d{1,12}$", re.IGNORECASE)
_PHONE = re.compile(r"\+?[0-9 ()./-]+")
_url_validator = URLValidator(schemes=["http", "https"])
REPORTED_MAX = 500  # NoticeItem.reported
_ROW, _LINE = "row", "line"  # where a listing was first reported: a listing row or a pasted line

# The upload fields, one per kind of evidence.
EVIDENCE_FIELDS = {
    "registration_certificate": EvidenceKind.REGISTRATION_CERTIFICATE,
    "authorisation_letter": EvidenceKind.AUTHORISATION_LETTER,
    "test_buy": EvidenceKind.TEST_BUY,
    "other_evidence": EvidenceKind.OTHER,
}

def _blank_choice(label: "str | StrPromise", choices) -> list:
    return [("", label), *choices]


def check_reported(value: str) -> str:
    """A reported listing must be a web address or a listing ID, and fit its column (the rows' field
    says so too; a pasted line has only this check)."""
    text = value.strip()
    if len(text) > REPORTED_MAX:
        raise ValidationError(gettext("“%(start)s…” is %(length)s characters long; a listing's address may have "
                                      "at most %(limit)s.") % {"start": text[:80], "length": len(text),
                                                               "limit": REPORTED_MAX})
    if _LISTING_ID.match(text):
        return text.upper()
    try:
        _url_validator(text)
    except ValidationError:
        raise ValidationError(
            gettext("“%(text)s” is neither a web address (https://…) nor a listing ID such as L-100001.")
            % {"text": text[:80]}
        ) from None
    return text


def _same_listing_key(text: str) -> str:
    return text.strip().rstrip("/").lower()


def place_listing(reported: str, reason: str, right_type: str | None, seen: dict[str, tuple[str, int]],
                  row: int) -> tuple[str, str] | None:
    """A checked listing row's place in its notice: each listing once, with an infringement that fits the right.
    None, and the listing noted in `seen` (same-listing key -> where first reported), when it is fine; else the
    field and the problem. The notice form's rows and the API's listings (takedowns/api) both go through here."""
    key = _same_listing_key(reported)
    if key in seen:
        return "reported", already_reported(seen[key])
    if right_type and reason not in REASONS_FOR_RIGHT.get(right_type, frozenset()):
        return "reason", reason_mismatch(reason, right_type)
    seen[key] = (_ROW, row)
    return None


def check_listing(reported: str, reason: str, right_type: str | None, seen: dict[str, tuple[str, int]],
                  row: int) -> tuple[ReportedItem | None, list[tuple[str, str]]]:
    """One listing given as data (the API's), checked as a row of the notice form is (ItemForm.clean, then
    place_listing): the listing and no problem, or None and each (field, problem)."""
    reported, problems = (reported or "").strip(), []
    if not reported:
        problems.append(("reported", gettext("Enter the listing's URL or ID.")))
    else:
        try:
            reported = check_reported(reported)
        except ValidationError as exc:
            problems.append(("reported", exc.messages[0]))
    if reason not in InfringementReason.values:
        problems.append(("reason", gettext("Choose the infringement for this listing.")))
    if problems:
        return None, problems
    placed = place_listing(reported, reason, right_type, seen, row)
    return (None, [placed]) if placed else (ReportedItem(reported, reason), [])


def already_reported(first: tuple[str, int], line: int | None = None) -> str:
    """That a listing is reported twice, and where first: whole sentences for each case."""
    where, number = first
    if line is None:  # a row (rows come first, so the first report is a row too)
        return gettext("This listing is already reported in row %(row)s.") % {"row": number}
    if where == _ROW:
        return gettext("Line %(line)s: this listing is already reported in row %(row)s.") % {
            "line": line, "row": number}
    return gettext("Line %(line)s: this listing is already reported in pasted line %(other)s.") % {
        "line": line, "other": number}


def reason_mismatch(reason: str, right_type: str) -> str:
    # Translators: joins the infringements that fit, each in quotes: “Counterfeit goods” or “Trademark misuse”.
    separator = gettext(" or ")
    fitting = separator.join(f"“{InfringementReason(r).label}”" for r in sorted(REASONS_FOR_RIGHT[right_type]))
    return gettext("“%(reason)s” does not fit the type of right “%(right)s”; choose %(fitting)s, or change the "
                   "type of right.") % {"reason": InfringementReason(reason).label,
                                        "right": RightType(right_type).label, "fitting": fitting}


def check_upload(upload: UploadedFile) -> str:
    """The upload's content type if it is an acceptable evidence file; else a specific error."""
    content_type = sniff_content_type(upload)
    if content_type is None:
        raise ValidationError(gettext("“%(name)s” is not a PDF, PNG or JPEG file (we check the content, not the "
                                      "name).") % {"name": upload.name})
    check_size(upload)
    return content_type


def check_size(upload: UploadedFile) -> None:
    """An upload within the size a file may have, and not empty; else a specific error."""
    size = size_of(upload)
    if size > settings.EVIDENCE_MAX_FILE_BYTES:
        raise ValidationError(gettext("“%(name)s” is %(size)s; each file may be at most %(limit)s.") % {
            "name": upload.name, "size": filesizeformat(size),
            "limit": filesizeformat(settings.EVIDENCE_MAX_FILE_BYTES)})
    if size == 0:
        raise ValidationError(gettext("“%(name)s” is empty.") % {"name": upload.name})


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
    """One reported listing row. Its labels name the row's number for a screen reader ("Listing 2: URL or
    listing ID"), which the page shows once beside the row; the empty form's "__number__" is the row
    template's, replaced by notice-form.js."""

    reported = forms.CharField(
        label=_("URL or listing ID"), max_length=REPORTED_MAX, required=False,
        # Translators: an example of what the listing field takes; keep the address and the ID as they are.
        widget=forms.TextInput(attrs={"placeholder": _("https://…/listings/L-100001/ or L-100001")}))
    reason = forms.ChoiceField(label=_("Infringement"), required=False,
                               choices=_blank_choice(_("Choose the infringement…"), InfringementReason.choices))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        index = (self.prefix or "").rpartition("-")[2]
        number = str(int(index) + 1) if index.isdigit() else "__number__"
        # The number is digits or the template's placeholder: nothing a visitor typed.
        self.fields["reported"].label = mark_safe(gettext(
            '<span class="visually-hidden">Listing %(number)s: </span>URL or listing ID') % {"number": number})
        self.fields["reason"].label = mark_safe(gettext(
            '<span class="visually-hidden">Listing %(number)s: </span>Infringement') % {"number": number})

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
                self.add_error("reason", gettext("Choose the infringement for this listing."))
        elif reason:
            self.add_error("reported", gettext("Enter the listing's URL or ID, or clear this row."))
        return data


def item_formset_class() -> type[BaseFormSet]:
    return forms.formset_factory(ItemForm, extra=0, min_num=3, max_num=settings.NOTICE_MAX_ITEMS,
                                 absolute_max=settings.NOTICE_MAX_ITEMS, validate_max=True)


class NoticeForm(forms.Form):
    submission_key = forms.UUIDField(widget=forms.HiddenInput)

    submitter_name = forms.CharField(label=_("Your full name"), max_length=200)
    submitter_organisation = forms.CharField(label=_("Organisation"), max_length=200, required=False,
                                             help_text=_("The company or law firm you file for, if any."))
    # 254 characters: what the column (and SMTP) holds; Django's EmailField would take up to 320.
    submitter_email = forms.EmailField(
        label=_("E-mail address"), max_length=254,
        help_text=_("We send a confirmation link here; the notice is queued once you follow it."),
        error_messages={"max_length": _("An e-mail address has at most %(limit_value)d characters; this one has "
                                        "%(show_value)d.")})
    # Required for a copyright (DMCA) notice, optional otherwise: clean() says which (legal.is_dmca_notice).
    submitter_address = forms.CharField(
        label=_("Postal address"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required for a copyright notice (US DMCA, 17 U.S.C. 512(c)(3)(A)(iv)); optional otherwise."),
        error_messages={"max_length": _("A postal address has at most %(limit_value)d characters; this one has "
                                        "%(show_value)d.")})
    submitter_phone = forms.CharField(
        label=_("Telephone"), max_length=40, required=False,
        help_text=_("With the country code, e.g. +49 30 1234567. Required for a copyright notice; optional otherwise."),
        error_messages={"max_length": _("A telephone number has at most %(limit_value)d characters; this one has "
                                        "%(show_value)d.")})
    # A callable, so that each form instance does not deep-copy 250 countries.
    submitter_country = CountryChoiceField(label=_("Country"),
                                           choices=lambda: _blank_choice(_("Choose your country…"), countries))
    submitter_role = forms.ChoiceField(label=_("You are"), choices=SubmitterRole.choices, widget=forms.RadioSelect)
    language = forms.ChoiceField(label=_("Language for our messages"), choices=Language.choices, initial=Language.EN)

    right_type = forms.ChoiceField(label=_("Type of right"), choices=_blank_choice(_("Choose…"), RightType.choices))
    right_registration_number = forms.CharField(
        label=_("Registration number"), max_length=80,
        help_text=_("For an unregistered copyright, name the work (e.g. “product photos of the Aurora lamp, 2024”)."))
    right_office = forms.CharField(label=_("Office or jurisdiction"), max_length=80,
                                   help_text=_("e.g. EUIPO, USPTO, DPMA, WIPO, or the country for a copyright."))
    right_owner = forms.CharField(label=_("Rights owner"), max_length=200)
    # A right registered with us (issue 14): the right's fields come from the registration, locked, and its
    # certificate is on file. From the registration's private page (its link carries the key), or typed with
    # the e-mail address it was registered with.
    registered_right = forms.CharField(
        label=_("Registered right (optional)"), max_length=20, required=False,
        help_text=_("If you registered this right with us, its reference (e.g. R-7KQ4M2), with the e-mail address "
                    "you registered it with: the right is filled in and its certificate need not be attached."))
    registered_right_key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    pasted_listings = forms.CharField(
        label=_("Or paste many listings"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One URL or listing ID per line; all get the infringement chosen below."))
    pasted_reason = forms.ChoiceField(label=_("Infringement for the pasted listings"), required=False,
                                      choices=_blank_choice(_("Choose the infringement…"), InfringementReason.choices))

    description = forms.CharField(
        label=_("Why these listings infringe"), min_length=30, max_length=10000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Explain what is infringed and how: e.g. how you know the goods are counterfeit."),
        error_messages={"min_length": _("Explain why the listings infringe in at least %(limit_value)d characters "
                                        "(you wrote %(show_value)d).")})

    registration_certificate = MultipleFileField(label=_("Registration certificate"))
    authorisation_letter = MultipleFileField(label=_("Authorisation letter"),
                                             help_text=_("Required when you file as an authorised agent."))
    test_buy = MultipleFileField(label=_("Test-buy proof"))
    other_evidence = MultipleFileField(label=_("Other evidence"))
    remove_evidence = forms.TypedMultipleChoiceField(label=_("Remove"), required=False, coerce=int,
                                                     widget=forms.CheckboxSelectMultiple)
    # The files the page listed as already uploaded: one no longer kept was swept (EVIDENCE_ORPHAN_HOURS),
    # and the submitter must hear it rather than file a notice without it.
    kept_evidence = forms.TypedMultipleChoiceField(required=False, coerce=int, widget=forms.MultipleHiddenInput)

    # The sworn statements: the English text (legal.py) is binding and stored; the page shows it beside a
    # translation (ENGLISH_ORIGINALS). The msgids are legal.py's texts, word for word (a test holds them equal).
    good_faith_statement = forms.BooleanField(
        # Translators: a sworn statement (US DMCA, 17 U.S.C. § 512(c)(3)(A)(v)); the English stays binding and is
        # shown beside it. "Good-faith belief" is the statute's term.
        label=_("I have a good-faith belief that the use of the material in the manner complained of is not "
                "authorised by the rights owner, its agent, or the law."),
        error_messages={"required": _("The notice can only be filed with the good-faith statement.")})
    accuracy_statement = forms.BooleanField(
        # Translators: a sworn statement (US DMCA, 17 U.S.C. § 512(c)(3)(A)(vi), and EU DSA Art. 16(2)(d): use the
        # DSA's official wording for "bona fide belief" and "accurate and complete"; "under penalty of perjury"
        # is the US legal term). The English stays binding and is shown beside it.
        label=_("I believe in good faith that the information and allegations in this notice are accurate and "
                "complete, and I state under penalty of perjury that I am the owner, or authorised to act on behalf "
                "of the owner, of the right that is allegedly infringed."),
        error_messages={"required": _("The notice can only be filed with the statement of accuracy and authority.")})
    signature = forms.CharField(label=_("Electronic signature"), max_length=200,
                                help_text=_("Type your full name exactly as above; it signs this notice."))

    # The binding English text of each sworn statement, shown beside its translation in other languages.
    ENGLISH_ORIGINALS = {"good_faith_statement": legal.GOOD_FAITH_TEXT, "accuracy_statement": legal.ACCURACY_TEXT}

    def __init__(self, *args: Any, item_rows: BaseFormSet | None = None, kept: Iterable[Evidence] = (),
                 registered: Right | None = None, listings_apart: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.item_rows = item_rows
        # The API's notice (takedowns/api): its listings are checked one by one by check_listing, up to its own
        # limit; the form checks every other field, as for the page.
        self.listings_apart = listings_apart
        self.registered = registered
        if registered is not None:
            self._lock_to(registered)
        self.kept = list(kept)
        remove = self.fields["remove_evidence"]
        assert isinstance(remove, forms.TypedMultipleChoiceField)  # Form.fields is typed as plain fields
        remove.choices = [(evidence.pk, evidence.original_name) for evidence in self.kept]
        listed = self.fields["kept_evidence"]
        assert isinstance(listed, forms.TypedMultipleChoiceField)
        listed.choices = [(evidence.pk, evidence.pk) for evidence in self.kept]
        hours = settings.EVIDENCE_ORPHAN_HOURS
        listed.error_messages["invalid_choice"] = ngettext(
            "Files you uploaded earlier on this form are no longer kept: a form left unsent for %(hours)d hour "
            "loses them. Attach them again.",
            "Files you uploaded earlier on this form are no longer kept: a form left unsent for %(hours)d hours "
            "loses them. Attach them again.", hours) % {"hours": hours}
        if not (get_language() or "en").startswith("en"):
            # The binding English original shown below each translated statement (file_notice.html) describes it.
            for name, element_id in (("good_faith_statement", "good-faith-original"),
                                     ("accuracy_statement", "accuracy-original")):
                self.fields[name].widget.attrs["aria-describedby"] = element_id
        # "Report at least one listing", when it applies: the summary links it to the first row, which it marks.
        self.no_listing_error = ""
        # Files that passed their checks, stored by the view even when another field has an error,
        # so the submitter never uploads them twice.
        self.accepted_uploads: list[tuple[str, UploadedFile, str]] = []
        self.items: list[ReportedItem] = []

    def _lock_to(self, right: Right) -> None:
        """The right's fields as registered, not editable ("disabled": whatever is posted for them is ignored),
        and no certificate asked: the registration holds it (the lighter evidence of a registered right)."""
        for name, value in (("right_type", right.right_type), ("right_registration_number", right.registration_number),
                            ("right_office", right.office), ("right_owner", right.owner_name)):
            self.fields[name].disabled = True
            self.initial[name] = value
        self.fields["registered_right"].disabled = True
        self.initial["registered_right"] = right.reference
        del self.fields["registration_certificate"]

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
            raise ValidationError(gettext("Write the telephone number with digits, spaces and + - ( ) . only, "
                                          "e.g. +49 30 1234567."))
        digits = sum(character.isdigit() for character in phone)
        if phone and not 6 <= digits <= 20:
            raise ValidationError(gettext("A telephone number has 6 to 20 digits with its country code; this one "
                                          "has %(digits)s.") % {"digits": digits})
        return phone

    def clean(self):
        data = super().clean()
        self._check_registered_right()
        self._check_dmca_contact()
        self._check_evidence_totals()
        self._check_role_evidence()
        self._check_signature()
        if not self.listings_apart:
            self._collect_items()
        return data

    def _check_evidence_totals(self) -> None:
        kept = self.kept_after_removal()
        count = len(kept) + len(self.accepted_uploads)
        total = sum(evidence.size for evidence in kept) + sum(size_of(upload) for _, upload, _ in self.accepted_uploads)
        if count > settings.EVIDENCE_MAX_FILES:
            self.add_error(None, gettext("A notice may carry at most %(limit)s evidence files; you attached "
                                         "%(count)s.") % {"limit": settings.EVIDENCE_MAX_FILES, "count": count})
            self.accepted_uploads.clear()
        elif total > settings.EVIDENCE_MAX_TOTAL_BYTES:
            self.add_error(None, gettext("The evidence files add up to %(total)s; a notice may carry at most "
                                         "%(limit)s. Remove or shrink some files.") % {
                "total": filesizeformat(total), "limit": filesizeformat(settings.EVIDENCE_MAX_TOTAL_BYTES)})
            self.accepted_uploads.clear()

    def _check_dmca_contact(self) -> None:
        if not legal.is_dmca_notice(self.cleaned_data.get("right_type") or ""):
            return
        if not self.cleaned_data.get("submitter_address") and "submitter_address" not in self.errors:
            self.add_error("submitter_address", gettext(
                "Give your postal address: a copyright notice must say how to reach you (US DMCA, "
                "17 U.S.C. 512(c)(3)(A)(iv))."))
        if not self.cleaned_data.get("submitter_phone") and "submitter_phone" not in self.errors:
            self.add_error("submitter_phone", gettext(
                "Give your telephone number: a copyright notice must say how to reach you (US DMCA, "
                "17 U.S.C. 512(c)(3)(A)(iv))."))

    def _check_role_evidence(self) -> None:
        if self.cleaned_data.get("submitter_role") != SubmitterRole.AGENT or "authorisation_letter" in self.errors:
            return
        has_letter = any(kind == EvidenceKind.AUTHORISATION_LETTER for kind, _, _ in self.accepted_uploads) or any(
            evidence.kind == EvidenceKind.AUTHORISATION_LETTER for evidence in self.kept_after_removal())
        if not has_letter:
            self.add_error("authorisation_letter",
                           gettext("As an authorised agent, attach the rights owner's letter authorising you to act."))

    def _check_registered_right(self) -> None:
        """A reference typed that the view could not match with the e-mail address (or the private link's key)."""
        typed = (self.cleaned_data.get("registered_right") or "").strip()
        if typed and self.registered is None:
            self.add_error("registered_right", gettext(
                "We have no registration %(reference)s registered with this e-mail address. Check the reference, "
                "type the e-mail address you registered it with, or use “File a notice under this right” on the "
                "registration's private page; or clear this field and describe the right yourself.")
                % {"reference": typed[:20]})

    def _check_signature(self) -> None:
        name, signature = self.cleaned_data.get("submitter_name"), self.cleaned_data.get("signature")
        if name and signature and not legal.signature_matches(name, signature):
            self.add_error("signature", gettext("Type your full name exactly as entered above (“%(name)s”) to sign.")
                           % {"name": name})

    def _collect_items(self) -> None:
        """All reported listings, from the rows and the pasted list, checked together: each listing
        once, with an infringement that fits the right, and no more than a notice may carry."""
        right_type = self.cleaned_data.get("right_type")
        allowed = REASONS_FOR_RIGHT.get(right_type, frozenset()) if right_type else frozenset()
        seen: dict[str, tuple[str, int]] = {}  # same-listing key -> where it was first reported (ROW or LINE, number)
        row_items, rows_valid = self._items_from_rows(right_type, seen)
        pasted_items, pasted_valid = self._items_from_paste(right_type, allowed, seen)
        if not seen:
            self.no_listing_error = gettext("Report at least one listing: enter its URL or ID and the infringement.")
            self.add_error(None, self.no_listing_error)
            self._mark_first_row()
        elif len(seen) > settings.NOTICE_MAX_ITEMS:
            self.add_error(None, gettext("A notice may report at most %(limit)s listings; this one has %(count)s. "
                                         "Split them over several notices.") % {
                "limit": settings.NOTICE_MAX_ITEMS, "count": len(seen)})
        if rows_valid and pasted_valid:
            self.items = row_items + pasted_items

    def _mark_first_row(self) -> None:
        """Mark the first listing row as the place to fix "Report at least one listing": invalid, and
        described by that message (shown beside the rows as #no-listing-error)."""
        first = next(iter(self.item_rows or []), None)
        if first is not None:
            first.fields["reported"].widget.attrs.update(
                {"aria-invalid": "true", "aria-describedby": "no-listing-error"})

    def _items_from_rows(self, right_type: str | None,
                         seen: dict[str, tuple[str, int]]) -> tuple[list[ReportedItem], bool]:
        items: list[ReportedItem] = []
        valid = self.item_rows is not None and self.item_rows.is_valid()
        for number, row in enumerate(self.item_rows or [], start=1):
            cleaned = getattr(row, "cleaned_data", {})
            reported, reason = cleaned.get("reported"), cleaned.get("reason")
            if not reported or not reason:
                continue
            problem = place_listing(reported, reason, right_type, seen, number)
            if problem is not None:
                row.add_error(*problem)
                valid = False
            else:
                items.append(ReportedItem(reported, reason))
        return items, valid

    def _items_from_paste(self, right_type: str | None, allowed: frozenset[str],
                          seen: dict[str, tuple[str, int]]) -> tuple[list[ReportedItem], bool]:
        lines = (self.cleaned_data.get("pasted_listings") or "").splitlines()
        pasted = [line.strip() for line in lines if line.strip()]
        reason = self.cleaned_data.get("pasted_reason")
        if pasted and not reason:
            self.add_error("pasted_reason", gettext("Choose the infringement for the pasted listings."))
        elif pasted and reason and right_type and reason not in allowed:
            self.add_error("pasted_reason", reason_mismatch(reason, right_type))
        items, problems = [], []
        for line_number, line in enumerate(pasted, start=1):
            try:
                reported = check_reported(line)
            except ValidationError as exc:
                # Translators: a numbered line of the pasted listings, then what is wrong with it.
                problems.append(gettext("Line %(number)s: %(problem)s") % {"number": line_number,
                                                                            "problem": exc.messages[0]})
                continue
            key = _same_listing_key(reported)
            if key in seen:
                problems.append(already_reported(seen[key], line_number))
                continue
            seen[key] = (_LINE, line_number)
            if reason:
                items.append(ReportedItem(reported, reason))
        if problems:
            self.add_error("pasted_listings", problems)
        return items, not problems and "pasted_reason" not in self.errors

    def notice_fields(self) -> dict:
        """The Notice model fields, for workflow.file_notice."""
        names = ["submitter_name", "submitter_organisation", "submitter_email", "submitter_address", "submitter_phone",
                 "submitter_country", "submitter_role", "language", "right_type", "right_registration_number",
                 "right_office", "right_owner", "description", "good_faith_statement", "accuracy_statement",
                 "signature"]
        fields = {name: self.cleaned_data[name] for name in names}
        if self.registered is not None and may_claim(self.registered, fields["submitter_email"]):
            fields["verified_right"] = self.registered
        return fields

    def is_complete(self) -> bool:
        """Valid, with its listing rows valid too."""
        return self.is_valid() and self.item_rows is not None and self.item_rows.is_valid() and bool(self.items)


class AnswerForm(forms.Form):
    """The submitter's answer to a reviewer's question, on the tracking page."""

    answer = forms.CharField(label=_("Your answer"), max_length=10000, widget=forms.Textarea(attrs={"rows": 4}),
                             error_messages={"required": _("Write your answer before sending it.")})
    # Django's form metaclass moves declared fields into base_fields, so BaseForm.files stays the uploads.
    files = MultipleFileField(label=_("Files (PDF, PNG or JPEG)"))  # type: ignore[assignment]  # not BaseForm.files

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
        label=_("What you fixed"), min_length=20, max_length=10000, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Say what the new files show, or where the listing uses your right; the reviewer reads this "
                    "with your notice."),
        error_messages={"required": _("Say what you fixed or what the new files show."),
                        "min_length": _("Say what you fixed in at least %(limit_value)d characters "
                                        "(you wrote %(show_value)d)."),
                        "max_length": _("Keep it within %(limit_value)d characters (you wrote %(show_value)d).")})
    files = MultipleFileField(label=_("Files (PDF, PNG or JPEG)"))  # type: ignore[assignment]  # not BaseForm.files
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

    confirm = forms.BooleanField(label=_("Yes, withdraw this notice"), error_messages={
        "required": _("Tick “Yes, withdraw this notice” to withdraw it.")})


class LawsuitForm(forms.Form):
    """The rights holder reports the action they filed against the seller (DMCA 512(g)(2)(C))."""

    details = forms.CharField(
        label=_("Court and case number"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Name the court and the case number of the action you filed."),
                        "max_length": _("Keep it within %(limit_value)d characters (you wrote %(show_value)d).")})


class CatalogueFilterForm(forms.Form):
    """The catalogue's search box and category filter; `after` is the page cursor."""

    q = forms.CharField(label=_("Search titles"), max_length=200, required=False)
    category = forms.CharField(label=_("Category"), max_length=40, required=False)
    after = forms.CharField(max_length=100, required=False)
