"""Every URL of the site with its access rule (takedowns/access.py). A new page that is not in this
table, or whose view carries no rule, fails here; each rule is then tried for real on every page:
anonymous visitors, a logged-in user outside the reviewer groups, a reviewer who is not a lead,
private links with a wrong token, the pages of one notice's case for a reviewer without its skill,
and the log-in's own steps (ACCOUNT) for whoever is logged in. The second factor's gate in front of
the staff pages is tried in tests/views/test_two_factor.py."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from takedowns.access import ACCOUNT, LEAD, MARKETPLACE, PUBLIC, REVIEWER, TOKEN
from takedowns.api.urls import API_KEY
from takedowns.evidence import store
from takedowns.models import Decision, Penalty
from takedowns.workflow.organisations import add_endpoint
from tests.factories import (
    PDF_BYTES,
    ApiKeyFactory,
    OrganisationFactory,
    checked_upload,
    decide,
    log_in,
    make_lead,
    make_reviewer,
    registered,
    routed,
    upload,
    warned,
)

pytestmark = pytest.mark.django_db

ADMIN = "admin site (staff)"
ROUTES = {
    "takedowns:home": PUBLIC,
    "takedowns:file_notice": PUBLIC,
    "takedowns:notice_filed": PUBLIC,  # the form's own random one-time key is the only way in
    "takedowns:confirm": TOKEN,
    "takedowns:track": TOKEN,
    "takedowns:track_state": TOKEN,
    "takedowns:withdraw": TOKEN,
    "takedowns:answer": TOKEN,
    "takedowns:resubmit": TOKEN,
    "takedowns:appeal_rejection": TOKEN,
    "takedowns:report_lawsuit": TOKEN,
    "takedowns:tracking_notifier_appeal": TOKEN,
    "takedowns:privacy": PUBLIC,
    # The published policies (issue 11, item 4).
    "takedowns:policies": PUBLIC,
    "takedowns:policy_repeat_infringers": PUBLIC,
    "takedowns:policy_notice_handling": PUBLIC,
    "takedowns:policy_contesting_decisions": PUBLIC,
    "takedowns:policy_notifier_misuse": PUBLIC,
    "takedowns:notifier_measure": TOKEN,
    "takedowns:notifier_measure_appeal": TOKEN,
    "takedowns:listing_index": PUBLIC,
    "takedowns:listing_detail": PUBLIC,
    # Issue 14: the demo catalogue's seller page, and the marketplace's hook (bearer token; tests/marketplace/).
    "takedowns:sell_index": PUBLIC,
    "takedowns:sell_seller": PUBLIC,
    "takedowns:sell_edit": PUBLIC,
    "takedowns:marketplace_listings": MARKETPLACE,
    "takedowns:statement": TOKEN,
    "takedowns:appeal_removal": TOKEN,
    "takedowns:file_counter_notice": TOKEN,
    "takedowns:penalty_statement": TOKEN,
    "takedowns:appeal_penalty": TOKEN,
    "takedowns:review_login": PUBLIC,
    "takedowns:review_logout": PUBLIC,
    "takedowns:two_factor_verify": ACCOUNT,
    "takedowns:two_factor": ACCOUNT,
    "takedowns:two_factor_recovery_codes": ACCOUNT,
    "takedowns:review_queue": REVIEWER,
    "takedowns:review_notice": REVIEWER,
    "takedowns:review_claim": REVIEWER,
    "takedowns:review_release": REVIEWER,
    "takedowns:review_decide": REVIEWER,
    "takedowns:review_reassign": LEAD,
    "takedowns:review_escalate": REVIEWER,
    "takedowns:evidence_file": REVIEWER,
    "takedowns:appeal_queue": REVIEWER,
    # The Screening queue (issue 14): listings screening held, decided by any reviewer.
    "takedowns:review_screening": REVIEWER,
    "takedowns:review_screening_decide": REVIEWER,
    "takedowns:screening_reference_image": REVIEWER,
    "takedowns:appeal_detail": REVIEWER,
    "takedowns:appeal_decide": REVIEWER,
    "takedowns:review_counter_notices": REVIEWER,
    "takedowns:review_counter_notice": REVIEWER,
    "takedowns:review_counter_notice_accept": REVIEWER,
    "takedowns:review_counter_notice_incomplete": REVIEWER,
    "takedowns:tdb_statements": LEAD,
    "takedowns:tdb_statement": LEAD,
    "takedowns:tdb_penalty_statement": LEAD,
    "takedowns:notifier_cases": LEAD,
    "takedowns:notifier_proposal": LEAD,
    "takedowns:notifier_proposal_decide": LEAD,
    "takedowns:notifier_proposal_dismiss": LEAD,
    "takedowns:notifier_appeal": LEAD,
    "takedowns:notifier_appeal_decide": LEAD,
    "takedowns:dashboard": LEAD,
    "takedowns:dashboard_figures_csv": LEAD,
    "takedowns:dashboard_durations_csv": LEAD,
    # Issue 14: referral packages for law enforcement.
    "takedowns:referrals": LEAD,
    "takedowns:referral_new": LEAD,
    "takedowns:referral_archive": LEAD,
    "takedowns:transparency_index": PUBLIC,
    "takedowns:transparency_report": PUBLIC,
    "takedowns:transparency_json": PUBLIC,
    "takedowns:transparency_csv": PUBLIC,
    "takedowns:transparency_template_csv": PUBLIC,
    # The rights registry (issue 14).
    "takedowns:right_register": PUBLIC,
    "takedowns:right_filed": PUBLIC,  # the form's own random one-time key is the only way in
    "takedowns:right_confirm": TOKEN,
    "takedowns:right_track": TOKEN,
    "takedowns:right_update": TOKEN,
    "takedowns:right_withdraw": TOKEN,
    "takedowns:right_file": TOKEN,
    "takedowns:review_rights": LEAD,
    "takedowns:review_right": LEAD,
    "takedowns:review_right_verify": LEAD,
    "takedowns:review_right_reject": LEAD,
    "takedowns:right_evidence_file": LEAD,
    # Organisations without a portal account (issue 15, orgs).
    "takedowns:organisation_register": PUBLIC,
    "takedowns:organisation_filed": PUBLIC,  # the form's own random one-time key is the only way in
    "takedowns:organisation_confirm": TOKEN,
    "takedowns:organisation_page": TOKEN,
    "takedowns:organisation_key_create": TOKEN,
    "takedowns:organisation_key_revoke": TOKEN,
    "takedowns:organisation_key_rotate": TOKEN,
    "takedowns:organisation_endpoint_add": TOKEN,
    "takedowns:organisation_endpoint_rotate": TOKEN,
    "takedowns:organisation_endpoint_remove": TOKEN,
    "takedowns:organisation_endpoint_test": TOKEN,
    "takedowns:review_organisations": LEAD,
    "takedowns:review_organisation": LEAD,
    "takedowns:review_organisation_verify": LEAD,
    "takedowns:review_organisation_reject": LEAD,
    "takedowns:review_organisation_suspend": LEAD,
    "i18n:set_language": PUBLIC,  # the language switcher (issue 13)
    # Issue 15: the CSV upload under an organisation's private link, and its public template (tests/uploads/).
    "takedowns:upload_template": PUBLIC,
    "takedowns:upload_new": TOKEN,
    "takedowns:upload_page": TOKEN,
    "takedowns:upload_progress": TOKEN,
    "takedowns:upload_errors": TOKEN,
    "takedowns:upload_file": TOKEN,
    # The admin site (takedowns.access.LeadAdminSite) checks its own rule: tried at the end.
    "admin:*": ADMIN,
    ":favicon": PUBLIC,  # /favicon.ico, redirected to the static icon (portal/urls.py)
    # Issue 15: the JSON API (takedowns/api/; its own access rules are tried in tests/api/test_access.py):
    # the schema and its docs page are public, every endpoint takes an API key.
    "api:api-root": PUBLIC,  # ninja's /api/v1/ itself
    "api:openapi-json": PUBLIC,
    "api:openapi-view": PUBLIC,
    "api:notices": API_KEY,
    "api:notice": API_KEY,
    "api:notice_withdraw": API_KEY,
    "api:notice_answers": API_KEY,
    "api:notice_appeals": API_KEY,
    "api:evidence": API_KEY,
}
# The pages of one notice's case (REVIEWER pages): only for its reviewer, reviewers with the skill
# for its right, and leads (access.may_open_notice).
CASE_PAGES = {"takedowns:review_notice", "takedowns:review_claim", "takedowns:review_release",
              "takedowns:review_decide", "takedowns:review_escalate", "takedowns:evidence_file"}
# The pages that only take a POST (a state change), tried with one.
POSTS = {"withdraw", "answer", "resubmit", "appeal_rejection", "report_lawsuit", "appeal_removal",
         "file_counter_notice", "appeal_penalty", "review_logout", "review_claim", "review_release", "review_decide",
         "review_reassign", "review_escalate", "appeal_decide", "review_counter_notice_accept",
         "review_counter_notice_incomplete", "two_factor_recovery_codes", "tracking_notifier_appeal",
         "notifier_measure_appeal", "notifier_proposal_decide", "notifier_proposal_dismiss", "notifier_appeal_decide",
         "set_language", "review_screening_decide", "right_update", "right_withdraw", "review_right_verify",
         "review_right_reject",
         "organisation_key_create", "organisation_key_revoke", "organisation_key_rotate", "organisation_endpoint_add",
         "organisation_endpoint_rotate", "organisation_endpoint_remove", "organisation_endpoint_test",
         "review_organisation_verify", "review_organisation_reject", "review_organisation_suspend"}
POSTS |= {"upload_file"}  # issue 15


def _patterns(resolver: URLResolver, namespace: str = ""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                yield "admin:*", None
                continue
            yield from _patterns(pattern, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}:{pattern.name}", pattern.callback


def test_every_url_has_its_rule_in_this_table_and_on_its_view():
    found = dict(_patterns(get_resolver()))
    assert sorted(found) == sorted(ROUTES)
    assert {name: getattr(view, "access", None) for name, view in found.items() if view is not None} == {
        name: rule for name, rule in ROUTES.items() if rule != ADMIN}


@pytest.fixture
def case(now, catalogue, reviewers):
    """A routed notice with one removal (so a seller statement, a strike and its warning) and one
    listing left in review, and the ids every URL needs."""
    notice = routed(now, [("L-100003", "counterfeit"), ("L-100001", "counterfeit")])
    [removal] = decide(notice, now, {"L-100003": "remove"})
    penalty = Penalty.objects.get()
    evidence = store(notice.submission_key, "other", upload("x.pdf", PDF_BYTES), "application/pdf", notice=notice)
    measure = warned(now, make_lead("judge"))  # a measure about the notice's sender (DSA Art. 23)
    organisation = _organisation(now)
    return {"notice": notice, "decision": Decision.objects.get(pk=removal.pk), "penalty": penalty,
            "evidence": evidence, "measure": measure, "right": registered(now),
            "organisation": organisation, "upload": checked_upload(now, organisation=organisation)}


def _organisation(now):
    """A verified organisation with a live API key and a webhook endpoint (issue 15)."""
    organisation = OrganisationFactory(now=now)
    ApiKeyFactory(organisation=organisation)
    add_endpoint(organisation, "https://hooks.brandguard.example/in", now)
    return organisation


WRONG = "w" * 43


def url_of(name: str, case: dict, token_ok: bool = True) -> str:
    """The URL of a named page for the objects of `case`; private links with their own token or a wrong one."""
    notice, decision, penalty, measure = case["notice"], case["decision"], case["penalty"], case["measure"]
    tracking = notice.tracking_token if token_ok else WRONG
    by_name = {
        "notice_filed": [notice.submission_key], "confirm": [notice.reference, notice.confirmation_token if token_ok
                                                                else WRONG],
        "track": [notice.reference, tracking], "track_state": [notice.reference, tracking],
        "withdraw": [notice.reference, tracking],
        "answer": [notice.reference, tracking], "resubmit": [notice.reference, tracking, decision.pk],
        "appeal_rejection": [notice.reference, tracking, decision.pk],
        "report_lawsuit": [notice.reference, tracking, 1], "listing_detail": ["L-100001"],
        "sell_seller": ["S-1"], "sell_edit": ["S-1", "L-100001"],
        "statement": [decision.pk, decision.seller_token if token_ok else WRONG],
        "appeal_removal": [decision.pk, decision.seller_token if token_ok else WRONG],
        "file_counter_notice": [decision.pk, decision.seller_token if token_ok else WRONG],
        "penalty_statement": [penalty.pk, penalty.seller_token if token_ok else WRONG],
        "appeal_penalty": [penalty.pk, penalty.seller_token if token_ok else WRONG],
        "review_notice": [notice.reference], "review_claim": [notice.reference], "review_release": [notice.reference],
        "review_decide": [notice.reference], "review_reassign": [notice.reference],
        "review_escalate": [notice.reference], "evidence_file": [case["evidence"].pk], "appeal_detail": [1],
        "appeal_decide": [1], "review_counter_notice": [1], "review_counter_notice_accept": [1],
        "review_counter_notice_incomplete": [1], "tdb_statement": [decision.pk], "tdb_penalty_statement": [penalty.pk],
        "transparency_report": ["2026-11"], "transparency_json": ["2026-11"], "transparency_csv": ["2026-11"],
        "transparency_template_csv": ["2026-11"],
        "tracking_notifier_appeal": [notice.reference, tracking, measure.pk],
        "notifier_measure": [measure.pk, measure.token if token_ok else WRONG],
        "notifier_measure_appeal": [measure.pk, measure.token if token_ok else WRONG],
        "notifier_proposal": [measure.proposal_id], "notifier_proposal_decide": [measure.proposal_id],
        "notifier_proposal_dismiss": [measure.proposal_id], "notifier_appeal": [1], "notifier_appeal_decide": [1],
        "review_screening_decide": [notice.reference], "screening_reference_image": [1],
        **_right_urls(case["right"], token_ok),
        **_organisation_urls(case["organisation"], token_ok),
        **_upload_urls(case["upload"], token_ok),
        "referral_archive": ["RF-0000-0000"],  # none built: a lead gets its 404, everyone else is refused first
    }
    namespace, short = name.split(":")
    # A route outside any namespace (":favicon") is reversed by its bare name.
    return reverse(name if namespace else short, args=by_name.get(short, []))


def _right_urls(right, token_ok: bool) -> dict[str, list]:
    tracking = right.tracking_token if token_ok else WRONG
    return {"right_filed": [right.submission_key],
            "right_confirm": [right.reference, right.confirmation_token if token_ok else WRONG],
            "right_track": [right.reference, tracking], "right_update": [right.reference, tracking],
            "right_withdraw": [right.reference, tracking], "review_right": [right.reference],
            "right_file": [right.reference, tracking, right.evidence.get().pk],
            "review_right_verify": [right.reference], "review_right_reject": [right.reference],
            "right_evidence_file": [right.evidence.get().pk]}


def _organisation_urls(organisation, token_ok: bool) -> dict[str, list]:
    page = [organisation.reference, organisation.tracking_token if token_ok else WRONG]
    key, endpoint = organisation.api_keys.get().pk, organisation.webhook_endpoints.get().pk
    return {"organisation_filed": [organisation.submission_key],
            "organisation_confirm": [organisation.reference, organisation.confirmation_token if token_ok else WRONG],
            "organisation_page": page, "organisation_key_create": page, "organisation_endpoint_add": page,
            "organisation_key_revoke": [*page, key], "organisation_key_rotate": [*page, key],
            "organisation_endpoint_rotate": [*page, endpoint], "organisation_endpoint_remove": [*page, endpoint],
            "organisation_endpoint_test": [*page, endpoint],
            **{name: [organisation.reference] for name in ("review_organisation", "review_organisation_verify",
                                                           "review_organisation_reject",
                                                           "review_organisation_suspend")}}


def _upload_urls(upload, token_ok: bool) -> dict[str, list]:
    """Issue 15: a checked CSV upload under its organisation's private link."""
    organisation = upload.organisation
    link = [organisation.reference, organisation.tracking_token if token_ok else WRONG]
    return {"upload_new": link, **{name: [*link, upload.public_id] for name in (
        "upload_page", "upload_progress", "upload_errors", "upload_file")}}


