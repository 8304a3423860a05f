"""The notice page's decision form (forms/review.py ReviewForm): one row per listing waiting for a
decision, "apply to all", the question; one workflow call per POST. On bad input the page comes
back with 400, the error beside its field and every choice the reviewer made still chosen."""

import re
from html import unescape

import pytest
from django.template.defaultfilters import date as date_filter
from django.utils.html import escape

from takedowns import tdb, workflow
from takedowns.enums import ItemState, NoticeStatus
from takedowns.models import Decision, Event, InfoRequest, Notice, OutboundEmail, ReasonCode, RemovalGround
from takedowns.workflow import resubmissions
from tests.factories import PDF_BYTES, decision_form, routed, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def notice(now, catalogue, reviewers):
    return routed(now, [("L-100001", "counterfeit"), ("L-100002", "counterfeit"), ("L-100004", "trademark_misuse")])


@pytest.fixture
def as_tm(client, reviewers):
    client.force_login(reviewers["tm"].user)
    return client


def decide(client, notice, data):
    return client.post(f"/review/notices/{notice.reference}/decide/", data)


def selected(html: str, name: str) -> str | None:
    """The value of the option selected in the <select name=...>, as the browser would show it."""
    select = re.search(rf'<select name="{re.escape(name)}"[^>]*>(.*?)</select>', html, re.S)
    chosen = re.search(r'<option value="([^"]*)"[^>]*selected', select.group(1)) if select else None
    return chosen.group(1) if chosen else None


def test_an_error_in_one_row_shows_the_page_again_with_every_choice_kept(as_tm, notice):
    code = ReasonCode.objects.get(code="no-use-of-right")
    response = decide(as_tm, notice, decision_form(
        notice, {1: {"action": "remove", "note": "Per test buy."}, 2: {"action": "reject"},
                 3: {"action": "reject", "reason_code": code.pk}}))
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_item-1-reason_code-error">A rejection needs a reason code the submitter can act on.</div>' in html
    assert 'aria-describedby="id_item-1-reason_code-error"' in html
    assert (selected(html, "item-0-action"), selected(html, "item-1-action"), selected(html, "item-2-action")) == (
        "remove", "reject", "reject")
    assert selected(html, "item-2-reason_code") == str(code.pk)
    assert 'name="item-0-note" value="Per test buy."' in html
    # Nothing was recorded: not the valid rows either.
    assert not Decision.objects.exists()
    assert set(notice.items.values_list("state", flat=True)) == {ItemState.IN_REVIEW}


def test_apply_to_all_without_a_reason_code_is_refused_beside_the_batch_field(as_tm, notice):
    response = decide(as_tm, notice, decision_form(notice, {1: {"action": "remove"}}, all_action="reject"))
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_all_reason_code-error">A rejection needs a reason code the submitter can act on.</div>' in html
    assert selected(html, "all_action") == "reject" and selected(html, "item-0-action") == "remove"
    assert not Decision.objects.exists()


def test_nothing_chosen_is_refused_with_the_reason(as_tm, notice):
    response = decide(as_tm, notice, decision_form(notice))
    assert response.status_code == 400
    assert 'id="decide-errors">Choose a decision for at least one listing.</div>' in response.content.decode()


def test_a_question_without_a_listing_to_ask_about_is_refused_and_kept(as_tm, notice):
    response = decide(as_tm, notice, decision_form(notice, {1: {"action": "remove"}}, question="Which model?"))
    html = response.content.decode()
    assert response.status_code == 400
    assert ('id="id_question-error">Set the listings this question is about to “Ask the submitter”.</div>'
            in html.replace("&ldquo;", "“").replace("&rdquo;", "”"))
    assert "Which model?</textarea>" in html
    assert not Decision.objects.exists() and not InfoRequest.objects.exists()


def test_an_unknown_reason_code_or_action_is_refused_beside_its_field(as_tm, notice):
    response = decide(as_tm, notice, decision_form(notice, {1: {"action": "delete"},
                                                            2: {"action": "reject", "reason_code": 99999}}))
    html = response.content.decode()
    assert response.status_code == 400
    assert ('id="id_item-0-action-error">Choose to remove the listing, reject the report or ask the submitter.'
            '</div>') in html
    assert 'id="id_item-1-reason_code-error">This reason code is not one in use; choose one from the list.</div>' \
        in html


