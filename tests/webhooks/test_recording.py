"""webhooks.record: which changes of an organisation's notices become webhook events, grouped per notice and
step, with what payload, and nothing at all (not one query) for a notice without an organisation."""

import json
from datetime import timedelta

import pytest
from django.conf import settings

from takedowns import dispatch, webhooks, workflow
from takedowns.enums import EventKind, NoticeStatus, WebhookDeliveryStatus
from takedowns.models import Event, TaskDispatch, WebhookDelivery, WebhookEvent
from takedowns.workflow.base import SYSTEM, make_event
from tests.factories import confirmed, decide
from tests.webhooks.conftest import add_endpoint, file_for

pytestmark = pytest.mark.django_db

TWO = (("L-100001", "counterfeit"), ("L-100002", "counterfeit"))


def payloads() -> list[dict]:
    return [event.payload for event in WebhookEvent.objects.order_by("pk")]


def test_a_notice_without_an_organisation_costs_not_one_query(now, catalogue, django_assert_num_queries):
    notice = confirmed(now)
    events = [make_event(notice, EventKind.ROUTED, SYSTEM, now, from_status="confirmed", to_status="in_review")]
    with django_assert_num_queries(0):
        webhooks.record(events)
    assert not WebhookEvent.objects.exists()


def test_filing_a_verified_organisations_notice_reports_filing_and_confirmation(now, endpoint):
    notice = file_for(endpoint.organisation, now)
    filed, confirmed_ = WebhookEvent.objects.order_by("pk")
    assert (filed.organisation, filed.notice, filed.kind) == (endpoint.organisation, notice, "notice.status_changed")
    notice_part = {"reference": notice.reference, "status": NoticeStatus.CONFIRMED,
                   "url": f"{settings.SITE_URL}/api/v1/notices/{notice.reference}"}
    # Filing and confirmation are two steps (two save_events calls) of one transaction: two events.
    assert filed.payload == {
        "id": str(filed.event_id), "type": "notice.status_changed", "created_at": now.isoformat(),
        # The notice as the step left it: each event says the status it reports.
        "notice": {**notice_part, "status": NoticeStatus.UNCONFIRMED},
        "changes": [{"event": "filed", "at": now.isoformat(), "from": None, "to": "unconfirmed"}]}
    assert confirmed_.payload["notice"] == notice_part
    assert confirmed_.payload["changes"] == [
        {"event": "confirmed", "at": now.isoformat(), "from": "unconfirmed", "to": "confirmed"}]
    deliveries = list(WebhookDelivery.objects.order_by("pk"))
    assert [(row.event, row.endpoint, row.status, row.attempts, row.next_attempt_at) for row in deliveries] == [
        (event, endpoint, WebhookDeliveryStatus.PENDING, 0, now) for event in (filed, confirmed_)]
    assert [row.kwargs for row in TaskDispatch.objects.filter(task=dispatch.DELIVER_WEBHOOKS).order_by("pk")] == [
        {"delivery_ids": [row.pk]} for row in deliveries]


def test_routing_reports_each_listings_resolution_and_the_status_in_one_event(now, catalogue, reviewers, endpoint):
    notice = file_for(endpoint.organisation, now, TWO)
    WebhookEvent.objects.all().delete()
    workflow.route_notice(notice.pk, now)
    (payload,) = payloads()
    assert payload["type"] == "notice.status_changed" and payload["notice"]["status"] == NoticeStatus.IN_REVIEW
    assert [(change["event"], change["to"]) for change in payload["changes"]] == [
        ("routed", "in_review"), ("item_resolved", "in_review"), ("item_resolved", "in_review")]
    assert [change["listing"] for change in payload["changes"][1:]] == [
        {"position": 1, "reported": "L-100001", "listing_id": "L-100001"},
        {"position": 2, "reported": "L-100002", "listing_id": "L-100002"}]
    # The reviewer it went to is the reviewers' business: not in the payload.
    assert "tm" not in json.dumps(payload["changes"])


