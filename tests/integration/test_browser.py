"""People in a real browser (Debian's Chromium, driven by Playwright): a rights holder reports a
listing from the catalogue, and a double click or a resent form never files twice; a reviewer
logs in, decides a notice's listings from the queue, and a removed listing comes down; and one
run goes the whole way, from a notice filed with an evidence file to the submitter's answer (text
and a file) to the reviewer's question, sent from the tracking page.

The site runs in pytest-django's live_server, on whatever database the suite uses; Celery runs
eagerly in the server thread (tests/conftest.py), so e-mails land in the locmem outbox and a
removal is carried out right after the decision commits. Where /usr/bin/chromium is missing the
tests are skipped, except under CI=true, where that fails.

Every page visited is saved as a full-page screenshot in test-artifacts/ at the repository root
(<flow>-<step>-<page>.png; FAILED-<test>.png is the page a failed test ended on), and the same
address opened on a 390x844 phone as <flow>-<step>-<page>-phone.png. Each of these page views is
checked with axe-core and for sideways scrolling (tests/a11y.py, issue 13): every test ends with no
violation, or fails listing them all (also kept as test-artifacts/a11y-<test>.txt).

Issue 13's languages: a rights holder with a German browser, and one with a Chinese browser, file and
confirm a notice (german-*.png, chinese-*.png); a reviewer decides the Chinese one in English, and the
zh-hans seller reads the statement of reasons in Chinese. What the pages and e-mails say is compared
with the compiled catalogues (Django's gettext in this process), never with translations written here;
a text the catalogue leaves in English fails the test, named.
"""

import contextlib
import re
import struct
import zlib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections
from django.utils import dateformat, timezone, translation
from django.utils.dates import MONTHS
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext

from takedowns import legal, workflow
from takedowns.enums import EventKind, EvidenceKind, ItemState, NoticeStatus
from takedowns.models import (
    Appeal,
    ClockRollupMark,
    CounterNotice,
    Decision,
    Event,
    Evidence,
    Fingerprint,
    InfoRequest,
    Listing,
    Notice,
    NotifierMeasure,
    Penalty,
    ReasonCode,
    Right,
    Seller,
    SlaPolicy,
)
from tests import factories
from tests.a11y import PageChecks
from tests.factories import confirmed

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ACTION_TIMEOUT_MS = 10_000
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 900}
NAVIGATION_TIMEOUT_MS = 15_000
SCREENSHOT_TIMEOUT_MS = 15_000
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


class Screenshots:
    """Full-page screenshots of one flow, numbered in the order the pages were visited; each page is
    also checked (tests/a11y.py: axe-core and no sideways scrolling) as it is, and loaded once more
    at 390x844 in a phone's browser with the same cookies, screenshotted (<name>-phone.png) and
    checked there too. What the checks find fails the test at its end (the `page` fixture)."""

    def __init__(self, page, flow: str, checks: "PageChecks", problems: "BrowserProblems"):
        self.page, self.flow, self.taken = page, flow, 0
        self.checks, self.problems = checks, problems
        ARTIFACTS.mkdir(exist_ok=True)
        for stale in ARTIFACTS.glob(f"{flow}-*.png"):  # a step renamed since the last run
            stale.unlink()

    def __call__(self, name: str, page=None) -> Path:
        """The flow's page, or `page` where a second person's browser takes the next step."""
        page = page or self.page
        self.taken += 1
        stem = f"{self.flow}-{self.taken:02d}-{name}"
        path = ARTIFACTS / f"{stem}.png"
        page.screenshot(path=str(path), full_page=True, timeout=SCREENSHOT_TIMEOUT_MS)
        self.checks.check(page, stem)
        self.on_a_phone(page, stem)
        return path

    def on_a_phone(self, page, stem: str) -> None:
        """The same address in a phone-sized browser of the same person (a GET: a page that answered
        a POST shows here as its address shows it when opened anew)."""
        # Not is_mobile: Chromium's mobile emulation zooms a too-wide page out to fit, hiding the overflow.
        # The person's browser language too (their Accept-Language), for a page in the language they see.
        context = page.context.browser.new_context(viewport=PHONE, device_scale_factor=2,
                                                   locale=page.evaluate("() => navigator.language"))
        try:
            self.problems.watch(context)
            context.set_default_timeout(ACTION_TIMEOUT_MS)
            context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
            context.add_cookies(page.context.cookies())
            phone = context.new_page()
            phone.goto(page.url)
            phone.screenshot(path=str(ARTIFACTS / f"{stem}-phone.png"), full_page=True,
                             timeout=SCREENSHOT_TIMEOUT_MS)
            self.checks.check(phone, f"{stem}-phone")
        finally:
            context.close()


# What Chromium writes to the console when the Content-Security-Policy refuses something ("Executing
# inline script violates the following Content Security Policy directive …", "Loading the image …
# violates …", "Applying inline style violates …").
POLICY_MESSAGE = re.compile(r"Content Security Policy")


class BrowserProblems:
    """What went wrong in the browser, whatever page a test was on: a Content-Security-Policy violation
    on the console (a script, a style or an image refused) or an uncaught script error.
    Every browser test ends with none (the `page` fixture checks); tests may look earlier."""

    def __init__(self):
        self.found: list[str] = []

    def watch(self, context) -> None:
        context.on("console", self._console)
        context.on("weberror", lambda web_error: self.found.append(f"script error: {web_error.error}"))

    def _console(self, message) -> None:
        if message.type == "error" and POLICY_MESSAGE.search(message.text):
            self.found.append(f"{message.location.get('url', '')}: {message.text}")


@pytest.fixture
def browser_problems() -> BrowserProblems:
    return BrowserProblems()


@pytest.fixture
def page_checks() -> PageChecks:
    """What the accessibility checks found on the pages a test's Screenshots visited."""
    return PageChecks()


def failure_report(test_name: str, problems: BrowserProblems, checks: PageChecks) -> str:
    """Everything the browser and the checks found, in one message; also kept in test-artifacts/
    (a11y-<test>.txt) for whoever fixes it. An empty string when all is well."""
    report = ARTIFACTS / f"a11y-{test_name}.txt"
    report.unlink(missing_ok=True)
    parts = []
    if problems.found:
        parts.append("the browser reported:\n" + "\n".join(problems.found))
    if checks.failures:
        parts.append(f"accessibility and 390 px checks failed ({len(checks.failures)}, on {checks.pages_checked} "
                     "page views):\n" + "\n".join(checks.failures))
        ARTIFACTS.mkdir(exist_ok=True)
        report.write_text("\n".join(checks.failures) + "\n")
    return "\n\n".join(parts)


@pytest.fixture
def page(request, skip_or_fail, call_failed, monkeypatch, browser_problems, page_checks):
    if not CHROMIUM.exists():
        skip_or_fail(f"the browser test needs {CHROMIUM}, which is missing (apt-get install chromium)")
    try:
        # Late, so that a missing playwright skips (or under CI fails) the test instead of its collection.
        import axe_playwright_python  # noqa: F401, PLC0415 - axe-core for tests/a11y.py, checked here likewise
        from playwright.sync_api import Error as PlaywrightError  # noqa: PLC0415 - see above
        from playwright.sync_api import sync_playwright  # noqa: PLC0415 - see above
    except ImportError:
        skip_or_fail("the browser test needs playwright and axe-playwright-python, which are not installed "
                     "(pip install -e '.[test]')")
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
            browser_problems.watch(context)
            failed_shot = ARTIFACTS / f"FAILED-{request.node.name}.png"
            failed_shot.unlink(missing_ok=True)
            page = context.new_page()
            yield page
            if call_failed():
                ARTIFACTS.mkdir(exist_ok=True)
                with contextlib.suppress(PlaywrightError):  # a crashed page must not hide the failure
                    page.screenshot(path=str(failed_shot), full_page=True, timeout=SCREENSHOT_TIMEOUT_MS)
            context.close()
            report = failure_report(request.node.name, browser_problems, page_checks)
            if not call_failed() and report:
                pytest.fail(report, pytrace=False)
        finally:
            browser.close()
            # The test's queries ran beside Playwright's loop, in a context of their own: close
            # their connection here, or it outlives the test and blocks dropping the test database.
            connections.close_all()


