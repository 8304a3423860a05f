"""Evidence is served to reviewers only, through an access-checked view, never from a public URL."""

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.http import FileResponse

from takedowns import workflow
from takedowns.models import Evidence, Notice
from tests.factories import PDF_BYTES, log_in, make_lead, make_reviewer, notice_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def evidence(now):
    key = uuid.uuid4()
    item = Evidence(submission_key=key, kind="test_buy", original_name="buy.pdf", content_type="application/pdf",
                    size=len(PDF_BYTES), sha256="0" * 64)
    item.file.save("random.pdf", ContentFile(PDF_BYTES), save=True)
    workflow.file_notice(notice_fields(), [workflow.ReportedItem("L-1", "counterfeit")], key, now)
    item.refresh_from_db()
    return item


def test_anonymous_visitors_are_sent_to_log_in(client, evidence):
    response = client.get(f"/review/evidence/{evidence.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/review/login/")


def test_staff_outside_the_reviewer_groups_are_refused(client, evidence):
    client.force_login(get_user_model().objects.create_user("staff", password="pw", is_staff=True))
    assert client.get(f"/review/evidence/{evidence.pk}/").status_code == 403


def test_reviewers_download_the_file_with_its_original_name(client, evidence):
    client.force_login(make_reviewer("rev", ["trademark"]).user)
    response = client.get(f"/review/evidence/{evidence.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="buy.pdf"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == PDF_BYTES


def test_uploads_not_yet_part_of_a_notice_are_not_served(client):
    orphan = Evidence.objects.create(submission_key=uuid.uuid4(), kind="other", file="x.pdf", original_name="x.pdf",
                                     content_type="application/pdf", size=1, sha256="0" * 64)
    client.force_login(make_reviewer("rev", ["trademark"]).user)
    assert client.get(f"/review/evidence/{orphan.pk}/").status_code == 404


def test_there_is_no_public_url_for_uploads(client, evidence):
    assert client.get(f"/media/{evidence.file.name}").status_code == 404
    assert client.get(f"/{evidence.file.name}").status_code == 404


# --- Least privilege (issue 10, item 4): the evidence of a notice opens for those who may open the
# notice (takedowns.access.may_open_notice): its reviewer, reviewers with the skill for its right,
# and leads. The fixture's notice is a trademark notice, unassigned.

def test_a_reviewer_without_the_rights_skill_may_not_download_its_evidence(client, evidence):
    client.force_login(make_reviewer("pat", ["patent"]).user)
    response = client.get(f"/review/evidence/{evidence.pk}/")
    assert response.status_code == 403
    assert "is a trademark notice: it opens for reviewers with that skill" in response.content.decode()
    assert not isinstance(response, FileResponse)


def test_the_reviewer_a_notice_is_assigned_to_downloads_its_evidence_without_the_skill(client, evidence):
    pat = make_reviewer("pat", ["patent"])  # routing's fallback when nobody has the skill
    Notice.objects.filter(pk=evidence.notice_id).update(assigned_to=pat)
    client.force_login(pat.user)
    response = client.get(f"/review/evidence/{evidence.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF_BYTES


def test_a_lead_downloads_every_notices_evidence(client, evidence):
    lead = make_lead("boss")  # no skill at all
    log_in(client, lead)
    response = client.get(f"/review/evidence/{evidence.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF_BYTES
