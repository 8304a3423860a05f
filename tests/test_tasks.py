"""The beat tasks: thin wrappers that find due work and enqueue or apply it."""

from datetime import timedelta
from unittest import mock

import pytest
from celery import current_app
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from takedowns import tasks, workflow
from takedowns.enums import NoticeStatus
from takedowns.models import Notice
from tests.factories import confirmed, file_notice

pytestmark = pytest.mark.django_db


def test_expire_unconfirmed_task_expires_due_notices(now):
    due = file_notice(now - timedelta(days=30))
    assert tasks.expire_unconfirmed() == 1
    assert Notice.objects.get(pk=due.pk).status == NoticeStatus.EXPIRED


def test_sweep_unsent_emails_reenqueues_mail_whose_message_was_lost(now):
    lost = file_notice(timezone.now() - timedelta(hours=1)).emails.get()
    file_notice(timezone.now())  # its mail is fresh: its own task is still on the way
    with mock.patch.object(tasks.send_email, "delay") as delay:
        assert tasks.sweep_unsent_emails() == 1
    delay.assert_called_once_with(email_id=lost.pk)


def test_route_notice_task_logs_and_returns_when_the_notice_is_gone(caplog):
    tasks.route_notice(notice_id=123456)
    assert "notice 123456 no longer exists" in caplog.text


# --- A dropped database connection is retried, not dropped (issue 10). ---

def test_every_task_retries_a_database_error_with_back_off():
    ours = {name: task for name, task in current_app.tasks.items() if name.startswith("takedowns.tasks.")}
    assert len(ours) == 33  # close_undecidable_notices and submit_tdb_statements (issue 12) are the 23rd and 24th;
    # expire_unconfirmed_rights, screen_listings and publish_listing (issue 14) the 25th to 27th;
    # expire_unconfirmed_organisations, deliver_webhooks and sweep_webhooks (issue 15) the 28th to 30th;
    # check_upload, file_upload and resume_stalled_uploads (issue 15, CSV uploads) the 31st to 33rd
    not_retried = [name for name, task in ours.items()
                   if not {OperationalError, InterfaceError} <= set(getattr(task, "autoretry_for", ()))
                   or not task.retry_backoff or task.max_retries < 3]
    assert not_retried == []


def test_a_task_whose_database_connection_drops_is_retried_and_does_its_work(now, catalogue, reviewers):
    notice = confirmed(now)
    route, calls = workflow.route_with_waiting, []  # the task routes its notice with those waiting (issue 15)

    def dropped_once(notice_id, now):
        calls.append(notice_id)
        if len(calls) == 1:
            raise OperationalError("terminating connection due to administrator command")
        return route(notice_id, now)

    with mock.patch.object(workflow, "route_with_waiting", dropped_once):
        tasks.route_notice.apply(kwargs={"notice_id": notice.pk})  # eager: the retry runs at once
    assert calls == [notice.pk, notice.pk]
    notice.refresh_from_db()
    assert (notice.status, notice.assigned_to) == (NoticeStatus.IN_REVIEW, reviewers["tm"])
    assert notice.events.filter(kind="routed").count() == 1


def test_a_beat_job_retries_a_dropped_connection_a_few_times_then_leaves_it_to_its_next_run():
    with mock.patch.object(workflow, "expire_unconfirmed", side_effect=InterfaceError("connection already closed")) \
            as expire:
        result = tasks.expire_unconfirmed.apply()
    assert expire.call_count == 1 + tasks.RETRY_PERIODIC["max_retries"]
    assert isinstance(result.result, InterfaceError)
