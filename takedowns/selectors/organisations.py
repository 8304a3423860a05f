"""Read queries of organisations without a portal account (issue 15): the leads' list and page, and the private
page (timeline, e-mails, API keys, webhook endpoints and deliveries, the notices it filed). A fixed number of
queries per page: capped or keyset lists, prefetches, no loop over rows."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F

from takedowns.enums import OrganisationEventKind, OrganisationStatus
from takedowns.models import (
    ApiKey,
    Notice,
    Organisation,
    OrganisationEvent,
    OutboundEmail,
    WebhookDelivery,
    WebhookEndpoint,
)
from takedowns.selectors import webhooks
from takedowns.selectors.keyset import Keyset, Page

PENDING = Keyset(("confirmed_at", "id"), size=25)
OTHERS = Keyset(("-id",), size=25)
NOTICES = Keyset(("-id",), size=25)
DELIVERIES_SHOWN = 50


# --- The leads' verification. ---

def pending_organisations(cursor: str | None) -> Page:
    """Confirmed organisations waiting for a lead, oldest first (the index organisation_status_confirmed)."""
    return PENDING.page(Organisation.objects.filter(status=OrganisationStatus.PENDING), cursor)


def other_organisations(cursor: str | None) -> Page:
    """Every confirmed organisation not waiting (verified, rejected, suspended), newest first: where a lead finds
    one to suspend."""
    decided = [OrganisationStatus.VERIFIED, OrganisationStatus.REJECTED, OrganisationStatus.SUSPENDED]
    return OTHERS.page(Organisation.objects.filter(status__in=decided).select_related("verified_by"), cursor)


def organisation_by_reference(reference: str) -> Organisation | None:
    return Organisation.objects.select_related("verified_by").filter(reference=reference).first()


def same_domain(organisation: Organisation) -> list[Organisation]:
    """Other registrations of the organisation's domain, newest first (a lead sees them before verifying)."""
    return list(Organisation.objects.filter(domain=organisation.domain).exclude(pk=organisation.pk)
                .order_by("-id")[:10])


# --- The private page. ---

@dataclass(frozen=True)
class TimelineEntry:
    event: OrganisationEvent
    words: str


def event_words(event: OrganisationEvent) -> str:
    """A line under a timeline entry: which key or endpoint, the reasons of a rejection or suspension."""
    details = event.details or {}
    if event.kind in (OrganisationEventKind.REJECTED, OrganisationEventKind.SUSPENDED):
        return details.get("reasons", "")
    if event.kind == OrganisationEventKind.KEY_ROTATED:
        return f"{details.get('name', '')}: {details.get('prefix', '')}… → {details.get('new_prefix', '')}…"
    if "prefix" in details:
        return f"{details.get('name', '')}: {details['prefix']}…"
    return details.get("url", "")


@dataclass(frozen=True)
class KeyRow:
    key: ApiKey
    state: str  # key_state


@dataclass
class PrivatePage:
    events: list[TimelineEntry]
    emails: list[OutboundEmail]
    keys: list[KeyRow]
    endpoints: list[WebhookEndpoint]
    deliveries: list[WebhookDelivery]
    notices: Page


def api_keys(organisation: Organisation) -> list[ApiKey]:
    """Every key, live ones first, newest first (revoked ones stay listed: when a key stopped is history)."""
    return list(organisation.api_keys.order_by(F("revoked_at").desc(nulls_first=True), "-created_at", "-id"))


def endpoints(organisation: Organisation) -> list[WebhookEndpoint]:
    return list(organisation.webhook_endpoints.filter(removed_at__isnull=True).order_by("created_at", "id"))


def notices(organisation: Organisation, cursor: str | None) -> Page:
    """The notices the organisation filed (API, CSV), newest first, with their listing counts (index
    notice_organisation)."""
    return NOTICES.page(Notice.objects.filter(organisation=organisation).annotate(listings=Count("items")), cursor)


def private_page(organisation: Organisation, notices_cursor: str | None, now: datetime) -> PrivatePage:
    return PrivatePage(
        events=[TimelineEntry(event, event_words(event))
                for event in organisation.events.order_by("created_at", "id")],
        emails=list(organisation.emails.order_by("created_at", "id")),
        keys=[KeyRow(key, key_state(key, now)) for key in api_keys(organisation)],
        endpoints=endpoints(organisation),
        deliveries=webhooks.recent_deliveries(organisation, limit=DELIVERIES_SHOWN),
        notices=notices(organisation, notices_cursor),
    )


def key_state(key: ApiKey, now: datetime) -> str:
    """"live", "rotating" (still working until expires_at), "expired" or "revoked"."""
    if key.revoked_at is not None:
        return "revoked"
    if key.expires_at is not None:
        return "rotating" if key.expires_at > now else "expired"
    return "live"
