"""The transparency report in the layout of the harmonised quantitative template (Commission
Implementing Regulation (EU) 2024/2835, Annex I): a separate download beside our own JSON and CSV.

The column mapping. The template is a sheet per section with one line per figure, some broken down
by type of content (the category and keyword of the Transparency Database taxonomy) or by Member
State. Our CSV keeps that order and writes one row per figure with these columns:

    section      the template's section, in its order (identification, orders, notices, own
                 initiative, complaints, out-of-court disputes, suspensions, active recipients,
                 automated means, human resources)
    field        the template's figure, in its words
    breakdown    the keyword (KEYWORD_...), the Member State (ISO code) or the type of decision the
                 figure is broken down by; empty for a total
    value        the figure (durations in whole seconds; dates ISO 8601); empty when not recorded
    source       where it comes from in our report's JSON (a dotted path), so every line can be
                 traced to its definition in reports/transparency.py and reports/harmonised.py
    note         empty, or why the value is empty (the template asks a figure this system does not
                 record, or one that does not apply to a marketplace of this size): we say so rather
                 than invent a number

Only the figures' layout is the template's; the template's own cell codes are not reproduced.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from takedowns.enums import EEA_COUNTRIES, ComplainedOf, DisputeOutcome, OrderType, PenaltyLevel
from takedowns.reports.harmonised import CATEGORY, KEYWORDS, NOT_RECORDED

COLUMNS = ("section", "field", "breakdown", "value", "source", "note")

NOT_APPLICABLE_VLOP = ("Applies to very large online platforms only (Art. 42): the marketplace is not designated "
                       "as one.")
OWN_INITIATIVE_NOTE = ("Removals decided in the period on the cases listing screening opened, blocks included "
                       "(reports/harmonised.own_initiative).")


@dataclass(frozen=True)
class Line:
    section: str
    field: str
    source: str | None  # a dotted path into the report's JSON; None: not recorded
    breakdown: str = ""
    note: str = ""
    empty_note: str = ""  # why the value may be empty, when it is


def _identification() -> Iterator[Line]:
    ident = "Identification"
    yield Line(ident, "Name of the provider", "provider.name")
    yield Line(ident, "Name of the service", "provider.service")
    yield Line(ident, "Start of the reporting period", "provider.first_day")
    yield Line(ident, "End of the reporting period", "provider.last_day")
    yield Line(ident, "Date of publication", "publication.first_published_at",
               empty_note="The period is in progress: its report is first published once the period has ended.")
    yield Line(ident, "Date of the last update", "publication.updated_at")


def _orders() -> Iterator[Line]:
    orders = "Orders from Member State authorities (Art. 9, 10)"
    yield Line(orders, "Orders received", "authority_orders.received")
    for kind in OrderType.values:
        yield Line(orders, "Orders received, by type of order", f"authority_orders.by_type.{kind}", kind)
    for code in EEA_COUNTRIES:
        yield Line(orders, "Orders received, by Member State", f"authority_orders.by_member_state.{code}", code)
    for keyword in [*KEYWORDS, "unspecified"]:
        yield Line(orders, "Orders received, by type of illegal content", f"authority_orders.by_keyword.{keyword}",
                   keyword)
    yield Line(orders, "Median time to confirm receipt (seconds)",
               "authority_orders.median_time_to_acknowledge_seconds")
    yield Line(orders, "Median time to give effect (seconds)", "authority_orders.median_time_to_effect_seconds")


def _notices() -> Iterator[Line]:
    notices = "Notices (Art. 16)"
    yield Line(notices, "Notices received", "notices.received", CATEGORY)
    for keyword in KEYWORDS:
        yield Line(notices, "Notices received, by type of alleged illegal content",
                   f"by_keyword.keywords.{keyword}.notices", keyword)
    yield Line(notices, "Notices submitted by trusted flaggers (Art. 22)", "trusted_flaggers.notices")
    for keyword in KEYWORDS:
        yield Line(notices, "Notices submitted by trusted flaggers, by type of alleged illegal content",
                   f"by_keyword.keywords.{keyword}.trusted_flagger_notices", keyword)
    yield Line(notices, "Items reported by trusted flaggers", "trusted_flaggers.items")
    yield Line(notices, "Actions taken on notices of trusted flaggers", "trusted_flaggers.removals")
    yield Line(notices, "Median time to take action on notices of trusted flaggers (seconds)",
               "trusted_flaggers.median_time_to_action_seconds")
    yield Line(notices, "Actions taken on the basis of the law", "actions_by_ground.legal_ground")
    yield Line(notices, "Actions taken on the basis of the terms and conditions",
               "actions_by_ground.terms_and_conditions")
    for keyword in KEYWORDS:
        yield Line(notices, "Actions taken, by type of illegal content", f"by_keyword.keywords.{keyword}.removals",
                   keyword)
    yield Line(notices, "Notices processed by automated means", "automated_means.automated_decision_on_notices")
    yield Line(notices, "Median time to take action (seconds)", "median_time_to_action_seconds")
    yield from _own_initiative()


def _own_initiative() -> Iterator[Line]:
    own = "Content moderation on the provider's own initiative"
    yield Line(own, "Actions taken on the provider's own initiative", "own_initiative.actions",
               note=OWN_INITIATIVE_NOTE)
    for keyword in KEYWORDS:
        yield Line(own, "Actions taken on the provider's own initiative, by type of illegal content",
                   f"own_initiative.by_keyword.{keyword}", keyword)
    yield Line(own, "Actions taken on the basis of the law", "own_initiative.by_ground.legal_ground")
    yield Line(own, "Actions taken on the basis of the terms and conditions",
               "own_initiative.by_ground.terms_and_conditions")
    yield Line(own, "Actions detected by automated means", "own_initiative.automated_detection")
    yield Line(own, "Actions taken by automated means", "own_initiative.automated_decision",
               note="Stay-down blocks; the removal of a listing held by screening is decided by a reviewer.")


def _complaints() -> Iterator[Line]:
    complaints = "Complaints through the internal complaint-handling system (Art. 20)"
    yield Line(complaints, "Complaints received", "complaints.received")
    for about in ComplainedOf.values:
        yield Line(complaints, "Complaints received, by type of decision complained of",
                   f"complaints.by_complained_of.{about}.received", about)
    yield Line(complaints, "Decisions taken on complaints", "complaints.decided")
    yield Line(complaints, "Decisions upheld", "complaints.upheld")
    yield Line(complaints, "Decisions reversed", "complaints.reversed")
    for about in ComplainedOf.values:
        yield Line(complaints, "Decisions reversed, by type of decision complained of",
                   f"complaints.by_complained_of.{about}.reversed", about)
    yield Line(complaints, "Complaints omitted", None, note=NOT_RECORDED["complaints.omitted"])
    yield Line(complaints, "Median time to decide a complaint (seconds)", "complaints.median_decision_seconds",
               note="Over sellers' and submitters' appeals; notifiers' appeals have their own median in our JSON "
                    "(complaints.by_complained_of.notifier_measure).")
    for about in ComplainedOf.values:
        yield Line(complaints, "Median time to decide a complaint, by type of decision complained of (seconds)",
                   f"complaints.by_complained_of.{about}.median_decision_seconds", about)


def _disputes_and_suspensions() -> Iterator[Line]:
    disputes = "Out-of-court dispute settlements (Art. 21)"
    yield Line(disputes, "Disputes submitted", "out_of_court_disputes.submitted")
    for about in ComplainedOf.values:
        yield Line(disputes, "Disputes submitted, by type of decision disputed",
                   f"out_of_court_disputes.by_complained_of.{about}", about)
    for outcome in DisputeOutcome.values:
        if outcome != DisputeOutcome.PENDING:
            yield Line(disputes, "Outcomes", f"out_of_court_disputes.by_outcome.{outcome}", outcome)
    yield Line(disputes, "Decisions of the body implemented by the provider", "out_of_court_disputes.implemented")
    yield Line(disputes, "Share of disputes where the provider implemented the decision of the body",
               "out_of_court_disputes.implemented_share")
    yield Line(disputes, "Median time to complete a dispute (seconds)",
               "out_of_court_disputes.median_duration_seconds")
    suspensions = "Suspensions (Art. 23)"
    for what in ("partial_suspensions", "suspensions", "terminations"):
        yield Line(suspensions, "Suspensions for manifestly illegal content",
                   f"suspensions.manifestly_illegal_content.{what}", what)
    yield Line(suspensions, "Suspensions for manifestly unfounded notices", "suspensions.manifestly_unfounded_notices")
    yield Line(suspensions, "Suspensions for manifestly unfounded complaints", None,
               note=NOT_RECORDED["suspensions.manifestly_unfounded_complaints"])


def _recipients_and_means() -> Iterator[Line]:
    yield Line("Average monthly active recipients (Art. 24(2))", "Average monthly active recipients in the Union",
               "active_recipients.average_monthly")
    automated = "Use of automated means (Art. 15(1)(e))"
    yield Line(automated, "Decisions", "automated_means.decisions")
    yield Line(automated, "Decisions with automated detection", "automated_means.automated_detection")
    yield Line(automated, "Decisions taken by automated means", "automated_means.taken_by_automated_means",
               note="Listing decisions taken by automated means and seller penalties decided by the strike ladder "
                    "without a person, on strikes from removals decided by people (\"partially automated\" in our "
                    "Transparency Database statements).")
    yield Line(automated, "Listing decisions taken by automated means", "automated_means.automated_decision")
    yield Line(automated, "Seller penalty decisions", "automated_means.penalty_decisions")
    yield Line(automated, "Seller penalty decisions taken by automated means (partially automated)",
               "automated_means.penalty_decisions_automated")
    for level in PenaltyLevel.values:
        yield Line(automated, "Seller penalty decisions taken by automated means, by level",
                   f"automated_means.penalty_decisions_automated_by_level.{level}", level)
    yield Line(automated, "Seller penalty decisions taken by automated means with a Transparency Database statement",
               "automated_means.penalty_decisions_automated_with_tdb_statement",
               note="Restrictions, suspensions and terminations; a warning restricts nothing and has no statement.")
    yield Line("Human resources (Art. 42(2))", "Content moderators by official language", None,
               note=NOT_APPLICABLE_VLOP)


def _lines() -> Iterator[Line]:
    """The template's sections in its order."""
    for section in (_identification, _orders, _notices, _complaints, _disputes_and_suspensions,
                    _recipients_and_means):
        yield from section()


LINES = tuple(_lines())


def _at(figures: dict, path: str) -> object:
    value: object = figures
    for key in path.split("."):
        value = value[key] if isinstance(value, dict) else None
    return value


def _cell(value: object) -> object:
    if isinstance(value, bool):
        return str(value).lower()
    return "" if value is None else value


def template_rows(figures: dict) -> Iterator[tuple[object, ...]]:
    """The report's figures in the template's layout (COLUMNS), one tuple per line. A figure published as
    null (not stated, nothing to take a median of) keeps an empty value and a note saying so."""
    yield COLUMNS
    for line in LINES:
        value = None if line.source is None else _at(figures, line.source)
        note = line.note or ("" if value is not None else line.empty_note or "No value for this period (nothing to "
                                                              "measure, or not stated by the marketplace).")
        yield line.section, line.field, line.breakdown, _cell(value), line.source or "", note
