"""dispatch.py names the tasks the domain asks for after commit; tasks.py, a leaf, defines them.
Each dispatch is a TaskDispatch row written in the caller's transaction (an outbox): published
right after commit, or by the relay when the broker was down then."""

import logging
from datetime import timedelta
from unittest import mock

import pytest
from celery import current_app
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from takedowns import dispatch, tasks
from takedowns.models import TaskDispatch

REFUSED = BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


@pytest.mark.parametrize("name", dispatch.TASKS)
def test_every_task_the_domain_names_is_a_registered_task(name):
    assert current_app.tasks[name].name == name
    assert getattr(tasks, name.rsplit(".", 1)[1]).name == name


def test_a_task_the_domain_may_not_ask_for_is_refused_in_the_callers_transaction(db):
    with pytest.raises(ValueError, match="takedowns.tasks.route_notise"):
        dispatch.after_commit("takedowns.tasks.route_notise", notice_id=7)
    assert not TaskDispatch.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_dispatch_is_recorded_in_the_transaction_and_published_after_commit():
    with mock.patch.object(tasks.route_notice, "apply_async") as publish:
        with transaction.atomic():
            dispatch.after_commit(dispatch.ROUTE_NOTICE, notice_id=7)
            [row] = TaskDispatch.objects.all()
            assert (row.task, row.kwargs, row.published_at, row.attempts) == (dispatch.ROUTE_NOTICE,
                                                                              {"notice_id": 7}, None, 0)
            assert not publish.called
        publish.assert_called_once_with(kwargs={"notice_id": 7})
    row.refresh_from_db()
    assert (row.published_at is not None, row.attempts, row.last_error) == (True, 1, "")
    assert row.created_at <= row.published_at <= timezone.now()


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_records_and_publishes_nothing():
    with mock.patch.object(tasks.route_notice, "apply_async") as publish:
        with pytest.raises(RuntimeError), transaction.atomic():
            dispatch.after_commit(dispatch.ROUTE_NOTICE, notice_id=8)
            raise RuntimeError("rolled back")
        with transaction.atomic():
            with pytest.raises(RuntimeError), transaction.atomic():  # a savepoint rolled back inside
                dispatch.after_commit(dispatch.ROUTE_NOTICE, notice_id=9)
                raise RuntimeError("rolled back")
            dispatch.after_commit(dispatch.ROUTE_NOTICE, notice_id=10)
    assert list(TaskDispatch.objects.values_list("kwargs", flat=True)) == [{"notice_id": 10}]
    publish.assert_called_once_with(kwargs={"notice_id": 10})


@pytest.mark.django_db(transaction=True)
def test_a_failing_publish_is_logged_not_raised_and_the_row_waits_for_the_relay(caplog):
    with mock.patch.object(tasks.route_notice, "apply_async", side_effect=REFUSED), \
            caplog.at_level(logging.WARNING, logger="takedowns.dispatch"), transaction.atomic():
        dispatch.after_commit(dispatch.ROUTE_NOTICE, notice_id=7)
    [row] = TaskDispatch.objects.all()
    assert (row.published_at, row.attempts) == (None, 1)
    assert row.last_error == f"OperationalError({str(REFUSED)!r})"
    assert f"task takedowns.tasks.route_notice (dispatch {row.pk}) not published, left for the relay" in caplog.text


@pytest.fixture
def waiting(db, now):
    """Three dispatches whose writer could not publish them (the broker was down), oldest first."""
    rows = [TaskDispatch.objects.create(task=dispatch.ROUTE_NOTICE, kwargs={"notice_id": number}, attempts=1,
                                        created_at=now - timedelta(seconds=60 - number), last_error="refused")
            for number in (1, 2, 3)]
    return rows


def published(rows):
    return [TaskDispatch.objects.get(pk=row.pk).published_at for row in rows]


def test_the_relay_publishes_what_the_writer_could_not_oldest_first(waiting, now):
    with mock.patch.object(tasks.route_notice, "apply_async") as publish:
        assert dispatch.relay(now) == 3
    assert publish.call_args_list == [mock.call(kwargs={"notice_id": number}) for number in (1, 2, 3)]
    assert published(waiting) == [now, now, now]
    assert list(TaskDispatch.objects.values_list("attempts", flat=True)) == [2, 2, 2]


