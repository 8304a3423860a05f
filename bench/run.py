"""Takedown Portal bench: one command, `bench/run` (= .venv/bin/python bench/run.py).

Design, in short:
- Resets a PostgreSQL database (default `bench`), migrates it, creates the ceiling table
  bench_ping with raw SQL, seeds sellers, listings, verified rights and reviewers with skills.
- Part A (web): gunicorn, 4 sync workers, production settings (DEBUG=false, SECRET_KEY,
  ALLOWED_HOSTS, SITE_URL, PostgreSQL, Redis broker, SMTP e-mail, SECURE_SSL_REDIRECT=false)
  through bench/benchsite/settings.py = portal.settings + the URL /bench/insert/ (one INSERT:
  the ceiling). A threaded load generator (bench/loadgen.py, 8 connections) runs rounds of
  "ceiling" and "notice POST" in ABBA order (C N N C C N ...), so drift and noise hit both;
  each notice POST carries the CSRF cookie/token (one GET per connection) and a fresh
  submission_key and must answer 302 to /notices/filed/<that key>/. No Celery worker runs:
  the confirmation e-mail's send task is only published to a unique Redis queue.
- Part B (routing): per repetition, N confirmed notices with 3 items each are bulk-inserted
  (no tasks published by that), N route_notice tasks are published to a fresh Redis queue,
  one `celery -A portal worker -Q <queue> --concurrency=C` is started and the database is
  polled until all N are in_review. Throughput = (N-1) / (last routed_at - first routed_at).
  The notice_routed e-mails go to the same queue (behind the routing tasks, FIFO) and are
  delivered to an in-process aiosmtpd sink; the bench waits for them before the next rep, then
  closes the rep's notices (raw SQL) so every rep starts without open backlog. `--history N`
  adds N closed notices first; `--routing-variants` measures proposed changes patched into the
  worker only (see VARIANTS).
- CPU attribution: /proc is read around every round/rep (gunicorn workers, celery worker, the
  bench's PostgreSQL backends, Redis, this process = load generator, everything else), because
  the machine is shared and the client runs on the same 2 cores as the server.
- A run that sees failed requests, failed tasks or a database mismatch exits with status 1;
  a change of git HEAD during the run is reported (other engineers commit while it runs).
- Everything started is stopped in `finally` (gunicorn, workers, SMTP sink) and the bench's
  Redis keys (only its own, uniquely named queues) are deleted. Results: stdout and
  bench/out/results-<time>.json.
"""

import argparse
import csv
import json
import logging
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
VENV_BIN = ROOT / ".venv" / "bin"
sys.path[:0] = [str(BENCH), str(ROOT)]

import loadgen  # noqa: E402

PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_BASE = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
HZ = os.sysconf("SC_CLK_TCK")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- /proc accounting: where the CPU goes during a round. ---

