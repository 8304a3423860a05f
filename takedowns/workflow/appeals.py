"""Appeals (DSA Art. 20 internal complaints): the only code that writes Appeal rows.

Who may appeal what, on their own private page:
- the seller, against the removal of their listing (statement page) or a penalty on their account
  (penalty page);
- the submitter, against the rejection of a reported listing (tracking page).
Free of charge, for APPEAL_WINDOW_DAYS (at least six months) after the decision, once per decision
and side (once per penalty); a resent form finds the appeal it already filed.

An appeal is decided by a reviewer who took no part in the original: not the one who decided the
listing, and for a penalty nobody who decided a removal behind its strike. A reversal:
- of a removal restores the listing (enforcement.order_restore, which reverses the strike when no
  other removal of that notice stands against the seller) and sets the decision aside;
- of a penalty reverses its strike (enforcement.reverse_strike lifts the penalty, and the account follows);
- of a rejection sets the decision aside and reopens the listing: it goes back to the appeal's
  decider, who decides it afresh (the one-decision-in-force constraint allows the new decision).

Who is told: the appellant, when the appeal is received and when it is decided, with the reasons.
The submitter also hears when a seller's appeal reverses a removal (their notice's listing is
back). The seller does not hear of a submitter's appeal, nor of a reopened listing: nothing has
happened to them yet, and a fresh removal brings its own statement of reasons. Leads are not
mailed per appeal: the appeals queue is the work list, and the appeal clock's warning and breach
go to them (workflow/clocks.py) when the case has no open reviewer.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import dateformat, timezone

from takedowns import emails
from takedowns.enums import (
    AppealStatus,
    Appellant,
    ClockKind,
    DecisionOutcome,
    EventKind,
    ItemState,
    NoticeStatus,
)
from takedowns.models import Appeal, Decision, Event, Notice, NoticeItem, Penalty, Reviewer, Seller, Submitter
from takedowns.workflow import clocks, enforcement
from takedowns.workflow.base import (
    SELLER,
    SUBMITTER,
    Actor,
    TransitionNotAllowed,
    _change_status,
    _event,
    _release_load,
    reviewer_actor,
)
from takedowns.workflow.review import _settle

OUTCOMES = (AppealStatus.UPHELD, AppealStatus.REVERSED)


class AppealConflict(TransitionNotAllowed):
    """The reviewer took part in the decision under appeal."""


def _when(moment: datetime) -> str:
    return dateformat.format(timezone.localtime(moment), "j F Y, H:i e")


def deadline(*, decision: Decision | None = None, penalty: Penalty | None = None) -> datetime:
    """The last moment an appeal can be filed: the window counts from the decision (or penalty)."""
    decided_at = decision.decided_at if decision is not None else penalty.decided_at
    return decided_at + timedelta(days=settings.APPEAL_WINDOW_DAYS)


def _refusal(decision: Decision | None, penalty: Penalty | None, appellant: str, now: datetime) -> str:
    """Why this side cannot appeal this decision (or penalty) now; "" when it can."""
    if appellant not in Appellant.values:
        return "Only the seller or the submitter can appeal."
    if penalty is not None:
        if appellant != Appellant.SELLER:
            return "A penalty on a seller's account can only be appealed by the seller."
        if penalty.lifted_at is not None:
            return f"This measure was lifted on {_when(penalty.lifted_at)}; there is nothing left to appeal."
    elif decision.outcome == DecisionOutcome.REMOVE:
        if appellant != Appellant.SELLER:
            return "A removal can only be appealed by the seller of the listing; a submitter can appeal a rejection."
        if decision.reversed_at is not None or decision.item.state == ItemState.RESTORED:
            return "This listing has been restored; there is nothing left to appeal."
    else:
        if appellant != Appellant.SUBMITTER:
            return "A rejected report can only be appealed by the submitter who filed it."
        if decision.reversed_at is not None:
            return f"This decision was set aside on {_when(decision.reversed_at)}; there is nothing left to appeal."
        if decision.item.notice.status == NoticeStatus.WITHDRAWN:
            return "This notice was withdrawn; its decisions can no longer be appealed."
    last = deadline(decision=decision, penalty=penalty)
    if now > last:
        return (f"The time to appeal ended on {_when(last)}: an appeal can be filed within "
                f"{settings.APPEAL_WINDOW_DAYS} days of the decision.")
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
        appeal = _existing(decision, penalty, appellant)
    return Window(appeal, deadline(decision=decision, penalty=penalty),
                  "" if appeal else _refusal(decision, penalty, appellant, now))


def _existing(decision: Decision | None, penalty: Penalty | None, appellant: str) -> Appeal | None:
    if penalty is not None:
        return Appeal.objects.filter(penalty=penalty).first()
    return Appeal.objects.filter(decision=decision, appellant=appellant).first()


def file_appeal(*, decision: Decision | None = None, penalty: Penalty | None = None, appellant: str, text: str,
                now: datetime) -> Appeal:
    """File the appellant's appeal against a decision on a listing or a penalty, start its clock and
    send the receipt. A resent form (same text) returns the appeal it filed; anything else is refused
    with the reason."""
    text = text.strip()
    if not text:
        raise TransitionNotAllowed("Write why you think the decision is wrong.")
    if (decision is None) == (penalty is None):
        raise ValueError("An appeal is against exactly one decision or one penalty.")
    with transaction.atomic():
        # The notice's row lock serialises appeals on one case (two tabs, a double click).
        if decision is not None:
            decision = Decision.objects.select_related("item__listing__seller", "item__notice").get(pk=decision.pk)
            notice_id = decision.item.notice_id
        else:
            penalty = Penalty.objects.select_related("seller", "strike__notice").get(pk=penalty.pk)
            notice_id = penalty.strike.notice_id
        notice = Notice.objects.select_for_update().get(pk=notice_id)
        if decision is not None:
            decision.item.notice = notice  # as of the lock
        existing = _existing(decision, penalty, appellant)
        if existing is not None:
            if existing.text == text:
                return existing
            raise TransitionNotAllowed(f"You appealed this decision on {_when(existing.filed_at)}; a decision can be "
                                       f"appealed once ({existing.get_status_display().lower()}).")
        refusal = _refusal(decision, penalty, appellant, now)
        if refusal:
            raise TransitionNotAllowed(refusal)
        try:
            with transaction.atomic():
                appeal = Appeal.objects.create(decision=decision, penalty=penalty, appellant=appellant, text=text,
                                               filed_at=now)
        except IntegrityError:  # a concurrent copy of the form won (on databases without the row lock)
            return _existing(decision, penalty, appellant)
        item = decision.item if decision is not None else None
        filed = _event(notice, EventKind.APPEAL_FILED, SELLER if appellant == Appellant.SELLER else SUBMITTER, now,
                       item=item, details=_subject(appeal))
        events = [filed]
        clock = clocks.start_clock(ClockKind.APPEAL_DECISION, notice, now, reasons=[item.reason] if item else [],
                                   item=item, appeal=appeal, events=events)
        Event.objects.bulk_create(events)
        appeal.decision, appeal.penalty = decision, penalty
        emails.appeal_received(appeal, clock.due_at)
    return appeal


def _subject(appeal: Appeal) -> dict:
    return {"appeal": appeal.pk, "appellant": appeal.appellant, "decision": appeal.decision_id,
            "penalty": appeal.penalty_id}


def original_decider_ids(appeal: Appeal) -> set[int]:
    """The users who took part in what is appealed: the decision's reviewer, or for a penalty
    everyone who decided a removal of the strike's notice against that seller."""
    if appeal.decision_id is not None:
        return {appeal.decision.decided_by_id}
    strike = appeal.penalty.strike
    return set(Decision.objects.filter(item__notice_id=strike.notice_id, item__listing__seller_id=strike.seller_id,
                                       outcome=DecisionOutcome.REMOVE).values_list("decided_by_id", flat=True))


