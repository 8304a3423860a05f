"""The registration's private page: what was done under the right (notices, screening holds and blocks,
stay-down per removed listing) counted in SQL; the holder's changes and withdrawal; and the stay-down line
on the notice's tracking page (issue 14, items 1 and 3)."""

from decimal import Decimal
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from takedowns.enums import (
    EvidenceKind,
    FingerprintSource,
    RightEventKind,
    RightStatus,
    ScreeningOutcome,
    ScreeningRuleCode,
    ScreeningTrigger,
)
from takedowns.models import Evidence, Fingerprint, Listing, Notice, ProtectedTerm, Screening, ScreeningHit
from takedowns.selectors import protection
from takedowns.workflow import TransitionNotAllowed, registry
from tests.factories import PDF_BYTES, PNG_BYTES, REMOVE, decided, log_in, make_reviewer, registered, upload, verified
from tests.html_checks import skipped_headings

pytestmark = pytest.mark.django_db
SAME, OTHER = ScreeningRuleCode.STAYDOWN_SAME_SELLER, ScreeningRuleCode.STAYDOWN_OTHER_SELLER


def _relisting(now, removed: Listing, number: int, outcome: str, rules: list[tuple[str, Fingerprint]],
               right=None) -> Screening:
    """A new listing like `removed`, screened with stay-down hits on its fingerprints (as the engine writes them)."""
    listing = Listing.objects.create(external_id=f"L-30000{number}", seller=removed.seller, title=removed.title,
                                     category=removed.category, price=Decimal("9.99"), status="blocked")
    screening = Screening.objects.create(listing=listing, trigger=ScreeningTrigger.CREATED, outcome=outcome,
                                         screened_at=now)
    for rule, fingerprint in rules:
        ScreeningHit.objects.create(screening=screening, rule=rule, outcome=ScreeningOutcome.BLOCK if rule == SAME
                                    else ScreeningOutcome.HOLD, fingerprint=fingerprint, right=right)
    return screening


@pytest.fixture
def removed_under_right(now, lead, catalogue, reviewers):
    """A verified right; a notice of its holder removed L-100001 (and rejected nothing), relisted three times:
    blocked twice (once matching two fingerprints of it), held once; L-100002 of another notice relisted once."""
    right = verified(now, lead)
    notice = decided(now, {"L-100001": REMOVE})
    assert notice.verified_right == right
    removed = catalogue["L-100001"]
    first = Fingerprint.objects.create(source=FingerprintSource.REMOVAL, listing=removed, created_at=now)
    second = Fingerprint.objects.create(source=FingerprintSource.REMOVAL, listing=removed, created_at=now)
    _relisting(now, removed, 1, ScreeningOutcome.BLOCK, [(SAME, first), (SAME, second)])
    _relisting(now, removed, 2, ScreeningOutcome.BLOCK, [(SAME, first)])
    _relisting(now, removed, 3, ScreeningOutcome.HOLD, [(OTHER, first)], right=right)
    other = Fingerprint.objects.create(source=FingerprintSource.REMOVAL, listing=catalogue["L-100002"],
                                       created_at=now)
    _relisting(now, catalogue["L-100002"], 4, ScreeningOutcome.BLOCK, [(SAME, other)])
    return right, notice


def test_relisted_counts_each_relisting_once_by_what_screening_did(removed_under_right, catalogue):
    counts = protection.relisted([catalogue["L-100001"].pk, catalogue["L-100003"].pk])
    assert counts == {catalogue["L-100001"].pk: protection.Relisted(times=3, blocked=2, held=1, published=0)}
    assert counts[catalogue["L-100001"].pk].words() == "Relisted 3 times since removal: 2 blocked, 1 held for review"
    assert protection.relisted([]) == {}


def test_the_private_page_shows_notices_screenings_and_stay_down(client, now, removed_under_right, catalogue):
    right, notice = removed_under_right
    brand_hold = _relisting(now, catalogue["L-100004"], 5, ScreeningOutcome.HOLD,
                            [(ScreeningRuleCode.BRAND_TERM, None)], right=right)  # type: ignore[list-item]
    with CaptureQueriesContext(connection) as queries:
        response = client.get(right.tracking_path())
    page = response.context["page"]
    assert [(row.reference, row.listings, row.removed) for row in page.notices] == [(notice.reference, 1, 1)]
    assert page.notice_count == 1
    assert [(row.screening.pk, row.rules, row.decision) for row in page.screenings] == [
        (brand_hold.pk, ["Brand name disguised in the listing"], None),
        (Screening.objects.get(listing__external_id="L-300003").pk, ["Like a removed listing, another seller"], None)]
    assert page.screening_counts == {"hold": 2, "block": 0}
    assert [(row["listing"].external_id, row["relisted"]) for row in page.staydown] == [
        ("L-100001", protection.Relisted(3, 2, 1, 0))]
    body = response.content.decode()
    assert "Relisted 3 times since removal: 2 blocked, 1 held for review" in body
    assert "Held for review: 2 · blocked: 0" in body
    assert f'href="/notices/new/?right={right.reference}&amp;key={right.tracking_token}"' in body
    # A fixed number of queries, whatever the number of rows (no loop over rows).
    fixed = len(queries)
    for number in range(6, 9):
        _relisting(now, catalogue["L-100004"], number, ScreeningOutcome.HOLD,
                   [(ScreeningRuleCode.BRAND_TERM, None)], right=right)  # type: ignore[list-item]
    with CaptureQueriesContext(connection) as queries:
        client.get(right.tracking_path())
    assert len(queries) == fixed


