"""Webhooks of professional notifiers (issue 15): every change of an organisation's notices and listings, as a
signed, timestamped HTTP POST to each of its endpoints, delivered at least once with an event id to de-duplicate.

Recording. `record` runs inside the transaction that writes the case's events (workflow/base.save_events): the
events of one call that concern one notice become one WebhookEvent (a routing step of a 10,000-listing notice
is a few rows, not 10,000: its listing changes are split in chunks of CHUNK), with one WebhookDelivery per
active endpoint of the notice's organisation, and one delivery task is asked for after commit (dispatch), so
no change is reported that rolled back and none is lost when the broker or the worker is down. A notice
without an organisation costs nothing: not one query.

What is reported (REPORTED_NOTICE_KINDS, REPORTED_LISTING_KINDS): what the submitter's tracking page shows of
the notice's status and of each listing's state — filing, confirmation, routing, the listings' resolution,
decisions (with the reason code and its text, and the reviewer's note to the submitter), information asked for,
answered or expired, takedowns carried out, counter-notices found complete, lawsuits reported, appeals on
listings, reopening, resubmissions, restores, withdrawal and closing. Not reported: the reviewers' handling
(claims, hand-backs, reassignments, escalations and their notes), the SLA clocks, the seller's account (strikes,
penalties and their appeals) and counter-notices still being checked — none of which the tracking page shows.

Delivering. `deliver_batch` (the DELIVER_WEBHOOKS task) posts each delivery of a batch to its endpoint with
urllib (stdlib; TIMEOUT seconds, no redirect followed, no proxy): each delivery is claimed with a conditional
UPDATE (committed) before its POST, every attempt is a WebhookAttempt row, a 2xx reply delivers it, anything
else schedules the next try with exponential back-off and jitter (`backoff`) until a day has passed (FAILED).
A claim whose worker died is taken over after LEASE. The beat's `due_batches` finds due retries and lost
tasks (each handed out once a REDISPATCH_AFTER: a backlog is not queued again at every sweep). One
endpoint's failure defers the rest of its batch to the same retry (a dead receiver costs one timeout per
round, not one per event), and its first success afterwards brings its backlog forward, so a receiver that
comes back gets what it missed within a sweep.
"""

