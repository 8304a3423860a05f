"""Issue 13 on the legal pages: the downloads of the transparency report stay the same bytes (English)
whatever the visitor's language, the page localises its dates and numbers, and the report, policy,
privacy and error pages keep their landmarks distinct and their headings in order."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.utils import translation

from takedowns.models import ReportSnapshot
from takedowns.reports.measures import duration_text, number_text, percent
from tests.html_checks import repeated_landmarks, skipped_headings

pytestmark = pytest.mark.django_db

# Finished periods only: a period in progress is read live up to the second of the request.
DOWNLOADS = ["/transparency/2026-10.json", "/transparency/2026-10.csv", "/transparency/2026-10/template.csv",
             "/transparency/2026-H1.json", "/transparency/2026-H1.csv", "/transparency/2026-H1/template.csv",
             "/transparency/1999-13.json", "/transparency/2999-01.csv", "/transparency/2999-H1/template.csv"]


def german(client, url: str):
    # Both ways a page's language can be chosen: the active language, and the browser's Accept-Language
    # (read once the locale middleware is on, issue 13's core change).
    with translation.override("de"):
        return client.get(url, HTTP_ACCEPT_LANGUAGE="de")


def test_the_downloads_are_the_same_bytes_under_german(client, dataset):
    english = {url: client.get(url) for url in DOWNLOADS}  # computes and stores the snapshots
    for url in DOWNLOADS:
        answer = german(client, url)
        assert (answer.status_code, answer.content) == (english[url].status_code, english[url].content), url
    assert json.loads(english["/transparency/2026-10.json"].content)["title"] == "October 2026"
    assert json.loads(english["/transparency/2026-H1.json"].content)["title"] == "January–June 2026"
    assert json.loads(english["/transparency/1999-13.json"].content)["error"].startswith(
        "“1999-13” is not a report period")


def test_a_report_computed_for_a_german_visitor_is_stored_and_published_in_english(client, dataset):
    ReportSnapshot.objects.all().delete()
    assert "Oktober 2026" in german(client, "/transparency/2026-10/").content.decode()  # the page stores the snapshot
    data = json.loads(german(client, "/transparency/2026-10.json").content)
    assert data["title"] == "October 2026"
    assert ReportSnapshot.objects.get(period="2026-10").figures["title"] == "October 2026"
    rows = dict(csv.reader(io.StringIO(german(client, "/transparency/2026-10.csv").content.decode())))
    assert rows["title"] == "October 2026" and rows["figure"] == "value"
    assert rows["not_recorded.complaints.omitted"].startswith("An appeal filed late")
    template = german(client, "/transparency/2026-10/template.csv").content.decode()
    assert "Name of the provider" in template and "Notices received" in template


def test_the_page_writes_dates_and_numbers_in_the_visitors_language(client, dataset):
    english = client.get("/transparency/2026-10/").content.decode()
    assert "Transparency report: October 2026" in english and "2 (66.7 %)" in english
    page = german(client, "/transparency/2026-10/").content.decode()
    assert "Oktober 2026" in page and "October" not in page
    assert "2 (66,7 %)" in page  # within target: 2 of 3, the share as German writes it


def test_figures_durations_and_shares_follow_the_active_language():
    assert (number_text(1234567), percent(0.6667), duration_text(timedelta(days=3, hours=4))) == (
        "1,234,567", "66.7 %", "3 d 4 h")
    with translation.override("de"):
        assert (number_text(1234567), percent(0.6667)) == ("1.234.567", "66,7 %")
    assert percent(None) == duration_text(None) == "–"


@pytest.mark.parametrize("url", ["/transparency/2026-10/", "/transparency/2026-H2/", "/transparency/"])
def test_the_report_repeats_no_landmark_and_its_tables_are_named(client, dataset, url):
    page = client.get(url).content.decode()
    assert repeated_landmarks(page) == []
    assert skipped_headings(page) == []
    if url != "/transparency/":
        assert '<nav class="small mb-2" aria-label="Breadcrumb"' in page
        tables = page.count("<table")
        assert tables > 10 and page.count('<div class="table-responsive" tabindex="0">') == tables
        assert page.count('<table class="table table-sm" aria-labelledby="report-section-') == tables
        assert page.count('<th scope="col">') == 2 * tables


@pytest.mark.parametrize("url", ["/policies/", "/policies/notice-handling/", "/policies/contesting-decisions/",
                                 "/policies/repeat-infringers/", "/policies/notifier-misuse/", "/privacy/",
                                 "/transparency/1999-13/"])
def test_the_legal_pages_skip_no_heading_level_and_repeat_no_landmark(client, url):
    response = client.get(url)
    assert response.status_code in (200, 404)
    page = response.content.decode()
    assert skipped_headings(page) == [] and repeated_landmarks(page) == []
    if url.startswith("/policies/") and url != "/policies/":
        assert '<nav aria-label="Breadcrumb" id="policy-breadcrumb">' in page


def test_the_html_checks_find_what_they_look_for():
    assert skipped_headings("<h1>a</h1><h2>b</h2><h4>c</h4><h2>d</h2><h3>e</h3>") == [(2, 4)]
    assert skipped_headings("<h2>no h1</h2>") == [(0, 2)]
    assert repeated_landmarks("<nav>a</nav><nav aria-label='x'>b</nav><main></main>") == []
    assert repeated_landmarks("<nav>a</nav><nav>b</nav><div role='navigation' aria-label='x'></div>") == [
        ("navigation", None)]
    assert repeated_landmarks("<main></main><main></main>") == [("main", None)]
