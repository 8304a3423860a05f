"""The webhook delivery bench of issue 15: `bench/webhooks` (= .venv/bin/python bench/webhooks_bench.py).

The targets: p95 < 5 s from a state change to its webhook's receipt with the receiver up; 0 lost over a
2-minute receiver outage. The stack: a real `celery worker` (--concurrency 2) and `celery beat` (its sweep of
due deliveries, webhooks.due_batches, every 5 s) with the production settings (DEBUG=false, through
benchsite.settings), PostgreSQL database bench_hooks (bench_hooks_smoke_<run id> for --smoke, dropped after),
Redis database 8 (--redis-db) as the broker with a queue of the run's own (its keys deleted at the end), and
the suite's test receiver (tests/webhook_receiver.py: checks every signature, de-duplicates by Webhook-Id) in
this process on 127.0.0.1.

The load: a verified organisation with one endpoint (the receiver) files --rate notices a second (3 listings
each) through workflow.file_for_organisation in this process, as the API does; each gives two webhook events
at filing (filed, confirmed) and one when the worker routes it (routed, with its listings' resolution).
- phase "up" (--up-seconds, 45): latency = receipt (first copy) - the event's created_at (the change's time);
  before the outage the bench waits until every event so far was received (the routing of the last notices);
- phase "outage" (--outage-seconds, 120): the receiver is down (connections refused) while filing goes on;
- phase "back" (--back-seconds, 15 of filing, then at most --drain-seconds, 240, of waiting): the receiver is up
  again; the bench waits until every webhook event of the run in the database was received at least once.
The verdict (exit 0 only if all hold): phase up's p95 < --p95-target (5 s); lost = 0 (events in the database
never received), every delivery DELIVERED, no bad signature. Reported: latencies (p50/p95/max) per phase, the
outage's events' time to arrive after the receiver came back, duplicates, attempts, deliveries by status.
Results: the summary on stdout and bench/out/webhooks-<time>.json; the worker's and beat's logs in
bench/out/webhooks-<run id>/. Exit status 2: the bench itself broke (or was interrupted).
"""

import argparse
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import harness
import pg

SMOKE = {"up_seconds": 8.0, "outage_seconds": 12.0, "back_seconds": 4.0, "drain_seconds": 90.0, "listings": 120,
         "sellers": 6}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run-id", type=harness.run_id, default=None, help="names the queue and log folder")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--rate", type=float, default=2.0, help="notices filed per second (3 webhook events each)")
    parser.add_argument("--up-seconds", type=float, default=45.0)
    parser.add_argument("--outage-seconds", type=float, default=120.0)
    parser.add_argument("--back-seconds", type=float, default=15.0, help="filing goes on this long after the outage")
    parser.add_argument("--drain-seconds", type=float, default=240.0,
                        help="then wait at most this long for every event to be received")
    parser.add_argument("--p95-target", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=2, help="the celery worker's --concurrency")
    parser.add_argument("--redis-db", type=int, default=8)
    parser.add_argument("--listings", type=int, default=600)
    parser.add_argument("--sellers", type=int, default=20)
    args = harness.parse_args(parser, SMOKE, argv)
    args.run_id = args.run_id or harness.new_run_id()
    args.db = harness.check_database_name(f"bench_hooks_smoke_{args.run_id}" if args.smoke else "bench_hooks")
    return args


def stack_env(args: argparse.Namespace, run_dir: Path) -> dict[str, str]:
    redis_url = urlsplit(harness.REDIS_URL)._replace(path=f"/{args.redis_db}").geturl()
    prefix = f"bench-{args.run_id}-"
    return harness.production_env(
        args.db, DJANGO_SETTINGS_MODULE="benchsite.settings", REDIS_URL=redis_url, CELERY_QUEUE=prefix + "hooks",
        BENCH_CACHE_PREFIX=prefix + "cache", VAR_DIR=str(run_dir / "var"))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return harness.exit_status(lambda: measure(args), print_summary)


def measure(args: argparse.Namespace) -> dict:
    run_dir = harness.OUT / f"webhooks-{args.run_id}"
    env = stack_env(args, run_dir)
    harness.setup_django(env)
    procs = harness.Processes()
    report: dict = {"run_id": args.run_id, "started": time.strftime("%Y-%m-%d %H:%M:%S"), "args": vars(args),
                    "git_head": harness.git_head(), "machine": harness.machine_info(), "logs": harness.shown(run_dir)}

    def stop() -> None:
        procs.stop_all()
        harness.delete_keys(f"bench-{args.run_id}-", env["REDIS_URL"])

    def drop() -> None:
        if args.smoke and not args.keep:
            pg.drop_database(args.db)

    def results_path() -> Path:
        return harness.OUT / f"webhooks-{time.strftime('%Y%m%d-%H%M%S')}.json"

    with harness.recorded(report, results_path, cleanup=[stop, drop]):
        import webhooks_load  # noqa: PLC0415 - imports the app's models, which need django.setup() in this environment

        webhooks_load.run(args, env, run_dir, procs, report)
    return report


def print_summary(report: dict) -> None:
    print(f"\n==== bench/webhooks (git {report['git_head']}, {report['seconds']}s, status: {report['status']}) ====")
    for name, phase in report["phases"].items():
        print(f"{name}: {phase['notices']} notices, {phase['events']} webhook events; latency (change -> receipt) "
              f"p50 {phase['p50_s']} s, p95 {phase['p95_s']} s, max {phase['max_s']} s")
    totals = report["totals"]
    print(f"events {totals['events']}, received {totals['received']}, lost {totals['lost']}, duplicates "
          f"{totals['duplicates']}, bad signatures {totals['rejected']}; attempts {totals['attempts']} "
          f"({totals['failed_attempts']} failed); deliveries {totals['deliveries']}; outage events all in "
          f"{report['recovery']['all_in_s']} s after the receiver came back")
    for problem in report["problems"]:
        print(f"  FAILED {problem}")


if __name__ == "__main__":
    sys.exit(main())
