"""The figures the harmonised transparency templates ask for beyond the report's first sections
(DSA Art. 15 and 24; Commission Implementing Regulation (EU) 2024/2835, Annex I, the quantitative
template): provider and publication, trusted flaggers (Art. 22), actions by ground, the keyword
breakdown, complaints (Art. 20), out-of-court disputes (Art. 21), suspensions (Art. 23), orders from
Member State authorities (Art. 9, 10) and the average monthly active recipients (Art. 24(2)).

Each function is one or a few SQL aggregates over the rows dated in the period by the event they
count; its docstring is the figure's definition. reports/transparency.report_figures puts them in
the published report; the templates' CSV layout is in reports/template_csv.py.

The keyword taxonomy. The templates classify content by the categories and keywords of the
Transparency Database (the same list, Annex I's "type of illegal content / incompatibility with
terms and conditions"). Everything this portal handles is in the category "Intellectual property
infringements"; its keyword follows the right the notice relies on, whatever infringement reason
the listing was reported for (a counterfeit under a trademark is a trademark infringement, under a
design a design infringement):

    trademark -> KEYWORD_TRADEMARK_INFRINGEMENT     copyright -> KEYWORD_COPYRIGHT_INFRINGEMENT
    design    -> KEYWORD_DESIGN_INFRINGEMENT        patent    -> KEYWORD_PATENT_INFRINGEMENT

(tdb.KEYWORD_FOR_RIGHT, the same mapping the statements of reasons carry.)
"""

from datetime import datetime

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet

from takedowns.enums import (
    EEA_COUNTRIES,
    AppealStatus,
    ComplainedOf,
    DecisionOutcome,
    DisputeOutcome,
    NoticeSource,
    NotifierMeasureLevel,
    OrderType,
    PenaltyLevel,
    RightType,
    SubmitterTrust,
)
from takedowns.marketplace import get_marketplace
from takedowns.models import (
    Appeal,
    AuthorityOrder,
    Decision,
    Notice,
    NoticeItem,
    NotifierAppeal,
    NotifierMeasure,
    OutOfCourtDispute,
    Penalty,
)
from takedowns.reports.measures import percentile, seconds, share
from takedowns.reports.periods import Period
from takedowns.tdb import KEYWORD_FOR_RIGHT, STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS

CATEGORY = STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS
KEYWORDS = [KEYWORD_FOR_RIGHT[right] for right in RightType.values]

# Figures this system does not record; the report publishes null for them and says why.
NOT_RECORDED = {
    "complaints.omitted": "An appeal filed late or about something that cannot be appealed is refused by the "
                          "appeal form (appeal_rules.py) and never stored, so there is no count of complaints "
                          "received and then omitted.",
    "suspensions.manifestly_unfounded_complaints": "The marketplace has no measure against people who frequently "
                                                   "file manifestly unfounded complaints (Art. 23(3)): none is "
                                                   "taken, and none is recorded.",
}


# The template's notice figures count rights holders' notices; an own-initiative case listing screening opened
# (Notice.source = screening) is counted in its own section (own_initiative below).
NOTICE = NoticeSource.NOTICE


def median_seconds(rows: QuerySet, since: str, until: str) -> int | None:
    return seconds(percentile(rows, F(until) - F(since), 0.5))


def provider(period: Period) -> dict:
    """Who publishes the report (settings PROVIDER_NAME, SERVICE_NAME) and for which days."""
    return {"name": settings.PROVIDER_NAME, "service": settings.SERVICE_NAME,
            "first_day": period.first.isoformat(), "last_day": period.last.isoformat()}


def trusted_flaggers(period: Period) -> dict:
    """Notices from trusted flaggers (DSA Art. 22: the notice's trust when it was confirmed) confirmed in
    the period and the listings they reported; the decisions taken in the period on listings reported by
    trusted flaggers, the removals among them, and the median time from the notice's receipt (its
    confirmation) to the decision, over those decisions, in whole seconds."""
    trusted = Q(trust=SubmitterTrust.TRUSTED_FLAGGER, source=NOTICE)
    items = NoticeItem.objects.filter(period.where("notice__confirmed_at"),
                                      notice__trust=SubmitterTrust.TRUSTED_FLAGGER, notice__source=NOTICE)
    decided = Decision.objects.filter(period.where("decided_at"), item__notice__trust=SubmitterTrust.TRUSTED_FLAGGER,
                                      item__notice__source=NOTICE)
    counts = decided.aggregate(decisions=Count("pk"), removals=Count("pk", filter=Q(outcome=DecisionOutcome.REMOVE)))
    return {
        "notices": Notice.objects.filter(period.where("confirmed_at")).filter(trusted).count(),
        "items": items.count(),
        "decisions": counts["decisions"], "removals": counts["removals"],
        "median_time_to_action_seconds": median_seconds(decided, "item__notice__confirmed_at", "decided_at"),
    }


