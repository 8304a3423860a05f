"""The due-time arithmetic of SLA clocks: pure functions of their arguments, so callers pass `now`
and tests pin exact datetimes. Policies, clock rows and the beat task build on these.

Every datetime going in must be timezone-aware; every datetime coming out is in UTC. Working time
is counted in absolute time, while business hours are local wall-clock times of the calendar's
time zone: a 09:00-17:00 day is 8 working hours on either side of a DST change.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

_MONDAY_TO_FRIDAY = frozenset({0, 1, 2, 3, 4})
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Calendar:
    """When an SLA clock runs.

    Round the clock (the default) the clock never stops, whatever the other fields say; `timezone`
    and `country` then only matter to `add_business_days`. With `business_hours` it runs from
    `day_start` to `day_end`, local time, on the `workdays` that are not public holidays of
    `country` (and of its `subdivision`, a region code of the holidays library such as "BY")."""

    business_hours: bool = False
    timezone: str = "UTC"
    country: str = ""
    subdivision: str = ""
    day_start: time = time(9, 0)
    day_end: time = time(17, 0)
    workdays: frozenset[int] = _MONDAY_TO_FRIDAY

    def __post_init__(self) -> None:
        # Accept any iterable of weekdays but keep the calendar immutable and hashable.
        object.__setattr__(self, "workdays", frozenset(self.workdays))
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.timezone!r}, expected an IANA name like "
                             "'Europe/Berlin'") from None
        if self.subdivision and not self.country:
            raise ValueError(f"subdivision {self.subdivision!r} needs a country")
        if self.country:
            try:
                holidays.country_holidays(self.country, subdiv=self.subdivision or None)
            except NotImplementedError:
                what = f"subdivision {self.subdivision!r} of country" if self.subdivision else "country"
                raise ValueError(f"unknown {what} {self.country!r} for public holidays") from None
        if self.day_end <= self.day_start:
            raise ValueError(f"day_end {self.day_end} must be after day_start {self.day_start}")
        if not self.workdays:
            raise ValueError("workdays must name at least one weekday")
        if not self.workdays <= {0, 1, 2, 3, 4, 5, 6}:
            raise ValueError(f"workdays must be weekday numbers 0 (Monday) to 6 (Sunday), got {sorted(self.workdays)}")

    def terms(self) -> dict:
        """The calendar as JSON-safe data, as a clock row keeps the terms it was started under."""
        return {"business_hours": self.business_hours, "timezone": self.timezone, "country": self.country,
                "subdivision": self.subdivision, "day_start": self.day_start.isoformat(),
                "day_end": self.day_end.isoformat()}

    @classmethod
    def from_terms(cls, terms: dict) -> "Calendar":
        if not terms.get("business_hours"):
            return ROUND_THE_CLOCK
        return cls(business_hours=True, timezone=terms["timezone"], country=terms["country"],
                   subdivision=terms["subdivision"], day_start=time.fromisoformat(terms["day_start"]),
                   day_end=time.fromisoformat(terms["day_end"]))


ROUND_THE_CLOCK = Calendar()


class ClockState(StrEnum):
    ON_TIME = "on_time"
    RUNNING = "on_time"  # an alias: a running clock that has not reached its warning is on time
    WARNING = "warning"
    BREACHED = "breached"
    PAUSED = "paused"
    STOPPED = "stopped"


def is_working_time(moment: datetime, calendar: Calendar) -> bool:
    """Whether the clock runs at `moment`: always round the clock, else inside opening hours."""
    moment = _utc(moment, "moment")
    if not calendar.business_hours:
        return True
    hours = _opening_hours(_local_date(moment, calendar), calendar)
    return hours is not None and hours[0] <= moment < hours[1]


def add_working_time(start: datetime, duration: timedelta, calendar: Calendar) -> datetime:
    """The moment when `duration` of working time has passed after `start`.

    Round the clock this is `start + duration` in absolute time. With business hours, nights,
    non-workdays and public holidays are skipped; a start outside hours counts from the next
    opening, and a result that lands exactly on a closing time stays there. A zero duration
    returns `start` unchanged, even outside hours, so a pause that cost no working time moves
    no due time. The walk goes a whole day at a time, so long durations stay cheap."""
    start = _utc(start, "start")
    _check_not_negative(duration, "duration")
    if not calendar.business_hours or not duration:
        # In UTC, so a DST change in the caller's time zone cannot stretch or shrink the duration.
        return start + duration
    remaining = duration
    day = _local_date(start, calendar)
    while True:
        hours = _opening_hours(day, calendar)
        if hours is not None and start < hours[1]:
            counting_from = max(start, hours[0])
            available = hours[1] - counting_from
            if remaining <= available:
                return counting_from + remaining
            remaining -= available
        day += _ONE_DAY


def working_time_between(start: datetime, end: datetime, calendar: Calendar) -> timedelta:
    """The working time in [start, end); zero when `end` is not after `start`.
    The inverse of `add_working_time`: working_time_between(s, add_working_time(s, d)) == d."""
    start, end = _utc(start, "start"), _utc(end, "end")
    if end <= start:
        return timedelta(0)
    if not calendar.business_hours:
        return end - start
    total = timedelta(0)
    day, last_day = _local_date(start, calendar), _local_date(end, calendar)
    while day <= last_day:
        hours = _opening_hours(day, calendar)
        if hours is not None:
            total += max(min(end, hours[1]) - max(start, hours[0]), timedelta(0))
        day += _ONE_DAY
    return total


def add_business_days(start: datetime, days: int, calendar: Calendar) -> datetime:
    """The same local wall-clock time on the `days`-th business day after start's day (for the
    DMCA counter-notice window, "restore in 10 to 14 business days"). Start's own day never counts.

    Business days are the calendar's workdays that are not public holidays. A round-the-clock
    calendar runs every day, so its `workdays` say nothing about business days: there a business
    day is Monday to Friday minus the country's public holidays, which is what the law means by
    it. A wall-clock time that the target day skips (DST gap) comes out one gap later."""
    _utc(start, "start")
    if days < 0:
        raise ValueError(f"days must not be negative, got {days}")
    local = start.astimezone(ZoneInfo(calendar.timezone))
    weekdays = calendar.workdays if calendar.business_hours else _MONDAY_TO_FRIDAY
    day, counted = local.date(), 0
    while counted < days:
        day += _ONE_DAY
        if _is_business_day(day, weekdays, calendar):
            counted += 1
    return datetime.combine(day, local.time(), tzinfo=local.tzinfo).astimezone(UTC)


def moved_by_pause(due_at: datetime, paused_at: datetime, resumed_at: datetime, calendar: Calendar) -> datetime:
    """The due time of a clock paused at `paused_at` and resumed at `resumed_at`: later by the
    working time that passed during the pause, so a pause over a weekend or a night moves nothing."""
    if _utc(resumed_at, "resumed_at") < _utc(paused_at, "paused_at"):
        raise ValueError(f"resumed_at {resumed_at.isoformat()} is before paused_at {paused_at.isoformat()}")
    return add_working_time(due_at, working_time_between(paused_at, resumed_at, calendar), calendar)


def elapsed_in_own_time(target: timedelta, due_at: datetime, stopped_at: datetime, calendar: Calendar) -> timedelta:
    """A stopped clock's elapsed time in its own time, the time its target counts: working time on
    its calendar from start to stop, the pauses left out (round the clock: stopped minus started,
    minus paused).

    Why from the due time: every pause moved the due time later by exactly the working time it
    lasted (workflow/clocks.py: resume_clock, stop_clock), so the working time from the start to
    the due time is the target plus every pause, and the clock ran `target` plus the working time
    from the due time to the stop (less, when stopped before it).

    Within target stays "stopped by the due time" (stopped_at <= due_at, the due time moved by every
    pause): the one definition the CLOCK_STOPPED event, the roll-up, the report, the dashboard and
    the pages use. It agrees with elapsed <= target except for a clock stopped outside working
    hours after its due time: it ran exactly its target but breached when the due time passed."""
    if stopped_at >= due_at:
        return target + working_time_between(due_at, stopped_at, calendar)
    return max(target - working_time_between(stopped_at, due_at, calendar), timedelta(0))


def warning_at(started_at: datetime, target: timedelta, warn_ratio: float, calendar: Calendar) -> datetime:
    """When a clock started at `started_at` with `target` warns: after `warn_ratio` of the target's
    working time (0 < warn_ratio <= 1; 1 warns at the due time itself)."""
    if not 0 < warn_ratio <= 1:
        raise ValueError(f"warn_ratio must be in (0, 1], got {warn_ratio}")
    _check_not_negative(target, "target")
    return add_working_time(started_at, target * warn_ratio, calendar)


def clock_state(
    now: datetime,
    *,
    due_at: datetime,
    warn_at: datetime,
    paused_at: datetime | None = None,
    stopped_at: datetime | None = None,
) -> ClockState:
    """A clock's state at `now`. A stopped clock stays stopped and a paused one cannot breach,
    so the order is: stopped, paused, breached (now >= due_at), warning (now >= warn_at), on time."""
    now = _utc(now, "now")
    due_at, warn_at = _utc(due_at, "due_at"), _utc(warn_at, "warn_at")
    if stopped_at is not None:
        _utc(stopped_at, "stopped_at")
        return ClockState.STOPPED
    if paused_at is not None:
        _utc(paused_at, "paused_at")
        return ClockState.PAUSED
    if now >= due_at:
        return ClockState.BREACHED
    if now >= warn_at:
        return ClockState.WARNING
    return ClockState.ON_TIME


def _utc(moment: datetime, name: str) -> datetime:
    """`moment` in UTC. Converting first also matters for arithmetic: Python adds and subtracts
    datetimes that share a tzinfo on their wall clocks, which is wrong across a DST change."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got the naive datetime {moment.isoformat()}")
    return moment.astimezone(UTC)


