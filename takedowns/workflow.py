"""The only code that changes a notice's status (or its items' states).

Each public function is one transition. In order it: refuses what the transition map does
not allow (veto), changes the data, writes the status with a conditional UPDATE (so two
concurrent callers never both succeed), writes an immutable Event in the same transaction,
and schedules e-mails and tasks with transaction.on_commit, so nothing is sent for a change
that was rolled back.
"""

import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.db.models import F

from takedowns import emails, routing, tasks
from takedowns.enums import (
    DECIDED_STATE,
    LEGAL_GROUNDS,
    NOTICE_TRANSITIONS,
    OPEN_NOTICE_STATUSES,
    ActorKind,
    DecisionOutcome,
    EventKind,
    ItemState,
    ListingStatus,
    NoticeStatus,
)
from takedowns.marketplace import get_marketplace
from takedowns.models import (
    Decision,
    Event,
    Evidence,
    InfoRequest,
    Notice,
    NoticeItem,
    ReasonCode,
    Reviewer,
    Right,
)

logger = logging.getLogger(__name__)

# Crockford's base-32 alphabet: no I, L, O or U, so a reference read out on the phone is unambiguous.
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class TransitionNotAllowed(Exception):
    """The requested change is not allowed from the notice's current status."""


@dataclass(frozen=True)
class Actor:
    kind: str
    user: AbstractBaseUser | None = None


SYSTEM = Actor(ActorKind.SYSTEM)
SUBMITTER = Actor(ActorKind.SUBMITTER)


@dataclass(frozen=True)
class ReportedItem:
    reported: str
    reason: str


def new_reference() -> str:
    """A human-friendly reference such as TD-7KQ4-M2XB (40 random bits; uniqueness is enforced
    by the database and a clash is retried)."""
    chars = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"TD-{chars[:4]}-{chars[4:]}"


def _event(notice: Notice, kind: str, actor: Actor, now: datetime, *, from_status: str = "",
           to_status: str = "", details: dict | None = None) -> Event:
    return Event(notice=notice, kind=kind, actor_kind=actor.kind, actor_user=actor.user,
                 from_status=from_status, to_status=to_status, details=details or {}, created_at=now)


def _record(notice: Notice, kind: str, actor: Actor, now: datetime, **kwargs) -> Event:
    event = _event(notice, kind, actor, now, **kwargs)
    event.save()
    return event


def _change_status(notice: Notice, to_status: str, *, kind: str, actor: Actor, now: datetime,
                   details: dict | None = None, along_with: list[Event] = (), **fields) -> Event:
    """Move the notice to `to_status` if the transition map allows it and nobody changed it
    meanwhile, and record the event, with `along_with` (events of the same step) in one INSERT."""
    from_status = notice.status
    if to_status not in NOTICE_TRANSITIONS[from_status]:
        raise TransitionNotAllowed(
            f"A notice that is '{NoticeStatus(from_status).label}' cannot become '{NoticeStatus(to_status).label}'."
        )
    changed = Notice.objects.filter(pk=notice.pk, status=from_status).update(status=to_status, **fields)
    if not changed:
        raise TransitionNotAllowed(f"Notice {notice.reference} was changed by someone else; reload and try again.")
    notice.status = to_status
    for name, value in fields.items():
        setattr(notice, name, value)
    event = _event(notice, kind, actor, now, from_status=from_status, to_status=to_status, details=details)
    Event.objects.bulk_create([*along_with, event])
    return event


# --- Filing and confirmation. ---

