"""The JSON API for professional notifiers (issue 15), mounted at /api/v1/ (portal/urls.py): django-ninja builds
the OpenAPI 3 document (/api/v1/openapi.json) from these functions and their schemas, and serves the docs page
(/api/v1/docs: ninja's bundled Swagger UI, from our static files). Thin: each endpoint takes the key
(auth.KeyBearer: scope and rate limit, before the body is read), finds the notice among its organisation's
(auth.notice_of), and calls the
same workflow function as the web page; a workflow's refusal is a 409 problem."""

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Header, NinjaAPI, Query, Schema, Status
from ninja.files import UploadedFile

from takedowns import evidence, limits, workflow
from takedowns.api import filing, problems, reading
from takedowns.api.auth import KeyBearer, key_of, notice_of
from takedowns.api.problems import FieldError, Problem, conflict, invalid
from takedowns.api.schemas import AnswerIn, AppealIn, EvidenceOut, NoticeIn, NoticeOut, NoticePageOut
from takedowns.api.schemas import Problem as ProblemOut
from takedowns.enums import ApiScope, Appellant, EvidenceKind, NoticeStatus
from takedowns.forms.public import AnswerForm, check_upload
from takedowns.forms.seller import AppealForm
from takedowns.models import Evidence
from takedowns.selectors.notices import decision_of
from takedowns.workflow import appeals

DESCRIPTION = """Notices for professional notifiers: file, read, list, withdraw, answer a question, appeal.

Authenticate with `Authorization: Bearer <key>` (your organisation's page makes keys: scope `file` for the POSTs,
`read` for the GETs). A key sees only its organisation's notices. Errors are RFC 9457 problem details
(`application/problem+json`), naming each field by its path in the JSON sent (`listings[12].reported`) and, for a
listing, its `row` (the index in `listings`). A request over the key's rate limit gets 429 with `Retry-After`.

Send `Idempotency-Key: <any unique text>` with POST /notices: a retry with the same key and body gets the first
response again (201, the same notice, with `Idempotent-Replayed: true`), never a second notice; the same key with
another body is refused (422)."""

FILE, READ = ApiScope.FILE.value, ApiScope.READ.value
_REFUSALS = {400: ProblemOut, 401: ProblemOut, 403: ProblemOut, 404: ProblemOut, 422: ProblemOut, 429: ProblemOut}


class TakedownsApi(NinjaAPI):
    """Problem responses documented as application/problem+json (ninja writes every response as the renderer's
    media type)."""

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if int(status) >= 400 and "application/json" in content:
                        response["content"] = {problems.PROBLEM_JSON: content["application/json"]}
        return schema


api = TakedownsApi(title="Takedown Portal API", version="1", description=DESCRIPTION, urls_namespace="api",
                   docs_url="/docs", openapi_url="/openapi.json")
# Each step's key check: its scope and its rate limit (per key).
FILING, READING = KeyBearer(FILE, limits.API_FILING), KeyBearer(READ, limits.API_READ)
ACTING, UPLOADING = KeyBearer(FILE, limits.API_ACTION), KeyBearer(FILE, limits.API_UPLOAD)
problems.install(api)


def _json(request: HttpRequest, status: int, body: Any, **headers: str) -> HttpResponse:
    response = api.create_response(request, body, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


@api.post("/notices", response={201: NoticeOut, 409: ProblemOut, 413: ProblemOut, **_REFUSALS},
          url_name="notices", summary="File a notice", auth=FILING)
def file_notice(request: HttpRequest, notice: NoticeIn,
                idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=255)):
    """File a notice: every field of the web form, up to 10,000 listings, evidence by the SHA-256 of files
    uploaded earlier (POST /evidence). A verified organisation's notice is confirmed at once and routed; any other
    organisation's notice waits for the confirmation e-mail sent to the submitter, as the web form's does."""
    key = key_of(request)
    organisation, now = key.organisation, timezone.now()
    checked = filing.check(organisation, notice)
    digest = filing.request_digest(request)
    try:
        with filing.claimed(organisation, idempotency_key, digest, now) as claim:
            submission_key = filing.submission_key(organisation, idempotency_key, digest)
            filing.copy_uploads(checked.files, submission_key)
            try:
                filed, _created = workflow.file_for_organisation(organisation, key, checked.fields, checked.items,
                                                                 submission_key, now, with_evidence=bool(checked.files))
            except workflow.ConfirmationsWaiting as waiting:
                raise Problem(429, problems.RATE_LIMITED, _("Too many notices waiting for confirmation"),
                              waiting.refusal.reason,
                              headers={"Retry-After": str(waiting.refusal.retry_after)}) from waiting
            response = _json(request, 201, reading.notice_out(filed, now))
            filing.remember(claim, filed.pk, 201, json.loads(response.content))
    except filing.Replay as replay:
        return _json(request, replay.status, replay.body, Idempotent_Replayed="true")
    return response


@api.get("/notices", response={200: NoticePageOut, **_REFUSALS}, url_name="notices", summary="List notices",
         auth=READING)
def list_notices(request: HttpRequest, status: NoticeStatus | None = None, created_after: datetime | None = None,
                 created_before: datetime | None = None,
                 reference: str | None = Query(None, max_length=20, description="A reference's start, e.g. TD-7K"),
                 after: str | None = Query(None, max_length=100, description="The cursor `next` of the last page")):
    """Your organisation's notices, newest first, 50 a page (keyset pagination: follow `next`)."""
    key = key_of(request)
    filters = {"status": status, "created_after": _in_utc("created_after", created_after),
               "created_before": _in_utc("created_before", created_before), "reference": reference}
    rows, next_cursor = reading.notices_page(key.organisation_id, filters, after)
    return {"notices": rows, "next": next_cursor}


