"""Filing, confirmation, expiry and withdrawal: the submitter's side of a notice's life (routing,
which follows confirmation, is in routing.py)."""

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from takedowns import dispatch, emails, evidence, limits
from takedowns.enums import (
    OPEN_NOTICE_STATUSES,
    ClockKind,
    EventKind,
    ItemState,
    NoticeStatus,
    OrganisationStatus,
    reason_mask,
)
from takedowns.models import ApiKey, Event, Notice, NoticeItem, Organisation, SlaClock, Submitter
from takedowns.trust import submitter_trust
from takedowns.workflow import clocks, notifier_misuse
from takedowns.workflow.base import (
    SUBMITTER,
    SYSTEM,
    TransitionNotAllowed,
    change_status,
    record_event,
    release_load,
    save_events,
)

# Crockford's base-32 alphabet: no I, L, O or U, so a reference read out on the phone is unambiguous.
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@dataclass(frozen=True)
class ReportedItem:
    reported: str
    reason: str


def random_code(length: int) -> str:
    """`length` random characters of the reference alphabet (5 bits each): the body of a reference."""
    return "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(length))


def new_reference() -> str:
    """A human-friendly reference such as TD-7KQ4-M2XB (40 random bits; uniqueness is enforced
    by the database and a clash is retried)."""
    chars = random_code(8)
    return f"TD-{chars[:4]}-{chars[4:]}"


# --- Filing and confirmation. ---

class _NoticeClash(Exception):
    """The notice's INSERT broke a unique constraint (its submission key or reference)."""


class ConfirmationsWaiting(Exception):
    """The address has as many notices waiting for confirmation as it may (limits.py): no notice is
    filed, no e-mail sent."""

    def __init__(self, refusal: limits.Refusal) -> None:
        super().__init__(refusal.reason)
        self.refusal = refusal


def file_notice(fields: dict, items: list[ReportedItem], submission_key: uuid.UUID, now: datetime,
                with_evidence: bool = True, confirmation: bool = True,
                then: Callable[[Notice, list[NoticeItem]], Notice] | None = None) -> tuple[Notice, bool]:
    """Create an unconfirmed notice and send the confirmation e-mail.

    `fields` are Notice model fields from the form. Returns (notice, created); a second call
    with the same submission key (a double click, a resent POST) returns the first notice.
    `with_evidence=False` says no file was uploaded under the key, which saves a query. Raises
    ConfirmationsWaiting when the address may be sent no more confirmation e-mails (limits.py).
    `confirmation=False`: no confirmation e-mail (nor its limit): file_for_organisation confirms it at once,
    in this transaction, through `then` (the new notice and its listings in; the notice out)."""
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
                filed = _place_for_confirmation(notice, now) if confirmation else None
                if filed is not None:
                    return filed, False
                rows = _insert_filed(notice, items, submission_key, now, with_evidence)
                if confirmation:
                    emails.confirmation_request(notice, item_count=len(items))
                if then is not None:
                    notice = then(notice, rows)
            return notice, True
        except _NoticeClash:
            # Either this form was filed already (return that notice) or the random
            # reference clashed (draw another).
            existing = Notice.objects.filter(submission_key=submission_key).first()
            if existing:
                return existing, False
    raise RuntimeError("Could not draw a unique notice reference.")


def _insert_filed(notice: Notice, items: list[ReportedItem], submission_key: uuid.UUID, now: datetime,
                  with_evidence: bool) -> list[NoticeItem]:
    """The notice, its listings, its kept files and its FILED event; the listings' rows."""
    try:
        notice.save()
    except IntegrityError as exc:
        raise _NoticeClash from exc
    rows = NoticeItem.objects.bulk_create([
        NoticeItem(notice=notice, position=position, reported=item.reported, reason=item.reason)
        for position, item in enumerate(items, start=1)
    ])
    evidence_count = 0
    if with_evidence:
        evidence_count = evidence.attach_kept(submission_key, notice)
    record_event(notice, EventKind.FILED, SUBMITTER, now, to_status=NoticeStatus.UNCONFIRMED,
                 details={"items": len(items), "evidence_files": evidence_count})
    return rows


