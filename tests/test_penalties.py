"""The repeat-infringer ladder: strikes per notice, a penalty per strike applied at the marketplace
with its clock and statement, expiry, and reversal when a removal is restored."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.checks import run_checks

from takedowns import penalties, workflow
from takedowns.enums import ClockKind, EventKind, ItemState, PenaltyLevel, SellerAccount
from takedowns.marketplace import LocalCatalogue, MarketplaceUnavailable
from takedowns.models import Listing, OutboundEmail, Penalty, Seller, SlaClock, Strike
from takedowns.penalties import Step
from takedowns.workflow import appeals, enforcement
from tests.factories import REMOVE, apply_penalties, decided, routed

pytestmark = pytest.mark.django_db
LADDER = [Step(1, "warning"), Step(2, "restriction", 7), Step(3, "suspension", 30), Step(4, "termination")]


def test_the_default_ladder_reads_as_configured(settings):
    assert penalties.parse_ladder(settings.PENALTY_LADDER) == LADDER


@pytest.mark.parametrize("strikes, level", [(0, None), (1, "warning"), (2, "restriction"), (3, "suspension"),
                                            (4, "termination"), (9, "termination")])
def test_each_number_of_live_strikes_reaches_its_step(strikes, level):
    step = penalties.step_for(strikes, LADDER)
    assert (step.level if step else None) == level


@pytest.mark.parametrize("text, message", [
    ("", "has no steps"),
    ("1:warning, 2:fine", "the level must be one of"),
    ("1:restriction", "a restriction needs a number of days"),
    ("one:warning", "write strikes:level"),
    ("1:suspension:30, 2:warning", "equal or harsher penalty"),
    ("1:warning, 1:termination", "more strikes"),
])
def test_a_bad_ladder_is_refused_with_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        penalties.parse_ladder(text)


def test_the_seller_climbs_the_ladder_one_strike_per_notice(now, bright, reviewers):
    applied = []
    for n in range(4):
        at = now + timedelta(days=n)
        notice = decided(at, {"L-100003": REMOVE}, reviewers["tm"])
        penalty = Penalty.objects.get(strike__notice=notice)
        enforcement.apply_penalty(penalty.pk, at + timedelta(minutes=5))
        bright.refresh_from_db()
        applied.append((penalty.level, penalty.live_strikes, penalty.ends_at, bright.strike_count, bright.account,
                        bright.account_until))
    day = timedelta(days=1)
    assert applied == [
        ("warning", 1, None, 1, SellerAccount.ACTIVE, None),
        ("restriction", 2, now + day + timedelta(days=7), 2, SellerAccount.RESTRICTED, now + day + timedelta(days=7)),
        ("suspension", 3, now + 2 * day + timedelta(days=30), 3, SellerAccount.SUSPENDED,
         now + 2 * day + timedelta(days=30)),
        ("termination", 4, None, 4, SellerAccount.TERMINATED, None),
    ]
    clocks = SlaClock.objects.filter(kind=ClockKind.SELLER_PENALTY).order_by("started_at")
    assert [(c.elapsed, c.stopped_at <= c.due_at, c.cancelled) for c in clocks] == [
        (timedelta(minutes=5), True, False)] * 4
    # Every penalty of the ladder is an automated decision (DSA Art. 15(1)(e)).
    assert list(Penalty.objects.values_list("automated", flat=True)) == [True] * 4


def _penalty_statements() -> list[tuple[str, str, str]]:
    return list(OutboundEmail.objects.filter(kind="penalty_statement").order_by("pk")
                .values_list("to", "subject", "created_at"))


def test_the_ladder_stops_at_termination_until_the_termination_is_reversed(now, bright, reviewers, other_reviewer):
    day = timedelta(days=1)
    for n in range(4):
        decided(now + n * day, {"L-100003": REMOVE}, reviewers["tm"])
        apply_penalties(now + n * day)
    termination = Penalty.objects.get(level=PenaltyLevel.TERMINATION)
    statements = _penalty_statements()
    assert [subject for _, subject, _ in statements][-1] == (
        "Your seller account: termination of the account (statement of reasons)")

    # A fifth removal while the termination stands: the strike counts, but no penalty and no statement.
    fifth = decided(now + 4 * day, {"L-100003": REMOVE}, reviewers["tm"])
    apply_penalties(now + 4 * day)
    strike = Strike.objects.get(notice=fifth)
    bright.refresh_from_db()
    assert (bright.strike_count, enforcement.live_strikes(bright.pk), bright.account) == (
        5, 5, SellerAccount.TERMINATED)
    assert not Penalty.objects.filter(strike=strike).exists()
    assert Penalty.objects.filter(level=PenaltyLevel.TERMINATION).count() == 1
    assert _penalty_statements() == statements
    assert list(fifth.events.filter(kind__in=[EventKind.STRIKE_RECORDED, EventKind.PENALTY_NOT_DECIDED,
                                               EventKind.PENALTY_DECIDED]).order_by("pk")
                .values_list("kind", "details")) == [
        (EventKind.STRIKE_RECORDED, {"seller": "S-2", "strike": strike.pk, "live_strikes": 5}),
        (EventKind.PENALTY_NOT_DECIDED, {"seller": "S-2", "strike": strike.pk, "live_strikes": 5,
                                         "termination": termination.pk, "why": "the account is already terminated"}),
    ]
    clock = SlaClock.objects.get(kind=ClockKind.SELLER_PENALTY, strike=strike)
    assert (clock.stopped_at, clock.cancelled) == (now + 4 * day, True)  # nothing to apply: out of the figures

    # The termination is reversed on appeal: its strike no longer counts, and the ladder works again.
    appeal = appeals.file_appeal(penalty=termination, appellant="seller", text="The fourth report was false.",
                                 now=now + 5 * day)
    appeals.decide_appeal(appeal, other_reviewer, "reversed", "The fourth report came from a competitor.",
                          now + 6 * day)
    termination.refresh_from_db()
    assert termination.lifted_at == now + 6 * day
    sixth = decided(now + 7 * day, {"L-100003": REMOVE}, reviewers["tm"])
    apply_penalties(now + 7 * day)
    again = Penalty.objects.get(strike__notice=sixth)
    assert (again.level, again.live_strikes, again.applied_at, again.automated) == (
        PenaltyLevel.TERMINATION, 5, now + 7 * day, True)
    assert _penalty_statements() == [*statements, (
        "bright@sellers.example", "Your seller account: termination of the account (statement of reasons)",
        now + 7 * day)]
    bright.refresh_from_db()
    assert bright.account == SellerAccount.TERMINATED


def test_a_second_decision_round_on_the_same_notice_adds_no_strike(now, catalogue, reviewers):
    notice = routed(now, [("L-100003", "counterfeit"), ("L-100004", "counterfeit")])
    first, second = notice.items.order_by("position")
    workflow.decide_items(notice, reviewers["tm"], [workflow.ItemDecision(first.pk, "remove")], now)
    workflow.decide_items(notice, reviewers["tm"], [workflow.ItemDecision(second.pk, "remove")], now)
    assert Strike.objects.filter(notice=notice).count() == 1
    assert Penalty.objects.count() == 1
    assert Seller.objects.get(pk=catalogue["L-100003"].seller_id).strike_count == 3  # 2 in the fixture + 1
    events = list(notice.events.filter(kind__in=[EventKind.STRIKE_RECORDED, EventKind.PENALTY_DECIDED])
                  .values_list("kind", "details"))
    strike, penalty = Strike.objects.get(), Penalty.objects.get()
    assert events == [
        (EventKind.STRIKE_RECORDED, {"seller": "S-2", "strike": strike.pk, "live_strikes": 1}),
        (EventKind.PENALTY_DECIDED, {"seller": "S-2", "penalty": penalty.pk, "level": "warning", "live_strikes": 1,
                                     "duration": "no end date"}),
    ]


def test_applying_a_penalty_twice_acts_once_and_tells_the_seller_once(now, bright, reviewers,
                                                                        django_capture_on_commit_callbacks):
    decided(now, {"L-100003": REMOVE}, reviewers["tm"])
    decided(now, {"L-100003": REMOVE}, reviewers["tm"])
    penalty = Penalty.objects.get(level=PenaltyLevel.RESTRICTION)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        enforcement.apply_penalty(penalty.pk, now)
        enforcement.apply_penalty(penalty.pk, now + timedelta(hours=1))
    penalty.refresh_from_db()
    assert penalty.applied_at == now
    assert penalty.strike.notice.events.filter(kind=EventKind.PENALTY_APPLIED).count() == 1
    [message] = mail.outbox
    assert message.to == ["bright@sellers.example"]
    assert message.subject == "Your seller account: restriction on new listings (statement of reasons)"
    for element in ("1. The measure", "Restriction on new listings (your seller account).",
                    f"until {(now + timedelta(days=7)).strftime('%-d %B %Y')}", "You have 2 live strikes",
                    "3. Automated means", "applied automatically", "512(i)", "Art. 23", "6. Your options",
                    f"https://portal.test/penalty/{penalty.pk}/{penalty.seller_token}/"):
        assert element in message.body
    html = message.alternatives[0][0]
    assert "Restriction on new listings on your seller account: you cannot create new listings." in html


def test_an_unreachable_marketplace_leaves_the_penalty_to_retry(now, bright, reviewers):
    notice = decided(now, {"L-100003": REMOVE}, reviewers["tm"])
    penalty = Penalty.objects.get(strike__notice=notice)
    with mock.patch.object(LocalCatalogue, "apply_penalty", side_effect=MarketplaceUnavailable("503")):
        with pytest.raises(MarketplaceUnavailable):
            enforcement.apply_penalty(penalty.pk, now)
    penalty.refresh_from_db()
    assert penalty.applied_at is None
    assert SlaClock.objects.get(kind=ClockKind.SELLER_PENALTY).stopped_at is None


def test_strikes_expire_once_and_stop_counting(now, bright, reviewers, settings):
    settings.STRIKE_EXPIRY_DAYS = 30
    decided(now, {"L-100003": REMOVE}, reviewers["tm"])
    decided(now + timedelta(days=20), {"L-100003": REMOVE}, reviewers["tm"])
    assert enforcement.expire_strikes(now + timedelta(days=29)) == 0
    assert enforcement.expire_strikes(now + timedelta(days=31)) == 1
    assert enforcement.expire_strikes(now + timedelta(days=31)) == 0
    bright.refresh_from_db()
    assert bright.strike_count == 1 and enforcement.live_strikes(bright.pk) == 1
    # The next strike finds one live strike before it: restriction (2), not suspension (3).
    notice = decided(now + timedelta(days=32), {"L-100003": REMOVE}, reviewers["tm"])
    assert Penalty.objects.get(strike__notice=notice).level == PenaltyLevel.RESTRICTION


def test_a_restore_reverses_the_strike_lifts_its_penalty_and_puts_the_listing_back(now, bright, reviewers):
    decided(now, {"L-100003": REMOVE}, reviewers["tm"])
    notice = decided(now, {"L-100003": REMOVE}, reviewers["tm"])
    apply_penalties(now)
    bright.refresh_from_db()
    assert bright.account == SellerAccount.RESTRICTED
    decision = notice.items.get().decision
    events = []
    enforcement.order_restore(decision, workflow.SYSTEM, now, "counter-notice window ended", events)
    enforcement.sync_seller_account(bright.pk, now)  # the task run after commit
    enforcement.record_restore(decision.pk)

    bright.refresh_from_db()
    decision.refresh_from_db()
    assert (bright.strike_count, bright.account, bright.account_until) == (1, SellerAccount.ACTIVE, None)
    assert decision.item.state == ItemState.RESTORED
    assert decision.listing_restored_at is not None
    assert Listing.objects.get(external_id="L-100003").status == "active"
    assert Strike.objects.get(notice=notice).reversed_at == now
    lifted = Penalty.objects.get(strike__notice=notice)
    assert (lifted.lifted_at, lifted.lift_reason) == (now, "counter-notice window ended")
    # The takedown never ran here (no commit), so its clock is stopped as cancelled.
    assert [(e.kind, e.details.get("clock")) for e in events] == [
        (EventKind.LISTING_RESTORED, None), (EventKind.CLOCK_STOPPED, "takedown_executed"),
        (EventKind.STRIKE_REVERSED, None), (EventKind.PENALTY_LIFTED, None)]
    with pytest.raises(workflow.TransitionNotAllowed, match="cannot be restored|still stands"):
        enforcement.order_restore(decision, workflow.SYSTEM, now, "again", [])


def test_the_penalty_page_needs_its_token(client, now, bright, reviewers):
    notice = decided(now, {"L-100003": REMOVE}, reviewers["tm"])
    penalty = Penalty.objects.get(strike__notice=notice)
    enforcement.apply_penalty(penalty.pk, now)
    page = client.get(penalty.seller_path()).content.decode()
    assert "Statement of reasons: warning" in page and "You have 1 live strike" in page
    assert client.get(f"/penalty/{penalty.pk}/wrong-token/").status_code == 404


def test_a_bad_ladder_setting_fails_the_start_up_check(settings):
    settings.PENALTY_LADDER = "1:warning, 2:fine"
    [error] = [e for e in run_checks() if e.id == "takedowns.E001"]
    assert error.msg.startswith("PENALTY_LADDER: Penalty ladder step '2:fine': the level must be one of")


def test_the_submitters_tracking_page_keeps_the_sellers_account_private(client, now, bright, reviewers):
    notice = decided(now, {"L-100003": REMOVE}, reviewers["tm"])
    penalty = Penalty.objects.get(strike__notice=notice)
    enforcement.apply_penalty(penalty.pk, now)
    appeals.file_appeal(penalty=penalty, appellant="seller", text="The listing was a genuine product.", now=now)
    page = client.get(notice.tracking_path()).content.decode()
    for private in ("Strike recorded", "Seller penalty", "Appeal filed", "Seller penalty applied", "warning"):
        assert private not in page
    assert 'data-clock="seller_penalty"' not in page and 'data-clock="appeal_decision"' not in page
    assert 'data-clock="takedown_executed"' in page


def test_a_termination_decided_but_not_yet_applied_already_stops_the_ladder(now, bright, reviewers):
    """The task that applies the termination may not have run when the next removal comes: the
    decided termination stands all the same (one termination, one statement to come)."""
    for n in range(5):
        decided(now + timedelta(hours=n), {"L-100003": REMOVE}, reviewers["tm"])
    assert list(Penalty.objects.order_by("pk").values_list("level", "applied_at")) == [
        ("warning", None), ("restriction", None), ("suspension", None), ("termination", None)]
    assert Strike.objects.count() == 5
    apply_penalties(now + timedelta(hours=5))
    assert OutboundEmail.objects.filter(kind="penalty_statement", subject__contains="termination").count() == 1
