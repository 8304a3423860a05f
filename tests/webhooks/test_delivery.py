"""webhooks.deliver and deliver_batch against a live receiver on 127.0.0.1: signed POSTs, every attempt recorded,
back-off for a day then given up, claims that never deliver twice at once, a dead worker's claim taken over,
a dead receiver that does not hold up the rest; the beat's sweep; the private page's selector."""

import hashlib
import hmac
import json
import random
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

import pytest

from takedowns import tasks, webhooks
from takedowns.enums import WebhookDeliveryStatus
from takedowns.models import WebhookAttempt, WebhookDelivery
from takedowns.selectors.webhooks import recent_deliveries
from tests.webhook_receiver import verify
from tests.webhooks.conftest import SECRET, add_endpoint, file_for

pytestmark = pytest.mark.django_db


def a_delivery(endpoint, now) -> WebhookDelivery:
    webhooks.send_test_event(endpoint, now)
    return WebhookDelivery.objects.get(endpoint=endpoint)


def test_signature_is_hmac_sha256_of_id_timestamp_and_body():
    body = b'{"id":"e1"}'
    expected = hmac.new(b"k", b'e1.1700000000.{"id":"e1"}', hashlib.sha256).hexdigest()
    assert webhooks.signature("k", "e1", 1700000000, body) == "v1=" + expected


def test_during_a_secret_rotation_both_secrets_sign(now, organisation):
    endpoint = add_endpoint(organisation, "http://127.0.0.1:9/x", now, secret="new", previous_secret="old",
                            previous_secret_expires_at=now + timedelta(hours=1))
    header = webhooks.signature_header(endpoint, "e1", 1, b"{}", now)
    assert header.split() == [webhooks.signature("new", "e1", 1, b"{}"), webhooks.signature("old", "e1", 1, b"{}")]
    assert webhooks.signature_header(endpoint, "e1", 1, b"{}", now + timedelta(hours=1)) == \
        webhooks.signature("new", "e1", 1, b"{}")


def test_a_delivery_is_a_signed_post_the_receiver_verifies(now, endpoint, receiver):
    file_for(endpoint.organisation, now)
    delivery = WebhookDelivery.objects.order_by("pk").first()
    outcome = webhooks.deliver(delivery.pk, now)
    assert outcome.delivered and outcome.status_code == 204
    (got,) = receiver.received
    assert got.event_id == str(delivery.event.event_id) and got.timestamp == int(now.timestamp())
    assert got.payload == delivery.event.payload and receiver.rejected == 0
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.delivered_at, delivery.last_status_code,
            delivery.claimed_at) == (WebhookDeliveryStatus.DELIVERED, 1, now, 204, None)
    attempt = WebhookAttempt.objects.get()
    assert (attempt.delivery, attempt.started_at, attempt.status_code, attempt.error) == (delivery, now, 204, "")
    # Done: a second copy of the task does nothing.
    assert webhooks.deliver(delivery.pk, now) is None and len(receiver.received) == 1


def test_nothing_is_sent_to_an_endpoint_removed_since_the_change(now, endpoint, receiver):
    delivery = a_delivery(endpoint, now)
    endpoint.is_active, endpoint.removed_at = False, now
    endpoint.save()
    assert webhooks.deliver(delivery.pk, now) is None
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error, delivery.claimed_at) == (
        WebhookDeliveryStatus.FAILED, "not sent: the endpoint was removed", None)
    assert receiver.received == [] and not WebhookAttempt.objects.exists()


def test_a_receiver_with_another_secret_or_an_old_timestamp_refuses(now, endpoint):
    body, stamp = b'{"a":1}', int(now.timestamp())
    headers = {"Webhook-Id": "e1", "Webhook-Timestamp": str(stamp),
               "Webhook-Signature": webhooks.signature(SECRET, "e1", stamp, body)}
    assert verify(SECRET, headers, body, now=stamp + 10)
    assert not verify("other", headers, body, now=stamp)
    assert not verify(SECRET, headers, body, now=stamp + 301)
    assert not verify(SECRET, headers, b'{"a":2}', now=stamp)


