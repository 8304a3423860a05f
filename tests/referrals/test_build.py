"""workflow/referrals.build_referral: the package about a seller and its linked accounts, its archive's
exact files and manifest (hashes recomputed here), and the Referral row that records it."""

import hashlib
import io
import json
import re
import zipfile

import pytest

from takedowns.evidence import store
from takedowns.models import Event, Evidence, Referral, Seller, Strike
from takedowns.workflow import referrals
from tests.factories import PDF_BYTES, decision_of, figures_listing, own_initiative_case, taken_down, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def cluster(catalogue, reviewers, now):
    """Acme Outlet (S-1) and Acme Twin (S-3) share the account group G-ACME; Bright Store (S-2) is apart.
    L-100001 (S-1) was removed on a rights holder's notice, with a test-buy proof; S-3's relisting L-930001
    was blocked by stay-down; Bright's L-930002 was held by screening and its hold rejected."""
    acme, bright = Seller.objects.get(external_id="S-1"), Seller.objects.get(external_id="S-2")
    Seller.objects.filter(pk=acme.pk).update(account_group="G-ACME")
    acme.refresh_from_db()
    twin = Seller.objects.create(external_id="S-3", name="Acme Twin", country="DE", account_group="G-ACME")
    removal = taken_down(now, "L-100001", reviewers["tm"])
    notice = removal.item.notice
    proof = referrals_store(notice)
    _, block = own_initiative_case(figures_listing("L-930001", twin), "block", now, ["staydown_same_seller"],
                                   reference="OI-BLOCK")
    own_initiative_case(figures_listing("L-930002", bright), "hold", now, ["brand_term"], reference="OI-HOLD",
                        decided="reject", decided_at=now, by=reviewers["tm"].user)
    return {"acme": acme, "twin": twin, "bright": bright, "notice": notice, "proof": proof, "block": block,
            "removal": decision_of(notice)}


def referrals_store(notice) -> Evidence:
    return store(notice.submission_key, "test_buy", upload("test buy.pdf", PDF_BYTES), "application/pdf",
                 notice=notice)


def _opened(referral: Referral) -> tuple[bytes, zipfile.ZipFile]:
    with referral.archive.open("rb") as handle:
        content = handle.read()
    return content, zipfile.ZipFile(io.BytesIO(content))


