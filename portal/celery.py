"""The Celery app.

No work may be lost between the database and the broker, so tasks are acknowledged only
after they finish (acks_late), a task whose worker dies is put back (reject_on_worker_lost),
and each worker takes one message at a time. Tasks are therefore written to be idempotent.
The domain records each task it asks for in the database before it is published
(takedowns/dispatch.py: beat's relay publishes what the broker refused), and a beat sweep
re-enqueues what a lost message would have left behind.
"""

import os

from celery import Celery, signals
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_prerun.connect
def _drop_stale_database_connections(task=None, **kwargs) -> None:
    # Celery keeps a worker's connection for CELERY_DB_REUSE_MAX tasks instead of reconnecting
    # for each one; Django's own rule (CONN_MAX_AGE, health checks) still retires old or broken
    # ones. Not for an eager task: it runs inside its caller's transaction.
    if task is not None and task.request.is_eager:
        return
    close_old_connections()
