"""Thin Celery tasks: ids in, call the domain function with `now`. The domain asks for them after
commit by name (dispatch.py) and never imports this module: it is a leaf that imports the domain.

Every task retries a database error (a dropped connection: failover, a restart, a killed backend)
with back-off instead of dropping its work; the worker's task_prerun (portal/celery.py) closes the
broken connection before the next try. Tasks are idempotent, so a retry is safe."""

import logging
from typing import TypedDict

from celery import Task, shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from takedowns import dispatch, evidence, outbox, tdb_submission, webhooks, workflow
from takedowns.forms import uploads as upload_rows
from takedowns.marketplace import MarketplaceUnavailable
from takedowns.reports import clock_rollup, transparency
from takedowns.selectors import queue
from takedowns.workflow import (
    clocks,
    counter_notices,
    enforcement,
    listings,
    notifier_misuse,
    registry,
    retention,
    uploads,
)
from takedowns.workflow import organisations as organisation_steps

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)


class Retrying(TypedDict):
    autoretry_for: tuple[type[Exception], ...]
    retry_backoff: int
    retry_backoff_max: int
    retry_jitter: bool
    max_retries: int


# 5, 10, 20 … seconds, capped at five minutes: a database back after a failover is used at once.
RETRY_DATABASE = Retrying(autoretry_for=DATABASE_ERRORS, retry_backoff=5, retry_backoff_max=300, retry_jitter=True,
                          max_retries=30)
# Only an unreachable marketplace (or database) is retried; anything else is a bug.
RETRY_MARKETPLACE = Retrying(autoretry_for=(MarketplaceUnavailable, *DATABASE_ERRORS), retry_backoff=30,
                             retry_backoff_max=3600, retry_jitter=True, max_retries=50)
# Unsent mail is retried for about a day: 1, 2, 4 … minutes, capped at an hour between tries (the
# task's own retry, below; a database error is retried sooner). A sender is killed after
# outbox.SEND_TIME_LIMIT, well within the lease that protects its claim.
MAX_EMAIL_RETRIES = 30
RETRY_SENDING = Retrying(autoretry_for=DATABASE_ERRORS, retry_backoff=5, retry_backoff_max=300, retry_jitter=True,
                         max_retries=MAX_EMAIL_RETRIES)
# The beat's jobs: a few quick tries get past a dropped connection; in a longer outage their next
# scheduled run is the retry (more would pile up copies of the same job).
RETRY_PERIODIC = Retrying(autoretry_for=DATABASE_ERRORS, retry_backoff=5, retry_backoff_max=60, retry_jitter=True,
                          max_retries=3)


@shared_task(**RETRY_DATABASE)
def route_notice(*, notice_id: int) -> None:
    # With the other notices waiting, in one batch (issue 15): a burst's later messages find theirs routed.
    workflow.route_with_waiting(notice_id, now=timezone.now())


@shared_task(**RETRY_MARKETPLACE)
def enforce_removal(*, decision_id: int) -> None:
    enforcement.record_takedown(decision_id)


@shared_task(bind=True, time_limit=outbox.SEND_TIME_LIMIT, soft_time_limit=outbox.SEND_TIME_LIMIT - 5,
             **RETRY_SENDING)
def send_email(self: Task, *, email_id: int, sent: dict[str, str] | None = None) -> None:
    _deliver(self, [email_id], sent, single=True)


@shared_task(bind=True, time_limit=outbox.SEND_TIME_LIMIT, soft_time_limit=outbox.SEND_TIME_LIMIT - 5,
             **RETRY_SENDING)
def send_emails(self: Task, *, email_ids: list[int], sent: dict[str, str] | None = None) -> None:
    """E-mails written together (routing's two): one message and one task instead of one each.
    A retry carries only those that failed (and which of them only need recording as sent)."""
    _deliver(self, email_ids, sent, single=False)


def _deliver(task: Task, email_ids: list[int], sent: dict[str, str] | None, single: bool) -> None:
    result = outbox.deliver_all(email_ids, timezone.now(), sent)
    if not result.retry:
        return
    countdown = _database_retry_countdown(task.request.retries) if result.database \
        else _email_retry_countdown(task.request.retries)
    logger.info("e-mails %s: %s; retrying in %ss", result.retry, result.error, countdown)
    kwargs: dict[str, object] = {"email_id": result.retry[0]} if single else {"email_ids": result.retry}
    if result.sent:
        kwargs["sent"] = result.sent
    raise task.retry(exc=result.error, countdown=countdown, kwargs=kwargs)


def _email_retry_countdown(retries: int) -> int:
    return min(60 * 2 ** retries, 3600)


def _database_retry_countdown(retries: int) -> int:
    return min(5 * 2 ** retries, 300)


@shared_task(**RETRY_PERIODIC)
def relay_dispatches() -> int:
    return dispatch.relay(timezone.now())


@shared_task(**RETRY_PERIODIC)
def prune_dispatches() -> int:
    return dispatch.prune(timezone.now())


@shared_task(**RETRY_PERIODIC)
def sweep_unrouted() -> int:
    ids = workflow.unrouted_notice_ids(timezone.now())
    for notice_id in ids:
        route_notice.delay(notice_id=notice_id)
    return len(ids)


@shared_task(**RETRY_PERIODIC)
def close_undecidable_notices() -> int:
    return workflow.close_undecidable_notices(timezone.now())


