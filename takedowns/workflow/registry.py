"""The rights registry: a right registered once by its holder, without an account (issue 14). The one
writer of Right.status and of RightEvent rows.

    register ──► UNCONFIRMED ──confirm──► PENDING ──verify (a lead)──► VERIFIED ──withdraw──► WITHDRAWN
                     │                      ├──reject (a lead)──► REJECTED
                     └──expire (beat)──► EXPIRED                 └──withdraw──► WITHDRAWN

Each step, in one transaction: the status by a conditional UPDATE (two concurrent callers never both
succeed), a RightEvent, and the registrant's e-mail (OutboundEmail with right=the right) in the language
they registered in. Only VERIFIED rights are the protection list that screening reads: verifying, and
changing the protection details while verified, call screening.protection.right_verified; withdrawing
a verified right calls right_withdrawn.
"""

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from takedowns import emails, evidence
from takedowns.enums import ActorKind, RightEventKind, RightStatus
from takedowns.models import ProtectedTerm, Right, RightEvent, Seller
from takedowns.screening import protection
from takedowns.screening.text import normalise
from takedowns.workflow.base import SUBMITTER, SYSTEM, Actor, TransitionNotAllowed
from takedowns.workflow.filing import random_code

RIGHT_TRANSITIONS: dict[str, frozenset[str]] = {
    RightStatus.UNCONFIRMED: frozenset({RightStatus.PENDING, RightStatus.EXPIRED, RightStatus.WITHDRAWN}),
    RightStatus.PENDING: frozenset({RightStatus.VERIFIED, RightStatus.REJECTED, RightStatus.WITHDRAWN}),
    RightStatus.VERIFIED: frozenset({RightStatus.WITHDRAWN}),
    RightStatus.REJECTED: frozenset(),
    RightStatus.WITHDRAWN: frozenset(),
    RightStatus.EXPIRED: frozenset(),
}
# The holder may change the protection details while the registration is alive.
CHANGEABLE = frozenset({RightStatus.UNCONFIRMED, RightStatus.PENDING, RightStatus.VERIFIED})


def lead_actor(user: User) -> Actor:
    return Actor(ActorKind.REVIEWER, user)


def new_right_reference() -> str:
    """A registration's reference such as R-7KQ4M2 (30 random bits; the database keeps it unique)."""
    return f"R-{random_code(6)}"


@dataclass(frozen=True)
class Protection:
    """What screening reads of a right, as the holder gives it on the form or the private page."""
    terms: list[str]
    sellers: list[Seller]
    price_min: Decimal | None
    price_max: Decimal | None
    currency: str
    # (kind, upload, content type) of pictures added on the private page; the form's are kept under its key.
    pictures: list[tuple[str, UploadedFile, str]] = field(default_factory=list)


def _terms(right: Right, terms: list[str]) -> list[ProtectedTerm]:
    """One row per normalised form (the form has refused terms too short or generic)."""
    rows: dict[str, ProtectedTerm] = {}
    for term in terms:
        normalised = normalise(term)
        if normalised and normalised not in rows:
            rows[normalised] = ProtectedTerm(right=right, term=term.strip(), normalised=normalised[:100])
    return list(rows.values())


def _record(right: Right, kind: str, actor: Actor, now: datetime, details: dict | None = None) -> RightEvent:
    return RightEvent.objects.create(right=right, kind=kind, actor_kind=actor.kind, actor_user=actor.user,
                                     details=details or {}, created_at=now)


def _change_status(right: Right, to_status: str, *, kind: str, actor: Actor, now: datetime,
                   details: dict | None = None, **fields) -> RightEvent:
    """Move the right to `to_status` if allowed and nobody changed it meanwhile, and record the event."""
    from_status = right.status
    if to_status not in RIGHT_TRANSITIONS[from_status]:
        raise TransitionNotAllowed(_("A registration that is “%(from_status)s” cannot become “%(to_status)s”.") % {
            "from_status": RightStatus(from_status).label, "to_status": RightStatus(to_status).label})
    if not Right.objects.filter(pk=right.pk, status=from_status).update(status=to_status, **fields):
        raise TransitionNotAllowed(_("Registration %(reference)s was changed meanwhile; reload and try again.") % {
            "reference": right.reference})
    right.status = to_status
    for name, value in fields.items():
        setattr(right, name, value)
    return _record(right, kind, actor, now, {"from": from_status, "to": to_status, **(details or {})})


