"""The report page's sections for the figures the harmonised templates add (reports/harmonised.py),
and the page's grouping of every section in the order of the template (Implementing Regulation (EU)
2024/2835, Annex I): identification, orders, notices and actions, own initiative, complaints and
disputes, suspensions, recipients."""

from datetime import datetime, timedelta

from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from takedowns.enums import ComplainedOf, DisputeOutcome, OrderType
from takedowns.reports.measures import duration_text, number_text, percent

Rows = list[tuple[str, object]]
Section = tuple[str, str, Rows]

# The keyword taxonomy's keywords as a reader names them (on the page; the JSON and CSV keep the keys).
KEYWORD_LABELS = {
    "KEYWORD_TRADEMARK_INFRINGEMENT": _lazy("Trademark infringement"),
    "KEYWORD_COPYRIGHT_INFRINGEMENT": _lazy("Copyright infringement"),
    "KEYWORD_DESIGN_INFRINGEMENT": _lazy("Design infringement"),
    "KEYWORD_PATENT_INFRINGEMENT": _lazy("Patent infringement"),
}
NOT_RECORDED_TEXT = _lazy("not recorded")
# The page's wording of reports/harmonised.NOT_RECORDED, which the JSON and the template CSV publish in English.
NOT_RECORDED_PAGE = {
    # Translators: DSA Art. 23(3), "manifestly unfounded complaints" (de: offensichtlich unbegründete Beschwerden).
    "suspensions.manifestly_unfounded_complaints": _lazy(
        "The marketplace has no measure against people who frequently file manifestly unfounded complaints "
        "(Art. 23(3)): none is taken, and none is recorded."),
}


def _duration(value: int | None) -> str:
    return duration_text(None if value is None else timedelta(seconds=value))


def _day(value: str | None) -> str:
    moment = parse_datetime(value) if value else None
    return date_format(moment.date(), "SHORT_DATE_FORMAT") if isinstance(moment, datetime) else "—"


def harmonised_sections(data: dict) -> list[Section]:
    return [*_identification_and_orders(data), *_notices(data), *_own_initiative(data), *_complaints_and_disputes(data),
            *_suspensions_and_recipients(data)]


def _identification_and_orders(data: dict) -> list[Section]:
    provider, orders = data["provider"], data["authority_orders"]
    states = ", ".join(f"{code} {number_text(count)}" for code, count in orders["by_member_state"].items()
                       if count) or _("none")
    return [
        (_("Provider and publication"), _("Who publishes this report, for which days, and when it was first "
                                          "published and last updated."), [
            (_("Provider"), provider["name"]), (_("Service"), provider["service"]),
            (_("First published"), _("in progress") if data["publication"].get("in_progress")
             else _day(data["publication"].get("first_published_at"))),
            (_("Last updated"), _day(data.get("publication", {}).get("updated_at")))]),
        # Translators: DSA Art. 9 and 10, orders of national judicial or administrative authorities
        # (de: Anordnungen der Behörden der Mitgliedstaaten).
        (_("Orders from Member State authorities (DSA Art. 9, 10)"),
         _("Orders received in the period, as recorded by the trust and safety leads; how many were acknowledged "
           "and carried out so far, and the median times from receipt."), [
             (_("Orders received"), orders["received"]),
             *[(str(label), orders["by_type"][value]) for value, label in OrderType.choices],
             (_("by Member State"), states),
             (_("Receipt acknowledged"), orders["acknowledged"]), (_("Given effect"), orders["given_effect"]),
             (_("Median time to acknowledge"), _duration(orders["median_time_to_acknowledge_seconds"])),
             (_("Median time to give effect"), _duration(orders["median_time_to_effect_seconds"]))]),
    ]


