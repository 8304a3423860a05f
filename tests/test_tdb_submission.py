"""Statements of reasons sent to the DSA Transparency Database (Art. 24(5)) by tdb_submission.py, against
a local fake of its API on 127.0.0.1 (tests/fake_tdb.py): batches of 100, the uuid of each recorded, a
statement the TDB refuses, a server error then success, a duplicate, and never one sent twice."""

from datetime import timedelta

import pytest

from takedowns import tdb, tdb_submission
from takedowns.models import Decision, Penalty, TdbQueueMark, TdbSubmission
from takedowns.tasks import submit_tdb_statements
from tests import fake_tdb
from tests.factories import apply_penalties, taken_down

pytestmark = pytest.mark.django_db

LISTINGS = ["L-100001", "L-100002", "L-100003", "L-100004"]


@pytest.fixture
def fake(settings):
    with fake_tdb.serving() as fake:
        settings.TDB_API_URL, settings.TDB_API_TOKEN = fake.url, fake_tdb.TOKEN
        yield fake


@pytest.fixture
def removals(now, catalogue, reviewers) -> list[Decision]:
    """Five removals carried out at the marketplace, in the order decided."""
    return [taken_down(now + timedelta(minutes=n), LISTINGS[n % 4]) for n in range(5)]


def puids(decisions: list[Decision]) -> list[str]:
    return [tdb.puid_for(Decision.objects.select_related(*tdb.RELATED).get(pk=d.pk)) for d in decisions]


def rows() -> dict[str, tuple[str, str, int]]:
    """(status, last error, attempts) by puid."""
    return {row.puid: (row.status, row.last_error, row.attempts) for row in TdbSubmission.objects.all()}


def no_sleep(delays: list[float]):
    return delays.append


def test_pending_statements_go_in_batches_and_each_records_its_tdb_uuid(fake, removals, now, monkeypatch):
    assert tdb.BATCH_LIMIT == 100  # the endpoint's limit (StatementMultipleAPIController: between:1,100)
    monkeypatch.setattr(tdb, "BATCH_LIMIT", 2)
    result = tdb_submission.submit_pending(now, sleep=no_sleep([]))
    expected = puids(removals)
    assert (result.enqueued, result.sent, result.failed, result.stopped) == (5, 5, 0, "")
    assert fake.batches == [expected[0:2], expected[2:4], expected[4:5]]
    assert fake.authorisations == [f"Bearer {fake_tdb.TOKEN}"] * 3
    stored = {row.puid: row for row in TdbSubmission.objects.all()}
    assert {puid: (row.status, row.tdb_uuid, row.sent_at, row.attempts, row.claim)
            for puid, row in stored.items()} == {
        puid: ("sent", fake.stored[puid]["uuid"], now, 1, None) for puid in expected}
    # What went out is the statement the export downloads, as it is.
    decision = Decision.objects.select_related(*tdb.RELATED).get(pk=removals[0].pk)
    assert {key: value for key, value in fake.stored[expected[0]].items() if key != "uuid"} == \
        tdb.statement_for(decision)


def test_a_statement_is_never_sent_twice(fake, removals, now):
    tdb_submission.submit_pending(now, sleep=no_sleep([]))
    again = tdb_submission.submit_pending(now + timedelta(minutes=5), sleep=no_sleep([]))
    assert (again.enqueued, again.sent, len(fake.batches)) == (0, 0, 1)
    assert TdbSubmission.objects.count() == 5


def test_one_invalid_statement_fails_alone_and_the_rest_of_its_batch_is_sent(fake, removals, now):
    expected = puids(removals)
    fake.invalid_puids = {expected[2]}
    result = tdb_submission.submit_pending(now, sleep=no_sleep([]))
    # The TDB refuses the whole call; the next call carries the four others.
    assert fake.batches == [expected, [p for p in expected if p != expected[2]]]
    assert (result.sent, result.failed) == (4, 1)
    assert rows()[expected[2]] == (
        "failed", 'Refused by the Transparency Database: {"decision_facts": ["The decision facts field is required."]}',
        1)
    assert {puid: status for puid, (status, _, _) in rows().items()} == {
        **dict.fromkeys(expected, "sent"), expected[2]: "failed"}
    # A refused statement waits for a lead: the next run does not send it again.
    tdb_submission.submit_pending(now + timedelta(minutes=5), sleep=no_sleep([]))
    assert len(fake.batches) == 2


