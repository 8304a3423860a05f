"""Who may appeal what, until when, and who may decide it (DSA Art. 20): the rules that the
appellant's pages show and workflow/appeals.py enforces.

- The seller appeals the removal of their listing or a penalty on their account; the submitter
  appeals the rejection of a reported listing. Free of charge, for APPEAL_WINDOW_MONTHS (at least six)
  calendar months after the decision (legal.appeal_deadline: to the end of the same date), once per
  decision and side (once per penalty).
- An appeal is decided by a reviewer who took no part in the original: not the one who decided the
  listing, and for a penalty nobody who decided a removal behind its strike.
"""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AnonymousUser, User
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from takedowns import legal
from takedowns.enums import Appellant, DecisionOutcome, ItemState, NoticeSource, NoticeStatus
from takedowns.models import Appeal, Decision, Penalty


def when(moment: datetime) -> str:
    """A moment as the page's language writes it (its DATETIME_FORMAT) in the site's time zone, the zone named
    after it as the templates do (`{{ at|date:"DATETIME_FORMAT" }} {{ at|date:"e" }}`): "5 December 2026, 14:00
    UTC". The one helper for the dates Python writes into sentences (refusals, messages)."""
    local = timezone.localtime(moment)
    return f"{date_format(local, 'DATETIME_FORMAT')} {local.tzname()}"


def _appealed(decision: Decision | None, penalty: Penalty | None) -> Decision | Penalty:
    """What an appeal is against: the decision, or else the penalty (callers pass one of them)."""
    if decision is not None:
        return decision
    if penalty is None:
        raise ValueError("An appeal is against a decision or a penalty; neither was given.")
    return penalty


def subject(appeal: Appeal) -> Decision | Penalty:
    """What a filed appeal is against (the database holds exactly one of a decision and a penalty)."""
    if appeal.decision is not None:  # no query when the appeal has none
        return appeal.decision
    return _appealed(None, appeal.penalty)


def deadline(*, decision: Decision | None = None, penalty: Penalty | None = None) -> datetime:
    """The last moment an appeal can be filed: six calendar months from the decision (or penalty),
    to the end of that day (DSA Art. 20(1); legal.appeal_deadline)."""
    return legal.appeal_deadline(_appealed(decision, penalty).decided_at)


def refusal(decision: Decision | None, penalty: Penalty | None, appellant: str, now: datetime) -> str:
    """Why this side cannot appeal this decision (or penalty) now; "" when it can."""
    if appellant not in Appellant.values:
        return _("Only the seller or the submitter can appeal.")
    if penalty is not None:
        why = _penalty_refusal(penalty, appellant)
    elif decision is not None:
        why = _decision_refusal(decision, appellant)
    else:
        raise ValueError("An appeal is against a decision or a penalty; neither was given.")
    if why:
        return why
    last = deadline(decision=decision, penalty=penalty)
    if now > last:
        return _("The time to appeal ended on %(deadline)s: an appeal can be filed within %(window)s of the "
                 "decision.") % {"deadline": when(last), "window": legal.appeal_window_text()}
    return ""


def _penalty_refusal(penalty: Penalty, appellant: str) -> str:
    if appellant != Appellant.SELLER:
        return _("A penalty on a seller's account can only be appealed by the seller.")
    if penalty.lifted_at is not None:
        return _("This measure was lifted on %(lifted_at)s; there is nothing left to appeal.") % {
            "lifted_at": when(penalty.lifted_at)}
    return ""


def _decision_refusal(decision: Decision, appellant: str) -> str:
    if decision.outcome == DecisionOutcome.REMOVE:
        if appellant != Appellant.SELLER:
            return _("A removal can only be appealed by the seller of the listing; a submitter can appeal a "
                     "rejection.")
        if decision.reversed_at is not None or decision.item.state == ItemState.RESTORED:
            return _("This listing has been restored; there is nothing left to appeal.")
        return ""
    if appellant != Appellant.SUBMITTER:
        return _("A rejected report can only be appealed by the submitter who filed it.")
    # An own-initiative case (listing screening) names the marketplace as its submitter: nobody to appeal.
    if decision.item.notice.source == NoticeSource.SCREENING:
        return _("This case was opened by the marketplace on its own initiative; it has no submitter to appeal.")
    if decision.reversed_at is not None:
        return _("This decision was set aside on %(reversed_at)s; there is nothing left to appeal.") % {
            "reversed_at": when(decision.reversed_at)}
    if decision.superseded_at is not None:
        return _("You fixed and resubmitted this listing on %(resubmitted_at)s: it is decided afresh, and that "
                 "decision is the one to appeal.") % {"resubmitted_at": when(decision.superseded_at)}
    if decision.item.notice.status == NoticeStatus.WITHDRAWN:
        return _("This notice was withdrawn; its decisions can no longer be appealed.")
    return ""


@dataclass(frozen=True)
class Window:
    """What a side's appeal section shows: its appeal if filed, else whether one can be filed and until when."""
    appeal: Appeal | None
    deadline: datetime
    refusal: str

    @property
    def is_open(self) -> bool:
        return self.appeal is None and not self.refusal


_LOOK_UP = object()


def window(*, decision: Decision | None = None, penalty: Penalty | None = None, appellant: str,
           now: datetime, appeal=_LOOK_UP) -> Window:
    """The appeal section's state. Pass `appeal` (or None) when the caller has already looked it up."""
    if appeal is _LOOK_UP:
        appeal = existing_appeal(decision, penalty, appellant)
    return Window(appeal, deadline(decision=decision, penalty=penalty),
                  "" if appeal else refusal(decision, penalty, appellant, now))


def existing_appeal(decision: Decision | None, penalty: Penalty | None, appellant: str) -> Appeal | None:
    if penalty is not None:
        return Appeal.objects.filter(penalty=penalty).first()
    return Appeal.objects.filter(decision=decision, appellant=appellant).first()


def original_decider_ids(appeal: Appeal) -> set[int]:
    """The users who took part in what is appealed: the decision's reviewer, or for a penalty
    everyone who decided a removal of the strike's notice against that seller."""
    against = subject(appeal)
    if isinstance(against, Decision):
        return {against.decided_by_id}
    strike = against.strike
    return set(Decision.objects.filter(item__notice_id=strike.notice_id, item__listing__seller_id=strike.seller_id,
                                       outcome=DecisionOutcome.REMOVE).values_list("decided_by_id", flat=True))


def conflict(appeal: Appeal, user: User | AnonymousUser) -> str:
    """Why this user may not decide the appeal; "" when they may."""
    if user.pk not in original_decider_ids(appeal):
        return ""
    against = subject(appeal)
    if isinstance(against, Penalty):
        return _("You decided a removal behind this penalty's strike, so another reviewer must decide this "
                 "appeal: an appeal is decided by someone who took no part in the decision (DSA Art. 20).")
    if against.outcome == DecisionOutcome.REMOVE:
        return _("You decided the original removal, so another reviewer must decide this appeal: an appeal is "
                 "decided by someone who took no part in the decision (DSA Art. 20).")
    return _("You decided the original rejection, so another reviewer must decide this appeal: an appeal is "
             "decided by someone who took no part in the decision (DSA Art. 20).")
