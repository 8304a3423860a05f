"""The public transparency report: open to anyone, per month or half-year, with the same figures on
the page, in JSON and in CSV, equal to what tests/datasets.py's dataset gives by hand."""

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from takedowns import workflow
from takedowns.enums import EEA_COUNTRIES
from takedowns.models import ReportSnapshot
from takedowns.reports import transparency as figures
from tests.factories import decided, decision_of

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
    # Removals in force by the day the listing came down (issue 14): of the four removals decided in October only
    # N1's first listing records its takedown (5 October); no own-initiative case, so the ratio is 0 / 1.
    "removals_by_initiative": {"reactive": 1, "proactive": 0, "ratio": 0.0, "proactive_before_first_sale": 0,
                               "proactive_before_first_sale_share": None},
    # Listing decisions 6 (1 by automated means); penalties 2, the warning by the ladder, the restriction by a person.
    # The ladder's warning has no TDB statement (a warning restricts nothing).
    "automated_means": {"decisions": 6, "automated_detection": 2, "automated_decision": 1,
                        "automated_decision_on_notices": 1, "penalty_decisions": 2,
                        "penalty_decisions_automated": 1,
                        "penalty_decisions_automated_by_level": {"warning": 1, "restriction": 0, "suspension": 0,
                                                                 "termination": 0},
                        "penalty_decisions_automated_with_tdb_statement": 0, "taken_by_automated_means": 2},
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
    # Listing screening and referrals (issue 14, reports/proactive.py): none in the dataset.
    "screening": {"outcomes": {"publish": 0, "hold": 0, "block": 0}, "staydown": {"blocked": 0, "held": 0},
                  "precision_by_rule": {rule: {"decided": 0, "confirmed": 0, "share": None} for rule in (
                      "brand_term", "low_price", "reference_image", "unauthorised_seller", "staydown_same_seller",
                      "staydown_other_seller")}},
    "referrals": {"built": 0},
    # What the harmonised templates add (reports/harmonised.py), worked out from the same dataset.
    "provider": {"name": "Takedown Portal demo marketplace", "service": "Marketplace", "first_day": "2026-10-01",
                 "last_day": "2026-10-31"},
    # N1 (two listings) is the trusted flagger's October notice; decided in October on trusted flaggers'
    # listings: N1's removal after 4 h and rejection after 20 h, N4's removal after 72 h (median 20 h).
    "trusted_flaggers": {"notices": 1, "items": 2, "decisions": 3, "removals": 2,
                         "median_time_to_action_seconds": 72000},
    "actions_by_ground": {"legal_ground": 4, "terms_and_conditions": 0},
    "by_keyword": {"category": "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS", "keywords": {
        "KEYWORD_TRADEMARK_INFRINGEMENT": {"notices": 1, "trusted_flagger_notices": 1, "items": 2, "removals": 2,
                                           "rejections": 1},
        "KEYWORD_COPYRIGHT_INFRINGEMENT": {"notices": 2, "trusted_flagger_notices": 0, "items": 2, "removals": 1,
                                           "rejections": 0},
        "KEYWORD_DESIGN_INFRINGEMENT": {"notices": 1, "trusted_flagger_notices": 0, "items": 2, "removals": 1,
                                        "rejections": 1},
        "KEYWORD_PATENT_INFRINGEMENT": {"notices": 0, "trusted_flagger_notices": 0, "items": 0, "removals": 0,
                                        "rejections": 0}}},
    "own_initiative": {"actions": 0, "by_keyword": {"KEYWORD_TRADEMARK_INFRINGEMENT": 0,
                                                    "KEYWORD_COPYRIGHT_INFRINGEMENT": 0,
                                                    "KEYWORD_DESIGN_INFRINGEMENT": 0, "KEYWORD_PATENT_INFRINGEMENT": 0},
                       "by_ground": {"legal_ground": 0, "terms_and_conditions": 0}, "automated_detection": 0,
                       "automated_decision": 0},
    # Filed in October: the submitter's appeal of a rejection, the seller's of a removal, the seller's of a
    # penalty; decided in October: the first reversed after 6 days, the second upheld after 7 (median 6.5 d).
    "complaints": {"received": 3, "decided": 2, "upheld": 1, "reversed": 1, "omitted": None,
                   "median_decision_seconds": 561600, "by_complained_of": {
                       "listing_removed": {"received": 1, "decided": 1, "upheld": 1, "reversed": 0,
                                           "median_decision_seconds": 604800},
                       "notice_rejected": {"received": 1, "decided": 1, "upheld": 0, "reversed": 1,
                                           "median_decision_seconds": 518400},
                       "account_measure": {"received": 1, "decided": 0, "upheld": 0, "reversed": 0,
                                           "median_decision_seconds": None},
                       "notifier_measure": {"received": 0, "decided": 0, "upheld": 0, "reversed": 0,
                                            "median_decision_seconds": None}}},
    "out_of_court_disputes": {"submitted": 0, "by_complained_of": {"listing_removed": 0, "notice_rejected": 0,
                                                                   "account_measure": 0, "notifier_measure": 0},
                              "closed": 0, "by_outcome": {"for_recipient": 0, "for_provider": 0, "settled": 0,
                                                          "discontinued": 0},
                              "implemented": 0, "implemented_share": None, "median_duration_seconds": None},
    # October's penalties: a warning (no suspension) and a restriction on new listings (a partial one).
    "suspensions": {"manifestly_illegal_content": {"partial_suspensions": 1, "suspensions": 0, "terminations": 0},
                    "manifestly_unfounded_notices": 0, "manifestly_unfounded_complaints": None},
    "authority_orders": {"received": 0, "by_type": {"act_against": 0, "provide_information": 0},
                         "by_member_state": dict.fromkeys(EEA_COUNTRIES, 0),
                         "by_keyword": {"KEYWORD_TRADEMARK_INFRINGEMENT": 0, "KEYWORD_COPYRIGHT_INFRINGEMENT": 0,
                                        "KEYWORD_DESIGN_INFRINGEMENT": 0, "KEYWORD_PATENT_INFRINGEMENT": 0,
                                        "unspecified": 0},
                         "acknowledged": 0, "given_effect": 0, "median_time_to_acknowledge_seconds": None,
                         "median_time_to_effect_seconds": None},
    "active_recipients": {"average_monthly": None},
    "not_recorded": {
        "complaints.omitted": "An appeal filed late or about something that cannot be appealed is refused by the "
                              "appeal form (appeal_rules.py) and never stored, so there is no count of complaints "
                              "received and then omitted.",
        "suspensions.manifestly_unfounded_complaints": "The marketplace has no measure against people who "
                                                       "frequently file manifestly unfounded complaints (Art. "
                                                       "23(3)): none is taken, and none is recorded."},
}


