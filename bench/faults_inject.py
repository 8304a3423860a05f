"""The four faults of bench/faults (imported after django.setup()). Each files and confirms notices on the
public form (faults_load.Filer) while it breaks one piece of the stack and brings it back, then waits
until every notice is routed and every e-mail delivered, or until --recovery-seconds after the fault's
end have passed. The tally (faults_tally.py) counts what happened.

- worker_kill: SIGKILL to the celery worker's process group (main process and pool) while a
  route_notice message is in flight, a third of the way through the load; a new worker after
  --worker-down-seconds. The fault ends when the new worker is ready.
- broker_down: the private redis-server stopped (SHUTDOWN SAVE: its queues are kept) for
  --broker-down-seconds; all notices are filed and confirmed in the first 80 % of the outage.
  The fault ends when redis answers again.
- smtp_down: the SMTP sink stopped for --smtp-down-seconds (connections refused); the notices are
  filed in the first part of the outage, so their e-mails fall due while it lasts. Ends when the
  sink listens again.
- db_terminate: while the load runs, every --terminate-every seconds pg_terminate_backend() on every
  connection of the web and worker processes to the bench database (the bench's own, named
  faults_stack.OBSERVER_APP_NAME, are spared). Ends with the last termination.
"""

import argparse
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import harness
import psycopg
from faults_load import Filer
from faults_stack import OBSERVER_APP_NAME, Stack
from faults_tally import outstanding
from harness import log

ROUTE_NOTICE = "takedowns.tasks.route_notice"
# How long the load may run past its planned window (slow answers, timeouts) before the bench gives up.
LOAD_OVERRUN_SECONDS = 120


@dataclass
class FaultRun:
    name: str
    filer: Filer
    started: float = 0.0  # the fault's start, time.time()
    ended: float = 0.0  # the broken piece is back
    bound_end: float = 0.0  # ended + --recovery-seconds: what is not done by then is lost
    recovered_at: float | None = None  # every notice routed and every e-mail delivered
    notes: dict = field(default_factory=dict)


def new_filer(stack: Stack, seconds: float, seed: int) -> Filer:
    return Filer(stack.port, stack.listing_refs, stack.args.notices, seconds, stack.args.browsers, seed)


def wait_until(condition: Callable[[], bool], timeout: float, poll: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(poll)
    return True


def sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.time()))


def in_flight(stack: Stack) -> list[str]:
    """The tasks of the messages a worker has taken and not yet acknowledged (kombu's 'unacked' hash)."""
    names = []
    for raw in stack.redis.client().hvals("unacked"):
        try:
            names.append(json.loads(raw)[0]["headers"]["task"])
        except (ValueError, LookupError, TypeError):
            names.append("?")
    return names


def worker_kill(stack: Stack) -> FaultRun:
    args = stack.args
    run = FaultRun("worker_kill", new_filer(stack, args.filing_seconds, seed=1))
    run.filer.start()
    wait_until(lambda: run.filer.completed >= max(1, args.notices // 3), args.filing_seconds + LOAD_OVERRUN_SECONDS)
    routing = wait_until(lambda: ROUTE_NOTICE in in_flight(stack), 20, poll=0.002)
    run.notes["in_flight_at_kill"] = in_flight(stack)
    if not routing:
        run.notes["warning"] = "no route_notice was in flight within 20 s; the worker was killed anyway"
    run.started = time.time()
    stack.kill_worker()
    time.sleep(args.worker_down_seconds)
    run.ended = stack.start_worker()
    run.filer.join(args.filing_seconds + LOAD_OVERRUN_SECONDS)
    return run


def broker_down(stack: Stack) -> FaultRun:
    args = stack.args
    run = FaultRun("broker_down", new_filer(stack, 0.8 * args.broker_down_seconds, seed=2))
    stack.redis.stop()
    run.started = time.time()  # the broker is down from here
    run.filer.start()
    sleep_until(run.started + args.broker_down_seconds)
    stack.redis.start()
    run.ended = time.time()
    run.filer.join(LOAD_OVERRUN_SECONDS)
    return run


def smtp_down(stack: Stack) -> FaultRun:
    args = stack.args
    run = FaultRun("smtp_down", new_filer(stack, min(args.filing_seconds, 0.5 * args.smtp_down_seconds), seed=3))
    stack.sink.stop()
    run.started = time.time()
    run.filer.start()
    sleep_until(run.started + args.smtp_down_seconds)
    stack.sink.start()
    run.ended = time.time()
    run.filer.join(LOAD_OVERRUN_SECONDS)
    return run


TERMINATE = ("SELECT pg_terminate_backend(pid), state FROM pg_stat_activity WHERE datname = %s "
             "AND backend_type = 'client backend' AND pid <> pg_backend_pid() AND application_name <> %s")


def db_terminate(stack: Stack) -> FaultRun:
    args = stack.args
    run = FaultRun("db_terminate", new_filer(stack, args.filing_seconds, seed=4))
    counts = {"rounds": 0, "terminated": 0, "terminated_in_a_query_or_transaction": 0}
    with psycopg.connect(harness.database_url(stack.db), autocommit=True, application_name=OBSERVER_APP_NAME) as conn:
        run.filer.start()
        run.started = time.time()
        deadline = time.monotonic() + args.filing_seconds + LOAD_OVERRUN_SECONDS
        while run.filer.running and time.monotonic() < deadline:
            rows = conn.execute(TERMINATE, [stack.db, OBSERVER_APP_NAME]).fetchall()
            counts["rounds"] += 1
            counts["terminated"] += sum(1 for done, _state in rows if done)
            counts["terminated_in_a_query_or_transaction"] += sum(1 for done, state in rows
                                                                  if done and state != "idle")
            run.ended = time.time()
            time.sleep(args.terminate_every)
    run.notes.update(counts)
    run.filer.join(LOAD_OVERRUN_SECONDS)
    return run


FAULTS: dict[str, Callable[[Stack], FaultRun]] = {
    "worker_kill": worker_kill, "broker_down": broker_down, "smtp_down": smtp_down, "db_terminate": db_terminate,
}


def run_fault(stack: Stack, name: str) -> FaultRun:
    """One fault: the stack checked, the fault with its load, then the wait for recovery."""
    stack.check(before=name)
    log(f"fault {name}: starting ({stack.args.notices} notices)")
    run = FAULTS[name](stack)
    log(f"fault {name}: lasted {run.ended - run.started:.1f}s; load of {len(run.filer.keys)} notices done "
        f"{run.filer.finished - run.ended:+.1f}s after the fault's end; {run.notes or ''}")
    wait_recovered(stack, run, stack.args)
    return run


def wait_recovered(stack: Stack, run: FaultRun, args: argparse.Namespace) -> None:
    """Until every confirmed notice of the fault is routed and every e-mail of its notices is sent and
    received, or --recovery-seconds after the fault's end; then --settle-seconds more, for late copies."""
    run.bound_end = run.ended + args.recovery_seconds
    left: dict = {}
    while time.time() < run.bound_end:
        left = outstanding(run, stack.sink.messages())
        if not any(left.values()):
            run.recovered_at = time.time()
            break
        time.sleep(0.5)
    if run.recovered_at is None:
        log(f"fault {run.name}: not recovered {args.recovery_seconds}s after its end: {left}")
    else:
        log(f"fault {run.name}: recovered {run.recovered_at - run.ended:.1f}s after its end")
    time.sleep(args.settle_seconds)
