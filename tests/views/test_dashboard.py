"""The leads' SLA dashboard: who gets in, the period a lead chooses (and what a bad one is told), the
figures on the page and in both CSV downloads, exactly as worked out in tests/reports/test_dashboard.py
(on tests/datasets.py's dataset)."""

import csv
import io
import re
from datetime import time, timedelta

import pytest
from django.http import StreamingHttpResponse
from django.test import override_settings
from django.utils import timezone
from django.utils.translation import gettext_lazy

from takedowns import sla
from takedowns.reports import clock_rollup, dashboard
from tests.datasets import at, clock_row, notice_row
from tests.factories import log_in
from tests.html_checks import heading_levels, skipped_headings

pytestmark = pytest.mark.django_db
OCTOBER = {"from": "2026-10-01", "to": "2026-10-31"}


@pytest.fixture
def as_lead(client, lead):
    log_in(client, lead)
    return client


CSRF = r'name="csrfmiddlewaretoken" value="\w+"'


def text_of(html: str, element_id: str) -> list[str]:
    """The rows of the table with this id, as whitespace-joined cell texts."""
    table = re.search(rf'<table[^>]*id="{element_id}".*?</table>', html, re.S).group(0)
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode())))


# --- Who gets in. ---

@pytest.mark.parametrize("url", ["/review/dashboard/", "/review/dashboard/figures.csv",
                                 "/review/dashboard/durations.csv"])
def test_anonymous_visitors_are_sent_to_the_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/review/login/?next={url}"


@pytest.mark.parametrize("url", ["/review/dashboard/", "/review/dashboard/figures.csv",
                                 "/review/dashboard/durations.csv"])
def test_a_reviewer_who_is_not_a_lead_is_refused(client, reviewers, url):
    client.force_login(reviewers["tm"].user)
    response = client.get(url, OCTOBER)
    assert response.status_code == 403
    assert b"Figures" not in response.content and b"TD-N" not in response.content


# --- The period. ---

def test_the_default_period_is_the_last_30_days(as_lead):
    response = as_lead.get("/review/dashboard/")
    today = timezone.localdate()
    assert response.status_code == 200
    period = response.context["period_form"].period
    assert (period.first, period.last) == (today - timedelta(days=29), today)
    assert f'name="from" value="{period.first.isoformat()}"' in response.content.decode()
    assert f'name="to" value="{today.isoformat()}"' in response.content.decode()


@pytest.mark.parametrize("query, field, message", [
    ({"from": "1 Oct", "to": "2026-10-31"}, "from",
     "“1 Oct” is not a date: write the first day as YYYY-MM-DD, e.g. 2026-11-01."),
    ({"from": "2026-10-01", "to": "2026-02-30"}, "to",
     "2026-02-30 is not a day of the calendar: check the month and the day."),
    ({"from": "2026-10-31", "to": "2026-10-01"}, "period",
     "The period starts (2026-10-31) after it ends (2026-10-01): swap the two dates."),
    ({"from": "2025-01-01", "to": "2026-10-31"}, "period", "The period is 669 days long; choose at most 366 days."),
    ({"from": "9999-12-31", "to": "9999-12-31"}, "period", "The period starts after today ({today}): there is "
                                                          "nothing to show yet."),
])
def test_a_bad_period_is_explained_and_what_was_typed_is_kept(as_lead, dataset, query, field, message):
    response = as_lead.get("/review/dashboard/", query)
    html = response.content.decode()
    message = message.format(today=timezone.localdate())
    assert response.status_code == 400
    assert f'data-error="{field}">{message}</div>' in html.replace("&quot;", '"')
    assert f'name="from" value="{query["from"]}"' in html and f'name="to" value="{query["to"]}"' in html
    # Nothing is shown for a period that was not understood; what does not depend on it still is.
    assert 'id="durations"' not in html and "Figures (CSV)" not in html
    assert text_of(html, "running")[2] == "Takedown decision 1 0 1 1"


@pytest.mark.parametrize("url", ["/review/dashboard/figures.csv", "/review/dashboard/durations.csv"])
def test_a_csv_of_a_bad_period_is_refused_with_the_reason(as_lead, url):
    response = as_lead.get(url, {"from": "2026-10-01", "to": "31/10/2026"})
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == (
        "“31/10/2026” is not a date: write the last day as YYYY-MM-DD, e.g. 2026-11-01.\n")