def actions_by_ground(period: Period) -> dict:
    """Removals on rights holders' notices decided in the period by their ground (Art. 15(1)(c), Art.
    17(3)(d)-(e)): on a legal ground when the decision records one (the law of the notified right), on the
    terms and conditions alone when it records none. Every removal this portal makes rests on the notified
    right, so the second is zero unless a decision was recorded without its legal ground. Own-initiative
    removals: own_initiative."""
    removals = Decision.objects.filter(period.where("decided_at"), outcome=DecisionOutcome.REMOVE,
                                       item__notice__source=NOTICE).aggregate(
        legal=Count("pk", filter=~Q(legal_ground="")), terms=Count("pk", filter=Q(legal_ground="")))
    return {"legal_ground": removals["legal"], "terms_and_conditions": removals["terms"]}


def by_keyword(period: Period) -> dict:
    """Per keyword of the templates' taxonomy (the module docstring maps rights to keywords): rights holders'
    notices confirmed in the period, those from trusted flaggers, the listings they reported; the decisions
    taken in the period on them by outcome. Own-initiative removals: own_initiative."""
    notices = Notice.objects.filter(period.where("confirmed_at"), source=NOTICE).aggregate(**{
        f"{right}_{what}": Count("pk", filter=Q(right_type=right, **where))
        for right in RightType.values
        for what, where in (("notices", {}), ("trusted", {"trust": SubmitterTrust.TRUSTED_FLAGGER}))})
    items = NoticeItem.objects.filter(period.where("notice__confirmed_at"), notice__source=NOTICE).aggregate(**{
        right: Count("pk", filter=Q(notice__right_type=right)) for right in RightType.values})
    decisions = Decision.objects.filter(period.where("decided_at"), item__notice__source=NOTICE).aggregate(**{
        f"{right}_{outcome}": Count("pk", filter=Q(item__notice__right_type=right, outcome=outcome))
        for right in RightType.values for outcome in DecisionOutcome.values})
    return {"category": CATEGORY, "keywords": {KEYWORD_FOR_RIGHT[right]: {
        "notices": notices[f"{right}_notices"], "trusted_flagger_notices": notices[f"{right}_trusted"],
        "items": items[right], "removals": decisions[f"{right}_{DecisionOutcome.REMOVE}"],
        "rejections": decisions[f"{right}_{DecisionOutcome.REJECT}"]} for right in RightType.values}}


def own_initiative(period: Period) -> dict:
    """Content moderation on the provider's own initiative (Art. 15(1)(c); the template's own-initiative
    section): removal decisions taken in the period (Decision.decided_at) on the cases listing screening
    opened (Notice.source = screening), blocks included, whether or not later reversed (as the template
    counts actions taken); by keyword (the right screening matched, as the case records it), by ground
    (legal or terms and conditions alone, as actions_by_ground), detected by automated means (every one:
    screening detected it) and taken by automated means (stay-down blocks; a held listing's removal is a
    reviewer's). The removals by the day the listing came down, against notice-based ones, are the report's
    removals_by_initiative (reports/proactive.py)."""
    rights = {right: Q(item__notice__right_type=right) for right in RightType.values}
    counts = Decision.objects.filter(period.where("decided_at"), outcome=DecisionOutcome.REMOVE,
                                     item__notice__source=NoticeSource.SCREENING).aggregate(
        actions=Count("pk"), legal=Count("pk", filter=~Q(legal_ground="")),
        terms=Count("pk", filter=Q(legal_ground="")),
        detected=Count("pk", filter=Q(automated_detection=True)),
        decided=Count("pk", filter=Q(automated_decision=True)),
        **{f"right_{right}": Count("pk", filter=where) for right, where in rights.items()})
    return {"actions": counts["actions"],
            "by_keyword": {KEYWORD_FOR_RIGHT[right]: counts[f"right_{right}"] for right in RightType.values},
            "by_ground": {"legal_ground": counts["legal"], "terms_and_conditions": counts["terms"]},
            "automated_detection": counts["detected"], "automated_decision": counts["decided"]}


