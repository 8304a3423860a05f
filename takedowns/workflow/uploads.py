"""CSV uploads (issue 15, point 4): the one writer of CsvUpload.

An organisation's upload is saved at once with the file and the fields typed beside it (nothing typed is lost),
then checked row by row in the worker, in chunks that move `rows_checked` (the page's progress bar). Only a file
whose every row is valid may be filed; filing runs in the worker too, one notice per right (right type, number,
office and owner), each through `file_for_organisation` under the submission key uuid5(upload, right): a task
run twice, or resumed after a worker died, finds the notices it filed already and files none twice.

The rules a row must pass are the notice form's, so they live with it (forms/uploads.py): this module is given
the checker and the grouper by its caller (tasks.py), as it may not import the forms (the layers)."""

import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from takedowns import dispatch
from takedowns.enums import OrganisationStatus, UploadStatus
from takedowns.models import CsvUpload, Organisation
from takedowns.workflow.base import TransitionNotAllowed
from takedowns.workflow.filing import ConfirmationsWaiting, ReportedItem, file_for_organisation

logger = logging.getLogger(__name__)

# An upload VALIDATING or FILING whose task showed no sign of life for this long was lost (a worker killed
# midway; a chunk takes well under a second): the beat asks for it again (resume_stalled).
STALLED = timedelta(minutes=5)
# Organisations that may upload and file: as for their API keys (api_keys.find).
MAY_FILE = (OrganisationStatus.PENDING, OrganisationStatus.VERIFIED)


@dataclass(frozen=True)
class RowError:
    """One problem of the file: the row as a spreadsheet numbers it (the header is row 1; None: the whole
    file), the column by its header name ("" for the whole row), and what to fix."""
    row: int | None
    field: str
    message: str

    def as_json(self) -> dict[str, object]:
        return {"row": self.row, "field": self.field, "message": self.message}


@dataclass
class Group:
    """The rows of one right: one notice."""
    right_type: str
    registration_number: str
    office: str
    owner: str
    items: list[ReportedItem] = field(default_factory=list)

    @property
    def key(self) -> str:
        """The right as its notice's submission key names it: the same right spelt in another case is the same."""
        return "\x1f".join(part.strip().casefold() for part in (self.right_type, self.registration_number,
                                                                 self.office, self.owner))

    def notice_fields(self) -> dict[str, str]:
        return {"right_type": self.right_type, "right_registration_number": self.registration_number,
                "right_office": self.office, "right_owner": self.owner}


@dataclass
class Checked:
    """How far a check got: rows checked of the file's data rows, every problem found so far, and (once
    `done`) the notices the rows make."""
    rows_checked: int
    row_count: int
    errors: list[RowError]
    groups: list[Group]
    done: bool = False


# forms/uploads.py gives these: the check of a file's bytes with the upload's typed fields, chunk by chunk,
# and the notices of a file already found valid.
Checker = Callable[[bytes, dict], Iterator[Checked]]
Grouper = Callable[[bytes], list[Group]]


# --- The page's side: save an upload, ask to file it. ---

def create_upload(organisation: Organisation, fields: dict, file: File | str, original_name: str,
                  public_id: uuid.UUID, now: datetime) -> tuple[CsvUpload, bool]:
    """Save the file and the typed fields, and ask the worker to check it. The form's one-time key is the
    upload's public id: a double click or a resent POST returns the first upload (created False). `file` may
    be the stored name of an earlier upload's file, checked again with corrected fields."""
    existing = CsvUpload.objects.filter(public_id=public_id).first()
    if existing is not None:
        return existing, False
    if organisation.status not in MAY_FILE:
        raise TransitionNotAllowed(_("Your organisation may upload once its e-mail domain is confirmed."))
    upload = CsvUpload(public_id=public_id, organisation=organisation, file=file, original_name=original_name[:255],
                       fields=fields, created_at=now, progress_at=now)
    try:
        with transaction.atomic():
            upload.save()
            dispatch.after_commit(dispatch.CHECK_UPLOAD, upload_id=upload.pk)
    except IntegrityError:  # the same form sent twice at once: the first one's upload
        return CsvUpload.objects.get(public_id=public_id), False
    return upload, True


def request_filing(upload: CsvUpload, now: datetime) -> CsvUpload:
    """The uploader asked to file a valid upload: the worker files it. Asking twice is harmless."""
    with transaction.atomic():
        upload = CsvUpload.objects.select_for_update().select_related("organisation").get(pk=upload.pk)
        if upload.status == UploadStatus.FILING or upload.status == UploadStatus.FILED:
            return upload
        if upload.status != UploadStatus.VALID:
            raise TransitionNotAllowed(_("Only a file whose every row is valid can be filed."))
        if upload.organisation.status not in MAY_FILE:
            raise TransitionNotAllowed(_("Your organisation may not file notices at the moment (its status: "
                                         "%(status)s).") % {"status": upload.organisation.get_status_display()})
        upload.status, upload.errors, upload.progress_at = UploadStatus.FILING, [], now
        upload.save(update_fields=["status", "errors", "progress_at"])
        dispatch.after_commit(dispatch.FILE_UPLOAD, upload_id=upload.pk)
    return upload


# --- The worker's side. ---

def check_upload(upload_id: int, now: datetime, checker: Checker) -> CsvUpload | None:
    """Check every row of a VALIDATING upload, recording progress after each chunk; then VALID, or INVALID
    with every problem. Run again (a retried or resumed task), it checks from the start: checking writes
    nothing but the upload's own progress."""
    loaded = _load(upload_id, UploadStatus.VALIDATING, now)
    if loaded is None:
        return None
    upload, data = loaded
    for progress in checker(data, upload.fields):
        if progress.done:
            return _finish_check(upload, progress, now)
        # The clock, not `now`: a sign of life for the sweep, which compares it with its own clock.
        CsvUpload.objects.filter(pk=upload.pk, status=UploadStatus.VALIDATING).update(
            rows_checked=progress.rows_checked, row_count=progress.row_count, progress_at=timezone.now())
    raise RuntimeError("The upload's checker stopped without a result.")


