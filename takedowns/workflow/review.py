"""Review: claiming, reassigning, escalating, deciding, and questions to the submitter. A removal is
carried out at the marketplace by enforcement.record_takedown, in a task after commit."""

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from takedowns import dispatch, emails, evidence
from takedowns.enums import (
    DECIDED_STATE,
    LEGAL_GROUNDS,
    ActorKind,
    ClockKind,
    DecisionOutcome,
    EventKind,
    EvidenceKind,
    ItemState,
    NoticeSource,
    NoticeStatus,
    RiskBand,
)
from takedowns.models import (
    Decision,
    Event,
    InfoRequest,
    Notice,
    NoticeItem,
    ReasonCode,
    Reviewer,
    Submitter,
)
from takedowns.selectors.notices import removal_grounds_for
from takedowns.workflow import clocks, enforcement
from takedowns.workflow.base import (
    SUBMITTER,
    SYSTEM,
    Actor,
    TransitionNotAllowed,
    add_to_sellers,
    change_status,
    make_event,
    record_event,
    release_load,
    reviewer_actor,
    save_events,
)

HIGH_RISK_ONLY = gettext_lazy("Notice %(reference)s is high risk: only a reviewer a lead designated for high-risk "
                              "notices may work it.")


@dataclass(frozen=True)
class ItemDecision:
    item_id: int
    outcome: str
    reason_code: ReasonCode | None = None
    note: str = ""
    # A removal's grounds, the marketplace's reasoning in the statement (DSA Art. 17(3)(d)); blank: the
    # default RemovalGround of the listing's right and reason (callers without a form: seeding, tests).
    grounds: str = ""


@dataclass(frozen=True)
class Question:
    """The reviewer's question to the submitter about some listings (by NoticeItem id)."""
    item_ids: list[int]
    message: str


def claim_notice(notice: Notice, reviewer: Reviewer, now: datetime) -> Notice:
    """Take a notice that nobody works. The conditional UPDATE lets exactly one of two
    concurrent claims win; the other is refused with who has it. A high-risk notice is only for a
    reviewer a lead designated (risk screening, takedowns/risk.py)."""
    with transaction.atomic():
        claimable = Notice.objects.filter(pk=notice.pk, status=NoticeStatus.IN_REVIEW, assigned_to__isnull=True)
        if not reviewer.risk_reviewer:
            claimable = claimable.exclude(risk_band=RiskBand.HIGH)
        claimed = claimable.update(assigned_to=reviewer)
        current = Notice.objects.select_related("assigned_to__user").get(pk=notice.pk)
        if not claimed:
            if current.assigned_to_id == reviewer.pk:
                return current
            if current.risk_band == RiskBand.HIGH and not reviewer.risk_reviewer:
                raise TransitionNotAllowed(HIGH_RISK_ONLY % {"reference": current.reference})
            if current.status != NoticeStatus.IN_REVIEW:
                raise TransitionNotAllowed(_("Notice %(reference)s is '%(status)s'; there is nothing to claim.") % {
                    "reference": current.reference, "status": current.get_status_display()})
            if current.assigned_to is None:  # released between the UPDATE and this read (PostgreSQL)
                raise TransitionNotAllowed(_("Notice %(reference)s was changed by someone else; reload and try "
                                             "again.") % {"reference": current.reference})
            raise TransitionNotAllowed(_("Notice %(reference)s is already being worked by %(reviewer)s.") % {
                "reference": current.reference, "reviewer": current.assigned_to.user.get_username()})
        Reviewer.objects.filter(pk=reviewer.pk).update(open_load=F("open_load") + 1)
        record_event(current, EventKind.CLAIMED, reviewer_actor(reviewer), now,
                details={"reviewer": reviewer.user.get_username()})
    return current


