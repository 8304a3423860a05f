"""The reviewer area: access, the queue's order and filters, claiming and deciding through the pages."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail

from takedowns import workflow
from takedowns.enums import LEAD_GROUP, ItemState, NoticeStatus
from takedowns.models import Decision, Notice, ReasonCode, Reviewer
from takedowns.selectors.queue import QUEUE
from tests.factories import decision_form, give_authenticator, log_in, make_reviewer, more_listings, routed

pytestmark = pytest.mark.django_db


@pytest.fixture
def notice(now, catalogue, reviewers):
    return routed(now, items=[("L-100001", "counterfeit"), ("L-100002", "counterfeit"),
                                     ("L-100004", "trademark_misuse")])


REVIEWER_PAGES = ["/review/", "/review/notices/{ref}/"]
REVIEWER_POSTS = ["/review/notices/{ref}/claim/", "/review/notices/{ref}/decide/"]


@pytest.mark.parametrize("url", REVIEWER_PAGES + REVIEWER_POSTS)
def test_anonymous_visitors_are_sent_to_the_login(client, notice, url):
    response = client.post(url.format(ref=notice.reference)) if url in REVIEWER_POSTS else client.get(
        url.format(ref=notice.reference))
    assert response.status_code == 302 and response["Location"].startswith("/review/login/")


@pytest.mark.parametrize("url", REVIEWER_PAGES + REVIEWER_POSTS)
def test_users_outside_the_groups_are_refused(client, notice, url):
    client.force_login(get_user_model().objects.create_user("someone", password="pw", is_staff=True))
    response = client.post(url.format(ref=notice.reference)) if url in REVIEWER_POSTS else client.get(
        url.format(ref=notice.reference))
    assert response.status_code == 403
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.IN_REVIEW and not Decision.objects.exists()


def test_the_login_page_logs_a_reviewer_in(client, reviewers):
    response = client.post("/review/login/", {"username": "tm", "password": "pw"})
    assert response["Location"] == "/review/"
    queue = client.get("/review/")
    assert queue.context["request"].reviewer == reviewers["tm"]
    assert "tm · open load 0" in queue.content.decode()


def test_the_queue_is_ordered_by_due_time_then_priority(client, now, catalogue, reviewers):
    late = routed(now, items=[("L-100001", "trademark_misuse")])
    early_low = routed(now - timedelta(hours=2), items=[("L-100002", "trademark_misuse")])
    early_high = routed(now - timedelta(hours=2), items=[("L-100003", "counterfeit")])
    client.force_login(reviewers["tm"].user)
    listed = [n.reference for n in client.get("/review/").context["page"].rows]
    assert listed == [early_high.reference, early_low.reference, late.reference]


def test_the_queue_filters_by_right_and_assignee(client, now, catalogue, reviewers):
    mine = routed(now, items=[("L-100001", "counterfeit")])
    theirs = routed(now, items=[("L-100002", "copyright_images")], right_type="copyright")
    Notice.objects.filter(pk=theirs.pk).update(assigned_to=None)
    client.force_login(reviewers["tm"].user)

    def listed(**params):
        return [n.reference for n in client.get("/review/", params).context["page"].rows]

    assert listed(right_type="copyright") == [theirs.reference]
    assert listed(scope="mine") == [mine.reference]
    assert listed(scope="unassigned") == [theirs.reference]
    assert listed(status="closed") == []


def test_the_queue_pages_by_keyset_without_gaps_or_repeats(client, now, catalogue, reviewers):
    # One listing per notice: a second notice on a listing under review would be a duplicate, closed at routing.
    listings = more_listings(QUEUE.size + 5, catalogue["L-100001"].seller)
    for n, listing in enumerate(listings):
        routed(now - timedelta(minutes=n % 7), items=[(listing, "trademark_misuse")])
    client.force_login(reviewers["tm"].user)
    first = client.get("/review/").context["page"]
    second = client.get("/review/", {"after": first.next_cursor}).context["page"]
    seen = [n.pk for n in first.rows] + [n.pk for n in second.rows]
    expected = list(Notice.objects.order_by("confirmed_at", "-priority", "id").values_list("pk", flat=True))
    assert seen == expected and second.next_cursor is None


def test_the_notice_page_shows_what_is_needed_to_decide(client, notice, reviewers):
    client.force_login(reviewers["tm"].user)
    body = client.get(f"/review/notices/{notice.reference}/").content.decode()
    for expected in (notice.description, "Listing 1", "Acme Outlet", "Bright Store", "2 strikes",
                     "Submitter's record: 0 earlier notices", 'name="item-0-action"',
                     "Assigned to a reviewer"):
        assert expected in body


def test_another_reviewer_sees_no_decision_form_and_cannot_claim_a_worked_notice(client, notice, reviewers,
                                                                                 other_reviewer):
    client.force_login(other_reviewer.user)  # a trademark reviewer too, as the notice's reviewer tm
    page = client.get(f"/review/notices/{notice.reference}/").content.decode()
    assert 'name="item-0-action"' not in page
    response = client.post(f"/review/notices/{notice.reference}/claim/", follow=True)
    assert f"Notice {notice.reference} is already being worked by tm." in response.content.decode()
    notice.refresh_from_db()
    assert notice.assigned_to == reviewers["tm"]


def test_claiming_an_unassigned_notice(client, notice, reviewers, other_reviewer):
    Notice.objects.filter(pk=notice.pk).update(assigned_to=None)
    client.force_login(other_reviewer.user)
    response = client.post(f"/review/notices/{notice.reference}/claim/", follow=True)
    assert f"You are working notice {notice.reference}." in response.content.decode()
    notice.refresh_from_db()
    assert notice.assigned_to == other_reviewer


def test_deciding_from_the_page_with_apply_to_all(client, notice, reviewers, django_capture_on_commit_callbacks):
    code = ReasonCode.objects.get(code="no-use-of-right")
    client.force_login(reviewers["tm"].user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/review/notices/{notice.reference}/decide/", decision_form(
            notice, {1: {"action": "remove", "note": "Counterfeit per test buy."}},
            all_action="reject", all_reason_code=code.pk), follow=True)
    assert "3 decisions recorded." in response.content.decode()
    assert {d.item.position: (d.outcome, d.reason_code, d.note) for d in Decision.objects.select_related("item")} == {
        1: ("remove", None, "Counterfeit per test buy."), 2: ("reject", code, ""), 3: ("reject", code, "")}
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.CLOSED


def test_a_resent_decision_form_does_nothing(client, notice, reviewers):
    item = notice.items.first()
    client.force_login(reviewers["tm"].user)
    data = decision_form(notice, {1: {"action": "remove"}})
    client.post(f"/review/notices/{notice.reference}/decide/", data)
    response = client.post(f"/review/notices/{notice.reference}/decide/", data)
    assert response.status_code == 400
    assert "A listing on this form was decided since the page was loaded (or the form was sent twice); nothing " \
        "was recorded." in response.content.decode()
    assert Decision.objects.count() == 1
    assert notice.items.get(pk=item.pk).state == ItemState.REMOVED


def test_a_rejection_without_reason_is_refused_with_its_message(client, notice, reviewers):
    item = notice.items.first()
    client.force_login(reviewers["tm"].user)
    response = client.post(f"/review/notices/{notice.reference}/decide/",
                           decision_form(notice, {1: {"action": "reject"}}))
    assert response.status_code == 400
    assert 'id="id_item-0-reason_code-error">A rejection needs a reason code the submitter can act on.</div>' in \
        response.content.decode()
    assert item.pk == notice.items.order_by("position").first().pk
    assert not Decision.objects.exists()


def test_a_lead_without_a_reviewer_profile_is_refused(client, notice):
    user = get_user_model().objects.create_user("boss", password="pw")
    user.groups.add(Group.objects.get_or_create(name="Lead")[0])
    client.force_login(user)
    assert client.get("/review/").status_code == 403


def test_a_lead_reassigns_and_the_loads_follow(client, notice, reviewers, lead):
    log_in(client, lead)
    assert 'id="reassign"' in client.get(f"/review/notices/{notice.reference}/").content.decode()
    response = client.post(f"/review/notices/{notice.reference}/reassign/", {"reviewer": reviewers["cr"].pk},
                           follow=True)
    assert f"Notice {notice.reference} is now with cr." in response.content.decode()
    notice.refresh_from_db()
    assert notice.assigned_to == reviewers["cr"]
    loads = dict(Reviewer.objects.filter(pk__in=[reviewers["tm"].pk, reviewers["cr"].pk])
                 .values_list("user__username", "open_load"))
    assert loads == {"tm": 0, "cr": 1}
    event = notice.events.get(kind="reassigned")
    assert (event.actor_user, event.details) == (lead.user, {"from": "tm", "to": "cr"})


def test_a_reviewer_cannot_reassign(client, notice, reviewers):
    client.force_login(reviewers["tm"].user)
    assert 'id="reassign"' not in client.get(f"/review/notices/{notice.reference}/").content.decode()
    response = client.post(f"/review/notices/{notice.reference}/reassign/", {"reviewer": reviewers["cr"].pk})
    assert response.status_code == 403
    notice.refresh_from_db()
    assert notice.assigned_to == reviewers["tm"]


def test_a_closed_notice_cannot_be_reassigned(client, notice, reviewers, lead, now):
    workflow.withdraw_notice(notice, now)
    log_in(client, lead)
    response = client.post(f"/review/notices/{notice.reference}/reassign/", {"reviewer": reviewers["cr"].pk},
                           follow=True)
    assert "only a notice in review can be reassigned" in response.content.decode()


def test_escalating_emails_every_lead_and_flags_the_notice(client, notice, reviewers, lead,
                                                           django_capture_on_commit_callbacks):
    client.force_login(reviewers["tm"].user)
    refused = client.post(f"/review/notices/{notice.reference}/escalate/", {"note": " "}, follow=True)
    assert "Say why the notice needs a lead." in refused.content.decode()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/review/notices/{notice.reference}/escalate/",
                               {"note": "Looks like a competitor's bulk claim."}, follow=True)
    assert "the leads have been e-mailed" in response.content.decode()
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["lead@portal.test"], f"Escalated: notice {notice.reference} needs a lead")]
    assert "Looks like a competitor's bulk claim." in mail.outbox[0].body
    notice.refresh_from_db()
    assert notice.escalated_at is not None
    assert notice.events.get(kind="escalated").details == {"note": "Looks like a competitor's bulk claim."}
    log_in(client, lead)
    listed = client.get("/review/", {"scope": "escalated"}).context["page"].rows
    assert [n.reference for n in listed] == [notice.reference]
    again = client.post(f"/review/notices/{notice.reference}/escalate/", {"note": "again"}, follow=True)
    assert "is already with the leads" in again.content.decode()


def test_a_reviewer_logs_out_from_every_page(client, reviewers):
    client.force_login(reviewers["tm"].user)
    assert 'id="logout"' in client.get("/review/").content.decode()
    response = client.post("/review/logout/")
    assert response["Location"] == "/review/login/"
    assert client.get("/review/")["Location"].startswith("/review/login/")


def test_the_submitters_record_counts_each_earlier_notice_once(client, notice, now, reviewers):
    routed(now, items=[("L-100001", "trademark_misuse"), ("L-100002", "trademark_misuse"),
                              ("L-100004", "trademark_misuse")])
    client.force_login(reviewers["tm"].user)
    body = client.get(f"/review/notices/{notice.reference}/").content.decode()
    assert "Submitter's record: 1 earlier notice, 0 listings removed, 0 rejected." in body


def test_the_queue_filters_by_infringement_reason(client, now, catalogue, reviewers):
    counterfeit = routed(now, items=[("L-100001", "trademark_misuse"), ("L-100002", "counterfeit")])
    routed(now, items=[("L-100004", "trademark_misuse")])
    client.force_login(reviewers["tm"].user)
    listed = [n.reference for n in client.get("/review/", {"reason": "counterfeit"}).context["page"].rows]
    assert listed == [counterfeit.reference]


def test_the_queue_filters_trusted_flaggers_and_good_faith_submitters(client, now, catalogue, reviewers):
    plain = routed(now, items=[("L-100001", "trademark_misuse")])
    trusted = routed(now, items=[("L-100002", "trademark_misuse")], submitter_email="desk@brandguard.example")
    Notice.objects.filter(pk=trusted.pk).update(trust="trusted_flagger")
    client.force_login(reviewers["tm"].user)

    def listed(**params):
        return [n.reference for n in client.get("/review/", params).context["page"].rows]

    assert listed(trust="trusted_flagger") == [trusted.reference]
    assert listed(trust="good_faith") == []
    assert listed(trust="bogus") == sorted([plain.reference, trusted.reference],
                                           key=lambda ref: Notice.objects.get(reference=ref).pk)  # unknown: filter off


def test_the_queue_counts_each_filter_option_within_the_chosen_status(client, now, catalogue, reviewers):
    routed(now, items=[("L-100001", "counterfeit"), ("L-100002", "trademark_misuse")])
    other = routed(now, items=[("L-100004", "copyright_images")], right_type="copyright")
    Notice.objects.filter(pk=other.pk).update(assigned_to=None, escalated_at=now, trust="trusted_flagger")
    client.force_login(reviewers["tm"].user)
    response = client.get("/review/")
    selects = {name: {value: count for value, _label, count in choices}
               for name, _label, _selected, _all, choices in response.context["selects"]}
    assert selects["status"] == {"in_review": 2, "awaiting_submitter": 0, "closed": None, "confirmed": 0}
    assert selects["right_type"] == {"trademark": 1, "copyright": 1, "design": 0, "patent": 0}
    assert selects["reason"] == {"counterfeit": 1, "trademark_misuse": 1, "copyright_images": 1,
                                 "copyright_text": 0, "design": 0, "patent": 0}
    assert selects["scope"] == {"all": 2, "mine": 1, "unassigned": 1, "escalated": 1}
    assert selects["trust"] == {"trusted_flagger": 1, "good_faith": 0}
    body = response.content.decode()
    assert "Trademark (1)</option>" in body and "Assigned to me (1)</option>" in body


def test_queue_counts_are_shared_for_a_while_but_assigned_to_me_is_live(client, now, catalogue, reviewers):
    routed(now, items=[("L-100001", "counterfeit")])
    client.force_login(reviewers["tm"].user)
    first = client.get("/review/").context
    routed(now, items=[("L-100002", "counterfeit")])
    second = client.get("/review/").context
    scope = {value: count for value, _label, count in second["selects"][3][4]}
    assert scope["all"] == 1 and scope["mine"] == 2  # shared counts until they expire; mine is counted per view
    assert second["counted_at"] == first["counted_at"]


def test_the_notice_page_reads_the_sellers_history_and_submitters_record(client, notice, now, reviewers):
    workflow.decide_items(notice, reviewers["tm"], [
        workflow.ItemDecision(notice.items.get(position=1).pk, "remove"),
        workflow.ItemDecision(notice.items.get(position=2).pk, "reject", ReasonCode.objects.first()),
    ], now)
    later = routed(now, items=[("L-100002", "counterfeit")])
    client.force_login(reviewers["tm"].user)
    body = client.get(f"/review/notices/{later.reference}/").content.decode()
    assert "Submitter's record: 1 earlier notice, 1 listing removed, 1 rejected." in body
    assert "reported 2× before, 1 removed" in body  # Acme's listings 1 and 2 in the first notice
    assert 'id="submitter-trust">Confirmed e-mail address<' in body


def test_the_assigned_reviewer_hands_a_notice_back_and_another_claims_it(client, notice, reviewers, now,
                                                                         other_reviewer):
    client.force_login(other_reviewer.user)
    page = client.get(f"/review/notices/{notice.reference}/").content.decode()
    assert 'id="claim"' not in page and 'id="release"' not in page  # tm has it
    refused = client.post(f"/review/notices/{notice.reference}/release/", follow=True).content.decode()
    assert "is not open with you; there is nothing to release" in refused

    client.force_login(reviewers["tm"].user)
    assert 'id="release"' in client.get(f"/review/notices/{notice.reference}/").content.decode()
    client.post(f"/review/notices/{notice.reference}/release/")
    notice.refresh_from_db()
    assert notice.assigned_to is None
    assert Reviewer.objects.get(pk=reviewers["tm"].pk).open_load == 0
    event = notice.events.get(kind="released")
    assert (event.actor_user, event.details) == (reviewers["tm"].user, {"reviewer": "tm"})

    client.force_login(other_reviewer.user)
    assert 'id="claim"' in client.get(f"/review/notices/{notice.reference}/").content.decode()
    client.post(f"/review/notices/{notice.reference}/claim/")
    notice.refresh_from_db()
    assert notice.assigned_to == other_reviewer
    assert Reviewer.objects.get(pk=other_reviewer.pk).open_load == 1


def test_only_leads_see_the_dashboard_link(client, reviewers):
    client.force_login(reviewers["tm"].user)
    assert 'id="dashboard-link"' not in client.get("/review/").content.decode()
    reviewers["tm"].user.groups.add(Group.objects.get_or_create(name=LEAD_GROUP)[0])
    give_authenticator(reviewers["tm"].user)  # a lead needs a second factor (tests/views/test_two_factor.py)
    log_in(client, reviewers["tm"])
    assert 'href="/review/dashboard/" id="dashboard-link"' in client.get("/review/").content.decode()


# --- Least privilege (issue 10, item 4): one notice's case (the submitter, the description, the
# evidence) opens for its reviewer, reviewers with the skill for its right, and leads.

def test_a_reviewer_without_the_skill_sees_the_notice_in_the_queue_but_cannot_open_it(client, notice, reviewers):
    pat = make_reviewer("pat", ["patent"])
    client.force_login(pat.user)
    queue = client.get("/review/").content.decode()
    row = re.search(rf'<tr data-reference="{notice.reference}">.*?</tr>', queue, re.S).group(0)
    assert "not your skill" in row and f'href="/review/notices/{notice.reference}/"' not in row
    page = client.get(f"/review/notices/{notice.reference}/")
    assert page.status_code == 403
    assert notice.description not in page.content.decode() and notice.submitter_email not in page.content.decode()
    assert client.post(f"/review/notices/{notice.reference}/claim/").status_code == 403
    Notice.objects.filter(pk=notice.pk).update(assigned_to=None)
    assert client.post(f"/review/notices/{notice.reference}/claim/").status_code == 403
    notice.refresh_from_db()
    assert notice.assigned_to is None and not notice.events.filter(kind="claimed").exists()


def test_a_notice_routed_to_a_reviewer_without_the_skill_opens_for_that_reviewer(client, now, catalogue):
    pat = make_reviewer("pat", ["patent"])  # nobody has the trademark skill: routing falls back to pat
    notice = routed(now)
    assert notice.assigned_to == pat
    client.force_login(pat.user)
    assert f'href="/review/notices/{notice.reference}/"' in client.get("/review/").content.decode()
    assert notice.description in client.get(f"/review/notices/{notice.reference}/").content.decode()
