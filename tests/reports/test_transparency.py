"""reports/transparency.py: the transparency report's periods (a month or a half-year), what a bad
or future one is told, and the periods there are figures for. The report's figures themselves are
checked through its pages, in tests/views/test_report.py."""

from datetime import UTC, date, datetime

import pytest

from takedowns.reports import transparency
from tests.factories import redecided

NOW = datetime(2026, 11, 29, 19, 0, tzinfo=UTC)


@pytest.mark.parametrize("slug, first, last, title, complete", [
    ("2026-10", date(2026, 10, 1), date(2026, 10, 31), "October 2026", True),
    ("2026-11", date(2026, 11, 1), date(2026, 11, 30), "November 2026", False),
    ("2025-12", date(2025, 12, 1), date(2025, 12, 31), "December 2025", True),
    ("2024-02", date(2024, 2, 1), date(2024, 2, 29), "February 2024", True),
    ("2026-H1", date(2026, 1, 1), date(2026, 6, 30), "January–June 2026", True),
    ("2026-H2", date(2026, 7, 1), date(2026, 12, 31), "July–December 2026", False),
])
def test_report_periods_are_months_and_half_years(slug, first, last, title, complete):
    period = transparency.report_period(slug, NOW)
    assert (period.first, period.last, period.title, period.complete, period.slug) == (first, last, title, complete,
                                                                                      slug)


@pytest.mark.parametrize("slug, message", [
    ("2026-13", "“2026-13” is not a report period: name a month as 2026-11 or a half-year as 2026-H2."),
    ("2026-H3", "“2026-H3” is not a report period"),
    ("0000-01", "“0000-01” is not a report period"),
    ("26-11", "“26-11” is not a report period"),
    ("2026-12", "There is no report for December 2026 yet: the period has not started."),
    ("2027-H1", "There is no report for January–June 2027 yet: the period has not started."),
    ("9999-12", "There is no report for December 9999 yet: the period has not started."),
])
def test_a_bad_or_future_report_period_says_why(slug, message):
    with pytest.raises(transparency.BadPeriod, match=message):
        transparency.report_period(slug, NOW)


def test_report_periods_run_from_the_first_confirmed_notice_to_now(dataset):
    halves, months = transparency.report_periods(NOW)
    assert [p.slug for p in halves] == ["2026-H2"]
    assert [(p.slug, p.complete) for p in months] == [("2026-11", False), ("2026-10", True), ("2026-09", True)]


@pytest.mark.django_db
def test_notices_decided_count_each_notice_once_and_re_decisions_apart(catalogue, reviewers):
    # Issue 12, item 2: a notice reopened by an appeal and decided again is one notice decided.
    redecided(datetime(2026, 11, 2, 9, 0, tzinfo=UTC), "L-100001", reviewers["tm"], reviewers["cr"])
    assert transparency.report_figures(transparency.report_period("2026-11", NOW))["decided_within_target"] == {
        "decided": 1, "within_target": 1, "share": 1.0, "redecisions": 1, "redecisions_within_target": 1}