@pytest.fixture
def reviewer_page(request, page, call_failed, browser_problems):
    """A reviewer's browser beside the submitter's `page`: a context of its own, so the two
    people share no cookies, as on two computers."""
    from playwright.sync_api import Error as PlaywrightError  # noqa: PLC0415 - `page` checked playwright is there

    context = page.context.browser.new_context()
    browser_problems.watch(context)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    failed_shot = ARTIFACTS / f"FAILED-{request.node.name}-reviewer.png"
    failed_shot.unlink(missing_ok=True)
    reviewer_page = context.new_page()
    yield reviewer_page
    if call_failed():
        ARTIFACTS.mkdir(exist_ok=True)
        with contextlib.suppress(PlaywrightError):
            reviewer_page.screenshot(path=str(failed_shot), full_page=True, timeout=SCREENSHOT_TIMEOUT_MS)
    context.close()


def fill_in_all_but_the_listings(page, submitter: str) -> None:
    """The notice form's fields about the submitter and the right, the description and the
    signed statements: everything a test's own listing rows and evidence files leave."""
    page.fill("#id_submitter_name", "Anna Berger")
    page.fill("#id_submitter_organisation", "Aerostride GmbH")
    page.fill("#id_submitter_email", submitter)
    page.select_option("#id_submitter_country", "DE")
    page.get_by_label("I am the rights owner (or its employee)").check()
    page.select_option("#id_right_type", "trademark")
    page.fill("#id_right_registration_number", "018234567")
    page.fill("#id_right_office", "EUIPO")
    page.fill("#id_right_owner", "Aerostride GmbH")
    page.fill("#id_description", "These sneakers carry our mark but we never made them; a test buy proved it.")
    page.check("#id_good_faith_statement")
    page.check("#id_accuracy_statement")
    page.fill("#id_signature", "Anna Berger")


def pdf_file(text: str) -> bytes:
    """A one-page PDF showing `text`, complete with its cross-reference table."""
    content = f"BT /F1 18 Tf 72 760 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    pdf, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    return pdf + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


