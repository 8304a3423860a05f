"""The dashboard bench's measurement (bench/dashboard, in each size's child process, after django.setup()):
the leads' dashboard and the public transparency report requested in-process with django.test.Client,
without and with the maintained roll-ups, the beat tasks' refresh timed, the figures checked against
independent SQL, and the index proposals. What is measured how: bench/README.md, "Dashboard".
"""

import argparse
import json
import re
import time
from datetime import date, timedelta

import dashboard_data
import harness
import pg
import psycopg
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from harness import label, log, percentile, summary_ms

from takedowns.models import ClockBreachesDay, ClockDurationsDay, ClockRollupMark, ReportSnapshot
from takedowns.reports import clock_rollup, dashboard, measures, transparency
from takedowns.reports.periods import Period

# Index proposals measured on the bench's own database at the largest N (SQL only; never the app).
# None pending: the covering indexes measured on 29 November (RESULTS.md, "Proposals") halved the
# dashboard but could not meet the target; the dashboard now reads the clock roll-up and the report
# its snapshots instead. The mechanism stays for the next proposal.
PROPOSALS: dict[str, str] = {}
# The dashboard pages measured once more before the roll-up is built (the live path, as right after
# migrating or with the beat stopped), side by side with the same pages after it.
NO_ROLLUP_PAGES = ("dashboard_30d", "dashboard_6m", "figures_csv")
# The dashboard's medians and p90 come from 2 % buckets (takedowns/reports/clock_rollup.py).
PERCENTILE_TOLERANCE = 0.02
LOADED_MARK = "bench_dash_loaded"  # a table that says the database holds a complete load (--reuse)


def log_in_lead(client: Client, user) -> None:
    """The lead's session as the login page leaves it under the production settings: the password,
    then the code of an authenticator app (a lead must have one; also on a database loaded before)."""
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="bench", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def measure_size(args: argparse.Namespace, result: dict, deadline: float) -> None:
    """One size, in its child process: create, migrate and load the database (or reuse a loaded one),
    then the pages without the roll-ups, the roll-ups' refresh, the checks, the pages, the proposals."""
    n = args.n
    reuse = args.reuse and loaded(args.db)
    if not reuse:
        pg.create_database(args.db)
    with harness.in_process_settings(args.key_prefix):
        prepare(args, result, reuse)
        log(f"N={label(n)}: loaded{' in ' + str(result.get('load_s')) + 's' if not reuse else ''}: "
            f"{result['load']['rows']}, {result['load']['database_mb']} MB")
        lead_client, public_client = Client(), Client()
        log_in_lead(lead_client, get_user_model().objects.get(username="lead01"))
        clients = {"lead": lead_client, "public": public_client}
        today = timezone.localdate()
        pages = choose_pages(today)
        result["pages"] = {k: v["url"] for k, v in pages.items()}
        clear_rollups()
        if args.no_rollup_rounds:
            result["no_rollup"] = measure(clients, pages, args, deadline, n, "no roll-up", False,
                                          only=list(NO_ROLLUP_PAGES), rounds=args.no_rollup_rounds)
        log(f"N={label(n)}: refreshing the roll-ups as the beat tasks do")
        result["rollups"] = refresh_rollups()
        result["checks"] = check_figures(clients, pages, today)
        log(f"N={label(n)}: checks " + json.dumps({k: v["ok"] for k, v in result["checks"].items()}))
        do_explain = n in args.explain_sizes
        result.update(measure(clients, pages, args, deadline, n, "current", do_explain))
        result["postgres"] = pg.postgres_settings("shared_buffers", "work_mem",
                                                      "max_parallel_workers_per_gather", "jit")
        # A smoke run goes through the proposals' steps with none pending, so that they cannot rot.
        if args.proposals and do_explain and (PROPOSALS or args.smoke):
            if deadline - time.perf_counter() < 300 and not args.smoke:
                log(f"N={label(n)}: proposals skipped: less than 5 minutes left before the deadline")
                result["proposals_skipped"] = "deadline"
            else:
                result["proposals"] = run_proposals(clients, pages, args, deadline, n, today)
        failures = [k for k, v in result["checks"].items() if not v["ok"]]
        failures += [f"proposed: {k}" for k, v in (result.get("proposals") or {}).get("checks", {}).items()
                     if not v["ok"]]
        result["check_failures"] = failures


