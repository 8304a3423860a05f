"""What the leads' Transparency Database export reads: decisions and account measures loaded with
everything tdb.py maps into a statement (it makes no queries of its own)."""

from takedowns import tdb
from takedowns.enums import DecisionOutcome
from takedowns.models import Decision, Penalty


def removal(decision_id: int) -> Decision | None:
    return Decision.objects.select_related(*tdb.RELATED).filter(pk=decision_id, outcome=DecisionOutcome.REMOVE).first()


def decisions(ids: list[int]) -> dict[int, Decision]:
    """The decisions with these ids, whatever their outcome (the export names the ones that are not removals)."""
    return Decision.objects.select_related(*tdb.RELATED).in_bulk(ids)


def penalty(penalty_id: int) -> Penalty | None:
    return Penalty.objects.select_related("seller", "strike__notice").filter(pk=penalty_id).first()
