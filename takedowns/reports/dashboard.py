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
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Concat, Floor, NullIf, Substr
from django.utils import timezone

from takedowns import sla
from takedowns.enums import OPEN_NOTICE_STATUSES, ClockKind
from takedowns.models import Reviewer, SlaClock
from takedowns.reports import clock_rollup, proactive
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
    open_notices: int | None  # None: the rows of unassigned notices, appeals and counter-notice checks
    running: int  # running and not paused: work the row's reviewers can act on now
    breached: int  # of those, breached
    waiting: int  # paused: waiting for the submitter's answer, nothing to act on until it comes


# The clocks a reviewer's own work stops: the steps of the notices they hold (workflow/clocks.py,
# NOTICE_CLOCKS). The others are not one reviewer's: an appeal goes to any reviewer who took no part
# in the decision (appeal_rules), a counter-notice's completeness check to any reviewer, the restore
# waits out the DMCA window and the beat restores, the penalty ladder and the marketplace stop the
# penalty and takedown clocks.
REVIEWER_CLOCKS = (ClockKind.ACKNOWLEDGEMENT, ClockKind.TAKEDOWN_DECISION)
APPEALS_ROW = "Appeals (any reviewer but the original decider)"
CHECKS_ROW = "Counter-notice completeness checks (any reviewer)"
_POOLED_ROWS = ((APPEALS_ROW, ClockKind.APPEAL_DECISION), (CHECKS_ROW, ClockKind.COUNTER_NOTICE_CHECK))


def _load_counts(prefix: str = "", where: Q | None = None) -> dict[str, Count]:
    """Running (not paused), breached among them, and paused clocks, as filtered Counts."""
    where = where or Q()
    acting = where & Q(paused_at=None)
    return {f"{prefix}running": Count("pk", filter=acting),
            f"{prefix}breached": Count("pk", filter=acting & Q(breached_at__isnull=False)),
            f"{prefix}waiting": Count("pk", filter=where & Q(paused_at__isnull=False))}


def workload() -> list[Workload]:
    """Per reviewer: open notices (kept on the reviewer row), and the running and breached clocks
    the reviewer can act on: those of the open notices assigned to them (a closed notice's later
    clocks, a restore or an appeal, are not its first reviewer's work, who may not decide the
    appeal), not paused; the paused ones (waiting for the submitter's answer: nothing to do until it
    comes) in a column of their own. Then a row for the open notices nobody holds, one for the
    running appeal clocks, which any reviewer who took no part in the original decision may decide,
    and one for the counter-notices' completeness-check clocks, which any reviewer may do. Counted
    from the running clocks (a small, indexed set), not from every notice a reviewer ever had."""
    # Keyed by reviewer id, None for unassigned notices.
    clocks: dict[int | None, Mapping[str, Any]] = {
        row["notice__assigned_to"]: row for row in SlaClock.objects.filter(
            stopped_at=None, kind__in=REVIEWER_CLOCKS, notice__status__in=OPEN_NOTICE_STATUSES)
        .values("notice__assigned_to").annotate(**_load_counts()).order_by()}
    reviewers = (Reviewer.objects.filter(Q(is_active=True) | Q(pk__in=[pk for pk in clocks if pk is not None]))
                 .select_related("user").order_by("user__username"))
    rows = [Workload(reviewer.user.get_username(), reviewer.open_load, *_counted(clocks.get(reviewer.pk, {})))
            for reviewer in reviewers]
    if None in clocks:
        rows.append(Workload("Unassigned", None, *_counted(clocks[None])))
    # Both pooled rows in one aggregate over the running clocks.
    pooled = SlaClock.objects.filter(stopped_at=None, kind__in=[kind for _, kind in _POOLED_ROWS]).aggregate(
        **{name: count for _, kind in _POOLED_ROWS for name, count in _load_counts(f"{kind}_", Q(kind=kind)).items()})
    rows.extend(Workload(label, None, *_counted(pooled, f"{kind}_")) for label, kind in _POOLED_ROWS)
    return rows


def _counted(row: Mapping[str, Any], prefix: str = "") -> tuple[int, int, int]:
    return row.get(f"{prefix}running", 0), row.get(f"{prefix}breached", 0), row.get(f"{prefix}waiting", 0)