def file_notice(fields: dict, items: list[ReportedItem], submission_key: uuid.UUID, now: datetime,
                with_evidence: bool = True) -> tuple[Notice, bool]:
    """Create an unconfirmed notice and send the confirmation e-mail.

    `fields` are Notice model fields from the form. Returns (notice, created); a second call
    with the same submission key (a double click, a resent POST) returns the first notice.
    `with_evidence=False` says no file was uploaded under the key, which saves a query.
    """
    with transaction.atomic():
        notice = Notice(
            **fields,
            submission_key=submission_key,
            tracking_token=secrets.token_urlsafe(32),
            confirmation_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + timedelta(days=settings.NOTICE_CONFIRMATION_DAYS),
        )
        for _attempt in range(5):
            notice.reference = new_reference()
            try:
                with transaction.atomic():
                    notice.save()
                break
            except IntegrityError:
                # Either this form was filed already (return that notice) or the random
                # reference clashed (draw another).
                existing = Notice.objects.filter(submission_key=submission_key).first()
                if existing:
                    return existing, False
        else:
            raise RuntimeError("Could not draw a unique notice reference.")
        NoticeItem.objects.bulk_create(
            NoticeItem(notice=notice, position=position, reported=item.reported, reason=item.reason)
            for position, item in enumerate(items, start=1)
        )
        evidence_count = 0
        if with_evidence:
            evidence_count = Evidence.objects.filter(submission_key=submission_key, notice=None).update(notice=notice)
        _record(notice, EventKind.FILED, SUBMITTER, now, to_status=NoticeStatus.UNCONFIRMED,
                details={"items": len(items), "evidence_files": evidence_count})
        emails.confirmation_request(notice, item_count=len(items))
    return notice, True


def confirm_notice(notice: Notice, now: datetime) -> Notice:
    """The submitter followed the link in the confirmation e-mail. Confirming twice is harmless;
    confirming too late expires the notice (committed) and then refuses."""
    with transaction.atomic():
        notice = Notice.objects.select_for_update().get(pk=notice.pk)
        if notice.confirmed_at is not None:
            return notice
        if notice.status == NoticeStatus.UNCONFIRMED and notice.expires_at <= now:
            _change_status(notice, NoticeStatus.EXPIRED, kind=EventKind.EXPIRED, actor=SYSTEM, now=now,
                           closed_at=now)
        elif notice.status == NoticeStatus.UNCONFIRMED:
            _change_status(notice, NoticeStatus.CONFIRMED, kind=EventKind.CONFIRMED, actor=SUBMITTER, now=now,
                           confirmed_at=now)
            emails.notice_received(notice)
            transaction.on_commit(lambda: tasks.route_notice.delay(notice_id=notice.pk))
            return notice
    raise TransitionNotAllowed("This notice expired because it was not confirmed in time. Please file it again.")


def expire_unconfirmed(now: datetime, limit: int = 500) -> int:
    """Expire notices whose confirmation window has passed. Returns how many it expired."""
    due = list(Notice.objects.filter(status=NoticeStatus.UNCONFIRMED, expires_at__lte=now)
               .order_by("expires_at").values_list("pk", flat=True)[:limit])
    expired = 0
    for notice in Notice.objects.filter(pk__in=due):
        try:
            with transaction.atomic():
                _change_status(notice, NoticeStatus.EXPIRED, kind=EventKind.EXPIRED, actor=SYSTEM, now=now,
                               closed_at=now)
            expired += 1
        except TransitionNotAllowed:
            continue  # confirmed or expired by someone else meanwhile
    # Files uploaded on a form that was never sent.
    stale = now - timedelta(days=settings.NOTICE_CONFIRMATION_DAYS)
    for evidence in Evidence.objects.filter(notice=None, uploaded_at__lt=stale)[:limit]:
        evidence.file.delete(save=False)
        evidence.delete()
    return expired


# --- Routing. ---

