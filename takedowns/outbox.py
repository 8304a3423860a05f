"""The e-mail outbox: the only writer of OutboundEmail rows and of their sending state.

emails.py renders a message into a row; `store` writes the rows in the caller's transaction and
asks for one send task after commit, so no e-mail goes out for a change that rolled back and
none is lost when the worker is down (the beat's sweep finds rows whose task never came).
`deliver` sends one row over SMTP from that task.

Each e-mail is delivered once, also when a database connection drops or a worker is killed:
- the attempt is recorded and committed (the claim: status "sending", attempts + 1) before the
  SMTP server is contacted, and the outcome is recorded after;
- when SMTP accepted the e-mail but the database could not record it, `deliver` raises
  DeliveredUnrecorded and the task's retry only records it (`record_sent`), never sends again;
- a claim whose outcome never came (its worker was killed mid-attempt) is not resent while its
  SEND_LEASE runs: after it, the sweep resends it, counted in `takeovers`, with the same
  Message-ID (stored on the row when it was written), so the receiving side can recognise a
  second copy. That resend is the one case of a possible second delivery, and it is counted.
"""

import logging
import smtplib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import DatabaseError, InterfaceError
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce

from takedowns import dispatch
from takedowns.enums import EmailStatus
from takedowns.models import OutboundEmail

logger = logging.getLogger(__name__)

# The send tasks' hard time limit (tasks.py): a sender still at work after this is killed.
SEND_TIME_LIMIT = 45
# Longer than that limit, so a claim this old belongs to a sender that is gone (killed, or its
# worker died) and may be taken over; short, so its e-mail goes out about a minute later.
SEND_LEASE = timedelta(seconds=SEND_TIME_LIMIT + 15)
# A row still queued and never tried this long after it was written lost its send message (the
# broker lost it, or a killed worker held it unacknowledged): the sweep (every 30 s) sends it, so it
# goes out within 90 s. A row merely waiting behind a long queue may get a second send message;
# the claim in `deliver` makes that one do nothing.
LOST_MESSAGE_GRACE = timedelta(seconds=60)


class TransientMailError(Exception):
    """Sending failed in a way that may succeed later (connection lost, 4xx reply)."""


class DeliveredUnrecorded(Exception):
    """The SMTP server accepted the e-mail but the database refused to record it (a dropped
    connection): the retry must record it (`record_sent`) and not send it again."""

    def __init__(self, email_id: int, sent_at: datetime):
        super().__init__(f"e-mail {email_id} was sent at {sent_at.isoformat()} but not recorded as sent")
        self.email_id = email_id
        self.sent_at = sent_at


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
    """Send one queued e-mail. Raises TransientMailError when a retry may succeed, and
    DeliveredUnrecorded when it went out but the database did not record that.

    Called outside any transaction: the claim must be committed before the SMTP server is
    contacted. Of two copies of the same send message (a redelivery, the sweep) only one claims
    the row and sends."""
    email = _claim(email_id, now)
    if email is None:
        return
    # Content-Language: the recipient's language the message was written in (emails._render).
    headers = {"Content-Language": email.language or settings.LANGUAGE_CODE}
    if email.message_id:
        headers["Message-ID"] = email.message_id
    message = EmailMultiAlternatives(email.subject, email.body_text, settings.DEFAULT_FROM_EMAIL, [email.to],
                                     headers=headers)
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
        try:
            record_sent(email.pk, now)
        except (DatabaseError, InterfaceError) as exc:
            raise DeliveredUnrecorded(email.pk, now) from exc


def _claim(email_id: int, now: datetime) -> OutboundEmail | None:
    """Record the attempt (a conditional UPDATE, committed) and return the row, or None when another
    sender holds it or it is done. A claim older than SEND_LEASE is taken over: its outcome is
    unknown, so the takeover is counted and logged."""
    rows = OutboundEmail.objects.filter(pk=email_id)
    if rows.filter(status=EmailStatus.QUEUED).update(
            status=EmailStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1):
        return rows.get()
    if not rows.filter(status=EmailStatus.SENDING, claimed_at__lt=now - SEND_LEASE).update(
            claimed_at=now, attempts=F("attempts") + 1, takeovers=F("takeovers") + 1,
            last_error="the previous attempt's outcome is unknown (its sender was lost); sent again"):
        return None
    email = rows.get()
    logger.warning("e-mail %s to %s: attempt %s after a lost sender, with the same Message-ID %s",
                   email.pk, email.to, email.attempts, email.message_id)
    return email


@dataclass
class Deliveries:
    """What a send task has to try again: the ids in `retry` (transient SMTP failures, database
    errors), of which those in `sent` went out and only need recording (id → when, ISO 8601)."""
    retry: list[int] = field(default_factory=list)
    sent: dict[str, str] = field(default_factory=dict)
    error: Exception | None = None
    # A database error among them: worth a retry within seconds, not the SMTP back-off.
    database: bool = False


def deliver_all(email_ids: list[int], now: datetime, sent: dict[str, str] | None = None) -> Deliveries:
    """Send each e-mail, or only record those in `sent` (a retry after DeliveredUnrecorded). One
    e-mail's failure does not stop the others; what failed is returned for the task's retry."""
    result = Deliveries()
    for email_id in email_ids:
        try:
            if sent and str(email_id) in sent:
                record_sent(email_id, datetime.fromisoformat(sent[str(email_id)]))
            else:
                deliver(email_id, now)
        except TransientMailError as exc:
            result.retry.append(email_id)
            result.error = exc
        except DeliveredUnrecorded as exc:
            result.retry.append(email_id)
            result.sent[str(email_id)] = exc.sent_at.isoformat()
            result.error, result.database = exc, True
        except (DatabaseError, InterfaceError) as exc:  # a dropped connection, before SMTP or in a record
            if sent and str(email_id) in sent:
                result.sent[str(email_id)] = sent[str(email_id)]
            result.retry.append(email_id)
            result.error, result.database = exc, True
    return result


def record_sent(email_id: int, sent_at: datetime) -> None:
    """Record that the SMTP server accepted the e-mail (idempotent: only a row still being sent)."""
    OutboundEmail.objects.filter(pk=email_id, status=EmailStatus.SENDING).update(
        status=EmailStatus.SENT, sent_at=sent_at, last_error="")


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


def delivery_counts() -> dict[str, int]:
    """What an operator (or the fault bench) counts: e-mails by sending state, SMTP attempts in all,
    and takeovers (attempts after a lost sender: the only possible second deliveries)."""
    by_status = {status.value: Count("id", filter=Q(status=status)) for status in EmailStatus}
    return OutboundEmail.objects.aggregate(**by_status, attempts=Coalesce(Sum("attempts"), 0),
                                           takeovers=Coalesce(Sum("takeovers"), 0))
