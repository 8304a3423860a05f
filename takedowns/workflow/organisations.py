"""Organisations that file without a portal account (issue 15, point 1): the one writer of Organisation,
OrganisationEvent, ApiKey and WebhookEndpoint rows.

    register ──► UNCONFIRMED ──confirm──► PENDING ──verify (a lead)──► VERIFIED ──suspend (a lead)──► SUSPENDED
                     │                      └──reject (a lead)──► REJECTED
                     └──expire (beat)──► EXPIRED

Confirming proves control of the e-mail domain: the confirmation goes to the contact address, which the form
requires to be at that domain. A lead then verifies the organisation; only one verified organisation per domain
(the constraint unique_verified_domain: a second is refused naming the first). A suspended organisation's keys
stop working at once (api_keys.find reads the status), its endpoints receive nothing new.

Each step, in one transaction: the status by a conditional UPDATE (two concurrent callers never both succeed),
an OrganisationEvent, and the contact's e-mail (OutboundEmail with organisation=it) in their language. Keys and
webhook secrets are returned once to the caller, to be shown once; only a key's SHA-256 is stored.
"""

import secrets
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from takedowns import api_keys, emails
from takedowns.enums import ApiScope, OrganisationEventKind, OrganisationStatus
from takedowns.models import ApiKey, Organisation, OrganisationEvent, WebhookEndpoint
from takedowns.workflow import registry
from takedowns.workflow.base import SUBMITTER, SYSTEM, Actor, TransitionNotAllowed
from takedowns.workflow.filing import random_code
from takedowns.workflow.registry import lead_actor

ORGANISATION_TRANSITIONS: dict[str, frozenset[str]] = {
    OrganisationStatus.UNCONFIRMED: frozenset({OrganisationStatus.PENDING, OrganisationStatus.EXPIRED}),
    OrganisationStatus.PENDING: frozenset({OrganisationStatus.VERIFIED, OrganisationStatus.REJECTED}),
    OrganisationStatus.VERIFIED: frozenset({OrganisationStatus.SUSPENDED}),
    OrganisationStatus.REJECTED: frozenset(),
    OrganisationStatus.SUSPENDED: frozenset(),
    OrganisationStatus.EXPIRED: frozenset(),
}
# Keys and endpoints are managed while the organisation may use them (api_keys.USABLE_STATUSES).
MANAGEABLE = frozenset(api_keys.USABLE_STATUSES)
# A rotated key, and a rotated webhook secret, keep working this long, so that a client switches without downtime.
ROTATION_GRACE = timedelta(hours=24)
# Enough for a vendor's environments (production, staging, one per tool) without becoming a key dump.
MAX_LIVE_KEYS = 20
MAX_ENDPOINTS = 10


def new_organisation_reference() -> str:
    """An organisation's reference such as O-7KQ4M2 (30 random bits; the database keeps it unique)."""
    return f"O-{random_code(6)}"


def _record(organisation: Organisation, kind: str, actor: Actor, now: datetime,
            details: dict | None = None) -> OrganisationEvent:
    return OrganisationEvent.objects.create(organisation=organisation, kind=kind, actor_kind=actor.kind,
                                            actor_user=actor.user, details=details or {}, created_at=now)


def _change_status(organisation: Organisation, to_status: str, *, kind: str, actor: Actor, now: datetime,
                   details: dict | None = None, **fields) -> OrganisationEvent:
    """Move the organisation to `to_status` if allowed and nobody changed it meanwhile, and record the event."""
    from_status = organisation.status
    if to_status not in ORGANISATION_TRANSITIONS[from_status]:
        raise TransitionNotAllowed(_("An organisation that is “%(from_status)s” cannot become “%(to_status)s”.") % {
            "from_status": OrganisationStatus(from_status).label, "to_status": OrganisationStatus(to_status).label})
    if not Organisation.objects.filter(pk=organisation.pk, status=from_status).update(status=to_status, **fields):
        raise TransitionNotAllowed(_("Organisation %(reference)s was changed meanwhile; reload and try again.") % {
            "reference": organisation.reference})
    organisation.status = to_status
    for name, value in fields.items():
        setattr(organisation, name, value)
    return _record(organisation, kind, actor, now, {"from": from_status, "to": to_status, **(details or {})})


def _locked(organisation: Organisation) -> Organisation:
    return Organisation.objects.select_for_update().get(pk=organisation.pk)


# --- Registering, confirming, verifying. ---

# The contact address has as many registrations waiting for confirmation as it may: none is made, no e-mail sent,
# so that nobody floods an address with our mail. The registry's refusal, whose words fit an organisation's too.
RegistrationsWaiting = registry.RegistrationsWaiting


