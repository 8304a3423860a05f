"""Listing screening on the paths a marketplace uses (issue 14's "Performance"): `bench/screening_paths [--reuse]`.
On the database bench/screening.py loads (bench_engine: 100,000 protected terms, ~1,000,000 stay-down
fingerprints; loaded here too when it is missing), with the production settings, everything on 127.0.0.1:

1. hook: what publishing one listing costs a marketplace: POST /marketplace/listings/ (the JSON hook, one listing,
   through Django's test Client in this process: the whole request, middleware, the hook's parsing, the seller
   mirrored, the listing written, its picture read and hashed, screened, recorded, published) with screening
   on vs off (SCREENING_ENABLED=False: the same code path minus screening), in interleaved pairs (the order
   alternates), medians and their ratio; for clean listings (they publish, as most do) and for a mix of kinds
   (holds and blocks open cases);
2. burst in one process: a bulk import of --burst PENDING listings (import_listings, as the hook's burst does),
   drained chunk by chunk (200, as dispatched) by screen_pending: the chunk path (screen_many, rows in bulk),
   the one-by-one path of c905534 (benchsite/screening_oldpath.py) and screening off, each on its own import of
   the same kinds, listings/s;
3. burst through a real `celery worker` (prefork, its default concurrency: one child per core) on Redis
   (--redis-db, a database of this bench's own) and a queue of this run's own: the import committed, its
   screen_listings tasks published through the dispatch outbox as in production, timed from the commit to the
   last listing screened; the worker with the chunk path, then with the old path.

Results: bench/RESULTS.md, "Listing screening on the marketplace's paths"."""

import argparse
import json
import random
import statistics
import sys
import time
import uuid
from decimal import Decimal

import harness
import pg
import screening as engine_bench
from cpu import CpuMeter, children_of

# The demo catalogue's 40 product pictures: a marketplace's sellers reuse pictures (a product, its variants).
PRODUCTS = ("sneaker", "handbag", "watch", "perfume", "headphones", "sunglasses", "teddy", "lamp")
VARIANTS = ("", "-resized", "-recompressed", "-recoloured", "-cropped")
PICTURES = [f"demo-listings/products/{product}{variant}.png" for product in PRODUCTS for variant in VARIANTS]
HOOK_KINDS = ("clean", "plain_brand", "disguised_brand", "low_price", "relist_same_seller", "relist_other_seller")
# A seller's catalogue: mostly clean, one in five naming a brand plainly (resale), one in fifty disguised (held).
BURST_KINDS = ("clean",) * 39 + ("plain_brand",) * 10 + ("disguised_brand",)
# bench/screening.py's burst: one in five disguised (held), each hold opening its case.
HOLD_HEAVY_KINDS = ("clean", "plain_brand", "clean", "clean", "disguised_brand")
EXPECTED = engine_bench.EXPECTED


def listing_text(kind: str, number: int, chooser: random.Random, planted: list[dict]) -> dict:
    """Title, description, price and seller of a listing of `kind` (as bench/screening.py makes them)."""
    seller_id = 1 + chooser.randrange(engine_bench.SELLERS)
    title, description = engine_bench.sentence(chooser, 8), engine_bench.sentence(chooser, 30)
    price = Decimal("150.00")
    right_id = 1 + (number % engine_bench.RIGHTS)
    if kind == "plain_brand":
        while right_id % 10 == 0:  # a right with authorised sellers would hold it (unauthorised_seller)
            right_id = 1 + chooser.randrange(engine_bench.RIGHTS)
        title = f"{engine_bench.term_word(right_id - 1)} {engine_bench.sentence(chooser, 7)}"
    elif kind == "disguised_brand":
        title = f"{'.'.join(engine_bench.term_word(chooser.randrange(100_000)).upper())} {title}"
    elif kind == "low_price":
        word = engine_bench.term_word(right_id - 1 if right_id % 10 else right_id)
        title, price = f"{word} {title}", Decimal("20.00")
    elif kind.startswith("relist"):
        removed = planted[chooser.randrange(len(planted))]
        title, description = removed["title"], removed["description"] + " fast shipping"
        seller_id = (removed["seller_id"] if kind == "relist_same_seller"
                     else 1 + removed["seller_id"] % engine_bench.SELLERS)
    # A relist matches by its text, without a picture: a block fingerprints its listing, and with one of the
    # shared demo pictures every later listing showing it would be "like a removed listing".
    image = "" if kind.startswith("relist") else PICTURES[chooser.randrange(len(PICTURES))]
    return {"title": title, "description": description, "price": price, "seller_id": seller_id,
            "image": image, "attributes": {"colour": chooser.choice(engine_bench.WORDS)}}


