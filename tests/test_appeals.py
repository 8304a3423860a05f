"""Appeals (DSA Art. 20): who may appeal what and until when, once per side; decided by someone who
took no part in the original; what a reversal undoes; the events, the clock and the e-mails."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core import mail
from django.db import IntegrityError
from django.template import Context, Template
from django.utils import timezone, translation

from takedowns import appeal_rules, legal, notifier_ladder, workflow
from takedowns.enums import (
    AppealStatus,
    ClockKind,
    EventKind,
    ItemState,
    ListingStatus,
    NoticeStatus,
    SellerAccount,
)
from takedowns.models import (
    Appeal,
    Decision,
    Listing,
    Notice,
    NoticeItem,
    NotifierMeasure,
    OutboundEmail,
    Penalty,
    ReasonCode,
    Reviewer,
    SlaClock,
    Strike,
    Submitter,
)
from takedowns.workflow import appeals, enforcement
from tests.commands import run_manage
from tests.factories import (
    REJECT,
    REMOVE,
    SELLER_APPEAL_TEXT,
    SUBMITTER_APPEAL_TEXT,
    apply_penalties,
    decided,
    decision_of,
    make_reviewer,
    put_back_online,
    routed,
)

pytestmark = pytest.mark.django_db
DAY = timedelta(days=1)


def events_after(notice, moment):
    return [(e.kind, e.actor_kind, e.item_id, e.from_status, e.to_status, e.details)
            for e in notice.events.filter(created_at__gte=moment).order_by("created_at", "id")]


def emails_after(moment):
    return [(e.kind, e.to, e.notice_id, e.subject) for e in OutboundEmail.objects.filter(created_at__gte=moment)
            .order_by("created_at", "id")]


# --- Filing. ---

def test_a_seller_appeals_a_removal_and_gets_a_receipt_off_the_tracking_page(now, bright, reviewers):
    notice = decided(now, {"L-100003": REMOVE}, reviewers["tm"])
    decision = decision_of(notice)
    at = now + 2 * DAY
    appeal = appeals.file_appeal(decision=decision, appellant="seller", text=f"  {SELLER_APPEAL_TEXT}\n", now=at)

    appeal.refresh_from_db()
    assert (appeal.decision_id, appeal.penalty_id, appeal.appellant, appeal.text, appeal.filed_at, appeal.status) == (
        decision.pk, None, "seller", SELLER_APPEAL_TEXT, at, AppealStatus.FILED)
    clock = SlaClock.objects.get(kind=ClockKind.APPEAL_DECISION)
    assert (clock.appeal_id, clock.notice_id, clock.item_id, clock.started_at, clock.due_at, clock.stopped_at) == (
        appeal.pk, notice.pk, decision.item_id, at, at + 7 * DAY, None)
    subject = {"appeal": appeal.pk, "appellant": "seller", "decision": decision.pk, "penalty": None}
    assert events_after(notice, at) == [
        (EventKind.APPEAL_FILED, "seller", decision.item_id, "", "", subject),
        (EventKind.CLOCK_STARTED, "system", decision.item_id, "", "", {
            "clock": "appeal_decision", "clock_id": clock.pk, "due_at": clock.due_at.isoformat(),
            "target": "7 days, 0:00:00", "started_at": at.isoformat(), "policy": str(clock.policy)}),
    ]
    # To the seller only, and not attached to the notice: the tracking page must not show the seller's link.
    assert emails_after(at) == [("appeal_received", "bright@sellers.example", None,
                                 "Appeal received: removal of your listing L-100003")]
    body = OutboundEmail.objects.get(kind="appeal_received").body_text
    for element in ("Hello Bright Store,", "internal complaint, EU Digital Services Act Art. 20",
                    'the removal of your listing L-100003 "Listing 3"', f"on notice {notice.reference}",
                    SELLER_APPEAL_TEXT, "free of charge", "took no part in the original decision",
                    f"decide it by {clock.due_at.strftime('%-d %B %Y, %H:%M')}",
                    f"https://portal.test/statement/{decision.pk}/{decision.seller_token}/"):
        assert element in body


def test_a_submitter_appeals_a_rejection_and_the_receipt_shows_on_the_tracking_page(now, bright, reviewers):
    notice = decided(now, {"L-100003": REJECT}, reviewers["tm"])
    decision = decision_of(notice)
    appeal = appeals.file_appeal(decision=decision, appellant="submitter", text=SUBMITTER_APPEAL_TEXT, now=now + DAY)

    assert Appeal.objects.get().pk == appeal.pk
    assert [e[0] for e in events_after(notice, now + DAY)] == [EventKind.APPEAL_FILED, EventKind.CLOCK_STARTED]
    assert notice.events.get(kind=EventKind.APPEAL_FILED).actor_kind == "submitter"
    assert emails_after(now + DAY) == [("appeal_received", "anna@aerostride.example", notice.pk,
                                        f"Notice {notice.reference}: appeal received for listing 1")]
    body = OutboundEmail.objects.get(kind="appeal_received").body_text
    for element in ("Hello Anna Berger,", f"the rejection of listing 1 of your notice {notice.reference}, L-100003",
                    "Genuine goods", SUBMITTER_APPEAL_TEXT, f"https://portal.test{notice.tracking_path()}"):
        assert element in body


def test_a_seller_appeals_a_penalty(now, bright, reviewers):
    notice = decided(now, {"L-100003": REMOVE}, reviewers["tm"])
    penalty = Penalty.objects.get()
    appeal = appeals.file_appeal(penalty=penalty, appellant="seller", text=SELLER_APPEAL_TEXT, now=now + DAY)

    assert (appeal.penalty_id, appeal.decision_id) == (penalty.pk, None)
    filed = notice.events.get(kind=EventKind.APPEAL_FILED)
    assert (filed.item_id, filed.details) == (None, {"appeal": appeal.pk, "appellant": "seller", "decision": None,
                                                     "penalty": penalty.pk})
    assert SlaClock.objects.get(kind=ClockKind.APPEAL_DECISION).appeal_id == appeal.pk
    assert emails_after(now + DAY) == [("appeal_received", "bright@sellers.example", None,
                                        "Appeal received: the measure on your seller account (warning)")]
    assert f"https://portal.test/penalty/{penalty.pk}/{penalty.seller_token}/" in \
        OutboundEmail.objects.get(kind="appeal_received").body_text


@pytest.mark.parametrize("outcome, against, appellant, message", [
    (REJECT, "decision", "seller", "A rejected report can only be appealed by the submitter who filed it."),
    (REMOVE, "decision", "submitter", "A removal can only be appealed by the seller of the listing; "
                                      "a submitter can appeal a rejection."),
    (REMOVE, "penalty", "submitter", "A penalty on a seller's account can only be appealed by the seller."),
])
def test_any_other_combination_is_refused_with_why(now, bright, reviewers, outcome, against, appellant, message):
    notice = decided(now, {"L-100003": outcome}, reviewers["tm"])
    subject = {"penalty": Penalty.objects.get()} if against == "penalty" else {"decision": decision_of(notice)}
    with pytest.raises(workflow.TransitionNotAllowed) as refused:
        appeals.file_appeal(**subject, appellant=appellant, text=SELLER_APPEAL_TEXT, now=now)
    assert str(refused.value) == message
    assert not Appeal.objects.exists() and not SlaClock.objects.filter(kind=ClockKind.APPEAL_DECISION).exists()


# DSA Art. 20(1): "at least six months following the decision", counted in calendar months as EU law counts
# periods (Regulation 1182/71 Art. 3(2)(c)): to the end of the same date six months later, or of the month's
# last day. Each case: the decision, the last moment an appeal is accepted (site time zone UTC).
END = time(23, 59, 59, 999999)


@pytest.mark.parametrize("decided_at, last", [
    # March, May, July, August: 183 days fell one day short of six months.
    (datetime(2026, 3, 1, 12, 0, tzinfo=UTC), datetime.combine(date(2026, 9, 1), END, UTC)),
    (datetime(2026, 3, 15, 9, 30, tzinfo=UTC), datetime.combine(date(2026, 9, 15), END, UTC)),
    (datetime(2026, 3, 31, 23, 59, tzinfo=UTC), datetime.combine(date(2026, 9, 30), END, UTC)),
    (datetime(2026, 5, 1, 0, 0, tzinfo=UTC), datetime.combine(date(2026, 11, 1), END, UTC)),
    (datetime(2026, 5, 31, 8, 0, tzinfo=UTC), datetime.combine(date(2026, 11, 30), END, UTC)),
    (datetime(2026, 7, 1, 12, 0, tzinfo=UTC), datetime.combine(date(2027, 1, 1), END, UTC)),
    (datetime(2026, 7, 31, 12, 0, tzinfo=UTC), datetime.combine(date(2027, 1, 31), END, UTC)),
    (datetime(2026, 8, 1, 12, 0, tzinfo=UTC), datetime.combine(date(2027, 2, 1), END, UTC)),
    # 31 August: February has no 31st, so the window ends with its last day (29th in a leap year).
    (datetime(2028, 8, 31, 12, 0, tzinfo=UTC), datetime.combine(date(2029, 2, 28), END, UTC)),
    (datetime(2027, 8, 31, 12, 0, tzinfo=UTC), datetime.combine(date(2028, 2, 29), END, UTC)),
    # 29 February: 29 August; and across the year's end.
    (datetime(2028, 2, 29, 18, 0, tzinfo=UTC), datetime.combine(date(2028, 8, 29), END, UTC)),
    (datetime(2026, 12, 31, 23, 0, tzinfo=UTC), datetime.combine(date(2027, 6, 30), END, UTC)),
])
def test_the_appeal_window_is_six_calendar_months_to_the_end_of_the_day(decided_at, last):
    assert legal.appeal_deadline(decided_at) == last


def test_the_appeal_window_counts_dates_in_the_site_time_zone(settings):
    # 31 Aug 2028, 23:30 UTC is already 1 September in Berlin: the window runs to the end of 1 March, Berlin.
    decided_at = datetime(2028, 8, 31, 23, 30, tzinfo=UTC)
    settings.TIME_ZONE = "Europe/Berlin"
    assert legal.appeal_deadline(decided_at) == datetime(2029, 3, 1, 22, 59, 59, 999999, tzinfo=UTC)
    settings.TIME_ZONE = "UTC"
    assert legal.appeal_deadline(decided_at) == datetime.combine(date(2029, 2, 28), END, UTC)


# Before legal.APPEAL_MONTH_RULE_FROM (6 Dec 2026, 00:00 UTC) statements promised "within 183 days of the
# decision": a decision taken before it keeps the later of that promise and the six calendar months.
@pytest.mark.parametrize("decided_at, last", [
    # The promise wins: 2 Nov + 183 days is 4 May 12:00; six months end with 2 May.
    (datetime(2026, 11, 2, 12, 0, tzinfo=UTC), datetime(2027, 5, 4, 12, 0, tzinfo=UTC)),
    (datetime(2026, 8, 31, 12, 0, tzinfo=UTC), datetime(2027, 3, 2, 12, 0, tzinfo=UTC)),
    # The last moment before the cut-over: 183 days (6 June, 23:59:59) beat the end of 5 June.
    (datetime(2026, 12, 5, 23, 59, 59, tzinfo=UTC), datetime(2027, 6, 6, 23, 59, 59, tzinfo=UTC)),
    # The month rule wins: 31 March + 183 days is 30 September 10:00, six months end with that day.
    (datetime(2026, 3, 31, 10, 0, tzinfo=UTC), datetime.combine(date(2026, 9, 30), END, UTC)),
    # From the cut-over on, the month rule alone: 183 days would run to 7 June 00:00.
    (datetime(2026, 12, 6, 0, 0, tzinfo=UTC), datetime.combine(date(2027, 6, 6), END, UTC)),
    (datetime(2027, 11, 2, 12, 0, tzinfo=UTC), datetime.combine(date(2028, 5, 2), END, UTC)),
])
def test_a_decision_before_the_month_rule_keeps_the_183_days_it_was_promised(decided_at, last):
    assert legal.appeal_deadline(decided_at) == last
    assert notifier_ladder.appeal_deadline(NotifierMeasure(decided_at=decided_at)) == last


@pytest.mark.parametrize("against", ["removal", "penalty"])
def test_an_appeal_against_an_old_decision_is_accepted_until_the_promised_day(bright, reviewers, against):
    notice = decided(datetime(2026, 11, 2, 12, 0, tzinfo=UTC), {"L-100003": REMOVE}, reviewers["tm"])
    subject = {"penalty": Penalty.objects.get()} if against == "penalty" else {"decision": decision_of(notice)}
    promised = datetime(2027, 5, 4, 12, 0, tzinfo=UTC)
    with pytest.raises(workflow.TransitionNotAllowed) as refused:
        appeals.file_appeal(**subject, appellant="seller", text=SELLER_APPEAL_TEXT,
                            now=promised + timedelta(microseconds=1))
    assert str(refused.value) == ("The time to appeal ended on 4 May 2027, 12:00 UTC: an appeal can be filed "
                                  "within 6 months of the decision.")
    appeal = appeals.file_appeal(**subject, appellant="seller", text=SELLER_APPEAL_TEXT, now=promised)
    assert (appeal.filed_at, Appeal.objects.count()) == (promised, 1)


@pytest.mark.parametrize("against", ["removal", "rejection", "penalty"])
def test_an_appeal_is_open_to_the_end_of_the_same_date_six_months_later(bright, reviewers, against):
    decided_at = datetime(2026, 3, 31, 10, 0, tzinfo=UTC)
    notice = decided(decided_at, {"L-100003": REJECT if against == "rejection" else REMOVE}, reviewers["tm"])
    subject = {"penalty": Penalty.objects.get()} if against == "penalty" else {"decision": decision_of(notice)}
    appellant = "submitter" if against == "rejection" else "seller"
    last = datetime.combine(date(2026, 9, 30), END, UTC)
    with pytest.raises(workflow.TransitionNotAllowed) as refused:
        appeals.file_appeal(**subject, appellant=appellant, text=SELLER_APPEAL_TEXT,
                            now=datetime(2026, 10, 1, 0, 0, tzinfo=UTC))
    assert str(refused.value) == ("The time to appeal ended on 30 September 2026, 23:59 UTC: an appeal can be filed "
                                  "within 6 months of the decision.")
    assert not Appeal.objects.exists()
    # 183 days after the decision (30 September, 10:00) was the old end; the appeal is still open then and after.
    assert appeals.file_appeal(**subject, appellant=appellant, text=SELLER_APPEAL_TEXT, now=last).filed_at == last


def test_a_longer_window_in_the_settings_keeps_appeals_open_longer(bright, reviewers, settings):
    settings.APPEAL_WINDOW_MONTHS = 12
    decided_at = datetime(2026, 3, 31, 10, 0, tzinfo=UTC)
    notice = decided(decided_at, {"L-100003": REMOVE}, reviewers["tm"])
    assert appeal_rules.deadline(decision=decision_of(notice)) == datetime.combine(date(2027, 3, 31), END, UTC)
    appeal = appeals.file_appeal(decision=decision_of(notice), appellant="seller", text=SELLER_APPEAL_TEXT,
                                 now=datetime(2027, 3, 31, 23, 0, tzinfo=UTC))
    assert appeal.pk is not None


@pytest.mark.parametrize("env, message", [
    ({"APPEAL_WINDOW_MONTHS": "5"}, "Configuration error: APPEAL_WINDOW_MONTHS=5 must be at least 6: appeals stay "
                                    "open for at least six months (DSA Art. 20)."),
    ({"APPEAL_WINDOW_MONTHS": "six"}, "Configuration error: APPEAL_WINDOW_MONTHS='six' is not a whole number."),
    ({"APPEAL_WINDOW_DAYS": "183"}, "Configuration error: APPEAL_WINDOW_DAYS is gone: the appeal window is counted "
                                    "in calendar months, set APPEAL_WINDOW_MONTHS (at least 6, DSA Art. 20)."),
])
def test_a_window_under_six_months_stops_the_start(env, message):
    result = run_manage({"DEBUG": "true", **env}, "check")
    assert result.returncode == 1
    assert result.stderr.strip() == message


def test_one_appeal_per_decision_and_side_a_resent_form_does_nothing(now, bright, reviewers):
    notice = decided(now, {"L-100003": REMOVE}, reviewers["tm"])
    decision = decision_of(notice)
    first = appeals.file_appeal(decision=decision, appellant="seller", text=SELLER_APPEAL_TEXT, now=now)
    again = appeals.file_appeal(decision=decision, appellant="seller", text=SELLER_APPEAL_TEXT, now=now + DAY)
    assert again.pk == first.pk and again.filed_at == now
    with pytest.raises(workflow.TransitionNotAllowed, match="You appealed this decision on .*; a decision can be "
                                                             r"appealed once \(waiting for a decision\)\."):
        appeals.file_appeal(decision=decision, appellant="seller", text="Something else entirely, said later.",
                            now=now + DAY)
    assert Appeal.objects.count() == 1
    assert notice.events.filter(kind=EventKind.APPEAL_FILED).count() == 1
    assert OutboundEmail.objects.filter(kind="appeal_received").count() == 1
    assert SlaClock.objects.filter(kind=ClockKind.APPEAL_DECISION).count() == 1
    with pytest.raises(IntegrityError):  # the database's backstop
        Appeal.objects.create(decision=decision, appellant="seller", text="x", filed_at=now)


def test_one_appeal_per_penalty(now, bright, reviewers):
    decided(now, {"L-100003": REMOVE}, reviewers["tm"])
    penalty = Penalty.objects.get()
    appeals.file_appeal(penalty=penalty, appellant="seller", text=SELLER_APPEAL_TEXT, now=now)
    with pytest.raises(workflow.TransitionNotAllowed, match="a decision can be appealed once"):
        appeals.file_appeal(penalty=penalty, appellant="seller", text="Another go at the same penalty.", now=now)
    with pytest.raises(IntegrityError):
        Appeal.objects.create(penalty=penalty, appellant="seller", text="x", filed_at=now)


def test_an_empty_appeal_is_refused(now, bright, reviewers):
    notice = decided(now, {"L-100003": REMOVE}, reviewers["tm"])
    with pytest.raises(workflow.TransitionNotAllowed, match="Write why you think the decision is wrong."):
        appeals.file_appeal(decision=decision_of(notice), appellant="seller", text="  \n", now=now)


# --- Who decides. ---

def test_the_reviewer_of_a_removal_cannot_decide_its_appeal(now, bright, reviewers):
    notice = decided(now, {"L-100003": REMOVE}, reviewers["tm"])
    appeal = appeals.file_appeal(decision=decision_of(notice), appellant="seller", text=SELLER_APPEAL_TEXT, now=now)
    with pytest.raises(appeals.AppealConflict) as refused:
        appeals.decide_appeal(appeal, reviewers["tm"], "reversed", "Looks genuine after all.", now + DAY)
    assert str(refused.value) == ("You decided the original removal, so another reviewer must decide this appeal: "
                                  "an appeal is decided by someone who took no part in the decision (DSA Art. 20).")
    _assert_untouched(appeal, notice, now + DAY)


def test_the_reviewer_of_a_rejection_cannot_decide_its_appeal(now, bright, reviewers):
    notice = decided(now, {"L-100003": REJECT}, reviewers["tm"])
    appeal = appeals.file_appeal(decision=decision_of(notice), appellant="submitter", text=SUBMITTER_APPEAL_TEXT,
                                 now=now)
    with pytest.raises(appeals.AppealConflict, match="^You decided the original rejection, so another reviewer"):
        appeals.decide_appeal(appeal, reviewers["tm"], "upheld", "Still no proof.", now + DAY)
    _assert_untouched(appeal, notice, now + DAY)


def test_nobody_who_decided_a_removal_behind_the_strike_decides_the_penalty_appeal(now, bright, reviewers,
                                                                                   other_reviewer):
    """Two reviewers removed listings of one notice (after a reassignment): neither decides the penalty's appeal."""
    put_back_online(["L-100003", "L-100004"])
    notice = routed(now, [("L-100003", "counterfeit"), ("L-100004", "counterfeit")])
    first, second = notice.items.order_by("position")
    workflow.decide_items(notice, reviewers["tm"], [workflow.ItemDecision(first.pk, REMOVE)], now)
    workflow.reassign_notice(notice, reviewers["cr"], reviewers["tm"].user, now)
    workflow.decide_items(notice, reviewers["cr"], [workflow.ItemDecision(second.pk, REMOVE)], now)
    appeal = appeals.file_appeal(penalty=Penalty.objects.get(), appellant="seller", text=SELLER_APPEAL_TEXT, now=now)
    for reviewer in (reviewers["tm"], reviewers["cr"]):
        with pytest.raises(appeals.AppealConflict, match="^You decided a removal behind this penalty's strike"):
            appeals.decide_appeal(appeal, reviewer, "reversed", "Lifted.", now + DAY)
    _assert_untouched(appeal, notice, now + DAY)
    assert appeals.decide_appeal(appeal, other_reviewer, "upheld", "Both removals stand.", now + DAY).status == "upheld"


