"""Registering a right without an account: the form, the confirmation link in the e-mail, the lead's
verification, and every row, event and e-mail on the way (issue 14, item 1)."""

import re
import uuid
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail

from takedowns import tasks
from takedowns.enums import EvidenceKind, RightEventKind, RightStatus
from takedowns.models import Evidence, OutboundEmail, ProtectedTerm, Right, RightEvent
from takedowns.selectors import protection
from takedowns.workflow import registry
from tests.factories import JPEG_BYTES, PDF_BYTES, PNG_BYTES, log_in, registered, registration_post, upload

pytestmark = pytest.mark.django_db
URL = "/rights/register/"


def _link(body: str, path: str) -> str:
    """The site-relative link in an e-mail that starts with `path`."""
    found = re.search(r"https://portal\.test(" + re.escape(path) + r"[^\s<\"]*)", body)
    assert found, body
    return found.group(1)


def test_the_home_page_and_the_notice_form_link_to_the_registration(client):
    assert 'href="/rights/register/"' in client.get("/").content.decode()
    assert 'href="/rights/register/"' in client.get("/notices/new/").content.decode()


def test_a_right_is_registered_confirmed_by_its_link_and_verified_by_a_lead(
        client, catalogue, lead, django_capture_on_commit_callbacks):
    key = uuid.uuid4()
    page = client.get(URL)
    assert page.status_code == 200 and 'name="terms"' in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, registration_post(
            key, terms="Aerostride\nAero Stride\nAEROSTRIDE", authorised_sellers="s-1, S-2",
            registration_certificate=upload("certificate.pdf", PDF_BYTES),
            reference_images=[upload("front.png", PNG_BYTES), upload("side.jpg", JPEG_BYTES)]))
    assert response.status_code == 302 and response["Location"] == f"/rights/registered/{key}/"

    right = Right.objects.get()
    assert (right.status, right.submission_key, right.right_type, right.registration_number, right.office,
            right.owner_name, right.title, right.goods, right.classes, right.price_min, right.price_max,
            right.currency, right.registrant_email, right.registrant_role, right.language) == (
        RightStatus.UNCONFIRMED, key, "trademark", "018234567", "EUIPO", "Aerostride GmbH", "AEROSTRIDE", "Footwear",
        "25", Decimal("89.00"), Decimal("149.00"), "EUR", "anna@aerostride.example", "owner", "en")
    assert re.fullmatch(r"R-[0-9A-HJKMNP-TV-Z]{6}", right.reference)
    assert right.expires_at == right.created_at + timedelta(days=7)
    # "Aerostride" and "AEROSTRIDE" are one term once normalised.
    assert sorted(ProtectedTerm.objects.filter(right=right).values_list("term", "normalised")) == [
        ("Aero Stride", "aero stride"), ("Aerostride", "aerostride")]
    assert sorted(right.authorised_sellers.values_list("external_id", flat=True)) == ["S-1", "S-2"]
    assert sorted(Evidence.objects.filter(right=right).values_list("kind", "original_name", "content_type")) == [
        (EvidenceKind.REFERENCE_IMAGE, "front.png", "image/png"),
        (EvidenceKind.REFERENCE_IMAGE, "side.jpg", "image/jpeg"),
        (EvidenceKind.REGISTRATION_CERTIFICATE, "certificate.pdf", "application/pdf")]
    assert list(RightEvent.objects.filter(right=right).values_list("kind", "actor_kind")) == [
        (RightEventKind.REGISTERED, "submitter")]

    confirmation = OutboundEmail.objects.get()
    assert (confirmation.kind, confirmation.to, confirmation.right, confirmation.notice, confirmation.subject) == (
        "right_confirm", "anna@aerostride.example", right, None, f"Confirm your registration {right.reference}")
    assert [message.to for message in mail.outbox] == [["anna@aerostride.example"]]
    filed = client.get(response["Location"])
    assert right.reference in filed.content.decode()

    # The link in the e-mail opens the confirmation page; its button confirms.
    confirm_path = _link(mail.outbox[0].body, "/rights/confirm/")
    assert confirm_path == right.confirmation_path()
    assert 'id="confirm-right"' in client.get(confirm_path).content.decode()
    right.refresh_from_db()
    assert right.status == RightStatus.UNCONFIRMED  # a GET changes nothing
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(confirm_path)
    assert confirmed.status_code == 302 and confirmed["Location"] == right.tracking_path()
    right.refresh_from_db()
    assert right.status == RightStatus.PENDING and right.confirmed_at is not None
    assert sorted((message.to[0], message.subject) for message in mail.outbox) == [
        ("anna@aerostride.example", f"Registration {right.reference} received"),
        ("lead@portal.test", f"Registration {right.reference} waits for verification")]
    received = OutboundEmail.objects.get(kind="right_received")
    assert received.right == right
    assert OutboundEmail.objects.get(kind="right_to_verify").right is None  # staff mail: not on the private page

    # The lead's list and page, then the verification.
    log_in(client, lead)
    listing = client.get("/review/rights/").content.decode()
    assert f'data-right="{right.reference}"' in listing
    detail = client.get(f"/review/rights/{right.reference}/").content.decode()
    assert "certificate.pdf" in detail and "front.png" in detail and right.tracking_token not in detail
    mail.outbox.clear()
    with mock.patch("takedowns.screening.protection.right_verified") as right_verified, \
            django_capture_on_commit_callbacks(execute=True):
        verified = client.post(f"/review/rights/{right.reference}/verify/")
    assert verified.status_code == 302 and verified["Location"] == "/review/rights/"
    right.refresh_from_db()
    assert (right.status, right.verified_by, right.verified_at is not None) == (RightStatus.VERIFIED, lead.user, True)
    assert right_verified.call_count == 1 and right_verified.call_args.args[0] == right
    assert [message.subject for message in mail.outbox] == [
        f"Registration {right.reference} verified: your right is protected"]
    notice_link = _link(mail.outbox[0].body, "/notices/new/")
    assert notice_link == f"/notices/new/?right={right.reference}&key={right.tracking_token}"
    assert list(RightEvent.objects.filter(right=right).values_list("kind", flat=True)) == [
        RightEventKind.REGISTERED, RightEventKind.CONFIRMED, RightEventKind.VERIFIED]
    assert RightEvent.objects.get(kind=RightEventKind.VERIFIED).actor_user == lead.user

    # The link in the e-mail opens the private page, which shows every e-mail sent to the registrant.
    client.logout()
    page = client.get(_link(mail.outbox[0].body, f"/rights/{right.reference}/"))
    body = page.content.decode()
    assert page.status_code == 200 and 'id="right-status"' in body and "Verified: on the protection list" in body
    assert [email.kind for email in page.context["page"].emails] == ["right_confirm", "right_received",
                                                                     "right_verified"]


