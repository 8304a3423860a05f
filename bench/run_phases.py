"""bench/run's work with the app (imported after django.setup(), in the bench's environment): the
database and its seed, part A (notice POST against the ceiling, through gunicorn) and part B (routing
throughput of one celery worker). run.py is the command; what is measured how: bench/README.md.
"""

import argparse
import csv
import http.client
import json
import os
import random
import secrets
import statistics
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import celery
import gunicorn
import harness
import loadgen
import pg
import redis
from cpu import CpuMeter, children_of, cpu_breakdown, start_pyspy, stop_pyspy
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Max, Min, QuerySet
from django.utils import timezone
from harness import BENCH, OUT, ROOT, VENV_BIN, SmtpSink, log, nearest_rank

from portal.celery import app
from takedowns import seeding
from takedowns.enums import REASONS_FOR_RIGHT, ActorKind, EventKind, NoticeStatus
from takedowns.models import Event, Listing, Notice, NoticeItem, OutboundEmail, Reviewer, ReviewerSkill, Seller
from takedowns.tasks import route_notice
from takedowns.workflow import new_reference

# Routing variants: "current" is the app as it is. To measure a proposed change without editing app
# code, add a module under benchsite/ that patches it in each worker process (connect to celery's
# worker_process_init) and name it here; its reps interleave with "current". "baseline" (with
# --baseline-tree DIR) is the worker running the app code of another checkout, e.g.
# `git worktree add /tmp/base main`, for before/after rep by rep; the schema must be the same (the
# database is migrated with this tree's migrations).
VARIANTS = {
    "current": ("portal", {}),
    "baseline": ("portal", {}),
    # Issue 15: the same code routing each notice alone (the task's batch of one), against "current"'s batches.
    "one_by_one": ("portal", {"ROUTING_BATCH_SIZE": "1"}),
}
OPEN = "('confirmed', 'in_review')"


@dataclass
class Run:
    """What the phases of one bench/run share."""

    args: argparse.Namespace
    env: dict[str, str]
    prefix: str  # of the run's Redis keys: bench-<run id>-
    smtp_port: int
    procs: harness.Processes = field(default_factory=harness.Processes)
    rng: random.Random = field(default_factory=lambda: random.Random(42))
    listing_ids: list[str] = field(default_factory=list)
    listings: "ListingPool | None" = None
    sink: SmtpSink | None = None

    @property
    def db(self) -> str:
        return self.args.db

    @property
    def port(self) -> int:
        return int(self.env["PORT"])

    def stop(self) -> None:
        """Stop what the run started: gunicorn, workers, samplers, the SMTP sink."""
        self.procs.stop_all()
        if self.sink is not None:
            self.sink.stop()


def run_all(run: Run, report: dict) -> None:
    """Reset and seed the database, then part A and part B (their reps interleaved by variant)."""
    unknown = [v for v in run.args.routing_variants.split(",") if v not in VARIANTS]
    if unknown:
        raise ValueError(f"unknown routing variants {unknown}: not in VARIANTS ({', '.join(VARIANTS)})")
    log(f"run {run.args.run_id}: resetting database {run.db}")
    pg.create_database(run.db)
    prepare_database()
    report["seed"] = seed(run.rng, run.args.sellers, run.args.listings)
    report["machine"] = machine_info()
    report["git_head"] = harness.git_head()
    log(f"seeded {report['seed']}; machine {report['machine']}")
    run.listing_ids = list(Listing.objects.order_by("pk").values_list("external_id", flat=True))
    run.listings = ListingPool(run.listing_ids, run.rng)
    run.sink = SmtpSink(run.smtp_port)
    run.sink.start()
    if not run.args.skip_web:
        report["web"] = part_a(run)
        harness.delete_keys(f"{run.prefix}web")
    if not run.args.skip_routing:
        if run.args.history:
            t0 = time.perf_counter()
            report["history"] = seed_history(run.args.history, run.rng, run.listings, run.env["SITE_URL"])
            log(f"seeded a history of {run.args.history} closed notices in {time.perf_counter() - t0:.1f}s")
        # Variants interleaved rep by rep (current, fixes, current, fixes, ...), like part A.
        routing = [part_b_rep(run, variant, concurrency, rep)
                   for concurrency in [int(c) for c in run.args.concurrency.split(",")]
                   for rep in range(1, run.args.reps + 1)
                   for variant in run.args.routing_variants.split(",")]
        report["routing"] = {"reps": routing, "summary": routing_summary(routing)}
    head_now = harness.git_head()
    if head_now != report["git_head"]:
        report["warning"] = (f"the app code changed during the run (HEAD {report['git_head']} -> {head_now}); "
                             f"processes started later ran the newer code")
        log("WARNING: " + report["warning"])


