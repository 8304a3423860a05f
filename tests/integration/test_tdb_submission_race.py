"""Two runs of the Transparency Database submitter at the same moment on PostgreSQL: every statement goes
out exactly once (each is claimed by one conditional update before it is sent)."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection, connections

from takedowns import tdb, tdb_submission
from takedowns.models import TdbSubmission
from tests import fake_tdb
from tests.factories import taken_down

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_two_concurrent_runs_send_each_statement_once(catalogue, reviewers, reason_codes, now, settings, monkeypatch):
    assert connection.vendor == "postgresql"
    for n in range(8):
        taken_down(now + timedelta(minutes=n), f"L-10000{n % 4 + 1}")
    tdb_submission.enqueue(now)
    # The 8 removals, and the account measures the ladder applied on the strikes they brought.
    queued = set(TdbSubmission.objects.values_list("puid", flat=True))
    assert sum(puid.startswith("listing-") for puid in queued) == 8
    monkeypatch.setattr(tdb, "BATCH_LIMIT", 1)  # a claim per statement: the most chances to collide
    with fake_tdb.serving() as fake:
        settings.TDB_API_URL, settings.TDB_API_TOKEN = fake.url, fake_tdb.TOKEN
        barrier = threading.Barrier(2)
        results = []

        def run():
            try:
                barrier.wait(timeout=10)
                results.append(tdb_submission.submit_pending(now, sleep=lambda delay: None))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    sent = Counter(puid for batch in fake.batches for puid in batch)
    # Each run also queues what became eligible since (an account measure applied meanwhile): every
    # row queued by the end, the first ones included, went out exactly once.
    rows = set(TdbSubmission.objects.values_list("puid", flat=True))
    assert queued <= rows and set(sent) == rows and set(sent.values()) == {1}, sent
    assert sum(result.sent for result in results) == len(rows)
    assert set(TdbSubmission.objects.values_list("status", "attempts")) == {("sent", 1)}
