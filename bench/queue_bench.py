"""Review queue bench: `bench/queue` (= .venv/bin/python bench/queue_bench.py).

For N = 10,000, 100,000 and 1,000,000 notices (--sizes), each in its own child process:
- creates a fresh PostgreSQL database `bench_queue_<N>` (never `bench` or `test`), migrates it
  with the production settings (portal.settings, DEBUG=false, everything from the environment),
  creates 20 reviewers (users in the Reviewer group with a Reviewer row) and bulk-loads N
  notices with server-side SQL (INSERT … SELECT generate_series): ~3 items per notice with
  states that fit the notice's status, decisions, information requests, evidence rows, the timeline
  (~8 events per notice), 5,000 sellers and 50,000 listings, 2,000 submitters (Submitter rows,
  trust per notice), the SLA clocks (acknowledgement and takedown decision, running/paused/stopped;
  Notice.due_at and Notice.reason_mask as the workflow sets them) and the counters the workflow keeps
  (Seller/Submitter), computed with SQL aggregates after the load. Secondary indexes are dropped during
  the load and rebuilt afterwards, FK triggers are off for the load session (the generator keeps the
  references valid); then VACUUM ANALYZE and CHECKPOINT, so the measurement starts from the state
  autovacuum would leave.
- measures in-process with Django's test Client, logged in (force_login) as reviewer rev01:
  the queue's first page, filtered pages (patent + mine, reason, trusted flaggers), a page ~200
  pages deep (found by following the keyset cursor), the notice page of a typical notice, of the
  biggest submitter's and of the biggest seller's, plus a few extra pages. Warm-up, then rounds in
  which every page is requested once (rotating order), so noise hits all pages alike; p50/p95 per
  page; the queue counts are in the shared cache as the beat task keeps them (filled by
  selectors.count_open_notices before the warm-up, refilled untimed if it expires). SQL
  queries per request (an execute_wrapper timing each statement, on a separate unmeasured
  request), EXPLAIN (ANALYZE, BUFFERS) of every app query of each page, and the cost of the beat
  task's refresh (selectors.count_open_notices, ~20 calls) and of the view's counts call with the
  cache warm.
- checks that the notice pages show the history counted from the rows, and that following the
  queue's cursor gives the queue in order, without gaps or repeats.
- then (unless --no-proposals, or none is pending) the proposed changes of bench/queue_proposals.py
  on the same database: SQL the bench applies to its own database and selector functions patched
  into this process only (never the app code). It checks that the pages show the same, measures
  again, undoes it, and times the main pages once more with the current code (drift check).

The parent process runs the children one after the other under one deadline, prints the table,
writes bench/out/queue-<time>.json (+ queue-<time>-explain.txt) and drops the databases unless
--keep. A child that overruns is killed (its process group) and its database dropped.

This module is the command (options, the parent, the report) and imports nothing of the app; the
child's work is in queue_data.py (the data set) and queue_pages.py (the measurement), the machinery
in harness.py. `--smoke`: one tiny size, a few requests, the proposals' steps with nothing pending,
databases bench_smoke_queue_<run id>_<N>: a check that the bench still works, not a measurement.
"""

import argparse
import sys

import harness
import sizes
from harness import label

SIZES = [10_000, 100_000, 1_000_000]
MAIN_PAGES = ["queue_first", "queue_filtered", "queue_reason", "queue_trusted", "queue_deep", "notice",
              "notice_heavy_submitter", "notice_big_seller"]
TARGET_P95_MS, TARGET_RATIO = 30.0, 1.5
DB_PREFIX = "bench_queue"
SMOKE = {"sizes": [2_000], "requests": 3, "warmup": 1, "deep_pages": 2, "count_calls": 2, "max_minutes": 1.5}


def measure(args: argparse.Namespace, result: dict, deadline: float) -> None:
    """One size, in the child process, once Django is set up."""
    import queue_pages  # noqa: PLC0415 - imports the app's models, which need django.setup() first

    queue_pages.measure_size(args, result, deadline, MAIN_PAGES)


