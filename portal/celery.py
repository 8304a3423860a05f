"""The Celery app.

No work may be lost between the database and the broker, so tasks are acknowledged only
after they finish (acks_late), a task whose worker dies is put back (reject_on_worker_lost),
and each worker takes one message at a time. Tasks are therefore written to be idempotent.
A beat sweep re-enqueues what a lost message would have left behind.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
