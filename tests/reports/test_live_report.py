"""The transparency report as shown: the stored snapshot, which counts up to its bound, plus what is
dated from the bound on, read live (reports/transparency.live_report); the publication dates kept
apart from the snapshots; the template CSV's automated-means lines."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from takedowns.models import ReportPublication, ReportSnapshot
from takedowns.reports import clock_rollup
from takedowns.reports import transparency as figures
from takedowns.reports.template_csv import template_rows
from takedowns.workflow import counter_notices
from tests.factories import ACCEPTED_AT, COUNTER_NOTICE_FIELDS, FILED_AT, decided

pytestmark = pytest.mark.django_db

STORED_AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # November 2026 is in progress
M = timedelta(minutes=1)


def november(now: datetime = STORED_AT) -> figures.ReportPeriod:
    return figures.report_period("2026-11", now)


def test_penalties_after_the_snapshot_are_added_live_to_the_automated_means_and_its_total(bright, reviewers):
    # Issue 12 (audit, point 1): the penalty counts of "automated means" used to stay at the snapshot while
    # "penalties.decided" grew live, so the report contradicted itself.
    figures.refresh_report(november(), STORED_AT)
    decided(STORED_AT + M, {"L-100003": "remove"})  # Bright Store's first strike: a warning, by the ladder
    decided(STORED_AT + 2 * M, {"L-100004": "remove"})  # its second: a restriction, by the ladder
    shown = figures.live_report(november(), STORED_AT + 5 * M)
    assert shown["penalties"]["decided"] == 2
    assert shown["automated_means"] == {
        "decisions": 2, "automated_detection": 0, "automated_decision": 0, "automated_decision_on_notices": 0,
        "penalty_decisions": 2, "penalty_decisions_automated": 2,
        "penalty_decisions_automated_by_level": {"warning": 1, "restriction": 1, "suspension": 0, "termination": 0},
        # Only the restriction has a TDB statement ("partially automated"); a warning has none.
        "penalty_decisions_automated_with_tdb_statement": 1,
        "taken_by_automated_means": 2}


def test_snapshot_and_live_part_partition_the_period_at_the_snapshots_bound(catalogue, reviewers):
    # Issue 12 (audit, point 2). Written while the snapshot is computed, dated after its `now`: counted by the
    # live part only (it used to be counted by both).
    decided(STORED_AT + M / 2, {"L-100001": "remove"})
    # Dated between the bound (STORED_AT - LATE_COMMITS) and the store: counted by the live part only.
    decided(STORED_AT - 5 * M, {"L-100002": "remove"})
    stored = figures.refresh_report(november(), STORED_AT)
    assert stored["counted_until"] == (STORED_AT - clock_rollup.LATE_COMMITS).isoformat()
    assert stored["actions"]["decisions"] == 0
    # Committed late, after the snapshot, though dated a minute before it: counted by the live part (it used
    # to be missed by both).
    decided(STORED_AT - M, {"L-100004": "remove"})
    shown = figures.live_report(november(), STORED_AT + 5 * M)
    assert shown["actions"]["decisions"] == 3
    assert shown["notices"]["received"] == 3
    assert shown["as_of"] == (STORED_AT + 5 * M).isoformat()
    # Dated before the bound: counted by the snapshot, not again live.
    decided(STORED_AT - 20 * M, {"L-100003": "remove"})
    again = figures.refresh_report(november(), STORED_AT + 6 * M)
    assert again["actions"]["decisions"] == 2  # L-100003 and L-100002 are before its bound, the others after
    assert figures.live_report(november(), STORED_AT + 7 * M)["actions"]["decisions"] == 4


def test_the_by_status_breakdowns_stay_as_of_the_snapshot(filed_counter_notice, checker):
    # Issue 12 (audit, point 3): a counter-notice refiled after the snapshot used to show twice in by_status.
    period = figures.report_period("2025-11", FILED_AT + 60 * M)
    stored = figures.refresh_report(period, FILED_AT + 60 * M)
    assert (stored["counter_notices"]["filed"], sum(stored["counter_notices"]["by_status"].values())) == (1, 1)
    returned = counter_notices.mark_incomplete(filed_counter_notice, checker, "Your address has no postcode.",
                                               FILED_AT + 61 * M)
    counter_notices.file_counter_notice(returned.decision, COUNTER_NOTICE_FIELDS, FILED_AT + 62 * M)
    shown = figures.live_report(period, FILED_AT + 70 * M)
    assert shown["counter_notices"]["filed"] == 2  # every filing counts, live
    assert shown["counter_notices"]["by_status"] == stored["counter_notices"]["by_status"]
    assert sum(shown["counter_notices"]["by_status"].values()) == 1
    assert ACCEPTED_AT > FILED_AT + 70 * M  # nothing else happened to it meanwhile


def test_the_page_says_which_figures_are_live_and_which_as_stored(client, catalogue, reviewers):
    month = f"{timezone.localdate():%Y-%m}"
    client.get(f"/transparency/{month}/")
    ReportSnapshot.objects.filter(period=month).update(computed_at=timezone.now() - 2 * M)  # still fresh
    page = client.get(f"/transparency/{month}/").content.decode()
    note = page[page.index('id="as-of"'):]
    note = note[:note.index("</p>")]
    assert "Read live up to then, on top of the figures stored at" in note
    assert ("notices received (by source and right) and their listings; actions taken, removals by initiative and "
            "the use of automated means; notices decided and decided within target; counter-notices filed; appeals "
            "filed; seller penalties; measures against notifiers. As stored: the median time to action, where the "
            "counter-notices and appeals stand (by status, as of") in note


def test_a_period_in_progress_has_no_first_publication_date(client, catalogue, reviewers):
    # Issue 12 (audit, point 6): a period in progress used to get one at its first snapshot.
    stored = figures.refresh_report(november(), STORED_AT)
    assert stored["publication"] == {"first_published_at": None, "in_progress": True,
                                     "updated_at": STORED_AT.isoformat()}
    assert not ReportPublication.objects.exists()
    ended = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
    assert figures.refresh_report(november(ended), ended)["publication"]["first_published_at"] == ended.isoformat()
    month = f"{timezone.localdate():%Y-%m}"
    page = client.get(f"/transparency/{month}/").content.decode()
    assert '<th scope="row" class="fw-normal">First published</th><td class="text-end">in progress</td>' in page


def test_the_first_publication_date_outlives_the_snapshots(catalogue, reviewers):
    # Issue 12 (audit, point 6): migrations that change a definition throw the snapshots away; the date stays.
    ended = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
    figures.refresh_report(november(ended), ended)
    ReportSnapshot.objects.all().delete()
    later = ended + timedelta(days=3)
    again = figures.refresh_report(november(later), later)
    assert again["publication"] == {"first_published_at": ended.isoformat(), "in_progress": False,
                                    "updated_at": later.isoformat()}
    assert list(ReportPublication.objects.values_list("period", "first_published_at")) == [("2026-11", ended)]


def template_value(data: dict, field: str, breakdown: str = "") -> object:
    rows = [row for row in template_rows(data) if row[1] == field and row[2] == breakdown]
    assert len(rows) == 1, rows
    return rows[0][3]


def test_the_template_csv_counts_the_ladders_penalties_as_decisions_taken_by_automated_means(bright, reviewers):
    # Issue 12 (audit, point 4): the line read the listing decisions only, 0 where the JSON counted the penalties.
    decided(STORED_AT - 60 * M, {"L-100003": "remove"})  # a warning
    decided(STORED_AT - 50 * M, {"L-100004": "remove"})  # a restriction
    data = figures.live_report(november(), STORED_AT)
    assert template_value(data, "Decisions taken by automated means") == 2
    assert template_value(data, "Listing decisions taken by automated means") == 0
    assert template_value(data, "Seller penalty decisions taken by automated means (partially automated)") == 2
    assert template_value(data, "Seller penalty decisions taken by automated means, by level", "restriction") == 1
    assert template_value(data, "Seller penalty decisions taken by automated means with a Transparency Database "
                                "statement") == 1
