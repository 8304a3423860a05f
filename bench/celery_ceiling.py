"""The routing "ceiling": how fast ONE worker (same settings, same command line as bench/run's
routing part) gets through empty tasks, i.e. Celery's own per-task cost on this machine.

  .venv/bin/python bench/celery_ceiling.py [--tasks 4000] [--concurrency 2]

Publishes N `bench.noop` messages (same kwargs shape as route_notice) to a fresh queue, starts
`celery -A benchsite.celery_noop worker -Q <queue> --concurrency=C`, and times from the first
message taken to the queue being empty and all acknowledged. Stops the worker and deletes the
queue in `finally`; the numbers are printed and written to bench/out/celery-ceiling-<time>.json.
Not part of bench/run.
"""

import argparse
import sys
import time

import harness
import redis
import run
from cpu import CpuMeter, children_of
from harness import OUT, VENV_BIN


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args(argv)
    prefix = f"bench-noop-{harness.new_run_id()}-"
    queue = f"{prefix}q"
    # The worker never touches the database; DATABASE_URL only has to be well-formed.
    env = {**run.run_env("bench", 8000, harness.free_port(), prefix), "CELERY_QUEUE": queue}
    harness.setup_django(env)
    from benchsite.celery_noop import app, noop  # noqa: PLC0415 - the portal's Celery app, configured by this environment

    procs = harness.Processes()
    result: dict = {"args": vars(args), "queue": queue}

    def clean_redis() -> None:
        print(f"deleted {harness.delete_keys(prefix)} Redis keys")

    path = OUT / f"celery-ceiling-{time.strftime('%Y%m%d-%H%M%S')}.json"
    with harness.recorded(result, path, cleanup=[procs.stop_all, clean_redis]):
        with app.producer_or_acquire() as producer:
            for i in range(args.tasks):
                noop.apply_async(kwargs={"notice_id": i}, queue=queue, producer=producer)
        client = harness.redis_client()
        print(f"published {client.llen(queue)} messages to {queue}")
        argv_ = [str(VENV_BIN / "celery"), "-A", "benchsite.celery_noop", "worker", "-Q", queue,
                 f"--concurrency={args.concurrency}", "-n", f"{queue}@%h", "--without-gossip", "--without-mingle",
                 "--without-heartbeat", "--loglevel=INFO"]
        worker = procs.start("noop worker", argv_, env, OUT / f"{queue}.log")
        result.update(time_empty_tasks(args, client, queue, worker.pid))
    return 0


def time_empty_tasks(args: argparse.Namespace, client: redis.Redis, queue: str, worker_pid: int) -> dict:
    """From the first message taken to the queue empty and every message acknowledged."""
    meter = CpuMeter({"celery_worker": lambda: [worker_pid, *children_of(worker_pid)]})
    deadline = time.perf_counter() + args.timeout
    while client.llen(queue) == args.tasks and time.perf_counter() < deadline:
        time.sleep(0.01)
    t0 = time.perf_counter()
    meter.start()
    while time.perf_counter() < deadline and (client.llen(queue) or client.hlen("unacked")):
        time.sleep(0.02)
    seconds = time.perf_counter() - t0
    usage = meter.stop()
    done = args.tasks - client.llen(queue)
    worker_ms = 1000 * usage["cpu_s"].get("celery_worker", 0) / done
    print(f"{done} empty tasks in {seconds:.2f}s = {done / seconds:.0f} tasks/s with --concurrency="
          f"{args.concurrency}; worker CPU {worker_ms:.2f} ms per task, machine busy {usage['machine_busy_pct']:.0f}%")
    print("  (the 'unacked' hash is shared by all kombu consumers of this Redis db; if other workers run, "
          "the end is approximate)")
    return {"tasks_done": done, "drain_s": round(seconds, 3), "tasks_per_s": round(done / seconds, 1),
            "worker_cpu_ms_per_task": round(worker_ms, 3), "machine_busy_pct": round(usage["machine_busy_pct"], 1)}


if __name__ == "__main__":
    sys.exit(main())