def prepare(args: argparse.Namespace, result: dict, reuse: bool) -> None:
    """Migrate and load the (new, empty) database, or describe the loaded one that --reuse found."""
    if reuse:
        log(f"N={label(args.n)}: reusing the loaded database {args.db} (--reuse)")
        with connection.cursor() as cur:
            result["load"] = dashboard_data.describe(cur)
        result["reused"] = True
        return
    result["migrate_s"] = round(pg.migrate(), 1)
    log(f"N={label(args.n)}: database {args.db} migrated; loading")
    t0 = time.perf_counter()
    result["load"] = dashboard_data.load(args.n, args.db)
    result["load_s"] = round(time.perf_counter() - t0, 1)
    with connection.cursor() as cur:
        cur.execute(f"CREATE TABLE {LOADED_MARK} (n bigint, at timestamptz)")
        cur.execute(f"INSERT INTO {LOADED_MARK} VALUES (%s, now())", [args.n])


def loaded(db: str) -> bool:
    """Whether `db` exists and holds a complete load (for --reuse)."""
    try:
        with psycopg.connect(harness.database_url(db), autocommit=True) as conn:
            return conn.execute(f"SELECT to_regclass('{LOADED_MARK}') IS NOT NULL").fetchone()[0]
    except psycopg.OperationalError:
        return False


def choose_pages(today: date) -> dict[str, dict]:
    """The pages; `lead` pages are requested as the lead, the others anonymously (the public report)."""
    last_month = today.replace(day=1) - timedelta(days=1)
    month = f"{last_month:%Y-%m}"
    # The latest complete half-year (the report for a whole half-year of data).
    half = f"{today.year}-H1" if today.month >= 7 else f"{today.year - 1}-H2"
    six_months = f"from={today - timedelta(days=181)}&to={today}"
    return {
        "dashboard_30d": {"url": "/review/dashboard/", "lead": True, "expect": 'id="durations"'},
        "dashboard_6m": {"url": f"/review/dashboard/?{six_months}", "lead": True, "expect": 'id="durations"'},
        # The longest period the dashboard accepts (366 days): an extra, not in the issue's list.
        "dashboard_12m": {"url": f"/review/dashboard/?from={today - timedelta(days=365)}&to={today}", "lead": True,
                          "expect": 'id="durations"', "extra": True},
        "figures_csv": {"url": "/review/dashboard/figures.csv", "lead": True, "expect": "running_clocks"},
        "durations_csv_30d": {"url": "/review/dashboard/durations.csv", "lead": True, "expect": "clock_id",
                              "stream": True},
        "report_month": {"url": f"/transparency/{month}/", "expect": "Notices received", "period": month},
        "report_half": {"url": f"/transparency/{half}/", "expect": "Notices received", "period": half},
        "report_half_json": {"url": f"/transparency/{half}.json", "expect": '"received"', "period": half},
        "report_month_json": {"url": f"/transparency/{month}.json", "expect": '"received"', "period": month,
                              "extra": True},
    }


def fetch(clients: dict, page: dict) -> tuple[float, bytes]:
    """One request, to the last byte (a streamed response is consumed); returns the time to the first
    byte of the body in ms (for a streamed one: its first chunk) and the body."""
    t0 = time.perf_counter()
    response = clients["lead" if page.get("lead") else "public"].get(page["url"])
    if response.status_code != 200:
        raise RuntimeError(f"GET {page['url']}: HTTP {response.status_code}")
    if not response.streaming:
        return 1000 * (time.perf_counter() - t0), response.content
    chunks = iter(response.streaming_content)
    first = next(chunks, b"")
    ttfb = 1000 * (time.perf_counter() - t0)
    return ttfb, first + b"".join(chunks)


