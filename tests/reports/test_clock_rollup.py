"""The dashboard's daily roll-up of SLA clocks (takedowns/reports/clock_rollup.py): the rows it stores, the
same figures whether they are read from it, live, or from both, the refresh's catch-up of late
commits, the days of the site's time zone, and percentiles from its buckets."""

import math
from datetime import UTC, date, datetime, timedelta

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone
from django.utils.dateparse import parse_duration

from takedowns import tasks, workflow
from takedowns.enums import ClockKind, EventKind
from takedowns.models import ClockBreachesDay, ClockDurationsDay, ClockRollupMark, Event, Notice, SlaClock
from takedowns.reports import clock_rollup, measures
from takedowns.reports import dashboard as figures
from takedowns.reports.periods import Period
from takedowns.workflow import clocks
from tests.datasets import OCTOBER, at, clock_row
from tests.factories import routed

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)
MIN = timedelta(minutes=1)
AFTER_NOVEMBER = datetime(2026, 12, 1, 12, tzinfo=UTC)


def bucket(elapsed: timedelta) -> int:
    return math.floor(clock_rollup.BUCKETS_PER_E * math.log(1 + elapsed.total_seconds()))


def stored_durations() -> set[tuple]:
    return set(ClockDurationsDay.objects.values_list("day", "kind", "bucket", "stopped", "within_target", "breached",
                                                     "elapsed_min", "elapsed_max"))


def dashboard_figures(period: Period = OCTOBER) -> tuple:
    return figures.durations_per_kind(period), figures.breaches_per_day(period), figures.weekly_medians(period)


def test_refresh_stores_each_day_kind_and_bucket_of_the_stopped_clocks(dataset):
    written = clock_rollup.refresh(AFTER_NOVEMBER)
    decision, ack = ClockKind.TAKEDOWN_DECISION, ClockKind.ACKNOWLEDGEMENT
    assert stored_durations() == {
        # (day, kind, bucket, stopped, within target, breached, shortest, longest); the cancelled clock is left out.
        (date(2026, 10, 1), decision, bucket(72 * H), 1, 0, 1, 72 * H, 72 * H),
        (date(2026, 10, 6), decision, bucket(20 * H), 1, 1, 0, 20 * H, 20 * H),
        (date(2026, 10, 10), decision, bucket(H), 1, 1, 0, H, H),
        (date(2026, 11, 3), decision, bucket(336 * H), 1, 0, 1, 336 * H, 336 * H),
        (date(2026, 9, 28), ack, bucket(3 * MIN), 1, 1, 0, 3 * MIN, 3 * MIN),
        (date(2026, 10, 5), ack, bucket(5 * MIN), 1, 1, 0, 5 * MIN, 5 * MIN),
        (date(2026, 10, 10), ack, bucket(30 * MIN), 1, 0, 1, 30 * MIN, 30 * MIN),
        (date(2026, 10, 14), ack, bucket(10 * MIN), 1, 1, 0, 10 * MIN, 10 * MIN),
        (date(2026, 10, 20), ack, bucket(MIN), 1, 1, 0, MIN, MIN),
        (date(2026, 10, 5), ClockKind.SELLER_PENALTY, bucket(H), 1, 1, 0, H, H),
        (date(2026, 10, 11), ClockKind.SELLER_PENALTY, bucket(24 * H), 1, 1, 0, 24 * H, 24 * H),
        (date(2026, 10, 25), ClockKind.COUNTER_NOTICE_RESTORE, bucket(13 * 24 * H), 1, 1, 0, 13 * 24 * H, 13 * 24 * H),
        (date(2026, 10, 28), ClockKind.APPEAL_DECISION, bucket(6 * 24 * H), 1, 1, 0, 6 * 24 * H, 6 * 24 * H),
        (date(2026, 10, 15), ClockKind.APPEAL_DECISION, bucket(7 * 24 * H), 1, 1, 0, 7 * 24 * H, 7 * 24 * H),
    }
    # Every breach on its day, the cancelled clock's (15 October) and the running clocks' included.
    assert set(ClockBreachesDay.objects.values_list("day", "kind", "breaches")) == {
        (date(2026, 9, 29), decision, 1), (date(2026, 10, 10), ack, 1), (date(2026, 10, 15), decision, 1),
        (date(2026, 10, 19), ClockKind.APPEAL_DECISION, 1), (date(2026, 10, 21), decision, 1),
        (date(2026, 11, 26), decision, 1),
    }
    assert written == {"durations": 14, "breaches": 6}