def _request(client, name: str, url: str):
    return client.post(url) if name.split(":")[1] in POSTS else client.get(url)


STAFF_RULES = [name for name, rule in ROUTES.items() if rule in (REVIEWER, LEAD)]


@pytest.mark.parametrize("name", STAFF_RULES)
def test_anonymous_visitors_of_a_staff_page_are_sent_to_the_login(client, case, name):
    url = url_of(name, case)
    response = _request(client, name, url)
    assert (response.status_code, response["Location"]) == (302, f"/review/login/?next={url}")


@pytest.mark.parametrize("name", STAFF_RULES)
def test_a_user_outside_the_reviewer_groups_is_refused_every_staff_page(client, case, name):
    client.force_login(get_user_model().objects.create_user("someone", password="pw", is_staff=True))
    assert _request(client, name, url_of(name, case)).status_code == 403


@pytest.mark.parametrize("name", [name for name, rule in ROUTES.items() if rule == LEAD])
def test_a_reviewer_who_is_not_a_lead_is_refused_every_lead_page(client, case, reviewers, name):
    client.force_login(reviewers["cr"].user)
    assert _request(client, name, url_of(name, case)).status_code == 403


def _let_in(response) -> bool:
    """In: whatever the page then says (404 for an id that does not exist, 400 for an empty form, a
    redirect after an action), but not refused and not sent to the login or its second step."""
    return response.status_code != 403 and not response.get("Location", "").startswith(("/review/login/",
                                                                                         "/review/account/"))