def release_notice(notice: Notice, reviewer: Reviewer, now: datetime) -> Notice:
    """The assigned reviewer hands the notice back (away, or outside their expertise): it waits
    unassigned in the queue, and any reviewer can claim it."""
    with transaction.atomic():
        notice = Notice.objects.select_for_update().get(pk=notice.pk)
        if notice.status not in (NoticeStatus.IN_REVIEW, NoticeStatus.AWAITING_SUBMITTER) \
                or notice.assigned_to_id != reviewer.pk:
            raise TransitionNotAllowed(_("Notice %(reference)s is not open with you; there is nothing to release.") % {
                "reference": notice.reference})
        Notice.objects.filter(pk=notice.pk).update(assigned_to=None)
        notice.assigned_to = None
        release_load(reviewer.pk)
        record_event(notice, EventKind.RELEASED, reviewer_actor(reviewer), now,
                details={"reviewer": reviewer.user.get_username()})
    return notice


def reassign_notice(notice: Notice, to: Reviewer, lead: User, now: datetime) -> Notice:
    """A lead hands an open notice to another reviewer (e.g. a specialist, or one who is not away)."""
    with transaction.atomic():
        notice = Notice.objects.select_for_update().get(pk=notice.pk)
        if notice.status != NoticeStatus.IN_REVIEW:
            raise TransitionNotAllowed(_("Notice %(reference)s is '%(status)s'; only a notice in review can be "
                                         "reassigned.") % {"reference": notice.reference,
                                                           "status": notice.get_status_display()})
        if not to.is_active:
            raise TransitionNotAllowed(_("%(reviewer)s is not an active reviewer.") % {
                "reviewer": to.user.get_username()})
        if notice.risk_band == RiskBand.HIGH and not to.risk_reviewer:
            raise TransitionNotAllowed(_("Notice %(reference)s is high risk: only a reviewer a lead designated for "
                                         "high-risk notices may work it. %(reviewer)s is not designated.") % {
                "reference": notice.reference, "reviewer": to.user.get_username()})
        previous = notice.assigned_to_id
        if previous == to.pk:
            return notice
        Notice.objects.filter(pk=notice.pk).update(assigned_to=to)
        notice.assigned_to = to
        release_load(previous)
        Reviewer.objects.filter(pk=to.pk).update(open_load=F("open_load") + 1)
        emails.new_assignment(notice, to, now)
        record_event(notice, EventKind.REASSIGNED, Actor(ActorKind.REVIEWER, lead), now,
                details={"from": Reviewer.objects.get(pk=previous).user.get_username() if previous else None,
                         "to": to.user.get_username()})
    return notice


def escalate_notice(notice: Notice, reviewer: Reviewer, note: str, now: datetime) -> Notice:
    """The reviewer asks a lead to step in (a hard case, a suspected abusive notifier); every lead
    is e-mailed. The notice stays with the reviewer until a lead reassigns or decides it."""
    note = note.strip()
    if not note:
        raise TransitionNotAllowed(_("Say why the notice needs a lead."))
    with transaction.atomic():
        notice = Notice.objects.select_for_update().get(pk=notice.pk)
        if notice.status not in (NoticeStatus.IN_REVIEW, NoticeStatus.AWAITING_SUBMITTER):
            raise TransitionNotAllowed(_("Notice %(reference)s is '%(status)s'; only an open notice can be "
                                         "escalated.") % {"reference": notice.reference,
                                                          "status": notice.get_status_display()})
        if notice.escalated_at is not None:
            raise TransitionNotAllowed(_("Notice %(reference)s is already with the leads.") % {
                "reference": notice.reference})
        Notice.objects.filter(pk=notice.pk).update(escalated_at=now)
        notice.escalated_at = now
        record_event(notice, EventKind.ESCALATED, reviewer_actor(reviewer), now, details={"note": note})
        emails.escalation(notice, reviewer, note, now)
    return notice


