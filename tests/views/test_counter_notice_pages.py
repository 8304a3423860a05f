"""The counter-notice pages: the seller's form on the private statement page, the reviewers' list
and check, and the rights holder's copy and lawsuit report on the tracking page."""

import html
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.template.defaultfilters import date as date_filter
from django.utils import timezone, translation

from takedowns import legal
from takedowns.enums import CounterNoticeStatus
from takedowns.forms import seller as seller_forms
from takedowns.models import CounterNotice, OutboundEmail
from takedowns.selectors import worklists
from takedowns.selectors.keyset import Keyset
from takedowns.workflow import counter_notices
from tests.factories import ACCEPTED_AT, COUNTER_NOTICE_FIELDS, FILED_AT, taken_down

pytestmark = pytest.mark.django_db


def form_data(**changes) -> dict:
    data = {**COUNTER_NOTICE_FIELDS, "statement_mistake": "on", "consent_jurisdiction": "on"}
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def page(response) -> str:
    return html.unescape(response.content.decode())


def post_url(decision) -> str:
    return f"{decision.seller_path()}counter-notice/"


# --- The seller's side. ---

def test_the_statement_page_offers_the_form_prefilled(client, bright_removal):
    body = page(client.get(bright_removal.seller_path()))
    assert 'id="counter-notice-form"' in body
    assert (f"Listing L-100003 “Listing 3”, at https://portal.test/listings/L-100003/; removed on 16 November 2025 "
            f"after notice {bright_removal.item.notice.reference}.") in body
    assert 'value="bright@sellers.example"' in body
    assert ("restore the listing at the end of the 10th US business day after the day the counter-notice is filed "
            "(not the day of the check) unless the rights holder") in body
    for label in ("I swear, under penalty of perjury", "I consent to the jurisdiction of the Federal District Court",
                  "Electronic signature", "Postal address", "Telephone number"):
        assert label in body


# --- The sworn statements: binding in English, shown beside their translation (issue 13). ---

def test_the_statements_translate_the_binding_english_word_for_word():
    with translation.override("en"):
        assert str(seller_forms.STATEMENT_MISTAKE) == legal.STATEMENT_MISTAKE
        assert str(seller_forms.STATEMENT_JURISDICTION) == legal.STATEMENT_JURISDICTION


# The label in German (the catalogue), before the binding English original.
ORIGINAL = ('<div id="id_{field}_helptext" class="form-text"><span class="fw-semibold">'
            'Englisches Original (verbindlich):</span> <span lang="en">{text}</span></div>')


def test_in_another_language_the_english_original_is_shown_marked_binding(client, bright_removal):
    with translation.override("de"):
        body = page(client.get(bright_removal.seller_path(), HTTP_ACCEPT_LANGUAGE="de"))
    assert ORIGINAL.format(field="statement_mistake", text=legal.STATEMENT_MISTAKE) in body
    assert ORIGINAL.format(field="consent_jurisdiction", text=legal.STATEMENT_JURISDICTION) in body
    assert 'aria-describedby="id_statement_mistake_helptext" id="id_statement_mistake"' in body
    assert 'id="statements-binding"' in body


def test_in_english_the_statements_are_the_originals_shown_once(client, bright_removal):
    body = page(client.get(bright_removal.seller_path()))
    assert "English original (binding)" not in body and 'lang="en">I swear' not in body
    assert 'id="statements-binding"' not in body
    assert body.count(legal.STATEMENT_MISTAKE) == 1 and body.count(legal.STATEMENT_JURISDICTION) == 1


