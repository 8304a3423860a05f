"""Routing in batches (issue 15, point 5): `bench/routing [--smoke]`, side by side in one run, in this process
(one process and one connection: what one worker's routing work costs, without the broker's share, which
bench/run part B measures with its `one_by_one` variant):

1. bursts: --notices confirmed notices of 3 listings each (bench/run's generator: distinct listings, one in ten
   not at the marketplace, a third of the rights in the verified register), routed by workflow.route_notices in
   batches of --batch, and the same number routed one by one by workflow.route_notice, alternating which goes
   first rep by rep (--reps); notices/s, CPU ms per notice of this process (the worker's share) and of the
   database's PostgreSQL backends; each rep's notices closed after it, so every rep starts without backlog;
2. a notice of --big listings (all at the marketplace, one seller in ten of the catalogue's), accepted (bulk
   inserted, confirmed) and routed by route_notices: listings/s, the same CPU split, and this process's peak
   resident memory before and after (a bounded cost: chunks of 2,000 references and 1,000 rows per statement).

PostgreSQL database --db (reset first; a smoke run's is dropped at the end), Redis database 10 (the e-mails'
send tasks are published to a queue of the run's own, which nobody consumes; deleted at the end).
Results: bench/out/routing-<time>.json and bench/RESULTS.md, "Routing in batches"."""

import argparse
import random
import resource
import statistics
import sys
import time
from decimal import Decimal

import harness
import pg
from cpu import CpuMeter

TARGET_NOTICES_PER_S, TARGET_LISTINGS_PER_S = 200, 1000


def backends() -> list[int]:
    """The PostgreSQL backends of this database (this process's connection)."""
    from django.db import connection  # noqa: PLC0415 (Django is set up by main() first)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        return [pid for (pid,) in cursor.fetchall()]


def timed(work) -> dict:
    """Wall and CPU seconds of work(): this process's and the database backends' (cpu.CpuMeter)."""
    meter = CpuMeter({"postgres_bench_db": backends})
    meter.start()
    t0, c0 = time.perf_counter(), time.process_time()
    work()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    usage = meter.stop()
    return {"wall": wall, "cpu": cpu, "pg": usage["cpu_s"].get("postgres_bench_db", 0.0),
            "busy": usage["machine_busy_pct"]}


def burst(variant: str, args: argparse.Namespace, rng: random.Random, listings, site_url: str) -> dict:
    """One rep of one variant: the notices created, routed (batch or one by one), counted, closed."""
    import run_phases  # noqa: PLC0415 (imports the app, set up by main() first)
    from django.utils import timezone  # noqa: PLC0415 (likewise)

    from takedowns import workflow  # noqa: PLC0415 (likewise)
    from takedowns.models import Notice  # noqa: PLC0415 (likewise)
    low, high = run_phases.create_confirmed_notices(args.notices, rng, listings, site_url)
    ids = list(Notice.objects.filter(pk__gte=low, pk__lte=high).order_by("pk").values_list("pk", flat=True))

    def route() -> None:
        if variant == "batch":
            for start in range(0, len(ids), args.batch):
                workflow.route_notices(ids[start:start + args.batch], timezone.now())
        else:
            for notice_id in ids:
                workflow.route_notice(notice_id, timezone.now())

    spent = timed(route)
    routed = Notice.objects.filter(pk__in=ids, routed_at__isnull=False).count()
    in_review = Notice.objects.filter(pk__in=ids, status="in_review").count()
    run_phases.close_notices(low, high)
    result = {"variant": variant, "notices": len(ids), "routed": routed, "in_review": in_review,
              "seconds": round(spent["wall"], 2), "notices_per_s": round(routed / spent["wall"], 1),
              "worker_cpu_ms_per_notice": round(1000 * spent["cpu"] / routed, 2),
              "pg_cpu_ms_per_notice": round(1000 * spent["pg"] / routed, 2), "machine_busy_pct": round(spent["busy"])}
    harness.log(f"burst, {variant}: {result}")
    return result


