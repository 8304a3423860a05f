"""A webhook receiver for the tests and the bench: a small threaded HTTP server on 127.0.0.1 (a random port)
that checks each delivery's signature and timestamp as the README tells receivers to, records it, de-duplicates
by Webhook-Id, and can be told to fail (500), to hang (longer than the sender's timeout), or to go down and come
back on the same port."""

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# The README's rule: a timestamp further than this from the receiver's clock is a replay (or a bad clock).
TOLERANCE_SECONDS = 300


def verify(secret: str, headers, body: bytes, now: float | None = None) -> bool:
    """True when one of the Webhook-Signature's v1 values is ours and the timestamp is recent (README)."""
    event_id, timestamp = headers.get("Webhook-Id", ""), headers.get("Webhook-Timestamp", "")
    if not timestamp.isdigit() or abs((now or time.time()) - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    expected = hmac.new(secret.encode(), f"{event_id}.{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(value, "v1=" + expected) for value in headers.get("Webhook-Signature", "").split())


@dataclass
class Received:
    event_id: str
    timestamp: int
    payload: dict
    received_at: float
    signature: str


@dataclass
class Receiver:
    secret: str
    mode: str = "ok"  # "ok", "fail" (500), "hang" (sleeps hang_seconds before answering)
    hang_seconds: float = 12.0
    received: list[Received] = field(default_factory=list)  # every valid delivery, duplicates included
    rejected: int = 0  # deliveries with a bad signature or an old timestamp (answered 400)
    port: int = 0
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver._handle(self, body)

            def log_message(self, *args) -> None:  # quiet: the tests read the records, not a log
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Go down: connections are refused until start() again (same port)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _handle(self, request: BaseHTTPRequestHandler, body: bytes) -> None:
        if self.mode == "hang":
            time.sleep(self.hang_seconds)
        if self.mode == "fail":
            return self._answer(request, 500, b"receiver told to fail")
        if not verify(self.secret, request.headers, body):
            with self._lock:
                self.rejected += 1
            return self._answer(request, 400, b"bad signature")
        record = Received(request.headers["Webhook-Id"], int(request.headers["Webhook-Timestamp"]),
                          json.loads(body), time.time(), request.headers["Webhook-Signature"])
        with self._lock:
            self.received.append(record)
        self._answer(request, 204, b"")

    @staticmethod
    def _answer(request: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
        request.send_response(status)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    def unique(self) -> dict[str, Received]:
        """The deliveries de-duplicated by Webhook-Id (the first copy of each), as a receiver keeps them."""
        with self._lock:
            first: dict[str, Received] = {}
            for record in self.received:
                first.setdefault(record.event_id, record)
            return first

    def duplicates(self) -> int:
        with self._lock:
            return len(self.received) - len({record.event_id for record in self.received})

    def wait_for(self, count: int, timeout: float = 30.0) -> dict[str, Received]:
        """The unique deliveries once there are at least `count` (or what came when the timeout ran out)."""
        deadline = time.monotonic() + timeout
        while len(self.unique()) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.unique()