def test_a_server_error_is_tried_again_after_a_pause_and_then_the_batch_goes(fake, removals, now):
    fake.fail_next = [503]
    delays: list[float] = []
    result = tdb_submission.submit_pending(now, sleep=no_sleep(delays))
    assert delays == [1]
    assert len(fake.batches) == 2 and fake.batches[0] == fake.batches[1]
    assert (result.sent, result.stopped) == (5, "")
    assert {status for status, _, _ in rows().values()} == {"sent"}
    assert set(fake.stored) == set(puids(removals))


def test_a_tdb_that_keeps_failing_leaves_the_statements_pending_for_the_next_run(fake, removals, now):
    fake.fail_next = [502, 503, 500, 504]
    delays: list[float] = []
    result = tdb_submission.submit_pending(now, sleep=no_sleep(delays))
    assert delays == [1, 2, 4] and len(fake.batches) == 4
    assert result.stopped == 'HTTP 504: {"message": "Server Error"}'
    assert rows() == dict.fromkeys(puids(removals), ("pending", 'HTTP 504: {"message": "Server Error"}', 1))
    later = tdb_submission.submit_pending(now + timedelta(minutes=5), sleep=no_sleep([]))
    assert later.sent == 5
    assert {(status, attempts) for status, _, attempts in rows().values()} == {("sent", 2)}


def test_a_statement_the_tdb_already_has_is_recorded_as_already_sent(fake, removals, now):
    expected = puids(removals)
    fake.stored[expected[1]] = {"puid": expected[1], "uuid": "earlier"}
    result = tdb_submission.submit_pending(now, sleep=no_sleep([]))
    assert (result.sent, result.already_sent, result.failed) == (4, 1, 0)
    assert rows()[expected[1]] == ("already_sent", "", 1)
    assert TdbSubmission.objects.get(puid=expected[1]).sent_at == now
    assert fake.batches == [expected, [p for p in expected if p != expected[1]]]


def test_a_claim_in_flight_is_left_alone_and_one_whose_run_died_is_sent_again_as_a_duplicate(fake, removals, now):
    tdb_submission.enqueue(now)
    first, second = TdbSubmission.objects.order_by("id")[:2]
    # Another run holds the first (claimed a minute ago); the second's run died after sending it.
    TdbSubmission.objects.filter(pk=first.pk).update(status="sending", claimed_at=now - timedelta(minutes=1))
    TdbSubmission.objects.filter(pk=second.pk).update(status="sending", claimed_at=now - timedelta(minutes=11))
    fake.stored[second.puid] = {"puid": second.puid, "uuid": "sent-by-the-dead-run"}
    tdb_submission.submit_pending(now, sleep=no_sleep([]))
    assert first.puid not in {puid for batch in fake.batches for puid in batch}
    assert rows()[first.puid][0] == "sending"
    assert rows()[second.puid] == ("already_sent", "", 1)


def test_account_measures_are_sent_once_applied(fake, now, catalogue, reviewers):
    for n in range(2):  # the seller's second strike: a restriction
        taken_down(now + timedelta(minutes=n), LISTINGS[n])
    apply_penalties(now)
    restriction = Penalty.objects.select_related("seller", "strike__notice").get(level="restriction")
    tdb_submission.submit_pending(now, sleep=no_sleep([]))
    puid = tdb.penalty_puid_for(restriction)
    assert rows()[puid] == ("sent", "", 1)
    assert fake.stored[puid]["decision_provision"] == "DECISION_PROVISION_PARTIAL_SUSPENSION"
    assert not Penalty.objects.filter(level="warning", tdb_submission__isnull=False).exists()


def test_a_wrong_token_stops_the_run_and_keeps_the_statements_pending(fake, removals, now, settings):
    settings.TDB_API_TOKEN = "wrong"
    result = tdb_submission.submit_pending(now, sleep=no_sleep([]))
    assert result.stopped == 'HTTP 401: {"message": "Unauthenticated."}'
    assert {status for status, _, _ in rows().values()} == {"pending"}
    assert fake.stored == {}


def test_an_unreachable_tdb_is_tried_again_then_left_for_the_next_run(removals, now, settings):
    with fake_tdb.serving() as gone:
        url = gone.url
    settings.TDB_API_URL, settings.TDB_API_TOKEN = url, fake_tdb.TOKEN  # nothing listens there any more
    delays: list[float] = []
    result = tdb_submission.submit_pending(now, sleep=no_sleep(delays))
    assert delays == [1, 2, 4]
    assert result.stopped.startswith("The Transparency Database could not be reached: ")
    assert {status for status, _, _ in rows().values()} == {"pending"}