def snapshot() -> dict[int, tuple[str, int, float]]:
    """pid -> (command name, parent pid, CPU seconds so far) for every process on the machine."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                raw = handle.read()
        except OSError:
            continue
        head, _, tail = raw.rpartition(")")
        fields = tail.split()
        try:
            found[int(entry)] = (head.partition("(")[2], int(fields[1]), (int(fields[11]) + int(fields[12])) / HZ)
        except (IndexError, ValueError):
            pass
    return found


def children_of(pid: int) -> list[int]:
    return [child for child, (_comm, ppid, _cpu) in snapshot().items() if ppid == pid]


def system_cpu() -> tuple[float, float, float]:
    """(busy, idle, steal) seconds of the whole machine (all CPUs)."""
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (values + [0] * 8)[:8]
    return (user + nice + system + irq + softirq) / HZ, (idle + iowait) / HZ, steal / HZ


class CpuMeter:
    """Where the machine's CPU went between start() and stop(), by group of processes.

    `groups` maps a name to a callable returning pids (evaluated at stop); other processes are
    grouped by name: postgres (not the bench's backends: WAL writer etc., and other databases),
    redis-server, this bench process (load generator / SMTP sink), and everything else on the
    shared machine. `unattributed` is machine busy time not seen in any live process (processes
    that exited meanwhile, kernel work)."""

    def __init__(self, groups):
        self.groups = groups

    def start(self):
        self.t0 = time.perf_counter()
        self.sys0 = system_cpu()
        self.snap0 = snapshot()
        self.owner: dict[int, str] = {}
        self.last: dict[int, tuple[str, int, float]] = {}
        self.sample()

    def sample(self) -> None:
        """Remember the group members' CPU now, so a member that exits before stop() (e.g. a
        PostgreSQL backend whose connection was recycled) is still counted up to here."""
        for name, pids in self.groups.items():
            for pid in pids():
                self.owner[pid] = name
                try:
                    with open(f"/proc/{pid}/stat") as handle:
                        raw = handle.read()
                except OSError:
                    continue
                head, _, tail = raw.rpartition(")")
                fields = tail.split()
                self.last[pid] = (head.partition("(")[2], int(fields[1]),
                                  (int(fields[11]) + int(fields[12])) / HZ)

    def stop(self) -> dict:
        self.sample()
        wall = time.perf_counter() - self.t0
        sys1 = system_cpu()
        snap1 = snapshot()
        owner = self.owner
        for pid, values in self.last.items():
            snap1.setdefault(pid, values)  # exited meanwhile: its last sampled CPU
        me = os.getpid()
        usage: dict[str, float] = {}
        for pid, (comm, _ppid, cpu) in snap1.items():
            before = self.snap0.get(pid)
            delta = cpu - (before[2] if before and before[0] == comm else 0.0)
            if pid in owner:
                group = owner[pid]
            elif pid == me:
                group = "bench_process"
            elif comm.startswith("postgres"):
                group = "postgres_other"
            elif comm.startswith("redis-server"):
                group = "redis"
            else:
                group = "other_processes"
            usage[group] = usage.get(group, 0.0) + delta
        busy, idle, steal = (b - a for a, b in zip(self.sys0, sys1))
        usage["unattributed"] = busy - sum(usage.values())
        total = busy + idle + steal
        return {"cpu_s": usage, "wall": wall, "machine_busy_pct": 100 * busy / total if total else 0.0,
                "machine_steal_pct": 100 * steal / total if total else 0.0}


# --- Processes the bench starts. ---

class Procs:
    def __init__(self):
        self.running: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, argv: list[str], env: dict, logfile: Path, cwd: Path = ROOT) -> subprocess.Popen:
        handle = open(logfile, "ab")
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=handle, stderr=subprocess.STDOUT,
                                start_new_session=True)
        handle.close()
        self.running.append((name, proc))
        log(f"started {name} (pid {proc.pid}), log {logfile.relative_to(ROOT)}")
        return proc

    def stop(self, proc: subprocess.Popen, grace: float = 30.0) -> None:
        """SIGTERM to the process itself (gunicorn and celery shut down gracefully, finishing
        the request/task in hand), then SIGKILL to its own process group if it lingers."""
        name = next((n for n, p in self.running if p is proc), "?")
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                log(f"{name} did not stop in {grace}s; killing its process group")
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # leftovers of the group this bench created
        except ProcessLookupError:
            pass
        proc.wait(10)
        self.running = [(n, p) for n, p in self.running if p is not proc]
        log(f"stopped {name} (pid {proc.pid})")

    def stop_all(self) -> None:
        for _name, proc in reversed(list(self.running)):
            try:
                self.stop(proc, grace=20)
            except Exception as exc:  # keep stopping the others
                log(f"could not stop pid {proc.pid}: {exc!r}")


# --- Optional sampling profiles (bench/run --py-spy): perturbs the numbers of the profiled phases. ---

def start_pyspy(procs: Procs, pid: int, name: str):
    out = OUT / f"pyspy-{name}.txt"
    argv = [str(VENV_BIN / "py-spy"), "record", "--pid", str(pid), "--subprocesses", "--rate", "200",
            "--format", "raw", "--output", str(out), "--nonblocking", "--duration", "300"]
    return procs.start(f"py-spy {name}", argv, dict(os.environ), OUT / f"pyspy-{name}.log"), out


def stop_pyspy(procs: Procs, proc: subprocess.Popen, out: Path) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)  # py-spy writes its output on Ctrl-C
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            pass
    procs.stop(proc)
    if out.exists():
        summarize_pyspy(out)


def summarize_pyspy(path: Path, top: int = 35) -> None:
    """Collapsed stacks -> the functions with the most samples, on-CPU only (inclusive and self)."""
    inclusive, own, total = {}, {}, 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        count = int(count)
        total += count
        frames = [f.rsplit(":", 1)[0] + ")" if f.endswith(")") and ":" in f else f
                  for f in stack.split(";") if not f.startswith(("process ", "thread "))]
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + count
        if frames:
            own[frames[-1]] = own.get(frames[-1], 0) + count
    lines = [f"{path.name}: {total} samples (on-CPU, all processes of the tree)", "", "inclusive:"]
    lines += [f"  {100 * c / total:5.1f}%  {f}" for f, c in sorted(inclusive.items(), key=lambda x: -x[1])[:top]]
    lines += ["", "self:"]
    lines += [f"  {100 * c / total:5.1f}%  {f}" for f, c in sorted(own.items(), key=lambda x: -x[1])[:top]]
    (path.parent / (path.stem + "-top.txt")).write_text("\n".join(lines) + "\n")
    log(f"py-spy summary: {path.parent.name}/{path.stem}-top.txt")


# --- Database. ---

def reset_database(db_name: str) -> None:
    import psycopg
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db_name}"')


def setup_django(db_name: str) -> None:
    import django
    from django.core.management import call_command
    from django.db import connection
    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_ping (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL, "
                       "payload text NOT NULL)")
    # DEBUG=false uses whitenoise's manifest storage: the form page needs the manifest.
    call_command("collectstatic", verbosity=0, interactive=False)


def seed(rng: random.Random, n_sellers: int, n_listings: int) -> dict:
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.db import transaction

    from takedowns import seeding
    from takedowns.models import Listing, Reviewer, ReviewerSkill, Seller

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
        # Reviewers: skills across the right types, several languages, one inactive.
        staff = [
            ("tm1", ["trademark"], "en,de", True), ("tm2", ["trademark", "design"], "en,fr", True),
            ("cr1", ["copyright"], "en,fr", True), ("cr2", ["copyright", "trademark"], "en,es", True),
            ("ds1", ["design"], "en,it", True), ("pt1", ["patent"], "en,de", True),
            ("all", ["trademark", "copyright", "design", "patent"], "en", True),
            ("away", ["trademark"], "en", False),
        ]
        user_model = get_user_model()
        for username, skills, languages, active in staff:
            user = user_model(username=username, email=f"{username}@portal.example", is_staff=True)
            user.set_unusable_password()
            user.save()
            reviewer = Reviewer.objects.create(user=user, languages=languages, is_active=active)
            ReviewerSkill.objects.bulk_create(ReviewerSkill(reviewer=reviewer, right_type=s) for s in skills)
    return {"sellers": n_sellers, "listings": n_listings, "rights": rights, "reviewers": len(staff)}


def rights_rows() -> list[dict]:
    with (ROOT / "seeds" / "rights.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def create_confirmed_notices(n: int, rng: random.Random, listing_ids: list[str], site_url: str) -> tuple[int, int]:
    """N confirmed notices with 3 items each, inserted in bulk (status 'confirmed', with their
    filed/confirmed events; no e-mail rows, no tasks). Returns (min id, max id)."""
    import secrets

    from django.db import transaction
    from django.utils import timezone

    from takedowns.enums import REASONS_FOR_RIGHT, ActorKind, EventKind, NoticeStatus
    from takedowns.models import Event, Notice, NoticeItem
    from takedowns.workflow import new_reference

    rights = rights_rows()
    taken = set(Notice.objects.values_list("reference", flat=True))
    now = timezone.now()
    notices = []
    for _ in range(n):
        reference = new_reference()
        while reference in taken:
            reference = new_reference()
        taken.add(reference)
        if rng.random() < 0.3:
            right = rng.choice(rights)
            right_type, number, office = right["right_type"], right["registration_number"], right["office"]
        else:
            right_type = rng.choices(["trademark", "copyright", "design", "patent"], [6, 3, 1, 0.5])[0]
            number, office = f"{rng.randrange(10**8):09d}", rng.choice(["EUIPO", "USPTO", "DPMA", "WIPO"])
        notices.append(Notice(
            reference=reference, status=NoticeStatus.CONFIRMED, submission_key=uuid.uuid4(),
            tracking_token=secrets.token_urlsafe(32), confirmation_token=secrets.token_urlsafe(32),
            submitter_name="Bench Submitter", submitter_organisation="Bench Rights Ltd",
            submitter_email="rights@bench.example", submitter_country="DE", submitter_role="owner",
            language=rng.choice(["en", "en", "de", "fr", "es", "it"]), right_type=right_type,
            right_registration_number=number, right_office=office, right_owner="Bench Rights Ltd",
            description="Counterfeits of our goods, confirmed by a test buy.", good_faith_statement=True,
            accuracy_statement=True, signature="Bench Submitter", created_at=now - timedelta(minutes=5),
            expires_at=now + timedelta(days=7), confirmed_at=now))
    with transaction.atomic():
        notices = Notice.objects.bulk_create(notices, batch_size=500)
        items, events = [], []
        for notice in notices:
            reasons = sorted(REASONS_FOR_RIGHT[notice.right_type])
            for position, listing in enumerate(rng.sample(listing_ids, 3), start=1):
                roll = rng.random()
                if roll < 0.1:
                    reported = f"L-{rng.randrange(900000, 999999)}"  # not in the catalogue
                elif roll < 0.35:
                    reported = f"{site_url}/listings/{listing}/"
                else:
                    reported = listing
                items.append(NoticeItem(notice=notice, position=position, reported=reported,
                                        reason=rng.choice(reasons)))
            events.append(Event(notice=notice, kind=EventKind.FILED, actor_kind=ActorKind.SUBMITTER,
                                to_status=NoticeStatus.UNCONFIRMED, details={"items": 3, "evidence_files": 0},
                                created_at=notice.created_at))
            events.append(Event(notice=notice, kind=EventKind.CONFIRMED, actor_kind=ActorKind.SUBMITTER,
                                from_status=NoticeStatus.UNCONFIRMED, to_status=NoticeStatus.CONFIRMED,
                                created_at=now))
        NoticeItem.objects.bulk_create(items, batch_size=2000)
        Event.objects.bulk_create(events, batch_size=2000)
    ids = [notice.pk for notice in notices]
    return min(ids), max(ids)


def close_notices(low: int, high: int) -> int:
    """Mark notices closed with raw SQL (the bench's stand-in for reviewers' decisions)."""
    from django.db import connection
    with connection.cursor() as cursor:
        cursor.execute("UPDATE takedowns_notice SET status = 'closed', closed_at = now() "
                       "WHERE id BETWEEN %s AND %s AND status IN ('confirmed', 'in_review')", [low, high])
        closed = cursor.rowcount
    recount_open_load()
    return closed


def recount_open_load() -> None:
    """If the app keeps a per-reviewer open-notice counter (Reviewer.open_load, since 753dfb1),
    set it to the truth after the bench changed notices behind the app's back."""
    from django.db import connection

    from takedowns.models import Reviewer
    if not any(getattr(f, "name", "") == "open_load" for f in Reviewer._meta.get_fields()):
        return
    with connection.cursor() as cursor:
        cursor.execute("UPDATE takedowns_reviewer AS r SET open_load = (SELECT count(*) FROM takedowns_notice n "
                       "WHERE n.assigned_to_id = r.id AND n.status IN ('confirmed', 'in_review'))")