# --- The page. ---

def test_the_page_shows_the_figures_of_the_period(as_lead, dataset):
    response = as_lead.get("/review/dashboard/", OCTOBER)
    html = response.content.decode()
    assert response.status_code == 200
    assert text_of(html, "running") == [
        "Clock On time Warning Breached Paused",
        "Acknowledgement 0 0 0 0",
        "Takedown decision 1 0 1 1",
        "Takedown executed 0 1 0 0",
        "Seller penalty 0 0 0 0",
        "Counter-notice restore 0 0 0 0",
        "Appeal decision 0 0 1 0",
        "Counter-notice completeness check 0 0 0 0",
        "Screening review 0 0 0 0",
    ]
    assert text_of(html, "durations") == [
        "Clock Stopped Median elapsed p90 elapsed Within target Breached",
        "Acknowledgement 4 7 min 24 min 75.0 % (3) 1",
        "Takedown decision 3 20 h 2 d 13 h 66.7 % (2) 1",
        "Takedown executed 0 – – – 0",
        "Seller penalty 2 12 h 30 min 21 h 42 min 100.0 % (2) 0",
        "Counter-notice restore 1 13 d 13 d 100.0 % (1) 0",
        "Appeal decision 2 6 d 12 h 6 d 21 h 100.0 % (2) 0",
        "Counter-notice completeness check 0 – – – 0",
        "Screening review 0 – – – 0",
    ]
    assert text_of(html, "workload") == [
        "Reviewer Open notices Running clocks Breached running clocks Waiting for the submitter",
        "cr 2 0 0 1", "lead 0 0 0 0", "tm 1 1 0 0", "Unassigned – 1 1 0",
        "Appeals (any reviewer but the original decider) – 0 0 1",
        "Counter-notice completeness checks (any reviewer) – 0 0 0",
    ]
    # One sentence without plurals of its own, so a translation never cuts it into pieces.
    assert ("Takedown decisions, all among the clocks above: notices decided for the first time, or closed without "
            "an answer from the submitter, <strong>3</strong>, <strong>2</strong> within target; re-decisions, "
            "reopened by an appeal or a fix and resubmit, <strong>0</strong>, <strong>0</strong> within target. The "
            "transparency report counts the first decisions.") in html
    assert "working hours for a clock on a business-hours calendar" in html
    assert '<strong id="breach-total">4</strong> breaches in the period.' in html
    assert ("otherwise off by at most 5&nbsp;% (usually far less). The durations CSV has every clock's exact "
            "time.") in html
    assert 'href="/review/dashboard/figures.csv?from=2026-10-01&amp;to=2026-10-31"' in html


def test_the_trends_are_inline_svg_charts(as_lead, dataset):
    html = as_lead.get("/review/dashboard/", OCTOBER).content.decode()
    assert html.count("<svg ") == 2
    assert "<script" not in html.split("<main", 1)[1].split("</main>", 1)[0]
    # One bar per day, four of them with a breach each; one point per week with a median.
    bars = re.findall(r'<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"[^>]*><title>([^<]+)</title>',
                      html)
    assert len(bars) == 31
    assert [title for _, height, title in bars if float(height) > 0] == [
        "10 Oct: 1", "15 Oct: 1", "19 Oct: 1", "21 Oct: 1"]
    assert re.findall(r"<circle [^>]*><title>([^<]+)</title>", html) == ["wk 28 Sep: 72 h", "wk 05 Oct: 10.5 h"]
    # The two weeks with a median make one line; the weeks without one draw nothing.
    assert len(re.findall(r"<polyline ", html)) == 1


# --- The downloads. ---

