"""The CSV upload (issue 15, point 4) under an organisation's private link: the form, the upload's page (its
progress, the bad-row report, the "file" button, the notices filed), its progress as JSON for the page's bar,
and the public template to download. The worker checks and files (workflow/uploads.py)."""

import csv
import uuid

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from takedowns import access
from takedowns.access import public
from takedowns.enums import REASONS_FOR_RIGHT, InfringementReason, RightType, UploadStatus
from takedowns.forms.uploads import COLUMNS, UploadForm, groups_of, template_csv
from takedowns.models import CsvUpload, Notice, Organisation
from takedowns.workflow import TransitionNotAllowed, uploads

NEW_UPLOAD = "takedowns/uploads/new.html"
# The bad-row report's table shows this many problems; the CSV download has them all.
SHOWN_ERRORS = 500



@public
@require_GET
def upload_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="takedown-listings-template.csv"'
    return response


@access.organisation_link
@require_http_methods(["GET", "POST"])
def new_upload(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    previous = _previous_upload(organisation, request.POST.get("previous") or request.GET.get("from"))
    if request.method == "GET":
        form = UploadForm(initial=_initial(organisation, previous), organisation=organisation, previous=previous)
        return _form_page(request, organisation, form)
    form = UploadForm(request.POST, request.FILES, organisation=organisation, previous=previous)
    if organisation.status not in uploads.MAY_FILE:
        return _form_page(request, organisation, form, status=403)
    if not form.is_valid():
        return _form_page(request, organisation, form, status=400)
    file, name = form.file_and_name()
    upload, _created = uploads.create_upload(organisation, form.notice_fields(), file, name,
                                             form.cleaned_data["submission_key"], timezone.now())
    return redirect("takedowns:upload_page", organisation.reference, organisation.tracking_token, upload.public_id)


def _previous_upload(organisation: Organisation, raw: str | None) -> CsvUpload | None:
    """An earlier upload of this organisation, corrected on the form: its fields are filled in, its file kept."""
    try:
        public_id = uuid.UUID(raw or "")
    except ValueError:
        return None
    return CsvUpload.objects.filter(organisation=organisation, public_id=public_id).first()


def _initial(organisation: Organisation, previous: CsvUpload | None) -> dict:
    if previous is not None:
        return {**previous.fields, "submission_key": uuid.uuid4(), "previous": previous.public_id}
    return {"submission_key": uuid.uuid4(), "submitter_name": organisation.contact_name,
            "submitter_email": organisation.contact_email, "submitter_organisation": organisation.name,
            "submitter_country": str(organisation.country), "submitter_role": organisation.role,
            "language": organisation.language}


def _form_page(request: HttpRequest, organisation: Organisation, form: UploadForm, status: int = 200) -> HttpResponse:
    reasons = [(reason, InfringementReason(reason).label,
                [RightType(right).label for right, allowed in REASONS_FOR_RIGHT.items() if reason in allowed])
               for reason in InfringementReason.values]
    return render(request, NEW_UPLOAD, {
        "organisation": organisation, "form": form, "may_file": organisation.status in uploads.MAY_FILE,
        "reasons": reasons, "right_types": RightType.choices, "columns": COLUMNS}, status=status)


def _upload_of(organisation: Organisation, public_id: uuid.UUID) -> CsvUpload:
    upload = CsvUpload.objects.filter(organisation=organisation, public_id=public_id).first()
    if upload is None:
        raise Http404("No such upload.")
    return upload


@access.organisation_link
@require_GET
def upload_page(request: HttpRequest, organisation: Organisation, public_id: uuid.UUID) -> HttpResponse:
    upload = _upload_of(organisation, public_id)
    notices = {notice.reference: notice for notice in Notice.objects.filter(
        organisation=organisation, reference__in=upload.notices).annotate(listings=Count("items"))}
    return render(request, "takedowns/uploads/upload.html", {
        "organisation": organisation, "upload": upload, "progress": progress_of(upload),
        "errors": upload.errors[:SHOWN_ERRORS], "more_errors": max(len(upload.errors) - SHOWN_ERRORS, 0),
        "shown_errors": SHOWN_ERRORS,
        "notices": [notices[reference] for reference in upload.notices if reference in notices],
        "groups": _groups(upload)})


def _groups(upload: CsvUpload) -> list[dict]:
    """The notices a valid upload will file (counted again from its file: a few milliseconds)."""
    if upload.status != UploadStatus.VALID:
        return []
    with upload.file.open("rb") as file:
        return [{"right": RightType(group.right_type).label, "number": group.registration_number,
                 "office": group.office, "owner": group.owner, "listings": len(group.items)}
                for group in groups_of(file.read())]


def progress_of(upload: CsvUpload) -> dict:
    """What the page's bar shows, and its JSON: the step, how far, and whether the page must change."""
    filing = upload.status in (UploadStatus.FILING, UploadStatus.FILED)
    done, total = (upload.rows_filed, upload.row_count) if filing else (upload.rows_checked, upload.row_count)
    percent = 100 if upload.status in (UploadStatus.FILED, UploadStatus.VALID, UploadStatus.INVALID) else (
        int(100 * done / total) if total else 0)
    return {"status": upload.status, "status_label": upload.get_status_display(), "done": done, "total": total,
            "percent": percent, "step": 5 * (percent // 5),
            "running": upload.status in (UploadStatus.VALIDATING, UploadStatus.FILING),
            "errors": len(upload.errors), "notices": len(upload.notices)}


@access.organisation_link
@require_GET
def upload_progress(request: HttpRequest, organisation: Organisation, public_id: uuid.UUID) -> JsonResponse:
    response = JsonResponse(progress_of(_upload_of(organisation, public_id)))
    response["Cache-Control"] = "no-store"
    return response


@access.organisation_link
@require_GET
def upload_errors(request: HttpRequest, organisation: Organisation, public_id: uuid.UUID) -> HttpResponse:
    """Every problem of the file, as CSV, to fix the rows in a spreadsheet beside it."""
    upload = _upload_of(organisation, public_id)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="errors-{upload.public_id}.csv"'
    response.write("\ufeff")  # so that Excel reads the UTF-8 file as UTF-8
    writer = csv.writer(response, lineterminator="\r\n")
    writer.writerow([_("row"), _("column"), _("problem")])
    writer.writerows([error["row"] or "", error["field"], error["message"]] for error in upload.errors)
    return response


@access.organisation_link
@require_POST
def file_upload(request: HttpRequest, organisation: Organisation, public_id: uuid.UUID) -> HttpResponse:
    upload = _upload_of(organisation, public_id)
    try:
        uploads.request_filing(upload, timezone.now())
    except TransitionNotAllowed as refused:
        messages.error(request, str(refused))
    return redirect("takedowns:upload_page", organisation.reference, organisation.tracking_token, upload.public_id)