def _assert_untouched(appeal, notice, moment):
    appeal.refresh_from_db()
    assert (appeal.status, appeal.decided_by, appeal.decided_at, appeal.reasons) == ("filed", None, None, "")
    assert events_after(notice, moment) == []
    assert SlaClock.objects.get(kind=ClockKind.APPEAL_DECISION).stopped_at is None


def test_an_appeal_is_decided_once(now, bright, reviewers, other_reviewer):
    notice = decided(now, {"L-100003": REMOVE}, reviewers["tm"])
    appeal = appeals.file_appeal(decision=decision_of(notice), appellant="seller", text=SELLER_APPEAL_TEXT, now=now)
    appeals.decide_appeal(appeal, other_reviewer, "upheld", "The test buy shows a counterfeit.", now + DAY)
    third = make_reviewer("lee", ["trademark"])
    with pytest.raises(workflow.TransitionNotAllowed, match="^This appeal was already decided on .*: original "
                                                             "decision upheld.$"):
        appeals.decide_appeal(appeal, third, "reversed", "I disagree.", now + 2 * DAY)
    appeal.refresh_from_db()
    assert (appeal.status, appeal.decided_by, appeal.reasons) == ("upheld", other_reviewer.user,
                                                                  "The test buy shows a counterfeit.")


