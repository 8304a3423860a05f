"""The one writer of CsvUpload (workflow/uploads.py): an upload saved at once and checked in the worker, then
filed as one notice per right, idempotently (a retried or resumed task files nothing twice); the e-mails of a
verified and of a pending organisation; the sweep that resumes a lost task."""

import uuid
from datetime import timedelta

import pytest

from takedowns import dispatch, workflow
from takedowns.enums import NoticeStatus, UploadStatus
from takedowns.forms.uploads import check_file, groups_of
from takedowns.models import CsvUpload, Notice, OutboundEmail, TaskDispatch
from takedowns.workflow import TransitionNotAllowed, uploads
from tests.factories import (
    UPLOAD_COPYRIGHT,
    UPLOAD_FIELDS,
    UPLOAD_TRADEMARK,
    checked_upload,
    created_upload,
    csv_bytes,
    listing_rows,
    upload_organisation,
)

pytestmark = pytest.mark.django_db

DMCA = {**UPLOAD_FIELDS, "submitter_address": "BrandGuard, Torstrasse 1, Berlin", "submitter_phone": "+49 30 1234567"}
TWO_RIGHTS = csv_bytes(listing_rows(3) + listing_rows(2, reason="copyright_images", right=UPLOAD_COPYRIGHT, start=10))


def state(upload: CsvUpload) -> dict:
    upload.refresh_from_db()
    return {"status": upload.status, "row_count": upload.row_count, "rows_checked": upload.rows_checked,
            "rows_filed": upload.rows_filed, "errors": upload.errors, "notices": upload.notices}


def test_an_upload_is_saved_at_once_with_its_file_and_fields_and_its_check_asked_for(now):
    upload = created_upload(now, TWO_RIGHTS, fields=DMCA)
    assert state(upload) == {"status": UploadStatus.VALIDATING, "row_count": 0, "rows_checked": 0,
                             "rows_filed": 0, "errors": [], "notices": []}
    assert (upload.fields, upload.original_name, upload.created_at, upload.progress_at) == (
        DMCA, "listings.csv", now, now)
    with upload.file.open("rb") as file:
        assert file.read() == TWO_RIGHTS
    assert list(TaskDispatch.objects.values_list("task", "kwargs")) == [(dispatch.CHECK_UPLOAD,
                                                                          {"upload_id": upload.pk})]


def test_the_same_form_sent_twice_saves_one_upload(now):
    organisation = upload_organisation(now)
    key = uuid.uuid4()
    from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: PLC0415 — this test's own
    first, created = uploads.create_upload(organisation, UPLOAD_FIELDS, SimpleUploadedFile("a.csv", TWO_RIGHTS),
                                           "a.csv", key, now)
    again, created_again = uploads.create_upload(organisation, UPLOAD_FIELDS, SimpleUploadedFile("a.csv", b"x"),
                                                 "a.csv", key, now)
    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert CsvUpload.objects.count() == 1 and TaskDispatch.objects.count() == 1


def test_an_unconfirmed_organisation_may_not_upload(now):
    with pytest.raises(TransitionNotAllowed):
        created_upload(now, TWO_RIGHTS, organisation=upload_organisation(now, status="unconfirmed"))
    assert not CsvUpload.objects.exists()


def test_a_valid_file_is_checked_to_valid_with_every_row_counted(now):
    upload = checked_upload(now, TWO_RIGHTS, fields=DMCA)
    assert state(upload) == {"status": UploadStatus.VALID, "row_count": 5, "rows_checked": 5, "rows_filed": 0,
                             "errors": [], "notices": []}
    assert upload.finished_at is None and not Notice.objects.exists()


def test_a_file_with_bad_rows_is_invalid_with_all_of_them_and_nothing_is_filed(now):
    data = csv_bytes([["nope", "counterfeit", *UPLOAD_TRADEMARK], ["L-100001", "patent", *UPLOAD_TRADEMARK],
                      *listing_rows(3)])
    upload = checked_upload(now, data)
    assert state(upload) == {"status": UploadStatus.INVALID, "row_count": 5, "rows_checked": 5, "rows_filed": 0,
                             "notices": [], "errors": [
        {"row": 2, "field": "listing", "message": "“nope” is neither a web address (https://…) nor a listing ID "
                                                  "such as L-100001."},
        {"row": 3, "field": "reason", "message": "“Patent infringement” does not fit the type of right "
                                                 "“Trademark”; choose “Counterfeit goods” or “Trademark misuse (logo "
                                                 "or brand name used without permission)”, or change the type of "
                                                 "right."}]}
    assert upload.finished_at == now
    with pytest.raises(TransitionNotAllowed):
        uploads.request_filing(upload, now)
    assert CsvUpload.objects.get().status == UploadStatus.INVALID and not Notice.objects.exists()


