"""The organisation's private page (issue 15, point 1): its link, API keys shown once and stored hashed,
revoking and rotating them (what api_keys.find then answers), webhook endpoints with their secret shown once, the
test event, the deliveries and the notices it filed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from takedowns import api_keys
from takedowns.enums import OrganisationEventKind, OrganisationStatus
from takedowns.models import ApiKey, Notice, OrganisationEvent, WebhookDelivery, WebhookEndpoint, WebhookEvent
from takedowns.selectors import organisations as selectors
from takedowns.workflow import TransitionNotAllowed
from takedowns.workflow import organisations as workflow
from tests.factories import ApiKeyFactory, OrganisationFactory, file_notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def organisation():
    return OrganisationFactory()


def _page(organisation) -> str:
    return organisation.tracking_path()


def _events(organisation) -> list[str]:
    return list(OrganisationEvent.objects.filter(organisation=organisation).values_list("kind", flat=True))


def test_a_wrong_token_or_an_unknown_reference_is_a_404(client, organisation):
    assert client.get(_page(organisation)).status_code == 200
    assert client.get(f"/organisations/{organisation.reference}/{'x' * 43}/").status_code == 404
    assert client.get(f"/organisations/O-NOPE00/{organisation.tracking_token}/").status_code == 404
    assert client.get(f"/organisations/{organisation.reference}/{organisation.confirmation_token}/").status_code \
        == 404
    assert client.post(f"/organisations/{organisation.reference}/{'x' * 43}/keys/new/",
                       {"name": "p", "scopes": ["file"]}).status_code == 404
    assert not ApiKey.objects.exists()


def test_a_key_is_shown_once_stored_hashed_and_works(client, organisation):
    response = client.post(f"{_page(organisation)}keys/new/", {"name": "production", "scopes": ["file", "read"]})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    key = response.context["shown"]["value"]
    row = ApiKey.objects.get()
    assert (row.organisation, row.name, row.scopes, row.prefix, row.revoked_at, row.expires_at) == (
        organisation, "production", ["file", "read"], key[:12], None, None)
    assert row.key_hash == api_keys.hash_key(key) and key not in row.key_hash
    body = response.content.decode()
    assert f'value="{key}"' in body and "it is shown only this once" in body and "js/copy-secret.js" in body
    assert api_keys.find(key, timezone.now()) == row
    # Never again: the page afterwards names the key by its prefix only.
    again = client.get(_page(organisation)).content.decode()
    assert key not in again and f"<code>{row.prefix}…</code>" in again
    event = OrganisationEvent.objects.get()
    assert (event.kind, event.details) == (OrganisationEventKind.KEY_CREATED,
                                           {"prefix": row.prefix, "name": "production", "scopes": ["file", "read"]})
    assert key not in str(event.details)


def test_a_key_needs_a_name_and_a_scope_and_keeps_what_was_typed(client, organisation):
    response = client.post(f"{_page(organisation)}keys/new/", {"name": "monitoring tool"})
    assert response.status_code == 400 and not ApiKey.objects.exists()
    assert response.context["key_form"].errors["scopes"] == [
        "Tick at least one: file notices, read notices, or both."]
    assert 'value="monitoring tool"' in response.content.decode()
    read_only = client.post(f"{_page(organisation)}keys/new/", {"name": "reader", "scopes": ["read"]})
    assert read_only.status_code == 200 and ApiKey.objects.get().scopes == ["read"]


def test_revoking_stops_a_key_at_once(client, organisation, now):
    row, key = ApiKeyFactory.with_key(organisation=organisation)
    response = client.post(f"{_page(organisation)}keys/{row.pk}/revoke/")
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.revoked_at is not None and api_keys.find(key, now) is None
    assert _events(organisation) == [OrganisationEventKind.KEY_REVOKED]
    again = client.post(f"{_page(organisation)}keys/{row.pk}/revoke/", follow=True)
    assert "is revoked already" in again.content.decode() and _events(organisation) == [
        OrganisationEventKind.KEY_REVOKED]


def test_rotating_shows_the_new_key_once_and_the_old_one_works_24_hours(client, organisation, now):
    old, old_key = ApiKeyFactory.with_key(organisation=organisation, name="production", scopes=["file"])
    response = client.post(f"{_page(organisation)}keys/{old.pk}/rotate/")
    assert response.status_code == 200
    new_key = response.context["shown"]["value"]
    body = response.content.decode()
    assert f'value="{new_key}"' in body and "The key it replaces keeps working for 24 hours" in body
    old.refresh_from_db()
    new = ApiKey.objects.get(prefix=new_key[:12])
    assert (new.name, new.scopes, new.expires_at, old.replaced_by) == ("production", ["file"], None, new)
    assert old.expires_at is not None and old.revoked_at is None
    moment = timezone.now()
    assert api_keys.find(old_key, moment + timedelta(hours=23)) == old
    assert api_keys.find(old_key, old.expires_at) is None and api_keys.find(new_key, old.expires_at) == new
    assert new_key not in client.get(_page(organisation)).content.decode()
    assert _events(organisation) == [OrganisationEventKind.KEY_ROTATED]
    with pytest.raises(TransitionNotAllowed, match="was rotated already"):
        workflow.rotate_key(old, moment)


def test_another_organisations_key_is_not_found_on_this_page(client, organisation, now):
    other = OrganisationFactory(domain="other.example")
    row, key = ApiKeyFactory.with_key(organisation=other)
    assert client.post(f"{_page(organisation)}keys/{row.pk}/revoke/").status_code == 404
    assert client.post(f"{_page(organisation)}keys/{row.pk}/rotate/").status_code == 404
    assert api_keys.find(key, now) == row


def test_an_unconfirmed_organisation_makes_no_key(client):
    organisation = OrganisationFactory(status=OrganisationStatus.UNCONFIRMED)
    response = client.post(f"{_page(organisation)}keys/new/", {"name": "p", "scopes": ["file"]}, follow=True)
    assert "can no longer be changed" in response.content.decode() and not ApiKey.objects.exists()
    assert 'id="key-form"' not in client.get(_page(organisation)).content.decode()


def test_an_endpoint_secret_is_shown_once(client, organisation):
    response = client.post(f"{_page(organisation)}webhooks/new/", {"url": "https://hooks.brandguard.example/in"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    secret = response.context["shown"]["value"]
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.organisation, endpoint.url, endpoint.secret, endpoint.is_active) == (
        organisation, "https://hooks.brandguard.example/in", secret, True)
    assert f'value="{secret}"' in response.content.decode()
    assert secret not in client.get(_page(organisation)).content.decode()
    assert OrganisationEvent.objects.get().details == {"url": "https://hooks.brandguard.example/in"}


@pytest.mark.parametrize("url, debug, error", [
    ("http://hooks.brandguard.example/in", False, "Use an https:// address"),
    ("http://hooks.brandguard.example/in", True, "Use an https:// address"),
    ("http://127.0.0.1:9000/in", False, "Use an https:// address"),
    ("https://10.0.0.5/in", False, "10.0.0.5 is not a public address"),
    ("https://localhost/in", False, "localhost is not a public address"),
    ("https://user:pw@hooks.brandguard.example/in", False, "Leave the user name and password out"),
    ("ftp://hooks.brandguard.example/in", False, "Give the full https:// address"),
])
def test_an_endpoint_must_be_https_to_a_public_host(client, organisation, settings, url, debug, error):
    settings.DEBUG = debug
    response = client.post(f"{_page(organisation)}webhooks/new/", {"url": url})
    assert response.status_code == 400 and not WebhookEndpoint.objects.exists()
    assert any(error in message for message in response.context["endpoint_form"].errors["url"])
    assert url.replace("&", "&amp;") in response.content.decode()


def test_the_demo_may_use_plain_http_to_this_machine(client, organisation, settings):
    settings.DEBUG = True
    for url in ("http://127.0.0.1:9000/in", "http://localhost:9000/in"):
        assert client.post(f"{_page(organisation)}webhooks/new/", {"url": url}).status_code == 200
    assert WebhookEndpoint.objects.count() == 2


def test_rotating_a_secret_keeps_the_previous_one_a_day(client, organisation, now):
    endpoint, first = workflow.add_endpoint(organisation, "https://hooks.brandguard.example/in", now)
    response = client.post(f"{_page(organisation)}webhooks/{endpoint.pk}/rotate/")
    assert response.status_code == 200
    second = response.context["shown"]["value"]
    endpoint.refresh_from_db()
    assert (endpoint.secret, endpoint.previous_secret) == (second, first) and second != first
    assert timedelta(hours=23) < endpoint.previous_secret_expires_at - timezone.now() <= timedelta(hours=24)
    assert "deliveries are signed with the previous secret too" in response.content.decode()
    assert second not in client.get(_page(organisation)).content.decode()
    assert _events(organisation)[-1] == OrganisationEventKind.ENDPOINT_SECRET_ROTATED


def test_removing_an_endpoint_stops_it_and_forgets_its_secrets(client, organisation, now):
    endpoint, _secret = workflow.add_endpoint(organisation, "https://hooks.brandguard.example/in", now)
    assert client.post(f"{_page(organisation)}webhooks/{endpoint.pk}/remove/").status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.is_active, endpoint.removed_at is not None, endpoint.previous_secret) == (False, True, "")
    assert 'id="endpoint-list"' in client.get(_page(organisation)).content.decode()
    assert endpoint.url not in client.get(_page(organisation)).context["page"].endpoints
    assert client.post(f"{_page(organisation)}webhooks/{endpoint.pk}/remove/").status_code == 404
    assert _events(organisation)[-1] == OrganisationEventKind.ENDPOINT_REMOVED


def test_a_test_event_is_queued_for_the_endpoint_and_listed(client, organisation, now):
    endpoint, _secret = workflow.add_endpoint(organisation, "https://hooks.brandguard.example/in", now)
    response = client.post(f"{_page(organisation)}webhooks/{endpoint.pk}/test/")
    assert response.status_code == 302 and response["Location"].endswith("#deliveries")
    event = WebhookEvent.objects.get()
    delivery = WebhookDelivery.objects.get()
    assert (event.organisation, event.kind, delivery.event, delivery.endpoint) == (organisation, "ping", event,
                                                                                  endpoint)
    page = client.get(_page(organisation))
    assert page.context["page"].deliveries == [delivery]
    assert str(event.event_id) in page.content.decode()


def test_the_page_lists_the_organisations_notices_page_by_page(client, organisation, monkeypatch):
    monkeypatch.setattr(selectors, "NOTICES", selectors.Keyset(("-id",), size=2))
    at = timezone.now()
    notices = [file_notice(at, submitter_email="jonas@brandguard.example") for _ in range(3)]
    Notice.objects.filter(pk__in=[notice.pk for notice in notices]).update(organisation=organisation)
    file_notice(at)  # not the organisation's
    OrganisationFactory(domain="other.example")
    first = client.get(_page(organisation))
    rows = first.context["page"].notices.rows
    assert [row.reference for row in rows] == [notices[2].reference, notices[1].reference]
    assert [row.listings for row in rows] == [1, 1]
    body = first.content.decode()
    assert f'href="{notices[2].tracking_path()}"' in body and 'id="next-notices"' in body
    second = client.get(f"{_page(organisation)}?after={first.context['page'].notices.next_cursor}")
    assert [row.reference for row in second.context["page"].notices.rows] == [notices[0].reference]
    assert client.get(f"{_page(organisation)}?after=garbage").status_code == 200


def test_the_page_links_the_api_docs_and_the_csv_upload(client, organisation):
    body = client.get(_page(organisation)).content.decode()
    assert 'href="/api/v1/docs"' in body and f'href="{_page(organisation)}uploads/new/"' in body
    assert "Authorization: Bearer &lt;key&gt;" in body


def test_state_changes_are_posts_only(client, organisation, now):
    row, _key = ApiKeyFactory.with_key(organisation=organisation)
    for path in ("keys/new/", f"keys/{row.pk}/revoke/", f"keys/{row.pk}/rotate/", "webhooks/new/"):
        assert client.get(f"{_page(organisation)}{path}").status_code == 405
    row.refresh_from_db()
    assert row.revoked_at is None and row.expires_at is None


def test_making_keys_is_rate_limited_with_what_was_typed_kept(client, organisation, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "organisation": {"address": "100/h", "email": "2/h"}}
    for name in ("one", "two"):
        assert client.post(f"{_page(organisation)}keys/new/", {"name": name, "scopes": ["read"]}).status_code == 200
    refused = client.post(f"{_page(organisation)}keys/new/", {"name": "three", "scopes": ["read"]})
    assert refused.status_code == 429 and refused["Retry-After"]
    body = refused.content.decode()
    assert 'value="three"' in body and "for this e-mail address" in body
    assert sorted(ApiKey.objects.values_list("name", flat=True)) == ["one", "two"]