def seed_history(n: int, rng: random.Random, listing_ids: list[str], site_url: str) -> dict:
    """N closed notices spread over the active reviewers: the history a portal accumulates."""
    from django.db import connection

    from takedowns.models import Reviewer
    low, high = create_confirmed_notices(n, rng, listing_ids, site_url)
    reviewers = list(Reviewer.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("UPDATE takedowns_notice SET status = 'closed', routed_at = now(), closed_at = now(), "
                       "assigned_to_id = (%s::bigint[])[1 + id %% %s] WHERE id BETWEEN %s AND %s",
                       [reviewers, len(reviewers), low, high])
        cursor.execute("ANALYZE")
    recount_open_load()
    return {"closed_notices": n, "reviewers": len(reviewers)}


# --- Redis. ---

def redis_client():
    import redis
    return redis.Redis.from_url(REDIS_BASE)


def queue_length(queue: str) -> int:
    return redis_client().llen(queue)


def delete_bench_keys(prefix: str) -> int:
    """Delete this run's queues (all named <prefix>...), their bindings, and any of their
    messages left in kombu's shared 'unacked' hash (only after a crash)."""
    client = redis_client()
    keys = []
    for pattern in (f"{prefix}*", f"_kombu.binding.{prefix}*", f"_kombu.binding_permanent.{prefix}*"):
        keys += list(client.scan_iter(match=pattern, count=1000))
    removed = client.delete(*keys) if keys else 0
    for tag, raw in client.hscan_iter("unacked", count=1000):
        try:
            routing_key = json.loads(raw)[2]
        except (ValueError, IndexError, TypeError):
            continue
        if isinstance(routing_key, str) and routing_key.startswith(prefix):
            client.hdel("unacked", tag)
            client.zrem("unacked_index", tag)
            removed += 1
    return removed


# --- SMTP sink. ---

class SmtpSink:
    def __init__(self, port: int):
        from aiosmtpd.controller import Controller

        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                sink.received += 1
                return "250 OK"

        self.received = 0
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=port)

    def start(self):
        self.controller.start()

    def stop(self):
        self.controller.stop()