def decide_items(notice: Notice, reviewer: Reviewer, decisions: list[ItemDecision], now: datetime,
                 question: Question | None = None) -> list[Decision]:
    """Record the reviewer's decisions on some of the notice's listings and, in the same step, ask
    the submitter about others (`question`): what the notice page sends in one POST.

    Only the assigned reviewer decides, only listings still waiting for a decision, and each
    once (the one-to-one Decision row is the database's guarantee). Removals are carried out
    by a task after commit; the submitter hears of every decision, the seller gets a statement
    of reasons for every removal. When no listing is left waiting, the notice closes.
    """
    if not decisions and question is None:
        raise TransitionNotAllowed(_("Choose a decision for at least one listing."))
    return _review(notice, reviewer, decisions, question, now)[0]


def decide_hold(notice: Notice, reviewer: Reviewer, outcome: str, now: datetime, *, note: str = "",
                grounds: str = "") -> Decision:
    """The Screening queue's decision on a listing screening held (issue 14): remove it (it never goes
    live; a strike, as a person decided) or reject the hold (it goes live). An unassigned case is claimed
    in the same step, then decided through decide_items like any notice; a case another reviewer works,
    or one already decided, is refused with why."""
    if notice.source != NoticeSource.SCREENING:
        raise TransitionNotAllowed(_("Notice %(reference)s is a rights holder's notice; decide it on its page.") % {
            "reference": notice.reference})
    with transaction.atomic():
        if notice.assigned_to_id != reviewer.pk:
            notice = claim_notice(notice, reviewer, now)
        item = notice.items.filter(state=ItemState.IN_REVIEW).first()
        if item is None:
            raise TransitionNotAllowed(_("Notice %(reference)s has no listing waiting for a decision.") % {
                "reference": notice.reference})
        made = decide_items(notice, reviewer, [ItemDecision(item.pk, outcome, note=note, grounds=grounds)], now)
    return made[0]


def request_information(notice: Notice, reviewer: Reviewer, item_ids: list[int], message: str,
                        now: datetime) -> InfoRequest:
    """Ask the submitter about some listings. Their decision waits (and the notice leaves the
    reviewer's queue once nothing else is left to decide) until the answer or the due date."""
    _made, request = _review(notice, reviewer, [], Question(item_ids, message), now)
    assert request is not None  # a question always makes one
    return request


def _review(notice: Notice, reviewer: Reviewer, decisions: list[ItemDecision], question: Question | None,
            now: datetime) -> tuple[list[Decision], InfoRequest | None]:
    """One review step, in one transaction under the notice's row lock: the decisions, the
    question, the notice's resulting status and clock, and who is told."""
    if question is not None:
        question = Question(list(question.item_ids), question.message.strip())
        if not question.message:
            raise TransitionNotAllowed(_("Write the question for the submitter."))
        if not question.item_ids:
            raise TransitionNotAllowed(_("Choose the listings the question is about."))
    actor = reviewer_actor(reviewer)
    with transaction.atomic():
        notice = Notice.objects.select_for_update().get(pk=notice.pk)
        if notice.status != NoticeStatus.IN_REVIEW:
            raise TransitionNotAllowed(_("Notice %(reference)s is '%(status)s'; its listings cannot be decided "
                                         "now.") % {"reference": notice.reference,
                                                    "status": notice.get_status_display()})
        if notice.assigned_to_id != reviewer.pk:
            raise TransitionNotAllowed(_("Notice %(reference)s is not assigned to you; claim it first.") % {
                "reference": notice.reference})
        if question is not None and notice.source == NoticeSource.SCREENING:
            raise TransitionNotAllowed(_("Case %(reference)s was opened by listing screening: it has no submitter to "
                                         "ask.") % {"reference": notice.reference})
        events: list[Event] = []
        made = _record_decisions(notice, reviewer, decisions, now, events) if decisions else []
        request, asked = _ask(notice, reviewer, question, now, events) if question is not None else (None, [])
        settle(notice, actor, now, events)
        if made:
            _tell_decided(notice, made)
        if request is not None:
            emails.information_requested(notice, request, asked)
    return made, request


