"""Errors as RFC 9457 problem details (`application/problem+json`): a `type` that names the kind of problem
(a URN: stable, and never a page anyone has to host), a `title` for the kind, a `detail` for this occurrence,
the `status`, the `instance` (the request's path), and for a refused body `errors`: each field by its path in
the JSON sent ("listings[12].reported") with, for a listing, its `row` (the index in `listings`, from 0).

Every refusal the API makes goes through here: ours (Problem), ninja's own (a body that does not fit the schema,
a missing or wrong key) and Django's (a body over the size a request may have)."""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaError

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:takedown-portal:problem:"

# The kinds of problem, by status: the slug that ends `type`.
VALIDATION, UNAUTHORISED, FORBIDDEN, NOT_FOUND, CONFLICT, TOO_LARGE, RATE_LIMITED, IDEMPOTENCY = (
    "validation", "unauthorised", "forbidden", "not-found", "conflict", "payload-too-large", "rate-limited",
    "idempotency-key-reused")
MALFORMED = "malformed-request"  # a body that is not JSON (or not the form data an upload is)


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    row: int | None = None

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"field": self.field}
        if self.row is not None:
            found["row"] = self.row
        found["message"] = self.message
        return found


@dataclass
class Problem(Exception):
    """A refusal the API answers with a problem document; raised anywhere below an endpoint."""

    status: int
    kind: str
    title: str
    detail: str
    errors: list[FieldError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.kind}: {self.detail}"


def not_found(reference: str) -> Problem:
    """The one answer for a notice that does not exist and for another organisation's: they must look alike, so
    that a key cannot learn which references exist."""
    return Problem(404, NOT_FOUND, _("Not found"),
                   _("Your organisation has no notice %(reference)s.") % {"reference": reference[:40]})


def conflict(detail: str) -> Problem:
    """A workflow's refusal (TransitionNotAllowed): the case is not in a state that allows the step."""
    return Problem(409, CONFLICT, _("Not allowed in the notice's current state"), detail)


def invalid(errors: Iterable[FieldError]) -> Problem:
    found = list(errors)
    return Problem(422, VALIDATION, _("The request has invalid fields"),
                   _("%(count)s field(s) need fixing; each is named in `errors`.") % {"count": len(found)}, found)


def render(request: HttpRequest, problem: Problem) -> HttpResponse:
    body: dict[str, Any] = {"type": TYPE_PREFIX + problem.kind, "title": problem.title, "status": problem.status,
                            "detail": problem.detail, "instance": request.path}
    if problem.errors:
        body["errors"] = [error.as_dict() for error in problem.errors]
    response = HttpResponse(json.dumps(body, ensure_ascii=False), status=problem.status, content_type=PROBLEM_JSON)
    for name, value in problem.headers.items():
        response[name] = value
    return response


def field_path(location: Iterable[Any]) -> tuple[str, int | None]:
    """A schema error's location (ninja's loc: "body", the parameter, then keys and indexes) as the field's path
    in the JSON sent, and the listing's row when it is inside `listings`."""
    parts = list(location)
    if parts and parts[0] == "body":
        parts = parts[2:]  # "body" and the parameter's own name: the client sent the object itself
    elif parts:
        parts = parts[1:]  # "query", "path", "header", "form", "file"
    path, row = "", None
    for position, part in enumerate(parts):
        if isinstance(part, int):
            path += f"[{part}]"
            if position and parts[position - 1] == "listings" and row is None:
                row = part
        else:
            path += f".{part}" if path else str(part)
    return path or "body", row


def _schema_errors(request: HttpRequest, exc: SchemaError) -> HttpResponse:
    errors = []
    for error in exc.errors:
        path, row = field_path(error.get("loc", ()))
        errors.append(FieldError(path, str(error.get("msg", "")), row))
    return render(request, invalid(errors))


def _unauthorised(request: HttpRequest, exc: Exception) -> HttpResponse:
    sent = bool(request.headers.get("Authorization"))
    challenge = 'Bearer realm="api"' + (', error="invalid_token"' if sent else "")
    detail = (_("The API key is not valid: it is unknown, revoked, past its rotation, or its organisation may not "
                "use the API.") if sent else
              _("Send your API key in the header “Authorization: Bearer <key>”."))
    return render(request, Problem(401, UNAUTHORISED, _("Authentication required"), detail,
                                   headers={"WWW-Authenticate": challenge}))


def too_large(request: HttpRequest, length: int | None = None) -> HttpResponse:
    limit = filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    detail = _("The request body is larger than %(limit)s, the most a JSON request may carry; split the listings "
               "over several notices.") % {"limit": limit}
    if length:
        detail = _("The request body is %(sent)s; a request may carry at most %(limit)s.") % {
            "sent": filesizeformat(length), "limit": filesizeformat(settings.REQUEST_MAX_BODY_BYTES)}
    return render(request, Problem(413, TOO_LARGE, _("Payload too large"), detail))


def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    kind = {400: MALFORMED, 404: NOT_FOUND, 403: FORBIDDEN, 409: CONFLICT, 413: TOO_LARGE}.get(exc.status_code,
                                                                                          VALIDATION)
    return render(request, Problem(exc.status_code, kind, str(exc), str(exc)))


def install(api: NinjaAPI) -> None:
    """Every refusal of `api` as a problem document."""
    handlers: dict[type[Exception], Any] = {
        Problem: lambda request, exc: render(request, exc),
        SchemaError: _schema_errors,
        AuthenticationError: _unauthorised,
        RequestDataTooBig: lambda request, exc: too_large(request),
        HttpError: _http_error,
        Http404: lambda request, exc: render(request, Problem(404, NOT_FOUND, _("Not found"),
                                                              str(exc) or _("No such resource."))),
    }
    for exception, handler in handlers.items():
        api.add_exception_handler(exception, handler)
