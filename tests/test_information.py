"""Requests for information: the question, the answer on the tracking page, the expiry."""

from datetime import timedelta

import pytest
from django.core import mail

from takedowns import workflow
from takedowns.enums import DecisionOutcome, EventKind, ItemState, NoticeStatus
from takedowns.models import InfoRequest, Reviewer
from tests.factories import PDF_BYTES, decision_form, routed, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def notice(now, catalogue, reviewers):
    notice = routed(now, [("L-100001", "counterfeit"), ("L-100002", "counterfeit")])
    mail.outbox.clear()
    return notice


def items_of(notice):
    return {item.position: item for item in notice.items.all()}


def ask(notice, reviewer, now, positions=(1, 2), message="Which test buy shows the fake stitching?"):
    items = items_of(notice)
    return workflow.request_information(notice, reviewer, [items[p].pk for p in positions], message, now)


def test_asking_about_every_open_listing_makes_the_notice_wait_for_the_submitter(
        notice, reviewers, now, settings, django_capture_on_commit_callbacks):
    settings.INFO_REQUEST_DAYS = 5
    with django_capture_on_commit_callbacks(execute=True):
        request = ask(notice, reviewers["tm"], now)
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.AWAITING_SUBMITTER
    assert (request.due_at, request.requested_by, request.answered_at) == (now + timedelta(days=5),
                                                                           reviewers["tm"].user, None)
    assert {p: (i.state, i.info_request_id) for p, i in items_of(notice).items()} == {
        1: (ItemState.INFO_REQUESTED, request.pk), 2: (ItemState.INFO_REQUESTED, request.pk)}
    assert list(notice.events.filter(kind__in=[EventKind.INFO_REQUESTED, EventKind.AWAITING_SUBMITTER])
                .values_list("kind", "from_status", "to_status")) == [
        (EventKind.INFO_REQUESTED, ItemState.IN_REVIEW, ItemState.INFO_REQUESTED),
        (EventKind.INFO_REQUESTED, ItemState.IN_REVIEW, ItemState.INFO_REQUESTED),
        (EventKind.AWAITING_SUBMITTER, NoticeStatus.IN_REVIEW, NoticeStatus.AWAITING_SUBMITTER)]
    message, = mail.outbox
    assert message.to == ["anna@aerostride.example"]
    assert message.subject == f"Notice {notice.reference}: the reviewer has a question"
    assert "The question:\nWhich test buy shows the fake stitching?" in message.body
    assert "1. L-100001\n  2. L-100002" in message.body
    # Still the reviewer's open load: the notice is theirs while it waits.
    assert Reviewer.objects.get(pk=reviewers["tm"].pk).open_load == 1


def test_asking_about_some_listings_keeps_the_notice_in_review(notice, reviewers, now):
    ask(notice, reviewers["tm"], now, positions=(2,))
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.IN_REVIEW
    assert items_of(notice)[1].state == ItemState.IN_REVIEW


def test_the_answer_returns_the_listings_to_the_reviewer(notice, reviewers, now):
    ask(notice, reviewers["tm"], now)
    later = now + timedelta(hours=3)
    request = workflow.answer_information(notice, "Test buy #2, photo 3.", later)
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.IN_REVIEW
    assert (request.answer, request.answered_at) == ("Test buy #2, photo 3.", later)
    assert {i.state for i in items_of(notice).values()} == {ItemState.IN_REVIEW}
    assert list(notice.events.filter(created_at=later).values_list("kind", "actor_kind", "to_status")) == [
        (EventKind.INFO_ANSWERED, "submitter", ItemState.IN_REVIEW),
        (EventKind.INFO_ANSWERED, "submitter", ItemState.IN_REVIEW),
        (EventKind.BACK_IN_REVIEW, "submitter", NoticeStatus.IN_REVIEW),
        (EventKind.CLOCK_RESUMED, "system", "")]
    with pytest.raises(workflow.TransitionNotAllowed, match="There is no open question"):
        workflow.answer_information(notice, "Again", later)


def test_a_question_needs_words_and_listings_waiting_for_a_decision(notice, reviewers, now):
    with pytest.raises(workflow.TransitionNotAllowed, match="Write the question"):
        ask(notice, reviewers["tm"], now, message="  ")
    item = items_of(notice)[1]
    workflow.decide_items(notice, reviewers["tm"], [workflow.ItemDecision(item.pk, DecisionOutcome.REMOVE)], now)
    with pytest.raises(workflow.TransitionNotAllowed, match="waiting for a decision"):
        ask(notice, reviewers["tm"], now, positions=(1,))
    with pytest.raises(workflow.TransitionNotAllowed, match="is not assigned to you; claim it first"):
        ask(notice, reviewers["cr"], now, positions=(2,))
    assert not InfoRequest.objects.exists()