@pytest.mark.parametrize("name", [name for name, rule in ROUTES.items() if rule == REVIEWER and name not in CASE_PAGES])
def test_a_reviewer_is_let_in_to_every_reviewer_page(client, case, reviewers, name):
    client.force_login(reviewers["cr"].user)
    assert _let_in(_request(client, name, url_of(name, case)))


@pytest.mark.parametrize("name", sorted(CASE_PAGES))
def test_a_reviewer_without_the_notices_skill_is_refused_its_case(client, case, reviewers, name):
    client.force_login(reviewers["cr"].user)  # copyright only; the case is a trademark notice, tm's
    response = _request(client, name, url_of(name, case))
    assert response.status_code == 403
    assert "it opens for reviewers with that skill, the reviewer it is assigned to and leads" in \
        response.content.decode()


@pytest.mark.parametrize("name", sorted(CASE_PAGES))
def test_the_notices_reviewer_and_a_reviewer_with_its_skill_are_let_in_to_its_case(client, case, reviewers, name):
    client.force_login(reviewers["tm"].user)
    assert _let_in(_request(client, name, url_of(name, case)))
    client.force_login(make_reviewer("ola", ["trademark"]).user)
    assert _let_in(_request(client, name, url_of(name, case)))


@pytest.mark.parametrize("name", [name for name, rule in ROUTES.items() if rule == REVIEWER])
def test_a_lead_is_let_in_to_every_reviewer_page_whatever_the_skill(client, case, lead, name):
    log_in(client, lead)  # a lead without any skill
    assert _let_in(_request(client, name, url_of(name, case)))


