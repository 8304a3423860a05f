"""Issue 15, point 1, in a real browser: an organisation registers, confirms from the e-mail sent to its domain,
a lead verifies it, and on its private page it creates an API key (shown once, copied with the button) and adds a
webhook endpoint. Every page is checked with axe-core and at 390 px (tests/a11y.py, through the browser test's
Screenshots), under the Content-Security-Policy (the copy button is a static script)."""

import re

from django.conf import settings

from takedowns import api_keys
from takedowns.models import ApiKey, Organisation, WebhookEndpoint
from tests.integration.test_browser import (  # noqa: F401  # the browser test's fixtures, used by name
    ARTIFACTS,
    DESKTOP,
    PHONE,
    Screenshots,
    browser_problems,
    log_in,
    page,
    page_checks,
    reviewer_page,
)


def answer_checked(browser_page, checks, stem: str) -> None:
    """A page that answered a POST (a key shown once cannot be loaded again by its address, as Screenshots'
    phone step does): checked as it is, then at 390 px in the same browser."""
    for size, suffix in ((DESKTOP, ""), (PHONE, "-phone")):
        browser_page.set_viewport_size(size)
        browser_page.screenshot(path=str(ARTIFACTS / f"organisation-{stem}{suffix}.png"), full_page=True)
        checks.check(browser_page, f"organisation-{stem}{suffix}")
    browser_page.set_viewport_size(DESKTOP)


def test_an_organisation_registers_is_verified_and_makes_a_key_shown_once(
        live_server, transactional_db, lead, mailoutbox, page, reviewer_page, page_checks,  # noqa: F811
        browser_problems):  # noqa: F811  # the imported fixtures, by name
    from playwright.sync_api import expect  # noqa: PLC0415 - playwright is optional here: `page` skips (fails under CI) without it

    site = live_server.url
    shots = Screenshots(page, "organisation", page_checks, browser_problems)
    page.goto(f"{site}/organisations/register/")
    page.fill("#id_name", "BrandGuard Services")
    page.fill("#id_domain", "brandguard.example")
    page.select_option("#id_country", "DE")
    page.get_by_label("I am an agent authorised by the rights owner").check()
    page.fill("#id_contact_name", "Jonas Weber")
    page.fill("#id_contact_email", "jonas@gmail.com")
    page.locator("#submit-organisation").click()
    expect(page.locator("#form-errors")).to_contain_text("jonas@gmail.com is not at brandguard.example")
    shots("register-error")
    expect(page.locator("#id_contact_name")).to_have_value("Jonas Weber")  # nothing typed is lost
    page.fill("#id_contact_email", "jonas@brandguard.example")
    page.locator("#submit-organisation").click()
    expect(page.locator("h1")).to_contain_text("Check your e-mail")
    shots("registered")
    organisation = Organisation.objects.get()

    confirmation = next(mail for mail in mailoutbox if mail.to == ["jonas@brandguard.example"])
    page.goto(re.search(r"https?://\S+/organisations/\S+/confirm/\S+/", confirmation.body).group(0).replace(
        settings.SITE_URL, site))
    shots("confirm")
    page.locator("#confirm-organisation").click()
    expect(page.locator("#organisation-status")).to_be_visible()
    organisation.refresh_from_db()
    assert organisation.status == "pending"

    log_in(reviewer_page, site, "/review/login/", "lead", lead.user.totpdevice_set.get())
    reviewer_page.goto(f"{site}/review/organisations/")
    shots("lead-list", reviewer_page)
    reviewer_page.goto(f"{site}/review/organisations/{organisation.reference}/")
    shots("lead-verifies", reviewer_page)
    reviewer_page.get_by_role("button", name="Verify the organisation").click()
    organisation.refresh_from_db()
    assert organisation.status == "verified"

    page.goto(f"{site}{organisation.tracking_path()}")
    page.fill("#id_name", "production")
    page.locator("#create-key").click()
    expect(page.locator("#shown-once")).to_be_visible()
    key = page.locator("#shown-value").input_value()
    assert api_keys.find(key, organisation.created_at) == ApiKey.objects.get()
    page.get_by_role("button", name="Copy").click()
    expect(page.locator("#shown-copied")).to_have_text(re.compile(r"Copied\.|^$"))
    answer_checked(page, page_checks, "key-shown")
    page.fill("#id_url", "https://hooks.brandguard.example/in")
    page.locator("#add-endpoint").click()
    expect(page.locator("#shown-once")).to_contain_text("signing secret")
    assert WebhookEndpoint.objects.get().url == "https://hooks.brandguard.example/in"
    page.goto(f"{site}{organisation.tracking_path()}")
    expect(page.locator("#key-list")).to_contain_text(key[:12])
    assert key not in page.content()
    shots("private-page")
