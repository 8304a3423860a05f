"""Appeals (DSA Art. 20 internal complaints): the only code that writes Appeal rows.

Who may appeal what, on their own private page:
- the seller, against the removal of their listing (statement page) or a penalty on their account
  (penalty page);
- the submitter, against the rejection of a reported listing (tracking page).
Free of charge, for APPEAL_WINDOW_MONTHS (at least six) calendar months after the decision, once per decision
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

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from takedowns import appeal_rules, emails
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
    change_status,
    make_event,
    release_load,
    reviewer_actor,
    save_events,
)
from takedowns.workflow.review import settle

OUTCOMES = (AppealStatus.UPHELD, AppealStatus.REVERSED)


class AppealConflict(TransitionNotAllowed):
    """The reviewer took part in the decision under appeal."""


def file_appeal(*, decision: Decision | None = None, penalty: Penalty | None = None, appellant: str, text: str,
                now: datetime) -> Appeal:
    """File the appellant's appeal against a decision on a listing or a penalty, start its clock and
    send the receipt. A resent form (same text) returns the appeal it filed; anything else is refused
    with the reason."""
    text = text.strip()
    if not text:
        raise TransitionNotAllowed(_("Write why you think the decision is wrong."))
    if (decision is None) == (penalty is None):
        raise ValueError("An appeal is against exactly one decision or one penalty.")
    with transaction.atomic():
        # The notice's row lock serialises appeals on one case (two tabs, a double click).
        if decision is not None:
            decision = Decision.objects.select_related("item__listing__seller", "item__notice").get(pk=decision.pk)
            notice_id = decision.item.notice_id
        else:
            assert penalty is not None  # checked above: exactly one of the two
            penalty = Penalty.objects.select_related("seller", "strike__notice").get(pk=penalty.pk)
            notice_id = penalty.strike.notice_id
        notice = Notice.objects.select_for_update().get(pk=notice_id)
        if decision is not None:
            decision.item.notice = notice  # as of the lock
        existing = appeal_rules.existing_appeal(decision, penalty, appellant)
        if existing is not None:
            if existing.text == text:
                return existing
            raise TransitionNotAllowed(_("You appealed this decision on %(filed_at)s; a decision can be appealed once "
                                         "(%(status)s).") % {"filed_at": appeal_rules.when(existing.filed_at),
                                                             "status": existing.get_status_display().lower()})
        refusal = appeal_rules.refusal(decision, penalty, appellant, now)
        if refusal:
            raise TransitionNotAllowed(refusal)
        try:
            with transaction.atomic():
                appeal = Appeal.objects.create(decision=decision, penalty=penalty, appellant=appellant, text=text,
                                               filed_at=now)
        except IntegrityError:  # a concurrent copy of the form won (on databases without the row lock)
            if (winner := appeal_rules.existing_appeal(decision, penalty, appellant)) is None:
                raise
            return winner
        item = decision.item if decision is not None else None
        filed = make_event(notice, EventKind.APPEAL_FILED, SELLER if appellant == Appellant.SELLER else SUBMITTER, now,
                       item=item, details=_subject(appeal))
        events = [filed]
        clock = clocks.start_clock(ClockKind.APPEAL_DECISION, notice, now, reasons=[item.reason] if item else [],
                                   item=item, appeal=appeal, events=events)
        save_events(events)
        appeal.decision, appeal.penalty = decision, penalty
        emails.appeal_received(appeal, clock.due_at)
    return appeal


def _subject(appeal: Appeal) -> dict:
    return {"appeal": appeal.pk, "appellant": appeal.appellant, "decision": appeal.decision_id,
            "penalty": appeal.penalty_id}


def decide_appeal(appeal: Appeal, reviewer: Reviewer, outcome: str, reasons: str, now: datetime) -> Appeal:
    """Uphold or reverse the decision under appeal, once, with reasons both sides receive; stop the
    appeal's clock. See the module docstring for what a reversal does."""
    reasons = reasons.strip()
    if outcome not in OUTCOMES:
        raise TransitionNotAllowed(_("Choose whether the original decision is upheld or reversed."))
    if not reasons:
        raise TransitionNotAllowed(_("Write the reasons for the outcome; the appellant receives them."))
    actor = reviewer_actor(reviewer)
    with transaction.atomic():
        appeal = Appeal.objects.select_related(
            "decision__item__listing__seller", "decision__item__notice", "penalty__seller",
            "penalty__strike__notice", "penalty__strike__seller").get(pk=appeal.pk)
        against = appeal_rules.subject(appeal)
        notice_id = against.item.notice_id if isinstance(against, Decision) else against.strike.notice_id
        notice = Notice.objects.select_for_update().get(pk=notice_id)
        if appeal.status != AppealStatus.FILED:
            assert appeal.decided_at is not None  # set in the same UPDATE as the status
            raise TransitionNotAllowed(_("This appeal was already decided on %(decided_at)s: %(status)s.") % {
                "decided_at": appeal_rules.when(appeal.decided_at), "status": appeal.get_status_display().lower()})
        refusal = appeal_rules.conflict(appeal, reviewer.user)
        if refusal:
            raise AppealConflict(refusal)
        if not Appeal.objects.filter(pk=appeal.pk, status=AppealStatus.FILED).update(
                status=outcome, decided_by=reviewer.user, decided_at=now, reasons=reasons):
            raise TransitionNotAllowed(_("This appeal was decided by someone else meanwhile; reload the page."))
        appeal.status, appeal.decided_by, appeal.decided_at, appeal.reasons = outcome, reviewer.user, now, reasons
        decided = make_event(notice, EventKind.APPEAL_DECIDED, actor, now,
                             item=against.item_id if isinstance(against, Decision) else None,
                             details={**_subject(appeal), "outcome": outcome})
        events = [decided]
        clocks.stop_clock(ClockKind.APPEAL_DECISION, now, appeal=appeal, events=events)
        if outcome == AppealStatus.UPHELD:
            save_events(events)
        elif isinstance(against, Penalty):
            enforcement.reverse_strike(against.strike, now, "the measure was reversed on appeal", events)
            save_events(events)
        elif against.outcome == DecisionOutcome.REMOVE:
            _restore(against, notice, actor, now, events)
        else:
            _reopen(appeal, against, notice, reviewer, actor, now, events)
        emails.appeal_decided(appeal)
        removal = isinstance(against, Decision) and against.outcome == DecisionOutcome.REMOVE
        if outcome == AppealStatus.REVERSED and removal:
            emails.appeal_listing_restored(appeal)
    return appeal