def png_file(width: int = 40, height: int = 30) -> bytes:
    """A solid red RGB PNG, with real chunk checksums."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xcc\x22\x22" * width for _ in range(height))  # filter byte 0 per row
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


RESEND_FORM = """async (entries) => {
    const body = new FormData();
    for (const [name, value] of entries) body.append(name, value);
    const response = await fetch("/notices/new/", {method: "POST", body, credentials: "same-origin"});
    return {status: response.status, url: response.url};
}"""

FORM_ENTRIES = """() => Array.from(new FormData(document.getElementById("notice-form")).entries())
    .filter(([, value]) => typeof value === "string")"""


def test_a_rights_holder_reports_a_listing_from_the_catalogue_and_a_resent_form_files_once(
        live_server, transactional_db, catalogue, reviewers, mailoutbox, page, page_checks, browser_problems):
    from playwright.sync_api import expect  # noqa: PLC0415 - playwright is optional here: `page` skips (fails under CI) without it

    site = live_server.url
    listing_url = f"{site}/listings/L-100001/"
    submitter = "anna@aerostride.example"
    screenshot = Screenshots(page, "filing", page_checks, browser_problems)

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

    fill_in_all_but_the_listings(page, submitter)
    page.select_option("#id_items-0-reason", "counterfeit")
    page.fill("#id_items-1-reported", "L-100002")
    page.select_option("#id_items-1-reason", "trademark_misuse")
    # Row 3 stays empty; a fourth row is added with the button.
    page.get_by_role("button", name="+ Add another listing").click()
    expect(page.locator("#item-rows .item-row")).to_have_count(4)
    expect(page.locator("#id_items-TOTAL_FORMS")).to_have_value("4")
    page.fill("#id_items-3-reported", f"{site}/listings/L-999999/")
    page.select_option("#id_items-3-reason", "counterfeit")
    sent_form = page.evaluate(FORM_ENTRIES)
    key = dict(sent_form)["submission_key"]
    screenshot("form-filled")

    # An impatient double click: the page disables the button, the server would refuse anyway.
    page.locator("#submit-notice").dblclick()

    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    expect(page).to_have_url(f"{site}/notices/filed/{key}/")
    expect(page.locator("main")).to_contain_text(f"a confirmation link to {submitter}")
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
        live_server, transactional_db, catalogue, reviewers, reason_codes, mailoutbox, page, page_checks,
        browser_problems):
    from playwright.sync_api import expect  # noqa: PLC0415 - playwright is optional here: `page` skips (fails under CI) without it

    site = live_server.url
    screenshot = Screenshots(page, "review", page_checks, browser_problems)
    for seller in Seller.objects.all():
        seller.email = f"{seller.external_id.lower()}@sellers.example"
        seller.save(update_fields=["email"])
    # Filed and confirmed through the workflow (the first test does it in the browser); routing
    # runs eagerly on commit and gives the notice to the trademark reviewer.
    now = timezone.now()
    notice = confirmed(now, [("L-100001", "counterfeit"), ("L-100002", "trademark_misuse"),
                             ("L-100004", "counterfeit")])
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
    # Each listing is a card on the reviewer's page (issue 13: reported and now, side by side).
    rows = page.locator("#items .review-listing")
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
        ("s-1@sellers.example", "Your seller account: warning (statement of reasons)"),  # first strike
        ("s-2@sellers.example", "Your listing L-100004 was removed: statement of reasons"),
        ("s-2@sellers.example", "Your seller account: warning (statement of reasons)"),
    ]

    # The public page of a removed listing, reached from the reviewer's notice page.
    rows.nth(0).get_by_role("link", name="L-100001", exact=True).click()
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


def test_a_notice_with_evidence_goes_from_the_form_through_review_to_the_submitters_answer(
        live_server, transactional_db, catalogue, reviewers, reason_codes, mailoutbox, page, reviewer_page,
        tmp_path, page_checks, browser_problems):
    from playwright.sync_api import expect  # noqa: PLC0415 - playwright is optional here: `page` skips (fails under CI) without it

    site = live_server.url
    submitter = "anna@aerostride.example"
    screenshot = Screenshots(page, "whole-flow", page_checks, browser_problems)
    code = reason_codes["registration-mismatch"]
    question = "Which of your models does listing 3 copy? Please send a photo of the original."
    answer = "It copies our Aero Runner 2 (2023 collection); the photo shows the original box and tag."
    test_buy = tmp_path / "test-buy.pdf"
    test_buy.write_bytes(pdf_file("Test buy 2025-03-14: order 4471, receipt and photos"))
    original_photo = tmp_path / "original-aero-runner.png"
    original_photo.write_bytes(png_file())

    # --- The submitter files a notice about three listings, with a test-buy proof. ---
    page.goto(f"{site}/")
    screenshot("home")
    page.get_by_role("link", name="File a notice").click()
    expect(page.get_by_role("heading", name="File a notice of infringement")).to_be_visible()
    fill_in_all_but_the_listings(page, submitter)
    for row, (listing, reason) in enumerate([("L-100001", "counterfeit"), ("L-100002", "trademark_misuse"),
                                             ("L-100004", "counterfeit")]):
        page.fill(f"#id_items-{row}-reported", listing)
        page.select_option(f"#id_items-{row}-reason", reason)
    page.get_by_label("Test-buy proof").set_input_files(test_buy)
    screenshot("form-filled")
    page.locator("#submit-notice").click()

    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    screenshot("filed")
    notice = Notice.objects.get()
    [evidence] = Evidence.objects.all()
    assert (evidence.notice, evidence.submission_key, evidence.kind, evidence.original_name, evidence.content_type,
            evidence.size) == (notice, notice.submission_key, EvidenceKind.TEST_BUY, "test-buy.pdf",
                               "application/pdf", test_buy.stat().st_size)
    with evidence.file.open("rb") as stored:
        assert stored.read() == test_buy.read_bytes()

    # --- ... and confirms it from the e-mail. ---
    [confirm_url] = re.findall(r"https?://\S+/confirm/\S+", mailoutbox[0].body)
    page.goto(site + urlsplit(confirm_url).path)
    screenshot("confirm")
    page.get_by_role("button", name="Confirm and send for review").click()
    expect(page).to_have_url(f"{site}{notice.tracking_path()}")
    expect(page.locator("#notice-status")).to_have_text("With a reviewer")
    screenshot("tracking-with-a-reviewer")

    # Routing gave the notice to tm; tm hands it back to the queue (the "Hand back" button, tested in
    # tests/views/test_review.py), so that it is in the pool for any reviewer to claim.
    workflow.release_notice(notice, reviewers["tm"], timezone.now())

    # --- A reviewer logs in, claims the notice and decides: remove, reject, ask. ---
    reviewer_page.goto(f"{site}/review/")
    reviewer_page.get_by_label("Username").fill("tm")
    reviewer_page.get_by_label("Password").fill("pw")
    screenshot("login", reviewer_page)
    reviewer_page.get_by_role("button", name="Log in").click()
    expect(reviewer_page.get_by_role("heading", name="Review queue")).to_be_visible()
    queued = reviewer_page.locator(f'#queue tbody tr[data-reference="{notice.reference}"]')
    expect(queued.locator("td").nth(5)).to_have_text("unassigned")
    screenshot("queue", reviewer_page)
    queued.get_by_role("link", name=notice.reference).click()

    expect(reviewer_page.get_by_role("heading", name=f"Notice {notice.reference}")).to_be_visible()
    expect(reviewer_page.locator("#decide-form select")).to_have_count(0)  # not yours until claimed
    expect(reviewer_page.get_by_role("link", name="test-buy.pdf")).to_be_visible()
    with reviewer_page.expect_download() as download:
        reviewer_page.get_by_role("link", name="test-buy.pdf").click()
    assert Path(download.value.path()).read_bytes() == test_buy.read_bytes()
    screenshot("notice-unclaimed", reviewer_page)
    reviewer_page.get_by_role("button", name="Claim this notice").click()

    expect(reviewer_page.get_by_role("alert")).to_have_text(f"You are working notice {notice.reference}.")
    expect(reviewer_page.locator("#claim")).to_have_count(0)
    form = reviewer_page.locator("#decide-form")
    rows = reviewer_page.locator("#items .review-listing")
    form.get_by_label("Decision for listing 1", exact=True).select_option(label="Remove the listing")
    form.get_by_label("Decision for listing 2", exact=True).select_option(label="Reject the report")
    form.get_by_label("Reason code for listing 2", exact=True).select_option(label=code.title)
    form.get_by_label("Decision for listing 3", exact=True).select_option(label="Ask the submitter")
    form.get_by_label("Question to the submitter").fill(question)
    screenshot("notice-decisions-chosen", reviewer_page)
    reviewer_page.locator("#record-decisions").click()

    expect(reviewer_page.get_by_role("alert")).to_have_text("2 decisions recorded; question sent about 1 listing.")
    expect(reviewer_page.locator("#notice-status")).to_have_text("Waiting for the submitter's answer")
    for position, state in enumerate(["removed", "rejected", "info_requested"]):
        expect(rows.nth(position)).to_have_attribute("data-state", state)
    expect(rows.nth(0)).to_contain_text("down at the marketplace")
    screenshot("notice-waiting-for-the-submitter", reviewer_page)

    # --- The submitter answers on the tracking page, linked from the question's e-mail. ---
    [question_mail] = [mail for mail in mailoutbox
                       if mail.subject == f"Notice {notice.reference}: the reviewer has a question"]
    assert question_mail.to == [submitter] and question in question_mail.body
    [tracking_url] = re.findall(r"https?://\S+/track/\S+", question_mail.body)
    page.goto(site + urlsplit(tracking_url).path)
    expect(page.locator("#notice-status")).to_have_text("Waiting for the submitter's answer")
    tracked = page.locator("#items tbody tr")
    for position, state in enumerate(["removed", "rejected", "info_requested"]):
        expect(tracked.nth(position)).to_have_attribute("data-state", state)
    expect(tracked.nth(1)).to_contain_text(code.title)
    card = page.locator("#question")
    expect(card).to_contain_text(question)
    expect(card).to_contain_text("About listing 3.")
    card.get_by_label("Your answer").fill(answer)
    card.get_by_label("Files (PDF, PNG or JPEG)").set_input_files(original_photo)
    screenshot("tracking-question-answered")
    card.get_by_role("button", name="Send answer").click()

    expect(page).to_have_url(f"{site}{notice.tracking_path()}")
    expect(page.get_by_role("alert")).to_have_text("Thank you: your answer is with the reviewer.")
    expect(page.locator("#notice-status")).to_have_text("With a reviewer")
    expect(page.locator("#question")).to_have_count(0)
    expect(tracked.nth(2)).to_have_attribute("data-state", "in_review")
    expect(tracked.nth(2)).to_contain_text("Waiting for the reviewer's decision")
    expect(page.locator("#timeline li").last).to_contain_text("Back with the reviewer")
    expect(page.locator("#questions")).to_contain_text(question)
    expect(page.locator("#questions")).to_contain_text(answer)
    expect(page.locator("#questions")).to_contain_text("Files: original-aero-runner.png")
    screenshot("tracking-after-the-answer")

    # --- The reviewer has listing 3 back, with the submitter's file. ---
    reviewer_page.reload()
    expect(reviewer_page.locator("#notice-status")).to_have_text("With a reviewer")
    expect(rows.nth(2)).to_have_attribute("data-state", "in_review")
    expect(form.get_by_label("Decision for listing 3", exact=True)).to_be_visible()
    answered = reviewer_page.locator("#questions")
    expect(answered).to_contain_text(answer)
    expect(answered.get_by_role("link", name="original-aero-runner.png")).to_be_visible()
    expect(reviewer_page.get_by_text("original-aero-runner.png · Other evidence (sent with an answer)")).to_be_visible()
    screenshot("notice-after-the-answer", reviewer_page)

    notice.refresh_from_db()
    assert (notice.status, notice.assigned_to) == (NoticeStatus.IN_REVIEW, reviewers["tm"])
    assert dict(notice.items.values_list("position", "state")) == {
        1: ItemState.REMOVED, 2: ItemState.REJECTED, 3: ItemState.IN_REVIEW}
    assert {decision.item.position: (decision.outcome, decision.reason_code, decision.listing_removed_at is not None)
            for decision in Decision.objects.filter(item__notice=notice).select_related("item")} == {
        1: ("remove", None, True), 2: ("reject", code, False)}
    assert dict(Listing.objects.filter(external_id__in=["L-100001", "L-100002", "L-100004"])
                .values_list("external_id", "status")) == {
        "L-100001": "removed", "L-100002": "active", "L-100004": "active"}
    [info] = InfoRequest.objects.filter(notice=notice)
    assert (info.message, info.answer, info.requested_by, info.answered_at is not None, info.expired_at) == (
        question, answer, reviewers["tm"].user, True, None)
    assert [item.position for item in info.items.all()] == [3]
    assert [(file.kind, file.original_name, file.content_type, file.size, file.notice_id)
            for file in Evidence.objects.order_by("id")] == [
        (EvidenceKind.TEST_BUY, "test-buy.pdf", "application/pdf", test_buy.stat().st_size, notice.pk),
        (EvidenceKind.OTHER, "original-aero-runner.png", "image/png", original_photo.stat().st_size, notice.pk)]
    with Evidence.objects.get(kind=EvidenceKind.OTHER).file.open("rb") as stored:
        assert stored.read() == original_photo.read_bytes()
    # The steps after routing, in order: (kind, listing, actor, from, to).
    after_routing = [EventKind.CLAIMED, EventKind.ITEM_DECIDED, EventKind.INFO_REQUESTED,
                     EventKind.AWAITING_SUBMITTER, EventKind.INFO_ANSWERED, EventKind.BACK_IN_REVIEW]
    assert [(event.kind, event.item.position if event.item else None, event.actor_kind, event.from_status,
             event.to_status)
            for event in Event.objects.filter(notice=notice, kind__in=after_routing).select_related("item")
            .order_by("created_at", "id")] == [
        (EventKind.CLAIMED, None, "reviewer", "", ""),
        (EventKind.ITEM_DECIDED, 1, "reviewer", ItemState.IN_REVIEW, ItemState.REMOVED),
        (EventKind.ITEM_DECIDED, 2, "reviewer", ItemState.IN_REVIEW, ItemState.REJECTED),
        (EventKind.INFO_REQUESTED, 3, "reviewer", ItemState.IN_REVIEW, ItemState.INFO_REQUESTED),
        (EventKind.AWAITING_SUBMITTER, None, "reviewer", NoticeStatus.IN_REVIEW, NoticeStatus.AWAITING_SUBMITTER),
        (EventKind.INFO_ANSWERED, 3, "submitter", ItemState.INFO_REQUESTED, ItemState.IN_REVIEW),
        (EventKind.BACK_IN_REVIEW, None, "submitter", NoticeStatus.AWAITING_SUBMITTER, NoticeStatus.IN_REVIEW),
    ]
    assert [mail.subject for mail in mailoutbox if mail.to == [submitter]] == [
        "Confirm your notice about 3 listings",
        f"Notice {notice.reference} received",
        f"Notice {notice.reference} is with a reviewer",
        f"Notice {notice.reference}: decision on 2 listings",
        f"Notice {notice.reference}: the reviewer has a question",
    ]


INLINE_SCRIPT = """() => {
    const script = document.createElement("script");
    script.textContent = "window.inlineScriptRan = true;";
    document.body.appendChild(script);
    return window.inlineScriptRan === true;
}"""


def log_in(page, site: str, path: str, username: str, device=None) -> None:
    """The login page, and with an authenticator `device` its code step (leads, outside demo mode)."""
    page.goto(f"{site}{path}")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw")
    page.locator("form [type=submit]").click()
    if device is not None:
        page.fill("#id_code", factories.totp_code(device))
        page.locator("#id_code").press("Enter")  # the top bar's "Log out" is a submit button too


def test_the_pages_work_under_the_content_security_policy_without_a_violation(
        live_server, transactional_db, dataset, page, browser_problems, page_checks, tmp_path):
    """Issue 10, item 9: the policy is enforced, and the notice form's script, Bootstrap's, the
    dashboard's charts, the file inputs and the admin all work under it, with nothing refused."""
    from playwright.sync_api import expect  # noqa: PLC0415 - playwright is optional here: `page` skips (fails under CI) without it

    site = live_server.url
    # Migration 0010's row, which the dashboard reads; a transactional test before this one flushed it.
    ClockRollupMark.objects.get_or_create(pk=1)
    lead = factories.make_lead("lead")
    boss = get_user_model().objects.create_superuser("boss", "boss@portal.test", "pw")
    boss_device = factories.give_authenticator(boss)
    notice = confirmed(timezone.now())
    evidence = tmp_path / "test-buy.pdf"
    evidence.write_bytes(pdf_file("Test buy"))
    screenshot = Screenshots(page, "csp", page_checks, browser_problems)

    # Enforced: an injected inline script does not run, and the watcher sees the refusal.
    response = page.goto(f"{site}/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["permissions-policy"].startswith("accelerometer=()")
    allowed = page.evaluate("() => document.featurePolicy.allowedFeatures()")
    assert {"camera", "microphone", "geolocation", "payment", "usb"} & set(allowed) == set()
    assert "fullscreen" in allowed  # what the header leaves alone stays allowed
    assert page.evaluate(INLINE_SCRIPT) is False
    [refused] = browser_problems.found
    assert "Executing inline script violates the following Content Security Policy directive" in refused
    browser_problems.found.clear()

    # The notice form's own script adds a row; a file goes into an evidence input; Bootstrap's
    # select arrows (data: images) load.
    page.goto(f"{site}/notices/new/")
    page.get_by_role("button", name="+ Add another listing").click()
    expect(page.locator("#item-rows .item-row")).to_have_count(4)
    page.get_by_label("Test-buy proof").set_input_files(evidence)
    expect(page.get_by_label("Test-buy proof")).to_have_js_property("files.length", 1)
    screenshot("form")

    # The tracking page: Bootstrap's collapse opens an e-mail, whose text keeps its line breaks.
    page.goto(f"{site}{notice.tracking_path()}")
    page.locator("#emails .accordion-button").first.click()
    first_email = page.locator("#emails .accordion-collapse").first
    expect(first_email).to_have_class(re.compile(r"\bshow\b"))
    assert first_email.locator("pre").evaluate("pre => getComputedStyle(pre).whiteSpace") == "pre-wrap"
    screenshot("tracking")

    # A lead's dashboard with its SVG charts; the admin with its own scripts and styles.
    log_in(page, site, "/review/login/", "lead", lead.user.totpdevice_set.get())
    page.goto(f"{site}/review/dashboard/?from=2026-10-01&to=2026-10-31")  # the dataset's month
    expect(page.locator("figure svg")).to_have_count(2)
    expect(page.locator("figure svg rect")).to_have_count(31)
    expect(page.locator("figure svg polyline")).to_have_count(1)
    screenshot("dashboard")
    page.locator("#logout").click()
    log_in(page, site, "/admin/login/", "boss", boss_device)
    expect(page.locator("#site-name")).to_be_visible()
    page.goto(f"{site}/admin/takedowns/notice/")
    page.goto(f"{site}/admin/takedowns/slapolicy/add/")
    page.locator("#clocklink0").click()  # the admin's own script opens its time picker
    expect(page.locator("#clockbox0")).to_be_visible()
    screenshot("admin")
    assert browser_problems.found == []


def test_files_too_large_to_send_are_caught_in_the_browser_and_nothing_typed_is_lost(
        live_server, transactional_db, catalogue, reviewers, settings, page, tmp_path, page_checks,
        browser_problems):
    from playwright.sync_api import expect  # noqa: PLC0415 - playwright is optional here: `page` skips (fails under CI) without it

    # The server refuses a body over this before reading it, and cannot keep what was typed with it;
    # the page itself stops such a form (issue 10).
    settings.REQUEST_MAX_BODY_BYTES = 2 * 1024 * 1024
    site, screenshot = live_server.url, Screenshots(page, "too-large", page_checks, browser_problems)
    big = tmp_path / "scan.pdf"
    big.write_bytes(pdf_file("A scan at 600 dpi") + b"0" * (2 * 1024 * 1024))
    page.goto(f"{site}/notices/new/")
    fill_in_all_but_the_listings(page, "anna@aerostride.example")
    page.fill("#id_items-0-reported", "L-100001")
    page.select_option("#id_items-0-reason", "counterfeit")
    page.get_by_label("Test-buy proof").set_input_files(big)
    page.locator("#submit-notice").click()

    warning = page.locator("#upload-too-large")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("The files you attached add up to 2.0 MB; at most 1.0 MB can be sent at once. "
                                    "Nothing was sent and everything you typed is still here")
    expect(page.locator("#id_submitter_name")).to_have_value("Anna Berger")
    expect(page.locator("#submit-notice")).to_be_enabled()
    screenshot("caught")
    assert Notice.objects.count() == Evidence.objects.count() == 0

    small = tmp_path / "receipt.pdf"
    small.write_bytes(pdf_file("Test buy receipt"))
    page.get_by_label("Test-buy proof").set_input_files(small)
    page.locator("#submit-notice").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    assert list(Notice.objects.get().evidence.values_list("original_name", flat=True)) == ["receipt.pdf"]


# --- Issue 11, item 4: the published policies read on a phone and on a desktop. ---

POLICY_PAGES = ["/policies/", "/policies/repeat-infringers/", "/policies/notice-handling/",
                "/policies/contesting-decisions/"]
SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def test_the_policy_pages_fit_a_phone_and_a_desktop_under_the_content_security_policy(
        live_server, transactional_db, page, browser_problems, page_checks):
    """Nothing scrolls sideways at 390 px or on a desktop (the longest lines: a business-hours SLA
    policy, the sworn statements), the footer links the index, and nothing is refused by the CSP."""
    from playwright.sync_api import expect  # noqa: PLC0415 - playwright is optional here: `page` skips (fails under CI) without it

    SlaPolicy.objects.create(clock="takedown_decision", right_type="trademark", reason="counterfeit", min_priority=40,
                             target=timedelta(hours=4), business_hours=True, country="DE", subdivision="BY")
    ReasonCode.objects.get_or_create(code="not-enough-evidence", defaults={
        "title": "Not enough evidence", "submitter_text": "Add a test-buy report or the registration certificate."})
    screenshot = Screenshots(page, "policies", page_checks, browser_problems)
    for size, name in ((PHONE, "phone"), (DESKTOP, "desktop")):
        page.set_viewport_size(size)
        for path in POLICY_PAGES:
            page.goto(f"{live_server.url}{path}")
            expect(page.locator("h1")).to_be_visible()
            assert page.evaluate(SIDEWAYS) <= 0, f"{path} scrolls sideways at {size['width']} px"
            expect(page.locator("#footer-policies")).to_have_attribute("href", "/policies/")
            screenshot(f"{name}-{path.strip('/').replace('/', '-')}")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/")
    page.locator("#footer-policies").click()
    page.get_by_role("link", name="How to contest a decision").click()
    expect(page.locator("h1")).to_have_text("How to contest a decision")
    assert browser_problems.found == []


def test_on_a_phone_the_menu_folds_behind_a_button_and_the_keyboard_skips_to_the_content(
        live_server, transactional_db, page, browser_problems, page_checks):
    """Issue 13, items 5 to 7: at 390 px the top bar's links are behind the menu button, which opens
    and says so; the first Tab reaches "Skip to content", shown, which leads past the menu; the
    icon the page links loads and /favicon.ico is no 404."""
    from playwright.sync_api import expect  # noqa: PLC0415 - playwright is optional here: `page` skips (fails under CI) without it

    site, screenshot = live_server.url, Screenshots(page, "frame", page_checks, browser_problems)
    page.set_viewport_size(PHONE)
    page.goto(f"{site}/")
    menu_link = page.get_by_role("link", name="Report infringement")
    toggler = page.get_by_role("button", name="Show or hide the menu")
    expect(menu_link).to_be_hidden()
    expect(toggler).to_have_attribute("aria-expanded", "false")
    screenshot("menu-closed")
    toggler.click()
    expect(menu_link).to_be_visible()
    expect(toggler).to_have_attribute("aria-expanded", "true")
    screenshot("menu-open")

    page.set_viewport_size(DESKTOP)
    page.goto(f"{site}/")
    expect(toggler).to_be_hidden()
    expect(menu_link).to_be_visible()
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).not_to_be_in_viewport()  # visually hidden until focused
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{site}/#main")

    for icon in ("/static/favicon.svg", "/favicon.ico"):
        response = page.request.get(f"{site}{icon}")
        assert (icon, response.status) == (icon, 200)
    assert page.request.get(f"{site}/favicon.ico").body()[:4] == b"\x00\x00\x01\x00"
    assert page.evaluate("() => [...document.querySelectorAll('link[rel=icon]')].map(link => link.href)") == [
        f"{site}/static/favicon.svg", f"{site}/static/favicon.ico"]


