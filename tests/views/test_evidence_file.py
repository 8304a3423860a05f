"""Evidence is served to reviewers only, through an access-checked view, never from a public URL; always
as a download named after what its content is."""

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import FileResponse

from takedowns import evidence as evidence_store
from takedowns import workflow
from takedowns.models import Evidence, Notice
from tests.factories import JPEG_BYTES, PDF_BYTES, log_in, make_lead, make_reviewer, notice_fields

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


# --- A file's name is the submitter's text: it never decides how the file is stored or opened. ---

def _filed_with(now, name: str, content: bytes) -> Evidence:
    """An evidence file uploaded under `name` and stored by evidence.py, as the form stores it, on a filed notice."""
    key = uuid.uuid4()
    upload = SimpleUploadedFile(name, content)
    stored = evidence_store.store(key, "test_buy", upload, evidence_store.sniff_content_type(upload))
    workflow.file_notice(notice_fields(), [workflow.ReportedItem("L-1", "counterfeit")], key, now)
    return Evidence.objects.get(pk=stored.pk)


def test_a_polyglot_named_html_is_stored_and_downloaded_as_the_jpeg_it_is(client, now):
    polyglot = _filed_with(now, "poly.html", JPEG_BYTES + b"<html><script>alert(document.cookie)</script></html>")
    assert (polyglot.original_name, polyglot.content_type) == ("poly.html", "image/jpeg")
    assert polyglot.file.name.endswith(".jpg") and "poly" not in polyglot.file.name
    client.force_login(make_reviewer("rev", ["trademark"]).user)
    response = client.get(f"/review/evidence/{polyglot.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="poly.jpg"'
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_original_name_is_shown_as_escaped_text_only(client, now):
    hostile = _filed_with(now, '<img src=x onerror="alert(1)">.pdf', PDF_BYTES)
    client.force_login(make_reviewer("rev", ["trademark"]).user)
    html = client.get(f"/review/notices/{hostile.notice.reference}/").content.decode()
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;.pdf</a>" in html and "<img src=x" not in html
    response = client.get(f"/review/evidence/{hostile.pk}/")
    assert response["Content-Disposition"] == 'attachment; filename="img src_x onerror_alert(1).pdf"'


@pytest.mark.parametrize("name, content_type, stored_as, downloaded_as", [
    ("poly.html", "image/jpeg", "poly.html", "poly.jpg"),
    ("Rechnung März 2026.pdf", "application/pdf", "Rechnung März 2026.pdf", "Rechnung März 2026.pdf"),
    ("../../etc/passwd.png", "image/png", "../../etc/passwd.png", "passwd.png"),
    ("C:\\Users\\x\\shot.svg", "image/png", "C:\\Users\\x\\shot.svg", "shot.png"),
    ("report\x00.exe", "application/pdf", "report.exe", "report.pdf"),
    ("invoice\u202egpj.exe", "image/jpeg", "invoicegpj.exe", "invoicegpj.jpg"),
    ('say "hi"\r\nX-Evil: 1.pdf', "application/pdf", 'say "hi"X-Evil: 1.pdf', "say _hi_X-Evil_ 1.pdf"),
    (".htaccess", "application/pdf", ".htaccess", "evidence.pdf"),
    ("\x00\x01", "image/png", "unnamed", "unnamed.png"),
])
def test_names_are_kept_as_text_and_downloads_carry_the_contents_extension(name, content_type, stored_as,
                                                                           downloaded_as):
    assert evidence_store.shown_name(name) == stored_as
    assert evidence_store.download_name(Evidence(original_name=evidence_store.shown_name(name),
                                           content_type=content_type)) == downloaded_as
