"""The read side of the leads' SLA dashboard: clocks running now by state, durations and breaches
over a period (from the daily roll-up in clock_rollup.py plus what came after its mark, read
live), the weekly trend, the workload per reviewer, and the rows of the two CSV downloads."""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connections, transaction
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    CharField,
    Count,
    ExpressionWrapper,
    F,
    Func,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast, Floor
from django.utils import timezone

from takedowns.enums import OPEN_NOTICE_STATUSES, ClockKind
from takedowns.models import Reviewer, SlaClock
from takedowns.reports import clock_rollup
from takedowns.reports.measures import seconds, share
from takedowns.reports.periods import Period

RUNNING_STATES = (("on_time", "On time"), ("warning", "Warning"), ("breached", "Breached"), ("paused", "Paused"))

# State as the beat task recorded it (workflow/clocks.process_due). A recorded breach stays a
# breach while paused: the pause stops the clock from reaching its next threshold, it does not
# undo one that already passed.
_STATE_FILTERS = {
    "on_time": Q(breached_at=None, paused_at=None, warned_at=None),
    "warning": Q(breached_at=None, paused_at=None, warned_at__isnull=False),
    "breached": Q(breached_at__isnull=False),
    "paused": Q(breached_at=None, paused_at__isnull=False),
}


def running_clocks() -> dict[str, dict[str, int]]:
    """{kind: {state: count}} of the clocks running now, every kind and state present."""
    rows = (SlaClock.objects.filter(stopped_at=None).values("kind")
            .annotate(**{state: Count("pk", filter=where) for state, where in _STATE_FILTERS.items()}).order_by())
    # The stubs cannot name counts annotated from a dict, hence a plain Mapping per row.
    found: dict[str, Mapping[str, Any]] = {row["kind"]: row for row in rows}
    return {kind: {state: found.get(kind, {}).get(state, 0) for state, _ in RUNNING_STATES}
            for kind in ClockKind.values}


def stopped_clocks(period: Period) -> QuerySet[SlaClock]:
    """Clocks stopped in the period that count: a cancelled clock measured nothing."""
    return clock_rollup.counted_clocks().filter(period.where("stopped_at"))


@dataclass(frozen=True)
class ClockDurations:
    kind: str
    label: str
    count: int
    within: int
    breached: int
    median: timedelta | None
    p90: timedelta | None

    @property
    def share(self) -> float | None:
        return share(self.within, self.count)


def durations_per_kind(period: Period) -> list[ClockDurations]:
    """Per clock kind, over the clocks stopped in the period: how many, how many within target
    (stopped by the due time) and breached, and the median and p90 of the elapsed time. Read from
    the daily roll-up (clock_rollup: counts exact, percentiles from its 5 % buckets)."""
    histograms = clock_rollup.durations(period.first, period.last)
    result = []
    for kind, label in ClockKind.choices:
        histogram = histograms.get(kind, clock_rollup.Histogram())
        median, p90 = histogram.percentiles((0.5, 0.9))
        result.append(ClockDurations(kind, label, histogram.count, histogram.within, histogram.breached, median, p90))
    return result


def breaches_per_day(period: Period) -> list[tuple[date, int]]:
    """Clocks that breached on each day of the period (zero days included): one per clock_breached
    event, so a breach counts even when its case later ended without the measured step."""
    counted = clock_rollup.breaches(period.first, period.last)
    return [(day, counted.get(day, 0)) for day in period.days()]


@dataclass(frozen=True)
class Week:
    monday: date
    count: int
    median: timedelta | None


def weekly_medians(period: Period, kind: str = ClockKind.TAKEDOWN_DECISION) -> list[Week]:
    """Per week the period touches: the clocks of `kind` stopped in it and their median elapsed time."""
    histograms = clock_rollup.weekly_durations(period.first, period.last, kind)
    weeks = []
    for monday in period.mondays():
        histogram = histograms.get(monday, clock_rollup.Histogram())
        weeks.append(Week(monday, histogram.count, histogram.percentiles((0.5,))[0]))
    return weeks


@dataclass(frozen=True)
class Workload:
    reviewer: str
    open_notices: int | None  # None: the rows of unassigned notices and of appeals
    running: int
    breached: int


