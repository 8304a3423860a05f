"""A notice from the public form to a reviewer, over real connections: the Django test client
files and confirms it, PostgreSQL holds it, Redis carries the messages, a celery worker routes
it and sends the e-mails, and an SMTP server receives them."""

import re
import time
import uuid
from datetime import timedelta
from unittest import mock
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.utils import timezone

from takedowns import tasks, workflow
from takedowns.models import Event, Notice, OutboundEmail
from tests.conftest import file_notice, notice_fields

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROUTING_SECONDS = 30


def unique_address(name: str = "anna") -> str:
    return f"{name}-{uuid.uuid4().hex[:10]}@aerostride.example"


def eventually(check, what: str, timeout: float = ROUTING_SECONDS, interval: float = 0.2):
    """check()'s first truthy result, polled for at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout}s: {what}")
        time.sleep(interval)


def routed(notice: Notice) -> Notice:
    return eventually(lambda: Notice.objects.filter(pk=notice.pk, status="in_review").first(),
                      f"the worker routes notice {notice.reference}")


def form_post(submission_key: str, submitter_email: str, rows: list[tuple[str, str]]) -> dict:
    fields = notice_fields(submitter_email=submitter_email)
    data = {name: ("on" if value is True else value) for name, value in fields.items()}
    data.update({
        "submission_key": submission_key,
        "items-TOTAL_FORMS": str(len(rows)), "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "3", "items-MAX_NUM_FORMS": str(settings.NOTICE_MAX_ITEMS),
    })
    for index, (reported, reason) in enumerate(rows):
        data[f"items-{index}-reported"] = reported
        data[f"items-{index}-reason"] = reason
    return data


def test_a_notice_filed_on_the_form_is_confirmed_by_email_and_routed_to_a_reviewer_by_the_worker(
        client, catalogue, reviewers, mailbox, worker):
    submitter = unique_address()
    form_page = client.get("/notices/new/")
    key = str(form_page.context["form"].initial["submission_key"])
    rows = [
        ("https://portal.test/listings/L-100001/", "counterfeit"),
        ("L-100003", "counterfeit"),
        ("https://portal.test/listings/L-999999/", "trademark_misuse"),  # no such listing
    ]

    response = client.post("/notices/new/", form_post(key, submitter, rows))

    assert response.status_code == 302
    assert response["Location"] == f"/notices/filed/{key}/"
    notice = Notice.objects.get(submission_key=key)
    assert notice.status == "unconfirmed"
    assert [(item.reported, item.reason, item.state) for item in notice.items.all()] == [
        (reported, reason, "new") for reported, reason in rows]

    # The worker sends the confirmation request to the submitter, and only to the submitter.
    [confirmation] = mailbox.wait_for(submitter, count=1)
    assert confirmation.envelope_to == [submitter]
    assert confirmation.to == submitter
    assert confirmation.sender == settings.DEFAULT_FROM_EMAIL
    assert confirmation.subject == "Confirm your notice about 3 listings"
    links = re.findall(r"https?://\S+/confirm/\S+", confirmation.text)
    assert links == [f"https://portal.test{notice.confirmation_path()}"]
    assert links[0] in confirmation.html
    confirm_path = urlsplit(links[0]).path

    # Opening the link only shows a button (mail scanners follow links); pressing it confirms.
    page = client.get(confirm_path)
    assert page.status_code == 200
    assert b'id="confirm-notice"' in page.content
    notice.refresh_from_db()
    assert (notice.status, notice.confirmed_at) == ("unconfirmed", None)
    response = client.post(confirm_path)
    assert response.status_code == 302
    assert response["Location"] == notice.tracking_path()

    notice = routed(notice)
    assert notice.assigned_to == reviewers["tm"]
    assert notice.routed_at is not None and notice.confirmed_at <= notice.routed_at
    # Counterfeit (+30) of a toy, which is safety-relevant (+30), from a seller with 2 strikes (+10).
    assert notice.priority == 70
    assert [(item.position, item.listing and item.listing.external_id, item.state)
            for item in notice.items.select_related("listing")] == [
        (1, "L-100001", "in_review"), (2, "L-100003", "in_review"), (3, None, "not_found")]
    assert list(notice.events.values_list("kind", flat=True)) == [
        "filed", "confirmed", "item_resolved", "item_resolved", "item_resolved", "routed"]
    routed_event = notice.events.get(kind="routed")
    assert (routed_event.actor_kind, routed_event.from_status, routed_event.to_status) == (
        "system", "confirmed", "in_review")
    assert routed_event.details["reviewer"] == "tm"
    assert routed_event.details["items"] == {"in_review": 2, "not_found": 1}

    # Receipt, then "with a reviewer", in that order, each once; rendered by the worker with the
    # same SITE_URL as this process.
    mails = mailbox.wait_for(submitter, count=3)
    assert [mail.subject for mail in mails] == [
        "Confirm your notice about 3 listings",
        f"Notice {notice.reference} received",
        f"Notice {notice.reference} is with a reviewer",
    ]
    with_reviewer = mails[2]
    assert with_reviewer.envelope_to == [submitter]
    assert f"your notice {notice.reference} is now with a reviewer" in with_reviewer.text
    assert "https://portal.test/listings/L-100001/ — Waiting for the reviewer's decision" in with_reviewer.text
    assert "https://portal.test/listings/L-999999/ — Listing not found at the marketplace" in with_reviewer.text
    assert f"https://portal.test{notice.tracking_path()}" in with_reviewer.text
    assert eventually(
        lambda: list(OutboundEmail.objects.filter(notice=notice).values_list("kind", "status", "attempts"))
        == [("confirm_notice", "sent", 1), ("notice_received", "sent", 1), ("notice_routed", "sent", 1)],
        "the worker records each e-mail as sent", timeout=10)


def test_the_sweep_re_enqueues_a_confirmed_notice_whose_routing_message_was_lost(
        catalogue, reviewers, mailbox, worker):
    lost_submitter, recent_submitter = unique_address("lost"), unique_address("recent")
    long_ago = timezone.now() - timedelta(seconds=settings.ROUTING_GRACE_SECONDS + 600)
    lost = file_notice(long_ago, items=(("L-100001", "counterfeit"),), submitter_email=lost_submitter)
    recent = file_notice(timezone.now(), items=(("L-100002", "counterfeit"),), submitter_email=recent_submitter)
    # The routing messages never reach the broker (e-mails still do).
    with mock.patch("takedowns.tasks.route_notice") as lost_messages:
        workflow.confirm_notice(lost, now=long_ago)
        workflow.confirm_notice(recent, now=timezone.now())
    assert lost_messages.delay.call_count == 2
    worker.drain(mailbox)
    assert set(Notice.objects.values_list("reference", "status")) == {
        (lost.reference, "confirmed"), (recent.reference, "confirmed")}

    # What beat sends every minute, run by the worker: it enqueues the lost notice, whose
    # grace period is over, and leaves the recent one alone.
    tasks.sweep_unrouted.delay()

    lost = routed(lost)
    assert lost.assigned_to == reviewers["tm"]
    assert Event.objects.filter(notice=lost, kind="routed").count() == 1
    [*_, with_reviewer] = mailbox.wait_for(lost_submitter, count=3)
    assert with_reviewer.subject == f"Notice {lost.reference} is with a reviewer"
    worker.drain(mailbox)
    recent.refresh_from_db()
    assert recent.status == "confirmed"
    assert not recent.events.filter(kind__in=["routed", "item_resolved"]).exists()


def test_routing_the_same_notice_twice_through_the_worker_routes_it_once(catalogue, reviewers, mailbox, worker):
    submitter = unique_address()
    now = timezone.now()
    notice = file_notice(now, items=(("L-100001", "counterfeit"), ("L-100002", "trademark_misuse")),
                         submitter_email=submitter)
    workflow.confirm_notice(notice, now=now)  # the first routing message, sent after commit
    tasks.route_notice.delay(notice_id=notice.pk)  # the same message again (a redelivery, a sweep)

    notice = routed(notice)
    worker.drain(mailbox)

    notice.refresh_from_db()
    assert (notice.status, notice.assigned_to) == ("in_review", reviewers["tm"])
    assert notice.events.filter(kind="routed").count() == 1
    assert notice.events.filter(kind="item_resolved").count() == 2
    assert list(notice.items.values_list("state", flat=True)) == ["in_review", "in_review"]
    assert list(OutboundEmail.objects.filter(notice=notice).values_list("kind", flat=True)) == [
        "confirm_notice", "notice_received", "notice_routed"]
    assert [mail.subject for mail in mailbox.to(submitter)] == [
        "Confirm your notice about 2 listings",
        f"Notice {notice.reference} received",
        f"Notice {notice.reference} is with a reviewer",
    ]
