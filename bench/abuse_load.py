"""bench/abuse's flood and its counts (imported after django.setup(), in the stack's environment): the
abuser's connections filing notices through gunicorn as a browser does (the form's CSRF cookie and
token, the multipart POST with a fresh submission key), every answer recorded; the e-mails the sink
received; the verdict. See abuse.py."""

import email
import email.policy
import http.client
import re
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass

import loadgen
from django.conf import settings
from harness import log, nearest_rank

from takedowns.models import Notice, OutboundEmail

ABUSER = "203.0.113.66"
BYSTANDER = "198.51.100.200"
SAME_EMAIL = "victim@example.org"
_RATE = re.compile(r"(\d+)/")


@dataclass
class Answer:
    index: int
    key: str
    email: str
    started: float  # time.monotonic()
    ms: float
    status: int | None  # None: no HTTP answer
    location: str
    retry_after: int | None
    shows_refusal: bool  # the page says what happened and keeps the e-mail address typed

    @property
    def accepted(self) -> bool:
        return self.status == 302 and self.location == f"/notices/filed/{self.key}/"


def limit_count(action: str, key: str) -> int:
    return int(_RATE.match(settings.RATE_LIMITS[action][key]).group(1))


def forwarded(client: str, index: int) -> dict[str, str]:
    """The header a proxy appends the client's address to; what comes before is the client's to choose."""
    return {"X-Forwarded-For": f"10.{index % 250}.{index // 250 % 250}.1, {client}"}


def flood(port: int, refs: list[str], jobs: list[tuple[str, str]], connections: int, seconds: float,
          seed: int) -> tuple[list[Answer], float]:
    """Send jobs (e-mail address, client address) as fast as `connections` connections go, until all
    are sent or `seconds` have passed. Returns every answer and the elapsed time."""
    answers: list[Answer] = []
    lock = threading.Lock()
    pending = list(enumerate(jobs))
    deadline = time.monotonic() + seconds

    def take() -> tuple[int, tuple[str, str]] | None:
        with lock:
            return pending.pop(0) if pending and time.monotonic() < deadline else None

    def browse(number: int) -> None:
        browser = loadgen.Worker("notice", "127.0.0.1", port, refs, seed * 100 + number)
        browser.prepare()
        while (job := take()) is not None:
            index, (address, client) = job
            key = str(uuid.uuid4())
            started = time.monotonic()
            try:
                status, headers, body = browser.send_notice(key, address, forwarded(client, index))
            except (OSError, http.client.HTTPException) as exc:
                browser._reset()
                status, headers, body = None, {"location": repr(exc)[:100]}, b""
            page = body.decode(errors="replace")
            retry = headers.get("retry-after")
            answer = Answer(index, key, address, started, (time.monotonic() - started) * 1000, status,
                            headers.get("location", ""), int(retry) if retry and retry.isdigit() else None,
                            'id="rate-limited"' in page and f'value="{address}"' in page)
            with lock:
                answers.append(answer)

    began = time.monotonic()
    threads = [threading.Thread(target=browse, args=(n,), daemon=True) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 120)
    return sorted(answers, key=lambda a: a.index), time.monotonic() - began


def phase_report(answers: list[Answer], elapsed: float, expected: int, exact: bool, problems: list[str],
                 name: str) -> dict:
    """The counts of one phase, and what is wrong with them."""
    accepted = [a for a in answers if a.accepted]
    refused = [a for a in answers if a.status == 429]
    errors = [a for a in answers if a.status is None or a.status >= 500]
    other = [a for a in answers if not a.accepted and a.status != 429 and a not in errors]
    times = [a.ms for a in answers]
    report = {"sent": len(answers), "elapsed_s": round(elapsed, 2), "per_s": round(len(answers) / elapsed, 1),
              "accepted": len(accepted), "expected_accepted": expected, "refused_429": len(refused),
              "server_errors": len(errors), "other": len(other),
              "refused_without_retry_after": sum(a.retry_after is None for a in refused),
              "refused_page_without_message_or_input": sum(not a.shows_refusal for a in refused),
              "retry_after_s": sorted({a.retry_after for a in refused if a.retry_after is not None})[:5],
              "p50_ms": round(nearest_rank(times, 50), 1), "p95_ms": round(nearest_rank(times, 95), 1),
              "max_ms": round(max(times), 1) if times else 0.0,
              "error_samples": [f"{a.status} {a.location}" for a in (errors + other)[:5]]}
    if (len(accepted) != expected) if exact else (len(accepted) > expected):
        problems.append(f"{name}: {len(accepted)} accepted, expected {'' if exact else 'at most '}{expected}")
    if errors:
        problems.append(f"{name}: {len(errors)} server errors or no answer")
    if other:
        problems.append(f"{name}: {len(other)} answers neither accepted nor 429")
    if report["refused_without_retry_after"] or report["refused_page_without_message_or_input"]:
        problems.append(f"{name}: 429s without Retry-After ({report['refused_without_retry_after']}) or without "
                        f"the message and the typed address ({report['refused_page_without_message_or_input']})")
    return report


