"""The review queue bench's measurement (bench/queue, in each size's child process, after django.setup()):
the reviewer pages requested in-process with django.test.Client as rev01, the queue counts' refresh,
the checks, and the pending proposals of queue_proposals.py. What is measured how: bench/README.md,
"Review queue".
"""

import argparse
import json
import time

import harness
import pg
import queue_data
import queue_proposals
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone
from harness import log, percentile, summary_ms

from takedowns.models import Notice, Reviewer
from takedowns.selectors import notices as notice_selectors
from takedowns.selectors import queue as selectors

NOTICE_PAGES = ("notice", "notice_heavy_submitter", "notice_big_seller")
APP_TABLES = ("takedowns_notice", "takedowns_noticeitem", "takedowns_event", "takedowns_evidence", "takedowns_slaclock",
              "takedowns_reviewer\"", "takedowns_reasoncode", "takedowns_submitter")


def measure_size(args: argparse.Namespace, result: dict, deadline: float, main_pages: list[str]) -> None:
    """One size, in its child process: create, migrate and load the database, measure, check. `main_pages` are
    timed again after the proposals (the pages the issue names)."""
    n = args.n
    pg.create_database(args.db)
    with harness.in_process_settings(args.key_prefix):
        result["migrate_s"] = round(pg.migrate(), 1)
        log(f"N={n}: database {args.db} migrated; loading")
        t0 = time.perf_counter()
        result["load"] = queue_data.load(n, args.db)
        result["load_s"] = round(time.perf_counter() - t0, 1)
        log(f"N={n}: loaded in {result['load_s']}s: {result['load']['rows']}, {result['load']['database_mb']} MB")
        me = Reviewer.objects.select_related("user").get(user__username="rev01")
        client = Client()
        client.force_login(me.user)
        pages, info = choose_pages(me, args.deep_pages)
        result["pages"] = {k: v["url"] for k, v in pages.items()}
        result["page_info"] = info
        log(f"N={n}: pages {json.dumps(result['pages'])}; {json.dumps(info)}")
        explain = n in args.explain_sizes
        result.update(measure(client, pages, args, deadline, "current", n, explain))
        result["queue_counts"] = measure_counts(me, n, args.count_calls, explain)
        result["settings"] = {"DEBUG": settings.DEBUG, "CONN_MAX_AGE": settings.DATABASES["default"]["CONN_MAX_AGE"]}
        result["postgres"] = pg.postgres_settings("shared_buffers", "work_mem", "random_page_cost", "jit")
        failures = [key for key in NOTICE_PAGES if not info[key]["page_shows_counted_history"]]
        if not info["deep_page"]["walk_matches_queue_order"]:
            failures.append("keyset walk != queue order")
        # A smoke run goes through the proposals' steps with nothing pending, so that they cannot rot.
        if args.proposals and (pending_proposals() or args.smoke):
            result["proposals"] = run_proposals(client, pages, info, me, args, deadline, n, explain)
            result["proposals"]["recheck_current"] = recheck_current(client, pages, main_pages, args, deadline, n)
            failures += [k for k, v in result["proposals"].get("checks", {}).items() if v is False]
        result["check_failures"] = failures


def get(client: Client, url: str, expect: str | None = None) -> HttpResponse:
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url}: HTTP {response.status_code}")
    if expect and expect.encode() not in response.content:
        raise RuntimeError(f"GET {url}: {expect!r} not in the page")
    return response


def capture(client: Client, url: str) -> tuple[list[dict], int]:
    """The SQL of one (unmeasured) request, each statement timed, and the queue rows on the page."""
    captured, response = pg.capture_sql(lambda: get(client, url))
    return captured, response.content.count(b"<tr data-reference=")


def fill_counts() -> float:
    """What the beat task does (tasks.refresh_queue_counts): count the open notices into the shared
    cache. Returns its time in ms."""
    t0 = time.perf_counter()
    selectors.count_open_notices(timezone.now())
    return 1000 * (time.perf_counter() - t0)


def counts_cached() -> bool:
    return cache.get(selectors.QUEUE_COUNTS_KEY) is not None


