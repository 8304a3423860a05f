"""Claiming and deciding: one reviewer per notice, one decision per listing, removal carried out
at the marketplace after commit, the submitter and the seller told."""

import re
from unittest import mock

import pytest
from django.core import mail
from django.db import InterfaceError, OperationalError
from django.utils.html import escape

from takedowns import emails, tdb, workflow
from takedowns.enums import REASONS_FOR_RIGHT, DecisionOutcome, EventKind, ItemState, NoticeStatus
from takedowns.marketplace import LocalCatalogue, MarketplaceUnavailable
from takedowns.models import Decision, Event, Listing, Notice, OutboundEmail, ReasonCode, RemovalGround, Reviewer
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


# --- The grounds of a removal (DSA Art. 17(3)(d)): ours, recorded per listing; the notice's claim quoted
# as the notifier's. ---

CLAIM = "These sneakers carry our mark but we never made them; a test buy proved it."  # tests/factories.py
TM_LEGAL_GROUND = ("Infringement of a registered trademark (EU Trade Mark Regulation 2017/1001 Art. 9 and the "
                   "national trademark law of the countries concerned)")


def test_the_statement_gives_the_reviewers_grounds_as_ours_and_quotes_the_notice_separately(
        notice, reviewers, now, django_capture_on_commit_callbacks):
    items = items_of(notice)
    grounds = ("The listing shows the registered word mark on the tongue and the box; the test-buy photos show "
               "stitching and a label the owner's genuine goods do not have (Art. 9(2)(a) EUTMR).")
    with django_capture_on_commit_callbacks(execute=True):
        workflow.decide_items(notice, reviewers["tm"], [workflow.ItemDecision(items[1].pk, REMOVE, grounds=grounds)],
                              now)
    removal = Decision.objects.get(item=items[1])
    assert (removal.grounds, removal.explanation, removal.legal_ground) == (grounds, CLAIM, TM_LEGAL_GROUND)
    statement, = [m for m in mail.outbox if m.subject == "Your listing L-100001 was removed: statement of reasons"]
    assert statement.to == ["s-1@sellers.example"]
    assert ("4. Legal ground\n"
            f"   {TM_LEGAL_GROUND}.\n"
            f"   Why we consider the listing infringing: {grounds}\n"
            "   What the notice claimed (the rights holder's words, quoted as they wrote them; not our finding):\n"
            f'   "{CLAIM}"\n\n'
            "5. Contractual ground\n") in statement.body
    html = statement.alternatives[0][0]
    assert f'<p id="our-grounds"><strong>Why we consider the listing infringing:</strong> {escape(grounds)}' in html
    assert "<strong>What the notice claimed</strong>" in html and f"{escape(CLAIM)}</blockquote>" in html
    assert "Why the listing is considered infringing" not in statement.body


def test_a_removal_recorded_without_grounds_gets_the_default_of_its_right_and_reason(notice, reviewers, now):
    items = items_of(notice)
    workflow.decide_items(notice, reviewers["tm"], [workflow.ItemDecision(items[1].pk, REMOVE),
                                                    workflow.ItemDecision(items[2].pk, REMOVE)], now)
    counterfeit, misuse = (Decision.objects.get(item=items[position]) for position in (1, 2))
    assert counterfeit.grounds == RemovalGround.objects.get(right_type="trademark", reason="counterfeit").text
    assert counterfeit.grounds.startswith("The listing offers goods bearing a sign identical with the registered "
                                          "trademark, for goods identical with those for which the mark is registered")
    assert misuse.grounds == RemovalGround.objects.get(right_type="trademark", reason="trademark_misuse").text
    assert CLAIM not in counterfeit.grounds + misuse.grounds


def test_a_rejection_records_no_grounds(notice, reviewers, now):
    items = items_of(notice)
    code = ReasonCode.objects.get(code="genuine-goods")
    workflow.decide_items(notice, reviewers["tm"], [
        workflow.ItemDecision(items[1].pk, REJECT, reason_code=code, grounds="not used")], now)
    assert (Decision.objects.get(item=items[1]).grounds, Decision.objects.get(item=items[1]).explanation) == ("", "")


def test_a_removal_decided_before_grounds_were_recorded_gets_the_standard_text_never_the_claim_as_ours(
        notice, reviewers, now):
    items = items_of(notice)
    workflow.decide_items(notice, reviewers["tm"], [workflow.ItemDecision(items[1].pk, REMOVE)], now)
    Decision.objects.filter(item=items[1]).update(grounds="")  # as every removal before issue 12
    OutboundEmail.objects.all().delete()
    statement = emails.statement_of_reasons(Decision.objects.get(item=items[1]))
    assert statement is not None and statement.to == "s-1@sellers.example"
    # The standard explanation of its right and reason, as the Transparency Database gets it (tdb.grounds_of).
    assert ("   Why we consider the listing infringing: The listing offers goods bearing a sign identical with, or "
            "indistinguishable from, the notified registered trademark, made without the trademark owner's consent "
            "(counterfeit goods). The marketplace reviewed the notice and the evidence supplied with it and found "
            "the infringement established.\n"
            "   What the notice claimed (the rights holder's words, quoted as they wrote them; not our finding):\n"
            f'   "{CLAIM}"') in statement.body_text
    assert f"infringing: {CLAIM}" not in statement.body_text


@pytest.mark.parametrize(("right_type", "reason"), [(right_type, reason) for right_type, reasons in
                                                    sorted(REASONS_FOR_RIGHT.items()) for reason in sorted(reasons)])
def test_every_right_and_reason_starts_with_grounds_that_cite_their_provision(right_type, reason):
    ground = RemovalGround.objects.get(right_type=right_type, reason=reason, is_active=True)
    assert ground.text.startswith("The listing ") and "without the" in ground.text
    assert re.search(r"Arts?\. \d+", ground.text), ground.text
    assert ground.text.endswith("We checked the notice and its evidence against the listing and found this "
                                "established.")
    assert len(ground.text) <= tdb.MAX_EXPLANATION