def test_decisions_and_a_question_are_one_step_with_one_status_change(as_tm, notice,
                                                                     django_capture_on_commit_callbacks):
    code = ReasonCode.objects.get(code="no-use-of-right")
    with django_capture_on_commit_callbacks(execute=True):
        response = decide(as_tm, notice, decision_form(
            notice, {1: {"action": "remove"}, 2: {"action": "reject", "reason_code": code.pk}, 3: {"action": "ask"}},
            question="Is listing 3 the 2024 model?"))
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.AWAITING_SUBMITTER
    assert dict(notice.items.values_list("position", "state")) == {1: "removed", 2: "rejected", 3: "info_requested"}
    # One status change for the whole step, after the listings' own events.
    kinds = list(Event.objects.filter(notice=notice, kind__in=["item_decided", "info_requested",
                                                              "awaiting_submitter", "back_in_review", "closed"])
                 .order_by("id").values_list("kind", flat=True))
    assert kinds == ["item_decided", "item_decided", "info_requested", "awaiting_submitter"]
    assert sorted(OutboundEmail.objects.filter(notice=notice, kind__in=["items_decided", "information_requested"])
                  .values_list("kind", "to")) == [("information_requested", "anna@aerostride.example"),
                                                  ("items_decided", "anna@aerostride.example")]


def test_a_refusal_by_the_workflow_keeps_the_choices_and_says_why(as_tm, notice, reviewers):
    Notice.objects.filter(pk=notice.pk).update(assigned_to=reviewers["cr"])
    response = decide(as_tm, notice, decision_form(notice, {1: {"action": "remove"}}))
    html = response.content.decode()
    assert response.status_code == 409
    assert f"Notice {notice.reference} is not assigned to you; claim it first." in html
    assert not Decision.objects.exists()


def test_a_form_for_a_listing_decided_meanwhile_records_nothing(as_tm, notice):
    data = decision_form(notice, {1: {"action": "remove"}, 2: {"action": "remove"}})
    item = notice.items.get(position=1)
    workflow.decide_items(notice, notice.assigned_to, [workflow.ItemDecision(item.pk, "remove")],
                          notice.routed_at)
    response = decide(as_tm, notice, data)
    assert response.status_code == 400
    assert Decision.objects.count() == 1
    assert notice.items.get(position=2).state == ItemState.IN_REVIEW


# --- The grounds of a removal: prefilled per listing from the leads' texts, edited by the reviewer. ---

def textarea(html: str, name: str) -> str | None:
    """The text in the <textarea name=...>, unescaped as the browser shows it."""
    found = re.search(rf'<textarea name="{re.escape(name)}"[^>]*>\n?(.*?)</textarea>', html, re.S)
    return unescape(found.group(1)) if found else None


def test_each_listing_is_prefilled_with_the_grounds_of_its_right_and_reason(as_tm, notice):
    html = as_tm.get(f"/review/notices/{notice.reference}/").content.decode()
    counterfeit = RemovalGround.objects.get(right_type="trademark", reason="counterfeit").text
    misuse = RemovalGround.objects.get(right_type="trademark", reason="trademark_misuse").text
    assert (textarea(html, "item-0-grounds"), textarea(html, "item-1-grounds"), textarea(html, "item-2-grounds")) == (
        counterfeit, counterfeit, misuse)
    assert 'aria-label="Grounds of a removal for listing 3"' in html


def test_a_leads_edit_of_the_grounds_is_what_the_form_prefills(as_tm, notice):
    RemovalGround.objects.filter(right_type="trademark", reason="trademark_misuse").update(
        text="The listing names the mark in its title for goods of the same kind (Art. 9(2)(b) EUTMR).")
    RemovalGround.objects.filter(right_type="trademark", reason="counterfeit").update(is_active=False)
    html = as_tm.get(f"/review/notices/{notice.reference}/").content.decode()
    assert textarea(html, "item-0-grounds") == tdb.explanation_for("trademark", "counterfeit")  # never blank
    assert textarea(html, "item-2-grounds") == ("The listing names the mark in its title for goods of the same kind "
                                                "(Art. 9(2)(b) EUTMR).")


def test_the_reviewers_own_grounds_are_stored_on_the_decision(as_tm, notice, django_capture_on_commit_callbacks):
    own = "The title reads “Aerostride Runner”; the test-buy pair has no serial label (Art. 9(2)(a) EUTMR)."
    with django_capture_on_commit_callbacks(execute=True):
        response = decide(as_tm, notice, decision_form(notice, {1: {"action": "remove", "grounds": f"  {own}\n"}}))
    assert response.status_code == 302
    removal = Decision.objects.get(item__position=1, item__notice=notice)
    assert (removal.outcome, removal.grounds, removal.explanation) == ("remove", own, notice.description)
    page = as_tm.get(f"/review/notices/{notice.reference}/").content.decode()
    assert f'<span class="small" data-grounds="1">Grounds: {escape(own)}</span>' in page


