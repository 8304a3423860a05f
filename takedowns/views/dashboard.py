"""The leads' SLA dashboard: running clocks, breaches, durations per clock over a chosen period,
workload per reviewer, trends as server-drawn SVG charts, and CSV exports. Leads only; the
figures come from takedowns.figures, this module only parses the period and lays them out."""

import csv
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import chain
from math import ceil
from typing import Iterable, Iterator

from django.db import connection
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from takedowns import figures
from takedowns.enums import ClockKind
from takedowns.views.review import lead_required

DEFAULT_DAYS = 30
# Long enough for a year's trend, short enough that a week-by-week chart stays readable.
MAX_DAYS = 366
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")



# --- The period: ?from=YYYY-MM-DD&to=YYYY-MM-DD, both days included. ---

@dataclass
class PeriodChoice:
    raw_from: str
    raw_to: str
    period: figures.Period | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def query(self) -> str:
        query = QueryDict(mutable=True)
        query.update({"from": self.raw_from, "to": self.raw_to})
        return query.urlencode()


def _parse_day(raw: str, what: str) -> date:
    if not _ISO_DATE.fullmatch(raw):
        raise ValueError(f"“{raw[:40]}” is not a date: write the {what} day as YYYY-MM-DD, e.g. 2026-11-01.")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{raw} is not a day of the calendar: check the month and the day.") from None


def choose_period(query: QueryDict, today: date) -> PeriodChoice:
    """The period asked for, or the last 30 days. What was typed is kept to show it back with the
    error that says what is wrong with it."""
    raw_from, raw_to = query.get("from", "").strip(), query.get("to", "").strip()
    choice = PeriodChoice(raw_from, raw_to)
    last = first = None
    try:
        last = _parse_day(raw_to, "last") if raw_to else today
    except ValueError as exc:
        choice.errors["to"] = str(exc)
    try:
        first = _parse_day(raw_from, "first") if raw_from else (last or today) - timedelta(days=DEFAULT_DAYS - 1)
    except ValueError as exc:
        choice.errors["from"] = str(exc)
    if choice.errors:
        return choice
    if first > last:
        choice.errors["period"] = f"The period starts ({first}) after it ends ({last}): swap the two dates."
    elif first > today:
        choice.errors["period"] = f"The period starts after today ({today}): there is nothing to show yet."
    elif (last - first).days + 1 > MAX_DAYS:
        choice.errors["period"] = (f"The period is {(last - first).days + 1} days long; choose at most {MAX_DAYS} "
                                   f"days.")
    else:
        choice.period = figures.Period(first, last)
        choice.raw_from, choice.raw_to = first.isoformat(), last.isoformat()
    return choice


# --- Charts: a series drawn as inline SVG on the server (no JavaScript, no CDN). ---

@dataclass(frozen=True)
class Chart:
    title: str
    width: int
    height: int
    left: int
    right: int
    top: int
    baseline: int
    top_label: str
    bars: list[dict]
    lines: list[str]
    dots: list[dict]
    ticks: list[dict]
    empty: bool


def svg_chart(title: str, series: list[tuple[str, float | None]], *, style: str = "bar", unit: str = "") -> Chart:
    """Geometry for templates/takedowns/dashboard/_chart.html: one bar per point, or a line through
    the points that a None value breaks. The y axis runs from 0 to the largest value."""
    width, height, left, right, top, bottom = 640, 180, 44, 8, 10, 22
    plot_width, plot_height = width - left - right, height - top - bottom
    values = [value for _, value in series if value is not None]
    highest = max(values, default=0) or 1
    slot = plot_width / max(len(series), 1)
    bars, dots, lines, segment = [], [], [], []

    def y(value: float) -> float:
        return top + plot_height - plot_height * value / highest

    for n, (label, value) in enumerate(series):
        centre = left + slot * (n + 0.5)
        text = f"{label}: {'no data' if value is None else f'{value:g} {unit}'.strip()}"
        if style == "bar":
            bars.append({"x": f"{centre - slot * 0.4:.1f}", "y": f"{y(value or 0):.1f}", "width": f"{slot * 0.8:.1f}",
                         "height": f"{plot_height - (y(value or 0) - top):.1f}", "text": text})
        elif value is None:  # a gap: end the line drawn so far
            if segment:
                lines.append(" ".join(segment))
            segment = []
        else:
            segment.append(f"{centre:.1f},{y(value):.1f}")
            dots.append({"x": f"{centre:.1f}", "y": f"{y(value):.1f}", "text": text})
    if segment:
        lines.append(" ".join(segment))
    step = max(1, ceil(len(series) / 8))  # at most 8 labels under the axis
    ticks = [{"x": f"{left + slot * (n + 0.5):.1f}", "text": label} for n, (label, _) in enumerate(series)
             if n % step == 0]
    return Chart(title, width, height, left, width - right, top, top + plot_height,
                 f"{max(values, default=0):g} {unit}".strip(), bars, lines, dots, ticks, not values)


def hours(duration: timedelta | None) -> float | None:
    return None if duration is None else round(duration.total_seconds() / 3600, 1)


