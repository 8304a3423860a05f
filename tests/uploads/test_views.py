"""The CSV upload's pages (views/uploads.py): the template, the form under the organisation's private link (what
it keeps, what it refuses), the upload's page at each step, its progress JSON, the problems as CSV, and filing."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from takedowns.enums import UploadStatus
from takedowns.models import CsvUpload, Notice, OutboundEmail
from tests.factories import (
    UPLOAD_COPYRIGHT,
    UPLOAD_FIELDS,
    UPLOAD_TRADEMARK,
    checked_upload,
    csv_bytes,
    listing_rows,
    upload_organisation,
)

pytestmark = pytest.mark.django_db

TWO_RIGHTS = csv_bytes(listing_rows(3) + listing_rows(2, reason="copyright_images", right=UPLOAD_COPYRIGHT, start=10))
DMCA = {"submitter_address": "BrandGuard, Torstrasse 1, Berlin", "submitter_phone": "+49 30 1234567"}


@pytest.fixture
def organisation(now):
    return upload_organisation(now)


def url(name: str, organisation, *args) -> str:
    return reverse(f"takedowns:{name}", args=[organisation.reference, organisation.tracking_token, *args])


def posted(data: bytes | None = b"", **overrides) -> dict:
    form = {**UPLOAD_FIELDS, **DMCA, "submission_key": "6f1c1f4e-6a53-4a43-9a57-6a1d7a0c2b11", **overrides}
    form = {name: value for name, value in form.items() if value is not False}
    if data:
        form["file"] = SimpleUploadedFile("listings.csv", data, "text/csv")
    return form


def test_the_template_downloads_with_the_header_and_two_example_rows(client):
    response = client.get(reverse("takedowns:upload_template"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="takedown-listings-template.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [["listing", "reason", "right_type", "registration_number", "office", "owner"],
                    ["https://marketplace.example/listings/L-100001/", "counterfeit", "trademark", "018234567",
                     "EUIPO", "Aurora Lighting GmbH"],
                    ["L-100002", "copyright_images", "copyright", "Product photos of the Aurora lamp, 2024",
                     "Germany", "Aurora Lighting GmbH"]]


def test_the_form_documents_the_columns_and_codes_and_is_filled_in_from_the_organisation(client, organisation):
    page = client.get(url("upload_new", organisation)).content.decode()
    assert reverse("takedowns:upload_template") in page
    for code in ("counterfeit", "trademark_misuse", "copyright_images", "copyright_text", "design", "patent",
                 "trademark", "copyright", "registration_number", "office", "owner"):
        assert f"<code>{code}</code>" in page
    assert 'value="Mia Keller"' in page and 'value="mia@brandguard.example"' in page
    assert "An address at brandguard.example: we write to it about these notices." in page


def test_an_upload_is_saved_then_checked_in_the_worker(client, organisation, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("upload_new", organisation), posted(TWO_RIGHTS))
    upload = CsvUpload.objects.get()
    assert response.status_code == 302 and response["Location"] == url("upload_page", organisation, upload.public_id)
    assert (upload.status, upload.rows_checked, upload.row_count, upload.errors) == (UploadStatus.VALID, 5, 5, [])
    assert upload.fields == {**UPLOAD_FIELDS, **DMCA}
    page = client.get(response["Location"]).content.decode()
    assert "Every row is valid: 5 listings make 2 notices" in page and "File 2 notices" in page


def test_an_address_outside_the_domain_is_refused_and_everything_typed_is_kept(client, organisation):
    response = client.post(url("upload_new", organisation), posted(TWO_RIGHTS, submitter_email="mia@gmail.example",
                                                                   description="Typed with care " * 3))
    page = response.content.decode()
    assert response.status_code == 400 and not CsvUpload.objects.exists()
    assert ("Use an address at brandguard.example (or one of its subdomains): your organisation files in the name "
            "of the addresses it controls.") in page
    assert "Typed with care Typed with care" in page and 'value="mia@gmail.example"' in page


def test_a_subdomain_address_is_accepted(client, organisation):
    client.post(url("upload_new", organisation), posted(TWO_RIGHTS, submitter_email="mia@legal.brandguard.example"))
    assert CsvUpload.objects.get().fields["submitter_email"] == "mia@legal.brandguard.example"


def test_a_file_too_large_or_missing_is_refused(client, organisation, settings):
    settings.CSV_UPLOAD_MAX_BYTES = 100
    response = client.post(url("upload_new", organisation), posted(TWO_RIGHTS))
    assert response.status_code == 400
    assert (f"“listings.csv” is {len(TWO_RIGHTS)}\xa0bytes; a CSV file may be at most 100\xa0bytes. Split it "
            "into several files.") in response.content.decode()
    response = client.post(url("upload_new", organisation), posted(None))
    assert response.status_code == 400 and "Choose the CSV file of listings to upload." in response.content.decode()
    assert not CsvUpload.objects.exists()


def test_the_forms_own_checks_apply_to_the_typed_fields(client, organisation):
    response = client.post(url("upload_new", organisation), posted(TWO_RIGHTS, signature="Someone Else",
                                                                   good_faith_statement=False))
    page = response.content.decode()
    assert response.status_code == 400 and not CsvUpload.objects.exists()
    assert "Type your full name exactly as entered above (“Mia Keller”) to sign." in page
    assert "The notice can only be filed with the good-faith statement." in page


def test_an_organisation_not_yet_confirmed_cannot_upload(client, now):
    organisation = upload_organisation(now, status="unconfirmed", domain="new.example")
    page = client.get(url("upload_new", organisation)).content.decode()
    assert "Your organisation cannot upload at the moment" in page
    response = client.post(url("upload_new", organisation), posted(TWO_RIGHTS, submitter_email="mia@new.example"))
    assert response.status_code == 403 and not CsvUpload.objects.exists()


def test_the_bad_rows_are_shown_and_downloadable_and_a_corrected_file_keeps_the_fields(client, organisation, now):
    bad = csv_bytes([["nope", "counterfeit", *UPLOAD_TRADEMARK], *listing_rows(2)])
    upload = checked_upload(now, bad, organisation, fields={**UPLOAD_FIELDS, "description": "Our own words " * 3})
    page = client.get(url("upload_page", organisation, upload.public_id)).content.decode()
    assert "1 problem to correct: nothing was filed" in page
    assert "“nope” is neither a web address (https://…) nor a listing ID such as L-100001." in page
    errors = client.get(url("upload_errors", organisation, upload.public_id))
    assert errors["Content-Type"] == "text/csv; charset=utf-8"
    assert list(csv.reader(io.StringIO(errors.content.decode("utf-8-sig")))) == [
        ["row", "column", "problem"],
        ["2", "listing", "“nope” is neither a web address (https://…) nor a listing ID such as L-100001."]]
    corrected = client.get(url("upload_new", organisation) + f"?from={upload.public_id}").content.decode()
    assert "Our own words Our own words" in corrected and f'value="{upload.public_id}"' in corrected


def test_a_corrected_upload_without_a_new_file_checks_the_same_file_with_the_new_fields(
        client, organisation, now, django_capture_on_commit_callbacks):
    upload = checked_upload(now, TWO_RIGHTS, organisation)  # copyright rows without the DMCA contact
    assert [error["field"] for error in upload.errors] == ["submitter_address", "submitter_phone"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("upload_new", organisation), posted(None, previous=str(upload.public_id)))
    corrected = CsvUpload.objects.exclude(pk=upload.pk).get()
    assert (corrected.status, corrected.file.name, corrected.original_name) == (
        UploadStatus.VALID, upload.file.name, "listings.csv")


def test_the_progress_json(client, organisation, now):
    upload = checked_upload(now, csv_bytes(listing_rows(1200)), organisation)
    CsvUpload.objects.filter(pk=upload.pk).update(status=UploadStatus.VALIDATING, rows_checked=500)
    response = client.get(url("upload_progress", organisation, upload.public_id))
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {"status": "validating", "status_label": "Checking the rows", "done": 500,
                               "total": 1200, "percent": 41, "step": 40, "running": True, "errors": 0, "notices": 0}
    page = client.get(url("upload_page", organisation, upload.public_id)).content.decode()
    assert 'class="progress-bar upload-bar-40 progress-bar-striped progress-bar-animated"' in page
    assert 'aria-valuenow="41"' in page and "500 of 1200 rows checked" in page and 'id="upload-refresh"' in page


def test_filing_from_the_page_files_the_notices_and_lists_their_tracking_links(
        client, organisation, now, django_capture_on_commit_callbacks):
    upload = checked_upload(now, csv_bytes(listing_rows(3)), organisation)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("upload_file", organisation, upload.public_id))
    assert response["Location"] == url("upload_page", organisation, upload.public_id)
    notice = Notice.objects.get()
    upload.refresh_from_db()
    assert (upload.status, upload.rows_filed, upload.notices) == (UploadStatus.FILED, 3, [notice.reference])
    page = client.get(response["Location"]).content.decode()
    assert f'<a href="/track/{notice.reference}/{notice.tracking_token}/">{notice.reference}</a>' in page
    assert "1 notice filed" in page
    # Verified: its receipt at once, no confirmation; then routed (after commit, in-process here), which closes it:
    # the test's listings are not in the catalogue.
    assert sorted(OutboundEmail.objects.values_list("kind", "to")) == [
        ("nothing_to_decide", "mia@brandguard.example"), ("notice_received", "mia@brandguard.example")]
    progress = client.get(url("upload_progress", organisation, upload.public_id)).json()
    assert (progress["status"], progress["done"], progress["total"], progress["percent"]) == ("filed", 3, 3, 100)


def test_an_invalid_upload_is_not_filed(client, organisation, now):
    upload = checked_upload(now, csv_bytes([["nope", "counterfeit", *UPLOAD_TRADEMARK]]), organisation)
    response = client.post(url("upload_file", organisation, upload.public_id), follow=True)
    assert "Only a file whose every row is valid can be filed." in response.content.decode()
    assert CsvUpload.objects.get().status == UploadStatus.INVALID and not Notice.objects.exists()


def test_another_organisations_upload_is_not_found_under_this_link(client, organisation, now):
    other = upload_organisation(now, domain="other.example")
    upload = checked_upload(now, csv_bytes(listing_rows(1)), other, fields={**UPLOAD_FIELDS,
                                                                              "submitter_email": "a@other.example"})
    for name in ("upload_page", "upload_progress", "upload_errors"):
        assert client.get(url(name, organisation, upload.public_id)).status_code == 404
    assert client.post(url("upload_file", organisation, upload.public_id)).status_code == 404
    assert client.get(url("upload_page", organisation, upload.public_id).replace(
        organisation.tracking_token, "w" * 43)).status_code == 404
