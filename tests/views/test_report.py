"""The public transparency report: open to anyone, per month or half-year, with the same figures on
the page, in JSON and in CSV, equal to what tests/datasets.py's dataset gives by hand."""

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from takedowns.models import ReportSnapshot
from takedowns.reports import transparency as figures
from tests.factories import decided

pytestmark = pytest.mark.django_db


# Worked out from the dataset's comments: notices N1 N2 N3 N7 were confirmed in October; decisions
# took 2, 4, 20, 24, 72 and 216 hours (median 22 h); takedown decision clocks stopped in October took
# 1 h, 20 h (within) and 72 h (breached).
OCTOBER = {
    "period": "2026-10", "title": "October 2026", "start": "2026-10-01T00:00:00+00:00",
    "end": "2026-11-01T00:00:00+00:00", "complete": True,
    "notices": {
        "received": 4,
        "by_right_type": {"trademark": 1, "copyright": 2, "design": 1, "patent": 0},
        "by_source": {"trusted_flagger": 1, "other": 3},
        "items": 6,
        "items_by_reason": {"counterfeit": 2, "trademark_misuse": 1, "copyright_images": 1, "copyright_text": 1,
                            "design": 1, "patent": 0},
    },
    "actions": {"decisions": 6, "by_outcome": {"remove": 4, "reject": 2}, "listings_restored": 1,
                "decisions_reversed_on_appeal": 1},
    "removals_by_initiative": {"reactive": 4, "proactive": 0},
    # Listing decisions 6 (1 by automated means); penalties 2, the warning by the ladder, the restriction by a person.
    "automated_means": {"decisions": 6, "automated_detection": 2, "automated_decision": 1, "penalty_decisions": 2,
                        "penalty_decisions_automated": 1, "taken_by_automated_means": 2},
    "median_time_to_action_seconds": 79200,
    "decided_within_target": {"decided": 3, "within_target": 2, "share": 0.6667, "redecisions": 0,
                              "redecisions_within_target": 0},
    # Three filings in October (one of them refiled in November), two counter-notices last filed in October.
    "counter_notices": {"filed": 3, "by_status": {"filed": 0, "incomplete": 1, "waiting": 0, "restored": 1,
                                                  "lawsuit": 0}},
    "appeals": {"filed": 3, "by_appellant": {
        "seller": {"filed": 2, "by_status": {"filed": 1, "upheld": 1, "reversed": 0}},
        "submitter": {"filed": 1, "by_status": {"filed": 0, "upheld": 0, "reversed": 1}},
    }},
    "penalties": {"decided": 2, "by_level": {"warning": 1, "restriction": 1, "suspension": 0, "termination": 0}},
    # The dataset has no notifier measures (tests/test_notifier_misuse.py counts them across a period's bounds).
    "notifier_measures": {"decided": 0, "by_level": {"warning": 0, "suspension": 0},
                          "by_scope": {"email": 0, "domain": 0}, "lifted_on_appeal": 0, "notices_refused": 0,
                          "appeals": {"filed": 0, "by_status": {"filed": 0, "upheld": 0, "reversed": 0}}},
}


