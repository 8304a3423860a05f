"""POST /api/v1/notices: a professional notifier's notice, held to the web form's rules, filed through
workflow.file_for_organisation (a verified organisation's confirmed at once, another's confirmed by e-mail)."""

import json

import pytest

from takedowns import dispatch
from takedowns.enums import EventKind, NoticeStatus, OrganisationStatus
from takedowns.models import Event, Evidence, IdempotencyKey, Notice, NoticeItem, TaskDispatch
from tests.api.helpers import body, key_for, organisation, post
from tests.factories import PDF_BYTES, upload

pytestmark = pytest.mark.django_db


def test_a_verified_organisations_notice_is_filed_confirmed_and_sent_to_routing(client, org, key, catalogue):
    response = post(client, "/notices", key, body([("L-100001", "counterfeit"), ("https://shop.example/l/9",
                                                                                   "trademark_misuse")]))
    assert response.status_code == 201, response.content
    notice = Notice.objects.get()
    assert (notice.status, notice.organisation, notice.api_key.organisation, notice.submitter_email) == (
        NoticeStatus.CONFIRMED, org, org, "mia@brandguard.example")
    assert list(notice.items.order_by("position").values_list("position", "reported", "reason")) == [
        (1, "L-100001", "counterfeit"), (2, "https://shop.example/l/9", "trademark_misuse")]
    assert list(Event.objects.filter(notice=notice).values_list("kind", flat=True).order_by("id"))[:2] == [
        EventKind.FILED, EventKind.CONFIRMED]
    assert TaskDispatch.objects.filter(task=dispatch.ROUTE_NOTICE, kwargs={"notice_id": notice.pk}).exists()
    data = response.json()
    assert (data["reference"], data["status"], data["listing_count"]) == (notice.reference, "confirmed", 2)
    assert data["tracking_url"] == "https://portal.test" + notice.tracking_path()
    assert [row["reported"] for row in data["listings"]] == ["L-100001", "https://shop.example/l/9"]
    # No confirmation e-mail for a verified organisation: only the receipt, to the submitter.
    assert list(notice.emails.values_list("kind", "to")) == [("notice_received", "mia@brandguard.example")]


def test_a_pending_organisations_notice_waits_for_the_submitters_confirmation(client, now, catalogue):
    key = key_for(organisation(now, status=OrganisationStatus.PENDING), now)
    response = post(client, "/notices", key, body())
    assert response.status_code == 201
    notice = Notice.objects.get()
    assert (notice.status, notice.confirmed_at, response.json()["confirmation_due_at"] is not None) == (
        NoticeStatus.UNCONFIRMED, None, True)
    assert notice.emails.filter(kind="confirm_notice", to="mia@brandguard.example").exists()


def test_each_error_names_its_field_and_the_listings_row(client, key, catalogue):
    data = body([("L-100001", "counterfeit"), ("not a url", "counterfeit"), ("L-100001", "counterfeit"),
                 ("L-100002", "copyright_images")])
    data["submitter"]["email"] = "mia@elsewhere.example"
    data["signature"] = "Someone Else"
    response = post(client, "/notices", key, data)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert (problem["type"], problem["status"], problem["instance"]) == (
        "urn:takedown-portal:problem:validation", 422, "/api/v1/notices")
    errors = {(error["field"], error.get("row")): error["message"] for error in problem["errors"]}
    assert set(errors) == {("signature", None), ("submitter.email", None), ("listings[1].reported", 1),
                           ("listings[2].reported", 2), ("listings[3].reason", 3)}
    assert errors[("listings[1].reported", 1)] == ("“not a url” is neither a web address (https://…) nor a listing "
                                                   "ID such as L-100001.")
    assert errors[("listings[2].reported", 2)] == "This listing is already reported in row 0."
    assert errors[("submitter.email", None)] == ("The submitter's address must be at your organisation's domain, "
                                                 "brandguard.example (or a subdomain of it).")
    assert errors[("listings[3].reason", 3)].startswith(
        "“Copyright: images copied” does not fit the type of right “Trademark”")
    assert not Notice.objects.exists()


def test_a_copyright_notice_needs_the_dmca_contact_details_as_on_the_form(client, key, catalogue):
    data = body([("L-100001", "copyright_images")])
    data["right"]["type"] = "copyright"
    problem = post(client, "/notices", key, data).json()
    assert {error["field"] for error in problem["errors"]} == {"submitter.address", "submitter.phone"}


def test_a_body_that_does_not_fit_the_schema_is_a_problem_naming_the_field(client, key):
    data = body()
    del data["submitter"]["email"]
    data["listings"][0]["reason"] = "no such reason"
    response = post(client, "/notices", key, data)
    assert response.status_code == 422 and response["Content-Type"] == "application/problem+json"
    fields = {(error["field"], error.get("row")) for error in response.json()["errors"]}
    assert fields == {("submitter.email", None), ("listings[0].reason", 0)}


