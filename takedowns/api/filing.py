"""A notice filed through the API: checked by the notice form's own rules, then filed by
workflow.file_for_organisation, like the CSV upload's notices.

The checks: every field but the listings by NoticeForm itself (listings_apart: the form's field checks, the
copyright contact rules, the statements, the signature, the agent's authorisation letter, the evidence totals, a
registered right); each listing by forms.public.check_listing, the form rows' own check; then the rule of
organisations, that the submitter's address is at the organisation's domain. Each error names its field by its
path in the JSON ("submitter.email", "listings[12].reported", with the row).

Idempotency-Key: the first request with a key claims it (an IdempotencyKey row; the unique constraint on
(organisation, key) decides between two at once), files, and stores its response; a retry with the same key and
body gets that response again (the same status, 201, with `Idempotent-Replayed: true`), never a second notice; the
same key with another body is refused (422); a retry while the first is still being filed gets 409 with
Retry-After. A key is kept IDEMPOTENCY_HOURS. The notice's submission key is derived from the organisation, the
key and the body, so even a lost claim cannot file the same request twice."""

import hashlib
import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from takedowns import api_keys, evidence
from takedowns.api.problems import CONFLICT, IDEMPOTENCY, FieldError, Problem, invalid
from takedowns.api.schemas import NoticeIn
from takedowns.api_keys import IDEMPOTENCY_HOURS
from takedowns.forms.public import NoticeForm, check_listing
from takedowns.models import Evidence, IdempotencyKey, Organisation
from takedowns.selectors.protection import registered_right_for
from takedowns.workflow import ReportedItem

_SHA256 = re.compile(r"[0-9a-f]{64}")
_NAMESPACE = uuid.UUID("2f1f9a52-4a8e-4b8a-9d1c-6f1a3c0e5b7d")  # this API's Idempotency-Key submission keys

# The form's field names as paths in the API's JSON; a form error without a field is the notice's ("").
FIELD_PATHS = {
    "submitter_name": "submitter.name", "submitter_organisation": "submitter.organisation",
    "submitter_email": "submitter.email", "submitter_address": "submitter.address",
    "submitter_phone": "submitter.phone", "submitter_country": "submitter.country",
    "submitter_role": "submitter.role", "language": "language", "right_type": "right.type",
    "right_registration_number": "right.registration_number", "right_office": "right.office",
    "right_owner": "right.owner", "registered_right": "right.registered_right", "description": "description",
    "good_faith_statement": "statements.good_faith", "accuracy_statement": "statements.accuracy",
    "signature": "signature", "authorisation_letter": "evidence_sha256",
    "registration_certificate": "evidence_sha256", "__all__": "",
}


@dataclass
class Checked:
    fields: dict[str, Any]
    items: list[ReportedItem]
    files: list[Evidence]


def form_data(body: NoticeIn) -> dict[str, Any]:
    submitter, right = body.submitter, body.right
    return {
        "submission_key": str(uuid.uuid4()), "submitter_name": submitter.name,
        "submitter_organisation": submitter.organisation, "submitter_email": submitter.email,
        "submitter_address": submitter.address, "submitter_phone": submitter.phone,
        "submitter_country": submitter.country, "submitter_role": submitter.role, "language": body.language,
        "right_type": right.type, "right_registration_number": right.registration_number,
        "right_office": right.office, "right_owner": right.owner, "registered_right": right.registered_right,
        "description": body.description, "good_faith_statement": body.statements.good_faith,
        "accuracy_statement": body.statements.accuracy, "signature": body.signature,
    }


def check(organisation: Organisation, body: NoticeIn) -> Checked:
    """The notice's fields, listings and files, or the 422 problem naming every error."""
    files, errors = uploads_named(organisation, body.evidence_sha256)
    reference = body.right.registered_right.strip()
    registered = (registered_right_for(reference, token="", email=body.submitter.email) if reference else None)
    form = NoticeForm(form_data(body), kept=files, registered=registered, listings_apart=True)
    form.is_valid()
    for name, messages in form.errors.items():
        errors += [FieldError(FIELD_PATHS.get(name, name), str(message)) for message in messages]
    if "submitter_email" not in form.errors and not api_keys.address_at_domain(body.submitter.email,
                                                                               organisation.domain):
        errors.append(FieldError("submitter.email", _(
            "The submitter's address must be at your organisation's domain, %(domain)s (or a subdomain of it).")
            % {"domain": organisation.domain}))
    items, listing_errors = check_listings(body, form.cleaned_data.get("right_type"))
    errors += listing_errors
    if errors:
        raise invalid(errors)
    return Checked(form.notice_fields(), items, files)


def check_listings(body: NoticeIn, right_type: str | None) -> tuple[list[ReportedItem], list[FieldError]]:
    """Every listing by the form rows' check, each error with its row (the index in `listings`)."""
    limit = settings.NOTICE_API_MAX_ITEMS
    if not body.listings:
        return [], [FieldError("listings", _("Report at least one listing: its URL or ID and the infringement."))]
    if len(body.listings) > limit:
        return [], [FieldError("listings", _("A notice may report at most %(limit)s listings; this one has "
                                             "%(count)s. Split them over several notices.")
                               % {"limit": limit, "count": len(body.listings)})]
    items: list[ReportedItem] = []
    errors: list[FieldError] = []
    seen: dict[str, tuple[str, int]] = {}
    for row, listing in enumerate(body.listings):
        # The form numbers rows from 1 in its messages ("already reported in row 3"); here rows are indexes.
        item, problems = check_listing(listing.reported, listing.reason, right_type, seen, row)
        if item is not None:
            items.append(item)
        errors += [FieldError(f"listings[{row}].{field}", message, row) for field, message in problems]
    return items, errors


