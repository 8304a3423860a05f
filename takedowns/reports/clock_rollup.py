"""The daily roll-up of SLA clocks that the leads' dashboard reads: the only writer of
ClockDurationsDay, ClockBreachesDay and ClockRollupMark.

Why a roll-up: a dashboard over six months at a million notices would otherwise aggregate and
sort millions of clock rows per page view. Per day and clock kind the roll-up keeps a histogram
of elapsed times instead, a few hundred rows per day whatever the traffic.

Why it stays right: a stopped clock never changes again (workflow/clocks.py stops it once, with
a conditional UPDATE) and a breach is recorded once. The roll-up counts exactly the clocks
stopped, and the breaches, before its mark; `refresh` (beat, every 5 minutes) moves the mark to
10 minutes before its `now`, so that transactions still open then have committed, recomputing
the mark's day from its start. The readers add what came after the mark live from the clock
table, so leads never see stale figures, and a roll-up that is empty (just migrated) or behind
(beat stopped for a while) only makes the page slower, never wrong. The days are those of
settings.TIME_ZONE: after changing it, empty the two tables and the mark's `through`, and the
next refresh rebuilds them.

Percentiles: bucket b holds the clocks whose elapsed time e (seconds) has
floor(BUCKETS_PER_E * ln(1 + e)) == b, so a bucket is 5 % wide. Each row keeps the count and the
shortest and longest time in the bucket, and a percentile is computed as PostgreSQL's
percentile_cont would over the clocks, with a bucket's clocks taken as evenly spread from its
shortest to its longest time. That is exact whenever a bucket holds at most two distinct times
(small periods, the hand-made test data) and otherwise far inside the bucket's width (the bench
checks it against percentile_cont at a million notices): the durations CSV has every exact time.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import islice
from math import floor
from typing import TypeVar

from django.db import transaction
from django.db.models import Count, F, FloatField, Func, IntegerField, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import Cast, ExtractIsoYear, ExtractWeek, Floor, Ln, TruncDate
from django.utils import timezone

from takedowns.enums import ClockKind
from takedowns.models import ClockBreachesDay, ClockDurationsDay, ClockRollupMark, SlaClock
from takedowns.reports.periods import midnight

BUCKETS_PER_E = 20


class _Seconds(Func):
    """A duration in seconds as a float: PostgreSQL stores an interval, SQLite microseconds."""

    output_field = FloatField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="EXTRACT(EPOCH FROM %(expressions)s)", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(%(expressions)s / 1000000.0)", **extra)


SECONDS = _Seconds("elapsed")
PAUSED_SECONDS = _Seconds("paused_for")  # wall-clock time spent waiting for the submitter
BUCKET = Cast(Floor(Ln(SECONDS + 1) * BUCKETS_PER_E), IntegerField())
# Within target: stopped by the due time, which every wait for the submitter moved later by the
# working time it lasted (workflow/clocks.py: resume_clock, and stop_clock for a clock stopped while
# waiting). The CLOCK_STOPPED event, the report, the dashboard and the pages all use this definition.
WITHIN_TARGET = Q(stopped_at__lte=F("due_at"))
BREACHED = Q(breached_at__isnull=False)


def counted_clocks() -> QuerySet[SlaClock]:
    """Clocks that count in the durations: stopped, not cancelled (a cancelled clock measured nothing)."""
    return SlaClock.objects.filter(stopped_at__isnull=False, cancelled=False, elapsed__isnull=False)


def _between(clocks: QuerySet[SlaClock], moment: str, start: datetime, end: datetime) -> QuerySet[SlaClock]:
    """The clocks whose `moment` is in [start, end)."""
    return clocks.filter(**{f"{moment}__gte": start, f"{moment}__lt": end})


# --- The writer: the beat task's work. ---

# The roll-up stops this long before the refresh's `now`: a clock stopped inside a transaction
# that has not committed yet would otherwise be missed for good. Longer than any transaction
# that stops a clock (Celery kills a task after 300 s).
LATE_COMMITS = timedelta(minutes=10)
# Days recomputed per transaction: the first run over a year of history commits month by month,
# so a run stopped by the task's time limit keeps what it did and the next one carries on.
WINDOW_DAYS = 31


def refresh(now: datetime) -> dict[str, int]:
    """Carry the roll-up forward to `now` - LATE_COMMITS, recomputing from the start of the day it
    had reached (that day's rows counted only part of it). Runs one at a time: each window of
    days locks the mark, writes its rows with upserts and moves the mark, in one transaction.
    Returns the rows written per table."""
    target = now - LATE_COMMITS
    written = {"durations": 0, "breaches": 0}
    while True:
        with transaction.atomic():
            mark = ClockRollupMark.objects.select_for_update().get(pk=1)
            first = _first_day(mark.through)
            if first is None:
                return written
            start = midnight(first)
            end = min(midnight(first + timedelta(days=WINDOW_DAYS)), target)
            if mark.through is not None and end <= mark.through:
                return written
            written["durations"] += _upsert(
                ClockDurationsDay, _duration_rows(_between(counted_clocks(), "stopped_at", start, end)),
                unique=["day", "kind", "bucket"],
                figures=["stopped", "within_target", "breached", "elapsed_min", "elapsed_max"])
            written["breaches"] += _upsert(
                ClockBreachesDay, _breach_rows(_between(SlaClock.objects.filter(BREACHED), "breached_at", start, end)),
                unique=["day", "kind"], figures=["breaches"])
            mark.through = end
            mark.save(update_fields=["through"])
        if end == target:
            return written


def _first_day(through: datetime | None) -> date | None:
    """The day to recompute from: the mark's, or before the first refresh the first clock's."""
    if through is not None:
        return timezone.localdate(through)
    first = [moment for moment in (counted_clocks().aggregate(first=Min("stopped_at"))["first"],
                                   SlaClock.objects.filter(BREACHED).aggregate(first=Min("breached_at"))["first"])
             if moment is not None]
    return timezone.localdate(min(first)) if first else None


_RollupRow = TypeVar("_RollupRow", ClockDurationsDay, ClockBreachesDay)


def _upsert(model: type[_RollupRow], objects: Iterable[_RollupRow], *, unique: list[str], figures: list[str]) -> int:
    written = 0
    objects = iter(objects)
    while batch := list(islice(objects, 1000)):
        model.objects.bulk_create(batch, update_conflicts=True, unique_fields=unique, update_fields=figures)
        written += len(batch)
    return written


def _duration_rows(clocks: QuerySet[SlaClock]) -> Iterable[ClockDurationsDay]:
    grouped = (clocks.annotate(day=TruncDate("stopped_at"), bucket=BUCKET).values("day", "kind", "bucket")
               .annotate(stopped=Count("pk"), within_target=Count("pk", filter=WITHIN_TARGET),
                         breached=Count("pk", filter=BREACHED), elapsed_min=Min("elapsed"),
                         elapsed_max=Max("elapsed")).order_by())
    return (ClockDurationsDay(**row) for row in grouped.iterator(chunk_size=2000))


def _breach_rows(clocks: QuerySet[SlaClock]) -> Iterable[ClockBreachesDay]:
    grouped = (clocks.annotate(day=TruncDate("breached_at")).values("day", "kind")
               .annotate(breaches=Count("pk")).order_by())
    return (ClockBreachesDay(**row) for row in grouped.iterator(chunk_size=2000))


# --- The readers: a period's figures from the roll-up plus, live, what came after its mark. ---

def _split(first: date, last: date) -> tuple[tuple[date, date] | None, tuple[datetime, datetime] | None]:
    """The days from `first` to `last` the roll-up holds (the last of them may be partly held),
    and the moments [start, end) of the rest, to read live from the clock table."""
    start, end = midnight(first), midnight(last + timedelta(days=1))
    through = ClockRollupMark.objects.get(pk=1).through
    if through is None or through <= start:
        return None, (start, end)
    if through >= end:
        return (first, last), None
    return (first, timezone.localdate(through)), (through, end)


@dataclass
class Bucket:
    count: int
    shortest: timedelta
    longest: timedelta

    def value_at(self, rank: int) -> timedelta:
        """The rank-th time (from 0) in the bucket, its clocks evenly spread from shortest to longest."""
        if self.count == 1:
            return self.shortest
        return self.shortest + (self.longest - self.shortest) * rank / (self.count - 1)


@dataclass
class Histogram:
    """Clocks counted per bucket ({bucket: Bucket}), plus the exact counts."""

    buckets: dict[int, Bucket] = field(default_factory=dict)
    count: int = 0
    within: int = 0
    breached: int = 0

    def add(self, bucket: int, count: int, shortest: timedelta, longest: timedelta, within: int = 0,
            breached: int = 0) -> None:
        known = self.buckets.get(bucket)
        if known is None:
            self.buckets[bucket] = Bucket(count, shortest, longest)
        else:
            known.count += count
            known.shortest, known.longest = min(known.shortest, shortest), max(known.longest, longest)
        self.count += count
        self.within += within
        self.breached += breached

    def percentiles(self, fractions: Sequence[float]) -> list[timedelta | None]:
        """percentile_cont's interpolation between the two clocks around each fraction's position."""
        if not self.count:
            return [None] * len(fractions)
        ordered = [self.buckets[b] for b in sorted(self.buckets)]

        def value_at(index: int) -> timedelta:
            for bucket in ordered:
                if index < bucket.count:
                    return bucket.value_at(index)
                index -= bucket.count
            raise IndexError(index)

        results: list[timedelta | None] = []
        for fraction in fractions:
            position = fraction * (self.count - 1)
            below = floor(position)
            weight = position - below
            low = value_at(below)
            results.append(low if weight == 0 else low + (value_at(below + 1) - low) * weight)
        return results


def durations(first: date, last: date) -> dict[str, Histogram]:
    """{clock kind: Histogram} of the clocks stopped from `first` to `last` (both included)."""
    histograms: dict[str, Histogram] = defaultdict(Histogram)
    stored, live = _split(first, last)
    if stored:
        # Every kind named, so that PostgreSQL reads the period of each from clock_durations_by_kind.
        for row in (ClockDurationsDay.objects.filter(kind__in=ClockKind.values, day__range=stored)
                    .values("kind", "bucket")
                    .annotate(n=Sum("stopped"), within=Sum("within_target"), breached=Sum("breached"),
                              shortest=Min("elapsed_min"), longest=Max("elapsed_max")).order_by()):
            histograms[row["kind"]].add(row["bucket"], row["n"], row["shortest"], row["longest"], row["within"],
                                        row["breached"])
    if live:
        for row in (_between(counted_clocks(), "stopped_at", *live).annotate(bucket=BUCKET)
                    .values("kind", "bucket").annotate(n=Count("pk"), within=Count("pk", filter=WITHIN_TARGET),
                                                       breached=Count("pk", filter=BREACHED), shortest=Min("elapsed"),
                                                       longest=Max("elapsed"))
                    .order_by()):
            histograms[row["kind"]].add(row["bucket"], row["n"], row["shortest"], row["longest"], row["within"],
                                        row["breached"])
    return histograms


def weekly_durations(first: date, last: date, kind: str) -> dict[date, Histogram]:
    """{Monday: Histogram} of the clocks of `kind` stopped from `first` to `last`, per week."""
    histograms: dict[date, Histogram] = defaultdict(Histogram)
    stored, live = _split(first, last)
    if stored:
        # Grouped by ISO year and week as numbers: a date per row would cost more than the sums.
        for year, week, bucket, count, shortest, longest in (
                ClockDurationsDay.objects.filter(day__range=stored, kind=kind)
                .annotate(year=ExtractIsoYear("day"), week=ExtractWeek("day")).values("year", "week", "bucket")
                .annotate(n=Sum("stopped"), shortest=Min("elapsed_min"), longest=Max("elapsed_max")).order_by()
                .values_list("year", "week", "bucket", "n", "shortest", "longest")):
            histograms[date.fromisocalendar(year, week, 1)].add(bucket, count, shortest, longest)
    if live:
        for day, bucket, count, shortest, longest in (
                _between(counted_clocks().filter(kind=kind), "stopped_at", *live)
                .annotate(day=TruncDate("stopped_at"), bucket=BUCKET).values("day", "bucket")
                .annotate(n=Count("pk"), shortest=Min("elapsed"), longest=Max("elapsed")).order_by()
                .values_list("day", "bucket", "n", "shortest", "longest")):
            histograms[day - timedelta(days=day.weekday())].add(bucket, count, shortest, longest)
    return histograms


def breaches(first: date, last: date) -> dict[date, int]:
    """{day: clocks that breached that day} from `first` to `last`; days without a breach left out."""
    counted: dict[date, int] = defaultdict(int)
    stored, live = _split(first, last)
    if stored:
        for row in (ClockBreachesDay.objects.filter(day__range=stored).values("day")
                    .annotate(n=Sum("breaches")).order_by()):
            counted[row["day"]] += row["n"]
    if live:
        for row in (_between(SlaClock.objects.filter(BREACHED), "breached_at", *live)
                    .annotate(day=TruncDate("breached_at")).values("day").annotate(n=Count("pk")).order_by()):
            counted[row["day"]] += row["n"]
    return counted
