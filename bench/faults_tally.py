"""bench/faults' tally (imported after django.setup()): what one fault did to the notices filed during
it, counted from the database (notice rows, `routed` events, OutboundEmail rows) and from the messages
the SMTP sink received, and the verdict.

E-mails: each OutboundEmail row must reach the sink exactly once. A message is tied to its row by its
content, (recipient, subject, plain-text body) with whitespace runs as one space: every row of a notice
has a text of its own (its link or reference), and a resend is a duplicate for the reader whatever its
headers say. Today's app gives each SMTP attempt a new random Message-ID, so the Message-ID cannot tie
a copy to its row; repeated Message-IDs are counted as duplicates too, for an app that makes them
stable. Copies are counted until the end of the run (a late duplicate of an earlier fault still counts
for it); a row's first copy counts as delivered only if it arrived within the fault's bound.
"""

import email
import email.policy
import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING

from django.db.models import Count, Min, Q
from faults_load import CONFIRM, FILE, Request
from harness import ReceivedMail, percentile

from takedowns.enums import EventKind
from takedowns.models import Event, Notice, OutboundEmail

if TYPE_CHECKING:  # faults_inject imports this module
    from faults_inject import FaultRun

SENT = "sent"
# A notice's reference, as takedowns.workflow.filing.new_reference draws it.
REFERENCE = re.compile(r"TD-[0-9A-Z]{4}-[0-9A-Z]{4}")


@dataclass(frozen=True)
class Mail:
    at: float
    key: str  # content_key of (recipient, subject, text)
    message_id: str


def content_key(to: str, subject: str, text: str) -> str:
    words = [to.strip().lower(), " ".join(subject.split()), " ".join(text.split())]
    return hashlib.sha256("\x00".join(words).encode()).hexdigest()


@cache
def parse(received: ReceivedMail) -> tuple[Mail, ...]:
    """One Mail per recipient of a received message."""
    message = email.message_from_bytes(received.content, policy=email.policy.default)
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    subject, message_id = str(message["Subject"] or ""), str(message["Message-ID"] or "").strip()
    return tuple(Mail(received.at, content_key(rcpt, subject, text), message_id) for rcpt in received.recipients)


def mails_of(received: list[ReceivedMail]) -> list[Mail]:
    return [mail for message in received for mail in parse(message)]


def row_key(row: dict) -> str:
    return content_key(row["to"], row["subject"], row["body_text"])


def email_rows(notices: list[dict], since: float) -> list[dict]:
    """The OutboundEmail rows of these notices. The reviewer's "new notice for you" is not attached to
    its notice (staff mail stays off the submitter's tracking page), so those rows are found by the
    notice's reference in their text, among the rows without a notice written since `since`."""
    fields = ("id", "kind", "to", "subject", "body_text", "status")
    rows = list(OutboundEmail.objects.filter(notice_id__in=[n["pk"] for n in notices]).values(*fields))
    references = {n["reference"] for n in notices}
    staff = OutboundEmail.objects.filter(notice=None, created_at__gte=datetime.fromtimestamp(since, UTC))
    return rows + [row for row in staff.values(*fields) if references & set(REFERENCE.findall(row["body_text"]))]


# Routing's last step for a notice: assigned (routed), or closed with no listing to decide (issue 12).
ROUTING_DONE = [EventKind.ROUTED, EventKind.NOTHING_TO_DECIDE]


def notices_of(keys: list[str]) -> list[dict]:
    return list(Notice.objects.filter(submission_key__in=keys).values("pk", "reference", "submission_key",
                                                                       "confirmed_at"))


def outstanding(run: "FaultRun", received: list[ReceivedMail]) -> dict[str, int]:
    """What is still to happen for the fault's notices: confirmed notices not routed, e-mail rows not
    sent, e-mail rows whose message has not arrived."""
    notices = notices_of(run.filer.keys)
    unrouted = (Notice.objects.filter(pk__in=[n["pk"] for n in notices], confirmed_at__isnull=False)
                .annotate(routed=Count("events", filter=Q(events__kind__in=ROUTING_DONE))).filter(routed=0).count())
    rows = email_rows(notices, run.filer.started)
    expected = Counter(row_key(row) for row in rows)
    arrived = Counter(mail.key for mail in mails_of(received))
    return {"unrouted": unrouted, "emails_unsent": sum(1 for row in rows if row["status"] != SENT),
            "emails_unreceived": sum(max(0, n - arrived[key]) for key, n in expected.items())}