def test_the_figures_csv_holds_every_figure_of_the_page(as_lead, dataset):
    response = as_lead.get("/review/dashboard/figures.csv", OCTOBER)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="sla-figures-2026-10-01-to-2026-10-31.csv"'
    zero = {"on_time": "0", "warning": "0", "breached": "0", "paused": "0"}
    running = {"acknowledgement": zero, "takedown_decision": {**zero, "on_time": "1", "breached": "1", "paused": "1"},
               "takedown_executed": {**zero, "warning": "1"}, "seller_penalty": zero, "counter_notice_restore": zero,
               "appeal_decision": {**zero, "breached": "1"}, "counter_notice_check": zero, "screening_review": zero}
    stopped = {  # count, within, share, breached, median s, p90 s
        "acknowledgement": ("4", "3", "0.75", "1", "450", "1440"),
        "takedown_decision": ("3", "2", "0.6667", "1", "72000", "221760"),
        "takedown_executed": ("0", "0", "", "0", "", ""),
        "seller_penalty": ("2", "2", "1.0", "0", "45000", "78120"),
        "counter_notice_restore": ("1", "1", "1.0", "0", "1123200", "1123200"),
        "appeal_decision": ("2", "2", "1.0", "0", "561600", "596160"),
        "counter_notice_check": ("0", "0", "", "0", "", ""),
        "screening_review": ("0", "0", "", "0", "", ""),
    }
    keys = ("count", "within_target", "within_target_share", "breached", "median_elapsed_seconds",
            "p90_elapsed_seconds")
    weeks = [("2026-09-28", "1", "259200"), ("2026-10-05", "2", "37800"), ("2026-10-12", "0", ""),
             ("2026-10-19", "0", ""), ("2026-10-26", "0", "")]
    assert csv_rows(response) == [
        ["figure", "clock", "key", "value"],
        ["period", "", "from", "2026-10-01"],
        ["period", "", "to", "2026-10-31"],
        *[["running_clocks", kind, state, count]
          for kind, states in running.items() for state, count in states.items()],
        *[["breaches_per_day", "", f"2026-10-{day:02d}", "1" if day in (10, 15, 19, 21) else "0"]
          for day in range(1, 32)],
        *[["stopped_clocks", kind, key, value]
          for kind, values in stopped.items() for key, value in zip(keys, values, strict=True)],
        ["notices_decided", "takedown_decision", "first_decisions", "3"],
        ["notices_decided", "takedown_decision", "first_decisions_within_target", "2"],
        ["notices_decided", "takedown_decision", "redecisions", "0"],
        ["notices_decided", "takedown_decision", "redecisions_within_target", "0"],
        *[row for monday, count, median in weeks for row in (
            ["weekly_count", "takedown_decision", monday, count],
            ["weekly_median_elapsed_seconds", "takedown_decision", monday, median])],
        # Proactive protection (issue 14): only N1's removal records its takedown; no screening in the dataset.
        ["own_initiative_removals", "", "reactive", "1"], ["own_initiative_removals", "", "proactive", "0"],
        ["own_initiative_removals", "", "ratio", "0.0"],
        ["own_initiative_removals", "", "proactive_before_first_sale", "0"],
        ["own_initiative_removals", "", "proactive_before_first_sale_share", ""],
        ["screenings", "", "publish", "0"], ["screenings", "", "hold", "0"], ["screenings", "", "block", "0"],
        ["staydown", "", "blocked", "0"], ["staydown", "", "held", "0"],
        *[row for rule in ("brand_term", "low_price", "reference_image", "unauthorised_seller",
                           "staydown_same_seller", "staydown_other_seller")
          for row in (["screening_precision_decided", "", rule, "0"], ["screening_precision_confirmed", "", rule, "0"],
                      ["screening_precision_share", "", rule, ""])],
        ["referrals", "", "built", "0"],
        *[row for name, load, running_, breached, waiting in [
            ("cr", "2", "0", "0", "1"), ("lead", "0", "0", "0", "0"), ("tm", "1", "1", "0", "0"),
            ("Unassigned", "", "1", "1", "0"), (dashboard.APPEALS_ROW, "", "0", "0", "1"),
            (dashboard.CHECKS_ROW, "", "0", "0", "0")]
          for row in (["workload_open_notices", "", name, load], ["workload_running_clocks", "", name, running_],
                      ["workload_breached_running_clocks", "", name, breached],
                      ["workload_waiting_for_the_submitter", "", name, waiting])],
    ]


