"""The marketplace side of listing screening (issue 14): the JSON hook's listing and seller (validated
through the same kind of forms as the pages), and the demo seller page's listing form. Validation only:
the views call takedowns/workflow/listings.py."""

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from takedowns.enums import Language
from takedowns.marketplace import DEMO_PRODUCTS, PICTURE_VARIANTS, product_picture
from takedowns.workflow.listings import ListingFields

_EXTERNAL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,39}$")
_CATEGORY = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_ATTRIBUTES = 30
# The demo catalogue's categories (each has a placeholder picture, static/demo-listings/<category>.svg).
DEMO_CATEGORIES = ("apparel", "baby", "bags", "car-parts", "cosmetics", "electrical", "home", "posters", "shoes",
                   "toys", "watches")
DEMO_CURRENCIES = ("EUR", "USD", "GBP", "PLN", "CZK", "CHF")


def _external_id(value: str) -> None:
    if not _EXTERNAL_ID.match(value):
        raise ValidationError(_("Use 1 to 40 letters, digits and . _ : - (starting with a letter or digit)."))


class MirroredSellerForm(forms.Form):
    """The seller of a listing the marketplace sends, as the marketplace keeps it."""

    external_id = forms.CharField(max_length=40, validators=[_external_id])
    name = forms.CharField(max_length=200)
    country = forms.ChoiceField(choices=list(countries))
    email = forms.EmailField(required=False)
    language = forms.ChoiceField(choices=Language.choices, required=False)
    account_group = forms.CharField(max_length=40, required=False)

    def columns(self) -> dict[str, object]:
        """The columns to write: those the marketplace sent (one it leaves out keeps its value, or the default
        for a new seller: no e-mail, English, no account group)."""
        data = self.cleaned_data
        return {name: data[name] for name in ("name", "country", "email", "language", "account_group")
                if name in self.data and (name != "language" or data[name])}


class MirroredListingForm(forms.Form):
    """A listing the marketplace sends: the fields screening reads. `attributes` is a JSON object of short texts."""

    external_id = forms.CharField(max_length=40, validators=[_external_id])
    title = forms.CharField(max_length=300)
    description = forms.CharField(max_length=10_000, required=False, strip=False)
    category = forms.RegexField(_CATEGORY, max_length=40, error_messages={
        "invalid": _("Use 1 to 40 lower-case letters, digits and dashes.")})
    price = forms.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0.01"))
    currency = forms.CharField(max_length=3, min_length=3, error_messages={
        "max_length": _("Use a three-letter ISO 4217 code, e.g. EUR."),
        "min_length": _("Use a three-letter ISO 4217 code, e.g. EUR.")})
    image = forms.CharField(max_length=500, required=False)

    def clean_currency(self) -> str:
        currency = self.cleaned_data["currency"].upper()
        if not _CURRENCY.match(currency):
            raise ValidationError(_("Use a three-letter ISO 4217 code, e.g. EUR."))
        return currency

    def clean_image(self) -> str:
        image = self.cleaned_data["image"]
        local = not image.startswith(("http://", "https://"))
        if local and (image.startswith("/") or ".." in image.split("/") or "://" in image):
            raise ValidationError(_("Give an http(s) URL, or a path under the catalogue's static files."))
        return image

    def fields_of(self, attributes: dict[str, str]) -> ListingFields:
        data = self.cleaned_data
        return ListingFields(title=data["title"], description=data["description"], category=data["category"],
                             price=data["price"], currency=data["currency"], attributes=attributes,
                             image=data["image"])


def clean_attributes(value: Any) -> tuple[dict[str, str], str]:
    """A listing's attributes (brand, model, colour…) as a JSON object of texts: the object, or an error."""
    if value is None:
        return {}, ""
    if not isinstance(value, dict):
        return {}, str(_("Give a JSON object of texts, e.g. {\"brand\": \"…\"}."))
    if len(value) > MAX_ATTRIBUTES:
        return {}, str(_("At most %(count)d attributes.") % {"count": MAX_ATTRIBUTES})
    bad = [key for key, text in value.items() if not isinstance(text, str) or len(key) > 40 or len(text) > 200]
    if bad:
        return {}, str(_("Each attribute is a text of at most 200 characters under a name of at most 40: not "
                         "%(names)s.") % {"names": ", ".join(sorted(bad))})
    return {key.strip(): text.strip() for key, text in value.items()}, ""