def test_a_decision_reports_outcome_reason_code_and_note_but_no_reviewer(now, catalogue, reviewers, endpoint):
    notice = file_for(endpoint.organisation, now, TWO)
    workflow.route_notice(notice.pk, now)
    notice.refresh_from_db()
    WebhookEvent.objects.all().delete()
    decide(notice, now, {"L-100001": "remove", "L-100002": "reject"}, note="Thank you")
    (payload,) = payloads()
    assert payload["type"] == "notice.status_changed" and payload["notice"]["status"] == NoticeStatus.CLOSED
    decided = [change for change in payload["changes"] if change["event"] == "item_decided"]
    assert [(change["listing"]["listing_id"], change["to"], change["outcome"]) for change in decided] == [
        ("L-100001", "removed", "remove"), ("L-100002", "rejected", "reject")]
    assert decided[0].get("reason_code") is None and decided[1]["note"] == "Thank you"
    assert decided[1]["reason_code"]["code"] == "genuine-goods" and decided[1]["reason_code"]["text"]
    kinds = {change["event"] for change in payload["changes"]}
    # Clocks, strikes and penalties (the seller's account) are not reported.
    assert kinds == {"item_decided", "closed"}
    assert "tm" not in json.dumps(payload) and "reviewer" not in json.dumps(payload)


def test_the_reviewers_handling_and_the_clocks_are_not_reported(now, endpoint):
    notice = file_for(endpoint.organisation, now)
    WebhookEvent.objects.all().delete()
    webhooks.record([make_event(notice, kind, SYSTEM, now) for kind in (
        EventKind.CLAIMED, EventKind.RELEASED, EventKind.REASSIGNED, EventKind.ESCALATED, EventKind.CLOCK_STARTED,
        EventKind.STRIKE_RECORDED, EventKind.PENALTY_DECIDED, EventKind.APPEAL_FILED, EventKind.ROUTING_DEFERRED)])
    assert not WebhookEvent.objects.exists()


def test_a_big_step_is_split_in_parts_of_chunk_changes(now, catalogue, reviewers, endpoint, monkeypatch):
    monkeypatch.setattr(webhooks, "CHUNK", 2)
    notice = file_for(endpoint.organisation, now, (*TWO, ("L-100003", "counterfeit")))
    WebhookEvent.objects.all().delete()
    workflow.route_notice(notice.pk, now)
    found = payloads()
    assert [(payload["type"], payload["part"], payload["parts"], len(payload["changes"])) for payload in found] == [
        ("notice.status_changed", 1, 2, 2), ("listing.state_changed", 2, 2, 2)]
    assert len({payload["id"] for payload in found}) == 2
    assert WebhookDelivery.objects.count() == 2


def test_a_step_writes_a_fixed_number_of_statements_however_many_listings(now, endpoint, django_assert_num_queries):
    notice = file_for(endpoint.organisation, now)
    items = [make_event(notice, EventKind.ITEM_RESOLVED, SYSTEM, now, item=notice.items.get(), to_status="in_review")
             for _ in range(1200)]
    Event.objects.bulk_create(items)
    # The endpoints, the listings, one INSERT of the events, one of the deliveries, the dispatch row.
    with django_assert_num_queries(5):
        webhooks.record(items)
    assert WebhookEvent.objects.filter(source__isnull=True).count() == 0
    assert WebhookEvent.objects.count() == 2 + 3  # filed, confirmed; then 1,200 changes in three parts


def test_only_active_endpoints_get_deliveries_and_none_means_no_event(now, organisation, receiver):
    add_endpoint(organisation, receiver.url, now, is_active=False, removed_at=now)
    file_for(organisation, now)
    assert not WebhookEvent.objects.exists()
    live = add_endpoint(organisation, receiver.url + "/2", now)
    other = add_endpoint(organisation, receiver.url + "/3", now)
    file_for(organisation, now + timedelta(seconds=1))
    assert set(WebhookDelivery.objects.values_list("endpoint", flat=True)) == {live.pk, other.pk}
    # One task per endpoint: one receiver's timeouts never hold up another's deliveries.
    asked = [row.kwargs["delivery_ids"] for row in TaskDispatch.objects.filter(task=dispatch.DELIVER_WEBHOOKS)]
    assert sorted(asked) == [[pk] for pk in WebhookDelivery.objects.order_by("pk").values_list("pk", flat=True)]


def test_a_test_event_is_a_ping_delivered_like_any_other(now, endpoint):
    event = webhooks.send_test_event(endpoint, now)
    assert event.payload == {"id": str(event.event_id), "type": "ping", "created_at": now.isoformat(), "changes": []}
    assert (event.kind, event.notice, event.organisation) == ("ping", None, endpoint.organisation)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.event, delivery.endpoint) == (event, endpoint)
    assert TaskDispatch.objects.get(task=dispatch.DELIVER_WEBHOOKS).kwargs == {"delivery_ids": [delivery.pk]}


def test_events_rolled_back_write_no_webhook(now, endpoint):
    from django.db import transaction  # noqa: PLC0415 — only this test opens its own transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        file_for(endpoint.organisation, now)
        raise RuntimeError
    assert not WebhookEvent.objects.exists() and not Event.objects.exists()
