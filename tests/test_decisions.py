"""Claiming and deciding: one reviewer per notice, one decision per listing, removal carried out
at the marketplace after commit, the submitter and the seller told."""

from unittest import mock

import pytest
from django.core import mail
from django.db import InterfaceError, OperationalError

from takedowns import workflow
from takedowns.enums import DecisionOutcome, EventKind, ItemState, NoticeStatus
from takedowns.marketplace import LocalCatalogue, MarketplaceUnavailable
from takedowns.models import Decision, Event, Listing, Notice, ReasonCode, Reviewer
from takedowns.tasks import enforce_removal
from tests.factories import file_notice, make_reviewer, routed

pytestmark = pytest.mark.django_db
REMOVE, REJECT = DecisionOutcome.REMOVE, DecisionOutcome.REJECT


@pytest.fixture
def notice(now, catalogue, reviewers):
    """A routed notice with two reviewable listings (L-100001, L-100002) and one not found."""
    for listing in catalogue.values():
        listing.seller.email = f"{listing.seller.external_id.lower()}@sellers.example"
        listing.seller.save()
    notice = routed(now, [("L-100001", "counterfeit"), ("L-100002", "trademark_misuse"), ("L-999999", "counterfeit")])
    assert notice.assigned_to == reviewers["tm"]
    mail.outbox.clear()
    return notice


def items_of(notice):
    return {item.position: item for item in notice.items.all()}


def test_deciding_every_listing_records_decisions_closes_the_notice_and_takes_the_listing_down(
        notice, reviewers, now, catalogue, django_capture_on_commit_callbacks):
    items = items_of(notice)
    code = ReasonCode.objects.get(code="genuine-goods")
    with django_capture_on_commit_callbacks(execute=True):
        workflow.decide_items(notice, reviewers["tm"], [
            workflow.ItemDecision(items[1].pk, REMOVE, note="Fake logo stitching, see test buy."),
            workflow.ItemDecision(items[2].pk, REJECT, reason_code=code),
        ], now)

    notice.refresh_from_db()
    assert (notice.status, notice.closed_at) == (NoticeStatus.CLOSED, now)
    assert {p: i.state for p, i in items_of(notice).items()} == {
        1: ItemState.REMOVED, 2: ItemState.REJECTED, 3: ItemState.NOT_FOUND}
    removal = Decision.objects.get(item=items[1])
    assert (removal.outcome, removal.reason_code, removal.decided_by, removal.decided_at,
            removal.automated_detection, removal.automated_decision) == (
        REMOVE, None, reviewers["tm"].user, now, False, False)
    assert removal.legal_ground.startswith("Infringement of a registered trademark")
    assert removal.explanation == notice.description
    assert "DE" in removal.territorial_scope and len(removal.seller_token) >= 43
    rejection = Decision.objects.get(item=items[2])
    assert (rejection.outcome, rejection.reason_code, rejection.seller_token, rejection.legal_ground) == (
        REJECT, code, "", "")

    # The takedown ran after commit, through the marketplace adapter.
    catalogue["L-100001"].refresh_from_db()
    assert catalogue["L-100001"].status == "removed"
    assert Decision.objects.get(pk=removal.pk).listing_removed_at is not None
    catalogue["L-100002"].refresh_from_db()
    assert catalogue["L-100002"].status == "active"

    kinds = list(Event.objects.filter(notice=notice, kind__in=[
        EventKind.ITEM_DECIDED, EventKind.CLOSED, EventKind.LISTING_REMOVED]).values_list(
        "kind", "item__position", "from_status", "to_status", "actor_kind"))
    assert kinds == [
        (EventKind.ITEM_DECIDED, 1, ItemState.IN_REVIEW, ItemState.REMOVED, "reviewer"),
        (EventKind.ITEM_DECIDED, 2, ItemState.IN_REVIEW, ItemState.REJECTED, "reviewer"),
        (EventKind.CLOSED, None, NoticeStatus.IN_REVIEW, NoticeStatus.CLOSED, "reviewer"),
        (EventKind.LISTING_REMOVED, 1, "", "", "system"),
    ]
    assert Reviewer.objects.get(pk=reviewers["tm"].pk).open_load == 0


