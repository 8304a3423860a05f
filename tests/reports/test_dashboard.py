"""reports/dashboard.py: the SLA dashboard's figures, against values worked out by hand on the
fixed dataset of tests/datasets.py (dates in October 2026, with rows just outside it on purpose)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from takedowns import workflow
from takedowns.enums import ClockKind
from takedowns.models import Decision, SlaClock, SlaPolicy
from takedowns.reports import clock_rollup, dashboard, transparency
from takedowns.reports.periods import Period
from takedowns.workflow import appeals
from tests.datasets import MIN, OCTOBER, H
from tests.factories import D, decide, decided, decision_of, redecided, routed

pytestmark = pytest.mark.django_db


def test_running_clocks_are_counted_by_kind_and_recorded_state(dataset):
    running = dashboard.running_clocks()
    assert running[ClockKind.TAKEDOWN_DECISION] == {"on_time": 1, "warning": 0, "breached": 1, "paused": 1}
    assert running[ClockKind.TAKEDOWN_EXECUTED] == {"on_time": 0, "warning": 1, "breached": 0, "paused": 0}
    assert running[ClockKind.APPEAL_DECISION] == {"on_time": 0, "warning": 0, "breached": 1, "paused": 0}
    assert list(running) == ClockKind.values
    for kind in (ClockKind.ACKNOWLEDGEMENT, ClockKind.SELLER_PENALTY, ClockKind.COUNTER_NOTICE_RESTORE):
        assert running[kind] == {"on_time": 0, "warning": 0, "breached": 0, "paused": 0}


def test_breaches_are_counted_per_day_of_the_period_cancelled_clocks_included(dataset):
    breaches = dashboard.breaches_per_day(OCTOBER)
    assert [day for day, _ in breaches] == [date(2026, 10, d) for d in range(1, 32)]
    # 15 October: the withdrawn notice's clock, cancelled after it breached.
    assert {day.day: count for day, count in breaches if count} == {10: 1, 15: 1, 19: 1, 21: 1}


def test_durations_per_kind_over_the_clocks_stopped_in_the_period(dataset):
    rows = {row.kind: row for row in dashboard.durations_per_kind(OCTOBER)}
    assert list(rows) == ClockKind.values
    decision = rows[ClockKind.TAKEDOWN_DECISION]  # 1 h, 20 h, 72 h
    assert (decision.count, decision.within, decision.breached) == (3, 2, 1)
    assert decision.median == 20 * H
    assert decision.p90 == timedelta(hours=61, minutes=36)  # 20 h + 0.8 * 52 h
    assert decision.share == 0.6667
    ack = rows[ClockKind.ACKNOWLEDGEMENT]  # 1, 5, 10, 30 minutes
    assert (ack.count, ack.within, ack.breached, ack.share) == (4, 3, 1, 0.75)
    assert (ack.median, ack.p90) == (timedelta(minutes=7, seconds=30), 24 * MIN)  # 10 + 0.7 * 20
    penalty = rows[ClockKind.SELLER_PENALTY]  # 1 h, 24 h
    assert (penalty.count, penalty.share, penalty.median, penalty.p90) == (
        2, 1.0, timedelta(hours=12, minutes=30), timedelta(hours=21, minutes=42))
    appeal = rows[ClockKind.APPEAL_DECISION]  # 6 d, 7 d (stopped exactly on the due time: within)
    assert (appeal.count, appeal.within, appeal.median, appeal.p90) == (
        2, 2, timedelta(days=6, hours=12), timedelta(days=6, hours=21, minutes=36))
    restore = rows[ClockKind.COUNTER_NOTICE_RESTORE]
    assert (restore.count, restore.within, restore.median, restore.p90) == (1, 1, timedelta(days=13),
                                                                           timedelta(days=13))
    executed = rows[ClockKind.TAKEDOWN_EXECUTED]
    assert (executed.count, executed.share, executed.median, executed.p90) == (0, None, None, None)


def test_weekly_medians_of_the_takedown_decision_clock(dataset):
    assert dashboard.weekly_medians(OCTOBER) == [
        dashboard.Week(date(2026, 9, 28), 1, 72 * H),  # only 1-4 October of that week is in the period
        dashboard.Week(date(2026, 10, 5), 2, timedelta(hours=10, minutes=30)),  # 20 h and 1 h
        dashboard.Week(date(2026, 10, 12), 0, None),
        dashboard.Week(date(2026, 10, 19), 0, None),
        dashboard.Week(date(2026, 10, 26), 0, None),
    ]


def test_workload_per_reviewer_with_rows_for_unassigned_notices_appeals_and_checks(dataset):
    # cr: N10's decision clock, paused while the submitter owes an answer: waiting, not running (issue
    # 12, item 7); N2's appeal clock is not cr's: the appeals row, where, breached then paused, it
    # waits too. tm: N8's decision clock (its takedown-executed clock waits for the marketplace).
    assert dashboard.workload() == [
        dashboard.Workload("cr", 2, running=0, breached=0, waiting=1),
        dashboard.Workload("tm", 1, running=1, breached=0, waiting=0),
        dashboard.Workload("Unassigned", None, running=1, breached=1, waiting=0),
        dashboard.Workload(dashboard.APPEALS_ROW, None, running=0, breached=0, waiting=1),
        dashboard.Workload(dashboard.CHECKS_ROW, None, running=0, breached=0, waiting=0),
    ]


def test_workload_counts_the_counter_notices_completeness_checks_in_a_row_of_their_own(filed_counter_notice):
    # Issue 12, item 7: any reviewer checks a counter-notice, so its clock is nobody's own load.
    check = SlaClock.objects.get(counter_notice=filed_counter_notice, kind=ClockKind.COUNTER_NOTICE_CHECK,
                                 stopped_at=None)
    SlaClock.objects.filter(pk=check.pk).update(breached_at=check.due_at)
    rows = {row.reviewer: row for row in dashboard.workload()}
    assert rows[dashboard.CHECKS_ROW] == dashboard.Workload(dashboard.CHECKS_ROW, None, running=1, breached=1,
                                                            waiting=0)
    assert all(row.running == 0 for name, row in rows.items() if name != dashboard.CHECKS_ROW)


def test_workload_leaves_a_closed_notices_appeal_and_takedown_out_of_its_reviewers_load(now, catalogue, reviewers):
    # Issue 12, item 7: tm removed the listing and the notice closed; the seller's appeal is not tm's
    # to decide, the takedown is the marketplace's.
    notice = decided(now, {"L-100001": "remove"}, reviewers["tm"])
    appeals.file_appeal(decision=decision_of(notice), appellant="seller", text="Genuine goods.", now=now + H)
    assert set(SlaClock.objects.filter(stopped_at=None).values_list("kind", flat=True)) == {
        ClockKind.TAKEDOWN_EXECUTED, ClockKind.SELLER_PENALTY, ClockKind.APPEAL_DECISION}
    assert dashboard.workload() == [
        dashboard.Workload("cr", 0, 0, 0, 0),
        dashboard.Workload("tm", 0, 0, 0, 0),
        dashboard.Workload(dashboard.APPEALS_ROW, None, 1, 0, 0),
        dashboard.Workload(dashboard.CHECKS_ROW, None, 0, 0, 0),
    ]


def test_duration_rows_are_the_stopped_clocks_of_the_period_in_order(dataset):
    rows = [row[:9] for row in dashboard.duration_rows(OCTOBER)]
    assert [(kind, ref, elapsed, within, breached) for _, kind, ref, _, _, _, elapsed, within, breached in rows] == [
        ("takedown_decision", "TD-N4", 72 * H, False, True),
        ("acknowledgement", "TD-N1", 5 * MIN, True, False),
        ("seller_penalty", "TD-N1", H, True, False),
        ("takedown_decision", "TD-N1", 20 * H, True, False),
        ("acknowledgement", "TD-N2", 30 * MIN, False, True),
        ("takedown_decision", "TD-N2", H, True, False),
        ("seller_penalty", "TD-N2", 24 * H, True, False),
        ("acknowledgement", "TD-N7", 10 * MIN, True, False),
        ("appeal_decision", "TD-N1", 7 * 24 * H, True, False),
        ("acknowledgement", "TD-N3", MIN, True, False),
        ("counter_notice_restore", "TD-N2", 13 * 24 * H, True, False),
        ("appeal_decision", "TD-N3", 6 * 24 * H, True, False),
    ]


def test_a_notice_reopened_by_an_appeal_is_one_notice_decided_and_one_re_decision(now, catalogue, reviewers):
    # Issue 12, item 2: two decision clocks stop for the notice; it is one notice decided, the
    # second round a re-decision shown apart.
    from_day = timezone.localdate(now)
    notice = redecided(now, "L-100001", reviewers["tm"], reviewers["cr"])
    assert list(SlaClock.objects.filter(notice=notice, kind=ClockKind.TAKEDOWN_DECISION).order_by("started_at")
                .values_list("reopened", "stopped_at")) == [(False, now), (True, now + 3 * D)]
    period = Period(from_day, from_day + 3 * D)
    shown = dashboard.period_figures(period)
    assert shown.decided == dashboard.NoticesDecided(notices=1, redecisions=1, notices_within=1, redecisions_within=1)
    assert {row.kind: row.count for row in shown.durations}[ClockKind.TAKEDOWN_DECISION] == 2  # the clocks
    rows = list(dashboard.figure_rows(period))
    assert ("notices_decided", ClockKind.TAKEDOWN_DECISION, "first_decisions", 1) in rows
    assert ("notices_decided", ClockKind.TAKEDOWN_DECISION, "redecisions", 1) in rows
    # Only the re-decision falls in a period that starts after the first decision.
    assert dashboard.period_figures(Period(from_day + D, from_day + 3 * D)).decided == dashboard.NoticesDecided(
        notices=0, redecisions=1, notices_within=0, redecisions_within=1)


def test_the_dashboard_and_the_report_publish_the_same_first_decisions_within_target(now, catalogue, reviewers):
    # Issue 12, items 1/2: one notice decided in time, reopened by an appeal and decided again in
    # time; another decided late. The decision clocks' "within target" is 2 of 3, the first
    # decisions' 1 of 2: the dashboard shows both apart, and its first decisions equal the report's.
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    redecided(start, "L-100001", reviewers["tm"], reviewers["cr"])
    late = routed(start, [("L-100002", "counterfeit")])
    decide(late, start + 2 * D, {"L-100002": "remove"})
    november = Period(date(2026, 11, 1), date(2026, 11, 30))
    report = transparency.report_figures(transparency.report_period("2026-11", start + 30 * D))
    expected = dashboard.NoticesDecided(notices=2, redecisions=1, notices_within=1, redecisions_within=1)
    assert (report["decided_within_target"]["decided"], report["decided_within_target"]["within_target"],
            report["decided_within_target"]["redecisions_within_target"]) == (2, 1, 1)
    shown = dashboard.period_figures(november)
    assert shown.decided == expected
    assert {row.kind: row.within for row in shown.durations}[ClockKind.TAKEDOWN_DECISION] == 2  # all the clocks
    rows = list(dashboard.figure_rows(november))
    assert ("notices_decided", ClockKind.TAKEDOWN_DECISION, "first_decisions_within_target", 1) in rows
    assert ("notices_decided", ClockKind.TAKEDOWN_DECISION, "redecisions_within_target", 1) in rows
    clock_rollup.refresh(start + 30 * D)  # the same from the daily roll-up
    assert dashboard.period_figures(november).decided == expected

def test_a_notice_closed_unanswered_while_its_clock_was_paused_counts_within_target(now, catalogue, reviewers):
    # Issue 12, item 1: the decision clock ran 1 h of its 24 h, then waited 7 days for an answer that
    # never came; the dashboard and the report count it within target, as the clock's event says.
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    notice = routed(start)
    workflow.request_information(notice, reviewers["tm"], [notice.items.get().pk], "Which test buy?", start + H)
    assert workflow.expire_information_requests(start + H + 7 * D) == 1
    november = Period(date(2026, 11, 1), date(2026, 11, 30))
    live = {row.kind: row for row in dashboard.durations_per_kind(november)}[ClockKind.TAKEDOWN_DECISION]
    assert (live.count, live.within, live.breached, live.median) == (1, 1, 0, H)
    clock_rollup.refresh(start + 30 * D)  # the same figures from the daily roll-up
    assert {row.kind: row for row in dashboard.durations_per_kind(november)}[ClockKind.TAKEDOWN_DECISION] == live
    report = transparency.report_figures(transparency.report_period("2026-11", start + 30 * D))
    assert report["decided_within_target"]["within_target"] == 1
    # No listing was decided, yet the notice counts among the notices decided: the label says so
    # ("decided, or closed without an answer from the submitter", issue 12, item 2).
    assert not Decision.objects.filter(item__notice=notice).exists()
    assert dashboard.period_figures(november).decided == dashboard.NoticesDecided(1, 0, 1, 0)


def test_durations_of_business_hours_clocks_are_in_working_time(now, catalogue, reviewers):
    # Issue 12, item 8: Friday 16:00 to Monday 10:00 is 2 working hours against an 8-hour working target.
    berlin = ZoneInfo("Europe/Berlin")
    SlaPolicy.objects.filter(clock=ClockKind.TAKEDOWN_DECISION).update(
        target=8 * H, business_hours=True, timezone="Europe/Berlin", country="DE")
    notice = routed(datetime(2026, 12, 4, 16, 0, tzinfo=berlin))
    decide(notice, datetime(2026, 12, 7, 10, 0, tzinfo=berlin), {"L-100001": "remove"})
    rows = {row.kind: row for row in dashboard.durations_per_kind(Period(date(2026, 12, 1), date(2026, 12, 31)))}
    assert (rows[ClockKind.TAKEDOWN_DECISION].median, rows[ClockKind.TAKEDOWN_DECISION].within) == (2 * H, 1)