def routing_summary(routing: list[dict]) -> dict:
    summary = {}
    for variant, concurrency in sorted({(r["variant"], r["concurrency"]) for r in routing}):
        rates = [r["notices_per_s"] for r in routing if (r["variant"], r["concurrency"]) == (variant, concurrency)]
        summary[f"{variant} c={concurrency}"] = {"notices_per_s": rates, "median": round(statistics.median(rates), 1),
                                                "target": 200, "target_met": statistics.median(rates) >= 200}
    return summary



# --- The database. ---

def prepare_database() -> float:
    """Migrate, the ceiling's table bench_ping (raw SQL), and collectstatic: DEBUG=false uses
    whitenoise's manifest storage, and the form page needs the manifest."""
    seconds = pg.migrate(collectstatic_always=True)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_ping (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL, "
                       "payload text NOT NULL)")
    return seconds


# Reviewers: skills across the right types, several languages, one inactive.
STAFF = [
    ("tm1", ["trademark"], "en,de", True), ("tm2", ["trademark", "design"], "en,fr", True),
    ("cr1", ["copyright"], "en,fr", True), ("cr2", ["copyright", "trademark"], "en,es", True),
    ("ds1", ["design"], "en,it", True), ("pt1", ["patent"], "en,de", True),
    ("all", ["trademark", "copyright", "design", "patent"], "en", True),
    ("away", ["trademark"], "en", False),
]


def seed(rng: random.Random, n_sellers: int, n_listings: int) -> dict:
    categories = ["shoes", "bags", "clothing", "watches", "toys", "cosmetics", "electrical", "books",
                  "jewellery", "baby", "car-parts", "sports"]
    countries = ["DE", "FR", "CN", "US", "PL", "IT", "ES", "NL", "CZ", "PT"]
    with transaction.atomic():
        sellers = Seller.objects.bulk_create(
            Seller(external_id=f"S-{3001 + i}", name=f"Bench Seller {i + 1}", country=rng.choice(countries),
                   strike_count=rng.choice([0, 0, 0, 1, 2, 4]))
            for i in range(n_sellers))
        Listing.objects.bulk_create(
            Listing(external_id=f"L-{200001 + i}", seller=rng.choice(sellers), title=f"Bench listing {i + 1}",
                    description="A listing created by the bench.", category=rng.choice(categories),
                    price=Decimal(f"{rng.uniform(5, 500):.2f}"),
                    status="removed" if rng.random() < 0.05 else "active")
            for i in range(n_listings))
        rights = seeding.load_rights(ROOT / "seeds")
        for username, skills, languages, active in STAFF:
            user = get_user_model()(username=username, email=f"{username}@portal.example", is_staff=True)
            user.set_unusable_password()
            user.save()
            reviewer = Reviewer.objects.create(user=user, languages=languages, is_active=active)
            ReviewerSkill.objects.bulk_create(ReviewerSkill(reviewer=reviewer, right_type=s) for s in skills)
    return {"sellers": n_sellers, "listings": n_listings, "rights": rights, "reviewers": len(STAFF)}


