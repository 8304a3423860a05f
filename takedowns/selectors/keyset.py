"""Keyset pagination, the one way every list in the portal pages: a page starts after the last row
of the previous one, named by its ordering values in the `after` cursor. A deep page costs what
the first does (an index range scan from the cursor), and nothing is counted.

A cursor is text from a URL anybody can edit: one that does not decode (wrong number of parts,
not a number, a timestamp out of range such as `inf` or `1e20`) is simply the first page.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import DateTimeField, Model, Q, QuerySet

SEPARATOR = "_"


@dataclass
class Page:
    rows: list[Any]
    next_cursor: str | None


@dataclass(frozen=True)
class Keyset:
    """Pages of `size` rows in the order of `fields` ("-name" for descending), which must end in a
    unique field (the id) and have no NULLs, and should match an index."""

    fields: tuple[str, ...]
    size: int

    def page(self, rows: QuerySet, cursor: str | None) -> Page:
        after = self.decode(rows.model, cursor)
        if after is not None:
            rows = rows.filter(**self._leading_bound(after)).filter(self._after(after))
        found = list(rows.order_by(*self.fields)[: self.size + 1])
        next_cursor = self.encode(found[self.size - 1]) if len(found) > self.size else None
        return Page(found[: self.size], next_cursor)

    def encode(self, row: Model) -> str:
        return SEPARATOR.join(_text(getattr(row, name.lstrip("-"))) for name in self.fields)

    def decode(self, model: type[Model], cursor: str | None) -> tuple[Any, ...] | None:
        parts = (cursor or "").split(SEPARATOR)
        if len(parts) != len(self.fields):
            return None
        try:
            return tuple(_value(model, name.lstrip("-"), part) for name, part in zip(self.fields, parts, strict=True))
        except (ValueError, OverflowError, OSError):
            return None

    def _leading_bound(self, after: Sequence[Any]) -> dict[str, Any]:
        # Redundant with _after, but a plain bound on the first field lets PostgreSQL start the index
        # scan at the cursor; the OR alone is only a filter, and a deep page would read every row
        # before it (bench/RESULTS.md, "Review queue").
        first = self.fields[0]
        return {f"{first.lstrip('-')}__{'lte' if first.startswith('-') else 'gte'}": after[0]}

    def _after(self, after: Sequence[Any]) -> Q:
        """Rows after the cursor: greater in the first field, or equal in it and after in the rest."""
        condition = Q()
        for position, name in enumerate(self.fields):
            field = name.lstrip("-")
            equal = {other.lstrip("-"): after[n] for n, other in enumerate(self.fields[:position])}
            beyond = {f"{field}__{'lt' if name.startswith('-') else 'gt'}": after[position]}
            condition |= Q(**equal, **beyond)
        return condition


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return f"{value.timestamp():.6f}"
    return str(int(value))


def _value(model: type[Model], name: str, text: str) -> Any:
    if isinstance(model._meta.get_field(name), DateTimeField):
        stamp = float(text)
        if not math.isfinite(stamp):
            raise ValueError(f"not a timestamp: {text!r}")
        return datetime.fromtimestamp(stamp, tz=UTC)
    return int(text)
