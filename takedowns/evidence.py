"""Evidence uploads: checked by their content (magic bytes), never by their name, and stored
under MEDIA storage outside the web root."""

import hashlib
import uuid

import filetype
from django.core.files.uploadedfile import UploadedFile

from takedowns.models import Evidence, InfoRequest, Notice

# What we accept, as identified by content, and the file extension we store it under.
ACCEPTED_TYPES = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}


def sniff_content_type(upload: UploadedFile) -> str | None:
    """The accepted content type the file really is, or None."""
    upload.seek(0)
    head = upload.read(512)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in ACCEPTED_TYPES:
        return None
    return kind.mime


def size_of(upload: UploadedFile) -> int:
    """The upload's size in bytes: Django sets it on every file a request brings."""
    if upload.size is None:
        raise ValueError(f"The upload {upload.name!r} has no size.")
    return upload.size


def store(submission_key: uuid.UUID, kind: str, upload: UploadedFile, content_type: str,
          notice: Notice | None = None, info_request: InfoRequest | None = None) -> Evidence:
    if upload.name is None:
        raise ValueError("An upload without a file name cannot be kept.")
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    evidence = Evidence(submission_key=submission_key, notice=notice, info_request=info_request, kind=kind,
                        original_name=upload.name[:255], content_type=content_type, size=size_of(upload),
                        sha256=digest.hexdigest())
    # The stored name is random: the submitter's file name is kept only as data.
    evidence.file.save(f"{uuid.uuid4().hex}.{ACCEPTED_TYPES[content_type]}", upload, save=False)
    evidence.save()
    return evidence


def kept_for(submission_key: uuid.UUID) -> list[Evidence]:
    """Files already uploaded on this form (before an error made it come back)."""
    return list(Evidence.objects.filter(submission_key=submission_key, notice=None).order_by("id"))


def discard(submission_key: uuid.UUID, evidence_ids: list[int]) -> None:
    for evidence in Evidence.objects.filter(submission_key=submission_key, notice=None, pk__in=evidence_ids):
        evidence.file.delete(save=False)
        evidence.delete()


def erase(notice_id: int) -> int:
    """Delete a notice's evidence, files and rows (retention, workflow/retention.py); returns how many.
    Files first, in the caller's transaction: a rollback brings back rows whose files are gone, which
    the next run deletes again, whereas rows first could leave a file on disk that nothing points to."""
    files = list(Evidence.objects.filter(notice_id=notice_id))
    for evidence in files:
        evidence.file.delete(save=False)
    Evidence.objects.filter(notice_id=notice_id).delete()
    return len(files)
