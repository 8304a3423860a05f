"""The public catalogue shows live listings only (issue 14): one waiting for screening, held or blocked is not
in the index, and its page says only that it is not available, with no report button."""

import pytest

from takedowns.enums import ListingStatus
from takedowns.models import Listing, Notice
from tests.factories import decide, routed

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("status", [ListingStatus.PENDING, ListingStatus.HELD, ListingStatus.BLOCKED])
def test_a_listing_that_is_not_live_is_hidden(client, catalogue, status):
    Listing.objects.filter(external_id="L-100002").update(status=status, title="Secret fake bag")
    index = client.get("/listings/")
    assert [listing.external_id for listing in index.context["page"].rows] == ["L-100001", "L-100003", "L-100004"]
    body = client.get("/listings/L-100002/").content.decode()
    assert ('<div class="alert alert-secondary" role="status" id="not-available">'
            'Listing L-100002 is not available.</div>') in body
    assert "Secret fake bag" not in body and "Report this listing" not in body and "Acme Outlet" not in body


def test_a_live_listing_shows_its_picture_and_the_report_button(client, catalogue):
    Listing.objects.filter(external_id="L-100001").update(image="demo-listings/products/sneaker.png")
    body = client.get("/listings/L-100001/").content.decode()
    assert 'id="listing-picture" src="/static/demo-listings/products/sneaker.png"' in body
    assert "Report this listing" in body


def test_a_marketplaces_picture_url_is_not_loaded(client, catalogue):
    Listing.objects.filter(external_id="L-100001").update(image="https://cdn.example/x.png")
    assert 'id="listing-picture"' not in client.get("/listings/L-100001/").content.decode()


@pytest.mark.parametrize("source, words", [
    ("notice", "<strong>This listing has been removed</strong> following a notice of intellectual-property "
               "infringement on"),
    ("screening", "<strong>This listing has been removed</strong>: the marketplace found that it infringes "
                  "intellectual property."),
])
def test_a_removed_listing_says_whether_a_notice_or_the_marketplace_removed_it(client, catalogue, reviewers, now,
                                                                               source, words):
    notice = routed(now, [("L-100003", "counterfeit")])
    decide(notice, now, {"L-100003": "remove"})
    Notice.objects.filter(pk=notice.pk).update(source=source)
    Listing.objects.filter(external_id="L-100003").update(status=ListingStatus.REMOVED, removed_at=now)
    body = client.get("/listings/L-100003/").content.decode()
    assert words in body and "Report this listing" not in body
