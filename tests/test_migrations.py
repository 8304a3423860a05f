"""Data migrations run on rows written before them."""

import importlib
from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from takedowns import workflow
from takedowns.enums import ClockKind, EventKind
from takedowns.models import (
    ClockDurationsDay,
    ClockRollupMark,
    CounterNotice,
    CounterNoticeFiling,
    Event,
    Notice,
    NoticeItem,
    ReasonCode,
    ReportPublication,
    ReportSnapshot,
    Reviewer,
    SlaClock,
    SlaPolicy,
)
from takedowns.reports import clock_rollup
from takedowns.workflow import counter_notices
from tests import factories
from tests.factories import D, H, redecided, routed

MIN = timedelta(minutes=1)

ITEM_SELLER_WINDOW = "0017_item_seller_window"


@pytest.mark.django_db(transaction=True)
def test_items_routed_before_0017_get_their_seller_and_filing_time(now, catalogue, reviewers):
    """Routing writes the copies from 0017 on; the migration fills them in for items routed before it:
    the found listing's seller, the notice's filing time, nothing for an unrouted item's seller."""
    notice = routed(now, [("L-100001", "counterfeit"), ("L-999999", "counterfeit")])
    NoticeItem.objects.update(seller=None, filed_at=None)  # as they were before 0017
    module = importlib.import_module(f"takedowns.migrations.{ITEM_SELLER_WINDOW}")
    before = module.Migration.dependencies
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(before)
        executor.loader.build_graph()
        executor.migrate([("takedowns", ITEM_SELLER_WINDOW)])
    finally:  # the next tests need the schema of today
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    items = list(NoticeItem.objects.filter(notice=notice).select_related("seller").order_by("position"))
    assert [(i.seller.external_id if i.seller else None, i.filed_at) for i in items] == [
        ("S-1", notice.created_at), (None, notice.created_at)]


FIGURES = "0018_trusted_flagger_targets"


@pytest.mark.django_db(transaction=True)
def test_0018_moves_clocks_stopped_while_paused_and_marks_re_decisions(now, catalogue, reviewers):
    """Clocks stopped while paused before 0018 kept the due time of before their last pause (late
    though they never breached); 0018 moves it by that pause, marks the decision rounds of reopened
    notices as re-decisions, and empties the roll-up for its next refresh to rebuild."""
    # A transactional test starts without the rows migrations seed: the reason code, the roll-up's mark.
    ReasonCode.objects.get_or_create(code="genuine-goods", defaults={"title": "Genuine goods",
                                                                     "submitter_text": "Resold lawfully."})
    SlaPolicy.objects.all().delete()  # so 0018's defaults are written whatever an earlier test left
    ClockRollupMark.objects.get_or_create(pk=1)
    paused = routed(now)
    workflow.request_information(paused, reviewers["tm"], [paused.items.get().pk], "Which test buy?", now + H)
    workflow.expire_information_requests(now + H + 7 * D)
    redone = redecided(now, "L-100002", reviewers["tm"], reviewers["cr"])
    # As they were before 0018: the paused clock's old due and warning times, no re-decision mark.
    SlaClock.objects.filter(notice=paused, kind=ClockKind.TAKEDOWN_DECISION).update(
        due_at=now + 24 * H, warn_at=now + timedelta(hours=19, minutes=12))
    SlaClock.objects.update(reopened=False)
    clock_rollup.refresh(now + 30 * D)
    assert ClockRollupMark.objects.get().through is not None
    before = importlib.import_module(f"takedowns.migrations.{FIGURES}").Migration.dependencies
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(before)
        executor.loader.build_graph()
        executor.migrate([("takedowns", FIGURES)])
    finally:  # the next tests need the schema of today
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    clock = SlaClock.objects.get(notice=paused, kind=ClockKind.TAKEDOWN_DECISION)
    assert (clock.due_at, clock.warn_at, clock.elapsed) == (
        now + 24 * H + 7 * D, now + timedelta(hours=19, minutes=12) + 7 * D, H)
    assert list(SlaClock.objects.filter(notice=redone, kind=ClockKind.TAKEDOWN_DECISION).order_by("started_at")
                .values_list("reopened", flat=True)) == [False, True]
    assert (ClockDurationsDay.objects.count(), ClockRollupMark.objects.get().through) == (0, None)
    assert sorted(SlaPolicy.objects.filter(trusted_flagger_only=True).values_list("clock", "target")) == [
        (ClockKind.ACKNOWLEDGEMENT, 5 * MIN), (ClockKind.TAKEDOWN_DECISION, 12 * H)]


