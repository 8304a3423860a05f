"""The daily roll-up of SLA clocks that the leads' dashboard reads: the only writer of
ClockDurationsDay and ClockBreachesDay.

Why a roll-up: a dashboard over six months at a million notices would otherwise aggregate and
sort millions of clock rows per page view. Per day and clock kind the roll-up keeps a histogram
of elapsed times instead, a few hundred rows per day whatever the traffic.

Why it stays right: a stopped clock never changes again (workflow/clocks.py stops it once, with
a conditional UPDATE) and a breach is recorded once, so a day's figures are final once the day
is over and its transactions have committed. `refresh` recomputes the days from the last one it
stored up to yesterday (the last stored day once more, for transactions that committed late);
the readers add every later day, today included, live from the clock table. So leads never see
stale figures, and a roll-up that is empty (just migrated) or behind (beat stopped for a while)
only makes the page slower, never wrong. The days are those of settings.TIME_ZONE: after
changing it, delete both tables' rows and the next refresh rebuilds them.

Percentiles: bucket b holds the clocks whose elapsed time e (seconds) has
floor(BUCKETS_PER_E * ln(1 + e)) == b, so a bucket is 5 % wide. Each row keeps the count and the
shortest and longest time in the bucket, and a percentile is computed as PostgreSQL's
percentile_cont would over the clocks, with a bucket's clocks taken as evenly spread from its
shortest to its longest time. That is exact whenever a bucket holds at most two distinct times
(small periods, the hand-made test data) and otherwise far inside the bucket's width (the bench
checks it against percentile_cont at a million notices): the durations CSV has every exact time.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import islice
from math import floor
from typing import Iterable, Sequence

from django.db import transaction
from django.db.models import Count, F, FloatField, Func, IntegerField, Max, Min, Model, Q, QuerySet, Sum
from django.db.models.functions import Cast, ExtractIsoYear, ExtractWeek, Floor, Ln, TruncDate
from django.utils import timezone

from takedowns.models import ClockBreachesDay, ClockDurationsDay, SlaClock

BUCKETS_PER_E = 20


class _Seconds(Func):
    """A duration in seconds as a float: PostgreSQL stores an interval, SQLite microseconds."""

    output_field = FloatField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="EXTRACT(EPOCH FROM %(expressions)s)", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(%(expressions)s / 1000000.0)", **extra)


SECONDS = _Seconds("elapsed")
BUCKET = Cast(Floor(Ln(SECONDS + 1) * BUCKETS_PER_E), IntegerField())
WITHIN_TARGET = Q(stopped_at__lte=F("due_at"))
BREACHED = Q(breached_at__isnull=False)


def counted_clocks() -> QuerySet[SlaClock]:
    """Clocks that count in the durations: stopped, not cancelled (a cancelled clock measured nothing)."""
    return SlaClock.objects.filter(stopped_at__isnull=False, cancelled=False, elapsed__isnull=False)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=timezone.get_current_timezone())


def _between(clocks: QuerySet[SlaClock], moment: str, first: date, last: date) -> QuerySet[SlaClock]:
    """The clocks whose `moment` falls on the days from `first` to `last`, both included."""
    return clocks.filter(**{f"{moment}__gte": _midnight(first), f"{moment}__lt": _midnight(last + timedelta(1))})


def _stored_through(model: type[Model]) -> date | None:
    """The last day the roll-up holds: every day up to it has been computed."""
    return model.objects.aggregate(day=Max("day"))["day"]


# --- The writer: the beat task's work. ---

# Days recomputed per transaction: the first run over a year of history commits month by month,
# so a run stopped by the task's time limit keeps what it did and the next one carries on.
WINDOW_DAYS = 31


def refresh(now: datetime) -> dict[str, int]:
    """Recompute the roll-up from the last day stored (or the first clock ever) up to yesterday.
    Each row is an upsert of the day's figures as computed now, so a repeated or overlapping run
    rewrites the same rows (at worst with a count that the next run puts right). Returns the rows
    written per table."""
    yesterday = timezone.localdate(now) - timedelta(days=1)
    return {
        "durations": _refresh(ClockDurationsDay, yesterday, "stopped_at", counted_clocks(), _duration_rows,
                              unique=["day", "kind", "bucket"],
                              figures=["stopped", "within_target", "breached", "elapsed_min", "elapsed_max"]),
        "breaches": _refresh(ClockBreachesDay, yesterday, "breached_at", SlaClock.objects.filter(BREACHED),
                             _breach_rows, unique=["day", "kind"], figures=["breaches"]),
    }


def _refresh(model: type[Model], yesterday: date, moment: str, clocks: QuerySet[SlaClock], rows, *,
             unique: list[str], figures: list[str]) -> int:
    first = _stored_through(model)
    if first is None:
        earliest = clocks.aggregate(first=Min(moment))["first"]
        if earliest is None:
            return 0
        first = timezone.localdate(earliest)
    written = 0
    while first <= yesterday:
        last = min(first + timedelta(days=WINDOW_DAYS - 1), yesterday)
        with transaction.atomic():
            objects = rows(_between(clocks, moment, first, last))
            while batch := list(islice(objects, 1000)):
                model.objects.bulk_create(batch, update_conflicts=True, unique_fields=unique, update_fields=figures)
                written += len(batch)
        first = last + timedelta(days=1)
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


# --- The readers: a period's figures from the stored days plus the later days live. ---

def _split(model: type[Model], first: date, last: date) -> tuple[tuple[date, date] | None, date | None]:
    """The part of [first, last] the roll-up holds, and the first day after it to read live."""
    stored = _stored_through(model)
    if stored is None or stored < first:
        return None, first
    if stored >= last:
        return (first, last), None
    return (first, stored), stored + timedelta(days=1)


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

        results = []
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
    stored, since = _split(ClockDurationsDay, first, last)
    if stored:
        for row in (ClockDurationsDay.objects.filter(day__range=stored).values("kind", "bucket")
                    .annotate(n=Sum("stopped"), within=Sum("within_target"), breached=Sum("breached"),
                              shortest=Min("elapsed_min"), longest=Max("elapsed_max")).order_by()):
            histograms[row["kind"]].add(row["bucket"], row["n"], row["shortest"], row["longest"], row["within"],
                                        row["breached"])
    if since:
        for row in (_between(counted_clocks(), "stopped_at", since, last).annotate(bucket=BUCKET)
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
    stored, since = _split(ClockDurationsDay, first, last)
    if stored:
        # Grouped by ISO year and week as numbers: a date per row would cost more than the sums.
        for year, week, bucket, count, shortest, longest in (
                ClockDurationsDay.objects.filter(day__range=stored, kind=kind)
                .annotate(year=ExtractIsoYear("day"), week=ExtractWeek("day")).values("year", "week", "bucket")
                .annotate(n=Sum("stopped"), shortest=Min("elapsed_min"), longest=Max("elapsed_max")).order_by()
                .values_list("year", "week", "bucket", "n", "shortest", "longest")):
            histograms[date.fromisocalendar(year, week, 1)].add(bucket, count, shortest, longest)
    if since:
        for day, bucket, count, shortest, longest in (
                _between(counted_clocks().filter(kind=kind), "stopped_at", since, last)
                .annotate(day=TruncDate("stopped_at"), bucket=BUCKET).values("day", "bucket")
                .annotate(n=Count("pk"), shortest=Min("elapsed"), longest=Max("elapsed")).order_by()
                .values_list("day", "bucket", "n", "shortest", "longest")):
            histograms[day - timedelta(days=day.weekday())].add(bucket, count, shortest, longest)
    return histograms


def breaches(first: date, last: date) -> dict[date, int]:
    """{day: clocks that breached that day} from `first` to `last`; days without a breach left out."""
    counted: dict[date, int] = defaultdict(int)
    stored, since = _split(ClockBreachesDay, first, last)
    if stored:
        for row in (ClockBreachesDay.objects.filter(day__range=stored).values("day")
                    .annotate(n=Sum("breaches")).order_by()):
            counted[row["day"]] += row["n"]
    if since:
        for row in (_between(SlaClock.objects.filter(BREACHED), "breached_at", since, last)
                    .annotate(day=TruncDate("breached_at")).values("day").annotate(n=Count("pk")).order_by()):
            counted[row["day"]] += row["n"]
    return counted