def time_pages(clients: dict, pages: dict, rounds: int, warmup: int, deadline: float, page_cap_s: float) -> dict:
    """Warm-up, then rounds of every page once in rotating order (noise hits all pages alike), until
    `rounds` rounds are done or the deadline passes. A page whose samples add up to page_cap_s stops
    being sampled once it has 10 (the full export at 1M takes seconds per request)."""
    names = list(pages)
    for name in names:
        for _ in range(warmup):
            fetch(clients, pages[name])
    samples: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    first_byte: dict[str, list[float]] = {name: [] for name in names}

    def sample(name: str) -> None:
        if len(samples[name]) >= 10 and sum(samples[name]) > 1000 * page_cap_s:
            return
        c0, t0 = time.process_time(), time.perf_counter()
        first_byte[name].append(fetch(clients, pages[name])[0])
        samples[name].append(1000 * (time.perf_counter() - t0))
        cpu[name].append(1000 * (time.process_time() - c0))

    done = harness.rotating_rounds(names, rounds, deadline, sample)
    if done < rounds:
        log(f"  deadline reached after {done} rounds")
    return {name: {**summary_ms(s, 1), "cpu_p50_ms": round(percentile(cpu[name], 50), 1),
                   "first_byte_p50_ms": round(percentile(first_byte[name], 50), 1),
                   "first_byte_p95_ms": round(percentile(first_byte[name], 95), 1)}
            for name, s in samples.items() if s}


def capture_pages(clients: dict, pages: dict) -> dict:
    """The SQL of one (unmeasured) request per page, each statement timed around the driver call. The
    streamed export reads a server-side cursor: only its first fetch is inside the timed execute."""
    out = {}
    for name, page in pages.items():
        queries, (_, body) = pg.capture_sql(lambda page=page: fetch(clients, page))
        out[name] = {"queries": len(queries), "sql_ms": round(sum(q["ms"] for q in queries), 1),
                     "bytes": len(body), "sql": queries}
    return out


def explain_slowest(captured: dict, per_page: int = 3, min_ms: float = 5.0) -> dict:
    """EXPLAIN (ANALYZE, BUFFERS) of each page's slowest app SELECTs (the streamed export: its query)."""
    out = {}
    for name, c in captured.items():
        selects = [q for q in c["sql"] if q["sql"].lstrip().upper().startswith("SELECT") and "takedowns_" in q["sql"]]
        export = [q for q in selects
                  if '"elapsed", (' in q["sql"] or 'ORDER BY "takedowns_slaclock"."stopped_at"' in q["sql"]]
        slowest = [q for q in sorted(selects, key=lambda q: -q["ms"])[:per_page] if q["ms"] >= min_ms]
        out[name] = [{**pg.explain_analyze(q["sql"]), "captured_ms": q["ms"]}
                     for q in slowest + [q for q in export if q not in slowest]]
    return out


def clear_rollups() -> None:
    """Empty the maintained roll-ups (a reused database may hold them from an earlier run)."""
    for model in (ClockDurationsDay, ClockBreachesDay, ReportSnapshot):
        model.objects.all().delete()
    ClockRollupMark.objects.update(through=None)


def refresh_rollups() -> dict:
    """What the beat tasks do in production, timed: the clock roll-up's first run (the backfill of
    the whole year), its next run (today from its start again, as every 5 minutes), and the report
    snapshots of the current and previous month and half-year."""
    out: dict = {}
    for name, work in (("rollup_backfill", lambda: clock_rollup.refresh(timezone.now())),
                       ("rollup_next_run", lambda: clock_rollup.refresh(timezone.now())),
                       ("report_snapshots", lambda: transparency.refresh_current_reports(timezone.now()))):
        t0 = time.perf_counter()
        written = work()
        out[name] = {"s": round(time.perf_counter() - t0, 2), "result": written}
        log(f"  {name}: {out[name]['s']}s ({written})")
    with connection.cursor() as cur:
        # As autovacuum soon does after inserts (PostgreSQL 13+): statistics for the planner, and the
        # visibility map that lets the dashboard's reads be index-only scans.
        cur.execute("VACUUM (ANALYZE) takedowns_clockdurationsday, takedowns_clockbreachesday")
        cur.execute("SELECT c.relname, c.reltuples::bigint, pg_total_relation_size(c.oid) / 1048576.0 FROM pg_class c "
                    "WHERE relname IN ('takedowns_clockdurationsday', 'takedowns_clockbreachesday')")
        out["tables"] = {name: {"rows": rows, "mb": round(float(mb), 1)} for name, rows, mb in cur.fetchall()}
    return out


