"""What the benches share: bench/run (run.py with run_phases.py, loadgen.py, cpu.py, and its companions
profile_paths.py and celery_ceiling.py), bench/queue (queue_bench.py) and bench/dashboard
(dashboard_bench.py). Each bench keeps only what it measures; this module holds the machinery:

- where results go (`OUT`: bench/out, or $BENCH_OUT), timestamped logging, free ports, git HEAD,
  the machine, results JSON;
- statistics: the two percentile definitions the benches report (`nearest_rank` for bench/run's
  request latencies, `percentile`, linear interpolation, for the page timings), a p50/p95 summary,
  and rounds that request every page once in rotating order;
- the bench's databases: their names (start with `bench`, never `test`), URLs and connections
  (creating, migrating, loading and dropping them is pg.py's);
- the production environment of every process a bench runs (DEBUG=false, everything from the
  environment), Django set up in it, and settings isolated per run (static files, cache keys);
- processes: started in a process group of their own, stopped gracefully, then the group killed;
  a child process under a deadline;
- one recorded run: SIGTERM as an interrupt, the status on failure, cleanup in `finally`, the
  results written even when it failed;
- Redis: only the run's own keys (all named `bench-<run id>-…`) are ever deleted; a bench that must
  stop its broker runs a private redis-server of its own (`PrivateRedis`), never the shared one;
- an SMTP server in the bench's process (`SmtpSink`, aiosmtpd) that counts, and can keep, what it
  receives, and can be stopped and started again (a mail server's outage).

pg.py holds PostgreSQL (creating, migrating, bulk loads, EXPLAIN, SQL capture) and sizes.py the
benches with one child process per size (bench/queue, bench/dashboard).

Nothing here imports the app (takedowns): the benches import their app-side modules after
`setup_django`, because the app's models can only be imported once Django is set up in the bench's
environment.
"""

import argparse
import json
import logging
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import django
import redis
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connections
from django.test.utils import override_settings
from redis.backoff import NoBackoff
from redis.retry import Retry

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
# The benches run as scripts from bench/ (first on sys.path); the app's packages are in the project root.
if str(ROOT) not in sys.path:
    sys.path.insert(1, str(ROOT))
VENV_BIN = ROOT / ".venv" / "bin"
# Results, logs, collected static files and the processes' VAR_DIR. The smoke test points it at a
# temporary directory so that it never mixes with (or overwrites) the files of a real run.
OUT = Path(os.environ.get("BENCH_OUT") or BENCH / "out").resolve()

PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
# The broker of bench/run's processes; bench/queue and bench/dashboard use database 15 as their cache.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
CACHE_REDIS_URL = urlsplit(REDIS_URL)._replace(path="/15").geturl()
# Databases no bench may create or drop: the test suite's, the server's own and the templates.
FORBIDDEN_DBS = {"test", "postgres", "template0", "template1"}
SMOKE_HELP = "a run with tiny sizes that checks the bench still works (its SQL, pages, checks); not a measurement"


# --- Basics. ---

def log(message: str) -> None:
    try:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)
    except BrokenPipeError:
        pass  # the reader is gone (`| head`): the run goes on, and its cleanup must not fail on a log line


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def label(n: int) -> str:
    """10000 -> 10k, 1000000 -> 1m."""
    return f"{n // 1_000_000}m" if n % 1_000_000 == 0 else f"{n // 1000}k" if n % 1000 == 0 else str(n)


