"""The marketplace's "listing created / changed" hook, POST /marketplace/listings/ (issue 14): a bearer token,
validation errors by field, the seller and listing mirrored, the outcome answered at once; a burst accepted
(202) and screened in the worker."""

import json
from decimal import Decimal

import pytest

from takedowns import dispatch
from takedowns.enums import ListingStatus, ScreeningTrigger
from takedowns.models import Listing, Screening, Seller, TaskDispatch
from tests.factories import confirmed

pytestmark = pytest.mark.django_db

URL = "/marketplace/listings/"
TOKEN = "t" * 40


@pytest.fixture
def hook_on(settings):
    settings.MARKETPLACE_HOOK_TOKEN = TOKEN


def post(client, body, token: str | None = TOKEN):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(URL, data, content_type="application/json", headers=headers)


def listing(external_id: str = "SHOP-1", **changes) -> dict:
    return {"external_id": external_id, "title": "Trail running shoe", "description": "Light and grippy.",
            "attributes": {"brand": "Montana Trails", "colour": "blue"}, "price": "89.90", "currency": "eur",
            "category": "shoes", "image": "demo-listings/products/sneaker.png",
            "seller": {"external_id": "EXT-S-9", "name": "Berg Sport", "country": "AT", "email": "shop@berg.example",
                       "language": "de", "account_group": "grp-berg"}, **changes}


def test_the_hook_is_off_without_a_token(client, settings, fake_screening):
    settings.MARKETPLACE_HOOK_TOKEN = ""
    response = post(client, listing())
    assert (response.status_code, response.json()) == (
        404, {"error": "The marketplace hook is off: MARKETPLACE_HOOK_TOKEN is not set."})
    assert not Listing.objects.exists()


@pytest.mark.parametrize("token", [None, "wrong", "t" * 39])
def test_a_missing_or_wrong_token_is_refused(client, hook_on, fake_screening, token):
    response = post(client, listing(), token=token)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="marketplace"'
    assert not Listing.objects.exists() and fake_screening.calls == []