def measure_counts(me: Reviewer, n: int, calls: int, explain: bool, budget_s: float = 90.0) -> dict:
    """The counts beside the queue's filters. (a) The refresh, now out of the request path: one
    `selectors.count_open_notices` call (what the beat task refresh_queue_counts runs every 15 s),
    `calls` times. (b) What a queue view pays for the counts with the cache warm:
    `selectors.queue_counts` (a read of the shared cache + the live count of "assigned to me")."""
    refresh, cached = [], []
    deadline = time.perf_counter() + budget_s
    for _ in range(calls):
        if time.perf_counter() > deadline and len(refresh) >= 5:
            break
        refresh.append(fill_counts())
        t0 = time.perf_counter()
        counts = selectors.queue_counts(me, "in_review", timezone.now())
        cached.append(1000 * (time.perf_counter() - t0))
    queries, _ = pg.capture_sql(lambda: selectors.count_open_notices(timezone.now()))
    cached_queries, _ = pg.capture_sql(lambda: selectors.queue_counts(me, "in_review", timezone.now()))
    out = {"refresh": summary_ms(refresh, 2, mean=False), "cached": summary_ms(cached, 2, mean=False), "sql": queries,
           "sql_ms": [q["ms"] for q in queries], "cached_sql": cached_queries,
           "cached_sql_ms": [q["ms"] for q in cached_queries],
           "counts": {"status": counts.status, "scope": counts.scope, "trust": counts.trust, "reason": counts.reason,
                      "right_type": counts.right_type}}
    log(f"N={n}: count_open_notices (the beat task's refresh) p50 {out['refresh']['p50_ms']} ms "
        f"p95 {out['refresh']['p95_ms']} ms ({len(refresh)} calls; SQL {out['sql_ms']} ms); "
        f"queue_counts with the cache warm p50 {out['cached']['p50_ms']} ms (SQL {out['cached_sql_ms']} ms)")
    if explain:
        out["explain"] = explain_all(queries)
    cache.delete(selectors.QUEUE_COUNTS_KEY)
    return out


def time_pages(client: Client, pages: dict[str, dict], requests: int, warmup: int, budget_s: float,
               page_cap_s: float = 20.0) -> dict:
    """Warm-up, then `requests` rounds; each round requests every page once, in rotating order.
    Bounded: the whole loop by budget_s, and a page whose requests add up to page_cap_s stops
    being sampled once it has 20 samples (the slowest page would otherwise take minutes)."""
    names = list(pages)
    refills = [round(fill_counts(), 1)]  # the beat task has counted: the cache is warm
    for name in names:
        for _ in range(warmup):
            get(client, pages[name]["url"], pages[name].get("expect"))
    samples: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}  # this process's CPU time per request
    refreshed: dict[str, list[int]] = {name: [] for name in names}  # samples before which the counts were refilled

    def sample(name: str) -> None:
        s, url = samples[name], pages[name]["url"]
        if len(s) >= 20 and sum(s) > 1000 * page_cap_s:
            return
        if (url.startswith("/review/?") or url == "/review/") and not counts_cached():
            refreshed[name].append(len(s))  # expired (QUEUE_COUNTS_SECONDS): refill untimed, as the beat task would
            refills.append(round(fill_counts(), 1))
        c0, t0 = time.process_time(), time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - t0
        cpu[name].append(1000 * (time.process_time() - c0))
        if response.status_code != 200:
            raise RuntimeError(f"GET {url}: HTTP {response.status_code}")
        s.append(1000 * elapsed)

    done = harness.rotating_rounds(names, requests, time.perf_counter() + budget_s, sample)
    if done < requests:
        log(f"  time budget of {budget_s:.0f}s reached after {done} rounds")
    out: dict = {name: {**summary_ms(samples[name], 2, (50, 95, 99)), "count_refills": len(refreshed[name]),
                        "cpu_p50_ms": round(percentile(cpu[name], 50), 2),
                        "cpu_p95_ms": round(percentile(cpu[name], 95), 2)} for name in names}
    out["_counts_refills_ms"] = refills
    return out


