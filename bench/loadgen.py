"""HTTP load generator for bench/run.py: N threads, each with its own http.client connection,
every loop bounded by a deadline and a shared request budget.

gunicorn's sync workers answer every request with "Connection: close", so http.client opens
a new TCP connection for each request (on 127.0.0.1 that costs well under 0.1 ms); the
connection object, the CSRF cookie and the form token are kept per thread.
"""

import http.client
import random
import re
import threading
import time
import uuid
from dataclasses import dataclass, field

_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_CSRF_COOKIE = re.compile(r"csrftoken=([^;]+)")
_FILED = re.compile(r"^/notices/filed/([0-9a-f-]{36})/$")

BOUNDARY = "----benchFormBoundary7MA4YWxkTrZu0gW"
# The notice form's upload fields: a browser sends each as an empty part when no file is chosen.
FILE_FIELDS = ("registration_certificate", "authorisation_letter", "test_buy", "other_evidence")


def submitter_email(submission_key: str) -> str:
    """Each notice's own address, as many submitters file: with one address for all of them the portal's
    rate limits (per e-mail address, and its notices waiting for confirmation) would refuse the load,
    and the bench measures filing, not refusing."""
    return f"anna+{submission_key.replace('-', '')[:12]}@aerostride.example"


def notice_fields(listings: list[str], submission_key: str, token: str, email: str = "anna@aerostride.example"
                  ) -> list[tuple[str, str]]:
    """The form as a browser sends it for a valid notice by a rights owner with 3 listings."""
    fields = [
        ("csrfmiddlewaretoken", token),
        ("submission_key", submission_key),
        ("submitter_name", "Anna Berger"),
        ("submitter_organisation", "Aerostride GmbH"),
        ("submitter_email", email),
        ("submitter_country", "DE"),
        ("language", "en"),
        ("submitter_role", "owner"),
        ("right_type", "trademark"),
        ("right_registration_number", "018234567"),
        ("right_office", "EUIPO"),
        ("right_owner", "Aerostride GmbH"),
        ("items-TOTAL_FORMS", str(len(listings))),
        ("items-INITIAL_FORMS", "0"),
        ("items-MIN_NUM_FORMS", "3"),
        ("items-MAX_NUM_FORMS", "200"),
    ]
    reasons = ("counterfeit", "trademark_misuse")
    for number, reported in enumerate(listings):
        fields += [(f"items-{number}-reported", reported), (f"items-{number}-reason", reasons[number % 2])]
    fields += [
        ("pasted_listings", ""),
        ("pasted_reason", ""),
        ("description", "These sneakers carry our mark but we never made them; a test buy proved it."),
        ("good_faith_statement", "on"),
        ("accuracy_statement", "on"),
        ("signature", "Anna Berger"),
    ]
    return fields


def multipart(fields: list[tuple[str, str]], empty_files: tuple[str, ...] = FILE_FIELDS) -> bytes:
    parts = []
    for name, value in fields:
        parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n')
    for name in empty_files:
        parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename=""\r\n'
                     f"Content-Type: application/octet-stream\r\n\r\n\r\n")
    parts.append(f"--{BOUNDARY}--\r\n")
    return "".join(parts).encode()


def filed_as(status: int, location: str, key: str) -> bool:
    """The notice form's success: 302 to /notices/filed/<the form's submission key>/."""
    match = _FILED.match(location)
    return status == 302 and match is not None and match.group(1) == key


@dataclass
class Result:
    kind: str
    started: float = 0.0
    elapsed: float = 0.0
    ok: int = 0
    failed: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests only
    failures: list[str] = field(default_factory=list)  # a few samples
    client_cpu: float = 0.0  # CPU seconds used by this (load generator) process during the round

    @property
    def rps(self) -> float:
        return self.ok / self.elapsed if self.elapsed else 0.0