def test_checking_moves_rows_checked_chunk_by_chunk(now):
    upload = created_upload(now, csv_bytes(listing_rows(1200)))
    seen = []

    def watching(data, fields):
        for progress in check_file(data, fields):
            seen.append(CsvUpload.objects.get(pk=upload.pk).rows_checked)
            yield progress
    uploads.check_upload(upload.pk, now, watching)
    assert seen == [0, 0, 500, 1000, 1200]  # the first step records the row count
    assert CsvUpload.objects.get(pk=upload.pk).row_count == 1200
    assert state(upload)["rows_checked"] == 1200


def test_a_checked_upload_is_not_checked_again(now):
    upload = checked_upload(now, TWO_RIGHTS, fields=DMCA)
    assert uploads.check_upload(upload.pk, now, check_file) is None  # a task delivered twice
    assert state(upload)["status"] == UploadStatus.VALID


def test_a_verified_organisations_file_becomes_one_confirmed_notice_per_right(now, catalogue):
    upload = checked_upload(now, TWO_RIGHTS, fields=DMCA)
    uploads.request_filing(upload, now)
    assert state(upload)["status"] == UploadStatus.FILING
    assert TaskDispatch.objects.filter(task=dispatch.FILE_UPLOAD, kwargs={"upload_id": upload.pk}).count() == 1
    uploads.file_upload(upload.pk, now, groups_of)
    notices = list(Notice.objects.order_by("id"))
    assert state(upload) == {"status": UploadStatus.FILED, "row_count": 5, "rows_checked": 5, "rows_filed": 5,
                             "errors": [], "notices": [notice.reference for notice in notices]}
    assert upload.finished_at == now
    assert [(n.right_type, n.right_registration_number, n.right_office, n.right_owner, n.status, n.organisation_id,
             n.submitter_email, n.submitter_address, n.signature) for n in notices] == [
        ("trademark", "018234567", "EUIPO", "Aerostride GmbH", NoticeStatus.CONFIRMED, upload.organisation_id,
         "mia@brandguard.example", DMCA["submitter_address"], "Mia Keller"),
        ("copyright", "Product photos of the Aurora lamp, 2024", "Germany", "Aurora Lighting GmbH",
         NoticeStatus.CONFIRMED, upload.organisation_id, "mia@brandguard.example", DMCA["submitter_address"],
         "Mia Keller")]
    assert [list(n.items.order_by("position").values_list("reported", "reason")) for n in notices] == [
        [(f"https://marketplace.example/listings/L-20000{i}/", "counterfeit") for i in (1, 2, 3)],
        [(f"https://marketplace.example/listings/L-2000{i}/", "copyright_images") for i in (10, 11)]]
    assert [n.submission_key for n in notices] == [
        uuid.uuid5(upload.public_id, "trademark\x1f018234567\x1feuipo\x1faerostride gmbh"),
        uuid.uuid5(upload.public_id, "copyright\x1fproduct photos of the aurora lamp, 2024\x1fgermany\x1f"
                                     "aurora lighting gmbh")]
    # Verified: no confirmation asked, the receipt sent for each notice, and each routed after commit.
    assert sorted(OutboundEmail.objects.values_list("kind", "to", "notice__reference")) == sorted(
        ("notice_received", "mia@brandguard.example", n.reference) for n in notices)
    assert TaskDispatch.objects.filter(task=dispatch.ROUTE_NOTICE).count() == 2


