"""Every input the pages take goes through a form: bad input gets its page again with status 400,
the error beside its field and what was typed kept; nothing changes. (The notice form, the decision
form, the counter-notice and appeal forms and the dashboard period have files of their own.)"""

import pytest

from takedowns import workflow
from takedowns.enums import NoticeStatus
from takedowns.models import CounterNotice, Event, Notice
from takedowns.workflow import counter_notices
from tests.factories import COUNTER_NOTICE_FIELDS, log_in, routed, taken_down

pytestmark = pytest.mark.django_db


@pytest.fixture
def notice(now, catalogue, reviewers):
    return routed(now)


def test_escalating_without_a_note_shows_the_error_beside_the_note(client, notice, reviewers):
    client.force_login(reviewers["tm"].user)
    response = client.post(f"/review/notices/{notice.reference}/escalate/", {"note": "   "})
    html = response.content.decode()
    assert response.status_code == 400
    assert '<div class="invalid-feedback d-block" id="id_note-error">Say why the notice needs a lead.</div>' in html
    assert 'aria-describedby="id_note-error"' in html
    notice.refresh_from_db()
    assert notice.escalated_at is None and not notice.events.filter(kind="escalated").exists()


def test_reassigning_to_an_unknown_or_inactive_reviewer_is_refused_beside_the_choice(client, notice, reviewers, lead):
    log_in(client, lead)
    reviewers["cr"].is_active = False
    reviewers["cr"].save()
    for chosen in ("999999", str(reviewers["cr"].pk), "x"):
        response = client.post(f"/review/notices/{notice.reference}/reassign/", {"reviewer": chosen})
        assert response.status_code == 400
        assert 'id="reassign-error">Choose an active reviewer to hand the notice to.</div>' in response.content.decode()
    response = client.post(f"/review/notices/{notice.reference}/reassign/", {})
    assert 'id="reassign-error">Choose the reviewer to hand the notice to.</div>' in response.content.decode()
    notice.refresh_from_db()
    assert notice.assigned_to == reviewers["tm"] and not notice.events.filter(kind="reassigned").exists()


def test_withdrawing_without_the_tick_says_so_beside_it(client, notice):
    response = client.post(f"{notice.tracking_path()}withdraw/", {})
    html = response.content.decode()
    assert response.status_code == 400
    assert ('<div class="invalid-feedback" id="withdraw-confirm-error">Tick “Yes, withdraw this notice” to withdraw it.'
            in html.replace("&ldquo;", "“").replace("&rdquo;", "”"))
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.IN_REVIEW


def test_an_answer_without_words_keeps_the_page_and_says_why(client, notice):
    item = notice.items.get()
    workflow.request_information(notice, notice.assigned_to, [item.pk], "Which model?", notice.routed_at)
    response = client.post(f"{notice.tracking_path()}answer/", {"answer": "  "})
    assert response.status_code == 400
    assert "Write your answer before sending it." in response.content.decode()
    assert notice.info_requests.get().answered_at is None


@pytest.mark.parametrize("query, field, message", [
    ({"status": "bogus"}, "status", "Select a valid choice. bogus is not one of the available choices."),
    ({"right_type": "trademarks"}, "right_type", "Select a valid choice. trademarks is not one of the available"),
    ({"scope": "everyone"}, "scope", "Select a valid choice. everyone is not one of the available choices."),
])
def test_an_unknown_queue_filter_is_reported_and_left_off(client, notice, reviewers, query, field, message):
    client.force_login(reviewers["tm"].user)
    response = client.get("/review/", query)
    html = response.content.decode()
    assert response.status_code == 400
    assert f'data-error="{field}">{message}' in html and "That filter is off." in html
    assert [row.reference for row in response.context["page"].rows] == [notice.reference]


def test_an_unknown_counter_notice_status_is_reported_and_the_default_list_shown(client, reviewers):
    client.force_login(reviewers["tm"].user)
    response = client.get("/review/counter-notices/", {"status": "pending"})
    assert response.status_code == 400
    assert response.context["status"] == "filed"
    assert 'data-error="status">Select a valid choice. pending is not one of the available choices.' in \
        response.content.decode()


def test_a_catalogue_search_too_long_is_refused_with_the_limit(client, catalogue):
    response = client.get("/listings/", {"q": "x" * 201})
    assert response.status_code == 400
    assert 'data-error="q">Ensure this value has at most 200 characters (it has 201).</div>' in \
        response.content.decode()


def test_returning_a_counter_notice_without_a_reason_keeps_the_page(client, now, catalogue, reviewers):
    removal = taken_down(now, "L-100003")
    counter_notice = counter_notices.file_counter_notice(removal, COUNTER_NOTICE_FIELDS, now)
    client.force_login(reviewers["cr"].user)
    response = client.post(f"/review/counter-notices/{counter_notice.pk}/incomplete/", {"reason": " "})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="reason-error">Say what is missing, so that the seller can correct it.</div>' in html
    assert CounterNotice.objects.get().status == "filed"
    assert not Event.objects.filter(kind="counter_notice_incomplete").exists()
    assert Notice.objects.get(pk=removal.item.notice_id).status == NoticeStatus.CLOSED