class Worker:
    """One simulated client: one connection, its own CSRF cookie and form token."""

    def __init__(self, kind: str, host: str, port: int, listing_refs: list[str], seed: int):
        self.kind, self.host, self.port = kind, host, port
        self.origin = f"http://{host}:{port}"
        self.conn = http.client.HTTPConnection(host, port, timeout=30)
        self.listing_refs = listing_refs
        self.rng = random.Random(seed)
        self.cookie = ""
        self.token = ""

    def _reset(self) -> None:
        self.conn.close()
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)

    def prepare(self) -> None:
        """For the notice form: GET it once for the CSRF cookie and token."""
        if self.kind != "notice":
            return
        self.conn.request("GET", "/notices/new/")
        response = self.conn.getresponse()
        html = response.read().decode()
        if response.status != 200:
            raise RuntimeError(f"GET /notices/new/ returned {response.status}")
        cookies = " ".join(value for name, value in response.getheaders() if name.lower() == "set-cookie")
        cookie, token = _CSRF_COOKIE.search(cookies), _CSRF_INPUT.search(html)
        if not cookie or not token:
            raise RuntimeError("GET /notices/new/ gave no CSRF cookie or token")
        self.cookie, self.token = cookie.group(1), token.group(1)

    def post_notice(self, key: str, email: str | None = None, headers: dict[str, str] | None = None
                    ) -> tuple[int, str]:
        """POST the notice form (3 listings) with submission key `key` (and, unless given, an e-mail
        address of its own): the status and Location."""
        status, response_headers, _ = self.send_notice(key, email, headers)
        return status, response_headers.get("location", "")

    def send_notice(self, key: str, email: str | None = None, headers: dict[str, str] | None = None
                    ) -> tuple[int, dict[str, str], bytes]:
        """post_notice, with the response's headers (lower-case names) and body, for a caller that looks
        at more of it."""
        fields = notice_fields(self.rng.sample(self.listing_refs, 3), key, self.token, email or submitter_email(key))
        sent = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                "Cookie": f"csrftoken={self.cookie}", "Origin": self.origin, **(headers or {})}
        self.conn.request("POST", "/notices/new/", body=multipart(fields), headers=sent)
        response = self.conn.getresponse()
        body = response.read()
        return response.status, {name.lower(): value for name, value in response.getheaders()}, body

    def one(self) -> tuple[bool, str]:
        if self.kind == "notice":
            key = str(uuid.uuid4())
            status, location = self.post_notice(key)
            if filed_as(status, location, key):
                return True, ""
            return False, f"{status} {location[:80]}"
        body = f"payload=ping-{self.rng.getrandbits(32):08x}".encode()
        self.conn.request("POST", "/bench/insert/", body=body,
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
        response = self.conn.getresponse()
        text = response.read()
        if response.status == 200 and text == b"ok":
            return True, ""
        return False, f"{response.status} {text[:80]!r}"


def run_round(workers: list[Worker], seconds: float, max_requests: int) -> Result:
    """All workers issue requests back to back until `seconds` have passed or `max_requests`
    have been started in total; then each finishes its request in flight."""
    result = Result(kind=workers[0].kind)
    lock = threading.Lock()
    budget = [max_requests]
    barrier = threading.Barrier(len(workers) + 1)
    ends: list[float] = []
    per_thread: list[tuple[list[float], int, list[str]]] = []

    def loop(worker: Worker) -> None:
        latencies, failed, samples = [], 0, []
        barrier.wait()
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            with lock:
                if budget[0] <= 0:
                    break
                budget[0] -= 1
            started = time.perf_counter()
            try:
                ok, why = worker.one()
            except (OSError, http.client.HTTPException) as exc:
                ok, why = False, repr(exc)
                worker._reset()
            if ok:
                latencies.append(time.perf_counter() - started)
            else:
                failed += 1
                if len(samples) < 3:
                    samples.append(why)
        with lock:
            ends.append(time.perf_counter())
            per_thread.append((latencies, failed, samples))

    threads = [threading.Thread(target=loop, args=(worker,), daemon=True) for worker in workers]
    for thread in threads:
        thread.start()
    cpu0 = time.process_time()
    barrier.wait()
    result.started = time.perf_counter()
    for thread in threads:
        thread.join(seconds + 60)
    result.client_cpu = time.process_time() - cpu0
    result.elapsed = (max(ends) if ends else time.perf_counter()) - result.started
    _add_threads(result, per_thread)
    return result


def _add_threads(result: Result, per_thread: list[tuple[list[float], int, list[str]]]) -> None:
    """Each thread's latencies, failures and failure samples, into the round's result."""
    for latencies, failed, samples in per_thread:
        result.latencies += latencies
        result.ok += len(latencies)
        result.failed += failed
        result.failures += samples

