"""Sending from the outbox: retries only for transient failures; the .eml files of `make run`."""

import email
import io
import json
import re
import smtplib
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.management import call_command
from django.db import OperationalError
from django.db.models import QuerySet

from takedowns import outbox, tasks
from takedowns.enums import EmailStatus
from takedowns.mailfiles import EmlFileBackend
from takedowns.models import OutboundEmail
from tests.factories import file_notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(now):
    return file_notice(now).emails.get()


def test_deliver_sends_text_and_html_and_marks_sent(queued, now):
    outbox.deliver(queued.pk, now)
    queued.refresh_from_db()
    assert (queued.status, queued.sent_at, queued.attempts) == (EmailStatus.SENT, now, 1)
    message = mail.outbox[0]
    assert message.to == ["anna@aerostride.example"]
    assert message.from_email == "Takedown Portal <takedowns@localhost>"
    assert message.body == queued.body_text
    assert message.alternatives[0][1] == "text/html"
    assert "Confirm my notice" in message.alternatives[0][0]


def test_a_sent_email_is_not_sent_again(queued, now):
    outbox.deliver(queued.pk, now)
    outbox.deliver(queued.pk, now)
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("error", [
    smtplib.SMTPServerDisconnected("gone"),
    ConnectionRefusedError(111, "refused"),
    smtplib.SMTPResponseException(451, b"try later"),
])
def test_transient_failures_raise_for_a_retry_and_keep_the_mail_queued(queued, now, error):
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=error):
        with pytest.raises(outbox.TransientMailError):
            outbox.deliver(queued.pk, now)
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == (EmailStatus.QUEUED, 1)
    assert queued.last_error


def test_a_permanent_refusal_fails_the_mail_without_retry(queued, now):
    with mock.patch("django.core.mail.EmailMultiAlternatives.send",
                    side_effect=smtplib.SMTPResponseException(550, b"no such user")):
        outbox.deliver(queued.pk, now)
    queued.refresh_from_db()
    assert (queued.status, queued.attempts, queued.last_error) == (EmailStatus.FAILED, 1, "550 b'no such user'")


def test_the_send_task_retries_transient_failures_with_backoff(queued):
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=smtplib.SMTPServerDisconnected()), \
            mock.patch.object(tasks.send_email, "retry", side_effect=RuntimeError("retry scheduled")) as retry:
        with pytest.raises(RuntimeError, match="retry scheduled"):
            tasks.send_email.run(email_id=queued.pk)
    assert retry.call_args.kwargs["countdown"] == 60


def test_one_task_sends_several_and_retries_only_those_that_failed(queued, now):
    second = OutboundEmail.objects.create(kind="new_assignment", to="tm@portal.test", subject="s", body_text="t",
                                          body_html="h", created_at=now)
    third = OutboundEmail.objects.create(kind="new_assignment", to="cr@portal.test", subject="s", body_text="t",
                                         body_html="h", created_at=now)
    real_send = EmailMultiAlternatives.send

    def send(message, *args, **kwargs):
        if message.to == ["tm@portal.test"]:
            raise smtplib.SMTPServerDisconnected("gone")
        return real_send(message, *args, **kwargs)

    with mock.patch("django.core.mail.EmailMultiAlternatives.send", send), \
            mock.patch.object(tasks.send_emails, "retry", side_effect=RuntimeError("retry scheduled")) as retry:
        with pytest.raises(RuntimeError, match="retry scheduled"):
            tasks.send_emails.run(email_ids=[queued.pk, second.pk, third.pk])
    assert [m.to for m in mail.outbox] == [["anna@aerostride.example"], ["cr@portal.test"]]
    assert (retry.call_args.kwargs["kwargs"], retry.call_args.kwargs["countdown"]) == ({"email_ids": [second.pk]}, 60)
    assert sorted(OutboundEmail.objects.filter(pk__in=[queued.pk, second.pk, third.pk]).values_list("to", "status")) \
        == [("anna@aerostride.example", EmailStatus.SENT), ("cr@portal.test", EmailStatus.SENT),
            ("tm@portal.test", EmailStatus.QUEUED)]


def test_the_sweep_resends_only_mail_that_was_never_tried(queued, now):
    tried = OutboundEmail.objects.create(notice=queued.notice, kind="x", to="a@b.example", subject="s",
                                         body_text="t", body_html="h", created_at=now, attempts=2)
    grace = timedelta(minutes=10)
    assert outbox.unsent_email_ids(now + timedelta(minutes=11), grace) == [queued.pk]
    assert outbox.unsent_email_ids(now + timedelta(minutes=9), grace) == []
    assert tried.pk not in outbox.unsent_email_ids(now + timedelta(days=1), grace)


