"""The broker goes away and comes back (issue 10). A private Redis is the broker and the cache of a
real worker (with its embedded beat: the relay every 5 s, the sweeps) and of this process. It is
stopped while notices are filed and confirmed and a reviewer works, through the Django test
client: every request answers as it does with the broker up, and the tasks wait in the database
(TaskDispatch). Started again (empty, as a Redis without persistence), the worker routes every
notice exactly once and sends every e-mail once."""

import threading
import time
import uuid
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from takedowns import dispatch
from takedowns.models import Event, Listing, Notice, TaskDispatch
from tests.factories import decision_form, more_listings, notice_form_post

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

OUTAGE_NOTICES = 5
# The issue asks for every notice routed within two minutes of the broker's return.
RECOVERY_SECONDS = 120
# Within a second or two, per publish (portal/settings.py: the broker's timeouts, one reconnection).
PUBLISH_GIVES_UP_SECONDS = 2


def eventually(check, what: str, timeout: float = RECOVERY_SECONDS, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout}s: {what}")
        time.sleep(interval)
    return result


def file_and_confirm(client: Client, submitter: str, listing: str = "L-100001") -> tuple[Notice, list[tuple[int, str]]]:
    """File a notice about `listing` on the public form and confirm it (the link from the database: the
    e-mail may be waiting for the broker). Returns it with what each request answered (status, Location)."""
    key = str(client.get("/notices/new/").context["form"].initial["submission_key"])
    started = time.monotonic()
    filed = client.post("/notices/new/", notice_form_post(key, [(listing, "counterfeit")], submitter_email=submitter))
    notice = Notice.objects.get(submission_key=key)
    confirmed = client.post(notice.confirmation_path())
    tracking = client.get(notice.tracking_path())
    # A broker that is down costs a request at most a moment: its publish gives up at once.
    assert time.monotonic() - started < 3 * PUBLISH_GIVES_UP_SECONDS
    answers = [(filed.status_code, filed["Location"].replace(key, "<key>")),
               (confirmed.status_code, confirmed["Location"].replace(notice.tracking_path(), "<tracking>")),
               (tracking.status_code, "")]
    return notice, answers


def routed_events(notice: Notice) -> int:
    return Event.objects.filter(notice=notice, kind="routed").count()


def test_with_the_broker_down_every_page_answers_as_with_it_up_and_each_notice_is_routed_once_when_it_is_back(
        client, catalogue, reviewers, mailbox, private_redis, private_worker):
    up, answers_up = file_and_confirm(client, f"up-{uuid.uuid4().hex[:10]}@aerostride.example")
    assert answers_up == [(302, "/notices/filed/<key>/"), (302, "<tracking>"), (200, "")]
    eventually(lambda: routed_events(up) == 1, "the worker routes the notice filed while the broker is up", 30)

    # A listing each: a notice on a listing under review in another notice (or removed meanwhile) would
    # close at routing with nothing to decide (issue 12) instead of going to a reviewer.
    listings = more_listings(OUTAGE_NOTICES, catalogue["L-100002"].seller)
    private_redis.stop()
    submitters = [f"outage{index}-{uuid.uuid4().hex[:10]}@aerostride.example" for index in range(OUTAGE_NOTICES)]
    down = []
    for submitter, listing in zip(submitters, listings, strict=True):
        notice, answers = file_and_confirm(client, submitter, listing)
        assert answers == answers_up
        down.append(notice)
    _a_reviewer_works_as_usual(up, reviewers)
    _the_work_waits_in_the_database(down, up)

    private_redis.start()
    back = time.monotonic()
    for notice in down:
        eventually(lambda notice=notice: routed_events(notice) == 1, f"{notice.reference} routed")
    assert time.monotonic() - back < RECOVERY_SECONDS
    eventually(lambda: Listing.objects.filter(external_id="L-100001", status="removed").exists(),
               "the removal decided during the outage is carried out")
    for submitter, notice in zip(submitters, down, strict=True):
        mails = mailbox.wait_for(submitter, count=3, timeout=RECOVERY_SECONDS)
        assert sorted(mail.subject for mail in mails) == sorted([
            "Confirm your notice about 1 listing", f"Notice {notice.reference} received",
            f"Notice {notice.reference} is with a reviewer"])
    private_worker.drain(mailbox)
    # Exactly once: one routing each, one of each e-mail, and nothing left to publish.
    assert [routed_events(notice) for notice in down] == [1] * OUTAGE_NOTICES
    assert [len(mailbox.to(submitter)) for submitter in submitters] == [3] * OUTAGE_NOTICES
    assert {notice.status for notice in Notice.objects.filter(pk__in=[n.pk for n in down])} == {"in_review"}
    assert Event.objects.filter(notice=up, kind="listing_removed").count() == 1
    eventually(lambda: not TaskDispatch.objects.filter(published_at=None).exists(), "every dispatch published", 30)


def _a_reviewer_works_as_usual(notice: Notice, reviewers) -> None:
    """The queue (its counts in the cache, which is down too), the notice page and a decision."""
    reviewer = Client()
    reviewer.force_login(reviewers["tm"].user)
    queue = reviewer.get("/review/")
    assert queue.status_code == 200
    assert notice.reference in [row.reference for row in queue.context["page"].rows]
    page = f"/review/notices/{notice.reference}/"
    assert reviewer.get(page).status_code == 200
    decided = reviewer.post(f"{page}decide/", decision_form(notice, {1: {"action": "remove"}}))
    assert (decided.status_code, decided["Location"]) == (302, page)
    assert notice.items.get().state == "removed"


def _the_work_waits_in_the_database(down: list[Notice], decided: Notice) -> None:
    waiting = TaskDispatch.objects.filter(published_at=None)
    assert all(row.attempts >= 1 and row.last_error for row in waiting)
    assert sorted(row.kwargs["notice_id"] for row in waiting if row.task == dispatch.ROUTE_NOTICE) == sorted(
        notice.pk for notice in down)
    decision = decided.items.get().decisions.get()
    assert waiting.filter(task=dispatch.ENFORCE_REMOVAL, kwargs={"decision_id": decision.pk}).count() == 1
    assert waiting.filter(task=dispatch.SEND_EMAIL).count() >= 2 * len(down)  # confirm and received, each


def test_two_relays_at_once_publish_each_row_once(monkeypatch):
    """SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL: relays running side by side split the rows."""
    created = timezone.now() - timedelta(minutes=1)
    TaskDispatch.objects.bulk_create(TaskDispatch(task=dispatch.ROUTE_NOTICE, kwargs={"notice_id": number},
                                                  created_at=created) for number in range(40))
    monkeypatch.setattr(dispatch, "RELAY_BATCH", 5)
    published, relayed, lock, start = [], [], threading.Lock(), threading.Barrier(3)

    def publish(task, kwargs):
        with lock:
            published.append(kwargs["notice_id"])
        time.sleep(0.01)  # long enough for the relays to overlap

    def relay():
        try:
            start.wait()
            relayed.append(dispatch.relay(timezone.now()))
        finally:
            connection.close()

    with mock.patch.object(dispatch, "_publish", publish):
        threads = [threading.Thread(target=relay) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert sorted(published) == list(range(40))
    assert sum(relayed) == 40 and len(relayed) == 3
    assert not TaskDispatch.objects.filter(published_at=None).exists()
