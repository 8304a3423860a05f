"""PostgreSQL for the benches: their own databases created, migrated (static files collected) and
dropped; the bulk-load session of bench/queue and bench/dashboard, which rebuilds the indexes after
the load; EXPLAIN ANALYZE; the SQL of a call, each statement timed. Database names are checked by
harness.check_database_name: a bench never touches the test database."""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from harness import PG_ADMIN, check_database_name, close_connections, database_url, log


def admin_execute(*statements: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def create_database(db: str) -> None:
    """A fresh, empty database (an older one of that name is dropped)."""
    check_database_name(db)
    admin_execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)', f'CREATE DATABASE "{db}"')


def drop_database(db: str) -> None:
    check_database_name(db)
    close_connections()
    admin_execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')




def migrate(collectstatic_always: bool = False) -> float:
    """Migrate the (empty) database with the app's migrations and collect the static files that the
    production settings' manifest storage needs; returns the seconds taken."""
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    if collectstatic_always or not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        call_command("collectstatic", verbosity=0, interactive=False)
    return time.perf_counter() - t0


# The bulk loads of bench/queue and bench/dashboard: one session with FK triggers off (the generator
# keeps the references valid) and a statement timeout, so that no statement outlives the bench
# (client_connection_check_interval ends it if the bench dies).
LOAD_SETTINGS = ("session_replication_role = replica", "maintenance_work_mem = '1GB'", "work_mem = '256MB'",
                 "synchronous_commit = off", "client_connection_check_interval = '2s'",
                 "max_parallel_maintenance_workers = 2")


@contextmanager
def load_session(db: str, statement_timeout: str) -> Iterator[psycopg.Cursor]:
    with psycopg.connect(database_url(db), autocommit=True) as conn, conn.cursor() as cur:
        for setting in (*LOAD_SETTINGS, f"statement_timeout = '{statement_timeout}'"):
            cur.execute("SET " + setting)
        cur.execute("SELECT setseed(0.42)")
        yield cur


def secondary_indexes(cur: psycopg.Cursor, tables: list[str]) -> tuple[list[str], list[str]]:
    """(drop statements, create statements) of the tables' unique constraints and non-primary indexes."""
    drops, creates = [], []
    for table in tables:
        cur.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = %s::regclass AND contype = 'u'", [table])
        for name, definition in cur.fetchall():
            drops.append(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            creates.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        cur.execute("SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                    "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass AND NOT i.indisprimary "
                    "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)", [table])
        for name, definition in cur.fetchall():
            drops.append(f'DROP INDEX "{name}"')
            creates.append(definition)
    return drops, creates


def bulk_load(cur: psycopg.Cursor, statements: list[tuple[str, str]], indexed_tables: list[str],
              id_tables: list[str]) -> dict[str, float]:
    """Run the named load statements with the secondary indexes of `indexed_tables` dropped, rebuild
    them, and restart the id sequences of `id_tables` after the ids the load wrote. Returns seconds
    per statement (and "indexes")."""
    timings = {}
    drops, creates = secondary_indexes(cur, indexed_tables)
    for statement in drops:
        cur.execute(statement)
    for name, sql in statements:
        t0 = time.perf_counter()
        cur.execute(sql)
        timings[name] = time.perf_counter() - t0
        log(f"  {name}: {cur.rowcount if cur.rowcount >= 0 else '-'} rows in {timings[name]:.1f}s")
    t0 = time.perf_counter()
    for statement in creates:
        cur.execute(statement)
    timings["indexes"] = time.perf_counter() - t0
    log(f"  {len(creates)} indexes/constraints rebuilt in {timings['indexes']:.1f}s")
    for table in id_tables:
        cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(max(id), 0) + 1 FROM {table}), false)")
    return timings


def settle(cur: psycopg.Cursor, scratch_tables: list[str]) -> float:
    """After a load: drop its scratch tables, FK triggers on again, VACUUM (ANALYZE) and CHECKPOINT, so
    that the measurement starts from the state autovacuum would leave. Returns the seconds taken."""
    cur.execute("DROP TABLE " + ", ".join(scratch_tables))
    t0 = time.perf_counter()
    cur.execute("SET session_replication_role = origin")
    cur.execute("VACUUM (ANALYZE)")
    cur.execute("CHECKPOINT")
    seconds = time.perf_counter() - t0
    log(f"  VACUUM (ANALYZE) + CHECKPOINT in {seconds:.1f}s")
    return seconds


def postgres_settings(*names: str) -> dict:
    """The server's version and the named settings, as a measurement records them."""
    with connection.cursor() as cur:
        cur.execute("SELECT version()" + ", current_setting(%s)" * len(names), names)
        version, *values = cur.fetchone()
    return {"version": version.split(" on ")[0], **dict(zip(names, values, strict=True))}


def explain_analyze(sql: str) -> dict:
    """EXPLAIN (ANALYZE, BUFFERS) of a statement on Django's connection: the plan and its execution time."""
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        plan = "\n".join(row[0] for row in cur.fetchall())
    return {"sql": sql, "execution_ms": float(plan.rsplit("Execution Time: ", 1)[1].split(" ms")[0]), "plan": plan}


def capture_sql(call: Callable[[], Any]) -> tuple[list[dict], Any]:
    """The SQL of one call, each statement timed around the driver call (an unmeasured call: the
    wrapper adds a little overhead), and the call's result. CaptureQueriesContext's times are
    rounded to milliseconds, too coarse here."""
    captured = []

    def wrapper(execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            ms = 1000 * (time.perf_counter() - t0)
            try:
                text = connection.ops.last_executed_query(context["cursor"], sql, params)
            except Exception:  # the statement without its parameters will do
                text = sql
            captured.append({"sql": text, "ms": round(ms, 3)})

    with connection.execute_wrapper(wrapper):
        result = call()
    return captured, result
