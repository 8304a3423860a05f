"""The read side of the leads' SLA dashboard and of the public transparency report.

Every figure is a SQL aggregate or read from a maintained roll-up, so a page costs a handful of
queries whether there are ten notices or a million. The dashboard's clock figures come from the
daily roll-up in clock_rollup.py (histograms of elapsed time per day and clock kind); the public
report's from a snapshot per period (ReportSnapshot) computed with counts and the database's own
percentiles (`percentile`). Python only loops over the few result rows (kinds, days, weeks,
buckets), never over notices, decisions or clocks. The review queue's reads stay in
selectors.py; this module is what leads and the public read.

Periods are calendar days in the current time zone (settings.TIME_ZONE), half-open
[start, end), so a clock stopped at midnight belongs to exactly one day.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from math import floor
from typing import Any, Iterator, Sequence

from django.db import connections, transaction
from django.db.models import (Aggregate, BigIntegerField, BooleanField, Case, CharField, Count, DurationField,
                              Expression, ExpressionWrapper, F, FloatField, Func, Min, Q, QuerySet, Value, When)
from django.db.models.functions import Cast, Floor
from django.utils import timezone
from django.utils.formats import date_format

from takedowns import clock_rollup
from takedowns.enums import (AppealStatus, Appellant, ClockKind, CounterNoticeStatus, DecisionOutcome,
                             InfringementReason, PenaltyLevel, RightType, SubmitterTrust)
from takedowns.models import (
    Appeal,
    CounterNotice,
    Decision,
    Notice,
    NoticeItem,
    Penalty,
    ReportSnapshot,
    Reviewer,
    SlaClock,
)


# --- Percentiles, in the database. ---

class PercentileCont(Aggregate):
    """PostgreSQL's continuous percentile: percentile_cont(f) WITHIN GROUP (ORDER BY x)."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        # The fraction is inlined into the SQL: only a checked float may get there.
        super().__init__(expression, fraction=repr(_fraction(fraction)), **extra)

    def _resolve_output_field(self):
        # An interval stays an interval; percentile_cont of any number is double precision.
        source = self.get_source_fields()[0]
        return DurationField() if isinstance(source, DurationField) else FloatField()


def _fraction(fraction: float) -> float:
    fraction = float(fraction)
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"a percentile fraction is between 0 and 1, got {fraction}")
    return fraction


def percentiles(queryset: QuerySet, field: str | Expression, fractions: Sequence[float]) -> list[Any]:
    """The continuous percentiles (PostgreSQL's percentile_cont: linear interpolation between the
    two nearest values) of `field` over the rows of `queryset`, NULLs left out; None when there is
    no value. `field` is a field name or an expression such as F("decided_at") - F("confirmed_at").

    PostgreSQL computes them in one aggregate. SQLite has no percentile function, so there one
    COUNT and, per fraction, one ORDER BY ... LIMIT 2 OFFSET k read the at most two values the
    interpolation needs: still no row is loaded that is not part of the answer."""
    fractions = [_fraction(fraction) for fraction in fractions]
    expression = F(field) if isinstance(field, str) else field
    if connections[queryset.db].vendor == "postgresql":
        row = queryset.aggregate(**{f"p{i}": PercentileCont(expression, f) for i, f in enumerate(fractions)})
        return [row[f"p{i}"] for i in range(len(fractions))]
    ordered = (queryset.annotate(percentile_value=expression).filter(percentile_value__isnull=False)
               .order_by("percentile_value").values_list("percentile_value", flat=True))
    count = ordered.count()
    if not count:
        return [None] * len(fractions)
    results = []
    for fraction in fractions:
        position = fraction * (count - 1)
        below = floor(position)
        # LIMIT 2 OFFSET below; numbers as floats, as percentile_cont returns them on PostgreSQL.
        values = [value if isinstance(value, timedelta) else float(value) for value in ordered[below:below + 2]]
        weight = position - below
        results.append(values[0] if weight == 0 or len(values) == 1
                       else values[0] + (values[1] - values[0]) * weight)
    return results