def duration_text(duration: timedelta | None) -> str:
    """3 d 4 h, 5 h 30 min, 12 min, 40 s: a duration as a lead reads it."""
    if duration is None:
        return "–"
    total = round(duration.total_seconds())
    days, rest = divmod(total, 86400)
    parts = [(days, "d"), (rest // 3600, "h"), (rest % 3600 // 60, "min")] if total >= 60 else [(total, "s")]
    shown = [f"{amount} {unit}" for amount, unit in parts if amount][:2]
    return " ".join(shown) or "0 s"


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"


# --- Pages. ---

@require_GET
@lead_required
def dashboard(request: HttpRequest) -> HttpResponse:
    choice = choose_period(request.GET, timezone.localdate())
    context = {"choice": choice, "time_zone": timezone.get_current_timezone_name(),
               "states": figures.RUNNING_STATES, "workload": figures.workload(),
               "running": [(ClockKind(kind).label, list(counts.values()))
                           for kind, counts in figures.running_clocks().items()]}
    if choice.period:
        shown = figures.period_figures(choice.period)
        context.update(shown=shown, breach_total=sum(count for _, count in shown.breaches), charts=[
            svg_chart("Breaches per day", [(day.strftime("%d %b"), count) for day, count in shown.breaches]),
            svg_chart("Takedown decision: weekly median time", [
                (f"wk {week.monday:%d %b}", hours(week.median)) for week in shown.weeks], style="line", unit="h"),
        ], durations=[(row, duration_text(row.median), duration_text(row.p90), percent(row.share))
                      for row in shown.durations])
    return render(request, "takedowns/dashboard/dashboard.html", context, status=400 if choice.errors else 200)


class _Echo:
    """csv.writer writes into this and gets the line back, so rows can be streamed one by one."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(rows: Iterable[Iterable]) -> Iterator[str]:
    # Lines end in \n, as PostgreSQL's COPY writes them (durations_csv), so both exports read alike.
    writer = csv.writer(_Echo(), lineterminator="\n")
    return (writer.writerow(row) for row in rows)


def _chosen_or_400(request: HttpRequest) -> figures.Period | HttpResponse:
    choice = choose_period(request.GET, timezone.localdate())
    if choice.period is None:
        return HttpResponse("\n".join(choice.errors.values()) + "\n", status=400,
                            content_type="text/plain; charset=utf-8")
    return choice.period


def _attachment(response: HttpResponse, name: str, period: figures.Period) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{name}-{period.first}-to-{period.last}.csv"'
    return response


def _blank(value) -> object:
    return "" if value is None else value


def figure_rows(period: figures.Period) -> Iterator[tuple]:
    """The dashboard's figures as (figure, clock, key, value) rows: one figure per row, so a
    spreadsheet can filter and pivot them."""
    yield "figure", "clock", "key", "value"
    yield "period", "", "from", period.first.isoformat()
    yield "period", "", "to", period.last.isoformat()
    for kind, counts in figures.running_clocks().items():
        for state, count in counts.items():
            yield "running_clocks", kind, state, count
    shown = figures.period_figures(period)
    for day, count in shown.breaches:
        yield "breaches_per_day", "", day.isoformat(), count
    for row in shown.durations:
        yield from (("stopped_clocks", row.kind, key, _blank(value)) for key, value in (
            ("count", row.count), ("within_target", row.within), ("within_target_share", row.share),
            ("breached", row.breached), ("median_elapsed_seconds", figures.seconds(row.median)),
            ("p90_elapsed_seconds", figures.seconds(row.p90))))
    for week in shown.weeks:
        yield "weekly_count", ClockKind.TAKEDOWN_DECISION, week.monday.isoformat(), week.count
        yield "weekly_median_elapsed_seconds", ClockKind.TAKEDOWN_DECISION, week.monday.isoformat(), _blank(
            figures.seconds(week.median))
    for row in figures.workload():
        yield "workload_open_notices", "", row.reviewer, _blank(row.open_notices)
        yield "workload_running_clocks", "", row.reviewer, row.running
        yield "workload_breached_running_clocks", "", row.reviewer, row.breached


@require_GET
@lead_required
def figures_csv(request: HttpRequest) -> HttpResponse:
    period = _chosen_or_400(request)
    if isinstance(period, HttpResponse):
        return period
    # A few hundred rows at most: built whole, so a query error is a 500 rather than a cut file.
    body = "".join(_csv_lines(figure_rows(period)))
    return _attachment(HttpResponse(body, content_type="text/csv; charset=utf-8"), "sla-figures", period)


def _moment(value: datetime) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds")


def _duration_line(row: tuple) -> tuple:
    clock_id, kind, reference, started, due, stopped, elapsed, within, breached = row
    return (clock_id, kind, reference, _moment(started), _moment(due), _moment(stopped),
            _blank(figures.seconds(elapsed)), str(bool(within)).lower(), str(bool(breached)).lower())


@require_GET
@lead_required
def durations_csv(request: HttpRequest) -> HttpResponse:
    period = _chosen_or_400(request)
    if isinstance(period, HttpResponse):
        return period
    # Streamed as the rows come: PostgreSQL writes the CSV itself (COPY, ~10x faster than Python
    # for a big period); elsewhere Python formats the rows read from a cursor in chunks.
    header = _csv_lines([figures.DURATION_COLUMNS])
    if connection.vendor == "postgresql":
        lines = chain((line.encode() for line in header), figures.duration_csv_copy(period))
    else:
        lines = _csv_lines(chain([figures.DURATION_COLUMNS], map(_duration_line, figures.duration_rows(period))))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    return _attachment(response, "sla-durations", period)