@dataclass(frozen=True)
class NoticesDecided:
    """The takedown-decision clocks stopped in the period, told apart.

    `notices`: the notices done for the first time. A first decision clock stops when the notice's
    last listing is decided or closed because the submitter never sent the information asked for
    (NO_ANSWER: no Decision row), so both are counted, and labelled so: "decided, or closed without
    an answer from the submitter". Each notice has one first decision clock (routing starts it once), so
    it counts once, ever. `redecisions`: the later decision rounds of notices reopened by an appeal
    or a fix and resubmit (SlaClock.reopened). Each with how many stopped within target
    (clock_rollup.WITHIN_TARGET): `notices_within` is the report's "within target" for the same
    period (reports/transparency.py, _decided_within_target), which counts first decisions only."""
    notices: int
    redecisions: int
    notices_within: int
    redecisions_within: int


def notices_decided(period: Period, durations: list[ClockDurations]) -> NoticesDecided:
    """From the roll-up's counts of decision clocks (all, and within target), less the re-decisions
    (few: read over the clock_redecided index, in one aggregate)."""
    clocks = next(row for row in durations if row.kind == ClockKind.TAKEDOWN_DECISION)
    again = clock_rollup.counted_clocks().filter(
        period.where("stopped_at"), reopened=True, kind=ClockKind.TAKEDOWN_DECISION).aggregate(
        count=Count("pk"), within=Count("pk", filter=clock_rollup.WITHIN_TARGET))
    return NoticesDecided(clocks.count - again["count"], again["count"], clocks.within - again["within"],
                          again["within"])


@dataclass(frozen=True)
class OwnInitiative:
    """Proactive protection over the period (issue 14), as the transparency report defines it
    (reports/proactive.py, where each figure's definition is): read live, four indexed aggregates."""
    removals: dict  # reactive, proactive, ratio, proactive_before_first_sale(_share)
    outcomes: dict[str, int]  # screenings by outcome
    staydown: dict[str, int]  # blocked, held
    precision: list[proactive.RuleRow]
    referrals: int


def own_initiative(period: Period) -> OwnInitiative:
    screened = proactive.screenings(period)
    return OwnInitiative(proactive.removals(period), screened["outcomes"], screened["staydown"],
                         proactive.rule_rows(proactive.precision(period)), proactive.referrals(period))


@dataclass(frozen=True)
class PeriodFigures:
    period: Period
    breaches: list[tuple[date, int]]
    durations: list[ClockDurations]
    weeks: list[Week]
    decided: NoticesDecided
    own: OwnInitiative


def period_figures(period: Period) -> PeriodFigures:
    durations = durations_per_kind(period)
    return PeriodFigures(period, breaches_per_day(period), durations, weekly_medians(period),
                         notices_decided(period, durations), own_initiative(period))


# elapsed_seconds is in the clock's own time (working time on a business-hours calendar), the
# waits for the submitter left out; paused_seconds is those waits in wall-clock time; the calendar
# columns are the terms the clock ran on (SlaClock.calendar, sla.Calendar): "business_hours" with
# its time zone, the public holidays' country (and region, "DE-BY") and the working day (Monday
# to Friday), or "round_the_clock" with the three left blank. With them an auditor recomputes
# elapsed_seconds from started_at, stopped_at and the pauses of the clock's events.
DURATION_COLUMNS = ("clock_id", "kind", "notice", "started_at", "due_at", "stopped_at", "elapsed_seconds",
                    "within_target", "breached", "paused_seconds", "calendar", "time_zone", "holidays",
                    "working_hours")
BUSINESS_HOURS, ROUND_THE_CLOCK = "business_hours", "round_the_clock"


def _durations(period: Period) -> QuerySet[SlaClock]:
    return stopped_clocks(period).order_by("stopped_at", "pk")


def duration_rows(period: Period) -> Iterator[tuple]:
    """One tuple per clock stopped in the period: DURATION_COLUMNS up to `breached` (elapsed as a
    timedelta), then the wall-clock time paused (a timedelta) and the calendar's terms (a dict).
    Read from a cursor in chunks so an export of millions of clocks never sits in memory."""
    return (_durations(period)
            .annotate(within=ExpressionWrapper(clock_rollup.WITHIN_TARGET, output_field=BooleanField()),
                      was_breached=ExpressionWrapper(Q(breached_at__isnull=False), output_field=BooleanField()))
            .values_list("pk", "kind", "notice__reference", "started_at", "due_at", "stopped_at", "elapsed",
                         "within", "was_breached", "paused_for", "calendar")
            .iterator(chunk_size=2000))


