"""With the broker down, the pages answer exactly as with it up (issue 10): the change is saved,
the tasks it needs wait as TaskDispatch rows, and the relay publishes them once the broker is
back. With the cache down, the review queue counts live. Transactional tests: each request
commits, and its publish after commit meets the broker as it would in production."""

import socket
import uuid
from unittest import mock

import pytest
from celery import Task
from django.core import mail
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from takedowns import dispatch
from takedowns.enums import EventKind, NoticeStatus
from takedowns.models import Event, Listing, Notice, OutboundEmail, TaskDispatch
from tests.factories import decision_form, file_notice, notice_form_post, routed

pytestmark = pytest.mark.django_db(transaction=True)

REFUSED = BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


class Broker:
    up = False


@pytest.fixture
def broker():
    """Every publish fails as kombu's does when nothing listens on the broker's port, until `up`."""
    state, publish = Broker(), Task.apply_async

    def publish_unless_down(task, *args, **kwargs):
        if not state.up:
            raise REFUSED
        return publish(task, *args, **kwargs)

    with mock.patch.object(Task, "apply_async", publish_unless_down):
        yield state


def waiting_dispatches() -> list[tuple[str, dict]]:
    return list(TaskDispatch.objects.filter(published_at=None, attempts=1, last_error__contains="Connection refused")
                .order_by("pk").values_list("task", "kwargs"))


def relay_after_the_broker_is_back() -> int:
    return dispatch.relay(timezone.now() + dispatch.RELAY_GRACE)


def test_filing_with_the_broker_down_answers_as_with_it_up_and_the_relay_sends_the_mail_later(client, broker):
    key = uuid.uuid4()
    response = client.post("/notices/new/", notice_form_post(key))
    assert (response.status_code, response["Location"]) == (302, f"/notices/filed/{key}/")
    notice = Notice.objects.get(submission_key=key)
    assert notice.status == NoticeStatus.UNCONFIRMED
    [email] = OutboundEmail.objects.filter(notice=notice)
    assert (email.kind, email.status, email.attempts) == ("confirm_notice", "queued", 0)
    assert waiting_dispatches() == [(dispatch.SEND_EMAIL, {"email_id": email.pk})]
    assert mail.outbox == []
    page = client.get(response["Location"]).content.decode()
    # Saved, but the e-mail has not left: the page does not say it was sent.
    assert "Check your e-mail" in page and "We have sent" not in page
    assert ("We are sending a confirmation link to <strong>anna@aerostride.example</strong>: your notice is "
            "saved") in page

    broker.up = True
    assert relay_after_the_broker_is_back() == 1
    assert [(m.to, m.subject) for m in mail.outbox] == [(["anna@aerostride.example"],
                                                         "Confirm your notice about 1 listing")]
    page = client.get(response["Location"]).content.decode()
    assert "We have sent a confirmation link to <strong>anna@aerostride.example</strong>." in page
    assert TaskDispatch.objects.get().published_at is not None


def test_confirming_with_the_broker_down_answers_as_with_it_up_and_the_notice_is_routed_once_later(
        client, catalogue, reviewers, broker):
    notice = file_notice(timezone.now())
    TaskDispatch.objects.all().delete()
    response = client.post(notice.confirmation_path())
    assert (response.status_code, response["Location"]) == (302, notice.tracking_path())
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.CONFIRMED
    received = OutboundEmail.objects.get(notice=notice, kind="notice_received")
    assert waiting_dispatches() == [(dispatch.SEND_EMAIL, {"email_id": received.pk}),
                                    (dispatch.ROUTE_NOTICE, {"notice_id": notice.pk})]
    assert client.get(notice.tracking_path()).status_code == 200

    broker.up = True
    assert relay_after_the_broker_is_back() == 2  # routing's own e-mails are published by routing, after commit
    assert not TaskDispatch.objects.filter(published_at=None).exists()
    notice.refresh_from_db()
    assert (notice.status, notice.assigned_to) == (NoticeStatus.IN_REVIEW, reviewers["tm"])
    assert Event.objects.filter(notice=notice, kind=EventKind.ROUTED).count() == 1
    assert sorted(m.subject for m in mail.outbox if m.to == ["anna@aerostride.example"]) == [
        f"Notice {notice.reference} is with a reviewer", f"Notice {notice.reference} received"]


def test_deciding_with_the_broker_down_answers_as_with_it_up_and_the_listing_comes_down_later(
        client, catalogue, reviewers, broker):
    broker.up = True
    notice = routed(timezone.now(), [("L-100001", "counterfeit")])
    broker.up = False
    client.force_login(reviewers["tm"].user)
    response = client.post(f"/review/notices/{notice.reference}/decide/",
                           decision_form(notice, {1: {"action": "remove"}}))
    assert (response.status_code, response["Location"]) == (302, f"/review/notices/{notice.reference}/")
    decision = notice.items.get().decisions.get()
    assert decision.outcome == "remove"
    assert (dispatch.ENFORCE_REMOVAL, {"decision_id": decision.pk}) in waiting_dispatches()
    assert Listing.objects.get(external_id="L-100001").status == "active"

    broker.up = True
    relay_after_the_broker_is_back()
    assert Listing.objects.get(external_id="L-100001").status == "removed"
    assert Event.objects.filter(notice=notice, kind=EventKind.LISTING_REMOVED).count() == 1


@pytest.fixture
def cache_down(settings):
    """The shared cache is Redis at a port where nothing listens (as when Redis is stopped)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": f"redis://127.0.0.1:{port}/0",
                                   "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}}


def test_the_review_queue_counts_live_when_the_cache_is_down(client, catalogue, reviewers, cache_down, broker):
    broker.up = True
    notice = routed(timezone.now(), [("L-100001", "counterfeit")])
    broker.up = False
    client.force_login(reviewers["tm"].user)
    response = client.get("/review/")
    assert response.status_code == 200
    assert [row.reference for row in response.context["page"].rows] == [notice.reference]
    selects = {name: options for name, _, _, _, options in response.context["selects"]}
    assert ("in_review", "With a reviewer", 1) in selects["status"]
    assert [(value, count) for value, _, count in selects["scope"]] == [
        ("all", 1), ("mine", 1), ("unassigned", 0), ("escalated", 0)]