def test_unanswered_questions_close_their_listings_once(notice, reviewers, now, django_capture_on_commit_callbacks):
    ask(notice, reviewers["tm"], now)
    due = now + timedelta(days=8)
    assert workflow.expire_information_requests(now + timedelta(days=6)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert workflow.expire_information_requests(due) == 1
    assert workflow.expire_information_requests(due) == 0
    notice.refresh_from_db()
    assert (notice.status, notice.closed_at) == (NoticeStatus.CLOSED, due)
    assert {i.state for i in items_of(notice).values()} == {ItemState.NO_ANSWER}
    assert notice.events.filter(kind=EventKind.INFO_EXPIRED).count() == 2
    assert Reviewer.objects.get(pk=reviewers["tm"].pk).open_load == 0
    assert [m.subject for m in mail.outbox] == [f"Notice {notice.reference}: listings closed without an answer"]
    assert "You can file them again" in mail.outbox[0].body


def test_an_answered_question_never_expires(notice, reviewers, now):
    ask(notice, reviewers["tm"], now)
    workflow.answer_information(notice, "Here it is.", now)
    assert workflow.expire_information_requests(now + timedelta(days=30)) == 0


def test_the_submitter_answers_on_the_tracking_page_with_a_file(client, notice, reviewers, now):
    ask(notice, reviewers["tm"], now)
    page = client.get(notice.tracking_path()).content.decode()
    assert 'id="question"' in page and "Which test buy shows the fake stitching?" in page

    empty = client.post(f"{notice.tracking_path()}answer/", {"answer": ""})
    assert empty.status_code == 400 and "Write your answer before sending it." in empty.content.decode()
    response = client.post(f"{notice.tracking_path()}answer/",
                           {"answer": "See the attached test buy.", "files": upload("buy.pdf", PDF_BYTES)},
                           follow=True)
    assert "your answer is with the reviewer" in response.content.decode()
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.IN_REVIEW
    request = InfoRequest.objects.get()
    assert list(notice.evidence.values_list("original_name", "kind", "info_request")) == [
        ("buy.pdf", "other", request.pk)]
    page = response.content.decode()
    assert 'id="question"' not in page
    assert "Questions and answers" in page and "See the attached test buy." in page and "Files: buy.pdf" in page

    client.force_login(reviewers["tm"].user)
    review = client.get(f"/review/notices/{notice.reference}/").content.decode()
    evidence_id = notice.evidence.get().pk
    assert "See the attached test buy." in review
    assert f'<a href="/review/evidence/{evidence_id}/">buy.pdf</a>' in review
    assert "buy.pdf</a> · Other evidence (sent with an answer)" in review


def test_the_reviewer_is_emailed_the_answer(notice, reviewers, now, django_capture_on_commit_callbacks):
    ask(notice, reviewers["tm"], now, positions=(2,))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.answer_information(notice, "Test buy #2, photo 3.", now, files=[(upload("buy.pdf", PDF_BYTES),
                                                                                  "application/pdf")])
    [message] = mail.outbox
    assert message.to == ["tm@portal.test"]
    assert message.subject == f"{notice.reference}: the submitter answered your question"
    for part in (message.body, message.alternatives[0][0]):
        assert "Which test buy shows the fake stitching?" in part
        assert "Test buy #2, photo 3." in part
        assert "buy.pdf" in part
        assert f"https://portal.test/review/notices/{notice.reference}/" in part
    assert "listing 2." in message.body


def test_the_reviewer_asks_from_the_notice_page(client, notice, reviewers):
    client.force_login(reviewers["tm"].user)
    refused = client.post(f"/review/notices/{notice.reference}/decide/", decision_form(notice, {2: {"action": "ask"}}))
    assert refused.status_code == 400
    assert 'id="id_question-error">Write the question for the submitter.</div>' in refused.content.decode()
    response = client.post(f"/review/notices/{notice.reference}/decide/", decision_form(
        notice, {1: {"action": "remove"}, 2: {"action": "ask"}}, question="Is listing 2 the 2024 model?"), follow=True)
    assert "1 decision recorded; question sent about 1 listing." in response.content.decode()
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.AWAITING_SUBMITTER
    assert InfoRequest.objects.get().message == "Is listing 2 the 2024 model?"
