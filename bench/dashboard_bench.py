"""Dashboard and transparency-report bench: `bench/dashboard` (= .venv/bin/python bench/dashboard_bench.py).

For N = 100,000 and 1,000,000 notices (--sizes), each in its own child process:
- creates a fresh PostgreSQL database `bench_dash_<N>` (never `bench` or `test`), migrates it with the
  production settings (portal.settings, DEBUG=false, everything from the environment, as bench/queue
  does), creates 20 reviewers and one lead through the ORM and bulk-loads a year of history with
  server-side SQL (INSERT … SELECT generate_series, `load_statements`): notices spread over the last
  12 months with age-dependent statuses (the open ones are the recent ones), ~3 items each with
  reasons, decisions (remove/reject, dated after routing with a log-normal spread), listing
  take-downs, the timeline (filed/confirmed/routed/item_decided/closed/…; ~7 events per notice),
  SLA clocks of every kind (acknowledgement and takedown decision per notice, takedown executed per
  removal, seller penalty per strike, counter-notice restore, appeal decision: running, paused,
  warned, breached, cancelled), strikes and penalties on the configured ladder, a few thousand
  counter-notices and appeals with their effects (restored listings, reversed decisions, reversed
  strikes, lifted penalties); then VACUUM (ANALYZE) and CHECKPOINT.
- measures in-process with django.test.Client: the leads' dashboard (default 30 days and 6 months),
  figures.csv and durations.csv (time to the last byte of the stream) as a lead; the public report
  for a month and a half-year and the half-year's JSON anonymously. Warm-up, then rounds of every
  page in rotating order (p50/p95), under a deadline; the SQL of each page with its time; EXPLAIN
  (ANALYZE, BUFFERS) of the slowest statements at the largest N.
- checks figures on the pages against independent SQL counts on the loaded rows.
- at the largest N (unless --no-proposals): applies the index proposals of PROPOSALS to its own
  database, re-checks and re-measures, and drops them again. The app code is never changed.

The parent writes bench/out/dashboard-<time>.json and dashboard-<time>-explain.txt and drops the
databases unless --keep. This module is the command (options, the parent, the report) and imports
nothing of the app; the child's work is in dashboard_data.py (the data set, built on the review queue
bench's reviewers and references in queue_data.py) and dashboard_pages.py (the measurement), the
machinery in harness.py. `--smoke`: one tiny size, two rounds, the proposals' steps with none pending,
databases bench_smoke_dash_<run id>_<N>: a check that the bench still works, not a measurement.
"""

import argparse
import sys

import harness
import sizes
from harness import label

SIZES = [100_000, 1_000_000]
DB_PREFIX = "bench_dash"
TARGET_P95_MS = 300.0
SMOKE = {"sizes": [3_000], "rounds": 2, "warmup": 1, "no_rollup_rounds": 1, "page_cap_s": 5.0, "max_minutes": 1.5}


def measure(args: argparse.Namespace, result: dict, deadline: float) -> None:
    """One size, in the child process, once Django is set up."""
    import dashboard_pages  # noqa: PLC0415 - imports the app's models, which need django.setup() first

    dashboard_pages.measure_size(args, result, deadline)


def child_options(args: argparse.Namespace) -> list[str]:
    return ["--rounds", str(args.rounds), "--warmup", str(args.warmup), "--page-cap-s", str(args.page_cap_s),
            "--no-rollup-rounds", str(args.no_rollup_rounds), *([] if args.proposals else ["--no-proposals"]),
            *(["--reuse"] if args.reuse else []), *(["--smoke"] if args.smoke else [])]


class DashboardReport(sizes.SizesReport):
    def summarize(self, report: dict) -> dict:
        summary: dict = {}
        for n, r in report["sizes"].items():
            if r.get("status") != "ok":
                continue
            for variant, m in (("no roll-up", r.get("no_rollup")), ("current", r), ("proposed", r.get("proposals"))):
                for page, t in ((m or {}).get("timing") or {}).items():
                    summary.setdefault(variant, {}).setdefault(page, {})[n] = {
                        "p50_ms": t["p50_ms"], "p95_ms": t["p95_ms"], "n": t["n"], "queries": m["queries"][page],
                        "sql_ms": m["sql_ms"][page], "p95_under_300ms": t["p95_ms"] < TARGET_P95_MS}
        return summary

    def print_summary(self, report: dict) -> None:
        print(f"\n==== Dashboard and transparency report bench (git {report['git_head']}, {report['seconds']}s, "
              f"status: {report['status']}) ====")
        print(f"uptime before: {report['uptime_before']}\nuptime after:  {report.get('uptime_after')}")
        for variant, table in report.get("summary", {}).items():
            _print_table(variant, table)
        for n, r in report["sizes"].items():
            if r.get("status") != "ok":
                print(f"N={label(int(n))}: {r.get('status')}")
                continue
            print(f"N={label(int(n))}: roll-ups: " + ", ".join(f"{k} {v['s']}s" for k, v in r["rollups"].items()
                                                              if isinstance(v, dict) and "s" in v))
            print(f"N={label(int(n))}: load {r.get('load_s', 'reused')}s, {r['load']['database_mb']} MB; checks: "
                  + ", ".join(f"{k} {'ok' if v['ok'] else 'FAILED'}" for k, v in r["checks"].items()))


def _print_table(variant: str, table: dict) -> None:
    sizes = sorted({int(n) for row in table.values() for n in row})
    print(f"\n-- {variant}: p50 / p95 ms (queries); target p95 < {TARGET_P95_MS:.0f} ms --")
    head = f"{'page':20s}" + "".join(f" | {label(n):>26s}" for n in sizes)
    print(head + "\n" + "-" * len(head))
    for page, row in table.items():
        cells = "".join(
            f" | {row[str(n)]['p50_ms']:8.1f} / {row[str(n)]['p95_ms']:8.1f} ({row[str(n)]['queries']:2d}q) "
            f"{'ok ' if row[str(n)]['p95_under_300ms'] else 'NO '}" if str(n) in row else " | " + " " * 26
            for n in sizes)
        print(f"{page:20s}{cells}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sizes.add_size_arguments(parser, SIZES, max_minutes=20.0, db_prefix=DB_PREFIX)
    parser.add_argument("--rounds", type=int, default=30, help="timed rounds (every page once per round)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed requests per page first")
    parser.add_argument("--page-cap-s", type=float, default=60.0,
                        help="a page stops being sampled when its requests add up to this (after 10 samples)")
    parser.add_argument("--no-proposals", dest="proposals", action="store_false",
                        help="skip measuring the index proposals (PROPOSALS) at the largest size")
    parser.add_argument("--no-rollup-rounds", type=int, default=5,
                        help="rounds of the dashboard pages before the roll-up is built (0: skip)")
    parser.add_argument("--reuse", action="store_true", help="measure a kept, loaded database instead of loading anew")
    args = harness.parse_args(parser, SMOKE, argv)
    sizes.check_size_arguments(parser, args, DB_PREFIX)
    if args.child:
        return sizes.size_child(args, lambda result, deadline: measure(args, result, deadline))
    return sizes.run_sizes("dashboard", __file__, args, child_options, DashboardReport(), min_seconds=60)


if __name__ == "__main__":
    sys.exit(main())