def shown(path: Path) -> str:
    """A path as the logs show it: relative to the project where it is inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def new_run_id() -> str:
    return uuid.uuid4().hex[:8]


def git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False).stdout.strip()


def git_head() -> str:
    return git("rev-parse", "--short", "HEAD")


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def machine_info() -> dict:
    info: dict[str, Any] = {"nproc": os.cpu_count(), "python": sys.version.split()[0], "django": django.get_version()}
    with open("/proc/meminfo") as handle:
        info["mem_total_mb"] = int(handle.readline().split()[1]) // 1024
    with open("/proc/cpuinfo") as handle:
        info["cpu"] = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), "?")
    with open("/proc/loadavg") as handle:
        info["loadavg_at_start"] = handle.read().split()[:3]
    return info


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=str))


# --- Command line. ---

def int_list(text: str) -> list[int]:
    """"10000,100_000" -> [10000, 100000]."""
    return [int(x.replace("_", "")) for x in text.split(",") if x]


def run_id(text: str) -> str:
    """A --run-id: it names the run's Redis keys and smoke databases, so letters a-z and digits only."""
    if not re.fullmatch(r"[a-z0-9]{1,32}", text):
        raise argparse.ArgumentTypeError(f"{text!r}: up to 32 lower-case letters and digits")
    return text


def parse_args(parser: argparse.ArgumentParser, smoke: dict, argv: list[str] | None = None) -> argparse.Namespace:
    """Parse, with the `smoke` values as the defaults when --smoke is given (explicit options still win)."""
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    args = parser.parse_args(argv)
    if args.smoke:
        parser.set_defaults(**smoke)
        args = parser.parse_args(argv)
    return args


# --- Statistics. ---

def nearest_rank(values: list[float], q: float) -> float:
    """The q-th percentile as the sample nearest to its rank (bench/run's request latencies)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default; the page timings)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def summary_ms(samples: list[float], digits: int, percentiles: Iterable[int] = (50, 95), mean: bool = True) -> dict:
    """n, the percentiles, min and max (and the mean) of samples in milliseconds."""
    out: dict[str, float] = {"n": len(samples)}
    out.update({f"p{q}_ms": round(percentile(samples, q), digits) for q in percentiles})
    out.update(min_ms=round(min(samples), digits), max_ms=round(max(samples), digits))
    if mean:
        out["mean_ms"] = round(statistics.mean(samples), digits)
    return out


def rotating_rounds(names: list[str], rounds: int, deadline: float, sample: Callable[[str], None]) -> int:
    """`rounds` rounds in which every page is sampled once, each round starting one page further
    along, so that drift and noise hit all pages alike; stops when the deadline has passed.
    `sample(name)` takes one sample (or skips a page that has enough). Returns the rounds done."""
    for r in range(rounds):
        if time.perf_counter() > deadline:
            return r
        for name in names[r % len(names):] + names[:r % len(names)]:
            sample(name)
    return rounds

# --- The bench's databases: their names (never the test database's) and connections. ---

def database_url(db: str) -> str:
    """The URL of database `db` on the server of PG_ADMIN."""
    return urlsplit(PG_ADMIN)._replace(path="/" + db).geturl()


def check_database_name(db: str) -> str:
    """A bench creates and drops only databases of its own: named bench…, never the test database."""
    if db in FORBIDDEN_DBS or not re.fullmatch(r"bench\w*", db, re.ASCII):
        raise ValueError(f"not a bench database name: {db!r} (must start with 'bench'; letters, digits, _)")
    return db


def close_connections() -> None:
    if not settings.configured:  # a parent process that never set Django up has none
        return
    try:
        connections.close_all()
    except Exception as exc:  # cleanup goes on; a broken connection is closed anyway
        log(f"closing the database connections: {exc!r}")


# --- The environment. ---

def production_env(db: str, **overrides: str) -> dict[str, str]:
    """The environment of a bench process: the production settings (DEBUG=false, everything from the
    environment) on the bench's database. The caller's CELERY_*, EMAIL_* and DJANGO_* are dropped."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "EMAIL_", "CELERY_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "PYTHONPATH": os.pathsep.join([str(BENCH), str(ROOT)]),
        "DEBUG": "false", "DEMO_MODE": "false",
        "SECRET_KEY": "bench-" + uuid.uuid4().hex + uuid.uuid4().hex,
        "ALLOWED_HOSTS": "127.0.0.1,testserver", "SITE_URL": "http://127.0.0.1:8000",
        "DATABASE_URL": database_url(check_database_name(db)),
        "REDIS_URL": CACHE_REDIS_URL, "EMAIL_URL": "smtp://127.0.0.1:1",
        "DEFAULT_FROM_EMAIL": "Takedown Portal <takedowns@bench.example>",
        "SECURE_SSL_REDIRECT": "false", "VAR_DIR": str(OUT / "var"),
        "BENCH_OUT": str(OUT),
    })
    env.update(overrides)
    return env