def test_unconfirmed_registrations_expire_by_the_beat(now, django_capture_on_commit_callbacks):
    right = registered(now)
    assert registry.expire_unconfirmed(now) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert registry.expire_unconfirmed(right.expires_at) == 1
    right.refresh_from_db()
    assert right.status == RightStatus.EXPIRED
    assert list(right.events.values_list("kind", "actor_kind")) == [
        (RightEventKind.REGISTERED, "submitter"), (RightEventKind.EXPIRED, "system")]
    assert list(right.emails.values_list("kind", "to")) == [("right_confirm", "anna@aerostride.example"),
                                                            ("right_expired", "anna@aerostride.example")]


def test_the_leads_list_shows_confirmed_registrations_oldest_first_page_by_page(client, now, lead, monkeypatch):
    rights = []
    for number in range(3):
        right = registered(now, registration_number=f"00{number}")
        rights.append(registry.confirm(right, now + timedelta(minutes=10 - number)))
    registered(now, registration_number="unconfirmed")  # not confirmed: not listed
    monkeypatch.setattr("takedowns.selectors.protection.PENDING_RIGHTS",
                        protection.Keyset(("confirmed_at", "id"), size=2))
    log_in(client, lead)
    first = client.get("/review/rights/").context["page"]
    assert [right.reference for right in first.rows] == [rights[2].reference, rights[1].reference]
    second = client.get("/review/rights/", {"after": first.next_cursor}).context["page"]
    assert [right.reference for right in second.rows] == [rights[0].reference] and second.next_cursor is None


def test_the_beat_task_expires_unconfirmed_registrations(now):
    right = registered(now - timedelta(days=8))
    assert tasks.expire_unconfirmed_rights() == 1
    right.refresh_from_db()
    assert right.status == RightStatus.EXPIRED
    beat = settings.CELERY_BEAT_SCHEDULE["expire-unconfirmed-rights"]
    assert beat["task"] == "takedowns.tasks.expire_unconfirmed_rights"


def test_a_second_confirmation_is_harmless_and_a_rejected_registration_shows_its_reasons(client, now, lead):
    right = registry.confirm(registered(now), now)
    assert client.get(right.confirmation_path())["Location"] == right.tracking_path()
    assert registry.confirm(right, now).status == RightStatus.PENDING
    registry.reject(right, lead.user, "The certificate is unreadable.", now)
    body = client.get(right.tracking_path()).content.decode()
    assert 'id="rejection"' in body and "The certificate is unreadable." in body
    assert 'id="file-under-right"' not in body and 'id="protection"' not in body


def test_the_form_proposes_the_page_language_and_the_mail_is_written_in_the_one_chosen(client):
    page = client.get(URL, headers={"accept-language": "de"})
    assert page.context["form"].initial["language"] == "de"
    client.post(URL, registration_post(uuid.uuid4(), language="fr",
                                       registration_certificate=upload("cert.pdf", PDF_BYTES)))
    right = Right.objects.get()
    assert right.language == "fr"
    assert OutboundEmail.objects.get(right=right).language == "fr"