def _notices(data: dict) -> list[Section]:
    trusted, ground = data["trusted_flaggers"], data["actions_by_ground"]
    return [
        # Translators: "trusted flaggers" as in DSA Art. 22 (de: vertrauenswürdige Hinweisgeber).
        (_("Trusted flaggers (DSA Art. 22)"),
         _("Notices from trusted flaggers confirmed in the period and the listings they reported; decisions on "
           "their listings taken in the period and the median time from the notice's receipt to the decision."), [
            (_("Notices from trusted flaggers"), trusted["notices"]), (_("Listings reported"), trusted["items"]),
            (_("Decisions"), trusted["decisions"]), (_("Listings removed"), trusted["removals"]),
            (_("Median time to action"), _duration(trusted["median_time_to_action_seconds"]))]),
        (_("Actions by ground"), _("Removals decided in the period: on a legal ground (the law of the notified "
                                   "right), or on the terms and conditions alone."), [
            (_("On a legal ground"), ground["legal_ground"]),
            # Translators: "terms and conditions" as in DSA Art. 14 (de: allgemeine Geschäftsbedingungen).
            (_("On the terms and conditions alone"), ground["terms_and_conditions"])]),
        # Translators: "illegal content" as in the DSA (de: rechtswidrige Inhalte).
        (_("By type of illegal content"), _("All in the category intellectual property infringements; the "
                                            "keyword follows the right the notice relies on."), [
            (str(KEYWORD_LABELS[keyword]), _(
                "%(notices)s notices (%(trusted)s from trusted flaggers), %(items)s listings; %(removals)s removed, "
                "%(rejections)s rejected") % {
                "notices": number_text(row["notices"]), "trusted": number_text(row["trusted_flagger_notices"]),
                "items": number_text(row["items"]), "removals": number_text(row["removals"]),
                "rejections": number_text(row["rejections"])})
            for keyword, row in data["by_keyword"]["keywords"].items()]),
    ]


def _own_initiative(data: dict) -> list[Section]:
    own = data["own_initiative"]
    return [(_("Own-initiative actions"), _(
        "Removals decided in the period on the cases listing screening opened, stay-down blocks included, by "
        "type of illegal content and by ground; all were detected by automated means."), [
        (_("Actions taken"), own["actions"]),
        *[(str(KEYWORD_LABELS[keyword]), count) for keyword, count in own["by_keyword"].items()],
        (_("On a legal ground"), own["by_ground"]["legal_ground"]),
        (_("On the terms and conditions alone"), own["by_ground"]["terms_and_conditions"]),
        (_("taken by automated means"), own["automated_decision"])])]


def _complaints_and_disputes(data: dict) -> list[Section]:
    complaints, disputes = data["complaints"], data["out_of_court_disputes"]
    about: dict[str, str] = {ComplainedOf.LISTING_REMOVED: _("About: removal of a listing"),
             ComplainedOf.NOTICE_REJECTED: _("About: rejection of a notice (listing left online)"),
             ComplainedOf.ACCOUNT_MEASURE: _("About: measure against a seller's account"),
             ComplainedOf.NOTIFIER_MEASURE: _("About: measure against a notifier")}
    return [
        # Translators: "complaints" of the internal complaint-handling system, DSA Art. 20 (de: Beschwerden).
        (_("Complaints (DSA Art. 20)"), _("Appeals of sellers, submitters and notifiers: received in the period, "
                                          "and decided in the period with their outcome, by the decision "
                                          "complained of."), [
            (_("Complaints received"), complaints["received"]), (_("Decisions taken"), complaints["decided"]),
            (_("Original decision upheld"), complaints["upheld"]),
            (_("Original decision reversed"), complaints["reversed"]),
            (_("Complaints omitted"), str(NOT_RECORDED_TEXT)),
            (_("Median time to decide (sellers' and submitters' appeals)"),
             _duration(complaints["median_decision_seconds"])),
            *[(about[value], _("%(received)s received, %(decided)s decided, %(reversed)s reversed; median "
                               "%(median)s") % {
                "received": number_text(row["received"]), "decided": number_text(row["decided"]),
                "reversed": number_text(row["reversed"]), "median": _duration(row["median_decision_seconds"])})
              for value in ComplainedOf.values for row in [complaints["by_complained_of"][value]]]]),
        # Translators: "out-of-court dispute settlement", DSA Art. 21 (de: außergerichtliche Streitbeilegung).
        (_("Out-of-court disputes (DSA Art. 21)"),
         _("Disputes taken to a certified settlement body, as recorded by the leads: submitted in the period; "
           "closed in the period, by outcome."), [
            (_("Disputes submitted"), disputes["submitted"]), (_("Disputes closed"), disputes["closed"]),
            *[(str(label), disputes["by_outcome"][value]) for value, label in DisputeOutcome.choices
              if value != DisputeOutcome.PENDING],
            (_("Decisions implemented by the marketplace"), _("%(count)s (%(share)s)") % {
                "count": number_text(disputes["implemented"]), "share": percent(disputes["implemented_share"])}),
            (_("Median time to close"), _duration(disputes["median_duration_seconds"]))]),
    ]


