"""The CSV upload in a browser (issue 15, point 4): the form, the progress bar that static/js/upload-progress.js
moves while the worker checks and files, the bad-row report and the notices filed; every page checked with axe
and at 390 px, under the Content-Security-Policy (the fixtures of test_browser.py)."""

import uuid

import pytest

from takedowns.models import CsvUpload, Notice
from tests.factories import UPLOAD_TRADEMARK, csv_bytes, listing_rows, upload_organisation
from tests.integration.test_browser import Screenshots, browser_problems, page, page_checks  # noqa: F401 — fixtures, used by name

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def choose_file(page, data: bytes) -> None:  # noqa: F811 — the browser page, as the fixture gives it
    page.set_input_files("#id_file", files=[{"name": "listings.csv", "mimeType": "text/csv", "buffer": data}])


def test_an_upload_is_checked_reported_corrected_and_filed_with_a_moving_progress_bar(
        live_server, worker, settings, page, browser_problems, page_checks, now):  # noqa: F811 — the fixtures
    from playwright.sync_api import expect  # noqa: PLC0415 - playwright is optional here: `page` skips (fails under CI) without it

    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(worker.log_path.parent / "evidence")}}}
    domain = f"brandguard-{uuid.uuid4().hex[:8]}.example"
    organisation = upload_organisation(now, domain=domain)
    site, screenshot = live_server.url, Screenshots(page, "csv-upload", page_checks, browser_problems)
    page.goto(f"{site}/organisations/{organisation.reference}/{organisation.tracking_token}/uploads/new/")
    expect(page.locator("h1")).to_have_text("Upload a CSV file of listings")
    screenshot("form")

    page.fill("#id_description", "These listings sell counterfeits of our clients' goods; test buys proved it.")
    page.check("#id_good_faith_statement")
    page.check("#id_accuracy_statement")
    page.fill("#id_signature", "Mia Keller")
    choose_file(page, csv_bytes([["not a listing", "counterfeit", *UPLOAD_TRADEMARK], *listing_rows(600)]))
    page.click("#submit-upload")
    expect(page.locator("#bad-rows-heading")).to_have_text("1 problem to correct: nothing was filed", timeout=60_000)
    expect(page.locator("#error-table")).to_contain_text("“not a listing” is neither a web address")
    screenshot("bad-rows")

    page.click("#upload-corrected")
    expect(page.locator("#id_description")).to_have_value(
        "These listings sell counterfeits of our clients' goods; test buys proved it.")
    choose_file(page, csv_bytes(listing_rows(1200)))
    page.click("#submit-upload")
    expect(page.locator("#summary-heading")).to_have_text("Every row is valid: 1200 listings make 1 notice",
                                                          timeout=60_000)
    screenshot("valid")

    page.click("#file-notices")
    expect(page.locator("#filed-heading")).to_have_text("1 notice filed", timeout=60_000)
    notice = Notice.objects.get(organisation=organisation)
    expect(page.locator("#filed-notices a")).to_have_attribute("href", notice.tracking_path())
    expect(page.locator("#upload-count")).to_have_text("1200 of 1200 listings filed")
    screenshot("filed")
    assert CsvUpload.objects.filter(organisation=organisation).count() == 2