# --- Part A: notice POST vs. ceiling. ---

def pg_backends(db_name: str) -> list[int]:
    """The PostgreSQL backend processes serving the bench database (except this process's own)."""
    from django.db import connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() "
                       "AND backend_type = 'client backend'", [db_name])
        return [row[0] for row in cursor.fetchall()]


def cpu_breakdown(usages: list[dict], units: int) -> dict:
    """Summed over rounds: CPU ms per unit (request, notice) and cores used, by process group."""
    groups = sorted({g for u in usages for g in u["cpu_s"]})
    wall = sum(u["wall"] for u in usages)
    return {
        "ms_per_unit": {g: round(1000 * sum(u["cpu_s"].get(g, 0.0) for u in usages) / max(1, units), 2)
                        for g in groups},
        "cores_used": {g: round(sum(u["cpu_s"].get(g, 0.0) for u in usages) / wall, 2) for g in groups},
        "machine_busy_pct": round(statistics.mean(u["machine_busy_pct"] for u in usages), 1),
        "machine_steal_pct": round(statistics.mean(u["machine_steal_pct"] for u in usages), 1),
    }


def wait_http(port: int, path: str, timeout: float, proc: subprocess.Popen) -> None:
    import http.client
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
        "p50_ms": round(1000 * loadgen.percentile(latencies, 50), 2),
        "p90_ms": round(1000 * loadgen.percentile(latencies, 90), 2),
        "p99_ms": round(1000 * loadgen.percentile(latencies, 99), 2),
        "client_cpu_ms_per_req": round(1000 * sum(r.client_cpu for r in results)
                                       / max(1, sum(r.ok for r in results)), 2),
    }


