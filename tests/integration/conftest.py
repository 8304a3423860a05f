"""The integration layer: real PostgreSQL, Redis, a `celery -A portal worker` subprocess and an
SMTP server (aiosmtpd) that receives what the worker sends.

Tests marked `integration` are skipped, with the reason, where DATABASE_URL or REDIS_URL is not
set or a service does not answer. Under CI=true the same problems are failures: CI can never
go green by skipping the layer.

The worker reads the *test* database pytest-django created, consumes a queue of its own
(CELERY_QUEUE=takedowns-it-<uuid>, which this process also publishes to) and sends e-mail to
the local SMTP server. Tests that use it need committed data: mark them
`django_db(transaction=True)`.
"""

import contextlib
import email
import email.policy
import importlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import dj_database_url
import psycopg
import pytest
import redis
from aiosmtpd.controller import Controller
from django.apps import apps as django_apps
from django.conf import settings
from django.core.cache.backends.redis import RedisCache
from django.test.utils import override_settings
from django.utils import timezone

from portal import settings as portal_settings
from portal.celery import app as celery_app
from takedowns import tasks
from takedowns.models import OutboundEmail, ReasonCode
from takedowns.screening import engine
from takedowns.workflow import clocks

REPO_ROOT = Path(__file__).resolve().parents[2]
# tests/conftest.py's autouse fixture gives the test process this SITE_URL; the worker gets the same,
# so links rendered on either side of the broker agree.
SITE_URL = "https://portal.test"

SERVICE_TIMEOUT_SECONDS = 3
WORKER_READY_SECONDS = 60
WORKER_STOP_SECONDS = 20
WORKER_LOG_TAIL_LINES = 200

_TRUE = ("1", "true", "yes", "on")


def running_under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in _TRUE


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url


def _services_problem() -> str | None:
    """Why the integration layer cannot run here, or None when PostgreSQL and Redis answer."""
    missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(name)]
    if missing:
        return (f"set DATABASE_URL and REDIS_URL (missing: {', '.join(missing)}), e.g. "
                "DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/0")
    database_url, redis_url = os.environ["DATABASE_URL"], os.environ["REDIS_URL"]
    if urlsplit(database_url).scheme not in ("postgres", "postgresql"):
        return f"DATABASE_URL={_redacted(database_url)} is not a PostgreSQL URL (postgres://…)"
    try:
        # The server's own database, as Django uses to create the test database: the one named
        # in DATABASE_URL need not exist.
        with psycopg.connect(database_url, dbname="postgres", connect_timeout=SERVICE_TIMEOUT_SECONDS) as connection:
            connection.execute("SELECT 1")
    except Exception as exc:  # any failure means "unreachable"; the message says which
        return f"PostgreSQL at DATABASE_URL={_redacted(database_url)} does not answer: {exc}".strip()
    try:
        client = redis.Redis.from_url(redis_url, socket_connect_timeout=SERVICE_TIMEOUT_SECONDS,
                                      socket_timeout=SERVICE_TIMEOUT_SECONDS)
        client.ping()
        client.close()
    except Exception as exc:  # as above
        return f"Redis at REDIS_URL={_redacted(redis_url)} does not answer: {exc}"
    return None


class _FailIntegrationUnderCI:
    """Registered as a plugin (so it sees every item, wherever it lives) when CI=true and the
    services are missing: each integration test errors at setup with the reason."""

    def __init__(self, problem: str):
        self.problem = problem

    def pytest_runtest_setup(self, item):
        if item.get_closest_marker("integration") is not None:
            pytest.fail(f"integration layer cannot run under CI=true: {self.problem}", pytrace=False)


def pytest_collection_modifyitems(config, items):
    integration = [item for item in items if item.get_closest_marker("integration") is not None]
    if not integration:
        return
    problem = _services_problem()
    if problem is None:
        return
    if running_under_ci():
        if not config.pluginmanager.has_plugin("integration-ci-fail"):
            config.pluginmanager.register(_FailIntegrationUnderCI(problem), "integration-ci-fail")
        return
    skip = pytest.mark.skip(reason=f"integration layer skipped: {problem}")
    for item in integration:
        item.add_marker(skip)


@pytest.fixture(scope="session")
def skip_or_fail():
    """Skip the test for a missing prerequisite, except under CI=true, where that is a failure."""

    def unavailable(reason: str):
        if running_under_ci():
            pytest.fail(f"CI=true, so this fails instead of skipping: {reason}", pytrace=False)
        pytest.skip(reason)

    return unavailable