def uploads_named(organisation: Organisation, digests: list[str]) -> tuple[list[Evidence], list[FieldError]]:
    """The organisation's uploads (POST /evidence) named by SHA-256, and an error for each it has not uploaded
    (or whose upload was swept, EVIDENCE_ORPHAN_HOURS after it, unused)."""
    if not digests:
        return [], []
    wanted = [digest.strip().lower() for digest in digests]
    # Only what can be a SHA-256 is looked up (a NUL, which PostgreSQL refuses, is simply not found).
    found = {row.sha256: row for row in Evidence.objects.filter(
        organisation=organisation, notice=None, right=None,
        sha256__in=[digest for digest in wanted if _SHA256.fullmatch(digest)])}
    errors = [FieldError(f"evidence_sha256[{index}]", _(
        "Your organisation has uploaded no file with this SHA-256 (POST /evidence), or it was not used within "
        "%(hours)s hours and was deleted.") % {"hours": settings.EVIDENCE_ORPHAN_HOURS})
              for index, digest in enumerate(wanted) if digest not in found]
    return list({digest: found[digest] for digest in wanted if digest in found}.values()), errors


def copy_uploads(files: list[Evidence], submission_key: uuid.UUID) -> None:
    """A copy of each upload under the notice's submission key, which the filing attaches to the notice: each
    notice owns its files, so the retention of one never deletes another's."""
    for row in files:
        with row.file.open("rb") as stream:
            evidence.store(submission_key, row.kind, _as_upload(row, stream), row.content_type, sha256=row.sha256)


def as_uploads(files: list[Evidence]) -> Iterator[tuple[UploadedFile, str]]:
    """The uploads as (file, content type) pairs, the shape the workflow stores with an answer."""
    for row in files:
        yield _as_upload(row, row.file.open("rb")), row.content_type


def _as_upload(row: Evidence, stream: Any) -> UploadedFile:
    return UploadedFile(stream, name=row.original_name, content_type=row.content_type, size=row.size)


# --- Idempotency-Key. ---

def request_digest(request: HttpRequest) -> str:
    """What makes two requests "the same" for an Idempotency-Key: method, path and the JSON body as data, so that a
    client re-sending it with other spacing or key order is recognised as retrying (a body that is no JSON: its
    bytes)."""
    head = f"{request.method} {request.path}\n".encode()
    try:
        body = json.dumps(json.loads(request.body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:  # not JSON (ninja refuses it with a problem of its own): the bytes as sent
        body = request.body
    return hashlib.sha256(head + body).hexdigest()


def submission_key(organisation: Organisation, key: str | None, digest: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"{organisation.pk}:{key}:{digest}") if key else uuid.uuid4()


def claim(organisation: Organisation, key: str, digest: str, now: datetime) -> IdempotencyKey:
    """Claim the key for this request, or raise what its earlier use says: a replay (Replay), another body
    (422), or still being filed (409)."""
    IdempotencyKey.objects.filter(organisation=organisation, key=key,
                                  created_at__lt=now - timedelta(hours=IDEMPOTENCY_HOURS)).delete()
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(organisation=organisation, key=key, request_hash=digest,
                                                 created_at=now)
    except IntegrityError:
        pass
    first = IdempotencyKey.objects.get(organisation=organisation, key=key)
    if first.request_hash != digest:
        raise Problem(422, IDEMPOTENCY, _("Idempotency-Key reused"), _(
            "This Idempotency-Key was used on %(when)s for a different request; use a new key for a new "
            "request.") % {"when": first.created_at.isoformat()},
                      [FieldError("Idempotency-Key", _("Already used for a different request."))])
    if first.response_status is None:
        raise Problem(409, CONFLICT, _("Request in progress"), _(
            "A request with this Idempotency-Key is being filed; send it again in a moment for its response."),
                      headers={"Retry-After": "1"})
    raise Replay(first.response_status, first.response_body)


class Replay(Exception):
    """The stored response of the request that first used the Idempotency-Key."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status)
        self.status, self.body = status, body


@contextmanager
def claimed(organisation: Organisation, key: str | None, digest: str, now: datetime) -> Iterator[IdempotencyKey | None]:
    """Hold the key's claim while the request files; released if it fails, so a retry can file."""
    row = claim(organisation, key, digest, now) if key else None
    try:
        yield row
    except BaseException:
        if row is not None:
            IdempotencyKey.objects.filter(pk=row.pk, response_status=None).delete()
        raise


def remember(row: IdempotencyKey | None, notice_id: int, status: int, body: Any) -> None:
    if row is not None:
        IdempotencyKey.objects.filter(pk=row.pk).update(notice_id=notice_id, response_status=status,
                                                        response_body=body)