def hook_body(external_id: str, text: dict) -> str:
    seller = text["seller_id"]
    return json.dumps({
        "external_id": external_id, "title": text["title"], "description": text["description"],
        "attributes": text["attributes"], "price": str(text["price"]), "currency": "EUR", "category": "shoes",
        "image": text["image"],
        "seller": {"external_id": f"S-{seller}", "name": f"Seller {seller}", "country": "DE",
                   "email": f"seller{seller}@bench.example", "language": "en"}})


QUERY_COUNT_PAIRS = 12


def hook_pairs(kinds: tuple[str, ...], pairs: int, run: str, chooser: random.Random, planted: list[dict],
               token: str) -> dict:
    """POST /marketplace/listings/ with screening on and off, interleaved; each listing new (a creation)."""
    from django.db import connection  # noqa: PLC0415 (Django is set up by main() first)
    from django.test import Client  # noqa: PLC0415 (likewise)
    from django.test.utils import CaptureQueriesContext, override_settings  # noqa: PLC0415 (likewise)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    spent: dict[str, list[float]] = {"on": [], "off": []}
    queries: dict[str, list[int]] = {"on": [], "off": []}
    outcomes: dict[str, dict[str, int]] = {"on": {}, "off": {}}
    wrong: list[str] = []
    for number in range(pairs):
        kind = kinds[number % len(kinds)]
        text = listing_text(kind, number, chooser, planted)
        for side in (("on", "off") if number % 2 else ("off", "on")):
            body = hook_body(f"{run}-{kind[:5]}-{number}-{side}", text)
            counted = number >= pairs - QUERY_COUNT_PAIRS  # the last pairs count queries (apart: a debug cursor)
            with override_settings(SCREENING_ENABLED=side == "on"):
                if counted:
                    connection.queries_log.clear()
                    with CaptureQueriesContext(connection) as captured:
                        response = client.post("/marketplace/listings/", body, content_type="application/json")
                    queries[side].append(len(captured))
                else:
                    t0 = time.perf_counter()
                    response = client.post("/marketplace/listings/", body, content_type="application/json")
                    spent[side].append(1000 * (time.perf_counter() - t0))
            outcome = response.json().get("outcome", f"HTTP {response.status_code}")
            outcomes[side][outcome] = outcomes[side].get(outcome, 0) + 1
            expected = EXPECTED[kind] if side == "on" else "publish"
            if response.status_code != 200 or outcome != expected:
                wrong.append(f"{side} {kind} #{number}: {response.status_code} {outcome}")
    on, off = statistics.median(spent["on"]), statistics.median(spent["off"])
    return {"pairs": pairs - QUERY_COUNT_PAIRS, "kinds": list(kinds),
            "screening_on_ms": harness.summary_ms(spent["on"], 2),
            "screening_off_ms": harness.summary_ms(spent["off"], 2), "ratio_of_medians": round(on / off, 2),
            "queries_median": {side: statistics.median(counts) for side, counts in queries.items()},
            "outcomes": outcomes, "wrong": wrong[:10], "wrong_count": len(wrong)}


def profile_hook(count: int, run: str, chooser: random.Random, planted: list[dict], token: str) -> None:
    """cProfile of `count` hook requests with screening on (clean listings): the top of the cumulative times."""
    import cProfile  # noqa: PLC0415 (only here)
    import pstats  # noqa: PLC0415 (likewise)

    from django.test import Client  # noqa: PLC0415 (Django is set up by main() first)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    bodies = [hook_body(f"{run}-{number}", listing_text("clean", number, chooser, planted)) for number in range(count)]
    profiler = cProfile.Profile()
    profiler.enable()
    for body in bodies:
        client.post("/marketplace/listings/", body, content_type="application/json")
    profiler.disable()
    path = harness.OUT / f"screening-paths-hook-{time.strftime('%Y%m%d-%H%M%S')}.prof"
    profiler.dump_stats(path)
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("cumulative").print_stats(
        r"takedowns/(screening|imaging|staydown|workflow/screening|marketplace)", 40)
    harness.log(f"profile: {harness.shown(path)}")


