"""The tracking page follows a running step by itself (issue 13, item 12): state.json says the page's
version and whether a step runs; the page carries both, the texts and the script."""

from pathlib import Path

import pytest
from django.urls import reverse

from takedowns import workflow
from takedowns.enums import EmailStatus, ListingStatus, NoticeStatus
from takedowns.models import Listing, OutboundEmail
from tests.factories import confirmed, file_notice, routed

pytestmark = pytest.mark.django_db


@pytest.fixture
def notice(now, catalogue, reviewers):
    return file_notice(now, items=[("L-100001", "counterfeit")])


def state_of(client, notice, token=None):
    url = reverse("takedowns:track_state", args=[notice.reference, token or notice.tracking_token])
    return client.get(url)


def test_a_notice_waiting_for_routing_is_running_and_routing_changes_the_version(client, catalogue, reviewers, now):
    notice = confirmed(now, items=[("L-100001", "counterfeit")])
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.CONFIRMED
    OutboundEmail.objects.filter(notice=notice).update(status=EmailStatus.SENT)
    response = state_of(client, notice)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    before = response.json()
    assert before["running"] is True and before["version"].startswith("confirmed.")

    workflow.route_notice(notice.pk, now)
    OutboundEmail.objects.filter(notice=notice).update(status=EmailStatus.SENT)
    after = state_of(client, notice).json()
    assert after["version"] != before["version"] and after["version"].startswith("in_review.")
    assert after["running"] is False


def test_an_e_mail_being_sent_or_a_removal_not_yet_carried_out_is_running(client, catalogue, reviewers, now):
    notice = routed(now, items=[("L-100001", "counterfeit")])
    OutboundEmail.objects.filter(notice=notice).update(status=EmailStatus.SENT)
    assert state_of(client, notice).json()["running"] is False
    OutboundEmail.objects.filter(notice=notice).update(status=EmailStatus.QUEUED)
    assert state_of(client, notice).json()["running"] is True
    OutboundEmail.objects.filter(notice=notice).update(status=EmailStatus.SENT)
    item = notice.items.get()
    item.state = "removed"
    item.save(update_fields=["state"])
    assert Listing.objects.get(pk=item.listing_id).status == ListingStatus.ACTIVE
    assert state_of(client, notice).json()["running"] is True
    Listing.objects.filter(pk=item.listing_id).update(status=ListingStatus.REMOVED)
    assert state_of(client, notice).json()["running"] is False


def test_the_state_needs_the_tracking_token_and_a_get(client, notice):
    assert state_of(client, notice, token="x" * 40).status_code == 404
    url = reverse("takedowns:track_state", args=[notice.reference, notice.tracking_token])
    assert client.post(url).status_code == 405


def test_the_page_carries_its_version_the_script_and_the_texts(client, notice):
    page = client.get(notice.tracking_path()).content.decode()
    state = state_of(client, notice).json()
    assert f'data-version="{state["version"]}"' in page
    assert f'data-running="{"true" if state["running"] else "false"}"' in page
    state_url = reverse("takedowns:track_state", args=[notice.reference, notice.tracking_token])
    assert f'data-state-url="{state_url}"' in page
    assert 'src="/static/js/tracking-refresh.js"' in page
    assert 'id="tracking-status" class="visually-hidden" role="status" aria-live="polite"' in page
    assert "data-text-news=\"This notice has news. Show it when you are ready" in page


def test_the_script_takes_its_texts_from_the_page(settings):
    script = (Path(settings.BASE_DIR) / "static" / "js" / "tracking-refresh.js").read_text()
    assert "page.dataset.textNews" in script and "page.dataset.textUpdated" in script