def _record_decisions(notice: Notice, reviewer: Reviewer, decisions: list[ItemDecision], now: datetime,
                      events: list[Event]) -> list[Decision]:
    """The Decision rows and the items' new states; then what removals start (clocks, strikes)."""
    actor = reviewer_actor(reviewer)
    items = notice.items.select_related("listing__seller").in_bulk([d.item_id for d in decisions])
    default_grounds = removal_grounds_for(notice, items.values()) if any(
        d.outcome == DecisionOutcome.REMOVE and not d.grounds.strip() for d in decisions) else {}
    made = []
    own_initiative = notice.source == NoticeSource.SCREENING
    for choice in decisions:
        item = _decidable(notice, items.get(choice.item_id), choice)
        removal = choice.outcome == DecisionOutcome.REMOVE
        made.append(Decision(
            item=item, outcome=choice.outcome, reason_code=choice.reason_code if not removal else None,
            note=choice.note, decided_by=reviewer.user, decided_at=now,
            legal_ground=LEGAL_GROUNDS[notice.right_type] if removal else "",
            grounds=(choice.grounds.strip() or default_grounds.get(item.pk, "")) if removal else "",
            # The notifier's claim, kept to be quoted as theirs, never given as our reasoning. An own-initiative
            # case has no notifier: its description is screening's findings, not a claim to quote.
            explanation=notice.description if removal and not own_initiative else "",
            seller_token=secrets.token_urlsafe(32) if removal else "",
            # Listing screening found it (issue 14); a person decides it here (DSA Art. 17(3)(c)).
            automated_detection=own_initiative,
        ))
        item.state = DECIDED_STATE[choice.outcome]
        events.append(Event(notice=notice, item=item, kind=EventKind.ITEM_DECIDED, actor_kind=actor.kind,
                            actor_user=actor.user, from_status=ItemState.IN_REVIEW, to_status=item.state,
                            created_at=now, details={
                                "outcome": choice.outcome, "note": choice.note,
                                "reason_code": choice.reason_code.code if choice.reason_code else None}))
    # One UPDATE per resulting state; the notice's row lock keeps other writers out, the state
    # condition is the backstop.
    for to_state in {decision.item.state for decision in made}:
        chosen = [decision.item.pk for decision in made if decision.item.state == to_state]
        if NoticeItem.objects.filter(pk__in=chosen, state=ItemState.IN_REVIEW).update(state=to_state) != len(chosen):
            raise TransitionNotAllowed(_("A listing was decided by someone else meanwhile; reload and try again."))
    Decision.objects.bulk_create(made)
    removals = [decision for decision in made if decision.outcome == DecisionOutcome.REMOVE]
    for decision in removals:
        clocks.start_clock(ClockKind.TAKEDOWN_EXECUTED, notice, now, reasons=[decision.item.reason],
                           item=decision.item, events=events)
    enforcement.record_strikes(notice, removals, now, events)
    if own_initiative:
        for decision in made:
            if decision.outcome == DecisionOutcome.REJECT:
                _publish_held(notice, decision, actor, now, events)
    _count_in_records(notice, made)
    return made


def _publish_held(notice: Notice, decision: Decision, actor: Actor, now: datetime, events: list[Event]) -> None:
    """The reviewer found nothing wrong with a listing screening held: a task has the marketplace put it live
    after commit (enforcement.record_publish), as a removal is carried out, so that a marketplace briefly
    out of reach delays the listing but never the decision."""
    dispatch.after_commit(dispatch.PUBLISH_LISTING, decision_id=decision.pk)