def queue_url(status: str = "in_review", right_type: str = "", reason: str = "", scope: str = "all",
              trust: str = "", after: str | None = None) -> str:
    """As the queue template writes its "Next page" link (first page: /review/ plus the filter form)."""
    url = f"/review/?status={status}&right_type={right_type}&reason={reason}&scope={scope}&trust={trust}"
    return url + (f"&after={after}" if after else "")


def walk_queue(me: Reviewer, deep_pages: int) -> tuple[str | None, dict]:
    """Follow the cursor of the default queue (in review, everyone's) as far as `deep_pages`; the pages
    followed must be the queue in order, without gaps or repeats."""
    cursor, depth, seen = None, 0, []
    t0 = time.perf_counter()
    while depth < deep_pages:
        page = selectors.review_queue(me, selectors.QueueFilters(), cursor)
        seen += [notice.pk for notice in page.rows]
        if not page.next_cursor:
            break
        cursor, depth = page.next_cursor, depth + 1
    walk_s = time.perf_counter() - t0
    expected = list(Notice.objects.filter(status="in_review").order_by("due_at", "-priority", "id")
                    .values_list("pk", flat=True)[: len(seen)])
    return cursor, {"pages_followed": depth, "rows_before": depth * selectors.QUEUE.size, "walk_s": round(walk_s, 2),
                    "cursor": cursor, "walk_matches_queue_order": seen == expected and len(set(seen)) == len(seen)}


def pick_notices(me: Reviewer) -> tuple[dict, dict[str, str]]:
    """Submitters file very different volumes (a few vendors file most notices). The typical notice
    comes from the submitter at the notice-weighted median volume; the heavy one from the biggest
    submitter; the big-seller one reports a listing of the seller with the most reported items (or
    the biggest there is among rev01's notices). All: in review, assigned to rev01, 3 listings."""
    with connection.cursor() as cur:
        cur.execute("SELECT notices FROM (SELECT notices, sum(notices) OVER (ORDER BY notices, id) AS cum, "
                    "sum(notices) OVER () AS total FROM takedowns_submitter) w WHERE cum >= total / 2 "
                    "ORDER BY cum LIMIT 1")
        median_volume = cur.fetchone()[0]
        cur.execute("SELECT count(*), max(notices), count(*) FILTER (WHERE trusted_flagger) FROM takedowns_submitter")
        count, largest, flaggers = cur.fetchone()

        def pick(order: str) -> str:
            cur.execute("SELECT n.reference FROM takedowns_notice n JOIN takedowns_submitter s "
                        "ON s.id = n.submitter_id WHERE n.status = 'in_review' AND n.assigned_to_id = %s "
                        "AND (SELECT count(*) FROM takedowns_noticeitem i WHERE i.notice_id = n.id "
                        "AND i.listing_id IS NOT NULL) = 3 "
                        "AND NOT EXISTS (SELECT 1 FROM takedowns_noticeitem i WHERE i.notice_id = n.id "
                        "AND i.listing_id IS NULL) ORDER BY " + order + ", md5(n.id::text) LIMIT 1", [me.pk])
            return cur.fetchone()[0]

        picked = {"notice": pick(f"abs(s.notices - {int(median_volume)})"),
                  "notice_heavy_submitter": pick("s.notices DESC"),
                  "notice_big_seller": pick("(SELECT max(se.reported_items) FROM takedowns_noticeitem i JOIN "
                                            "takedowns_listing l ON l.id = i.listing_id JOIN takedowns_seller se "
                                            "ON se.id = l.seller_id WHERE i.notice_id = n.id) DESC")}
    return {"count": count, "notice_weighted_median_volume": median_volume, "largest_volume": largest,
            "trusted_flaggers": flaggers}, picked