@pytest.fixture
def reason_codes(db) -> dict:
    """The rejection reason codes of migration 0002, by code.

    A transactional test ends by flushing every table, the rows that data migrations wrote
    included, so after the first such test of a session they are gone. They are written again
    here by the migration's own (idempotent) function."""
    importlib.import_module("takedowns.migrations.0002_reason_codes").add_reason_codes(django_apps, None)
    return {code.code: code for code in ReasonCode.objects.all()}


@pytest.fixture
def screening_rules(db) -> None:
    """Listing screening's rules as migration 0030 writes them (issue 14), for the same reason as reason_codes:
    written again by the migration's own (idempotent) function, and this process's cached rules and term
    automaton dropped, so that screening reads this test's rows."""
    importlib.import_module("takedowns.migrations.0030_proactive_protection").create_defaults(django_apps, None)
    engine.forget()


# Each phase's report ("setup", "call", "teardown"), kept by pytest_runtest_makereport below.
PHASE_REPORTS = pytest.StashKey[dict]()


@pytest.fixture
def call_failed(request):
    """For a fixture's teardown: call_failed() says whether the test itself failed."""
    return lambda: getattr(request.node.stash.get(PHASE_REPORTS, {}).get("call"), "failed", False)


# --- The SMTP server. ---

@dataclass(frozen=True)
class ReceivedMail:
    envelope_from: str
    envelope_to: list[str]
    message: email.message.EmailMessage

    @property
    def subject(self) -> str:
        # Python's generator folds a long Subject onto a continuation line ("Subject:\n Counter-..."),
        # and unfolding keeps that line's leading space; mail programs show it trimmed.
        return str(self.message["Subject"]).strip()

    @property
    def to(self) -> str:
        return str(self.message["To"])

    @property
    def sender(self) -> str:
        return str(self.message["From"])

    @property
    def text(self) -> str:
        """The plain-text part, with the wire's CRLF line ends as \\n."""
        return self.message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")

    @property
    def html(self) -> str:
        return self.message.get_body(preferencelist=("html",)).get_content()


class MailSink:
    """An aiosmtpd handler that keeps every message it receives, in order of arrival."""

    def __init__(self):
        self._received: list[ReceivedMail] = []
        self._arrived = threading.Condition()
        self.port: int | None = None

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with self._arrived:
            self._received.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), message))
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[ReceivedMail]:
        """Messages whose envelope was addressed to `address`. Tests use addresses of their own,
        so mail from an earlier test that arrives late is never counted."""
        with self._arrived:
            return [mail for mail in self._received if address in mail.envelope_to]

    def wait_for(self, address: str, count: int, timeout: float = 30) -> list[ReceivedMail]:
        """The first `count` messages to `address`, waiting at most `timeout` seconds for them."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                got = [mail for mail in self._received if address in mail.envelope_to]
                remaining = deadline - time.monotonic()
                if len(got) >= count or remaining <= 0:
                    break
                self._arrived.wait(remaining)
        if len(got) < count:
            subjects = [mail.subject for mail in got]
            pytest.fail(f"SMTP server received {len(got)} of {count} e-mails to {address} within {timeout}s: "
                        f"{subjects}")
        return got[:count]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_server():
    sink = MailSink()
    for attempt in range(3):
        port = _free_port()
        controller = Controller(sink, hostname="127.0.0.1", port=port, ready_timeout=10)
        try:
            controller.start()
        except (OSError, TimeoutError):
            if attempt == 2:
                raise
            continue  # the port was taken between probing and binding
        break
    sink.port = port
    yield sink
    controller.stop()


@pytest.fixture
def mailbox(smtp_server) -> MailSink:
    return smtp_server


# --- The worker. ---

def database_url(database: dict) -> str:
    """A postgres:// URL for Django's settings of one database (the test database, here)."""
    user = quote(database.get("USER") or "", safe="")
    password = database.get("PASSWORD") or ""
    credentials = f"{user}:{quote(password, safe='')}" if password else user
    host = database.get("HOST") or ""
    if host.startswith("/"):
        host = quote(host, safe="")  # a Unix socket directory
    elif ":" in host:
        host = f"[{host}]"
    port = f":{database['PORT']}" if database.get("PORT") else ""
    netloc = f"{credentials}@{host}{port}" if credentials else f"{host}{port}"
    options = {key: value for key, value in (database.get("OPTIONS") or {}).items() if isinstance(value, (str, int))}
    query = f"?{urlencode(options)}" if options else ""
    return f"postgres://{netloc}/{quote(database['NAME'], safe='')}{query}"


def _use_queue(name: str) -> None:
    """Publish from this process to `name`; drop what celery cached about the previous default."""
    celery_app.conf.task_default_queue = name
    for cached in ("default_queue", "queues", "router"):
        celery_app.amqp.__dict__.pop(cached, None)


