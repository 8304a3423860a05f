"""Filing, confirmation, routing and withdrawal: the submitter's side of a notice's life."""

import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F

from takedowns import emails, routing, tasks
from takedowns.enums import (
    OPEN_NOTICE_STATUSES,
    ActorKind,
    ClockKind,
    EventKind,
    ItemState,
    ListingStatus,
    NoticeStatus,
    reason_mask,
)
from takedowns.marketplace import get_marketplace
from takedowns.models import Event, Evidence, Notice, NoticeItem, Reviewer, Right, Submitter
from takedowns.trust import submitter_trust
from takedowns.workflow import clocks
from takedowns.workflow.base import (
    SUBMITTER,
    SYSTEM,
    TransitionNotAllowed,
    _add_to_sellers,
    _change_status,
    _event,
    _record,
    _release_load,
)

logger = logging.getLogger(__name__)


# Crockford's base-32 alphabet: no I, L, O or U, so a reference read out on the phone is unambiguous.
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@dataclass(frozen=True)
class ReportedItem:
    reported: str
    reason: str


def new_reference() -> str:
    """A human-friendly reference such as TD-7KQ4-M2XB (40 random bits; uniqueness is enforced
    by the database and a clash is retried)."""
    chars = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"TD-{chars[:4]}-{chars[4:]}"


# --- Filing and confirmation. ---

class _NoticeClash(Exception):
    """The notice's INSERT broke a unique constraint (its submission key or reference)."""


def file_notice(fields: dict, items: list[ReportedItem], submission_key: uuid.UUID, now: datetime,
                with_evidence: bool = True) -> tuple[Notice, bool]:
    """Create an unconfirmed notice and send the confirmation e-mail.

    `fields` are Notice model fields from the form. Returns (notice, created); a second call
    with the same submission key (a double click, a resent POST) returns the first notice.
    `with_evidence=False` says no file was uploaded under the key, which saves a query.
    """
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
            # The notice is the transaction's first write, so a clash rolls back the whole
            # transaction and the loop starts a new one: no savepoint (two round trips) needed.
            with transaction.atomic():
                try:
                    notice.save()
                except IntegrityError as exc:
                    raise _NoticeClash from exc
                NoticeItem.objects.bulk_create(
                    NoticeItem(notice=notice, position=position, reported=item.reported, reason=item.reason)
                    for position, item in enumerate(items, start=1)
                )
                evidence_count = 0
                if with_evidence:
                    evidence_count = Evidence.objects.filter(submission_key=submission_key, notice=None) \
                        .update(notice=notice)
                _record(notice, EventKind.FILED, SUBMITTER, now, to_status=NoticeStatus.UNCONFIRMED,
                        details={"items": len(items), "evidence_files": evidence_count})
                emails.confirmation_request(notice, item_count=len(items))
            return notice, True
        except _NoticeClash:
            # Either this form was filed already (return that notice) or the random
            # reference clashed (draw another).
            existing = Notice.objects.filter(submission_key=submission_key).first()
            if existing:
                return existing, False
    raise RuntimeError("Could not draw a unique notice reference.")


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
            submitter = _submitter_for(notice.submitter_email, now)
            trust = submitter_trust(submitter, now)
            reasons = list(notice.items.values_list("reason", flat=True))
            _change_status(notice, NoticeStatus.CONFIRMED, kind=EventKind.CONFIRMED, actor=SUBMITTER, now=now,
                           details={"trust": trust}, confirmed_at=now, submitter=submitter, trust=trust,
                           reason_mask=reason_mask(reasons))
            clocks.start_clock(ClockKind.ACKNOWLEDGEMENT, notice, now, reasons=reasons)
            emails.notice_received(notice)
            transaction.on_commit(lambda: tasks.route_notice.delay(notice_id=notice.pk))
            return notice
    raise TransitionNotAllowed("This notice expired because it was not confirmed in time. Please file it again.")


def _submitter_for(email: str, now: datetime) -> Submitter:
    """The record of the confirmed address, with this notice counted in it."""
    submitter, _ = Submitter.objects.get_or_create(email=email.lower(), defaults={"created_at": now})
    Submitter.objects.filter(pk=submitter.pk).update(notices=F("notices") + 1)
    return submitter


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
        priority = routing.score_priority([item.reason for item in items], found, verified_right is not None,
                                          notice.trust)
        assignment = routing.choose_reviewer(notice.right_type, notice.language)
        if assignment.reviewer is None:
            if not notice.events.filter(kind=EventKind.ROUTING_DEFERRED).exists():
                item_events.append(_event(notice, EventKind.ROUTING_DEFERRED, SYSTEM, now,
                                          details={"rule": assignment.rule}))
            Event.objects.bulk_create(item_events)
            return notice

        # The decision clock's policy depends on the priority just computed.
        notice.priority = priority.score
        clocks.stop_clock(ClockKind.ACKNOWLEDGEMENT, now, notice=notice, events=item_events)
        decision_clock = clocks.start_clock(ClockKind.TAKEDOWN_DECISION, notice, notice.confirmed_at,
                                            reasons=[item.reason for item in items], events=item_events, now=now,
                                            follow=False)
        _change_status(
            notice, NoticeStatus.IN_REVIEW, kind=EventKind.ROUTED, actor=SYSTEM, now=now,
            assigned_to=assignment.reviewer, routed_at=now, priority=priority.score, verified_right=verified_right,
            due_at=decision_clock.due_at,
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
        _add_to_sellers("reported_items", [listing.seller_id for listing in found])
        emails.notice_routed(notice, items, assignment.reviewer)
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


# --- The submitter's own actions. ---

def withdraw_notice(notice: Notice, now: datetime) -> Notice:
    with transaction.atomic():
        notice = Notice.objects.select_for_update().get(pk=notice.pk)
        open_items = notice.items.filter(state__in=[ItemState.NEW, ItemState.IN_REVIEW, ItemState.INFO_REQUESTED])
        positions = list(open_items.values_list("position", flat=True))
        was_assigned_to = notice.assigned_to_id if notice.status in OPEN_NOTICE_STATUSES else None
        _change_status(notice, NoticeStatus.WITHDRAWN, kind=EventKind.WITHDRAWN, actor=SUBMITTER, now=now,
                       closed_at=now, details={"items_withdrawn": positions})
        open_items.update(state=ItemState.WITHDRAWN)
        clocks.stop_all(notice, now)
        _release_load(was_assigned_to)
        emails.notice_withdrawn(notice)
    return notice
