"""Fault injection on a production-like stack: `bench/faults` (= .venv/bin/python bench/faults.py).

Issue 10 asks that no fault of an ordinary day loses a notice, duplicates a routing or an e-mail, or
shows a user an error for work that was saved. This command runs the portal as in production and
breaks one piece at a time:

- the stack: gunicorn (4 sync workers), a `celery worker` (prefork, --concurrency 2) and `celery beat`,
  with the production settings (DEBUG=false, everything from the environment, through
  benchsite.settings so that collectstatic writes under bench/out); PostgreSQL, a database of the run's
  own (bench_faults_<run id>, created, migrated, seeded as bench/run seeds, dropped at the end); a
  PRIVATE redis-server on a free port as broker and cache (never the machine's shared Redis); an SMTP
  sink (aiosmtpd, in this process) that keeps every message it receives;
- four faults, one after the other (faults_inject.py): the worker SIGKILLed mid-routing, the broker
  stopped 60 s, the SMTP server stopped 2 minutes, the database connections of the web and worker
  processes terminated again and again during filing. During each, --notices notices are filed on the
  public form and confirmed through their confirmation links by 4 browsers (faults_load.py), as a
  browser does it: CSRF cookie and token, multipart POST, the confirmation page, then its POST;
- after each fault the bench waits until every notice is routed and every e-mail delivered, at most
  --recovery-seconds after the fault's end (what is not done by then is lost), then counts
  (faults_tally.py): notices saved, routed exactly once (one `routed` event per notice), e-mails
  delivered exactly once (each OutboundEmail row received once by the sink), errors shown to users
  (5xx or no answer; whether the work behind them was saved; failures while the fault lasted), and the
  time from the fault's end to the last notice routed and the last e-mail delivered.

Exit status: 0 when every fault shows 0 lost, 0 duplicated, 0 errors shown (and meets the issue's
targets: routed within 2 minutes of the broker's return, e-mails within 2 minutes of the worker's);
1 when a fault shows a problem (each is printed); 2 when the bench itself failed or was interrupted.
Results: stdout and bench/out/faults-<time>.json; the processes' logs in bench/out/faults-<run id>/.
Everything it started is stopped, its Redis's data and its database removed, also on failure or
SIGTERM. `--smoke`: 10 notices per fault, outages of a few seconds, 15 s of waiting: a check that the
bench runs, not a measurement.
"""

import argparse
import sys
from pathlib import Path

import harness
import pg

FAULT_NAMES = ("worker_kill", "broker_down", "smtp_down", "db_terminate")
SMOKE = {"notices": 10, "filing_seconds": 5.0, "worker_down_seconds": 2.0, "broker_down_seconds": 8.0,
         "smtp_down_seconds": 8.0, "recovery_seconds": 15.0, "settle_seconds": 1.0, "listings": 60, "sellers": 10}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run-id", type=harness.run_id, default=None, help="names the database and log folder")
    parser.add_argument("--keep", action="store_true",
                        help="keep the database bench_faults_<run id> (bench_smoke_faults_<run id> with --smoke)")
    parser.add_argument("--faults", default=",".join(FAULT_NAMES), help=f"comma-separated, of {', '.join(FAULT_NAMES)}")
    parser.add_argument("--notices", type=int, default=100, help="notices filed and confirmed per fault")
    parser.add_argument("--browsers", type=int, default=4, help="browsers filing at the same time")
    parser.add_argument("--gunicorn-workers", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=2, help="the celery worker's --concurrency")
    parser.add_argument("--filing-seconds", type=float, default=30.0,
                        help="how long the load of worker_kill and db_terminate lasts (and at most smtp_down's)")
    parser.add_argument("--worker-down-seconds", type=float, default=5.0)
    parser.add_argument("--broker-down-seconds", type=float, default=60.0)
    parser.add_argument("--smtp-down-seconds", type=float, default=120.0)
    parser.add_argument("--terminate-every", type=float, default=1.0, help="seconds between two rounds of terminations")
    parser.add_argument("--recovery-seconds", type=float, default=150.0,
                        help="wait at most this long after a fault's end; what is not done by then is lost")
    parser.add_argument("--target-seconds", type=float, default=120.0,
                        help="the issue's targets: routed after the broker's return, e-mails after the worker's")
    parser.add_argument("--settle-seconds", type=float, default=5.0,
                        help="wait this long after recovery for late copies")
    parser.add_argument("--routing-grace-seconds", type=int, default=None,
                        help="ROUTING_GRACE_SECONDS for the stack (default: the app's own)")
    parser.add_argument("--listings", type=int, default=600)
    parser.add_argument("--sellers", type=int, default=40)
    args = harness.parse_args(parser, SMOKE, argv)
    args.faults = [name for name in args.faults.split(",") if name]
    unknown = [name for name in args.faults if name not in FAULT_NAMES]
    if unknown or not args.faults:
        parser.error(f"--faults: unknown {unknown}; choose from {', '.join(FAULT_NAMES)}")
    args.run_id = args.run_id or harness.new_run_id()
    # A smoke run's database is named as the other benches' smoke databases are (bench_smoke_<bench>_<id>).
    args.db = harness.check_database_name(f"bench_{'smoke_' if args.smoke else ''}faults_{args.run_id}")
    return args


