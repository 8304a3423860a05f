"""The e-mail outbox: the only writer of OutboundEmail rows and of their sending state.

emails.py renders a message into a row; `store` writes the rows in the caller's transaction and
asks for one send task after commit, so no e-mail goes out for a change that rolled back and
none is lost when the worker is down (the beat's sweep finds rows whose task never came).
`deliver` sends one row over SMTP from that task.
"""

import logging
import smtplib
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q

from takedowns import dispatch
from takedowns.enums import EmailStatus
from takedowns.models import OutboundEmail

logger = logging.getLogger(__name__)

# Longer than the SMTP timeout and the task's hard time limit: a claim this old was abandoned.
SEND_LEASE = timedelta(minutes=10)


class TransientMailError(Exception):
    """Sending failed in a way that may succeed later (connection lost, 4xx reply)."""


def store(messages: list[OutboundEmail]) -> list[OutboundEmail]:
    """Store the e-mails in one INSERT and, after commit, send them from one task."""
    messages = OutboundEmail.objects.bulk_create(messages)
    ids = [message.pk for message in messages]
    if len(ids) == 1:
        dispatch.after_commit(dispatch.SEND_EMAIL, email_id=ids[0])
    elif ids:
        dispatch.after_commit(dispatch.SEND_EMAILS, email_ids=ids)
    return messages


def deliver(email_id: int, now: datetime) -> None:
    """Send one queued e-mail. Raises TransientMailError when a retry may succeed.

    The row is claimed first with a conditional update, so of two copies of the same send
    message (a redelivery, the sweep) only one sends; a claim older than SEND_LEASE belongs to
    a sender that died and may be taken over.
    """
    claimable = Q(status=EmailStatus.QUEUED) | Q(status=EmailStatus.SENDING, claimed_at__lt=now - SEND_LEASE)
    claimed = OutboundEmail.objects.filter(claimable, pk=email_id).update(
        status=EmailStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return
    email = OutboundEmail.objects.get(pk=email_id)
    message = EmailMultiAlternatives(email.subject, email.body_text, settings.DEFAULT_FROM_EMAIL, [email.to])
    message.attach_alternative(email.body_html, "text/html")
    try:
        message.send()
    except smtplib.SMTPResponseException as exc:
        _failed(email, f"{exc.smtp_code} {exc.smtp_error!r}", permanent=exc.smtp_code >= 500)
    except smtplib.SMTPRecipientsRefused as exc:
        _failed(email, f"recipient refused: {exc.recipients!r}", permanent=True)
    except (smtplib.SMTPException, OSError) as exc:
        # Connection refused or dropped, timeouts, DNS: all worth another try.
        _failed(email, repr(exc), permanent=False)
    else:
        OutboundEmail.objects.filter(pk=email.pk).update(status=EmailStatus.SENT, sent_at=now, last_error="")


def _failed(email: OutboundEmail, error: str, permanent: bool) -> None:
    OutboundEmail.objects.filter(pk=email.pk).update(
        last_error=error, status=EmailStatus.FAILED if permanent else EmailStatus.QUEUED)
    if permanent:
        logger.error("e-mail %s to %s failed for good: %s", email.pk, email.to, error)
        return
    raise TransientMailError(error)


def unsent_email_ids(now: datetime, grace: timedelta, limit: int = 500) -> list[int]:
    """E-mails whose send message was lost: queued and never tried after the grace period, or
    claimed by a sender that died. Tried ones are in their own task's retry schedule."""
    lost = (Q(status=EmailStatus.QUEUED, attempts=0, created_at__lte=now - grace)
            | Q(status=EmailStatus.SENDING, claimed_at__lt=now - SEND_LEASE))
    return list(OutboundEmail.objects.filter(lost).order_by("created_at").values_list("pk", flat=True)[:limit])