def route_notice(notice_id: int, now: datetime) -> Notice | None:
    """Resolve every listing, mark duplicates, score priority and assign a reviewer.

    Idempotent: the row lock and the status check mean a second run (a redelivered message,
    the sweep) does nothing once the notice has been routed.
    """
    with transaction.atomic():
        notice = Notice.objects.select_for_update().filter(pk=notice_id).first()
        if notice is None:
            logger.warning("route_notice: notice %s no longer exists", notice_id)
            return None
        if notice.status != NoticeStatus.CONFIRMED:
            return notice

        items = list(notice.items.all())
        resolved = get_marketplace().resolve_many([item.reported for item in items])
        item_events = _resolve_items(notice, items, resolved, now)

        found = [item.listing for item in items if item.listing is not None]
        verified_right = Right.objects.filter(
            right_type=notice.right_type, office__iexact=notice.right_office.strip(),
            registration_number__iexact=notice.right_registration_number.strip(),
        ).first()
        priority = routing.score_priority([item.reason for item in items], found, verified_right is not None)
        assignment = routing.choose_reviewer(notice.right_type, notice.language)
        if assignment.reviewer is None:
            if not notice.events.filter(kind=EventKind.ROUTING_DEFERRED).exists():
                item_events.append(_event(notice, EventKind.ROUTING_DEFERRED, SYSTEM, now,
                                          details={"rule": assignment.rule}))
            Event.objects.bulk_create(item_events)
            return notice

        _change_status(
            notice, NoticeStatus.IN_REVIEW, kind=EventKind.ROUTED, actor=SYSTEM, now=now,
            assigned_to=assignment.reviewer, routed_at=now, priority=priority.score, verified_right=verified_right,
            details={
                "reviewer": assignment.reviewer.user.get_username(),
                "assignment_rule": assignment.rule,
                "priority": priority.score,
                "priority_rules": priority.rules,
                "items": {state: sum(1 for item in items if item.state == state) for state in
                          sorted({item.state for item in items})},
            },
            along_with=item_events,
        )
        Reviewer.objects.filter(pk=assignment.reviewer.pk).update(open_load=F("open_load") + 1)
        emails.notice_routed(notice, items)
        emails.new_assignment(notice, assignment.reviewer, now)
    return notice


def _resolve_items(notice: Notice, items: list[NoticeItem], resolved: dict, now: datetime) -> list[Event]:
    """Set each item's listing and state from the marketplace's answer; returns their events."""
    listing_ids = {listing.pk for listing in resolved.values() if listing is not None}
    under_review_elsewhere = dict(
        NoticeItem.objects.filter(listing_id__in=listing_ids, state=ItemState.IN_REVIEW)
        .exclude(notice=notice).order_by("-id").values_list("listing_id", "id")
    )
    first_in_this_notice: dict[int, NoticeItem] = {}
    for item in items:
        listing = resolved.get(item.reported)
        item.listing = listing
        item.listing_snapshot = _snapshot(listing)
        item.duplicate_of = None
        if listing is None:
            item.state = ItemState.NOT_FOUND
        elif listing.status == ListingStatus.REMOVED:
            item.state = ItemState.ALREADY_REMOVED
        elif listing.pk in under_review_elsewhere:
            item.state = ItemState.DUPLICATE
            item.duplicate_of_id = under_review_elsewhere[listing.pk]
        elif listing.pk in first_in_this_notice:
            item.state = ItemState.DUPLICATE
            item.duplicate_of = first_in_this_notice[listing.pk]
        else:
            item.state = ItemState.IN_REVIEW
            first_in_this_notice[listing.pk] = item
    _save_resolution(items)
    return [
        Event(notice=notice, item=item, kind=EventKind.ITEM_RESOLVED, actor_kind=ActorKind.SYSTEM,
              from_status=ItemState.NEW, to_status=item.state, created_at=now,
              details={"reported": item.reported,
                       "listing": item.listing.external_id if item.listing else None,
                       "seller": item.listing.seller.external_id if item.listing else None})
        for item in items
    ]


def _snapshot(listing) -> dict | None:
    if listing is None:
        return None
    return {"title": listing.title, "category": listing.category, "price": str(listing.price),
            "currency": listing.currency, "status": listing.status, "seller": listing.seller.external_id,
            "seller_name": listing.seller.name}