# The clocks a reviewer's own work stops: the steps of the notices they hold (workflow/clocks.py,
# NOTICE_CLOCKS). The others are not one reviewer's: an appeal goes to any reviewer who took no part
# in the decision (appeal_rules), the restore waits out the DMCA window and the beat restores, the
# penalty ladder and the marketplace stop the penalty and takedown clocks.
REVIEWER_CLOCKS = (ClockKind.ACKNOWLEDGEMENT, ClockKind.TAKEDOWN_DECISION)
APPEALS_ROW = "Appeals (any reviewer but the original decider)"


def workload() -> list[Workload]:
    """Per reviewer: open notices (kept on the reviewer row), and the running and breached clocks
    the reviewer can act on: those of the open notices assigned to them (a closed notice's later
    clocks, a restore or an appeal, are not its first reviewer's work, who may not decide the
    appeal). Then a row for the open notices nobody holds, and one for the running appeal clocks,
    which any reviewer who took no part in the original decision may decide. Counted from the
    running clocks (a small, indexed set), not from every notice a reviewer ever had."""
    breached = Count("pk", filter=Q(breached_at__isnull=False))
    # Keyed by reviewer id, None for unassigned notices.
    clocks: dict[int | None, Mapping[str, Any]] = {
        row["notice__assigned_to"]: row for row in SlaClock.objects.filter(
            stopped_at=None, kind__in=REVIEWER_CLOCKS, notice__status__in=OPEN_NOTICE_STATUSES)
        .values("notice__assigned_to").annotate(running=Count("pk"), breached=breached).order_by()}
    reviewers = (Reviewer.objects.filter(Q(is_active=True) | Q(pk__in=[pk for pk in clocks if pk is not None]))
                 .select_related("user").order_by("user__username"))
    rows = [Workload(reviewer.user.get_username(), reviewer.open_load, clocks.get(reviewer.pk, {}).get("running", 0),
                     clocks.get(reviewer.pk, {}).get("breached", 0)) for reviewer in reviewers]
    if None in clocks:
        rows.append(Workload("Unassigned", None, clocks[None]["running"], clocks[None]["breached"]))
    appeals = SlaClock.objects.filter(stopped_at=None, kind=ClockKind.APPEAL_DECISION).aggregate(
        running=Count("pk"), breached=breached)
    rows.append(Workload(APPEALS_ROW, None, appeals["running"], appeals["breached"]))
    return rows


@dataclass(frozen=True)
class NoticesDecided:
    """The takedown-decision clocks stopped in the period, told apart: `notices` decided for the
    first time (each notice has one first decision clock, so it counts once, ever) and
    `redecisions`, the decision rounds of notices an appeal reopened (SlaClock.reopened)."""
    notices: int
    redecisions: int


def notices_decided(period: Period, durations: list[ClockDurations]) -> NoticesDecided:
    """From the roll-up's count of decision clocks, less the re-decisions (few: read over the
    clock_redecided index)."""
    clocks = next(row.count for row in durations if row.kind == ClockKind.TAKEDOWN_DECISION)
    redecisions = clock_rollup.counted_clocks().filter(
        period.where("stopped_at"), reopened=True, kind=ClockKind.TAKEDOWN_DECISION).count()
    return NoticesDecided(clocks - redecisions, redecisions)


@dataclass(frozen=True)
class PeriodFigures:
    period: Period
    breaches: list[tuple[date, int]]
    durations: list[ClockDurations]
    weeks: list[Week]
    decided: NoticesDecided


def period_figures(period: Period) -> PeriodFigures:
    durations = durations_per_kind(period)
    return PeriodFigures(period, breaches_per_day(period), durations, weekly_medians(period),
                         notices_decided(period, durations))


DURATION_COLUMNS = ("clock_id", "kind", "notice", "started_at", "due_at", "stopped_at", "elapsed_seconds",
                    "within_target", "breached")


def _durations(period: Period) -> QuerySet[SlaClock]:
    return stopped_clocks(period).order_by("stopped_at", "pk")


def duration_rows(period: Period) -> Iterator[tuple]:
    """One tuple per clock stopped in the period (DURATION_COLUMNS, elapsed as a timedelta), read
    from a cursor in chunks so an export of millions of clocks never sits in memory."""
    return (_durations(period)
            .annotate(within=ExpressionWrapper(clock_rollup.WITHIN_TARGET, output_field=BooleanField()),
                      was_breached=ExpressionWrapper(Q(breached_at__isnull=False), output_field=BooleanField()))
            .values_list("pk", "kind", "notice__reference", "started_at", "due_at", "stopped_at", "elapsed",
                         "within", "was_breached")
            .iterator(chunk_size=2000))


