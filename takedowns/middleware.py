"""Request-wide guards that must run before anything reads the request body."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat

REQUEST_TOO_LARGE = 413


def declared_length(request: HttpRequest) -> int:
    """The body size the client declares (Content-Length); 0 when it declares none or nonsense, as
    Django then reads no body either."""
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


class RequestSizeLimit:
    """Refuses a body larger than REQUEST_MAX_BODY_BYTES from its Content-Length alone, before the
    CSRF check or a form reads (and spools to disk) any of it: a 150 MB upload is answered at once
    with a page that gives the limits. Placed first in MIDDLEWARE, after SecurityMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = declared_length(request)
        if length > settings.REQUEST_MAX_BODY_BYTES:
            return render(request, "takedowns/request_too_large.html", {
                "sent": filesizeformat(length), "limit": filesizeformat(settings.REQUEST_MAX_BODY_BYTES),
                "file_limit": filesizeformat(settings.EVIDENCE_MAX_FILE_BYTES),
                "total_limit": filesizeformat(settings.EVIDENCE_MAX_TOTAL_BYTES),
            }, status=REQUEST_TOO_LARGE)
        return self.get_response(request)