def _check_waiting(email: str, now: datetime) -> None:
    waiting = Organisation.objects.filter(status=OrganisationStatus.UNCONFIRMED, contact_email__iexact=email,
                                          expires_at__gt=now).count()
    if waiting >= settings.RATE_LIMIT_PENDING_CONFIRMATIONS:
        raise RegistrationsWaiting(waiting, email)


class _Clash(Exception):
    """The organisation's INSERT broke a unique constraint (its submission key or reference)."""


def register(fields: dict, submission_key: uuid.UUID, now: datetime) -> tuple[Organisation, bool]:
    """Create an unconfirmed organisation and e-mail the confirmation link to its contact address (at its domain).
    `fields` are Organisation model fields from the form (name, domain, contact_name, contact_email, country, role,
    language). Returns (organisation, created); the same submission key again (a double click) returns the first.
    Raises RegistrationsWaiting when the address has RATE_LIMIT_PENDING_CONFIRMATIONS registrations unconfirmed."""
    if not api_keys.address_at_domain(fields["contact_email"], fields["domain"]):
        raise ValueError("The contact address must be at the organisation's domain (the form checks it).")
    organisation = Organisation(**fields, status=OrganisationStatus.UNCONFIRMED, submission_key=submission_key,
                                tracking_token=secrets.token_urlsafe(32), confirmation_token=secrets.token_urlsafe(32),
                                created_at=now, expires_at=now + timedelta(days=settings.NOTICE_CONFIRMATION_DAYS))
    for _attempt in range(5):
        organisation.reference = new_organisation_reference()
        try:
            with transaction.atomic():
                _check_waiting(organisation.contact_email, now)
                try:
                    organisation.save()
                except IntegrityError as exc:
                    raise _Clash from exc
                _record(organisation, OrganisationEventKind.REGISTERED, SUBMITTER, now,
                        {"to": OrganisationStatus.UNCONFIRMED, "domain": organisation.domain})
                emails.organisation_confirmation_request(organisation)
            return organisation, True
        except _Clash:
            existing = Organisation.objects.filter(submission_key=submission_key).first()
            if existing:
                return existing, False
            organisation.pk = None
    raise RuntimeError("Could not draw a unique organisation reference.")


def confirm(organisation: Organisation, now: datetime) -> Organisation:
    """The contact followed the link sent to the domain's address: the domain is proven and the organisation waits
    for a lead, who is e-mailed. Twice is harmless; too late expires it (committed) and then refuses."""
    with transaction.atomic():
        organisation = _locked(organisation)
        if organisation.status != OrganisationStatus.UNCONFIRMED:
            return organisation
        if organisation.expires_at <= now:
            _expire(organisation, now)
        else:
            _change_status(organisation, OrganisationStatus.PENDING, kind=OrganisationEventKind.CONFIRMED,
                           actor=SUBMITTER, now=now, confirmed_at=now)
            emails.organisation_received(organisation)
            emails.organisation_to_verify(organisation)
            return organisation
    raise TransitionNotAllowed(_("This registration expired because it was not confirmed in time. Please register "
                                 "the organisation again."))


def _expire(organisation: Organisation, now: datetime) -> None:
    _change_status(organisation, OrganisationStatus.EXPIRED, kind=OrganisationEventKind.EXPIRED, actor=SYSTEM,
                   now=now)
    emails.organisation_expired(organisation, now)


def verified_for_domain(domain: str) -> Organisation | None:
    return Organisation.objects.filter(status=OrganisationStatus.VERIFIED, domain=domain).first()


def verify(organisation: Organisation, lead: User, now: datetime) -> Organisation:
    """A lead found the organisation genuine: its notices skip e-mail confirmation from now on. Refused, naming
    the first, when another organisation of the same domain is verified already."""
    with transaction.atomic():
        organisation = _locked(organisation)
        try:
            with transaction.atomic():  # a savepoint: the refusal leaves the outer transaction usable
                _change_status(organisation, OrganisationStatus.VERIFIED, kind=OrganisationEventKind.VERIFIED,
                               actor=lead_actor(lead), now=now, verified_at=now, verified_by=lead,
                               rejection_reason="")
        except IntegrityError:
            organisation.status = OrganisationStatus.PENDING
            other = verified_for_domain(organisation.domain)
            raise TransitionNotAllowed(_(
                "The domain %(domain)s is verified already for %(other)s (%(reference)s): one verified organisation "
                "per domain. Reject this registration, or suspend the other first.") % {
                "domain": organisation.domain, "other": other.name if other else "?",
                "reference": other.reference if other else "?"}) from None
        emails.organisation_verified(organisation)
    return organisation


