"""The demo marketplace pages."""

from decimal import Decimal

import pytest

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