def test_the_submitter_and_the_seller_are_told(notice, reviewers, now, django_capture_on_commit_callbacks):
    items = items_of(notice)
    code = ReasonCode.objects.get(code="registration-mismatch")
    with django_capture_on_commit_callbacks(execute=True):
        workflow.decide_items(notice, reviewers["tm"], [
            workflow.ItemDecision(items[1].pk, REMOVE),
            workflow.ItemDecision(items[2].pk, REJECT, reason_code=code, note="Brand on the listing is AEROSTAR."),
        ], now)
    assert sorted((m.to[0], m.subject) for m in mail.outbox) == [
        ("anna@aerostride.example", f"Notice {notice.reference}: decision on 2 listings"),
        ("s-1@sellers.example", "Your listing L-100001 was removed: statement of reasons"),
        ("s-1@sellers.example", "Your seller account: warning (statement of reasons)"),  # tests/test_penalties.py
    ]
    by_recipient = {tuple(m.to): m for m in mail.outbox if "listing" in m.subject}

    submitter = by_recipient[("anna@aerostride.example",)]
    assert submitter.subject == f"Notice {notice.reference}: decision on 2 listings"
    assert "1. L-100001\n   Decision: removed — the listing is being taken down at the marketplace." in submitter.body
    assert ("2. L-100002\n   Decision: rejected — The registration does not match the listing.\n"
            f"   What you can do: {code.submitter_text}\n"
            "   Reviewer's note: Brand on the listing is AEROSTAR.") in submitter.body
    assert "out-of-court dispute settlement body" in submitter.body
    assert code.submitter_text in submitter.alternatives[0][0]

    seller = by_recipient[("s-1@sellers.example",)]
    decision = Decision.objects.get(item=items[1])
    assert seller.subject == "Your listing L-100001 was removed: statement of reasons"
    for element in ("1. The measure", "Territorial scope: AT, BE", "2. Facts and circumstances",
                    f"notice from a rights holder (reference {notice.reference}", "3. Automated means",
                    "The decision was taken by a person, without automated means.", "4. Legal ground",
                    "5. Contractual ground", "6. Your options", "File a counter-notice",
                    f"https://portal.test/statement/{decision.pk}/{decision.seller_token}/"):
        assert element in seller.body
    assert "4. Legal ground" in seller.alternatives[0][0]
    # The seller's private link never shows on the submitter's tracking page.
    assert not notice.emails.filter(body_text__contains=decision.seller_token).exists()


def test_deciding_some_listings_keeps_the_notice_open(notice, reviewers, now):
    workflow.decide_items(notice, reviewers["tm"], [workflow.ItemDecision(items_of(notice)[1].pk, REMOVE)], now)
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.IN_REVIEW
    assert not notice.events.filter(kind=EventKind.CLOSED).exists()
    assert Reviewer.objects.get(pk=notice.assigned_to_id).open_load == 1


def test_a_decision_cannot_be_recorded_twice(notice, reviewers, now):
    item = items_of(notice)[1]
    workflow.decide_items(notice, reviewers["tm"], [workflow.ItemDecision(item.pk, REMOVE)], now)
    with pytest.raises(workflow.TransitionNotAllowed, match="a decision cannot be recorded twice"):
        workflow.decide_items(notice, reviewers["tm"], [workflow.ItemDecision(item.pk, REJECT)], now)
    assert Decision.objects.filter(item=item).count() == 1
    assert notice.events.filter(kind=EventKind.ITEM_DECIDED).count() == 1


def test_only_listings_waiting_for_a_decision_can_be_decided(notice, reviewers, now):
    with pytest.raises(workflow.TransitionNotAllowed, match="Listing 3 is 'Listing not found at the marketplace'"):
        workflow.decide_items(notice, reviewers["tm"], [workflow.ItemDecision(items_of(notice)[3].pk, REMOVE)], now)


def test_a_rejection_needs_a_reason_code_and_nothing_is_written_without_one(notice, reviewers, now):
    items = items_of(notice)
    with pytest.raises(workflow.TransitionNotAllowed, match="Listing 2: a rejection needs a reason code"):
        workflow.decide_items(notice, reviewers["tm"], [workflow.ItemDecision(items[1].pk, REMOVE),
                                                        workflow.ItemDecision(items[2].pk, REJECT)], now)
    assert not Decision.objects.exists()
    assert items_of(notice)[1].state == ItemState.IN_REVIEW