def check_percentiles(period: Period, shown: dict) -> dict:
    """Per clock kind over the period: counts as shown against exact SQL counts; median and p90 as
    shown (seconds) within PERCENTILE_TOLERANCE (+1 s of rounding) of percentile_cont over the clocks."""
    with connection.cursor() as cur:
        cur.execute("""SELECT kind, count(*), count(*) FILTER (WHERE stopped_at <= due_at),
                              count(*) FILTER (WHERE breached_at IS NOT NULL),
                              extract(epoch FROM percentile_cont(0.5) WITHIN GROUP (ORDER BY elapsed)),
                              extract(epoch FROM percentile_cont(0.9) WITHIN GROUP (ORDER BY elapsed))
                       FROM takedowns_slaclock WHERE stopped_at >= %s AND stopped_at < %s AND NOT cancelled
                       GROUP BY 1""", [period.start, period.end])
        exact = {kind: (count, within, breached, float(median), float(p90))
                 for kind, count, within, breached, median, p90 in cur.fetchall()}
    out: dict = {"ok": True, "kinds": {}}
    for kind, (count, within, breached, median, p90) in exact.items():
        got = shown.get(kind)
        if got is None:
            out["ok"] = False
            out["kinds"][kind] = "missing"
            continue
        errors = [abs(got[3] - median) / max(median, 1), abs(got[4] - p90) / max(p90, 1)]
        ok = got[:3] == (count, within, breached) and all(
            abs(shown_s - exact_s) <= exact_s * PERCENTILE_TOLERANCE + 1
            for shown_s, exact_s in ((got[3], median), (got[4], p90)))
        out["ok"] = out["ok"] and ok
        out["kinds"][kind] = {"ok": ok, "counted": [count, within, breached, round(median), round(p90)],
                              "shown": list(got), "relative_error": [round(e, 5) for e in errors]}
    return out


def check_figures(clients: dict, pages: dict, today: date) -> dict:
    """Figures on the pages against independent SQL counts on the loaded rows."""
    checks: dict = {key: check_report(clients, pages[key]) for key in ("report_month_json", "report_half_json")}
    # The report page shows the same number of notices received.
    html = fetch(clients, pages["report_month"])[1].decode()
    match = re.search(r'Notices received</th><td class="text-end">(\d+)<', html)
    received = sum(checks["report_month_json"]["counted"]["by_right_type"].values())
    checks["report_month_page_received"] = {"ok": bool(match) and int(match[1]) == received,
                                            "shown": match and int(match[1]), "counted": received}
    csv_text = fetch(clients, pages["figures_csv"])[1].decode()
    checks["running_clocks_by_state"] = check_running_clocks(csv_text)
    period = Period(today - timedelta(days=29), today)
    checks.update(check_period_totals(clients, pages, period))
    # Durations per kind: the default period from figures.csv, six months from the figures module.
    shown_stopped: dict = {}
    for line in csv_text.splitlines():
        parts = line.split(",")
        if parts[0] == "stopped_clocks" and parts[2] in ("count", "within_target", "breached",
                                                          "median_elapsed_seconds", "p90_elapsed_seconds"):
            shown_stopped.setdefault(parts[1], {})[parts[2]] = int(parts[3]) if parts[3] else None
    checks["durations_30d"] = check_percentiles(period, {kind: (v["count"], v["within_target"], v["breached"],
                                                               v["median_elapsed_seconds"], v["p90_elapsed_seconds"])
                                                         for kind, v in shown_stopped.items() if v["count"]})
    six = Period(today - timedelta(days=181), today)
    checks["durations_6m"] = check_percentiles(six, {
        row.kind: (row.count, row.within, row.breached, measures.seconds(row.median), measures.seconds(row.p90))
        for row in dashboard.durations_per_kind(six) if row.count})
    return checks