import hashlib
import hmac
import json
import logging
import random
import time
import urllib.error
import urllib.request
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import cast

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from takedowns import dispatch
from takedowns.enums import EventKind, WebhookDeliveryStatus
from takedowns.models import (
    Event,
    Notice,
    NoticeItem,
    ReasonCode,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

logger = logging.getLogger(__name__)

# Notice-level events that change what the tracking page says of the notice (its status, or a step of it).
REPORTED_NOTICE_KINDS = frozenset({
    EventKind.FILED, EventKind.CONFIRMED, EventKind.ROUTED, EventKind.WITHDRAWN, EventKind.EXPIRED,
    EventKind.REFUSED, EventKind.CLOSED, EventKind.NOTHING_TO_DECIDE, EventKind.AWAITING_SUBMITTER,
    EventKind.INFO_ANSWERED, EventKind.BACK_IN_REVIEW, EventKind.INFO_EXPIRED, EventKind.REOPENED,
})
# Listing-level events (Event.item set). An appeal event without a listing is a penalty's: the seller's account.
REPORTED_LISTING_KINDS = frozenset({
    EventKind.ITEM_RESOLVED, EventKind.ITEM_DECIDED, EventKind.INFO_REQUESTED, EventKind.INFO_ANSWERED,
    EventKind.INFO_EXPIRED, EventKind.LISTING_REMOVED, EventKind.COUNTER_NOTICE_ACCEPTED,
    EventKind.LAWSUIT_REPORTED, EventKind.LISTING_RESTORED, EventKind.APPEAL_FILED, EventKind.APPEAL_DECIDED,
    EventKind.REOPENED, EventKind.RESUBMITTED, EventKind.WITHDRAWN,
})
# The only words of an event's details a receiver gets (the rest may name reviewers or hold internal notes).
REPORTED_DETAILS: dict[str, tuple[str, ...]] = {
    EventKind.ITEM_DECIDED: ("outcome", "note"),
    EventKind.APPEAL_DECIDED: ("outcome",),
    EventKind.WITHDRAWN: ("items_withdrawn",),
}
NOTICE_STATUS_CHANGED = "notice.status_changed"
LISTING_STATE_CHANGED = "listing.state_changed"
PING = "ping"
# Listing changes per WebhookEvent: a bigger step is several events ("part" and "parts" in the payload).
CHUNK = 500

# One POST may take this long (connect, and each read); a slow receiver must not hold a worker longer.
TIMEOUT = 10
# A claim older than this belongs to a worker that died mid-POST: the sweep hands it to another.
LEASE = timedelta(seconds=TIMEOUT * 3)
# Retried for this long after the event, then given up (FAILED).
GIVE_UP_AFTER = timedelta(hours=24)
# Seconds before the next try after the n-th failed attempt (then an hour each), ± JITTER of it.
BACKOFF = (10, 30, 60, 120, 300, 600, 1200, 1800)
BACKOFF_MAX = 3600
JITTER = 0.2
# A new delivery's own task has this long to claim it before the sweep asks for another.
FIRST_TRY_GRACE = timedelta(seconds=15)
# A waiting delivery the sweep handed to a task is not handed out again for this long (its task may be
# queued behind others); after it, the task counts as lost and the delivery is handed out again.
REDISPATCH_AFTER = timedelta(seconds=60)
# Deliveries per task: of one endpoint each, so one receiver's timeouts never delay another's deliveries.
BATCH = 50
# What an attempt keeps of a reply's body or of an error.
KEEP_CHARS = 500


# --- Recording (in the change's transaction) ---

def record(events: Sequence[Event]) -> None:
    """The webhooks of these events, written in the caller's transaction (see the module docstring)."""
    # The notice is the in-memory one the step changed: a case without an organisation costs no query.
    ours = [event for event in events if event.notice.organisation_id is not None and _reported(event)]
    if not ours:
        return
    endpoints = _active_endpoints({cast(int, event.notice.organisation_id) for event in ours})
    ours = [event for event in ours if event.notice.organisation_id in endpoints]
    if not ours:
        return
    rows = WebhookEvent.objects.bulk_create(_webhook_events(ours))
    now = rows[0].created_at
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(event=row, endpoint_id=endpoint_id, next_attempt_at=now, created_at=now)
        for row in rows for endpoint_id in endpoints[row.organisation_id])
    _ask_for_delivery(deliveries)


def _reported(event: Event) -> bool:
    return event.kind in (REPORTED_LISTING_KINDS if event.item_id else REPORTED_NOTICE_KINDS)


def _active_endpoints(organisation_ids: set[int]) -> dict[int, list[int]]:
    endpoints: defaultdict[int, list[int]] = defaultdict(list)
    for pk, organisation_id in (WebhookEndpoint.objects.filter(organisation_id__in=organisation_ids, is_active=True)
                                .order_by("pk").values_list("pk", "organisation_id")):
        endpoints[organisation_id].append(pk)
    return endpoints


def _webhook_events(events: list[Event]) -> Iterator[WebhookEvent]:
    """One WebhookEvent per notice (per CHUNK of its changes), its notice-level changes in the first part."""
    listings = _listings([event.item_id for event in events if event.item_id])
    reasons = _reason_codes([event.details.get("reason_code") for event in events
                             if event.kind == EventKind.ITEM_DECIDED])
    by_notice: defaultdict[int, list[Event]] = defaultdict(list)
    for event in events:
        by_notice[event.notice_id].append(event)
    for group in by_notice.values():
        group.sort(key=lambda event: event.item_id is not None)
        notice = group[0].notice
        parts = [group[start:start + CHUNK] for start in range(0, len(group), CHUNK)]
        for number, part in enumerate(parts, start=1):
            kind = LISTING_STATE_CHANGED if all(event.item_id for event in part) else NOTICE_STATUS_CHANGED
            changes = [_change(event, listings, reasons) for event in part]
            yield _webhook_event(notice, kind, part[-1].created_at, changes, source_id=part[-1].pk,
                                 part=(number, len(parts)) if len(parts) > 1 else None)


