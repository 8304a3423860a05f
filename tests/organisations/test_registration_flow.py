"""Registering an organisation without an account: the form, the confirmation link sent to an address at its
domain, the lead's verification, rejection and suspension, expiry, and every row, event and e-mail on the way
(issue 15, point 1)."""

import re
import uuid
from datetime import timedelta

import pytest
from django.core import mail

from takedowns import api_keys, tasks
from takedowns.enums import OrganisationEventKind, OrganisationStatus
from takedowns.models import Organisation, OrganisationEvent, OutboundEmail
from takedowns.workflow import TransitionNotAllowed
from takedowns.workflow import organisations as workflow
from tests.factories import ApiKeyFactory, OrganisationFactory, log_in, make_reviewer, organisation_post

pytestmark = pytest.mark.django_db
URL = "/organisations/register/"


def _link(body: str, path: str) -> str:
    """The site-relative link in an e-mail that starts with `path`."""
    found = re.search(r"https://portal\.test(" + re.escape(path) + r"[^\s<\"]*)", body)
    assert found, body
    return found.group(1)


def _registered(now, **overrides) -> Organisation:
    fields = {"name": "BrandGuard Services", "domain": "brandguard.example", "contact_name": "Jonas Weber",
              "contact_email": "jonas@brandguard.example", "country": "DE", "role": "agent", "language": "en"}
    fields.update(overrides)
    return workflow.register(fields, uuid.uuid4(), now)[0]


def _events(organisation: Organisation) -> list[tuple[str, str]]:
    return list(OrganisationEvent.objects.filter(organisation=organisation).values_list("kind", "actor_kind"))


def test_the_home_page_and_the_notice_form_link_to_the_registration(client):
    assert f'href="{URL}"' in client.get("/").content.decode()
    assert f'href="{URL}"' in client.get("/notices/new/").content.decode()


def test_an_organisation_is_registered_confirmed_at_its_domain_and_verified_by_a_lead(
        client, lead, django_capture_on_commit_callbacks):
    key = uuid.uuid4()
    page = client.get(URL)
    assert page.status_code == 200 and 'name="contact_email"' in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, organisation_post(key, domain="@BrandGuard.Example",
                                                      contact_email="legal@eu.brandguard.example"))
    assert response.status_code == 302 and response["Location"] == f"/organisations/registered/{key}/"

    organisation = Organisation.objects.get()
    assert (organisation.status, organisation.submission_key, organisation.name, organisation.domain,
            organisation.contact_name, organisation.contact_email, organisation.country.code, organisation.role,
            organisation.language) == (
        OrganisationStatus.UNCONFIRMED, key, "BrandGuard Services", "brandguard.example", "Jonas Weber",
        "legal@eu.brandguard.example", "DE", "agent", "en")
    assert re.fullmatch(r"O-[0-9A-HJKMNP-TV-Z]{6}", organisation.reference)
    assert organisation.expires_at == organisation.created_at + timedelta(days=7)
    assert len(organisation.tracking_token) >= 40 and organisation.tracking_token != organisation.confirmation_token
    assert _events(organisation) == [(OrganisationEventKind.REGISTERED, "submitter")]
    confirmation = OutboundEmail.objects.get()
    assert (confirmation.kind, confirmation.to, confirmation.organisation, confirmation.notice, confirmation.subject) \
        == ("organisation_confirm", "legal@eu.brandguard.example", organisation, None,
            f"Confirm your organisation {organisation.reference}")
    assert [message.to for message in mail.outbox] == [["legal@eu.brandguard.example"]]
    assert "proves that you control it" in mail.outbox[0].body
    assert organisation.reference in client.get(response["Location"]).content.decode()

    # The link in the e-mail opens the confirmation page; a GET changes nothing, its button confirms.
    confirm_path = _link(mail.outbox[0].body, f"/organisations/{organisation.reference}/confirm/")
    assert confirm_path == organisation.confirmation_path()
    assert 'id="confirm-organisation"' in client.get(confirm_path).content.decode()
    organisation.refresh_from_db()
    assert organisation.status == OrganisationStatus.UNCONFIRMED
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(confirm_path)
    assert confirmed.status_code == 302 and confirmed["Location"] == organisation.tracking_path()
    organisation.refresh_from_db()
    assert organisation.status == OrganisationStatus.PENDING and organisation.confirmed_at is not None
    assert sorted((message.to[0], message.subject) for message in mail.outbox) == [
        ("lead@portal.test", f"Organisation {organisation.reference} waits for verification"),
        ("legal@eu.brandguard.example", f"Organisation {organisation.reference} is confirmed")]
    assert OutboundEmail.objects.get(kind="organisation_received").organisation == organisation
    assert OutboundEmail.objects.get(kind="organisation_to_verify").organisation is None  # staff mail

    log_in(client, lead)
    listing = client.get("/review/organisations/").content.decode()
    assert f'data-organisation="{organisation.reference}"' in listing and organisation.tracking_token not in listing
    detail = client.get(f"/review/organisations/{organisation.reference}/").content.decode()
    assert "brandguard.example" in detail and organisation.tracking_token not in detail
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        verified = client.post(f"/review/organisations/{organisation.reference}/verify/")
    assert verified.status_code == 302 and verified["Location"] == "/review/organisations/"
    organisation.refresh_from_db()
    assert (organisation.status, organisation.verified_by, organisation.verified_at is not None) == (
        OrganisationStatus.VERIFIED, lead.user, True)
    assert [(message.to, message.subject) for message in mail.outbox] == [
        (["legal@eu.brandguard.example"], f"Organisation {organisation.reference} is verified")]
    assert "received at once, without a confirmation e-mail" in mail.outbox[0].body
    assert _events(organisation) == [(OrganisationEventKind.REGISTERED, "submitter"),
                                     (OrganisationEventKind.CONFIRMED, "submitter"),
                                     (OrganisationEventKind.VERIFIED, "reviewer")]
    assert OrganisationEvent.objects.get(kind=OrganisationEventKind.VERIFIED).actor_user == lead.user

    client.logout()
    page = client.get(_link(mail.outbox[0].body, f"/organisations/{organisation.reference}/"))
    assert page.status_code == 200 and 'id="verified"' in page.content.decode()
    assert [email.kind for email in page.context["page"].emails] == [
        "organisation_confirm", "organisation_received", "organisation_verified"]


