"""Evidence is served to reviewers only, through an access-checked view, never from a public URL."""

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile

from takedowns import workflow
from takedowns.models import Evidence
from tests.factories import PDF_BYTES, make_reviewer, notice_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def evidence(now):
    key = uuid.uuid4()
    item = Evidence(submission_key=key, kind="test_buy", original_name="buy.pdf", content_type="application/pdf",
                    size=len(PDF_BYTES), sha256="0" * 64)
    item.file.save("random.pdf", ContentFile(PDF_BYTES), save=True)
    workflow.file_notice(notice_fields(), [workflow.ReportedItem("L-1", "counterfeit")], key, now)
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