def _webhook_event(notice: Notice | None, kind: str, created_at: datetime, changes: list[dict], *,
                   source_id: int | None = None, organisation_id: int | None = None,
                   part: tuple[int, int] | None = None) -> WebhookEvent:
    event_id = uuid.uuid4()
    payload: dict[str, object] = {"id": str(event_id), "type": kind, "created_at": created_at.isoformat()}
    if notice is not None:
        payload["notice"] = {"reference": notice.reference, "status": notice.status,
                             "url": f"{settings.SITE_URL}/api/v1/notices/{notice.reference}"}
    payload["changes"] = changes
    if part is not None:
        payload["part"], payload["parts"] = part
    owner = organisation_id or cast(int, cast(Notice, notice).organisation_id)
    return WebhookEvent(event_id=event_id, organisation_id=owner,
                        notice=notice, source_id=source_id, kind=kind, payload=payload, created_at=created_at)


def _change(event: Event, listings: dict[int, dict], reasons: dict[str, dict]) -> dict:
    change: dict[str, object] = {"event": event.kind, "at": event.created_at.isoformat(),
                                 "from": event.from_status or None, "to": event.to_status or None}
    if event.item_id:
        change["listing"] = listings.get(event.item_id)
    for key in REPORTED_DETAILS.get(event.kind, ()):
        if key in event.details:
            change[key] = event.details[key]
    code = event.details.get("reason_code") if event.kind == EventKind.ITEM_DECIDED else None
    if code:
        change["reason_code"] = reasons.get(code, {"code": code})
    return change


def _listings(item_ids: list[int]) -> dict[int, dict]:
    """The listing each change is about, as the submitter reported it and as the marketplace knows it."""
    if not item_ids:
        return {}
    rows = NoticeItem.objects.filter(pk__in=item_ids).values_list("pk", "position", "reported",
                                                                    "listing__external_id")
    return {pk: {"position": position, "reported": reported, "listing_id": external_id}
            for pk, position, reported, external_id in rows}


def _reason_codes(codes: list[str | None]) -> dict[str, dict]:
    wanted = {code for code in codes if code}
    if not wanted:
        return {}
    return {code: {"code": code, "title": title, "text": text} for code, title, text in
            ReasonCode.objects.filter(code__in=wanted).values_list("code", "title", "submitter_text")}


def _ask_for_delivery(deliveries: list[WebhookDelivery]) -> None:
    """One task per endpoint (in batches of BATCH), so one receiver's timeouts never delay another's."""
    by_endpoint: defaultdict[int, list[int]] = defaultdict(list)
    for delivery in deliveries:
        by_endpoint[delivery.endpoint_id].append(delivery.pk)
    for ids in by_endpoint.values():
        for start in range(0, len(ids), BATCH):
            dispatch.after_commit(dispatch.DELIVER_WEBHOOKS, delivery_ids=ids[start:start + BATCH])


def send_test_event(endpoint: WebhookEndpoint, now: datetime) -> WebhookEvent:
    """A "ping" to one endpoint (the private page's "send a test event"), delivered like any other event."""
    ping = _webhook_event(None, PING, now, [], organisation_id=endpoint.organisation_id)
    ping.save()
    delivery = WebhookDelivery.objects.create(event=ping, endpoint=endpoint, next_attempt_at=now, created_at=now)
    _ask_for_delivery([delivery])
    return ping


# --- Signing ---

