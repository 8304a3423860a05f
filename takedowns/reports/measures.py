"""How figures are computed, rounded and written: continuous percentiles in the database
(PostgreSQL's percentile_cont; an equivalent on SQLite), shares to four places, durations in whole
seconds, and both as a person reads them ("3 d 4 h", "95.0 %")."""

from collections.abc import Sequence
from datetime import timedelta
from math import floor
from typing import Any

from django.db import connections
from django.db.models import Aggregate, DurationField, Expression, F, FloatField, QuerySet
from django.utils.formats import number_format
from django.utils.translation import gettext as _


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
        values: list[Any] = [  # durations or numbers, whichever the field holds
            value if isinstance(value, timedelta) else float(value) for value in ordered[below:below + 2]]
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


def duration_text(duration: timedelta | None) -> str:
    """3 d 4 h, 5 h 30 min, 12 min, 40 s: a duration as a lead reads it, in the active language."""
    if duration is None:
        return "–"
    total = round(duration.total_seconds())
    days, rest = divmod(total, 86400)
    # Translators: abbreviations of days, hours, minutes and seconds in a duration such as "3 d 4 h".
    units = {"d": _("%(amount)s d"), "h": _("%(amount)s h"), "min": _("%(amount)s min"), "s": _("%(amount)s s")}
    parts = [(days, "d"), (rest // 3600, "h"), (rest % 3600 // 60, "min")] if total >= 60 else [(total, "s")]
    shown = [units[unit] % {"amount": number_text(amount)} for amount, unit in parts if amount][:2]
    return " ".join(shown) or units["s"] % {"amount": number_text(0)}


def number_text(value: int | float, decimal_pos: int | None = None) -> str:
    """A figure as the reader's language writes it (1,234 in English, 1.234 in German): for pages only,
    never for the JSON and CSV downloads, which keep plain numbers."""
    return number_format(value, decimal_pos=decimal_pos, use_l10n=True, force_grouping=True)


def percent(value: float | None) -> str:
    """A share as a percentage with one decimal, localised: 95.0 % (English), 95,0 % (German)."""
    # Translators: a percentage; keep %(percent)s and write the sign as your language does ("95,0 %" in German).
    if value is None:
        return "–"
    return _("%(percent)s %%") % {"percent": number_text(round(value * 100, 1), decimal_pos=1)}