def test_two_relay_runs_publish_a_row_once(waiting, now):
    with mock.patch.object(tasks.route_notice, "apply_async") as publish:
        assert dispatch.relay(now) == 3
        assert dispatch.relay(now + timedelta(seconds=5)) == 0
    assert publish.call_count == 3


def test_the_relay_leaves_a_fresh_row_to_its_writer(db, now):
    row = TaskDispatch.objects.create(task=dispatch.ROUTE_NOTICE, kwargs={"notice_id": 1}, created_at=now)
    with mock.patch.object(tasks.route_notice, "apply_async") as publish:
        assert dispatch.relay(now + dispatch.RELAY_GRACE - timedelta(seconds=1)) == 0
        assert not publish.called
        assert dispatch.relay(now + dispatch.RELAY_GRACE) == 1
    assert published([row]) == [now + dispatch.RELAY_GRACE]


def test_while_the_broker_is_down_the_relay_stops_at_the_first_row_and_keeps_them_all(waiting, now):
    with mock.patch.object(tasks.route_notice, "apply_async", side_effect=REFUSED) as publish:
        assert dispatch.relay(now) == 0
    assert publish.call_count == 1
    assert published(waiting) == [None, None, None]
    assert list(TaskDispatch.objects.order_by("created_at").values_list("attempts", flat=True)) == [2, 1, 1]


def test_a_row_naming_no_task_of_this_release_does_not_hold_up_the_others(waiting, now, caplog):
    TaskDispatch.objects.filter(pk=waiting[0].pk).update(task="takedowns.tasks.retired_task")
    with mock.patch.object(tasks.route_notice, "apply_async") as publish:
        assert dispatch.relay(now) == 2
    assert publish.call_args_list == [mock.call(kwargs={"notice_id": number}) for number in (2, 3)]
    assert published(waiting) == [None, now, now]
    assert f"relay: dispatch {waiting[0].pk} names no registered task takedowns.tasks.retired_task" in caplog.text


def test_the_relay_works_through_a_backlog_larger_than_one_batch(db, now, monkeypatch):
    monkeypatch.setattr(dispatch, "RELAY_BATCH", 2)
    TaskDispatch.objects.bulk_create(
        TaskDispatch(task=dispatch.ROUTE_NOTICE, kwargs={"notice_id": number}, created_at=now - timedelta(minutes=1))
        for number in range(5))
    with mock.patch.object(tasks.route_notice, "apply_async") as publish:
        assert dispatch.relay(now) == 5
    assert publish.call_count == 5
    assert not TaskDispatch.objects.filter(published_at=None).exists()


def test_published_rows_are_pruned_after_a_day_and_waiting_ones_never(waiting, now):
    old, recent, _ = waiting
    TaskDispatch.objects.filter(pk=old.pk).update(published_at=now - dispatch.KEEP_PUBLISHED - timedelta(seconds=1))
    TaskDispatch.objects.filter(pk=recent.pk).update(published_at=now - dispatch.KEEP_PUBLISHED + timedelta(seconds=1))
    assert dispatch.prune(now) == 1
    assert sorted(TaskDispatch.objects.values_list("kwargs__notice_id", flat=True)) == [2, 3]


def test_the_backlog_counts_published_and_waiting_rows_and_the_oldest_wait(waiting, now):
    TaskDispatch.objects.filter(pk=waiting[0].pk).update(published_at=now)
    assert dispatch.backlog(now) == {"published": 1, "unpublished": 2, "oldest_unpublished_seconds": 58.0}
    TaskDispatch.objects.update(published_at=now)
    assert dispatch.backlog(now) == {"published": 3, "unpublished": 0, "oldest_unpublished_seconds": None}