def _iso_text(field: str) -> Func:
    """A moment as text in the session's time zone, to the second: 2026-10-05T11:00:00+02:00, as
    Python's isoformat(timespec="seconds") writes it."""
    return Func(F(field), Value('YYYY-MM-DD"T"HH24:MI:SSTZH:TZM'), function="to_char", output_field=CharField())


def _true_false(condition: Q) -> Case:
    return Case(When(condition, then=Value("true")), default=Value("false"), output_field=CharField())


def duration_csv_copy(period: Period) -> Iterator[bytes]:
    """PostgreSQL only: the lines of the durations CSV (without the header) written by the database
    with COPY ... TO STDOUT and passed on chunk by chunk. Formatting 400,000 rows in Python takes
    ~10 s; PostgreSQL writes the same bytes in about a tenth of that."""
    columns = (_durations(period).annotate(
        started=_iso_text("started_at"), due=_iso_text("due_at"), stopped=_iso_text("stopped_at"),
        elapsed_seconds=Cast(Floor(clock_rollup.SECONDS + 0.5), BigIntegerField()),
        within=_true_false(clock_rollup.WITHIN_TARGET), was_breached=_true_false(clock_rollup.BREACHED),
    ).values_list("pk", "kind", "notice__reference", "started", "due", "stopped", "elapsed_seconds", "within",
                  "was_breached"))
    sql, params = columns.query.sql_with_params()
    # Read now, while the request's time zone is active: the body runs as the response streams.
    zone = timezone.get_current_timezone_name()

    def chunks() -> Iterator[bytes]:
        connection = connections[columns.db]
        with transaction.atomic(using=columns.db), connection.cursor() as cursor:
            cursor.execute("SELECT set_config('TimeZone', %s, true)", [zone])  # for this transaction only
            with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
                for chunk in copy:
                    yield bytes(chunk)
    return chunks()


# --- The two CSV downloads. ---

def _blank(value: object) -> object:
    return "" if value is None else value


def figure_rows(period: Period) -> Iterator[tuple]:
    """The dashboard's figures as (figure, clock, key, value) rows: one figure per row, so a
    spreadsheet can filter and pivot them."""
    yield "figure", "clock", "key", "value"
    yield "period", "", "from", period.first.isoformat()
    yield "period", "", "to", period.last.isoformat()
    for kind, counts in running_clocks().items():
        for state, count in counts.items():
            yield "running_clocks", kind, state, count
    shown = period_figures(period)
    for day, count in shown.breaches:
        yield "breaches_per_day", "", day.isoformat(), count
    for row in shown.durations:
        yield from (("stopped_clocks", row.kind, key, _blank(value)) for key, value in (
            ("count", row.count), ("within_target", row.within), ("within_target_share", row.share),
            ("breached", row.breached), ("median_elapsed_seconds", seconds(row.median)),
            ("p90_elapsed_seconds", seconds(row.p90))))
    yield "notices_decided", ClockKind.TAKEDOWN_DECISION, "first_decisions", shown.decided.notices
    yield "notices_decided", ClockKind.TAKEDOWN_DECISION, "redecisions", shown.decided.redecisions
    for week in shown.weeks:
        yield "weekly_count", ClockKind.TAKEDOWN_DECISION, week.monday.isoformat(), week.count
        yield "weekly_median_elapsed_seconds", ClockKind.TAKEDOWN_DECISION, week.monday.isoformat(), _blank(
            seconds(week.median))
    for load in workload():
        yield "workload_open_notices", "", load.reviewer, _blank(load.open_notices)
        yield "workload_running_clocks", "", load.reviewer, load.running
        yield "workload_breached_running_clocks", "", load.reviewer, load.breached


def _moment(value: datetime) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds")


def duration_lines(period: Period) -> Iterator[tuple]:
    """The rows of durations.csv after its header (DURATION_COLUMNS), formatted in Python; the same
    text that duration_csv_copy has PostgreSQL write."""
    for clock_id, kind, reference, started, due, stopped, elapsed, within, breached in duration_rows(period):
        yield (clock_id, kind, reference, _moment(started), _moment(due), _moment(stopped),
               _blank(seconds(elapsed)), str(bool(within)).lower(), str(bool(breached)).lower())