def test_filing_in_another_language_records_the_statements_as_in_english(client, bright_removal):
    with translation.override("de"):
        response = client.post(post_url(bright_removal), form_data(), HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 302
    row = CounterNotice.objects.get()
    assert (row.status, row.statement_mistake, row.consent_jurisdiction) == (CounterNoticeStatus.FILED, True, True)


def test_filing_through_the_page_redirects_back_with_the_status(client, bright_removal):
    response = client.post(post_url(bright_removal), form_data())
    assert response.status_code == 302
    assert response["Location"] == f"{bright_removal.seller_path()}#counter-notice"
    row = CounterNotice.objects.get()
    assert (row.status, row.full_name, row.statement_mistake, row.consent_jurisdiction, row.signature) == (
        CounterNoticeStatus.FILED, "Li Wei", True, True, "li  wei")
    body = page(client.get(response["Location"]))
    assert "Your counter-notice is filed. A reviewer checks it is complete; we have e-mailed a receipt to " \
           "li.wei@bright.example." in body
    assert 'data-status="filed"' in body and "Filed, being checked for completeness" in body
    assert 'id="counter-notice-form"' not in body


def test_every_missing_element_gets_its_own_error_and_nothing_typed_is_lost(client, bright_removal):
    response = client.post(post_url(bright_removal), {"full_name": "Li Wei", "phone": "+86 755 1234 5678",
                                                "explanation": "Genuine goods.", "email": "not-an-address"})
    assert response.status_code == 400
    body = page(response)
    for error in ("Identify the removed listing and where it appeared before it was removed.",
                  "Make the statement under penalty of perjury: without it this is not a counter-notice.",
                  "Consent to the court's jurisdiction and to accept service: the law requires it for a "
                  "counter-notice.",
                  "Enter your postal address, with the country.",
                  "Enter a valid e-mail address, such as name@example.com.",
                  "Sign the counter-notice: type your full name again."):
        assert error in body
    for kept in ('value="Li Wei"', 'value="+86 755 1234 5678"', "Genuine goods.", 'value="not-an-address"'):
        assert kept in body
    assert "Enter your full name" not in body and "Explain why" not in body
    assert not CounterNotice.objects.exists()


def test_an_empty_form_names_every_field(client, bright_removal):
    body = page(client.post(post_url(bright_removal), {}))
    for error in ("Explain why you believe the listing was removed by mistake or misidentification.",
                  "Enter your full name: the person making the statements above.",
                  "Enter a telephone number where you can be reached.",
                  "Enter your e-mail address: we write to you there about this counter-notice."):
        assert error in body


def test_a_signature_that_is_not_the_name_is_refused(client, bright_removal):
    response = client.post(post_url(bright_removal), form_data(signature="LW"))
    assert response.status_code == 400
    assert ("The signature must be your full name exactly as typed above (“Li Wei”); you typed “LW”."
            in page(response))
    assert not CounterNotice.objects.exists()


def test_an_incomplete_counter_notice_shows_the_reason_and_the_form_to_correct(client, filed_counter_notice, checker):
    counter_notices.mark_incomplete(filed_counter_notice, checker, "Your address has no postcode.", ACCEPTED_AT)
    body = page(client.get(filed_counter_notice.decision.seller_path()))
    assert "A reviewer returned your counter-notice as incomplete:" in body
    assert "Your address has no postcode." in body
    assert 'id="counter-notice-form"' in body and "File the corrected counter-notice" in body
    assert 'value="Li Wei"' in body and "12 Harbour Road" in body and 'value="+86 755 1234 5678"' in body
    assert 'name="signature" value=' not in body  # signed again for the corrected text
    response = client.post(post_url(filed_counter_notice.decision),
                           form_data(address="12 Harbour Road, 518000 Shenzhen, China"))
    assert response.status_code == 302
    row = CounterNotice.objects.get()
    assert (row.status, row.address) == (CounterNoticeStatus.FILED, "12 Harbour Road, 518000 Shenzhen, China")


def test_a_waiting_counter_notice_shows_its_restore_date_and_no_form(client, waiting_counter_notice):
    body = page(client.get(waiting_counter_notice.decision.seller_path()))
    assert ("Restore date</dt><dd class=\"col-sm-8\" id=\"restore-due\">at the end of Wednesday 3 December 2025, "
            "New York time, unless the rights holder reports a lawsuit before then</dd>") in body
    assert "Found complete" in body and "19 November 2025, 12:00" in body  # DATETIME_FORMAT of the page's language
    assert 'id="counter-notice-form"' not in body


def test_filing_twice_through_the_page_is_refused_with_the_reason(client, filed_counter_notice):
    response = client.post(post_url(filed_counter_notice.decision), form_data())
    assert response.status_code == 302
    body = page(client.get(response["Location"]))
    assert "You have already filed a counter-notice against this removal (18 November 2025)" in body
    assert CounterNotice.objects.count() == 1


def test_the_counter_notice_url_needs_the_token_and_a_post(client, bright_removal):
    assert client.post(f"/statement/{bright_removal.pk}/{'x' * 43}/counter-notice/", form_data()).status_code == 404
    assert client.post(f"/statement/{bright_removal.pk + 1}/{bright_removal.seller_token}/counter-notice/",
                       form_data()).status_code == 404
    assert client.get(post_url(bright_removal)).status_code == 405
    assert not CounterNotice.objects.exists()


# --- The reviewers' side. ---

REVIEWER_GETS = ["/review/counter-notices/", "/review/counter-notices/{pk}/"]
REVIEWER_POSTS = ["/review/counter-notices/{pk}/accept/", "/review/counter-notices/{pk}/incomplete/"]


@pytest.mark.parametrize("url", REVIEWER_GETS + REVIEWER_POSTS)
def test_anonymous_visitors_are_sent_to_the_login(client, filed_counter_notice, url):
    url = url.format(pk=filed_counter_notice.pk)
    response = client.post(url, {"reason": "x"}) if url.endswith(("accept/", "incomplete/")) else client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/review/login/")
    assert CounterNotice.objects.get().status == CounterNoticeStatus.FILED


@pytest.mark.parametrize("url", REVIEWER_GETS + REVIEWER_POSTS)
def test_users_outside_the_reviewer_groups_are_refused(client, filed_counter_notice, url):
    client.force_login(get_user_model().objects.create_user("someone", password="pw", is_staff=True))
    url = url.format(pk=filed_counter_notice.pk)
    response = client.post(url, {"reason": "x"}) if url.endswith(("accept/", "incomplete/")) else client.get(url)
    assert response.status_code == 403
    assert CounterNotice.objects.get().status == CounterNoticeStatus.FILED


def test_the_list_shows_counter_notices_waiting_for_a_check_oldest_first_a_page_at_a_time(
        client, monkeypatch, bright, reviewers, checker):
    monkeypatch.setattr(worklists, "BY_FILING", Keyset(("filed_at", "id"), size=2))
    listings = ["L-100003", "L-100004", "L-100003", "L-100004"]
    made = []
    for n, listing in enumerate(listings):
        decision = taken_down(FILED_AT - timedelta(days=2), listing, by=reviewers["tm"])
        made.append(counter_notices.file_counter_notice(decision, COUNTER_NOTICE_FIELDS,
                                                        FILED_AT + timedelta(minutes=10 - n)))
    counter_notices.accept_counter_notice(made[3], checker, ACCEPTED_AT)  # checked: not in the list any more
    client.force_login(checker.user)
    first = page(client.get("/review/counter-notices/"))
    assert first.index(f'data-counter-notice="{made[2].pk}"') < first.index(f'data-counter-notice="{made[1].pk}"')
    assert f'data-counter-notice="{made[0].pk}"' not in first and f'data-counter-notice="{made[3].pk}"' not in first
    cursor = f"{made[1].filed_at.timestamp():.6f}_{made[1].pk}"
    assert f"?status=filed&after={cursor}" in first
    second = page(client.get(f"/review/counter-notices/?after={cursor}"))
    assert f'data-counter-notice="{made[0].pk}"' in second and 'id="next-page"' not in second
    assert f'data-counter-notice="{made[1].pk}"' not in second
    waiting_list = page(client.get("/review/counter-notices/?status=waiting"))
    made[3].refresh_from_db()
    restore_on = date_filter(timezone.localtime(made[3].restore_due_at), "SHORT_DATETIME_FORMAT")
    assert f'data-counter-notice="{made[3].pk}"' in waiting_list and restore_on in waiting_list


def test_the_queue_links_to_the_counter_notices(client, checker):
    client.force_login(checker.user)
    assert 'href="/review/counter-notices/" id="counter-notices-link"' in page(client.get("/review/"))


def test_the_check_page_shows_the_content_and_both_buttons(client, filed_counter_notice, checker):
    client.force_login(checker.user)
    body = page(client.get(f"/review/counter-notices/{filed_counter_notice.pk}/"))
    for text in ("Counter-notice on listing L-100003", filed_counter_notice.decision.item.notice.reference,
                 "Bright Store", "12 Harbour Road", "+86 755 1234 5678", "li.wei@bright.example", "/li  wei/",
                 "matches the name",
                 "I swear, under penalty of perjury", "Complete — send the copy and plan the restore",
                 "Incomplete — return to the seller"):
        assert text in body
    assert "start the restore window" not in body and "from now" not in body


@pytest.mark.parametrize("now, restore_text", [
    # Checked the day after receipt (Tue 18 Nov 2025): the 10th US business day after receipt.
    (ACCEPTED_AT, "the listing is restored at <strong id=\"restore-if-accepted\">the end of Wednesday 3 December "
                  "2025, New York time</strong> (end of the 10th US business day after receipt) unless they report "
                  "a lawsuit."),
    # On the 11th business day (Thu 4 Dec): the 10th has ended, so the 14th (Tue 9 Dec).
    (ACCEPTED_AT + timedelta(days=15), "the listing is restored at <strong id=\"restore-if-accepted\">the end of "
     "Tuesday 9 December 2025, New York time</strong> (end of the 14th US business day after receipt: the 10th has "
     "ended) unless they report a lawsuit."),
])
def test_the_check_page_states_the_restore_date_a_finding_of_complete_would_set(
        client, filed_counter_notice, checker, monkeypatch, now, restore_text):
    client.force_login(checker.user)
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)
    body = page(client.get(f"/review/counter-notices/{filed_counter_notice.pk}/"))
    assert restore_text in body