def choose_pages(me: Reviewer, deep_pages: int) -> tuple[dict, dict]:
    cursor, deep = walk_queue(me, deep_pages)
    submitters, picked = pick_notices(me)
    info: dict = {"deep_page": deep, "submitters": submitters}
    for key, reference in picked.items():
        info[key] = notice_page_check(Notice.objects.get(reference=reference))
    pages = {
        "queue_first": {"url": "/review/", "expect": 'id="queue"'},
        "queue_filtered": {"url": queue_url(right_type="patent", scope="mine"), "expect": 'id="queue"'},
        "queue_reason": {"url": queue_url(reason="counterfeit"), "expect": "data-reference="},
        "queue_trusted": {"url": queue_url(trust="trusted_flagger"), "expect": "data-reference="},
        "queue_deep": {"url": queue_url(after=cursor), "expect": "data-reference="},
        **{key: {"url": f"/review/notices/{reference}/", "expect": 'id="items"'} for key, reference in picked.items()},
        # Extras: the reviewer's own queue, a filter that fills a page at every N (patent+mine has
        # only ~6 rows at 10,000 notices), the escalations.
        "queue_mine": {"url": queue_url(scope="mine"), "expect": "data-reference="},
        "queue_filtered_tm": {"url": queue_url(right_type="trademark", scope="mine"), "expect": "data-reference="},
        "queue_escalated": {"url": queue_url(scope="escalated"), "expect": 'id="queue"'},
    }
    return pages, info


def notice_page_check(notice: Notice) -> dict:
    """What the notice page shows (selectors.notices.review_page, read from the counters) against the
    same history counted from the rows: earlier notices, removed/rejected items of the submitter's
    other notices, and per seller the routed items and removals of other notices."""
    page = notice_selectors.review_page(notice)
    shown_sellers = {item.listing.seller_id: {k: item.seller_history[k] for k in ("reported", "removed")}
                     for item in page.items if item.listing}
    with connection.cursor() as cur:
        cur.execute("SELECT count(DISTINCT n.id) - 1, count(d.id) FILTER (WHERE d.outcome = 'remove' AND n.id <> %s), "
                    "count(d.id) FILTER (WHERE d.outcome = 'reject' AND n.id <> %s) FROM takedowns_notice n "
                    "LEFT JOIN takedowns_noticeitem i ON i.notice_id = n.id LEFT JOIN takedowns_decision d "
                    "ON d.item_id = i.id WHERE n.submitter_id = %s", [notice.pk, notice.pk, notice.submitter_id])
        notices, removed, rejected = cur.fetchone()
        cur.execute("SELECT l.seller_id, count(*), count(d.id) FILTER (WHERE d.outcome = 'remove') "
                    "FROM takedowns_noticeitem i JOIN takedowns_listing l ON l.id = i.listing_id "
                    "JOIN takedowns_notice n ON n.id = i.notice_id LEFT JOIN takedowns_decision d ON d.item_id = i.id "
                    "WHERE l.seller_id = ANY(%s) AND n.routed_at IS NOT NULL AND n.id <> %s GROUP BY 1",
                    [list(shown_sellers), notice.pk])
        counted_sellers = {seller: {"reported": reported, "removed": rem} for seller, reported, rem in cur.fetchall()}
    counted_sellers = {seller: counted_sellers.get(seller, {"reported": 0, "removed": 0}) for seller in shown_sellers}
    counted = {"notices": notices, "removed": removed, "rejected": rejected}
    shown = {k: page.submitter_record[k] for k in counted}
    return {"reference": notice.reference, "submitter_notices": notices + 1, "trust": notice.trust,
            "seller_items": {str(k): v["reported"] for k, v in counted_sellers.items()},
            "submitter_record_shown": shown, "submitter_record_counted": counted,
            "page_shows_counted_history": shown == counted and shown_sellers == counted_sellers}


def explain_all(queries: list[dict]) -> list[dict]:
    """EXPLAIN (ANALYZE, BUFFERS) of the app's SELECTs of a request (not session/auth lookups)."""
    return [{**pg.explain_analyze(q["sql"]), "captured_ms": q["ms"]} for q in queries
            if q["sql"].lstrip().upper().startswith("SELECT") and any(t in q["sql"] for t in APP_TABLES)]


