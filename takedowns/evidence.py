"""Evidence uploads: checked by their content (magic bytes), never by their name, and stored
under MEDIA storage outside the web root. The only writer of evidence files and their rows.

A file's name is the submitter's text, kept only to show (escaped) beside the file: it is stored and
downloaded under a name whose extension is the type its content shows (`poly.html` that is a JPEG
is a `.jpg`), so no name makes a browser or a desktop treat evidence as a page or a program.

Files accepted on a form that comes back with an error are kept under the form's submission key,
so the submitter need not upload them again: at most one notice's worth per key
(EVIDENCE_MAX_FILES, EVIDENCE_MAX_TOTAL_BYTES), deleted after EVIDENCE_ORPHAN_HOURS unless the
notice is filed (sweep_orphans, run by beat). A right's registration keeps its files the same way
until the right is registered (attach_kept_to_right).
"""

import hashlib
import re
import unicodedata
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import PurePosixPath

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, Sum

from takedowns.models import Evidence, InfoRequest, Notice, Organisation, Resubmission, Right

# What we accept, as identified by content, and the file extension we store it under.
ACCEPTED_TYPES = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
# Pictures of a genuine product (a right's registration): raster images only, which perceptual hashing reads.
PICTURE_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}
_EXTENSIONS = {**ACCEPTED_TYPES, **PICTURE_TYPES}
# A download name keeps letters, digits and a few harmless marks of the original's stem.
_UNSAFE_IN_NAME = re.compile(r"[^\w .()+-]+")
SWEEP_BATCH = 500


def sniff_content_type(upload: UploadedFile, accepted: dict[str, str] = ACCEPTED_TYPES) -> str | None:
    """The accepted content type the file really is (of `accepted`: evidence by default, or
    PICTURE_TYPES), or None."""
    upload.seek(0)
    head = upload.read(512)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in accepted:
        return None
    return kind.mime


def size_of(upload: UploadedFile) -> int:
    """The upload's size in bytes: Django sets it on every file a request brings."""
    if upload.size is None:
        raise ValueError(f"The upload {upload.name!r} has no size.")
    return upload.size


def shown_name(name: str | None) -> str:
    """The submitter's file name as text to show: without control characters (a NUL, which
    PostgreSQL refuses, a line break, a bidirectional override that disguises the extension)."""
    text = "".join(char for char in (name or "") if unicodedata.category(char)[0] != "C")
    return text.strip()[:255] or "unnamed"


def download_name(evidence: Evidence) -> str:
    """The name a reviewer downloads the file under: the original's stem, made harmless, with the
    extension of the type its content shows (never the extension the submitter gave)."""
    stem = PurePosixPath(shown_name(evidence.original_name).replace("\\", "/")).name.split(".")[0]
    stem = _UNSAFE_IN_NAME.sub("_", stem).strip(" ._")[:100] or "evidence"
    return f"{stem}.{_EXTENSIONS.get(evidence.content_type, 'bin')}"