def test_the_beat_runs_the_relay_every_five_seconds_and_prunes_hourly(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["relay-task-dispatches"] == {"task": "takedowns.tasks.relay_dispatches", "schedule": 5.0,
                                                 "options": {"expires": 10}}
    assert schedule["prune-task-dispatches"] == {"task": "takedowns.tasks.prune_dispatches", "schedule": 3600.0}
    for name in ("takedowns.tasks.relay_dispatches", "takedowns.tasks.prune_dispatches"):
        assert current_app.tasks[name].name == name


# --- The dispatches of one step together (dispatch.together): one INSERT, one UPDATE, the same outbox. ---

@pytest.mark.django_db(transaction=True)
def test_the_dispatches_of_a_block_are_written_in_one_insert_and_marked_published_in_one_update():
    with mock.patch.object(dispatch, "_publish") as publish, CaptureQueriesContext(connection) as captured:
        with transaction.atomic():
            with dispatch.together():
                dispatch.after_commit(dispatch.SEND_EMAIL, email_id=3)
                dispatch.after_commit(dispatch.ROUTE_NOTICE, notice_id=7)
                assert not TaskDispatch.objects.exists()  # written at the block's end
            rows = list(TaskDispatch.objects.order_by("id"))
            assert [(row.task, row.kwargs, row.published_at) for row in rows] == [
                (dispatch.SEND_EMAIL, {"email_id": 3}, None), (dispatch.ROUTE_NOTICE, {"notice_id": 7}, None)]
            assert not publish.called
    assert publish.call_args_list == [mock.call(dispatch.SEND_EMAIL, {"email_id": 3}),
                                      mock.call(dispatch.ROUTE_NOTICE, {"notice_id": 7})]
    writes = [query["sql"].split()[0] for query in captured.captured_queries
              if "taskdispatch" in query["sql"] and not query["sql"].startswith("SELECT")]
    assert writes == ["INSERT", "UPDATE"]
    assert [(row.published_at is not None, row.attempts) for row in TaskDispatch.objects.order_by("id")] == [
        (True, 1), (True, 1)]


@pytest.mark.django_db(transaction=True)
def test_a_failed_publish_in_a_block_is_left_for_the_relay_and_the_others_are_marked(caplog):
    def refuse_routing(task, kwargs):
        if task == dispatch.ROUTE_NOTICE:
            raise REFUSED

    with mock.patch.object(dispatch, "_publish", side_effect=refuse_routing), \
            caplog.at_level(logging.WARNING, logger="takedowns.dispatch"), transaction.atomic(), dispatch.together():
        dispatch.after_commit(dispatch.ROUTE_NOTICE, notice_id=7)
        dispatch.after_commit(dispatch.SEND_EMAIL, email_id=3)
    routing, email = TaskDispatch.objects.order_by("id")
    assert (routing.published_at, routing.attempts, routing.last_error) == (
        None, 1, f"OperationalError({str(REFUSED)!r})")
    assert (email.published_at is not None, email.attempts, email.last_error) == (True, 1, "")
    assert f"dispatch {routing.pk}) not published, left for the relay" in caplog.text
    with mock.patch.object(tasks.route_notice, "apply_async") as publish:
        assert dispatch.relay(timezone.now() + dispatch.RELAY_GRACE) == 1
    publish.assert_called_once_with(kwargs={"notice_id": 7})


@pytest.mark.django_db(transaction=True)
def test_a_block_that_raises_or_rolls_back_records_nothing_and_a_nested_block_writes_with_the_outer():
    with mock.patch.object(dispatch, "_publish") as publish:
        with pytest.raises(RuntimeError), transaction.atomic(), dispatch.together():
            dispatch.after_commit(dispatch.ROUTE_NOTICE, notice_id=8)
            raise RuntimeError("rolled back")
        assert not TaskDispatch.objects.exists()
        with transaction.atomic(), dispatch.together():
            dispatch.after_commit(dispatch.ROUTE_NOTICE, notice_id=9)
            with dispatch.together():
                dispatch.after_commit(dispatch.SEND_EMAIL, email_id=4)
            assert not TaskDispatch.objects.exists()  # the outer block writes both
        with transaction.atomic(), dispatch.together():
            dispatch.after_commit(dispatch.ROUTE_NOTICE, notice_id=10)  # alone: as after_commit writes one
    assert list(TaskDispatch.objects.order_by("id").values_list("kwargs", "attempts")) == [
        ({"notice_id": 9}, 1), ({"email_id": 4}, 1), ({"notice_id": 10}, 1)]
    assert publish.call_count == 3
    with pytest.raises(ValueError, match="route_notise"), dispatch.together():
        dispatch.after_commit("takedowns.tasks.route_notise", notice_id=7)
