"""The chunk path of a burst (listings_submitted, which workflow/listings.screen_pending calls) leaves exactly
the rows the one-listing path (listing_submitted) leaves for the same listings and verdicts: statuses, Screening
and ScreeningHit rows, cases with their items, events, decisions, clocks, e-mails and seller counters. And the
kill switch SCREENING_ENABLED: off, a listing is published as without screening, and no Screening is written."""

from decimal import Decimal

import pytest
from django.test import override_settings

from takedowns.enums import ListingStatus, ScreeningTrigger
from takedowns.models import Decision, Listing, Notice, Screening, Seller, SlaClock
from takedowns.screening.engine import Hit, Verdict
from takedowns.workflow import listings

pytestmark = pytest.mark.django_db

# Each listing of a set (the name after the set's prefix), its verdict, and the status it starts in.
PUBLISH = Verdict("publish", (), 77)
PUBLISH_WITH_HIT = Verdict("publish", (Hit("low_price", "publish", term="Nike", field="title", measure=0.4),), None)
BLOCK = Verdict("block", (Hit("staydown_same_seller", "block", field="title", fingerprint_id=None, measure=0.92),), 5)


def hold(right):
    return Verdict("hold", (Hit("brand_term", "hold", right_id=right.pk, term="Nike", field="title"),), 1234)


def plan(right):
    return {
        "clean": (PUBLISH, ListingStatus.PENDING),
        "live": (PUBLISH_WITH_HIT, ListingStatus.ACTIVE),
        "held": (hold(right), ListingStatus.PENDING),
        "blocked": (BLOCK, ListingStatus.PENDING),
        "removed": (PUBLISH, ListingStatus.REMOVED),
        "clean2": (PUBLISH, ListingStatus.PENDING),
    }


def make_set(prefix: str, seller: Seller, right, engine) -> list[Listing]:
    made = []
    for name, (verdict, status) in plan(right).items():
        made.append(Listing.objects.create(external_id=f"{prefix}{name}", seller=seller, title=f"N1ke {name}",
                                           category="shoes", price=Decimal("40.00"), status=status))
        engine.by_listing[f"{prefix}{name}"] = verdict
    return list(Listing.objects.select_related("seller").filter(pk__in=[listing.pk for listing in made])
                .order_by("pk"))


def _plain(value, prefix: str):
    """A value with what differs between two sets by construction left out: the prefix, and ids of rows."""
    if isinstance(value, dict):
        return {key: _plain(part, prefix) for key, part in value.items()
                if key not in ("screening", "decision", "clock_id")}
    if isinstance(value, list):
        return [_plain(part, prefix) for part in value]
    if isinstance(value, str):
        return value.replace(prefix, "")
    return value


def state(prefix: str) -> dict:
    found = {}
    for listing in Listing.objects.filter(external_id__startswith=prefix).order_by("pk"):
        screenings = [(one.trigger, one.outcome, one.screened_at, one.image_hash, one.case_id is not None,
                       [(hit.rule, hit.outcome, hit.right_id, hit.term, hit.field, hit.fingerprint_id, hit.measure)
                        for hit in one.hits.order_by("pk")])
                      for one in Screening.objects.filter(listing=listing).order_by("pk")]
        cases = []
        for case in Notice.objects.filter(items__listing=listing).distinct().order_by("pk"):
            cases.append((
                case.source, case.status, case.assigned_to_id, case.verified_right_id, case.right_type,
                case.description, case.due_at, case.closed_at, case.tracking_token,
                [(item.position, _plain(item.reported, prefix), item.reason, item.state, item.seller_id,
                  _plain(item.listing_snapshot, prefix)) for item in case.items.order_by("pk")],
                [(event.kind, event.actor_kind, event.from_status, event.to_status, _plain(event.details, prefix))
                 for event in case.events.order_by("pk")],
                [(decision.outcome, decision.automated_detection, decision.automated_decision, decision.legal_ground,
                  decision.decided_at, decision.listing_removed_at, decision.decided_by.username)
                 for decision in Decision.objects.filter(item__notice=case).order_by("pk")],
                [(clock.kind, clock.started_at, clock.due_at, clock.stopped_at)
                 for clock in SlaClock.objects.filter(notice=case).order_by("pk")],
                sorted((email.kind, email.to, _plain(email.subject, prefix)) for email in case.emails.all()),
            ))
        found[listing.external_id[len(prefix):]] = (listing.status, listing.published_at is not None,
                                                    listing.removed_at, screenings, cases)
    return found


def test_the_chunk_path_writes_what_the_one_listing_path_writes(screening, engine, fingerprinted, bright, nike, now):
    one_by_one, chunk = make_set("A-", bright, nike, engine), make_set("B-", bright, nike, engine)
    removed_before = Seller.objects.get(pk=bright.pk).removed_items

    singles = [screening.listing_submitted(listing, ScreeningTrigger.CREATED, now, picture=b"p")
               for listing in one_by_one]
    removed_single = Seller.objects.get(pk=bright.pk).removed_items - removed_before
    batched = screening.listings_submitted([(listing, b"p") for listing in chunk], ScreeningTrigger.CREATED, now)
    removed_chunk = Seller.objects.get(pk=bright.pk).removed_items - removed_before - removed_single

    assert engine.batches == [[listing.external_id for listing in chunk]]  # one screen_many for the chunk
    assert [one.listing.external_id for one in batched] == [listing.external_id for listing in chunk]
    assert [one.outcome for one in batched] == [one.outcome for one in singles]
    assert all(one.pk is not None for one in batched)
    single_state, chunk_state = state("A-"), state("B-")
    assert chunk_state == single_state
    assert {name: found[0] for name, found in chunk_state.items()} == {
        "clean": "active", "live": "active", "held": "held", "blocked": "blocked", "removed": "removed",
        "clean2": "active"}
    assert removed_chunk == removed_single == 1
    assert len(fingerprinted) == 2  # each set's block fingerprinted its listing