def test_a_reviewer_finds_it_complete(client, filed_counter_notice, checker):
    client.force_login(checker.user)
    response = client.post(f"/review/counter-notices/{filed_counter_notice.pk}/accept/")
    assert response["Location"] == f"/review/counter-notices/{filed_counter_notice.pk}/"
    row = CounterNotice.objects.get()
    assert (row.status, row.checked_by) == (CounterNoticeStatus.WAITING, checker.user)
    assert OutboundEmail.objects.filter(kind="counter_notice_copy", to="anna@aerostride.example").count() == 1
    body = page(client.get(response["Location"]))
    assert "Complete: the rights holder has been sent a copy, and the listing is restored on" in body
    assert 'id="accept"' not in body
    again = page(client.post(f"/review/counter-notices/{filed_counter_notice.pk}/accept/", follow=True))
    assert "only one waiting for its check can be found complete." in again


def test_returning_it_needs_a_reason(client, filed_counter_notice, checker):
    client.force_login(checker.user)
    response = client.post(f"/review/counter-notices/{filed_counter_notice.pk}/incomplete/", {"reason": "  "})
    assert response.status_code == 400
    assert "Say what is missing, so that the seller can correct it." in page(response)
    assert CounterNotice.objects.get().status == CounterNoticeStatus.FILED
    response = client.post(f"/review/counter-notices/{filed_counter_notice.pk}/incomplete/", {"reason": "No postcode."})
    assert response["Location"] == f"/review/counter-notices/{filed_counter_notice.pk}/"
    row = CounterNotice.objects.get()
    assert (row.status, row.incomplete_reason) == (CounterNoticeStatus.INCOMPLETE, "No postcode.")