def test_a_tour_of_the_pages_no_other_browser_test_visits(live_server, transactional_db, dataset, page,
                                                          browser_problems, page_checks):
    """Issue 13, item 6: the accessibility and 390 px checks (Screenshots) on the pages the flows above
    do not reach - the home, privacy and notifier policy pages, the transparency report, a seller's
    statements of reasons, a notifier's measure, a decided notice's tracking page, and a lead's queues,
    appeal, counter-notice, notifier cases and dashboard - with the autumn 2026 dataset behind them."""
    from playwright.sync_api import expect  # noqa: PLC0415 - playwright is optional here: `page` skips (fails under CI) without it

    site, screenshot = live_server.url, Screenshots(page, "tour", page_checks, browser_problems)
    ClockRollupMark.objects.get_or_create(pk=1)  # migration 0010's row, flushed by an earlier test
    lead = factories.make_lead("lead")
    public = [("home", "/"), ("privacy", "/privacy/"), ("notifier-policy", "/policies/notifier-misuse/"),
              ("transparency", "/transparency/")]
    for name, path in public:
        page.goto(f"{site}{path}")
        expect(page.locator("h1")).to_be_visible()
        screenshot(name)
    page.locator("main a[href^='/transparency/20']").first.click()
    expect(page.locator("h1")).to_be_visible()
    screenshot("transparency-report")
    removal = Decision.objects.filter(outcome="remove").exclude(seller_token="").order_by("id").first()
    penalty = Penalty.objects.exclude(seller_token="").order_by("id").first()
    measure = NotifierMeasure.objects.exclude(token="").order_by("id").first()
    decided = Notice.objects.filter(items__decisions__isnull=False).order_by("id").first()
    private = [("statement", removal and removal.seller_path()),
               ("penalty-statement", penalty and penalty.seller_path()),
               ("notifier-measure", measure and measure.private_path()),
               ("tracking-decided", decided and decided.tracking_path())]
    assert decided is not None
    for name, path in private:
        if not path:  # the dataset's statements are not all sent (no token): visited where there is one
            continue
        page.goto(f"{site}{path}")
        expect(page.locator("h1")).to_be_visible()
        screenshot(name)

    log_in(page, site, "/review/login/", "lead", lead.user.totpdevice_set.get())
    appeal, counter_notice = Appeal.objects.order_by("id").first(), CounterNotice.objects.order_by("id").first()
    staff = [("queue", "/review/"), ("appeals", "/review/appeals/"),
             ("appeal", f"/review/appeals/{appeal.pk}/" if appeal else None),
             ("counter-notices", "/review/counter-notices/"),
             ("counter-notice", f"/review/counter-notices/{counter_notice.pk}/" if counter_notice else None),
             ("notifier-cases", "/review/notifiers/"),
             ("dashboard", "/review/dashboard/?from=2026-10-01&to=2026-10-31")]
    for name, path in staff:
        assert path, f"the dataset has no {name} page"
        page.goto(f"{site}{path}")
        expect(page.locator("h1")).to_be_visible()
        screenshot(name)


