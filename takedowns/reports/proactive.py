"""Proactive protection in figures (issue 14): removals on the marketplace's own initiative against those
on rights holders' notices, removals before the first sale, stay-down, screening outcomes, screening
precision per rule, referrals to law enforcement. Read by the leads' dashboard and the transparency report.

Definitions (each one or two SQL aggregates over the rows dated in the period by the event named):

- *proactive removals*: removal decisions (outcome remove) in force (not reversed on appeal, not
  superseded) on the listing of an own-initiative case (Notice.source = screening), counted by the day
  the listing came down (Decision.listing_removed_at) in the period. Blocks are included: a stay-down
  block is an automated removal decision, its listing_removed_at the moment of the block.
  *notice-based removals*: the same over the cases of rights holders' notices (source = notice).
- *ratio*: proactive / notice-based, rounded to one decimal ("28.0x as many proactive as notice-based");
  None (undefined, shown as such) when there was no notice-based removal in the period, never a division
  by zero.
- *before the first sale*: of the proactive removals, those whose listing had not been sold when it came
  down: listing_removed_at < Listing.first_sold_at, or first_sold_at null (never sold, as the marketplace
  adapter mirrors sales); the share is of the proactive removals.
- *screening outcomes*: screenings (Screening rows, one per listing created or changed) dated in the
  period by screened_at, by outcome: published, held, blocked. A listing screened twice counts twice.
- *stay-down*: screenings in the period with a stay-down hit (staydown_same_seller or
  staydown_other_seller) whose outcome was block (blocked by stay-down), and hold (held by stay-down).
- *precision per rule*: the held listings a reviewer decided in the period: screenings with outcome hold
  whose own-initiative case has a decision taken by a person (automated_decision false) dated in the
  period (Decision.decided_at); confirmed: one of those decisions is a removal. Per rule that fired in the
  screening (ScreeningHit.rule): a screening where two rules fired counts for both, so the rows do not add
  up to the holds decided. Share = confirmed / decided, None when no hold of the rule was decided.
- *referrals*: referral packages for law enforcement built in the period (Referral.created_at).

Indexes (EXPLAIN ANALYZE on PostgreSQL 1,000,000 notices, a fifth of them own-initiative cases, 750,000
removals, 1,000,000 screenings over 2026; the month of November: 60,000 removals, 80,000 screenings):
- removals: a bitmap scan of decision_tdb_eligible (partial: outcome remove, listing_removed_at set; exactly
  the removals carried out) over the period's range, then the notice and the listing by primary key; the
  item joined by a hash join. 250-430 ms on a shared machine;
- screenings: screening_time over the range, the stay-down Exists by the ScreeningHit.screening foreign key's
  index: 50-240 ms;
- precision: the holds through screening_outcome_time (outcome, screened_at), their case's decisions by the
  Decision.item index, filtered to the period: 500-750 ms at 100,000 holds (the planner prefers it to the
  period's 80,000 decisions; forcing the other plan gained nothing);
- referrals: referral_created.
No index would change these plans' cost, which is the join of the period's rows, so migration 0031 adds none.
The report reads them from its snapshot (refreshed by beat); the dashboard reads them live. Should that
become slow, the next step is a daily roll-up like clock_rollup's.
"""

from dataclasses import dataclass

from django.db.models import Count, Exists, F, OuterRef, Q

from takedowns.enums import DecisionOutcome, NoticeSource, ScreeningOutcome, ScreeningRuleCode
from takedowns.models import Decision, Referral, Screening, ScreeningHit
from takedowns.reports.measures import share
from takedowns.reports.periods import Period

STAYDOWN_RULES = (ScreeningRuleCode.STAYDOWN_SAME_SELLER, ScreeningRuleCode.STAYDOWN_OTHER_SELLER)


def ratio(part: int, whole: int) -> float | None:
    """part / whole to one decimal; None when whole is 0 (undefined: there is nothing to compare with)."""
    return round(part / whole, 1) if whole else None