def check_report(clients: dict, page: dict) -> dict:
    """The report's JSON: notices confirmed in the period by right type and by source; decisions by
    outcome; penalties by level; counter-notices filed. Periods in the current time zone, half-open."""
    period = transparency.report_period(page["period"], timezone.now())
    shown = json.loads(fetch(clients, page)[1])
    bounds = [period.start, period.end]
    with connection.cursor() as cur:
        cur.execute("SELECT right_type, count(*) FROM takedowns_notice WHERE confirmed_at >= %s "
                    "AND confirmed_at < %s GROUP BY 1", bounds)
        by_type = dict(cur.fetchall())
        cur.execute("SELECT count(*) FROM takedowns_notice WHERE confirmed_at >= %s AND confirmed_at < %s "
                    "AND trust = 'trusted_flagger'", bounds)
        trusted = cur.fetchone()[0]
        cur.execute("SELECT outcome, count(*) FROM takedowns_decision WHERE decided_at >= %s AND decided_at < %s "
                    "GROUP BY 1", bounds)
        outcomes = dict(cur.fetchall())
        cur.execute("SELECT level, count(*) FROM takedowns_penalty WHERE decided_at >= %s AND decided_at < %s "
                    "GROUP BY 1", bounds)
        levels = dict(cur.fetchall())
        cur.execute("SELECT count(*) FROM takedowns_counternoticefiling WHERE filed_at >= %s AND filed_at < %s",
                    bounds)
        counter = cur.fetchone()[0]
    counted = {"by_right_type": {t: by_type.get(t, 0) for t in shown["notices"]["by_right_type"]},
               "trusted_flagger": trusted,
               "by_outcome": {o: outcomes.get(o, 0) for o in shown["actions"]["by_outcome"]},
               "penalties_by_level": {lv: levels.get(lv, 0) for lv in shown["penalties"]["by_level"]},
               "counter_notices_filed": counter}
    on_page = {"by_right_type": shown["notices"]["by_right_type"],
               "trusted_flagger": shown["notices"]["by_source"]["trusted_flagger"],
               "by_outcome": shown["actions"]["by_outcome"], "penalties_by_level": shown["penalties"]["by_level"],
               "counter_notices_filed": shown["counter_notices"]["filed"]}
    return {"ok": on_page == counted, "counted": counted, "shown": on_page}


def check_running_clocks(csv_text: str) -> dict:
    """figures.csv's running clocks by kind and state against a count over the clocks."""
    with connection.cursor() as cur:
        cur.execute("""SELECT kind,
                              count(*) FILTER (WHERE breached_at IS NULL AND paused_at IS NULL AND warned_at IS NULL),
                              count(*) FILTER (WHERE breached_at IS NULL AND paused_at IS NULL
                                               AND warned_at IS NOT NULL),
                              count(*) FILTER (WHERE breached_at IS NOT NULL),
                              count(*) FILTER (WHERE breached_at IS NULL AND paused_at IS NOT NULL)
                       FROM takedowns_slaclock WHERE stopped_at IS NULL GROUP BY 1""")
        running = {kind: dict(zip(("on_time", "warning", "breached", "paused"), v, strict=True))
                   for kind, *v in cur.fetchall()}
    shown: dict = {}
    for line in csv_text.splitlines():
        parts = line.split(",")
        if parts[0] == "running_clocks":
            shown.setdefault(parts[1], {})[parts[2]] = int(parts[3])
    counted = {kind: running.get(kind, {s: 0 for s in ("on_time", "warning", "breached", "paused")}) for kind in shown}
    return {"ok": shown == counted, "counted": counted, "shown": shown}