def test_the_tracking_page_says_how_often_a_removed_listing_came_back(client, removed_under_right):
    _right, notice = removed_under_right
    body = client.get(notice.tracking_path()).content.decode()
    assert 'data-relisted="3"' in body
    assert "Relisted 3 times since removal: 2 blocked, 1 held for review" in body


def test_a_change_while_verified_is_a_changed_event_an_email_and_screening_is_told(
        client, now, lead, catalogue, django_capture_on_commit_callbacks):
    right = verified(now, lead, terms=("Aerostride",))
    mail.outbox.clear()
    with mock.patch("takedowns.screening.protection.right_verified") as right_verified, \
            django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{right.tracking_path()}protection/", {
            "terms": "Aerostride\nAirstride", "authorised_sellers": "S-2", "price_min": "79", "price_max": "149.00",
            "currency": "eur", "reference_images": [upload("new.png", PNG_BYTES)]})
    assert response.status_code == 302 and response["Location"] == f"{right.tracking_path()}#protection"
    right.refresh_from_db()
    assert (right.price_min, right.currency) == (Decimal("79"), "EUR")
    assert sorted(ProtectedTerm.objects.filter(right=right).values_list("normalised", flat=True)) == [
        "aerostride", "airstride"]
    assert list(right.authorised_sellers.values_list("external_id", flat=True)) == ["S-2"]
    assert list(Evidence.objects.filter(right=right, kind=EvidenceKind.REFERENCE_IMAGE)
                .values_list("original_name", flat=True)) == ["new.png"]
    event = right.events.get(kind=RightEventKind.CHANGED)
    assert event.details == {"terms_added": ["Airstride"], "terms_removed": [], "sellers_added": ["S-2"],
                             "sellers_removed": [], "price": ["79", "149.00", "EUR"], "pictures_added": ["new.png"]}
    assert right_verified.call_count == 1
    assert [(message.to, message.subject) for message in mail.outbox] == [
        (["anna@aerostride.example"], f"Registration {right.reference}: protection details changed")]
    # Nothing changed: no event, no e-mail.
    assert registry.update_protection(right, registry.Protection(
        ["Aerostride", "Airstride"], list(right.authorised_sellers.all()), Decimal("79"), Decimal("149.00"), "EUR"),
        now) == right
    assert right.events.filter(kind=RightEventKind.CHANGED).count() == 1


def test_a_bad_change_comes_back_with_the_error_and_what_was_typed(client, now, lead, catalogue):
    right = verified(now, lead)
    response = client.post(f"{right.tracking_path()}protection/", {
        "terms": "Aerostride\nS-9", "authorised_sellers": "S-404", "currency": "EUR",
        "reference_images": [upload("cert.png", PDF_BYTES)]})
    assert response.status_code == 400
    errors = response.context["protection_form"].errors
    assert set(errors) == {"terms", "authorised_sellers", "reference_images"}
    assert "S-404" in response.content.decode()


def test_the_holder_withdraws_a_verified_right(client, now, lead, django_capture_on_commit_callbacks):
    right = verified(now, lead)
    refused = client.post(f"{right.tracking_path()}withdraw/", {})
    assert refused.status_code == 400
    with mock.patch("takedowns.screening.protection.right_withdrawn") as right_withdrawn, \
            django_capture_on_commit_callbacks(execute=True):
        client.post(f"{right.tracking_path()}withdraw/", {"confirm": "yes"})
    right.refresh_from_db()
    assert right.status == RightStatus.WITHDRAWN
    assert right_withdrawn.call_count == 1
    assert list(right.events.values_list("kind", flat=True)) == [
        RightEventKind.REGISTERED, RightEventKind.CONFIRMED, RightEventKind.VERIFIED, RightEventKind.WITHDRAWN]
    assert right.emails.order_by("-id").first().kind == "right_withdrawn"
    with pytest.raises(TransitionNotAllowed):
        registry.update_protection(right, registry.Protection(["Aerostride"], [], None, None, "EUR"), now)


def test_the_staff_file_view_serves_a_registrations_certificate_to_leads_only(client, now, lead):
    right = registered(now)
    certificate = right.evidence.get()
    log_in(client, make_reviewer("tm", ["trademark"]))
    assert client.get(f"/review/rights/files/{certificate.pk}/").status_code == 403
    log_in(client, lead)
    response = client.get(f"/review/rights/files/{certificate.pk}/?preview=1")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert Notice.objects.count() == 0


def test_the_registrys_pages_skip_no_heading_level(client, now, lead, removed_under_right):
    right, _notice = removed_under_right
    pages = [client.get("/rights/register/"), client.post("/rights/register/", {}), client.get(right.tracking_path())]
    log_in(client, lead)
    pages += [client.get("/review/rights/"), client.get(f"/review/rights/{right.reference}/")]
    for page in pages:
        assert skipped_headings(page.content.decode()) == [], page.request["PATH_INFO"]


def test_the_holder_sees_the_registrations_own_files_and_no_others(client, now):
    right = registered(now)
    other = registered(now, registration_number="2")
    picture = Evidence.objects.create(right=right, submission_key=right.submission_key,
                                      kind=EvidenceKind.REFERENCE_IMAGE, original_name="p.png",
                                      content_type="image/png", size=len(PNG_BYTES), sha256="x")
    picture.file.save("p.png", upload("p.png", PNG_BYTES))
    body = client.get(right.tracking_path()).content.decode()
    assert f'src="{right.tracking_path()}files/{picture.pk}/?preview=1"' in body
    shown = client.get(f"{right.tracking_path()}files/{picture.pk}/?preview=1")
    assert shown.status_code == 200 and shown["Content-Type"] == "image/png"
    assert client.get(f"{right.tracking_path()}files/{other.evidence.get().pk}/").status_code == 404
    assert client.get(f"{other.tracking_path()}files/{picture.pk}/").status_code == 404
