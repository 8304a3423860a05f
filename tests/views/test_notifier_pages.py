"""Notifier misuse (DSA Art. 23) on the site: the public policy page (generated from the settings and the
reason codes leads mark), the leads' pages (proposals decided or dismissed, appeals), the notifier's
private statement page and appeal, the tracking page's section, the refusal at confirmation, the
transparency report's rows, the admin's reason codes and the queue's link."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils.formats import date_format

from takedowns import notifier_ladder
from takedowns.models import NotifierAppeal, NotifierMeasure, NotifierProposal, ReasonCode
from takedowns.workflow import notifier_misuse
from tests.factories import (
    file_notice,
    give_authenticator,
    log_in,
    make_lead,
    mark_manifestly_unfounded,
    notifier_notices,
    routed,
    warned,
)
from tests.html_checks import headings, skipped_headings

pytestmark = pytest.mark.django_db

ANNA, BEN = "anna@aerostride.example", "ben@aerostride.example"
D = timedelta(days=1)


def text(response) -> str:
    """The page as words, tags dropped and white space folded."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def suspended(now, lead, email: str = ANNA) -> NotifierMeasure:
    """A warning yesterday, then a 30-day suspension of `email` decided at `now` by `lead`."""
    warned(now - D, lead, email=email)
    return warned(now, lead, email=email, listing="L-100001")


# --- The public policy page (Art. 23(4)). ---

def test_the_policy_page_states_the_configured_policy_to_anyone(client, db):
    response = client.get("/policies/notifier-misuse/")
    assert response.status_code == 200
    page = text(response)
    assert "We count the listings of each notifier we decided in the last 90 days , and those of them rejected as " \
           "manifestly unfounded. A notifier is looked at when at least 10 of their listings were rejected as " \
           "manifestly unfounded, and these make at least 50 % of their listings decided." in page
    assert "1st A warning" in page and "2nd Suspension of notice handling for 30 days" in page
    assert "3rd and any later Suspension of notice handling for 90 days" in page
    assert "A measure counts towards the next one for 365 days after it was decided" in page
    assert "within 6 months of the decision (DSA Art. 20)" in page
    assert "gmail.com" in page and "outlook.com" in page
    assert "No rejection reason is currently marked as manifestly unfounded" in page


def test_the_policy_page_changes_with_the_settings_and_the_codes_leads_mark(client, db, settings):
    settings.NOTIFIER_MISUSE_LADDER = "1:warning, 2:warning, 4:suspension:14"
    settings.NOTIFIER_MISUSE_WINDOW_DAYS, settings.NOTIFIER_MISUSE_MIN_COUNT = 30, 25
    settings.NOTIFIER_MISUSE_MIN_SHARE_PERCENT, settings.NOTIFIER_MEASURE_EXPIRY_DAYS = 75, 180
    settings.APPEAL_WINDOW_MONTHS = 9
    settings.FREE_MAIL_DOMAINS = ["mail.example"]
    mark_manifestly_unfounded("no-use-of-right", "registration-mismatch")
    page = text(client.get("/policies/notifier-misuse/"))
    assert "in the last 30 days" in page and "at least 25 of their listings" in page and "at least 75 %" in page
    assert "1st A warning 2nd A warning 4th and any later Suspension of notice handling for 14 days" in page
    assert "for 180 days after it was decided" in page and "within 9 months of the decision" in page
    assert "( mail.example )" in page and "gmail.com" not in page
    assert "No rejection reason is currently marked" not in page
    assert "The listing does not use the right : The listing does not show or name the protected mark" in page
    assert "The registration does not match the listing :" in page
    assert "Genuine goods resold lawfully" not in page


def test_the_policy_page_lists_every_step_the_code_applies(client, db):
    html = client.get("/policies/notifier-misuse/").content.decode()
    shown = [int(number) for number in re.findall(r'<tr data-step="(\d+)">', html)]
    assert shown == [step.number for step in notifier_ladder.policy().ladder]
    for measures_so_far in range(5):  # what the page says each measure is, the code decides
        step = notifier_ladder.step_for(measures_so_far, notifier_ladder.policy().ladder)
        assert f'data-step="{step.number}"' in html


def test_the_policy_page_only_answers_get(client, db):
    assert client.post("/policies/notifier-misuse/").status_code == 405


# --- The leads' pages. ---

@pytest.fixture
def proposal(now, catalogue, reviewers):
    """Anna's 12 listings, 10 rejected as manifestly unfounded an hour ago: a proposal waiting for a lead."""
    mark_manifestly_unfounded()
    notifier_notices(now - timedelta(hours=1), ANNA, notices=3, unfounded=10, listings=4)
    [raised] = notifier_misuse.raise_proposals(now)
    return raised