def reject(organisation: Organisation, lead: User, reasons: str, now: datetime) -> Organisation:
    """A lead found the registration wanting: its keys stop working; the reasons are e-mailed."""
    with transaction.atomic():
        organisation = _locked(organisation)
        _change_status(organisation, OrganisationStatus.REJECTED, kind=OrganisationEventKind.REJECTED,
                       actor=lead_actor(lead), now=now, details={"reasons": reasons}, rejection_reason=reasons)
        emails.organisation_rejected(organisation, now)
    return organisation


def suspend(organisation: Organisation, lead: User, reasons: str, now: datetime) -> Organisation:
    """A lead stopped a verified organisation (abuse, a lost contract): its keys stop working at once and its
    endpoints are switched off. Final: it registers again to be verified again."""
    with transaction.atomic():
        organisation = _locked(organisation)
        _change_status(organisation, OrganisationStatus.SUSPENDED, kind=OrganisationEventKind.SUSPENDED,
                       actor=lead_actor(lead), now=now, details={"reasons": reasons}, rejection_reason=reasons)
        WebhookEndpoint.objects.filter(organisation=organisation, is_active=True).update(is_active=False)
        emails.organisation_suspended(organisation, now)
    return organisation


def expire_unconfirmed(now: datetime, limit: int = 500) -> int:
    """Expire registrations whose confirmation window has passed (beat). Returns how many."""
    due = list(Organisation.objects.filter(status=OrganisationStatus.UNCONFIRMED, expires_at__lte=now)
               .order_by("expires_at").values_list("pk", flat=True)[:limit])
    expired = 0
    for organisation_id in due:
        with transaction.atomic():
            organisation = (Organisation.objects.select_for_update()
                            .filter(pk=organisation_id, status=OrganisationStatus.UNCONFIRMED).first())
            if organisation is None:
                continue  # confirmed meanwhile
            _expire(organisation, now)
            expired += 1
    return expired


# --- API keys: shown once, stored hashed. ---

def _check_manageable(organisation: Organisation) -> None:
    if organisation.status not in MANAGEABLE:
        raise TransitionNotAllowed(_("Organisation %(reference)s is “%(status)s”: its API keys and webhook endpoints "
                                     "can no longer be changed.") % {
            "reference": organisation.reference, "status": organisation.get_status_display()})


def _new_key_row(organisation: Organisation, name: str, scopes: list[str], now: datetime) -> tuple[ApiKey, str]:
    made = api_keys.make_key()
    row = ApiKey.objects.create(organisation=organisation, name=name, prefix=made.prefix, key_hash=made.key_hash,
                                scopes=[scope for scope in ApiScope.values if scope in scopes], created_at=now)
    return row, made.key


def create_key(organisation: Organisation, name: str, scopes: list[str], now: datetime) -> tuple[ApiKey, str]:
    """A new API key with `scopes` (ApiScope values): the row, and the key itself to show once."""
    if not scopes or not set(scopes) <= set(ApiScope.values):
        raise ValueError(f"Scopes must be some of {ApiScope.values}, not {scopes!r}.")
    with transaction.atomic():
        organisation = _locked(organisation)
        _check_manageable(organisation)
        live = ApiKey.objects.filter(organisation=organisation, revoked_at__isnull=True, expires_at__isnull=True)
        if live.count() >= MAX_LIVE_KEYS:
            raise TransitionNotAllowed(_("An organisation may have at most %(limit)s live API keys: revoke one you "
                                         "no longer use first.") % {"limit": MAX_LIVE_KEYS})
        row, key = _new_key_row(organisation, name, scopes, now)
        _record(organisation, OrganisationEventKind.KEY_CREATED, SUBMITTER, now,
                {"prefix": row.prefix, "name": name, "scopes": row.scopes})
    return row, key


def _locked_key(key: ApiKey) -> ApiKey:
    row = ApiKey.objects.select_for_update().select_related("organisation").get(pk=key.pk)
    if row.revoked_at is not None:
        raise TransitionNotAllowed(_("API key %(prefix)s… is revoked already.") % {"prefix": row.prefix})
    return row


def revoke_key(key: ApiKey, now: datetime) -> ApiKey:
    """The key stops working at once (also during a rotation's grace). Allowed in any status: revoking is safe."""
    with transaction.atomic():
        key = _locked_key(key)
        ApiKey.objects.filter(pk=key.pk).update(revoked_at=now)
        key.revoked_at = now
        _record(key.organisation, OrganisationEventKind.KEY_REVOKED, SUBMITTER, now,
                {"prefix": key.prefix, "name": key.name})
    return key


