"""Reading and acting on a notice through the API: the same workflow functions as the tracking page, their
refusals as 409 problems; the list's keyset pages and filters; evidence uploads; the per-key rate limit."""

import pytest
from django.core import mail

from takedowns.api import reading
from takedowns.enums import EventKind, ItemState, NoticeStatus
from takedowns.models import Appeal, Event, Evidence, InfoRequest, Notice
from tests.api.helpers import API, body, get, post
from tests.factories import PDF_BYTES, decide, routed, upload
from tests.test_information import ask

pytestmark = pytest.mark.django_db


@pytest.fixture
def ours(now, org, catalogue, reviewers):
    """A routed notice of the organisation about L-100001 and L-100002."""
    notice = routed(now, [("L-100001", "counterfeit"), ("L-100002", "counterfeit")],
                    submitter_email="mia@brandguard.example")
    Notice.objects.filter(pk=notice.pk).update(organisation=org)
    notice.refresh_from_db()
    mail.outbox.clear()
    return notice


def test_a_notice_reads_with_its_listings_decisions_and_deadlines(client, key, ours, now):
    [rejection] = decide(ours, now, {"L-100001": "reject"}, note="The photos show our genuine goods.")
    data = get(client, f"/notices/{ours.reference.lower()}", key).json()
    assert (data["reference"], data["status"], data["listing_count"]) == (ours.reference, "in_review", 2)
    first, second = data["listings"]
    assert (first["state"], second["state"], second["decision"]) == ("rejected", "in_review", None)
    decision = first["decision"]
    assert (decision["id"], decision["outcome"], decision["reason_code"], decision["note"]) == (
        rejection.pk, "reject", "genuine-goods", "The photos show our genuine goods.")
    assert decision["reason_text"] == rejection.reason_code.submitter_text
    assert first["appeal"]["open"] is True and first["appeal"]["appeal_status"] is None
    assert {deadline["kind"] for deadline in data["deadlines"]} >= {"acknowledgement", "takedown_decision"}


def test_listings_come_in_pages(client, key, ours):
    page = get(client, f"/notices/{ours.reference}", key, listings_limit=1).json()
    assert ([row["position"] for row in page["listings"]], page["listings_next"]) == ([1], "1")
    rest = get(client, f"/notices/{ours.reference}", key, listings_limit=1, listings_after=1).json()
    assert ([row["position"] for row in rest["listings"]], rest["listings_next"], rest["listing_count"]) == (
        [2], None, 2)


def test_withdrawing_goes_through_the_workflow_and_a_second_time_is_a_conflict(client, key, ours):
    response = post(client, f"/notices/{ours.reference}/withdraw", key)
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    ours.refresh_from_db()
    assert ours.status == NoticeStatus.WITHDRAWN
    assert set(ours.items.values_list("state", flat=True)) == {ItemState.WITHDRAWN}
    assert Event.objects.filter(notice=ours, kind=EventKind.WITHDRAWN).count() == 1
    again = post(client, f"/notices/{ours.reference}/withdraw", key)
    assert again.status_code == 409 and again["Content-Type"] == "application/problem+json"
    assert again.json()["type"] == "urn:takedown-portal:problem:conflict"


def test_answering_the_open_question_with_an_uploaded_file(client, key, ours, reviewers, now):
    ask(ours, reviewers["tm"], now)
    shown = get(client, f"/notices/{ours.reference}", key).json()["open_question"]
    assert (shown["message"], shown["listings"]) == ("Which test buy shows the fake stitching?", [1, 2])
    sha = client.post(API + "/evidence", {"file": upload("receipt.pdf", PDF_BYTES)},
                      HTTP_AUTHORIZATION=f"Bearer {key}").json()["sha256"]
    response = post(client, f"/notices/{ours.reference}/answers", key,
                    {"answer": "The receipt of order 77 shows it.", "evidence_sha256": [sha]})
    assert response.status_code == 200, response.content
    question = InfoRequest.objects.get()
    assert (question.answer, question.files.get().sha256) == ("The receipt of order 77 shows it.", sha)
    assert response.json()["open_question"] is None
    assert set(ours.items.values_list("state", flat=True)) == {ItemState.IN_REVIEW}
    again = post(client, f"/notices/{ours.reference}/answers", key, {"answer": "And more."})
    assert again.status_code == 409
    assert again.json()["detail"] == "There is no open question on this notice."