# bench/run and bench/faults send all their load from one address, 127.0.0.1: its limits of the
# portal's rate limits (takedowns/limits.py) are raised so that none of the load is refused, and every
# limit still counts (the cost of counting is part of what is measured). Every other limit keeps its
# default; each notice has an e-mail address of its own (loadgen.submitter_email).
ONE_CLIENT_LIMITS = {"RATE_LIMIT_FILING_ADDRESS": "1000000/h", "RATE_LIMIT_CONFIRMATION_ADDRESS": "1000000/h"}


def setup_django(env: dict[str, str]) -> None:
    """This process runs with exactly `env` (as the processes it starts do), then Django is set up."""
    if env is not os.environ:
        os.environ.clear()
        os.environ.update(env)
    django.setup()


@contextmanager
def in_process_settings(cache_prefix: str) -> Iterator[None]:
    """The only settings a bench that measures in-process overrides: collectstatic must not write
    into the project, and the cache keys are the run's own (a concurrent run, or a test, shares the
    Redis database); the keys are deleted at the end."""
    cache = {**settings.CACHES["default"], "KEY_PREFIX": cache_prefix + "cache"}
    try:
        with override_settings(STATIC_ROOT=OUT / "staticfiles", CACHES={"default": cache}):
            yield
    finally:
        delete_keys(cache_prefix, CACHE_REDIS_URL)


# --- Processes. ---

def on_sigterm_interrupt() -> None:
    """SIGTERM (a parent's deadline, `kill`) ends this process as Ctrl-C does: its `finally` blocks run."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, interrupt)


def stop_process_group(proc: subprocess.Popen, grace: float) -> None:
    """SIGTERM to the process itself (gunicorn, celery and the benches' children shut down gracefully),
    then SIGKILL to its whole process group: whatever it started and left behind."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            log(f"pid {proc.pid} did not stop in {grace}s; killing its process group")
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(10)


class Processes:
    """The long-running processes a bench starts (servers, workers, samplers), each in a process group
    of its own, so that stopping one stops everything it started."""

    def __init__(self) -> None:
        self.running: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, argv: list[str], env: dict, logfile: Path, cwd: Path = ROOT) -> subprocess.Popen:
        logfile.parent.mkdir(parents=True, exist_ok=True)
        with open(logfile, "ab") as handle:
            proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=handle, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        self.running.append((name, proc))
        log(f"started {name} (pid {proc.pid}), log {shown(logfile)}")
        return proc

    def stop(self, proc: subprocess.Popen, grace: float = 30.0) -> None:
        name = next((n for n, p in self.running if p is proc), "?")
        stop_process_group(proc, grace)
        self.running = [(n, p) for n, p in self.running if p is not proc]
        log(f"stopped {name} (pid {proc.pid})")

    def kill(self, proc: subprocess.Popen) -> None:
        """SIGKILL to the process and its whole group at once, with no warning: a crash, not a shutdown."""
        name = next((n for n, p in self.running if p is proc), "?")
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(10)
        self.running = [(n, p) for n, p in self.running if p is not proc]
        log(f"killed {name} (pid {proc.pid}) with SIGKILL")

    def stop_all(self) -> None:
        for _name, proc in reversed(list(self.running)):
            try:
                self.stop(proc, grace=20)
            except Exception as exc:  # keep stopping the others
                log(f"could not stop pid {proc.pid}: {exc!r}")