def import_burst(count: int, run: str, chooser: random.Random, planted: list[dict], dispatch: bool,
                 kinds: tuple[str, ...] = BURST_KINDS) -> list[list[int]]:
    """import_listings of `count` new listings (BURST_KINDS in rotation, 10 sellers' catalogues): written PENDING
    in one transaction. The chunks it asks the worker for (dispatch=True: published through the outbox as in
    production) are returned; dispatch=False keeps them here (nothing is published)."""
    from takedowns.models import Seller  # noqa: PLC0415 (Django is set up by main() first)
    from takedowns.workflow import listings  # noqa: PLC0415 (likewise)
    sellers = {seller.pk: seller for seller in Seller.objects.filter(pk__in=range(1, 11))}
    rows = []
    for number in range(count):
        text = listing_text(kinds[number % len(kinds)], number, chooser, planted)
        fields = listings.ListingFields(title=text["title"], description=text["description"], category="shoes",
                                        price=text["price"], currency="EUR", attributes=text["attributes"],
                                        image=text["image"])
        rows.append((sellers[1 + number % 10], f"{run}-{number}", fields))
    chunks: list[list[int]] = []
    original = listings._dispatch_screening
    if not dispatch:
        listings._dispatch_screening = lambda ids, trigger: chunks.extend(  # type: ignore[assignment]
            ids[start:start + listings.SCREEN_CHUNK] for start in range(0, len(ids), listings.SCREEN_CHUNK))
    try:
        from django.utils import timezone  # noqa: PLC0415 (likewise)
        imported = listings.import_listings(rows, timezone.now())
    finally:
        listings._dispatch_screening = original
    if dispatch:
        chunks = [sorted(imported.pending.values())]
    return chunks


def outcome_counts(run: str) -> dict[str, int]:
    from django.db.models import Count  # noqa: PLC0415 (Django is set up by main() first)

    from takedowns.models import Listing  # noqa: PLC0415 (likewise)
    return dict(Listing.objects.filter(external_id__startswith=run + "-").values_list("status")
                .annotate(n=Count("id")).values_list("status", "n"))


def _backends() -> list[int]:
    """The PostgreSQL backends of this database (the bench's and the worker's connections)."""
    from django.db import connection  # noqa: PLC0415 (Django is set up by main() first)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        return [pid for (pid,) in cursor.fetchall()]


def _cpu(usage: dict, listings: int) -> dict:
    """CPU ms per listing and cores used, by group (cpu.CpuMeter), and how busy the whole machine was."""
    return {"ms_per_listing": {group: round(1000 * seconds / max(1, listings), 2)
                               for group, seconds in usage["cpu_s"].items()},
            "cores_used": {group: round(seconds / usage["wall"], 2) for group, seconds in usage["cpu_s"].items()},
            "machine_busy_pct": round(usage["machine_busy_pct"], 1)}


def drain_here(name: str, count: int, run: str, chooser: random.Random, planted: list[dict], drain,
               kinds: tuple[str, ...] = BURST_KINDS) -> dict:
    """A burst imported, then its chunks drained in this process by `drain` (screen_pending or the old path)."""
    from django.utils import timezone  # noqa: PLC0415 (Django is set up by main() first)
    chunks = import_burst(count, run, chooser, planted, dispatch=False, kinds=kinds)
    meter = CpuMeter({"postgres_bench_db": _backends})
    t0, c0 = time.perf_counter(), time.process_time()
    meter.start()
    screened = sum(drain(chunk, "created", timezone.now()) for chunk in chunks)
    usage = meter.stop()
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    result = {"listings": screened, "seconds": round(seconds, 2), "per_second": round(screened / seconds),
              "cpu_ms_per_listing": round(1000 * cpu / screened, 2), "statuses": outcome_counts(run),
              "cpu": _cpu(usage, screened)}
    harness.log(f"burst in this process, {name}: {result}")
    return result