def unmatched(received: list[ReceivedMail]) -> int:
    """Messages that match no OutboundEmail row of the database at all (none expected)."""
    keys = {row_key(row) for row in OutboundEmail.objects.values("to", "subject", "body_text").iterator()}
    return sum(1 for mail in mails_of(received) if mail.key not in keys)


# --- The tally of one fault. ---

def tally(run: "FaultRun", received: list[ReceivedMail], targets: dict[str, float]) -> dict:
    """The report of one fault (a faults_inject.FaultRun) and its problems."""
    notices = notices_of(run.filer.keys)
    saved = {str(n["submission_key"]) for n in notices}
    confirmed = {str(n["submission_key"]) for n in notices if n["confirmed_at"] is not None}
    confirmed_ids = [n["pk"] for n in notices if n["confirmed_at"] is not None]
    report = {
        "fault": run.name, "notes": run.notes,
        "timeline_s": {"fault": round(run.ended - run.started, 1),
                       "load_from_fault_start": [round(run.filer.started - run.started, 1),
                                                 round(run.filer.finished - run.started, 1)],
                       "bound_after_fault_end": round(run.bound_end - run.ended, 1),
                       "recovered_after_fault_end": (None if run.recovered_at is None
                                                     else round(run.recovered_at - run.ended, 1))},
        "notices": notice_counts(run, saved, confirmed),
        "routed": routing_counts(run, confirmed_ids),
        "emails": email_counts(run, email_rows(notices, run.filer.started), mails_of(received)),
        "requests": request_counts(run, saved, confirmed),
    }
    report["problems"] = problems(report, targets)
    return report


def notice_counts(run: "FaultRun", saved: set[str], confirmed: set[str]) -> dict:
    ok_files = {r.key for r in run.filer.requests if r.kind == FILE and r.ok}
    ok_confirms = {r.key for r in run.filer.requests if r.kind == CONFIRM and r.ok}
    return {"filed": len(run.filer.keys), "saved": len(saved), "confirmed": len(confirmed),
            # Lost: the user was told it worked, and the database does not have it.
            "filed_ok_without_row": len(ok_files - saved), "confirm_ok_not_confirmed": len(ok_confirms - confirmed)}


def routing_counts(run: "FaultRun", confirmed_ids: list[int]) -> dict:
    events = (Event.objects.filter(notice_id__in=confirmed_ids, kind__in=ROUTING_DONE).values("notice_id")
              .annotate(n=Count("id"), first=Min("created_at")))
    firsts = [e["first"].timestamp() for e in events]
    in_bound = [t for t in firsts if t <= run.bound_end]
    return {"confirmed": len(confirmed_ids), "routed": len(firsts),
            "routed_once": sum(1 for e in events if e["n"] == 1),
            "routed_twice_or_more": sum(1 for e in events if e["n"] > 1),
            "not_routed_within_bound": len(confirmed_ids) - len(in_bound),
            "routed_after_bound": len(firsts) - len(in_bound),
            "last_after_fault_end_s": round(max(in_bound) - run.ended, 1) if in_bound else None}


def email_counts(run: "FaultRun", rows: list[dict], mails: list[Mail]) -> dict:
    arrivals: dict[str, list[Mail]] = defaultdict(list)
    for mail in mails:
        arrivals[mail.key].append(mail)
    groups: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        groups[row_key(row)].append(row)
    kinds: dict[str, Counter] = defaultdict(Counter)
    firsts, message_ids = [], Counter()
    for key, group in groups.items():
        copies = sorted(arrivals.get(key, []), key=lambda mail: mail.at)
        in_bound = [mail.at for mail in copies[:len(group)] if mail.at <= run.bound_end]
        firsts += in_bound
        message_ids.update(mail.message_id for mail in copies if mail.message_id)
        counts = kinds[group[0]["kind"]]
        counts.update(rows=len(group), missing=len(group) - len(in_bound),
                      arrived_after_bound=min(len(copies), len(group)) - len(in_bound),
                      duplicates=max(0, len(copies) - len(group)),
                      received_but_row_not_sent=sum(1 for row in group[:len(copies)] if row["status"] != SENT))
        counts["delivered_once"] += len(in_bound) if len(copies) <= len(group) else 0
    total = sum(kinds.values(), Counter())
    return {**{name: total[name] for name in ("rows", "delivered_once", "missing", "arrived_after_bound",
                                              "duplicates", "received_but_row_not_sent")},
            "duplicate_message_ids": sum(n - 1 for n in message_ids.values() if n > 1),
            "row_status": dict(Counter(row["status"] for row in rows)),
            "last_after_fault_end_s": round(max(firsts) - run.ended, 1) if firsts else None,
            "by_kind": {kind: dict(counts) for kind, counts in sorted(kinds.items())}}