def _suspensions_and_recipients(data: dict) -> list[Section]:
    suspensions, recipients = data["suspensions"], data["active_recipients"]["average_monthly"]
    illegal = suspensions["manifestly_illegal_content"]
    return [
        # Translators: "suspension", DSA Art. 23 (de: Aussetzung).
        (_("Suspensions (DSA Art. 23)"), _("Measures decided in the period, by what they answer. %(not_recorded)s")
         % {"not_recorded": NOT_RECORDED_PAGE["suspensions.manifestly_unfounded_complaints"]}, [
            # Translators: "manifestly illegal content", DSA Art. 23(1) (de: offensichtlich rechtswidrige Inhalte).
            (_("Manifestly illegal content: sellers restricted (partial suspension)"), illegal["partial_suspensions"]),
            (_("Manifestly illegal content: sellers suspended"), illegal["suspensions"]),
            (_("Manifestly illegal content: seller accounts terminated"), illegal["terminations"]),
            (_("Manifestly unfounded notices: notifiers suspended"), suspensions["manifestly_unfounded_notices"]),
            (_("Manifestly unfounded complaints"), str(NOT_RECORDED_TEXT))]),
        # Translators: "average monthly active recipients of the service", DSA Art. 24(2)
        # (de: durchschnittliche monatliche aktive Nutzer).
        (_("Average monthly active recipients (DSA Art. 24(2))"),
         _("Recipients of the service in the Union, as the marketplace states them."), [
            (_("Average monthly active recipients"), _("not stated") if recipients is None else recipients)]),
    ]


# The template's order; a section named in none of the groups goes under "Other figures". Sections are
# matched by their title in the active language (the page builds both in the same request).
GROUPS: list[tuple[str | Promise, list[str | Promise]]] = [
    (_lazy("Identification"), [_lazy("Provider and publication")]),
    (_lazy("Orders from authorities"), [_lazy("Orders from Member State authorities (DSA Art. 9, 10)")]),
    (_lazy("Notices and actions (DSA Art. 16)"), [
        _lazy("Notices received"), _lazy("Notices by right"), _lazy("Reported listings by infringement"),
        _lazy("By type of illegal content"), _lazy("Trusted flaggers (DSA Art. 22)"), _lazy("Actions taken"),
        _lazy("Actions by ground"), _lazy("Time to action"), _lazy("Use of automated means (DSA Art. 15(1)(e))")]),
    (_lazy("Own initiative"), [_lazy("Removals by initiative"), _lazy("Own-initiative actions"),
                               _lazy("Listing screening"), _lazy("Referrals to law enforcement")]),
    (_lazy("Complaints and disputes"), [
        _lazy("Complaints (DSA Art. 20)"), _lazy("Appeals (DSA Art. 20)"), _lazy("Counter-notices (DMCA 512(g))"),
        _lazy("Out-of-court disputes (DSA Art. 21)")]),
    (_lazy("Suspensions and measures (DSA Art. 23)"), [
        _lazy("Suspensions (DSA Art. 23)"), _lazy("Seller penalties (DSA Art. 23, DMCA 512(i))"),
        _lazy("Notifiers: manifestly unfounded notices (DSA Art. 23(2), 24(1)(b))")]),
    (_lazy("Recipients"), [_lazy("Average monthly active recipients (DSA Art. 24(2))")]),
]


def localised(sections: list[Section]) -> list[Section]:
    """Every count of the page's rows written as the reader's language writes numbers (1,234 / 1.234);
    texts (durations, dates, "not recorded") as they are."""
    return [(title, description, [(label, number_text(value) if isinstance(value, int) and not isinstance(value, bool)
                                   else value) for label, value in rows])
            for title, description, rows in sections]


def grouped(sections: list[Section]) -> list[tuple[str, list[Section]]]:
    by_title = {str(section[0]): section for section in sections}
    placed = {str(title) for _name, titles in GROUPS for title in titles}
    groups = [(str(name), [by_title[str(title)] for title in titles if str(title) in by_title])
              for name, titles in GROUPS]
    others = [section for section in sections if str(section[0]) not in placed]
    return [group for group in [*groups, (str(_("Other figures")), others)] if group[1]]
