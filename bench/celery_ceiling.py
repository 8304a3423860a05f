"""The routing "ceiling": how fast ONE worker (same settings, same command line as bench/run's
routing part) gets through empty tasks, i.e. Celery's own per-task cost on this machine.

  .venv/bin/python bench/celery_ceiling.py [--tasks 4000] [--concurrency 2]

Publishes N `bench.noop` messages (same kwargs shape as route_notice) to a fresh queue, starts
`celery -A benchsite.celery_noop worker -Q <queue> --concurrency=C`, and times from the first
message taken to the queue being empty and all acknowledged. Stops the worker and deletes the
queue in `finally`. Not part of bench/run.
"""

import argparse
import os
import sys
import time
import uuid
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent)]

import run  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()
    run.OUT.mkdir(exist_ok=True)
    prefix = f"bench-noop-{uuid.uuid4().hex[:8]}-"
    queue = f"{prefix}q"
    # The worker never touches the database; DATABASE_URL only has to be well-formed.
    env = run.bench_env("bench", 8000, run.free_port(), prefix)
    env["CELERY_QUEUE"] = queue
    os.environ.clear()
    os.environ.update(env)
    procs = run.Procs()
    try:
        import django
        django.setup()
        from benchsite.celery_noop import app, noop
        with app.producer_or_acquire() as producer:
            for i in range(args.tasks):
                noop.apply_async(kwargs={"notice_id": i}, queue=queue, producer=producer)
        client = run.redis_client()
        print(f"published {client.llen(queue)} messages to {queue}")
        argv = [str(run.VENV_BIN / "celery"), "-A", "benchsite.celery_noop", "worker", "-Q", queue,
                f"--concurrency={args.concurrency}", "-n", f"{queue}@%h", "--without-gossip", "--without-mingle",
                "--without-heartbeat", "--loglevel=INFO"]
        worker = procs.start("noop worker", argv, env, run.OUT / f"{queue}.log")
        meter = run.CpuMeter({"celery_worker": lambda: [worker.pid, *run.children_of(worker.pid)]})
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
        print(f"{done} empty tasks in {seconds:.2f}s = {done / seconds:.0f} tasks/s with --concurrency="
              f"{args.concurrency}; worker CPU {1000 * usage['cpu_s'].get('celery_worker', 0) / done:.2f} ms per task, "
              f"machine busy {usage['machine_busy_pct']:.0f}%")
        print("  (the 'unacked' hash is shared by all kombu consumers of this Redis db; if other workers run, "
              "the end is approximate)")
    finally:
        procs.stop_all()
        print(f"deleted {run.delete_bench_keys(prefix)} Redis keys")
    return 0


if __name__ == "__main__":
    sys.exit(main())
