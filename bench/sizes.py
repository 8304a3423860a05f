"""The benches with one child process per size, each on a database of its own under one deadline
(bench/queue, bench/dashboard): their command-line options, the parent that runs the sizes one after
the other and writes the report, and the child's recorded measurement."""

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import django
from harness import (
    CACHE_REDIS_URL,
    OUT,
    check_database_name,
    delete_keys,
    git,
    git_head,
    int_list,
    label,
    log,
    machine_info,
    new_run_id,
    on_sigterm_interrupt,
    production_env,
    recorded,
    run_child,
    run_id,
    shown,
    uptime,
    write_json,
)
from pg import drop_database


def add_size_arguments(parser: argparse.ArgumentParser, sizes: list[int], max_minutes: float, db_prefix: str) -> None:
    """The options of a bench that measures each size in its own child process and database."""
    parser.add_argument("--sizes", type=int_list, default=sizes, help="notices per database, e.g. "
                        + ",".join(map(str, sizes)))
    parser.add_argument("--explain-sizes", type=int_list, default=None,
                        help="sizes at which to EXPLAIN ANALYZE the pages' queries (default: the largest)")
    parser.add_argument("--keep", action="store_true", help=f"keep the databases {db_prefix}_<N> for inspection")
    parser.add_argument("--db-prefix", default=None, help=f"database names: <prefix>_<N> (default {db_prefix}, with "
                        f"--smoke {db_prefix.replace('bench_', 'bench_smoke_')}_<run id>)")
    parser.add_argument("--run-id", type=run_id, default=None,
                        help="names the run's Redis keys bench-<id>-… (default: random)")
    parser.add_argument("--max-minutes", type=float, default=max_minutes, help="deadline of the whole run")
    # Internal: one size in a child process.
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--key-prefix", help=argparse.SUPPRESS)
    parser.add_argument("--budget", type=float, default=60 * max_minutes, help=argparse.SUPPRESS)


def check_size_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace, db_prefix: str) -> None:
    """Resolve the defaults that depend on other options; refuse database names that are not the bench's."""
    args.run_id = args.run_id or new_run_id()
    smoke_prefix = db_prefix.replace("bench_", "bench_smoke_")
    args.db_prefix = args.db_prefix or (f"{smoke_prefix}_{args.run_id}" if args.smoke else db_prefix)
    if not args.db_prefix.startswith((db_prefix, smoke_prefix)):
        parser.error(f"--db-prefix must start with {db_prefix} or {smoke_prefix}")
    check_database_name(args.db_prefix)
    if args.explain_sizes is None:
        args.explain_sizes = [max(args.sizes)] if not args.child else []


def child_argv(script: str, args: argparse.Namespace, n: int, db: str, out: Path, remaining: float) -> list[str]:
    """The command line of the child process that measures size n (the bench's own options follow)."""
    return [sys.executable, script, "--child", "--n", str(n), "--db", db, "--out", str(out),
            "--budget", str(int(remaining)), "--key-prefix", f"bench-{args.run_id}-{label(n)}-",
            "--explain-sizes", ",".join(map(str, args.explain_sizes))]


def size_child(args: argparse.Namespace, measure: Callable[[dict, float], None]) -> int:
    """The child process of one size (--child): Django set up in the environment the parent gave,
    `measure(result, deadline)` recorded into the --out file the parent reads, under --budget."""
    result: dict = {"n": args.n, "db": args.db}
    deadline = time.perf_counter() + args.budget
    with recorded(result, Path(args.out), tag=f"N={label(args.n)}"):
        django.setup()
        measure(result, deadline)
    return 0


