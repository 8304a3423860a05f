from decimal import Decimal

import pytest
from django.utils import translation

from takedowns.templatetags.money import money


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "€1,234.50"),
    ("de", "1.234,50\xa0€"),
    ("fr", "1\u202f234,50\xa0€"),
    ("es", "1.234,50\xa0€"),
    ("it", "1.234,50\xa0€"),
    ("zh-hans", "€1,234.50"),
])
def test_a_price_is_written_as_the_readers_language_writes_it(language, expected):
    with translation.override(language):
        assert money(Decimal("1234.50"), "EUR") == expected


def test_no_price_is_an_empty_string_and_no_currency_falls_back_to_euro():
    with translation.override("de"):
        assert money(None, "EUR") == ""
        assert money("") == ""
        assert money("7", "") == "7,00\xa0€"
