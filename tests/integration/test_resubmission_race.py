"""Fix and resubmit on PostgreSQL: the same fix sent twice at the same moment (two tabs, a double
click) is written once; the one-decision-in-force constraint lets the fresh decision in beside the
superseded rejection and still refuses a second decision in force."""

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, connections, transaction

from takedowns import dispatch, workflow
from takedowns.enums import EventKind
from takedowns.models import Decision, Event, Notice, OutboundEmail, ReasonCode, Resubmission
from takedowns.workflow import resubmissions
from tests.factories import PDF_BYTES, REJECT, REMOVE, decide, routed, upload

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
FIX = "Attached: test-buy report of 20 Feb 2026 (order 4471) with photos of the fake serial label."


def test_two_concurrent_resubmissions_of_one_listing_write_one(catalogue, reviewers, reason_codes, now, monkeypatch):
    assert connection.vendor == "postgresql"
    # The tasks stay recorded in the database, unpublished: a live worker of another test sending these
    # e-mails held row locks that deadlocked with this test's flush (TRUNCATE) at teardown.
    monkeypatch.setattr(dispatch, "_publish", lambda task, kwargs: None)
    # reason_codes wrote migration 0002's rows again (a transactional test flushes them); 0021 marks this one fixable.
    ReasonCode.objects.filter(code="insufficient-evidence").update(fixable=True)
    notice = routed(now, [("L-100001", "counterfeit")])
    rejected, = decide(notice, now, {"L-100001": REJECT}, code="insufficient-evidence")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def resubmit() -> None:
        try:
            barrier.wait(timeout=10)
            # "Not enough evidence" is fixed with a file (resubmission_rules.FILE_NEEDED); each tab sends its own.
            resubmissions.resubmit_listing(notice, rejected, FIX, now + timedelta(hours=1),
                                           files=[(upload("test-buy.pdf", PDF_BYTES), "application/pdf")])
            outcomes.append("won")
        except workflow.TransitionNotAllowed as exc:
            outcomes.append(str(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=resubmit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["Listing 1 is “Waiting for the reviewer's decision”: only a rejected listing can be "
                                "resubmitted.", "won"]
    assert Resubmission.objects.count() == 1
    assert Event.objects.filter(notice=notice, kind=EventKind.RESUBMITTED).count() == 1
    assert sorted(OutboundEmail.objects.filter(kind__startswith="resubmission").values_list("kind", "to")) == [
        ("resubmission_received", "anna@aerostride.example"), ("resubmission_to_review", "tm@portal.test")]

    fresh, = decide(Notice.objects.get(pk=notice.pk), now + timedelta(hours=2), {"L-100001": REMOVE})
    assert list(Decision.objects.filter(item=rejected.item).order_by("id").values_list("outcome", "superseded_at")) \
        == [(REJECT, now + timedelta(hours=1)), (REMOVE, None)]
    with pytest.raises(IntegrityError), transaction.atomic():
        Decision.objects.create(item=fresh.item, outcome=REJECT, decided_by=fresh.decided_by, decided_at=now)