def test_a_removal_with_its_grounds_emptied_is_refused_beside_them_and_nothing_is_recorded(as_tm, notice):
    code = ReasonCode.objects.get(code="no-use-of-right")
    response = decide(as_tm, notice, decision_form(
        notice, {1: {"action": "remove", "grounds": "  ", "note": "See test buy."},
                 2: {"action": "reject", "reason_code": code.pk}}))
    html = response.content.decode()
    assert response.status_code == 400
    assert ('id="id_item-0-grounds-error">A removal needs its grounds: the seller&#x27;s statement of reasons gives '
            'them as ours. Write why the listing infringes, or restore the default text by reloading the page.</div>'
            ) in html
    assert (selected(html, "item-0-action"), selected(html, "item-1-action")) == ("remove", "reject")
    assert 'name="item-0-note" value="See test buy."' in html
    assert not Decision.objects.exists()
    assert set(notice.items.values_list("state", flat=True)) == {ItemState.IN_REVIEW}


@pytest.mark.parametrize("length, recorded", [(2000, True), (2001, False)])
def test_grounds_are_limited_to_what_the_transparency_database_takes(as_tm, notice, length, recorded):
    # tdb.MAX_EXPLANATION: longer grounds would reach the database cut short, unlike the seller's statement.
    own = "The listing shows the mark. " + "x" * (length - 28)
    assert len(own) == length
    response = decide(as_tm, notice, decision_form(notice, {1: {"action": "remove", "grounds": own}}))
    if recorded:
        assert response.status_code == 302
        assert Decision.objects.get(item__position=1, item__notice=notice).grounds == own
        return
    html = response.content.decode()
    assert response.status_code == 400
    assert ('id="id_item-0-grounds-error">Keep the grounds within 2000 characters (you wrote 2001): the Transparency '
            'Database takes no more, and the seller&#x27;s statement gives the same text.</div>') in html
    assert textarea(html, "item-0-grounds") == own
    assert not Decision.objects.exists()


def test_a_rejection_ignores_the_prefilled_grounds(as_tm, notice):
    code = ReasonCode.objects.get(code="no-use-of-right")
    assert decide(as_tm, notice, decision_form(notice, {1: {"action": "reject", "reason_code": code.pk}})
                  ).status_code == 302
    assert Decision.objects.get(item__position=1, item__notice=notice).grounds == ""


def test_a_fixed_and_resubmitted_listing_shows_the_fix_beside_it_for_the_fresh_decision(as_tm, notice):
    code = ReasonCode.objects.get(code="insufficient-evidence")
    assert decide(as_tm, notice, decision_form(notice, {1: {"action": "reject", "reason_code": code.pk}})
                  ).status_code == 302
    rejected = Decision.objects.get(item__notice=notice, item__position=1)
    fix = resubmissions.resubmit_listing(notice, rejected, "Test-buy report attached: order 4471, fake label.",
                                         notice.routed_at, files=[(upload("buy.pdf", PDF_BYTES), "application/pdf")])
    html = as_tm.get(f"/review/notices/{notice.reference}/").content.decode()
    stored = fix.files.get()
    assert (f'data-resubmission="{fix.pk}"><strong>Fixed and resubmitted</strong> '
            f'{date_filter(fix.filed_at, "SHORT_DATETIME_FORMAT")} (rejected as “Not enough evidence”):<br>'
            "Test-buy report attached: order 4471, fake label.<br>"
            f'Files: <a href="/review/evidence/{stored.pk}/">buy.pdf</a></div>') in html
    assert textarea(html, "item-0-grounds") == RemovalGround.objects.get(right_type="trademark",
                                                                         reason="counterfeit").text


def test_apply_to_all_removals_record_each_listings_own_prefilled_grounds(as_tm, notice):
    assert decide(as_tm, notice, decision_form(notice, all_action="remove")).status_code == 302
    grounds = dict(Decision.objects.filter(item__notice=notice).values_list("item__position", "grounds"))
    counterfeit = RemovalGround.objects.get(right_type="trademark", reason="counterfeit").text
    misuse = RemovalGround.objects.get(right_type="trademark", reason="trademark_misuse").text
    assert grounds == {1: counterfeit, 2: counterfeit, 3: misuse}