def part_a(args, procs: Procs, env: dict, port: int, db_name: str, listing_ids: list[str]) -> dict:
    from django.db import connection

    argv = [str(VENV_BIN / "gunicorn"), "portal.wsgi:application", "--workers", "4", "--worker-class", "sync",
            "--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    server = procs.start("gunicorn", argv, env, OUT / "gunicorn.log")
    wait_http(port, "/", 60, server)
    workers_pids = children_of(server.pid)
    log(f"gunicorn ready on 127.0.0.1:{port}, workers {workers_pids}")

    meter = CpuMeter({"gunicorn_workers": lambda: children_of(server.pid),
                      "postgres_bench_backends": lambda: pg_backends(db_name)})
    refs = listing_ids[:]  # as typed by submitters: bare IDs and URLs of this site
    refs += [f"{env['SITE_URL']}/listings/{x}/" for x in listing_ids[::3]]

    def make(kind: str, base_seed: int) -> list[loadgen.Worker]:
        workers = [loadgen.Worker(kind, "127.0.0.1", port, refs, base_seed + i) for i in range(args.connections)]
        for worker in workers:
            worker.prepare()
        return workers

    clients = {"ceiling": make("ceiling", 1000), "notice": make("notice", 2000)}
    log(f"warm-up: {args.warmup_seconds}s of each workload")
    warmup_ok = {}
    for kind in ("ceiling", "notice"):
        warm = loadgen.run_round(clients[kind], args.warmup_seconds, args.max_requests)
        if warm.failed:
            raise RuntimeError(f"warm-up {kind}: {warm.failed} failures, e.g. {warm.failures}")
        warmup_ok[kind] = warm.ok

    # ABBA order: C N | N C | C N | ... ; each pair yields one notice/ceiling ratio.
    results: dict[str, list[loadgen.Result]] = {"ceiling": [], "notice": []}
    cpu: dict[str, list[dict]] = {"ceiling": [], "notice": []}
    ratios = []
    for pair in range(args.rounds):
        order = ("ceiling", "notice") if pair % 2 == 0 else ("notice", "ceiling")
        for kind in order:
            spy = start_pyspy(procs, server.pid, f"gunicorn-{kind}") if args.py_spy and pair == 0 else None
            meter.start()
            result = loadgen.run_round(clients[kind], args.round_seconds, args.max_requests)
            usage = meter.stop()
            if spy:
                stop_pyspy(procs, *spy)
            results[kind].append(result)
            cpu[kind].append(usage)
            log(f"pair {pair + 1}/{args.rounds} {kind:8s}: {result.rps:7.1f} req/s  ok={result.ok} "
                f"failed={result.failed}  p50={1000 * loadgen.percentile(result.latencies, 50):.1f}ms "
                f"p99={1000 * loadgen.percentile(result.latencies, 99):.1f}ms  "
                f"machine busy {usage['machine_busy_pct']:.0f}% steal {usage['machine_steal_pct']:.0f}%")
        ratios.append(results["notice"][-1].rps / results["ceiling"][-1].rps)

    out = {kind: summarize_rounds(results[kind]) for kind in results}
    for kind in results:
        out[kind]["cpu"] = cpu_breakdown(cpu[kind], sum(r.ok for r in results[kind]))
    out["ratio_per_pair"] = [round(r, 3) for r in ratios]
    out["ratio_median"] = round(statistics.median(ratios), 3)
    out["target_ratio"] = 0.5
    out["target_met"] = out["ratio_median"] >= 0.5

    procs.stop(server)
    # Cross-check with the database: every 302 is a filed notice, every ceiling 200 a row.
    from takedowns.models import Notice
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_ping")
        out["db_bench_ping_rows"] = cursor.fetchone()[0]
    out["db_unconfirmed_notices"] = Notice.objects.filter(status="unconfirmed").count()
    out["web_queue_messages"] = queue_length(env["CELERY_QUEUE"])
    # Expected: rows = warm-up + measured successes (a failed request must leave no row).
    out["warmup_ok"] = warmup_ok
    out["db_check"] = {
        "bench_ping_rows_match": out["db_bench_ping_rows"] == warmup_ok["ceiling"] + out["ceiling"]["requests_ok"],
        "notices_match": out["db_unconfirmed_notices"] == warmup_ok["notice"] + out["notice"]["requests_ok"],
        "one_send_task_per_notice": out["web_queue_messages"] == out["db_unconfirmed_notices"],
    }
    log(f"database cross-check: {out['db_check']}")
    return out


# --- Part B: routing throughput. ---

# Routing variants: "current" is the app as it is. To measure a proposed change without editing
# app code, add a module under benchsite/ that patches it in each worker process (connect to
# celery's worker_process_init) and name it here; its reps interleave with "current".
# "baseline" (with --baseline-tree DIR) is the worker running the app code of another checkout,
# e.g. `git worktree add /tmp/base main`, for before/after rep by rep; the schema must be the same
# (the database is migrated with this tree's migrations).
VARIANTS = {
    "current": ("portal", {}),
    "baseline": ("portal", {}),
}


def pg_sessions(db_name: str) -> int:
    """Connections ever opened to the bench database (pg_stat_database.sessions, PostgreSQL 14+)."""
    from django.db import connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = %s", [db_name])
        return cursor.fetchone()[0]


def part_b_rep(args, procs: Procs, env: dict, db_name: str, variant: str, queue: str, concurrency: int, rep: int,
               rng: random.Random, listing_ids: list[str], sink: SmtpSink) -> dict:
    from django.db.models import Max, Min

    from portal.celery import app
    from takedowns.models import Notice, OutboundEmail
    from takedowns.tasks import route_notice

    t0 = time.perf_counter()
    low, high = create_confirmed_notices(args.notices, rng, listing_ids, env["SITE_URL"])
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

    app_module, extra_env = VARIANTS[variant]
    worker_env = dict(env, CELERY_QUEUE=queue, **extra_env)
    tree = ROOT
    if variant == "baseline":
        # Celery puts the working directory first on sys.path when it loads the app, so the
        # other checkout must be the working directory as well as on PYTHONPATH.
        tree = Path(args.baseline_tree).resolve()
        worker_env["PYTHONPATH"] = os.pathsep.join([str(BENCH), str(tree)])
    argv = [str(VENV_BIN / "celery"), "-A", app_module, "worker", "-Q", queue, f"--concurrency={concurrency}",
            "-n", f"{queue}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--loglevel=INFO"]
    sent_before = sink.received
    started = time.perf_counter()
    sessions_before = pg_sessions(db_name)
    worker = procs.start(f"celery worker ({variant}) c={concurrency} rep {rep}", argv, worker_env,
                         OUT / f"{queue}.log", cwd=tree)
    spy = None
    if args.py_spy and rep == 1:
        time.sleep(1.0)  # let the worker exec before attaching
        spy = start_pyspy(procs, worker.pid, f"celery-{variant}-c{concurrency}")
    meter = CpuMeter({"celery_worker": lambda: [worker.pid, *children_of(worker.pid)],
                      "postgres_bench_backends": lambda: pg_backends(db_name)})
    meter.start()
    deadline = started + args.routing_timeout
    routed, last_progress, stalled = 0, started, False
    while time.perf_counter() < deadline:
        now_routed = in_range.filter(status="in_review").count()
        if now_routed > routed:
            routed, last_progress = now_routed, time.perf_counter()
        if routed >= n or worker.poll() is not None:
            break
        meter.sample()
        if time.perf_counter() - last_progress > args.stall_seconds:
            stalled = True
            log(f"rep {rep} {variant}: no progress for {args.stall_seconds}s; giving up on this rep")
            break
        time.sleep(0.2)
    wall_s = time.perf_counter() - started
    usage = meter.stop()
    if spy:
        stop_pyspy(procs, *spy)
    sessions = pg_sessions(db_name) - sessions_before
    span = in_range.filter(status="in_review").aggregate(first=Min("routed_at"), last=Max("routed_at"))
    seconds = (span["last"] - span["first"]).total_seconds() if routed > 1 else float("nan")
    rate = (routed - 1) / seconds if routed > 1 and seconds > 0 else float("nan")
    log(f"rep {rep} {variant} c={concurrency}: {routed}/{n} routed; first->last routed_at {seconds:.2f}s = {rate:.1f}/s "
        f"(wall from worker start {wall_s:.1f}s, celery CPU {usage['cpu_s']['celery_worker']:.1f}s, "
        f"machine busy {usage['machine_busy_pct']:.0f}%, {sessions} new PostgreSQL connections)")

    # The notice_routed e-mails queued behind the routing tasks: let the worker deliver them.
    mails = OutboundEmail.objects.filter(notice_id__gte=low, notice_id__lte=high, kind="notice_routed")
    t0 = time.perf_counter()
    while time.perf_counter() < t0 + args.email_timeout and worker.poll() is None and not stalled:
        if not mails.exclude(status__in=["sent", "failed"]).exists() and queue_length(queue) == 0:
            break
        time.sleep(0.2)
    email_s = time.perf_counter() - t0
    emails = {"queued_rows": mails.count(), "sent": mails.filter(status="sent").count(),
              "failed": mails.filter(status="failed").count(), "smtp_received": sink.received - sent_before,
              "drain_seconds_after_routing": round(email_s, 1)}
    log(f"rep {rep} c={concurrency}: e-mails {emails}")
    procs.stop(worker)
    worker_log = (OUT / f"{queue}.log").read_text(errors="replace")
    task_errors = worker_log.count(" raised unexpected: ")
    first_error = next((line.strip()[:400] for line in worker_log.splitlines() if " raised unexpected: " in line), "")
    if task_errors:
        log(f"rep {rep} {variant}: {task_errors} task errors in the worker log, first: {first_error}")
    left = queue_length(queue)
    delete_bench_keys(queue)
    # Reviewers "finish" this rep's notices, so every rep starts with no open backlog (the closed
    # history still grows by N per rep, as it would in production).
    closed = close_notices(low, high)
    return {"variant": variant, "rep": rep, "concurrency": concurrency, "notices": n,
            "new_pg_connections_while_routing": sessions, "task_errors": task_errors,
            "first_task_error": first_error, "stalled": stalled, "routed": routed,
            "first_to_last_s": round(seconds, 3), "notices_per_s": round(rate, 1),
            "wall_from_worker_start_s": round(wall_s, 2),
            "cpu": cpu_breakdown([usage], routed),
            "emails": emails, "messages_left_in_queue": left, "closed_after_rep": closed}


def bench_env(db_name: str, port: int, smtp_port: int, prefix: str) -> dict:
    """The environment of every process the bench starts: production settings (DEBUG=false)."""
    env = dict(os.environ)
    for name in [n for n in env if n.startswith(("CELERY_", "EMAIL_", "DJANGO_"))]:
        env.pop(name)
    env.update({
        "DJANGO_SETTINGS_MODULE": "benchsite.settings",
        "PYTHONPATH": os.pathsep.join([str(BENCH), str(ROOT)]),
        "DEBUG": "false", "DEMO_MODE": "false",
        "SECRET_KEY": "bench-" + uuid.uuid4().hex + uuid.uuid4().hex,
        "ALLOWED_HOSTS": "127.0.0.1", "SITE_URL": f"http://127.0.0.1:{port}", "PORT": str(port),
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{db_name}",
        "REDIS_URL": REDIS_BASE, "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "DEFAULT_FROM_EMAIL": "Takedown Portal <takedowns@bench.example>",
        "SECURE_SSL_REDIRECT": "false", "CELERY_QUEUE": f"{prefix}web",
        "VAR_DIR": str(OUT / "var"),
    })
    return env


def machine_info(db_name: str) -> dict:
    import django
    from django.db import connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        pg = cursor.fetchone()[0].split(" on ")[0]
        cursor.execute("SELECT current_setting('synchronous_commit'), current_setting('fsync'), "
                       "current_setting('shared_buffers')")
        sync_commit, fsync, shared_buffers = cursor.fetchone()
    import celery
    import gunicorn
    import redis
    info = {"nproc": os.cpu_count(), "python": sys.version.split()[0], "django": django.get_version(),
            "celery": celery.__version__, "gunicorn": gunicorn.__version__, "redis_py": redis.__version__,
            "postgresql": pg, "pg_synchronous_commit": sync_commit, "pg_fsync": fsync,
            "pg_shared_buffers": shared_buffers, "redis_server": redis_client().info("server")["redis_version"]}
    with open("/proc/meminfo") as handle:
        info["mem_total_mb"] = int(handle.readline().split()[1]) // 1024
    with open("/proc/cpuinfo") as handle:
        info["cpu"] = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), "?")
    info["loadavg_at_start"] = open("/proc/loadavg").read().split()[:3]
    return info


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default=os.environ.get("BENCH_DB", "bench"))
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5, help="pairs of (ceiling, notice) rounds")
    parser.add_argument("--round-seconds", type=float, default=6.0)
    parser.add_argument("--warmup-seconds", type=float, default=2.0)
    parser.add_argument("--max-requests", type=int, default=20000, help="per round")
    parser.add_argument("--notices", type=int, default=2000, help="notices per routing repetition")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--concurrency", default="2", help="worker --concurrency values, e.g. 2 or 2,1")
    parser.add_argument("--routing-variants", default="current",
                        help="comma-separated: " + ", ".join(VARIANTS) + " (only 'current' is the app as it is)")
    parser.add_argument("--baseline-tree", help="checkout whose app code the 'baseline' variant's worker runs")
    parser.add_argument("--routing-timeout", type=float, default=90.0)
    parser.add_argument("--stall-seconds", type=float, default=20.0,
                        help="give up a routing rep when nothing was routed for this long")
    parser.add_argument("--email-timeout", type=float, default=45.0)
    parser.add_argument("--listings", type=int, default=600)
    parser.add_argument("--history", type=int, default=0,
                        help="closed notices assigned to reviewers before routing (realistic history)")
    parser.add_argument("--sellers", type=int, default=40)
    parser.add_argument("--py-spy", action="store_true",
                        help="sample gunicorn (first pair) and the worker (rep 1) with py-spy; perturbs those numbers")
    parser.add_argument("--skip-web", action="store_true")
    parser.add_argument("--skip-routing", action="store_true")
    args = parser.parse_args()
    if "baseline" in args.routing_variants.split(",") and not args.baseline_tree:
        parser.error("the 'baseline' variant needs --baseline-tree")

    OUT.mkdir(exist_ok=True)
    run_id = uuid.uuid4().hex[:8]
    prefix = f"bench-{run_id}-"
    port, smtp_port = free_port(), free_port()
    env = bench_env(args.db, port, smtp_port, prefix)
    os.environ.clear()
    os.environ.update(env)

    procs = Procs()
    sink = None
    report: dict = {"run_id": run_id, "started": time.strftime("%Y-%m-%d %H:%M:%S"), "args": vars(args)}

    def on_term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_term)

    began = time.perf_counter()
    try:
        log(f"run {run_id}: resetting database {args.db}")
        reset_database(args.db)
        setup_django(args.db)
        rng = random.Random(42)
        report["seed"] = seed(rng, args.sellers, args.listings)
        report["machine"] = machine_info(args.db)
        report["git_head"] = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                            capture_output=True, text=True).stdout.strip()
        log(f"seeded {report['seed']}; machine {report['machine']}")
        from takedowns.models import Listing
        listing_ids = list(Listing.objects.order_by("pk").values_list("external_id", flat=True))
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP line
        sink = SmtpSink(smtp_port)
        sink.start()

        if not args.skip_web:
            report["web"] = part_a(args, procs, env, port, args.db, listing_ids)
            delete_bench_keys(f"{prefix}web")
        if not args.skip_routing:
            if args.history:
                t0 = time.perf_counter()
                report["history"] = seed_history(args.history, rng, listing_ids, env["SITE_URL"])
                log(f"seeded a history of {args.history} closed notices in {time.perf_counter() - t0:.1f}s")
            routing = []
            # Variants interleaved rep by rep (current, fixes, current, fixes, ...), like part A.
            for concurrency in [int(c) for c in args.concurrency.split(",")]:
                for rep in range(1, args.reps + 1):
                    for variant in args.routing_variants.split(","):
                        routing.append(part_b_rep(args, procs, env, args.db, variant,
                                                  f"{prefix}{variant}-c{concurrency}-r{rep}", concurrency,
                                                  rep, rng, listing_ids, sink))
            summary = {}
            for variant, concurrency in sorted({(r["variant"], r["concurrency"]) for r in routing}):
                rates = [r["notices_per_s"] for r in routing if (r["variant"], r["concurrency"]) == (variant, concurrency)]
                summary[f"{variant} c={concurrency}"] = {"notices_per_s": rates, "median": round(statistics.median(rates), 1),
                                                        "target": 200, "target_met": statistics.median(rates) >= 200}
            report["routing"] = {"reps": routing, "summary": summary}
        head_now = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                  capture_output=True, text=True).stdout.strip()
        if head_now != report["git_head"]:
            report["warning"] = (f"the app code changed during the run (HEAD {report['git_head']} -> {head_now}); "
                                 f"processes started later ran the newer code")
            log("WARNING: " + report["warning"])
        problems = []
        web = report.get("web")
        if web and (web["ceiling"]["failures"] or web["notice"]["failures"]):
            problems.append("failed HTTP requests")
        if web and not all(web["db_check"].values()):
            problems.append(f"database cross-check {web['db_check']}")
        for r in report.get("routing", {}).get("reps", []):
            if r["routed"] < r["notices"] or r["task_errors"]:
                problems.append(f"routing {r['variant']} rep {r['rep']}: {r['routed']}/{r['notices']} routed, "
                                f"{r['task_errors']} task errors")
            # Every routed notice's e-mail must reach the SMTP sink: an e-mail lost with the queue is a
            # failure of the run, not a footnote (one busy rep once delivered 1,775 of 2,000).
            mails = r["emails"]
            if mails["sent"] < r["routed"] or mails["failed"] or mails["smtp_received"] < mails["sent"]:
                problems.append(f"routing {r['variant']} rep {r['rep']}: e-mails {mails['sent']} sent, "
                                f"{mails['failed']} failed, {mails['smtp_received']} received for {r['routed']} routed")
        report["status"] = "ok" if not problems else "problems: " + "; ".join(problems)
    except BaseException as exc:
        report["status"] = f"failed: {exc!r}"
        log(f"FAILED: {exc!r}")
        raise
    finally:
        procs.stop_all()
        if sink is not None:
            sink.stop()
        try:
            removed = delete_bench_keys(prefix)
            log(f"deleted {removed} Redis keys of this run")
        except Exception as exc:
            log(f"could not clean Redis: {exc!r}")
        try:
            from django.db import connections
            connections.close_all()
        except Exception:
            pass
        report["seconds"] = round(time.perf_counter() - began, 1)
        path = OUT / f"results-{time.strftime('%Y%m%d-%H%M%S')}.json"
        path.write_text(json.dumps(report, indent=2, default=str))
        log(f"results written to {path.relative_to(ROOT)} ({report['seconds']}s)")
    print_summary(report)
    return 0 if report["status"] == "ok" else 1


