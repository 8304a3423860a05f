"""Deciding a held listing through the review workflow (decide_hold, decide_items), and appeals: a
removal keeps it down with a strike (a person decided), a rejected hold publishes it; nothing is ever
written to the case's submitter address; a closed case cannot be decided again."""

from datetime import timedelta

import pytest

from takedowns import dispatch, workflow
from takedowns.enums import (
    AppealStatus,
    Appellant,
    ClockKind,
    DecisionOutcome,
    EventKind,
    ItemState,
    ListingStatus,
    NoticeStatus,
    ScreeningTrigger,
)
from takedowns.models import Decision, Listing, Notice, OutboundEmail, SlaClock, Strike, TaskDispatch
from takedowns.screening.engine import Hit, Verdict
from takedowns.workflow import appeals, enforcement
from takedowns.workflow.appeals import AppealConflict
from tests.factories import routed

pytestmark = pytest.mark.django_db

REMOVE, REJECT = DecisionOutcome.REMOVE, DecisionOutcome.REJECT


@pytest.fixture
def held(screening, engine, pending, nike, now):
    """L-100003 held by the brand-term rule at `now`: its open case."""
    engine.verdict = Verdict("hold", (Hit("brand_term", "hold", right_id=nike.pk, term="Nike", field="title"),), None)
    return screening.listing_submitted(pending, ScreeningTrigger.CREATED, now).case


@pytest.fixture
def blocked(screening, engine, pending, now):
    engine.verdict = Verdict("block", (Hit("staydown_same_seller", "block", measure=0.9),), None)
    return screening.listing_submitted(pending, ScreeningTrigger.CREATED, now).case


def emails():
    return list(OutboundEmail.objects.order_by("id").values_list("kind", "to", "subject"))


def test_a_removal_keeps_the_listing_down_with_a_strike_and_a_statement(held, reviewers, fingerprinted, now):
    later = now + timedelta(hours=1)

    decision = workflow.decide_hold(held, reviewers["tm"], REMOVE, later, note="Fake sneakers.")

    held.refresh_from_db()
    assert (held.status, held.assigned_to, held.closed_at) == (NoticeStatus.CLOSED, reviewers["tm"], later)
    assert (decision.outcome, decision.decided_by, decision.automated_detection, decision.automated_decision,
            decision.explanation, decision.note) == (REMOVE, reviewers["tm"].user, True, False, "", "Fake sneakers.")
    assert held.items.get().state == ItemState.REMOVED
    strike = Strike.objects.get()
    assert (strike.notice, strike.seller.external_id) == (held, "S-2")
    review = SlaClock.objects.get(kind=ClockKind.SCREENING_REVIEW)
    assert (review.stopped_at, review.cancelled) == (later, False)
    assert emails() == [("statement_of_reasons", "bright@sellers.example",
                         "Your listing L-100003 was removed: statement of reasons")]
    body = OutboundEmail.objects.get().body_text
    assert "held the listing for review when it was submitted, as a suspected case of trademark misuse" in body
    assert "under trademark EU-000123 (EUIPO) owned by Nike Inc." in body
    assert "The listing was detected by automated means. The decision was taken by a person" in body
    assert "Reviewer's note: Fake sneakers." in body

    enforcement.record_takedown(decision.pk)

    listing = Listing.objects.get(external_id="L-100003")
    assert (listing.status, listing.published_at) == (ListingStatus.REMOVED, None)
    assert fingerprinted == [(decision.pk, Decision.objects.get().listing_removed_at)]


def test_rejecting_the_hold_publishes_the_listing_and_tells_nobody(held, reviewers, now,
                                                                   django_capture_on_commit_callbacks):
    later = now + timedelta(hours=2)

    with django_capture_on_commit_callbacks() as after_commit:
        decision = workflow.decide_hold(held, reviewers["tm"], REJECT, later)

    # The listing goes live in a task after commit (enforcement.record_publish), as a removal comes down.
    assert Listing.objects.get(external_id="L-100003").status == ListingStatus.HELD
    assert list(TaskDispatch.objects.values_list("task", "kwargs")) == [
        (dispatch.PUBLISH_LISTING, {"decision_id": decision.pk})]
    for callback in after_commit:
        callback()
    enforcement.record_publish(decision.pk)  # a second run (a retried task) changes nothing
    listing = Listing.objects.get(external_id="L-100003")
    assert listing.status == ListingStatus.ACTIVE and listing.published_at is not None
    assert (decision.outcome, decision.reason_code, decision.automated_detection) == (REJECT, None, True)
    held.refresh_from_db()
    assert held.status == NoticeStatus.CLOSED
    published = held.events.get(kind=EventKind.LISTING_PUBLISHED)
    assert (published.actor_kind, published.details["listing"], published.details["decision"]) == (
        "system", "L-100003", decision.pk)
    assert SlaClock.objects.get(kind=ClockKind.SCREENING_REVIEW).stopped_at == later
    assert not Strike.objects.exists()
    assert emails() == []


def test_a_decided_or_blocked_case_cannot_be_decided_again(held, screening, engine, reviewers, now):
    engine.verdict = Verdict("block", (Hit("staydown_same_seller", "block", measure=0.9),), None)
    blocked = screening.listing_submitted(Listing.objects.get(external_id="L-100004"), "created", now).case
    workflow.decide_hold(held, reviewers["tm"], REJECT, now)

    with pytest.raises(workflow.TransitionNotAllowed, match="there is nothing to claim"):
        workflow.decide_hold(Notice.objects.get(pk=held.pk), reviewers["cr"], REMOVE, now)
    with pytest.raises(workflow.TransitionNotAllowed, match="has no listing waiting for a decision"):
        workflow.decide_hold(Notice.objects.get(pk=held.pk), reviewers["tm"], REMOVE, now)
    with pytest.raises(workflow.TransitionNotAllowed, match="there is nothing to claim"):
        workflow.decide_hold(blocked, reviewers["tm"], REJECT, now)
    assert Decision.objects.filter(item__notice=blocked).count() == 1