class Worker:
    def __init__(self, process: subprocess.Popen, log_path: Path, queue: str, broker_url: str):
        self.process = process
        self.log_path = log_path
        self.queue = queue
        self.broker_url = broker_url
        self.test_log_offset = 0

    def log(self, since: int = 0) -> str:
        with self.log_path.open("rb") as log:
            log.seek(since)
            return log.read().decode("utf-8", "replace")

    def log_tail(self, since: int = 0, lines: int = WORKER_LOG_TAIL_LINES) -> str:
        return "\n".join(self.log(since).splitlines()[-lines:])

    def alive(self) -> bool:
        return self.process.poll() is None

    def drain(self, mailbox: MailSink, rounds: int = 2, timeout: float = 30) -> None:
        """Wait until the worker has processed every message published before this call, and
        (with rounds=2) every message those published in turn.

        One solo worker takes one message at a time from a FIFO list, so a marker e-mail sent
        after those messages arrives at the SMTP server only once they are done.
        """
        for _ in range(rounds):
            address = f"drain-{uuid.uuid4().hex[:12]}@it.test"
            marker = OutboundEmail.objects.create(
                kind="drain", to=address, subject="queue drained", body_text="", body_html="",
                created_at=timezone.now())
            tasks.send_email.delay(email_id=marker.pk)
            mailbox.wait_for(address, count=1, timeout=timeout)


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, smtp_server, tmp_path_factory):
    """A real `celery -A portal worker` on the test database, for the whole session."""
    broker_url = celery_app.conf.broker_url
    if not str(broker_url).startswith(("redis://", "rediss://")):
        pytest.fail(f"the integration layer needs the Redis broker; celery is configured for {broker_url}",
                    pytrace=False)
    worker = start_worker(broker_url, os.environ["REDIS_URL"], smtp_server, tmp_path_factory.mktemp("worker-var"))
    try:
        with publishing_to(broker_url, worker.queue):
            yield worker
    finally:
        _stop(worker)