@pytest.mark.parametrize("name", [name for name, rule in ROUTES.items() if rule == ACCOUNT])
def test_anonymous_visitors_of_a_log_in_step_are_sent_to_the_login(client, case, name):
    url = url_of(name, case)
    response = _request(client, name, url)
    assert (response.status_code, response["Location"]) == (302, f"/review/login/?next={url}")


@pytest.mark.parametrize("name", [name for name, rule in ROUTES.items() if rule == ACCOUNT])
def test_a_log_in_step_opens_for_whoever_is_logged_in(client, case, name):
    client.force_login(get_user_model().objects.create_user("someone", password="pw"))
    response = _request(client, name, url_of(name, case))
    assert response.status_code in (200, 302) and "/review/login/?" not in response.get("Location", "")


@pytest.mark.parametrize("name", [name for name, rule in ROUTES.items() if rule == LEAD])
def test_a_lead_is_let_in_to_every_lead_page(client, case, lead, name):
    log_in(client, lead)
    assert _let_in(_request(client, name, url_of(name, case)))


@pytest.mark.parametrize("name", [name for name, rule in ROUTES.items() if rule == TOKEN])
def test_a_private_link_with_a_wrong_token_is_not_found(client, case, name):
    response = _request(client, name, url_of(name, case, token_ok=False))
    assert response.status_code == 404


