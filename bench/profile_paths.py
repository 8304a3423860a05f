"""Where the time goes, in one process without contention (companion to bench/run):

  .venv/bin/python bench/profile_paths.py            # ~1 minute; resets database bench_profile

Same production settings as bench/run (DEBUG=false, PostgreSQL, Redis) on a freshly seeded
database. Prints, per benched path, a cost table (ms per call, wall clock in one process,
machine otherwise as it is) and writes cProfile listings to bench/out/profile-*.txt:

1. notice POST through Django's WSGI handler with the load generator's multipart body, then its
   parts: multipart parsing, form construction and validation, workflow.file_notice statement by
   statement, e-mail rendering, the Celery publish; and the ceiling view for comparison.
2. workflow.route_notice on bulk-inserted confirmed notices, statement by statement, and the
   parts looked at: NoticeItem bulk_update vs one UPDATE per row vs one UPDATE ... FROM VALUES,
   choose_reviewer before and after 30,000 closed notices of history, and what a new PostgreSQL
   connection costs (Celery's Django fixup opened one per task before CELERY_DB_REUSE_MAX).
The Celery publishes go to a throw-away Redis queue, deleted at the end. No app code is changed:
alternatives are measured side by side here, never patched into the app.
"""

import argparse
import sys

import harness
import pg
import run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="bench_profile")
    parser.add_argument("-n", type=int, default=300, help="calls per measurement")
    args = parser.parse_args(argv)
    prefix = f"bench-prof-{harness.new_run_id()}-"
    port = 8000
    env = run.run_env(args.db, port, harness.free_port(), prefix)  # nothing listens on SMTP: no mail sent
    harness.setup_django(env)
    import profile_steps  # noqa: PLC0415 - imports the app's models, which need django.setup() in this environment

    def clean_redis() -> None:
        print(f"\ndeleted {harness.delete_keys(prefix)} Redis keys; cProfile listings in bench/out/profile-*.txt")

    result: dict = {"args": vars(args)}
    with harness.recorded(result, None, cleanup=[clean_redis]):
        pg.create_database(args.db)
        profile_steps.profile(args.n, prefix, port, env["SITE_URL"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
