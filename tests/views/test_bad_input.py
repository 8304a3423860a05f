"""Every input the pages take goes through a form: bad input gets its page again with status 400,
the error beside its field and what was typed kept; nothing changes. (The notice form, the decision
form, the counter-notice and appeal forms and the dashboard period have files of their own.)"""

import pytest

from takedowns import workflow
from takedowns.enums import NoticeStatus
from takedowns.models import CounterNotice, Event, Notice
from takedowns.workflow import counter_notices
from tests.conftest import file_notice, make_lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def routed(now, catalogue, reviewers):
    notice = file_notice(now, items=[("L-100001", "counterfeit")])
    workflow.confirm_notice(notice, now)
    workflow.route_notice(notice.pk, now)
    notice.refresh_from_db()
    return notice


def test_escalating_without_a_note_shows_the_error_beside_the_note(client, routed, reviewers):
    client.force_login(reviewers["tm"].user)
    response = client.post(f"/review/notices/{routed.reference}/escalate/", {"note": "   "})
    html = response.content.decode()
    assert response.status_code == 400
    assert '<div class="invalid-feedback d-block" id="id_note-error">Say why the notice needs a lead.</div>' in html
    assert 'aria-describedby="id_note-error"' in html
    routed.refresh_from_db()
    assert routed.escalated_at is None and not routed.events.filter(kind="escalated").exists()


def test_reassigning_to_an_unknown_or_inactive_reviewer_is_refused_beside_the_choice(client, routed, reviewers):
    client.force_login(make_lead("boss", ["trademark"]).user)
    reviewers["cr"].is_active = False
    reviewers["cr"].save()
    for chosen in ("999999", str(reviewers["cr"].pk), "x"):
        response = client.post(f"/review/notices/{routed.reference}/reassign/", {"reviewer": chosen})
        assert response.status_code == 400
        assert 'id="reassign-error">Choose an active reviewer to hand the notice to.</div>' in response.content.decode()
    response = client.post(f"/review/notices/{routed.reference}/reassign/", {})
    assert 'id="reassign-error">Choose the reviewer to hand the notice to.</div>' in response.content.decode()
    routed.refresh_from_db()
    assert routed.assigned_to == reviewers["tm"] and not routed.events.filter(kind="reassigned").exists()


def test_withdrawing_without_the_tick_says_so_beside_it(client, routed):
    response = client.post(f"{routed.tracking_path()}withdraw/", {})
    html = response.content.decode()
    assert response.status_code == 400
    assert ('<div class="invalid-feedback" id="withdraw-confirm-error">Tick “Yes, withdraw this notice” to withdraw it.'
            in html.replace("&ldquo;", "“").replace("&rdquo;", "”"))
    routed.refresh_from_db()
    assert routed.status == NoticeStatus.IN_REVIEW


def test_an_answer_without_words_keeps_the_page_and_says_why(client, routed):
    item = routed.items.get()
    workflow.request_information(routed, routed.assigned_to, [item.pk], "Which model?", routed.routed_at)
    response = client.post(f"{routed.tracking_path()}answer/", {"answer": "  "})
    assert response.status_code == 400
    assert "Write your answer before sending it." in response.content.decode()
    assert routed.info_requests.get().answered_at is None


@pytest.mark.parametrize("query, field, message", [
    ({"status": "bogus"}, "status", "Select a valid choice. bogus is not one of the available choices."),
    ({"right_type": "trademarks"}, "right_type", "Select a valid choice. trademarks is not one of the available"),
    ({"scope": "everyone"}, "scope", "Select a valid choice. everyone is not one of the available choices."),
])
def test_an_unknown_queue_filter_is_reported_and_left_off(client, routed, reviewers, query, field, message):
    client.force_login(reviewers["tm"].user)
    response = client.get("/review/", query)
    html = response.content.decode()
    assert response.status_code == 400
    assert f'data-error="{field}">{message}' in html and "That filter is off." in html
    assert [row.reference for row in response.context["page"].rows] == [routed.reference]


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
    notice = file_notice(now, items=[("L-100003", "counterfeit")])
    workflow.confirm_notice(notice, now)
    workflow.route_notice(notice.pk, now)
    notice.refresh_from_db()
    [removal] = workflow.decide_items(notice, notice.assigned_to,
                                      [workflow.ItemDecision(notice.items.get().pk, "remove")], now)
    workflow.record_takedown(removal.pk)
    counter_notice = counter_notices.file_counter_notice(removal, {
        "material": "L-100003", "explanation": "Genuine goods.", "full_name": "Li Wei", "address": "Shenzhen",
        "phone": "+86 1", "email": "li@bright.example", "signature": "Li Wei", "statement_mistake": True,
        "consent_jurisdiction": True}, now)
    client.force_login(reviewers["cr"].user)
    response = client.post(f"/review/counter-notices/{counter_notice.pk}/incomplete/", {"reason": " "})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="reason-error">Say what is missing, so that the seller can correct it.</div>' in html
    assert CounterNotice.objects.get().status == "filed"
    assert not Event.objects.filter(kind="counter_notice_incomplete").exists()
    assert Notice.objects.get(pk=notice.pk).status == NoticeStatus.CLOSED
