"""On PostgreSQL, a rights holder's page whose database connection is terminated under it (as an
operator's pg_terminate_backend or a failover does) runs once more on a new connection: the
confirmation and the notice's page answer as if nothing happened, and the work is done once."""

from unittest import mock

import pytest
from django.db import connection

from takedowns import workflow
from takedowns.enums import EventKind, NoticeStatus
from takedowns.models import Notice
from takedowns.views import public
from takedowns.workflow import filing
from tests.factories import file_notice

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def terminating_once(real):
    """`real`, after its first call has had the server terminate this process's own connection."""
    calls = []

    def call(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")  # raises: the connection is gone
        return real(*args, **kwargs)
    return call, calls


def test_a_confirmation_whose_connection_is_terminated_confirms_once_without_an_error(client, now, catalogue,
                                                                                   reviewers):
    assert connection.vendor == "postgresql"
    notice = file_notice(now)
    call, calls = terminating_once(workflow.confirm_notice)
    with mock.patch.object(workflow, "confirm_notice", call):
        response = client.post(notice.confirmation_path())
    assert (response.status_code, response["Location"]) == (302, notice.tracking_path())
    assert len(calls) == 2
    assert Notice.objects.get(pk=notice.pk).status != NoticeStatus.UNCONFIRMED
    assert notice.events.filter(kind=EventKind.CONFIRMED).count() == 1


def test_the_tracking_page_whose_connection_is_terminated_answers_all_the_same(client, now, catalogue):
    notice = file_notice(now)
    call, calls = terminating_once(public.tracking_page)
    with mock.patch.object(public, "tracking_page", call):
        response = client.get(notice.tracking_path())
    assert response.status_code == 200 and notice.reference in response.content.decode()
    assert len(calls) == 2


def test_a_connection_terminated_inside_the_confirmations_transaction_is_rolled_back_and_run_again(
        client, now, catalogue, reviewers):
    """The cut the fault bench found: in the middle of confirm_notice's transaction (its clock's
    INSERT), after which Django has already reconnected by the time the error reaches the page."""
    notice = file_notice(now)
    call, calls = terminating_once(filing.clocks.start_clock)
    with mock.patch.object(filing.clocks, "start_clock", call):
        response = client.post(notice.confirmation_path())
    assert (response.status_code, response["Location"]) == (302, notice.tracking_path())
    assert len(calls) == 2
    assert notice.events.filter(kind=EventKind.CONFIRMED).count() == 1
    assert notice.clocks.count() == 1
