"""The API's filing (issue 15's "Performance"): `bench/api [--smoke]`. On a fresh PostgreSQL database of its own
(bench_api), with the production settings (DEBUG=false, everything on 127.0.0.1), through Django's test Client in
this process (the whole request: middleware, ninja's parsing, the key's lookup and rate limit, the form's checks,
the filing, the response):

1. a 3-listing notice, POST /api/v1/notices by a verified organisation's key (filed, confirmed in the same
   transaction, its routing task published to Redis through the dispatch outbox) vs the one-INSERT ceiling,
   POST /bench/insert/ (benchsite: parse a small POST, INSERT one row, commit), in interleaved pairs (the order
   alternates), medians and their ratio (ceiling / API: the API's share of the ceiling's rate; target >= 0.3);
2. a 10,000-listing notice accepted (201): the whole request, median of --reps (target < 5 s).

Each notice reports listings of its own; the per-key filing limit is raised so that none is refused (every
request is still counted). Results: printed, written to bench/out/api-<time>.json; numbers in bench/RESULTS.md,
"The API's filing"."""

import argparse
import json
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import harness
import pg

CEILING_PATH, NOTICES_PATH = "/bench/insert/", "/api/v1/notices"


def notice_body(run: str, number: int, listings: int) -> str:
    return json.dumps({
        "submitter": {"name": "Mia Keller", "organisation": "BrandGuard Services", "email": "mia@brandguard.example",
                      "country": "DE", "role": "owner"},
        "right": {"type": "trademark", "registration_number": "018234567", "office": "EUIPO",
                  "owner": "Aerostride GmbH"},
        "description": "These sneakers carry our client's mark but it never made them; a test buy proved it.",
        "statements": {"good_faith": True, "accuracy": True}, "signature": "Mia Keller", "language": "en",
        "listings": [{"reported": f"https://shop.example/{run}/{number}/{n}", "reason": "counterfeit"}
                     for n in range(listings)],
    })


def prepare(db: str) -> str:
    """A fresh database, migrated, with the ceiling's table and a verified organisation with a key; the key."""
    from django.db import connection  # noqa: PLC0415 (Django is set up by main() first)
    from django.utils import timezone  # noqa: PLC0415 (likewise)

    from takedowns import api_keys  # noqa: PLC0415 (likewise)
    from takedowns.models import ApiKey, Organisation  # noqa: PLC0415 (likewise)
    pg.create_database(db)
    pg.migrate()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_ping (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL, "
                       "payload text NOT NULL)")
    now = timezone.now()
    org = Organisation.objects.create(
        reference="ORG-BENCH", name="BrandGuard Services", domain="brandguard.example", contact_name="Mia Keller",
        contact_email="mia@brandguard.example", country="DE", role="owner", status="verified",
        submission_key=uuid.uuid4(), tracking_token=uuid.uuid4().hex, confirmation_token=uuid.uuid4().hex,
        created_at=now, expires_at=now, confirmed_at=now, verified_at=now)
    new = api_keys.make_key()
    ApiKey.objects.create(organisation=org, name="bench", prefix=new.prefix, key_hash=new.key_hash,
                          scopes=["file", "read"], created_at=now)
    return new.key


def pairs(count: int, run: str, key: str) -> dict:
    """Ceiling and API filing, interleaved; every answer checked (the ceiling "ok", the notice 201)."""
    from django.test import Client  # noqa: PLC0415 (Django is set up by main() first)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    spent: dict[str, list[float]] = {"ceiling": [], "api": []}
    wrong: list[str] = []
    for number in range(count):
        for side in (("ceiling", "api") if number % 2 else ("api", "ceiling")):
            t0 = time.perf_counter()
            if side == "ceiling":
                response = client.post(CEILING_PATH, {"payload": f"{run}-{number}"})
                ok = response.status_code == 200
            else:
                response = client.post(NOTICES_PATH, notice_body(run, number, 3), content_type="application/json")
                ok = response.status_code == 201 and response.json()["status"] == "confirmed"
            spent[side].append(1000 * (time.perf_counter() - t0))
            if not ok:
                wrong.append(f"{side} #{number}: {response.status_code} {response.content[:200]!r}")
    ceiling, api = statistics.median(spent["ceiling"]), statistics.median(spent["api"])
    return {"pairs": count, "ceiling_ms": harness.summary_ms(spent["ceiling"], 2),
            "api_ms": harness.summary_ms(spent["api"], 2), "ratio_ceiling_over_api": round(ceiling / api, 3),
            "target_ratio": 0.3, "target_met": ceiling / api >= 0.3, "wrong": wrong[:10], "wrong_count": len(wrong)}