def _save_resolution(items: list[NoticeItem]) -> None:
    """One UPDATE … FROM (VALUES …) for all items. QuerySet.bulk_update builds a CASE expression
    per field and row, which cost routing more than a quarter of its time (bench/RESULTS.md).
    Plain SQL that PostgreSQL and SQLite (3.33+) both run; VALUES columns are column1, column2, …"""
    if not items:
        return
    table = connection.ops.quote_name(NoticeItem._meta.db_table)
    json_type = "jsonb" if connection.vendor == "postgresql" else "text"
    rows = ", ".join([f"(CAST(%s AS bigint), CAST(%s AS bigint), CAST(%s AS varchar(16)), CAST(%s AS bigint), "
                      f"CAST(%s AS {json_type}))"] * len(items))
    snapshot_field = NoticeItem._meta.get_field("listing_snapshot")
    params = [value for item in items for value in (
        item.pk, item.listing_id, item.state, item.duplicate_of_id,
        snapshot_field.get_db_prep_value(item.listing_snapshot, connection))]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET listing_id = v.column2, state = v.column3, duplicate_of_id = v.column4, "
            f"listing_snapshot = v.column5 FROM (VALUES {rows}) AS v WHERE {table}.id = v.column1", params)


def unrouted_notice_ids(now: datetime, limit: int = 500) -> list[int]:
    """Confirmed notices still unrouted after the grace period: their routing message was lost
    (or no reviewer was free). The sweep enqueues them again; routing is idempotent."""
    cutoff = now - timedelta(seconds=settings.ROUTING_GRACE_SECONDS)
    return list(Notice.objects.filter(status=NoticeStatus.CONFIRMED, confirmed_at__lte=cutoff)
                .order_by("confirmed_at").values_list("pk", flat=True)[:limit])


def _release_load(reviewer_id: int | None) -> None:
    """The notice no longer counts towards its reviewer's open load."""
    if reviewer_id is not None:
        Reviewer.objects.filter(pk=reviewer_id, open_load__gt=0).update(open_load=F("open_load") - 1)


# --- The submitter's own actions. ---

def withdraw_notice(notice: Notice, now: datetime) -> Notice:
    with transaction.atomic():
        notice = Notice.objects.select_for_update().get(pk=notice.pk)
        open_items = notice.items.filter(state__in=[ItemState.NEW, ItemState.IN_REVIEW])
        positions = list(open_items.values_list("position", flat=True))
        was_assigned_to = notice.assigned_to_id if notice.status in OPEN_NOTICE_STATUSES else None
        _change_status(notice, NoticeStatus.WITHDRAWN, kind=EventKind.WITHDRAWN, actor=SUBMITTER, now=now,
                       closed_at=now, details={"items_withdrawn": positions})
        open_items.update(state=ItemState.WITHDRAWN)
        _release_load(was_assigned_to)
        emails.notice_withdrawn(notice)
    return notice


# --- Review: claiming and deciding. ---

@dataclass(frozen=True)
class ItemDecision:
    item_id: int
    outcome: str
    reason_code: ReasonCode | None = None
    note: str = ""


def _reviewer_actor(reviewer: Reviewer) -> Actor:
    return Actor(ActorKind.REVIEWER, reviewer.user)


def claim_notice(notice: Notice, reviewer: Reviewer, now: datetime) -> Notice:
    """Take a notice that nobody works. The conditional UPDATE lets exactly one of two
    concurrent claims win; the other is refused with who has it."""
    with transaction.atomic():
        claimed = Notice.objects.filter(pk=notice.pk, status=NoticeStatus.IN_REVIEW,
                                        assigned_to__isnull=True).update(assigned_to=reviewer)
        current = Notice.objects.select_related("assigned_to__user").get(pk=notice.pk)
        if not claimed:
            if current.assigned_to_id == reviewer.pk:
                return current
            if current.status != NoticeStatus.IN_REVIEW:
                raise TransitionNotAllowed(f"Notice {current.reference} is '{current.get_status_display()}'; "
                                           "there is nothing to claim.")
            raise TransitionNotAllowed(f"Notice {current.reference} is already being worked by "
                                       f"{current.assigned_to.user.get_username()}.")
        Reviewer.objects.filter(pk=reviewer.pk).update(open_load=F("open_load") + 1)
        _record(current, EventKind.CLAIMED, _reviewer_actor(reviewer), now,
                details={"reviewer": reviewer.user.get_username()})
    return current