@pytest.mark.parametrize("outcome, reasons, message", [
    ("reversed", "   ", "Write the reasons for the outcome; the appellant receives them."),
    ("maybe", "Because.", "Choose whether the original decision is upheld or reversed."),
])
def test_a_decision_needs_an_outcome_and_reasons(now, bright, reviewers, other_reviewer, outcome, reasons, message):
    notice = decided(now, {"L-100003": REMOVE}, reviewers["tm"])
    appeal = appeals.file_appeal(decision=decision_of(notice), appellant="seller", text=SELLER_APPEAL_TEXT, now=now)
    with pytest.raises(workflow.TransitionNotAllowed) as refused:
        appeals.decide_appeal(appeal, other_reviewer, outcome, reasons, now + DAY)
    assert str(refused.value) == message
    _assert_untouched(appeal, notice, now + DAY)


# --- Outcomes. ---

def test_upholding_changes_nothing_but_the_appeal_and_its_clock(now, bright, reviewers, other_reviewer):
    notice = decided(now, {"L-100003": REMOVE}, reviewers["tm"])
    decision = decision_of(notice)
    appeal = appeals.file_appeal(decision=decision, appellant="seller", text=SELLER_APPEAL_TEXT, now=now)
    at = now + 3 * DAY
    appeals.decide_appeal(appeal, other_reviewer, "upheld", "The test buy proves a counterfeit.", at)

    appeal.refresh_from_db()
    decision.refresh_from_db()
    assert (appeal.status, appeal.decided_by, appeal.decided_at) == (AppealStatus.UPHELD, other_reviewer.user, at)
    assert (decision.reversed_at, decision.item.state) == (None, ItemState.REMOVED)
    assert Strike.objects.get().reversed_at is None and Penalty.objects.get().lifted_at is None
    clock = SlaClock.objects.get(kind=ClockKind.APPEAL_DECISION)
    assert (clock.stopped_at, clock.elapsed, clock.cancelled) == (at, 3 * DAY, False)
    assert [(kind, actor, details.get("outcome"), details.get("clock")) for kind, actor, _, _, _, details
            in events_after(notice, at)] == [
        (EventKind.APPEAL_DECIDED, "reviewer", "upheld", None),
        (EventKind.CLOCK_STOPPED, "system", None, "appeal_decision"),
    ]
    assert emails_after(at) == [("appeal_decided", "bright@sellers.example", None,
                                 "Appeal decided: your listing L-100003 stays removed")]
    body = OutboundEmail.objects.get(kind="appeal_decided").body_text
    for element in ("is decided: the original decision is upheld", "Reasons\nThe test buy proves a counterfeit.",
                    "The original decision stands.", "out-of-court dispute settlement body (DSA Art. 21)",
                    "without automated means"):
        assert element in body