def sha256_of(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def store(submission_key: uuid.UUID, kind: str, upload: UploadedFile, content_type: str,
          notice: Notice | None = None, info_request: InfoRequest | None = None, sha256: str = "",
          resubmission: Resubmission | None = None, right: Right | None = None,
          organisation: Organisation | None = None) -> Evidence:
    # `organisation`: an organisation's upload through the API (issue 15), which its notices name by SHA-256.
    evidence = Evidence(submission_key=submission_key, notice=notice, info_request=info_request,
                        resubmission=resubmission, right=right, organisation=organisation, kind=kind,
                        original_name=shown_name(upload.name), content_type=content_type, size=size_of(upload),
                        sha256=sha256 or sha256_of(upload))
    # The stored name is random, its extension the content's: the submitter's name is kept only as text.
    evidence.file.save(f"{uuid.uuid4().hex}.{_EXTENSIONS[content_type]}", upload, save=False)
    evidence.save()
    return evidence


def held_by(notice: Notice) -> tuple[int, int]:
    """How many evidence files the notice carries and their bytes together (those filed with it, the
    answers to questions, earlier fixes): what EVIDENCE_MAX_FILES and EVIDENCE_MAX_TOTAL_BYTES count."""
    held = Evidence.objects.filter(notice=notice).aggregate(files=Count("pk"), total=Sum("size"))
    return held["files"], held["total"] or 0


def keep(submission_key: uuid.UUID, uploads: Iterable[tuple[str, UploadedFile, str]]) -> list[Evidence]:
    """Keep the form's accepted uploads (kind, upload, content type) under its key until the notice
    is filed, up to one notice's worth per key: an upload that would pass EVIDENCE_MAX_FILES or
    EVIDENCE_MAX_TOTAL_BYTES is not kept. The form checks the same limits and says so; this holds
    them whatever posts to the key (two tabs, a script). A file already kept under the key as the
    same kind, name and content is that file, not a second copy: the form sent twice (a resend, or
    the page run once more after a lost database connection, views/reconnect.py). Returns the
    files held for `uploads`."""
    kept: list[Evidence] = []
    with transaction.atomic():
        already = list(Evidence.objects.filter(submission_key=submission_key, notice=None, right=None))
        held = {(row.kind, row.original_name, row.sha256): row for row in already}
        files, total = len(already), sum(row.size for row in already)
        for kind, upload, content_type in uploads:
            same = (kind, shown_name(upload.name), sha256_of(upload))
            if same in held:
                kept.append(held[same])
            elif files < settings.EVIDENCE_MAX_FILES and total + size_of(upload) <= settings.EVIDENCE_MAX_TOTAL_BYTES:
                held[same] = store(submission_key, kind, upload, content_type, sha256=same[2])
                kept.append(held[same])
                files, total = files + 1, total + size_of(upload)
    return kept


def kept_for(submission_key: uuid.UUID) -> list[Evidence]:
    """Files already uploaded on this form (before an error made it come back)."""
    return list(Evidence.objects.filter(submission_key=submission_key, notice=None, right=None).order_by("id"))


def attach_kept(submission_key: uuid.UUID, notice: Notice) -> int:
    """The form's kept files join its notice, in the notice's filing transaction. Returns how many."""
    return Evidence.objects.filter(submission_key=submission_key, notice=None, right=None).update(notice=notice)


def attach_kept_to_right(submission_key: uuid.UUID, right: Right) -> int:
    """The registration form's kept files (certificate, pictures) join its right, in the registration's
    transaction. Returns how many."""
    return Evidence.objects.filter(submission_key=submission_key, notice=None, right=None).update(right=right)


def discard(submission_key: uuid.UUID, evidence_ids: list[int]) -> None:
    for evidence in Evidence.objects.filter(submission_key=submission_key, notice=None, right=None,
                                            pk__in=evidence_ids):
        _delete_orphan(evidence)


def sweep_orphans(now: datetime) -> int:
    """Delete the files of forms never filed, EVIDENCE_ORPHAN_HOURS after their upload (beat runs
    this). Returns how many it deleted."""
    stale = now - timedelta(hours=settings.EVIDENCE_ORPHAN_HOURS)
    deleted = 0
    while True:
        # A right's files (its registration's certificate and pictures) belong to it, not to a form.
        batch = list(Evidence.objects.filter(notice=None, right=None, uploaded_at__lt=stale)
                     .order_by("id")[:SWEEP_BATCH])
        deleted += sum(_delete_orphan(evidence) for evidence in batch)
        if len(batch) < SWEEP_BATCH:
            return deleted


def _delete_orphan(evidence: Evidence) -> bool:
    # The row goes first, and only while no notice holds it: a notice filed at this moment keeps its
    # file. A crash between the two steps leaves a file without a row, never a row without its file.
    if not Evidence.objects.filter(pk=evidence.pk, notice=None, right=None).delete()[0]:
        return False
    evidence.file.delete(save=False)
    return True


def erase(notice_id: int) -> int:
    """Delete a notice's evidence, files and rows (retention, workflow/retention.py); returns how many.
    Files first, in the caller's transaction: a rollback brings back rows whose files are gone, which
    the next run deletes again, whereas rows first could leave a file on disk that nothing points to."""
    files = list(Evidence.objects.filter(notice_id=notice_id))
    for evidence in files:
        evidence.file.delete(save=False)
    Evidence.objects.filter(notice_id=notice_id).delete()
    return len(files)