def test_the_leads_page_lists_proposals_appeals_and_measures(client, proposal, lead, now):
    log_in(client, lead)
    page = client.get("/review/notifiers/").content.decode()
    row = page[page.index(f'data-proposal="{proposal.pk}"'):]
    assert f'<a href="/review/notifiers/proposals/{proposal.pk}/">anna@aerostride.example</a>' in row
    assert "<td>12</td>" in row and "<td>10</td>" in row and "Warning" in row
    assert "No appeal is waiting." in page and "No measure yet." in page


def test_the_proposal_page_shows_what_a_lead_weighs(client, proposal, lead):
    log_in(client, lead)
    response = client.get(f"/review/notifiers/proposals/{proposal.pk}/")
    page = text(response)
    assert "Listings decided 12, in 3 notices Rejected 10 Rejected as manifestly unfounded 10 (83 %)" in page
    assert "The listing does not use the right 10" in page
    assert "weigh the absolute number of manifestly unfounded notices, their share of all notices, the gravity" in page
    assert "Decide the ladder's next step: warning" in page and "No earlier measure." in page
    references = re.findall(r'<a href="/review/notices/(TD-[\w-]+)/">', response.content.decode())
    assert len(references) == 3


def test_a_lead_decides_a_proposal_with_a_statement_of_reasons(client, proposal, lead):
    log_in(client, lead)
    url = f"/review/notifiers/proposals/{proposal.pk}/decide/"
    response = client.post(url, {"statement": "Too short."})
    assert response.status_code == 400
    assert "Give the notifier your reasons in at least 20 characters (you wrote 10)." in text(response)
    assert not NotifierMeasure.objects.exists()
    response = client.post(url, {"statement": "Ten of your twelve reports named listings without your mark."})
    assert (response.status_code, response["Location"]) == (302, f"/review/notifiers/proposals/{proposal.pk}/")
    measure = NotifierMeasure.objects.get()
    assert (measure.level, measure.decided_by, measure.recipients) == ("warning", lead.user, [ANNA])
    page = text(client.get(response["Location"]))
    assert "Warning decided for anna@aerostride.example; the statement of reasons is e-mailed to " \
           "anna@aerostride.example." in page
    assert "Warning , decided by lead on" in page and "Ten of your twelve reports" in page
    response = client.post(url, {"statement": "Ten of your twelve reports named listings without your mark."})
    assert response.status_code == 409 and "This proposal was already decided: a measure was taken on" in text(response)


def test_a_lead_dismisses_a_proposal_with_reasons(client, proposal, lead):
    log_in(client, lead)
    url = f"/review/notifiers/proposals/{proposal.pk}/dismiss/"
    response = client.post(url, {"reasons": ""})
    assert response.status_code == 400 and "Write why no measure is called for" in text(response)
    response = client.post(url, {"reasons": "The listings were ambiguous."})
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert (proposal.status, proposal.dismissal_reasons) == ("dismissed", "The listings were ambiguous.")
    assert "Dismissed by lead on" in text(client.get(response["Location"]))


@pytest.fixture
def appeal(now, catalogue, reviewers, lead):
    """Anna's appeal against the 30-day suspension `lead` decided."""
    return notifier_misuse.file_appeal(suspended(now, lead), "Our reports were right: see the photos.", now)


def test_the_lead_who_decided_sees_the_appeal_but_may_not_decide_it(client, appeal, lead):
    log_in(client, lead)
    page = client.get(f"/review/notifiers/appeals/{appeal.pk}/").content.decode()
    assert 'id="appeal-conflict"' in page and 'id="appeal-decide"' not in page
    assert "Our reports were right: see the photos." in page
    listed = client.get("/review/notifiers/").content.decode()
    assert "not yours to decide" in listed[listed.index(f'data-appeal="{appeal.pk}"'):]
    response = client.post(f"/review/notifiers/appeals/{appeal.pk}/decide/", {"outcome": "reversed",
                                                                            "reasons": "Right after all."})
    assert response.status_code == 403
    assert NotifierAppeal.objects.get().status == "filed"


def test_another_lead_reverses_the_appeal_and_the_suspension_is_lifted(client, appeal):
    other = make_lead("lena")
    log_in(client, other)
    page = client.get(f"/review/notifiers/appeals/{appeal.pk}/").content.decode()
    assert 'id="appeal-decide"' in page
    response = client.post(f"/review/notifiers/appeals/{appeal.pk}/decide/", {"outcome": "reversed",
                                                                            "reasons": "The photos show the mark."})
    assert response.status_code == 302
    assert "Appeal decided: original decision reversed. The measure is lifted." in text(client.get(
        response["Location"]))
    assert NotifierMeasure.objects.get(level="suspension").lifted_at is not None


