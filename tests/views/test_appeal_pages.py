"""The appeal pages: filing on the seller's statement and penalty pages and on the tracking page
(token access, form errors with the text kept), and the reviewers' appeals queue and appeal page."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils.formats import date_format

from takedowns import legal
from takedowns.enums import AppealStatus, ItemState, NoticeStatus
from takedowns.forms.seller import APPEAL_TEXT_MAX
from takedowns.models import Appeal, Decision, Notice, OutboundEmail, Penalty
from takedowns.selectors import worklists
from takedowns.selectors.keyset import Keyset
from takedowns.workflow import appeals
from tests.factories import (
    REJECT,
    REMOVE,
    SELLER_APPEAL_TEXT,
    SUBMITTER_APPEAL_TEXT,
    decided,
    decision_of,
    make_reviewer,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def removal(now, bright, reviewers):
    return decision_of(decided(now, {"L-100003": REMOVE}, reviewers["tm"]))


@pytest.fixture
def rejection(now, bright, reviewers):
    return decision_of(decided(now, {"L-100003": REJECT}, reviewers["tm"]))


def appeal_url(decision) -> str:
    return f"{decision.seller_path()}appeal/"


def submitter_appeal_url(decision) -> str:
    return f"{decision.item.notice.tracking_path()}appeal/{decision.pk}/"


# --- The seller's statement page. ---

def test_the_statement_page_offers_the_appeal_with_its_deadline(client, removal):
    page = client.get(removal.seller_path()).content.decode()
    assert "Appeal against the removal (DSA Art. 20)" in page and "free of charge" in page
    assert f'action="{appeal_url(removal)}"' in page
    assert date_format(legal.appeal_deadline(removal.decided_at), "DATETIME_FORMAT") in page


def test_the_seller_files_an_appeal_and_the_page_shows_it(client, removal):
    response = client.post(appeal_url(removal), {"text": SELLER_APPEAL_TEXT})
    assert response.status_code == 302 and response["Location"] == removal.seller_path()
    appeal = Appeal.objects.get()
    assert (appeal.decision, appeal.appellant, appeal.text, appeal.status) == (
        removal, "seller", SELLER_APPEAL_TEXT, "filed")
    page = client.get(response["Location"]).content.decode()
    assert "Your appeal is filed." in page
    assert 'data-status="filed"' in page and "A reviewer who took no part in the decision decides it" in page
    assert 'id="file-appeal"' not in page
    # A resent form files nothing more.
    assert client.post(appeal_url(removal), {"text": SELLER_APPEAL_TEXT})["Location"] == removal.seller_path()
    assert Appeal.objects.count() == 1 and OutboundEmail.objects.filter(kind="appeal_received").count() == 1


@pytest.mark.parametrize("text, error", [
    ("", "Write why you think the decision is wrong."),
    ("Not fake.", "Explain why the decision is wrong in at least 20 characters (you wrote 9)."),
    ("x" * (APPEAL_TEXT_MAX + 1),
     f"Keep your appeal within {APPEAL_TEXT_MAX} characters (you wrote {APPEAL_TEXT_MAX + 1})."),
])
def test_a_bad_appeal_shows_the_form_again_with_a_specific_error_and_the_text_kept(client, removal, text, error):
    response = client.post(appeal_url(removal), {"text": text})
    assert response.status_code == 400
    page = response.content.decode()
    assert error in page
    assert f">\n{text}</textarea>" in page or f">{text}</textarea>" in page
    assert f'action="{appeal_url(removal)}"' in page
    assert not Appeal.objects.exists()


def test_a_second_different_appeal_is_refused_with_the_text_kept(client, removal):
    client.post(appeal_url(removal), {"text": SELLER_APPEAL_TEXT})
    later = "I have found a second invoice that proves the point."
    response = client.post(appeal_url(removal), {"text": later})
    assert response.status_code == 409
    page = response.content.decode()
    assert "You appealed this decision on" in page and "a decision can be appealed once" in page
    assert Appeal.objects.get().text == SELLER_APPEAL_TEXT


def test_after_the_window_the_page_says_so_and_a_post_is_refused(client, now, bright, reviewers):
    removal = decision_of(decided(now - timedelta(days=185), {"L-100003": REMOVE}, reviewers["tm"]))
    deadline = date_format(legal.appeal_deadline(removal.decided_at), "DATETIME_FORMAT")
    assert deadline.endswith("23:59")
    page = client.get(removal.seller_path()).content.decode()
    assert f"The time to appeal ended on {deadline} UTC:" in page and 'id="file-appeal"' not in page
    response = client.post(appeal_url(removal), {"text": SELLER_APPEAL_TEXT})
    assert response.status_code == 409
    assert f"The time to appeal ended on {deadline} UTC:" in response.content.decode()
    assert not Appeal.objects.exists()


def test_filing_needs_the_sellers_token_and_a_post(client, removal, rejection):
    assert client.post(f"/statement/{removal.pk}/{'x' * 43}/appeal/", {"text": SELLER_APPEAL_TEXT}).status_code == 404
    # A rejection has no seller page: its token is blank and nothing matches it.
    assert client.post(f"/statement/{rejection.pk}/x/appeal/", {"text": SELLER_APPEAL_TEXT}).status_code == 404
    assert client.get(appeal_url(removal)).status_code == 405
    assert not Appeal.objects.exists()


# --- The seller's penalty page. ---

def test_the_seller_appeals_a_penalty_on_its_page(client, removal):
    penalty = Penalty.objects.get()
    page = client.get(penalty.seller_path()).content.decode()
    assert "Appeal against this measure (DSA Art. 20)" in page
    response = client.post(f"{penalty.seller_path()}appeal/", {"text": SELLER_APPEAL_TEXT})
    assert response["Location"] == penalty.seller_path()
    assert Appeal.objects.get().penalty == penalty
    assert 'data-status="filed"' in client.get(penalty.seller_path()).content.decode()
    assert client.post(f"/penalty/{penalty.pk}/wrong/appeal/", {"text": SELLER_APPEAL_TEXT}).status_code == 404


# --- The submitter's tracking page. ---

def test_the_tracking_page_offers_an_appeal_per_rejected_listing(client, rejection):
    notice = rejection.item.notice
    page = client.get(notice.tracking_path()).content.decode()
    assert "Appeals against rejections (DSA Art. 20)" in page
    assert 'data-appeal-item="1"' in page and f'action="{submitter_appeal_url(rejection)}"' in page
    assert f'id="appeal-{rejection.pk}-text"' in page


def test_the_submitter_files_an_appeal_and_sees_it_and_its_receipt(client, rejection):
    notice = rejection.item.notice
    response = client.post(submitter_appeal_url(rejection), {"text": SUBMITTER_APPEAL_TEXT})
    assert response["Location"] == notice.tracking_path()
    appeal = Appeal.objects.get()
    assert (appeal.decision, appeal.appellant) == (rejection, "submitter")
    page = client.get(notice.tracking_path()).content.decode()
    assert 'data-status="filed"' in page
    assert f"Notice {notice.reference}: appeal received for listing 1" in page  # the e-mail, on the page


def test_the_submitter_cannot_appeal_a_removal_or_another_notices_decision(client, now, bright, reviewers, rejection):
    removal = decision_of(decided(now, {"L-100004": REMOVE}, reviewers["tm"]), "L-100004")
    response = client.post(submitter_appeal_url(removal), {"text": SUBMITTER_APPEAL_TEXT})
    assert response.status_code == 409
    assert "A removal can only be appealed by the seller of the listing" in response.content.decode()
    # The rejection belongs to another notice: this tracking link does not reach it.
    foreign = f"{removal.item.notice.tracking_path()}appeal/{rejection.pk}/"
    assert client.post(foreign, {"text": SUBMITTER_APPEAL_TEXT}).status_code == 404
    wrong_token = f"/track/{rejection.item.notice.reference}/{'x' * 43}/appeal/{rejection.pk}/"
    assert client.post(wrong_token, {"text": SUBMITTER_APPEAL_TEXT}).status_code == 404
    assert not Appeal.objects.exists()


def test_a_bad_submitter_appeal_keeps_the_text(client, rejection):
    response = client.post(submitter_appeal_url(rejection), {"text": "Wrong."})
    assert response.status_code == 400
    page = response.content.decode()
    assert "at least 20 characters (you wrote 6)" in page and "Wrong.</textarea>" in page
    assert f'href="{rejection.item.notice.tracking_path()}"' in page


# --- The reviewer area. ---

@pytest.fixture
def appeal(removal):
    return appeals.file_appeal(decision=removal, appellant="seller", text=SELLER_APPEAL_TEXT, now=removal.decided_at)


def reviewer_urls(appeal):
    return [("get", "/review/appeals/"), ("get", f"/review/appeals/{appeal.pk}/"),
            ("post", f"/review/appeals/{appeal.pk}/decide/")]


def test_anonymous_visitors_are_sent_to_the_login(client, appeal):
    for method, url in reviewer_urls(appeal):
        response = getattr(client, method)(url, {"outcome": "reversed", "reasons": "x"} if method == "post" else None)
        assert response.status_code == 302 and response["Location"].startswith("/review/login/"), url
    assert Appeal.objects.get().status == AppealStatus.FILED


def test_users_outside_the_reviewer_groups_are_refused(client, appeal):
    client.force_login(get_user_model().objects.create_user("someone", password="pw", is_staff=True))
    for method, url in reviewer_urls(appeal):
        response = getattr(client, method)(url, {"outcome": "reversed", "reasons": "x"} if method == "post" else None)
        assert response.status_code == 403, url
    assert Appeal.objects.get().status == AppealStatus.FILED


def test_the_queue_lists_filed_appeals_oldest_first_a_page_at_a_time(client, now, bright, reviewers, other_reviewer,
                                                                    monkeypatch):
    monkeypatch.setattr(worklists, "BY_FILING", Keyset(("filed_at", "id"), size=2))
    filed = []
    for n, listing in enumerate(["L-100003", "L-100004", "L-100003"]):
        decision = decision_of(decided(now, {listing: REMOVE}, reviewers["tm"]), listing)
        filed.append(appeals.file_appeal(decision=decision, appellant="seller", text=SELLER_APPEAL_TEXT,
                                         now=now + timedelta(hours=3 - n)))  # the last filed first
    done = decision_of(decided(now, {"L-100004": REJECT}, reviewers["tm"]), "L-100004")
    decided_appeal = appeals.file_appeal(decision=done, appellant="submitter", text=SUBMITTER_APPEAL_TEXT, now=now)
    appeals.decide_appeal(decided_appeal, other_reviewer, "upheld", "No.", now)

    client.force_login(other_reviewer.user)
    first = client.get("/review/appeals/")
    assert [a.pk for a in first.context["appeals"]] == [filed[2].pk, filed[1].pk]
    second = client.get("/review/appeals/", {"after": first.context["next_cursor"]})
    assert [a.pk for a in second.context["appeals"]] == [filed[0].pk] and second.context["next_cursor"] is None
    assert not any(a.conflicted for a in first.context["appeals"])
    # The first reviewer sees the same list, each marked as not theirs to decide.
    client.force_login(reviewers["tm"].user)
    mine = client.get("/review/appeals/")
    assert all(a.conflicted for a in mine.context["appeals"])
    assert "not yours to decide" in mine.content.decode()
    assert mine.context["appeals"][0].due_at == filed[2].filed_at + timedelta(days=7)


def test_the_queue_is_linked_from_the_review_queue(client, reviewers):
    client.force_login(reviewers["tm"].user)
    assert 'href="/review/appeals/"' in client.get("/review/").content.decode()


def test_the_appeal_page_shows_the_case_and_the_decide_form(client, appeal, other_reviewer):
    client.force_login(other_reviewer.user)
    page = client.get(f"/review/appeals/{appeal.pk}/").content.decode()
    notice = appeal.decision.item.notice
    for element in (f"Appeal #{appeal.pk} by the seller", "authorised wholesaler, invoice attached.",
                    "Remove the listing", "by tm",
                    "<strong>Listing 3</strong> · toys · €19.99 · seller Bright Store (S-2)", notice.reference,
                    notice.description, 'id="appeal-decide"', "restores the listing and reverses the strike"):
        assert element in page


def test_the_original_reviewer_sees_why_they_cannot_decide_and_a_post_is_refused(client, appeal, reviewers):
    client.force_login(reviewers["tm"].user)
    page = client.get(f"/review/appeals/{appeal.pk}/").content.decode()
    assert "You decided the original removal, so another reviewer must decide this appeal" in page
    assert 'id="appeal-decide"' not in page
    response = client.post(f"/review/appeals/{appeal.pk}/decide/", {"outcome": "reversed", "reasons": "Fine."})
    assert response.status_code == 403
    assert "You decided the original removal" in response.content.decode()
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.FILED
    assert not appeal.decision.item.events.filter(kind="appeal_decided").exists()


def test_a_decision_without_reasons_shows_the_error_and_keeps_the_choice(client, appeal, other_reviewer):
    client.force_login(other_reviewer.user)
    response = client.post(f"/review/appeals/{appeal.pk}/decide/", {"outcome": "reversed", "reasons": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Write the reasons for the outcome; the appellant receives them." in page
    assert 'name="outcome" value="reversed"  id="id_outcome_1" required checked>' in page
    response = client.post(f"/review/appeals/{appeal.pk}/decide/", {"reasons": "Because it is genuine."})
    assert "Choose whether the original decision is upheld or reversed." in response.content.decode()
    assert "Because it is genuine.</textarea>" in response.content.decode()
    assert Appeal.objects.get().status == AppealStatus.FILED


def test_a_reviewer_reverses_a_removal_from_the_page(client, appeal, other_reviewer):
    client.force_login(other_reviewer.user)
    response = client.post(f"/review/appeals/{appeal.pk}/decide/",
                           {"outcome": "reversed", "reasons": "The invoice is genuine."})
    assert response["Location"] == f"/review/appeals/{appeal.pk}/"
    appeal.refresh_from_db()
    assert (appeal.status, appeal.decided_by, appeal.reasons) == (
        "reversed", other_reviewer.user, "The invoice is genuine.")
    assert Decision.objects.get(pk=appeal.decision_id).item.state == ItemState.RESTORED
    page = client.get(response["Location"]).content.decode()
    assert "Original decision reversed" in page and 'id="appeal-decide"' not in page
    # Decided once: a resent form is refused with who decided it.
    again = client.post(f"/review/appeals/{appeal.pk}/decide/", {"outcome": "upheld", "reasons": "Other view."})
    assert again.status_code == 409 and "This appeal was already decided on" in again.content.decode()


def test_reversing_a_rejection_sends_the_decider_to_the_reopened_notice(client, rejection, other_reviewer):
    appeal = appeals.file_appeal(decision=rejection, appellant="submitter", text=SUBMITTER_APPEAL_TEXT,
                                 now=rejection.decided_at)
    client.force_login(other_reviewer.user)
    response = client.post(f"/review/appeals/{appeal.pk}/decide/", {"outcome": "reversed", "reasons": "Look again."})
    notice = Notice.objects.get(pk=rejection.item.notice_id)
    assert response["Location"] == f"/review/notices/{notice.reference}/"
    assert (notice.status, notice.assigned_to) == (NoticeStatus.IN_REVIEW, other_reviewer)
    page = client.get(response["Location"]).content.decode()
    assert "Listing 1 is back in review with you: decide it afresh." in page


def test_a_reviewer_of_a_penalty_appeal_sees_the_removals_behind_the_strike(client, removal, reviewers, other_reviewer):
    penalty = Penalty.objects.get()
    appeal = appeals.file_appeal(penalty=penalty, appellant="seller", text=SELLER_APPEAL_TEXT, now=penalty.decided_at)
    client.force_login(other_reviewer.user)
    page = client.get(f"/review/appeals/{appeal.pk}/").content.decode()
    assert "The removals behind the strike" in page and "L-100003" in page and "by tm" in page
    assert "reverses the strike and lifts the measure" in page
    client.force_login(reviewers["tm"].user)
    assert "You decided a removal behind this penalty" in client.get(f"/review/appeals/{appeal.pk}/").content.decode()


def test_a_missing_appeal_is_404(client, other_reviewer):
    client.force_login(other_reviewer.user)
    assert client.get("/review/appeals/999/").status_code == 404


def test_any_active_reviewer_may_decide(client, appeal):
    lee = make_reviewer("lee", ["copyright"])
    client.force_login(lee.user)
    response = client.post(f"/review/appeals/{appeal.pk}/decide/", {"outcome": "upheld", "reasons": "Fake."})
    assert response.status_code == 302
    assert Appeal.objects.get().decided_by == lee.user
