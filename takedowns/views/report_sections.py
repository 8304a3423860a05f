"""The report page's sections for the figures the harmonised templates add (reports/harmonised.py),
and the page's grouping of every section in the order of the template (Implementing Regulation (EU)
2024/2835, Annex I): identification, orders, notices and actions, own initiative, complaints and
disputes, suspensions, recipients."""

from datetime import datetime, timedelta

from django.utils.dateparse import parse_datetime

from takedowns.enums import ComplainedOf, DisputeOutcome, OrderType
from takedowns.reports.harmonised import NOT_RECORDED
from takedowns.reports.measures import duration_text, percent

Rows = list[tuple[str, object]]
Section = tuple[str, str, Rows]

# The keyword taxonomy's keywords as a reader names them.
KEYWORD_LABELS = {
    "KEYWORD_TRADEMARK_INFRINGEMENT": "Trademark infringement",
    "KEYWORD_COPYRIGHT_INFRINGEMENT": "Copyright infringement",
    "KEYWORD_DESIGN_INFRINGEMENT": "Design infringement",
    "KEYWORD_PATENT_INFRINGEMENT": "Patent infringement",
}
NOT_RECORDED_TEXT = "not recorded"


def _duration(value: int | None) -> str:
    return duration_text(None if value is None else timedelta(seconds=value))


def _day(value: str | None) -> str:
    moment = parse_datetime(value) if value else None
    return moment.date().isoformat() if isinstance(moment, datetime) else "—"


def harmonised_sections(data: dict) -> list[Section]:
    return [*_identification_and_orders(data), *_notices(data), *_complaints_and_disputes(data),
            *_suspensions_and_recipients(data)]


def _identification_and_orders(data: dict) -> list[Section]:
    provider, orders = data["provider"], data["authority_orders"]
    states = ", ".join(f"{code} {count}" for code, count in orders["by_member_state"].items() if count) or "none"
    return [
        ("Provider and publication", "Who publishes this report, for which days, and when it was first published and "
                                     "last updated.", [
            ("Provider", provider["name"]), ("Service", provider["service"]),
            ("First published", "in progress" if data["publication"].get("in_progress")
             else _day(data["publication"].get("first_published_at"))),
            ("Last updated", _day(data.get("publication", {}).get("updated_at")))]),
        ("Orders from Member State authorities (DSA Art. 9, 10)",
         "Orders received in the period, as recorded by the trust and safety leads; how many were acknowledged and "
         "carried out so far, and the median times from receipt.", [
             ("Orders received", orders["received"]),
             *[(label, orders["by_type"][value]) for value, label in OrderType.choices],
             ("by Member State", states),
             ("Receipt acknowledged", orders["acknowledged"]), ("Given effect", orders["given_effect"]),
             ("Median time to acknowledge", _duration(orders["median_time_to_acknowledge_seconds"])),
             ("Median time to give effect", _duration(orders["median_time_to_effect_seconds"]))]),
    ]


def _notices(data: dict) -> list[Section]:
    trusted, ground = data["trusted_flaggers"], data["actions_by_ground"]
    return [
        ("Trusted flaggers (DSA Art. 22)",
         "Notices from trusted flaggers confirmed in the period and the listings they reported; decisions on their "
         "listings taken in the period and the median time from the notice's receipt to the decision.", [
            ("Notices from trusted flaggers", trusted["notices"]), ("Listings reported", trusted["items"]),
            ("Decisions", trusted["decisions"]), ("Listings removed", trusted["removals"]),
            ("Median time to action", _duration(trusted["median_time_to_action_seconds"]))]),
        ("Actions by ground", "Removals decided in the period: on a legal ground (the law of the notified right), or "
                              "on the terms and conditions alone.", [
            ("On a legal ground", ground["legal_ground"]),
            ("On the terms and conditions alone", ground["terms_and_conditions"])]),
        ("By type of illegal content", "All in the category intellectual property infringements; the keyword follows "
                                       "the right the notice relies on.", [
            (KEYWORD_LABELS[keyword], f"{row['notices']} notices ({row['trusted_flagger_notices']} from trusted "
                                      f"flaggers), {row['items']} listings; {row['removals']} removed, "
                                      f"{row['rejections']} rejected")
            for keyword, row in data["by_keyword"]["keywords"].items()]),
    ]