def _decidable(notice: Notice, item: NoticeItem | None, choice: ItemDecision) -> NoticeItem:
    """The item, if this choice may be recorded on it; otherwise the refusal says why not."""
    if item is None:
        raise TransitionNotAllowed(_("Listing %(item)s is not part of notice %(reference)s.") % {
            "item": choice.item_id, "reference": notice.reference})
    if item.state != ItemState.IN_REVIEW:
        raise TransitionNotAllowed(_("Listing %(position)s is '%(state)s': a decision cannot be recorded twice.") % {
            "position": item.position, "state": item.get_state_display()})
    if choice.outcome not in DECIDED_STATE:
        raise TransitionNotAllowed(_("Listing %(position)s: '%(outcome)s' is not a decision.") % {
            "position": item.position, "outcome": choice.outcome})
    # A rejection's reason code tells the submitter what to fix; an own-initiative case has none to tell.
    if choice.outcome == DecisionOutcome.REJECT and choice.reason_code is None \
            and notice.source != NoticeSource.SCREENING:
        raise TransitionNotAllowed(_("Listing %(position)s: a rejection needs a reason code.") % {
            "position": item.position})
    return item


def _tell_decided(notice: Notice, made: list[Decision]) -> None:
    """The submitter hears of every decision; the seller of each removal gets a statement of
    reasons, and the marketplace takes the listing down (a task, after commit)."""
    emails.items_decided(notice, made)
    for decision in made:
        if decision.outcome == DecisionOutcome.REMOVE:
            emails.statement_of_reasons(decision)
            dispatch.after_commit(dispatch.ENFORCE_REMOVAL, decision_id=decision.pk)


def _ask(notice: Notice, reviewer: Reviewer, question: Question, now: datetime,
         events: list[Event]) -> tuple[InfoRequest, list[NoticeItem]]:
    """The question, and the new state of the listings it is about (returned with it)."""
    items = list(notice.items.filter(pk__in=question.item_ids))
    waiting = [item for item in items if item.state == ItemState.IN_REVIEW]
    if len(waiting) != len(set(question.item_ids)):
        raise TransitionNotAllowed(_("Information can only be asked about listings waiting for a decision."))
    request = InfoRequest.objects.create(
        notice=notice, message=question.message, requested_by=reviewer.user, requested_at=now,
        due_at=now + timedelta(days=settings.INFO_REQUEST_DAYS))
    actor = reviewer_actor(reviewer)
    events += [_item_event(notice, item, EventKind.INFO_REQUESTED, actor, now, ItemState.INFO_REQUESTED,
                           {"request": request.pk}) for item in waiting]
    NoticeItem.objects.filter(pk__in=[item.pk for item in waiting], state=ItemState.IN_REVIEW).update(
        state=ItemState.INFO_REQUESTED, info_request=request)
    return request, waiting


def _count_in_records(notice: Notice, made: list[Decision]) -> None:
    """The submitter's record and each seller's history, as the review page shows them."""
    removed = [decision for decision in made if decision.outcome == DecisionOutcome.REMOVE]
    if notice.submitter_id:
        Submitter.objects.filter(pk=notice.submitter_id).update(
            removed_items=F("removed_items") + len(removed),
            rejected_items=F("rejected_items") + len(made) - len(removed))
    add_to_sellers("removed_items", [decision.item.decided_listing.seller_id for decision in removed])


def settle(notice: Notice, actor: Actor, now: datetime, events: list[Event]) -> None:
    """After items changed: the notice is in review while a listing waits for the reviewer,
    waits for the submitter while only questions are open, and closes when nothing is left."""
    states = set(notice.items.values_list("state", flat=True))
    clock_step: Callable[..., object]
    if ItemState.IN_REVIEW in states:
        target, kind, clock_step = NoticeStatus.IN_REVIEW, EventKind.BACK_IN_REVIEW, clocks.resume_clock
    elif ItemState.INFO_REQUESTED in states:
        target, kind, clock_step = NoticeStatus.AWAITING_SUBMITTER, EventKind.AWAITING_SUBMITTER, clocks.pause_clock
    else:
        target, kind, clock_step = NoticeStatus.CLOSED, EventKind.CLOSED, clocks.stop_clock
    if target == notice.status:
        save_events(events)
    else:
        closing: dict[str, Any] = {"closed_at": now} if target == NoticeStatus.CLOSED else {}
        change_status(notice, target, kind=kind, actor=actor, now=now, along_with=events, **closing)
        if target == NoticeStatus.CLOSED:
            release_load(notice.assigned_to_id)
    # After the status event, so that the log reads "waiting for the submitter", then "clock paused". An
    # own-initiative case's decision is measured by the screening review clock (the seller waits, not live).
    decision_clock = ClockKind.SCREENING_REVIEW if notice.source == NoticeSource.SCREENING \
        else ClockKind.TAKEDOWN_DECISION
    clock_step(decision_clock, now, notice=notice)