def run_child(argv: list[str], env: dict[str, str], timeout: float) -> int | None:
    """Run a child process in a process group of its own for at most `timeout` seconds. On overrun, or
    when this process is interrupted meanwhile, the child gets SIGTERM (it records what it has) and
    then its group is killed. Returns its exit status, None if it had to be stopped."""
    proc = subprocess.Popen(argv, env=env, cwd=ROOT, start_new_session=True)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        log(f"child pid {proc.pid} is over the deadline; stopping it")
        return None
    finally:
        stop_process_group(proc, grace=15)


# --- One recorded run. ---

@contextmanager
def recorded(result: dict, path: Path | Callable[[], Path] | None, tag: str = "",
             cleanup: Iterable[Callable[[], Any]] = ()) -> Iterator[dict]:
    """Run the body as one recorded run: SIGTERM interrupts it like Ctrl-C; a failure is recorded in
    result["status"] (and raised again); `cleanup` steps run in order whatever happens (a failing step
    does not stop the others); the database connections are closed; result["seconds"] is the run's
    wall time; the result is written to `path` (a callable is asked at the end, for a name with the
    end time; None: not written) even when the run failed. A body that sets no status ends "ok"."""
    on_sigterm_interrupt()
    began = time.perf_counter()
    prefix = f"{tag}: " if tag else ""
    try:
        yield result
        result.setdefault("status", "ok")
    except BaseException as exc:
        result["status"] = f"failed: {exc!r}"
        log(f"{prefix}FAILED: {exc!r}")
        raise
    finally:
        for step in cleanup:
            try:
                step()
            except Exception as exc:  # cleanup goes on
                log(f"{prefix}cleanup {getattr(step, '__name__', step)!s}: {exc!r}")
        close_connections()
        result["seconds"] = round(time.perf_counter() - began, 1)
        target = path() if callable(path) else path
        if target is not None:
            write_json(target, result)
            log(f"{prefix}results written to {shown(target)} ({result['seconds']}s)")


# The exit statuses of a whole-stack bench (bench/faults, bench/abuse): 0 all clean, 1 problems found
# (listed in its summary), 2 the bench itself broke.
BROKE = 2


def exit_status(measure: Callable[[], dict], print_summary: Callable[[dict], None]) -> int:
    """Measure, print the summary and say how it went; a bench that broke or was interrupted has
    cleaned up and written what it had (recorded), so its traceback is all that is left to show."""
    try:
        report = measure()
    except BaseException:
        traceback.print_exc()
        return BROKE
    print_summary(report)
    return 0 if report["status"] == "ok" else 1


# --- Redis. ---

def redis_client(url: str = REDIS_URL) -> redis.Redis:
    return redis.Redis.from_url(url)


def delete_keys(prefix: str, url: str = REDIS_URL) -> int:
    """Delete the run's keys (all named <prefix>...: queues, cache entries), the bindings of its
    queues, and any of its messages left in kombu's shared 'unacked' hash (only after a crash)."""
    if not prefix.startswith("bench-"):
        raise ValueError(f"not a bench key prefix: {prefix!r}")
    client = redis_client(url)
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


