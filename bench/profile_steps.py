"""profile_paths.py's steps (imported after django.setup(), in bench/run's environment): where the time of
the notice POST and of route_notice goes, in one process; cost tables, SQL per statement shape and
cProfile listings in bench/out/profile-*.txt.
"""

import copy
import cProfile
import io
import pstats
import random
import re
import sys
import time
import urllib.parse
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from unittest import mock

import loadgen
import run_phases
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.core.wsgi import get_wsgi_application
from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone
from harness import OUT, ROOT

from takedowns import routing, workflow
from takedowns.forms.public import NoticeForm, item_formset_class
from takedowns.models import Listing, Notice, NoticeItem, Reviewer
from takedowns.tasks import send_email


def timed(label: str, fn: Callable[[], object], n: int = 300, warm: int = 20) -> float:
    for _ in range(warm):
        fn()
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    ms = 1000 * (time.perf_counter() - t0) / n
    print(f"  {label:68s} {ms:7.3f} ms")
    return ms


class SqlTimer:
    """execute_wrapper: count and wall time per statement shape."""

    def __init__(self):
        self.stats = defaultdict(lambda: [0, 0.0])

    def __call__(self, execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            verb = sql.split(" ", 1)[0]
            table = sql.split('"')[1] if '"' in sql and verb not in ("SAVEPOINT", "RELEASE") else ""
            key = f"{verb} {table}"
            self.stats[key][0] += 1
            self.stats[key][1] += time.perf_counter() - t0

    def print(self, n: int) -> None:
        total = 0.0
        for key, (count, seconds) in sorted(self.stats.items(), key=lambda x: -x[1][1]):
            total += seconds
            print(f"      {count / n:4.1f}x {1000 * seconds / n:6.3f} ms  {key}")
        print(f"      SQL statements: {sum(c for c, _ in self.stats.values()) / n:.1f} per call, "
              f"{1000 * total / n:.2f} ms (execute only; BEGIN/COMMIT are not statements here)")


def wsgi_call(app: WSGIHandler, method: str, path: str, body: bytes = b"", content_type: str = "", cookie: str = "",
              port: int = 8000) -> tuple[str, dict, bytes]:
    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": str(port), "HTTP_HOST": f"127.0.0.1:{port}", "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0), "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": content_type, "REMOTE_ADDR": "127.0.0.1",
        "HTTP_ORIGIN": f"http://127.0.0.1:{port}",
    }
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    got = {}

    def start_response(status, headers, exc_info=None):
        got["status"], got["headers"] = status, dict(headers)

    chunks = app(environ, start_response)
    content = b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    return got["status"], got["headers"], content


def cprofile(fn: Callable[[], object], n: int, path: Path, title: str) -> None:
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(n):
        fn()
    profile.disable()
    out = io.StringIO()
    out.write(f"{title}: {n} calls under cProfile\n")
    for key in ("cumulative", "tottime"):
        pstats.Stats(profile, stream=out).sort_stats(key).print_stats(50)
    out.write("\nCallees of the app's own functions (cumulative seconds over all calls):\n")
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_callees(
        re.escape(str(ROOT)) + r"/(takedowns|bench/benchsite)/")
    path.write_text(out.getvalue())


def profile(n: int, prefix: str, port: int, site_url: str) -> None:
    """Seed, then the notice POST and route_notice, each whole and in parts."""
    run_phases.prepare_database()
    rng = random.Random(7)
    run_phases.seed(rng, 40, 600)
    ids = list(Listing.objects.values_list("external_id", flat=True))
    print(f"git HEAD {run_phases.harness.git_head()}, "
          f"load average {open('/proc/loadavg').read().split()[:3]} (shared machine: expect noise)")
    notice_post(n, rng, ids, port)
    notice_post_parts(ids, prefix)
    route_notice(rng, ids, site_url)