def test_the_figures_are_the_same_live_rolled_up_and_half_and_half(dataset):
    live = dashboard_figures()
    clock_rollup.refresh(at(10, 16, 3))  # stores the days up to 15 October; the rest is read live
    assert ClockDurationsDay.objects.latest("day").day == date(2026, 10, 15)
    assert dashboard_figures() == live
    clock_rollup.refresh(AFTER_NOVEMBER)
    assert ClockDurationsDay.objects.latest("day").day == date(2026, 11, 3)
    assert dashboard_figures() == live
    # ... and they are the figures worked out by hand (tests/reports/test_dashboard.py), e.g.:
    durations, breaches, weeks = live
    decision = next(row for row in durations if row.kind == ClockKind.TAKEDOWN_DECISION)
    assert (decision.count, decision.within, decision.breached, decision.median, decision.p90) == (
        3, 2, 1, 20 * H, timedelta(hours=61, minutes=36))
    assert sum(count for _, count in breaches) == 4
    assert weeks[1] == figures.Week(date(2026, 10, 5), 2, timedelta(hours=10, minutes=30))


def test_what_came_after_the_mark_is_read_live(dataset):
    notice = Notice.objects.get(reference="TD-N8")
    clock_row(ClockKind.TAKEDOWN_EXECUTED, notice, at(11, 30, 8), at(11, 30, 9), at(11, 30, 8, 10))
    november = Period(date(2026, 11, 1), date(2026, 11, 30))

    def executed():
        row = next(row for row in figures.durations_per_kind(november) if row.kind == ClockKind.TAKEDOWN_EXECUTED)
        return row.count, row.within, row.median

    clock_rollup.refresh(at(11, 30, 8, 15))  # the mark: 10 minutes earlier, before the clock stopped
    assert ClockRollupMark.objects.get().through == at(11, 30, 8, 5)
    assert not ClockDurationsDay.objects.filter(day=date(2026, 11, 30)).exists()
    assert executed() == (1, 1, 10 * MIN)
    clock_rollup.refresh(at(11, 30, 8, 25))
    assert ClockRollupMark.objects.get().through == at(11, 30, 8, 15)
    assert ClockDurationsDay.objects.get(day=date(2026, 11, 30)).stopped == 1
    assert executed() == (1, 1, 10 * MIN)

def test_a_clock_committed_after_a_refresh_that_passed_it_is_counted_by_the_next(dataset):
    clock_rollup.refresh(at(11, 30, 8, 5))  # the mark: 07:55
    before = stored_durations()
    notice = Notice.objects.get(reference="TD-N8")
    # Stopped at 07:50 in a transaction that committed only after that refresh: missed for now ...
    clock_row(ClockKind.TAKEDOWN_EXECUTED, notice, at(11, 30, 7, 40), at(11, 30, 9), at(11, 30, 7, 50))
    november = Period(date(2026, 11, 1), date(2026, 11, 30))
    assert ClockKind.TAKEDOWN_EXECUTED not in clock_rollup.durations(november.first, november.last)
    # ... until the next refresh recomputes the mark's day from its start.
    assert clock_rollup.refresh(at(11, 30, 8, 10)) == {"durations": 1, "breaches": 0}
    assert stored_durations() - before == {
        (date(2026, 11, 30), ClockKind.TAKEDOWN_EXECUTED, bucket(10 * MIN), 1, 1, 0, 10 * MIN, 10 * MIN)}
    assert stored_durations() >= before