def removals(period: Period) -> dict:
    """Proactive and notice-based (reactive) removals in force, by listing_removed_at (module docstring),
    the ratio, and the proactive ones before the listing's first sale: the report's removals_by_initiative."""
    in_force = Decision.objects.filter(period.where("listing_removed_at"), outcome=DecisionOutcome.REMOVE,
                                       reversed_at=None, superseded_at=None)
    proactive = Q(item__notice__source=NoticeSource.SCREENING)
    unsold = Q(item__listing__first_sold_at__isnull=True) | Q(item__listing__first_sold_at__gt=F("listing_removed_at"))
    counts = in_force.aggregate(
        proactive=Count("pk", filter=proactive),
        reactive=Count("pk", filter=Q(item__notice__source=NoticeSource.NOTICE)),
        before_first_sale=Count("pk", filter=proactive & unsold))
    return {"reactive": counts["reactive"], "proactive": counts["proactive"],
            "ratio": ratio(counts["proactive"], counts["reactive"]),
            "proactive_before_first_sale": counts["before_first_sale"],
            "proactive_before_first_sale_share": share(counts["before_first_sale"], counts["proactive"])}


def screenings(period: Period) -> dict:
    """Screening outcomes in the period, and those among them with a stay-down hit (module docstring)."""
    staydown = Exists(ScreeningHit.objects.filter(screening=OuterRef("pk"), rule__in=STAYDOWN_RULES))
    counts = Screening.objects.filter(period.where("screened_at")).annotate(staydown=staydown).aggregate(
        **{value: Count("pk", filter=Q(outcome=value)) for value in ScreeningOutcome.values},
        staydown_blocked=Count("pk", filter=Q(outcome=ScreeningOutcome.BLOCK, staydown=True)),
        staydown_held=Count("pk", filter=Q(outcome=ScreeningOutcome.HOLD, staydown=True)))
    return {"outcomes": {value: counts[value] for value in ScreeningOutcome.values},
            "staydown": {"blocked": counts["staydown_blocked"], "held": counts["staydown_held"]}}


def precision(period: Period) -> dict[str, dict]:
    """Per screening rule (every rule present, zeros included): the holds a reviewer decided in the
    period, those confirmed (removed), and the share (module docstring; a two-rule screening counts for
    both rules)."""
    screening = "item__notice__screenings"
    rows = (Decision.objects.filter(period.where("decided_at"), automated_decision=False,
                                    item__notice__source=NoticeSource.SCREENING,
                                    **{f"{screening}__outcome": ScreeningOutcome.HOLD})
            .values(rule=F(f"{screening}__hits__rule")).order_by()
            .annotate(decided=Count(screening, distinct=True),
                      confirmed=Count(screening, distinct=True, filter=Q(outcome=DecisionOutcome.REMOVE))))
    found: dict[str, tuple[int, int]] = {row["rule"]: (row["decided"], row["confirmed"]) for row in rows}
    return {rule: per_rule(*found.get(rule, (0, 0))) for rule in ScreeningRuleCode.values}


def per_rule(decided: int, confirmed: int) -> dict:
    return {"decided": decided, "confirmed": confirmed, "share": share(confirmed, decided)}


def referrals(period: Period) -> int:
    """Referral packages for law enforcement built in the period."""
    return Referral.objects.filter(period.where("created_at")).count()


def screening(period: Period) -> dict:
    """The report's "screening" section: outcomes, stay-down, precision per rule."""
    screened = screenings(period)
    return {**screened, "precision_by_rule": precision(period)}


def recomputed(report: dict) -> dict:
    """The ratio and the shares again from the counts, after live_report added the counts of two parts
    of the period (a ratio or share cannot be added)."""
    removed = report["removals_by_initiative"]
    removed["ratio"] = ratio(removed["proactive"], removed["reactive"])
    removed["proactive_before_first_sale_share"] = share(removed["proactive_before_first_sale"],
                                                         removed["proactive"])
    for row in report["screening"]["precision_by_rule"].values():
        row["share"] = share(row["confirmed"], row["decided"])
    return report


@dataclass(frozen=True)
class RuleRow:
    rule: str
    label: str
    decided: int
    confirmed: int
    share: float | None


def rule_rows(by_rule: dict[str, dict]) -> list[RuleRow]:
    """The precision figures with each rule's label, in the rules' order, for a page."""
    return [RuleRow(rule, str(label), by_rule[rule]["decided"], by_rule[rule]["confirmed"], by_rule[rule]["share"])
            for rule, label in ScreeningRuleCode.choices]
