"""The beat tasks: thin wrappers that find due work and enqueue or apply it."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from takedowns import tasks
from takedowns.enums import NoticeStatus
from takedowns.models import Notice
from tests.factories import file_notice

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
