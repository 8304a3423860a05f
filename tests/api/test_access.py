"""Who may call what: a key (401 without one, with WWW-Authenticate), its scopes (403), and its organisation's
notices only — another organisation's notice answers exactly like one that does not exist, on every endpoint."""

import pytest

from takedowns.enums import OrganisationStatus
from takedowns.models import Notice, Organisation
from tests.api.helpers import API, body, get, key_for, organisation, post
from tests.factories import PDF_BYTES, decide, routed, upload

pytestmark = pytest.mark.django_db

# Every endpoint that names a notice: (method, path after the reference, body).
ON_A_NOTICE = [("get", "", None), ("post", "/withdraw", {}),
               ("post", "/answers", {"answer": "The test buy receipt is attached."}),
               ("post", "/appeals", {"decision": 1, "text": "The listing shows our mark on fake goods, see photos."})]


@pytest.fixture
def theirs(now, catalogue, reviewers):
    """A routed notice of another organisation, with a rejection (so every endpoint has something to act on)."""
    other = organisation(now, domain="lawfirm.example", name="Law Firm")
    notice = routed(now, [("L-100001", "counterfeit"), ("L-100002", "counterfeit")],
                    submitter_email="ann@lawfirm.example")
    Notice.objects.filter(pk=notice.pk).update(organisation=other)
    decide(notice, now, {"L-100001": "reject"})
    return notice


def _call(client, key, method, reference, suffix, data):
    path = f"/notices/{reference}{suffix}"
    return get(client, path, key) if method == "get" else post(client, path, key, data)


@pytest.mark.parametrize(("method", "suffix", "data"), ON_A_NOTICE)
def test_another_organisations_notice_answers_like_an_unknown_one(client, now, theirs, method, suffix, data):
    key = key_for(organisation(now), now)
    found = _call(client, key, method, theirs.reference, suffix, data)
    unknown = _call(client, key, method, "TD-0000-0000", suffix, data)
    assert (found.status_code, unknown.status_code) == (404, 404)
    assert found["Content-Type"] == "application/problem+json"
    assert found.json()["detail"] == f"Your organisation has no notice {theirs.reference}."
    assert unknown.json()["detail"] == "Your organisation has no notice TD-0000-0000."
    assert {k: v for k, v in found.json().items() if k not in ("detail", "instance")} == \
        {k: v for k, v in unknown.json().items() if k not in ("detail", "instance")}
    theirs.refresh_from_db()
    assert theirs.status == "in_review"


def test_the_list_shows_only_the_keys_organisations_notices(client, now, theirs, catalogue):
    key = key_for(organisation(now), now)
    assert post(client, "/notices", key, body()).status_code == 201
    listed = get(client, "/notices", key).json()["notices"]
    assert [row["reference"] for row in listed] == [Notice.objects.exclude(pk=theirs.pk).get().reference]


def test_evidence_of_another_organisation_cannot_be_named(client, now, catalogue):
    other_key = key_for(organisation(now, domain="lawfirm.example"), now)
    sha = client.post(API + "/evidence", {"file": upload("a.pdf", PDF_BYTES)},
                      HTTP_AUTHORIZATION=f"Bearer {other_key}").json()["sha256"]
    key = key_for(organisation(now), now)
    response = post(client, "/notices", key, body(evidence_sha256=[sha]))
    assert [error["field"] for error in response.json()["errors"]] == ["evidence_sha256[0]"]


ENDPOINTS = [("post", "/notices"), ("get", "/notices"), ("get", "/notices/TD-0000-0000"),
             ("post", "/notices/TD-0000-0000/withdraw"), ("post", "/notices/TD-0000-0000/answers"),
             ("post", "/notices/TD-0000-0000/appeals"), ("post", "/evidence")]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
@pytest.mark.parametrize("authorization", [None, "Bearer tdp_00000000_" + "x" * 43, "Basic abc"])
def test_every_endpoint_refuses_a_request_without_a_live_key(client, db, method, path, authorization):
    extra = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = getattr(client, method)(API + path, **extra)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith('Bearer realm="api"')
    assert response.json()["type"] == "urn:takedown-portal:problem:unauthorised"


def test_a_suspended_organisations_key_is_refused(client, now):
    org = organisation(now)
    key = key_for(org, now)
    Organisation.objects.filter(pk=org.pk).update(status=OrganisationStatus.SUSPENDED)
    assert get(client, "/notices", key).status_code == 401


@pytest.mark.parametrize(("method", "path"), [endpoint for endpoint in ENDPOINTS if endpoint[0] == "post"])
def test_a_read_only_key_may_not_post(client, now, method, path):
    key = key_for(organisation(now), now, scopes=["read"])
    response = post(client, path.removeprefix(""), key, body())
    assert response.status_code == 403
    assert response.json()["type"] == "urn:takedown-portal:problem:forbidden"
    assert not Notice.objects.exists()


@pytest.mark.parametrize("path", ["/notices", "/notices/TD-0000-0000"])
def test_a_filing_only_key_may_not_read(client, now, path):
    key = key_for(organisation(now), now, scopes=["file"])
    assert get(client, path, key).status_code == 403


def test_text_postgresql_refuses_names_nothing_instead_of_failing(client, now):
    key = key_for(organisation(now), now)
    assert get(client, "/notices/TD-%00", key).status_code == 404
    assert get(client, "/notices", key, reference="TD\x00").json()["notices"] == []
    errors = post(client, "/notices", key, body(evidence_sha256=["a\x00b"])).json()["errors"]
    assert [error["field"] for error in errors] == ["evidence_sha256[0]"]
