"""A rights holder in a real browser (Debian's Chromium, driven by Playwright) reports a listing
from the catalogue, and a double click or a resent form never files twice.

The site runs in pytest-django's live_server, on whatever database the suite uses; Celery runs
eagerly in the server thread (tests/conftest.py), so e-mails land in the locmem outbox. Where
/usr/bin/chromium is missing the test is skipped, except under CI=true, where that fails.
"""

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connections

from takedowns.models import Notice

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ACTION_TIMEOUT_MS = 10_000
NAVIGATION_TIMEOUT_MS = 15_000


@pytest.fixture
def page(skip_or_fail, monkeypatch):
    if not CHROMIUM.exists():
        skip_or_fail(f"the browser test needs {CHROMIUM}, which is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("the browser test needs playwright, which is not installed (pip install -e '.[test]')")
    # Playwright's sync API keeps an event loop running in this thread, and Django refuses ORM
    # calls where a loop runs; the test's own queries are plain synchronous ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        # Never a downloaded browser: the distribution's Chromium, whatever Playwright would fetch.
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True,
                                             timeout=NAVIGATION_TIMEOUT_MS * 2)
        try:
            context = browser.new_context()
            context.set_default_timeout(ACTION_TIMEOUT_MS)
            context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
            yield context.new_page()
            context.close()
        finally:
            browser.close()
            # The test's queries ran beside Playwright's loop, in a context of their own: close
            # their connection here, or it outlives the test and blocks dropping the test database.
            connections.close_all()


RESEND_FORM = """async (entries) => {
    const body = new FormData();
    for (const [name, value] of entries) body.append(name, value);
    const response = await fetch("/notices/new/", {method: "POST", body, credentials: "same-origin"});
    return {status: response.status, url: response.url};
}"""

FORM_ENTRIES = """() => Array.from(new FormData(document.getElementById("notice-form")).entries())
    .filter(([, value]) => typeof value === "string")"""


def test_a_rights_holder_reports_a_listing_from_the_catalogue_and_a_resent_form_files_once(
        live_server, transactional_db, catalogue, reviewers, mailoutbox, page):
    from playwright.sync_api import expect

    site = live_server.url
    listing_url = f"{site}/listings/L-100001/"
    submitter = "anna@aerostride.example"

    page.goto(f"{site}/listings/")
    page.locator("#listings").get_by_role("link", name="L-100001", exact=True).click()
    expect(page).to_have_url(listing_url)
    expect(page.get_by_role("heading", name="Listing 1")).to_be_visible()
    page.get_by_role("link", name="Report this listing").click()

    expect(page.get_by_role("heading", name="File a notice of infringement")).to_be_visible()
    expect(page.locator("#id_items-0-reported")).to_have_value(listing_url)
    expect(page.locator("#item-rows .item-row")).to_have_count(3)

    page.fill("#id_submitter_name", "Anna Berger")
    page.fill("#id_submitter_organisation", "Aerostride GmbH")
    page.fill("#id_submitter_email", submitter)
    page.select_option("#id_submitter_country", "DE")
    page.get_by_label("I am the rights owner (or its employee)").check()
    page.select_option("#id_right_type", "trademark")
    page.fill("#id_right_registration_number", "018234567")
    page.fill("#id_right_office", "EUIPO")
    page.fill("#id_right_owner", "Aerostride GmbH")
    page.select_option("#id_items-0-reason", "counterfeit")
    page.fill("#id_items-1-reported", "L-100002")
    page.select_option("#id_items-1-reason", "trademark_misuse")
    # Row 3 stays empty; a fourth row is added with the button.
    page.get_by_role("button", name="+ Add another listing").click()
    expect(page.locator("#item-rows .item-row")).to_have_count(4)
    expect(page.locator("#id_items-TOTAL_FORMS")).to_have_value("4")
    page.fill("#id_items-3-reported", f"{site}/listings/L-999999/")
    page.select_option("#id_items-3-reason", "counterfeit")
    page.fill("#id_description", "These sneakers carry our mark but we never made them; a test buy proved it.")
    page.check("#id_good_faith_statement")
    page.check("#id_accuracy_statement")
    page.fill("#id_signature", "Anna Berger")
    sent_form = page.evaluate(FORM_ENTRIES)
    key = dict(sent_form)["submission_key"]

    # An impatient double click: the page disables the button, the server would refuse anyway.
    page.locator("#submit-notice").dblclick()

    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    expect(page).to_have_url(f"{site}/notices/filed/{key}/")
    expect(page.locator("main")).to_contain_text(f"We have sent a confirmation link to {submitter}.")
    notice = Notice.objects.get()
    assert (str(notice.submission_key), notice.status, notice.submitter_email) == (key, "unconfirmed", submitter)
    assert [(item.position, item.reported, item.reason) for item in notice.items.all()] == [
        (1, listing_url, "counterfeit"), (2, "L-100002", "trademark_misuse"),
        (3, f"{site}/listings/L-999999/", "counterfeit")]

    # The same form body sent again (a "resend" after reload, or the back button and submit):
    # the server answers with the notice it already filed.
    resent = page.evaluate(RESEND_FORM, sent_form)
    assert resent == {"status": 200, "url": f"{site}/notices/filed/{key}/"}
    assert Notice.objects.count() == 1
    assert [(mail.to, mail.subject) for mail in mailoutbox] == [([submitter], "Confirm your notice about 3 listings")]

    # The link in the e-mail (on SITE_URL) leads to a page with one button; pressing it confirms.
    [confirm_url] = re.findall(r"https?://\S+/confirm/\S+", mailoutbox[0].body)
    page.goto(site + urlsplit(confirm_url).path)
    expect(page.get_by_role("heading", name="Confirm your notice")).to_be_visible()
    page.get_by_role("button", name="Confirm and send for review").click()

    expect(page).to_have_url(f"{site}{notice.tracking_path()}")
    expect(page.get_by_role("alert")).to_contain_text(f"notice {notice.reference} is confirmed and queued for review")
    # Routed eagerly, in the server thread, before the redirect was answered.
    expect(page.locator("#notice-status")).to_have_text("With a reviewer")
    expect(page.locator("#items tbody tr")).to_have_count(3)
    expect(page.locator('#items tr[data-state="not_found"]')).to_contain_text(f"{site}/listings/L-999999/")
    notice.refresh_from_db()
    assert (notice.status, notice.assigned_to) == ("in_review", reviewers["tm"])
    assert [mail.subject for mail in mailoutbox] == [
        "Confirm your notice about 3 listings",
        f"Notice {notice.reference} received",
        f"Notice {notice.reference} is with a reviewer",
    ]