def measure(client: Client, pages: dict, args: argparse.Namespace, deadline: float, tag: str, n: int,
            explain: bool) -> dict:
    """Queries per request, timing of every page, and (if asked) EXPLAIN ANALYZE of their SQL."""
    out = {}
    fill_counts()  # the counts cached (by the beat task): the SQL below is that of a view with cached counts
    captured = {name: capture(client, page["url"]) for name, page in pages.items()}
    queries = {name: c[0] for name, c in captured.items()}
    out["rows_on_page"] = {name: c[1] for name, c in captured.items() if name.startswith("queue")}
    out["queries"] = {name: len(q) for name, q in queries.items()}
    out["sql_ms"] = {name: round(sum(x["ms"] for x in q), 2) for name, q in queries.items()}
    out["sql"] = queries
    t0 = time.perf_counter()
    budget_s = max(10.0, deadline - time.perf_counter() - 90)
    out["timing"] = time_pages(client, pages, args.requests, args.warmup, budget_s)
    out["counts_refills_ms"] = out["timing"].pop("_counts_refills_ms")
    out["timing_s"] = round(time.perf_counter() - t0, 1)
    log(f"N={n} {tag}: counts filled before the warm-up (and refilled untimed when expired): "
        f"{out['counts_refills_ms']} ms")
    for name, t in out["timing"].items():
        log(f"N={n} {tag}: {name:24s} p50 {t['p50_ms']:7.2f} ms  p95 {t['p95_ms']:7.2f} ms  "
            f"(Django process CPU p50 {t['cpu_p50_ms']:.2f} ms) "
            f"({t['n']} requests, {out['queries'][name]} queries, SQL {out['sql_ms'][name]} ms"
            + (f", {out['rows_on_page'][name]} rows" if name in out["rows_on_page"] else "")
            + (f", {t['count_refills']} untimed refills of the expired counts before it)" if t["count_refills"]
               else ")"))
    if explain:
        out["explain"] = {name: explain_all(queries[name]) for name in pages}
    return out


def pending_proposals() -> bool:
    return bool(queue_proposals.APPLY or queue_proposals.PATCHES)


def run_proposals(client: Client, pages: dict, info: dict, me: Reviewer, args: argparse.Namespace, deadline: float,
                  n: int, explain: bool) -> dict:
    """The pending proposals of queue_proposals.py at once: apply (SQL on this database, functions
    patched into this process), check the pages still show what they showed, measure the pages and
    the counts refresh, undo. (Then measure_size times the main pages once more with the current
    code: a drift check, the machine is shared.)"""
    originals = {name: getattr(selectors, name) for name in queue_proposals.PATCHES}
    out: dict = {}
    before = selectors.count_open_notices(timezone.now())
    t0 = time.perf_counter()
    try:
        with connection.cursor() as cur:
            for statement in queue_proposals.APPLY:
                cur.execute(statement)
        out["apply_s"] = round(time.perf_counter() - t0, 1)
        for name, function in queue_proposals.PATCHES.items():
            setattr(selectors, name, function)
        checks = {f"{key}_shows_counted_history":
                  notice_page_check(Notice.objects.get(reference=info[key]["reference"]))["page_shows_counted_history"]
                  for key in NOTICE_PAGES}
        after = selectors.count_open_notices(timezone.now())
        checks["queue_counts_same"] = before["per_status"] == after["per_status"]
        out["checks"] = checks
        log(f"N={n}: proposals applied in {out['apply_s']}s; checks {json.dumps(checks)}")
        out.update(measure(client, pages, args, deadline, "proposed", n, explain))
        out["queue_counts"] = measure_counts(me, n, args.count_calls, explain)
    finally:
        for name, function in originals.items():
            setattr(selectors, name, function)
        with connection.cursor() as cur:
            for statement in queue_proposals.UNDO:
                cur.execute(statement)
    return out


def recheck_current(client: Client, pages: dict, main_pages: list[str], args: argparse.Namespace, deadline: float,
                    n: int) -> dict:
    """The main pages once more with the current code, after the proposals were undone."""
    main = {name: pages[name] for name in main_pages}
    rounds = max(20, args.requests // 3)
    timing = time_pages(client, main, rounds, 2, max(10.0, deadline - time.perf_counter() - 30))
    timing.pop("_counts_refills_ms")
    log(f"N={n}: current code again ({rounds} rounds): "
        + ", ".join(f"{k} p95 {v['p95_ms']}" for k, v in timing.items()))
    return timing