def test_a_double_click_registers_once(client):
    key = uuid.uuid4()
    first = client.post(URL, organisation_post(key))
    second = client.post(URL, organisation_post(key))
    assert first["Location"] == second["Location"] == f"/organisations/registered/{key}/"
    assert Organisation.objects.count() == 1 and OutboundEmail.objects.count() == 1


@pytest.mark.parametrize("overrides, field, words", [
    ({"contact_email": "jonas@gmail.com"}, "contact_email", "jonas@gmail.com is not at brandguard.example"),
    ({"contact_email": "jonas@notbrandguard.example"}, "contact_email", "is not at brandguard.example"),
    ({"domain": "gmail.com", "contact_email": "x@gmail.com"}, "domain", "gmail.com is a free e-mail service"),
    ({"domain": "https://brandguard.example/"}, "domain", "not a web address"),
    ({"domain": "localhost"}, "domain", "is not a domain name"),
    ({"name": ""}, "name", "This field is required."),
])
def test_bad_input_is_named_on_its_field_and_everything_typed_is_kept(client, overrides, field, words):
    data = organisation_post(**overrides)
    response = client.post(URL, data)
    assert response.status_code == 400 and not Organisation.objects.exists() and not OutboundEmail.objects.exists()
    form = response.context["form"]
    assert any(words in error for error in form.errors[field]), form.errors
    body = response.content.decode()
    assert f'value="{data["contact_name"]}"' in body and data["submission_key"] in body


def test_the_registration_form_is_rate_limited_with_everything_typed_kept(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "organisation": {"address": "2/h", "email": "10/h"}}
    for _ in range(2):
        client.post(URL, organisation_post(contact_email="bad"))
    refused = client.post(URL, organisation_post(contact_name="Jonas Kept"))
    assert refused.status_code == 429 and refused["Retry-After"]
    assert 'value="Jonas Kept"' in refused.content.decode() and not Organisation.objects.exists()


