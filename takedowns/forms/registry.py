"""The rights registry's public forms: registering a right (no account), and the holder's changes to
its protection details on the private page. Validation only: the views keep uploads under the form's
submission key (evidence.keep) and call workflow/registry.py."""

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from takedowns.enums import EvidenceKind, Language, RightType, SubmitterRole
from takedowns.evidence import PICTURE_TYPES, size_of, sniff_content_type
from takedowns.forms.public import MultipleFileField, MultipleFileInput, check_size, check_upload
from takedowns.models import Evidence, Seller
from takedowns.screening.text import normalise

MAX_TERMS = 50
MAX_SELLERS = 200
TERM_MIN, TERM_MAX = 2, 100
# Words that name a kind of product or a sales pitch, not a brand: as a protected term each would hold
# half the catalogue. Compared in normalised form.
GENERIC_TERMS = frozenset(normalise(word) for word in (
    "original", "genuine", "authentic", "official", "new", "sale", "cheap", "luxury", "premium", "quality",
    "brand", "designer", "fashion", "style", "classic", "best", "free", "shop", "store", "outlet",
    "shoe", "shoes", "sneaker", "sneakers", "bag", "bags", "watch", "watches", "shirt", "dress", "jacket",
    "sport", "sports", "lamp", "toy", "toys", "phone", "case", "the", "and", "for",
))
_SELLER_SEPARATORS = re.compile(r"[\s,;]+")
_CLASSES = re.compile(r"^\s*\d{1,2}(\s*,\s*\d{1,2})*\s*$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_PICTURE_ACCEPT = ".png,.jpg,.jpeg,.webp,image/png,image/jpeg,image/webp"


def check_picture(upload: UploadedFile) -> str:
    """The content type of a picture of the genuine product (PNG, JPEG or WebP by its content); else an error."""
    content_type = sniff_content_type(upload, PICTURE_TYPES)
    if content_type is None:
        raise ValidationError(gettext("“%(name)s” is not a PNG, JPEG or WebP picture (we check the content, not "
                                      "the name).") % {"name": upload.name})
    check_size(upload)
    return content_type


def clean_terms(text: str) -> list[str]:
    """The brand terms, one per line: each 2-100 characters, at least 3 letters once normalised, not a generic
    word; at most MAX_TERMS. Every problem is named with its line."""
    terms = [line.strip() for line in text.splitlines() if line.strip()]
    problems = []
    if len(terms) > MAX_TERMS:
        problems.append(gettext("Give at most %(limit)s brand terms; you gave %(count)s.") % {
            "limit": MAX_TERMS, "count": len(terms)})
    for number, term in enumerate(terms, start=1):
        normalised = normalise(term)
        letters = sum(char.isalpha() for char in normalised)
        if not TERM_MIN <= len(term) <= TERM_MAX:
            problems.append(gettext("Line %(number)s: “%(term)s” has %(length)s characters; a brand term has "
                                    "%(min)s to %(max)s.") % {"number": number, "term": term[:40], "length": len(term),
                                                              "min": TERM_MIN, "max": TERM_MAX})
        elif letters < 3:
            problems.append(gettext("Line %(number)s: “%(term)s” is too short to screen listings with: a brand term "
                                    "needs at least 3 letters (it reads as “%(normalised)s”).") % {
                "number": number, "term": term, "normalised": normalised})
        elif normalised in GENERIC_TERMS:
            problems.append(gettext("Line %(number)s: “%(term)s” is a generic word, not a brand: it would hold "
                                    "listings of every seller. Give the brand's own name.") % {
                "number": number, "term": term})
    if problems:
        raise ValidationError(problems)
    return terms


def clean_sellers(text: str) -> list[Seller]:
    """The authorised sellers by their marketplace seller IDs (e.g. S-1001); an unknown ID is named."""
    wanted = list(dict.fromkeys(part.upper() for part in _SELLER_SEPARATORS.split(text) if part))
    if len(wanted) > MAX_SELLERS:
        raise ValidationError(gettext("Give at most %(limit)s authorised sellers; you gave %(count)s.") % {
            "limit": MAX_SELLERS, "count": len(wanted)})
    if not wanted:
        return []
    found = {seller.external_id.upper(): seller for seller in Seller.objects.filter(external_id__in=wanted)}
    unknown = [seller_id for seller_id in wanted if seller_id not in found]
    if unknown:
        raise ValidationError(ngettext(
            "No seller on the marketplace has the ID %(ids)s: check it on the seller's page (e.g. S-1001).",
            "No seller on the marketplace has the IDs %(ids)s: check them on the sellers' pages (e.g. S-1001).",
            len(unknown)) % {"ids": ", ".join(unknown)})
    return [found[seller_id] for seller_id in wanted]


class ProtectionForm(forms.Form):
    """What screening reads of a right: its brand terms, authorised sellers, the genuine product's price
    range and pictures. The private page's form; the registration form adds the rest."""

    terms = forms.CharField(
        label=_("Brand terms"), widget=forms.Textarea(attrs={"rows": 4}), max_length=6000,
        help_text=_("One per line, e.g. the mark and its usual spellings (“Aerostride”, “Aero Stride”). Listings are "
                    "screened for these words, also when disguised (“Aer0stride”)."),
        error_messages={"required": _("Give at least one brand term: the name listings are screened for.")})
    authorised_sellers = forms.CharField(
        label=_("Authorised sellers"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=4000,
        help_text=_("Seller IDs of the marketplace (e.g. S-1001), separated by commas or lines: their listings of "
                    "the genuine product are never held for this right."))
    price_min = forms.DecimalField(label=_("Usual price from"), required=False, min_value=Decimal("0.01"),
                                   max_digits=10, decimal_places=2)
    price_max = forms.DecimalField(label=_("Usual price up to"), required=False, min_value=Decimal("0.01"),
                                   max_digits=10, decimal_places=2)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="EUR",
                               help_text=_("Three letters, e.g. EUR, USD, GBP."))
    reference_images = MultipleFileField(
        label=_("Pictures of the genuine product (PNG, JPEG or WebP)"),
        widget=MultipleFileInput(attrs={"accept": _PICTURE_ACCEPT}),
        help_text=_("Listings whose pictures look like these and come from sellers you have not authorised are "
                    "held for review."))

    def __init__(self, *args: Any, kept: Iterable[Evidence] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kept = list(kept)
        # (kind, upload, content type) of each file that passed its checks: kept by the view even when another
        # field has an error, so that nothing is uploaded twice.
        self.accepted_uploads: list[tuple[str, UploadedFile, str]] = []

    def clean_terms(self) -> list[str]:
        return clean_terms(self.cleaned_data.get("terms") or "")

    def clean_authorised_sellers(self) -> list[Seller]:
        return clean_sellers(self.cleaned_data.get("authorised_sellers") or "")

    def clean_currency(self) -> str:
        currency = (self.cleaned_data.get("currency") or "").strip().upper()
        if not _CURRENCY.match(currency):
            raise ValidationError(gettext("Write the currency as its three-letter code, e.g. EUR."))
        return currency

    def clean_reference_images(self) -> list[UploadedFile]:
        return self._accept("reference_images", EvidenceKind.REFERENCE_IMAGE, check_picture)

    def _accept(self, name: str, kind: str, check: Any) -> list[UploadedFile]:
        files = self.cleaned_data.get(name) or []
        problems = []
        for upload in files:
            try:
                self.accepted_uploads.append((kind, upload, check(upload)))
            except ValidationError as exc:
                problems.extend(exc.messages)
        if problems:
            raise ValidationError(problems)
        return files

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("price_min"), data.get("price_max")
        if low is not None and high is not None and high < low:
            self.add_error("price_max", gettext("The highest usual price (%(high)s) is below the lowest (%(low)s).")
                           % {"high": high, "low": low})
        self._check_totals()
        return data

    def _check_totals(self) -> None:
        count = len(self.kept) + len(self.accepted_uploads)
        total = sum(row.size for row in self.kept) + sum(size_of(upload) for _, upload, _ in self.accepted_uploads)
        if count > settings.EVIDENCE_MAX_FILES or total > settings.EVIDENCE_MAX_TOTAL_BYTES:
            self.add_error(None, gettext("A registration may carry at most %(files)s files of %(bytes)s together; "
                                         "these would be %(count)s files of %(total)s.") % {
                "files": settings.EVIDENCE_MAX_FILES, "bytes": filesizeformat(settings.EVIDENCE_MAX_TOTAL_BYTES),
                "count": count, "total": filesizeformat(total)})
            self.accepted_uploads.clear()


class RegistrationForm(ProtectionForm):
    """Registering a right without an account (issue 14, item 1)."""

    submission_key = forms.UUIDField(widget=forms.HiddenInput)

    right_type = forms.ChoiceField(label=_("Type of right"), choices=[("", _("Choose…")), *RightType.choices])
    registration_number = forms.CharField(label=_("Registration number"), max_length=80)
    office = forms.CharField(label=_("Office"), max_length=80, help_text=_("e.g. EUIPO, USPTO, DPMA, WIPO."))
    owner_name = forms.CharField(label=_("Rights owner"), max_length=200)
    title = forms.CharField(label=_("Mark or title"), max_length=200,
                            help_text=_("The mark as registered, or the work, design or invention."))
    goods = forms.CharField(label=_("Goods and services covered"), max_length=5000, required=False,
                            widget=forms.Textarea(attrs={"rows": 2}))
    classes = forms.CharField(label=_("Nice classes"), max_length=120, required=False,
                              help_text=_("Numbers from 1 to 45, separated by commas, e.g. 18, 25."))
    registration_certificate = MultipleFileField(
        label=_("Registration certificate (PDF, PNG or JPEG)"),
        help_text=_("Required: the registry's certificate or an extract from its register."))

    registrant_name = forms.CharField(label=_("Your full name"), max_length=200)
    registrant_organisation = forms.CharField(label=_("Organisation"), max_length=200, required=False)
    registrant_email = forms.EmailField(label=_("E-mail address"), max_length=254,
                                        help_text=_("We send the confirmation link and every step here."))
    registrant_role = forms.ChoiceField(label=_("You are"), choices=SubmitterRole.choices, widget=forms.RadioSelect)
    language = forms.ChoiceField(label=_("Language for our messages"), choices=Language.choices, initial=Language.EN)

    remove_evidence = forms.TypedMultipleChoiceField(label=_("Remove"), required=False, coerce=int,
                                                     widget=forms.CheckboxSelectMultiple)

    field_order = ["submission_key", "right_type", "registration_number", "office", "owner_name", "title", "goods",
                   "classes", "terms", "price_min", "price_max", "currency", "authorised_sellers"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        remove = self.fields["remove_evidence"]
        assert isinstance(remove, forms.TypedMultipleChoiceField)
        remove.choices = [(row.pk, row.original_name) for row in self.kept]

    def clean_classes(self) -> str:
        classes = (self.cleaned_data.get("classes") or "").strip()
        if not classes:
            return ""
        numbers = [int(part) for part in classes.split(",")] if _CLASSES.match(classes) else []
        if not numbers or not all(1 <= number <= 45 for number in numbers):
            raise ValidationError(gettext("Write the Nice classes as numbers from 1 to 45 separated by commas, "
                                          "e.g. 18, 25."))
        return ", ".join(str(number) for number in sorted(set(numbers)))

    def clean_registration_certificate(self) -> list[UploadedFile]:
        return self._accept("registration_certificate", EvidenceKind.REGISTRATION_CERTIFICATE, check_upload)

    def kept_after_removal(self) -> list[Evidence]:
        removed = set(self.cleaned_data.get("remove_evidence") or [])
        return [row for row in self.kept if row.pk not in removed]

    def clean(self) -> dict[str, Any]:
        self.kept = self.kept_after_removal()
        data = super().clean()
        has_certificate = any(kind == EvidenceKind.REGISTRATION_CERTIFICATE for kind, _, _ in self.accepted_uploads) \
            or any(row.kind == EvidenceKind.REGISTRATION_CERTIFICATE for row in self.kept)
        if not has_certificate and "registration_certificate" not in self.errors:
            self.add_error("registration_certificate", gettext(
                "Attach the registration certificate (or an extract from the register): we verify the right "
                "with it."))
        return data

    def right_fields(self) -> dict:
        """The Right model fields, for workflow.registry.register."""
        names = ["right_type", "registration_number", "office", "owner_name", "title", "goods", "classes",
                 "registrant_name", "registrant_organisation", "registrant_email", "registrant_role", "language"]
        fields = {name: self.cleaned_data[name] for name in names}
        fields["registration_number"] = fields["registration_number"].strip()
        fields["office"] = fields["office"].strip()
        return fields


class RightWithdrawForm(forms.Form):
    confirm = forms.BooleanField(label=_("Yes, withdraw this registration"), error_messages={
        "required": _("Tick “Yes, withdraw this registration” to withdraw it.")})


class RejectRightForm(forms.Form):
    """A lead's reasons for not verifying a registration: e-mailed to the registrant as written."""

    reasons = forms.CharField(
        label=_("Reasons (sent to the registrant)"), min_length=10, max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Give the reasons: the registrant is told them."),
                        "min_length": _("Give the reasons in at least %(limit_value)d characters (you wrote "
                                        "%(show_value)d).")})
