"""The trust ladder: the submitter's record kept at confirmation, the rung stamped on each notice,
and what the rung does to priority."""

from datetime import timedelta

import pytest

from takedowns import trust, workflow
from takedowns.enums import EventKind, SubmitterTrust
from takedowns.models import Decision, Event, Submitter
from takedowns.trust import Record, trust_for
from tests.factories import decided, file_notice

pytestmark = pytest.mark.django_db


def test_confirming_creates_the_submitters_record_and_stamps_a_verified_address(now, catalogue):
    first = file_notice(now, submitter_email="Anna@Aerostride.example")
    second = file_notice(now, submitter_email="anna@aerostride.EXAMPLE")
    workflow.confirm_notice(first, now)
    workflow.confirm_notice(second, now)
    workflow.confirm_notice(second, now)  # a second click counts nothing

    submitter = Submitter.objects.get()
    assert (submitter.email, submitter.notices, submitter.removed_items, submitter.rejected_items) == \
        ("anna@aerostride.example", 2, 0, 0)
    for notice in (first, second):
        notice.refresh_from_db()
        assert (notice.submitter_id, notice.trust) == (submitter.pk, SubmitterTrust.VERIFIED)
    assert Event.objects.get(notice=first, kind=EventKind.CONFIRMED).details == {"trust": "verified"}


def test_an_unconfirmed_notice_has_no_record_yet(now, catalogue):
    notice = file_notice(now)
    assert (notice.submitter_id, notice.trust) == (None, SubmitterTrust.UNVERIFIED)
    assert not Submitter.objects.exists()


def test_a_trusted_flagger_is_stamped_as_such_and_routed_with_priority(now, catalogue, reviewers):
    Submitter.objects.create(email="anna@aerostride.example", trusted_flagger=True, created_at=now)
    notice = file_notice(now, items=[("L-100001", "trademark_misuse")])
    workflow.confirm_notice(notice, now)
    workflow.route_notice(notice.pk, now)
    notice.refresh_from_db()
    assert notice.trust == SubmitterTrust.TRUSTED_FLAGGER
    assert notice.priority == 40
    assert Event.objects.get(notice=notice, kind=EventKind.ROUTED).details["priority_rules"] == [
        "Trusted flagger (DSA Art. 22) (+40)"]


@pytest.mark.parametrize("decided, removed, expected", [
    (9, 9, SubmitterTrust.VERIFIED),      # too few decisions to judge
    (10, 9, SubmitterTrust.GOOD_FAITH),   # exactly 90 % accepted
    (20, 17, SubmitterTrust.VERIFIED),    # 85 %
])
def test_the_good_faith_rung_needs_a_strong_record(decided, removed, expected):
    assert trust_for(False, Record(decided=decided, removed=removed)) == expected
    assert trust_for(False, Record(decided=40, removed=40, countered=2)) == SubmitterTrust.GOOD_FAITH  # 5 %
    assert trust_for(False, Record(decided=40, removed=40, countered=3)) == SubmitterTrust.VERIFIED
    assert trust_for(True, Record(decided=decided, removed=0)) == SubmitterTrust.TRUSTED_FLAGGER


def _decide_many(now, reviewer, outcomes: list[str]) -> None:
    """One confirmed, routed notice per outcome, decided by `reviewer` at `now`."""
    for outcome in outcomes:
        decided(now, {"L-100001": outcome}, reviewer, reason="trademark_misuse")


def test_a_strong_recent_record_earns_good_faith_and_a_weak_one_loses_it(now, catalogue, reviewers):
    _decide_many(now - timedelta(days=10), reviewers["tm"], ["remove"] * 9 + ["reject"])
    submitter = Submitter.objects.get()
    assert (submitter.notices, submitter.removed_items, submitter.rejected_items) == (10, 9, 1)
    assert trust.submitter_trust(submitter, now) == SubmitterTrust.GOOD_FAITH

    _decide_many(now, reviewers["tm"], ["reject"])
    assert trust.submitter_trust(submitter, now) == SubmitterTrust.VERIFIED  # 9 of 11
    # Decisions older than the window no longer count.
    assert trust.recent_record(submitter, now + timedelta(days=85)) == Record(decided=1, removed=0, countered=0)
    assert Decision.objects.count() == 11
