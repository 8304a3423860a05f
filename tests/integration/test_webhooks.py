"""Webhooks over real connections: a verified organisation's notice is filed (workflow.file_for_organisation,
as the API and the CSV upload file), the celery worker routes it and posts the signed events to a receiver on
127.0.0.1; a decision made while the receiver is down reaches it once it is back (the beat's sweep)."""

import time

import pytest
from django.utils import timezone

from takedowns import tasks
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
        catalogue, reviewers, worker, receiver):
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

    # Back up: once the retry is due, the beat's sweep hands it to the worker, which delivers it.
    receiver.start()
    time.sleep(max(0.0, (pending.next_attempt_at - timezone.now()).total_seconds()) + 0.5)
    assert tasks.sweep_webhooks() >= 1
    # The decision, and the takedown the worker carried out afterwards (which may come first).
    got = receiver.wait_for(5, timeout=30)
    later = [[change["event"] for change in record.payload["changes"]] for record in got.values()][3:]
    assert sorted(later) == [["closed", "item_decided", "item_decided"], ["listing_removed"]]
    decision = [record.payload for record in got.values() if record.payload["changes"][0]["event"] == "closed"]
    assert len(decision) == 1 and receiver.rejected == 0
    assert [(change["listing"]["listing_id"], change["outcome"]) for change in decision[0]["changes"]
            if change["event"] == "item_decided"] == [("L-100001", "remove"), ("L-100002", "reject")]
    assert eventually(lambda: WebhookDelivery.objects.get(pk=pending.pk).status == WebhookDeliveryStatus.DELIVERED,
                      "the retried delivery is recorded as delivered", timeout=10)
    assert list(WebhookAttempt.objects.filter(delivery=pending).values_list("status_code", flat=True)) == [None, 204]