def test_a_pending_organisations_notices_each_wait_for_their_confirmation_email(now):
    organisation = upload_organisation(now, status="pending")
    upload = checked_upload(now, TWO_RIGHTS, organisation=organisation, fields=DMCA)
    uploads.request_filing(upload, now)
    uploads.file_upload(upload.pk, now, groups_of)
    notices = list(Notice.objects.order_by("id"))
    assert [n.status for n in notices] == [NoticeStatus.UNCONFIRMED] * 2
    assert sorted(OutboundEmail.objects.values_list("kind", "to", "notice__reference")) == sorted(
        ("confirm_notice", "mia@brandguard.example", n.reference) for n in notices)
    assert state(upload)["status"] == UploadStatus.FILED


def test_filing_again_after_a_crash_files_nothing_twice(now):
    upload = checked_upload(now, TWO_RIGHTS, fields=DMCA)
    uploads.request_filing(upload, now)
    # The first run filed the first notice and died before it recorded anything.
    [first, _second] = groups_of(TWO_RIGHTS)
    filed, _ = workflow.file_for_organisation(upload.organisation, None, {**DMCA, **first.notice_fields()},
                                              first.items, uuid.uuid5(upload.public_id, first.key), now,
                                              with_evidence=False)
    uploads.file_upload(upload.pk, now, groups_of)
    assert Notice.objects.count() == 2
    assert state(upload)["notices"][0] == filed.reference and state(upload)["rows_filed"] == 5
    # A task delivered once more does nothing.
    assert uploads.file_upload(upload.pk, now, groups_of) is None
    assert Notice.objects.count() == 2 and OutboundEmail.objects.count() == 2


def test_a_pending_organisation_over_its_waiting_confirmations_pauses_and_resumes(now, settings):
    settings.RATE_LIMIT_PENDING_CONFIRMATIONS = 1
    organisation = upload_organisation(now, status="pending")
    upload = checked_upload(now, TWO_RIGHTS, organisation=organisation, fields=DMCA)
    uploads.request_filing(upload, now)
    uploads.file_upload(upload.pk, now, groups_of)
    [first] = Notice.objects.all()
    assert state(upload) == {"status": UploadStatus.VALID, "row_count": 5, "rows_checked": 5, "rows_filed": 3,
                             "notices": [first.reference], "errors": [{"row": None, "field": "", "message": (
        "1 notice is filed and waits for its confirmation e-mail to mia@brandguard.example; an address may have at "
        "most 1 waiting. Confirm it (or wait for your organisation's verification, which makes confirmation "
        "unnecessary), then file the rest with the button below.")}]}
    workflow.confirm_notice(first, now)
    uploads.request_filing(upload, now)
    uploads.file_upload(upload.pk, now, groups_of)
    assert Notice.objects.count() == 2
    assert state(upload)["status"] == UploadStatus.FILED and state(upload)["rows_filed"] == 5


def test_a_lost_task_is_asked_for_again_once_by_the_sweep(now):
    organisation = upload_organisation(now)
    validating = created_upload(now, TWO_RIGHTS, organisation)
    filing = checked_upload(now, csv_bytes(listing_rows(2)), organisation)
    uploads.request_filing(filing, now)
    fresh = created_upload(now + timedelta(minutes=4), TWO_RIGHTS, organisation)
    TaskDispatch.objects.all().delete()
    later = now + uploads.STALLED + timedelta(seconds=1)
    CsvUpload.objects.filter(pk__in=[validating.pk, filing.pk]).update(progress_at=now)
    assert uploads.resume_stalled(later) == 2
    assert sorted(TaskDispatch.objects.values_list("task", "kwargs")) == sorted([
        (dispatch.CHECK_UPLOAD, {"upload_id": validating.pk}), (dispatch.FILE_UPLOAD, {"upload_id": filing.pk})])
    assert CsvUpload.objects.get(pk=validating.pk).progress_at == later
    assert uploads.resume_stalled(later) == 0  # claimed: the next sweep leaves them to the tasks it asked for
    assert CsvUpload.objects.get(pk=fresh.pk).progress_at == now + timedelta(minutes=4)


def test_a_file_the_storage_lost_fails_the_upload_with_a_reason(now):
    upload = created_upload(now, TWO_RIGHTS)
    upload.file.storage.delete(upload.file.name)
    assert uploads.check_upload(upload.pk, now, check_file) is None
    assert state(upload)["status"] == UploadStatus.FAILED
    assert upload.errors == [{"row": None, "field": "", "message": "The file could not be read back from our "
                                                                   "storage. Please upload it again."}]
