"""Thin Celery tasks: ids in, call the domain function with `now`. The domain asks for them after
commit by name (dispatch.py) and never imports this module: it is a leaf that imports the domain."""

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from takedowns import evidence, outbox, workflow
from takedowns.marketplace import MarketplaceUnavailable
from takedowns.reports import clock_rollup, transparency
from takedowns.selectors import queue
from takedowns.workflow import clocks, counter_notices, enforcement

logger = logging.getLogger(__name__)

# Unsent mail is retried for about a day: 1, 2, 4 … minutes, capped at an hour between tries.
MAX_EMAIL_RETRIES = 30


@shared_task
def route_notice(*, notice_id: int) -> None:
    workflow.route_notice(notice_id, now=timezone.now())


@shared_task(autoretry_for=(MarketplaceUnavailable,), retry_backoff=30, retry_backoff_max=3600,
             retry_jitter=True, max_retries=50)
def enforce_removal(*, decision_id: int) -> None:
    # Only an unreachable marketplace is retried (with exponential back-off); anything else is a bug.
    enforcement.record_takedown(decision_id)


@shared_task(bind=True, max_retries=MAX_EMAIL_RETRIES)
def send_email(self, *, email_id: int) -> None:
    try:
        outbox.deliver(email_id, now=timezone.now())
    except outbox.TransientMailError as exc:
        countdown = _email_retry_countdown(self.request.retries)
        logger.info("e-mail %s: transient failure (%s); retrying in %ss", email_id, exc, countdown)
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task(bind=True, max_retries=MAX_EMAIL_RETRIES)
def send_emails(self, *, email_ids: list[int]) -> None:
    """E-mails written together (routing's two): one message and one task instead of one each.
    A retry carries only those that failed transiently."""
    failed, error = [], None
    for email_id in email_ids:
        try:
            outbox.deliver(email_id, now=timezone.now())
        except outbox.TransientMailError as exc:
            failed.append(email_id)
            error = exc
    if failed:
        countdown = _email_retry_countdown(self.request.retries)
        logger.info("e-mails %s: transient failure (%s); retrying in %ss", failed, error, countdown)
        raise self.retry(exc=error, countdown=countdown, kwargs={"email_ids": failed})


def _email_retry_countdown(retries: int) -> int:
    return min(60 * 2 ** retries, 3600)


@shared_task
def sweep_unrouted() -> int:
    ids = workflow.unrouted_notice_ids(timezone.now())
    for notice_id in ids:
        route_notice.delay(notice_id=notice_id)
    return len(ids)


@shared_task
def sweep_unsent_emails() -> int:
    ids = outbox.unsent_email_ids(timezone.now(), grace=timedelta(minutes=10))
    for email_id in ids:
        send_email.delay(email_id=email_id)
    return len(ids)


@shared_task
def expire_unconfirmed() -> int:
    return workflow.expire_unconfirmed(timezone.now())


@shared_task
def expire_information_requests() -> int:
    return workflow.expire_information_requests(timezone.now())


@shared_task
def process_sla_clocks() -> tuple[int, int]:
    return clocks.process_due(timezone.now())


@shared_task(autoretry_for=(MarketplaceUnavailable,), retry_backoff=30, retry_backoff_max=3600,
             retry_jitter=True, max_retries=50)
def apply_penalty(*, penalty_id: int) -> None:
    enforcement.apply_penalty(penalty_id, timezone.now())


@shared_task(autoretry_for=(MarketplaceUnavailable,), retry_backoff=30, retry_backoff_max=3600,
             retry_jitter=True, max_retries=50)
def sync_seller_account(*, seller_id: int) -> None:
    enforcement.sync_seller_account(seller_id, timezone.now())


@shared_task(autoretry_for=(MarketplaceUnavailable,), retry_backoff=30, retry_backoff_max=3600,
             retry_jitter=True, max_retries=50)
def restore_listing(*, decision_id: int) -> None:
    enforcement.record_restore(decision_id)


@shared_task
def expire_strikes() -> int:
    return enforcement.expire_strikes(timezone.now())


@shared_task
def refresh_queue_counts() -> None:
    queue.count_open_notices(timezone.now())


@shared_task
def restore_counter_noticed_listings() -> int:
    return counter_notices.restore_due(timezone.now())


@shared_task
def refresh_transparency_reports() -> list[str]:
    return transparency.refresh_current_reports(timezone.now())


@shared_task
def refresh_clock_rollup() -> dict[str, int]:
    return clock_rollup.refresh(timezone.now())


@shared_task
def sweep_orphan_evidence() -> int:
    return evidence.sweep_orphans(timezone.now())
