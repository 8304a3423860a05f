"""The demo listing generator (issue 14): its script makes the planned kinds through the marketplace's entry
point — clean listings, the brand from a seller it did not authorise, the brand disguised, a price far below
the genuine one, and the relisting of a removed listing of the brand by the same seller — and sells now and then."""

import random

import pytest
from django.core.management import call_command

from takedowns.enums import ListingStatus
from takedowns.listing_generator import BRAND, CLEAN, DISGUISED, LOW_PRICE, RELIST, SCRIPT, Generator, disguise
from takedowns.models import Listing, Right
from takedowns.screening.text import normalise

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    settings.DEMO_MODE = True
    call_command("load_seeds")
    return Right.objects.get(reference="R-DEMO-1")


def run(generator: Generator, steps: int, now):
    return [generator.next(now) for _ in range(steps)]


def test_one_round_makes_the_planned_kinds(demo, fake_screening, now):
    fake_screening.by_title = {"AeroStride": "hold", "A3roStr1de": "hold"}
    made = run(Generator(random.Random(1)), len(SCRIPT), now)
    # Nothing of the brand was removed yet: the relisting's slot makes a clean listing.
    assert [one.kind for one in made] == [CLEAN, CLEAN, BRAND, CLEAN, DISGUISED, CLEAN, LOW_PRICE, CLEAN, CLEAN]
    brand, disguised, low = made[2].listing, made[4].listing, made[6].listing
    authorised = set(demo.authorised_sellers.values_list("pk", flat=True))
    assert brand.title == "AeroStride Runner sneakers" and brand.attributes == {"brand": "AeroStride"}
    assert brand.seller_id not in authorised and low.seller_id not in authorised
    assert disguised.title == "A3roStr1de running shoes" and "aerostride" in normalise(disguised.title)
    assert low.price == demo.price_min * 2 / 10 and brand.price == demo.price_min
    assert [one.screening.outcome for one in made if one.kind != CLEAN] == ["hold", "hold", "hold"]
    assert {one.listing.status for one in made if one.kind == CLEAN} == {ListingStatus.ACTIVE}
    assert all(call[1] == "created" and call[2] for call in fake_screening.calls)  # each with its picture's bytes


def test_a_removed_listing_of_the_brand_is_relisted_by_its_seller_once(demo, fake_screening, now):
    generator = Generator(random.Random(1))
    made = run(generator, 3, now)
    removed = made[2].listing
    Listing.objects.filter(pk=removed.pk).update(status=ListingStatus.REMOVED, removed_at=now)
    fake_screening.outcome = "block"
    relist = run(generator, len(SCRIPT) - 3, now)[-1]
    assert relist.kind == RELIST
    assert (relist.listing.seller_id, relist.listing.title, relist.listing.image, relist.listing.price) == (
        removed.seller_id, removed.title, removed.image, removed.price)
    assert relist.listing.external_id != removed.external_id and relist.listing.status == ListingStatus.BLOCKED
    second_round = run(generator, len(SCRIPT), now)
    assert second_round[-1].kind == CLEAN  # relisted once only
    assert f"relist    {relist.listing.external_id} by {removed.seller.external_id}" in relist.line()
    assert relist.line().endswith("-> block")


def test_a_live_listing_sells_every_third_step(demo, fake_screening, now):
    generator = Generator(random.Random(1))
    run(generator, 3, now)
    sold = generator.sell(now)
    sold.refresh_from_db()
    assert sold.status == ListingStatus.ACTIVE and sold.sales >= 1 and sold.first_sold_at is not None
    run(generator, 1, now)
    assert generator.sell(now) is None


def test_disguise_spells_the_brand_as_a_counterfeiter_does():
    assert disguise("AeroStride") == "A3roStr1de"


def test_the_command_prints_one_line_per_listing(demo, fake_screening, capsys, monkeypatch):
    # The command drops stale connections before each step (a long-running process); inside the test's own
    # transaction PostgreSQL's connection would count as stale (autocommit off) and be closed under the test.
    monkeypatch.setattr("takedowns.management.commands.generate_listings.close_old_connections", lambda: None)
    call_command("generate_listings", "--count", "3", "--every", "0", "--seed", "1")
    lines = capsys.readouterr().out.splitlines()
    listing_lines = [line for line in lines if not line.startswith(("sale", "Demo data", "  "))]
    assert [line.split()[0] for line in listing_lines][-3:] == ["clean", "clean", "brand"]
    assert listing_lines[-1].endswith("-> publish")


def test_the_command_refuses_outside_demo_mode(settings):
    settings.DEMO_MODE = False
    with pytest.raises(Exception, match="DEMO_MODE=true"):
        call_command("generate_listings", "--count", "1")
