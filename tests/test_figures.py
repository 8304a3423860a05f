"""The dashboard's and the transparency report's figures, against values worked out by hand on a
fixed dataset built row by row (tests/datasets.py: dates in October 2026, with rows just outside it
on purpose), and the percentile helper on its own, on whichever database the suite runs on."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from takedowns.enums import ClockKind
from takedowns.models import Listing, Notice, Seller, SlaClock
from takedowns.reports import dashboard, measures, transparency
from tests.datasets import MIN, OCTOBER, H, at, clock_row, notice_row

pytestmark = pytest.mark.django_db


# --- percentile(). ---

def clocks_with_elapsed(notice: Notice, *minutes: int | None) -> None:
    for n in minutes:
        started = at(10, 1)
        stopped = None if n is None else started + n * MIN
        clock_row(ClockKind.ACKNOWLEDGEMENT, notice, started, started + H, stopped)


@pytest.fixture
def one_notice(db):
    return notice_row("TD-P", at(10, 1), ("counterfeit",), right_type="trademark")


def test_percentile_interpolates_between_the_two_nearest_values(one_notice):
    clocks_with_elapsed(one_notice, 30, 10, 40, 20)  # sorted 10 20 30 40
    clocks = SlaClock.objects.all()
    assert measures.percentile(clocks, "elapsed", 0.5) == 25 * MIN
    assert measures.percentile(clocks, "elapsed", 0.9) == timedelta(minutes=37)  # 30 + 0.7 * 10
    assert measures.percentile(clocks, "elapsed", 0) == 10 * MIN
    assert measures.percentile(clocks, "elapsed", 1) == 40 * MIN
    assert measures.percentiles(clocks, "elapsed", [0.25, 0.5]) == [timedelta(minutes=17, seconds=30), 25 * MIN]


def test_percentile_leaves_nulls_out_and_is_none_without_values(one_notice):
    assert measures.percentile(SlaClock.objects.all(), "elapsed", 0.5) is None
    clocks_with_elapsed(one_notice, None, 7, None)
    assert measures.percentiles(SlaClock.objects.all(), "elapsed", [0.5, 0.9]) == [7 * MIN, 7 * MIN]


def test_percentile_of_numbers_is_a_float_and_of_an_expression_is_computed_in_sql(one_notice, catalogue):
    for price in ("10.00", "20.00", "40.00"):
        Listing.objects.create(external_id=f"L-P{price}", seller=Seller.objects.first(), title="x", category="shoes",
                               price=Decimal(price))
    prices = Listing.objects.filter(external_id__startswith="L-P")
    assert measures.percentile(prices, "price", 0.5) == pytest.approx(20.0)
    assert measures.percentile(prices, "price", 0.75) == pytest.approx(30.0)
    clocks_with_elapsed(one_notice, 5, 15)
    # due_at - stopped_at is 55 and 45 minutes.
    assert measures.percentile(SlaClock.objects.all(), F("due_at") - F("stopped_at"), 0.5) == 50 * MIN


def test_percentile_reads_a_fixed_number_of_rows_whatever_the_count(one_notice):
    clocks_with_elapsed(one_notice, *range(1, 201))
    with CaptureQueriesContext(connection) as queries:
        assert measures.percentiles(SlaClock.objects.all(), "elapsed", [0.5, 0.9]) == [
            timedelta(minutes=100, seconds=30), timedelta(minutes=180, seconds=6)]
    sql = " ".join(query["sql"] for query in queries)
    if connection.vendor == "postgresql":
        assert len(queries) == 1 and "percentile_cont(0.5) WITHIN GROUP" in sql
    else:  # one COUNT, then LIMIT 2 OFFSET k per fraction
        assert len(queries) == 3 and "LIMIT 2 OFFSET 99" in sql and "LIMIT 2 OFFSET 179" in sql


def test_a_fraction_outside_0_to_1_is_refused(one_notice):
    with pytest.raises(ValueError, match="between 0 and 1"):
        measures.percentile(SlaClock.objects.all(), "elapsed", 1.5)


# --- The dashboard's figures. ---

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


def test_workload_per_reviewer_with_a_row_for_unassigned_notices(dataset):
    assert dashboard.workload() == [
        dashboard.Workload("cr", 2, 2, 1),
        dashboard.Workload("tm", 1, 2, 0),
        dashboard.Workload("Unassigned", None, 1, 1),
    ]


def test_duration_rows_are_the_stopped_clocks_of_the_period_in_order(dataset):
    rows = list(dashboard.duration_rows(OCTOBER))
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


# --- Periods. ---

NOW = datetime(2026, 11, 29, 19, 0, tzinfo=UTC)


@pytest.mark.parametrize("slug, first, last, title, complete", [
    ("2026-10", date(2026, 10, 1), date(2026, 10, 31), "October 2026", True),
    ("2026-11", date(2026, 11, 1), date(2026, 11, 30), "November 2026", False),
    ("2025-12", date(2025, 12, 1), date(2025, 12, 31), "December 2025", True),
    ("2024-02", date(2024, 2, 1), date(2024, 2, 29), "February 2024", True),
    ("2026-H1", date(2026, 1, 1), date(2026, 6, 30), "January–June 2026", True),
    ("2026-H2", date(2026, 7, 1), date(2026, 12, 31), "July–December 2026", False),
])
def test_report_periods_are_months_and_half_years(slug, first, last, title, complete):
    period = transparency.report_period(slug, NOW)
    assert (period.first, period.last, period.title, period.complete, period.slug) == (first, last, title, complete,
                                                                                      slug)


@pytest.mark.parametrize("slug, message", [
    ("2026-13", "“2026-13” is not a report period: name a month as 2026-11 or a half-year as 2026-H2."),
    ("2026-H3", "“2026-H3” is not a report period"),
    ("0000-01", "“0000-01” is not a report period"),
    ("26-11", "“26-11” is not a report period"),
    ("2026-12", "There is no report for December 2026 yet: the period has not started."),
    ("2027-H1", "There is no report for January–June 2027 yet: the period has not started."),
    ("9999-12", "There is no report for December 9999 yet: the period has not started."),
])
def test_a_bad_or_future_report_period_says_why(slug, message):
    with pytest.raises(transparency.BadPeriod, match=message):
        transparency.report_period(slug, NOW)


def test_report_periods_run_from_the_first_confirmed_notice_to_now(dataset):
    halves, months = transparency.report_periods(NOW)
    assert [p.slug for p in halves] == ["2026-H2"]
    assert [(p.slug, p.complete) for p in months] == [("2026-11", False), ("2026-10", True), ("2026-09", True)]