# --- Issue 13: a notice filed in German and in Chinese; the pages and e-mails in the person's language. ---

class InLanguage:
    """What the site says in one language, as its compiled catalogue says it: words("Check your e-mail") is
    Django's gettext of that msgid under the language (ngettext with `plural` and `count`; `values` put in).
    No translation is written in these tests. A text the catalogue leaves as the English msgid is noted, and
    the test fails at its end naming all of them (`untranslated`): the page or e-mail shows it in English, so
    the assertions on the page itself still pass and one run finds them all. Only texts that cannot be the
    same in a translation are asked for (not "%(reference)s · Takedown Portal")."""

    def __init__(self, code: str):
        self.code = code
        self.untranslated: list[str] = []

    def __call__(self, message: str, plural: str | None = None, count: int = 1, **values) -> str:
        with translation.override(self.code):
            text = ngettext(message, plural, count) if plural is not None else gettext(message)
        if text == (message if plural is None or count == 1 else plural) and message not in self.untranslated:
            self.untranslated.append(message)
        return text % values if values else text

    def date(self, moment, format_name: str = "DATETIME_FORMAT") -> str:
        """A time as the pages and e-mails write it in this language (Django's format and month names)."""
        with translation.override(self.code):
            return date_format(timezone.localtime(moment), format_name)

    def month(self, moment) -> str:
        """The month of `moment` as a date in this language names it, never as English does: Django's own
        month name ("Dezember"), or for Chinese, whose dates number the month, "12月"."""
        with translation.override(self.code):
            month = f"{moment.month}月" if self.code == "zh-hans" else str(MONTHS[moment.month])
        with translation.override("en"):
            assert month != str(MONTHS[moment.month])
        return month

    @staticmethod
    def zone(moment) -> str:
        """The time zone's name the e-mails write after a time (the date filter's "e")."""
        return dateformat.format(timezone.localtime(moment), "e")


@pytest.fixture
def browser_in(request, page, call_failed, browser_problems):
    """Opens another person's browser beside `page`, set to a language as a browser is set up:
    browser_in("de-DE", "submitter") has navigator.language "de-DE" and sends "Accept-Language: de-DE,…".
    Each is a context of its own (no cookies shared), watched like `page`; FAILED-<test>-<who>.png is
    where each one stood when the test failed."""
    from playwright.sync_api import Error as PlaywrightError  # noqa: PLC0415 - `page` checked playwright is there

    opened = []

    def open_browser(locale: str, who: str):
        context = page.context.browser.new_context(locale=locale)
        browser_problems.watch(context)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
        failed_shot = ARTIFACTS / f"FAILED-{request.node.name}-{who}.png"
        failed_shot.unlink(missing_ok=True)
        person = context.new_page()
        opened.append((person, failed_shot))
        return person

    yield open_browser
    for person, failed_shot in opened:
        if call_failed():
            ARTIFACTS.mkdir(exist_ok=True)
            with contextlib.suppress(PlaywrightError):
                person.screenshot(path=str(failed_shot), full_page=True, timeout=SCREENSHOT_TIMEOUT_MS)
        person.context.close()