def test_reversing_a_removal_restores_the_listing_reverses_the_strike_and_lifts_its_penalty(
        now, bright, reviewers, other_reviewer, django_capture_on_commit_callbacks):
    decided(now - DAY, {"L-100004": REMOVE}, reviewers["tm"])
    notice = decided(now, {"L-100003": REMOVE}, reviewers["tm"])
    apply_penalties(now)
    bright.refresh_from_db()
    assert (bright.strike_count, bright.account, bright.removed_items) == (2, SellerAccount.RESTRICTED, 2)
    decision = decision_of(notice)
    appeal = appeals.file_appeal(decision=decision, appellant="seller", text=SELLER_APPEAL_TEXT, now=now + DAY)
    at = now + 2 * DAY
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        appeals.decide_appeal(appeal, other_reviewer, "reversed", "The invoice shows the goods are genuine.", at)

    decision.refresh_from_db()
    bright.refresh_from_db()
    strike, penalty = Strike.objects.get(notice=notice), Penalty.objects.get(strike__notice=notice)
    assert decision.reversed_at == at
    assert decision.item.state == ItemState.RESTORED and decision.listing_restored_at is not None
    assert Listing.objects.get(external_id="L-100003").status == ListingStatus.ACTIVE
    assert strike.reversed_at == at
    assert (penalty.lifted_at, penalty.lift_reason) == (at, "the removal was reversed on appeal")
    assert (bright.strike_count, bright.account, bright.account_until, bright.removed_items) == (
        1, SellerAccount.ACTIVE, None, 1)
    assert Submitter.objects.get().removed_items == 1  # the other notice's removal
    clock = SlaClock.objects.get(kind=ClockKind.APPEAL_DECISION)
    assert (clock.stopped_at, clock.elapsed) == (at, DAY)
    why = "the removal was reversed on appeal"
    assert [(kind, actor, item, frm, to, {k: v for k, v in details.items() if k in ("clock", "why", "outcome")})
            for kind, actor, item, frm, to, details in events_after(notice, at)] == [
        (EventKind.APPEAL_DECIDED, "reviewer", decision.item_id, "", "", {"outcome": "reversed"}),
        (EventKind.CLOCK_STOPPED, "system", decision.item_id, "", "", {"clock": "appeal_decision"}),
        (EventKind.LISTING_RESTORED, "reviewer", decision.item_id, "removed", "restored", {"why": why}),
        (EventKind.CLOCK_STOPPED, "system", decision.item_id, "", "", {"clock": "takedown_executed"}),
        (EventKind.STRIKE_REVERSED, "system", None, "", "", {"why": why}),
        (EventKind.PENALTY_LIFTED, "system", None, "", "", {"why": why}),
    ]
    # Then the marketplace put it back (the task after commit), at its own time.
    assert notice.events.filter(kind=EventKind.LISTING_RESTORED, actor_kind="system",
                                created_at=decision.listing_restored_at).exists()
    # Both sides told, each with the reasons.
    assert sorted((m.to[0], m.subject) for m in mail.outbox) == [
        ("anna@aerostride.example", f"Notice {notice.reference}: listing 1 restored after the seller's appeal"),
        ("bright@sellers.example", "Appeal decided: your listing L-100003 is restored"),
    ]
    to_seller = next(m for m in mail.outbox if m.to == ["bright@sellers.example"])
    to_submitter = next(m for m in mail.outbox if m.to == ["anna@aerostride.example"])
    for element in ("the original decision is reversed", "The invoice shows the goods are genuine.",
                    "Your listing is being restored at the marketplace"):
        assert element in to_seller.body
    for element in ("the seller appealed the removal of listing 1", "reversed it on",
                    "The invoice shows the goods are genuine.", "file a new notice"):
        assert element in to_submitter.body
    assert SELLER_APPEAL_TEXT not in to_submitter.body  # the seller's words stay with the seller
    assert OutboundEmail.objects.get(kind="appeal_listing_restored").notice_id == notice.pk
    assert OutboundEmail.objects.get(kind="appeal_decided").notice_id is None