def file_for_organisation(organisation: Organisation, api_key: ApiKey | None, fields: dict,
                          items: list[ReportedItem], submission_key: uuid.UUID, now: datetime,
                          with_evidence: bool = True) -> tuple[Notice, bool]:
    """A professional notifier's notice (issue 15: the API and the CSV upload), through the same steps as the
    form's. `fields` are Notice model fields, validated as the form validates them; the submitter's address must
    be at the organisation's domain (the caller checks it and names the field).

    Only a verified organisation is exempt from e-mail confirmation: its notice is confirmed in the filing
    transaction, so the misuse ladder (a suspended notifier's notice is refused), the trust ladder and routing
    apply exactly as to a confirmed form notice. Any other organisation's notice waits for its confirmation
    e-mail, as the form's does. Returns (notice, created) like file_notice; a repeated submission key returns
    the first notice (confirmed or refused as it was)."""
    fields = {**fields, "organisation": organisation, "api_key": api_key}
    if organisation.status != OrganisationStatus.VERIFIED:
        return file_notice(fields, items, submission_key, now, with_evidence=with_evidence)
    return file_notice(fields, items, submission_key, now, with_evidence=with_evidence, confirmation=False,
                       then=lambda notice, rows: _confirm_filed(notice, rows, now))


def _confirm_filed(notice: Notice, items: list[NoticeItem], now: datetime) -> Notice:
    """confirm_notice's steps for a notice filed in this transaction: nobody else can see it yet, so it is
    neither read again nor locked, and its listings' reasons and count are those in hand. The notice comes
    back with its listings and clocks as prefetched (`notice.items.all()`, `notice.clocks.all()`), so that
    the API's answer is built without reading them back."""
    if notifier_misuse.refuse_if_suspended(notice, now):
        return notice
    clock = _confirm(notice, [item.reason for item in items], len(items), now)
    _as_prefetched(notice, items=items, clocks=[clock])
    return notice


def _as_prefetched(notice: Notice, **related: list) -> None:
    """Rows in hand as the notice's prefetched related rows, as prefetch_related leaves them (a queryset
    whose results are those rows), so that `notice.items.all()` reads no row again."""
    cache = notice.__dict__.setdefault("_prefetched_objects_cache", {})
    for name, rows in related.items():
        queryset = getattr(notice, name).get_queryset()  # lazy: no query
        queryset._result_cache, queryset._prefetch_done = rows, True
        cache[name] = queryset


def _place_for_confirmation(notice: Notice, now: datetime) -> Notice | None:
    """In the filing transaction, before the notice is saved: its address's place for one more confirmation
    e-mail, held until commit (limits.confirmations_waiting). None: there is one; else the notice this
    form filed already (a resend, which is no new notice). Raises ConfirmationsWaiting."""
    refusal = limits.confirmations_waiting(notice.submitter_email, now)
    if refusal is None:
        return None
    filed = Notice.objects.filter(submission_key=notice.submission_key).first()
    if filed is None:
        raise ConfirmationsWaiting(refusal)
    return filed


def confirm_notice(notice: Notice, now: datetime) -> Notice:
    """The submitter followed the link in the confirmation e-mail. Confirming twice is harmless;
    confirming too late expires the notice (committed) and then refuses. A notifier whose notice
    handling is suspended (DSA Art. 23(2)) has the notice refused (status REFUSED, committed, with the
    reason and end date e-mailed): it is returned unrouted, and the caller shows why."""
    with transaction.atomic():
        notice = Notice.objects.select_for_update().get(pk=notice.pk)
        if notice.confirmed_at is not None or notice.status == NoticeStatus.REFUSED:
            return notice
        if notice.status == NoticeStatus.UNCONFIRMED and notice.expires_at <= now:
            change_status(notice, NoticeStatus.EXPIRED, kind=EventKind.EXPIRED, actor=SYSTEM, now=now,
                           closed_at=now)
        elif notice.status == NoticeStatus.UNCONFIRMED and notifier_misuse.refuse_if_suspended(notice, now):
            return notice
        elif notice.status == NoticeStatus.UNCONFIRMED:
            reasons = list(notice.items.values_list("reason", flat=True))
            _confirm(notice, reasons, len(reasons), now)
            return notice
    raise TransitionNotAllowed(_("This notice expired because it was not confirmed in time. Please file it again."))