def test_an_unknown_counter_notice_is_404(client, checker):
    client.force_login(checker.user)
    assert client.get("/review/counter-notices/999/").status_code == 404


# --- The rights holder's side. ---

def test_the_tracking_page_shows_a_checked_counter_notice_and_the_lawsuit_form(client, filed_counter_notice, checker):
    notice = filed_counter_notice.decision.item.notice
    before = page(client.get(notice.tracking_path()))  # not checked yet: no content, no seller details
    assert "Li Wei" not in before and "The toys are genuine" not in before
    counter_notices.accept_counter_notice(filed_counter_notice, checker, ACCEPTED_AT)
    body = page(client.get(notice.tracking_path()))
    for text in ("Counter-notices from sellers", "L-100003",
                 "to be restored at the end of Wednesday 3 December 2025, New York time",
                 "Li Wei", "12 Harbour Road", "+86 755 1234 5678 · li.wei@bright.example",
                 "The toys are genuine", "We filed a lawsuit.", "Report the lawsuit",
                 # the copy e-mail shows on the tracking page too
                 f"Counter-notice on listing L-100003 (notice {notice.reference})"):
        assert text in body
    assert filed_counter_notice.decision.seller_token not in body


def test_the_deadlines_row_and_the_counter_notice_card_show_one_restore_date(client, waiting_counter_notice):
    notice = waiting_counter_notice.decision.item.notice
    body = page(client.get(notice.tracking_path()))
    [row] = re.findall(r'<tr data-clock="counter_notice_restore">(.*?)</tr>', body, re.S)
    [due_cell] = re.findall(r'<td class="clock-due"[^>]*>(.*?)</td>', row, re.S)
    [card_date] = re.findall(r'<strong class="restore-due">to be restored at (.*?)</strong>', body)
    assert card_date == "the end of Wednesday 3 December 2025, New York time"
    # The rights holder sees the planned restore only; the law's latest is for the staff pages.
    assert due_cell == "The end of Wednesday 3 December 2025, New York time (planned restore)"
    assert "latest" not in body and "10 Dec 2025" not in body
    # The completeness check is the seller's and the reviewer's business: not a deadline shown here.
    assert 'data-clock="counter_notice_check"' not in body


