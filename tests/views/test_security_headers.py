"""Every response carries an enforced Content-Security-Policy and a Permissions-Policy (issue 10,
item 9): public pages, reviewers' pages, the admin and error pages. Whether the pages really run
under it (Bootstrap's script, the notice form's, the charts, no violation) is checked in a real
browser: tests/integration/test_browser.py."""

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from tests.factories import confirmed, give_authenticator, log_in

pytestmark = pytest.mark.django_db

# Directive by directive: django-csp writes them in no fixed order.
CSP = {"default-src": "'self'", "script-src": "'self'", "style-src": "'self'", "img-src": "'self' data:",
       "object-src": "'none'", "base-uri": "'none'", "form-action": "'self'", "frame-ancestors": "'none'"}
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), bluetooth=(), browsing-topics=(), camera=(), display-capture=(), "
    "encrypted-media=(), geolocation=(), gyroscope=(), hid=(), idle-detection=(), magnetometer=(), microphone=(), "
    "midi=(), payment=(), picture-in-picture=(), screen-wake-lock=(), serial=(), usb=(), xr-spatial-tracking=()")


def directives(header: str | None) -> dict[str, str] | None:
    if header is None:
        return None
    return dict((directive.strip().split(" ", 1) + [""])[:2] for directive in header.split(";"))


def policies(response) -> tuple[dict | None, str | None, str | None]:
    """The enforced CSP's directives, the Permissions-Policy, and a report-only CSP (there is none)."""
    return (directives(response.headers.get("Content-Security-Policy")), response.headers.get("Permissions-Policy"),
            response.headers.get("Content-Security-Policy-Report-Only"))


@pytest.mark.parametrize("path", ["/", "/notices/new/", "/transparency/", "/review/login/"])
def test_public_pages_are_served_under_both_policies(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert policies(response) == (CSP, PERMISSIONS_POLICY, None)


def test_a_reviewers_page_is_served_under_both_policies(client, now, catalogue, reviewers):
    notice = confirmed(now)
    client.force_login(reviewers["tm"].user)
    for path in ("/review/", f"/review/notices/{notice.reference}/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert policies(response) == (CSP, PERMISSIONS_POLICY, None), path


def test_a_not_found_page_is_served_under_both_policies(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert policies(response) == (CSP, PERMISSIONS_POLICY, None)


def test_a_refused_form_and_a_redirect_are_served_under_both_policies(client):
    refused = client.post("/notices/new/", {})
    redirect = client.get("/review/")
    assert (refused.status_code, redirect.status_code) == (400, 302)
    assert policies(refused) == policies(redirect) == (CSP, PERMISSIONS_POLICY, None)


@pytest.mark.parametrize("path", ["/admin/", "/admin/takedowns/event/", "/admin/takedowns/slapolicy/add/"])
def test_the_admin_is_served_under_the_same_policies(client, path):
    """Django's admin needs no allowance: no inline script, and no nonce for the one inline <style>
    it can write (for a change list with both action bars off; none of ours)."""
    boss = get_user_model().objects.create_superuser("boss", "boss@portal.test", "pw")
    give_authenticator(boss)  # the admin is for leads with their second factor given
    log_in(client, boss)
    response = client.get(path)
    assert response.status_code == 200
    assert policies(response) == (CSP, PERMISSIONS_POLICY, None)
    assert inline_code(response.content.decode()) == []


# --- What the policy refuses, kept out of the templates. ---

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
INLINE = {
    "inline script": re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "event handler": re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE),
    "style attribute": re.compile(r"<[a-z][^>]*\sstyle\s*=", re.IGNORECASE),
    "style element": re.compile(r"<style\b", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def inline_code(html: str) -> list[str]:
    return [f"{kind}: {match.group(0)[:80]}" for kind, pattern in INLINE.items() for match in pattern.finditer(html)]


def test_no_page_template_has_inline_script_or_style():
    """Pages only: the e-mails under templates/emails/ are read in mail programs, never served."""
    pages = sorted(path for path in TEMPLATES.rglob("*.html") if "emails" not in path.relative_to(TEMPLATES).parts)
    assert len(pages) > 30
    found = [f"{path.relative_to(TEMPLATES)}: {finding}" for path in pages for finding in inline_code(path.read_text())]
    assert found == []


@pytest.mark.parametrize("html", [
    "<script>alert(1)</script>", '<button type="button" onclick="go()">', '<pre class="x" style="color: red">',
    "<style>p {}</style>", '<a href="javascript:go()">',
])
def test_the_template_check_finds_each_kind_of_inline_code(html):
    assert len(inline_code(html)) == 1
    assert inline_code('<script src="/static/js/notice-form.js"></script><a class="on" data-x="style">') == []
