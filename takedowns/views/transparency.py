"""The public transparency report (DSA Art. 15 and 24): per month or half-year, as a page, as JSON
and as CSV, all three from the same figures (reports/transparency.live_report: the stored snapshot and
what came after it). No
login: the report holds counts only, nothing that identifies a person."""

import csv
import io
from datetime import datetime, timedelta
from functools import wraps

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
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
    ScreeningOutcome,
    ScreeningRuleCode,
)
from takedowns.reports import transparency as figures
from takedowns.reports.measures import duration_text, number_text, percent
from takedowns.reports.template_csv import template_rows
from takedowns.views.reconnect import once_more_if_disconnected
from takedowns.views.report_sections import grouped, harmonised_sections, localised

Rows = list[tuple[str, object]]


def _in_english(view):
    """The downloads are machine-readable: their keys, titles, notes and error messages are the same bytes
    whatever language the visitor reads the page in (issue 13), so they are written in English."""
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        with translation.override("en"):
            return view(request, *args, **kwargs)
    return wrapped


def _appeal_status_rows(prefix: str, counts: dict[str, int]) -> Rows:
    """One row per appeal status, as a whole message each (a word order per language)."""
    texts: dict[str, str] = {  # type: ignore[assignment]  # AppealStatus keys are str
        "by_sellers": {AppealStatus.FILED: _("by sellers: waiting for a decision"),
                       AppealStatus.UPHELD: _("by sellers: original decision upheld"),
                       AppealStatus.REVERSED: _("by sellers: original decision reversed")},
        "by_submitters": {AppealStatus.FILED: _("by submitters: waiting for a decision"),
                          AppealStatus.UPHELD: _("by submitters: original decision upheld"),
                          AppealStatus.REVERSED: _("by submitters: original decision reversed")},
        "notifiers": {AppealStatus.FILED: _("appeals: waiting for a decision"),
                      AppealStatus.UPHELD: _("appeals: original decision upheld"),
                      AppealStatus.REVERSED: _("appeals: original decision reversed")},
    }[prefix]
    return [(str(texts[status]), counts[status]) for status in AppealStatus.values]


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
    return [(str(label), counts[value]) for value, label in choices]


def sections(data: dict) -> list[tuple[str, str, Rows]]:
    """(title, what is counted, rows) for the page, in the active language; the figures themselves
    (`data`, the JSON as published) are computed in reports/transparency.py, each beside its definition."""
    notices, actions, automated = data["notices"], data["actions"], data["automated_means"]
    appeals = data["appeals"]["by_appellant"]
    appeal_rows: Rows = [
        (_("Appeals filed"), data["appeals"]["filed"]),
        (_("by sellers"), appeals[Appellant.SELLER]["filed"]),
        *_appeal_status_rows("by_sellers", appeals[Appellant.SELLER]["by_status"]),
        (_("by submitters"), appeals[Appellant.SUBMITTER]["filed"]),
        *_appeal_status_rows("by_submitters", appeals[Appellant.SUBMITTER]["by_status"])]
    return [
        (_("Notices received"), _("Notices whose sender confirmed their e-mail address in the period, by source."), [
            (_("Notices received"), notices["received"]),
            # Translators: "trusted flagger" as in DSA Art. 22 (de: vertrauenswürdiger Hinweisgeber).
            (_("from trusted flaggers (DSA Art. 22)"), notices["by_source"]["trusted_flagger"]),
            (_("from other notifiers"), notices["by_source"]["other"])]),
        (_("Notices by right"), _("The right each notice relies on."),
         _labelled(notices["by_right_type"], RightType.choices)),
        (_("Reported listings by infringement"),
         _("The listings those notices reported, by the infringement alleged."),
         [(_("Listings reported"), notices["items"]),
          *_labelled(notices["items_by_reason"], InfringementReason.choices)]),
        (_("Actions taken"), _("Decisions on reported listings taken in the period; restorations and reversals "
                               "dated in the period."), [
            (_("Decisions"), actions["decisions"]),
            (_("Listings removed"), actions["by_outcome"]["remove"]),
            (_("Reports rejected (listing left online)"), actions["by_outcome"]["reject"]),
            (_("Listings restored after a counter-notice or appeal"), actions["listings_restored"]),
            (_("Decisions reversed on appeal"), actions["decisions_reversed_on_appeal"])]),
        _initiative_section(data["removals_by_initiative"]),
        _screening_section(data["screening"]),
        # Translators: referral packages about sellers handed to the police, customs or a prosecutor.
        (_("Referrals to law enforcement"), _("Packages of evidence about a seller or a group of linked seller "
                                              "accounts that the marketplace handed to the authorities in the "
                                              "period."), [
            (_("Referral packages handed over"), data["referrals"]["built"])]),
        _automated_section(automated),
        _time_to_action(data),
        # Translators: "counter-notice" as in the US DMCA, 17 U.S.C. 512(g).
        (_("Counter-notices (DMCA 512(g))"), _(
            "Every filing in the period (one corrected and filed again after being returned as incomplete counts "
            "again); then the counter-notices last filed in it, by where they stand now."),
         [(_("Counter-notices filed"), data["counter_notices"]["filed"]),
          *_labelled(data["counter_notices"]["by_status"], CounterNoticeStatus.choices)]),
        # Translators: the internal complaint-handling system of DSA Art. 20 (de: internes Beschwerdemanagementsystem).
        (_("Appeals (DSA Art. 20)"), _("Internal complaints filed in the period, by who filed them and their "
                                       "outcome."), appeal_rows),
        *_measure_sections(data),
    ]