def test_a_refresh_stopped_half_way_keeps_the_months_it_committed_and_the_next_run_carries_on(dataset,
                                                                                             monkeypatch):
    clock_rollup.refresh(AFTER_NOVEMBER)
    complete = stored_durations()
    ClockDurationsDay.objects.all().delete()
    ClockBreachesDay.objects.all().delete()
    ClockRollupMark.objects.update(through=None)
    windows = []
    real_between = clock_rollup._between

    def between(clocks, moment, start, end):
        windows.append((moment, start, end))
        if len(windows) == 3:  # the second window of days: the task's time limit, say
            raise TimeoutError("stopped")
        return real_between(clocks, moment, start, end)
    monkeypatch.setattr(clock_rollup, "_between", between)
    with pytest.raises(TimeoutError):
        clock_rollup.refresh(AFTER_NOVEMBER)
    # 31 days from the first clock stopped (28 September) were committed, with the mark; the next window was not.
    assert windows == [("stopped_at", at(9, 28), at(10, 29)), ("breached_at", at(9, 28), at(10, 29)),
                       ("stopped_at", at(10, 29), at(11, 29))]
    assert ClockRollupMark.objects.get().through == at(10, 29)
    assert stored_durations() == {row for row in complete if row[0] <= date(2026, 10, 28)}
    monkeypatch.setattr(clock_rollup, "_between", real_between)
    clock_rollup.refresh(AFTER_NOVEMBER)
    assert stored_durations() == complete
    assert ClockRollupMark.objects.get().through == AFTER_NOVEMBER - clock_rollup.LATE_COMMITS

def test_refresh_twice_writes_the_same_rows(dataset):
    clock_rollup.refresh(AFTER_NOVEMBER)
    first = (stored_durations(), set(ClockBreachesDay.objects.values_list("day", "kind", "breaches")))
    clock_rollup.refresh(AFTER_NOVEMBER)
    assert (stored_durations(), set(ClockBreachesDay.objects.values_list("day", "kind", "breaches"))) == first


def test_refresh_without_any_clock_does_nothing(db):
    assert clock_rollup.refresh(AFTER_NOVEMBER) == {"durations": 0, "breaches": 0}
    assert not ClockDurationsDay.objects.exists()


@override_settings(TIME_ZONE="Europe/Berlin")
def test_days_are_those_of_the_sites_time_zone(dataset):
    notice = Notice.objects.get(reference="TD-N8")
    # 22:30 UTC on 5 October is 00:30 on 6 October in Berlin (summer time, UTC+2).
    clock_row(ClockKind.TAKEDOWN_EXECUTED, notice, at(10, 5, 22), at(10, 5, 23), at(10, 5, 22, 30))
    with timezone.override(settings.TIME_ZONE):
        berlin = Period(date(2026, 10, 6), date(2026, 10, 6))
        live = dashboard_figures(berlin)
        clock_rollup.refresh(AFTER_NOVEMBER)
        assert ClockDurationsDay.objects.get(kind=ClockKind.TAKEDOWN_EXECUTED).day == date(2026, 10, 6)
        assert dashboard_figures(berlin) == live
        executed = next(row for row in live[0] if row.kind == ClockKind.TAKEDOWN_EXECUTED)
        assert (executed.count, executed.median) == (1, 30 * MIN)


def test_percentiles_from_buckets_stay_well_inside_the_bucket_width(dataset):
    """1,000 clocks from 60 to 120 minutes, bunched towards the short end: many clocks share a
    bucket and are not evenly spread in it, so the estimate is no longer exact, but stays within
    0.5 % of percentile_cont over the clocks themselves (a bucket is 5 % wide)."""
    notice = Notice.objects.get(reference="TD-N8")
    start = at(11, 10, 8)
    elapsed = [H * (1 + (n / 1000) ** 3) for n in range(1000)]
    SlaClock.objects.bulk_create(SlaClock(
        kind=ClockKind.TAKEDOWN_EXECUTED, notice=notice, target=3 * H, started_at=start, due_at=start + 3 * H,
        warn_at=start + H, stopped_at=start + time, elapsed=time) for time in elapsed)
    clocks = figures.stopped_clocks(Period(date(2026, 11, 10), date(2026, 11, 10))).filter(
        kind=ClockKind.TAKEDOWN_EXECUTED)
    exact = measures.percentiles(clocks, "elapsed", (0.5, 0.9))
    clock_rollup.refresh(AFTER_NOVEMBER)
    histogram = clock_rollup.durations(date(2026, 11, 10), date(2026, 11, 10))[ClockKind.TAKEDOWN_EXECUTED]
    assert 10 <= len(histogram.buckets) <= 15  # ln 2 = 0.69: 14 buckets at 20 per unit of ln
    assert histogram.count == 1000
    for estimate, value in zip(histogram.percentiles((0.5, 0.9)), exact, strict=True):
        assert estimate != value  # the clocks are not evenly spread in their buckets: an estimate
        assert abs(estimate - value) <= value * 0.005