def test_a_confirmation_address_holding_too_many_unconfirmed_registrations_gets_no_more(now, settings):
    settings.RATE_LIMIT_PENDING_CONFIRMATIONS = 2
    _registered(now)
    _registered(now)
    with pytest.raises(workflow.RegistrationsWaiting, match="2 registrations made with jonas@brandguard.example"):
        _registered(now)
    assert Organisation.objects.count() == 2 and OutboundEmail.objects.count() == 2


def test_confirming_twice_is_harmless_and_too_late_expires(now, lead):
    organisation = _registered(now)
    workflow.confirm(organisation, now)
    assert workflow.confirm(organisation, now).status == OrganisationStatus.PENDING
    assert OutboundEmail.objects.filter(kind="organisation_received").count() == 1
    late = _registered(now, contact_email="other@brandguard.example")
    with pytest.raises(TransitionNotAllowed, match="expired because it was not confirmed in time"):
        workflow.confirm(late, late.expires_at)
    late.refresh_from_db()
    assert late.status == OrganisationStatus.EXPIRED
    assert list(late.emails.values_list("kind", flat=True)) == ["organisation_confirm", "organisation_expired"]


def test_unconfirmed_registrations_expire_by_the_beat(now, django_capture_on_commit_callbacks):
    organisation = _registered(now)
    assert workflow.expire_unconfirmed(now) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert workflow.expire_unconfirmed(organisation.expires_at) == 1
    organisation.refresh_from_db()
    assert organisation.status == OrganisationStatus.EXPIRED
    assert _events(organisation) == [(OrganisationEventKind.REGISTERED, "submitter"),
                                     (OrganisationEventKind.EXPIRED, "system")]
    expired = organisation.emails.get(kind="organisation_expired")
    assert (expired.to, expired.subject) == ("jonas@brandguard.example",
                                             f"Organisation {organisation.reference} expired")
    assert tasks.expire_unconfirmed_organisations() == 0  # the beat's task: nothing more is due


def test_a_second_verified_organisation_of_a_domain_is_refused_naming_the_first(now, lead):
    first = OrganisationFactory(name="BrandGuard Services")
    second = OrganisationFactory(name="Brand Guard Imposters", status=OrganisationStatus.PENDING)
    with pytest.raises(TransitionNotAllowed) as refused:
        workflow.verify(second, lead.user, now)
    assert str(refused.value) == (
        f"The domain brandguard.example is verified already for BrandGuard Services ({first.reference}): one verified "
        "organisation per domain. Reject this registration, or suspend the other first.")
    second.refresh_from_db()
    assert second.status == OrganisationStatus.PENDING and second.verified_by is None
    assert not OrganisationEvent.objects.filter(organisation=second).exists() and not OutboundEmail.objects.exists()


def test_the_lead_page_shows_the_refusal_with_the_other_registration(client, lead):
    first = OrganisationFactory()
    second = OrganisationFactory(status=OrganisationStatus.PENDING, name="Second")
    log_in(client, lead)
    page = client.post(f"/review/organisations/{second.reference}/verify/")
    body = page.content.decode()
    assert page.status_code == 409 and f"({first.reference})" in body and 'id="same-domain"' in body


def test_a_lead_rejects_with_reasons_and_the_keys_stop_working(client, now, lead, django_capture_on_commit_callbacks):
    organisation = OrganisationFactory(status=OrganisationStatus.PENDING)
    row, key = ApiKeyFactory.with_key(organisation=organisation)
    assert api_keys.find(key, now) == row
    log_in(client, lead)
    short = client.post(f"/review/organisations/{organisation.reference}/reject/", {"reject-reasons": "no"})
    assert short.status_code == 400 and "at least 10 characters" in short.content.decode()
    reasons = "The domain belongs to another company; we could not reach you by phone."
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/review/organisations/{organisation.reference}/reject/", {"reject-reasons": reasons})
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert (organisation.status, organisation.rejection_reason) == (OrganisationStatus.REJECTED, reasons)
    event = OrganisationEvent.objects.get(organisation=organisation)
    assert (event.kind, event.actor_user, event.details) == (
        OrganisationEventKind.REJECTED, lead.user, {"from": "pending", "to": "rejected", "reasons": reasons})
    assert [(message.to, message.subject) for message in mail.outbox] == [
        (["jonas@brandguard.example"], f"Organisation {organisation.reference} was not verified")]
    assert reasons in mail.outbox[0].body
    assert api_keys.find(key, now) is None