def test_a_failed_attempt_is_recorded_and_retried_with_back_off(now, endpoint, receiver):
    receiver.mode = "fail"
    delivery = a_delivery(endpoint, now)
    outcome = webhooks.deliver(delivery.pk, now)
    assert not outcome.delivered and outcome.status_code == 500
    delivery.refresh_from_db()
    assert delivery.status == WebhookDeliveryStatus.PENDING and delivery.attempts == 1
    assert timedelta(seconds=8) <= delivery.next_attempt_at - now <= timedelta(seconds=12)
    assert (delivery.last_status_code, delivery.last_error) == (500, "HTTP 500: receiver told to fail")
    assert WebhookAttempt.objects.get().error == "HTTP 500: receiver told to fail"
    # Not due yet: nobody may try it before its time.
    assert webhooks.deliver(delivery.pk, now + timedelta(seconds=5)) is None
    receiver.mode = "ok"
    assert webhooks.deliver(delivery.pk, delivery.next_attempt_at).delivered
    assert WebhookAttempt.objects.filter(delivery=delivery).count() == 2


def test_the_back_off_grows_to_an_hour_with_jitter():
    rng = random.Random(1)
    seconds = [webhooks.backoff(attempts, rng).total_seconds() for attempts in range(1, 13)]
    bases = [10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 3600, 3600, 3600]
    assert all(base * 0.8 <= got <= base * 1.2 for base, got in zip(bases, seconds, strict=True))
    assert len(set(seconds)) == len(seconds)  # jitter: no two receivers retried in the same second


def test_the_schedule_gives_up_after_a_day():
    at, attempts = 0.0, 0
    while True:
        attempts += 1
        at += webhooks.BACKOFF[attempts - 1] if attempts <= len(webhooks.BACKOFF) else webhooks.BACKOFF_MAX
        if at > 24 * 3600:
            break
    assert 25 <= attempts <= 35  # about thirty tries in the day


def test_a_delivery_failing_for_a_day_is_given_up(now, endpoint, receiver):
    receiver.mode = "fail"
    delivery = a_delivery(endpoint, now - timedelta(hours=23, minutes=30))
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=25, next_attempt_at=now)
    webhooks.deliver(delivery.pk, now)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (WebhookDeliveryStatus.FAILED, 26, 500)
    assert webhooks.due_batches(now + timedelta(days=2)) == []


def test_a_refused_connection_and_a_timeout_are_recorded_errors(now, organisation, receiver, monkeypatch):
    closed = add_endpoint(organisation, "http://127.0.0.1:9/hooks", now)  # port 9 (discard): refused
    delivery = a_delivery(closed, now)
    outcome = webhooks.deliver(delivery.pk, now)
    assert outcome.status_code is None and "refused" in outcome.error.lower()
    monkeypatch.setattr(webhooks, "TIMEOUT", 0.3)
    receiver.mode, receiver.hang_seconds = "hang", 1.0
    slow = a_delivery(add_endpoint(organisation, receiver.url, now), now)
    outcome = webhooks.deliver(slow.pk, now)
    assert outcome.status_code is None and "timed out" in outcome.error
    assert 250 <= outcome.duration_ms < 1000


def test_a_redirect_is_not_followed(now, organisation, receiver):
    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self):
            self.send_response(302)
            self.send_header("Location", receiver.url)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        endpoint = add_endpoint(organisation, f"http://127.0.0.1:{server.server_address[1]}/", now)
        outcome = webhooks.deliver(a_delivery(endpoint, now).pk, now)
    finally:
        server.shutdown()
        server.server_close()
    assert outcome.status_code == 302 and not outcome.delivered and receiver.received == []


def test_of_two_claims_at_once_only_one_posts(now, endpoint, receiver):
    delivery = a_delivery(endpoint, now)
    assert webhooks._claim(delivery.pk, now) is not None
    assert webhooks._claim(delivery.pk, now) is None
    assert webhooks.deliver(delivery.pk, now + webhooks.LEASE - timedelta(seconds=1)) is None
    assert receiver.received == []


def test_a_claim_whose_worker_died_is_taken_over_after_the_lease(now, endpoint, receiver):
    delivery = a_delivery(endpoint, now)
    webhooks._claim(delivery.pk, now)  # the worker dies before it posts
    assert webhooks.due_batches(now + webhooks.LEASE) == []
    later = now + webhooks.LEASE + timedelta(seconds=1)
    assert webhooks.due_batches(later) == [[delivery.pk]]
    assert webhooks.deliver(delivery.pk, later).delivered
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (WebhookDeliveryStatus.DELIVERED, 2)
    # The dead worker's late answer changes nothing: the delivery is no longer its claim.
    webhooks._record_outcome(delivery, webhooks.Outcome(500, "late", 5), now)
    delivery.refresh_from_db()
    assert delivery.status == WebhookDeliveryStatus.DELIVERED