def test_the_rights_holder_reports_a_lawsuit(client, waiting_counter_notice):
    notice = waiting_counter_notice.decision.item.notice
    url = f"{notice.tracking_path()}counter-notices/{waiting_counter_notice.pk}/lawsuit/"
    response = client.post(url, {"details": "N.D. Cal. 5:25-cv-01234"})
    assert response["Location"] == f"{notice.tracking_path()}#counter-notice-{waiting_counter_notice.pk}"
    row = CounterNotice.objects.get()
    assert (row.status, row.lawsuit_details) == (CounterNoticeStatus.LAWSUIT, "N.D. Cal. 5:25-cv-01234")
    body = page(client.get(notice.tracking_path()))
    assert "Thank you: the lawsuit is recorded" in body
    assert "you reported a lawsuit on" in body and "Report the lawsuit" not in body


def test_a_lawsuit_without_details_is_refused(client, waiting_counter_notice):
    notice = waiting_counter_notice.decision.item.notice
    response = client.post(f"{notice.tracking_path()}counter-notices/{waiting_counter_notice.pk}/lawsuit/",
                           {"details": " "}, follow=True)
    assert "Name the court and the case number of the action you filed." in page(response)
    assert CounterNotice.objects.get().status == CounterNoticeStatus.WAITING


def test_the_lawsuit_url_needs_the_tracking_token_its_own_notice_and_a_post(client, waiting_counter_notice, reviewers):
    notice = waiting_counter_notice.decision.item.notice
    assert client.post(f"/track/{notice.reference}/{'x' * 43}/counter-notices/{waiting_counter_notice.pk}/lawsuit/",
                       {"details": "N.D. Cal."}).status_code == 404
    other = taken_down(FILED_AT, "L-100004", by=reviewers["tm"]).item.notice
    assert client.post(f"{other.tracking_path()}counter-notices/{waiting_counter_notice.pk}/lawsuit/",
                       {"details": "N.D. Cal."}).status_code == 404
    lawsuit_url = f"{notice.tracking_path()}counter-notices/{waiting_counter_notice.pk}/lawsuit/"
    assert client.get(lawsuit_url).status_code == 405
    assert CounterNotice.objects.get().status == CounterNoticeStatus.WAITING


def test_the_contesting_page_states_the_completeness_check_target(client, db):
    body = html.unescape(client.get("/policies/contesting-decisions/").content.decode())
    [section] = re.findall(r'<div class="mb-3" id="targets-counter_notice_check">(.*?)</div>', body, re.S)
    text = " ".join(re.sub(r"<[^>]+>", " ", section).split())
    assert text.startswith("Counter-notice completeness check — from a counter-notice's being filed to a reviewer's "
                           "finding it complete or returning it; the restore window counts from the filing whatever "
                           "the check's date.")
    assert text.endswith("Every case: 16 hours of working time ; the clock runs working hours only: 09:00 to 17:00 "
                         "(America/New_York time), Monday to Friday; public holidays in United States of America do "
                         "not count.")


def test_the_tracking_page_shows_a_filed_counter_notice_without_the_seller_s_details(client, filed_counter_notice):
    notice = filed_counter_notice.decision.item.notice
    body = page(client.get(notice.tracking_path()))
    assert "counter-notice under review" in body  # the badge
    [card] = re.findall(rf'<div class="card mb-3" id="counter-notice-{filed_counter_notice.pk}".*?</div></div>',
                        body, re.S)
    assert 'data-status="filed">Being checked for completeness</span>' in card
    assert ("The seller filed a counter-notice, received on 18 November 2025. A reviewer is checking it for "
            "completeness. You receive a copy, with the seller's contact details and the date the listing would be "
            "restored, once it is found complete.") in card
    for private in ("Li Wei", "12 Harbour Road", "+86 755 1234 5678", "li.wei@bright.example", "We filed a lawsuit"):
        assert private not in body