def test_nothing_is_sent_or_queued_while_the_tdb_is_not_configured(removals, now, settings):
    settings.TDB_API_URL, settings.TDB_API_TOKEN = "", ""
    result = tdb_submission.submit_pending(now)
    assert result.stopped == "off: TDB_API_URL or TDB_API_TOKEN is not set"
    assert not TdbSubmission.objects.exists()


def test_the_beat_task_sends_what_is_pending(fake, removals, settings):
    assert settings.CELERY_BEAT_SCHEDULE["submit-tdb-statements"]["task"] == "takedowns.tasks.submit_tdb_statements"
    assert submit_tdb_statements() == {"sent": 5, "already_sent": 0, "failed": 0, "enqueued": 5, "stopped": ""}
    assert set(fake.stored) == set(puids(removals))


def test_a_statement_that_cannot_be_written_fails_alone_without_holding_up_its_batch(fake, removals, now):
    tdb_submission.enqueue(now)
    broken = TdbSubmission.objects.get(decision=removals[0])
    # A removal turned into a rejection by hand in the database: it has no statement of reasons.
    Decision.objects.filter(pk=removals[0].pk).update(outcome="reject")
    result = tdb_submission.submit_pending(now, sleep=no_sleep([]))
    assert (result.sent, result.failed) == (4, 1)
    status, error, _ = rows()[broken.puid]
    assert status == "failed" and error.startswith(f"No statement could be written: Decision {removals[0].pk} is "
                                                   "not a removal")
    assert fake.batches == [[puid for puid in puids(removals) if puid != broken.puid]]


# --- The whole history, queued in bounded runs from a persisted mark (Art. 24(5): every statement). ---

def test_a_removal_decided_90_days_ago_is_queued_and_sent(fake, now, catalogue, reviewers):
    # Issue 12 (audit, point 7): a 30-day look-back used to leave older statements out for good.
    old = taken_down(now - timedelta(days=90), "L-100001")
    result = tdb_submission.submit_pending(now, sleep=no_sleep([]))
    assert (result.enqueued, result.sent) == (1, 1)
    assert rows() == {puids([old])[0]: ("sent", "", 1)}
    assert set(fake.stored) == set(puids([old]))


def test_a_backlog_is_queued_in_bounded_runs_from_the_mark_and_the_card_counts_what_is_left(fake, removals, now,
                                                                                            monkeypatch):
    monkeypatch.setattr(tdb_submission, "ENQUEUE_LIMIT", 2)
    assert tdb_submission.not_yet_queued() == (5, False)
    later = now + timedelta(hours=1)
    assert tdb_submission.enqueue(later) == 2
    removed = sorted(Decision.objects.filter(pk__in=[d.pk for d in removals]).values_list("listing_removed_at", "pk"))
    # The limit cut the run short: the mark stops at the last row read, not at now.
    assert TdbQueueMark.objects.get(kind="removal").queued_until == removed[1][0]
    assert tdb_submission.not_yet_queued() == (3, False)
    monkeypatch.setattr(tdb_submission, "BACKLOG_COUNT_LIMIT", 2)
    assert tdb_submission.not_yet_queued() == (2, True)  # shown as "at least 2"
    assert tdb_submission.enqueue(later) == 2
    assert tdb_submission.enqueue(later) == 1
    # Everything read: the mark moves to now - LATE_COMMITS (never to a row's own time), and the last
    # run queued each once.
    assert TdbQueueMark.objects.get(kind="removal").queued_until == later - tdb_submission.LATE_COMMITS
    assert tdb_submission.enqueue(later) == 0
    assert set(TdbSubmission.objects.values_list("decision", flat=True)) == {d.pk for d in removals}
    assert tdb_submission.not_yet_queued() == (0, False)


def test_a_removal_committed_late_behind_the_mark_is_still_queued_within_the_margin(fake, now, catalogue, reviewers):
    first = taken_down(now, "L-100001")
    tdb_submission.enqueue(now + timedelta(minutes=1))
    mark = TdbQueueMark.objects.get(kind="removal").queued_until
    assert mark == now + timedelta(minutes=1) - tdb_submission.LATE_COMMITS
    # Dated after the mark, committed after the run (a slow transaction): the next run finds it.
    late = taken_down(now, "L-100002")
    Decision.objects.filter(pk=late.pk).update(listing_removed_at=mark + timedelta(seconds=1))
    assert tdb_submission.not_yet_queued() == (1, False)
    assert tdb_submission.enqueue(now + timedelta(minutes=2)) == 1
    assert set(TdbSubmission.objects.values_list("decision", flat=True)) == {first.pk, late.pk}
