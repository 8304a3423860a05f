"""Confirmation link, tracking page and withdrawal: token access and state changes by POST only."""

import pytest
from django.core import mail

from takedowns import workflow
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
    assert "Rule applied: trademark skill, lowest open load (0)." in page
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