def conflict(appeal: Appeal, user) -> str:
    """Why this user may not decide the appeal; "" when they may."""
    if user.pk not in original_decider_ids(appeal):
        return ""
    if appeal.penalty_id is not None:
        what = "a removal behind this penalty's strike"
    else:
        what = f"the original {'removal' if appeal.decision.outcome == DecisionOutcome.REMOVE else 'rejection'}"
    return (f"You decided {what}, so another reviewer must decide this appeal: an appeal is decided by "
            "someone who took no part in the decision (DSA Art. 20).")


def decide_appeal(appeal: Appeal, reviewer: Reviewer, outcome: str, reasons: str, now: datetime) -> Appeal:
    """Uphold or reverse the decision under appeal, once, with reasons both sides receive; stop the
    appeal's clock. See the module docstring for what a reversal does."""
    reasons = reasons.strip()
    if outcome not in OUTCOMES:
        raise TransitionNotAllowed("Choose whether the original decision is upheld or reversed.")
    if not reasons:
        raise TransitionNotAllowed("Write the reasons for the outcome; the appellant receives them.")
    actor = reviewer_actor(reviewer)
    with transaction.atomic():
        appeal = Appeal.objects.select_related(
            "decision__item__listing__seller", "decision__item__notice", "penalty__seller",
            "penalty__strike__notice", "penalty__strike__seller").get(pk=appeal.pk)
        notice_id = appeal.decision.item.notice_id if appeal.decision_id else appeal.penalty.strike.notice_id
        notice = Notice.objects.select_for_update().get(pk=notice_id)
        if appeal.status != AppealStatus.FILED:
            raise TransitionNotAllowed(f"This appeal was already decided on {_when(appeal.decided_at)}: "
                                       f"{appeal.get_status_display().lower()}.")
        refusal = conflict(appeal, reviewer.user)
        if refusal:
            raise AppealConflict(refusal)
        if not Appeal.objects.filter(pk=appeal.pk, status=AppealStatus.FILED).update(
                status=outcome, decided_by=reviewer.user, decided_at=now, reasons=reasons):
            raise TransitionNotAllowed("This appeal was decided by someone else meanwhile; reload the page.")
        appeal.status, appeal.decided_by, appeal.decided_at, appeal.reasons = outcome, reviewer.user, now, reasons
        decided = _event(notice, EventKind.APPEAL_DECIDED, actor, now, item=appeal.decision.item_id if appeal.decision_id
                         else None, details={**_subject(appeal), "outcome": outcome})
        events = [decided]
        clocks.stop_clock(ClockKind.APPEAL_DECISION, now, appeal=appeal, events=events)
        if outcome == AppealStatus.UPHELD:
            Event.objects.bulk_create(events)
        elif appeal.penalty_id is not None:
            enforcement.reverse_strike(appeal.penalty.strike, now, "the measure was reversed on appeal", events)
            Event.objects.bulk_create(events)
        elif appeal.decision.outcome == DecisionOutcome.REMOVE:
            _restore(appeal, notice, actor, now, events)
        else:
            _reopen(appeal, notice, reviewer, actor, now, events)
        emails.appeal_decided(appeal)
        removal = appeal.decision_id is not None and appeal.decision.outcome == DecisionOutcome.REMOVE
        if outcome == AppealStatus.REVERSED and removal:
            emails.appeal_listing_restored(appeal)
    return appeal