def _check_not_negative(duration: timedelta, name: str) -> None:
    if duration < timedelta(0):
        raise ValueError(f"{name} must not be negative, got {duration}")


def _local_date(moment: datetime, calendar: Calendar) -> date:
    return moment.astimezone(ZoneInfo(calendar.timezone)).date()


def _opening_hours(day: date, calendar: Calendar) -> tuple[datetime, datetime] | None:
    """The working interval [opening, closing) of a local day, in UTC; None on a day off."""
    if not _is_business_day(day, calendar.workdays, calendar):
        return None
    zone = ZoneInfo(calendar.timezone)
    opening = datetime.combine(day, calendar.day_start, tzinfo=zone).astimezone(UTC)
    closing = datetime.combine(day, calendar.day_end, tzinfo=zone).astimezone(UTC)
    # Only an opening time inside a DST gap (moved an hour later) can overtake the closing time.
    return opening, max(opening, closing)


def _is_business_day(day: date, weekdays: frozenset[int], calendar: Calendar) -> bool:
    if day.weekday() not in weekdays:
        return False
    return not calendar.country or day not in _public_holidays(calendar.country, calendar.subdivision, day.year)


@lru_cache(maxsize=256)
def _public_holidays(country: str, subdivision: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, subdiv=subdivision or None, years=year))
