"""Where the API's filing of a 3-listing notice spends its time: `bench/api_profile [--requests N]`.

The same setup as bench/api (a fresh database of its own, production settings, a verified organisation's key,
Django's test Client in this process). After a warm-up it prints the SQL statements of one POST /api/v1/notices
in order (django.test.utils.CaptureQueriesContext), then a cProfile of N more requests (cumulative time, the
top functions). Nothing is written but the printout; the database is dropped after."""

import argparse
import cProfile
import io
import pstats
import sys
import time

import api_bench


def statements(client, run: str) -> list[str]:
    from django.db import connection  # noqa: PLC0415 (Django is set up by main() first)
    from django.test.utils import CaptureQueriesContext  # noqa: PLC0415 (likewise)
    with CaptureQueriesContext(connection) as captured:
        response = client.post(api_bench.NOTICES_PATH, api_bench.notice_body(run, 0, 3),
                               content_type="application/json")
    assert response.status_code == 201, response.content
    return [query["sql"] for query in captured.captured_queries]


def profile(client, run: str, requests: int, top: int, dump: str | None = None) -> str:
    profiler = cProfile.Profile()
    t0 = time.perf_counter()
    profiler.enable()
    for number in range(requests):
        client.post(api_bench.NOTICES_PATH, api_bench.notice_body(run, number, 3), content_type="application/json")
    profiler.disable()
    if dump:
        profiler.dump_stats(dump)
    out = io.StringIO()
    out.write(f"{requests} requests in {time.perf_counter() - t0:.3f} s (profiled)\n")
    stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative")
    stats.print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="bench_api_profile")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--top", type=int, default=45)
    parser.add_argument("--redis-db", type=int, default=7)
    parser.add_argument("--dump", help="also write the cProfile data to this file (for pstats, snakeviz)")
    args = parser.parse_args()
    with api_bench.bench_process(args.db, args.redis_db, drop=True):
        from django.test import Client  # noqa: PLC0415 (Django is set up by bench_process)
        key = api_bench.prepare(args.db)
        client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
        run = f"P{int(time.time())}"
        api_bench.pairs(5, run + "-warm", key)
        sqls = statements(client, run + "-sql")
        print(f"--- {len(sqls)} statements of one 3-listing filing ---")
        for number, sql in enumerate(sqls, start=1):
            print(f"{number:3} {sql[:200]}")
        print(profile(client, run + "-prof", args.requests, args.top, args.dump))
    return 0


if __name__ == "__main__":
    sys.exit(main())