def run_sizes(kind: str, script: str, args: argparse.Namespace,
              child_options: Callable[[argparse.Namespace], list[str]], finish: "SizesReport",
              min_seconds: float = 30) -> int:
    """The parent of a bench with one child process per size (bench/queue, bench/dashboard): one
    deadline for the run, each size in a child process (`script` --child …) on a database of its own,
    dropped unless --keep (also on Ctrl-C or SIGTERM), the report and explain file in
    OUT/<kind>-<time>.*, a summary. Exit status 0 = every size ok."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    began = time.perf_counter()
    deadline = began + 60 * args.max_minutes
    report = _sizes_report(args)
    created: list[str] = []
    on_sigterm_interrupt()
    try:
        for n in args.sizes:
            remaining = deadline - time.perf_counter()
            if remaining < min_seconds:
                report["sizes"][str(n)] = {"status": "skipped: --max-minutes reached"}
                log(f"N={label(n)}: skipped, the run's deadline is reached")
                continue
            db, out = f"{args.db_prefix}_{label(n)}", OUT / f"{kind}-{stamp}-{label(n)}.part.json"
            argv = child_argv(script, args, n, db, out, remaining) + child_options(args)
            created.append(db)
            report["sizes"][str(n)] = _one_size(args, n, db, argv, out, remaining, created)
            _note_head_change(report, n)
    except BaseException as exc:
        report["status"] = f"interrupted: {exc!r}"
        log(f"interrupted: {exc!r}")
    finally:
        if not args.keep:
            for db in created:
                try:
                    drop_database(db)
                    log(f"dropped database {db}")
                except Exception as exc:  # try the others
                    log(f"could not drop {db}: {exc!r}")
        delete_keys(f"bench-{args.run_id}-", CACHE_REDIS_URL)  # what a killed child left in the cache
        finish.write(report, kind, stamp, began)
    finish.print_summary(report)
    return 0 if report["status"] == "ok" else 1


def _sizes_report(args: argparse.Namespace) -> dict:
    app_files = ("portal/", "takedowns/", "templates/")
    report = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "args": vars(args), "git_head": git_head(),
              "git_dirty_app_files": [line for line in git("status", "--short").splitlines()
                                      if any(p in line for p in app_files)],
              "machine": machine_info(), "uptime_before": uptime(), "sizes": {}}
    log(f"uptime before: {report['uptime_before']}")
    return report


def _one_size(args: argparse.Namespace, n: int, db: str, argv: list[str], out: Path, remaining: float,
              created: list[str]) -> dict:
    """Size n in its child process: its result, or why there is none; its database dropped unless --keep."""
    log(f"N={label(n)}: child process for database {db} (at most {remaining:.0f}s left)")
    t0 = time.perf_counter()
    run_child(argv, production_env(db), remaining)
    result = json.loads(out.read_text()) if out.exists() else {"status": "failed: no result (killed or crashed)"}
    out.unlink(missing_ok=True)
    result["wall_s"] = round(time.perf_counter() - t0, 1)
    result["git_head_after"] = git_head()
    if not args.keep:
        drop_database(db)
        created.remove(db)
        log(f"N={label(n)}: dropped database {db}")
    return result


def _note_head_change(report: dict, n: int) -> None:
    """Other engineers commit while a bench runs: a size measured after a change ran the newer code."""
    after = report["sizes"][str(n)].get("git_head_after")
    if after is None or after == report["git_head"]:
        return
    warning = (f"the app changed during the run (HEAD {report['git_head']} -> {after} by the end of N={label(n)}); "
               f"sizes measured after the change ran the newer code")
    if warning not in report.setdefault("warnings", []):
        report["warnings"].append(warning)
    log("WARNING: " + warning)


class SizesReport:
    """How a bench with one child per size reports: its summary table, its explain file, its printout."""

    def summarize(self, report: dict) -> dict:
        raise NotImplementedError

    def print_summary(self, report: dict) -> None:
        raise NotImplementedError

    def plans(self, measured: dict) -> dict[str, list[dict]]:
        """The EXPLAIN ANALYZE plans of one measurement, by page."""
        return measured.get("explain") or {}

    def write(self, report: dict, kind: str, stamp: str, began: float) -> None:
        report["uptime_after"] = uptime()
        report["seconds"] = round(time.perf_counter() - began, 1)
        failures = [f"N={n}: {r['check_failures']}" for n, r in report["sizes"].items() if r.get("check_failures")]
        if failures:
            report["status"] = "problems: failed checks: " + "; ".join(failures)
        report.setdefault("status", "ok" if all(r.get("status") == "ok" for r in report["sizes"].values())
                          else "problems")
        report["summary"] = self.summarize(report)
        path, explain_path = OUT / f"{kind}-{stamp}.json", OUT / f"{kind}-{stamp}-explain.txt"
        write_json(path, report)
        explain_path.write_text(self.explain_text(report))
        log(f"uptime after: {report['uptime_after']}")
        log(f"results written to {shown(path)} and {shown(explain_path)} ({report['seconds']}s)")

    def explain_text(self, report: dict) -> str:
        lines = []
        for n, r in report["sizes"].items():
            for tag, measured in (("current", r), ("proposed", r.get("proposals") or {})):
                for page, plans in self.plans(measured).items():
                    for p in plans:
                        lines += [f"==== N={n} {tag} {page}: execution {p['execution_ms']} ms "
                                  f"(in the request: {p['captured_ms']} ms)", p["sql"], "", p["plan"], ""]
        return "\n".join(lines) + "\n"