def _complaints_and_disputes(data: dict) -> list[Section]:
    complaints, disputes = data["complaints"], data["out_of_court_disputes"]
    return [
        ("Complaints (DSA Art. 20)", "Appeals of sellers, submitters and notifiers: received in the period, and "
                                     "decided in the period with their outcome, by the decision complained of.", [
            ("Complaints received", complaints["received"]), ("Decisions taken", complaints["decided"]),
            ("Original decision upheld", complaints["upheld"]), ("Original decision reversed", complaints["reversed"]),
            ("Complaints omitted", NOT_RECORDED_TEXT),
            ("Median time to decide (sellers' and submitters' appeals)",
             _duration(complaints["median_decision_seconds"])),
            *[(f"About: {label.lower()}",
               f"{row['received']} received, {row['decided']} decided, {row['reversed']} reversed; median "
               f"{_duration(row['median_decision_seconds'])}")
              for value, label in ComplainedOf.choices for row in [complaints["by_complained_of"][value]]]]),
        ("Out-of-court disputes (DSA Art. 21)",
         "Disputes taken to a certified settlement body, as recorded by the leads: submitted in the period; closed "
         "in the period, by outcome.", [
            ("Disputes submitted", disputes["submitted"]), ("Disputes closed", disputes["closed"]),
            *[(label, disputes["by_outcome"][value]) for value, label in DisputeOutcome.choices
              if value != DisputeOutcome.PENDING],
            ("Decisions implemented by the marketplace",
             f"{disputes['implemented']} ({percent(disputes['implemented_share'])})"),
            ("Median time to close", _duration(disputes["median_duration_seconds"]))]),
    ]


def _suspensions_and_recipients(data: dict) -> list[Section]:
    suspensions, recipients = data["suspensions"], data["active_recipients"]["average_monthly"]
    illegal = suspensions["manifestly_illegal_content"]
    return [
        ("Suspensions (DSA Art. 23)", "Measures decided in the period, by what they answer. "
                                      + NOT_RECORDED["suspensions.manifestly_unfounded_complaints"], [
            ("Manifestly illegal content: sellers restricted (partial suspension)", illegal["partial_suspensions"]),
            ("Manifestly illegal content: sellers suspended", illegal["suspensions"]),
            ("Manifestly illegal content: seller accounts terminated", illegal["terminations"]),
            ("Manifestly unfounded notices: notifiers suspended", suspensions["manifestly_unfounded_notices"]),
            ("Manifestly unfounded complaints", NOT_RECORDED_TEXT)]),
        ("Average monthly active recipients (DSA Art. 24(2))", "Recipients of the service in the Union, as the "
                                                               "marketplace states them.", [
            ("Average monthly active recipients", "not stated" if recipients is None else recipients)]),
    ]


# The template's order; a section named in none of the groups goes under "Other figures".
GROUPS: list[tuple[str, list[str]]] = [
    ("Identification", ["Provider and publication"]),
    ("Orders from authorities", ["Orders from Member State authorities (DSA Art. 9, 10)"]),
    ("Notices and actions (DSA Art. 16)", [
        "Notices received", "Notices by right", "Reported listings by infringement", "By type of illegal content",
        "Trusted flaggers (DSA Art. 22)", "Actions taken", "Actions by ground", "Time to action",
        "Use of automated means (DSA Art. 15(1)(e))"]),
    ("Own initiative", ["Removals by initiative"]),
    ("Complaints and disputes", ["Complaints (DSA Art. 20)", "Appeals (DSA Art. 20)",
                                 "Counter-notices (DMCA 512(g))", "Out-of-court disputes (DSA Art. 21)"]),
    ("Suspensions and measures (DSA Art. 23)", [
        "Suspensions (DSA Art. 23)", "Seller penalties (DSA Art. 23, DMCA 512(i))",
        "Notifiers: manifestly unfounded notices (DSA Art. 23(2), 24(1)(b))"]),
    ("Recipients", ["Average monthly active recipients (DSA Art. 24(2))"]),
]


def grouped(sections: list[Section]) -> list[tuple[str, list[Section]]]:
    by_title = {section[0]: section for section in sections}
    placed = {title for _, titles in GROUPS for title in titles}
    groups = [(name, [by_title[title] for title in titles if title in by_title]) for name, titles in GROUPS]
    others = [section for section in sections if section[0] not in placed]
    return [group for group in [*groups, ("Other figures", others)] if group[1]]