def test_a_case_another_reviewer_works_is_refused(held, reviewers, now):
    workflow.claim_notice(held, reviewers["cr"], now)

    with pytest.raises(workflow.TransitionNotAllowed, match="already being worked by cr"):
        workflow.decide_hold(held, reviewers["tm"], REMOVE, now)


def test_a_notice_from_a_rights_holder_is_not_decided_from_the_screening_queue(catalogue, reviewers, now):
    notice = routed(now)

    with pytest.raises(workflow.TransitionNotAllowed, match="rights holder's notice"):
        workflow.decide_hold(notice, reviewers["tm"], REMOVE, now)


def test_hold_decide_and_appeal_write_only_to_the_seller(held, reviewers, other_reviewer, now):
    decision = workflow.decide_hold(held, reviewers["tm"], REMOVE, now)
    enforcement.record_takedown(decision.pk)

    appeal = appeals.file_appeal(decision=decision, appellant=Appellant.SELLER, text="They are genuine.",
                                 now=now + timedelta(days=1))
    with pytest.raises(AppealConflict):
        appeals.decide_appeal(appeal, reviewers["tm"], AppealStatus.REVERSED, "Receipts shown.", now)
    appeals.decide_appeal(appeal, other_reviewer, AppealStatus.REVERSED, "Receipts shown.", now + timedelta(days=2))
    enforcement.record_restore(decision.pk)

    assert [to for _kind, to, _subject in emails()] == ["bright@sellers.example"] * 3
    assert [kind for kind, _to, _subject in emails()] == ["statement_of_reasons", "appeal_received", "appeal_decided"]
    assert not OutboundEmail.objects.filter(to=held.submitter_email).exists()
    listing = Listing.objects.get(external_id="L-100003")
    assert listing.status == ListingStatus.ACTIVE and listing.published_at is not None
    assert Strike.objects.get().reversed_at == now + timedelta(days=2)
    assert held.events.filter(kind=EventKind.LISTING_PUBLISHED).count() == 1


def test_a_block_is_appealed_like_any_removal_and_its_reversal_publishes(blocked, reviewers, now):
    decision = Decision.objects.get(item__notice=blocked)

    assert workflow.counter_notices.legal.counter_notice_refusal(decision).startswith(
        "We removed listing L-100003 on our own initiative")
    appeal = appeals.file_appeal(decision=decision, appellant=Appellant.SELLER, text="A different product.",
                                 now=now + timedelta(hours=1))
    # Decided by the system user, not a person: any reviewer may decide the appeal.
    appeals.decide_appeal(appeal, reviewers["tm"], AppealStatus.REVERSED, "Not the same product.",
                          now + timedelta(hours=2))
    enforcement.record_restore(decision.pk)

    listing = Listing.objects.get(external_id="L-100003")
    assert listing.status == ListingStatus.ACTIVE and listing.published_at is not None
    assert not Strike.objects.exists()
    assert [kind for kind, _to, _subject in emails()] == ["statement_of_reasons", "appeal_received", "appeal_decided"]
    assert {to for _kind, to, _subject in emails()} == {"bright@sellers.example"}


def test_an_upheld_block_adds_no_strike(blocked, reviewers, now):
    decision = Decision.objects.get(item__notice=blocked)
    appeal = appeals.file_appeal(decision=decision, appellant=Appellant.SELLER, text="Mine.", now=now)

    appeals.decide_appeal(appeal, reviewers["tm"], AppealStatus.UPHELD, "It is the removed listing again.", now)

    assert not Strike.objects.exists()
    assert Listing.objects.get(external_id="L-100003").status == ListingStatus.BLOCKED


def test_the_penalty_of_a_strike_from_a_hold_names_the_own_initiative_case(held, reviewers, now):
    workflow.decide_hold(held, reviewers["tm"], REMOVE, now)
    penalty = Strike.objects.get().penalties.get()

    enforcement.apply_penalty(penalty.pk, now)

    email = OutboundEmail.objects.get(kind="penalty_statement")
    assert email.to == "bright@sellers.example"
    assert (f"The latest follows case {held.reference}, opened on our own initiative when our listing screening "
            "held a listing of yours, after which a reviewer removed it.") in email.body_text


def test_the_sellers_page_of_a_block_offers_the_appeal_and_no_counter_notice(client, blocked, now):
    decision = Decision.objects.get(item__notice=blocked)

    page = client.get(decision.seller_path()).content.decode()

    assert "The listing was blocked before it went live" in page
    assert "We acted on our own initiative (DSA Art. 17(3)(b))" in page
    assert 'id="counter-notice"' not in page
    assert 'id="file-appeal"' in page
    assert "it is decided by a person, not by automated means" in page


def test_a_rejected_hold_has_no_submitter_to_appeal_it(held, reviewers, now):
    decision = workflow.decide_hold(held, reviewers["tm"], REJECT, now)

    with pytest.raises(workflow.TransitionNotAllowed, match="it has no submitter to appeal"):
        appeals.file_appeal(decision=decision, appellant=Appellant.SUBMITTER, text="Why?", now=now)


def test_nobody_is_asked_about_a_held_listing(held, reviewers, now):
    workflow.claim_notice(held, reviewers["tm"], now)

    with pytest.raises(workflow.TransitionNotAllowed, match="it has no submitter to ask"):
        workflow.request_information(held, reviewers["tm"], [held.items.get().pk], "Receipts?", now)
    assert Notice.objects.get(pk=held.pk).status == NoticeStatus.IN_REVIEW