def test_the_durations_csv_streams_one_row_per_clock_stopped_in_the_period(as_lead, dataset):
    response = as_lead.get("/review/dashboard/durations.csv", OCTOBER)
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Disposition"] == 'attachment; filename="sla-durations-2026-10-01-to-2026-10-31.csv"'
    rows = csv_rows(response)
    assert rows[0] == ["clock_id", "kind", "notice", "started_at", "due_at", "stopped_at", "elapsed_seconds",
                       "within_target", "breached", "paused_seconds", "calendar", "time_zone", "holidays",
                       "working_hours"]
    # Issue 12, item 8: the time paused and the calendar beside the elapsed time (all round the clock here).
    assert {tuple(row[10:]) for row in rows[1:]} == {("round_the_clock", "", "", "")}
    assert [row[9] for row in rows[1:]] == ["3600" if row[1:3] == ["takedown_decision", "TD-N2"] else "0"
                                            for row in rows[1:]]
    assert [row[1:9] for row in rows[1:]] == [
        ["takedown_decision", "TD-N4", "2026-09-28T10:00:00+00:00", "2026-09-29T10:00:00+00:00",
         "2026-10-01T10:00:00+00:00", "259200", "false", "true"],
        ["acknowledgement", "TD-N1", "2026-10-05T09:00:00+00:00", "2026-10-05T09:15:00+00:00",
         "2026-10-05T09:05:00+00:00", "300", "true", "false"],
        ["seller_penalty", "TD-N1", "2026-10-05T13:00:00+00:00", "2026-10-08T13:00:00+00:00",
         "2026-10-05T14:00:00+00:00", "3600", "true", "false"],
        ["takedown_decision", "TD-N1", "2026-10-05T09:00:00+00:00", "2026-10-06T09:00:00+00:00",
         "2026-10-06T05:00:00+00:00", "72000", "true", "false"],
        ["acknowledgement", "TD-N2", "2026-10-10T12:00:00+00:00", "2026-10-10T12:15:00+00:00",
         "2026-10-10T12:30:00+00:00", "1800", "false", "true"],
        # Paused for an hour: elapsed is stopped - started - paused.
        ["takedown_decision", "TD-N2", "2026-10-10T12:00:00+00:00", "2026-10-11T13:00:00+00:00",
         "2026-10-10T14:00:00+00:00", "3600", "true", "false"],
        ["seller_penalty", "TD-N2", "2026-10-10T14:00:00+00:00", "2026-10-13T14:00:00+00:00",
         "2026-10-11T14:00:00+00:00", "86400", "true", "false"],
        ["acknowledgement", "TD-N7", "2026-10-14T10:00:00+00:00", "2026-10-14T10:15:00+00:00",
         "2026-10-14T10:10:00+00:00", "600", "true", "false"],
        ["appeal_decision", "TD-N1", "2026-10-08T10:00:00+00:00", "2026-10-15T10:00:00+00:00",
         "2026-10-15T10:00:00+00:00", "604800", "true", "false"],
        ["acknowledgement", "TD-N3", "2026-10-20T08:00:00+00:00", "2026-10-20T08:15:00+00:00",
         "2026-10-20T08:01:00+00:00", "60", "true", "false"],
        ["counter_notice_restore", "TD-N2", "2026-10-12T10:00:00+00:00", "2026-10-26T10:00:00+00:00",
         "2026-10-25T10:00:00+00:00", "1123200", "true", "false"],
        ["appeal_decision", "TD-N3", "2026-10-22T08:00:00+00:00", "2026-10-29T08:00:00+00:00",
         "2026-10-28T08:00:00+00:00", "518400", "true", "false"],
    ]
    assert all(row[0].isdigit() for row in rows[1:])


