"""People in a real browser (Debian's Chromium, driven by Playwright): a rights holder reports a
listing from the catalogue, and a double click or a resent form never files twice; a reviewer
logs in, decides a notice's listings from the queue, and a removed listing comes down.

The site runs in pytest-django's live_server, on whatever database the suite uses; Celery runs
eagerly in the server thread (tests/conftest.py), so e-mails land in the locmem outbox and a
removal is carried out right after the decision commits. Where /usr/bin/chromium is missing the
tests are skipped, except under CI=true, where that fails.

Every page visited is saved as a full-page screenshot in test-artifacts/ at the repository root
(<flow>-<step>-<page>.png; FAILED-<test>.png is the page a failed test ended on).
"""

import contextlib
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connections
from django.utils import timezone

from takedowns import workflow
from takedowns.models import Decision, Listing, Notice, Seller
from tests.conftest import file_notice

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ACTION_TIMEOUT_MS = 10_000
NAVIGATION_TIMEOUT_MS = 15_000
SCREENSHOT_TIMEOUT_MS = 15_000
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


class Screenshots:
    """Full-page screenshots of one flow, numbered in the order the pages were visited."""

    def __init__(self, page, flow: str):
        self.page, self.flow, self.taken = page, flow, 0
        ARTIFACTS.mkdir(exist_ok=True)
        for stale in ARTIFACTS.glob(f"{flow}-*.png"):  # a step renamed since the last run
            stale.unlink()

    def __call__(self, name: str) -> Path:
        self.taken += 1
        path = ARTIFACTS / f"{self.flow}-{self.taken:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True, timeout=SCREENSHOT_TIMEOUT_MS)
        return path