FILINGS_AND_CONTACT = "0019_counter_notice_filings_and_contact"


@pytest.mark.django_db(transaction=True)
def test_counter_notices_filed_before_0019_get_one_filing_per_filing_event(bright, reviewers, checker):
    """Every filing of a counter-notice is a counter_notice_filed event; the migration writes a filing
    row for each (a refiling counts again), and one at filed_at for a counter-notice without events.
    It also adds the completeness check's default policy: two business days, New York, US holidays."""
    # A transactional test before this one flushed the rows of the data migrations; decide() reads this one.
    ReasonCode.objects.get_or_create(code="genuine-goods", defaults={"title": "Genuine goods",
                                                                     "submitter_text": "The goods are genuine."})
    removal = factories.taken_down(factories.REMOVED_AT, "L-100003", by=reviewers["tm"])
    filed = counter_notices.file_counter_notice(removal, factories.COUNTER_NOTICE_FIELDS, factories.FILED_AT)
    counter_notices.mark_incomplete(filed, checker, "No country.", factories.ACCEPTED_AT)
    refiled_at = factories.ACCEPTED_AT + timedelta(hours=1)
    counter_notices.file_counter_notice(removal, factories.COUNTER_NOTICE_FIELDS, refiled_at)
    other = factories.taken_down(factories.REMOVED_AT, "L-100004", by=reviewers["tm"])
    silent = CounterNotice.objects.create(decision=other, filed_at=factories.FILED_AT, status="filed",
                                          **{name: factories.COUNTER_NOTICE_FIELDS[name]
                                             for name in counter_notices.FIELDS}, statement_mistake=True,
                                          consent_jurisdiction=True)
    executor = MigrationExecutor(connection)
    try:
        executor.migrate([("takedowns", ITEM_SELLER_WINDOW)])
        executor.loader.build_graph()
        executor.migrate([("takedowns", FILINGS_AND_CONTACT)])
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert list(CounterNoticeFiling.objects.order_by("counter_notice_id", "filed_at")
                .values_list("counter_notice_id", "filed_at", "refiling")) == [
        (filed.pk, factories.FILED_AT, False), (filed.pk, refiled_at, True), (silent.pk, factories.FILED_AT, False)]
    policy = SlaPolicy.objects.get(clock=ClockKind.COUNTER_NOTICE_CHECK)
    assert (policy.target, policy.business_hours, policy.timezone, policy.country, policy.right_type,
            policy.min_priority) == (timedelta(hours=16), True, "America/New_York", "US", "", 0)


def test_0024_keeps_the_first_publication_dates_of_finished_periods_only(db):
    """Snapshots still hold the dates 0018 and 0020 did not delete: a finished period's, stamped after it
    ended, moves to ReportPublication; one stamped while its period ran, or a period in progress, does not."""
    def snapshot(period: str, end: str, complete: bool, first: str) -> None:
        ReportSnapshot.objects.create(period=period, computed_at=datetime(2026, 12, 5, tzinfo=UTC), figures={
            "complete": complete, "end": end, "publication": {"first_published_at": first}})

    snapshot("2026-10", "2026-11-01T00:00:00+00:00", True, "2026-11-01T00:10:00+00:00")
    snapshot("2026-09", "2026-10-01T00:00:00+00:00", True, "2026-09-20T00:00:00+00:00")  # stamped while running
    snapshot("2026-12", "2027-01-01T00:00:00+00:00", False, "2026-12-05T00:00:00+00:00")
    importlib.import_module("takedowns.migrations.0024_report_publications").keep_publication_dates(apps, None)
    assert list(ReportPublication.objects.values_list("period", "first_published_at")) == [
        ("2026-10", datetime(2026, 11, 1, 0, 10, tzinfo=UTC))]


COUNTER_NOTICE_WINDOWS = "0023_counter_notice_windows"