def drain_in_worker(name: str, app_module: str, count: int, run: str, chooser: random.Random, planted: list[dict],
                    env: dict, procs: "harness.Processes", timeout: float) -> dict:
    """A real `celery -A <app_module> worker` (prefork, default concurrency) on this run's queue; a warm-up burst
    first (each pool process builds its automaton), then the burst, from its import's commit to the last listing
    screened."""
    from takedowns.models import Listing  # noqa: PLC0415 (Django is set up by main() first)
    queue = env["CELERY_QUEUE"]
    # Only this burst's tasks: the hook phase's e-mail tasks (statements of blocks; the bench's SMTP address
    # refuses them, so they would sit in the worker as retries) are dropped (their outbox rows stay).
    harness.redis_client(env["REDIS_URL"]).delete(queue)
    worker = procs.start(f"celery worker ({name})", [
        str(harness.VENV_BIN / "celery"), "-A", app_module, "worker", "-Q", queue, "-n", f"{queue}-{name}@%h",
        "--pool=prefork", "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO"],
        env, harness.OUT / f"{run}-worker-{name}.log")
    try:
        for label, size, prefix in (("warm-up", 400, f"{run}-{name}w"), ("burst", count, f"{run}-{name}")):
            t0 = time.perf_counter()
            [ids] = import_burst(size, prefix, chooser, planted, dispatch=True)
            committed = time.perf_counter()
            meter = CpuMeter({"celery_worker": lambda: [worker.pid, *children_of(worker.pid)],
                              "postgres_bench_db": _backends})
            meter.start()
            deadline = committed + timeout
            waiting = size
            # Polled by the ids' range (one import: consecutive ids), not a list of 5,000: the poll's own cost
            # (0.26 of a core with `pk IN (…)` every 50 ms) is taken from the worker on this 2-core box.
            waiting_now = Listing.objects.filter(pk__gte=min(ids), pk__lte=max(ids), status="pending")
            while waiting and time.perf_counter() < deadline:
                time.sleep(0.1)
                waiting = waiting_now.count()
            seconds = time.perf_counter() - committed
            usage = meter.stop()
            if label == "burst":
                result = {"listings": size - waiting, "seconds": round(seconds, 2),
                          "per_second": round((size - waiting) / seconds), "import_seconds": round(committed - t0, 2),
                          "left_pending": waiting, "statuses": outcome_counts(prefix),
                          "cpu": _cpu(usage, size - waiting)}
                harness.log(f"burst through the celery worker, {name}: {result}")
                return result
            harness.log(f"  warm-up of {size} in {seconds:.1f}s")
    finally:
        procs.stop(worker)
    return {}


def forget_fingerprints(run: str) -> None:
    from django.db import connection, transaction  # noqa: PLC0415 (Django is set up by main() first)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE gone ON COMMIT DROP AS SELECT f.id FROM takedowns_fingerprint f "
                       "JOIN takedowns_listing l ON l.id = f.listing_id WHERE l.external_id LIKE %s", [run + "%"])
        for table in ("takedowns_screeninghit", "takedowns_fingerprintkey"):
            cursor.execute(f"DELETE FROM {table} WHERE fingerprint_id IN (SELECT id FROM gone)")
        cursor.execute("DELETE FROM takedowns_fingerprint WHERE id IN (SELECT id FROM gone)")


def bursts_here(count: int, run: str, chooser: random.Random, planted: list[dict]) -> dict:
    """The bursts drained in this process: the chunk path, c905534's path, screening off, and the first two with
    bench/screening's hold-heavy mix."""
    from benchsite.screening_oldpath import screen_pending_one_by_one  # noqa: PLC0415 (likewise)
    from django.test.utils import override_settings  # noqa: PLC0415 (Django is set up by main() first)

    from takedowns.workflow import listings  # noqa: PLC0415 (likewise)
    found = {
        "chunk_path": drain_here("chunk path", count, run + "-bc", chooser, planted, listings.screen_pending),
        "one_by_one_c905534": drain_here("one by one (c905534)", count, run + "-bo", chooser, planted,
                                         screen_pending_one_by_one),
    }
    with override_settings(SCREENING_ENABLED=False):
        found["screening_off"] = drain_here("screening off", count, run + "-bx", chooser, planted,
                                            listings.screen_pending)
    found["chunk_path_hold_heavy"] = drain_here("chunk path, 1 in 5 held", count, run + "-bh", chooser, planted,
                                                listings.screen_pending, kinds=HOLD_HEAVY_KINDS)
    found["one_by_one_hold_heavy"] = drain_here("one by one, 1 in 5 held", count, run + "-bg", chooser, planted,
                                                screen_pending_one_by_one, kinds=HOLD_HEAVY_KINDS)
    return found


