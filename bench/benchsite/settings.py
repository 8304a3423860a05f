"""Bench-only settings: exactly the production settings of portal.settings (all from the
environment, DEBUG=false), plus a URLconf that adds the ceiling view /bench/insert/.

Differences from production, all outside the measured code paths:
- ROOT_URLCONF adds /bench/insert/ in front of portal.urls;
- STATIC_ROOT points into bench/out/ so collectstatic does not write into the project;
- the Celery worker's remote control (pidbox) is off, so the bench creates no shared keys in
  Redis besides its own uniquely named queue.
"""

from pathlib import Path

from portal.settings import *  # noqa: F401,F403

BENCH_OUT = Path(__file__).resolve().parent.parent / "out"

ROOT_URLCONF = "benchsite.urls"
STATIC_ROOT = BENCH_OUT / "staticfiles"
CELERY_WORKER_ENABLE_REMOTE_CONTROL = False