def _item_event(notice: Notice, item: NoticeItem, kind: str, actor: Actor, now: datetime, to_state: str,
                details: dict | None = None) -> Event:
    return make_event(notice, kind, actor, now, item=item, from_status=item.state, to_status=to_state, details=details)


def answer_information(notice: Notice, answer: str, now: datetime,
                       files: Sequence[tuple[UploadedFile, str]] = ()) -> InfoRequest:
    """The submitter answers the open question on the tracking page, with files (pairs of upload and
    checked content type) stored with the answer; its listings go back to the reviewer, who is told."""
    answer = answer.strip()
    if not answer:
        raise TransitionNotAllowed(_("Write your answer before sending it."))
    with transaction.atomic():
        notice = Notice.objects.select_for_update().get(pk=notice.pk)
        request = notice.info_requests.filter(answered_at=None, expired_at=None).order_by("requested_at").first()
        if request is None:
            raise TransitionNotAllowed(_("There is no open question on this notice."))
        InfoRequest.objects.filter(pk=request.pk, answered_at=None, expired_at=None).update(
            answer=answer, answered_at=now)
        request.answer, request.answered_at = answer, now
        for upload, content_type in files:
            evidence.store(notice.submission_key, EvidenceKind.OTHER, upload, content_type, notice=notice,
                           info_request=request)
        items = list(request.items.filter(state=ItemState.INFO_REQUESTED))
        events = [_item_event(notice, item, EventKind.INFO_ANSWERED, SUBMITTER, now, ItemState.IN_REVIEW,
                              {"request": request.pk}) for item in items]
        NoticeItem.objects.filter(pk__in=[item.pk for item in items]).update(state=ItemState.IN_REVIEW)
        settle(notice, SUBMITTER, now, events)
        emails.information_answered(notice, request, items)
    return request


def expire_information_requests(now: datetime, limit: int = 500) -> int:
    """Close the listings of questions left unanswered past their due date. Each request is
    claimed with a conditional UPDATE, so overlapping runs never expire one twice."""
    due = list(InfoRequest.objects.filter(answered_at=None, expired_at=None, due_at__lte=now)
               .order_by("due_at").values_list("pk", flat=True)[:limit])
    expired = 0
    for request_id in due:
        with transaction.atomic():
            if not InfoRequest.objects.filter(pk=request_id, answered_at=None, expired_at=None).update(expired_at=now):
                continue
            request = InfoRequest.objects.select_related("notice").get(pk=request_id)
            notice = Notice.objects.select_for_update().get(pk=request.notice_id)
            items = list(request.items.filter(state=ItemState.INFO_REQUESTED))
            events = [_item_event(notice, item, EventKind.INFO_EXPIRED, SYSTEM, now, ItemState.NO_ANSWER,
                                  {"request": request.pk}) for item in items]
            NoticeItem.objects.filter(pk__in=[item.pk for item in items]).update(state=ItemState.NO_ANSWER)
            if notice.status in (NoticeStatus.IN_REVIEW, NoticeStatus.AWAITING_SUBMITTER):
                settle(notice, SYSTEM, now, events)
            else:
                save_events(events)
            if items:
                emails.information_expired(notice, request, items)
            expired += 1
    return expired