def _confirm(notice: Notice, reasons: list[str], item_count: int, now: datetime) -> SlaClock:
    """Confirm the unconfirmed notice (its row locked, or filed in this transaction): the submitter's record
    and trust, the status, the acknowledgement clock (its due time written with the status, one UPDATE),
    the receipt e-mail and the routing task (their two dispatches in one INSERT). Returns the clock."""
    submitter = _submitter_for(notice.submitter_email, now)
    trust = submitter_trust(submitter, now)
    notice.trust = trust  # the clock's policy depends on it (a trusted flagger's deadlines)
    clock_events: list[Event] = []
    clock = clocks.start_clock(ClockKind.ACKNOWLEDGEMENT, notice, now, reasons=reasons, events=clock_events,
                               follow=False)
    change_status(notice, NoticeStatus.CONFIRMED, kind=EventKind.CONFIRMED, actor=SUBMITTER, now=now,
                  details={"trust": trust}, confirmed_at=now, submitter=submitter, trust=trust,
                  reason_mask=reason_mask(reasons), due_at=clock.due_at)
    save_events(clock_events)
    with dispatch.together():
        emails.notice_received(notice, item_count=item_count)
        dispatch.after_commit(dispatch.ROUTE_NOTICE, notice_id=notice.pk)
    return clock


def _submitter_for(email: str, now: datetime) -> Submitter:
    """The record of the confirmed address, with this notice counted in it: one statement (an upsert), so
    retention, which deletes a record no notice refers to (workflow/retention.py), cannot delete it between
    a read and the count."""
    table = connection.ops.quote_name(Submitter._meta.db_table)
    return next(iter(Submitter.objects.raw(
        f"INSERT INTO {table} (email, trusted_flagger, notices, removed_items, rejected_items, created_at) "
        f"VALUES (%s, %s, 1, 0, 0, %s) ON CONFLICT (email) DO UPDATE SET notices = {table}.notices + 1 "
        "RETURNING id, email, trusted_flagger, notices, removed_items, rejected_items, created_at",
        [email.lower(), False, connection.ops.adapt_datetimefield_value(now)])))


def expire_unconfirmed(now: datetime, limit: int = 500) -> int:
    """Expire notices whose confirmation window has passed. Returns how many it expired."""
    due = list(Notice.objects.filter(status=NoticeStatus.UNCONFIRMED, expires_at__lte=now)
               .order_by("expires_at").values_list("pk", flat=True)[:limit])
    expired = 0
    for notice in Notice.objects.filter(pk__in=due):
        try:
            with transaction.atomic():
                change_status(notice, NoticeStatus.EXPIRED, kind=EventKind.EXPIRED, actor=SYSTEM, now=now,
                               closed_at=now)
            expired += 1
        except TransitionNotAllowed:
            continue  # confirmed or expired by someone else meanwhile
    return expired


# --- The submitter's own actions. ---

def withdraw_notice(notice: Notice, now: datetime) -> Notice:
    with transaction.atomic():
        notice = Notice.objects.select_for_update().get(pk=notice.pk)
        open_items = notice.items.filter(state__in=[ItemState.NEW, ItemState.IN_REVIEW, ItemState.INFO_REQUESTED])
        positions = list(open_items.values_list("position", flat=True))
        was_assigned_to = notice.assigned_to_id if notice.status in OPEN_NOTICE_STATUSES else None
        change_status(notice, NoticeStatus.WITHDRAWN, kind=EventKind.WITHDRAWN, actor=SUBMITTER, now=now,
                       closed_at=now, details={"items_withdrawn": positions})
        open_items.update(state=ItemState.WITHDRAWN)
        clocks.stop_all(notice, now)
        release_load(was_assigned_to)
        emails.notice_withdrawn(notice)
    return notice