def test_only_the_assigned_reviewer_decides(notice, reviewers, now):
    with pytest.raises(workflow.TransitionNotAllowed, match="is not assigned to you"):
        workflow.decide_items(notice, reviewers["cr"], [workflow.ItemDecision(items_of(notice)[1].pk, REMOVE)], now)
    other = file_notice(now)
    with pytest.raises(workflow.TransitionNotAllowed, match="is not part of notice"):
        workflow.decide_items(notice, reviewers["tm"], [workflow.ItemDecision(other.items.get().pk, REMOVE)], now)
    assert not Decision.objects.exists()


def test_a_withdrawn_notice_cannot_be_decided(notice, reviewers, now):
    workflow.withdraw_notice(notice, now)
    with pytest.raises(workflow.TransitionNotAllowed, match="cannot be decided now"):
        workflow.decide_items(notice, reviewers["tm"], [workflow.ItemDecision(items_of(notice)[1].pk, REMOVE)], now)


def test_claiming_takes_an_unassigned_notice_and_refuses_a_second_reviewer(notice, reviewers, now):
    Notice.objects.filter(pk=notice.pk).update(assigned_to=None)  # e.g. its reviewer left
    Reviewer.objects.filter(pk=reviewers["tm"].pk).update(open_load=0)
    claimed = workflow.claim_notice(notice, reviewers["cr"], now)
    assert claimed.assigned_to == reviewers["cr"]
    assert Reviewer.objects.get(pk=reviewers["cr"].pk).open_load == 1
    event = notice.events.get(kind=EventKind.CLAIMED)
    assert (event.actor_kind, event.actor_user, event.details) == ("reviewer", reviewers["cr"].user, {"reviewer": "cr"})

    with pytest.raises(workflow.TransitionNotAllowed, match=f"Notice {notice.reference} is already being worked by cr"):
        workflow.claim_notice(notice, reviewers["tm"], now)
    assert workflow.claim_notice(notice, reviewers["cr"], now).assigned_to == reviewers["cr"]  # own claim: no-op
    assert notice.events.filter(kind=EventKind.CLAIMED).count() == 1
    assert Notice.objects.get(pk=notice.pk).assigned_to == reviewers["cr"]


def test_a_closed_notice_cannot_be_claimed(notice, reviewers, now):
    workflow.withdraw_notice(notice, now)
    with pytest.raises(workflow.TransitionNotAllowed, match="there is nothing to claim"):
        workflow.claim_notice(notice, make_reviewer("late", ["trademark"]), now)


def test_takedown_is_idempotent_and_retried_while_the_marketplace_is_down(notice, reviewers, now, catalogue):
    item = items_of(notice)[1]
    decision, = workflow.decide_items(notice, reviewers["tm"], [workflow.ItemDecision(item.pk, REMOVE)], now)
    with mock.patch.object(LocalCatalogue, "take_down", side_effect=MarketplaceUnavailable("503")):
        with pytest.raises(MarketplaceUnavailable):
            workflow.record_takedown(decision.pk)
    decision.refresh_from_db()
    assert decision.listing_removed_at is None
    assert Listing.objects.get(pk=catalogue["L-100001"].pk).status == "active"

    workflow.record_takedown(decision.pk)
    workflow.record_takedown(decision.pk)
    decision.refresh_from_db()
    removed = Listing.objects.get(pk=catalogue["L-100001"].pk)
    assert decision.listing_removed_at == removed.removed_at  # the marketplace's time, not the task's
    assert notice.events.get(kind=EventKind.LISTING_REMOVED).created_at == removed.removed_at
    assert workflow.record_takedown(10**9) is None


def test_the_removal_task_retries_only_an_unavailable_marketplace_or_database():
    assert enforce_removal.autoretry_for == (MarketplaceUnavailable, OperationalError, InterfaceError)
    assert enforce_removal.retry_backoff == 30 and enforce_removal.max_retries == 50