def test_histogram_interpolates_like_percentile_cont_inside_and_between_buckets():
    histogram = clock_rollup.Histogram()
    histogram.add(10, 3, timedelta(seconds=10), timedelta(seconds=12))  # taken as 10, 11 and 12 s
    histogram.add(200, 1, timedelta(hours=1), timedelta(hours=1))
    histogram.add(10, 2, timedelta(seconds=9), timedelta(seconds=12))  # merged: 5 clocks from 9 to 12 s
    assert (histogram.count, histogram.buckets[10]) == (6, clock_rollup.Bucket(5, timedelta(seconds=9),
                                                                               timedelta(seconds=12)))
    # Sorted as 9, 9.75, 10.5, 11.25, 12 s and 1 h: the median is halfway between the 3rd and 4th;
    # p90 (position 4.5) halfway between 12 s and 1 h.
    assert histogram.percentiles((0.0, 0.5, 0.9, 1.0)) == [
        timedelta(seconds=9), timedelta(seconds=10.875), timedelta(seconds=1806), timedelta(hours=1)]
    assert clock_rollup.Histogram().percentiles((0.5,)) == [None]


def test_the_beat_task_refreshes_the_rollup(dataset):
    assert settings.CELERY_BEAT_SCHEDULE["refresh-clock-rollup"]["task"] == "takedowns.tasks.refresh_clock_rollup"
    written = tasks.refresh_clock_rollup.apply().get()
    assert written == {"durations": 14, "breaches": 6}
    assert ClockDurationsDay.objects.count() == 14


def test_through_the_workflow_the_figures_match_the_event_log(catalogue, reviewers):
    """Clocks started, stopped, breached and cancelled by the workflow and the beat: the dashboard's
    stopped clocks and breaches per day are the clock_stopped and clock_breached events, live and
    from the roll-up alike."""
    start = datetime(2026, 11, 2, 9, tzinfo=UTC)
    # Three listings: a second notice on the same listing would be a duplicate, closed at routing.
    quick, slow, withdrawn = (routed(start + timedelta(hours=n), [(f"L-10000{n + 1}", "counterfeit")],
                                     routed_after=2 * MIN) for n in range(3))
    clocks.stop_clock(ClockKind.TAKEDOWN_DECISION, start + timedelta(hours=20), notice=quick)  # in time
    clocks.process_due(start + timedelta(hours=30))  # the other two breach (24 h target)
    workflow.withdraw_notice(Notice.objects.get(pk=withdrawn.pk), start + timedelta(hours=31))
    clocks.stop_clock(ClockKind.TAKEDOWN_DECISION, start + timedelta(hours=51), notice=slow)  # started at 10:00
    november = Period(date(2026, 11, 1), date(2026, 11, 30))

    events = Event.objects.filter(kind__in=[EventKind.CLOCK_STOPPED, EventKind.CLOCK_BREACHED])
    stopped = [e for e in events if e.kind == EventKind.CLOCK_STOPPED and not e.details["cancelled"]]
    by_kind = {kind: sorted(parse_duration(e.details["elapsed"]) for e in stopped if e.details["clock"] == kind)
               for kind in ClockKind.values}
    breaches_by_day = {}
    for event in events.filter(kind=EventKind.CLOCK_BREACHED):
        breaches_by_day[event.created_at.date()] = breaches_by_day.get(event.created_at.date(), 0) + 1
    assert by_kind[ClockKind.ACKNOWLEDGEMENT] == [2 * MIN] * 3
    assert by_kind[ClockKind.TAKEDOWN_DECISION] == [20 * H, 50 * H]
    assert breaches_by_day == {date(2026, 11, 3): 2}  # slow's and withdrawn's decision clocks

    for rolled_up in (False, True):
        if rolled_up:
            clock_rollup.refresh(datetime(2026, 11, 30, 12, tzinfo=UTC))
            assert ClockDurationsDay.objects.exists()
        rows = {row.kind: row for row in figures.durations_per_kind(november)}
        for kind, elapsed in by_kind.items():
            assert rows[kind].count == len(elapsed)
        decision = rows[ClockKind.TAKEDOWN_DECISION]
        assert (decision.within, decision.breached, decision.median) == (1, 1, 35 * H)
        assert rows[ClockKind.ACKNOWLEDGEMENT].median == 2 * MIN
        assert {day: count for day, count in figures.breaches_per_day(november) if count} == breaches_by_day
