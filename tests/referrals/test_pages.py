"""/review/referrals/: leads only (anonymous visitors to the login, reviewers refused), the form with its
preview and its errors, the build, the list, the access-checked download."""

import hashlib

import pytest

from takedowns.models import Referral, Seller
from takedowns.workflow import referrals
from tests.factories import log_in, routed

pytestmark = pytest.mark.django_db


@pytest.fixture
def linked(catalogue):
    Seller.objects.filter(external_id="S-1").update(account_group="G-ACME")
    return Seller.objects.create(external_id="S-3", name="Acme Twin", country="DE", account_group="G-ACME")


@pytest.fixture
def built(linked, lead, now):
    return referrals.build_referral(lead.user, Seller.objects.get(external_id="S-1"), "Customs", "", now)


@pytest.mark.parametrize("url", ["/review/referrals/", "/review/referrals/new/"])
def test_anonymous_visitors_are_sent_to_the_login(client, db, url):
    response = client.get(url)
    assert (response.status_code, response["Location"]) == (302, f"/review/login/?next={url}")


def test_reviewers_who_do_not_lead_are_refused_everything(client, reviewers, built):
    log_in(client, reviewers["tm"])
    for url in ("/review/referrals/", "/review/referrals/new/?seller=S-1",
                f"/review/referrals/{built.reference}/archive.zip"):
        assert client.get(url).status_code == 403, url
    response = client.post("/review/referrals/new/", {"seller": "S-1", "authority": "Customs", "action": "build"})
    assert response.status_code == 403
    assert Referral.objects.count() == 1


def test_a_link_naming_the_seller_shows_what_goes_in(client, lead, linked):
    log_in(client, lead)
    response = client.get("/review/referrals/new/?seller=S-1")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Refer seller S-1" in html
    assert "S-1 (Acme Outlet), S-3 (Acme Twin)" in html  # linked accounts by default
    assert '<li data-count="listings">3 listings</li>' in html
    assert '<li data-count="decisions">0 decisions</li>' in html
    assert Referral.objects.count() == 0


def test_the_preview_keeps_what_was_typed_and_builds_nothing(client, lead, linked):
    log_in(client, lead)
    response = client.post("/review/referrals/new/", {"seller": "s-1", "authority": "", "note": "Ring of three.",
                                                      "action": "preview"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Ring of three.</textarea>" in html
    assert "S-1 (Acme Outlet)" in html and "S-3" not in html.split('id="preview"')[1].split("</p>")[0]
    assert Referral.objects.count() == 0


def test_a_build_without_an_authority_or_with_an_unknown_seller_says_why(client, lead, linked):
    log_in(client, lead)
    response = client.post("/review/referrals/new/", {"seller": "S-99", "authority": " ", "note": "Kept.",
                                                      "include_linked": "on", "action": "build"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "No seller has the ID “S-99”: type it as the marketplace shows it, e.g. S-1." in html
    assert "Name the authority that receives the package." in html
    assert "Kept.</textarea>" in html and 'value="S-99"' in html
    assert Referral.objects.count() == 0


def test_a_lead_builds_a_package_and_finds_it_on_top_of_the_list(client, lead, linked, built):
    log_in(client, lead)
    response = client.post("/review/referrals/new/", {"seller": "S-3", "authority": "LKA Berlin", "note": "",
                                                      "action": "build"})
    newest = Referral.objects.order_by("-created_at", "-id").first()
    assert newest is not None and newest != built
    assert response.status_code == 302
    assert response["Location"] == f"/review/referrals/?built={newest.reference}"
    # The checkbox left unticked: the seller alone.
    assert (newest.seller.external_id, newest.authority, newest.created_by, list(
        newest.sellers.values_list("external_id", flat=True))) == ("S-3", "LKA Berlin", lead.user, ["S-3"])
    html = client.get(response["Location"]).content.decode()
    assert f"Referral package {newest.reference} built." in html
    assert html.index(f'data-referral="{newest.reference}"') < html.index(f'data-referral="{built.reference}"')


def test_the_archive_downloads_as_an_attachment_for_leads_only(client, lead, built):
    log_in(client, lead)
    response = client.get(f"/review/referrals/{built.reference}/archive.zip")
    content = b"".join(response.streaming_content)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == f'attachment; filename="{built.reference}.zip"'
    assert response["Cache-Control"] == "private, no-store"
    assert hashlib.sha256(content).hexdigest() == built.sha256
    assert client.get("/review/referrals/RF-NONE-0000/archive.zip").status_code == 404


def test_the_dashboard_links_to_the_referrals(client, lead):
    log_in(client, lead)
    assert 'href="/review/referrals/" id="referrals-link"' in client.get("/review/dashboard/").content.decode()


def test_a_lead_finds_the_referral_link_beside_each_seller_on_a_notice(client, lead, reviewers, catalogue, now):
    notice = routed(now, [("L-100003", "counterfeit"), ("L-100001", "counterfeit")])
    log_in(client, lead)
    html = client.get(f"/review/notices/{notice.reference}/").content.decode()
    assert ('<a href="/review/referrals/new/?seller=S-2" data-refer="S-2">Refer seller S-2 to law enforcement</a>'
            in html)
    assert 'data-refer="S-1"' in html
    log_in(client, reviewers["tm"])
    assert "data-refer=" not in client.get(f"/review/notices/{notice.reference}/").content.decode()


def test_an_archive_missing_from_storage_is_a_404_that_says_so(client, lead, built):
    built.archive.storage.delete(built.archive.name)
    log_in(client, lead)
    response = client.get(f"/review/referrals/{built.reference}/archive.zip")
    assert response.status_code == 404
