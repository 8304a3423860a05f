"""bench/faults' production stack (imported after django.setup(), in the bench's environment): the
bench's own database, seeded as bench/run seeds it; a private redis-server (the broker and the cache);
an SMTP sink in this process that keeps every message; gunicorn, a celery worker and celery beat, as
the README's "Production" section runs them. Each piece can be stopped, killed and started again,
which is what the faults do (faults_inject.py).
"""

import argparse
import os
import random
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import celery
import gunicorn
import harness
import kombu
import pg
from harness import VENV_BIN, PrivateRedis, Processes, SmtpSink, log
from run_phases import seed, wait_http

from takedowns.models import Listing

# The bench's own connections to its database carry this application_name (libpq reads PGAPPNAME), so
# that terminating "the app's connections" never ends the bench's own observers.
OBSERVER_APP_NAME = "bench-faults"
WORKER_READY_SECONDS = 60


@dataclass
class Stack:
    """The processes of one bench/faults run and what they share."""

    args: argparse.Namespace
    env: dict[str, str]
    run_dir: Path
    redis: PrivateRedis
    sink: SmtpSink
    procs: Processes
    gunicorn: subprocess.Popen | None = None
    worker: subprocess.Popen | None = None
    beat: subprocess.Popen | None = None
    workers_started: int = 0
    listing_refs: list[str] = field(default_factory=list)
    # What went wrong with the stack itself between faults (a process that exited on its own).
    incidents: list[str] = field(default_factory=list)

    @property
    def db(self) -> str:
        return self.args.db

    @property
    def port(self) -> int:
        return int(self.env["PORT"])

    def start_gunicorn(self) -> None:
        argv = [str(VENV_BIN / "gunicorn"), "portal.wsgi:application", "--workers", str(self.args.gunicorn_workers),
                "--worker-class", "sync", "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning"]
        self.gunicorn = self.procs.start("gunicorn", argv, self.env, self.run_dir / "gunicorn.log")
        wait_http(self.port, "/", 60, self.gunicorn)

    def start_worker(self) -> float:
        """A new `celery worker` (its own log); returns the time (time.time()) it said it was ready."""
        self.workers_started += 1
        logfile = self.run_dir / f"worker-{self.workers_started}.log"
        argv = [str(VENV_BIN / "celery"), "-A", "portal", "worker", "--loglevel=INFO",
                f"--concurrency={self.args.concurrency}", "-n", f"faults-{self.workers_started}@%h"]
        self.worker = self.procs.start(f"celery worker {self.workers_started}", argv, self.env, logfile)
        deadline = time.monotonic() + WORKER_READY_SECONDS
        while " ready." not in logfile.read_text(errors="replace"):
            if self.worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"celery worker {self.workers_started} not ready; see {harness.shown(logfile)}")
            time.sleep(0.1)
        return time.time()

    def kill_worker(self) -> None:
        assert self.worker is not None
        self.procs.kill(self.worker)
        self.worker = None

    def start_beat(self) -> None:
        argv = [str(VENV_BIN / "celery"), "-A", "portal", "beat", "--loglevel=INFO",
                "--schedule", str(self.run_dir / "celerybeat-schedule")]
        self.beat = self.procs.start("celery beat", argv, self.env, self.run_dir / "beat.log")

    def check(self, before: str) -> None:
        """Before a fault: every process still up (one that exited on its own is recorded and started
        again, so that each fault starts from a healthy stack)."""
        if self.worker is None or self.worker.poll() is not None:
            self.incidents.append(f"before {before}: the celery worker had exited "
                                  f"({None if self.worker is None else self.worker.returncode}); started again")
            self.start_worker()
        if self.beat is None or self.beat.poll() is not None:
            self.incidents.append(f"before {before}: celery beat had exited; started again")
            self.start_beat()
        if self.gunicorn is None or self.gunicorn.poll() is not None:
            raise RuntimeError(f"before {before}: gunicorn exited; see {harness.shown(self.run_dir / 'gunicorn.log')}")
        if not self.sink.running:
            self.sink.start()
        self.redis.client().ping()

    def log_counts(self) -> dict[str, int]:
        """Lines of the processes' logs that say something failed: tasks that raised, and the web's
        tracebacks (a chained exception counts once per exception in the chain)."""
        counts = {"task_errors": 0, "web_tracebacks": 0}
        for path in self.run_dir.glob("worker-*.log"):
            counts["task_errors"] += path.read_text(errors="replace").count(" raised unexpected: ")
        web_log = self.run_dir / "gunicorn.log"
        if web_log.exists():
            counts["web_tracebacks"] = web_log.read_text(errors="replace").count("Traceback (most recent call last)")
        return counts


def build(args: argparse.Namespace, env: dict[str, str], run_dir: Path, redis: PrivateRedis, sink: SmtpSink,
          procs: Processes) -> Stack:
    """Create, migrate and seed the database, then start the sink and the processes."""
    # The bench's own connections (this thread's and the load's) are named, and spared by the terminations.
    os.environ["PGAPPNAME"] = OBSERVER_APP_NAME
    stack = Stack(args, env, run_dir, redis, sink, procs)
    log(f"creating database {args.db}")
    pg.create_database(args.db)
    log(f"migrated and static files collected in {pg.migrate():.1f}s")
    seeded = seed(random.Random(42), args.sellers, args.listings)
    log(f"seeded {seeded}")
    stack.listing_refs = list(Listing.objects.order_by("pk").values_list("external_id", flat=True))
    sink.start()
    stack.start_gunicorn()
    stack.start_worker()
    stack.start_beat()
    return stack


def machine_info(stack: Stack) -> dict:
    """The machine and the versions of what the stack runs on (the private Redis's, not the shared one's)."""
    return {**harness.machine_info(), "celery": celery.__version__, "kombu": kombu.__version__,
            "gunicorn": gunicorn.__version__, "postgresql": pg.postgres_settings()["version"],
            "redis_server": stack.redis.client().info("server")["redis_version"]}