def test_a_chunk_joins_an_open_case_as_one_listing_would(screening, engine, fingerprinted, bright, nike, now):
    """A held listing with its case open, screened again in a chunk, joins its case (the one-by-one steps)."""
    listing = make_set("C-", bright, nike, engine)[2]  # C-held
    screening.listing_submitted(listing, ScreeningTrigger.CREATED, now)
    engine.by_listing["C-held"] = PUBLISH

    [again] = screening.listings_submitted([(listing, None)], ScreeningTrigger.CHANGED, now)

    assert again.case is not None and again.case.status == "in_review"
    assert Listing.objects.get(pk=listing.pk).status == ListingStatus.HELD
    assert Notice.objects.count() == 1


def test_the_burst_worker_screens_its_chunk_in_one_batch(screening, engine, bright, nike, now):
    chunk = make_set("D-", bright, nike, engine)

    assert listings.screen_pending([listing.pk for listing in chunk], ScreeningTrigger.CREATED, now) == 4

    # The pending listings only (screen_pending claims those), in one screen_many call.
    assert engine.batches == [["D-clean", "D-held", "D-blocked", "D-clean2"]]
    assert Listing.objects.get(external_id="D-clean").status == ListingStatus.ACTIVE


def test_the_chunk_publishes_through_the_adapter_one_by_one_when_it_cannot_at_once(screening, engine, bright, nike,
                                                                                    now, monkeypatch):
    from takedowns.marketplace import LocalCatalogue  # noqa: PLC0415 (the class whose method the test removes)
    monkeypatch.delattr(LocalCatalogue, "publish_many")
    chunk = make_set("E-", bright, nike, engine)

    screening.listings_submitted([(chunk[0], None), (chunk[5], None)], ScreeningTrigger.CREATED, now)

    assert set(Listing.objects.filter(external_id__in=["E-clean", "E-clean2"]).values_list("status", flat=True)) == {
        ListingStatus.ACTIVE}


# --- The kill switch. ---

@override_settings(SCREENING_ENABLED=False)
def test_screening_off_publishes_without_screening_and_records_nothing(screening, engine, pending, now):
    result = screening.listing_submitted(pending, ScreeningTrigger.CREATED, now, picture=b"png")

    assert engine.calls == []
    assert (result.pk, result.outcome, result.case, result.trigger) == (None, "publish", None, "created")
    listing = Listing.objects.get(pk=pending.pk)
    assert listing.status == ListingStatus.ACTIVE and listing.published_at is not None
    assert not Screening.objects.exists() and not Notice.objects.exists()


@override_settings(SCREENING_ENABLED=False)
def test_screening_off_leaves_a_held_or_removed_listing_as_it_is(screening, engine, catalogue, pending, now):
    Listing.objects.filter(pk=pending.pk).update(status=ListingStatus.HELD)

    held = screening.listing_submitted(pending, ScreeningTrigger.CHANGED, now)
    removed = screening.listing_submitted(catalogue["L-100005"], ScreeningTrigger.CHANGED, now)

    assert (held.outcome, removed.outcome) == ("hold", "block")
    assert Listing.objects.get(pk=pending.pk).status == ListingStatus.HELD
    assert Listing.objects.get(external_id="L-100005").status == ListingStatus.REMOVED
    assert engine.calls == [] and not Screening.objects.exists()


@override_settings(SCREENING_ENABLED=False)
def test_screening_off_a_burst_is_published_and_no_picture_is_read(screening, engine, bright, nike, now, monkeypatch):
    from takedowns.marketplace import LocalCatalogue  # noqa: PLC0415 (the class whose method the test replaces)
    read: list[str] = []
    monkeypatch.setattr(LocalCatalogue, "listing_picture", lambda self, listing: read.append(listing.external_id))
    chunk = make_set("F-", bright, nike, engine)

    assert listings.screen_pending([listing.pk for listing in chunk], ScreeningTrigger.CREATED, now) == 4

    assert read == [] and engine.calls == [] and not Screening.objects.exists()
    assert set(Listing.objects.filter(external_id__in=["F-clean", "F-held", "F-blocked", "F-clean2"])
               .values_list("status", flat=True)) == {ListingStatus.ACTIVE}


def test_a_chunk_claims_its_listings_rows_only_not_their_sellers(db):
    """Chunks of one seller's catalogue run at once in the worker's processes: the claim must not lock (and with
    SKIP LOCKED, skip listings behind) the seller's row, which the chunk in progress holds."""
    query = listings.claim_pending([1, 2]).query

    assert (query.select_for_update, query.select_for_update_skip_locked, query.select_for_update_of) == (
        True, True, ("self",))


def test_the_hook_with_screening_off_publishes_at_once_and_records_no_screening(client, settings, screening, engine):
    """The operator's kill switch as a marketplace sees it: the answer is publish, the listing is live."""
    from tests.marketplace.test_hook import TOKEN, listing, post  # noqa: PLC0415 (the hook tests' helpers)
    settings.MARKETPLACE_HOOK_TOKEN, settings.SCREENING_ENABLED = TOKEN, False

    response = post(client, listing("SHOP-OFF", title="N1ke Air"))

    assert (response.status_code, response.json()) == (200, {"listing": "SHOP-OFF", "outcome": "publish",
                                                             "case": None})
    live = Listing.objects.get(external_id="SHOP-OFF")
    assert live.status == ListingStatus.ACTIVE and live.published_at is not None
    assert engine.calls == [] and not Screening.objects.exists() and not Notice.objects.exists()