def notice_post(n: int, rng: random.Random, ids: list[str], port: int) -> None:
    print("\n1. Notice POST vs ceiling, whole request through the WSGI handler (wall, one process)")
    app = get_wsgi_application()
    status, headers, html = wsgi_call(app, "GET", "/notices/new/", port=port)
    token = loadgen._CSRF_INPUT.search(html.decode()).group(1)
    cookie = loadgen._CSRF_COOKIE.search(headers["Set-Cookie"]).group(1)

    def post_notice():
        key = str(uuid.uuid4())
        body = loadgen.multipart(loadgen.notice_fields(rng.sample(ids, 3), key, token, loadgen.submitter_email(key)))
        status, headers, _ = wsgi_call(app, "POST", "/notices/new/", body,
                                       f"multipart/form-data; boundary={loadgen.BOUNDARY}",
                                       f"csrftoken={cookie}", port)
        assert status.startswith("302") and key in headers["Location"], (status, headers)

    def post_ceiling():
        status, _, content = wsgi_call(app, "POST", "/bench/insert/", b"payload=ping",
                                       "application/x-www-form-urlencoded", port=port)
        assert status.startswith("200") and content == b"ok", status

    notice_ms = timed("notice POST /notices/new/ (302)", post_notice, n)
    ceiling_ms = timed("ceiling POST /bench/insert/ (one INSERT)", post_ceiling, n)
    print(f"  -> one notice POST costs {notice_ms / ceiling_ms:.1f}x a ceiling request (single process, wall)")
    sql = SqlTimer()
    with connection.execute_wrapper(sql):
        for _ in range(n):
            post_notice()
    print("  SQL of the notice POST:")
    sql.print(n)
    cprofile(post_notice, n, OUT / "profile-notice_post.txt", "notice POST")
    cprofile(post_ceiling, n, OUT / "profile-ceiling.txt", "ceiling POST")


def _environ(payload: bytes, content_type: str) -> dict:
    return {"REQUEST_METHOD": "POST", "PATH_INFO": "/notices/new/", "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000", "wsgi.input": io.BytesIO(payload), "CONTENT_LENGTH": str(len(payload)),
            "CONTENT_TYPE": content_type, "wsgi.url_scheme": "http"}


def notice_post_parts(ids: list[str], prefix: str) -> None:
    print("\n  parts of the notice POST:")
    body = loadgen.multipart(loadgen.notice_fields(ids[:3], str(uuid.uuid4()), "x" * 64))
    multipart_type = f"multipart/form-data; boundary={loadgen.BOUNDARY}"
    timed("parse the multipart body (request.POST/FILES; 35 fields + 4 empty files)",
          lambda: WSGIRequest(_environ(body, multipart_type)).FILES)
    plain = urllib.parse.urlencode(loadgen.notice_fields(ids[:3], str(uuid.uuid4()), "x" * 64)).encode()
    timed("  (same fields urlencoded, for comparison)",
          lambda: WSGIRequest(_environ(plain, "application/x-www-form-urlencoded")).POST)
    data = WSGIRequest(_environ(body, multipart_type)).POST.copy()
    rows_class = item_formset_class()

    def validate():
        rows = rows_class(data, prefix="items")
        form = NoticeForm(data, {}, item_rows=rows, kept=[])
        assert form.is_complete(), (form.errors, rows.errors)
    timed("NoticeForm() construction alone", lambda: NoticeForm(initial={}))
    timed("  of which deepcopy of the 250-country ChoiceField", lambda: copy.deepcopy(
        NoticeForm.base_fields["submitter_country"]))
    timed("form + 3-row formset: construct and validate (is_complete)", validate)
    notice = Notice.objects.order_by("-id").first()
    context = {"site_url": "x", "notice": notice, "confirm_url": "http://x/c/a/b/", "item_count": 3,
               "tracking_url": "http://x/t/"}
    timed("render confirm_notice subject + txt + html", lambda: [
        render_to_string(f"emails/confirm_notice.{ext}", context) for ext in ("subject.txt", "txt", "html")])
    timed("Celery publish send_email.apply_async (Redis)",
          lambda: send_email.apply_async(kwargs={"email_id": 1}, queue=f"{prefix}publish"), 200)
    file_notice_parts(ids)


