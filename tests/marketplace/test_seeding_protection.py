"""The demo's protection seeds (issue 14): Aerostride's word mark registered, confirmed and verified with its
brand terms, price range, authorised sellers and a picture of the genuine product; linked seller accounts;
sales of some listings. Loading again changes nothing."""

import pytest
from django.core.management import call_command

from takedowns.enums import EvidenceKind, RightEventKind, RightStatus
from takedowns.imaging import perceptual_hash
from takedowns.models import Evidence, Listing, ProtectedTerm, Right, RightEvent, Seller

pytestmark = pytest.mark.django_db


def state():
    right = Right.objects.get(reference="R-DEMO-1")
    return (right.tracking_token, right.confirmation_token, ProtectedTerm.objects.count(), Evidence.objects.count(),
            RightEvent.objects.count(), sorted(Listing.objects.exclude(sales=0).values_list("external_id", "sales")),
            sorted(Seller.objects.exclude(account_group="").values_list("external_id", "account_group")))


def test_the_demo_right_is_registered_once_with_everything_screening_reads(settings, capsys):
    settings.DEMO_MODE = True
    call_command("load_seeds")
    first = state()
    call_command("load_seeds")
    assert state() == first
    right = Right.objects.get(reference="R-DEMO-1")
    assert (right.registration_number, right.office, right.status, right.registrant_email, right.price_min,
            right.price_max, right.currency, right.classes) == (
        "018234567", "EUIPO", RightStatus.VERIFIED, "anna.berger@aerostride.example", 120, 220, "EUR", "18, 25")
    assert len(right.tracking_token) >= 40 and right.confirmed_at and right.verified_at
    assert sorted(right.terms.values_list("term", "normalised")) == [("Aero Stride", "aero stride"),
                                                                     ("AeroStride", "aerostride")]
    assert sorted(right.authorised_sellers.values_list("external_id", flat=True)) == ["S-2005", "S-2026"]
    [picture] = Evidence.objects.filter(right=right)
    assert (picture.kind, picture.content_type, picture.original_name) == (
        EvidenceKind.REFERENCE_IMAGE, "image/png", "sneaker.png")
    assert perceptual_hash(picture.file.read()) is not None
    assert list(right.events.values_list("kind", flat=True)) == [
        RightEventKind.REGISTERED, RightEventKind.CONFIRMED, RightEventKind.VERIFIED]
    assert "registered right R-DEMO-1 (AEROSTRIDE (word mark)), its private page:" in capsys.readouterr().out


def test_linked_accounts_and_sales_are_seeded(settings):
    settings.DEMO_MODE = True
    call_command("load_seeds")
    groups = dict(Seller.objects.exclude(account_group="").values_list("external_id", "account_group"))
    assert groups == {"S-2007": "grp-golden-dragon", "S-2017": "grp-golden-dragon", "S-2015": "grp-tiger-terra",
                      "S-2030": "grp-tiger-terra"}
    sold = Listing.objects.get(external_id="L-100056")
    assert sold.sales == 14 and sold.first_sold_at is not None


def test_sales_recorded_since_are_kept_when_loading_again(settings, now):
    settings.DEMO_MODE = True
    call_command("load_seeds")
    Listing.objects.filter(external_id="L-100056").update(sales=20)
    call_command("load_seeds")
    assert Listing.objects.get(external_id="L-100056").sales == 20
