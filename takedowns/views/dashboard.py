"""The leads' SLA dashboard: running clocks, breaches, durations per clock over a chosen period,
workload per reviewer, trends as server-drawn SVG charts, and CSV exports. Leads only; the
figures come from takedowns/reports/dashboard.py, this module only lays them out."""

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import chain
from math import ceil

from django.db import connection
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.utils.translation import override, pgettext
from django.views.decorators.http import require_GET

from takedowns import tdb_submission
from takedowns.access import lead_required
from takedowns.enums import ClockKind
from takedowns.forms.leads import PeriodForm
from takedowns.reports import dashboard as figures
from takedowns.reports.measures import duration_text, percent
from takedowns.reports.periods import Period
from takedowns.reports.risk import risk_figures

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
    bars, dots, lines = [], [], []
    segment: list[str] = []  # the points of the line drawn since the last gap

    def y(value: float) -> float:
        return top + plot_height - plot_height * value / highest

    for n, (label, value) in enumerate(series):
        centre = left + slot * (n + 0.5)
        shown = _("no data") if value is None else f"{value:g} {unit}".strip()
        # Translators: a chart point's tooltip: its day or week, then its value ("28 Sep: 72 h").
        text = _("%(label)s: %(value)s") % {"label": label, "value": shown}
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


def _tick_day(day: date) -> str:
    """A day under a chart's axis: short, in the page's language (28 Sep in English)."""
    # Translators: a date format (Django's date filter syntax) for a chart's axis: day and short month.
    return date_format(day, _("d M"))


def hours(duration: timedelta | None) -> float | None:
    return None if duration is None else round(duration.total_seconds() / 3600, 1)


# --- Pages. ---

@lead_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    form = PeriodForm(request.GET, timezone.localdate())
    form.is_valid()
    context = {"period_form": form, "time_zone": timezone.get_current_timezone_name(),
               "states": figures.RUNNING_STATES, "workload": figures.workload(),
               "running": [(ClockKind(kind).label, list(counts.values()))
                           for kind, counts in figures.running_clocks().items()]}
    # The statements of reasons' way to the Transparency Database (tdb_submission.submission_counts).
    context["tdb"] = tdb_submission.submission_counts(form.period)
    if form.period:
        shown = figures.period_figures(form.period)
        risk = risk_figures(form.period)
        context.update(risk=risk, high_rejected_share=percent(risk.high_rejected_share))
        own = shown.own.removals
        context.update(own_ratio=None if own["ratio"] is None else f"{own['ratio']:.1f}",
                       own_before_sale=percent(own["proactive_before_first_sale_share"]),
                       own_precision=[(row, percent(row.share)) for row in shown.own.precision])
        context.update(shown=shown, breach_total=sum(count for _, count in shown.breaches), charts=[
            svg_chart(_("Breaches per day"), [(_tick_day(day), count) for day, count in shown.breaches]),
            svg_chart(_("Takedown decision: weekly median time"), [
                # Translators: the week starting on this day, under a chart's axis ("wk 28 Sep").
                (_("wk %(monday)s") % {"monday": _tick_day(week.monday)}, hours(week.median))
                # Translators: the unit of a chart's values, hours, abbreviated ("72 h").
                for week in shown.weeks], style="line", unit=pgettext("hours, abbreviated", "h")),
        ], durations=[(row, duration_text(row.median), duration_text(row.p90), percent(row.share))
                      for row in shown.durations])
    return render(request, "takedowns/dashboard/dashboard.html", context, status=400 if form.errors else 200)


class _Echo:
    """csv.writer writes into this and gets the line back, so rows can be streamed one by one."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(rows: Iterable[Iterable]) -> Iterator[str]:
    """The rows as CSV lines. Lines end in \n, as PostgreSQL's COPY writes them (durations_csv), so
    both exports read alike. The exports are data for programs, in English whatever the language of
    the request: each row is made and written under English (not across a yield, which would leave
    English active for whatever runs between two lines of a streamed response)."""
    writer = csv.writer(_Echo(), lineterminator="\n")
    iterator = iter(rows)
    while True:
        with override("en"):
            row = next(iterator, None)
            if row is None:
                return
            line = writer.writerow(row)
        yield line


def _chosen_or_400(request: HttpRequest) -> Period | HttpResponse:
    form = PeriodForm(request.GET, timezone.localdate())
    if not form.is_valid() or form.period is None:
        return HttpResponse("".join(f"{message}\n" for _, message in form.error_items), status=400,
                            content_type="text/plain; charset=utf-8")
    return form.period


def _attachment(response: HttpResponseBase, name: str, period: Period) -> HttpResponseBase:
    response["Content-Disposition"] = f'attachment; filename="{name}-{period.first}-to-{period.last}.csv"'
    return response


@lead_required
@require_GET
def figures_csv(request: HttpRequest) -> HttpResponseBase:
    period = _chosen_or_400(request)
    if isinstance(period, HttpResponse):
        return period
    # A few hundred rows at most: built whole, so a query error is a 500 rather than a cut file.
    body = "".join(_csv_lines(figures.figure_rows(period)))
    return _attachment(HttpResponse(body, content_type="text/csv; charset=utf-8"), "sla-figures", period)


@lead_required
@require_GET
def durations_csv(request: HttpRequest) -> HttpResponseBase:
    period = _chosen_or_400(request)
    if isinstance(period, HttpResponse):
        return period
    # Streamed as the rows come: PostgreSQL writes the CSV itself (COPY, ~10x faster than Python
    # for a big period); elsewhere Python formats the rows read from a cursor in chunks.
    header = _csv_lines([figures.DURATION_COLUMNS])
    lines: Iterable[bytes | str]
    if connection.vendor == "postgresql":
        lines = chain((line.encode() for line in header), figures.duration_csv_copy(period))
    else:
        lines = _csv_lines(chain([figures.DURATION_COLUMNS], figures.duration_lines(period)))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    return _attachment(response, "sla-durations", period)