def large_notices(reps: int, run: str, key: str, listings: int) -> dict:
    from django.test import Client  # noqa: PLC0415 (Django is set up by main() first)

    from takedowns.models import Notice  # noqa: PLC0415 (likewise)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    seconds, wrong = [], []
    for rep in range(reps):
        body = notice_body(run + "-large", rep, listings)
        t0 = time.perf_counter()
        response = client.post(NOTICES_PATH, body, content_type="application/json")
        seconds.append(time.perf_counter() - t0)
        if response.status_code != 201:
            wrong.append(f"#{rep}: {response.status_code} {response.content[:200]!r}")
            continue
        stored = Notice.objects.get(reference=response.json()["reference"]).items.count()
        if stored != listings:
            wrong.append(f"#{rep}: {stored} listings stored of {listings}")
    return {"reps": reps, "listings": listings, "body_bytes": len(body), "seconds": [round(s, 3) for s in seconds],
            "median_s": round(statistics.median(seconds), 3), "target_s": 5.0,
            "target_met": statistics.median(seconds) < 5.0, "wrong": wrong}


def measure(args: argparse.Namespace) -> dict:
    result: dict = {"machine": harness.machine_info(), "git_head": harness.git_head(), "uptime_start": harness.uptime(),
                    "args": vars(args)}
    key = prepare(args.db)
    run = f"A{int(time.time())}"
    pairs(args.warmup, run + "-warm", key)  # each path once loaded: imports, translations, the connection
    result["filing_3_listings"] = pairs(args.pairs, run, key)
    harness.log(f"3-listing notice vs ceiling: {result['filing_3_listings']}")
    result["filing_10000_listings"] = large_notices(args.reps, run, key, args.listings)
    harness.log(f"large notice: {result['filing_10000_listings']}")
    result["uptime_end"] = harness.uptime()
    result["ok"] = (result["filing_3_listings"]["wrong_count"] == 0
                    and not result["filing_10000_listings"]["wrong"])
    return result


@contextmanager
def run_settings(prefix: str) -> Iterator[None]:
    """harness.in_process_settings, with the rate limits' cache kept (under the run's prefix too): the API's
    per-key limit is counted on every request, as in production."""
    from django.conf import settings  # noqa: PLC0415 (Django is set up by main() first)
    from django.test.utils import override_settings  # noqa: PLC0415 (likewise)
    caches = {alias: {**config, "KEY_PREFIX": f"{prefix}cache-{alias}"} for alias, config in settings.CACHES.items()}
    with override_settings(STATIC_ROOT=harness.OUT / "staticfiles", CACHES=caches):
        yield


@contextmanager
def bench_process(db: str, redis_db: int, drop: bool) -> Iterator[None]:
    """This process set up as the bench's (production settings on `db`, Redis database `redis_db` as broker and
    cache under a run's own queue and prefix, the per-key filing limit raised), and everything the run left
    in Redis removed after; `drop`: the database too."""
    harness.check_database_name(db)
    redis_url = f"redis://127.0.0.1:6379/{redis_db}"
    run_id = harness.new_run_id()
    env = harness.production_env(db, DJANGO_SETTINGS_MODULE="benchsite.settings", REDIS_URL=redis_url,
                                 CELERY_QUEUE=f"bench-api-{run_id}", RATE_LIMIT_API_FILING_KEY="1000000/m")
    harness.setup_django(env)
    harness.on_sigterm_interrupt()
    prefix = f"bench-api-{run_id}-"
    try:
        with run_settings(prefix):
            yield
    finally:
        harness.close_connections()
        if drop:
            pg.drop_database(db)
        harness.delete_keys(prefix, redis_url)
        client = harness.redis_client(redis_url)
        for pattern in (f"*{env['CELERY_QUEUE']}*", "_kombu*"):
            for key in client.scan_iter(match=pattern, count=1000):
                client.delete(key)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="bench_api")
    parser.add_argument("--pairs", type=int, default=300, help="pairs (ceiling, API) of 3-listing notices")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--reps", type=int, default=5, help="10,000-listing notices")
    parser.add_argument("--listings", type=int, default=10_000)
    parser.add_argument("--redis-db", type=int, default=7, help="this bench's Redis database (the broker, the cache)")
    parser.add_argument("--smoke", action="store_true", help=harness.SMOKE_HELP)
    args = parser.parse_args()
    if args.smoke:  # a database of its own, dropped after
        args.pairs, args.warmup, args.reps, args.listings = 10, 3, 1, 2_000
        args.db = "bench_api_smoke" if args.db == "bench_api" else args.db
    with bench_process(args.db, args.redis_db, drop=args.smoke):
        result = measure(args)
    path = harness.OUT / f"api-{time.strftime('%Y%m%d-%H%M%S')}.json"
    harness.write_json(path, result)
    harness.log(f"results: {harness.shown(path)}")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
