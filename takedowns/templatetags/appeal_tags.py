"""The appeal sections of the seller's pages and the tracking page (templates/takedowns/appeals/_*.html)."""

from dataclasses import dataclass

from django import template
from django.utils import timezone

from takedowns.enums import Appellant, DecisionOutcome
from takedowns.forms import AppealForm
from takedowns.models import Appeal, Decision, NoticeItem
from takedowns.workflow import appeals

register = template.Library()


@register.simple_tag
def appeal_window(*, decision=None, penalty=None, appellant: str) -> appeals.Window:
    return appeals.window(decision=decision, penalty=penalty, appellant=appellant, now=timezone.now())


@register.simple_tag
def appeal_form(prefix: str) -> AppealForm:
    """An empty appeal form whose field ids are unique on a page with several."""
    return AppealForm(auto_id=f"{prefix}-%s")


@dataclass
class SubmitterRow:
    item: NoticeItem
    decision: Decision
    window: appeals.Window
    form: AppealForm


@register.simple_tag
def submitter_appeals(notice, items) -> list[SubmitterRow]:
    """One row per rejection in force (with its appeal or the form to file one), then the submitter's
    appeals that set a rejection aside. Two queries, however many listings the notice has."""
    filed = {appeal.decision_id: appeal for appeal in Appeal.objects.filter(
        decision__item__notice=notice, appellant=Appellant.SUBMITTER).select_related("decision__reason_code")}
    now, rows = timezone.now(), []
    for item in items:
        decision = item.decision
        if decision is not None and decision.outcome == DecisionOutcome.REJECT:
            appeal = filed.pop(decision.pk, None)
            rows.append(SubmitterRow(item, decision, appeals.window(
                decision=decision, appellant=Appellant.SUBMITTER, now=now, appeal=appeal),
                AppealForm(auto_id=f"appeal-{decision.pk}-%s")))
    by_item = {item.pk: item for item in items}
    for appeal in sorted(filed.values(), key=lambda a: a.filed_at):
        item = by_item.get(appeal.decision.item_id)
        if item is not None:
            rows.append(SubmitterRow(item, appeal.decision, appeals.Window(appeal, appeals.deadline(
                decision=appeal.decision), ""), None))
    return rows