def _initiative_section(removed: dict) -> tuple[str, str, Rows]:
    """Own-initiative against notice-based removals (reports/proactive.py, removals)."""
    if removed["ratio"] is None:
        ratio = _("not defined: no removal after a notice in the period")
    else:
        # Translators: how many times as many removals on our own initiative as after notices ("28.0×").
        ratio = _("%(ratio)s×") % {"ratio": number_text(removed["ratio"], decimal_pos=1)}
    return (_("Removals by initiative"), _(
        "Removals in force (not reversed on appeal), counted by the day the listing came down: after a rights "
        "holder's notice, or on our own initiative, when listing screening held a new listing that a reviewer "
        "then removed, or blocked a listing relisted after an earlier removal (stay-down). Before the first "
        "sale: the listing had not been sold when it came down."), [
        (_("After a notice (reactive)"), removed["reactive"]),
        # Translators: DSA Art. 15(1)(c), "own-initiative" content moderation (de: auf Eigeninitiative).
        (_("On our own initiative (proactive)"), removed["proactive"]),
        (_("Proactive removals for each removal after a notice"), ratio),
        (_("Proactive removals before the first sale"), _("%(count)s (%(share)s)") % {
            "count": number_text(removed["proactive_before_first_sale"]),
            "share": percent(removed["proactive_before_first_sale_share"])})])


def _screening_section(screening: dict) -> tuple[str, str, Rows]:
    """Listing screening: outcomes, stay-down and precision per rule (reports/proactive.py)."""
    outcomes, staydown = screening["outcomes"], screening["staydown"]
    precision: Rows = []
    for rule, label in ScreeningRuleCode.choices:
        row = screening["precision_by_rule"][rule]
        precision.append((_("Holds confirmed: %(rule)s") % {"rule": label}, _(
            "%(confirmed)s of %(decided)s (%(share)s)") % {"confirmed": number_text(row["confirmed"]),
                                                          "decided": number_text(row["decided"]),
                                                          "share": percent(row["share"])}))
    return (_("Listing screening"), _(
        "New and changed listings screened in the period before they went live, by outcome; those blocked or "
        "held because they match a listing removed before (stay-down); and, per screening rule, of the held "
        "listings a reviewer decided in the period, how many the reviewer removed. A listing held by two rules "
        "counts for both."), [
        (_("Screened and published"), outcomes[ScreeningOutcome.PUBLISH]),
        (_("Held for review"), outcomes[ScreeningOutcome.HOLD]),
        (_("Blocked"), outcomes[ScreeningOutcome.BLOCK]),
        (_("Blocked by stay-down"), staydown["blocked"]),
        (_("Held by stay-down"), staydown["held"]),
        *precision])


def _automated_section(automated: dict) -> tuple[str, str, Rows]:
    """DSA Art. 15(1)(e): listing decisions and seller penalties (reports/transparency.py, _automated_means)."""
    by_level = automated["penalty_decisions_automated_by_level"]
    partially: dict[str, str] = {PenaltyLevel.WARNING: _("partially automated: warning"),
                 PenaltyLevel.RESTRICTION: _("partially automated: restriction on new listings"),
                 PenaltyLevel.SUSPENSION: _("partially automated: temporary suspension"),
                 PenaltyLevel.TERMINATION: _("partially automated: termination of the account")}
    # Translators: DSA Art. 15(1)(e), "use made of automated means" (de: Einsatz automatisierter Mittel).
    return (_("Use of automated means (DSA Art. 15(1)(e))"),
            _("Decisions taken in the period: on reported listings, where automated means detected the listing or "
              "took the decision; and seller penalties decided by the published strike ladder without a person, on "
              "strikes from removals decided by people: \"partially automated\" in the statements we send to the "
              "DSA Transparency Database (a penalty a person decides is not counted). Only restrictions, "
              "suspensions and terminations have a Transparency Database statement; a warning restricts nothing "
              "and has none."), [
                (_("Listing decisions"), automated["decisions"]),
                (_("with automated detection"), automated["automated_detection"]),
                (_("taken by automated means"), automated["automated_decision"]),
                (_("Seller penalty decisions"), automated["penalty_decisions"]),
                (_("decided by the strike ladder without a person (partially automated)"),
                 automated["penalty_decisions_automated"]),
                *[(partially[value], by_level[value]) for value in PenaltyLevel.values],
                (_("partially automated with a Transparency Database statement"),
                 automated["penalty_decisions_automated_with_tdb_statement"]),
                (_("All decisions taken by automated means, fully or partially"),
                 automated["taken_by_automated_means"])])