# --- The notifier's private page and appeal. ---

def test_the_private_page_shows_the_statement_and_takes_an_appeal_once(client, now, catalogue, reviewers, lead):
    measure = suspended(now, lead)
    response = client.get(measure.private_path())
    assert response.status_code == 200
    page = text(response)
    assert "Statement of reasons: suspension of notice handling" in page
    assert "In force until" in page and "until then, new notices are refused when they are confirmed" in page
    assert "Your notice named a listing that does not use your right." in page  # the lead's words
    assert "we rejected 1 (100 %) as manifestly unfounded" in page
    assert "Why the measure is wrong" in page and "the reviewer got wrong" not in page
    url = f"{measure.private_path()}appeal/"
    response = client.post(url, {"text": "Too short"})
    assert response.status_code == 400 and "in at least 20 characters" in text(response)
    response = client.post(url, {"text": "The listing uses our mark in its photos."})
    assert (response.status_code, response["Location"]) == (302, measure.private_path())
    appeal = NotifierAppeal.objects.get()
    assert (appeal.appellant_email, appeal.text) == ("", "The listing uses our mark in its photos.")
    assert 'data-status="filed"' in client.get(measure.private_path()).content.decode()
    page = client.get(measure.private_path()).content.decode()
    outline = headings(page)
    assert outline[:3] == [(1, "Statement of reasons: suspension of notice handling"),
                           (2, f"Suspension of notice handling · notices from {ANNA}"), (3, "Appeal (DSA Art. 20)")]
    assert skipped_headings(page) == []
    response = client.post(url, {"text": "Another reason altogether, filed twice."})
    assert response.status_code == 409 and "a measure can be appealed once" in text(response)


# --- The tracking page and confirmation. ---

def test_the_tracking_page_shows_the_measures_about_its_sender_with_the_appeal(client, now, catalogue, reviewers,
                                                                              lead):
    measure = suspended(now, lead)
    notice = routed(now - 2 * D, [("L-100004", "counterfeit")], submitter_email=ANNA)
    page = client.get(notice.tracking_path()).content.decode()
    section = page[page.index('id="notifier-measures"'):]
    assert section.count("data-measure=") == 2  # the warning and the suspension
    assert 'data-measure-state="in_force"' in section and 'data-measure-state="warning"' in section
    assert [level for level, _ in headings(section)][:3] == [3, 4, 3]  # under the section's h2
    url = f"/track/{notice.reference}/{notice.tracking_token}/notifier-measures/{measure.pk}/appeal/"
    assert f'action="{url}"' in section
    response = client.post(url, {"text": "The listing uses our mark in its photos."})
    assert (response.status_code, response["Location"]) == (302, f"{notice.tracking_path()}#notifier-measures")
    assert NotifierAppeal.objects.get().appellant_email == ANNA
    colleague = routed(now - 2 * D, [("L-100003", "counterfeit")], submitter_email=BEN)
    assert 'id="notifier-measures"' not in client.get(colleague.tracking_path()).content.decode()  # Anna's, not his
    other = f"/track/{colleague.reference}/{colleague.tracking_token}/notifier-measures/{measure.pk}/appeal/"
    assert client.post(other, {"text": "The listing uses our mark in its photos."}).status_code == 404


def test_a_suspended_notifier_is_refused_at_confirmation_with_why_and_until_when(client, now, catalogue, reviewers,
                                                                                lead):
    measure = suspended(now, lead)
    notice = file_notice(now, submitter_email=ANNA)
    assert client.get(notice.confirmation_path()).status_code == 200  # a GET changes nothing
    response = client.post(notice.confirmation_path())
    assert response.status_code == 403
    page = text(response)
    until = date_format(measure.ends_at, "DATETIME_FORMAT")  # the language's format (issue 13)
    assert f"Notice {notice.reference} was not accepted. The handling of notices from anna@aerostride.example is " \
           f"suspended until {until} , because too many of its notices were manifestly unfounded" in page
    assert "This notice will not be reviewed" in page
    assert f'href="{notice.tracking_path()}#notifier-measures"' in response.content.decode()
    again = client.get(notice.confirmation_path())  # the link followed again: the same page
    assert again.status_code == 403 and f"suspended until {until}" in text(again)
    tracking = text(client.get(notice.tracking_path()))
    assert "Refused: notices from this notifier are suspended" in tracking
    assert "Not reviewed: the notice was refused" in tracking and "Waiting for routing" not in tracking
    assert f"This notice was refused when it was confirmed, on {date_format(now, 'DATETIME_FORMAT')}" in tracking
    assert f"Notice {notice.reference} refused: your notices are suspended until" in tracking  # its e-mail


