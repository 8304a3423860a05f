"""Confirmation link, tracking page and withdrawal: token access and state changes by POST only."""

import re

import pytest
from django.conf import settings
from django.core import mail
from django.utils import translation
from django.utils.html import escape

from takedowns import legal, workflow
from takedowns.enums import EventKind, NoticeStatus
from tests.factories import file_notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def notice(now, catalogue, reviewers):
    return file_notice(now, items=[("L-100001", "counterfeit"), ("https://portal.test/listings/L-999999/",
                                                                 "counterfeit")])


def test_the_confirmation_link_asks_for_a_click_and_a_get_changes_nothing(client, notice):
    response = client.get(notice.confirmation_path())
    assert response.status_code == 200
    assert 'id="confirm-notice"' in response.content.decode()
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.UNCONFIRMED


def test_confirming_routes_the_notice_and_opens_the_tracking_page(client, notice,
                                                                  django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(notice.confirmation_path())
    assert response["Location"] == notice.tracking_path()
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.IN_REVIEW

    page = client.get(response["Location"]).content.decode()
    assert f"Notice {notice.reference}" in page
    assert "is confirmed and queued for review" in page
    assert 'data-state="not_found"' in page and "Listing not found at the marketplace" in page
    assert "Rule applied: reviewer with the skill for this right (Trademark), lowest open load (0)." in page
    # Every e-mail sent is shown: confirmation request, receipt, routed.
    for subject in ("Confirm your notice about 2 listings", f"Notice {notice.reference} received",
                    f"Notice {notice.reference} is with a reviewer"):
        assert subject in page


def test_a_confirmed_link_opened_again_goes_to_the_tracking_page(client, notice, now):
    workflow.confirm_notice(notice, now)
    assert client.get(notice.confirmation_path())["Location"] == notice.tracking_path()


def test_confirming_an_expired_notice_explains_and_changes_nothing_else(client, notice, now):
    notice.expires_at = now
    notice.save(update_fields=["expires_at"])
    response = client.post(notice.confirmation_path())
    assert response.status_code == 409
    assert "expired because it was not confirmed in time" in response.content.decode()
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.EXPIRED


@pytest.mark.parametrize("view", ["confirm", "track"])
def test_a_wrong_or_foreign_token_gets_404(client, notice, now, view):
    other = file_notice(now)
    token_field = "confirmation_token" if view == "confirm" else "tracking_token"
    own = getattr(notice, token_field)
    for reference, token in [(notice.reference, own[:-1] + ("A" if own[-1] != "A" else "B")),
                             (notice.reference, getattr(other, token_field)),
                             (notice.reference, notice.tracking_token if view == "confirm" else
                              notice.confirmation_token),
                             ("TD-0000-0000", own)]:
        assert client.get(f"/{view}/{reference}/{token}/").status_code == 404
        assert client.post(f"/{view}/{reference}/{token}/").status_code in (404, 405)
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.UNCONFIRMED


def test_withdraw_needs_a_post_and_the_tick(client, notice, now, django_capture_on_commit_callbacks):
    workflow.confirm_notice(notice, now)
    url = f"{notice.tracking_path()}withdraw/"
    assert client.get(url).status_code == 405
    client.post(url)
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.CONFIRMED

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"confirm": "yes"}, follow=True)
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.WITHDRAWN
    assert notice.events.filter(kind=EventKind.WITHDRAWN, actor_kind="submitter").count() == 1
    assert [m.subject for m in mail.outbox] == [f"Notice {notice.reference} withdrawn"]
    page = response.content.decode()
    assert "is withdrawn; no listing will be removed" in page
    assert 'name="confirm"' not in page  # nothing left to withdraw


def test_withdrawing_twice_says_why_it_cannot(client, notice, now):
    workflow.confirm_notice(notice, now)
    workflow.withdraw_notice(notice, now)
    response = client.post(f"{notice.tracking_path()}withdraw/", {"confirm": "yes"}, follow=True)
    assert "cannot become" in response.content.decode()
    assert notice.events.filter(kind=EventKind.WITHDRAWN).count() == 1


def test_withdraw_with_a_foreign_token_gets_404(client, notice, now):
    other = file_notice(now)
    workflow.confirm_notice(notice, now)
    response = client.post(f"/track/{notice.reference}/{other.tracking_token}/withdraw/", {"confirm": "yes"})
    assert response.status_code == 404
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.CONFIRMED


# --- Issue 13: phones (390 px) and the binding English of the DMCA counter-notice statements. ---

def test_the_listings_and_deadlines_tables_stack_on_a_phone(client, notice, now):
    workflow.confirm_notice(notice, now=now)
    body = client.get(notice.tracking_path()).content.decode()
    assert '<link rel="stylesheet" href="/static/css/public.css">' in body
    assert "Times on this page are in UTC." in body  # the dates below are in the language's format, without zone
    assert '<table class="table table-sm align-middle table-stack" id="items">' in body
    header = re.search(r'<table[^>]*id="items">\s*<thead><tr>(.*?)</tr></thead>', body, re.S).group(1)
    assert re.findall(r'<th scope="col">(.*?)</th>', header) == ["No.", "Reported", "Listing", "Infringement",
                                                                  "State"]
    rows = re.findall(r'<tr class="[^"]*" data-state="[^"]*">(.*?)</tr>', body, re.S)
    assert len(rows) == 2
    for row in rows:  # each cell names its column, for the stacked layout
        assert re.findall(r'<td[^>]*data-label="([^"]*)"', row) == ["No.", "Reported", "Listing", "Infringement",
                                                                    "State"]
    css = (settings.BASE_DIR / "static" / "css" / "public.css").read_text()
    assert "@media (max-width: 575.98px)" in css and ".table-stack td[data-label]::before" in css


def test_the_counter_notice_statements_show_their_binding_english_in_another_language(client, waiting_counter_notice):
    notice = waiting_counter_notice.decision.item.notice
    block_id = f"counter-notice-{waiting_counter_notice.pk}-original"
    with translation.override("de"):
        body = client.get(notice.tracking_path(), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    block = re.search(rf'<div class="[^"]*english-original" id="{block_id}">(.*?)</div>', body, re.S)
    assert block
    assert '<span class="fw-semibold">Englisches Original (verbindlich):</span>' in block.group(1)
    assert re.findall(r'<span lang="en" class="d-block">(.*?)</span>', block.group(1)) == [
        escape(legal.STATEMENT_MISTAKE), escape(legal.STATEMENT_JURISDICTION)]
    with translation.override("en"):
        body = client.get(notice.tracking_path(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert block_id not in body and "English original" not in body
