"""A burst's worker side (workflow/listings.screen_pending, tasks.screen_listings): only listings still waiting
are screened, so a task published twice screens nothing twice."""

from decimal import Decimal
from pathlib import Path

import pytest

from takedowns import tasks
from takedowns.enums import ListingStatus
from takedowns.models import Listing, Screening
from takedowns.workflow.listings import ListingFields, import_listings, next_listing_id

pytestmark = pytest.mark.django_db
STATIC = Path(__file__).resolve().parents[2] / "static"


def fields(title: str) -> ListingFields:
    return ListingFields(title=title, description="", category="home", price=Decimal("9.99"), currency="EUR",
                         image="demo-listings/products/lamp.png")


def test_a_chunk_is_screened_once_whatever_the_task_is_published(catalogue, fake_screening, now):
    seller = catalogue["L-100001"].seller
    imported = import_listings([(seller, f"B-{n}", fields(f"Lamp {n}")) for n in range(3)], now)
    ids = list(imported.pending.values())
    Listing.objects.filter(pk=ids[0]).update(status=ListingStatus.ACTIVE)  # screened meanwhile by another run
    assert tasks.screen_listings(listing_ids=ids, trigger="created") == 2
    assert tasks.screen_listings(listing_ids=ids, trigger="created") == 0
    assert sorted(call[0] for call in fake_screening.calls) == ["B-1", "B-2"]
    assert Screening.objects.count() == 2
    assert {call[2] for call in fake_screening.calls} == {(STATIC / "demo-listings/products/lamp.png").stat().st_size}


def test_a_change_in_a_burst_is_screened_as_a_change(catalogue, fake_screening, now,
                                                     django_capture_on_commit_callbacks):
    seller = catalogue["L-100001"].seller
    with django_capture_on_commit_callbacks(execute=True):
        import_listings([(seller, "L-100001", fields("Listing 1, new")), (seller, "B-9", fields("New"))], now)
    assert sorted(call[:2] for call in fake_screening.calls) == [("B-9", "created"), ("L-100001", "changed")]
    assert Listing.objects.get(external_id="L-100001").title == "Listing 1, new"


def test_a_new_catalogue_listing_takes_the_number_after_the_highest(catalogue):
    seller = catalogue["L-100001"].seller
    for external_id in ("L-999999", "L-1000000", "SHOP-7", "L-12x"):
        Listing.objects.create(external_id=external_id, seller=seller, title="x", category="home", price=1)
    assert next_listing_id() == "L-1000001"