def confirmation_mails(sink) -> Counter:
    """Confirmation e-mails received, per recipient."""
    received: Counter = Counter()
    for mail in sink.messages():
        message = email.message_from_bytes(mail.content, policy=email.policy.default)
        if str(message["Subject"] or "").startswith("Confirm your notice"):
            received.update(rcpt.lower() for rcpt in mail.recipients)
    return received


def run(args, stack, report: dict) -> None:
    problems: list[str] = []
    report["limits"] = {"filing": settings.RATE_LIMITS["filing"],
                        "pending_confirmations": settings.RATE_LIMIT_PENDING_CONFIRMATIONS}
    report["phases"] = {"one_address": one_address(args, stack, report, problems),
                        "one_email": one_email(args, stack, problems)}
    report["emails"] = emails(args, stack, report, problems)
    report["problems"] = problems


def one_address(args, stack, report: dict, problems: list[str]) -> dict:
    """The incident: one address, a notice for another victim each time; a bystander files meanwhile."""
    log(f"phase one_address: {args.notices} notices from {ABUSER}, {args.connections} connections, "
        f"at most {args.seconds:.0f} s (limit {settings.RATE_LIMITS['filing']['address']})")
    bystander: list[Answer] = []
    thread = threading.Thread(target=lambda: (time.sleep(1.0), bystander.extend(flood(
        stack.port, stack.listing_refs, [("bystander@rights.example", BYSTANDER)], 1, 30, 7)[0])), daemon=True)
    thread.start()
    jobs = [(f"victim-{n}@example.org", ABUSER) for n in range(args.notices)]
    answers, elapsed = flood(stack.port, stack.listing_refs, jobs, args.connections, args.seconds, 1)
    thread.join(60)
    # The limit counts in fixed windows: if one ended during the flood, N more were allowed in the next.
    refused = [a for a in answers if a.status == 429 and a.retry_after is not None]
    first_refusal = min(refused, key=lambda a: a.started) if refused else None
    flood_end = max((a.started + a.ms / 1000 for a in answers), default=0.0)
    windows = 1 if first_refusal is None or first_refusal.started + first_refusal.retry_after > flood_end else 2
    phase = phase_report(answers, elapsed, limit_count("filing", "address") * windows, True, problems,
                         "one_address")
    phase["limit_windows"] = windows
    if len(answers) < args.notices:
        problems.append(f"one_address: only {len(answers)} of {args.notices} sent within {args.seconds:.0f} s")
    report["bystander"] = {"accepted": bool(bystander) and bystander[0].accepted,
                           "status": bystander[0].status if bystander else None}
    if not report["bystander"]["accepted"]:
        problems.append(f"the bystander's notice was not accepted ({report['bystander']['status']})")
    return phase


def one_email(args, stack, problems: list[str]) -> dict:
    """The incident's second half: one e-mail address, each notice from an address of its own."""
    log(f"phase one_email: {args.same_email_notices} notices for {SAME_EMAIL}, each from an address of its own")
    jobs = [(SAME_EMAIL, f"192.0.2.{n % 250}" if n < 250 else f"198.18.{n // 250}.{n % 250}")
            for n in range(args.same_email_notices)]
    answers, elapsed = flood(stack.port, stack.listing_refs, jobs, args.connections, args.seconds, 2)
    expected = min(limit_count("filing", "email"), settings.RATE_LIMIT_PENDING_CONFIRMATIONS)
    return phase_report(answers, elapsed, expected, False, problems, "one_email")


def emails(args, stack, report: dict, problems: list[str]) -> dict:
    """Waits (at most --mail-seconds) for the confirmation e-mails the database holds, then counts them."""
    phases = report["phases"]
    notices = Notice.objects.count()
    rows = OutboundEmail.objects.filter(kind="confirm_notice").count()
    deadline = time.monotonic() + args.mail_seconds
    while sum(confirmation_mails(stack.sink).values()) < rows and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(2.0)  # a late second copy would show now
    received = confirmation_mails(stack.sink)
    accepted = sum(p["accepted"] for p in phases.values()) + int(report["bystander"]["accepted"])
    cap = min(limit_count("filing", "email"), settings.RATE_LIMIT_PENDING_CONFIRMATIONS)
    mails = {"accepted_notices": accepted, "notices_in_database": notices, "confirmation_rows": rows,
             "confirmation_received": sum(received.values()), "most_to_one_address": max(received.values(), default=0),
             "to_the_one_email_address": received[SAME_EMAIL],
             "at_most": limit_count("filing", "address") * phases["one_address"]["limit_windows"] + cap + 1}
    if not mails["confirmation_received"] == rows == notices == accepted:
        problems.append(f"confirmation e-mails {mails['confirmation_received']} received, {rows} rows, "
                        f"{notices} notices, {accepted} accepted: not one e-mail per accepted notice")
    if mails["to_the_one_email_address"] > cap:
        problems.append(f"{SAME_EMAIL} received {mails['to_the_one_email_address']} confirmation e-mails")
    if mails["confirmation_received"] > mails["at_most"]:
        problems.append(f"{mails['confirmation_received']} confirmation e-mails, more than {mails['at_most']}")
    return mails