def test_only_post_is_answered(client, hook_on):
    assert client.get(URL, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 405


def test_validation_errors_name_each_field(client, hook_on, fake_screening):
    body = {"external_id": "bad id", "title": "", "price": "-1", "currency": "euro", "category": "Shoes!",
            "attributes": {"brand": 5}, "image": "../../etc/passwd",
            "seller": {"country": "XX", "account_group": "g" * 41}}
    response = post(client, body)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert sorted(errors) == ["attributes", "category", "currency", "external_id", "image", "price",
                              "seller.account_group", "seller.country", "seller.external_id", "seller.name",
                              "title"]
    assert errors["price"] == ["Ensure this value is greater than or equal to 0.01."]
    assert errors["currency"] == ["Use a three-letter ISO 4217 code, e.g. EUR."]
    assert errors["attributes"] == ["Each attribute is a text of at most 200 characters under a name of at most 40: "
                                    "not brand."]
    assert not Listing.objects.exists() and not Seller.objects.exists()


def test_a_body_that_is_not_json_is_refused(client, hook_on):
    response = post(client, "{not json")
    assert response.status_code == 400 and list(response.json()["errors"]) == ["body"]


def test_a_new_listing_is_mirrored_screened_and_its_outcome_answered(client, hook_on, fake_screening):
    response = post(client, listing())
    assert (response.status_code, response.json()) == (200, {"listing": "SHOP-1", "outcome": "publish", "case": None})
    seller = Seller.objects.get()
    assert (seller.external_id, seller.name, seller.country.code, seller.email, seller.language,
            seller.account_group) == ("EXT-S-9", "Berg Sport", "AT", "shop@berg.example", "de", "grp-berg")
    mirrored = Listing.objects.get()
    assert (mirrored.external_id, mirrored.seller, mirrored.title, mirrored.price, mirrored.currency,
            mirrored.attributes, mirrored.image, mirrored.status) == (
        "SHOP-1", seller, "Trail running shoe", Decimal("89.90"), "EUR", {"brand": "Montana Trails", "colour": "blue"},
        "demo-listings/products/sneaker.png", ListingStatus.ACTIVE)
    # The picture's bytes from the adapter (the demo catalogue's static file), for the image hash.
    [(external_id, trigger, picture_size)] = fake_screening.calls
    assert (external_id, trigger) == ("SHOP-1", ScreeningTrigger.CREATED) and picture_size > 500


def test_the_same_listing_again_is_a_change(client, hook_on, fake_screening):
    post(client, listing())
    response = post(client, listing(title="Trail running shoe, size 42", seller={
        "external_id": "EXT-S-9", "name": "Berg Sport GmbH", "country": "AT"}))
    assert response.json()["outcome"] == "publish"
    assert [call[:2] for call in fake_screening.calls] == [("SHOP-1", "created"), ("SHOP-1", "changed")]
    assert Listing.objects.get().title == "Trail running shoe, size 42"
    seller = Seller.objects.get()  # what the second call left out is kept
    assert (seller.name, seller.email, seller.language, seller.account_group) == (
        "Berg Sport GmbH", "shop@berg.example", "de", "grp-berg")
    assert list(Screening.objects.values_list("trigger", flat=True)) == ["created", "changed"]


def test_a_held_listing_answers_hold_and_its_case(client, hook_on, fake_screening, now):
    fake_screening.outcome = "hold"
    fake_screening.case = confirmed(now)
    response = post(client, listing())
    assert response.json() == {"listing": "SHOP-1", "outcome": "hold", "case": fake_screening.case.reference}
    assert Listing.objects.get().status == ListingStatus.HELD


def test_a_held_or_removed_listing_cannot_be_changed(client, hook_on, fake_screening):
    fake_screening.outcome = "hold"
    post(client, listing())
    response = post(client, listing(title="Changed"))
    assert (response.status_code, response.json()) == (409, {
        "listing": "SHOP-1", "status": "held",
        "error": "The listing is held for review; it can change once a reviewer has decided."})
    assert Listing.objects.get().title == "Trail running shoe" and len(fake_screening.calls) == 1


def test_a_burst_is_accepted_pending_and_screened_in_the_worker(client, hook_on, fake_screening,
                                                               django_capture_on_commit_callbacks):
    fake_screening.by_title = {"Aero": "hold"}
    rows = [listing(f"SHOP-{n}", title=f"{'AeroStride' if n == 2 else 'Plain'} shoe {n}") for n in range(1, 4)]
    with django_capture_on_commit_callbacks() as callbacks:
        response = post(client, {"listings": rows})
    assert response.status_code == 202
    assert response.json() == {"listings": [{"listing": f"SHOP-{n}", "status": "pending"} for n in range(1, 4)],
                                "refused": []}
    assert set(Listing.objects.values_list("status", flat=True)) == {ListingStatus.PENDING}
    assert list(TaskDispatch.objects.values_list("task", "kwargs")) == [
        (dispatch.SCREEN_LISTINGS, {"listing_ids": sorted(Listing.objects.values_list("pk", flat=True)),
                                    "trigger": "created"})]
    for callback in callbacks:  # after commit: the task runs (eagerly in tests)
        callback()
    assert dict(Listing.objects.values_list("external_id", "status")) == {
        "SHOP-1": "active", "SHOP-2": "held", "SHOP-3": "active"}
    assert len(fake_screening.calls) == 3


def test_a_burst_with_one_bad_listing_writes_nothing_and_names_it(client, hook_on, fake_screening):
    rows = [listing("SHOP-1"), listing("SHOP-2", price="free"), listing("SHOP-1")]
    response = post(client, {"listings": rows})
    assert response.status_code == 400
    assert response.json()["errors"] == {"listings[1].price": ["Enter a number."],
                                         "listings[2].external_id": ["SHOP-1 is already listings[0] of this request."]}
    assert not Listing.objects.exists()


def test_a_burst_is_limited(client, hook_on, settings):
    settings.MARKETPLACE_HOOK_MAX_LISTINGS = 2
    response = post(client, {"listings": [listing(f"S{n}") for n in range(3)]})
    assert (response.status_code, response.json()) == (
        400, {"errors": {"listings": ["Give a list of 1 to 2 listings."]}})


def test_a_burst_leaves_held_listings_as_they_are(client, hook_on, fake_screening, django_capture_on_commit_callbacks):
    fake_screening.outcome = "hold"
    post(client, listing("SHOP-1"))
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, {"listings": [listing("SHOP-1", title="New"), listing("SHOP-2")]})
    assert response.json()["refused"] == [{
        "listing": "SHOP-1", "status": "held",
        "error": "The listing is held for review; it can change once a reviewer has decided."}]
    assert Listing.objects.get(external_id="SHOP-1").title == "Trail running shoe"