def _scalars(data: dict[str, Any], names: list[str], prefix: str) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The form data of a JSON object: texts and numbers as given; anything else named as an error."""
    errors = {f"{prefix}{name}": [str(_("Give a text or a number."))] for name in names
              if name in data and data[name] is not None and not isinstance(data[name], (str, int, float))}
    return {name: data[name] for name in names if name in data and data[name] is not None}, errors


def parse_mirrored_listing(data: Any, prefix: str = "") -> tuple[tuple | None, dict[str, list[str]]]:
    """One listing of the hook's JSON: ((seller form, external id, fields), {}) or (None, errors by field name,
    e.g. "title", "seller.country", with `prefix` before each, e.g. "listings[3].")."""
    if not isinstance(data, dict):
        return None, {prefix.rstrip(".") or "listing": [str(_("Give a JSON object."))]}
    seller_data = data.get("seller")
    if not isinstance(seller_data, dict):
        seller_data = {}
    listing_values, errors = _scalars(data, list(MirroredListingForm.base_fields), prefix)
    seller_values, seller_errors = _scalars(seller_data, list(MirroredSellerForm.base_fields), f"{prefix}seller.")
    errors.update(seller_errors)
    listing, seller = MirroredListingForm(listing_values), MirroredSellerForm(seller_values)
    attributes, attribute_error = clean_attributes(data.get("attributes"))
    for form, form_prefix in ((listing, prefix), (seller, f"{prefix}seller.")):
        if not form.is_valid():
            for name, messages in form.errors.items():
                errors.setdefault(f"{form_prefix}{name}", [str(message) for message in messages])
    if attribute_error:
        errors[f"{prefix}attributes"] = [attribute_error]
    if errors:
        return None, errors
    return (seller, listing.cleaned_data["external_id"], listing.fields_of(attributes)), {}


# --- The demo seller page. ---

PRODUCT_NAMES = {"sneaker": _("Sneaker"), "handbag": _("Handbag"), "watch": _("Watch"), "perfume": _("Perfume"),
                 "headphones": _("Headphones"), "sunglasses": _("Sunglasses"), "teddy": _("Teddy bear"),
                 "lamp": _("Lamp")}
VARIANT_NAMES = {"": _("original picture"), "resized": _("resized copy"), "recompressed": _("recompressed copy"),
                 "recoloured": _("recoloured copy"), "cropped": _("cropped copy")}


def picture_choices() -> list[tuple[str, Any]]:
    choices: list[tuple[str, Any]] = [("", _("No picture"))]
    for product in DEMO_PRODUCTS:
        for variant in ("", *PICTURE_VARIANTS):
            label = _("%(product)s (%(variant)s)") % {"product": PRODUCT_NAMES[product],
                                                     "variant": VARIANT_NAMES[variant]}
            choices.append((product_picture(product, variant), label))
    return choices


class SellListingForm(forms.Form):
    """A demo seller's listing: what a marketplace's listing form asks, and one of the demo product pictures."""

    title = forms.CharField(label=_("Title"), max_length=300)
    description = forms.CharField(label=_("Description"), max_length=5000, required=False, widget=forms.Textarea(
        attrs={"rows": 4}))
    brand = forms.CharField(label=_("Brand"), max_length=100, required=False,
                            help_text=_("As printed on the product; leave empty for unbranded goods."))
    category = forms.ChoiceField(label=_("Category"), choices=[(c, c) for c in DEMO_CATEGORIES])
    price = forms.DecimalField(label=_("Price"), max_digits=10, decimal_places=2, min_value=Decimal("0.01"))
    currency = forms.ChoiceField(label=_("Currency"), choices=[(c, c) for c in DEMO_CURRENCIES])
    picture = forms.ChoiceField(label=_("Picture"), required=False, choices=picture_choices)

    def __init__(self, *args: Any, current_image: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A listing whose picture is not a demo product's (a seeded one's placeholder) keeps it when changed.
        field = self.fields["picture"]
        assert isinstance(field, forms.ChoiceField)
        choices = picture_choices()
        if current_image and current_image not in dict(choices):
            field.choices = [(current_image, _("The listing's current picture")), *choices]

    def listing_fields(self) -> ListingFields:
        data = self.cleaned_data
        return ListingFields(title=data["title"], description=data["description"], category=data["category"],
                             price=data["price"], currency=data["currency"],
                             attributes={"brand": data["brand"]} if data["brand"] else {}, image=data["picture"])

    @classmethod
    def initial_of(cls, fields: dict[str, Any]) -> dict[str, Any]:
        """The form's initial data for an existing listing (its columns)."""
        return {"title": fields["title"], "description": fields["description"], "category": fields["category"],
                "price": fields["price"], "currency": fields["currency"],
                "brand": (fields["attributes"] or {}).get("brand", ""), "picture": fields["image"]}