def test_the_sweep_finds_lost_new_deliveries_and_due_retries(now, endpoint, receiver):
    new = a_delivery(endpoint, now)
    assert webhooks.due_batches(now + timedelta(seconds=14)) == []  # its own task may still come
    assert webhooks.due_batches(now + webhooks.FIRST_TRY_GRACE) == [[new.pk]]
    receiver.mode = "fail"
    webhooks.deliver(new.pk, now)
    new.refresh_from_db()
    assert webhooks.due_batches(new.next_attempt_at - timedelta(seconds=1)) == []
    assert webhooks.due_batches(new.next_attempt_at) == [[new.pk]]


def test_a_delivery_handed_to_a_task_is_not_handed_out_again_until_that_task_counts_as_lost(now, endpoint):
    delivery = a_delivery(endpoint, now)
    swept = now + webhooks.FIRST_TRY_GRACE
    assert webhooks.due_batches(swept) == [[delivery.pk]]
    assert WebhookDelivery.objects.get(pk=delivery.pk).claimed_at == swept
    assert webhooks.due_batches(swept + timedelta(seconds=5)) == []  # its task may be queued behind others
    assert webhooks.due_batches(swept + webhooks.REDISPATCH_AFTER + timedelta(seconds=1)) == [[delivery.pk]]
    # The stamp does not stand in the way of the task itself.
    assert webhooks.deliver(delivery.pk, swept + timedelta(seconds=6)).delivered


def test_a_dead_receiver_costs_one_attempt_per_round_and_never_holds_up_another(now, organisation, receiver):
    dead = add_endpoint(organisation, "http://127.0.0.1:9/hooks", now)
    for _ in range(3):
        webhooks.send_test_event(dead, now)
    ids = list(WebhookDelivery.objects.filter(endpoint=dead).order_by("pk").values_list("pk", flat=True))
    assert webhooks.deliver_batch(ids, now) == {"delivered": 0, "failed": 1, "deferred": 2, "skipped": 0}
    rows = list(WebhookDelivery.objects.filter(endpoint=dead).order_by("pk"))
    assert [row.attempts for row in rows] == [1, 0, 0]
    assert len({row.next_attempt_at for row in rows}) == 1 and rows[0].next_attempt_at > now
    healthy = add_endpoint(organisation, receiver.url, now)
    webhooks.send_test_event(healthy, now)
    sweep = webhooks.due_batches(now + timedelta(seconds=20))
    assert sorted(map(len, sweep)) == [1, 3]  # one batch per endpoint: its own task


def test_a_receiver_back_gets_its_backlog_at_once(now, endpoint, receiver):
    receiver.mode = "fail"
    missed = a_delivery(endpoint, now)
    webhooks.deliver(missed.pk, now)
    receiver.mode = "ok"
    fresh = webhooks.send_test_event(endpoint, now + timedelta(seconds=2)).deliveries.get()
    assert webhooks.deliver(fresh.pk, now + timedelta(seconds=2)).delivered
    missed.refresh_from_db()
    assert missed.next_attempt_at == now + timedelta(seconds=2)
    assert webhooks.due_batches(now + timedelta(seconds=2)) == [[missed.pk]]


def test_the_tasks_deliver_and_sweep(now, endpoint, receiver):
    delivery = a_delivery(endpoint, now)
    assert tasks.deliver_webhooks(delivery_ids=[delivery.pk]) == {"delivered": 1, "failed": 0, "deferred": 0,
                                                                  "skipped": 0}
    assert len(receiver.received) == 1 and tasks.sweep_webhooks() == 0


def test_the_beat_sweeps_webhooks_every_five_seconds(settings):
    assert settings.CELERY_BEAT_SCHEDULE["sweep-webhooks"] == {
        "task": "takedowns.tasks.sweep_webhooks", "schedule": 5.0, "options": {"expires": 30}}


def test_recent_deliveries_come_newest_first_with_their_attempts(now, endpoint, receiver, django_assert_num_queries):
    receiver.mode = "fail"
    first = a_delivery(endpoint, now)
    webhooks.deliver(first.pk, now)
    receiver.mode = "ok"
    webhooks.deliver(first.pk, now + timedelta(minutes=1))
    second = webhooks.send_test_event(endpoint, now + timedelta(minutes=2)).deliveries.get()
    with django_assert_num_queries(2):
        found = recent_deliveries(endpoint.organisation)
        shown = [(row.pk, row.event.kind, row.endpoint.url, [a.status_code for a in row.attempt_rows.all()])
                 for row in found]
    assert shown == [(second.pk, "ping", endpoint.url, []), (first.pk, "ping", endpoint.url, [500, 204])]
    assert recent_deliveries(endpoint.organisation, limit=1) == [second]
    assert json.loads(webhooks.body_of(second.event)) == second.event.payload
