"""The rate limits on the real services (issue 11): counted in Redis (takedowns/counting.py's one-step
increment, the counters' expiry kept), failing open when that Redis stops, and the confirmation
e-mails' cap exact on PostgreSQL when filings for one address arrive at the same instant."""

import threading
import uuid

import pytest
import redis
from django.core.cache import caches
from django.db import connection, connections
from django.utils import timezone

from portal import settings as portal_settings
from takedowns import limits, workflow
from takedowns.models import Notice
from tests.factories import notice_fields, notice_form_post

pytestmark = pytest.mark.integration


@pytest.fixture
def redis_limits(private_redis, settings, monkeypatch):
    """The limits count in the private Redis, configured as portal.settings configures it."""
    settings.CACHES = {**settings.CACHES, "limits": {**portal_settings.CACHES["limits"], "LOCATION": private_redis.url}}
    assert settings.CACHES["limits"]["BACKEND"] == "takedowns.counting.CounterCache"
    monkeypatch.setattr(limits, "_paused_until", 0.0)
    return private_redis


@pytest.mark.django_db
def test_counted_in_redis_then_refused_then_open_when_redis_stops(client, settings, catalogue, redis_limits):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "filing": {"address": "3/h", "email": "1000/h"}}
    statuses = [client.post("/notices/new/", notice_form_post(uuid.uuid4(), submitter_email=f"a{n}@example.org"))
                .status_code for n in range(5)]
    assert statuses == [302, 302, 302, 429, 429]
    keys = redis.Redis.from_url(redis_limits.url).keys("takedowns-limits:*")
    assert len(keys) == 6  # per address one counter, per e-mail address one each
    assert all(0 < redis.Redis.from_url(redis_limits.url).ttl(key) <= 3600 + 5 for key in keys)

    redis_limits.stop()  # fail open: the limits count nothing, the form files as usual
    response = client.post("/notices/new/", notice_form_post(uuid.uuid4(), submitter_email="late@example.org"))
    assert response.status_code == 302
    assert Notice.objects.count() == 4


def test_the_one_step_increment_keeps_the_expiry_and_refuses_a_missing_counter(redis_limits, settings):
    cache = caches["limits"]
    cache.add("counter", 1, 60)
    assert [cache.incr("counter") for _ in range(3)] == [2, 3, 4]
    client = redis.Redis.from_url(redis_limits.url)
    assert 0 < client.ttl(client.keys("*counter")[0]) <= 60
    with pytest.raises(ValueError, match="not found"):
        cache.incr("never-added")
    assert client.keys("*never-added") == []  # not created without an expiry


@pytest.mark.django_db(transaction=True)
def test_filings_for_one_address_at_the_same_instant_take_the_cap_exactly(catalogue, settings):
    """Eight filings for one address at once, three places left: exactly three are filed (the filing
    transaction holds the address's advisory lock while it counts)."""
    assert connection.vendor == "postgresql"
    settings.RATE_LIMIT_PENDING_CONFIRMATIONS = 3
    now = timezone.now()
    barrier, outcomes = threading.Barrier(8), []

    def file() -> None:
        try:
            barrier.wait(timeout=10)
            workflow.file_notice(notice_fields(submitter_email="Same@Example.org"),
                                 [workflow.ReportedItem("L-100001", "counterfeit")], uuid.uuid4(), now)
            outcomes.append("filed")
        except workflow.ConfirmationsWaiting:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=file) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["filed"] * 3 + ["refused"] * 5
    assert Notice.objects.filter(submitter_email="Same@Example.org").count() == 3
