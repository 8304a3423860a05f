"""Retention on PostgreSQL, where runs really overlap: four runs started at the same moment act on
each row exactly once; and the deletion of a submitter's record racing a confirmation of the same
address, in both orders, never loses the confirmation nor leaves a notice linked to a deleted record."""

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.db import connection, connections

from takedowns.models import Notice, OutboundEmail, Submitter
from takedowns.workflow import filing, retention
from tests.factories import file_notice, routed

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

FILED_AT = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _nothing_published():
    """The cases are built by calling the workflow; nothing goes to the shared broker."""
    with mock.patch("takedowns.dispatch._publish"):
        yield


def _in_threads(*targets: Callable[[], object]) -> list[object]:
    """Run each target in a thread of its own (its own database connection); their results, in order."""
    results: list[object] = [None] * len(targets)

    def run(index: int, target: Callable[[], object]) -> None:
        try:
            results[index] = target()
        except Exception as exc:  # reported to the test as the thread's result
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index, target)) for index, target in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_overlapping_runs_act_on_each_row_once(catalogue, reviewers):
    assert connection.vendor == "postgresql"
    for n in range(10):  # the unconfirmed ones from addresses of their own (limits: 5 waiting per address)
        filing.withdraw_notice(routed(FILED_AT), FILED_AT + timedelta(hours=1))
        file_notice(FILED_AT, submitter_email=f"anna{n}@aerostride.example")
    unattached = OutboundEmail.objects.filter(notice=None).count()
    assert unattached == 10  # the new-assignment mails to tm
    due = FILED_AT.replace(year=FILED_AT.year + 6) + timedelta(days=1)
    barrier = threading.Barrier(4)

    def run() -> dict[str, int]:
        barrier.wait(timeout=10)
        return retention.apply_retention(due)

    results = _in_threads(run, run, run, run)
    assert not [result for result in results if isinstance(result, Exception)], results
    totals = {name: sum(result[name] for result in results) for name in results[0]}
    assert totals == {"unconfirmed_deleted": 10, "cases_anonymised": 10, "submitters_deleted": 1,
                      "emails_deleted": 10, "notifier_cases_anonymised": 0, "uploads_deleted": 0,
                      "organisations_deleted": 0, "idempotency_keys_deleted": 0}
    assert Notice.objects.count() == 10 and not Notice.objects.exclude(submitter_email="").exists()
    assert not Submitter.objects.exists() and not OutboundEmail.objects.filter(notice=None).exists()


def _orphan_and_a_notice_to_confirm() -> tuple[Submitter, Notice]:
    """Anna's record, left by notices retention has anonymised, and her new notice, not yet confirmed."""
    orphan = Submitter.objects.create(email="anna@aerostride.example", created_at=FILED_AT, notices=3)
    return orphan, file_notice(FILED_AT.replace(year=2031))


def _pausing(function: Callable, started: threading.Event) -> Callable:
    """`function`, which says when it is called and then holds its caller (and its locks) for a second."""
    def paused(*args, **kwargs):
        started.set()
        time.sleep(1)
        return function(*args, **kwargs)
    return paused


def test_a_confirmation_waiting_for_a_record_being_deleted_makes_a_new_one(catalogue, reviewers):
    orphan, notice = _orphan_and_a_notice_to_confirm()
    locked = threading.Event()

    def confirm() -> Notice:
        locked.wait(timeout=10)  # retention holds the record's row lock now
        return filing.confirm_notice(notice, FILED_AT.replace(year=2031))

    with mock.patch.object(retention, "_orphans", _pausing(retention._orphans, locked)):
        forgotten, confirmed = _in_threads(lambda: retention._forget_submitter(orphan.pk), confirm)
    assert forgotten is True, forgotten
    assert isinstance(confirmed, Notice), confirmed
    submitter = Notice.objects.get(pk=notice.pk).submitter
    assert submitter.pk != orphan.pk and (submitter.email, submitter.notices) == ("anna@aerostride.example", 1)
    assert not Submitter.objects.filter(pk=orphan.pk).exists()


def test_a_deletion_waiting_for_a_confirmation_of_the_same_address_keeps_the_record(catalogue, reviewers):
    orphan, notice = _orphan_and_a_notice_to_confirm()
    counted = threading.Event()

    def forget() -> bool:
        counted.wait(timeout=10)  # the confirmation holds the record's row lock now
        return retention._forget_submitter(orphan.pk)

    with mock.patch.object(filing, "submitter_trust", _pausing(filing.submitter_trust, counted)):
        confirmed, forgotten = _in_threads(lambda: filing.confirm_notice(notice, FILED_AT.replace(year=2031)),
                                           forget)
    assert isinstance(confirmed, Notice), confirmed
    assert forgotten is False
    assert Notice.objects.get(pk=notice.pk).submitter_id == orphan.pk
    assert Submitter.objects.get(pk=orphan.pk).notices == 4
