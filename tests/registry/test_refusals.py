"""What the registry refuses, and how: bad input on the form (specific errors, nothing typed lost, files
kept), wrong tokens, a second verified registration of the same right, transitions that do not exist."""

import uuid
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail

from takedowns import evidence
from takedowns.enums import EvidenceKind, RightEventKind, RightStatus
from takedowns.models import Evidence, OutboundEmail, Right, RightEvent
from takedowns.workflow import TransitionNotAllowed, registry
from tests.factories import PDF_BYTES, PNG_BYTES, log_in, make_reviewer, registered, registration_post, upload, verified

pytestmark = pytest.mark.django_db
URL = "/rights/register/"


def _errors(response) -> dict[str, list[str]]:
    return {name: list(errors) for name, errors in response.context["form"].errors.items()}


def test_an_unknown_seller_id_is_refused_by_name_and_everything_typed_is_kept(client, catalogue):
    key = uuid.uuid4()
    response = client.post(URL, registration_post(key, authorised_sellers="S-1, S-9999, s-777",
                                                  registration_certificate=upload("cert.pdf", PDF_BYTES)))
    assert response.status_code == 400
    assert _errors(response) == {"authorised_sellers": [
        "No seller on the marketplace has the IDs S-9999, S-777: check them on the sellers' pages (e.g. S-1001)."]}
    body = response.content.decode()
    assert "S-1, S-9999, s-777" in body and 'value="018234567"' in body and "Aero Stride" in body
    # The certificate was kept under the form's key: it is listed, and the corrected form needs no file.
    assert list(Evidence.objects.filter(submission_key=key).values_list("kind", "right")) == [
        (EvidenceKind.REGISTRATION_CERTIFICATE, None)]
    assert "cert.pdf" in body and not Right.objects.exists()
    fixed = client.post(URL, registration_post(key, authorised_sellers="S-1"))
    assert fixed.status_code == 302
    assert Evidence.objects.get(submission_key=key).right == Right.objects.get()


@pytest.mark.parametrize(("terms", "error"), [
    ("Aerostride\nAB", "Line 2: “AB” is too short to screen listings with: a brand term needs at least 3 letters "
                       "(it reads as “ab”)."),
    ("A", "Line 1: “A” has 1 characters; a brand term has 2 to 100."),
    ("Sneakers", "Line 1: “Sneakers” is a generic word, not a brand: it would hold listings of every seller. Give "
                 "the brand's own name."),
    ("1 2", "Line 1: “1 2” is too short to screen listings with: a brand term needs at least 3 letters (it reads "
            "as “i2”)."),
])
def test_a_term_too_short_or_generic_is_refused_with_its_line(client, terms, error):
    response = client.post(URL, registration_post(uuid.uuid4(), terms=terms,
                                                  registration_certificate=upload("cert.pdf", PDF_BYTES)))
    assert response.status_code == 400
    assert _errors(response) == {"terms": [error]}


def test_more_than_fifty_terms_are_refused(client):
    terms = "\n".join(f"Brandname{chr(97 + n // 26)}{chr(97 + n % 26)}" for n in range(51))
    response = client.post(URL, registration_post(uuid.uuid4(), terms=terms,
                                                  registration_certificate=upload("cert.pdf", PDF_BYTES)))
    assert _errors(response) == {"terms": ["Give at most 50 brand terms; you gave 51."]}


def test_the_certificate_is_required(client):
    response = client.post(URL, registration_post(uuid.uuid4()))
    assert response.status_code == 400
    assert _errors(response) == {"registration_certificate": [
        "Attach the registration certificate (or an extract from the register): we verify the right with it."]}
    assert not Right.objects.exists()


def test_a_picture_that_is_not_a_raster_image_is_refused_and_the_good_files_are_kept(client):
    key = uuid.uuid4()
    response = client.post(URL, registration_post(
        key, registration_certificate=upload("cert.pdf", PDF_BYTES),
        reference_images=[upload("product.png", PDF_BYTES), upload("ok.png", PNG_BYTES)]))
    assert response.status_code == 400
    assert _errors(response) == {"reference_images": [
        "“product.png” is not a PNG, JPEG or WebP picture (we check the content, not the name)."]}
    # Every file that passed its check is kept under the form's key: only the bad one must be attached again.
    assert sorted(Evidence.objects.filter(submission_key=key).values_list("original_name", "kind")) == [
        ("cert.pdf", EvidenceKind.REGISTRATION_CERTIFICATE), ("ok.png", EvidenceKind.REFERENCE_IMAGE)]


def test_price_range_upside_down_and_bad_currency_are_refused(client):
    response = client.post(URL, registration_post(uuid.uuid4(), price_min="150", price_max="90", currency="euro",
                                                  registration_certificate=upload("cert.pdf", PDF_BYTES)))
    assert _errors(response) == {"currency": ["Ensure this value has at most 3 characters (it has 4)."],
                                 "price_max": ["The highest usual price (90) is below the lowest (150)."]}


def test_a_wrong_token_is_a_404_for_the_private_page_and_the_confirmation(client, now):
    right = registered(now)
    assert client.get(f"/rights/{right.reference}/{right.tracking_token}x/").status_code == 404
    assert client.get(f"/rights/{right.reference}/{right.confirmation_token}/").status_code == 404
    assert client.get(f"/rights/confirm/{right.reference}/{right.tracking_token}/").status_code == 404
    assert client.post(f"/rights/{right.reference}/wrong/withdraw/", {"confirm": "yes"}).status_code == 404
    assert client.get(f"/rights/R-000000/{right.tracking_token}/").status_code == 404
    assert client.get(right.tracking_path()).status_code == 200