def signature(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    """`v1=<hex HMAC-SHA256 of "<event id>.<timestamp>.<body>">` with the endpoint's secret."""
    signed = f"{event_id}.{timestamp}.".encode() + body
    return "v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(endpoint: WebhookEndpoint, event_id: str, timestamp: int, body: bytes, now: datetime) -> str:
    """The current secret's signature, then (space-separated) the previous one's while a rotation is in its
    grace, so a receiver that still has the old secret keeps accepting deliveries."""
    signatures = [signature(endpoint.secret, event_id, timestamp, body)]
    if endpoint.previous_secret and endpoint.previous_secret_expires_at and endpoint.previous_secret_expires_at > now:
        signatures.append(signature(endpoint.previous_secret, event_id, timestamp, body))
    return " ".join(signatures)


def body_of(event: WebhookEvent) -> bytes:
    return json.dumps(event.payload, separators=(",", ":"), ensure_ascii=False).encode()


# --- Delivering (from the DELIVER_WEBHOOKS task and the beat's sweep) ---

def backoff(attempts: int, rng: random.Random | None = None) -> timedelta:
    """How long after the `attempts`-th failed attempt the next one is due: BACKOFF, then an hour, ± JITTER
    (receivers that all failed at once are not all retried in the same second)."""
    base = BACKOFF[attempts - 1] if 0 < attempts <= len(BACKOFF) else BACKOFF_MAX
    spread = (rng or random).uniform(-JITTER, JITTER)
    return timedelta(seconds=base * (1 + spread))


@dataclass(frozen=True)
class Outcome:
    """What one POST gave: the reply's status code (None when none came), the error, how long it took."""
    status_code: int | None
    error: str
    duration_ms: int
    # When the next try is due (set once the attempt is recorded; None when delivered or given up).
    retry_at: datetime | None = None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer like any other non-2xx: never followed (it could point anywhere)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


# No proxy from the environment: a delivery goes straight to the endpoint's address.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects())


def post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST the body and report the outcome; never raises for what the network or the receiver does."""
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    started = time.monotonic()
    try:
        with _OPENER.open(request, timeout=TIMEOUT) as reply:
            reply.read(KEEP_CHARS)
            return Outcome(reply.status, "", _since(started))
    except urllib.error.HTTPError as exc:  # a reply, but not 2xx (a redirect included)
        text = exc.read(KEEP_CHARS).decode("utf-8", "replace") if exc.fp else ""
        return Outcome(exc.code, f"HTTP {exc.code}: {text}"[:KEEP_CHARS], _since(started))
    except (TimeoutError, urllib.error.URLError, OSError, ValueError) as exc:  # refused, DNS, timeout, reset
        reason = getattr(exc, "reason", exc)
        return Outcome(None, repr(reason)[:KEEP_CHARS], _since(started))


def _since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def deliver(delivery_id: int, now: datetime) -> Outcome | None:
    """Claim, post and record one delivery; None when it is not due, done, or held by another worker.
    Called outside any transaction: the claim is committed before the receiver is contacted."""
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return None
    event, endpoint = delivery.event, delivery.endpoint
    if not endpoint.is_active:  # removed since: its URL may no longer be the organisation's
        WebhookDelivery.objects.filter(pk=delivery.pk, claimed_at=now).update(
            status=WebhookDeliveryStatus.FAILED, claimed_at=None, last_error="not sent: the endpoint was removed")
        return None
    body = body_of(event)
    timestamp = int(now.timestamp())
    outcome = post(endpoint.url, body, {
        "Content-Type": "application/json",
        "User-Agent": "TakedownPortal-Webhooks/1",
        "Webhook-Id": str(event.event_id),
        "Webhook-Timestamp": str(timestamp),
        "Webhook-Signature": signature_header(endpoint, str(event.event_id), timestamp, body, now),
    })
    return replace(outcome, retry_at=_record_outcome(delivery, outcome, now))


def _claim(delivery_id: int, now: datetime) -> WebhookDelivery | None:
    """Record the attempt (a conditional UPDATE) and return the delivery, or None. A claim older than LEASE
    was abandoned by a worker that died mid-POST: it is taken over (the receiver may get it twice: at least
    once, de-duplicated by Webhook-Id)."""
    rows = WebhookDelivery.objects.filter(pk=delivery_id)
    due = Q(status=WebhookDeliveryStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=WebhookDeliveryStatus.DELIVERING, claimed_at__lt=now - LEASE)
    if not rows.filter(due).update(status=WebhookDeliveryStatus.DELIVERING, claimed_at=now,
                                   attempts=F("attempts") + 1):
        return None
    return rows.select_related("event", "endpoint").get()


def _record_outcome(delivery: WebhookDelivery, outcome: Outcome, now: datetime) -> datetime | None:
    """Write the attempt and the delivery's new state; return when the next try is due (None: no more)."""
    WebhookAttempt.objects.create(delivery=delivery, started_at=now, duration_ms=outcome.duration_ms,
                                  status_code=outcome.status_code, error=outcome.error)
    mine = WebhookDelivery.objects.filter(pk=delivery.pk, status=WebhookDeliveryStatus.DELIVERING,
                                          claimed_at=now)
    if outcome.delivered:
        mine.update(status=WebhookDeliveryStatus.DELIVERED, delivered_at=now, claimed_at=None,
                    last_status_code=outcome.status_code, last_error="")
        _bring_backlog_forward(delivery.endpoint_id, now)
        return None
    next_attempt_at = now + backoff(delivery.attempts)
    gave_up = next_attempt_at > delivery.created_at + GIVE_UP_AFTER
    mine.update(status=WebhookDeliveryStatus.FAILED if gave_up else WebhookDeliveryStatus.PENDING,
                next_attempt_at=next_attempt_at, claimed_at=None, last_status_code=outcome.status_code,
                last_error=outcome.error)
    if gave_up:
        logger.warning("webhook delivery %s to %s given up after %s attempts: %s", delivery.pk,
                       delivery.endpoint.url, delivery.attempts, outcome.error)
        return None
    return next_attempt_at


def _bring_backlog_forward(endpoint_id: int, now: datetime) -> None:
    """The receiver answers again: what it missed while it was down is due now, not at its back-off's end."""
    WebhookDelivery.objects.filter(endpoint_id=endpoint_id, status=WebhookDeliveryStatus.PENDING,
                                   attempts__gt=0, next_attempt_at__gt=now).update(next_attempt_at=now,
                                                                                   claimed_at=None)


def deliver_batch(delivery_ids: Sequence[int], now: datetime | None = None) -> dict[str, int]:
    """Deliver a batch (of one endpoint, as `_ask_for_delivery` and `due_batches` make them), each at its
    own time (`now` only in tests). After a failure the endpoint's other deliveries in the batch wait for
    the same retry, unattempted: a dead receiver costs one timeout per round, not one per event.
    Returns counts: delivered, failed (attempted, not delivered), deferred, skipped (not due, or done)."""
    counts = {"delivered": 0, "failed": 0, "deferred": 0, "skipped": 0}
    endpoints = dict(WebhookDelivery.objects.filter(pk__in=delivery_ids).values_list("pk", "endpoint_id"))
    down: dict[int, datetime] = {}
    for delivery_id in delivery_ids:
        endpoint_id = endpoints.get(delivery_id)
        if endpoint_id is None:  # deleted with its endpoint
            counts["skipped"] += 1
            continue
        if endpoint_id in down:
            counts["deferred"] += _defer(delivery_id, down[endpoint_id])
            continue
        outcome = deliver(delivery_id, now or timezone.now())
        if outcome is None:
            counts["skipped"] += 1
        elif outcome.delivered:
            counts["delivered"] += 1
        else:
            counts["failed"] += 1
            down[endpoint_id] = outcome.retry_at or timezone.now()
    return counts


def _defer(delivery_id: int, until: datetime) -> int:
    """Leave a delivery to its endpoint's next round (or give it up, when that is past its day)."""
    rows = WebhookDelivery.objects.filter(pk=delivery_id, status=WebhookDeliveryStatus.PENDING,
                                          next_attempt_at__lt=until)
    if rows.filter(created_at__lt=until - GIVE_UP_AFTER).update(
            status=WebhookDeliveryStatus.FAILED, last_error="given up: the endpoint did not answer for a day"):
        return 1
    return rows.update(next_attempt_at=until, claimed_at=None)


def due_batches(now: datetime, limit: int = 2000) -> list[list[int]]:
    """The beat's sweep: deliveries due for a retry, new ones whose task never came (after
    FIRST_TRY_GRACE) and claims whose worker died (LEASE), oldest first, in batches of one endpoint.
    A waiting delivery handed to a task is stamped (claimed_at, while PENDING: "handed out at") and not
    handed out again for REDISPATCH_AFTER, so a backlog behind a busy queue is not queued twice a sweep."""
    not_handed = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - REDISPATCH_AFTER)
    waiting = Q(status=WebhookDeliveryStatus.PENDING, next_attempt_at__lte=now) & not_handed & (
        Q(attempts__gt=0) | Q(created_at__lte=now - FIRST_TRY_GRACE))
    abandoned = Q(status=WebhookDeliveryStatus.DELIVERING, claimed_at__lt=now - LEASE)
    with transaction.atomic():
        rows = list(WebhookDelivery.objects.select_for_update(skip_locked=True).filter(waiting | abandoned)
                    .order_by("next_attempt_at", "pk").values_list("pk", "endpoint_id", "status")[:limit])
        WebhookDelivery.objects.filter(pk__in=[pk for pk, _, status in rows
                                               if status == WebhookDeliveryStatus.PENDING]).update(claimed_at=now)
    by_endpoint: defaultdict[int, list[int]] = defaultdict(list)
    for pk, endpoint_id, _ in rows:
        by_endpoint[endpoint_id].append(pk)
    return [ids[start:start + BATCH] for ids in by_endpoint.values() for start in range(0, len(ids), BATCH)]
