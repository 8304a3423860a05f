"""Routing in batches on PostgreSQL (issue 15): two workers routing overlapping batches at the same moment
route each notice exactly once (FOR UPDATE SKIP LOCKED: neither waits for the other's notices), and the
reviewers' loads count every assignment once."""

import threading
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection, connections

from takedowns import workflow
from takedowns.enums import EventKind, NoticeStatus
from takedowns.models import Event, Listing, Notice, Reviewer, Seller
from tests.factories import confirmed, make_reviewer

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_two_workers_routing_overlapping_batches_route_each_notice_once(catalogue, now):
    assert connection.vendor == "postgresql"
    make_reviewer("first", ["trademark"])
    make_reviewer("second", ["trademark"])
    seller = Seller.objects.get(external_id="S-1")
    rounds, size = 5, 40
    Listing.objects.bulk_create([Listing(external_id=f"L-5{number:05d}", seller=seller, title=f"Bag {number}",
                                         category="bags", price=Decimal("9.99")) for number in range(rounds * size)])
    for round_number in range(rounds):
        # The routing tasks' messages are not published: the two "workers" below are this round's routing.
        with mock.patch("takedowns.dispatch.after_commit"):
            ids = [confirmed(now, items=[(f"L-5{round_number * size + number:05d}", "counterfeit")]).pk
                   for number in range(size)]
        barrier, routed, errors = threading.Barrier(2), {}, []

        def route(name, batch, barrier=barrier, routed=routed, errors=errors):  # this round's, bound now
            try:
                barrier.wait(timeout=10)
                routed[name] = [notice.pk for notice in workflow.route_notices(batch, now)]
            except Exception as exc:  # reported below, with the other worker's outcome
                errors.append(repr(exc))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=route, args=("a", ids[:30])),
                   threading.Thread(target=route, args=("b", list(reversed(ids[10:]))))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        assert sorted(routed["a"] + routed["b"]) == ids  # each routed by one of them, none by both
        assert set(Notice.objects.filter(pk__in=ids).values_list("status", flat=True)) == {NoticeStatus.IN_REVIEW}
        assert Event.objects.filter(notice_id__in=ids, kind=EventKind.ROUTED).count() == size
        assert Event.objects.filter(notice_id__in=ids, kind=EventKind.ITEM_RESOLVED).count() == size
    loads = dict(Reviewer.objects.values_list("user__username", "open_load"))
    assert loads["first"] + loads["second"] == rounds * size
    assert Seller.objects.get(pk=seller.pk).reported_items == rounds * size