def test_a_second_verified_registration_of_the_same_right_is_refused(client, now, lead,
                                                                     django_capture_on_commit_callbacks):
    first = verified(now, lead)
    second = registered(now, registrant_email="other@aerostride.example", office="euipo ".upper().strip())
    registry.confirm(second, now)
    log_in(client, lead)
    with mock.patch("takedowns.screening.protection.right_verified") as right_verified:
        response = client.post(f"/review/rights/{second.reference}/verify/")
    assert response.status_code == 409
    assert (f"Trademark 018234567 (EUIPO) is verified already (registration {first.reference}): one verified "
            "registration per right. Reject this one, or have the other withdrawn first.") in response.content.decode()
    second.refresh_from_db()
    assert second.status == RightStatus.PENDING and second.verified_at is None
    assert not right_verified.called
    assert not RightEvent.objects.filter(right=second, kind=RightEventKind.VERIFIED).exists()
    assert not OutboundEmail.objects.filter(right=second, kind="right_verified").exists()


def test_only_leads_open_the_verification_pages(client, now):
    right = registered(now)
    registry.confirm(right, now)
    log_in(client, make_reviewer("tm", ["trademark"]))
    assert client.get("/review/rights/").status_code == 403
    assert client.get(f"/review/rights/{right.reference}/").status_code == 403
    assert client.post(f"/review/rights/{right.reference}/verify/").status_code == 403
    client.logout()
    assert client.get("/review/rights/").status_code == 302  # to the log-in


def test_a_lead_rejects_with_reasons_that_the_registrant_is_emailed(client, now, lead,
                                                                   django_capture_on_commit_callbacks):
    right = registered(now)
    registry.confirm(right, now)
    log_in(client, lead)
    short = client.post(f"/review/rights/{right.reference}/reject/", {"reasons": "No."})
    assert short.status_code == 400
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/review/rights/{right.reference}/reject/",
                    {"reasons": "The certificate names another owner."})
    right.refresh_from_db()
    assert (right.status, right.rejection_reason) == (RightStatus.REJECTED, "The certificate names another owner.")
    assert [(message.to, message.subject) for message in mail.outbox] == [
        (["anna@aerostride.example"], f"Registration {right.reference} was not verified")]
    assert "The certificate names another owner." in mail.outbox[0].body
    assert RightEvent.objects.get(right=right, kind=RightEventKind.REJECTED).details["reasons"] == (
        "The certificate names another owner.")
    with pytest.raises(TransitionNotAllowed):
        registry.verify(right, lead.user, now)


def test_confirming_too_late_expires_the_registration(client, now):
    right = registered(now)
    assert right.expires_at is not None
    with mock.patch("django.utils.timezone.now", return_value=right.expires_at):
        response = client.post(right.confirmation_path())
    assert response.status_code == 409
    assert "expired because it was not confirmed in time" in response.content.decode()
    right.refresh_from_db()
    assert right.status == RightStatus.EXPIRED


def test_the_registration_form_is_rate_limited_like_the_notice_form_with_everything_kept(client, settings):
    settings.RATE_LIMITS = {action: {"address": "1000/h", "email": "1000/h"} for action in settings.RATE_LIMITS}
    settings.RATE_LIMITS["registration"] = {"address": "1/h", "email": "1000/h"}
    assert client.post(URL, registration_post(uuid.uuid4(), registration_certificate=upload(
        "cert.pdf", PDF_BYTES))).status_code == 302
    key = uuid.uuid4()
    response = client.post(URL, registration_post(key, registration_number="0999",
                                                  registration_certificate=upload("second.pdf", PDF_BYTES)))
    assert response.status_code == 429 and 0 < int(response["Retry-After"]) <= 3600
    body = response.content.decode()
    assert 'value="0999"' in body and "second.pdf" in body
    assert "We accept at most 1 registrations and changes of rights per hour from your network address" in body
    assert "the files you attached are kept with it" in body
    assert Right.objects.count() == 1
    assert Evidence.objects.get(submission_key=key).right is None


def test_the_admin_never_shows_a_registrations_private_links(client, now, lead):
    right = registered(now)
    log_in(client, lead)
    page = client.get(f"/admin/takedowns/right/{right.pk}/change/")
    body = page.content.decode()
    assert page.status_code == 200 and right.registration_number in body
    assert right.tracking_token not in body and right.confirmation_token not in body
    assert client.get("/admin/takedowns/right/", {"tracking_token__startswith": "a"}).status_code == 400


def test_the_orphan_sweep_keeps_a_registrations_files(now, settings):
    right = registered(now)
    later = now + timedelta(hours=settings.EVIDENCE_ORPHAN_HOURS + 1)
    Evidence.objects.update(uploaded_at=now - timedelta(hours=settings.EVIDENCE_ORPHAN_HOURS + 1))
    assert evidence.sweep_orphans(later) == 0
    assert right.evidence.count() == 1
    assert evidence.kept_for(right.submission_key) == []  # no longer a form's file: the right's


def test_an_address_with_registrations_waiting_for_confirmation_gets_no_more(client, settings, now):
    settings.RATE_LIMIT_PENDING_CONFIRMATIONS = 2
    registered(now, registration_number="1")
    registered(now, registration_number="2", registrant_email="Anna@Aerostride.example")
    key = uuid.uuid4()
    response = client.post(URL, registration_post(key, registration_certificate=upload("cert.pdf", PDF_BYTES)))
    assert response.status_code == 429
    assert response.context["form"].non_field_errors() == [
        "2 registrations made with anna@aerostride.example are waiting for their confirmation, so we send this "
        "address no more confirmation e-mails until one of them is confirmed (follow the link in the e-mail we "
        "sent) or expires."]
    assert Right.objects.count() == 2 and OutboundEmail.objects.count() == 2
    assert Evidence.objects.get(submission_key=key).original_name == "cert.pdf"  # kept for a later try