def _in_utc(name: str, moment: datetime | None) -> datetime | None:
    """A time filter in UTC (PostgreSQL refuses offsets past ±15:59, which ISO 8601 allows); one without a zone
    is read as UTC."""
    if moment is None:
        return None
    try:
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    except OverflowError as exc:
        raise invalid([FieldError(name, _("This time is out of range."))]) from exc


@api.get("/notices/{reference}", response={200: NoticeOut, **_REFUSALS}, url_name="notice", summary="Read a notice",
         auth=READING)
def read_notice(request: HttpRequest, reference: str,
                listings_after: int = Query(0, ge=0, le=2**31 - 1,
                                            description="The cursor `listings_next` of the last page of listings"),
                listings_limit: int = Query(reading.LISTINGS_PAGE, ge=1, le=1000)):
    """The notice's status, dates, deadlines, the open question, and a page of its listings with their states,
    decisions (outcome, reason code and its text, legal ground) and appeal windows."""
    key = key_of(request)
    return reading.notice_out(notice_of(key, reference), timezone.now(), listings_after, listings_limit)


@api.post("/notices/{reference}/withdraw", response={200: NoticeOut, 409: ProblemOut, **_REFUSALS},
          url_name="notice_withdraw", summary="Withdraw a notice", auth=ACTING)
def withdraw_notice(request: HttpRequest, reference: str):
    """Withdraw the notice: no listing is removed because of it; decided listings stay decided."""
    key = key_of(request)
    notice, now = notice_of(key, reference), timezone.now()
    try:
        notice = workflow.withdraw_notice(notice, now)
    except workflow.TransitionNotAllowed as exc:
        raise conflict(str(exc)) from exc
    return reading.notice_out(notice, now)


@api.post("/notices/{reference}/answers", response={200: NoticeOut, 409: ProblemOut, **_REFUSALS},
          url_name="notice_answers", summary="Answer the open question", auth=ACTING)
def answer_question(request: HttpRequest, reference: str, answer: AnswerIn):
    """Answer the reviewer's open question, with files uploaded earlier (POST /evidence); the listings it is about
    go back to the reviewer."""
    key = key_of(request)
    notice, now = notice_of(key, reference), timezone.now()
    form = AnswerForm({"answer": answer.answer})
    files, errors = filing.uploads_named(key.organisation, answer.evidence_sha256)
    errors += [FieldError(name, str(message)) for name, messages in form.errors.items() for message in messages]
    if errors:
        raise invalid(errors)
    try:
        workflow.answer_information(notice, form.cleaned_data["answer"], now, files=list(filing.as_uploads(files)))
    except workflow.TransitionNotAllowed as exc:
        raise conflict(str(exc)) from exc
    return reading.notice_out(notice, now)


@api.post("/notices/{reference}/appeals", response={201: NoticeOut, 409: ProblemOut, **_REFUSALS},
          url_name="notice_appeals", summary="Appeal a rejection", auth=ACTING)
def appeal_rejection(request: HttpRequest, reference: str, appeal: AppealIn):
    """Appeal the rejection of a listing (DSA Art. 20): decided by another reviewer than the first."""
    key = key_of(request)
    notice, now = notice_of(key, reference), timezone.now()
    decision = decision_of(notice, appeal.decision) if 0 < appeal.decision < 2**31 else None
    if decision is None:
        raise invalid([FieldError("decision", _("This notice has no decision %(id)s.") % {"id": appeal.decision})])
    form = AppealForm({"text": appeal.text})
    if not form.is_valid():
        raise invalid(FieldError(name, str(message)) for name, messages in form.errors.items() for message in messages)
    try:
        appeals.file_appeal(decision=decision, appellant=Appellant.SUBMITTER, text=form.cleaned_data["text"], now=now)
    except workflow.TransitionNotAllowed as exc:
        raise conflict(str(exc)) from exc
    return Status(201, reading.notice_out(notice, now))


class UploadForm(Schema):
    kind: EvidenceKind = EvidenceKind.OTHER


@api.post("/evidence", response={201: EvidenceOut, 200: EvidenceOut, 413: ProblemOut, **_REFUSALS},
          url_name="evidence", summary="Upload an evidence file", auth=UPLOADING)
def upload_evidence(request: HttpRequest, file: File[UploadedFile], details: Form[UploadForm]):
    """Upload a PDF, PNG or JPEG (checked by its content, not its name; the web form's size limits) to name in a
    notice or an answer by its SHA-256. The same bytes uploaded again are the same file (200)."""
    key = key_of(request)
    try:
        content_type = check_upload(file)
    except ValidationError as exc:
        raise invalid([FieldError("file", exc.messages[0])]) from exc
    digest = evidence.sha256_of(file)
    row = Evidence.objects.filter(organisation=key.organisation, notice=None, right=None, sha256=digest).first()
    status = 200
    if row is None:
        row, status = evidence.store(uuid.uuid4(), details.kind, file, content_type, sha256=digest,
                                     organisation=key.organisation), 201
    return Status(status, {"sha256": row.sha256, "size": row.size, "content_type": row.content_type, "kind": row.kind})