@shared_task(**RETRY_PERIODIC)
def sweep_unsent_emails() -> int:
    ids = outbox.unsent_email_ids(timezone.now(), grace=outbox.LOST_MESSAGE_GRACE)
    for email_id in ids:
        send_email.delay(email_id=email_id)
    return len(ids)


@shared_task(**RETRY_PERIODIC)
def expire_unconfirmed() -> int:
    return workflow.expire_unconfirmed(timezone.now())


@shared_task(**RETRY_PERIODIC)
def expire_unconfirmed_rights() -> int:
    """Registrations of rights left unconfirmed past their window (workflow/registry.py)."""
    return registry.expire_unconfirmed(timezone.now())


@shared_task(**RETRY_PERIODIC)
def expire_information_requests() -> int:
    return workflow.expire_information_requests(timezone.now())


@shared_task(**RETRY_PERIODIC)
def process_sla_clocks() -> tuple[int, int]:
    return clocks.process_due(timezone.now())


@shared_task(**RETRY_MARKETPLACE)
def apply_penalty(*, penalty_id: int) -> None:
    enforcement.apply_penalty(penalty_id, timezone.now())


@shared_task(**RETRY_MARKETPLACE)
def sync_seller_account(*, seller_id: int) -> None:
    enforcement.sync_seller_account(seller_id, timezone.now())


@shared_task(**RETRY_MARKETPLACE)
def restore_listing(*, decision_id: int) -> None:
    enforcement.record_restore(decision_id)


@shared_task(**RETRY_MARKETPLACE)
def publish_listing(*, decision_id: int) -> None:
    enforcement.record_publish(decision_id)


@shared_task(**RETRY_MARKETPLACE)
def screen_listings(*, listing_ids: list[int], trigger: str) -> int:
    """A chunk of a burst import (issue 14): each listing still waiting is screened; the rest are done."""
    return listings.screen_pending(listing_ids, trigger, timezone.now())


@shared_task(**RETRY_PERIODIC)
def expire_strikes() -> int:
    return enforcement.expire_strikes(timezone.now())


@shared_task(**RETRY_PERIODIC)
def refresh_queue_counts() -> None:
    queue.count_open_notices(timezone.now())


@shared_task(**RETRY_PERIODIC)
def restore_counter_noticed_listings() -> int:
    return counter_notices.restore_due(timezone.now())


@shared_task(**RETRY_PERIODIC)
def refresh_transparency_reports() -> list[str]:
    return transparency.refresh_current_reports(timezone.now())


@shared_task(**RETRY_PERIODIC)
def refresh_clock_rollup() -> dict[str, int]:
    return clock_rollup.refresh(timezone.now())


@shared_task(**RETRY_PERIODIC)
def apply_retention() -> dict[str, int]:
    return retention.apply_retention(timezone.now())


@shared_task(**RETRY_PERIODIC)
def sweep_orphan_evidence() -> int:
    return evidence.sweep_orphans(timezone.now())


@shared_task(**RETRY_PERIODIC)
def raise_notifier_proposals() -> int:
    return len(notifier_misuse.raise_proposals(timezone.now()))


@shared_task(**RETRY_PERIODIC)
def submit_tdb_statements() -> dict[str, object]:
    """DSA Art. 24(5): pending statements of reasons to the Transparency Database (off while unconfigured)."""
    result = tdb_submission.submit_pending(timezone.now())
    return {"sent": result.sent, "already_sent": result.already_sent, "failed": result.failed,
            "enqueued": result.enqueued, "stopped": result.stopped}


# --- issue 15: organisations ---

@shared_task(**RETRY_PERIODIC)
def expire_unconfirmed_organisations() -> int:
    """Organisations' registrations left unconfirmed past their window (workflow/organisations.py)."""
    return organisation_steps.expire_unconfirmed(timezone.now())

# --- issue 15: webhooks ---

# A batch is posted one delivery after another (each claimed just before its POST, at most
# webhooks.TIMEOUT per network step); a task still at work after this is stopped, and the delivery it
# held is taken over by the sweep after webhooks.LEASE.
WEBHOOK_TIME_LIMIT = 300


@shared_task(time_limit=WEBHOOK_TIME_LIMIT + 30, soft_time_limit=WEBHOOK_TIME_LIMIT, **RETRY_DATABASE)
def deliver_webhooks(*, delivery_ids: list[int]) -> dict[str, int]:
    """Post a batch of one endpoint's deliveries. A failed POST is not a task retry: the delivery's own
    next_attempt_at (back-off for a day) is, found by sweep_webhooks."""
    return webhooks.deliver_batch(delivery_ids)


@shared_task(**RETRY_PERIODIC)
def sweep_webhooks() -> int:
    batches = webhooks.due_batches(timezone.now())
    for ids in batches:
        deliver_webhooks.delay(delivery_ids=ids)
    return sum(len(ids) for ids in batches)


# --- issue 15: CSV uploads (workflow/uploads.py; the row checks are the notice form's, forms/uploads.py) ---

@shared_task(**RETRY_DATABASE)
def check_upload(*, upload_id: int) -> None:
    uploads.check_upload(upload_id, timezone.now(), upload_rows.check_file)


@shared_task(**RETRY_DATABASE)
def file_upload(*, upload_id: int) -> None:
    uploads.file_upload(upload_id, timezone.now(), upload_rows.groups_of)


@shared_task(**RETRY_PERIODIC)
def resume_stalled_uploads() -> int:
    return uploads.resume_stalled(timezone.now())
