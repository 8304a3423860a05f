"""The public transparency report (DSA Art. 15 and 24): per month or half-year, as a page, as JSON
and as CSV, all three from the same figures (reports/transparency.live_report: the stored snapshot and
what came after it). No
login: the report holds counts only, nothing that identifies a person."""

import csv
import io
from datetime import datetime, timedelta

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from takedowns.access import public
from takedowns.enums import (
    AppealStatus,
    Appellant,
    CounterNoticeStatus,
    InfringementReason,
    NotifierMeasureLevel,
    NotifierScope,
    PenaltyLevel,
    RightType,
)
from takedowns.reports import transparency as figures
from takedowns.reports.measures import duration_text, percent
from takedowns.reports.template_csv import template_rows
from takedowns.views.reconnect import once_more_if_disconnected
from takedowns.views.report_sections import grouped, harmonised_sections

Rows = list[tuple[str, object]]


@once_more_if_disconnected
@public
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    halves, months = figures.report_periods(timezone.now())
    return render(request, "takedowns/report/index.html", {"halves": halves, "months": months})


def _period(slug: str) -> figures.ReportPeriod | str:
    try:
        return figures.report_period(slug, timezone.now())
    except figures.BadPeriod as exc:
        return str(exc)


def _labelled(counts: dict[str, int], choices) -> Rows:
    return [(label, counts[value]) for value, label in choices]


def sections(data: dict) -> list[tuple[str, str, Rows]]:
    """(title, what is counted, rows) for the page, labelled with the choices' display names."""
    notices, actions, automated = data["notices"], data["actions"], data["automated_means"]
    appeals = data["appeals"]["by_appellant"]
    appeal_rows: Rows = [("Appeals filed", data["appeals"]["filed"])]
    for who, label in Appellant.choices:
        appeal_rows.append((f"by {label.lower()}s", appeals[who]["filed"]))
        appeal_rows += [(f"by {label.lower()}s: {status_label.lower()}", appeals[who]["by_status"][status])
                        for status, status_label in AppealStatus.choices]
    return [
        ("Notices received", "Notices whose sender confirmed their e-mail address in the period, by source.", [
            ("Notices received", notices["received"]),
            ("from trusted flaggers (DSA Art. 22)", notices["by_source"]["trusted_flagger"]),
            ("from other notifiers", notices["by_source"]["other"])]),
        ("Notices by right", "The right each notice relies on.",
         _labelled(notices["by_right_type"], RightType.choices)),
        ("Reported listings by infringement", "The listings those notices reported, by the infringement alleged.",
         [("Listings reported", notices["items"]), *_labelled(notices["items_by_reason"], InfringementReason.choices)]),
        ("Actions taken", "Decisions on reported listings taken in the period; restorations and reversals dated "
                          "in the period.", [
            ("Decisions", actions["decisions"]),
            ("Listings removed", actions["by_outcome"]["remove"]),
            ("Reports rejected (listing left online)", actions["by_outcome"]["reject"]),
            ("Listings restored after a counter-notice or appeal", actions["listings_restored"]),
            ("Decisions reversed on appeal", actions["decisions_reversed_on_appeal"])]),
        ("Removals by initiative", "Every removal so far follows a notice: the portal does not yet detect "
                                   "infringements on its own initiative, so proactive removals are zero.", [
            ("After a notice (reactive)", data["removals_by_initiative"]["reactive"]),
            ("On our own initiative (proactive)", data["removals_by_initiative"]["proactive"])]),
        _automated_section(automated),
        _time_to_action(data),
        ("Counter-notices (DMCA 512(g))", "Every filing in the period (one corrected and filed again after being "
         "returned as incomplete counts again); then the counter-notices last filed in it, by where they stand now.",
         [("Counter-notices filed", data["counter_notices"]["filed"]),
          *_labelled(data["counter_notices"]["by_status"], CounterNoticeStatus.choices)]),
        ("Appeals (DSA Art. 20)", "Internal complaints filed in the period, by who filed them and their outcome.",
         appeal_rows),
        *_measure_sections(data),
    ]


def _automated_section(automated: dict) -> tuple[str, str, Rows]:
    """DSA Art. 15(1)(e): listing decisions and seller penalties (reports/transparency.py, _automated_means)."""
    by_level = automated["penalty_decisions_automated_by_level"]
    return ("Use of automated means (DSA Art. 15(1)(e))",
            "Decisions taken in the period: on reported listings, where automated means detected the listing or "
            "took the decision; and seller penalties decided by the published strike ladder without a person, on "
            "strikes from removals decided by people: \"partially automated\" in the statements we send to the "
            "DSA Transparency Database (a penalty a person decides is not counted). Only restrictions, suspensions "
            "and terminations have a Transparency Database statement; a warning restricts nothing and has none.", [
                ("Listing decisions", automated["decisions"]),
                ("with automated detection", automated["automated_detection"]),
                ("taken by automated means", automated["automated_decision"]),
                ("Seller penalty decisions", automated["penalty_decisions"]),
                ("decided by the strike ladder without a person (partially automated)",
                 automated["penalty_decisions_automated"]),
                *[(f"partially automated: {label.lower()}", by_level[value]) for value, label in PenaltyLevel.choices],
                ("partially automated with a Transparency Database statement",
                 automated["penalty_decisions_automated_with_tdb_statement"]),
                ("All decisions taken by automated means, fully or partially", automated["taken_by_automated_means"])])


