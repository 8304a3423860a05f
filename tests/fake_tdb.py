"""A local fake of the DSA Transparency Database's batch endpoint (POST /api/v1/statements), served over
HTTP on 127.0.0.1 in a thread, answering as the real one does (StatementMultipleAPIController): 401
without the bearer token; 422 {"errors": {"statement_N": {...}}} when a statement is invalid and 422
{"errors": {"puid": [...], "existing_puids": [...]}} when a puid is known, both storing nothing; 201
{"statements": [... with "uuid"]} otherwise. Tests script failures (`fail_next`) and invalid puids."""

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "test-token-0123"


@dataclass
class FakeTdb:
    url: str = ""
    stored: dict[str, dict] = field(default_factory=dict)  # by puid
    batches: list[list[str]] = field(default_factory=list)  # the puids of every call, in order
    fail_next: list[int] = field(default_factory=list)  # statuses to answer before anything else
    invalid_puids: set[str] = field(default_factory=set)
    authorisations: list[str] = field(default_factory=list)

    def answer(self, authorisation: str, body: dict) -> tuple[int, dict]:
        self.authorisations.append(authorisation)
        if authorisation != f"Bearer {TOKEN}":
            return 401, {"message": "Unauthenticated."}
        statements = body.get("statements")
        if not isinstance(statements, list) or not 1 <= len(statements) <= 100:
            return 422, {"message": "The statements field must have between 1 and 100 items.",
                         "errors": {"statements": ["The statements field must have between 1 and 100 items."]}}
        puids = [statement["puid"] for statement in statements]
        self.batches.append(puids)
        if self.fail_next:
            return self.fail_next.pop(0), {"message": "Server Error"}
        errors = {f"statement_{index}": {"decision_facts": ["The decision facts field is required."]}
                  for index, puid in enumerate(puids) if puid in self.invalid_puids}
        if errors:
            return 422, {"errors": errors}
        existing = [puid for puid in puids if puid in self.stored]
        if existing:
            return 422, {"message": "The platform identifier(s) are not all unique within this call.",
                         "errors": {"puid": ["The platform identifier(s) are not all unique within this call."],
                                    "existing_puids": existing}}
        out = []
        for statement in statements:
            stored = {**statement, "uuid": str(uuid.uuid4())}
            self.stored[statement["puid"]] = stored
            out.append({**stored, "self": f"{self.url}/api/v1/statement/{stored['uuid']}"})
        return 201, {"statements": out}


@contextmanager
def serving() -> Iterator[FakeTdb]:
    fake = FakeTdb()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if self.path != "/api/v1/statements":
                self._reply(404, {"message": "Not Found"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            status, payload = fake.answer(self.headers.get("Authorization", ""), json.loads(self.rfile.read(length)))
            self._reply(status, payload)

        def _reply(self, status: int, payload: dict) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
