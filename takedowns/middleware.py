"""Request-wide middleware: the guard that runs before anything reads the request body, and the
staff area's language."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils import translation

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


class StaffLanguage:
    """The staff area (every path under /review/ and /admin/) in settings.STAFF_LANGUAGE, English
    unless a lead changed it, whatever language the visitor chose for the public pages: reviewers
    share one vocabulary for decisions, reason codes and their notes to each other. Placed right
    after LocaleMiddleware, which activates the visitor's language for every request; this
    overrides it, and LocaleMiddleware's Content-Language then says the language shown. A lead adds
    a staff language by translating the staff strings and changing the setting (README,
    "Translations")."""

    STAFF_PATHS = ("/review/", "/admin/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The switcher hides itself here (templates/_language_switcher.html): it would change nothing.
        staff = request.path_info.startswith(self.STAFF_PATHS)
        request.in_staff_area = staff  # type: ignore[attr-defined]
        if staff:
            translation.activate(settings.STAFF_LANGUAGE)
            request.LANGUAGE_CODE = settings.STAFF_LANGUAGE
        return self.get_response(request)
