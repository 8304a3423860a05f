"""Periods: whole calendar days in the current time zone (settings.TIME_ZONE), half-open
[start, end), so a clock stopped at midnight belongs to exactly one day."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone


def midnight(day: date) -> datetime:
    """The first moment of `day` in the current time zone."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


@dataclass(frozen=True)
class Period:
    """Whole days, `first` to `last` inclusive, in the current time zone."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return midnight(self.first)

    @property
    def end(self) -> datetime:
        return midnight(self.last + timedelta(days=1))

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
