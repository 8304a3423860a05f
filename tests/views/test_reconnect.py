"""A page whose database connection is cut under it runs once more on a new connection (issue 10:
a database failover or an operator's pg_terminate_backend showed rights holders a server error for
work that could simply have been done again). The real cut, on PostgreSQL, is in
tests/integration/test_dropped_connection.py."""

import uuid
from unittest import mock

import pytest
from django.db import OperationalError
from django.http import HttpResponse
from django.test import RequestFactory

from takedowns import workflow
from takedowns.enums import NoticeStatus
from takedowns.models import Evidence, Notice
from takedowns.views import reconnect
from tests.factories import PDF_BYTES, file_notice, notice_form_post, upload

CUT = OperationalError("terminating connection due to administrator command")


def flaky(*failures: Exception):
    """A view that raises each of `failures` in turn, then answers; and how often it was called."""
    calls = []

    @reconnect.once_more_if_disconnected
    def view(request):
        calls.append(request)
        if len(calls) <= len(failures):
            raise failures[len(calls) - 1]
        return HttpResponse("done")
    return view, calls


@pytest.fixture
def cut():
    with mock.patch.object(reconnect, "still_connected", return_value=False), \
            mock.patch.object(reconnect.connection, "in_atomic_block", False), \
            mock.patch.object(reconnect.connection, "close") as close:
        yield close


def test_a_cut_connection_runs_the_page_once_more_on_a_new_one(cut):
    view, calls = flaky(CUT)
    assert view(RequestFactory().get("/")).content == b"done"
    assert len(calls) == 2 and cut.call_count == 1


def test_a_second_cut_runs_it_a_third_time(cut):
    view, calls = flaky(CUT, CUT)
    assert view(RequestFactory().get("/")).content == b"done"
    assert len(calls) == 3 and cut.call_count == 2


def test_a_third_cut_is_shown_as_the_error_it_is(cut):
    view, calls = flaky(CUT, CUT, CUT)
    with pytest.raises(OperationalError):
        view(RequestFactory().get("/"))
    assert len(calls) == 3 and cut.call_count == 2


def test_an_error_of_the_query_itself_is_not_repeated():
    view, calls = flaky(OperationalError("division by zero"))
    with mock.patch.object(reconnect, "still_connected", return_value=True), \
            mock.patch.object(reconnect.connection, "in_atomic_block", False), pytest.raises(OperationalError):
        view(RequestFactory().get("/"))
    assert len(calls) == 1


def test_inside_a_callers_transaction_nothing_is_repeated():
    view, calls = flaky(CUT)
    with mock.patch.object(reconnect, "still_connected", return_value=False), \
            mock.patch.object(reconnect.connection, "in_atomic_block", True), pytest.raises(OperationalError):
        view(RequestFactory().get("/"))
    assert len(calls) == 1


# Through the pages, with the cut simulated where the workflow runs (SQLite's in-memory test database
# ignores a close, so the page really runs twice on the same data).

@pytest.mark.django_db(transaction=True)
def test_confirming_when_the_connection_is_cut_confirms_once_and_shows_no_error(client, now, catalogue, reviewers):
    notice = file_notice(now)
    real, calls = workflow.confirm_notice, []

    def cut_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise CUT
        return real(*args, **kwargs)

    with mock.patch.object(reconnect, "still_connected", return_value=False), \
            mock.patch.object(workflow, "confirm_notice", cut_once):
        response = client.post(notice.confirmation_path())
    assert (response.status_code, response["Location"]) == (302, notice.tracking_path())
    assert len(calls) == 2
    assert Notice.objects.get(pk=notice.pk).status != NoticeStatus.UNCONFIRMED
    assert notice.events.filter(kind="confirmed").count() == 1


@pytest.mark.django_db(transaction=True)
def test_filing_when_the_connection_is_cut_files_once_and_keeps_each_file_once(client, catalogue):
    data = notice_form_post(uuid.uuid4())
    real, calls = workflow.file_notice, []

    def cut_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise CUT  # after the form's files were kept: the second run must not keep them again
        return real(*args, **kwargs)

    with mock.patch.object(reconnect, "still_connected", return_value=False), \
            mock.patch.object(workflow, "file_notice", cut_once):
        response = client.post("/notices/new/", {**data, "test_buy": upload("buy.pdf", PDF_BYTES)})
    notice = Notice.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/notices/filed/{notice.submission_key}/")
    assert len(calls) == 2
    assert list(Evidence.objects.values_list("notice_id", "original_name")) == [(notice.pk, "buy.pdf")]