def file_notice_parts(ids: list[str]) -> None:
    fields = dict(submitter_name="Anna Berger", submitter_organisation="A", submitter_email="a@b.example",
                  submitter_country="DE", submitter_role="owner", language="en", right_type="trademark",
                  right_registration_number="018234567", right_office="EUIPO", right_owner="A",
                  description="x" * 40, good_faith_statement=True, accuracy_statement=True,
                  signature="Anna Berger")
    items = [workflow.ReportedItem(x, "counterfeit") for x in ids[:3]]

    def file_notice():
        with mock.patch("takedowns.dispatch.transaction.on_commit"):
            workflow.file_notice(fields, items, uuid.uuid4(), timezone.now())
    timed("workflow.file_notice (transaction, rows, e-mail row; no publish)", file_notice, 200)
    sql = SqlTimer()
    with connection.execute_wrapper(sql):
        for _ in range(200):
            file_notice()
    sql.print(200)
    timed("  for comparison: Notice.objects.filter(submission_key=..).exists()",
          lambda: Notice.objects.filter(submission_key=uuid.uuid4()).exists())


def route_notice(rng: random.Random, ids: list[str], site_url: str) -> None:
    print("\n2. workflow.route_notice in one process (no Celery), connection reused")
    low, high = run_phases.create_confirmed_notices(1000, rng, run_phases.ListingPool(ids, rng), site_url)
    todo = iter(range(low, high + 1))
    timed("route_notice, incl. e-mail row and publish", lambda: workflow.route_notice(next(todo), timezone.now()),
          200, 20)
    sql = SqlTimer()
    with connection.execute_wrapper(sql):
        for _ in range(200):
            workflow.route_notice(next(todo), timezone.now())
    sql.print(200)
    cprofile(lambda: workflow.route_notice(next(todo), timezone.now()), 200,
             OUT / "profile-route_notice.txt", "route_notice")
    route_notice_parts(rng, ids, site_url, high, todo)


def route_notice_parts(rng: random.Random, ids: list[str], site_url: str, high: int,
                       todo: Iterator[int]) -> None:
    print("\n  parts compared:")
    last = list(NoticeItem.objects.filter(notice_id=high))
    timed("NoticeItem bulk_update(3 items, [listing, state, duplicate_of])  (before ebd1ffe)",
          lambda: NoticeItem.objects.bulk_update(last, ["listing", "state", "duplicate_of"]))
    timed("  one .filter(pk=).update(...) per item, 3 UPDATEs", lambda: [
        NoticeItem.objects.filter(pk=i.pk).update(listing_id=i.listing_id, state=i.state,
                                                  duplicate_of_id=i.duplicate_of_id) for i in last])
    timed("  one UPDATE ... FROM (VALUES ...) for all items  (the app since ebd1ffe)",
          lambda: workflow.save_resolution(Notice.objects.get(pk=high), last))
    before_ms = timed("routing.choose_reviewer('trademark', 'de')", lambda: routing.choose_reviewer(
        "trademark", "de"), 200)
    history_low, history_high = run_phases.create_confirmed_notices(30000, rng, run_phases.ListingPool(ids, rng),
                                                                    site_url)
    reviewers = list(Reviewer.objects.values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE takedowns_notice SET status = 'closed', closed_at = now(), "
                       f"assigned_to_id = (ARRAY{reviewers})[1 + id %% {len(reviewers)}] "
                       f"WHERE id BETWEEN %s AND %s", [history_low, history_high])
        cursor.execute("ANALYZE")
    after_ms = timed("  the same after 30,000 closed notices of history", lambda: routing.choose_reviewer(
        "trademark", "de"), 100, 3)
    print(f"  -> choose_reviewer with history: {before_ms:.2f} -> {after_ms:.2f} ms")
    timed("route_notice after that history", lambda: workflow.route_notice(next(todo), timezone.now()),
          200, 20)

    def reconnect():
        connection.close()
        connection.ensure_connection()
    timed("close + open a PostgreSQL connection (what Celery's fixup causes per task)", reconnect, 50, 3)