def test_a_lead_suspends_a_verified_organisation_its_keys_and_endpoints_stop(
        client, now, lead, django_capture_on_commit_callbacks):
    organisation = OrganisationFactory()
    _row, key = ApiKeyFactory.with_key(organisation=organisation)
    endpoint, _secret = workflow.add_endpoint(organisation, "https://hooks.brandguard.example/in", now)
    reasons = "Notices of this organisation were found to be false claims against competitors."
    log_in(client, lead)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/review/organisations/{organisation.reference}/suspend/",
                               {"suspend-reasons": reasons})
    assert response.status_code == 302
    organisation.refresh_from_db()
    endpoint.refresh_from_db()
    assert (organisation.status, organisation.rejection_reason, endpoint.is_active) == (
        OrganisationStatus.SUSPENDED, reasons, False)
    assert api_keys.find(key, now) is None
    assert [(message.to, message.subject) for message in mail.outbox] == [
        (["jonas@brandguard.example"], f"Organisation {organisation.reference} is suspended")]
    assert "Its API keys stopped working" in mail.outbox[0].body
    assert OrganisationEvent.objects.filter(organisation=organisation).latest("id").kind == \
        OrganisationEventKind.SUSPENDED
    # Final: nothing more for it, neither verifying again nor a new key.
    with pytest.raises(TransitionNotAllowed, match="cannot become"):
        workflow.verify(organisation, lead.user, now)
    with pytest.raises(TransitionNotAllowed, match="can no longer be changed"):
        workflow.create_key(organisation, "again", ["file"], now)


@pytest.mark.parametrize("status, step", [
    (OrganisationStatus.UNCONFIRMED, "verify"), (OrganisationStatus.VERIFIED, "reject"),
    (OrganisationStatus.PENDING, "suspend"), (OrganisationStatus.REJECTED, "verify"),
    (OrganisationStatus.EXPIRED, "verify")])
def test_forbidden_transitions_are_refused_and_change_nothing(now, lead, status, step):
    organisation = OrganisationFactory(status=status)
    with pytest.raises(TransitionNotAllowed, match="cannot become"):
        if step == "verify":
            workflow.verify(organisation, lead.user, now)
        else:
            getattr(workflow, step)(organisation, lead.user, "Reasons enough for the test.", now)
    organisation.refresh_from_db()
    assert organisation.status == status
    assert not OrganisationEvent.objects.exists() and not OutboundEmail.objects.exists()


def test_the_review_pages_are_for_leads_only(client, lead):
    organisation = OrganisationFactory(status=OrganisationStatus.PENDING)
    urls = ["/review/organisations/", f"/review/organisations/{organisation.reference}/"]
    for url in urls:
        assert client.get(url).status_code == 302  # to the log-in
    log_in(client, make_reviewer("tm2", ["trademark"]))
    for url in urls:
        assert client.get(url).status_code == 403
    assert client.post(f"/review/organisations/{organisation.reference}/verify/").status_code == 403
    organisation.refresh_from_db()
    assert organisation.status == OrganisationStatus.PENDING


def test_the_leads_list_shows_pending_first_oldest_first(client, now, lead):
    older = OrganisationFactory(status=OrganisationStatus.PENDING, domain="a.example", confirmed_at=now - timedelta(1))
    newer = OrganisationFactory(status=OrganisationStatus.PENDING, domain="b.example", confirmed_at=now)
    verified = OrganisationFactory(domain="c.example")
    log_in(client, lead)
    response = client.get("/review/organisations/")
    assert [row.reference for row in response.context["pending"].rows] == [older.reference, newer.reference]
    assert [row.reference for row in response.context["others"].rows] == [verified.reference]
    body = response.content.decode()
    assert body.index(older.reference) < body.index(newer.reference) < body.index(verified.reference)
