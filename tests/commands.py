"""manage.py in a process of its own, started with the environment a test chooses: how settings
are read at start (and refused) is tested the way production starts."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# A complete production environment: `check --deploy` passes with it.
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x7#k2" * 12,
    "ALLOWED_HOSTS": "takedowns.example.com",
    "SITE_URL": "https://takedowns.example.com",
    "DATABASE_URL": "postgres://portal:secret@db.internal:5432/portal",
    "REDIS_URL": "redis://redis.internal:6379/0",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.internal:587",
    "DEFAULT_FROM_EMAIL": "Takedowns <takedowns@example.com>",
}


def run_manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    """`python manage.py *args` with `env` over this process's environment, less every setting of
    PRODUCTION and every *_FILE secret (so that only `env` decides them)."""
    clean = {k: v for k, v in os.environ.items()
             if k not in PRODUCTION and k not in ("CELERY_BROKER_URL", "PORT") and not k.endswith("_FILE")}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env},
                          capture_output=True, text=True, timeout=120)