def stack_env(args: argparse.Namespace, port: int, smtp_port: int, redis_url: str, run_dir: Path) -> dict[str, str]:
    """The environment of every process of the stack (and of this one): the production settings
    (DEBUG=false) through benchsite.settings (only STATIC_ROOT moves out of the project), the private
    Redis as broker and cache, the sink as SMTP server; ROUTING_GRACE_SECONDS only if asked for."""
    extra = {"ROUTING_GRACE_SECONDS": str(args.routing_grace_seconds)} if args.routing_grace_seconds else {}
    return harness.production_env(
        args.db, DJANGO_SETTINGS_MODULE="benchsite.settings", ALLOWED_HOSTS="127.0.0.1",
        SITE_URL=f"http://127.0.0.1:{port}", PORT=str(port), REDIS_URL=redis_url,
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}", VAR_DIR=str(run_dir / "var"), **harness.ONE_CLIENT_LIMITS, **extra)


def targets(args: argparse.Namespace, fault: str) -> dict[str, float]:
    """The issue's time targets: 100 notices routed within 2 minutes of the broker's return; recovery
    of the e-mails within 2 minutes of the worker's return."""
    return {"broker_down": {"routed": args.target_seconds},
            "worker_kill": {"emails": args.target_seconds}}.get(fault, {})


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return harness.exit_status(lambda: measure(args), print_summary)


def measure(args: argparse.Namespace) -> dict:
    """The run, recorded: whatever happens, the stack is stopped, the database dropped (unless --keep)
    and the JSON written (harness.stack_run)."""
    with harness.stack_run("faults", args, stack_env, pg.drop_database) as run:
        run_faults(args, run.env, run.run_dir, run.redis, run.sink, run.procs, run.report)
    return run.report


def run_faults(args: argparse.Namespace, env: dict[str, str], run_dir: Path, redis: harness.PrivateRedis,
               sink: harness.SmtpSink, procs: harness.Processes, report: dict) -> None:
    """The stack, then each fault with its tally (written as it goes, so a broken run keeps what it
    measured); at the end every fault is counted again, so that a late copy of an earlier fault's
    e-mail counts for it."""
    import faults_inject  # noqa: PLC0415 - imports the app's models, which need django.setup() in this environment
    import faults_stack  # noqa: PLC0415 - the same
    import faults_tally  # noqa: PLC0415 - the same

    redis.start()
    stack = faults_stack.build(args, env, run_dir, redis, sink, procs)
    report["machine"] = faults_stack.machine_info(stack)
    runs = []
    report["faults"] = {}
    for name in args.faults:
        runs.append(faults_inject.run_fault(stack, name))
        report["faults"][name] = faults_tally.tally(runs[-1], sink.messages(), targets(args, name))
    report["faults"] = {run.name: faults_tally.tally(run, sink.messages(), targets(args, run.name)) for run in runs}
    report["stack"] = {"incidents": stack.incidents, **stack.log_counts(),
                       "messages_received": len(sink.messages()),
                       "messages_matching_no_row": faults_tally.unmatched(sink.messages())}
    found = [f"{name}: {problem}" for name, fault in report["faults"].items() for problem in fault["problems"]]
    found += [f"stack: {incident}" for incident in stack.incidents]
    report["status"] = "ok" if not found else "problems"
    report["problems"] = found
    head_now = harness.git_head()
    if head_now != report["git_head"]:
        report["warning"] = f"the app code changed during the run (HEAD {report['git_head']} -> {head_now})"


def print_summary(report: dict) -> None:
    print(f"\n==== bench/faults (git {report['git_head']}, {report['seconds']}s, status: {report['status']}) ====")
    columns = ("fault", "saved/filed", "confirmed", "routed 1x", "2x+", "not in bound", "mail 1x/rows", "dup",
               "resend due", "missing", "errors (saved)", "fail in fault", "last routed", "last mail")
    widths = (13, 11, 9, 9, 4, 12, 12, 4, 10, 7, 14, 13, 11, 9)
    print("  ".join(f"{c:>{w}}" for c, w in zip(columns, widths, strict=True)))
    for name, fault in report["faults"].items():
        notices, routed, mails, requests = (fault[k] for k in ("notices", "routed", "emails", "requests"))
        cells = (name, f"{notices['saved']}/{notices['filed']}", notices["confirmed"], routed["routed_once"],
                 routed["routed_twice_or_more"], routed["not_routed_within_bound"],
                 f"{mails['delivered_once']}/{mails['rows']}", mails["duplicates"] + mails["duplicate_message_ids"],
                 mails["received_but_row_not_sent"], mails["missing"],
                 f"{requests['errors_shown']} ({requests['errors_shown_work_saved']})",
                 requests["failed_while_fault_lasted"], seconds(routed["last_after_fault_end_s"]),
                 seconds(mails["last_after_fault_end_s"]))
        print("  ".join(f"{c!s:>{w}}" for c, w in zip(cells, widths, strict=True)))
    print("routed 1x / 2x+: notices with one / more `routed` events by the end of the run; not in bound: confirmed "
          "and not routed within the bound;\nmail 1x: rows received once within the bound; resend due: received, "
          "row not marked sent; errors: 5xx or no answer (work saved);\nlast routed / last mail: seconds from the "
          "fault's end to the last within the bound")
    for problem in report["problems"]:
        print(f"  FAILED {problem}")
    if report.get("warning"):
        print(f"  WARNING {report['warning']}")


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1f}s"


if __name__ == "__main__":
    sys.exit(main())
