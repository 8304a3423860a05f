"""A CSV upload over real connections (issue 15, point 4): an organisation's uploader sends a file of 300 rows
for two rights through the pages; the celery worker checks it row by row, PostgreSQL holds it, and once the
uploader asks, the worker files it as two notices, which are routed to reviewers; the SMTP server receives the
receipts, and the organisation's webhook endpoint the signed events."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from takedowns.enums import UploadStatus
from takedowns.models import CsvUpload, Notice
from tests.factories import (
    UPLOAD_COPYRIGHT,
    UPLOAD_FIELDS,
    UPLOAD_TRADEMARK,
    csv_bytes,
    listing_rows,
    upload_organisation,
)
from tests.integration.test_end_to_end import eventually
from tests.webhook_receiver import Receiver
from tests.webhooks.conftest import SECRET, add_endpoint

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_csv_of_300_rows_for_two_rights_is_checked_and_filed_by_the_worker_and_routed(
        client, catalogue, reviewers, mailbox, worker, settings, now):
    # The worker reads the uploaded file where this process stores it.
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(worker.log_path.parent / "evidence")}}}
    domain = f"brandguard-{uuid.uuid4().hex[:8]}.example"
    organisation = upload_organisation(now, domain=domain)
    receiver = Receiver(SECRET).start()
    add_endpoint(organisation, receiver.url, now)
    email = f"mia@{domain}"
    rows = ([["L-100001", "counterfeit", *UPLOAD_TRADEMARK], ["L-100002", "trademark_misuse", *UPLOAD_TRADEMARK]]
            + listing_rows(148)
            + [["L-100003", "copyright_images", *UPLOAD_COPYRIGHT]]
            + listing_rows(149, reason="copyright_text", right=UPLOAD_COPYRIGHT, start=500))
    link = [organisation.reference, organisation.tracking_token]
    form = client.get(reverse("takedowns:upload_new", args=link))
    key = str(form.context["form"].initial["submission_key"])

    response = client.post(reverse("takedowns:upload_new", args=link), {
        **UPLOAD_FIELDS, "submitter_email": email, "submitter_address": "Torstrasse 1, Berlin",
        "submitter_phone": "+49 30 1234567", "submission_key": key,
        "file": SimpleUploadedFile("listings.csv", csv_bytes(rows, delimiter=";", bom=True), "text/csv")})

    upload = CsvUpload.objects.get(public_id=key)
    assert response["Location"] == reverse("takedowns:upload_page", args=[*link, upload.public_id])
    eventually(lambda: CsvUpload.objects.filter(pk=upload.pk, status=UploadStatus.VALID).exists(),
               "the worker checks the file")
    progress = client.get(reverse("takedowns:upload_progress", args=[*link, upload.public_id])).json()
    assert (progress["status"], progress["done"], progress["total"], progress["errors"]) == ("valid", 300, 300, 0)
    page = client.get(response["Location"]).content.decode()
    assert "Every row is valid: 300 listings make 2 notices" in page

    client.post(reverse("takedowns:upload_file", args=[*link, upload.public_id]))

    eventually(lambda: CsvUpload.objects.filter(pk=upload.pk, status=UploadStatus.FILED).exists(),
               "the worker files the notices")
    upload.refresh_from_db()
    notices = list(Notice.objects.filter(organisation=organisation).order_by("id"))
    assert upload.notices == [notice.reference for notice in notices] and upload.rows_filed == 300
    assert [(notice.right_type, notice.items.count(), notice.submitter_email) for notice in notices] == [
        ("trademark", 150, email), ("copyright", 150, email)]
    routed = eventually(lambda: list(Notice.objects.filter(organisation=organisation, status="in_review")
                                     .order_by("id")) if Notice.objects.filter(
        organisation=organisation, status="in_review").count() == 2 else None, "the worker routes both notices")
    assert [notice.assigned_to.user.username for notice in routed] == ["tm", "cr"]
    receipts = mailbox.wait_for(email, 2)
    assert sorted(mail.subject for mail in receipts) == sorted(
        f"Notice {notice.reference} received" for notice in notices)
    page = client.get(response["Location"]).content.decode()
    for notice in notices:
        assert reverse("takedowns:track", args=[notice.reference, notice.tracking_token]) in page
    # The organisation's endpoint received each notice's signed events: filed, confirmed, routed (150 listings).
    try:
        got = receiver.wait_for(6, timeout=30)
    finally:
        receiver.stop()
    assert receiver.rejected == 0
    steps = sorted((record.payload["notice"]["reference"], record.payload["changes"][0]["event"],
                    len(record.payload["changes"])) for record in got.values())
    assert steps == sorted((notice.reference, event, changes) for notice in notices
                           for event, changes in (("filed", 1), ("confirmed", 1), ("routed", 151)))