def classify(request: Request) -> str:
    """ok; error (shown to the user: a 5xx or no answer at all); refused (any other answer but success)."""
    if request.ok:
        return "ok"
    return "error" if request.status is None or request.status >= 500 else "refused"


def request_counts(run: "FaultRun", saved: set[str], confirmed: set[str]) -> dict:
    """Per kind of request: how many, how they ended, whether the work behind a failed one was saved,
    and the failures of requests made while the fault lasted."""
    work_saved = {FILE: saved, CONFIRM: confirmed}
    out: dict = {}
    for request in run.filer.requests:
        counts = out.setdefault(request.kind, Counter())
        outcome = classify(request)
        counts["sent"] += 1
        counts[outcome] += 1
        counts[f"status_{request.status or 'no_answer'}"] += 1
        if outcome != "ok" and request.kind in work_saved:
            counts[f"{outcome}_work_{'saved' if request.key in work_saved[request.kind] else 'not_saved'}"] += 1
        if outcome != "ok" and request.started <= run.ended and request.ended >= run.started:
            counts["failed_while_fault_lasted"] += 1
    for kind, counts in out.items():
        seconds = [r.ended - r.started for r in run.filer.requests if r.kind == kind]
        counts.update(p50_ms=round(1000 * percentile(seconds, 50)), max_ms=round(1000 * max(seconds)))
    total = sum((Counter({k: v for k, v in counts.items() if not k.endswith("_ms")}) for counts in out.values()),
                Counter())
    return {"by_kind": {kind: dict(counts) for kind, counts in sorted(out.items())},
            "errors_shown": total["error"],
            "errors_shown_work_saved": total["error_work_saved"],
            "errors_shown_work_not_saved": total["error_work_not_saved"],
            "refused": total["refused"],
            "failed_while_fault_lasted": total["failed_while_fault_lasted"],
            "samples": [f"{r.kind} {r.status} {r.detail}"[:160] for r in run.filer.requests if not r.ok][:5]}


def problems(report: dict, targets: dict[str, float]) -> list[str]:
    """What keeps the fault from the issue's bar: 0 lost, 0 duplicated, 0 errors shown (and its targets)."""
    notices, routed, mails, requests = (report[k] for k in ("notices", "routed", "emails", "requests"))
    found = []
    lost = {"notices answered as filed but not saved": notices["filed_ok_without_row"],
            "confirmations answered as done but not recorded": notices["confirm_ok_not_confirmed"],
            "confirmed notices not routed within the bound": routed["not_routed_within_bound"],
            "e-mails not delivered within the bound": mails["missing"]}
    duplicated = {"notices routed twice or more": routed["routed_twice_or_more"],
                  "e-mails received more than once": mails["duplicates"],
                  "repeated Message-IDs": mails["duplicate_message_ids"],
                  "e-mail rows received but not marked sent (a second copy is due)": mails["received_but_row_not_sent"]}
    shown = {"errors shown (5xx or no answer)": requests["errors_shown"],
             "of them with the work saved": requests["errors_shown_work_saved"],
             "other refusals (4xx)": requests["refused"]}
    for group, counts in (("lost", lost), ("duplicated", duplicated), ("shown", shown)):
        found += [f"{group}: {n} {what}" for what, n in counts.items() if n]
    for what, seconds in targets.items():
        last = (routed if what == "routed" else mails)["last_after_fault_end_s"]
        if last is not None and last > seconds:
            found.append(f"late: last {what} {last}s after the fault's end (target {seconds:.0f}s)")
    return found
