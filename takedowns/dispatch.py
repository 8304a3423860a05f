"""The domain's one way to ask for work after commit: it names a task, it never imports tasks.py.

A workflow function that needs a side effect (send these e-mails, route this notice, take this
listing down) calls `after_commit(TASK, id=...)` inside its transaction. That writes a TaskDispatch
row in the same transaction (an outbox of task dispatches): nothing is asked for a change that
rolls back, and nothing is lost for one that commits. Right after commit the same process publishes
the task and marks the row published; if the broker is down that fails within a second, is logged
and never reaches the user (the change is saved), and the relay (a beat task, `relay`) publishes
the row once the broker is back. The beat's sweeps (unrouted notices, unsent e-mails) stay as the
safety net behind both. Publishing is at least once: every task is idempotent.

The names below are the whole contract with tasks.py, which stays a leaf; a test checks that
each one is a registered task.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from celery import current_app
from django.db import connection, transaction
from django.db.models import Count, F, Min, Q
from django.utils import timezone

from takedowns.models import TaskDispatch

logger = logging.getLogger(__name__)

ROUTE_NOTICE = "takedowns.tasks.route_notice"
ENFORCE_REMOVAL = "takedowns.tasks.enforce_removal"
SEND_EMAIL = "takedowns.tasks.send_email"
SEND_EMAILS = "takedowns.tasks.send_emails"
APPLY_PENALTY = "takedowns.tasks.apply_penalty"
SYNC_SELLER_ACCOUNT = "takedowns.tasks.sync_seller_account"
RESTORE_LISTING = "takedowns.tasks.restore_listing"
# Issue 14: a burst of listings (a seller's catalogue) screened in the worker (workflow/listings.py).
SCREEN_LISTINGS = "takedowns.tasks.screen_listings"
# A listing screening held goes live once a reviewer rejected the hold (issue 14).
PUBLISH_LISTING = "takedowns.tasks.publish_listing"

# Issue 15: a batch of webhook deliveries (of one endpoint) posted by the worker (webhooks.py).
DELIVER_WEBHOOKS = "takedowns.tasks.deliver_webhooks"
# Issue 15: a CSV upload checked row by row, then filed as notices, in the worker (workflow/uploads.py).
CHECK_UPLOAD = "takedowns.tasks.check_upload"
FILE_UPLOAD = "takedowns.tasks.file_upload"

TASKS = (ROUTE_NOTICE, ENFORCE_REMOVAL, SEND_EMAIL, SEND_EMAILS, APPLY_PENALTY, SYNC_SELLER_ACCOUNT,
         RESTORE_LISTING, SCREEN_LISTINGS, PUBLISH_LISTING, DELIVER_WEBHOOKS, CHECK_UPLOAD, FILE_UPLOAD)

# The relay leaves a row this long to the process that wrote it: that one publishes right after
# commit (in milliseconds, or it gives up within about a second when the broker is down). A row
# still unpublished after this was not published by its writer (broker down, process killed).
RELAY_GRACE = timedelta(seconds=10)
RELAY_BATCH = 500
# Published rows are kept this long (to count and to trace), then pruned by beat.
KEEP_PUBLISHED = timedelta(days=1)


# The dispatches a `together()` block is collecting (None outside one).
_collecting: ContextVar[list[tuple[str, dict[str, object]]] | None] = ContextVar("dispatch_collecting", default=None)


def after_commit(task: str, **kwargs: object) -> None:
    """Record that `task` must run with these keyword arguments (JSON values), in the caller's
    transaction, and publish it once that commits. Inside `together()` the row is written at the
    block's end, with the block's others."""
    if task not in TASKS:
        raise ValueError(f"{task!r} is not a task the domain may ask for (dispatch.TASKS)")
    collecting = _collecting.get()
    if collecting is not None:
        collecting.append((task, kwargs))
        return
    pk = _insert(task, kwargs, timezone.now())
    # robust: whatever happens after commit is logged, never raised to the user, whose change is saved.
    transaction.on_commit(lambda: _publish_recorded(pk, task, kwargs), robust=True)


@contextmanager
def together() -> Iterator[None]:
    """The dispatches asked for in this block (inside the caller's transaction) written in one INSERT
    at its end, still in that transaction, and marked published after commit in one UPDATE: the same
    outbox, two round trips fewer for a step that asks for two tasks (a confirmed notice: its receipt
    e-mail and its routing). A block that raises writes nothing (its transaction rolls back)."""
    if _collecting.get() is not None:  # already inside one: the outer block writes them
        yield
        return
    collected: list[tuple[str, dict[str, object]]] = []
    token = _collecting.set(collected)
    try:
        yield
    finally:
        _collecting.reset(token)
    if len(collected) == 1:
        after_commit(collected[0][0], **collected[0][1])
    elif collected:
        pks = _insert_many(collected, timezone.now())
        published: list[int] = []
        # One callback a task, as after_commit registers, the last one marking those published in one UPDATE.
        for number, (pk, (task, kwargs)) in enumerate(zip(pks, collected, strict=True), start=1):
            transaction.on_commit(partial(_publish_one_of, pk, task, kwargs, published, last=number == len(pks)),
                                  robust=True)


def _publish_recorded(pk: int, task: str, kwargs: dict[str, object]) -> None:
    try:
        _publish(task, kwargs)
    except Exception as exc:  # the broker is down (or refused it): the relay publishes the row later
        logger.warning("task %s (dispatch %s) not published, left for the relay: %r", task, pk, exc)
        _record_failure(pk, exc)
        return
    _mark_published(pk, timezone.now())


# The two statements every request that asks for a task runs, in plain SQL that PostgreSQL and SQLite
# (3.35+) both run: through the ORM (create(), update()) they cost a notice POST about a tenth of its
# CPU, four times what the statements themselves cost.

def _insert(task: str, kwargs: dict[str, object], now: datetime) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {_table()} (task, kwargs, created_at, attempts, last_error) "
                       "VALUES (%s, %s, %s, 0, '') RETURNING id",
                       [task, connection.ops.adapt_json_value(kwargs, None),
                        connection.ops.adapt_datetimefield_value(now)])
        return cursor.fetchone()[0]


def _publish_one_of(pk: int, task: str, kwargs: dict[str, object], published: list[int], last: bool) -> None:
    """Publish one row of a `together()` block (a failure recorded and left for the relay, as
    _publish_recorded does); the block's last marks every row published so far in one UPDATE."""
    try:
        _publish(task, kwargs)
    except Exception as exc:  # the broker is down (or refused it): the relay publishes the row later
        logger.warning("task %s (dispatch %s) not published, left for the relay: %r", task, pk, exc)
        _record_failure(pk, exc)
    else:
        published.append(pk)
    if last and published:
        TaskDispatch.objects.filter(pk__in=published, published_at=None).update(
            published_at=timezone.now(), attempts=F("attempts") + 1)


def _insert_many(rows: list[tuple[str, dict[str, object]]], now: datetime) -> list[int]:
    """The rows in one INSERT; their ids in the order given (PostgreSQL and SQLite return the rows of
    a VALUES list in its order, as Django's bulk_create relies on too)."""
    when = connection.ops.adapt_datetimefield_value(now)
    values = ", ".join(["(%s, %s, %s, 0, '')"] * len(rows))
    params: list[Any] = []
    for task, kwargs in rows:
        params += [task, connection.ops.adapt_json_value(kwargs, None), when]
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {_table()} (task, kwargs, created_at, attempts, last_error) "
                       f"VALUES {values} RETURNING id", params)
        return [row[0] for row in cursor.fetchall()]