def _time_to_action(data: dict) -> tuple[str, str, Rows]:
    target, median = data["decided_within_target"], data["median_time_to_action_seconds"]
    return (_("Time to action"),
            _("From the notice's receipt (its confirmation) to the decision on each listing, over the decisions of "
              "the period; the notices whose listings were all, for the first time in the period, decided or closed "
              "because the notifier did not send the information asked for (each notice counts once), and the share "
              "done within the SLA target (its time waiting for the notifier's answer left out); apart, the notices "
              "decided again in the period after an appeal or a fix and resubmit reopened them."), [
                (_("Median time to action"), duration_text(None if median is None else timedelta(seconds=median))),
                # The decision clock stops when the last listing is decided or closed unanswered (no
                # Decision row then): both are counted, so the label names both (issue 12, item 2).
                (_("Notices decided, or closed without an answer from the submitter"), target["decided"]),
                (_("within target"), _("%(count)s (%(share)s)") % {
                    "count": number_text(target["within_target"]), "share": percent(target["share"])}),
                (_("Re-decisions, reopened by an appeal or a fix and resubmit"), target["redecisions"]),
                (_("re-decided within target"), target["redecisions_within_target"])])


def _measure_sections(data: dict) -> list[tuple[str, str, Rows]]:
    """The measures against sellers (repeat infringers) and, apart from them (DSA Art. 24(1)(b)), against
    notifiers (manifestly unfounded notices)."""
    sellers = (_("Seller penalties (DSA Art. 23, DMCA 512(i))"),
               _("Penalties decided against repeat infringers in the period."),
               [(_("Penalties decided"), data["penalties"]["decided"]),
                *_labelled(data["penalties"]["by_level"], PenaltyLevel.choices)])
    return [sellers, _notifier_section(data["notifier_measures"]), *harmonised_sections(data)]


def _notifier_section(notifier: dict) -> tuple[str, str, Rows]:
    appeals = notifier["appeals"]
    # Translators: DSA Art. 23(2), "manifestly unfounded notices" (de: offensichtlich unbegründete Meldungen).
    return (_("Notifiers: manifestly unfounded notices (DSA Art. 23(2), 24(1)(b))"),
            _("Warnings and suspensions of notice handling decided by a lead against notifiers who frequently sent "
              "manifestly unfounded notices, apart from the measures against sellers above; those lifted on appeal, "
              "the notices refused during a suspension, and the notifiers' appeals, all dated in the period."), [
                (_("Measures decided"), notifier["decided"]),
                (_("Warnings"), notifier["by_level"][NotifierMeasureLevel.WARNING]),
                (_("Suspensions of notifiers"), notifier["by_level"][NotifierMeasureLevel.SUSPENSION]),
                (_("about an e-mail address"), notifier["by_scope"][NotifierScope.EMAIL]),
                (_("about an organisation (e-mail domain)"), notifier["by_scope"][NotifierScope.DOMAIN]),
                (_("Measures lifted on appeal"), notifier["lifted_on_appeal"]),
                (_("Notices refused during a suspension"), notifier["notices_refused"]),
                (_("Appeals by notifiers"), appeals["filed"]),
                *_appeal_status_rows("notifiers", appeals["by_status"]),
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
        "period": chosen, "groups": grouped(localised(shown)), "as_of": datetime.fromisoformat(data["as_of"]),
        "computed_at": datetime.fromisoformat(data["computed_at"]),
        "counted_until": datetime.fromisoformat(data["counted_until"])})


@once_more_if_disconnected
@public
@require_GET
@_in_english
def report_json(request: HttpRequest, period: str) -> JsonResponse:
    chosen = _period(period)
    if isinstance(chosen, str):
        return JsonResponse({"error": chosen}, status=404)
    # Keys sorted: the same bytes whether the figures were just computed or read back from a snapshot
    # (PostgreSQL's jsonb keeps keys in its own order, not the order they were written in).
    return JsonResponse(figures.live_report(chosen, timezone.now()),
                        json_dumps_params={"indent": 2, "ensure_ascii": False, "sort_keys": True})


def _cell(value: object) -> object:
    """true, false and empty for null, as the JSON has them, so both downloads read the same."""
    if isinstance(value, bool):
        return str(value).lower()
    return "" if value is None else value


@once_more_if_disconnected
@public
@require_GET
@_in_english
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
@_in_english
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