def the_form_as_sent(person) -> dict[str, str]:
    """What the notice form would send now (no files), but its CSRF token, which every page renews, and the
    formset's count of rows the server filled in (after a switch, every row is one: the same rows)."""
    values = dict(person.evaluate(FORM_ENTRIES))
    values.pop("csrfmiddlewaretoken")
    values.pop("items-INITIAL_FORMS")
    return values


def labelled(person, label: str):
    """The field whose whole label is `label` (with the asterisk of a required one), not any whose label holds it."""
    return person.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$"))


def language_cookie(person) -> str | None:
    return next((cookie["value"] for cookie in person.context.cookies() if cookie["name"] == "language"), None)


@dataclass
class Submitter:
    email: str
    name: str
    organisation: str
    description: str
    listing: str


def file_and_confirm_a_notice(person, site: str, words: InLanguage, screenshot: Screenshots, mailoutbox,
                              submitter: Submitter) -> Notice:
    """A rights holder whose browser asks for `words`' language, from the home page through the notice form
    (switched to English with its own buttons and back, nothing typed lost) to the confirmation from the
    e-mail and the tracking page: every page and the submitter's three e-mails in that language. Returns
    the notice, confirmed and routed."""
    from playwright.sync_api import expect  # noqa: PLC0415 - playwright is optional here: `page` skips (fails under CI) without it

    locale = person.evaluate("() => navigator.language")
    response = person.goto(f"{site}/")
    # The browser's language alone chooses the page's: no choice made on the site yet.
    assert response.request.header_value("accept-language").startswith(locale)
    assert language_cookie(person) is None
    expect(person.locator("html")).to_have_attribute("lang", words.code)
    expect(person.locator("h1")).to_have_text(words("Report a listing that infringes your rights"))
    expect(person.get_by_role("link", name=words("Marketplace catalogue"), exact=True)).to_be_visible()
    screenshot("home")
    person.locator("main").get_by_role("link", name=words("File a notice"), exact=True).click()

    # The form, its labels and the sworn statements in the language, each with its binding English original.
    expect(person).to_have_url(f"{site}/notices/new/")
    expect(person.locator("h1")).to_have_text(words("File a notice of infringement"))
    expect(person).to_have_title(words("File a notice · Takedown Portal"))
    expect(person.locator("#id_language")).to_have_value(words.code)  # our messages: the page's language
    expect(person.locator("#good-faith-original [lang=en]")).to_have_text(legal.GOOD_FAITH_TEXT)
    expect(person.locator("#accuracy-original [lang=en]")).to_have_text(legal.ACCURACY_TEXT)
    expect(person.locator("#form-language-label")).to_have_text(words(
        "This form in another language (what you have typed is kept; attach files after switching):"))
    screenshot("form")
    labelled(person, words("Your full name")).fill(submitter.name)
    person.fill("#id_submitter_organisation", submitter.organisation)
    labelled(person, words("E-mail address")).fill(submitter.email)
    person.select_option("#id_submitter_country", "DE")
    labelled(person, words("I am the rights owner (or its employee)")).check()
    person.select_option("#id_right_type", "trademark")
    person.fill("#id_right_registration_number", "018234567")
    person.fill("#id_right_office", "EUIPO")
    labelled(person, words("Rights owner")).fill(submitter.organisation)
    person.fill("#id_items-0-reported", submitter.listing)
    person.select_option("#id_items-0-reason", "counterfeit")
    person.fill("#id_description", submitter.description)
    labelled(person, words(legal.GOOD_FAITH_TEXT)).check()
    labelled(person, words(legal.ACCURACY_TEXT)).check()
    labelled(person, words("Electronic signature")).fill(submitter.name)
    typed = the_form_as_sent(person)
    assert typed["language"] == words.code

    # The form's own language buttons: English, then back; what was typed stays, our messages follow the page.
    english = person.locator('#form-language button[value="en"]')
    expect(english).to_have_text("English")  # each language named in itself, not translated ("Englisch")
    english.click()
    expect(person.locator("html")).to_have_attribute("lang", "en")
    expect(person.locator("h1")).to_have_text("File a notice of infringement")
    assert the_form_as_sent(person) == {**typed, "language": "en"}
    assert language_cookie(person) == "en"
    screenshot("form-in-english")
    person.locator(f'#form-language button[value="{words.code}"]').click()
    expect(person.locator("html")).to_have_attribute("lang", words.code)
    expect(person.locator("h1")).to_have_text(words("File a notice of infringement"))
    assert the_form_as_sent(person) == typed
    assert language_cookie(person) == words.code
    expect(person.locator("#submit-notice")).to_have_text(words("Send notice"))
    screenshot("form-filled")
    person.locator("#submit-notice").click()

    expect(person).to_have_url(f"{site}/notices/filed/{typed['submission_key']}/")
    expect(person.locator("h1")).to_have_text(words("Check your e-mail"))
    expect(person).to_have_title(words("Check your e-mail · Takedown Portal"))
    screenshot("filed")
    notice = Notice.objects.get(submitter_email=submitter.email)
    assert (notice.language, notice.submitter_name, notice.status) == (words.code, submitter.name, "unconfirmed")

    # The confirmation e-mail, in the language chosen on the form, and its link.
    [confirmation] = [mail for mail in mailoutbox if mail.to == [submitter.email]]
    assert confirmation.subject == words("Confirm your notice about %(n)s listing",
                                         "Confirm your notice about %(n)s listings", 1, n=1)
    assert confirmation.extra_headers["Content-Language"] == words.code
    assert f'<html lang="{words.code}">' in confirmation.alternatives[0][0]
    for text in (words("Hello %(name)s,", name=submitter.name),
                 words("If you did not file this notice, ignore this e-mail."), words.date(notice.expires_at),
                 words.month(notice.expires_at)):
        assert text in confirmation.body, f"{text!r} is not in the confirmation e-mail:\n{confirmation.body}"
    [confirm_url] = re.findall(r"https?://\S+/confirm/\S+", confirmation.body)
    person.goto(site + urlsplit(confirm_url).path)
    expect(person.locator("h1")).to_have_text(words("Confirm your notice"))
    expect(person).to_have_title(words("Confirm your notice · Takedown Portal"))
    screenshot("confirm")
    person.get_by_role("button", name=words("Confirm and send for review"), exact=True).click()

    # The tracking page (routed eagerly, before the redirect was answered).
    expect(person).to_have_url(f"{site}{notice.tracking_path()}")
    notice.refresh_from_db()
    expect(person.locator("html")).to_have_attribute("lang", words.code)
    expect(person.get_by_role("alert")).to_have_text(words(
        "Thank you: notice %(reference)s is confirmed and queued for review.", reference=notice.reference))
    expect(person.locator("h1")).to_have_text(words("Notice %(reference)s", reference=notice.reference))
    expect(person.locator("#notice-status")).to_have_text(words("With a reviewer"))
    expect(person.locator("main dl").first).to_contain_text(words("Filed"))
    expect(person.locator("main dl").first).to_contain_text(words.date(notice.created_at))
    expect(person.locator("main dl").first).to_contain_text(words.month(notice.created_at))
    for heading in ("Reported listings", "Timeline", "E-mails we sent you"):
        expect(person.get_by_role("heading", name=words(heading), exact=True)).to_be_visible()
    screenshot("tracking")

    # The submitter's three e-mails, each in the language: subject, text and HTML.
    reference = notice.reference
    mails = [mail for mail in mailoutbox if mail.to == [submitter.email]]
    assert [mail.subject for mail in mails] == [
        confirmation.subject, words("Notice %(reference)s received", reference=reference),
        words("Notice %(reference)s is with a reviewer", reference=reference)]
    assert [mail.extra_headers["Content-Language"] for mail in mails] == [words.code] * 3
    assert all(f'<html lang="{words.code}">' in mail.alternatives[0][0] for mail in mails)
    _, received, routed = mails
    for mail, texts in ((received, [words("Hello %(name)s,", name=submitter.name),
                                    words("thank you for confirming. We have received your notice."),
                                    words("Received: %(received)s %(zone)s", received=words.date(notice.confirmed_at),
                                          zone=words.zone(notice.confirmed_at))]),
                        (routed, [words("Listings:"), words(
                            "your notice %(reference)s is now with a reviewer (%(routed)s %(zone)s).",
                            reference=reference, routed=words.date(notice.routed_at),
                            zone=words.zone(notice.routed_at))])):
        for text in texts:
            assert text in mail.body, f"{text!r} is not in the e-mail {mail.subject!r}:\n{mail.body}"
    return notice


