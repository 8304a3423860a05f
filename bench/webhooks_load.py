"""The app side of bench/webhooks (webhooks_bench.py): the stack, the load, the receiver's outage and the counts.
Imported after django.setup() in the bench's production environment."""

import argparse
import random
import secrets
import time
import uuid
from datetime import timedelta
from pathlib import Path

import harness
import pg
from django.db.models import Count, Q
from django.utils import timezone
from harness import VENV_BIN, log
from run_phases import seed

from takedowns import workflow
from takedowns.enums import OrganisationStatus
from takedowns.models import Listing, Organisation, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from tests.webhook_receiver import Receiver

WORKER_READY_SECONDS = 60
SECRET = "whsec_bench_" + secrets.token_hex(16)
DOMAIN = "brandguard.example"


def run(args: argparse.Namespace, env: dict, run_dir: Path, procs: harness.Processes, report: dict) -> None:
    log(f"creating database {args.db}")
    pg.create_database(args.db)
    log(f"migrated in {pg.migrate():.1f}s; seeded {seed(random.Random(42), args.sellers, args.listings)}")
    receiver = Receiver(SECRET).start()
    organisation = _organisation()
    WebhookEndpoint.objects.create(organisation=organisation, url=receiver.url, secret=SECRET,
                                   created_at=timezone.now())
    _start_worker(procs, env, run_dir, args.concurrency)
    procs.start("celery beat", [str(VENV_BIN / "celery"), "-A", "portal", "beat", "--loglevel=INFO",
                                "--schedule", str(run_dir / "celerybeat-schedule")], env, run_dir / "beat.log")
    load = Load(organisation, list(Listing.objects.filter(status="active").values_list("external_id", flat=True)),
                args.rate)
    try:
        phases = {"up": load.file_for(args.up_seconds)}
        # Every change of phase up is delivered (or the drain's time ran out) before the receiver goes down:
        # its latencies are the receiver-up ones, none of them stretched by the outage.
        phases["up"]["drained"] = _wait_for_every_event(receiver, args.drain_seconds) is not None
        log("phase up done; the receiver goes down")
        receiver.stop()
        phases["up"]["ended"] = timezone.now()
        phases["outage"] = load.file_for(args.outage_seconds)
        receiver.start()
        back_at = time.time()
        phases["outage"]["ended"] = timezone.now()
        log("the receiver is back")
        phases["back"] = load.file_for(args.back_seconds)
        all_in = _wait_for_every_event(receiver, args.drain_seconds)
        phases["back"]["ended"] = timezone.now()
    finally:
        receiver.stop()
    _tally(args, report, receiver, phases, back_at, all_in)


def _organisation() -> Organisation:
    now = timezone.now()
    return Organisation.objects.create(
        reference=f"ORG-{uuid.uuid4().hex[:8].upper()}", name="BrandGuard (bench)", domain=DOMAIN,
        contact_name="Mia Keller", contact_email=f"mia@{DOMAIN}", country="DE", role="agent",
        status=OrganisationStatus.VERIFIED, submission_key=uuid.uuid4(), tracking_token=secrets.token_urlsafe(32),
        confirmation_token=secrets.token_urlsafe(32), created_at=now, expires_at=now + timedelta(days=2),
        confirmed_at=now, verified_at=now)


def _start_worker(procs: harness.Processes, env: dict, run_dir: Path, concurrency: int) -> None:
    logfile = run_dir / "worker.log"
    worker = procs.start("celery worker", [str(VENV_BIN / "celery"), "-A", "portal", "worker", "--loglevel=INFO",
                                           f"--concurrency={concurrency}", "-n", "hooks@%h"], env, logfile)
    deadline = time.monotonic() + WORKER_READY_SECONDS
    while " ready." not in logfile.read_text(errors="replace"):
        if worker.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"celery worker not ready; see {harness.shown(logfile)}")
        time.sleep(0.1)


class Load:
    """Notices filed at a steady rate for the organisation (3 listings each, drawn in turn)."""

    def __init__(self, organisation: Organisation, listings: list[str], rate: float) -> None:
        self.organisation, self.listings, self.rate = organisation, listings, rate
        self.filed = 0

    def file_for(self, seconds: float) -> dict:
        """File for `seconds`; returns the phase's notices (pks) and its time window (the caller may move
        its end to when the receiver changed)."""
        began, notices = timezone.now(), []
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            notices.append(self._file_one().pk)
            next_at = start + len(notices) / self.rate
            time.sleep(max(0.0, next_at - time.monotonic()))
        return {"notice_ids": notices, "began": began, "ended": timezone.now()}

    def _file_one(self):
        rows = [self.listings[(self.filed * 3 + k) % len(self.listings)] for k in range(3)]
        self.filed += 1
        notice, _ = workflow.file_for_organisation(
            self.organisation, None, _fields(self.filed), [workflow.ReportedItem(r, "counterfeit") for r in rows],
            uuid.uuid4(), timezone.now(), with_evidence=False)
        return notice