class RegistrationsWaiting(Exception):
    """The address has as many registrations waiting for confirmation as it may: none is made, no e-mail sent
    (as limits.confirmations_waiting holds for notices), so that nobody floods an address with our mail."""

    def __init__(self, count: int, email: str) -> None:
        super().__init__(ngettext(
            "%(count)s registration made with %(email)s is waiting for its confirmation, so we send this address "
            "no more confirmation e-mails until it is confirmed (follow the link in the e-mail we sent) or expires.",
            "%(count)s registrations made with %(email)s are waiting for their confirmation, so we send this address "
            "no more confirmation e-mails until one of them is confirmed (follow the link in the e-mail we sent) or "
            "expires.", count) % {"count": count, "email": email})


def _check_waiting(email: str, now: datetime) -> None:
    waiting = Right.objects.filter(status=RightStatus.UNCONFIRMED, registrant_email__iexact=email,
                                   expires_at__gt=now).count()
    if waiting >= settings.RATE_LIMIT_PENDING_CONFIRMATIONS:
        raise RegistrationsWaiting(waiting, email)


class _RightClash(Exception):
    """The right's INSERT broke a unique constraint (its submission key or reference)."""


def register(fields: dict, protection_details: Protection, submission_key: uuid.UUID,
             now: datetime) -> tuple[Right, bool]:
    """Create an unconfirmed registration, its terms and authorised sellers, attach the files kept under
    the form's key, and e-mail the confirmation link. `fields` are Right model fields from the form.
    Returns (right, created); the same submission key again (a double click) returns the first right. Raises
    RegistrationsWaiting when the address has RATE_LIMIT_PENDING_CONFIRMATIONS registrations unconfirmed."""
    right = Right(**fields, status=RightStatus.UNCONFIRMED, submission_key=submission_key,
                  price_min=protection_details.price_min, price_max=protection_details.price_max,
                  currency=protection_details.currency,
                  tracking_token=secrets.token_urlsafe(32), confirmation_token=secrets.token_urlsafe(32),
                  created_at=now, expires_at=now + timedelta(days=settings.NOTICE_CONFIRMATION_DAYS))
    for _attempt in range(5):
        right.reference = new_right_reference()
        try:
            with transaction.atomic():
                _check_waiting(right.registrant_email, now)
                try:
                    right.save()
                except IntegrityError as exc:
                    raise _RightClash from exc
                ProtectedTerm.objects.bulk_create(_terms(right, protection_details.terms))
                right.authorised_sellers.set(protection_details.sellers)
                files = evidence.attach_kept_to_right(submission_key, right)
                _record(right, RightEventKind.REGISTERED, SUBMITTER, now, {
                    "to": RightStatus.UNCONFIRMED, "terms": len(protection_details.terms),
                    "authorised_sellers": [seller.external_id for seller in protection_details.sellers],
                    "files": files})
                emails.right_confirmation_request(right)
            return right, True
        except _RightClash:
            existing = Right.objects.filter(submission_key=submission_key).first()
            if existing:
                return existing, False
            right.pk = None
    raise RuntimeError("Could not draw a unique registration reference.")


def confirm(right: Right, now: datetime) -> Right:
    """The registrant followed the link in the confirmation e-mail: the registration waits for a lead,
    who is e-mailed. Twice is harmless; too late expires it (committed) and then refuses."""
    with transaction.atomic():
        right = Right.objects.select_for_update().get(pk=right.pk)
        if right.status != RightStatus.UNCONFIRMED:
            return right
        if right.expires_at is not None and right.expires_at <= now:
            _expire(right, now)
        else:
            _change_status(right, RightStatus.PENDING, kind=RightEventKind.CONFIRMED, actor=SUBMITTER, now=now,
                           confirmed_at=now)
            emails.right_received(right)
            emails.right_to_verify(right)
            return right
    raise TransitionNotAllowed(_("This registration expired because it was not confirmed in time. Please "
                                 "register the right again."))


def _expire(right: Right, now: datetime) -> None:
    _change_status(right, RightStatus.EXPIRED, kind=RightEventKind.EXPIRED, actor=SYSTEM, now=now)
    emails.right_expired(right, now)


def verify(right: Right, user: User, now: datetime) -> Right:
    """A lead found the registration genuine: the right joins the protection list. Refused when another
    registration of the same right (type, office, number) is verified already."""
    with transaction.atomic():
        right = Right.objects.select_for_update().get(pk=right.pk)
        try:
            with transaction.atomic():  # a savepoint: the refusal leaves the outer transaction usable
                _change_status(right, RightStatus.VERIFIED, kind=RightEventKind.VERIFIED, actor=lead_actor(user),
                               now=now, verified_at=now, verified_by=user, rejection_reason="")
        except IntegrityError:
            right.status = RightStatus.PENDING
            other = (Right.objects.filter(status=RightStatus.VERIFIED, right_type=right.right_type, office=right.office,
                                          registration_number=right.registration_number)
                     .values_list("reference", flat=True).first())
            raise TransitionNotAllowed(_(
                "%(right)s is verified already (registration %(other)s): one verified registration per right. "
                "Reject this one, or have the other withdrawn first.") % {
                "right": str(right), "other": other or _("entered by staff")}) from None
        emails.right_verified(right)
        protection.right_verified(right, now)
    return right