def test_the_same_idempotency_key_and_body_return_the_first_notice_and_never_file_twice(client, key, catalogue):
    first = post(client, "/notices", key, body(), idempotency_key="order-42")
    again = post(client, "/notices", key, body(), idempotency_key="order-42")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Notice.objects.count() == 1
    row = IdempotencyKey.objects.get()
    assert (row.key, row.notice, row.response_status) == ("order-42", Notice.objects.get(), 201)


def test_the_same_body_sent_again_with_other_spacing_and_key_order_is_the_same_request(client, key, catalogue):
    sent = body()
    first = post(client, "/notices", key, sent, idempotency_key="order-43")
    reordered = json.dumps(dict(reversed(list(sent.items()))), indent=4)
    again = client.post("/api/v1/notices", reordered, content_type="application/json",
                        HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_IDEMPOTENCY_KEY="order-43")
    assert (first.status_code, again.status_code, again["Idempotent-Replayed"]) == (201, 201, "true")
    assert again.json()["reference"] == first.json()["reference"] and Notice.objects.count() == 1


def test_the_same_idempotency_key_with_another_body_is_refused(client, key, catalogue):
    post(client, "/notices", key, body(), idempotency_key="order-42")
    response = post(client, "/notices", key, body([("L-100002", "counterfeit")]), idempotency_key="order-42")
    assert response.status_code == 422
    assert response.json()["type"] == "urn:takedown-portal:problem:idempotency-key-reused"
    assert Notice.objects.count() == 1


def test_a_notice_of_ten_thousand_listings_is_accepted(client, key, catalogue):
    """Accepted whole (its time, < 5 s, is bench/api's to measure, not a unit test's)."""
    listings = [(f"https://shop.example/listing/{n}", "counterfeit") for n in range(10_000)]
    assert post(client, "/notices", key, body()).status_code == 201
    response = post(client, "/notices", key, body(listings))
    assert response.status_code == 201, response.content[:500]
    assert NoticeItem.objects.count() == 10_001
    data = response.json()
    assert (data["listing_count"], len(data["listings"]), data["listings_next"]) == (10_000, 100, "100")


def test_more_listings_than_the_limit_are_refused(client, key, settings):
    settings.NOTICE_API_MAX_ITEMS = 2
    response = post(client, "/notices", key, body([(f"L-10000{n}", "counterfeit") for n in range(1, 4)]))
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "listings", "message": (
        "A notice may report at most 2 listings; this one has 3. Split them over several notices.")}]


def test_evidence_uploaded_earlier_is_copied_to_the_notice_by_its_sha256(client, org, key, catalogue):
    uploaded = client.post("/api/v1/evidence", {"file": upload("letter.pdf", PDF_BYTES),
                                                "kind": "authorisation_letter"},
                           HTTP_AUTHORIZATION=f"Bearer {key}")
    assert uploaded.status_code == 201, uploaded.content
    sha = uploaded.json()["sha256"]
    data = body()
    data["submitter"]["role"] = "agent"
    missing = post(client, "/notices", key, data)
    assert {error["field"] for error in missing.json()["errors"]} == {"evidence_sha256"}
    data["evidence_sha256"] = [sha]
    assert post(client, "/notices", key, data).status_code == 201
    notice = Notice.objects.get()
    copy = Evidence.objects.get(notice=notice)
    original = Evidence.objects.get(organisation=org)
    assert (copy.sha256, copy.kind, original.notice, copy.organisation) == (sha, "authorisation_letter", None, None)
    assert copy.file.name != original.file.name and copy.file.read() == PDF_BYTES


def test_an_unknown_sha256_is_named(client, key):
    data = body(evidence_sha256=["0" * 64])
    errors = post(client, "/notices", key, data).json()["errors"]
    assert [error["field"] for error in errors] == ["evidence_sha256[0]"]


def test_a_body_over_the_request_limit_is_a_413_problem(client, key, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_000
    response = post(client, "/notices", key, body([(f"https://shop.example/{n}", "counterfeit") for n in range(50)]))
    assert response.status_code == 413 and response["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "urn:takedown-portal:problem:payload-too-large"
    assert not Notice.objects.exists()


def test_a_pending_organisations_notice_over_the_confirmations_cap_is_429_and_frees_its_key(client, now, settings,
                                                                                             catalogue):
    settings.RATE_LIMIT_PENDING_CONFIRMATIONS = 1
    key = key_for(organisation(now, status=OrganisationStatus.PENDING), now)
    assert post(client, "/notices", key, body()).status_code == 201
    refused = post(client, "/notices", key, body([("L-100002", "counterfeit")]), idempotency_key="second")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert refused.json()["type"] == "urn:takedown-portal:problem:rate-limited"
    assert Notice.objects.count() == 1
    assert not IdempotencyKey.objects.filter(key="second").exists()  # a retry later may file it
