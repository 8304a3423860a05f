"""listing_submitted: every verdict is a Screening row; a hold opens an own-initiative case, a block
closes one at once with an automated removal; nothing is ever written to the case's submitter."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model

from takedowns import workflow
from takedowns.enums import (
    ClockKind,
    DecisionOutcome,
    EventKind,
    ItemState,
    ListingStatus,
    NoticeSource,
    NoticeStatus,
    ScreeningTrigger,
)
from takedowns.models import Decision, Event, Listing, Notice, OutboundEmail, Screening, SlaClock, Strike
from takedowns.screening.engine import Hit, Verdict

pytestmark = pytest.mark.django_db


def held_by_term(right):
    return Verdict("hold", (Hit("brand_term", "hold", right_id=right.pk, term="Nike", field="title"),), 1234)


def blocked_as_relisting():
    return Verdict("block", (Hit("staydown_same_seller", "block", field="title", measure=0.92),), None)


def test_a_clean_listing_is_published_and_only_its_screening_is_recorded(screening, engine, pending, now):
    result = screening.listing_submitted(pending, ScreeningTrigger.CREATED, now, picture=b"png")

    assert engine.calls == [("L-100003", b"png")]
    assert (result.outcome, result.case, result.trigger, result.screened_at, result.image_hash) == (
        "publish", None, "created", now, None)
    assert list(result.hits.all()) == []
    listing = Listing.objects.get(pk=pending.pk)
    assert listing.status == ListingStatus.ACTIVE and listing.published_at is not None
    assert not Notice.objects.exists()
    assert not OutboundEmail.objects.exists()


def test_a_hold_opens_an_unassigned_own_initiative_case_with_the_screening_clock(screening, engine, pending, nike,
                                                                               now):
    engine.verdict = held_by_term(nike)

    result = screening.listing_submitted(pending, ScreeningTrigger.CREATED, now)

    listing = Listing.objects.get(pk=pending.pk)
    assert (listing.status, listing.published_at, listing.removed_at) == (ListingStatus.HELD, None, None)
    case = Notice.objects.get()
    assert result.case == case and result.outcome == "hold" and result.image_hash == 1234
    assert [(hit.rule, hit.outcome, hit.right_id, hit.term, hit.field) for hit in result.hits.all()] == [
        ("brand_term", "hold", nike.pk, "Nike", "title")]
    assert (case.source, case.status, case.assigned_to, case.tracking_token, case.confirmation_token) == (
        NoticeSource.SCREENING, NoticeStatus.IN_REVIEW, None, "", "")
    assert case.reference.startswith("TD-")
    assert (case.submitter_name, case.submitter_email, str(case.submitter_country), case.signature) == (
        "Takedown Portal demo marketplace", "takedowns@localhost", "DE", "")
    assert (case.right_type, case.right_registration_number, case.right_office, case.right_owner,
            case.verified_right) == ("trademark", "EU-000123", "EUIPO", "Nike Inc.", nike)
    assert case.good_faith_statement and case.accuracy_statement and case.closed_at is None
    assert "Brand name disguised in the listing (brand_term, hold); term \u201cNike\u201d; in title" in case.description
    item = case.items.get()
    assert (item.position, item.reported, item.reason, item.state, item.listing_id, item.seller_id) == (
        1, "L-100003", "trademark_misuse", ItemState.IN_REVIEW, pending.pk, pending.seller_id)
    assert item.listing_snapshot["title"] == "N1ke Air sneakers" and item.listing_snapshot["seller"] == "S-2"
    clock = SlaClock.objects.get()
    assert (clock.kind, clock.started_at, clock.due_at, clock.stopped_at) == (
        ClockKind.SCREENING_REVIEW, now, now + timedelta(hours=12), None)
    assert case.due_at == clock.due_at
    events = list(case.events.values_list("kind", "actor_kind", "to_status"))
    assert events == [(EventKind.SCREENING_HELD, "system", "in_review"), (EventKind.CLOCK_STARTED, "system", "")]
    held = case.events.get(kind=EventKind.SCREENING_HELD)
    assert held.details == {"listing": "L-100003", "screening": result.pk, "trigger": "created", "outcome": "hold",
                            "hits": [{"rule": "brand_term", "outcome": "hold", "right": nike.pk, "term": "Nike",
                                      "field": "title", "fingerprint": None, "measure": None}]}
    assert not OutboundEmail.objects.exists()
    assert not Decision.objects.exists()


def test_a_changed_listing_still_held_joins_its_open_case(screening, engine, pending, nike, now):
    engine.verdict = held_by_term(nike)
    first = screening.listing_submitted(pending, ScreeningTrigger.CREATED, now)
    Listing.objects.filter(pk=pending.pk).update(title="Nike Air sneakers, new photos")

    second = screening.listing_submitted(pending, ScreeningTrigger.CHANGED, now + timedelta(minutes=5))

    assert Notice.objects.count() == 1 and second.case == first.case
    assert Screening.objects.count() == 2 and SlaClock.objects.count() == 1
    item = first.case.items.get()
    assert item.listing_snapshot["title"] == "Nike Air sneakers, new photos"
    again = first.case.events.filter(kind=EventKind.SCREENING_HELD).order_by("id").last()
    assert again.details["again"] is True and again.details["trigger"] == "changed"


def test_a_clean_change_of_a_held_listing_waits_for_the_reviewer(screening, engine, pending, nike, now):
    engine.verdict = held_by_term(nike)
    first = screening.listing_submitted(pending, ScreeningTrigger.CREATED, now)
    engine.verdict = Verdict("publish", (), None)

    second = screening.listing_submitted(pending, ScreeningTrigger.CHANGED, now)

    assert (second.outcome, second.case) == ("publish", first.case)
    assert Listing.objects.get(pk=pending.pk).status == ListingStatus.HELD


def test_a_block_closes_its_case_at_once_with_an_automated_removal_and_no_strike(screening, engine, pending,
                                                                              fingerprinted, now):
    engine.verdict = blocked_as_relisting()

    result = screening.listing_submitted(pending, ScreeningTrigger.CREATED, now)

    listing = Listing.objects.get(pk=pending.pk)
    assert (listing.status, listing.published_at, listing.removed_at) == (ListingStatus.BLOCKED, None, now)
    case = Notice.objects.get()
    assert (result.case, result.outcome) == (case, "block")
    assert (case.source, case.status, case.closed_at, case.assigned_to, case.verified_right) == (
        NoticeSource.SCREENING, NoticeStatus.CLOSED, now, None, None)
    assert (case.right_type, case.right_registration_number) == ("trademark", "")
    item = case.items.get()
    assert (item.state, item.reason) == (ItemState.REMOVED, "counterfeit")
    decision = Decision.objects.get()
    system = get_user_model().objects.get(username="screening")
    assert not system.is_active and not system.has_usable_password()
    assert (decision.item, decision.outcome, decision.decided_by, decision.decided_at, decision.automated_detection,
            decision.automated_decision, decision.listing_removed_at, decision.explanation) == (
        item, DecisionOutcome.REMOVE, system, now, True, True, now, "")
    assert decision.legal_ground.startswith("Infringement of a registered trademark")
    assert decision.grounds and len(decision.seller_token) > 30
    assert list(case.events.values_list("kind", "to_status")) == [
        (EventKind.SCREENING_BLOCKED, "closed"), (EventKind.ITEM_DECIDED, "removed")]
    assert not Strike.objects.exists()
    assert not SlaClock.objects.exists()
    assert fingerprinted == [(decision.pk, now)]
    assert listing.seller.removed_items == 1
    email = OutboundEmail.objects.get()
    assert (email.kind, email.to, email.notice, email.subject) == (
        "statement_of_reasons", "bright@sellers.example", None,
        "Your listing L-100003 was blocked: statement of reasons")
    assert "we blocked your listing L-100003 \"N1ke Air sneakers\" before it went live" in email.body_text
    assert "We acted on our own initiative (DSA Art. 17(3)(b))" in email.body_text
    assert "The listing was detected by automated means. The decision was taken by automated means." in (
        email.body_text)
    assert "counter-notice" not in email.body_text
    assert "What the notice claimed" not in email.body_text
    assert "An automated block is no strike against your account." in email.body_text


def test_a_system_user_is_made_once(screening, engine, catalogue, bright, now):
    engine.verdict = blocked_as_relisting()
    for external_id in ("L-100003", "L-100004"):
        screening.listing_submitted(Listing.objects.get(external_id=external_id), ScreeningTrigger.CREATED, now)

    assert get_user_model().objects.filter(username="screening").count() == 1
    assert Notice.objects.filter(source=NoticeSource.SCREENING, status=NoticeStatus.CLOSED).count() == 2
    assert Event.objects.filter(kind=EventKind.SCREENING_BLOCKED).count() == 2


@pytest.mark.parametrize("status", [ListingStatus.REMOVED, ListingStatus.BLOCKED])
@pytest.mark.parametrize("outcome", ["publish", "hold", "block"])
def test_editing_a_listing_that_was_taken_down_does_not_bring_it_back(screening, engine, pending, nike, now,
                                                                      status, outcome):
    Listing.objects.filter(pk=pending.pk).update(status=status)
    engine.verdict = Verdict(outcome, (Hit("brand_term", outcome, right_id=nike.pk, term="Nike"),)
                             if outcome != "publish" else (), None)

    result = screening.listing_submitted(pending, ScreeningTrigger.CHANGED, now)

    assert (result.outcome, result.case) == (outcome, None)
    listing = Listing.objects.get(pk=pending.pk)
    assert (listing.status, listing.published_at) == (status, None)
    assert not Notice.objects.exists() and not OutboundEmail.objects.exists()


def test_a_held_listing_changed_into_a_relisting_is_blocked_in_its_own_case(screening, engine, pending, nike,
                                                                           reviewers, fingerprinted, now):
    engine.verdict = held_by_term(nike)
    case = screening.listing_submitted(pending, ScreeningTrigger.CREATED, now).case
    workflow.claim_notice(case, reviewers["tm"], now)
    engine.verdict = blocked_as_relisting()
    later = now + timedelta(minutes=10)

    result = screening.listing_submitted(pending, ScreeningTrigger.CHANGED, later)

    assert result.case == case and Notice.objects.count() == 1
    case.refresh_from_db()
    assert (case.status, case.closed_at) == (NoticeStatus.CLOSED, later)
    assert case.items.get().state == ItemState.REMOVED
    decision = Decision.objects.get()
    assert (decision.automated_decision, decision.decided_by.username) == (True, "screening")
    clock = SlaClock.objects.get(kind=ClockKind.SCREENING_REVIEW)
    assert (clock.stopped_at, clock.cancelled) == (later, False)
    reviewers["tm"].refresh_from_db()
    assert reviewers["tm"].open_load == 0
    assert Listing.objects.get(pk=pending.pk).status == ListingStatus.BLOCKED
    assert not Strike.objects.exists()
    assert fingerprinted == [(decision.pk, later)]
