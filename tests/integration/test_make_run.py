"""`make run` as a person starts it: the commands the Makefile runs (read with `make -n run`, so that
a change to the Makefile or Procfile.dev is what is tested), on a free port and a temporary VAR_DIR,
with the laptop defaults (SQLite, the file-system broker, e-mails as .eml files). The demo seeds'
notices are routed by the worker, which writes "is with a reviewer" and "new notice for you"; the
links in those e-mails must lead to the web process (issue 10, item 3: honcho gives the worker and
beat ports of their own, and SITE_URL used to follow them).

Needs no PostgreSQL or Redis, so it runs in every layer; bounded in time, and every process it
starts (honcho and its children, in a session of their own) is stopped at the end.
"""

import email
import email.policy
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 60
MAIL_SECONDS = 90
STOP_SECONDS = 20
COMMAND_SECONDS = 120
# What the caller's environment must not decide: `make run` on a laptop has none of these set.
NOT_INHERITED = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CELERY_QUEUE", "EMAIL_URL", "SITE_URL", "PORT",
                 "DEBUG", "DEMO_MODE", "VAR_DIR", "DJANGO_SETTINGS_MODULE", "MAKEFLAGS", "MAKELEVEL", "MFLAGS")
URL = re.compile(r"https?://[^\s<>\"']+")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _environment(var_dir: Path) -> dict[str, str]:
    clean = {name: value for name, value in os.environ.items()
             if name not in NOT_INHERITED and not name.endswith("_FILE")}
    return {**clean, "VAR_DIR": str(var_dir), "PYTHONUNBUFFERED": "1"}


def make_run_commands(port: int, env: dict[str, str]) -> dict[str, str]:
    """`make run`'s command lines for migrate, load_seeds and honcho, with this interpreter's bin/."""
    dry_run = subprocess.run(["make", "--no-print-directory", "-n", "run", f"PORT={port}",
                              f"BIN={Path(sys.executable).parent}"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=COMMAND_SECONDS)
    assert dry_run.returncode == 0, dry_run.stderr
    steps = {"migrate": "manage.py migrate", "load_seeds": "manage.py load_seeds", "honcho": "honcho -f Procfile.dev"}
    commands = {}
    for step, marker in steps.items():
        [commands[step]] = [line for line in dry_run.stdout.splitlines() if marker in line]
    return commands


@dataclass
class DemoSite:
    url: str
    mail_dir: Path
    log_path: Path

    def log_tail(self, lines: int = 80) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def _wait_until_the_web_answers(site: DemoSite, honcho: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_SECONDS
    while True:
        if honcho.poll() is not None:
            pytest.fail(f"honcho exited with {honcho.returncode}:\n{site.log_tail()}", pytrace=False)
        try:
            with urllib.request.urlopen(f"{site.url}/", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"the web process did not answer within {START_SECONDS}s:\n{site.log_tail()}", pytrace=False)
        time.sleep(0.3)


def _stop(honcho: subprocess.Popen) -> None:
    """honcho stops its processes on SIGTERM; whatever is left of its session is killed."""
    if honcho.poll() is None:
        honcho.send_signal(signal.SIGTERM)
        try:
            honcho.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(honcho.pid, signal.SIGKILL)  # the session started for it: honcho, web, worker, beat
    except ProcessLookupError:
        pass
    if honcho.poll() is None:
        honcho.wait(timeout=STOP_SECONDS)


@pytest.fixture
def demo_site(tmp_path, skip_or_fail):
    """`make run PORT=<free port>` with VAR_DIR in tmp_path: migrated, seeded, web, worker and beat up."""
    if not shutil.which("make"):
        skip_or_fail("this test runs `make -n run`, and make is not installed")
    port = _free_port()
    env = _environment(tmp_path / "var")
    commands = make_run_commands(port, env)
    for step in ("migrate", "load_seeds"):
        done = subprocess.run(["bash", "-c", commands[step]], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=COMMAND_SECONDS)
        assert done.returncode == 0, f"{step}: {done.stdout}\n{done.stderr}"
    site = DemoSite(f"http://127.0.0.1:{port}", tmp_path / "var" / "mail", tmp_path / "honcho.log")
    with site.log_path.open("wb") as log:
        honcho = subprocess.Popen(["bash", "-c", commands["honcho"]], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_until_the_web_answers(site, honcho)
        yield site
    finally:
        _stop(honcho)


def _messages(mail_dir: Path) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            for path in sorted(mail_dir.glob("*.eml"))]


def _text(message: email.message.EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def wait_for_worker_mail(site: DemoSite) -> list[email.message.EmailMessage]:
    """Every e-mail written once the worker has routed a seed notice and written both of its e-mails."""
    deadline = time.monotonic() + MAIL_SECONDS
    while True:
        messages = _messages(site.mail_dir) if site.mail_dir.exists() else []
        subjects = [str(message["Subject"]) for message in messages]
        if (any(subject.endswith("is with a reviewer") for subject in subjects)
                and any(subject.startswith("New notice for you") for subject in subjects)):
            return messages
        if time.monotonic() > deadline:
            pytest.fail(f"no e-mail from the worker's routing within {MAIL_SECONDS}s; e-mails: {subjects}\n"
                        f"{site.log_tail()}", pytrace=False)
        time.sleep(0.5)


def test_the_links_in_the_workers_emails_lead_to_the_web_process_under_make_run(demo_site):
    messages = wait_for_worker_mail(demo_site)

    links = {str(message["Subject"]): URL.findall(_text(message)) for message in messages}
    elsewhere = {subject: [link for link in found if link != demo_site.url and not link.startswith(f"{demo_site.url}/")]
                 for subject, found in links.items()}
    assert {subject: found for subject, found in elsewhere.items() if found} == {}

    routed = next(message for message in messages if str(message["Subject"]).endswith("is with a reviewer"))
    reference = str(routed["Subject"]).split()[1]
    [tracking_link] = [link for link in links[str(routed["Subject"])] if "/track/" in link]
    with urllib.request.urlopen(tracking_link, timeout=10) as page:
        assert page.status == 200
        assert f"Notice {reference}" in page.read().decode()

    assigned = next(message for message in messages if str(message["Subject"]).startswith("New notice for you"))
    [review_link] = [link for link in links[str(assigned["Subject"])] if "/review/" in link]
    with urllib.request.urlopen(review_link, timeout=10) as page:  # the reviewer's log-in, then the notice
        assert (page.status, page.url.startswith(f"{demo_site.url}/review/login/")) == (200, True)