def test_the_json_report_of_a_month_equals_the_figures_worked_out_by_hand(client, dataset):
    response = client.get("/transparency/2026-10.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    computed_at = data.pop("computed_at")
    assert datetime.fromisoformat(computed_at).tzinfo is not None  # when the roll-up was computed
    assert data.pop("as_of") == computed_at  # a closed month: nothing after the snapshot to add
    assert data.pop("counted_until") == "2026-11-01T00:00:00+00:00"  # the stored figures count the whole month
    # First computed now, after the month ended, so first published now.
    assert data.pop("publication") == {"first_published_at": computed_at, "in_progress": False,
                                       "updated_at": computed_at}
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
                yield [f"{prefix}{key}", "true" if value is True else "" if value is None else str(value)]
    assert rows[1:-6] == list(flat(OCTOBER))
    assert [row[0] for row in rows[-6:]] == ["publication.first_published_at", "publication.in_progress",
                                             "publication.updated_at", "computed_at", "counted_until", "as_of"]
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
        "After a notice (reactive) 1", "On our own initiative (proactive) 0",
        "Proactive removals for each removal after a notice 0.0×", "Proactive removals before the first sale 0 (–)",
        "Blocked by stay-down 0", "Holds confirmed: Brand name disguised in the listing 0 of 0 (–)",
        "Referral packages handed over 0", "with automated detection 2",
        "taken by automated means 1", "Listing decisions 6", "Seller penalty decisions 2",
        "decided by the strike ladder without a person (partially automated) 1",
        "partially automated: warning 1", "partially automated: restriction on new listings 0",
        "partially automated with a Transparency Database statement 0",
        "All decisions taken by automated means, fully or partially 2",
        "Median time to action 22 h", "Notices decided, or closed without an answer from the submitter 3",
        "within target 2 (66.7 %)", "Re-decisions, reopened by an appeal or a fix and resubmit 0",
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
    # refusals, appeals), the harmonised templates' sections (reports/harmonised.py): no query per row.
    # Issue 14 adds five: removals by initiative, screenings, precision per rule, referrals, own-initiative actions.
    with django_assert_max_num_queries(65):  # ...and the stored roll-up: read, then written (update_or_create)
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
    notice = decided(timezone.now(), {"L-100001": "remove"})  # confirmed, routed and decided after the snapshot
    workflow.record_takedown(decision_of(notice).pk)  # and carried out: a removal counts by its takedown
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
    assert f"Figures as of {date_format(as_of, 'DATETIME_FORMAT')} UTC." in page  # the locale's format
    assert "Read live up to then, on top of the figures stored at" in page


def test_the_page_groups_the_sections_like_the_harmonised_template_with_the_figures_it_adds(client, dataset):
    html = client.get("/transparency/2026-10/").content.decode()
    groups = re.findall(r'<h2 class="h4[^"]*">(.*?)</h2>', html)
    assert groups == ["Identification", "Orders from authorities", "Notices and actions (DSA Art. 16)",
                      "Own initiative", "Complaints and disputes", "Suspensions and measures (DSA Art. 23)",
                      "Recipients"]
    rows = {re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
            for row in re.findall(r"<tr>(.*?)</tr>", html, re.S)}
    assert {
        "Provider Takedown Portal demo marketplace", "Orders received 0", "by Member State none",
        "Notices from trusted flaggers 1", "Median time to action 20 h", "On a legal ground 4",
        "On the terms and conditions alone 0",
        "Design infringement 1 notices (0 from trusted flaggers), 2 listings; 1 removed, 1 rejected",
        "Complaints received 3", "Original decision reversed 1", "Complaints omitted not recorded",
        "About: rejection of a notice (listing left online) 1 received, 1 decided, 1 reversed; median 6 d",
        "Disputes submitted 0", "Manifestly illegal content: sellers restricted (partial suspension) 1",
        "Manifestly unfounded complaints not recorded", "Average monthly active recipients not stated",
    } <= rows
    assert 'href="/transparency/2026-10/template.csv"' in html


def test_a_snapshot_stored_before_the_harmonised_sections_is_recomputed_and_keeps_its_first_publication(client,
                                                                                                       dataset):
    first = client.get("/transparency/2026-10.json").json()
    stored = ReportSnapshot.objects.get(period="2026-10")
    old = {key: value for key, value in stored.figures.items() if key != "complaints"}
    ReportSnapshot.objects.filter(pk=stored.pk).update(figures=old)
    data = client.get("/transparency/2026-10.json").json()
    assert data["complaints"]["received"] == 3
    assert data["computed_at"] != first["computed_at"]
    assert data["publication"] == {"first_published_at": first["computed_at"], "in_progress": False,
                                   "updated_at": data["computed_at"]}
