"""What an organisation's private page shows of its webhooks (issue 15): the last deliveries, each with its
event and every attempt (when, how long, the receiver's answer or the error)."""

from django.db.models import Prefetch

from takedowns.models import Organisation, WebhookAttempt, WebhookDelivery


def recent_deliveries(organisation: Organisation, limit: int = 50) -> list[WebhookDelivery]:
    """The organisation's last `limit` deliveries, newest first, with event, endpoint and attempts (oldest
    attempt first): three queries, however many attempts."""
    return list(WebhookDelivery.objects.filter(endpoint__organisation=organisation)
                .select_related("event", "endpoint")
                .prefetch_related(Prefetch("attempt_rows",
                                           queryset=WebhookAttempt.objects.order_by("started_at", "id")))
                .order_by("-created_at", "-id")[:limit])