def reassign_notice(notice: Notice, to: Reviewer, lead, now: datetime) -> Notice:
    """A lead hands an open notice to another reviewer (e.g. a specialist, or one who is not away)."""
    with transaction.atomic():
        notice = Notice.objects.select_for_update().get(pk=notice.pk)
        if notice.status != NoticeStatus.IN_REVIEW:
            raise TransitionNotAllowed(f"Notice {notice.reference} is '{notice.get_status_display()}'; "
                                       "only a notice in review can be reassigned.")
        if not to.is_active:
            raise TransitionNotAllowed(f"{to.user.get_username()} is not an active reviewer.")
        previous = notice.assigned_to_id
        if previous == to.pk:
            return notice
        Notice.objects.filter(pk=notice.pk).update(assigned_to=to)
        notice.assigned_to = to
        _release_load(previous)
        Reviewer.objects.filter(pk=to.pk).update(open_load=F("open_load") + 1)
        emails.new_assignment(notice, to, now)
        _record(notice, EventKind.REASSIGNED, Actor(ActorKind.REVIEWER, lead), now,
                details={"from": Reviewer.objects.get(pk=previous).user.get_username() if previous else None,
                         "to": to.user.get_username()})
    return notice


def escalate_notice(notice: Notice, reviewer: Reviewer, note: str, now: datetime) -> Notice:
    """The reviewer asks a lead to step in (a hard case, a suspected abusive notifier); every lead
    is e-mailed. The notice stays with the reviewer until a lead reassigns or decides it."""
    note = note.strip()
    if not note:
        raise TransitionNotAllowed("Say why the notice needs a lead.")
    with transaction.atomic():
        notice = Notice.objects.select_for_update().get(pk=notice.pk)
        if notice.status not in (NoticeStatus.IN_REVIEW, NoticeStatus.AWAITING_SUBMITTER):
            raise TransitionNotAllowed(f"Notice {notice.reference} is '{notice.get_status_display()}'; "
                                       "only an open notice can be escalated.")
        if notice.escalated_at is not None:
            raise TransitionNotAllowed(f"Notice {notice.reference} is already with the leads.")
        Notice.objects.filter(pk=notice.pk).update(escalated_at=now)
        notice.escalated_at = now
        _record(notice, EventKind.ESCALATED, _reviewer_actor(reviewer), now, details={"note": note})
        emails.escalation(notice, reviewer, note, now)
    return notice