def print_summary(report: dict) -> None:
    print(f"\n==== Summary (git {report.get('git_head')}, {report.get('seconds')}s, status: {report.get('status')}) ====")
    web = report.get("web")
    if web:
        for kind, label in (("ceiling", "ceiling  POST /bench/insert/"), ("notice", "notice   POST /notices/new/")):
            w = web[kind]
            print(f"{label}: median {w['rps_median']:7.1f} req/s  p50 {w['p50_ms']:6.1f} ms  p99 {w['p99_ms']:6.1f} ms"
                  f"  ok {w['requests_ok']}  failed {w['failures']}")
            print(f"    CPU ms per request: {w['cpu']['ms_per_unit']}")
        print(f"ratio notice/ceiling (median of {len(web['ratio_per_pair'])} pairs): {web['ratio_median']}  "
              f"per pair {web['ratio_per_pair']}  target >= 0.5: {'MET' if web['target_met'] else 'NOT MET'}")
    routing = report.get("routing")
    if routing:
        for r in routing["reps"]:
            print(f"  {r['variant']} rep {r['rep']} c={r['concurrency']}: {r['notices_per_s']}/s, CPU ms per notice "
                  f"{r['cpu']['ms_per_unit']}")
        for key, s in routing["summary"].items():
            print(f"routing, 1 worker, {key}: {s['notices_per_s']} notices/s, median "
                  f"{s['median']}  target >= 200/s: {'MET' if s['target_met'] else 'NOT MET'}")


if __name__ == "__main__":
    sys.exit(main())