def rotate_key(key: ApiKey, now: datetime) -> tuple[ApiKey, str]:
    """A new key with the same name and scopes; the old one keeps working ROTATION_GRACE (its expires_at), so
    that the client switches without downtime. Returns the new row and the new key, to show once."""
    with transaction.atomic():
        key = _locked_key(key)
        _check_manageable(key.organisation)
        if key.expires_at is not None:
            raise TransitionNotAllowed(_("API key %(prefix)s… was rotated already: rotate its replacement.") % {
                "prefix": key.prefix})
        row, raw = _new_key_row(key.organisation, key.name, key.scopes, now)
        ApiKey.objects.filter(pk=key.pk).update(expires_at=now + ROTATION_GRACE, replaced_by=row)
        _record(key.organisation, OrganisationEventKind.KEY_ROTATED, SUBMITTER, now,
                {"prefix": key.prefix, "new_prefix": row.prefix, "name": key.name,
                 "old_key_until": (now + ROTATION_GRACE).isoformat()})
    return row, raw


# --- Webhook endpoints: the secret shown once. ---

def add_endpoint(organisation: Organisation, url: str, now: datetime) -> tuple[WebhookEndpoint, str]:
    """A new endpoint (the form checked the URL): the row, and its signing secret to show once."""
    with transaction.atomic():
        organisation = _locked(organisation)
        _check_manageable(organisation)
        if organisation.webhook_endpoints.filter(removed_at__isnull=True).count() >= MAX_ENDPOINTS:
            raise TransitionNotAllowed(_("An organisation may have at most %(limit)s webhook endpoints: remove one "
                                         "first.") % {"limit": MAX_ENDPOINTS})
        secret = secrets.token_urlsafe(32)
        endpoint = WebhookEndpoint.objects.create(organisation=organisation, url=url, secret=secret, created_at=now)
        _record(organisation, OrganisationEventKind.ENDPOINT_ADDED, SUBMITTER, now, {"url": url})
    return endpoint, secret


def _locked_endpoint(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    row = WebhookEndpoint.objects.select_for_update().select_related("organisation").get(pk=endpoint.pk)
    if row.removed_at is not None:
        raise TransitionNotAllowed(_("This webhook endpoint was removed already."))
    return row


def rotate_endpoint_secret(endpoint: WebhookEndpoint, now: datetime) -> tuple[WebhookEndpoint, str]:
    """A new signing secret; the previous one still signs for ROTATION_GRACE (deliveries carry both), so that the
    receiver switches without rejecting a delivery. Returns the row and the new secret, to show once."""
    with transaction.atomic():
        endpoint = _locked_endpoint(endpoint)
        _check_manageable(endpoint.organisation)
        secret = secrets.token_urlsafe(32)
        endpoint.previous_secret, endpoint.previous_secret_expires_at = endpoint.secret, now + ROTATION_GRACE
        endpoint.secret = secret
        endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
        _record(endpoint.organisation, OrganisationEventKind.ENDPOINT_SECRET_ROTATED, SUBMITTER, now,
                {"url": endpoint.url, "previous_until": endpoint.previous_secret_expires_at.isoformat()})
    return endpoint, secret


def remove_endpoint(endpoint: WebhookEndpoint, now: datetime) -> WebhookEndpoint:
    """No new deliveries to it (its row stays: the deliveries it had are still listed)."""
    with transaction.atomic():
        endpoint = _locked_endpoint(endpoint)
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False, removed_at=now, previous_secret="",
                                                              previous_secret_expires_at=None)
        endpoint.is_active, endpoint.removed_at = False, now
        _record(endpoint.organisation, OrganisationEventKind.ENDPOINT_REMOVED, SUBMITTER, now, {"url": endpoint.url})
    return endpoint


def add_known_key(organisation: Organisation, name: str, scopes: list[str], key: str, now: datetime) -> ApiKey:
    """A key whose raw value the caller chose: only the demo's seeding (settings.DEMO_API_KEY, so that the README's
    curl example works against `make run`). Every real key is drawn by create_key."""
    prefix = api_keys.prefix_of(key)
    if prefix is None or not settings.DEMO_MODE:
        raise ValueError("A chosen key is for the demo only, shaped like api_keys.make_key's.")
    with transaction.atomic():
        row = ApiKey.objects.create(organisation=organisation, name=name, prefix=prefix,
                                    key_hash=api_keys.hash_key(key), scopes=scopes, created_at=now)
        _record(organisation, OrganisationEventKind.KEY_CREATED, SYSTEM, now,
                {"prefix": row.prefix, "name": name, "scopes": scopes})
    return row