def test_the_file_backend_writes_one_readable_eml_per_message(tmp_path, queued, settings):
    settings.EMAIL_BACKEND = "takedowns.mailfiles.EmlFileBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    outbox.deliver(queued.pk, queued.created_at)
    files = list((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 1 and "Confirm-your-notice-about-1-listing" in files[0].name
    parsed = email.message_from_bytes(files[0].read_bytes())
    assert parsed["To"] == "anna@aerostride.example"
    text = next(part for part in parsed.walk() if part.get_content_type() == "text/plain")
    assert queued.notice.confirmation_path() in text.get_payload(decode=True).decode()
    assert EmlFileBackend(file_path=str(tmp_path / "other")).send_messages([]) == 0


def test_the_file_name_keeps_the_letters_of_any_language(tmp_path):
    message = EmailMultiAlternatives("您的商品 L-100003 已被删除：理由说明", "body", "from@portal.test",
                                     ["s@x.example"])
    assert EmlFileBackend(file_path=str(tmp_path)).send_messages([message]) == 1
    file, = tmp_path.glob("*.eml")
    assert file.name.endswith("-您的商品-L-100003-已被删除-理由说明.eml")
    assert file.read_bytes().startswith(b"Content-Type: text/plain; charset=\"utf-8\"")


def test_a_second_copy_does_not_send_while_the_first_is_sending(queued, now):
    sent = []

    def send_while_another_copy_arrives(message):
        outbox.deliver(queued.pk, now)  # the other copy of the message, meanwhile
        sent.append(message.to)
        return 1

    with mock.patch("django.core.mail.EmailMultiAlternatives.send", autospec=True,
                    side_effect=send_while_another_copy_arrives):
        outbox.deliver(queued.pk, now)
    assert sent == [["anna@aerostride.example"]]
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == (EmailStatus.SENT, 1)


def test_a_claim_abandoned_by_a_dead_sender_is_taken_over(queued, now):
    OutboundEmail.objects.filter(pk=queued.pk).update(status=EmailStatus.SENDING, attempts=1,
                                                      claimed_at=now - timedelta(minutes=11))
    assert outbox.unsent_email_ids(now, grace=timedelta(minutes=10)) == [queued.pk]
    outbox.deliver(queued.pk, now)
    queued.refresh_from_db()
    assert (queued.status, queued.attempts, queued.takeovers, len(mail.outbox)) == (EmailStatus.SENT, 2, 1, 1)


def test_a_fresh_claim_is_left_alone(queued, now):
    OutboundEmail.objects.filter(pk=queued.pk).update(status=EmailStatus.SENDING, attempts=1,
                                                      claimed_at=now - timedelta(seconds=30))
    assert outbox.unsent_email_ids(now, grace=timedelta(minutes=0)) == []
    outbox.deliver(queued.pk, now)
    assert mail.outbox == []


# --- Each e-mail once, and promptly after a crash (issue 10). ---

def message_ids(messages) -> list[str]:
    return [message.message()["Message-ID"] for message in messages]


def test_the_message_id_is_stored_when_the_row_is_written_and_every_attempt_carries_it(queued, now):
    assert re.fullmatch(r"<[^<>@\s]+@localhost>", queued.message_id)
    tried = []

    def refuse(message):
        tried.append(message)
        raise smtplib.SMTPServerDisconnected("gone")

    with mock.patch("django.core.mail.EmailMultiAlternatives.send", autospec=True, side_effect=refuse), \
            pytest.raises(outbox.TransientMailError):
        outbox.deliver(queued.pk, now)
    outbox.deliver(queued.pk, now + timedelta(minutes=1))
    assert message_ids(tried) == message_ids(mail.outbox) == [queued.message_id]
    other = file_notice(now).emails.get()
    assert other.message_id != queued.message_id


def test_a_claim_of_a_dead_sender_is_taken_over_after_the_short_lease_and_not_before(queued, now):
    claimed_at = now - outbox.SEND_LEASE
    OutboundEmail.objects.filter(pk=queued.pk).update(status=EmailStatus.SENDING, attempts=1, claimed_at=claimed_at)
    outbox.deliver(queued.pk, now)  # the lease has just run out: not yet
    assert outbox.unsent_email_ids(now, grace=outbox.LOST_MESSAGE_GRACE) == []
    assert mail.outbox == []
    later = now + timedelta(seconds=1)
    assert outbox.unsent_email_ids(later, grace=outbox.LOST_MESSAGE_GRACE) == [queued.pk]
    outbox.deliver(queued.pk, later)
    queued.refresh_from_db()
    assert (queued.status, queued.sent_at, queued.attempts, queued.takeovers) == (EmailStatus.SENT, later, 2, 1)
    assert message_ids(mail.outbox) == [queued.message_id]  # the same Message-ID as the lost attempt's


def test_the_lease_outlasts_the_send_tasks_time_limit_and_recovery_takes_under_two_minutes(settings):
    for task in (tasks.send_email, tasks.send_emails):
        assert (task.time_limit, task.soft_time_limit) == (outbox.SEND_TIME_LIMIT, outbox.SEND_TIME_LIMIT - 5)
    assert outbox.SEND_TIME_LIMIT < outbox.SEND_LEASE.total_seconds() <= 60
    sweep = settings.CELERY_BEAT_SCHEDULE["sweep-unsent-emails"]
    assert (sweep["task"], sweep["schedule"]) == ("takedowns.tasks.sweep_unsent_emails", 30.0)
    assert outbox.SEND_LEASE.total_seconds() + sweep["schedule"] < 120
    assert outbox.LOST_MESSAGE_GRACE == timedelta(seconds=60)


@pytest.fixture
def marking_sent_fails_once():
    """The first UPDATE that marks an e-mail sent fails as on a dropped connection (after SMTP)."""
    update, failed = QuerySet.update, []

    def update_or_fail(queryset, **values):
        if queryset.model is OutboundEmail and values.get("status") == EmailStatus.SENT and not failed:
            failed.append(values)
            raise OperationalError("server closed the connection unexpectedly")
        return update(queryset, **values)

    with mock.patch.object(QuerySet, "update", update_or_fail):
        yield failed


def test_a_database_error_after_smtp_is_retried_without_a_second_send(queued, now, marking_sent_fails_once):
    tasks.send_email.apply(kwargs={"email_id": queued.pk})  # eager: its retry runs at once
    assert marking_sent_fails_once  # SMTP had accepted it when the database failed
    assert [(m.to, m.subject) for m in mail.outbox] == [(["anna@aerostride.example"],
                                                         "Confirm your notice about 1 listing")]
    queued.refresh_from_db()
    assert (queued.status, queued.attempts, queued.takeovers) == (EmailStatus.SENT, 1, 0)
    # Nothing is left for the sweep to send again, however late it runs.
    assert outbox.unsent_email_ids(now + timedelta(days=1), grace=outbox.LOST_MESSAGE_GRACE) == []
    assert len(mail.outbox) == 1


def test_a_retry_after_an_unrecorded_delivery_carries_it_to_be_recorded_only(queued, now, marking_sent_fails_once):
    other = OutboundEmail.objects.create(kind="new_assignment", to="tm@portal.test", subject="s", body_text="t",
                                         body_html="h", created_at=now)
    with mock.patch.object(tasks.send_emails, "retry", side_effect=RuntimeError("retry scheduled")) as retry, \
            pytest.raises(RuntimeError, match="retry scheduled"):
        tasks.send_emails.run(email_ids=[queued.pk, other.pk])
    sent_at = OutboundEmail.objects.get(pk=queued.pk).claimed_at
    assert retry.call_args.kwargs["kwargs"] == {"email_ids": [queued.pk], "sent": {str(queued.pk): sent_at.isoformat()}}
    assert retry.call_args.kwargs["countdown"] == 5  # a database error: seconds, not the SMTP back-off
    tasks.send_emails.run(**retry.call_args.kwargs["kwargs"])  # the retry
    assert [m.to for m in mail.outbox] == [["anna@aerostride.example"], ["tm@portal.test"]]
    assert list(OutboundEmail.objects.filter(pk__in=[queued.pk, other.pk]).order_by("pk")
                .values_list("status", "attempts")) == [(EmailStatus.SENT, 1), (EmailStatus.SENT, 1)]
    assert OutboundEmail.objects.get(pk=queued.pk).sent_at == sent_at  # when SMTP accepted it


def test_outbox_status_counts_dispatches_and_emails_for_an_operator(queued, now):
    OutboundEmail.objects.create(kind="x", to="b@c.example", subject="s", body_text="t", body_html="h",
                                 created_at=now, status=EmailStatus.SENT, attempts=2, takeovers=1)
    out = io.StringIO()
    call_command("outbox_status", stdout=out)
    status = json.loads(out.getvalue())
    assert status["emails"] == {"queued": 1, "sending": 0, "sent": 1, "failed": 0, "attempts": 2, "takeovers": 1}
    # The confirmation's send task: recorded, never published (this test's transaction never commits).
    assert (status["dispatches"]["published"], status["dispatches"]["unpublished"]) == (0, 1)