def calendar_columns(terms: dict) -> tuple[str, str, str, str]:
    """The calendar, time_zone, holidays and working_hours columns of a clock's calendar terms."""
    calendar = sla.Calendar.from_terms(terms)
    if not calendar.business_hours:
        return ROUND_THE_CLOCK, "", "", ""
    holidays = f"{calendar.country}-{calendar.subdivision}" if calendar.subdivision else calendar.country
    return (BUSINESS_HOURS, calendar.timezone, holidays,
            f"{calendar.day_start.isoformat('minutes')}-{calendar.day_end.isoformat('minutes')}")


def _term(name: str) -> KeyTextTransform:
    return KeyTextTransform(name, "calendar")


def _business_hours_only(value: Any) -> Case:
    """The calendar columns in SQL, as calendar_columns writes them: blank round the clock. Blank is
    NULL, which COPY writes as nothing, as Python's csv writes "" (COPY would quote an empty string)."""
    return Case(When(calendar__business_hours=True, then=NullIf(value, Value(""))), default=None,
                output_field=CharField())


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
        paused_seconds=Cast(Floor(clock_rollup.PAUSED_SECONDS + 0.5), BigIntegerField()),
        calendar_name=Case(When(calendar__business_hours=True, then=Value(BUSINESS_HOURS)),
                           default=Value(ROUND_THE_CLOCK), output_field=CharField()),
        time_zone=_business_hours_only(_term("timezone")),
        holidays=_business_hours_only(Case(
            When(~Q(calendar__subdivision=""), then=Concat(_term("country"), Value("-"), _term("subdivision"),
                                                                     output_field=CharField())),
            default=_term("country"), output_field=CharField())),
        working_hours=_business_hours_only(Concat(Substr(_term("day_start"), 1, 5), Value("-"),
                                                  Substr(_term("day_end"), 1, 5), output_field=CharField())),
    ).values_list("pk", "kind", "notice__reference", "started", "due", "stopped", "elapsed_seconds", "within",
                  "was_breached", "paused_seconds", "calendar_name", "time_zone", "holidays", "working_hours"))
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
    yield "notices_decided", ClockKind.TAKEDOWN_DECISION, "first_decisions_within_target", shown.decided.notices_within
    yield "notices_decided", ClockKind.TAKEDOWN_DECISION, "redecisions", shown.decided.redecisions
    yield "notices_decided", ClockKind.TAKEDOWN_DECISION, "redecisions_within_target", shown.decided.redecisions_within
    for week in shown.weeks:
        yield "weekly_count", ClockKind.TAKEDOWN_DECISION, week.monday.isoformat(), week.count
        yield "weekly_median_elapsed_seconds", ClockKind.TAKEDOWN_DECISION, week.monday.isoformat(), _blank(
            seconds(week.median))
    own = shown.own
    yield from (("own_initiative_removals", "", key, _blank(value)) for key, value in own.removals.items())
    yield from (("screenings", "", outcome, count) for outcome, count in own.outcomes.items())
    yield from (("staydown", "", key, count) for key, count in own.staydown.items())
    for rule in own.precision:
        yield "screening_precision_decided", "", rule.rule, rule.decided
        yield "screening_precision_confirmed", "", rule.rule, rule.confirmed
        yield "screening_precision_share", "", rule.rule, _blank(rule.share)
    yield "referrals", "", "built", own.referrals
    for load in workload():
        yield "workload_open_notices", "", load.reviewer, _blank(load.open_notices)
        yield "workload_running_clocks", "", load.reviewer, load.running
        yield "workload_breached_running_clocks", "", load.reviewer, load.breached
        yield "workload_waiting_for_the_submitter", "", load.reviewer, load.waiting


def _moment(value: datetime) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds")


def duration_lines(period: Period) -> Iterator[tuple]:
    """The rows of durations.csv after its header (DURATION_COLUMNS), formatted in Python; the same
    text that duration_csv_copy has PostgreSQL write."""
    for clock_id, kind, reference, started, due, stopped, elapsed, within, breached, paused, terms in duration_rows(
            period):
        yield (clock_id, kind, reference, _moment(started), _moment(due), _moment(stopped),
               _blank(seconds(elapsed)), str(bool(within)).lower(), str(bool(breached)).lower(), seconds(paused),
               *calendar_columns(terms))