def test_an_empty_answer_names_the_field(client, key, ours):
    response = post(client, f"/notices/{ours.reference}/answers", key, {"answer": ""})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "answer", "message": "Write your answer before sending it."}]


def test_appealing_a_rejection(client, key, ours, now):
    [rejection] = decide(ours, now, {"L-100001": "reject"})
    text = "The listing uses our registered mark on goods we never made."
    response = post(client, f"/notices/{ours.reference}/appeals", key, {"decision": rejection.pk, "text": text})
    assert response.status_code == 201, response.content
    appeal = Appeal.objects.get()
    assert (appeal.decision, appeal.appellant, appeal.text) == (rejection, "submitter", text)
    assert response.json()["listings"][0]["appeal"]["appeal_status"] == "filed"
    other = post(client, f"/notices/{ours.reference}/appeals", key, {"decision": rejection.pk,
                                                                      "text": "Another text, twenty characters."})
    assert other.status_code == 409


def test_an_appeal_of_a_decision_of_another_notice_is_refused(client, key, ours, now):
    response = post(client, f"/notices/{ours.reference}/appeals", key, {"decision": 999, "text": "x" * 30})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "decision"


def test_the_list_pages_by_keyset_and_filters(client, key, catalogue, settings, monkeypatch):
    monkeypatch.setattr(reading, "NOTICE_PAGES", reading.Keyset(("-id",), 2))
    for listing in ("L-100001", "L-100002", "L-100003"):
        assert post(client, "/notices", key, body([(listing, "counterfeit")])).status_code == 201
    references = list(Notice.objects.order_by("-id").values_list("reference", flat=True))
    first = get(client, "/notices", key).json()
    assert [row["reference"] for row in first["notices"]] == references[:2]
    second = get(client, "/notices", key, after=first["next"]).json()
    assert ([row["reference"] for row in second["notices"]], second["next"]) == (references[2:], None)
    assert get(client, "/notices", key, status="withdrawn").json()["notices"] == []
    prefix = get(client, "/notices", key, reference=references[0][:7].lower()).json()["notices"]
    assert references[0] in [row["reference"] for row in prefix]


def test_the_same_bytes_uploaded_again_are_the_same_file_and_a_bad_file_is_named(client, key, org):
    first = client.post(API + "/evidence", {"file": upload("a.pdf", PDF_BYTES)}, HTTP_AUTHORIZATION=f"Bearer {key}")
    again = client.post(API + "/evidence", {"file": upload("b.pdf", PDF_BYTES)}, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert (first.status_code, again.status_code, first.json(), Evidence.objects.count()) == (
        201, 200, again.json(), 1)
    assert first.json()["content_type"] == "application/pdf" and first.json()["size"] == len(PDF_BYTES)
    bad = client.post(API + "/evidence", {"file": upload("x.pdf", b"<html>")}, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert bad.status_code == 422
    assert bad.json()["errors"] == [{"field": "file", "message": "“x.pdf” is not a PDF, PNG or JPEG file (we check "
                                                                 "the content, not the name)."}]


def test_a_key_over_its_rate_limit_gets_429_with_retry_after(client, key, settings):
    settings.RATE_LIMITS_API = {**settings.RATE_LIMITS_API, "api_read": "2/m"}
    assert [get(client, "/notices", key).status_code for _ in range(2)] == [200, 200]
    refused = get(client, "/notices", key)
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert refused.json()["detail"] == "We accept at most 2 reads per minute for this API key, and that many came."