def big_notice(size: int, rng: random.Random, site_url: str, rep: int) -> dict:
    """A confirmed notice of `size` listings, new to the catalogue (so none is a duplicate), routed at once."""
    import run_phases  # noqa: PLC0415 (imports the app, set up by main() first)
    from django.db import transaction  # noqa: PLC0415 (likewise)
    from django.db.models import Count  # noqa: PLC0415 (likewise)
    from django.utils import timezone  # noqa: PLC0415 (likewise)

    from takedowns import workflow  # noqa: PLC0415 (likewise)
    from takedowns.models import Event, Listing, NoticeItem, Seller  # noqa: PLC0415 (likewise)
    sellers = list(Seller.objects.order_by("pk")[:4])
    now = timezone.now()
    with transaction.atomic():
        Listing.objects.bulk_create([Listing(
            external_id=f"L-{8000000 + rep * 100000 + number}", seller=sellers[number % len(sellers)],
            title=f"Big notice listing {number}", category="shoes", price=Decimal("19.99"))
            for number in range(size)], batch_size=2000)
        notice = run_phases._notice(rng, run_phases.rights_rows(), workflow.new_reference(), now)
        notice.save()
        NoticeItem.objects.bulk_create([NoticeItem(notice=notice, position=number + 1, reason="counterfeit",
                                                   reported=f"{site_url}/listings/L-{8000000 + rep * 100000 + number}/")
                                        for number in range(size)], batch_size=2000)
        Event.objects.create(notice=notice, kind="confirmed", actor_kind="submitter", from_status="unconfirmed",
                             to_status="confirmed", created_at=now)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    spent = timed(lambda: workflow.route_notices([notice.pk], timezone.now()))
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    notice.refresh_from_db()
    states = dict(notice.items.order_by().values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    run_phases.close_notices(notice.pk, notice.pk)
    result = {"listings": size, "status": notice.status, "item_states": states, "seconds": round(spent["wall"], 2),
              "listings_per_s": round(size / spent["wall"]), "worker_cpu_s": round(spent["cpu"], 2),
              "pg_cpu_s": round(spent["pg"], 2), "peak_rss_mb_before": rss_before, "peak_rss_mb_after": rss_after,
              "machine_busy_pct": round(spent["busy"])}
    harness.log(f"notice of {size} listings, rep {rep}: {result}")
    return result


def summary(reps: list[dict], key: str) -> dict:
    values = [rep[key] for rep in reps]
    return {"values": values, "median": round(statistics.median(values), 2)}


def measure(args: argparse.Namespace, env: dict) -> dict:
    import run_phases  # noqa: PLC0415 (imports the app, set up by main() first)
    result: dict = {"machine": harness.machine_info(), "git_head": harness.git_head(), "args": vars(args),
                    "uptime_start": harness.uptime()}
    pg.create_database(args.db)
    run_phases.prepare_database()
    rng = random.Random(15)
    result["seed"] = run_phases.seed(rng, args.sellers, args.listings)
    from takedowns.models import Listing  # noqa: PLC0415 (the app, set up by main() first)
    listings = run_phases.ListingPool(list(Listing.objects.order_by("pk").values_list("external_id", flat=True)), rng)
    site_url = env["SITE_URL"]
    burst("batch", argparse.Namespace(**{**vars(args), "notices": 50}), rng, listings, site_url)  # warm-up
    reps = []
    for rep in range(args.reps):
        order = ("batch", "one_by_one") if rep % 2 == 0 else ("one_by_one", "batch")
        reps += [{**burst(variant, args, rng, listings, site_url), "rep": rep + 1} for variant in order]
    result["bursts"] = reps
    by_variant = {variant: [r for r in reps if r["variant"] == variant] for variant in ("batch", "one_by_one")}
    result["burst_summary"] = {variant: {key: summary(rows, key) for key in (
        "notices_per_s", "worker_cpu_ms_per_notice", "pg_cpu_ms_per_notice")} for variant, rows in by_variant.items()}
    batch, alone = (result["burst_summary"][v]["notices_per_s"]["median"] for v in ("batch", "one_by_one"))
    result["burst_ratio_of_medians"] = round(batch / alone, 2)
    result["big"] = [big_notice(args.big, rng, site_url, rep) for rep in range(args.big_reps)]
    result["big_summary"] = {key: summary(result["big"], key) for key in ("listings_per_s", "seconds", "worker_cpu_s",
                                                                         "pg_cpu_s", "peak_rss_mb_after")}
    result["uptime_end"] = harness.uptime()
    result["ok"] = all(r["routed"] == r["notices"] for r in reps) and all(
        b["status"] == "in_review" and b["item_states"] == {"in_review": args.big} for b in result["big"])
    result["targets"] = {"notices_per_s": TARGET_NOTICES_PER_S, "met": batch >= TARGET_NOTICES_PER_S,
                         "listings_per_s": TARGET_LISTINGS_PER_S,
                         "big_met": result["big_summary"]["listings_per_s"]["median"] >= TARGET_LISTINGS_PER_S}
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="bench_route")
    parser.add_argument("--notices", type=int, default=2000, help="notices per burst")
    parser.add_argument("--batch", type=int, default=50, help="notices per route_notices call")
    parser.add_argument("--reps", type=int, default=3, help="bursts of each variant, alternating")
    parser.add_argument("--big", type=int, default=10_000, help="listings of the big notice")
    parser.add_argument("--big-reps", type=int, default=3)
    parser.add_argument("--listings", type=int, default=40_000)
    parser.add_argument("--sellers", type=int, default=40)
    parser.add_argument("--smoke", action="store_true", help=harness.SMOKE_HELP)
    args = parser.parse_args()
    if args.smoke:  # a database of its own, dropped after
        args.notices, args.reps, args.big, args.big_reps, args.listings = 100, 1, 1000, 1, 2000
        args.db = "bench_route_smoke" if args.db == "bench_route" else args.db
    run_id = harness.new_run_id()
    redis_url = "redis://127.0.0.1:6379/10"
    env = harness.production_env(args.db, REDIS_URL=redis_url, CELERY_QUEUE=f"bench-route-{run_id}")
    harness.setup_django(env)
    prefix = f"bench-route-{run_id}-"
    try:
        with harness.in_process_settings(prefix):
            result = measure(args, env)
    finally:
        harness.close_connections()
        if args.smoke:
            pg.drop_database(args.db)
        harness.delete_keys(prefix, redis_url)
        client = harness.redis_client(redis_url)
        for key in client.scan_iter(match=f"*{env['CELERY_QUEUE']}*", count=1000):
            client.delete(key)
    path = harness.OUT / f"routing-{time.strftime('%Y%m%d-%H%M%S')}.json"
    harness.write_json(path, result)
    harness.log(f"results: {harness.shown(path)}")
    harness.log(f"bursts: {result['burst_summary']}; batch/one-by-one {result['burst_ratio_of_medians']}x; "
                f"big notice: {result['big_summary']}")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