def decide_items(notice: Notice, reviewer: Reviewer, decisions: list[ItemDecision], now: datetime) -> list[Decision]:
    """Record the reviewer's decision on some of the notice's listings.

    Only the assigned reviewer decides, only listings still waiting for a decision, and each
    once (the one-to-one Decision row is the database's guarantee). Removals are carried out
    by a task after commit; the submitter hears of every decision, the seller gets a statement
    of reasons for every removal. When no listing is left waiting, the notice closes.
    """
    if not decisions:
        raise TransitionNotAllowed("Choose a decision for at least one listing.")
    actor = _reviewer_actor(reviewer)
    with transaction.atomic():
        notice = Notice.objects.select_for_update().get(pk=notice.pk)
        if notice.status != NoticeStatus.IN_REVIEW:
            raise TransitionNotAllowed(f"Notice {notice.reference} is '{notice.get_status_display()}'; "
                                       "its listings cannot be decided now.")
        if notice.assigned_to_id != reviewer.pk:
            raise TransitionNotAllowed(f"Notice {notice.reference} is not assigned to you; claim it first.")
        items = notice.items.select_related("listing__seller").in_bulk([d.item_id for d in decisions])
        made, events = [], []
        for choice in decisions:
            item = items.get(choice.item_id)
            if item is None:
                raise TransitionNotAllowed(f"Listing {choice.item_id} is not part of notice {notice.reference}.")
            if item.state != ItemState.IN_REVIEW:
                raise TransitionNotAllowed(f"Listing {item.position} is '{item.get_state_display()}': "
                                           "a decision cannot be recorded twice.")
            if choice.outcome == DecisionOutcome.REJECT and choice.reason_code is None:
                raise TransitionNotAllowed(f"Listing {item.position}: a rejection needs a reason code.")
            removal = choice.outcome == DecisionOutcome.REMOVE
            made.append(Decision(
                item=item, outcome=choice.outcome, reason_code=choice.reason_code if not removal else None,
                note=choice.note, decided_by=reviewer.user, decided_at=now,
                legal_ground=LEGAL_GROUNDS[notice.right_type] if removal else "",
                explanation=notice.description if removal else "",
                seller_token=secrets.token_urlsafe(32) if removal else "",
            ))
            to_state = DECIDED_STATE[choice.outcome]
            if not NoticeItem.objects.filter(pk=item.pk, state=ItemState.IN_REVIEW).update(state=to_state):
                raise TransitionNotAllowed(f"Listing {item.position} was decided by someone else meanwhile.")
            item.state = to_state
            events.append(Event(notice=notice, item=item, kind=EventKind.ITEM_DECIDED, actor_kind=actor.kind,
                                actor_user=actor.user, from_status=ItemState.IN_REVIEW, to_status=to_state,
                                created_at=now, details={
                                    "outcome": choice.outcome, "note": choice.note,
                                    "reason_code": choice.reason_code.code if choice.reason_code else None}))
        Decision.objects.bulk_create(made)
        _settle(notice, actor, now, events)
        emails.items_decided(notice, made)
        for decision in made:
            if decision.outcome == DecisionOutcome.REMOVE:
                emails.statement_of_reasons(decision)
                transaction.on_commit(lambda pk=decision.pk: tasks.enforce_removal.delay(decision_id=pk))
    return made


def _settle(notice: Notice, actor: Actor, now: datetime, events: list[Event]) -> None:
    """After items changed: the notice is in review while a listing waits for the reviewer,
    waits for the submitter while only questions are open, and closes when nothing is left."""
    states = set(notice.items.values_list("state", flat=True))
    if ItemState.IN_REVIEW in states:
        target, kind = NoticeStatus.IN_REVIEW, EventKind.BACK_IN_REVIEW
    elif ItemState.INFO_REQUESTED in states:
        target, kind = NoticeStatus.AWAITING_SUBMITTER, EventKind.AWAITING_SUBMITTER
    else:
        target, kind = NoticeStatus.CLOSED, EventKind.CLOSED
    if target == notice.status:
        Event.objects.bulk_create(events)
        return
    _change_status(notice, target, kind=kind, actor=actor, now=now, along_with=events,
                   **({"closed_at": now} if target == NoticeStatus.CLOSED else {}))
    if target == NoticeStatus.CLOSED:
        _release_load(notice.assigned_to_id)


def _item_event(notice: Notice, item: NoticeItem, kind: str, actor: Actor, now: datetime, to_state: str,
                details: dict | None = None) -> Event:
    event = _event(notice, kind, actor, now, from_status=item.state, to_status=to_state, details=details)
    event.item = item
    return event