def _finish_check(upload: CsvUpload, checked: Checked, now: datetime) -> CsvUpload:
    status = UploadStatus.INVALID if checked.errors else UploadStatus.VALID
    CsvUpload.objects.filter(pk=upload.pk, status=UploadStatus.VALIDATING).update(
        status=status, rows_checked=checked.rows_checked, row_count=checked.row_count,
        errors=[error.as_json() for error in checked.errors], progress_at=now,
        finished_at=now if status == UploadStatus.INVALID else None)
    upload.refresh_from_db()
    return upload


def file_upload(upload_id: int, now: datetime, grouper: Grouper) -> CsvUpload | None:
    """File a FILING upload's notices, one per right, recording after each the listings filed and the
    references. Idempotent: each notice's submission key is uuid5(upload, right), so a run after a crash
    finds the notices filed before it (file_for_organisation returns them) and goes on from there.

    A pending organisation's notices each wait for a confirmation e-mail, and an address may have only so
    many waiting (limits.py): when the next one would pass that, filing stops, the upload is VALID again with
    the reason, and filing it again later files the rest."""
    loaded = _load(upload_id, UploadStatus.FILING, now)
    if loaded is None:
        return None
    upload, data = loaded
    references: list[str] = []
    filed = 0
    for group in grouper(data):
        key = uuid.uuid5(upload.public_id, group.key)
        try:
            notice, _created = file_for_organisation(upload.organisation, None, {**upload.fields,
                                                                                **group.notice_fields()},
                                                     group.items, key, now, with_evidence=False)
        except ConfirmationsWaiting as waiting:
            return _pause_filing(upload, references, filed, waiting, now)
        references.append(notice.reference)
        filed += len(group.items)
        CsvUpload.objects.filter(pk=upload.pk, status=UploadStatus.FILING).update(
            rows_filed=filed, notices=references, progress_at=timezone.now())
    CsvUpload.objects.filter(pk=upload.pk, status=UploadStatus.FILING).update(
        status=UploadStatus.FILED, rows_filed=filed, notices=references, finished_at=now, progress_at=now)
    upload.refresh_from_db()
    return upload


def _pause_filing(upload: CsvUpload, references: list[str], filed: int, waiting: ConfirmationsWaiting,
                  now: datetime) -> CsvUpload:
    message = ngettext(
        "%(filed)s notice is filed and waits for its confirmation e-mail to %(email)s; an address may have at most "
        "%(limit)s waiting. Confirm it (or wait for your organisation's verification, which makes confirmation "
        "unnecessary), then file the rest with the button below.",
        "%(filed)s notices are filed and wait for their confirmation e-mails to %(email)s; an address may have at "
        "most %(limit)s waiting. Confirm them (or wait for your organisation's verification, which makes "
        "confirmation unnecessary), then file the rest with the button below.", len(references)) % {
        "filed": len(references), "email": upload.fields.get("submitter_email", ""),
        "limit": waiting.refusal.limit}
    CsvUpload.objects.filter(pk=upload.pk, status=UploadStatus.FILING).update(
        status=UploadStatus.VALID, rows_filed=filed, notices=references, progress_at=now,
        errors=[RowError(None, "", message).as_json()])
    upload.refresh_from_db()
    return upload


def _load(upload_id: int, status: str, now: datetime) -> tuple[CsvUpload, bytes] | None:
    """The upload and its file's bytes, if it is at the step a task does; None: gone, done already (a task
    delivered twice), or its file lost (the upload FAILED)."""
    upload = CsvUpload.objects.select_related("organisation").filter(pk=upload_id).first()
    if upload is None:
        logger.info("upload %s no longer exists", upload_id)
        return None
    if upload.status != status:
        return None
    data = _read(upload, now)
    return None if data is None else (upload, data)


def _read(upload: CsvUpload, now: datetime) -> bytes | None:
    """The file as sent; a file the storage lost fails the upload (said on its page) rather than the task."""
    try:
        with upload.file.open("rb") as file:
            return file.read()
    except OSError as exc:
        logger.error("upload %s: its file %s cannot be read: %r", upload.pk, upload.file.name, exc)
        CsvUpload.objects.filter(pk=upload.pk, status=upload.status).update(
            status=UploadStatus.FAILED, finished_at=now, progress_at=now,
            errors=[RowError(None, "", _("The file could not be read back from our storage. Please upload it "
                                         "again.")).as_json()])
        return None


def resume_stalled(now: datetime, limit: int = 100) -> int:
    """Ask again for the task of each upload VALIDATING or FILING with no progress for STALLED (its task was
    lost). Each is claimed with a conditional UPDATE of its progress_at, so two sweeps never ask twice.
    Returns how many."""
    stalled = (Q(status=UploadStatus.VALIDATING) | Q(status=UploadStatus.FILING)) & (
        Q(progress_at__lt=now - STALLED) | Q(progress_at=None))
    resumed = 0
    for upload in CsvUpload.objects.filter(stalled).order_by("created_at")[:limit]:
        with transaction.atomic():
            if not CsvUpload.objects.filter(pk=upload.pk, status=upload.status,
                                            progress_at=upload.progress_at).update(progress_at=now):
                continue  # claimed by another sweep, or moved meanwhile
            task = dispatch.CHECK_UPLOAD if upload.status == UploadStatus.VALIDATING else dispatch.FILE_UPLOAD
            dispatch.after_commit(task, upload_id=upload.pk)
        resumed += 1
    return resumed
