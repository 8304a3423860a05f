"""What POST /api/v1/notices costs (issue 15's benchmark, bench/api): the statements of a verified
organisation's 3-listing notice, pinned so that the filing does not grow back, and the answer of a new notice,
built from what the filing holds, exactly what reading the notice back gives."""

from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from takedowns import dispatch
from takedowns.models import Notice, TaskDispatch
from tests.api.helpers import body, get, post, statements_of

THREE = [("https://shop.example/l/1", "counterfeit"), ("https://shop.example/l/2", "counterfeit"),
         ("https://shop.example/l/3", "trademark_misuse")]


@pytest.mark.django_db(transaction=True)
def test_a_verified_organisations_3_listing_notice_costs_a_fixed_number_of_statements(client, key):
    with mock.patch.object(dispatch, "_publish") as publish:
        post(client, "/notices", key, body(THREE[:1]))  # the key's first use records it (once a minute)
        with CaptureQueriesContext(connection) as captured:
            response = post(client, "/notices", key, body(THREE))
    assert response.status_code == 201, response.content
    assert publish.call_count == 4  # each notice's receipt e-mail and routing
    statements = statements_of(captured)
    # The SLA policies are read once a minute or after a change (clocks.active_policies), not per notice.
    assert [statement for statement in statements if statement != "SELECT takedowns_slapolicy"] == [
        "SELECT takedowns_apikey",  # the key (and its organisation)
        "BEGIN",
        "INSERT takedowns_notice", "INSERT takedowns_noticeitem",
        "INSERT takedowns_event", "SELECT takedowns_webhookendpoint",  # FILED, and its webhooks
        "SELECT takedowns_notifiermeasure",  # the misuse ladder: a suspended notifier's notice is refused
        "INSERT takedowns_submitter",  # the submitter's record, counted (one upsert)
        "SELECT takedowns_decision",  # the trust ladder's record
        "INSERT takedowns_slaclock",  # the acknowledgement clock
        "UPDATE takedowns_notice",  # confirmed, with its due time
        "INSERT takedowns_event", "SELECT takedowns_webhookendpoint",  # CONFIRMED, and its webhooks
        "INSERT takedowns_event",  # the clock's start
        "INSERT takedowns_outboundemail", "INSERT takedowns_taskdispatch",  # the receipt and both tasks
        "COMMIT",
        "UPDATE takedowns_taskdispatch",  # both marked published, after commit
    ]
    assert set(TaskDispatch.objects.values_list("task", "attempts")) == {(dispatch.SEND_EMAIL, 1),
                                                                        (dispatch.ROUTE_NOTICE, 1)}
    assert not TaskDispatch.objects.filter(published_at=None).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("listings", [THREE, [(f"https://shop.example/l/{n}", "counterfeit") for n in range(150)]])
def test_the_answer_of_a_new_notice_is_what_reading_it_back_gives(client, key, listings):
    filed = post(client, "/notices", key, body(listings))
    assert filed.status_code == 201, filed.content
    data = filed.json()
    read = get(client, f"/notices/{data['reference']}", key)
    assert read.status_code == 200
    assert data == read.json()
    assert (data["status"], data["listing_count"], len(data["listings"])) == ("confirmed", len(listings),
                                                                            min(len(listings), 100))
    assert [deadline["kind"] for deadline in data["deadlines"]] == ["acknowledgement"]
    assert data["deadlines"][0]["due_at"] is not None
    notice = Notice.objects.get()
    assert data["listings_next"] == (None if len(listings) <= 100 else "100")
    assert notice.due_at is not None