def reject(right: Right, user: User, reasons: str, now: datetime) -> Right:
    """A lead found the registration wanting: it stays off the protection list; the reasons are e-mailed."""
    with transaction.atomic():
        right = Right.objects.select_for_update().get(pk=right.pk)
        _change_status(right, RightStatus.REJECTED, kind=RightEventKind.REJECTED, actor=lead_actor(user), now=now,
                       details={"reasons": reasons}, rejection_reason=reasons)
        emails.right_rejected(right, now)
    return right


def withdraw(right: Right, now: datetime) -> Right:
    """The holder withdrew the registration from its private page; a verified right leaves the list."""
    with transaction.atomic():
        right = Right.objects.select_for_update().get(pk=right.pk)
        was_verified = right.status == RightStatus.VERIFIED
        _change_status(right, RightStatus.WITHDRAWN, kind=RightEventKind.WITHDRAWN, actor=SUBMITTER, now=now)
        emails.right_withdrawn(right, now)
        if was_verified:
            protection.right_withdrawn(right, now)
    return right


def update_protection(right: Right, details: Protection, now: datetime) -> Right:
    """The holder changed the brand terms, authorised sellers or price range, or added pictures, from the
    private page. A CHANGED event says what; a verified right is handed to screening again."""
    with transaction.atomic():
        right = Right.objects.select_for_update().get(pk=right.pk)
        if right.status not in CHANGEABLE:
            raise TransitionNotAllowed(_("A registration that is “%(status)s” can no longer be changed.") % {
                "status": right.get_status_display()})
        changes: dict = {}
        before_terms = dict(right.terms.values_list("normalised", "term"))
        rows = {row.normalised: row for row in _terms(right, details.terms)}
        if rows.keys() != before_terms.keys():
            right.terms.exclude(normalised__in=list(rows)).delete()
            ProtectedTerm.objects.bulk_create([row for key, row in rows.items() if key not in before_terms])
            # The terms as the holder typed them (one per normalised form).
            changes["terms_added"] = sorted(row.term for key, row in rows.items() if key not in before_terms)
            changes["terms_removed"] = sorted(term for key, term in before_terms.items() if key not in rows)
        before_sellers = set(right.authorised_sellers.values_list("external_id", flat=True))
        after_sellers = {seller.external_id for seller in details.sellers}
        if after_sellers != before_sellers:
            right.authorised_sellers.set(details.sellers)
            changes["sellers_added"] = sorted(after_sellers - before_sellers)
            changes["sellers_removed"] = sorted(before_sellers - after_sellers)
        price = (details.price_min, details.price_max, details.currency)
        if price != (right.price_min, right.price_max, right.currency):
            changes["price"] = [str(details.price_min or ""), str(details.price_max or ""), details.currency]
            right.price_min, right.price_max, right.currency = price
            right.save(update_fields=["price_min", "price_max", "currency"])
        if details.pictures:
            key = right.submission_key or uuid.uuid4()
            stored = [evidence.store(key, kind, upload, content_type, right=right)
                      for kind, upload, content_type in details.pictures]
            changes["pictures_added"] = [picture.original_name for picture in stored]
        if not changes:
            return right
        _record(right, RightEventKind.CHANGED, SUBMITTER, now, changes)
        emails.right_changed(right, changes, now)
        if right.status == RightStatus.VERIFIED:
            protection.right_verified(right, now)
    return right


def expire_unconfirmed(now: datetime, limit: int = 500) -> int:
    """Expire registrations whose confirmation window has passed (beat). Returns how many."""
    due = list(Right.objects.filter(status=RightStatus.UNCONFIRMED, expires_at__lte=now)
               .order_by("expires_at").values_list("pk", flat=True)[:limit])
    expired = 0
    for right_id in due:
        with transaction.atomic():
            right = Right.objects.select_for_update().filter(pk=right_id, status=RightStatus.UNCONFIRMED).first()
            if right is None:
                continue  # confirmed or withdrawn meanwhile
            _expire(right, now)
            expired += 1
    return expired