def measure(args: argparse.Namespace, env: dict) -> dict:
    from django.utils import timezone  # noqa: PLC0415 (Django is set up by main() first)

    from takedowns.models import Listing  # noqa: PLC0415 (likewise)
    result: dict = {"machine": harness.machine_info(), "git_head": harness.git_head(), "uptime_start": harness.uptime(),
                    "args": vars(args), "redis": env["REDIS_URL"], "queue": env["CELERY_QUEUE"]}
    engine_bench.prepare(args, result)
    chooser, now, run = random.Random(1414), timezone.now(), f"P{int(time.time())}"
    planted = engine_bench.plant(chooser, now)
    try:
        token = env["MARKETPLACE_HOOK_TOKEN"]
        hook_pairs(("clean",), 20, run + "-warm", chooser, planted, token)  # the automaton, rules, pictures' files
        if args.profile:
            profile_hook(args.profile, run + "-prof", chooser, planted, token)
            return {**result, "ok": True}
        result["hook_clean"] = hook_pairs(("clean",), args.pairs, run + "-hc", chooser, planted, token)
        harness.log(f"hook, clean listings: {result['hook_clean']}")
        result["hook_mixed"] = hook_pairs(HOOK_KINDS, args.mixed_pairs, run + "-hm", chooser, planted, token)
        harness.log(f"hook, mixed kinds: {result['hook_mixed']}")
        result["uptime_after_hook"] = harness.uptime()
        result["burst_here"] = bursts_here(args.burst, run, chooser, planted)
        result["uptime_after_burst_here"] = harness.uptime()
        if not args.skip_worker:
            procs = harness.Processes()
            try:
                result["burst_worker"] = {
                    "chunk_path": drain_in_worker("chunk", "portal", args.burst, run + "-wc", chooser, planted, env,
                                                  procs, args.timeout),
                    "one_by_one_c905534": drain_in_worker("onebyone", "benchsite.screening_oldpath", args.burst,
                                                          run + "-wo", chooser, planted, env, procs, args.timeout),
                }
            finally:
                procs.stop_all()
        result["uptime_end"] = harness.uptime()
    finally:
        # Not reused by the next run: the run's listings leave the catalogue's pending and live states, and the
        # stay-down fingerprints of its blocks go (bench/screening.py's planted ones stay, as it keeps them).
        Listing.objects.filter(external_id__startswith=run).update(status="removed")
        forget_fingerprints(run)
    wrong = result.get("hook_clean", {}).get("wrong_count", 1) + result.get("hook_mixed", {}).get("wrong_count", 1)
    result["ok"] = wrong == 0 and all(one.get("statuses", {}).get("pending", 0) == 0
                                      for side in ("burst_here", "burst_worker")
                                      for one in result.get(side, {}).values())
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="bench_engine")
    parser.add_argument("--terms", type=int, default=100_000)
    parser.add_argument("--fingerprints", type=int, default=1_000_000)
    parser.add_argument("--pairs", type=int, default=300, help="hook pairs (on, off) of clean listings")
    parser.add_argument("--mixed-pairs", type=int, default=120, help="hook pairs of the six kinds in rotation")
    parser.add_argument("--burst", type=int, default=5000)
    parser.add_argument("--redis-db", type=int, default=12, help="this bench's own Redis database (9-15)")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds a worker may take for a burst")
    parser.add_argument("--skip-worker", action="store_true")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="only profile N hook requests (clean listings, screening on) with cProfile")
    parser.add_argument("--reuse", action="store_true", help="keep the database, and use it if it is there")
    parser.add_argument("--smoke", action="store_true", help=harness.SMOKE_HELP)
    args = parser.parse_args()
    if args.smoke:  # a database of its own, dropped after (never bench_engine)
        args.fingerprints, args.pairs, args.mixed_pairs, args.burst = 10_000, 24, 24, 400
        args.db = "bench_paths_smoke" if args.db == "bench_engine" else args.db
    if not 9 <= args.redis_db <= 15:
        parser.error("--redis-db: one of 9-15")
    redis_url = f"redis://127.0.0.1:6379/{args.redis_db}"
    run_id = harness.new_run_id()
    env = harness.production_env(args.db, REDIS_URL=redis_url, CELERY_QUEUE=f"bench-screening-{run_id}",
                                 MARKETPLACE_HOOK_TOKEN="bench-" + uuid.uuid4().hex + uuid.uuid4().hex)
    harness.setup_django(env)
    harness.on_sigterm_interrupt()  # a SIGTERM stops the workers and cleans up, as Ctrl-C does
    prefix = f"bench-screening-paths-{run_id}-"
    try:
        with harness.in_process_settings(prefix):
            result = measure(args, env)
    finally:
        if args.smoke:  # its own database, also when the run failed
            harness.close_connections()
            pg.drop_database(args.db)
        harness.delete_keys(prefix, redis_url)
        # This bench's own Redis database: the run's queue and its bindings, the workers' cache keys and kombu's
        # acknowledgement bookkeeping (no other consumer uses this database).
        client = harness.redis_client(redis_url)
        for pattern in (f"*{env['CELERY_QUEUE']}*", "takedowns:*", "unacked*", "_kombu*"):
            for key in client.scan_iter(match=pattern, count=1000):
                client.delete(key)
    path = harness.OUT / f"screening-paths-{time.strftime('%Y%m%d-%H%M%S')}.json"
    harness.write_json(path, result)
    harness.log(f"results: {harness.shown(path)}")
    # A database this run loaded is dropped (bench_engine is kept with --reuse; a smoke run's is dropped above).
    if not args.reuse and not args.smoke and "load_seconds" in result:
        pg.drop_database(args.db)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
