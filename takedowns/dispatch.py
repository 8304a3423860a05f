"""The domain's one way to ask for work after commit: it names a task, it never imports tasks.py.

A workflow function that needs a side effect (send these e-mails, route this notice, take this
listing down) calls `after_commit(TASK, id=...)` inside its transaction. Nothing is published
for a change that rolls back, and the tasks module stays a leaf that imports the domain, never
the other way round. The names below are the whole contract between the two; a test checks that
each one is a registered task.
"""

from celery import current_app
from django.db import transaction

ROUTE_NOTICE = "takedowns.tasks.route_notice"
ENFORCE_REMOVAL = "takedowns.tasks.enforce_removal"
SEND_EMAIL = "takedowns.tasks.send_email"
SEND_EMAILS = "takedowns.tasks.send_emails"
APPLY_PENALTY = "takedowns.tasks.apply_penalty"
SYNC_SELLER_ACCOUNT = "takedowns.tasks.sync_seller_account"
RESTORE_LISTING = "takedowns.tasks.restore_listing"

TASKS = (ROUTE_NOTICE, ENFORCE_REMOVAL, SEND_EMAIL, SEND_EMAILS, APPLY_PENALTY, SYNC_SELLER_ACCOUNT,
         RESTORE_LISTING)


def after_commit(task: str, **kwargs: object) -> None:
    """Run `task` with these keyword arguments once the current transaction commits."""
    transaction.on_commit(lambda: _publish(task, kwargs))


def _publish(task: str, kwargs: dict[str, object]) -> None:
    # Through the registry (apps.py imports tasks.py in every process), so that task_always_eager
    # runs the task in-process in tests, and a misspelt name fails loudly.
    current_app.tasks[task].apply_async(kwargs=kwargs)
