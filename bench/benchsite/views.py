"""The ceiling: the cheapest useful write request on this stack (same gunicorn workers, same
middleware, same PostgreSQL connection settings): parse a small POST, INSERT one row, commit.
And where a server's app code comes from, so that bench/run can check its baseline server runs the
other checkout (the bench's own URLs are this tree's on both servers; the app's are not)."""

import inspect
import os
import sys

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import resolve
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST


@csrf_exempt
@require_POST
def insert(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_ping (created_at, payload) VALUES (now(), %s)",
                       [request.POST.get("payload", "")[:200]])
    return HttpResponse("ok", content_type="text/plain")


@require_GET
def app_code(request: HttpRequest) -> JsonResponse:
    """The files this worker process imported the app from, and the file of the view that answers the
    measured notice POST (unwrapped from its decorators where they say what they wrap)."""
    notice_view = inspect.unwrap(resolve("/notices/new/").func)
    return JsonResponse({"pid": os.getpid(), "portal": sys.modules["portal"].__file__,
                         "takedowns": sys.modules["takedowns"].__file__,
                         "notice_view": inspect.getsourcefile(notice_view)})