# --- The report, the admin, the queue. ---

def test_the_transparency_page_shows_notifiers_apart_from_sellers(client, now, catalogue, reviewers, lead):
    suspended(now, lead)
    page = text(client.get(f"/transparency/{now:%Y-%m}/"))
    assert "Notifiers: manifestly unfounded notices (DSA Art. 23(2), 24(1)(b))" in page
    assert "Measures decided 2 Warnings 1 Suspensions of notifiers 1 about an e-mail address 2" in page
    assert "Seller penalties (DSA Art. 23, DMCA 512(i))" in page


def test_a_lead_marks_a_reason_code_manifestly_unfounded_in_the_admin(client, db):
    boss = get_user_model().objects.create_superuser("boss", "boss@portal.test", "pw")
    give_authenticator(boss)
    log_in(client, boss)
    code = ReasonCode.objects.get(code="no-use-of-right")
    listed = client.get("/admin/takedowns/reasoncode/").content.decode()
    assert "manifestly unfounded" in listed.lower()
    response = client.post(f"/admin/takedowns/reasoncode/{code.pk}/change/", {
        "code": code.code, "title": code.title, "submitter_text": code.submitter_text, "is_active": "on",
        "manifestly_unfounded": "on"})
    assert response.status_code == 302
    assert ReasonCode.objects.get(pk=code.pk).manifestly_unfounded is True
    assert "The listing does not use the right" in text(client.get("/policies/notifier-misuse/"))


def test_the_queue_links_leads_to_the_notifier_cases(client, lead, reviewers):
    log_in(client, lead)
    assert 'href="/review/notifiers/" id="notifier-misuse-link"' in client.get("/review/").content.decode()
    client.force_login(reviewers["tm"].user)
    assert 'id="notifier-misuse-link"' not in client.get("/review/").content.decode()


def test_no_proposal_is_listed_twice_nor_any_after_it_is_decided(client, proposal, lead, now):
    notifier_misuse.decide_proposal(proposal, lead.user, "Ten of twelve reports were manifestly unfounded.", now)
    log_in(client, lead)
    page = client.get("/review/notifiers/").content.decode()
    assert "No proposal is waiting." in page and NotifierProposal.objects.count() == 1


def test_the_privacy_page_says_what_a_measure_keeps_and_for_how_long(client, db, settings):
    settings.RETENTION_CASE_YEARS = 1
    page = text(client.get("/privacy/"))
    assert "A measure about misuse of notices (warning or suspension): your address, the addresses it was sent to, " \
           "our reasons and your appeal removed 1 year after its last step (the decision, the end of a suspension, " \
           "or the decision on an appeal); never while a suspension runs or an appeal is open" in page
    assert "or that was refused when it was confirmed because notice handling for its sender was suspended" in page


def _main(html: str) -> str:
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def test_the_leads_notifier_pages_skip_no_heading_level_and_scope_every_header(client, appeal, lead):
    """Issue 13: headings in order, tables with <th scope> in a box that scrolls at 390 px, and no
    column header without a name (the appeals list's last column is named for screen readers)."""
    log_in(client, lead)
    for url in ["/review/notifiers/", f"/review/notifiers/appeals/{appeal.pk}/",
                f"/review/notifiers/proposals/{appeal.measure.proposal_id}/"]:
        main = _main(client.get(url).content.decode())
        levels = [int(level) for level in re.findall(r"<h([1-6])\b", main)]
        assert levels[0] == 1 and levels.count(1) == 1, url
        assert all(later <= earlier + 1 for earlier, later in zip(levels, levels[1:], strict=False)), (url, levels)
        assert re.findall(r"<th(?=[\s>])(?![^>]*scope=)[^>]*>", main) == [], url
        assert re.findall(r"<th[^>]*>\s*</th>", main) == [], url
        boxed = re.findall(r'<div class="table-responsive" tabindex="0">\s*<table', main)
        assert main.count("<table") == len(boxed), url
    listed = _main(client.get("/review/notifiers/").content.decode())
    assert '<span class="visually-hidden">Yours to decide?</span>' in listed
    assert '<span class="badge bg-secondary" title="You decided the measure">not yours to decide</span>' in listed