def check_period_totals(clients: dict, pages: dict, period: Period) -> dict:
    """The dashboard's breach total of the default period (every breach on its day, the clock_breached
    events: clocks cancelled later included) and durations.csv's lines (one per clock stopped in it)."""
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM takedowns_slaclock WHERE breached_at >= %s AND breached_at < %s",
                    [period.start, period.end])
        breaches = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM takedowns_slaclock WHERE stopped_at >= %s AND stopped_at < %s "
                    "AND NOT cancelled", [period.start, period.end])
        stopped = cur.fetchone()[0]
    match = re.search(r'<strong id="breach-total">(\d+)</strong>', fetch(clients, pages["dashboard_30d"])[1].decode())
    lines = fetch(clients, pages["durations_csv_30d"])[1].count(b"\n") - 1
    return {"dashboard_breach_total": {"ok": bool(match) and int(match[1]) == breaches,
                                       "shown": match and int(match[1]), "counted": breaches},
            "durations_csv_lines": {"ok": lines == stopped, "shown": lines, "counted": stopped}}


def measure(clients: dict, pages: dict, args: argparse.Namespace, deadline: float, n: int, tag: str, do_explain: bool,
            only: list[str] | None = None, rounds: int | None = None) -> dict:
    chosen = {k: v for k, v in pages.items() if only is None or k in only}
    out: dict = {}
    captured = capture_pages(clients, chosen)
    out["queries"] = {k: c["queries"] for k, c in captured.items()}
    out["sql_ms"] = {k: c["sql_ms"] for k, c in captured.items()}
    out["bytes"] = {k: c["bytes"] for k, c in captured.items()}
    out["sql"] = {k: c["sql"] for k, c in captured.items()}
    reserve = 120 if do_explain else 30
    t0 = time.perf_counter()
    out["timing"] = time_pages(clients, chosen, rounds or args.rounds, args.warmup,
                               max(time.perf_counter() + 20, deadline - reserve), args.page_cap_s)
    out["timing_s"] = round(time.perf_counter() - t0, 1)
    for name, t in out["timing"].items():
        log(f"N={label(n)} {tag}: {name:20s} p50 {t['p50_ms']:8.1f} ms  p95 {t['p95_ms']:8.1f} ms  ({t['n']} requests, "
            f"{out['queries'][name]} queries, SQL {out['sql_ms'][name]} ms, {out['bytes'][name]} bytes"
            + (f", first byte p50 {t['first_byte_p50_ms']} ms)" if pages[name].get("stream") else ")"))
    if do_explain:
        t0 = time.perf_counter()
        # A smoke run's statements are all fast: it explains them anyway, so that the step cannot rot.
        out["explain"] = explain_slowest(captured, min_ms=0.0 if args.smoke else 5.0)
        log(f"N={label(n)} {tag}: EXPLAIN ANALYZE in {time.perf_counter() - t0:.0f}s")
    return out


def run_proposals(clients: dict, pages: dict, args: argparse.Namespace, deadline: float, n: int, today: date) -> dict:
    """PROPOSALS on this database: create, ANALYZE, check, measure, EXPLAIN, drop."""
    out: dict = {"sql": PROPOSALS}
    t0 = time.perf_counter()
    try:
        with connection.cursor() as cur:
            for sql in PROPOSALS.values():
                cur.execute(sql)
            for table in ("takedowns_slaclock", "takedowns_notice", "takedowns_noticeitem", "takedowns_decision",
                          "takedowns_penalty"):
                cur.execute(f"ANALYZE {table}")
            cur.execute("SELECT c.relname, pg_relation_size(c.oid) / 1048576 FROM pg_class c "
                        "WHERE relname LIKE 'bench_p_%'")
            out["index_mb"] = dict(cur.fetchall())
        out["create_s"] = round(time.perf_counter() - t0, 1)
        log(f"N={label(n)}: proposals created in {out['create_s']}s ({out['index_mb']} MB)")
        out["checks"] = check_figures(clients, pages, today)
        # The streamed export is Python-bound (one CSV line per clock); the indexes are for the aggregates.
        out.update(measure(clients, pages, args, deadline, n, "proposed", True,
                           only=[k for k in pages if not pages[k].get("stream")], rounds=max(10, args.rounds // 2)))
    finally:
        with connection.cursor() as cur:
            for name in PROPOSALS:
                cur.execute(f"DROP INDEX IF EXISTS bench_p_{name}")
    return out
