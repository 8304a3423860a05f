"""Two reviewers claim the same notice at the same moment on PostgreSQL: exactly one wins."""

import threading

import pytest
from django.db import connection, connections

from takedowns import workflow
from takedowns.enums import EventKind
from takedowns.models import Notice
from tests.factories import make_reviewer, routed

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_two_concurrent_claims_one_wins(catalogue, now):
    assert connection.vendor == "postgresql"
    first, second = make_reviewer("first", ["trademark"]), make_reviewer("second", ["trademark"])
    notice = routed(now)
    Notice.objects.filter(pk=notice.pk).update(assigned_to=None)

    for _ in range(10):  # repeat: each round must have exactly one winner
        Notice.objects.filter(pk=notice.pk).update(assigned_to=None)
        barrier = threading.Barrier(2)
        outcomes = {}

        def claim(reviewer, barrier=barrier, outcomes=outcomes):  # this round's, bound now
            try:
                barrier.wait(timeout=10)
                workflow.claim_notice(notice, reviewer, now)
                outcomes[reviewer.user.username] = "won"
            except workflow.TransitionNotAllowed as exc:
                outcomes[reviewer.user.username] = str(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=claim, args=(reviewer,)) for reviewer in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        winners = [name for name, outcome in outcomes.items() if outcome == "won"]
        assert len(winners) == 1, outcomes
        loser = ({"first", "second"} - set(winners)).pop()
        assert outcomes[loser] == f"Notice {notice.reference} is already being worked by {winners[0]}."
        assert Notice.objects.get(pk=notice.pk).assigned_to.user.username == winners[0]
    assert notice.events.filter(kind=EventKind.CLAIMED).count() == 10