@pytest.mark.parametrize("name", [name for name, rule in ROUTES.items() if rule == TOKEN])
def test_a_private_link_with_its_own_token_opens_for_anybody(client, case, name):
    response = _request(client, name, url_of(name, case))
    # Not refused and not a login: the page, a redirect after an action, or the form's own 400;
    # the lawsuit URL names counter-notice 1, which does not exist (404) — its link is right.
    expected_404 = name == "takedowns:report_lawsuit"
    assert response.status_code == 404 if expected_404 else response.status_code in (200, 302, 400)
    assert "/review/login/" not in response.get("Location", "")


@pytest.mark.parametrize("name", [name for name, rule in ROUTES.items() if rule == PUBLIC])
def test_a_public_page_opens_for_anybody(client, case, name):
    response = _request(client, name, url_of(name, case))
    assert response.status_code in (200, 302)
    assert "/review/login/" not in response.get("Location", "") or name == "takedowns:review_logout"


def test_the_admin_site_asks_anonymous_visitors_to_log_in_on_the_sites_one_login_page(client):
    response = client.get("/admin/")
    assert (response.status_code, response["Location"]) == (302, "/admin/login/?next=/admin/")
    response = client.get(response["Location"])
    assert (response.status_code, response["Location"]) == (302, "/review/login/?next=/admin/")


@pytest.mark.parametrize("page", ["/admin/", "/admin/takedowns/notice/", "/admin/takedowns/outboundemail/",
                                  "/admin/auth/user/"])
def test_the_admin_site_refuses_reviewers_and_users_outside_the_groups(client, reviewers, page):
    staff = get_user_model().objects.create_user("someone", password="pw", is_staff=True)
    for user in (reviewers["cr"].user, staff):
        user.is_staff = True  # what the demo loader used to give every reviewer
        user.save()
        client.force_login(user)
        response = client.get(page)
        assert response.status_code == 403
        assert "The admin is for leads; reviewers work in the review area." in response.content.decode()


def test_the_admin_site_opens_for_a_lead(client, lead):
    log_in(client, lead)
    response = client.get("/admin/")
    assert response.status_code == 200 and "Takedown Portal · leads" in response.content.decode()