def rights_rows() -> list[dict]:
    with (ROOT / "seeds" / "rights.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _notice(rng: random.Random, rights: list[dict], reference: str, now) -> Notice:
    if rng.random() < 0.3:
        right = rng.choice(rights)
        right_type, number, office = right["right_type"], right["registration_number"], right["office"]
    else:
        right_type = rng.choices(["trademark", "copyright", "design", "patent"], [6, 3, 1, 0.5])[0]
        number, office = f"{rng.randrange(10**8):09d}", rng.choice(["EUIPO", "USPTO", "DPMA", "WIPO"])
    return Notice(
        reference=reference, status=NoticeStatus.CONFIRMED, submission_key=uuid.uuid4(),
        tracking_token=secrets.token_urlsafe(32), confirmation_token=secrets.token_urlsafe(32),
        submitter_name="Bench Submitter", submitter_organisation="Bench Rights Ltd",
        submitter_email="rights@bench.example", submitter_country="DE", submitter_role="owner",
        language=rng.choice(["en", "en", "de", "fr", "es", "it"]), right_type=right_type,
        right_registration_number=number, right_office=office, right_owner="Bench Rights Ltd",
        description="Counterfeits of our goods, confirmed by a test buy.", good_faith_statement=True,
        accuracy_statement=True, signature="Bench Submitter", created_at=now - timedelta(minutes=5),
        expires_at=now + timedelta(days=7), confirmed_at=now)


class ListingPool:
    """The catalogue's listing ids, drawn without replacement (all again, reshuffled, once every one was
    drawn). Routing marks a listing already under review in another open notice a duplicate, and a notice
    with nothing but duplicates closes at routing (issue 12) without the reviewer's assignment and decision
    clock that the routing bench measures; distinct listings keep the bench's notices ordinary ones."""

    def __init__(self, listing_ids: list[str], rng: random.Random):
        self._ids, self._rng, self._left = list(listing_ids), rng, []

    def take(self, n: int) -> list[str]:
        if len(self._left) < n:
            self._left = self._ids[:]
            self._rng.shuffle(self._left)
        return [self._left.pop() for _ in range(n)]


def _items_and_events(notice: Notice, rng: random.Random, listings: ListingPool, site_url: str,
                      now) -> tuple[list[NoticeItem], list[Event]]:
    reasons = sorted(REASONS_FOR_RIGHT[notice.right_type])
    items = []
    for position, listing in enumerate(listings.take(3), start=1):
        roll = rng.random()
        if roll < 0.1:
            reported = f"L-{rng.randrange(900000, 999999)}"  # not in the catalogue
        elif roll < 0.35:
            reported = f"{site_url}/listings/{listing}/"
        else:
            reported = listing
        items.append(NoticeItem(notice=notice, position=position, reported=reported, reason=rng.choice(reasons)))
    events = [Event(notice=notice, kind=EventKind.FILED, actor_kind=ActorKind.SUBMITTER,
                    to_status=NoticeStatus.UNCONFIRMED, details={"items": 3, "evidence_files": 0},
                    created_at=notice.created_at),
              Event(notice=notice, kind=EventKind.CONFIRMED, actor_kind=ActorKind.SUBMITTER,
                    from_status=NoticeStatus.UNCONFIRMED, to_status=NoticeStatus.CONFIRMED, created_at=now)]
    return items, events


def create_confirmed_notices(n: int, rng: random.Random, listings: ListingPool, site_url: str) -> tuple[int, int]:
    """N confirmed notices with 3 items each, inserted in bulk (status 'confirmed', with their
    filed/confirmed events; no e-mail rows, no tasks). Returns (min id, max id)."""
    rights = rights_rows()
    taken = set(Notice.objects.values_list("reference", flat=True))
    now = timezone.now()
    notices = []
    for _ in range(n):
        reference = new_reference()
        while reference in taken:
            reference = new_reference()
        taken.add(reference)
        notices.append(_notice(rng, rights, reference, now))
    with transaction.atomic():
        notices = Notice.objects.bulk_create(notices, batch_size=500)
        items, events = [], []
        for notice in notices:
            notice_items, notice_events = _items_and_events(notice, rng, listings, site_url, now)
            items += notice_items
            events += notice_events
        NoticeItem.objects.bulk_create(items, batch_size=2000)
        Event.objects.bulk_create(events, batch_size=2000)
    ids = [notice.pk for notice in notices]
    return min(ids), max(ids)


def close_notices(low: int, high: int) -> int:
    """Mark notices closed with raw SQL (the bench's stand-in for reviewers' decisions)."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE takedowns_notice SET status = 'closed', closed_at = now() "
                       f"WHERE id BETWEEN %s AND %s AND status IN {OPEN}", [low, high])
        closed = cursor.rowcount
    recount_open_load()
    return closed


def recount_open_load() -> None:
    """If the app keeps a per-reviewer open-notice counter (Reviewer.open_load, since 753dfb1),
    set it to the truth after the bench changed notices behind the app's back."""
    if not any(getattr(f, "name", "") == "open_load" for f in Reviewer._meta.get_fields()):
        return
    with connection.cursor() as cursor:
        cursor.execute("UPDATE takedowns_reviewer AS r SET open_load = (SELECT count(*) FROM takedowns_notice n "
                       f"WHERE n.assigned_to_id = r.id AND n.status IN {OPEN})")


def seed_history(n: int, rng: random.Random, listings: ListingPool, site_url: str) -> dict:
    """N closed notices spread over the active reviewers: the history a portal accumulates."""
    low, high = create_confirmed_notices(n, rng, listings, site_url)
    reviewers = list(Reviewer.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("UPDATE takedowns_notice SET status = 'closed', routed_at = now(), closed_at = now(), "
                       "assigned_to_id = (%s::bigint[])[1 + id %% %s] WHERE id BETWEEN %s AND %s",
                       [reviewers, len(reviewers), low, high])
        cursor.execute("ANALYZE")
    recount_open_load()
    return {"closed_notices": n, "reviewers": len(reviewers)}


def queue_length(queue: str) -> int:
    return harness.redis_client().llen(queue)


def pg_backends(db_name: str) -> list[int]:
    """The PostgreSQL backend processes serving the bench database (except this process's own)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() "
                       "AND backend_type = 'client backend'", [db_name])
        return [row[0] for row in cursor.fetchall()]


def pg_sessions(db_name: str) -> int:
    """Connections ever opened to the bench database (pg_stat_database.sessions, PostgreSQL 14+)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = %s", [db_name])
        return cursor.fetchone()[0]


def machine_info() -> dict:
    server = pg.postgres_settings("synchronous_commit", "fsync", "shared_buffers")
    return {**harness.machine_info(), "celery": celery.__version__, "gunicorn": gunicorn.__version__,
            "redis_py": redis.__version__, "postgresql": server["version"],
            "pg_synchronous_commit": server["synchronous_commit"], "pg_fsync": server["fsync"],
            "pg_shared_buffers": server["shared_buffers"],
            "redis_server": harness.redis_client().info("server")["redis_version"]}


# --- Part A: notice POST vs. ceiling. ---

WORKLOADS = ("ceiling", "notice")
# The rounds of part A by (server, workload): each a loadgen result, or the CPU usage measured around it.
Rounds = dict[tuple[str, str], list]


@dataclass
class WebServer:
    """One gunicorn of part A: "current" runs this tree's app, "baseline" the app of --baseline-tree."""

    name: str
    tree: Path
    port: int
    proc: subprocess.Popen
    clients: dict[str, list[loadgen.Worker]] = field(default_factory=dict)


def wait_http(port: int, path: str, timeout: float, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}; see its log")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            status = conn.getresponse().status
            conn.close()
            if status < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server on port {port} not ready after {timeout}s")


def summarize_rounds(results: list[loadgen.Result]) -> dict:
    latencies = [x for r in results for x in r.latencies]
    return {
        "rounds": len(results),
        "requests_ok": sum(r.ok for r in results),
        "failures": sum(r.failed for r in results),
        "failure_samples": [f for r in results for f in r.failures][:5],
        "rps_per_round": [round(r.rps, 1) for r in results],
        "rps_median": round(statistics.median(r.rps for r in results), 1),
        "p50_ms": round(1000 * nearest_rank(latencies, 50), 2),
        "p90_ms": round(1000 * nearest_rank(latencies, 90), 2),
        "p99_ms": round(1000 * nearest_rank(latencies, 99), 2),
        "client_cpu_ms_per_req": round(1000 * sum(r.client_cpu for r in results)
                                       / max(1, sum(r.ok for r in results)), 2),
    }


def part_a(run: Run) -> dict:
    """gunicorn with 4 sync workers (with --baseline-tree a second one, up at the same time, running that
    checkout's app code); warm-up, then rounds of every workload in ABBA order; each pair gives one
    notice/ceiling ratio per server; then the database cross-check over all servers' requests."""
    servers = [start_server(run, "current", ROOT, run.port)]
    if run.args.baseline_tree:
        servers.append(start_server(run, "baseline", Path(run.args.baseline_tree).resolve(), harness.free_port()))
    app_code = {server.name: check_app_code(server) for server in servers} if len(servers) > 1 else {}
    refs = run.listing_ids[:]  # as typed by submitters: bare IDs and URLs of this site
    refs += [f"{run.env['SITE_URL']}/listings/{x}/" for x in run.listing_ids[::3]]
    for server in servers:
        make_clients(run, server, refs)
    warmup_ok = warm_up(run, servers)
    results, cpu = abba_rounds(run, servers)
    for server in servers:
        run.procs.stop(server.proc)
    out = server_summary(results, cpu, "current")
    out["warmup_ok"] = warmup_ok["current"]
    if app_code:
        out["baseline"] = {**server_summary(results, cpu, "baseline"), "warmup_ok": warmup_ok["baseline"]}
        out["compare"] = {**compare_servers(results), "app_code": app_code}
    out.update(web_db_check(results, warmup_ok, run.env["CELERY_QUEUE"]))
    log(f"database cross-check: {out['db_check']}")
    return out


def start_server(run: Run, name: str, tree: Path, port: int) -> WebServer:
    """gunicorn with 4 sync workers on `port`, running the app code of `tree` (this tree's .venv either way:
    only the app code differs)."""
    env = run.env
    if tree != ROOT:
        # As the baseline routing variant's worker: gunicorn puts its working directory first on sys.path,
        # so the other checkout's portal and takedowns are imported, and this tree's bench/ on PYTHONPATH
        # gives both servers the same benchsite (settings wrapper, ceiling view). SITE_URL stays the
        # current server's, so that the listing URLs in the notices mean the same to both.
        env = dict(run.env, PORT=str(port), PYTHONPATH=os.pathsep.join([str(BENCH), str(tree)]))
    argv = [str(VENV_BIN / "gunicorn"), "portal.wsgi:application", "--workers", "4", "--worker-class", "sync",
            "--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    title, logfile = ("gunicorn", "gunicorn.log") if name == "current" else (f"gunicorn ({name})",
                                                                            f"gunicorn-{name}.log")
    proc = run.procs.start(title, argv, env, OUT / logfile, cwd=tree)
    wait_http(port, "/", 60, proc)
    log(f"{title} ready on 127.0.0.1:{port}, workers {children_of(proc.pid)}")
    return WebServer(name, tree, port, proc)


def check_app_code(server: WebServer, asks: int = 8) -> dict:
    """Where the server's workers imported the app from (GET /bench/app-code/, asked a few times since each
    request reaches one of its workers): refuse to measure unless portal, takedowns and the notice form's
    view all come from the server's tree, so a baseline that silently ran this tree's code cannot pass."""
    answers = []
    for _ in range(asks):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request("GET", "/bench/app-code/")
        response = conn.getresponse()
        body = response.read()
        conn.close()
        if response.status != 200:
            raise RuntimeError(f"{server.name} server: GET /bench/app-code/ returned {response.status}")
        answers.append(json.loads(body))
    files = {key: sorted({answer[key] for answer in answers}) for key in ("portal", "takedowns", "notice_view")}
    packages = [Path(f).resolve().parent.parent for key in ("portal", "takedowns") for f in files[key]]
    views_ok = all(Path(f).resolve().is_relative_to(server.tree / "takedowns") for f in files["notice_view"])
    if not views_ok or any(package != server.tree for package in packages):
        raise RuntimeError(f"the {server.name} server does not run the app code of {server.tree}: {files}")
    head = subprocess.run(["git", "-C", str(server.tree), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True, check=False).stdout.strip()
    log(f"{server.name} server runs the app code of {server.tree} (git {head}): {files}")
    return {"tree": str(server.tree), "git_head": head, "worker_pids": sorted({a["pid"] for a in answers}), **files}


def make_clients(run: Run, server: WebServer, refs: list[str]) -> None:
    """--connections clients per workload, each with its CSRF cookie and token; the same seeds on every
    server, so that each gets the same sequence of reported listings."""
    for kind, base_seed in (("ceiling", 1000), ("notice", 2000)):
        server.clients[kind] = [loadgen.Worker(kind, "127.0.0.1", server.port, refs, base_seed + i)
                                for i in range(run.args.connections)]
        for worker in server.clients[kind]:
            worker.prepare()


def warm_up(run: Run, servers: list[WebServer]) -> dict[str, dict[str, int]]:
    """--warmup-seconds of every workload on every server; the successes by server and workload."""
    log(f"warm-up: {run.args.warmup_seconds}s of each workload")
    warmup_ok: dict[str, dict[str, int]] = {}
    for server in servers:
        for kind in WORKLOADS:
            warm = loadgen.run_round(server.clients[kind], run.args.warmup_seconds, run.args.max_requests)
            if warm.failed:
                raise RuntimeError(f"warm-up {round_label(server, kind)}: {warm.failed} failures, e.g. {warm.failures}")
            warmup_ok.setdefault(server.name, {})[kind] = warm.ok
    return warmup_ok


def round_label(server: WebServer, kind: str) -> str:
    return kind if server.name == "current" else f"{kind} ({server.name})"


def abba_rounds(run: Run, servers: list[WebServer]) -> tuple[Rounds, Rounds]:
    """C N | N C | C N | ..., with a baseline server C N Cb Nb | Nb Cb N C | ...: drift and noise hit every
    workload alike, only one server is loaded at a time, and each pair yields one ratio per server.
    Returns the loadgen results and the CPU usage of every round, by (server, workload)."""
    order = [(server, kind) for server in servers for kind in WORKLOADS]
    meters = {server.name: web_meter(run, server, servers) for server in servers}
    results: Rounds = {(server.name, kind): [] for server, kind in order}
    cpu: Rounds = {(server.name, kind): [] for server, kind in order}
    width = max(8, *(len(round_label(server, kind)) for server, kind in order))
    for pair in range(run.args.rounds):
        for server, kind in order if pair % 2 == 0 else order[::-1]:
            name = f"gunicorn-{kind}" if server.name == "current" else f"gunicorn-{server.name}-{kind}"
            spy = start_pyspy(run.procs, server.proc.pid, name) if run.args.py_spy and pair == 0 else None
            meters[server.name].start()
            result = loadgen.run_round(server.clients[kind], run.args.round_seconds, run.args.max_requests)
            usage = meters[server.name].stop()
            if spy:
                stop_pyspy(run.procs, *spy)
            results[(server.name, kind)].append(result)
            cpu[(server.name, kind)].append(usage)
            log(f"pair {pair + 1}/{run.args.rounds} {round_label(server, kind):{width}s}: {result.rps:7.1f} req/s  "
                f"ok={result.ok} failed={result.failed}  p50={1000 * nearest_rank(result.latencies, 50):.1f}ms "
                f"p99={1000 * nearest_rank(result.latencies, 99):.1f}ms  "
                f"machine busy {usage['machine_busy_pct']:.0f}% steal {usage['machine_steal_pct']:.0f}%")
    return results, cpu


def web_meter(run: Run, server: WebServer, servers: list[WebServer]) -> CpuMeter:
    """The CPU meter of the rounds that load `server`."""
    groups = {"gunicorn_workers": lambda: children_of(server.proc.pid),
              "postgres_bench_backends": lambda: pg_backends(run.db)}
    idle = [other for other in servers if other is not server]
    if idle:  # named, so that what the idle server's workers do (next to nothing) is not hidden in other_processes
        groups["gunicorn_idle_server"] = lambda: [pid for other in idle for pid in children_of(other.proc.pid)]
    return CpuMeter(groups)


def pair_ratios(results: Rounds, name: str) -> list[float]:
    """notice/ceiling req/s of one server, per pair of rounds."""
    return [notice.rps / ceiling.rps
            for ceiling, notice in zip(results[(name, "ceiling")], results[(name, "notice")], strict=True)]


def server_summary(results: Rounds, cpu: Rounds, name: str) -> dict:
    """One server's workloads, CPU per request, and its notice/ceiling ratio per pair and their median."""
    out: dict = {kind: summarize_rounds(results[(name, kind)]) for kind in WORKLOADS}
    for kind in WORKLOADS:
        out[kind]["cpu"] = cpu_breakdown(cpu[(name, kind)], sum(r.ok for r in results[(name, kind)]))
    ratios = pair_ratios(results, name)
    out["ratio_per_pair"] = [round(r, 3) for r in ratios]
    out["ratio_median"] = round(statistics.median(ratios), 3)
    out["target_ratio"] = 0.5
    out["target_met"] = out["ratio_median"] >= 0.5
    return out


def compare_servers(results: Rounds) -> dict:
    """current/baseline of the notice/ceiling ratio and of each workload's req/s: per pair (the rounds of a
    pair are neighbours, so drift cancels best there), the median of those, and the quotient of the two
    servers' medians. Both serve the same ceiling view, so its quotient shows what the two apps' settings
    and middleware (and the noise) do to the cheapest request."""
    series = {"ratio": {name: pair_ratios(results, name) for name in ("current", "baseline")}}
    for kind in ("notice", "ceiling"):
        series[f"{kind}_rps"] = {name: [r.rps for r in results[(name, kind)]] for name in ("current", "baseline")}
    out = {}
    for key, values in series.items():
        current, baseline = values["current"], values["baseline"]
        per_pair = [c / b for c, b in zip(current, baseline, strict=True)]
        out[f"{key}_current_over_baseline_per_pair"] = [round(q, 3) for q in per_pair]
        out[f"{key}_current_over_baseline_median_of_pairs"] = round(statistics.median(per_pair), 3)
        out[f"{key}_current_over_baseline_median"] = round(statistics.median(current) / statistics.median(baseline), 3)
    return out


def web_db_check(results: Rounds, warmup_ok: dict[str, dict[str, int]], web_queue: str) -> dict:
    """Over all servers' requests: every 302 is a filed notice, every ceiling 200 a row; rows = warm-up +
    measured successes (a failed request must leave no row); one send task per notice in the web queue
    (every server publishes to it)."""
    ok = {kind: sum(w[kind] for w in warmup_ok.values())
          + sum(r.ok for (_name, k), rounds in results.items() if k == kind for r in rounds) for kind in WORKLOADS}
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_ping")
        rows = cursor.fetchone()[0]
    notices = Notice.objects.filter(status="unconfirmed").count()
    messages = queue_length(web_queue)
    return {"db_bench_ping_rows": rows, "db_unconfirmed_notices": notices, "web_queue_messages": messages,
            "db_check": {"bench_ping_rows_match": rows == ok["ceiling"],
                         "notices_match": notices == ok["notice"],
                         "one_send_task_per_notice": messages == notices}}


# --- Part B: routing throughput. ---

def part_b_rep(run: Run, variant: str, concurrency: int, rep: int) -> dict:
    """One repetition: N confirmed notices and their route_notice messages, then one worker started;
    throughput: routing_rate; then its e-mails drained, the notices closed."""
    queue = f"{run.prefix}{variant}-c{concurrency}-r{rep}"
    low, high, n = publish_routing(run, queue, concurrency, rep)
    in_range = Notice.objects.filter(pk__gte=low, pk__lte=high)
    assert run.sink is not None
    sent_before = run.sink.received
    started = time.perf_counter()
    sessions_before = pg_sessions(run.db)
    worker = start_worker(run, variant, queue, concurrency, rep)
    spy = None
    if run.args.py_spy and rep == 1:
        time.sleep(1.0)  # let the worker exec before attaching
        spy = start_pyspy(run.procs, worker.pid, f"celery-{variant}-c{concurrency}")
    routed, stalled, wall_s, usage = wait_routed(run, worker, in_range, n, started, f"rep {rep} {variant}")
    if spy:
        stop_pyspy(run.procs, *spy)
    sessions = pg_sessions(run.db) - sessions_before
    seconds, rate = routing_rate(in_range, routed, wall_s)
    log(f"rep {rep} {variant} c={concurrency}: {routed}/{n} routed; "
        f"first->last routed_at {seconds:.2f}s = {rate:.1f}/s "
        f"(wall from worker start {wall_s:.1f}s, celery CPU {usage['cpu_s']['celery_worker']:.1f}s, "
        f"machine busy {usage['machine_busy_pct']:.0f}%, {sessions} new PostgreSQL connections)")
    emails = drain_emails(run, worker, queue, low, high, stalled, sent_before)
    log(f"rep {rep} c={concurrency}: e-mails {emails}")
    run.procs.stop(worker)
    task_errors, first_error = worker_errors(queue)
    if task_errors:
        log(f"rep {rep} {variant}: {task_errors} task errors in the worker log, first: {first_error}")
    left = queue_length(queue)
    harness.delete_keys(queue)
    # Reviewers "finish" this rep's notices, so every rep starts with no open backlog (the closed
    # history still grows by N per rep, as it would in production).
    closed = close_notices(low, high)
    return {"variant": variant, "rep": rep, "concurrency": concurrency, "notices": n,
            "new_pg_connections_while_routing": sessions, "task_errors": task_errors,
            "first_task_error": first_error, "stalled": stalled, "routed": routed,
            "first_to_last_s": round(seconds, 3), "notices_per_s": round(rate, 1),
            "wall_from_worker_start_s": round(wall_s, 2), "cpu": cpu_breakdown([usage], routed),
            "emails": emails, "messages_left_in_queue": left, "closed_after_rep": closed}


def routing_rate(in_range: QuerySet, routed: int, wall_s: float) -> tuple[float, float]:
    """(first -> last routed_at in seconds, notices per second). Routing in batches (issue 15) gives a batch's
    notices one routed_at, so the rate counts the notices routed after the first batch over the time from the first
    batch to the last. When everything went in one round of batches (a smoke run: under a second from first to last)
    there is no span to measure: the rate is then routed over the wall time from the worker's start (its boot
    included, so a lower bound)."""
    span = in_range.filter(routed_at__isnull=False).aggregate(first=Min("routed_at"), last=Max("routed_at"))
    if routed < 1:
        return float("nan"), float("nan")
    seconds = (span["last"] - span["first"]).total_seconds()
    if seconds >= 1:
        return seconds, in_range.filter(routed_at__gt=span["first"]).count() / seconds
    return seconds, routed / wall_s if wall_s > 0 else float("nan")


def publish_routing(run: Run, queue: str, concurrency: int, rep: int) -> tuple[int, int, int]:
    """The rep's confirmed notices, and a route_notice message for each in `queue` (no worker yet)."""
    t0 = time.perf_counter()
    low, high = create_confirmed_notices(run.args.notices, run.rng, run.listings, run.env["SITE_URL"])
    in_range = Notice.objects.filter(pk__gte=low, pk__lte=high)
    n = in_range.count()
    created_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    with app.producer_or_acquire() as producer:
        for notice_id in in_range.order_by("pk").values_list("pk", flat=True):
            route_notice.apply_async(kwargs={"notice_id": notice_id}, queue=queue, producer=producer)
    published_s = time.perf_counter() - t0
    log(f"rep {rep} c={concurrency}: {n} confirmed notices created in {created_s:.1f}s, "
        f"{queue_length(queue)} tasks published in {published_s:.1f}s to {queue}")
    return low, high, n


def start_worker(run: Run, variant: str, queue: str, concurrency: int, rep: int) -> subprocess.Popen:
    app_module, extra_env = VARIANTS[variant]
    worker_env = dict(run.env, CELERY_QUEUE=queue, **extra_env)
    tree = ROOT
    if variant == "baseline":
        # Celery puts the working directory first on sys.path when it loads the app, so the
        # other checkout must be the working directory as well as on PYTHONPATH.
        tree = Path(run.args.baseline_tree).resolve()
        worker_env["PYTHONPATH"] = os.pathsep.join([str(BENCH), str(tree)])
    argv = [str(VENV_BIN / "celery"), "-A", app_module, "worker", "-Q", queue, f"--concurrency={concurrency}",
            "-n", f"{queue}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--loglevel=INFO"]
    return run.procs.start(f"celery worker ({variant}) c={concurrency} rep {rep}", argv, worker_env,
                           OUT / f"{queue}.log", cwd=tree)


def wait_routed(run: Run, worker: subprocess.Popen, in_range: QuerySet, n: int, started: float,
                what: str) -> tuple[int, bool, float, dict]:
    """Poll the database until all N are in review, the worker exits, nothing moved for
    --stall-seconds or --routing-timeout passed. Returns (routed, stalled, wall seconds, CPU usage)."""
    meter = CpuMeter({"celery_worker": lambda: [worker.pid, *children_of(worker.pid)],
                      "postgres_bench_backends": lambda: pg_backends(run.db)})
    meter.start()
    deadline = started + run.args.routing_timeout
    routed, last_progress, stalled = 0, started, False
    while time.perf_counter() < deadline:
        # Routed: to a reviewer (in review), or closed at routing with no listing to decide (issue 12).
        now_routed = in_range.filter(routed_at__isnull=False).count()
        if now_routed > routed:
            routed, last_progress = now_routed, time.perf_counter()
        if routed >= n or worker.poll() is not None:
            break
        meter.sample()
        if time.perf_counter() - last_progress > run.args.stall_seconds:
            stalled = True
            log(f"{what}: no progress for {run.args.stall_seconds}s; giving up on this rep")
            break
        time.sleep(0.2)
    wall_s = time.perf_counter() - started
    return routed, stalled, wall_s, meter.stop()


def drain_emails(run: Run, worker: subprocess.Popen, queue: str, low: int, high: int, stalled: bool,
                 sent_before: int) -> dict:
    """The submitters' routing e-mails queued behind the routing tasks (with a reviewer, or closed with no
    listing to decide): let the worker deliver them (not timed)."""
    mails = OutboundEmail.objects.filter(notice_id__gte=low, notice_id__lte=high,
                                         kind__in=["notice_routed", "nothing_to_decide"])
    t0 = time.perf_counter()
    while time.perf_counter() < t0 + run.args.email_timeout and worker.poll() is None and not stalled:
        if not mails.exclude(status__in=["sent", "failed"]).exists() and queue_length(queue) == 0:
            break
        time.sleep(0.2)
    email_s = time.perf_counter() - t0
    assert run.sink is not None
    return {"queued_rows": mails.count(), "sent": mails.filter(status="sent").count(),
            "failed": mails.filter(status="failed").count(), "smtp_received": run.sink.received - sent_before,
            "drain_seconds_after_routing": round(email_s, 1)}


def worker_errors(queue: str) -> tuple[int, str]:
    """The tasks that raised, from the worker's log: how many, and the first."""
    worker_log = (OUT / f"{queue}.log").read_text(errors="replace")
    first = next((line.strip()[:400] for line in worker_log.splitlines() if " raised unexpected: " in line), "")
    return worker_log.count(" raised unexpected: "), first
