"""Worker app for bench/celery_ceiling.py: the portal's Celery app (same settings: acks_late,
prefetch 1, JSON, Redis) plus one empty task, to measure Celery's own per-task cost."""

from portal.celery import app


@app.task(name="bench.noop")
def noop(*, notice_id: int) -> None:
    return None
