"""Risk screening on the leads' dashboard (takedowns/risk.py scores each notice at routing): the
notices of a period by risk band, and how often a high-risk notice turned out to be unfounded.

Definitions (both SQL aggregates over the partial notice_risk_screened index, two queries whatever the period):
- *screened*: notices confirmed in the period and routed (routing is where they are scored),
  counted by the band they got;
- *high-risk notices rejected*: of the screened high-risk notices with at least one decision in
  force, those where none of the decisions in force is a removal (every decided listing rejected);
  the share is rejected / decided. A notice still waiting for its first decision is in neither.
"""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q

from takedowns.enums import DecisionOutcome, RiskBand
from takedowns.models import Decision, Notice
from takedowns.reports.measures import share
from takedowns.reports.periods import Period


@dataclass(frozen=True)
class RiskFigures:
    by_band: list[tuple[str, str, int]]  # (band, label, notices), low to high
    high_decided: int
    high_rejected: int

    @property
    def screened(self) -> int:
        return sum(count for _, _, count in self.by_band)

    @property
    def high_rejected_share(self) -> float | None:
        return share(self.high_rejected, self.high_decided)


def risk_figures(period: Period) -> RiskFigures:
    screened = Notice.objects.filter(period.where("confirmed_at"), routed_at__isnull=False)
    # COUNT(risk_band), not COUNT(id): the id is not in notice_risk_screened, and reading it would visit every
    # row; risk_band is in the index (and never null).
    counted = screened.aggregate(**{band: Count("risk_band", filter=Q(risk_band=band)) for band in RiskBand.values})
    in_force = Decision.objects.filter(item__notice=OuterRef("pk"), reversed_at=None)
    decided, removed = Q(Exists(in_force)), Q(Exists(in_force.filter(outcome=DecisionOutcome.REMOVE)))
    high = screened.filter(risk_band=RiskBand.HIGH).aggregate(
        decided=Count("pk", filter=decided), rejected=Count("pk", filter=decided & ~removed))
    return RiskFigures(by_band=[(band, label, counted[band]) for band, label in RiskBand.choices],
                       high_decided=high["decided"], high_rejected=high["rejected"])