def test_the_json_report_of_a_month_equals_the_figures_worked_out_by_hand(client, dataset):
    response = client.get("/transparency/2026-10.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    computed_at = data.pop("computed_at")
    assert datetime.fromisoformat(computed_at).tzinfo is not None  # when the roll-up was computed
    assert data.pop("as_of") == computed_at  # a closed month: nothing after the snapshot to add
    assert data == OCTOBER


def test_the_csv_report_has_the_json_figures_one_per_row(client, dataset):
    response = client.get("/transparency/2026-10.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="transparency-report-2026-10.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[:8] == [
        ["figure", "value"], ["period", "2026-10"], ["title", "October 2026"],
        ["start", "2026-10-01T00:00:00+00:00"], ["end", "2026-11-01T00:00:00+00:00"], ["complete", "true"],
        ["notices.received", "4"], ["notices.by_right_type.trademark", "1"],
    ]

    def flat(data: dict, prefix: str = ""):
        for key, value in data.items():
            if isinstance(value, dict):
                yield from flat(value, f"{prefix}{key}.")
            else:
                yield [f"{prefix}{key}", "true" if value is True else str(value)]
    assert rows[1:-2] == list(flat(OCTOBER))
    assert [row[0] for row in rows[-2:]] == ["computed_at", "as_of"]
    assert ["median_time_to_action_seconds", "79200"] in rows
    assert ["appeals.by_appellant.seller.by_status.upheld", "1"] in rows
    assert ["removals_by_initiative.proactive", "0"] in rows


def test_the_page_shows_the_figures_with_their_labels_to_anyone(client, dataset):
    response = client.get("/transparency/2026-10/")
    html = response.content.decode()
    assert response.status_code == 200
    rows = {re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
            for row in re.findall(r"<tr>(.*?)</tr>", html, re.S)}
    assert {
        "Notices received 4", "from trusted flaggers (DSA Art. 22) 1", "from other notifiers 3", "Copyright 2",
        "Counterfeit goods 2", "Listings removed 4", "Reports rejected (listing left online) 2",
        "Listings restored after a counter-notice or appeal 1", "Decisions reversed on appeal 1",
        "After a notice (reactive) 4", "On our own initiative (proactive) 0", "with automated detection 2",
        "taken by automated means 1", "Listing decisions 6", "Seller penalty decisions 2",
        "taken by automated means (the strike ladder) 1", "All decisions taken by automated means 2",
        "Median time to action 22 h", "Notices decided 3",
        "decided within target 2 (66.7 %)", "Re-decisions after an appeal reopened a notice 0",
        "re-decided within target 0", "Counter-notices filed 3", "Incomplete: returned to the seller 1",
        "by sellers 2", "by sellers: original decision upheld 1", "by submitters: original decision reversed 1",
        "Penalties decided 2", "Restriction on new listings 1", "Temporary suspension 0",
    } <= rows
    assert "Transparency report: October 2026" in html and "in progress" not in html
    assert 'href="/transparency/2026-10.json"' in html and 'href="/transparency/2026-10.csv"' in html


def test_a_half_year_in_progress_counts_everything_so_far_and_says_so(client, dataset):
    data = json.loads(client.get("/transparency/2026-H2.json").content)
    assert (data["title"], data["complete"]) == ("July–December 2026", False)
    # Every confirmed notice of the dataset: September, October and November.
    assert data["notices"]["received"] == 9
    assert data["penalties"]["by_level"] == {"warning": 1, "restriction": 1, "suspension": 1, "termination": 0}
    assert data["appeals"]["filed"] == 4
    page = client.get("/transparency/2026-H2/").content.decode()
    assert "in progress" in page and "these are the figures so far" in page


def test_a_period_without_events_reports_zeros(client, dataset):
    data = json.loads(client.get("/transparency/2026-05.json").content)
    assert data["notices"]["received"] == 0
    assert data["median_time_to_action_seconds"] is None
    assert data["decided_within_target"] == {"decided": 0, "within_target": 0, "share": None, "redecisions": 0,
                                             "redecisions_within_target": 0}


def test_the_index_lists_the_periods_from_the_first_notice_to_now(client, dataset):
    html = client.get("/transparency/").content.decode()
    months = re.findall(r'href="/transparency/(\d{4}-\d{2})/"', html)
    halves = re.findall(r'href="/transparency/(\d{4}-H\d)/"', html)
    now = timezone.localdate()
    # Newest first, from the current month back to September 2026, when TD-N4 was confirmed.
    assert months[-2:] == ["2026-10", "2026-09"] and months[0] == f"{now:%Y-%m}"
    assert halves[-1] == "2026-H2" and halves[0] == f"{now.year}-H{1 if now.month <= 6 else 2}"


def test_the_index_says_when_there_is_nothing_to_report(client, db):
    assert 'id="no-reports"' in client.get("/transparency/").content.decode()


@pytest.mark.parametrize("slug, message", [
    ("2026-13", "“2026-13” is not a report period: name a month as 2026-11 or a half-year as 2026-H2."),
    ("2026-H3", "“2026-H3” is not a report period: name a month as 2026-11 or a half-year as 2026-H2."),
    ("november", "“november” is not a report period: name a month as 2026-11 or a half-year as 2026-H2."),
    ("2999-01", "There is no report for January 2999 yet: the period has not started."),
])
def test_a_bad_period_is_a_404_that_says_why_in_every_format(client, db, slug, message):
    page = client.get(f"/transparency/{slug}/")
    assert page.status_code == 404
    assert f'<p class="lead" id="period-error">{message}</p>' in page.content.decode()
    as_json = client.get(f"/transparency/{slug}.json")
    assert (as_json.status_code, json.loads(as_json.content)) == (404, {"error": message})
    as_csv = client.get(f"/transparency/{slug}.csv")
    assert (as_csv.status_code, as_csv.content.decode()) == (404, message + "\n")


def test_the_report_is_a_fixed_number_of_aggregate_queries(client, dataset, django_assert_max_num_queries):
    # Notices, items, decisions, restorations, median (one query, or a count and one LIMIT 2 on SQLite),
    # within target, counter-notices, appeals, penalties, automated penalties, notifier measures (measures,
    # refusals, appeals): no query per row.
    with django_assert_max_num_queries(21):  # ...and the stored roll-up: read, then written (update_or_create)
        assert client.get("/transparency/2026-10.json").status_code == 200


def test_visitors_read_the_stored_report_until_it_is_stale(client, dataset, django_assert_num_queries):
    client.get("/transparency/2026-10.json")
    with django_assert_num_queries(1):  # one row, however many notices the month has
        assert client.get("/transparency/2026-10.json").json()["notices"]["received"] == 4
    stored = ReportSnapshot.objects.get(period="2026-10")
    ReportSnapshot.objects.filter(pk=stored.pk).update(
        computed_at=stored.computed_at - figures.CLOSED_REPORT_FRESH - timedelta(seconds=1))
    assert client.get("/transparency/2026-10.json").json()["computed_at"] != stored.figures["computed_at"]


def test_the_beat_task_keeps_the_current_and_previous_periods_computed(dataset):
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    assert figures.refresh_current_reports(now) == ["2026-11", "2026-10", "2026-H2", "2026-H1"]
    assert sorted(ReportSnapshot.objects.values_list("period", flat=True)) == ["2026-10", "2026-11", "2026-H1",
                                                                               "2026-H2"]
    assert ReportSnapshot.objects.get(period="2026-10").figures["notices"]["received"] == 4


def test_the_site_navigation_links_to_the_report(client, db):
    assert '<a class="nav-link" href="/transparency/">Transparency report</a>' in client.get("/").content.decode()


def test_the_report_in_progress_adds_what_came_after_its_snapshot_and_says_as_of_when(client, catalogue, reviewers):
    # Issue 12, item 17: the stored snapshot may be minutes old; the counts dated after it are added live.
    month = f"{timezone.localdate():%Y-%m}"
    before = client.get(f"/transparency/{month}.json").json()
    assert (before["notices"]["received"], before["as_of"]) == (0, before["computed_at"])
    decided(timezone.now(), {"L-100001": "remove"})  # confirmed, routed and decided after the snapshot
    after = client.get(f"/transparency/{month}.json").json()
    assert after["computed_at"] == before["computed_at"]  # the same stored snapshot, still fresh
    assert after["as_of"] > after["computed_at"]
    assert (after["notices"]["received"], after["notices"]["by_source"]["other"]) == (1, 1)
    assert (after["actions"]["decisions"], after["actions"]["by_outcome"]["remove"]) == (1, 1)
    assert after["removals_by_initiative"]["reactive"] == 1
    assert after["decided_within_target"] == {"decided": 1, "within_target": 1, "share": 1.0, "redecisions": 0,
                                              "redecisions_within_target": 0}
    assert after["median_time_to_action_seconds"] is None  # as of the snapshot: a median is not added
    page = client.get(f"/transparency/{month}/").content.decode()
    assert re.search(r"<tr><th scope=\"row\" class=\"fw-normal\">Notices received</th><td class=\"text-end\">1</td>",
                     page)
    as_of = timezone.localtime(datetime.fromisoformat(after["as_of"]))
    assert f"Figures as of {as_of:%-d %B %Y}, " in page
    assert "read live on top of the figures stored at" in page