def all_translated(words: InLanguage) -> str:
    return (f"{len(words.untranslated)} text(s) the {words.code} catalogue leaves in English:\n  "
            + "\n  ".join(repr(message) for message in words.untranslated))


def test_a_rights_holder_with_a_german_browser_files_a_notice_in_german_and_is_written_to_in_german(
        live_server, transactional_db, catalogue, reviewers, mailoutbox, page, browser_in, page_checks,
        browser_problems):
    """Issue 13: the browser's Accept-Language (de-DE) gives German pages from the first one; the form's
    language buttons keep what was typed; the e-mails follow the language chosen on the form. Screenshots
    german-*.png (and -phone.png), every page checked with axe and at 390 px."""
    german = InLanguage("de")
    submitter = browser_in("de-DE", "submitter")
    screenshot = Screenshots(submitter, "german", page_checks, browser_problems)
    notice = file_and_confirm_a_notice(submitter, live_server.url, german, screenshot, mailoutbox, Submitter(
        email="anna@aerostride.example", name="Anna Bäcker", organisation="Aerostride GmbH", listing="L-100001",
        description="Diese Turnschuhe tragen unsere Marke, stammen aber nicht von uns; ein Testkauf hat es belegt."))
    assert (notice.status, notice.assigned_to) == (NoticeStatus.IN_REVIEW, reviewers["tm"])
    assert not german.untranslated, all_translated(german)


