"""bench/faults' load (imported after django.setup()): rights holders filing notices on the public form
and confirming them through their confirmation links, as a browser does, at an even pace, while a
fault is injected. Every request is recorded with its answer, so that the tally can tell the errors
shown to users, and whether the work behind each was saved.

A browser (loadgen.Worker) GETs the form once for its CSRF cookie and token, then POSTs each notice as
a multipart form with a fresh submission key (302 to /notices/filed/<key>/ is success). It then opens
the notice's confirmation link (GET: the page with the Confirm button, 200) and presses Confirm (POST
with the page's CSRF token: 302 to the tracking page). The link is read from the notice's row, i.e. the
link its confirmation e-mail carries: under a mail or broker outage that e-mail comes late by design,
and the confirmations must still happen during the fault.
"""

import http.client
import threading
import time
import uuid
from dataclasses import dataclass, field

import loadgen
from django.db import connection

from takedowns.models import Notice

# Request kinds: the form page (GET, once per browser and after a failure), the notice POST, the
# confirmation page (GET) and the confirmation (POST).
FORM, FILE, CONFIRM_PAGE, CONFIRM = "form_page", "file", "confirm_page", "confirm"


@dataclass
class Request:
    kind: str
    key: str  # the notice's submission key ("" for the form page)
    started: float  # time.time()
    ended: float
    status: int | None  # None: no HTTP answer (connection refused, reset, timed out)
    detail: str  # the Location, or the error
    ok: bool


class Browser(loadgen.Worker):
    """One rights holder's browser: its own connection, CSRF cookie and form token."""

    def __init__(self, port: int, listing_refs: list[str], seed: int) -> None:
        super().__init__("notice", "127.0.0.1", port, listing_refs, seed)

    def timed(self, kind: str, key: str, call) -> Request:
        started = time.time()
        try:
            status, detail, ok = call()
        except (OSError, http.client.HTTPException, RuntimeError) as exc:
            self._reset()
            status, detail, ok = None, repr(exc)[:200], False
        return Request(kind, key, started, time.time(), status, detail, ok)

    def open_form(self) -> Request:
        def call():
            self.prepare()  # raises RuntimeError on a bad answer
            return 200, "", True
        return self.timed(FORM, "", call)

    def file(self, key: str) -> Request:
        def call():
            status, location = self.post_notice(key)
            return status, location[:120], loadgen.filed_as(status, location, key)
        return self.timed(FILE, key, call)

    def confirm_page(self, key: str, path: str) -> Request:
        def call():
            self.conn.request("GET", path, headers={"Cookie": f"csrftoken={self.cookie}"})
            response = self.conn.getresponse()
            html = response.read().decode(errors="replace")
            token = loadgen._CSRF_INPUT.search(html)
            if token:
                self.token = token.group(1)
            return response.status, "", response.status == 200 and token is not None
        return self.timed(CONFIRM_PAGE, key, call)

    def confirm(self, key: str, path: str, reference: str) -> Request:
        def call():
            body = f"csrfmiddlewaretoken={self.token}".encode()
            headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={self.cookie}",
                       "Origin": self.origin, "Referer": self.origin + path}
            self.conn.request("POST", path, body=body, headers=headers)
            response = self.conn.getresponse()
            response.read()
            location = response.getheader("Location") or ""
            return response.status, location[:120], (response.status == 302
                                                      and location.startswith(f"/track/{reference}/"))
        return self.timed(CONFIRM, key, call)


def confirmation_path(key: str) -> tuple[str, str] | None:
    """The notice's confirmation link (path) and reference, if the notice was saved."""
    row = Notice.objects.filter(submission_key=key).values_list("reference", "confirmation_token").first()
    return (f"/confirm/{row[0]}/{row[1]}/", row[0]) if row else None


@dataclass
class Filer:
    """`notices` notices filed and confirmed by `browsers` browsers, notice i started at
    start + i * seconds / notices (or as soon as a browser is free, if they fall behind)."""

    port: int
    listing_refs: list[str]
    notices: int
    seconds: float
    browsers: int
    seed: int
    requests: list[Request] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    started: float = 0.0
    finished: float = 0.0
    completed: int = 0  # notices whose filing and confirmation are over
    _next: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    @property
    def running(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    def start(self) -> None:
        self.started = time.time()
        self._threads = [threading.Thread(target=self._browse, args=(i,), daemon=True) for i in range(self.browsers)]
        for thread in self._threads:
            thread.start()

    def join(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        if any(thread.is_alive() for thread in self._threads):
            raise RuntimeError(f"the load did not finish within {timeout:.0f}s")
        self.finished = time.time()

    def _take(self) -> int | None:
        with self._lock:
            if self._next >= self.notices:
                return None
            self._next += 1
            return self._next - 1

    def _record(self, request: Request) -> Request:
        with self._lock:
            self.requests.append(request)
        return request

    def _browse(self, number: int) -> None:
        browser = Browser(self.port, self.listing_refs, self.seed * 1000 + number)
        ready = False
        try:
            while (index := self._take()) is not None:
                delay = self.started + index * self.seconds / self.notices - time.time()
                if delay > 0:
                    time.sleep(delay)
                if not ready:
                    ready = self._record(browser.open_form()).ok
                if ready:
                    ready = self._one(browser)
                with self._lock:
                    self.completed += 1
        finally:
            connection.close()  # this thread's own database connection (the confirmation links)

    def _one(self, browser: Browser) -> bool:
        """File one notice and confirm it if it was saved. False: the filing failed, and the browser
        opens the form again before the next (as a person reloads the page)."""
        key = str(uuid.uuid4())
        with self._lock:
            self.keys.append(key)
        filed = self._record(browser.file(key))
        link = confirmation_path(key)
        if link is not None:
            path, reference = link
            self._record(browser.confirm_page(key, path))
            self._record(browser.confirm(key, path, reference))
        return filed.ok