@override_settings(TIME_ZONE="America/St_Johns")
def test_the_durations_csv_writes_local_times_with_their_offset_and_rounds_halves_up(as_lead, catalogue,
                                                                                     reviewers):
    """Byte for byte, on whichever database the suite runs (PostgreSQL writes it with COPY): the
    site's time zone, a half-hour offset that changes with daylight saving, halves rounded up."""
    notice = notice_row("TD-Z1", at(10, 30, 9), ("counterfeit",), right_type="trademark")
    # Newfoundland: UTC-02:30 until 1 November 2026, then UTC-03:30.
    first = clock_row("acknowledgement", notice, at(10, 31, 12), at(10, 31, 12, 15),
                      at(10, 31, 12, 1) + timedelta(seconds=1.5))
    second = clock_row("acknowledgement", notice, at(11, 2, 12), at(11, 2, 12, 15),
                       at(11, 2, 12, 1) + timedelta(seconds=2.5))
    # A business-hours clock (Bavarian holidays), paused 90.5 s: its calendar and pause in the row too.
    third = clock_row("takedown_decision", notice, at(11, 2, 13), at(11, 2, 17), at(11, 2, 14),
                      paused_for=timedelta(seconds=90.5), calendar=sla.Calendar(
                          business_hours=True, timezone="Europe/Berlin", country="DE", subdivision="BY",
                          day_start=time(8, 30), day_end=time(18, 0)).terms())
    response = as_lead.get("/review/dashboard/durations.csv", {"from": "2026-10-31", "to": "2026-11-02"})
    body = b"".join(response.streaming_content).decode()
    assert body == (
        "clock_id,kind,notice,started_at,due_at,stopped_at,elapsed_seconds,within_target,breached,paused_seconds,"
        "calendar,time_zone,holidays,working_hours\n"
        f"{first.pk},acknowledgement,TD-Z1,2026-10-31T09:30:00-02:30,2026-10-31T09:45:00-02:30,"
        "2026-10-31T09:31:01-02:30,62,true,false,0,round_the_clock,,,\n"
        f"{second.pk},acknowledgement,TD-Z1,2026-11-02T08:30:00-03:30,2026-11-02T08:45:00-03:30,"
        "2026-11-02T08:31:02-03:30,63,true,false,0,round_the_clock,,,\n"
        f"{third.pk},takedown_decision,TD-Z1,2026-11-02T09:30:00-03:30,2026-11-02T13:30:00-03:30,"
        "2026-11-02T10:30:00-03:30,3510,true,false,91,business_hours,Europe/Berlin,DE-BY,08:30-18:00\n")


def test_the_page_costs_the_same_queries_whether_the_figures_are_rolled_up_or_live(as_lead, dataset,
                                                                                  django_assert_num_queries):
    # Session, user, the session's authenticator (its second factor), reviewer, groups (2), running
    # clocks, workload (3); then breaches, durations and weekly durations: each asks how far the
    # roll-up goes, then reads it or the clocks; the re-decisions; risk screening's two aggregates (bands,
    # high-risk rejected); the Transparency Database card's eight (the queue marks; per kind of statement the
    # first eligible ids from its mark and those of them queued; pending and failed, sent in the period, the
    # last error).
    with django_assert_num_queries(31):  # issue 14: four more, the proactive protection figures
        live = as_lead.get("/review/dashboard/", OCTOBER)
    clock_rollup.refresh(timezone.now())
    with django_assert_num_queries(31):  # issue 14: four more, the proactive protection figures
        rolled_up = as_lead.get("/review/dashboard/", OCTOBER)
    assert live.status_code == rolled_up.status_code == 200
    # Tables and charts alike; only the logout form's CSRF token differs.
    assert re.sub(CSRF, "", rolled_up.content.decode()) == re.sub(CSRF, "", live.content.decode())


# --- Languages and accessibility (issue 13). ---

def _german(settings) -> None:
    """German as the language of every request: the site default, and the staff area's language once
    it has one (STAFF_LANGUAGE), and what the browser asks for."""
    settings.LANGUAGE_CODE = "de"
    settings.STAFF_LANGUAGE = "de"