def test_a_notice_in_chinese_is_decided_in_english_and_the_chinese_seller_reads_the_statement_in_chinese(
        live_server, transactional_db, catalogue, bright, reviewers, mailoutbox, page, browser_in, page_checks,
        browser_problems):
    """Issue 13: a zh-CN browser gets zh-hans pages and e-mails; the reviewer's pages stay English even with
    the Chinese language cookie; the statement of reasons reaches the zh-hans seller in Chinese, by e-mail
    and on its page, where the counter-notice's sworn statements keep their binding English originals.
    Screenshots chinese-*.png (and -phone.png), every page checked with axe and at 390 px."""
    from playwright.sync_api import expect  # noqa: PLC0415 - playwright is optional here: `page` skips (fails under CI) without it

    site, chinese = live_server.url, InLanguage("zh-hans")
    Seller.objects.filter(pk=bright.pk).update(language="zh-hans")  # Bright Store sells L-100004
    submitter = browser_in("zh-CN", "submitter")
    screenshot = Screenshots(submitter, "chinese", page_checks, browser_problems)
    notice = file_and_confirm_a_notice(submitter, site, chinese, screenshot, mailoutbox, Submitter(
        email="wang.li@yunsuo.example", name="王丽", organisation="杭州云梭服饰有限公司", listing="L-100004",
        description="这款充电器使用了我们的注册商标，但并非我们生产的产品。我们的试购已经证明它是假冒商品，可提供订单和照片。"))
    assert (notice.status, notice.assigned_to) == (NoticeStatus.IN_REVIEW, reviewers["tm"])
    mailoutbox.clear()

    # The reviewer's browser is Chinese too, with the Chinese cookie from the switcher: the staff area is English.
    reviewer = browser_in("zh-CN", "reviewer")
    reviewer.goto(f"{site}/")
    expect(reviewer.locator("html")).to_have_attribute("lang", "zh-hans")
    reviewer.select_option("#language-choice", "zh-hans")
    reviewer.locator("#language-switcher").get_by_role("button", name=chinese("Switch")).click()
    expect(reviewer.locator("html")).to_have_attribute("lang", "zh-hans")
    assert language_cookie(reviewer) == "zh-hans"
    reviewer.goto(f"{site}/review/")
    expect(reviewer.locator("html")).to_have_attribute("lang", "en")
    expect(reviewer.locator("h1")).to_have_text("Reviewer login")
    expect(reviewer.locator("#language-switcher")).to_have_count(0)
    reviewer.get_by_label("Username").fill("tm")
    reviewer.get_by_label("Password").fill("pw")
    screenshot("reviewer-login", reviewer)
    reviewer.get_by_role("button", name="Log in").click()
    expect(reviewer.locator("h1")).to_have_text("Review queue")
    expect(reviewer.locator("html")).to_have_attribute("lang", "en")
    screenshot("reviewer-queue", reviewer)
    reviewer.locator(f'#queue tbody tr[data-reference="{notice.reference}"]').get_by_role(
        "link", name=notice.reference).click()
    expect(reviewer.locator("h1")).to_have_text(f"Notice {notice.reference}")
    expect(reviewer.locator("html")).to_have_attribute("lang", "en")
    expect(reviewer.locator("#notice-status")).to_have_text("With a reviewer")
    screenshot("reviewer-notice", reviewer)
    reviewer.locator("#decide-form").get_by_label("Decision for listing 1", exact=True).select_option(
        label="Remove the listing")
    reviewer.locator("#record-decisions").click()
    expect(reviewer.get_by_role("alert")).to_have_text("1 decision recorded.")
    expect(reviewer.locator("#listing-1")).to_have_attribute("data-state", "removed")
    expect(reviewer.locator("#listing-1")).to_contain_text("down at the marketplace")
    expect(reviewer.locator("html")).to_have_attribute("lang", "en")
    assert language_cookie(reviewer) == "zh-hans"
    screenshot("reviewer-decided", reviewer)

    # The submitter hears of the decision in Chinese; the seller gets the statement of reasons in Chinese.
    decision = Decision.objects.get(item__notice=notice)
    assert (decision.outcome, Listing.objects.get(external_id="L-100004").status) == ("remove", "removed")
    [decided] = [mail for mail in mailoutbox if mail.to == [notice.submitter_email]]
    assert decided.subject == chinese("Notice %(reference)s: decision on %(n)s listing",
                                      "Notice %(reference)s: decision on %(n)s listings", 1,
                                      reference=notice.reference, n=1)
    assert decided.extra_headers["Content-Language"] == "zh-hans"
    to_seller = [mail for mail in mailoutbox if mail.to == [bright.email]]
    assert to_seller and {mail.extra_headers["Content-Language"] for mail in to_seller} == {"zh-hans"}
    [statement] = [mail for mail in to_seller if mail.subject == chinese(
        "Your listing %(listing_id)s was removed: statement of reasons", listing_id="L-100004")]
    assert '<html lang="zh-hans">' in statement.alternatives[0][0]
    for text in (chinese("Hello %(name)s,", name=bright.name), chinese("1. The measure"), chinese(
            "Removal of the listing from the marketplace (%(decided)s %(zone)s).",
            decided=chinese.date(decision.decided_at), zone=chinese.zone(decision.decided_at)),
            chinese.month(decision.decided_at), chinese("6. Your options"),
            chinese("Your private page for this decision (keep it private):")):
        assert text in statement.body, f"{text!r} is not in the statement of reasons:\n{statement.body}"

    # The seller opens the statement's link in a Chinese browser.
    seller_url = f"{settings.SITE_URL}{decision.seller_path()}"
    assert seller_url in statement.body.split()
    seller = browser_in("zh-CN", "seller")
    seller.goto(site + urlsplit(seller_url).path)
    expect(seller.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(seller.locator("h1")).to_have_text(chinese("Statement of reasons"))
    expect(seller).to_have_title(f"{chinese('Statement of reasons')} · L-100004")
    expect(seller.locator("#statement-heading")).to_have_text(chinese("The decision and our reasons"))
    expect(seller.locator("main")).to_contain_text(chinese(
        "The listing came down at the marketplace on %(removed_at)s.",
        removed_at=chinese.date(decision.listing_removed_at)))
    expect(seller.locator("#counter-notice h2")).to_have_text(chinese("Counter-notice (DMCA 512(g))"))
    expect(seller.locator("#statements-binding")).to_have_text(chinese(
        "The two statements below are made under United States law: their English original is binding, and it is "
        "what we record and send to the rights holder. Our translation is there to help you understand them."))
    # Each sworn statement in Chinese, with the English original that binds below it.
    for original in (legal.STATEMENT_MISTAKE, legal.STATEMENT_JURISDICTION):
        expect(labelled(seller, chinese(original))).not_to_be_checked()
    expect(seller.locator("#counter-notice-form [lang=en]")).to_have_text(
        [legal.STATEMENT_MISTAKE, legal.STATEMENT_JURISDICTION])
    expect(seller.locator("#counter-notice-form")).to_contain_text(chinese("English original (binding):"))
    expect(seller.locator("#file-counter-notice")).to_have_text(chinese("File the counter-notice"))
    screenshot("seller-statement", seller)
    assert not chinese.untranslated, all_translated(chinese)


# --- Issue 14: proactive protection, as its people see it. ---

PRODUCTS = Path(settings.BASE_DIR) / "static" / "demo-listings" / "products"


def sell(page, site: str, seller: str, title: str, price: str, picture: str) -> None:
    """A demo seller creates a listing on the seller page; the page then shows the screening's outcome."""
    page.goto(f"{site}/sell/{seller}/")
    page.fill("#id_title", title)
    page.fill("#id_description", "Running shoes, size 42, boxed.")
    page.select_option("#id_category", "shoes")
    page.fill("#id_price", price)
    page.select_option("#id_picture", picture)
    page.locator("#save-listing").click()


def test_a_registered_right_holds_a_disguised_listing_a_reviewer_removes_it_and_its_relisting_is_blocked(
        live_server, transactional_db, catalogue, reviewers, lead, screening_rules, mailoutbox, page, reviewer_page,
        page_checks, browser_problems):
    """Issue 14's "Done when": a rights holder registers a right without an account and confirms it from the
    e-mail; a lead verifies it; a seller's new listing with the brand disguised is held before it goes live, a
    clean one is published; a reviewer removes the held one from the Screening queue; the seller lists it again
    and stay-down blocks it; the holder's private page and the figures show all of it."""
    from playwright.sync_api import expect  # noqa: PLC0415 - playwright is optional here: `page` skips (fails under CI) without it

    site = live_server.url
    shots = Screenshots(page, "protection", page_checks, browser_problems)
    holder = "anna@zephyra.example"

    # The holder registers the word mark with a certificate and a picture of the genuine sneaker.
    page.goto(f"{site}/rights/register/")
    page.select_option("#id_right_type", "trademark")
    page.fill("#id_registration_number", "019876543")
    page.fill("#id_office", "EUIPO")
    page.fill("#id_owner_name", "Zephyra GmbH")
    page.fill("#id_title", "ZEPHYRA")
    page.fill("#id_classes", "25")
    page.fill("#id_terms", "Zephyra")
    page.fill("#id_price_min", "120.00")
    page.fill("#id_price_max", "220.00")
    page.set_input_files("#id_registration_certificate", files=[
        {"name": "certificate.pdf", "mimeType": "application/pdf", "buffer": pdf_file("EUTM 019876543")}])
    page.set_input_files("#id_reference_images", str(PRODUCTS / "sneaker.png"))
    page.fill("#id_registrant_name", "Anna Berger")
    page.fill("#id_registrant_organisation", "Zephyra GmbH")
    page.fill("#id_registrant_email", holder)
    page.get_by_label("I am the rights owner (or its employee)").check()
    page.locator("#submit-registration").click()
    expect(page.locator("h1")).to_be_visible()
    shots("registered")
    right = Right.objects.get(registration_number="019876543")
    assert (right.status, list(right.terms.values_list("normalised", flat=True))) == ("unconfirmed", ["zephyra"])

    confirmation = next(mail for mail in mailoutbox if mail.to == [holder])
    page.goto(re.search(r"https?://\S+/rights/confirm/\S+/", confirmation.body).group(0).replace(
        settings.SITE_URL, site))
    page.locator("#confirm-right").click()
    shots("confirmed")
    right.refresh_from_db()
    assert right.status == "pending"

    # A lead verifies it: it joins the protection list, its picture fingerprinted.
    log_in(reviewer_page, site, "/review/login/", "lead", lead.user.totpdevice_set.get())
    reviewer_page.goto(f"{site}/review/rights/{right.reference}/")
    shots("lead-verifies", reviewer_page)
    reviewer_page.get_by_role("button", name="Verify: add to the protection list").click()
    right.refresh_from_db()
    assert right.status == "verified"
    assert Fingerprint.objects.filter(right=right, source="reference").count() == 1

    # A seller lists the brand disguised ("Zephyr4"): held, not live; a clean listing goes live.
    sell(page, site, "S-1", "Zephyr4 trail runner, brand new", "149.00", "demo-listings/products/lamp.png")
    expect(page.locator("body")).to_contain_text("Held for review")
    shots("seller-held")
    held = Listing.objects.get(title="Zephyr4 trail runner, brand new")
    assert held.status == "held" and held.published_at is None
    sell(page, site, "S-1", "Plain canvas tote bag", "12.00", "demo-listings/products/handbag.png")
    expect(page.locator("body")).to_contain_text("Published")
    assert Listing.objects.get(title="Plain canvas tote bag").status == "active"
    page.goto(f"{site}/listings/{held.external_id}/")
    expect(page.locator("body")).to_contain_text(f"Listing {held.external_id} is not available")

    # A trademark reviewer finds it in the Screening queue, the disguised term marked, and removes it.
    # (A browser of their own: the lead stays logged in beside them, as at another desk.)
    tm_context = page.context.browser.new_context()
    browser_problems.watch(tm_context)
    tm_context.set_default_timeout(ACTION_TIMEOUT_MS)
    tm_context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    tm_page = tm_context.new_page()
    log_in(tm_page, site, "/review/login/", "tm")
    tm_page.goto(f"{site}/review/screening/")
    case = Notice.objects.get(source="screening", items__listing=held)
    row = tm_page.locator(f"#hold-{case.reference}")
    expect(row.locator("mark").first).to_have_text("Zephyr4")
    shots("screening-queue", tm_page)
    row.get_by_role("button", name="Remove").click()
    expect(tm_page.locator(f"#hold-{case.reference}")).to_have_count(0)
    tm_context.close()
    held.refresh_from_db()
    decision = Decision.objects.get(item__notice=case)
    assert (held.status, decision.outcome, decision.automated_detection, decision.automated_decision) == (
        "removed", "remove", True, False)
    assert Fingerprint.objects.filter(listing=held, source="removal").count() == 1

    # The seller lists it again: stay-down blocks it before it goes live.
    sell(page, site, "S-1", "Zephyr4 trail runner, brand new", "149.00", "demo-listings/products/lamp.png")
    expect(page.locator("body")).to_contain_text("Blocked")
    shots("seller-blocked")
    relisted = Listing.objects.filter(title="Zephyr4 trail runner, brand new").exclude(pk=held.pk).get()
    assert relisted.status == "blocked"

    # The holder's private page shows the hold, its removal and the blocked relisting.
    page.goto(f"{site}{right.tracking_path()}")
    body = page.locator("body")
    expect(body).to_contain_text(held.external_id)
    expect(body).to_contain_text("Relisted 1 time since removal: 1 blocked")
    shots("holder-private-page")

    # The figures count a proactive removal and a stay-down block.
    ClockRollupMark.objects.get_or_create(pk=1)  # migration 0010's row, flushed by an earlier test
    reviewer_page.goto(f"{site}/review/dashboard/")
    figures = reviewer_page.locator("#own-initiative")
    expect(figures.locator("[data-figure=proactive] td")).to_have_text("2")
    expect(figures.locator("[data-figure=held] td")).to_have_text("1")
    expect(figures.locator("[data-figure=blocked] td")).to_have_text("1")
    shots("dashboard", reviewer_page)
    page.goto(f"{site}/transparency/{timezone.localtime():%Y-%m}/")
    expect(page.locator("body")).to_contain_text("Listing screening")
    shots("report")
