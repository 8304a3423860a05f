"""The reviewers' two work lists ordered by filing time, oldest first (counter-notices waiting for
their completeness check, appeals waiting for a decision), and what an appeal's page shows."""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, Subquery

from takedowns import appeal_rules
from takedowns.enums import AppealStatus, ClockKind, CounterNoticeStatus, DecisionOutcome
from takedowns.models import Appeal, CounterNotice, Decision, Notice, SlaClock
from takedowns.selectors.keyset import Keyset, Page

# Both lists are read over a (status, filed_at) index.
BY_FILING = Keyset(("filed_at", "id"), size=50)


def counter_notices_page(status: str, cursor: str | None) -> Page:
    """Counter-notices in `status`, oldest filing first."""
    return BY_FILING.page(CounterNotice.objects.filter(status=status)
                          .select_related("decision__item__listing__seller", "decision__item__notice"), cursor)


def counter_notices_waiting() -> int:
    """How many counter-notices wait for their completeness check (status filed): the rows of the
    counter-notices page's default list, counted with the same filter over the (status, filed_at) index."""
    return CounterNotice.objects.filter(status=CounterNoticeStatus.FILED).count()


def appeals_waiting() -> int:
    """How many appeals wait for a decision: the rows of appeals_page, counted with its filter
    (status filed) over the (status, filed_at) index."""
    return Appeal.objects.filter(status=AppealStatus.FILED).count()


def counter_notice(counter_notice_id: int) -> CounterNotice | None:
    return (CounterNotice.objects.select_related("decision__item__listing__seller", "decision__item__notice",
                                                 "decision__decided_by", "checked_by")
            .filter(pk=counter_notice_id).first())


def appeals_page(user: User, cursor: str | None) -> Page:
    """Filed appeals, oldest first, each marked with its clock's due time (`due_at`) and whether
    `user` took part in the original decision (`conflicted`: they may not decide it)."""
    took_part_in_strike = Decision.objects.filter(
        item__notice=OuterRef("penalty__strike__notice"), item__listing__seller=OuterRef("penalty__seller"),
        outcome=DecisionOutcome.REMOVE, decided_by=user)
    due_at = (SlaClock.objects.filter(appeal=OuterRef("pk"), kind=ClockKind.APPEAL_DECISION)
              .order_by("-started_at").values("due_at")[:1])
    filed = (Appeal.objects.filter(status=AppealStatus.FILED)
             .select_related("decision__item__notice", "decision__item__listing", "penalty__seller",
                             "penalty__strike__notice")
             .annotate(due_at=Subquery(due_at), conflicted=ExpressionWrapper(
                 Q(decision__decided_by=user) | Q(Exists(took_part_in_strike)), output_field=BooleanField())))
    return BY_FILING.page(filed, cursor)


def appeal(appeal_id: int) -> Appeal | None:
    return Appeal.objects.select_related(
        "decision__item__notice__assigned_to__user", "decision__item__listing__seller", "decision__decided_by",
        "decision__reason_code", "penalty__seller", "penalty__strike__notice", "decided_by").filter(
        pk=appeal_id).first()


@dataclass
class AppealPage:
    appeal: Appeal
    notice: Notice
    removals: list[Decision]
    clock: SlaClock | None


def appeal_page(appeal: Appeal) -> AppealPage:
    """The appeal with its case, its clock, and for a penalty the removals that brought the strike
    (what the penalty rests on)."""
    against = appeal_rules.subject(appeal)
    removals: list[Decision] = []
    if isinstance(against, Decision):
        notice = against.item.notice
    else:
        notice = against.strike.notice
        removals = list(Decision.objects.filter(
            item__notice=notice, item__listing__seller=against.seller_id, outcome=DecisionOutcome.REMOVE)
            .select_related("item__listing", "decided_by").order_by("item__position", "decided_at"))
    clock = appeal.clocks.filter(kind=ClockKind.APPEAL_DECISION).order_by("-started_at").first()
    return AppealPage(appeal, notice, removals, clock)