def child_options(args: argparse.Namespace) -> list[str]:
    return ["--requests", str(args.requests), "--warmup", str(args.warmup), "--deep-pages", str(args.deep_pages),
            "--count-calls", str(args.count_calls), *([] if args.proposals else ["--no-proposals"]),
            *(["--smoke"] if args.smoke else [])]


class QueueReport(sizes.SizesReport):
    def plans(self, measured: dict) -> dict[str, list[dict]]:
        plans = dict(measured.get("explain") or {})
        if (measured.get("queue_counts") or {}).get("explain"):
            plans["count_open_notices (the beat task's refresh)"] = measured["queue_counts"]["explain"]
        return plans

    def summarize(self, report: dict) -> dict:
        """Table N × page → p50/p95/queries, for the current code and with the proposals, and the targets."""
        sizes = {int(k): v for k, v in report["sizes"].items() if v.get("status") == "ok"}
        if not sizes:
            return {}
        summary: dict = {}
        for variant in ("current", "proposed"):
            measured = {n: r if variant == "current" else r.get("proposals") or {} for n, r in sorted(sizes.items())}
            table = _table(measured)
            if table:
                summary[variant] = {"table": table, "targets": _targets(table, min(sizes), max(sizes)),
                                    "queue_counts": _counts(measured, sizes)}
        return summary

    def print_summary(self, report: dict) -> None:
        summary = report.get("summary") or {}
        print(f"\n==== Review queue bench (git {report['git_head']}, {report['seconds']}s, "
              f"status: {report['status']}) ====")
        for warning in report.get("warnings", []):
            print("WARNING: " + warning)
        for variant, title in (("current", "the app as it is"),
                               ("proposed", "with the proposals of bench/queue_proposals.py")):
            if summary.get(variant):
                _print_variant(title, summary[variant])
        print()
        for n, r in sorted(((int(k), v) for k, v in report["sizes"].items()), key=lambda x: x[0]):
            print(_size_line(n, r))


def _table(measured: dict[int, dict]) -> dict:
    table: dict = {}
    for n, m in measured.items():
        for page, t in (m.get("timing") or {}).items():
            table.setdefault(page, {})[n] = {"p50_ms": t["p50_ms"], "p95_ms": t["p95_ms"], "n": t["n"],
                                             "cpu_p50_ms": t.get("cpu_p50_ms"),
                                             "rows": m.get("rows_on_page", {}).get(page),
                                             "queries": m["queries"][page], "sql_ms": m["sql_ms"][page]}
    return table


def _targets(table: dict, smallest: int, largest: int) -> dict:
    targets = {}
    for page, row in table.items():
        big, small = row.get(largest), row.get(smallest)
        if not big or not small:
            continue
        ratio = big["p95_ms"] / small["p95_ms"]
        targets[page] = {"p95_at_largest_ms": big["p95_ms"], "largest_n": largest, "smallest_n": smallest,
                         "ratio_to_smallest": round(ratio, 2), "p95_under_30ms": big["p95_ms"] < TARGET_P95_MS,
                         "ratio_at_most_1.5": ratio <= TARGET_RATIO, "main_page": page in MAIN_PAGES}
    return targets


def _counts(measured: dict[int, dict], sizes: dict[int, dict]) -> dict:
    counts = {n: m.get("queue_counts") for n, m in measured.items()}
    return {n: {"refresh_p50_ms": c["refresh"]["p50_ms"], "refresh_p95_ms": c["refresh"]["p95_ms"],
                "calls": c["refresh"]["n"], "cached_p50_ms": c["cached"]["p50_ms"],
                "cached_p95_ms": c["cached"]["p95_ms"], "sql_ms": c["sql_ms"],
                "open_fraction": sizes[n]["load"].get("open_fraction")}
            for n, c in sorted(counts.items()) if c}