def _mark_published(pk: int, now: datetime) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {_table()} SET published_at = %s, attempts = attempts + 1 "
                       "WHERE id = %s AND published_at IS NULL",
                       [connection.ops.adapt_datetimefield_value(now), pk])


def _table() -> str:
    return connection.ops.quote_name(TaskDispatch._meta.db_table)



def _publish(task: str, kwargs: dict[str, object]) -> None:
    # Through the registry (apps.py imports tasks.py in every process), so that task_always_eager
    # runs the task in-process in tests. How long a publish may take when the broker is down is
    # set in portal/settings.py (the broker's timeouts and the publish retry policy).
    current_app.tasks[task].apply_async(kwargs=kwargs)


def _record_failure(pk: int, exc: Exception) -> None:
    TaskDispatch.objects.filter(pk=pk).update(attempts=F("attempts") + 1, last_error=repr(exc)[:2000])


def relay(now: datetime) -> int:
    """Publish every dispatch its writer could not (older than RELAY_GRACE and unpublished), oldest
    first, in batches; stop at the first failure (the broker is still down). Returns how many.

    Each batch is claimed with SELECT … FOR UPDATE SKIP LOCKED and marked published in the same
    transaction, so two relays running at once never publish the same row."""
    published = 0
    while True:
        count, finished = _relay_batch(now)
        published += count
        if finished:
            return published


def _relay_batch(now: datetime) -> tuple[int, bool]:
    with transaction.atomic():
        rows = list(TaskDispatch.objects.select_for_update(skip_locked=True)
                    .filter(published_at=None, created_at__lte=now - RELAY_GRACE).order_by("created_at", "id")
                    [:RELAY_BATCH])
        published: list[int] = []
        finished = len(rows) < RELAY_BATCH
        for row in rows:
            try:
                _publish(row.task, row.kwargs)
            except KeyError as exc:  # no such task in this release: say so, and relay the others
                logger.error("relay: dispatch %s names no registered task %s", row.pk, row.task)
                _record_failure(row.pk, exc)
                continue
            except Exception as exc:  # the broker is still down: the next run tries again
                logger.warning("relay: task %s (dispatch %s) not published: %r", row.task, row.pk, exc)
                _record_failure(row.pk, exc)
                finished = True
                break
            published.append(row.pk)
        TaskDispatch.objects.filter(pk__in=published).update(published_at=now, attempts=F("attempts") + 1)
    # A batch that published nothing (only rows naming no task) must not be read again in this run.
    return len(published), finished or not published


def prune(now: datetime) -> int:
    """Delete the rows published more than KEEP_PUBLISHED ago. Returns how many."""
    deleted, _ = TaskDispatch.objects.filter(published_at__lt=now - KEEP_PUBLISHED).delete()
    return deleted


def backlog(now: datetime) -> dict[str, object]:
    """What an operator (or the fault bench) counts: rows published and waiting, and the oldest
    waiting one's age in seconds (None when nothing waits)."""
    counts = TaskDispatch.objects.aggregate(
        published=Count("id", filter=Q(published_at__isnull=False)),
        unpublished=Count("id", filter=Q(published_at__isnull=True)),
        oldest=Min("created_at", filter=Q(published_at__isnull=True)))
    oldest = counts.pop("oldest")
    return {**counts, "oldest_unpublished_seconds": (now - oldest).total_seconds() if oldest else None}
