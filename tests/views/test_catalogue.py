"""The demo marketplace pages."""

from decimal import Decimal

import pytest
from django.utils import translation

from takedowns.models import Listing
from takedowns.selectors.catalogue import CATALOGUE

pytestmark = pytest.mark.django_db


def test_the_catalogue_pages_by_keyset(client, catalogue):
    seller = catalogue["L-100001"].seller
    Listing.objects.bulk_create(Listing(external_id=f"L-2{n:05d}", seller=seller, title=f"Extra {n}",
                                        category="shoes", price=Decimal("1.00")) for n in range(40))
    first = client.get("/listings/")
    listings = first.context["page"].rows
    assert len(listings) == CATALOGUE.size
    after = first.context["page"].next_cursor
    assert after == str(listings[-1].id)
    second = client.get("/listings/", {"after": after})
    assert [listing.id for listing in second.context["page"].rows] == list(
        Listing.objects.filter(id__gt=after).order_by("id").values_list("id", flat=True))
    assert second.context["page"].next_cursor is None


def test_the_catalogue_filters_by_category_and_title(client, catalogue):
    response = client.get("/listings/", {"category": "toys"})
    assert [listing.external_id for listing in response.context["page"].rows] == ["L-100003"]
    response = client.get("/listings/", {"q": "listing 4"})
    assert [listing.external_id for listing in response.context["page"].rows] == ["L-100004"]


def test_a_listing_page_offers_a_prefilled_report(client, catalogue):
    body = client.get("/listings/L-100001/").content.decode()
    assert "Listing 1" in body and "Acme Outlet" in body
    assert "/notices/new/?listing=http%3A//testserver/listings/L-100001/" in body
    assert 'id="removed-banner"' not in body


def test_a_removed_listing_shows_as_removed(client, catalogue):
    body = client.get("/listings/l-100005/").content.decode()
    assert 'id="removed-banner"' in body
    assert "Report this listing" not in body


def test_an_unknown_listing_is_404(client, catalogue):
    assert client.get("/listings/L-999999/").status_code == 404


# --- Issue 13: labels, prices in the reader's language, a table usable on a phone. ---

def test_the_category_select_and_the_search_box_have_labels(client, catalogue):
    body = client.get("/listings/").content.decode()
    assert ('<label class="form-label visually-hidden" for="catalogue-category">Category</label>') in body
    assert '<select class="form-select" name="category" id="catalogue-category">' in body
    assert '<label class="form-label visually-hidden" for="catalogue-q">Search titles</label>' in body
    assert 'id="catalogue-q" value="" placeholder="Search titles">' in body
    assert '<div class="table-responsive" tabindex="0">\n<table class="table table-hover" id="listings">' in body


def test_a_bad_filter_is_tied_to_its_field(client, catalogue):
    response = client.get("/listings/", {"category": "x" * 41})
    body = response.content.decode()
    assert response.status_code == 400
    assert ('name="category" id="catalogue-category" aria-invalid="true" '
            'aria-describedby="catalogue-category-error">') in body
    assert '<div class="invalid-feedback" id="catalogue-category-error" data-error="category">' in body


def test_prices_are_written_as_the_readers_language_writes_them(client, catalogue):
    Listing.objects.filter(external_id="L-100001").update(price=Decimal("1234.50"), currency="EUR")
    english = client.get("/listings/").content.decode()
    assert '<td class="text-end text-nowrap">€1,234.50</td>' in english
    assert '<p class="fs-4" id="listing-price">€1,234.50</p>' in client.get("/listings/L-100001/").content.decode()
    with translation.override("de"):
        german = client.get("/listings/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
        detail = client.get("/listings/L-100001/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<td class="text-end text-nowrap">1.234,50\xa0€</td>' in german
    assert '<p class="fs-4" id="listing-price">1.234,50\xa0€</p>' in detail
    assert "1234.50 EUR" not in german + detail + english
