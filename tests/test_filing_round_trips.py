"""The confirmation's round trips (workflow/filing.py): a verified organisation's notice is confirmed in its
filing transaction without reading back what that transaction wrote, and the web form's confirmation link costs
a fixed number of statements; the same outcomes as ever (tests/test_workflow.py, test_trust.py,
test_notifier_misuse.py pin those), pinned here for the paths the API's benchmark shortened."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from takedowns import workflow
from takedowns.enums import ClockKind, EventKind, NoticeStatus
from takedowns.models import Notice, NotifierEvent, Organisation, Submitter
from takedowns.workflow import notifier_misuse
from tests.api.helpers import organisation, statements_of
from tests.factories import file_notice, mark_manifestly_unfounded, notice_fields, notifier_notices

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
H, D = timedelta(hours=1), timedelta(days=1)
MIA = "mia@brandguard.example"
THREE = [workflow.ReportedItem(f"https://shop.example/l/{n}", "counterfeit") for n in range(3)]


def _file(now: datetime, key: uuid.UUID | None = None) -> tuple[Notice, bool]:
    org = Organisation.objects.filter(domain="brandguard.example").first() or organisation(now)
    return workflow.file_for_organisation(org, None, notice_fields(submitter_email=MIA), THREE, key or uuid.uuid4(),
                                          now)


def test_a_verified_organisations_notice_comes_back_confirmed_with_its_listings_and_clock_in_hand(catalogue):
    notice, created = _file(NOW)
    assert created
    stored = Notice.objects.get()
    assert (stored.status, stored.confirmed_at, stored.due_at, stored.submitter.email, stored.trust,
            stored.reason_mask) == (NoticeStatus.CONFIRMED, NOW, notice.due_at, MIA, "verified", notice.reason_mask)
    with CaptureQueriesContext(connection) as captured:
        items, clocks = list(notice.items.all()), list(notice.clocks.all())
    assert captured.captured_queries == []  # prefetched by the filing
    assert [(item.pk, item.position, item.reported) for item in items] == list(
        stored.items.order_by("position").values_list("pk", "position", "reported"))
    [clock] = clocks
    assert (clock.pk, clock.kind, clock.due_at) == (stored.clocks.get().pk, ClockKind.ACKNOWLEDGEMENT, stored.due_at)
    assert list(stored.events.values_list("kind", flat=True).order_by("id")) == [
        EventKind.FILED, EventKind.CONFIRMED, EventKind.CLOCK_STARTED]
    assert Submitter.objects.get().notices == 1


def test_a_repeated_submission_key_returns_the_first_notice_read_from_the_database(catalogue):
    key = uuid.uuid4()
    first, _ = _file(NOW, key)
    again, created = _file(NOW + H, key)
    assert (created, again.pk, again.status) == (False, first.pk, NoticeStatus.CONFIRMED)
    assert "items" not in getattr(again, "_prefetched_objects_cache", {})
    assert (Notice.objects.count(), Submitter.objects.get().notices) == (1, 1)


def test_a_suspended_notifiers_notice_filed_by_a_verified_organisation_is_refused_in_the_filing(
        catalogue, reviewers, lead):
    mark_manifestly_unfounded()
    for at in (NOW, NOW + D):  # a warning, then a suspension
        notifier_notices(at, MIA, notices=3, unfounded=12, listings=4)
        [proposal] = notifier_misuse.raise_proposals(at + H)
        suspension = notifier_misuse.decide_proposal(proposal, lead.user, "Nine in ten were unfounded.", at + 2 * H)
    assert suspension.level == "suspension"
    counted = Submitter.objects.get(email=MIA).notices
    notice, created = _file(NOW + 2 * D)
    notice.refresh_from_db()
    assert (created, notice.status, notice.confirmed_at, notice.closed_at, notice.submitter_id) == (
        True, NoticeStatus.REFUSED, None, NOW + 2 * D, None)
    assert not notice.clocks.exists()
    assert [mail.kind for mail in notice.emails.all()] == ["notifier_notice_refused"]
    assert NotifierEvent.objects.filter(kind="notice_refused", details__notice=notice.reference).exists()
    assert Submitter.objects.get(email=MIA).notices == counted  # a refused notice is not counted


def test_the_confirmation_links_statements(catalogue):
    notice = file_notice(NOW)
    with CaptureQueriesContext(connection) as captured:
        workflow.confirm_notice(notice, NOW)
    # The SLA policies are read once a minute or after a change (clocks.active_policies), not per notice.
    assert [statement for statement in statements_of(captured) if statement != "SELECT takedowns_slapolicy"] == [
        "SAVEPOINT",  # the test's transaction around confirm_notice's
        "SELECT takedowns_notice",  # the notice, locked
        "SELECT takedowns_notifiermeasure",  # the misuse ladder's suspension
        "SELECT takedowns_noticeitem",  # the listings' reasons
        "INSERT takedowns_submitter",  # the submitter's record, counted (one upsert)
        "SELECT takedowns_decision",  # the trust ladder's record
        "INSERT takedowns_slaclock",  # the acknowledgement clock
        "UPDATE takedowns_notice",  # confirmed, with its due time
        "INSERT takedowns_event",  # CONFIRMED (no organisation: no webhook query)
        "INSERT takedowns_event",  # the clock's start
        "INSERT takedowns_outboundemail",  # the receipt e-mail
        "INSERT takedowns_taskdispatch",  # its dispatch and the routing's, in one
        "RELEASE",
    ]
