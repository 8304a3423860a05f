"""The ceiling: the cheapest useful write request on this stack (same gunicorn workers, same
middleware, same PostgreSQL connection settings): parse a small POST, INSERT one row, commit."""

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST


@csrf_exempt
@require_POST
def insert(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_ping (created_at, payload) VALUES (now(), %s)",
                       [request.POST.get("payload", "")[:200]])
    return HttpResponse("ok", content_type="text/plain")