def percentile(queryset: QuerySet, field: str | Expression, fraction: float) -> Any:
    """One continuous percentile of `field` over `queryset` (see `percentiles`): 0.5 is the median."""
    return percentiles(queryset, field, [fraction])[0]


def seconds(duration: timedelta | None) -> int | None:
    """A duration in whole seconds, as figures are published: halves round up, as in the SQL of
    the durations export (`duration_csv_copy`)."""
    return None if duration is None else floor(duration.total_seconds() + 0.5)


def share(part: int, whole: int) -> float | None:
    """A share rounded to 4 places (0.6667); None when there is nothing to share."""
    return round(part / whole, 4) if whole else None


# --- Periods. ---

@dataclass(frozen=True)
class Period:
    """Whole days, `first` to `last` inclusive, in the current time zone."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=timezone.get_current_timezone())

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone())

    @property
    def length(self) -> int:
        return (self.last - self.first).days + 1

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range(self.length)]

    def mondays(self) -> list[date]:
        """The Monday of each week the period touches (the first may be before the period starts)."""
        first = self.first - timedelta(days=self.first.weekday())
        return [first + timedelta(weeks=n) for n in range((self.last - first).days // 7 + 1)]

    def where(self, field: str) -> Q:
        return Q(**{f"{field}__gte": self.start, f"{field}__lt": self.end})


@dataclass(frozen=True)
class ReportPeriod(Period):
    slug: str = ""
    title: str = ""
    complete: bool = True


class BadPeriod(ValueError):
    pass


_MONTH = re.compile(r"(\d{4})-(\d{2})")
_HALF = re.compile(r"(\d{4})-H([12])")


def _month(year: int, month: int, now: datetime) -> ReportPeriod:
    first = date(year, month, 1)
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return _report_period(first, last, f"{year:04d}-{month:02d}", date_format(first, "F Y"), now)


def _half_title(year: int, half: int) -> str:
    return f"{'January–June' if half == 1 else 'July–December'} {year}"


def _half(year: int, half: int, now: datetime) -> ReportPeriod:
    first, last = (date(year, 1, 1), date(year, 6, 30)) if half == 1 else (date(year, 7, 1), date(year, 12, 31))
    return _report_period(first, last, f"{year:04d}-H{half}", _half_title(year, half), now)


def _report_period(first: date, last: date, slug: str, title: str, now: datetime) -> ReportPeriod:
    period = Period(first, last)
    return ReportPeriod(first, last, slug=slug, title=title, complete=period.end <= now)


def report_period(slug: str, now: datetime) -> ReportPeriod:
    """The month ("2026-11") or half-year ("2026-H2") named in a report URL; BadPeriod says why not."""
    month, half = _MONTH.fullmatch(slug), _HALF.fullmatch(slug)
    if month and int(month[1]) >= 1 and 1 <= int(month[2]) <= 12:
        year, number, make = int(month[1]), int(month[2]), _month
        starts = date(year, number, 1)
        title = date_format(starts, "F Y")
    elif half and int(half[1]) >= 1:
        year, number, make = int(half[1]), int(half[2]), _half
        starts, title = date(year, 1 if number == 1 else 7, 1), _half_title(year, number)
    else:
        raise BadPeriod(f"“{slug[:40]}” is not a report period: name a month as 2026-11 or a half-year as 2026-H2.")
    # Checked before the period is built, so a far-future year cannot overflow its end date.
    if starts > timezone.localtime(now).date():
        raise BadPeriod(f"There is no report for {title} yet: the period has not started.")
    return make(year, number, now)


def report_periods(now: datetime) -> tuple[list[ReportPeriod], list[ReportPeriod]]:
    """(half-years, months) from the first confirmed notice up to the current one, newest first."""
    first = Notice.objects.aggregate(first=Min("confirmed_at"))["first"]
    if first is None:
        return [], []
    first, today = timezone.localtime(first).date(), timezone.localtime(now).date()
    months = [_month(year, month, now) for year in range(first.year, today.year + 1) for month in range(1, 13)
              if (first.year, first.month) <= (year, month) <= (today.year, today.month)]
    halves = [_half(year, half, now) for year in range(first.year, today.year + 1) for half in (1, 2)
              if (first.year, (first.month + 5) // 6) <= (year, half) <= (today.year, (today.month + 5) // 6)]
    return halves[::-1], months[::-1]


# --- The dashboard: SLA clocks. ---

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
    found = {row.pop("kind"): row for row in rows}
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
    open_notices: int | None  # None: the row of unassigned notices
    running: int
    breached: int


def workload() -> list[Workload]:
    """Per reviewer: open notices (kept on the reviewer row) and the running and breached running
    clocks of the notices assigned to them; a last row for clocks of unassigned notices. Counted
    from the running clocks (a small, indexed set), not from every notice a reviewer ever had."""
    clocks = {row["notice__assigned_to"]: row for row in SlaClock.objects.filter(stopped_at=None)
              .values("notice__assigned_to").annotate(running=Count("pk"),
                                                      breached=Count("pk", filter=Q(breached_at__isnull=False)))
              .order_by()}
    reviewers = (Reviewer.objects.filter(Q(is_active=True) | Q(pk__in=[pk for pk in clocks if pk is not None]))
                 .select_related("user").order_by("user__username"))
    rows = [Workload(reviewer.user.get_username(), reviewer.open_load, clocks.get(reviewer.pk, {}).get("running", 0),
                     clocks.get(reviewer.pk, {}).get("breached", 0)) for reviewer in reviewers]
    if None in clocks:
        rows.append(Workload("Unassigned", None, clocks[None]["running"], clocks[None]["breached"]))
    return rows


@dataclass(frozen=True)
class PeriodFigures:
    period: Period
    breaches: list[tuple[date, int]]
    durations: list[ClockDurations]
    weeks: list[Week]


def period_figures(period: Period) -> PeriodFigures:
    return PeriodFigures(period, breaches_per_day(period), durations_per_kind(period), weekly_medians(period))


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


# --- The public transparency report (DSA Art. 15 and 24). ---

def _by(field: str, values: Sequence[str]) -> dict[str, Count]:
    """One conditional count per choice, so every choice is in the figures, zeros included."""
    return {f"{field}_{value}": Count("pk", filter=Q(**{field: value})) for value in values}


def _picked(row: dict, field: str, values: Sequence[str]) -> dict[str, int]:
    return {value: row[f"{field}_{value}"] for value in values}


def report_figures(period: ReportPeriod) -> dict:
    """The report's figures as plain data: the JSON as published, the CSV and the page read it.
    Each section is one aggregate over the rows dated in the period by the event it counts."""
    notices = Notice.objects.filter(period.where("confirmed_at")).aggregate(
        received=Count("pk"), trusted=Count("pk", filter=Q(trust=SubmitterTrust.TRUSTED_FLAGGER)),
        **_by("right_type", RightType.values))
    items = NoticeItem.objects.filter(period.where("notice__confirmed_at")).aggregate(
        items=Count("pk"), **_by("reason", InfringementReason.values))
    decided = Decision.objects.filter(period.where("decided_at"))
    decisions = decided.aggregate(
        decisions=Count("pk"), **_by("outcome", DecisionOutcome.values),
        detected=Count("pk", filter=Q(automated_detection=True)),
        decided=Count("pk", filter=Q(automated_decision=True)))
    undone = Decision.objects.filter(period.where("listing_restored_at") | period.where("reversed_at")).aggregate(
        restored=Count("pk", filter=period.where("listing_restored_at")),
        reversed=Count("pk", filter=period.where("reversed_at")))
    # DSA Art. 15(1)(b): from the notice's receipt (its confirmation) to the decision on the listing.
    time_to_action = percentile(decided, F("decided_at") - F("item__notice__confirmed_at"), 0.5)
    target = stopped_clocks(period).filter(kind=ClockKind.TAKEDOWN_DECISION).aggregate(
        decided=Count("pk"), within=Count("pk", filter=clock_rollup.WITHIN_TARGET))
    counter = CounterNotice.objects.filter(period.where("filed_at")).aggregate(
        filed=Count("pk"), **_by("status", CounterNoticeStatus.values))
    appeals = Appeal.objects.filter(period.where("filed_at")).aggregate(
        filed=Count("pk"), **{f"{who}_{status}": Count("pk", filter=Q(appellant=who, status=status))
                              for who in Appellant.values for status in AppealStatus.values})
    penalties = Penalty.objects.filter(period.where("decided_at")).aggregate(
        decided=Count("pk"), **_by("level", PenaltyLevel.values))
    removals = decisions[f"outcome_{DecisionOutcome.REMOVE}"]
    return {
        "period": period.slug, "title": period.title, "start": period.start.isoformat(),
        "end": period.end.isoformat(), "complete": period.complete,
        "notices": {
            "received": notices["received"],
            "by_right_type": _picked(notices, "right_type", RightType.values),
            "by_source": {"trusted_flagger": notices["trusted"], "other": notices["received"] - notices["trusted"]},
            "items": items["items"],
            "items_by_reason": _picked(items, "reason", InfringementReason.values),
        },
        "actions": {
            "decisions": decisions["decisions"],
            "by_outcome": _picked(decisions, "outcome", DecisionOutcome.values),
            "listings_restored": undone["restored"],
            "decisions_reversed_on_appeal": undone["reversed"],
        },
        # Every removal today follows a notice; own-initiative detection comes with a later issue.
        "removals_by_initiative": {"reactive": removals, "proactive": 0},
        "automated_means": {"decisions": decisions["decisions"], "automated_detection": decisions["detected"],
                            "automated_decision": decisions["decided"]},
        "median_time_to_action_seconds": seconds(time_to_action),
        "decided_within_target": {"decided": target["decided"], "within_target": target["within"],
                                  "share": share(target["within"], target["decided"])},
        "counter_notices": {"filed": counter["filed"], "by_status": _picked(counter, "status",
                                                                            CounterNoticeStatus.values)},
        "appeals": {"filed": appeals["filed"], "by_appellant": {
            who: {"filed": sum(appeals[f"{who}_{status}"] for status in AppealStatus.values),
                  "by_status": {status: appeals[f"{who}_{status}"] for status in AppealStatus.values}}
            for who in Appellant.values}},
        "penalties": {"decided": penalties["decided"], "by_level": _picked(penalties, "level", PenaltyLevel.values)},
    }


# How long a stored report stays current: the period in progress changes all the time, a closed
# one only through late events (a counter-notice filed in it restored later, an appeal decided).
CURRENT_REPORT_FRESH = timedelta(minutes=15)
CLOSED_REPORT_FRESH = timedelta(hours=24)


def published_report(period: ReportPeriod, now: datetime) -> dict:
    """The report as visitors read it: the stored roll-up while fresh, otherwise computed and stored."""
    stored = ReportSnapshot.objects.filter(period=period.slug).first()
    fresh_for = CLOSED_REPORT_FRESH if period.complete else CURRENT_REPORT_FRESH
    if stored and stored.computed_at > now - fresh_for and stored.figures["complete"] == period.complete:
        return stored.figures
    return refresh_report(period, now)


def refresh_report(period: ReportPeriod, now: datetime) -> dict:
    data = {**report_figures(period), "computed_at": now.isoformat()}
    ReportSnapshot.objects.update_or_create(period=period.slug, defaults={"figures": data, "computed_at": now})
    return data


def refresh_current_reports(now: datetime) -> list[str]:
    """The beat task's work: this and the previous month and half-year, so that visitors never wait."""
    today = timezone.localtime(now).date()
    last_month = today.replace(day=1) - timedelta(days=1)
    half = 1 if today.month <= 6 else 2
    previous_half = f"{today.year}-H1" if half == 2 else f"{today.year - 1}-H2"
    slugs = [f"{today:%Y-%m}", f"{last_month:%Y-%m}", f"{today.year}-H{half}", previous_half]
    for slug in slugs:
        refresh_report(report_period(slug, now), now)
    return slugs


def flattened(figures: dict, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """("notices.by_right_type.trademark", 1), ... : the report as CSV rows, in the JSON's order."""
    for key, value in figures.items():
        if isinstance(value, dict):
            yield from flattened(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value
