"""Takedown Portal bench: one command, `bench/run` (= .venv/bin/python bench/run.py).

Design, in short:
- Resets a PostgreSQL database (default `bench`), migrates it, creates the ceiling table
  bench_ping with raw SQL, seeds sellers, listings, verified rights and reviewers with skills.
- Part A (web): gunicorn, 4 sync workers, production settings (DEBUG=false, SECRET_KEY,
  ALLOWED_HOSTS, SITE_URL, PostgreSQL, Redis broker, SMTP e-mail, SECURE_SSL_REDIRECT=false)
  through bench/benchsite/settings.py = portal.settings + the URL /bench/insert/ (one INSERT:
  the ceiling). A threaded load generator (bench/loadgen.py, 8 connections) runs rounds of
  "ceiling" and "notice POST" in ABBA order (C N N C C N ...), so drift and noise hit both;
  each notice POST carries the CSRF cookie/token (one GET per connection) and a fresh
  submission_key and must answer 302 to /notices/filed/<that key>/. No Celery worker runs:
  the confirmation e-mail's send task is only published to a unique Redis queue.
  `--baseline-tree DIR` adds a second gunicorn running DIR's app code (its own port, both up
  together, one loaded at a time; checked through GET /bench/app-code/ before measuring), rounds
  C N Cb Nb | Nb Cb N C | ..., a ratio per pair per server and current/baseline quotients.
- Part B (routing): per repetition, N confirmed notices with 3 items each are bulk-inserted
  (no tasks published by that), N route_notice tasks are published to a fresh Redis queue,
  one `celery -A portal worker -Q <queue> --concurrency=C` is started and the database is
  polled until all N are in_review. Throughput: run_phases.routing_rate (batches share a routed_at).
  The notice_routed e-mails go to the same queue (behind the routing tasks, FIFO) and are
  delivered to an in-process aiosmtpd sink; the bench waits for them before the next rep, then
  closes the rep's notices (raw SQL) so every rep starts without open backlog. `--history N`
  adds N closed notices first; `--routing-variants` measures proposed changes patched into the
  worker only (see VARIANTS).
- CPU attribution: /proc is read around every round/rep (gunicorn workers, celery worker, the
  bench's PostgreSQL backends, Redis, this process = load generator, everything else), because
  the machine is shared and the client runs on the same 2 cores as the server.
- A run that sees failed requests, failed tasks or a database mismatch exits with status 1;
  a change of git HEAD during the run is reported (other engineers commit while it runs).
- Everything started is stopped in `finally` (gunicorn, workers, SMTP sink) and the bench's
  Redis keys (only its own: queues and cache entries, all named bench-<run id>-…) are deleted.
  Results: stdout and bench/out/results-<time>.json.

This module is the command (options, the run, the report) and imports the app only after Django is
set up in the bench's environment: the phases are in run_phases.py, the CPU accounting in cpu.py, the
load generator in loadgen.py, the machinery in harness.py. `--smoke`: one short pair of rounds and
one repetition of 50 notices on a database of its own (bench_smoke_run_<run id>, dropped at the end):
a check that the bench still works, not a measurement.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import harness
import pg
from harness import log

SMOKE = {"rounds": 1, "round_seconds": 1.0, "warmup_seconds": 0.5, "notices": 50, "reps": 1, "listings": 200,
         "sellers": 10, "routing_timeout": 60.0, "email_timeout": 30.0}


def run_env(db: str, port: int, smtp_port: int, prefix: str) -> dict[str, str]:
    """The environment of every process bench/run starts (and its own): the production settings through
    benchsite.settings, a unique CELERY_QUEUE and the run's cache key prefix."""
    return harness.production_env(
        db, DJANGO_SETTINGS_MODULE="benchsite.settings", ALLOWED_HOSTS="127.0.0.1",
        SITE_URL=f"http://127.0.0.1:{port}", PORT=str(port), REDIS_URL=harness.REDIS_URL,
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}", CELERY_QUEUE=f"{prefix}web", BENCH_CACHE_PREFIX=f"{prefix}cache",
        **harness.ONE_CLIENT_LIMITS)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default=None, help="the database, reset first (default: $BENCH_DB or bench)")
    parser.add_argument("--run-id", type=harness.run_id, default=None,
                        help="names the run's Redis keys bench-<id>-… (default: random)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5, help="pairs of (ceiling, notice) rounds")
    parser.add_argument("--round-seconds", type=float, default=6.0)
    parser.add_argument("--warmup-seconds", type=float, default=2.0)
    parser.add_argument("--max-requests", type=int, default=20000, help="per round")
    parser.add_argument("--notices", type=int, default=2000, help="notices per routing repetition")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--concurrency", default="2", help="worker --concurrency values, e.g. 2 or 2,1")
    parser.add_argument("--routing-variants", default="current",
                        help="comma-separated names of VARIANTS in run_phases.py: current (the app as it is), "
                             "baseline (with --baseline-tree), proposed changes")
    parser.add_argument("--baseline-tree", help="checkout whose app code the 'baseline' routing variant's worker "
                        "and a second gunicorn in part A run (notice POST ratio current vs. baseline)")
    parser.add_argument("--routing-timeout", type=float, default=90.0)
    parser.add_argument("--stall-seconds", type=float, default=20.0,
                        help="give up a routing rep when nothing was routed for this long")
    parser.add_argument("--email-timeout", type=float, default=45.0)
    parser.add_argument("--listings", type=int, default=40000,
                        help="catalogue size; routing's notices draw distinct listings until all were drawn")
    parser.add_argument("--history", type=int, default=0,
                        help="closed notices assigned to reviewers before routing (realistic history)")
    parser.add_argument("--sellers", type=int, default=40)
    parser.add_argument("--py-spy", action="store_true",
                        help="sample gunicorn (first pair) and the worker (rep 1) with py-spy; perturbs those numbers")
    parser.add_argument("--skip-web", action="store_true")
    parser.add_argument("--skip-routing", action="store_true")
    args = harness.parse_args(parser, SMOKE, argv)
    if "baseline" in args.routing_variants.split(",") and not args.baseline_tree:
        parser.error("the 'baseline' variant needs --baseline-tree")
    if args.baseline_tree and not (Path(args.baseline_tree) / "portal" / "wsgi.py").is_file():
        parser.error(f"--baseline-tree {args.baseline_tree}: not a checkout of the portal (no portal/wsgi.py)")
    args.run_id = args.run_id or harness.new_run_id()
    args.db = args.db or (f"bench_smoke_run_{args.run_id}" if args.smoke else os.environ.get("BENCH_DB", "bench"))
    try:
        harness.check_database_name(args.db)
    except ValueError as exc:
        parser.error(str(exc))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    prefix = f"bench-{args.run_id}-"
    port, smtp_port = harness.free_port(), harness.free_port()
    env = run_env(args.db, port, smtp_port, prefix)
    harness.setup_django(env)
    import run_phases  # noqa: PLC0415 - imports the app's models, which need django.setup() in this environment

    run = run_phases.Run(args, env, prefix, smtp_port)
    report: dict = {"run_id": args.run_id, "started": time.strftime("%Y-%m-%d %H:%M:%S"), "args": vars(args)}

    def clean_redis() -> None:
        log(f"deleted {harness.delete_keys(prefix)} Redis keys of this run")

    def drop_smoke_database() -> None:
        if args.smoke:  # a real run's database is kept for inspection (and reset by the next run)
            pg.drop_database(args.db)

    def results_path() -> Path:  # named by the end time, as before the harness
        return harness.OUT / f"results-{time.strftime('%Y%m%d-%H%M%S')}.json"

    with harness.recorded(report, results_path, cleanup=[run.stop, clean_redis, drop_smoke_database]):
        run_phases.run_all(run, report)
        report["status"] = status(report)
    print_summary(report)
    return 0 if report["status"] == "ok" else 1


def status(report: dict) -> str:
    """ok, or the problems of the run: failed requests or tasks, a database mismatch, lost e-mails."""
    problems = []
    web = report.get("web")
    for server in (web, (web or {}).get("baseline")):
        if server and (server["ceiling"]["failures"] or server["notice"]["failures"]):
            problems.append("failed HTTP requests")
    if web and not all(web["db_check"].values()):
        problems.append(f"database cross-check {web['db_check']}")
    for r in report.get("routing", {}).get("reps", []):
        if r["routed"] < r["notices"] or r["task_errors"]:
            problems.append(f"routing {r['variant']} rep {r['rep']}: {r['routed']}/{r['notices']} routed, "
                            f"{r['task_errors']} task errors")
        # Every routed notice's e-mail must reach the SMTP sink: an e-mail lost with the queue is a
        # failure of the run, not a footnote (one busy rep once delivered 1,775 of 2,000).
        mails = r["emails"]
        if mails["sent"] < r["routed"] or mails["failed"] or mails["smtp_received"] < mails["sent"]:
            problems.append(f"routing {r['variant']} rep {r['rep']}: e-mails {mails['sent']} sent, "
                            f"{mails['failed']} failed, {mails['smtp_received']} received for {r['routed']} routed")
    return "ok" if not problems else "problems: " + "; ".join(problems)


def print_summary(report: dict) -> None:
    print(f"\n==== Summary (git {report.get('git_head')}, {report.get('seconds')}s, "
          f"status: {report.get('status')}) ====")
    web = report.get("web")
    if web:
        print_web(web)
    if web and "baseline" in web:
        code = web["compare"]["app_code"]["baseline"]
        print(f"-- baseline server: the app code of {code['tree']} (git {code['git_head']}) --")
        print_web(web["baseline"])
        print_compare(web["compare"])
    routing = report.get("routing")
    if routing:
        for r in routing["reps"]:
            print(f"  {r['variant']} rep {r['rep']} c={r['concurrency']}: {r['notices_per_s']}/s, CPU ms per notice "
                  f"{r['cpu']['ms_per_unit']}")
        for key, s in routing["summary"].items():
            print(f"routing, 1 worker, {key}: {s['notices_per_s']} notices/s, median "
                  f"{s['median']}  target >= 200/s: {'MET' if s['target_met'] else 'NOT MET'}")


def print_web(web: dict) -> None:
    """One server's part A: both workloads, then its notice/ceiling ratio."""
    for kind, label in (("ceiling", "ceiling  POST /bench/insert/"), ("notice", "notice   POST /notices/new/")):
        w = web[kind]
        print(f"{label}: median {w['rps_median']:7.1f} req/s  p50 {w['p50_ms']:6.1f} ms  p99 {w['p99_ms']:6.1f} ms"
              f"  ok {w['requests_ok']}  failed {w['failures']}")
        print(f"    CPU ms per request: {w['cpu']['ms_per_unit']}")
    print(f"ratio notice/ceiling (median of {len(web['ratio_per_pair'])} pairs): {web['ratio_median']}  "
          f"per pair {web['ratio_per_pair']}  target >= 0.5: {'MET' if web['target_met'] else 'NOT MET'}")


def print_compare(compare: dict) -> None:
    for key, what in (("ratio", "ratio notice/ceiling"), ("notice_rps", "notice req/s"),
                      ("ceiling_rps", "ceiling req/s")):
        print(f"current/baseline, {what}: of the medians {compare[f'{key}_current_over_baseline_median']}  "
              f"median of pairs {compare[f'{key}_current_over_baseline_median_of_pairs']}  "
              f"per pair {compare[f'{key}_current_over_baseline_per_pair']}")


if __name__ == "__main__":
    sys.exit(main())