def start_worker(broker_url: str, redis_url: str, smtp_server: MailSink, var_dir: Path,
                 extra_args: tuple[str, ...] = ()) -> Worker:
    """Start `celery -A portal worker` on the test database and this broker, consuming a queue of its
    own, and wait until it is ready. `extra_args` e.g. ("--beat", …) for an embedded beat."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        pytest.fail(f"the integration layer needs PostgreSQL; the test database is {database['ENGINE']}", pytrace=False)
    worker_database_url = database_url(database)
    if dj_database_url.parse(worker_database_url)["NAME"] != database["NAME"]:
        pytest.fail(f"cannot express the test database {database['NAME']!r} as a URL for the worker", pytrace=False)

    queue = f"takedowns-it-{uuid.uuid4().hex}"
    log_path = var_dir / "worker.log"
    environment = {name: value for name, value in os.environ.items()
                   if name not in ("DEMO_MODE", "EMAIL_URL", "CELERY_BROKER_URL", "DATABASE_URL", "SITE_URL")}
    environment.update({
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DEBUG": "true",
        "DATABASE_URL": worker_database_url,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": broker_url,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_server.port}?timeout=10",
        "SITE_URL": SITE_URL,
        "CELERY_QUEUE": queue,
        "VAR_DIR": str(var_dir),
        "PYTHONUNBUFFERED": "1",
    })
    command = [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo", "--loglevel=INFO",
               "--hostname", f"{queue}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
               *extra_args]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=environment, stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=subprocess.STDOUT)
    worker = Worker(process, log_path, queue, broker_url)
    try:
        _wait_until_ready(worker)
    except BaseException:
        _stop(worker)
        raise
    return worker


def _wait_until_ready(worker: Worker) -> None:
    deadline = time.monotonic() + WORKER_READY_SECONDS
    while " ready." not in worker.log():
        if not worker.alive():
            pytest.fail(f"celery worker exited with {worker.process.returncode} before it was ready:\n"
                        f"{worker.log_tail()}", pytrace=False)
        if time.monotonic() > deadline:
            pytest.fail(f"celery worker not ready within {WORKER_READY_SECONDS}s:\n{worker.log_tail()}",
                        pytrace=False)
        time.sleep(0.2)
    if f".> {worker.queue} " not in worker.log():
        pytest.fail(f"celery worker does not consume {worker.queue} (CELERY_QUEUE ignored?):\n{worker.log_tail()}",
                    pytrace=False)


@contextlib.contextmanager
def publishing_to(broker_url: str, queue: str):
    """This process publishes to `queue` on `broker_url` (a worker's), then as before."""
    previous_broker, previous_queue = celery_app.conf.broker_url, celery_app.conf.task_default_queue
    queue_setting = override_settings(CELERY_TASK_DEFAULT_QUEUE=queue)
    queue_setting.enable()
    _use_broker(broker_url)
    _use_queue(queue)
    try:
        yield
    finally:
        _use_broker(previous_broker)
        _use_queue(previous_queue)
        queue_setting.disable()


def _use_broker(url: str) -> None:
    """Publish from this process to the broker at `url`: drop the pools of connections to the last one."""
    if celery_app.conf.broker_url == url:
        return
    celery_app.conf.broker_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def _stop(worker: Worker) -> None:
    if worker.alive():
        worker.process.terminate()  # warm shutdown: finishes the task in hand
        try:
            worker.process.wait(timeout=WORKER_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            worker.process.kill()
            worker.process.wait(timeout=WORKER_STOP_SECONDS)
    try:
        client = redis.Redis.from_url(worker.broker_url, socket_connect_timeout=SERVICE_TIMEOUT_SECONDS,
                                      socket_timeout=SERVICE_TIMEOUT_SECONDS)
        # The queue, its bindings and any priority lists: every key that names this unique queue.
        leftovers = list(client.scan_iter(match=f"*{worker.queue}*", count=1000))
        if leftovers:
            client.delete(*leftovers)
        client.close()
    except Exception:  # leftover keys of a unique queue harm nobody
        pass


@pytest.fixture
def worker(celery_worker) -> Worker:
    """The session's worker, checked alive; its log since the test began is shown if the test fails."""
    if not celery_worker.alive():
        pytest.fail(f"celery worker died (exit {celery_worker.process.returncode}):\n{celery_worker.log_tail()}",
                    pytrace=False)
    assert celery_app.conf.task_always_eager is False, "integration tests must publish to the broker"
    assert settings.SITE_URL == SITE_URL, "tests/conftest.py and the worker must agree on SITE_URL"
    new_sla_policy_token()
    celery_worker.test_log_offset = celery_worker.log_path.stat().st_size
    return celery_worker


def new_sla_policy_token() -> None:
    """The worker keeps a copy of the SLA policies (takedowns/workflow/clocks.py) and reads them again
    when the token in the shared cache changes. A transactional test ends by flushing every table,
    behind the model signals that would write a new token, so each test starts with a new one.
    Written to the worker's cache (Redis, as configured in portal.settings), not to this process's,
    which tests/conftest.py replaces with a local one."""
    config = portal_settings.CACHES["default"]
    RedisCache(config["LOCATION"], config).set(clocks.POLICY_TOKEN_KEY, uuid.uuid4().hex, timeout=None)


# --- A Redis of a test's own, to stop and start again (never the machine's shared one). ---

class PrivateRedis:
    """redis-server on a free port of 127.0.0.1, without persistence: stopped and started again, it has
    lost what it held, as a Redis restarted without persistence has."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = _free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                   "--save", "", "--appendonly", "no", "--dir", str(self.directory)]
        with (self.directory / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    pytest.fail(f"private redis-server on port {self.port} did not start:\n"
                                f"{(self.directory / 'redis.log').read_text()}", pytrace=False)
                time.sleep(0.1)
        client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def private_redis(tmp_path, skip_or_fail):
    """A running private Redis; stopped at the end of the test."""
    if shutil.which("redis-server") is None:
        skip_or_fail("redis-server is not installed (apt-get install redis-server)")
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def private_worker(private_redis, smtp_server, settings, tmp_path, django_db_setup) -> Worker:
    """A worker with an embedded beat (the relay, the sweeps) whose broker and cache are the private
    Redis; this process publishes to it and caches in it too, as web processes share one Redis."""
    var_dir = tmp_path / "private-worker"
    var_dir.mkdir()
    worker = start_worker(private_redis.url, private_redis.url, smtp_server, var_dir,
                          ("--beat", "--schedule", str(var_dir / "celerybeat-schedule")))
    settings.CACHES = {"default": {**portal_settings.CACHES["default"], "LOCATION": private_redis.url}}
    try:
        with publishing_to(private_redis.url, worker.queue):
            yield worker
    finally:
        _stop(worker)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    item.stash.setdefault(PHASE_REPORTS, {})[report.when] = report
    for name in ("worker", "private_worker"):
        if report.failed and name in getattr(item, "fixturenames", ()):
            test_worker = item.funcargs.get(name) if hasattr(item, "funcargs") else None
            if isinstance(test_worker, Worker):
                report.sections.append((f"celery worker log (this test, {name})",
                                        test_worker.log_tail(since=test_worker.test_log_offset)))
    return report