def test_the_strike_stays_while_another_removal_of_the_notice_stands(now, bright, reviewers, other_reviewer):
    notice = decided(now, {"L-100003": REMOVE, "L-100004": REMOVE}, reviewers["tm"])
    appeal = appeals.file_appeal(decision=decision_of(notice, "L-100003"), appellant="seller", text=SELLER_APPEAL_TEXT,
                                 now=now)
    appeals.decide_appeal(appeal, other_reviewer, "reversed", "This one listing was genuine.", now + DAY)
    assert notice.items.get(listing__external_id="L-100003").state == ItemState.RESTORED
    assert notice.items.get(listing__external_id="L-100004").state == ItemState.REMOVED
    assert Strike.objects.get().reversed_at is None and Penalty.objects.get().lifted_at is None


def test_reversing_a_penalty_lifts_it_and_the_account_follows(now, bright, reviewers, other_reviewer,
                                                              django_capture_on_commit_callbacks):
    decided(now - DAY, {"L-100004": REMOVE}, reviewers["tm"])
    notice = decided(now, {"L-100003": REMOVE}, reviewers["tm"])
    apply_penalties(now)
    penalty = Penalty.objects.get(strike__notice=notice)
    assert penalty.level == "restriction"
    appeal = appeals.file_appeal(penalty=penalty, appellant="seller", text=SELLER_APPEAL_TEXT, now=now + DAY)
    at = now + 2 * DAY
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        appeals.decide_appeal(appeal, other_reviewer, "reversed", "The second report came from a competitor.", at)

    penalty.refresh_from_db()
    bright.refresh_from_db()
    decision = Decision.objects.get(item__notice=notice)
    assert (penalty.lifted_at, penalty.lift_reason) == (at, "the measure was reversed on appeal")
    assert Strike.objects.get(notice=notice).reversed_at == at
    assert (bright.strike_count, bright.account, bright.account_until) == (1, SellerAccount.ACTIVE, None)
    assert (decision.reversed_at, decision.item.state) == (None, ItemState.REMOVED)  # the removal itself stands
    assert [kind for kind, *_ in events_after(notice, at)] == [
        EventKind.APPEAL_DECIDED, EventKind.CLOCK_STOPPED, EventKind.STRIKE_REVERSED, EventKind.PENALTY_LIFTED]
    # The seller's account is not the submitter's business.
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["bright@sellers.example"],
         "Appeal decided: the measure on your seller account (restriction on new listings) is "
         "lifted")]
    assert "The measure is lifted and the strike behind it no longer counts against you" in mail.outbox[0].body