@pytest.fixture
def page(request, skip_or_fail, call_failed, monkeypatch):
    if not CHROMIUM.exists():
        skip_or_fail(f"the browser test needs {CHROMIUM}, which is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import Error as PlaywrightError
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
            failed_shot = ARTIFACTS / f"FAILED-{request.node.name}.png"
            failed_shot.unlink(missing_ok=True)
            page = context.new_page()
            yield page
            if call_failed():
                ARTIFACTS.mkdir(exist_ok=True)
                with contextlib.suppress(PlaywrightError):  # a crashed page must not hide the failure
                    page.screenshot(path=str(failed_shot), full_page=True, timeout=SCREENSHOT_TIMEOUT_MS)
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
    screenshot = Screenshots(page, "filing")

    page.goto(f"{site}/listings/")
    screenshot("catalogue")
    page.locator("#listings").get_by_role("link", name="L-100001", exact=True).click()
    expect(page).to_have_url(listing_url)
    expect(page.get_by_role("heading", name="Listing 1")).to_be_visible()
    screenshot("listing")
    page.get_by_role("link", name="Report this listing").click()

    expect(page.get_by_role("heading", name="File a notice of infringement")).to_be_visible()
    expect(page.locator("#id_items-0-reported")).to_have_value(listing_url)
    expect(page.locator("#item-rows .item-row")).to_have_count(3)
    screenshot("form-empty")

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
    screenshot("form-filled")

    # An impatient double click: the page disables the button, the server would refuse anyway.
    page.locator("#submit-notice").dblclick()

    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    expect(page).to_have_url(f"{site}/notices/filed/{key}/")
    expect(page.locator("main")).to_contain_text(f"We have sent a confirmation link to {submitter}.")
    screenshot("filed")
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
    screenshot("confirm")
    page.get_by_role("button", name="Confirm and send for review").click()

    expect(page).to_have_url(f"{site}{notice.tracking_path()}")
    expect(page.get_by_role("alert")).to_contain_text(f"notice {notice.reference} is confirmed and queued for review")
    # Routed eagerly, in the server thread, before the redirect was answered.
    expect(page.locator("#notice-status")).to_have_text("With a reviewer")
    expect(page.locator("#items tbody tr")).to_have_count(3)
    expect(page.locator('#items tr[data-state="not_found"]')).to_contain_text(f"{site}/listings/L-999999/")
    screenshot("tracking")
    notice.refresh_from_db()
    assert (notice.status, notice.assigned_to) == ("in_review", reviewers["tm"])
    # The submitter's mail, in order (staff may be written to as well, e.g. the assigned reviewer).
    assert [mail.subject for mail in mailoutbox if mail.to == [submitter]] == [
        "Confirm your notice about 3 listings",
        f"Notice {notice.reference} received",
        f"Notice {notice.reference} is with a reviewer",
    ]


def test_a_reviewer_logs_in_decides_every_listing_of_a_notice_and_a_removed_listing_comes_down(
        live_server, transactional_db, catalogue, reviewers, reason_codes, mailoutbox, page):
    from playwright.sync_api import expect

    site = live_server.url
    screenshot = Screenshots(page, "review")
    for seller in Seller.objects.all():
        seller.email = f"{seller.external_id.lower()}@sellers.example"
        seller.save(update_fields=["email"])
    # Filed and confirmed through the workflow (the first test does it in the browser); routing
    # runs eagerly on commit and gives the notice to the trademark reviewer.
    now = timezone.now()
    notice = file_notice(now, items=(("L-100001", "counterfeit"), ("L-100002", "trademark_misuse"),
                                     ("L-100004", "counterfeit")))
    workflow.confirm_notice(notice, now)
    notice.refresh_from_db()
    assert (notice.status, notice.assigned_to) == ("in_review", reviewers["tm"])
    code = reason_codes["registration-mismatch"]
    note = "EUIPO 018234567 does not cover bags."
    mailoutbox.clear()

    # The queue is behind the login page.
    page.goto(f"{site}/review/")
    expect(page).to_have_url(re.compile(re.escape(f"{site}/review/login/") + r"\?next=/review/$"))
    expect(page.get_by_role("heading", name="Reviewer login")).to_be_visible()
    page.get_by_label("Username").fill("tm")
    page.get_by_label("Password").fill("pw")
    screenshot("login")
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(f"{site}/review/")
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    row = page.locator(f'#queue tbody tr[data-reference="{notice.reference}"]')
    expect(row).to_contain_text("tm")
    expect(row.locator("td").nth(4)).to_have_text("3")  # open listings
    screenshot("queue")
    row.get_by_role("link", name=notice.reference).click()

    expect(page).to_have_url(f"{site}/review/notices/{notice.reference}/")
    expect(page.get_by_role("heading", name=f"Notice {notice.reference}")).to_be_visible()
    expect(page.locator("#notice-status")).to_have_text("With a reviewer")
    rows = page.locator("#items tbody tr")
    expect(rows).to_have_count(3)
    for position in range(3):
        expect(rows.nth(position)).to_have_attribute("data-state", "in_review")
    expect(page.locator("#claim")).to_have_count(0)  # it is already this reviewer's
    screenshot("notice-before")

    form = page.locator("#decide-form")
    form.get_by_label("Decision for listing 1", exact=True).select_option(label="Remove the listing")
    form.get_by_label("Decision for listing 2", exact=True).select_option(label="Reject the report")
    form.get_by_label("Reason code for listing 2", exact=True).select_option(label=code.title)
    rows.nth(1).get_by_placeholder("Note to submitter and seller (optional)").fill(note)
    form.get_by_label("Decision for listing 3", exact=True).select_option(label="Remove the listing")
    screenshot("notice-decisions-chosen")
    page.locator("#record-decisions").click()

    expect(page.get_by_role("alert")).to_have_text("3 decisions recorded.")
    expect(page.locator("#notice-status")).to_have_text("Closed")
    for position, state in enumerate(["removed", "rejected", "removed"]):
        expect(rows.nth(position)).to_have_attribute("data-state", state)
    expect(rows.nth(1)).to_contain_text(f"Reject the report: {code.title}")
    # The takedowns ran after commit, before the page was answered.
    expect(rows.nth(0)).to_contain_text("down at the marketplace")
    expect(rows.nth(2)).to_contain_text("down at the marketplace")
    expect(page.locator("#record-decisions")).to_have_count(0)
    expect(page.locator("#decide-form select")).to_have_count(0)
    screenshot("notice-after")

    notice.refresh_from_db()
    assert notice.status == "closed"
    assert {decision.item.position: (decision.outcome, decision.reason_code, decision.note,
                                     decision.listing_removed_at is not None)
            for decision in Decision.objects.filter(item__notice=notice).select_related("item")} == {
        1: ("remove", None, "", True), 2: ("reject", code, note, False), 3: ("remove", None, "", True)}
    assert dict(Listing.objects.filter(external_id__in=["L-100001", "L-100002", "L-100004"])
                .values_list("external_id", "status")) == {
        "L-100001": "removed", "L-100002": "active", "L-100004": "removed"}
    # The submitter and the sellers of removed listings (staff mail, if any, is not counted).
    assert sorted((mail.to[0], mail.subject) for mail in mailoutbox
                  if mail.to[0] != reviewers["tm"].user.email) == [
        (notice.submitter_email, f"Notice {notice.reference}: decision on 3 listings"),
        ("s-1@sellers.example", "Your listing L-100001 was removed: statement of reasons"),
        ("s-2@sellers.example", "Your listing L-100004 was removed: statement of reasons"),
    ]

    # The public page of a removed listing, reached from the reviewer's notice page.
    rows.nth(0).get_by_role("link", name="Listing 1").click()
    expect(page).to_have_url(f"{site}/listings/L-100001/")
    expect(page.locator("#removed-banner")).to_contain_text("This listing has been removed")
    expect(page.get_by_role("link", name="Report this listing")).to_have_count(0)
    screenshot("listing-removed")
    # The rejected one stays online.
    page.goto(f"{site}/listings/L-100002/")
    expect(page.get_by_role("heading", name="Listing 2")).to_be_visible()
    expect(page.locator("#removed-banner")).to_have_count(0)
    expect(page.get_by_role("link", name="Report this listing")).to_be_visible()
    screenshot("listing-rejected-still-online")
