"""Prices in the reader's language: `{% load money %}{{ listing.price|money:listing.currency }}`.

Babel (CLDR data) knows where each language puts the currency sign, the decimal comma and the
grouping ("1.234,50 €" in German, "€1,234.50" in English, "¥1,234.50" in Chinese); Django's own
number localisation knows separators but no currencies."""

from decimal import Decimal, InvalidOperation

from babel.numbers import format_currency
from django import template
from django.utils.translation import get_language, to_locale

register = template.Library()


@register.filter
def money(amount: object, currency: str = "EUR") -> str:
    """The amount with its currency, formatted for the active language; "" for no amount."""
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    return format_currency(value, currency or "EUR", locale=to_locale(get_language() or "en"))