def test_reversing_a_rejection_reopens_the_listing_with_the_appeals_decider(now, bright, reviewers, other_reviewer):
    notice = decided(now, {"L-100003": REJECT}, reviewers["tm"])
    assert notice.status == NoticeStatus.CLOSED
    assert Submitter.objects.get().rejected_items == 1
    old = decision_of(notice)
    appeal = appeals.file_appeal(decision=old, appellant="submitter", text=SUBMITTER_APPEAL_TEXT, now=now)
    at = now + DAY
    appeals.decide_appeal(appeal, other_reviewer, "reversed",
                          "The registration matches; the listing needs a fresh look.", at)

    notice.refresh_from_db()
    old.refresh_from_db()
    item = NoticeItem.objects.get(pk=old.item_id)
    assert old.reversed_at == at
    assert item.state == ItemState.IN_REVIEW and item.decision is None
    assert (notice.status, notice.assigned_to, notice.closed_at) == (NoticeStatus.IN_REVIEW, other_reviewer, None)
    assert Reviewer.objects.get(pk=other_reviewer.pk).open_load == 1
    assert Submitter.objects.get().rejected_items == 0
    assert [(kind, actor, item_id, frm, to) for kind, actor, item_id, frm, to, _ in events_after(notice, at)] == [
        (EventKind.APPEAL_DECIDED, "reviewer", item.pk, "", ""),
        (EventKind.CLOCK_STOPPED, "system", item.pk, "", ""),
        (EventKind.REOPENED, "reviewer", item.pk, "rejected", "in_review"),
        (EventKind.REOPENED, "reviewer", None, "closed", "in_review"),
        (EventKind.CLOCK_STARTED, "system", None, "", ""),  # a fresh takedown-decision round
    ]
    fresh = notice.clocks.get(kind="takedown_decision", stopped_at=None)
    assert (fresh.started_at, fresh.due_at, notice.due_at) == (at, at + timedelta(hours=24), at + timedelta(hours=24))
    assert notice.events.filter(kind=EventKind.REOPENED, item=None).get().details == {
        "appeal": appeal.pk, "reviewer": "ola"}
    # The submitter hears; the seller does not (nothing has happened to them yet).
    assert emails_after(at) == [("appeal_decided", "anna@aerostride.example", notice.pk,
                                 f"Notice {notice.reference}: appeal on listing 1 granted, the listing is reviewed "
                                 "again")]
    assert "Listing 1 is back with a reviewer, who decides it afresh." in \
        OutboundEmail.objects.get(kind="appeal_decided").body_text

    # The first reviewer cannot take it back; the appeal's decider decides afresh, and the old decision is kept.
    with pytest.raises(workflow.TransitionNotAllowed, match="not assigned to you"):
        workflow.decide_items(notice, reviewers["tm"], [workflow.ItemDecision(item.pk, REMOVE)], at)
    new, = workflow.decide_items(notice, other_reviewer, [workflow.ItemDecision(item.pk, REMOVE)], at + DAY)
    notice.refresh_from_db()
    decisions = Decision.objects.filter(item=item).order_by("pk").values_list("outcome", "decided_by", "reversed_at")
    assert list(decisions) == [(REJECT, reviewers["tm"].user.pk, at), (REMOVE, other_reviewer.user.pk, None)]
    assert NoticeItem.objects.get(pk=item.pk).decision == new
    assert (notice.status, Reviewer.objects.get(pk=other_reviewer.pk).open_load) == (NoticeStatus.CLOSED, 0)
    fresh.refresh_from_db()
    assert (fresh.stopped_at, fresh.elapsed) == (at + DAY, DAY)
    assert Strike.objects.filter(notice=notice).count() == 1
    submitter = Submitter.objects.get()
    assert (submitter.rejected_items, submitter.removed_items) == (0, 1)
    # A fresh decision can be appealed again, by its own side.
    assert appeals.file_appeal(decision=new, appellant="seller", text=SELLER_APPEAL_TEXT, now=at + DAY).pk