@pytest.mark.django_db(transaction=True)
def test_0023_moves_waiting_restore_dates_into_the_512g_window(bright, reviewers, checker):
    """Counter-notices waiting for their restore under the old rule (days from the check, UTC dates) are
    moved between the end of the 10th and the end of the 14th US business day after receipt; their
    running restore clock is due at the end of the 14th; an event says each move. Received Tue 18 Nov 2025:
    the 10th business day ends 00:00 Thu 4 Dec New York (05:00 UTC), the 14th 00:00 Wed 10 Dec."""
    ReasonCode.objects.get_or_create(code="genuine-goods", defaults={"title": "Genuine goods",
                                                                     "submitter_text": "The goods are genuine."})
    tenth_ends = factories.RESTORE_DUE_AT
    rows = {}
    for listing, old_due in (("L-100003", factories.LATEST_RESTORE_AT + 3 * D),  # 14 days from a late check
                             ("L-100004", tenth_ends - 5 * H),  # UTC dates: before the 10th ended in New York
                             ("L-100005", tenth_ends)):  # already right
        removal = factories.taken_down(factories.REMOVED_AT, listing, by=reviewers["tm"])
        filed = counter_notices.file_counter_notice(removal, factories.COUNTER_NOTICE_FIELDS, factories.FILED_AT)
        counter_notices.accept_counter_notice(filed, checker, factories.ACCEPTED_AT)
        CounterNotice.objects.filter(pk=filed.pk).update(restore_due_at=old_due)
        SlaClock.objects.filter(counter_notice=filed, kind=ClockKind.COUNTER_NOTICE_RESTORE).update(due_at=old_due)
        rows[listing] = filed.pk
    executor = MigrationExecutor(connection)
    try:
        executor.migrate([("takedowns", "0022_report_templates_and_tdb_submission")])
        executor.loader.build_graph()
        executor.migrate([("takedowns", COUNTER_NOTICE_WINDOWS)])
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert {listing: CounterNotice.objects.get(pk=pk).restore_due_at for listing, pk in rows.items()} == {
        "L-100003": factories.LATEST_RESTORE_AT, "L-100004": tenth_ends, "L-100005": tenth_ends}
    assert set(SlaClock.objects.filter(kind=ClockKind.COUNTER_NOTICE_RESTORE, stopped_at=None)
               .values_list("counter_notice_id", "due_at")) == {
        (pk, factories.LATEST_RESTORE_AT) for pk in rows.values()}
    moved = Event.objects.filter(kind=EventKind.COUNTER_NOTICE_ACCEPTED, actor_kind="system").order_by("id")
    assert [(event.details["counter_notice"], event.details["moved_from"], event.details["restore_due_at"])
            for event in moved] == [
        (rows["L-100003"], (factories.LATEST_RESTORE_AT + 3 * D).isoformat(), factories.LATEST_RESTORE_AT.isoformat()),
        (rows["L-100004"], (tenth_ends - 5 * H).isoformat(), tenth_ends.isoformat())]
    assert moved[0].details["note"] == (
        "Restore date moved by migration 0023 into the window of 17 U.S.C. 512(g)(2)(C): between the end of "
        "the 10th and the end of the 14th US business day after receipt.")


def test_0027_writes_chinese_as_zh_hans_in_notices_and_reviewers_lists_and_back(db):
    """Django's code for Simplified Chinese: a notice's "zh" and a reviewer's listed "zh" become "zh-hans"
    (no other code touched, "en, zh" with its space too), and back on reversing."""
    migration = importlib.import_module("takedowns.migrations.0027_language_codes")
    chinese, german = factories.file_notice(factories.FILED_AT), factories.file_notice(factories.FILED_AT)
    Notice.objects.filter(pk=chinese.pk).update(language="zh")
    Notice.objects.filter(pk=german.pk).update(language="de")
    pat = factories.make_reviewer("pat", [], languages="en,de,zh")
    ling = factories.make_reviewer("ling", [], languages="zh, en")
    riley = factories.make_reviewer("riley", [], languages="en,de")

    def state():
        return ([Notice.objects.get(pk=n.pk).language for n in (chinese, german)],
                [Reviewer.objects.get(pk=r.pk).languages for r in (pat, ling, riley)])

    migration.forwards(apps, None)
    assert state() == (["zh-hans", "de"], ["en,de,zh-hans", "zh-hans,en", "en,de"])
    migration.backwards(apps, None)
    assert state() == (["zh", "de"], ["en,de,zh", "zh,en", "en,de"])


def test_0031_drops_the_stored_reports_and_keeps_their_first_publication_dates(db):
    """Issue 14 changes what the report counts (removals by initiative, the notice figures): snapshots
    computed before are thrown away to be recomputed; the first publication dates stay."""
    ReportSnapshot.objects.create(period="2026-10", computed_at=datetime(2026, 12, 5, tzinfo=UTC),
                                  figures={"removals_by_initiative": {"reactive": 4, "proactive": 0}})
    ReportPublication.objects.create(period="2026-10", first_published_at=datetime(2026, 11, 1, tzinfo=UTC))
    importlib.import_module("takedowns.migrations.0031_figures").drop_stored_reports(apps, None)
    assert ReportSnapshot.objects.count() == 0
    assert list(ReportPublication.objects.values_list("period", flat=True)) == ["2026-10"]
