"""The API over real connections (issue 15): a notice filed through POST /api/v1/notices by a verified
organisation's key is confirmed at once, and the celery worker routes it to a reviewer (PostgreSQL, Redis, the
worker, the SMTP server), and its endpoint receives the signed events; two copies of one request with the same
Idempotency-Key at the same instant file one notice, however the race falls (the unique constraint decides)."""

import json
import threading

import pytest
from django.db import connections
from django.test import Client

from takedowns.models import IdempotencyKey, Notice
from tests.api.helpers import body, key_for, organisation
from tests.integration.test_end_to_end import eventually, routed_by_worker
from tests.webhook_receiver import Receiver
from tests.webhooks.conftest import SECRET, add_endpoint

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_notice_filed_through_the_api_is_routed_by_the_worker(now, catalogue, reviewers, mailbox, worker):
    filer = organisation(now)
    key = key_for(filer, now)
    receiver = Receiver(SECRET).start()
    add_endpoint(filer, receiver.url, now)
    response = Client().post("/api/v1/notices", json.dumps(body([("L-100001", "counterfeit"),
                                                                 ("L-100002", "counterfeit")])),
                             content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 201, response.content
    notice = routed_by_worker(Notice.objects.get(reference=response.json()["reference"]))
    assert notice.assigned_to == reviewers["tm"]
    assert set(notice.items.values_list("listing__external_id", flat=True)) == {"L-100001", "L-100002"}
    read = Client().get(f"/api/v1/notices/{notice.reference}", HTTP_AUTHORIZATION=f"Bearer {key}").json()
    assert read["status"] == "in_review"
    # The receipt e-mail went to the submitter through the worker and the SMTP server.
    eventually(lambda: mailbox.to("mia@brandguard.example"), "the receipt reaches mia@brandguard.example")
    # And the organisation's endpoint received the signed events of each step: filed, confirmed, routed.
    try:
        got = receiver.wait_for(3, timeout=30)
    finally:
        receiver.stop()
    assert receiver.rejected == 0
    steps = sorted(([change["event"] for change in record.payload["changes"]], record.payload["notice"]["status"])
                   for record in got.values())
    assert steps == [(["confirmed"], "confirmed"), (["filed"], "unconfirmed"),
                     (["routed", "item_resolved", "item_resolved"], "in_review")]


def test_two_copies_of_a_request_at_once_file_one_notice(now, catalogue, reviewers, mailbox, worker):
    key = key_for(organisation(now), now)
    data = json.dumps(body())
    start, answers = threading.Barrier(2), []

    def send() -> None:
        try:
            start.wait()
            answers.append(Client().post("/api/v1/notices", data, content_type="application/json",
                                         HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_IDEMPOTENCY_KEY="race-1"))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(answer.status_code for answer in answers)
    # Either the second waited for the first's answer (201 replayed) or came while it was filing (409, retry).
    assert statuses in ([201, 201], [201, 409])
    assert Notice.objects.count() == 1 and IdempotencyKey.objects.get().response_status == 201
    replay = Client().post("/api/v1/notices", data, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_IDEMPOTENCY_KEY="race-1")
    assert (replay.status_code, replay.json()["reference"]) == (201, Notice.objects.get().reference)
    # The notice's routing and e-mails run in the session's worker: done before the test's flush, which would
    # otherwise deadlock with them (CI saw it).
    worker.drain(mailbox)
