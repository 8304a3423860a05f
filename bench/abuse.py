"""The abuse run of issue 11: `bench/abuse` (= .venv/bin/python bench/abuse.py).

The incident: an abuser filed 300 notices from one address in 8 s, all accepted, each sending a
confirmation e-mail to an address of the filer's choosing; then 12 notices with one e-mail address in
a row, all accepted. This command floods a production-like stack the same way and checks what the
portal's rate limits (takedowns/limits.py, at their defaults) make of it:

- the stack (faults_stack.py, as bench/faults builds it): gunicorn (4 sync workers), a celery worker
  and beat with the production settings (DEBUG=false, everything from the environment, through
  benchsite.settings), on a database of the run's own (bench_abuse_<run id>, dropped at the end), a
  PRIVATE redis-server on a free port of 127.0.0.1 (the broker, and the cache the limits count in),
  an SMTP sink in this process that keeps every message. The portal sits "behind a proxy":
  CLIENT_IP_HEADER=X-Forwarded-For, and each request carries the header a proxy would append to.
- phase "one_address": --notices (1,000) notices from one address, 203.0.113.66, sent as fast as
  --connections (8) connections go, within a minute (--seconds: the flood stops there), each for an
  e-mail address of its own (victim-<n>@example.org); each X-Forwarded-For starts with a spoofed
  address of its own, which must not help. Meanwhile a bystander at another address files one notice.
- phase "one_email": --same-email-notices (100) notices for one e-mail address, each from an address
  of its own.
- then at most --mail-seconds (60) for the worker to send every e-mail the accepted notices asked for.

The verdict (exit status 0 only if all hold): phase one_address accepts exactly N notices (N = the
per-address filing limit, RATE_LIMIT_FILING_ADDRESS; 2N if the limit's window ended during the flood,
which the first refusal's Retry-After tells), refuses every other one with 429 (with a Retry-After
header, the rate-limit message and the typed e-mail address on the page), no 5xx and no other answer,
the bystander's notice accepted; phase one_email accepts at most min(per-e-mail limit, pending
confirmations cap) and refuses the rest with 429; the sink receives exactly one confirmation e-mail per
accepted notice and none for a refused one (so at most N + the cap), and no address more than it may.

Results: the summary on stdout and bench/out/abuse-<time>.json; the processes' logs in
bench/out/abuse-<run id>/. Everything it started is stopped and its database dropped (unless --keep),
also on failure or SIGTERM. `--smoke`: 200 notices, 20 for one e-mail address: a check that it runs.
Exit status 2: the bench itself broke (or was interrupted).
"""

import argparse
import sys
from pathlib import Path

import harness
import pg

SMOKE = {"notices": 200, "same_email_notices": 20, "mail_seconds": 30.0, "listings": 60, "sellers": 10}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run-id", type=harness.run_id, default=None, help="names the database and log folder")
    parser.add_argument("--keep", action="store_true", help="keep the database bench_abuse_<run id>")
    parser.add_argument("--notices", type=int, default=1000, help="notices filed from one address")
    parser.add_argument("--seconds", type=float, default=60.0, help="the flood stops after this long")
    parser.add_argument("--connections", type=int, default=8, help="the abuser's connections at once")
    parser.add_argument("--same-email-notices", type=int, default=100,
                        help="notices for one e-mail address, each from an address of its own")
    parser.add_argument("--mail-seconds", type=float, default=60.0,
                        help="wait at most this long for the accepted notices' e-mails")
    parser.add_argument("--gunicorn-workers", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=2, help="the celery worker's --concurrency")
    parser.add_argument("--listings", type=int, default=600)
    parser.add_argument("--sellers", type=int, default=40)
    args = harness.parse_args(parser, SMOKE, argv)
    args.run_id = args.run_id or harness.new_run_id()
    args.db = harness.check_database_name(f"bench_{'smoke_' if args.smoke else ''}abuse_{args.run_id}")
    return args


def stack_env(args: argparse.Namespace, port: int, smtp_port: int, redis_url: str, run_dir: Path) -> dict[str, str]:
    """The production settings, the rate limits at their defaults (none of harness.ONE_CLIENT_LIMITS),
    behind a proxy that sets X-Forwarded-For; the private Redis as broker and cache."""
    return harness.production_env(
        args.db, DJANGO_SETTINGS_MODULE="benchsite.settings", ALLOWED_HOSTS="127.0.0.1",
        SITE_URL=f"http://127.0.0.1:{port}", PORT=str(port), REDIS_URL=redis_url,
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}", VAR_DIR=str(run_dir / "var"), CLIENT_IP_HEADER="X-Forwarded-For")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return harness.exit_status(lambda: measure(args), print_summary)


def measure(args: argparse.Namespace) -> dict:
    with harness.stack_run("abuse", args, stack_env, pg.drop_database) as run:
        import abuse_load  # noqa: PLC0415 - imports the app's models, which need django.setup() in this environment
        import faults_stack  # noqa: PLC0415 - the same

        report = run.report
        run.redis.start()
        stack = faults_stack.build(args, run.env, run.run_dir, run.redis, run.sink, run.procs)
        report["machine"] = faults_stack.machine_info(stack)
        abuse_load.run(args, stack, report)
        report["stack"] = {"incidents": stack.incidents, **stack.log_counts()}
        found = report["problems"] + [f"stack: {incident}" for incident in stack.incidents]
        if report["stack"]["web_tracebacks"]:
            found.append(f"the web log has {report['stack']['web_tracebacks']} tracebacks")
        report["problems"] = found
        report["status"] = "ok" if not found else "problems"
    return run.report


def print_summary(report: dict) -> None:
    print(f"\n==== bench/abuse (git {report['git_head']}, {report['seconds']}s, status: {report['status']}) ====")
    for name, phase in report["phases"].items():
        print(f"{name}: {phase['sent']} sent in {phase['elapsed_s']} s ({phase['per_s']}/s): "
              f"accepted {phase['accepted']} (expected {phase['expected_accepted']}), 429 {phase['refused_429']}, "
              f"5xx {phase['server_errors']}, other {phase['other']}; "
              f"p50 {phase['p50_ms']} ms, max {phase['max_ms']} ms")
    mails = report["emails"]
    print(f"confirmation e-mails: {mails['confirmation_received']} received for {mails['accepted_notices']} accepted "
          f"notices (rows {mails['confirmation_rows']}); most to one address {mails['most_to_one_address']}; "
          f"bystander accepted: {report['bystander']['accepted']}")
    for problem in report["problems"]:
        print(f"  FAILED {problem}")


if __name__ == "__main__":
    sys.exit(main())
