"""Webhooks over real connections: a verified organisation's notice is filed (workflow.file_for_organisation,
as the API and the CSV upload file), the celery worker routes it and posts the signed events to a receiver on
127.0.0.1; a decision made while the receiver is down reaches it once it is back (the beat's sweep)."""

import threading
import time

import pytest
from django.db import connection, connections
from django.utils import timezone

from takedowns import tasks, webhooks
from takedowns.enums import WebhookDeliveryStatus
from takedowns.models import WebhookAttempt, WebhookDelivery
from tests.factories import decide
from tests.integration.test_end_to_end import eventually, routed_by_worker
from tests.webhook_receiver import Receiver
from tests.webhooks.conftest import SECRET, add_endpoint, file_for, make_organisation

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TWO = (("L-100001", "counterfeit"), ("L-100002", "counterfeit"))


@pytest.fixture
def receiver():
    live = Receiver(SECRET).start()
    yield live
    live.stop()


def test_the_worker_delivers_an_organisations_notice_events_signed_and_retries_while_the_receiver_is_down(
        catalogue, reviewers, reason_codes, worker, receiver):
    now = timezone.now()
    organisation = make_organisation(now, domain=f"brand{int(time.time() * 1000)}.example")
    add_endpoint(organisation, receiver.url, now)

    notice = routed_by_worker(file_for(organisation, now, TWO))

    # Filed, confirmed (at filing: the organisation is verified), then routed: three events, each signed.
    got = receiver.wait_for(3, timeout=30)
    assert receiver.rejected == 0
    payloads = sorted((record.payload for record in got.values()), key=lambda payload: payload["created_at"])
    assert [[change["event"] for change in payload["changes"]] for payload in payloads] == [
        ["filed"], ["confirmed"], ["routed", "item_resolved", "item_resolved"]]
    assert {payload["notice"]["reference"] for payload in payloads} == {notice.reference}
    assert payloads[-1]["notice"]["status"] == "in_review"
    assert eventually(lambda: WebhookDelivery.objects.filter(status=WebhookDeliveryStatus.DELIVERED).count() == 3,
                      "the worker records the three deliveries", timeout=10)

    # The receiver goes down; the reviewer decides meanwhile; the worker's attempt fails and is recorded.
    receiver.stop()
    notice.refresh_from_db()
    decide(notice, timezone.now(), {"L-100001": "remove", "L-100002": "reject"})
    failed = eventually(lambda: WebhookAttempt.objects.filter(status_code=None).first(),
                        "the worker tries the decision's webhook and fails", timeout=30)
    assert "refused" in failed.error.lower()
    pending = WebhookDelivery.objects.get(pk=failed.delivery_id)
    assert (pending.status, pending.attempts) == (WebhookDeliveryStatus.PENDING, 1)

    # Back up: the beat's sweep (run here every second, as beat would every 5 s) hands the due retries to the
    # worker, which delivers them: the decision, and the takedown the worker carried out afterwards.
    receiver.start()
    deadline = time.monotonic() + 45
    while len(receiver.unique()) < 5 and time.monotonic() < deadline:
        tasks.sweep_webhooks()
        time.sleep(1)
    got = receiver.unique()
    later = [[change["event"] for change in record.payload["changes"]] for record in got.values()][3:]
    assert sorted(later) == [["closed", "item_decided", "item_decided"], ["listing_removed"]]
    decision = [record.payload for record in got.values() if record.payload["changes"][0]["event"] == "closed"]
    assert len(decision) == 1 and receiver.rejected == 0
    assert [(change["listing"]["listing_id"], change["outcome"]) for change in decision[0]["changes"]
            if change["event"] == "item_decided"] == [("L-100001", "remove"), ("L-100002", "reject")]
    assert eventually(lambda: WebhookDelivery.objects.get(pk=pending.pk).status == WebhookDeliveryStatus.DELIVERED,
                      "the retried delivery is recorded as delivered", timeout=10)
    assert list(WebhookAttempt.objects.filter(delivery=pending).values_list("status_code", flat=True)) == [None, 204]


def test_two_workers_delivering_the_same_deliveries_at_once_post_each_once(db, receiver):
    """Two copies of the same batch (the task and the sweep's, a redelivered message) on PostgreSQL at the same
    moment: every delivery is claimed by one of them only, so the receiver gets each event exactly once."""
    assert connection.vendor == "postgresql"
    now = timezone.now()
    organisation = make_organisation(now, domain=f"race{int(time.time() * 1000)}.example")
    endpoint = add_endpoint(organisation, receiver.url, now)
    for _ in range(20):
        webhooks.send_test_event(endpoint, now)
    ids = list(WebhookDelivery.objects.filter(endpoint=endpoint).order_by("pk").values_list("pk", flat=True))
    barrier, counts = threading.Barrier(2), []

    def deliver_all():
        try:
            barrier.wait(timeout=10)
            counts.append(webhooks.deliver_batch(ids))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver_all) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # Each copy saw every delivery, and posted only those it claimed (the session's worker, if running, may have
    # claimed some first: each test event's own task was published too).
    assert all(count["delivered"] + count["skipped"] == 20 and count["failed"] == 0 for count in counts), counts
    assert receiver.wait_for(20, timeout=20) and len(receiver.received) == 20 and receiver.duplicates() == 0
    assert WebhookAttempt.objects.filter(delivery__endpoint=endpoint).count() == 20
