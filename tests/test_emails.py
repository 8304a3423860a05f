"""Sending from the outbox: retries only for transient failures; the .eml files of `make run`."""

import email
import smtplib
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives

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
    assert (queued.status, queued.attempts, len(mail.outbox)) == (EmailStatus.SENT, 2, 1)


def test_a_fresh_claim_is_left_alone(queued, now):
    OutboundEmail.objects.filter(pk=queued.pk).update(status=EmailStatus.SENDING, attempts=1,
                                                      claimed_at=now - timedelta(minutes=1))
    assert outbox.unsent_email_ids(now, grace=timedelta(minutes=0)) == []
    outbox.deliver(queued.pk, now)
    assert mail.outbox == []