def request_information(notice: Notice, reviewer: Reviewer, item_ids: list[int], message: str,
                        now: datetime) -> InfoRequest:
    """Ask the submitter about some listings. Their decision waits (and the notice leaves the
    reviewer's queue once nothing else is left to decide) until the answer or the due date."""
    message = message.strip()
    if not message:
        raise TransitionNotAllowed("Write the question for the submitter.")
    if not item_ids:
        raise TransitionNotAllowed("Choose the listings the question is about.")
    actor = _reviewer_actor(reviewer)
    with transaction.atomic():
        notice = Notice.objects.select_for_update().get(pk=notice.pk)
        if notice.status != NoticeStatus.IN_REVIEW or notice.assigned_to_id != reviewer.pk:
            raise TransitionNotAllowed(f"Notice {notice.reference} is not in review with you.")
        items = list(notice.items.filter(pk__in=item_ids))
        waiting = [item for item in items if item.state == ItemState.IN_REVIEW]
        if len(waiting) != len(set(item_ids)):
            raise TransitionNotAllowed("Information can only be asked about listings waiting for a decision.")
        request = InfoRequest.objects.create(
            notice=notice, message=message, requested_by=reviewer.user, requested_at=now,
            due_at=now + timedelta(days=settings.INFO_REQUEST_DAYS))
        events = [_item_event(notice, item, EventKind.INFO_REQUESTED, actor, now, ItemState.INFO_REQUESTED,
                              {"request": request.pk}) for item in waiting]
        NoticeItem.objects.filter(pk__in=[item.pk for item in waiting], state=ItemState.IN_REVIEW).update(
            state=ItemState.INFO_REQUESTED, info_request=request)
        _settle(notice, actor, now, events)
        emails.information_requested(notice, request, waiting)
    return request


def answer_information(notice: Notice, answer: str, now: datetime) -> InfoRequest:
    """The submitter answers the open question on the tracking page; its listings go back to the reviewer."""
    answer = answer.strip()
    if not answer:
        raise TransitionNotAllowed("Write your answer before sending it.")
    with transaction.atomic():
        notice = Notice.objects.select_for_update().get(pk=notice.pk)
        request = notice.info_requests.filter(answered_at=None, expired_at=None).order_by("requested_at").first()
        if request is None:
            raise TransitionNotAllowed("There is no open question on this notice.")
        InfoRequest.objects.filter(pk=request.pk, answered_at=None, expired_at=None).update(
            answer=answer, answered_at=now)
        request.answer, request.answered_at = answer, now
        items = list(request.items.filter(state=ItemState.INFO_REQUESTED))
        events = [_item_event(notice, item, EventKind.INFO_ANSWERED, SUBMITTER, now, ItemState.IN_REVIEW,
                              {"request": request.pk}) for item in items]
        NoticeItem.objects.filter(pk__in=[item.pk for item in items]).update(state=ItemState.IN_REVIEW)
        _settle(notice, SUBMITTER, now, events)
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
                _settle(notice, SYSTEM, now, events)
            else:
                Event.objects.bulk_create(events)
            if items:
                emails.information_expired(notice, request, items)
            expired += 1
    return expired


def record_takedown(decision_id: int) -> Decision | None:
    """Have the marketplace take a removed listing down, and record when it came down (an SLA
    clock stops there). Idempotent; raises MarketplaceUnavailable for the task to retry."""
    decision = Decision.objects.select_related("item__listing", "item__notice").filter(pk=decision_id).first()
    if decision is None:
        logger.warning("record_takedown: decision %s no longer exists", decision_id)
        return None
    if decision.outcome != DecisionOutcome.REMOVE or decision.listing_removed_at is not None:
        return decision
    # The marketplace's own time: the clock stops when the listing is really down, not when we asked.
    removed_at = get_marketplace().take_down(decision.item.listing)
    with transaction.atomic():
        if Decision.objects.filter(pk=decision.pk, listing_removed_at__isnull=True).update(
                listing_removed_at=removed_at):
            decision.listing_removed_at = removed_at
            event = _event(decision.item.notice, EventKind.LISTING_REMOVED, SYSTEM, removed_at,
                           details={"listing": decision.item.listing.external_id, "decision": decision.pk})
            event.item = decision.item
            event.save()
    return decision