def test_a_rejection_reopened_while_the_notice_is_open_moves_the_case_to_the_appeals_decider(
        now, bright, reviewers, other_reviewer):
    put_back_online(["L-100003", "L-100004"])
    notice = routed(now, [("L-100003", "counterfeit"), ("L-100004", "counterfeit")])
    first, second = notice.items.order_by("position")
    code = ReasonCode.objects.get(code="genuine-goods")
    decision, = workflow.decide_items(notice, reviewers["tm"], [workflow.ItemDecision(first.pk, REJECT, code)], now)
    appeal = appeals.file_appeal(decision=decision, appellant="submitter", text=SUBMITTER_APPEAL_TEXT, now=now)
    appeals.decide_appeal(appeal, other_reviewer, "reversed", "Worth a second look.", now + DAY)

    notice.refresh_from_db()
    assert (notice.status, notice.assigned_to) == (NoticeStatus.IN_REVIEW, other_reviewer)
    assert (Reviewer.objects.get(pk=reviewers["tm"].pk).open_load,
            Reviewer.objects.get(pk=other_reviewer.pk).open_load) == (0, 1)
    assert [kind for kind, *_ in events_after(notice, now + DAY)] == [
        EventKind.APPEAL_DECIDED, EventKind.CLOCK_STOPPED, EventKind.REOPENED, EventKind.REASSIGNED]
    assert set(notice.items.values_list("state", flat=True)) == {ItemState.IN_REVIEW}