def _time_to_action(data: dict) -> tuple[str, str, Rows]:
    target, median = data["decided_within_target"], data["median_time_to_action_seconds"]
    return ("Time to action",
            "From the notice's receipt (its confirmation) to the decision on each listing, over the decisions of the "
            "period; the notices whose listings were all, for the first time in the period, decided or closed "
            "because the notifier did not send the information asked for (each notice counts once), and the share "
            "done within the SLA target (its time waiting for the notifier's answer left out); apart, the notices "
            "decided again in the period after an appeal or a fix and resubmit reopened them.", [
                ("Median time to action", duration_text(None if median is None else timedelta(seconds=median))),
                # The decision clock stops when the last listing is decided or closed unanswered (no
                # Decision row then): both are counted, so the label names both (issue 12, item 2).
                ("Notices decided, or closed without an answer from the submitter", target["decided"]),
                ("within target", f"{target['within_target']} ({percent(target['share'])})"),
                ("Re-decisions, reopened by an appeal or a fix and resubmit", target["redecisions"]),
                ("re-decided within target", target["redecisions_within_target"])])


def _measure_sections(data: dict) -> list[tuple[str, str, Rows]]:
    """The measures against sellers (repeat infringers) and, apart from them (DSA Art. 24(1)(b)), against
    notifiers (manifestly unfounded notices)."""
    sellers = ("Seller penalties (DSA Art. 23, DMCA 512(i))", "Penalties decided against repeat infringers in the "
                                                              "period.",
               [("Penalties decided", data["penalties"]["decided"]),
                *_labelled(data["penalties"]["by_level"], PenaltyLevel.choices)])
    return [sellers, _notifier_section(data["notifier_measures"]), *harmonised_sections(data)]


def _notifier_section(notifier: dict) -> tuple[str, str, Rows]:
    appeals = notifier["appeals"]
    return ("Notifiers: manifestly unfounded notices (DSA Art. 23(2), 24(1)(b))",
            "Warnings and suspensions of notice handling decided by a lead against notifiers who frequently sent "
            "manifestly unfounded notices, apart from the measures against sellers above; those lifted on appeal, "
            "the notices refused during a suspension, and the notifiers' appeals, all dated in the period.", [
                ("Measures decided", notifier["decided"]),
                *[(f"{label}s" if value == "warning" else "Suspensions of notifiers", notifier["by_level"][value])
                  for value, label in NotifierMeasureLevel.choices],
                *[(f"about {'an e-mail address' if value == 'email' else 'an organisation (e-mail domain)'}",
                   notifier["by_scope"][value]) for value in NotifierScope.values],
                ("Measures lifted on appeal", notifier["lifted_on_appeal"]),
                ("Notices refused during a suspension", notifier["notices_refused"]),
                ("Appeals by notifiers", appeals["filed"]),
                *[(f"appeals: {label.lower()}", appeals["by_status"][value]) for value, label in AppealStatus.choices],
            ])


@once_more_if_disconnected
@public
@require_GET
def report(request: HttpRequest, period: str) -> HttpResponse:
    chosen = _period(period)
    if isinstance(chosen, str):
        return render(request, "takedowns/report/unknown_period.html", {"message": chosen}, status=404)
    data = figures.live_report(chosen, timezone.now())
    shown = sections(data)
    return render(request, "takedowns/report/report.html", {
        "period": chosen, "groups": grouped(shown), "as_of": datetime.fromisoformat(data["as_of"]),
        "computed_at": datetime.fromisoformat(data["computed_at"]),
        "counted_until": datetime.fromisoformat(data["counted_until"])})


@once_more_if_disconnected
@public
@require_GET
def report_json(request: HttpRequest, period: str) -> JsonResponse:
    chosen = _period(period)
    if isinstance(chosen, str):
        return JsonResponse({"error": chosen}, status=404)
    return JsonResponse(figures.live_report(chosen, timezone.now()),
                        json_dumps_params={"indent": 2, "ensure_ascii": False})


def _cell(value: object) -> object:
    """true, false and empty for null, as the JSON has them, so both downloads read the same."""
    if isinstance(value, bool):
        return str(value).lower()
    return "" if value is None else value


@once_more_if_disconnected
@public
@require_GET
def report_csv(request: HttpRequest, period: str) -> HttpResponse:
    chosen = _period(period)
    if isinstance(chosen, str):
        return HttpResponse(chosen + "\n", status=404, content_type="text/plain; charset=utf-8")
    body = io.StringIO()
    writer = csv.writer(body)
    writer.writerow(("figure", "value"))
    for key, value in figures.flattened(figures.live_report(chosen, timezone.now())):
        writer.writerow((key, _cell(value)))
    response = HttpResponse(body.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="transparency-report-{chosen.slug}.csv"'
    return response


@once_more_if_disconnected
@public
@require_GET
def report_template_csv(request: HttpRequest, period: str) -> HttpResponse:
    """The same figures in the layout of the harmonised quantitative template (Implementing Regulation
    (EU) 2024/2835, Annex I); its column mapping is in reports/template_csv.py."""
    chosen = _period(period)
    if isinstance(chosen, str):
        return HttpResponse(chosen + "\n", status=404, content_type="text/plain; charset=utf-8")
    body = io.StringIO()
    csv.writer(body).writerows(template_rows(figures.live_report(chosen, timezone.now())))
    response = HttpResponse(body.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="transparency-report-{chosen.slug}-template.csv"'
    return response