def _fields(n: int) -> dict:
    return {
        "submitter_name": "Mia Keller", "submitter_organisation": "BrandGuard", "submitter_email": f"legal@{DOMAIN}",
        "submitter_country": "DE", "submitter_role": "agent", "language": "en", "right_type": "trademark",
        "right_registration_number": f"0182{n:05d}", "right_office": "EUIPO", "right_owner": "Aerostride GmbH",
        "description": "These sneakers carry our mark but we never made them; a test buy proved it.",
        "good_faith_statement": True, "accuracy_statement": True, "signature": "Mia Keller",
    }


def _wait_for_every_event(receiver: Receiver, seconds: float) -> float | None:
    """When every webhook event in the database was received (time.time()), or None at the deadline.
    Routing adds events after the last filing: an event count that still grows is waited for too."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        wanted = {str(pk) for pk in WebhookEvent.objects.values_list("event_id", flat=True)}
        if wanted and wanted <= set(receiver.unique()):
            return time.time()
        time.sleep(0.5)
    return None


def _tally(args: argparse.Namespace, report: dict, receiver: Receiver, phases: dict, back_at: float,
           all_in: float | None) -> None:
    got = receiver.unique()
    events = list(WebhookEvent.objects.values_list("event_id", "notice_id", "created_at"))
    report["phases"] = {name: _latencies(phase, events, got) for name, phase in phases.items()}
    outage = phases["outage"]
    outage_got = [got[str(event_id)].received_at for event_id, _, created_at in events
                  if outage["began"] <= created_at < outage["ended"] and str(event_id) in got]
    report["recovery"] = {
        "all_in_s": round(all_in - back_at, 1) if all_in else None,
        "outage_events_all_in_s": round(max(outage_got) - back_at, 1) if outage_got else None}
    attempts = WebhookAttempt.objects.aggregate(all=Count("id"), failed=Count("id", filter=~_delivered()))
    deliveries = dict(WebhookDelivery.objects.values_list("status").annotate(n=Count("id")).order_by())
    lost = [str(event_id) for event_id, _, _ in events if str(event_id) not in got]
    report["totals"] = {"events": len(events), "received": len(got), "lost": len(lost), "lost_ids": lost[:20],
                        "duplicates": receiver.duplicates(), "rejected": receiver.rejected,
                        "attempts": attempts["all"], "failed_attempts": attempts["failed"], "deliveries": deliveries}
    problems = []
    if not report["phases"]["up"]["drained"]:
        problems.append("phase up: not every event was received before the outage began")
    if report["phases"]["up"]["p95_s"] is None or report["phases"]["up"]["p95_s"] >= args.p95_target:
        problems.append(f"phase up: p95 {report['phases']['up']['p95_s']} s (target < {args.p95_target} s)")
    if lost:
        problems.append(f"{len(lost)} webhook events never received")
    if set(deliveries) != {"delivered"}:
        problems.append(f"deliveries not all delivered: {deliveries}")
    if receiver.rejected:
        problems.append(f"{receiver.rejected} deliveries with a bad signature")
    report["problems"] = problems
    report["status"] = "ok" if not problems else "problems"


def _delivered() -> Q:
    return Q(status_code__gte=200, status_code__lt=300)


def _latencies(phase: dict, events: list, got: dict) -> dict:
    """Receipt (the first copy) minus the event's created_at (the change's time), for the events of changes
    made in the phase (from its start to the receiver's next stop or start; the last phase: to the end)."""
    ours = [(str(event_id), created_at) for event_id, _, created_at in events
            if phase["began"] <= created_at < phase["ended"]]
    seconds = [got[event_id].received_at - created_at.timestamp() for event_id, created_at in ours
               if event_id in got]
    summary = {"notices": len(phase["notice_ids"]), "events": len(ours), "received": len(seconds),
               "drained": phase.get("drained"),
               "seconds": round((phase["ended"] - phase["began"]).total_seconds(), 1)}
    if not seconds:
        return {**summary, "p50_s": None, "p95_s": None, "max_s": None}
    return {**summary, "p50_s": round(harness.percentile(seconds, 50), 3),
            "p95_s": round(harness.percentile(seconds, 95), 3), "max_s": round(max(seconds), 3)}