def test_a_listing_restored_by_a_counter_notice_can_no_longer_be_appealed(now, bright, reviewers):
    notice = decided(now, {"L-100003": REMOVE}, reviewers["tm"])
    decision = decision_of(notice)
    enforcement.order_restore(decision, workflow.SYSTEM, now, "counter-notice window ended", [])
    decision.refresh_from_db()
    with pytest.raises(workflow.TransitionNotAllowed, match="This listing has been restored; there is nothing left"):
        appeals.file_appeal(decision=decision, appellant="seller", text=SELLER_APPEAL_TEXT, now=now)


def test_the_appeal_is_sent_by_mail_in_text_and_html(now, bright, reviewers, django_capture_on_commit_callbacks):
    notice = decided(now, {"L-100003": REJECT}, reviewers["tm"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        appeals.file_appeal(decision=decision_of(notice), appellant="submitter", text=SUBMITTER_APPEAL_TEXT, now=now)
    [message] = mail.outbox
    assert message.to == ["anna@aerostride.example"]
    assert message.subject == f"Notice {notice.reference}: appeal received for listing 1"
    html = message.alternatives[0][0]
    assert "free of charge" in html and "registered at EUIPO under 018234567" in html
    assert Notice.objects.get(pk=notice.pk).emails.filter(kind="appeal_received").exists()


@pytest.mark.parametrize(("language", "zone", "expected"), [
    ("en", "UTC", "5 December 2026, 14:00 UTC"),
    ("de", "UTC", "5. Dezember 2026 14:00 UTC"),
    ("en", "Europe/Berlin", "5 December 2026, 15:00 CET"),
    ("zh-hans", "Asia/Shanghai", "2026年12月5日 22:00 CST"),
])
def test_a_time_python_writes_into_a_sentence_names_its_zone_as_the_templates_do(language, zone, expected):
    # Issue 13: the refusals and messages built in Python (appeal_rules.when, the one helper) write a moment as
    # the templates do, `{{ at|date:"DATETIME_FORMAT" }} {{ at|date:"e" }}`: the reader's format, then the zone.
    moment = datetime(2026, 12, 5, 14, 0, tzinfo=UTC)
    with translation.override(language), timezone.override(zone):
        assert appeal_rules.when(moment) == expected
        assert Template('{{ at|date:"DATETIME_FORMAT" }} {{ at|date:"e" }}').render(Context({"at": moment})) == expected