class PrivateRedis:
    """A redis-server of the run's own on a free port of 127.0.0.1, for a bench that stops its broker: the
    machine's shared Redis serves other developers' tests and is never stopped. Its data lives in
    `directory`; `stop()` is a clean shutdown that saves it (as a production Redis with persistence
    does), so the messages queued when it stopped are there again after `start()`."""

    def __init__(self, procs: Processes, directory: Path) -> None:
        self.procs, self.directory = procs, directory
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self._client: redis.Redis | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        # No retries: redis-py's default backs off for seconds on a refused connection, and the bench
        # wants to know at once whether the server is up (and to stop it at a moment it chooses).
        if self._client is None:
            self._client = redis.Redis(port=self.port, socket_timeout=5, socket_connect_timeout=5,
                                       retry=Retry(NoBackoff(), 0))
        return self._client

    def start(self, timeout: float = 15.0) -> None:
        server = shutil.which("redis-server")
        if server is None:
            raise RuntimeError("redis-server is not installed (Debian: apt-get install redis-server)")
        self.directory.mkdir(parents=True, exist_ok=True)
        argv = [server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", str(self.directory), "--dbfilename", "dump.rdb"]
        self.proc = self.procs.start(f"redis-server :{self.port}", argv, {"PATH": os.environ.get("PATH", "")},
                                     self.directory / "redis.log")
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.client().ping()
                return
            except redis.ConnectionError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"private redis-server on port {self.port} did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        """SHUTDOWN SAVE: the data set is written to the directory, then the server exits."""
        if self.proc is None:
            return
        try:
            self.client().shutdown(save=True)
        except redis.ConnectionError:
            pass  # already gone
        self.procs.stop(self.proc, grace=20)
        self.proc = None

    def remove_data(self) -> None:
        for name in ("dump.rdb", "temp.rdb"):
            (self.directory / name).unlink(missing_ok=True)


# --- An SMTP server in the bench's process. ---

@dataclass(frozen=True)
class ReceivedMail:
    at: float  # time.time() when the message was accepted
    recipients: tuple[str, ...]
    content: bytes


class SmtpSink:
    """An SMTP server (aiosmtpd) on 127.0.0.1:`port` in this process. It counts the messages it accepts
    and, with keep=True, keeps each with its time of arrival. `stop()` closes the port (senders get
    "connection refused", as from a mail server that is down) and `start()` opens it again."""

    def __init__(self, port: int, keep: bool = False) -> None:
        self.port, self.keep = port, keep
        self.received = 0
        self._messages: list[ReceivedMail] = []
        self._lock = threading.Lock()
        self.controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's hook for a message
        with self._lock:
            self.received += 1
            if self.keep:
                content = envelope.original_content or envelope.content
                self._messages.append(ReceivedMail(time.time(), tuple(envelope.rcpt_tos), bytes(content)))
        return "250 OK"

    @property
    def running(self) -> bool:
        return self.controller is not None

    def start(self) -> None:
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP line
        # A new controller each time: a stopped one's event loop and thread are gone.
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, ready_timeout=10)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def messages(self) -> list[ReceivedMail]:
        with self._lock:
            return list(self._messages)


# --- A whole-stack run (bench/faults, bench/abuse). ---

@dataclass
class StackRun:
    """What a whole-stack bench starts around the app, and its report."""

    run_dir: Path
    procs: Processes
    redis: PrivateRedis
    sink: SmtpSink
    env: dict[str, str]
    report: dict


@contextmanager
def stack_run(name: str, args: argparse.Namespace, stack_env: Callable[..., dict[str, str]],
              drop_database: Callable[[str], Any]) -> Iterator[StackRun]:
    """The set-up and the recorded run both whole-stack benches share: a private Redis, an SMTP sink,
    the environment `stack_env` makes of them (Django set up in it); whatever happens, the stack is
    stopped, the database dropped unless --keep (`drop_database`, pg's: pg imports this module), and
    the report written to bench/out/<name>-<time>.json."""
    run_dir = OUT / f"{name}-{args.run_id}"
    procs = Processes()
    redis = PrivateRedis(procs, run_dir / "redis")
    sink = SmtpSink(free_port(), keep=True)
    env = stack_env(args, free_port(), sink.port, redis.url, run_dir)
    setup_django(env)
    report: dict = {"run_id": args.run_id, "started": time.strftime("%Y-%m-%d %H:%M:%S"), "args": vars(args),
                    "git_head": git_head(), "logs": shown(run_dir)}

    def stop_stack() -> None:
        procs.stop_all()  # gunicorn, the worker, beat and the private redis-server
        redis.remove_data()
        sink.stop()

    def drop() -> None:
        if not args.keep:
            drop_database(args.db)

    def results_path() -> Path:
        return OUT / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.json"

    with recorded(report, results_path, cleanup=[stop_stack, drop]):
        yield StackRun(run_dir, procs, redis, sink, env, report)