def _restore(appeal: Appeal, notice: Notice, actor: Actor, now: datetime, events: list[Event]) -> None:
    """The removal is set aside: the listing comes back (unless a counter-notice brought it back
    already) and no longer counts in the seller's or the submitter's record."""
    decision = appeal.decision
    if decision.item.state == ItemState.REMOVED:
        enforcement.order_restore(decision, actor, now, "the removal was reversed on appeal", events)
    Decision.objects.filter(pk=decision.pk, reversed_at=None).update(reversed_at=now)
    decision.reversed_at = now
    Seller.objects.filter(pk=decision.item.listing.seller_id, removed_items__gt=0).update(
        removed_items=F("removed_items") - 1)
    if notice.submitter_id:
        Submitter.objects.filter(pk=notice.submitter_id, removed_items__gt=0).update(
            removed_items=F("removed_items") - 1)
    Event.objects.bulk_create(events)


def _reopen(appeal: Appeal, notice: Notice, reviewer: Reviewer, actor: Actor, now: datetime,
            events: list[Event]) -> None:
    """The rejection is set aside and the listing goes back to review, with the appeal's decider,
    who decides it afresh. The takedown-decision clock is not restarted: it measured the notice once."""
    decision = appeal.decision
    item = decision.item
    Decision.objects.filter(pk=decision.pk, reversed_at=None).update(reversed_at=now)
    decision.reversed_at = now
    if not NoticeItem.objects.filter(pk=item.pk, state=ItemState.REJECTED).update(state=ItemState.IN_REVIEW):
        raise TransitionNotAllowed(f"Listing {item.position} is '{item.get_state_display()}'; it cannot be reopened.")
    reopened = _event(notice, EventKind.REOPENED, actor, now, item=item, from_status=ItemState.REJECTED,
                      to_status=ItemState.IN_REVIEW, details={"appeal": appeal.pk, "decision": decision.pk})
    events.append(reopened)
    item.state = ItemState.IN_REVIEW
    if notice.submitter_id:  # the fresh decision is counted when it is made
        Submitter.objects.filter(pk=notice.submitter_id, rejected_items__gt=0).update(
            rejected_items=F("rejected_items") - 1)
    details = {"appeal": appeal.pk, "reviewer": reviewer.user.get_username()}
    if notice.status == NoticeStatus.CLOSED:
        # Its reviewer's load was released when it closed; it now counts for the appeal's decider.
        _change_status(notice, NoticeStatus.IN_REVIEW, kind=EventKind.REOPENED, actor=actor, now=now,
                       details=details, along_with=events, assigned_to=reviewer, closed_at=None)
        Reviewer.objects.filter(pk=reviewer.pk).update(open_load=F("open_load") + 1)
        # A fresh decision round with its own deadline (and the queue's order follows it).
        clocks.start_clock(ClockKind.TAKEDOWN_DECISION, notice, now, reasons=[item.reason])
        return
    # Still open (another listing waits): the whole case moves to the appeal's decider, who must
    # be the one to decide the reopened listing.
    previous = notice.assigned_to_id
    if previous != reviewer.pk:
        Notice.objects.filter(pk=notice.pk).update(assigned_to=reviewer)
        notice.assigned_to = reviewer
        _release_load(previous)
        Reviewer.objects.filter(pk=reviewer.pk).update(open_load=F("open_load") + 1)
        events.append(_event(notice, EventKind.REASSIGNED, actor, now, details={
            "from": Reviewer.objects.get(pk=previous).user.get_username() if previous else None,
            "to": reviewer.user.get_username(), "appeal": appeal.pk}))
    _settle(notice, actor, now, events)
