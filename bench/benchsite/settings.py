"""Bench-only settings: exactly the production settings of portal.settings (all from the
environment, DEBUG=false), plus a URLconf that adds the ceiling view /bench/insert/.

Differences from production, all outside the measured code paths:
- ROOT_URLCONF adds /bench/insert/ in front of portal.urls;
- STATIC_ROOT points into the bench's output folder (bench/out/, or $BENCH_OUT) so collectstatic
  does not write into the project;
- the Celery worker's remote control (pidbox) is off, and the cache keys carry the run's prefix
  ($BENCH_CACHE_PREFIX, bench-<run id>-cache), so the bench creates no shared keys in Redis: all
  its keys are named after the run and deleted at its end.
"""

import os
from pathlib import Path

from portal.settings import *  # noqa: F403
from portal.settings import CACHES

BENCH_OUT = Path(os.environ.get("BENCH_OUT") or Path(__file__).resolve().parent.parent / "out")

ROOT_URLCONF = "benchsite.urls"
STATIC_ROOT = BENCH_OUT / "staticfiles"
CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
if os.environ.get("BENCH_CACHE_PREFIX"):
    # Every cache the app has (the rate limits' counters too, where it has them) under the run's prefix.
    CACHES = {alias: {**config, "KEY_PREFIX": os.environ["BENCH_CACHE_PREFIX"] + ("" if alias == "default" else
                                                                                 f"-{alias}")}
              for alias, config in CACHES.items()}