# Which decision an appeal is about: a listing's removal or a rejected report (by the decision's outcome),
# or a seller's account measure (a penalty).
_APPEAL_ABOUT: dict[str, Q] = {
    ComplainedOf.LISTING_REMOVED: Q(decision__outcome=DecisionOutcome.REMOVE),
    ComplainedOf.NOTICE_REJECTED: Q(decision__outcome=DecisionOutcome.REJECT),
    ComplainedOf.ACCOUNT_MEASURE: Q(penalty__isnull=False),
}


def complaints(period: Period) -> dict:
    """Internal complaints (DSA Art. 20): sellers' and submitters' appeals (Appeal) and notifiers' appeals
    against a misuse measure (NotifierAppeal), by the type of decision complained of. "received": filed in
    the period; "decided", "upheld", "reversed": decided in the period (reversed: the decision complained
    of was set aside); "median_decision_seconds": from filing to decision, over those decided in the
    period. "omitted" is not recorded (NOT_RECORDED says why)."""
    rows: dict[str, dict] = {}
    sources: list[tuple[str, QuerySet, Q]] = [
        *[(about, Appeal.objects.all(), where) for about, where in _APPEAL_ABOUT.items()],
        (ComplainedOf.NOTIFIER_MEASURE, NotifierAppeal.objects.all(), Q())]
    for about, appeals, where in sources:
        received = appeals.filter(where, period.where("filed_at")).count()
        decided = appeals.filter(where, period.where("decided_at"))
        counts = decided.aggregate(decided=Count("pk"), **{
            status: Count("pk", filter=Q(status=status)) for status in (AppealStatus.UPHELD, AppealStatus.REVERSED)})
        rows[about] = {"received": received, "decided": counts["decided"], "upheld": counts[AppealStatus.UPHELD],
                       "reversed": counts[AppealStatus.REVERSED],
                       "median_decision_seconds": median_seconds(decided, "filed_at", "decided_at")}
    return {
        "received": sum(row["received"] for row in rows.values()),
        "decided": sum(row["decided"] for row in rows.values()),
        "upheld": sum(row["upheld"] for row in rows.values()),
        "reversed": sum(row["reversed"] for row in rows.values()),
        "omitted": None,
        # Sellers' and submitters' appeals only: the median of two tables is not the median of their union,
        # and notifiers' appeals have their own line below.
        "median_decision_seconds": median_seconds(Appeal.objects.filter(period.where("decided_at")), "filed_at",
                                                  "decided_at"),
        "by_complained_of": rows,
    }


def out_of_court_disputes(period: Period) -> dict:
    """Disputes taken to a certified out-of-court body (DSA Art. 21, Art. 24(1)(a)), as leads record them:
    "submitted" in the period (by the type of decision disputed); "closed" in the period, by outcome, how
    many of those the marketplace implemented and their share of the closed ones (Art. 24(1)(a): "the share
    of disputes where the provider implemented the decisions of the body"), and the median time from
    submission to closing over them."""
    submitted = OutOfCourtDispute.objects.filter(period.where("submitted_at")).aggregate(
        submitted=Count("pk"), **{about: Count("pk", filter=Q(complained_of=about)) for about in ComplainedOf.values})
    closed = OutOfCourtDispute.objects.filter(period.where("closed_at"))
    outcomes = [outcome for outcome in DisputeOutcome.values if outcome != DisputeOutcome.PENDING]
    counts = closed.aggregate(closed=Count("pk"), implemented=Count("pk", filter=Q(implemented=True)),
                              **{outcome: Count("pk", filter=Q(outcome=outcome)) for outcome in outcomes})
    return {"submitted": submitted["submitted"],
            "by_complained_of": {about: submitted[about] for about in ComplainedOf.values},
            "closed": counts["closed"], "by_outcome": {outcome: counts[outcome] for outcome in outcomes},
            "implemented": counts["implemented"], "implemented_share": share(counts["implemented"], counts["closed"]),
            "median_duration_seconds": median_seconds(closed, "submitted_at", "closed_at")}


