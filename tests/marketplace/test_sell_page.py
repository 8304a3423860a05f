"""The demo seller page /sell/ (issue 14): a demo seller creates and changes listings; each is screened before
it goes live and the page says the outcome in the seller's words."""

from decimal import Decimal

import pytest

from takedowns.enums import ListingStatus
from takedowns.models import Listing, Screening

pytestmark = pytest.mark.django_db

FORM = {"title": "Leather handbag", "description": "Soft calf leather.", "brand": "", "category": "bags",
        "price": "120.00", "currency": "EUR", "picture": "demo-listings/products/handbag.png"}


class OtherMarketplace:
    """A marketplace with an API of its own (only its class matters here)."""


def test_the_seller_list_links_each_demo_seller(client, catalogue):
    body = client.get("/sell/").content.decode()
    assert '<a href="/sell/S-1/">Acme Outlet</a>' in body and '<a href="/sell/S-2/">Bright Store</a>' in body


def test_a_new_listing_is_screened_and_the_outcome_shown(client, catalogue, fake_screening):
    response = client.post("/sell/S-1/", FORM)
    listing = Listing.objects.get(title="Leather handbag")
    screening = Screening.objects.get(listing=listing)
    assert response["Location"] == f"/sell/S-1/?screening={screening.pk}#outcome"
    assert (listing.external_id, listing.seller.external_id, listing.status, listing.price, listing.attributes,
            listing.image) == ("L-100006", "S-1", ListingStatus.ACTIVE, Decimal("120.00"), {},
                               "demo-listings/products/handbag.png")
    assert fake_screening.calls[0][:2] == ("L-100006", "created") and fake_screening.calls[0][2] > 500
    body = client.get(response["Location"]).content.decode()
    assert 'data-outcome="publish"' in body
    assert "Published: your listing is live in the catalogue." in body
    assert '<tr data-listing="L-100006">' in body


def test_a_held_listing_says_why_in_the_sellers_words(client, catalogue, fake_screening):
    fake_screening.outcome = "hold"
    response = client.post("/sell/S-1/", {**FORM, "brand": "AeroStride"})
    assert Listing.objects.get(title="Leather handbag").attributes == {"brand": "AeroStride"}
    body = client.get(response["Location"]).content.decode()
    assert 'data-outcome="hold"' in body
    assert "Held for review: your listing is not live until a reviewer has checked it." in body
    assert "<li>It names a brand whose owner sells it here only through sellers they authorised.</li>" in body


def test_a_blocked_listing_says_it_stays_down(client, catalogue, fake_screening):
    fake_screening.outcome = "block"
    body = client.get(client.post("/sell/S-1/", FORM)["Location"]).content.decode()
    assert "Blocked: your listing was not published." in body
    assert "that was removed for infringing intellectual property: it stays down." in body


def test_another_sellers_screening_is_not_shown(client, catalogue, fake_screening):
    location = client.post("/sell/S-1/", FORM)["Location"]
    body = client.get(location.replace("/sell/S-1/", "/sell/S-2/")).content.decode()
    assert 'id="outcome"' not in body


def test_a_bad_form_keeps_what_was_typed_and_creates_nothing(client, catalogue, fake_screening):
    response = client.post("/sell/S-1/", {**FORM, "price": "-3", "picture": "../secret.png"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Ensure this value is greater than or equal to 0.01." in body
    assert 'value="Leather handbag"' in body
    assert not Listing.objects.filter(title="Leather handbag").exists() and fake_screening.calls == []


def test_changing_a_listing_screens_it_again(client, catalogue, fake_screening):
    response = client.post("/sell/S-1/listings/L-100001/", {**FORM, "title": "Listing 1, now in red"})
    listing = Listing.objects.get(external_id="L-100001")
    assert (listing.title, listing.category, listing.status) == ("Listing 1, now in red", "bags", ListingStatus.ACTIVE)
    assert fake_screening.calls[0][:2] == ("L-100001", "changed")
    assert response["Location"].startswith("/sell/S-1/?screening=")


def test_the_edit_form_shows_the_listing(client, catalogue):
    Listing.objects.filter(external_id="L-100001").update(attributes={"brand": "Acme"}, image="demo-listings/shoes.svg")
    body = client.get("/sell/S-1/listings/L-100001/").content.decode()
    assert 'value="Listing 1"' in body and 'value="Acme"' in body
    assert '<option value="demo-listings/shoes.svg" selected>The listing&#x27;s current picture</option>' in body


def test_a_held_or_removed_listing_cannot_be_changed(client, catalogue, fake_screening):
    Listing.objects.filter(external_id="L-100001").update(status=ListingStatus.HELD)
    response = client.post("/sell/S-1/listings/L-100001/", FORM)
    assert response.status_code == 400
    assert "This listing is held for review. You can change it once a reviewer has decided." in \
        response.content.decode()
    body = client.get("/sell/S-1/listings/L-100005/").content.decode()
    assert "This listing was taken down and stays down." in body and 'id="edit-listing"' not in body
    assert Listing.objects.get(external_id="L-100001").title == "Listing 1" and fake_screening.calls == []


def test_another_sellers_listing_is_not_found(client, catalogue):
    assert client.get("/sell/S-2/listings/L-100001/").status_code == 404
    assert client.get("/sell/S-404/").status_code == 404


def test_there_is_no_seller_page_for_another_marketplace(client, catalogue, settings):
    settings.MARKETPLACE_ADAPTER = "tests.marketplace.test_sell_page.OtherMarketplace"
    assert [client.get(url).status_code for url in ("/sell/", "/sell/S-1/", "/sell/S-1/listings/L-100001/")] == [
        404, 404, 404]