def _restore(decision: Decision, notice: Notice, actor: Actor, now: datetime, events: list[Event]) -> None:
    """The removal is set aside: the listing comes back (unless a counter-notice brought it back
    already) and no longer counts in the seller's or the submitter's record."""
    if decision.item.state == ItemState.REMOVED:
        enforcement.order_restore(decision, actor, now, "the removal was reversed on appeal", events)
    Decision.objects.filter(pk=decision.pk, reversed_at=None).update(reversed_at=now)
    decision.reversed_at = now
    Seller.objects.filter(pk=decision.item.decided_listing.seller_id, removed_items__gt=0).update(
        removed_items=F("removed_items") - 1)
    if notice.submitter_id:
        Submitter.objects.filter(pk=notice.submitter_id, removed_items__gt=0).update(
            removed_items=F("removed_items") - 1)
    save_events(events)


def _reopen(appeal: Appeal, decision: Decision, notice: Notice, reviewer: Reviewer, actor: Actor, now: datetime,
            events: list[Event]) -> None:
    """The rejection is set aside and the listing goes back to review, with the appeal's decider,
    who decides it afresh. The takedown-decision clock is not restarted: it measured the notice once."""
    item = decision.item
    Decision.objects.filter(pk=decision.pk, reversed_at=None).update(reversed_at=now)
    decision.reversed_at = now
    if not NoticeItem.objects.filter(pk=item.pk, state=ItemState.REJECTED).update(state=ItemState.IN_REVIEW):
        raise TransitionNotAllowed(_("Listing %(position)s is '%(state)s'; it cannot be reopened.") % {
            "position": item.position, "state": item.get_state_display()})
    reopened = make_event(notice, EventKind.REOPENED, actor, now, item=item, from_status=ItemState.REJECTED,
                      to_status=ItemState.IN_REVIEW, details={"appeal": appeal.pk, "decision": decision.pk})
    events.append(reopened)
    item.state = ItemState.IN_REVIEW
    if notice.submitter_id:  # the fresh decision is counted when it is made
        Submitter.objects.filter(pk=notice.submitter_id, rejected_items__gt=0).update(
            rejected_items=F("rejected_items") - 1)
    details = {"appeal": appeal.pk, "reviewer": reviewer.user.get_username()}
    if notice.status == NoticeStatus.CLOSED:
        # Its reviewer's load was released when it closed; it now counts for the appeal's decider.
        change_status(notice, NoticeStatus.IN_REVIEW, kind=EventKind.REOPENED, actor=actor, now=now,
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
        release_load(previous)
        Reviewer.objects.filter(pk=reviewer.pk).update(open_load=F("open_load") + 1)
        events.append(make_event(notice, EventKind.REASSIGNED, actor, now, details={
            "from": Reviewer.objects.get(pk=previous).user.get_username() if previous else None,
            "to": reviewer.user.get_username(), "appeal": appeal.pk}))
    settle(notice, actor, now, events)