def suspensions(period: Period) -> dict:
    """Measures under DSA Art. 23 decided in the period, by what they answer (Art. 24(1)(b)): for manifestly
    illegal content, the sellers' account measures of the repeat-infringer ladder (a restriction on new
    listings is a partial suspension; a termination ends the account); for manifestly unfounded notices,
    the suspensions of notice handling decided against notifiers; for manifestly unfounded complaints,
    nothing is recorded (NOT_RECORDED)."""
    penalties = Penalty.objects.filter(period.where("decided_at")).aggregate(**{
        level: Count("pk", filter=Q(level=level))
        for level in (PenaltyLevel.RESTRICTION, PenaltyLevel.SUSPENSION, PenaltyLevel.TERMINATION)})
    notifiers = NotifierMeasure.objects.filter(period.where("decided_at"),
                                               level=NotifierMeasureLevel.SUSPENSION).count()
    return {"manifestly_illegal_content": {"partial_suspensions": penalties[PenaltyLevel.RESTRICTION],
                                           "suspensions": penalties[PenaltyLevel.SUSPENSION],
                                           "terminations": penalties[PenaltyLevel.TERMINATION]},
            "manifestly_unfounded_notices": notifiers, "manifestly_unfounded_complaints": None}


def authority_orders(period: Period) -> dict:
    """Orders from Member State authorities (DSA Art. 9, 10) received in the period, as leads record them:
    by type, by Member State and by keyword (orders naming no right under "unspecified"); how many of them
    were acknowledged and given effect so far, and the median times from receipt to acknowledgement and
    to giving effect over those."""
    orders = AuthorityOrder.objects.filter(period.where("received_at"))
    counts = orders.aggregate(
        received=Count("pk"), acknowledged=Count("pk", filter=Q(acknowledged_at__isnull=False)),
        given_effect=Count("pk", filter=Q(given_effect_at__isnull=False)),
        **{f"type_{kind}": Count("pk", filter=Q(order_type=kind)) for kind in OrderType.values},
        **{f"state_{code}": Count("pk", filter=Q(member_state=code)) for code in EEA_COUNTRIES},
        **{f"right_{right}": Count("pk", filter=Q(right_type=right)) for right in [*RightType.values, ""]})
    return {
        "received": counts["received"],
        "by_type": {kind: counts[f"type_{kind}"] for kind in OrderType.values},
        "by_member_state": {code: counts[f"state_{code}"] for code in EEA_COUNTRIES},
        "by_keyword": {**{KEYWORD_FOR_RIGHT[right]: counts[f"right_{right}"] for right in RightType.values},
                       "unspecified": counts["right_"]},
        "acknowledged": counts["acknowledged"], "given_effect": counts["given_effect"],
        "median_time_to_acknowledge_seconds": median_seconds(orders, "received_at", "acknowledged_at"),
        "median_time_to_effect_seconds": median_seconds(orders, "received_at", "given_effect_at"),
    }


def active_recipients(period: Period) -> dict:
    """The average monthly active recipients of the service in the Union over the period (DSA Art. 24(2)),
    as the marketplace adapter states it (None: not stated)."""
    return {"average_monthly": get_marketplace().average_monthly_active_recipients(period.first, period.last)}


def harmonised_figures(period: Period) -> dict:
    return {"provider": provider(period), "trusted_flaggers": trusted_flaggers(period),
            "actions_by_ground": actions_by_ground(period), "by_keyword": by_keyword(period),
            "own_initiative": own_initiative(period), "complaints": complaints(period),
            "out_of_court_disputes": out_of_court_disputes(period),
            "suspensions": suspensions(period), "authority_orders": authority_orders(period),
            "active_recipients": active_recipients(period),
            # Published with the figures, so that a null in the JSON says why it is null.
            "not_recorded": NOT_RECORDED}


HARMONISED_SECTIONS = frozenset({"provider", "trusted_flaggers", "actions_by_ground", "by_keyword", "own_initiative",
                                 "complaints",
                                 "out_of_court_disputes", "suspensions", "authority_orders", "active_recipients",
                                 "not_recorded", "publication"})


def publication(first_published_at: datetime | None, now: datetime) -> dict:
    """When the report was first published (the first computation after its period ended, kept in
    ReportPublication; None while the period is in progress: "in_progress") and last updated (now)."""
    return {"first_published_at": None if first_published_at is None else first_published_at.isoformat(),
            "in_progress": first_published_at is None, "updated_at": now.isoformat()}