def _export(client, url: str) -> bytes:
    response = client.get(url, OCTOBER, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("url", ["/review/dashboard/figures.csv", "/review/dashboard/durations.csv"])
def test_the_csv_exports_are_byte_identical_under_german(as_lead, dataset, settings, url):
    english = _export(as_lead, url)
    _german(settings)
    assert _export(as_lead, url) == english


def test_a_translated_label_in_an_export_row_is_written_in_english(as_lead, dataset, settings, monkeypatch):
    """The rows are made under English: a label a lead's language would translate (Django's own German
    catalogue has "Januar") stays English in the file, even from a lazily translated text."""
    rows = dashboard.figure_rows

    def with_a_label(period):
        yield from rows(period)
        yield "label", "", gettext_lazy("January"), 1

    monkeypatch.setattr(dashboard, "figure_rows", with_a_label)
    _german(settings)
    assert _export(as_lead, "/review/dashboard/figures.csv").endswith(b"label,,January,1\n")


def _labels(html: str) -> dict[str, str]:
    """Each form control's id → the text of its <label for>."""
    return {target: " ".join(re.sub(r"<[^>]+>", " ", text).split())
            for target, text in re.findall(r'<label[^>]*for="([^"]+)"[^>]*>(.*?)</label>', html, re.S)}


def test_the_period_filters_are_labelled_in_words_not_field_names(as_lead, dataset):
    html = as_lead.get("/review/dashboard/", OCTOBER).content.decode()
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    labels = _labels(main)
    assert labels == {"period-from": "From", "period-to": "To (included)"}
    # Every visible control of the page has a label, and none is named by its field name.
    controls = re.findall(r'<(?:input|select|textarea)\b(?![^>]*type="hidden")[^>]*>', main)
    assert controls and all(re.search(r'id="([^"]+)"', c).group(1) in labels for c in controls)
    names = {re.search(r'name="([^"]+)"', c).group(1) for c in controls}
    assert names == {"from", "to"} and not names & set(labels.values())
    assert all(re.fullmatch(r"[A-Z][a-z]*( [(a-z)]+)*", label) for label in labels.values())
    assert 'aria-label="Period"' in main  # the filter form is a landmark with a name of its own


def test_a_bad_period_names_the_field_by_its_label_and_links_the_error(as_lead, dataset):
    html = as_lead.get("/review/dashboard/", {"from": "1 Oct", "to": "2026-10-31"}).content.decode()
    assert 'aria-describedby="period-error-from"' in html and 'id="period-error-from"' in html


@pytest.mark.parametrize("query", [OCTOBER, {"from": "1 Oct"}])
def test_the_dashboard_headings_skip_no_level(as_lead, dataset, query):
    html = as_lead.get("/review/dashboard/", query).content.decode()
    levels = heading_levels(html)
    assert levels[0] == 1 and levels.count(1) == 1
    assert skipped_headings(html) == [], levels


def test_every_dashboard_table_scrolls_in_its_own_box_and_has_headers_with_scope(as_lead, dataset):
    """At 390 px a wide table scrolls inside its .table-responsive box, never the page; the box takes the keyboard
    focus, so it can be scrolled without a mouse (axe: scrollable-region-focusable)."""
    html = as_lead.get("/review/dashboard/", OCTOBER).content.decode()
    for table_id in ["running", "durations", "risk-bands", "workload"]:
        assert re.search(rf'<div class="table-responsive" tabindex="0">\s*<table[^>]*id="{table_id}"', html), table_id
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    assert re.findall(r"<th(?=[\s>])(?![^>]*scope=)[^>]*>", main) == []
    # The charts scale with the page: a viewBox and the full width, no fixed size.
    assert all('class="w-100 h-auto"' in svg and "viewBox=" in svg for svg in re.findall(r"<svg [^>]*>", html))


def test_the_dates_follow_the_language_format(as_lead, dataset):
    html = as_lead.get("/review/dashboard/", OCTOBER).content.decode()
    # English's DATE_FORMAT ("N j, Y"): a lead who adds a language gets that language's own.
    assert '<h2 class="h5 mt-4">1 October 2026 – 31 October 2026</h2>' in html


# --- Proactive protection (issue 14): the November of tests/reports/test_proactive.py. ---

def test_the_page_shows_proactive_protection_with_the_ratio_and_precision_per_rule(as_lead, november):
    html = as_lead.get("/review/dashboard/", {"from": "2026-11-01", "to": "2026-11-30"}).content.decode()
    assert text_of(html, "own-initiative")[1:] == [
        "Proactive removals (own initiative, blocks included) 4", "Notice-based removals 2",
        "Ratio 2.0× as many proactive as notice-based", "Proactive removals before the first sale 75.0 % (3)",
        "Screenings: published 3", "Screenings: held for review 4", "Screenings: blocked 1",
        "Listings blocked by stay-down 1", "Listings held by stay-down 1", "Referrals to law enforcement 1"]
    assert text_of(html, "screening-precision") == [
        "Rule Holds decided Confirmed (removed) Precision",
        "Brand name disguised in the listing 3 3 100.0 %",
        "Price far below the genuine product&#x27;s 2 1 50.0 %", "Image like the genuine product&#x27;s 0 0 –",
        "Seller not authorised for the brand 0 0 –",
        "Relisted by the seller of a removed listing 0 0 –", "Like a removed listing, another seller 0 0 –"]
    assert "a listing held by two rules counts for both" in html


def test_the_ratio_is_said_to_be_undefined_without_a_notice_based_removal(as_lead, catalogue):
    html = as_lead.get("/review/dashboard/", {"from": "2026-11-01", "to": "2026-11-30"}).content.decode()
    assert "Ratio undefined: no notice-based removal in the period" in text_of(html, "own-initiative")