def test_the_package_holds_the_seller_and_its_linked_accounts_with_a_manifest_of_every_file(cluster, lead, now):
    referral = referrals.build_referral(lead.user, cluster["acme"], "LKA Berlin, Dez. 42", "Counterfeit ring.", now)
    content, archive = _opened(referral)
    notice, proof = cluster["notice"], cluster["proof"]
    evidence_path = f"evidence/{notice.reference}/{proof.pk}-test buy.pdf"
    assert archive.namelist() == ["README.txt", "manifest.json", "sellers.json", "listings.json", "decisions.json",
                                  "strikes.json", "penalties.json", "screening_hits.json", "evidence.json",
                                  "timeline.json", evidence_path]
    manifest = json.loads(archive.read("manifest.json"))
    # Every file but the manifest and the README, each with its SHA-256 and size, recomputed here.
    assert manifest["files"] == [{"path": name, "sha256": hashlib.sha256(archive.read(name)).hexdigest(),
                                  "size": len(archive.read(name))} for name in archive.namelist()[2:]]
    assert {key: manifest[key] for key in ("reference", "built_by", "authority", "seller", "sellers")} == {
        "reference": referral.reference, "built_by": "lead", "authority": "LKA Berlin, Dez. 42", "seller": "S-1",
        "sellers": ["S-1", "S-3"]}
    assert archive.read(evidence_path) == PDF_BYTES
    assert json.loads(archive.read("evidence.json")) == [{
        "case": notice.reference, "kind": "test_buy", "original_name": "test buy.pdf",
        "content_type": "application/pdf", "size": len(PDF_BYTES),
        "sha256_at_upload": hashlib.sha256(PDF_BYTES).hexdigest(), "uploaded_at": proof.uploaded_at.isoformat(),
        "path": evidence_path, "missing": False}]
    assert [(s["id"], s["account_group"], s["referred"]) for s in json.loads(archive.read("sellers.json"))] == [
        ("S-1", "G-ACME", True), ("S-3", "G-ACME", False)]
    assert [x["id"] for x in json.loads(archive.read("listings.json"))] == [
        "L-100001", "L-100002", "L-100005", "L-930001"]
    decisions = json.loads(archive.read("decisions.json"))
    assert [(d["case"], d["source"], d["listing"], d["outcome"], d["automated_detection"],
             d["automated_decision"]) for d in decisions] == [
        (notice.reference, "notice", "L-100001", "remove", False, False),
        ("OI-BLOCK", "screening", "L-930001", "remove", True, True)]
    assert decisions[0]["legal_ground"] == cluster["removal"].legal_ground != ""
    assert decisions[0]["grounds"] == cluster["removal"].grounds
    assert [(s["seller"], s["case"]) for s in json.loads(archive.read("strikes.json"))] == [
        (seller, case) for seller, case in Strike.objects.filter(seller__account_group="G-ACME")
        .values_list("seller__external_id", "notice__reference")]
    assert [(h["listing"], h["rule"], h["case"]) for h in json.loads(archive.read("screening_hits.json"))] == [
        ("L-930001", "staydown_same_seller", "OI-BLOCK")]
    timeline = json.loads(archive.read("timeline.json"))
    assert [e["kind"] for e in timeline] == list(Event.objects.filter(notice=notice).order_by("created_at", "pk")
                                                 .values_list("kind", flat=True))
    readme = archive.read("README.txt").decode()
    assert f"Referral package {referral.reference}" in readme
    assert "Linked accounts (account group G-ACME): S-3" in readme and "Counterfeit ring." in readme
    # The row: who, when, for whom, and the archive's own hash and size.
    referral = Referral.objects.get()
    assert re.fullmatch(r"RF-[0-9A-Z]{4}-[0-9A-Z]{4}", referral.reference)
    assert (referral.seller, referral.authority, referral.note, referral.created_by, referral.created_at) == (
        cluster["acme"], "LKA Berlin, Dez. 42", "Counterfeit ring.", lead.user, now)
    assert sorted(referral.sellers.values_list("external_id", flat=True)) == ["S-1", "S-3"]
    assert (referral.sha256, referral.size) == (hashlib.sha256(content).hexdigest(), len(content))
    assert referral.archive.name.startswith("referrals/") and referral.archive.name.endswith(".zip")


def test_without_linked_accounts_only_the_seller_is_in_the_package(cluster, lead, now):
    referral = referrals.build_referral(lead.user, cluster["acme"], "Customs", "", now, include_linked=False)
    _, archive = _opened(referral)
    assert [s["id"] for s in json.loads(archive.read("sellers.json"))] == ["S-1"]
    assert [d["listing"] for d in json.loads(archive.read("decisions.json"))] == ["L-100001"]
    assert json.loads(archive.read("screening_hits.json")) == []
    assert list(referral.sellers.values_list("external_id", flat=True)) == ["S-1"]
    assert "Linked accounts" not in archive.read("README.txt").decode()


def test_a_seller_without_an_account_group_has_no_linked_accounts(cluster, lead, now):
    referral = referrals.build_referral(lead.user, cluster["bright"], "Customs", "", now)
    _, archive = _opened(referral)
    assert [s["id"] for s in json.loads(archive.read("sellers.json"))] == ["S-2"]
    assert [(d["case"], d["outcome"], d["automated_detection"], d["automated_decision"])
            for d in json.loads(archive.read("decisions.json"))] == [("OI-HOLD", "reject", True, False)]
    assert [name for name in archive.namelist() if name.startswith("evidence/")] == []


def test_the_archive_is_the_same_bytes_for_the_same_rows(cluster, lead, now):
    sellers = referrals.sellers_of(cluster["acme"])
    first = referrals._zip(referrals.archive_entries("RF-TEST-0001", lead.user, sellers, "A", "", now), now)
    again = referrals._zip(referrals.archive_entries("RF-TEST-0001", lead.user, sellers, "A", "", now), now)
    assert first == again


def test_the_preview_counts_what_goes_in(cluster):
    shown = referrals.preview(cluster["acme"])
    assert ([s.external_id for s in shown.sellers], shown.listings, shown.decisions, shown.hits, shown.files) == (
        ["S-1", "S-3"], 4, 2, 1, 1)
    assert shown.events == Event.objects.filter(notice=cluster["notice"]).count()