def _print_variant(title: str, part: dict) -> None:
    sizes = sorted({n for row in part["table"].values() for n in row})
    print(f"\n-- {title}: p50 / p95 ms, SQL queries per request --")
    head = f"{'page':24s}" + "".join(f" | {label(n):>20s}" for n in sizes)
    print(head)
    print("-" * len(head))
    for page, row in part["table"].items():
        cells = "".join(f" | {row[n]['p50_ms']:7.1f} / {row[n]['p95_ms']:6.1f}, {row[n]['queries']:2d}q" if n in row
                        else " | " + " " * 20 for n in sizes)
        print(f"{page:24s}{cells}{'' if page in MAIN_PAGES else '   (extra)'}")
    print(f"targets: p95 < {TARGET_P95_MS:.0f} ms at {label(max(sizes))} and ≤ {TARGET_RATIO}× the p95 at "
          f"{label(min(sizes))}")
    for page, t in part["targets"].items():
        if t["main_page"]:
            print(f"  {page:22s} p95 {t['p95_at_largest_ms']:7.1f} ms: {'met' if t['p95_under_30ms'] else 'NOT MET'};"
                  f"  {t['ratio_to_smallest']:5.2f}×: {'met' if t['ratio_at_most_1.5'] else 'NOT MET'}")
    if part.get("queue_counts"):
        print("queue counts: the beat task's refresh (selectors.count_open_notices) and the view's call with the"
              " cache warm (selectors.queue_counts), ms:")
        for n, c in part["queue_counts"].items():
            print(f"  {label(n):>4s}: refresh p50 {c['refresh_p50_ms']:8.1f} / p95 {c['refresh_p95_ms']:8.1f} over "
                  f"{c['calls']} calls; SQL {c['sql_ms']}; view's call p50 {c['cached_p50_ms']:.2f} / p95 "
                  f"{c['cached_p95_ms']:.2f}; open notices {100 * (c['open_fraction'] or 0):.1f} %")
    short = [f"{page} at {label(n)}: {c['rows']}" for page, row in part["table"].items() for n, c in row.items()
             if c.get("rows") is not None and c["rows"] < 50]
    if short:
        print("queue pages with fewer than 50 rows (there are no more): " + "; ".join(short))


def _size_line(n: int, r: dict) -> str:
    if r.get("status") != "ok":
        return f"N={label(n)}: {r.get('status')}"
    deep = r["page_info"]["deep_page"]
    checks = {k: r["page_info"][k]["page_shows_counted_history"]
              for k in ("notice", "notice_heavy_submitter", "notice_big_seller")}
    line = (f"N={label(n)}: load {r['load_s']}s ({r['load']['database_mb']} MB), whole size {r['wall_s']}s; "
            f"deep page {deep['pages_followed']} pages in, cursor walk in queue order: "
            f"{deep.get('walk_matches_queue_order')}; notice pages show the counted history: {checks}")
    if r.get("proposals"):
        line += f"; with the proposals: {r['proposals'].get('checks')}"
    return line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sizes.add_size_arguments(parser, SIZES, max_minutes=15.0, db_prefix=DB_PREFIX)
    parser.add_argument("--requests", type=int, default=100, help="timed requests per page")
    parser.add_argument("--count-calls", type=int, default=20,
                        help="selectors.count_open_notices calls (the beat task's counts refresh) per size")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests per page first")
    parser.add_argument("--deep-pages", type=int, default=200, help="how many queue pages to follow for the deep page")
    parser.add_argument("--no-proposals", dest="proposals", action="store_false",
                        help="skip measuring the pending proposals of bench/queue_proposals.py (if any)")
    args = harness.parse_args(parser, SMOKE, argv)
    sizes.check_size_arguments(parser, args, DB_PREFIX)
    if args.child:
        return sizes.size_child(args, lambda result, deadline: measure(args, result, deadline))
    return sizes.run_sizes("queue", __file__, args, child_options, QueueReport())


if __name__ == "__main__":
    sys.exit(main())
