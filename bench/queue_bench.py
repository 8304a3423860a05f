"""Review queue bench: `bench/queue` (= .venv/bin/python bench/queue_bench.py).

For N = 10,000, 100,000 and 1,000,000 notices (--sizes), each in its own child process:
- creates a fresh PostgreSQL database `bench_queue_<N>` (never `bench` or `test`), migrates it
  with the production settings (portal.settings, DEBUG=false, everything from the environment),
  creates 20 reviewers (users in the Reviewer group with a Reviewer row) and bulk-loads N
  notices with server-side SQL (INSERT … SELECT generate_series): ~3 items per notice with
  states that fit the notice's status, decisions, information requests, evidence rows, the timeline
  (~8 events per notice), 5,000 sellers and 50,000 listings. Secondary indexes are dropped during the
  load and rebuilt afterwards, FK triggers are off for the load session (the generator keeps the
  references valid); then VACUUM ANALYZE and CHECKPOINT, so the measurement starts from the
  state autovacuum would leave.
- measures in-process with Django's test Client, logged in (force_login) as reviewer rev01:
  the queue's first page, a filtered page, a page ~200 pages deep (found by following the keyset
  cursor), the notice page of a typical notice, plus a few extra pages. Warm-up, then rounds in
  which every page is requested once (rotating order), so noise hits all pages alike; p50/p95
  per page; SQL queries per request (an execute_wrapper timing each statement, on a separate
  unmeasured request),
  and EXPLAIN (ANALYZE, BUFFERS) of every app query of each page.
- then (unless --no-proposals) the proposed change of bench/queue_proposals.py on the same
  database: counter tables created by the bench on its own database and a selector function
  patched into this process only (never the app code). It checks that the proposal shows what
  the current code shows, measures every page again, undoes it, and times the main pages once
  more with the current code (drift check on the shared machine). It also checks that following
  the queue's cursor gives the queue in order, without gaps or repeats.

The parent process runs the children one after the other under one deadline, prints the table,
writes bench/out/queue-<time>.json (+ queue-<time>-explain.txt) and drops the databases unless
--keep. A child that overruns is killed (its process group) and its database dropped.
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
sys.path[:0] = [str(ROOT)]

PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_BASE = "postgres://postgres@127.0.0.1:5432/"
SIZES = [10_000, 100_000, 1_000_000]
SELLERS, LISTINGS, REVIEWERS, SUBMITTERS = 5_000, 50_000, 20, 2_000
# The tables whose secondary indexes and unique constraints are rebuilt after the load.
BIG_TABLES = ["takedowns_notice", "takedowns_noticeitem", "takedowns_event", "takedowns_decision",
              "takedowns_inforequest", "takedowns_evidence"]
MAIN_PAGES = ["queue_first", "queue_filtered", "queue_deep", "notice"]
TARGET_P95_MS, TARGET_RATIO = 30.0, 1.5
FORBIDDEN_DBS = {"bench", "test", "postgres", "template0", "template1"}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def label(n: int) -> str:
    return f"{n // 1_000_000}m" if n % 1_000_000 == 0 else f"{n // 1000}k" if n % 1000 == 0 else str(n)


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def admin_execute(*statements: str) -> None:
    import psycopg
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def drop_database(db: str) -> None:
    assert db not in FORBIDDEN_DBS and db.startswith("bench_queue"), db
    admin_execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def bench_env(db: str) -> dict:
    """Production settings, as bench/run gives its processes (DEBUG=false, all from the environment)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "EMAIL_", "CELERY_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "PYTHONPATH": os.pathsep.join([str(BENCH), str(ROOT)]),
        "DEBUG": "false", "DEMO_MODE": "false",
        "SECRET_KEY": "bench-" + uuid.uuid4().hex + uuid.uuid4().hex,
        "ALLOWED_HOSTS": "127.0.0.1,testserver", "SITE_URL": "http://127.0.0.1:8000",
        "DATABASE_URL": PG_BASE + db,
        "REDIS_URL": "redis://127.0.0.1:6379/15", "EMAIL_URL": "smtp://127.0.0.1:1",
        "DEFAULT_FROM_EMAIL": "Takedown Portal <takedowns@bench.example>",
        "SECURE_SSL_REDIRECT": "false", "VAR_DIR": str(OUT / "var"),
    })
    return env


# =====================================================================================
# The data set (child process): server-side SQL only.
# =====================================================================================

DESCRIPTION = ("Counterfeits of our goods: the listings use our registered mark on products we never made. "
               "A test buy confirmed it; the packaging, labels and serial numbers do not match ours.")


def _reference_sql(expr: str) -> str:
    """TD-XXXX-XXXX from an id: id * odd constant mod 2^40 is a bijection, written in the app's
    32-character alphabet, so references are unique and look random."""
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    x = f"(({expr})::bigint * 42515523479 % 1099511627776)"
    chars = [f"substr('{alphabet}', (({x} >> {5 * k}) & 31)::int + 1, 1)" for k in range(8)]
    return "'TD-' || " + " || ".join(chars[:4]) + " || '-' || " + " || ".join(chars[4:])


def load_statements(n: int, reviewer_ids: list[int], user_ids: list[int], rights: dict[str, int],
                    reason_codes: list[int]) -> list[tuple[str, str]]:
    from takedowns.enums import EEA_COUNTRIES, LEGAL_GROUNDS
    reviewers = "ARRAY[" + ",".join(map(str, reviewer_ids)) + "]::bigint[]"
    users = "ARRAY[" + ",".join(map(str, user_ids)) + "]::int[]"
    codes = "ARRAY[" + ",".join(map(str, reason_codes)) + "]::bigint[]"
    verified = "CASE right_type " + " ".join(f"WHEN '{t}' THEN {pk}" for t, pk in rights.items()) + " END"
    grounds = "CASE n.right_type " + " ".join(
        f"WHEN '{t}' THEN '{g.replace(chr(39), chr(39) * 2)}'" for t, g in LEGAL_GROUNDS.items()) + " END"
    eea = json.dumps(list(EEA_COUNTRIES))
    categories = "ARRAY['shoes','bags','clothing','watches','toys','cosmetics','electrical','books','jewellery','baby','car-parts','sports']"
    countries = "ARRAY['DE','FR','CN','US','PL','IT','ES','NL','CZ','PT']"
    return [
        ("sellers", f"""
INSERT INTO takedowns_seller (id, external_id, name, email, country, strike_count, created_at)
SELECT i, 'S-' || (3000 + i), 'Seller ' || i, 'seller' || i || '@shop.example',
       ({countries})[1 + floor(random() * 10)::int], (ARRAY[0,0,0,0,0,1,1,2,4])[1 + floor(random() * 9)::int],
       now() - interval '2 years'
FROM generate_series(1, {SELLERS}) i"""),
        # Mild skew: the first sellers have more listings (seller 1: ~1.4 % of them).
        ("listings", f"""
INSERT INTO takedowns_listing (id, external_id, seller_id, title, description, category, price, currency,
                               status, created_at, removed_at)
SELECT i, 'L-' || (200000 + i), 1 + floor({SELLERS} * random() ^ 2)::int,
       'Bench listing ' || i || ' — branded goods, fast shipping', 'A listing of the bench catalogue.',
       ({categories})[1 + floor(random() * 12)::int], round((5 + random() * 495)::numeric, 2), 'EUR',
       CASE WHEN random() < 0.05 THEN 'removed' ELSE 'active' END, now() - interval '2 years', NULL
FROM generate_series(1, {LISTINGS}) i"""),
        # One row per notice with its draws; the notice, its items, decisions and events are made
        # from it. Created over the last year in id order; status independent of age except that
        # only notices of the last 7 days can still be unconfirmed (older ones expired).
        ("plan", f"""
CREATE UNLOGGED TABLE bench_n AS
WITH r AS (
  SELECT i::bigint AS id, random() AS us, random() AS ut, random() AS usub, random() AS ua, random() AS uun,
         random() AS up, random() AS ul, random() AS ue, random() AS uv, random() AS uc, random() AS ur,
         random() AS ucl, random() AS uw, random() AS uk,
         now() - interval '365 days' + (i - 1) * (interval '365 days' / {n}) + random() * interval '10 minutes'
           AS created_at
  FROM generate_series(1, {n}) i
), s AS (
  SELECT r.*,
    CASE WHEN us < 0.25 THEN 'in_review' WHEN us < 0.30 THEN 'awaiting_submitter' WHEN us < 0.90 THEN 'closed'
         WHEN us < 0.95 THEN 'withdrawn' WHEN us < 0.995 OR created_at < now() - interval '7 days' THEN 'expired'
         ELSE 'unconfirmed' END AS status,
    CASE WHEN ut < 0.57 THEN 'trademark' WHEN ut < 0.86 THEN 'copyright' WHEN ut < 0.955 THEN 'design'
         ELSE 'patent' END AS right_type,
    floor({SUBMITTERS} * usub ^ 3)::int AS sub
  FROM r
), t AS (
  SELECT s.*,
    CASE WHEN status IN ('unconfirmed', 'expired') THEN NULL ELSE created_at + uc * interval '2 hours' END AS confirmed_at,
    status IN ('in_review', 'awaiting_submitter', 'closed') OR (status = 'withdrawn' AND uw < 0.8) AS routed
  FROM s
), u AS (
  SELECT t.*,
    CASE WHEN routed THEN confirmed_at + interval '5 seconds' + ur * interval '1 minute' END AS routed_at,
    CASE WHEN routed AND NOT (status IN ('in_review', 'awaiting_submitter') AND uun < 0.05)
         THEN 1 + floor(ua * {REVIEWERS})::int END AS rix
  FROM t
)
SELECT id, status, right_type, sub, routed, created_at, confirmed_at, routed_at,
  CASE WHEN status = 'closed' THEN LEAST(now(), routed_at + ucl * interval '14 days')
       WHEN status = 'withdrawn' THEN LEAST(now(), confirmed_at + ucl * interval '3 days') END AS closed_at,
  CASE WHEN (status IN ('in_review', 'awaiting_submitter') AND ue < 0.02) OR (status = 'closed' AND ue < 0.01)
       THEN LEAST(now(), routed_at + interval '1 day') END AS escalated_at,
  ({reviewers})[rix] AS assigned_to_id, ({users})[COALESCE(rix, 1)] AS user_id,
  CASE WHEN routed THEN floor(up * 101)::int ELSE 0 END AS priority,
  CASE WHEN routed AND uv < 0.3 THEN {verified} END AS verified_right_id,
  1 + floor(uk * 5)::int AS n_items,
  (ARRAY['en','en','en','de','de','fr','es','it'])[1 + floor(ul * 8)::int] AS language
FROM u ORDER BY id"""),
        ("notices", f"""
INSERT INTO takedowns_notice (id, reference, status, submission_key, tracking_token, confirmation_token,
  submitter_name, submitter_organisation, submitter_email, submitter_country, submitter_role, language,
  right_type, right_registration_number, right_office, right_owner, verified_right_id, description,
  good_faith_statement, accuracy_statement, signature, priority, assigned_to_id,
  created_at, expires_at, confirmed_at, routed_at, closed_at, escalated_at)
SELECT id, {_reference_sql('id')}, status, gen_random_uuid(),
  md5(random()::text) || left(md5(random()::text), 11), md5(random()::text) || left(md5(random()::text), 11),
  'Agent ' || sub, 'Brand Protection ' || (sub % 400), 'rights.agent' || sub || '@brand' || (sub % 400) || '.example',
  ({countries})[1 + sub % 10], CASE WHEN sub % 3 = 0 THEN 'owner' ELSE 'agent' END, language,
  right_type, lpad((id * 7919 % 1000000000)::text, 9, '0'), (ARRAY['EUIPO','USPTO','DPMA','WIPO'])[1 + sub % 4],
  'Brand Owner ' || (sub % 400), verified_right_id, '{DESCRIPTION} Notice ' || id || '.',
  true, true, 'Agent ' || sub, priority, assigned_to_id,
  created_at, created_at + interval '7 days', confirmed_at, routed_at, closed_at, escalated_at
FROM bench_n ORDER BY id"""),
        ("info requests", """
INSERT INTO takedowns_inforequest (id, notice_id, message, requested_by_id, requested_at, due_at, answer,
                                   answered_at, expired_at)
SELECT id, id, 'Please send the registration certificate that covers these listings.', user_id,
       LEAST(now(), routed_at + interval '1 day'), LEAST(now(), routed_at + interval '1 day') + interval '7 days',
       '', NULL, NULL
FROM bench_n WHERE status = 'awaiting_submitter' ORDER BY id"""),
        # Item states fit the notice status: in_review has at least one item in review (position 1),
        # awaiting_submitter one waiting for the submitter (position 1, pointing at the notice's
        # information request, whose id is the notice id) and none in review; closed ones are all
        # decided or resolved otherwise. Listings uniformly over the catalogue.
        ("items", f"""
INSERT INTO takedowns_noticeitem (notice_id, position, reported, reason, state, listing_id, listing_snapshot,
                                  duplicate_of_id, info_request_id)
WITH x AS (
  SELECT n.id AS notice_id, p AS position, n.status, n.right_type, n.routed,
         random() AS us, 1 + floor(random() * {LISTINGS})::bigint AS lid, random() AS ur, random() AS uu
  FROM bench_n n CROSS JOIN LATERAL generate_series(1, n.n_items) p
), y AS (
  SELECT x.*, CASE
     WHEN status IN ('unconfirmed', 'expired') THEN 'new'
     WHEN status = 'withdrawn' THEN 'withdrawn'
     WHEN status = 'in_review' AND position = 1 THEN 'in_review'
     WHEN status = 'awaiting_submitter' AND position = 1 THEN 'info_requested'
     WHEN us < 0.08 THEN 'not_found' WHEN us < 0.11 THEN 'already_removed' WHEN us < 0.15 THEN 'duplicate'
     WHEN status = 'in_review' THEN CASE WHEN us < 0.40 THEN 'removed' WHEN us < 0.50 THEN 'rejected' ELSE 'in_review' END
     WHEN status = 'awaiting_submitter' THEN
       CASE WHEN us < 0.45 THEN 'info_requested' WHEN us < 0.75 THEN 'removed' ELSE 'rejected' END
     ELSE CASE WHEN us < 0.75 THEN 'removed' ELSE 'rejected' END END AS state
  FROM x
)
SELECT y.notice_id, y.position,
  CASE WHEN y.state = 'not_found' THEN 'L-' || (900000 + floor(uu * 99999)::int)
       WHEN uu < 0.25 THEN 'http://127.0.0.1:8000/listings/' || l.external_id || '/' ELSE l.external_id END,
  CASE y.right_type WHEN 'trademark' THEN CASE WHEN ur < 0.6 THEN 'counterfeit' ELSE 'trademark_misuse' END
                    WHEN 'copyright' THEN CASE WHEN ur < 0.6 THEN 'copyright_images' ELSE 'copyright_text' END
                    WHEN 'design' THEN CASE WHEN ur < 0.6 THEN 'design' ELSE 'counterfeit' END
                    ELSE 'patent' END,
  y.state,
  CASE WHEN y.state IN ('new', 'not_found') OR NOT y.routed THEN NULL ELSE y.lid END,
  CASE WHEN y.state IN ('new', 'not_found') OR NOT y.routed THEN NULL ELSE jsonb_build_object(
    'title', l.title, 'category', l.category, 'price', l.price::text, 'currency', l.currency,
    'status', CASE WHEN y.state = 'already_removed' THEN 'removed' ELSE l.status END,
    'seller', s.external_id, 'seller_name', s.name) END,
  NULL, CASE WHEN y.state = 'info_requested' THEN y.notice_id END
FROM y JOIN takedowns_listing l ON l.id = y.lid JOIN takedowns_seller s ON s.id = l.seller_id"""),
        ("decisions", f"""
INSERT INTO takedowns_decision (item_id, outcome, reason_code_id, note, decided_by_id, decided_at, legal_ground,
  explanation, territorial_scope, automated_detection, automated_decision, seller_token, listing_removed_at)
SELECT i.id, CASE WHEN i.state = 'removed' THEN 'remove' ELSE 'reject' END,
  CASE WHEN i.state = 'rejected' THEN ({codes})[1 + floor(random() * {len(reason_codes)})::int] END,
  CASE WHEN random() < 0.2 THEN 'Checked against the registration and the test-buy report.' ELSE '' END,
  n.user_id, d.decided_at,
  CASE WHEN i.state = 'removed' THEN {grounds} ELSE '' END,
  CASE WHEN i.state = 'removed' THEN '{DESCRIPTION}' ELSE '' END,
  '{eea}'::jsonb, false, false,
  CASE WHEN i.state = 'removed' THEN md5(random()::text) || left(md5(random()::text), 11) ELSE '' END,
  CASE WHEN i.state = 'removed' THEN d.decided_at + interval '2 seconds' END
FROM takedowns_noticeitem i JOIN bench_n n ON n.id = i.notice_id
CROSS JOIN LATERAL (SELECT CASE WHEN n.closed_at IS NOT NULL THEN n.routed_at + random() * (n.closed_at - n.routed_at)
                                ELSE LEAST(now(), n.routed_at + random() * interval '2 days') END AS decided_at) d
WHERE i.state IN ('removed', 'rejected') ORDER BY i.id"""),
        ("evidence", """
INSERT INTO takedowns_evidence (notice_id, submission_key, kind, file, original_name, content_type, size, sha256,
                                uploaded_at)
SELECT id, gen_random_uuid(), 'test_buy', to_char(created_at, 'YYYY/MM/') || 'test-buy-' || id || '.pdf',
       'test-buy-' || id || '.pdf', 'application/pdf', 40000 + (id * 7919) % 900000, md5(id::text) || md5(id::text),
       created_at
FROM bench_n WHERE id % 10 < 3 ORDER BY id"""),
        # The timeline, as the app writes it, appended in time order.
        ("events", f"""
INSERT INTO takedowns_event (notice_id, item_id, kind, actor_kind, actor_user_id, from_status, to_status, details,
                             created_at)
SELECT notice_id, item_id, kind, actor_kind, actor_user_id, from_status, to_status, details, created_at FROM (
  SELECT id AS notice_id, NULL::bigint AS item_id, 'filed' AS kind, 'submitter' AS actor_kind, NULL::int AS actor_user_id,
         '' AS from_status, 'unconfirmed' AS to_status,
         jsonb_build_object('items', n_items, 'evidence_files', CASE WHEN id % 10 < 3 THEN 1 ELSE 0 END) AS details,
         created_at
  FROM bench_n
  UNION ALL
  SELECT id, NULL, 'confirmed', 'submitter', NULL, 'unconfirmed', 'confirmed', '{{}}'::jsonb, confirmed_at
  FROM bench_n WHERE confirmed_at IS NOT NULL
  UNION ALL
  SELECT id, NULL, 'expired', 'system', NULL, 'unconfirmed', 'expired', '{{}}'::jsonb, created_at + interval '7 days'
  FROM bench_n WHERE status = 'expired'
  UNION ALL
  SELECT i.notice_id, i.id, 'item_resolved', 'system', NULL, 'new', i.state,
         jsonb_build_object('reported', i.reported, 'listing', 'L-' || (200000 + i.listing_id),
                            'seller', i.listing_snapshot->>'seller'), n.routed_at
  FROM takedowns_noticeitem i JOIN bench_n n ON n.id = i.notice_id WHERE n.routed
  UNION ALL
  SELECT id, NULL, 'routed', 'system', NULL, 'confirmed', 'in_review',
         jsonb_build_object('reviewer', 'rev' || lpad(COALESCE(array_position({reviewers}, assigned_to_id), 0)::text, 2, '0'),
                            'assignment_rule', right_type || ' skill, lowest open load',
                            'priority', priority, 'priority_rules', '[]'::jsonb), routed_at
  FROM bench_n WHERE routed
  UNION ALL
  SELECT i.notice_id, i.id, 'item_decided', 'reviewer', d.decided_by_id, 'in_review', i.state,
         jsonb_build_object('outcome', d.outcome, 'note', d.note, 'reason_code', d.reason_code_id), d.decided_at
  FROM takedowns_decision d JOIN takedowns_noticeitem i ON i.id = d.item_id
  UNION ALL
  SELECT id, NULL, 'info_requested', 'reviewer', user_id, '', '', '{{}}'::jsonb, LEAST(now(), routed_at + interval '1 day')
  FROM bench_n WHERE status = 'awaiting_submitter'
  UNION ALL
  SELECT id, NULL, 'awaiting_submitter', 'reviewer', user_id, 'in_review', 'awaiting_submitter', '{{}}'::jsonb,
         LEAST(now(), routed_at + interval '1 day')
  FROM bench_n WHERE status = 'awaiting_submitter'
  UNION ALL
  SELECT id, NULL, 'escalated', 'reviewer', user_id, '', '', '{{"note": "Needs a lead: large seller."}}'::jsonb, escalated_at
  FROM bench_n WHERE escalated_at IS NOT NULL
  UNION ALL
  SELECT id, NULL, 'closed', 'reviewer', user_id, 'in_review', 'closed', '{{}}'::jsonb, closed_at
  FROM bench_n WHERE status = 'closed'
  UNION ALL
  SELECT id, NULL, 'withdrawn', 'submitter', NULL, CASE WHEN routed THEN 'in_review' ELSE 'confirmed' END, 'withdrawn',
         '{{}}'::jsonb, closed_at
  FROM bench_n WHERE status = 'withdrawn'
) e ORDER BY created_at"""),
    ]


def secondary_indexes(cur, tables: list[str]) -> tuple[list[str], list[str]]:
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


def create_reviewers() -> tuple[list[int], list[int]]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import transaction

    from takedowns.enums import REVIEWER_GROUP, RightType
    from takedowns.models import Reviewer, ReviewerSkill
    types = [t for t, _ in RightType.choices]
    with transaction.atomic():
        group, _ = Group.objects.get_or_create(name=REVIEWER_GROUP)
        reviewers = []
        for i in range(1, REVIEWERS + 1):
            user = get_user_model().objects.create_user(f"rev{i:02d}", f"rev{i:02d}@portal.example")
            user.groups.add(group)
            reviewer = Reviewer.objects.create(user=user, languages="en,de" if i % 2 else "en,fr")
            ReviewerSkill.objects.bulk_create(ReviewerSkill(reviewer=reviewer, right_type=t)
                                              for t in ([types[i % 4], types[(i + 1) % 4]] if i > 1 else types))
            reviewers.append(reviewer)
    return [r.pk for r in reviewers], [r.user_id for r in reviewers]


def load(n: int, db: str) -> dict:
    """Reviewers through the ORM, everything else with server-side SQL; returns timings and sizes."""
    import psycopg

    from takedowns import seeding
    from takedowns.models import ReasonCode, Right

    timings = {}
    t0 = time.perf_counter()
    reviewer_ids, user_ids = create_reviewers()
    seeding.load_rights(ROOT / "seeds")
    rights = {}
    for right in Right.objects.order_by("pk"):
        rights.setdefault(right.right_type, right.pk)
    codes = list(ReasonCode.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
    timings["reviewers_rights"] = time.perf_counter() - t0

    with psycopg.connect(PG_BASE + db, autocommit=True) as conn, conn.cursor() as cur:
        # FK triggers off for this session only (the generator keeps references valid); no
        # statement may outlive the bench (client_connection_check_interval ends it if we die).
        for setting in ("session_replication_role = replica", "maintenance_work_mem = '1GB'", "work_mem = '256MB'",
                        "synchronous_commit = off", "statement_timeout = '20min'",
                        "client_connection_check_interval = '2s'", "max_parallel_maintenance_workers = 2"):
            cur.execute("SET " + setting)
        cur.execute("SELECT setseed(0.42)")
        drops, creates = secondary_indexes(cur, BIG_TABLES)
        for statement in drops:
            cur.execute(statement)
        for name, sql in load_statements(n, reviewer_ids, user_ids, rights, codes):
            t0 = time.perf_counter()
            cur.execute(sql)
            timings[name] = time.perf_counter() - t0
            log(f"  {name}: {cur.rowcount if cur.rowcount >= 0 else '-'} rows in {timings[name]:.1f}s")
        t0 = time.perf_counter()
        for statement in creates:
            cur.execute(statement)
        timings["indexes"] = time.perf_counter() - t0
        log(f"  {len(creates)} indexes/constraints rebuilt in {timings['indexes']:.1f}s")
        for table in ["takedowns_seller", "takedowns_listing", *BIG_TABLES]:
            cur.execute(f"SELECT COALESCE(max(id), 0) + 1 FROM {table}")
            cur.execute(f"ALTER TABLE {table} ALTER COLUMN id RESTART WITH {cur.fetchone()[0]}")
        cur.execute("UPDATE takedowns_reviewer AS r SET open_load = (SELECT count(*) FROM takedowns_notice n "
                    "WHERE n.assigned_to_id = r.id AND n.status IN ('confirmed', 'in_review', 'awaiting_submitter'))")
        cur.execute("DROP TABLE bench_n")
        t0 = time.perf_counter()
        cur.execute("SET session_replication_role = origin")
        cur.execute("VACUUM (ANALYZE)")
        cur.execute("CHECKPOINT")
        timings["vacuum_analyze_checkpoint"] = time.perf_counter() - t0
        log(f"  VACUUM (ANALYZE) + CHECKPOINT in {timings['vacuum_analyze_checkpoint']:.1f}s")
        counts = {}
        for table in ["takedowns_seller", "takedowns_listing", *BIG_TABLES]:
            cur.execute(f"SELECT count(*) FROM {table}")
            counts[table.removeprefix("takedowns_")] = cur.fetchone()[0]
        cur.execute("SELECT status, count(*) FROM takedowns_notice GROUP BY 1 ORDER BY 2 DESC")
        statuses = dict(cur.fetchall())
        cur.execute("SELECT pg_database_size(current_database())")
        size_mb = cur.fetchone()[0] // 2**20
    return {"timings_s": {k: round(v, 2) for k, v in timings.items()}, "rows": counts, "statuses": statuses,
            "database_mb": size_mb, "reviewer_ids": reviewer_ids}


# =====================================================================================
# Measurement (child process).
# =====================================================================================

def get(client, url: str, expect: str | None = None):
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url}: HTTP {response.status_code}")
    if expect and expect.encode() not in response.content:
        raise RuntimeError(f"GET {url}: {expect!r} not in the page")
    return response


def capture(client, url: str) -> list[dict]:
    """The SQL of one request, each statement timed around the driver call (an unmeasured
    request: the wrapper adds a little overhead)."""
    from django.db import connection
    captured = []

    def wrapper(execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            ms = 1000 * (time.perf_counter() - t0)
            try:
                text = connection.ops.last_executed_query(context["cursor"], sql, params)
            except Exception:
                text = sql
            captured.append({"sql": text, "ms": round(ms, 3)})

    with connection.execute_wrapper(wrapper):
        response = get(client, url)
    return captured, response.content.count(b"<tr data-reference=")


def time_pages(client, pages: dict[str, dict], requests: int, warmup: int, budget_s: float,
               page_cap_s: float = 20.0) -> dict:
    """Warm-up, then `requests` rounds; each round requests every page once, in rotating order.
    Bounded: the whole loop by budget_s, and a page whose requests add up to page_cap_s stops
    being sampled once it has 20 samples (the slowest page would otherwise take minutes)."""
    names = list(pages)
    for name in names:
        for _ in range(warmup):
            get(client, pages[name]["url"], pages[name].get("expect"))
    samples = {name: [] for name in names}
    deadline = time.perf_counter() + budget_s
    for r in range(requests):
        if time.perf_counter() > deadline:
            log(f"  time budget of {budget_s:.0f}s reached after {r} rounds")
            break
        for name in names[r % len(names):] + names[:r % len(names)]:
            s = samples[name]
            if len(s) >= 20 and sum(s) > 1000 * page_cap_s:
                continue
            t0 = time.perf_counter()
            response = client.get(pages[name]["url"])
            elapsed = time.perf_counter() - t0
            if response.status_code != 200:
                raise RuntimeError(f"GET {pages[name]['url']}: HTTP {response.status_code}")
            s.append(1000 * elapsed)
    out = {}
    for name in names:
        s = samples[name]
        out[name] = {"n": len(s), "p50_ms": round(percentile(s, 50), 2), "p95_ms": round(percentile(s, 95), 2),
                     "p99_ms": round(percentile(s, 99), 2), "min_ms": round(min(s), 2), "max_ms": round(max(s), 2),
                     "mean_ms": round(statistics.mean(s), 2)}
    return out


def queue_url(status="in_review", right_type="", scope="all", after=None) -> str:
    """As the queue template writes its "Next page" link (first page: /review/ plus the filter form)."""
    url = f"/review/?status={status}&right_type={right_type}&scope={scope}"
    return url + (f"&after={after}" if after else "")


def choose_pages(me, deep_pages: int) -> tuple[dict, dict]:
    from django.db import connection

    from takedowns import selectors
    from takedowns.models import Notice
    info = {}
    # Follow the cursor of the default queue (in review, everyone's) as far as --deep-pages.
    cursor, depth, seen = None, 0, []
    t0 = time.perf_counter()
    while depth < deep_pages:
        page = selectors.review_queue(me, status="in_review", right_type=None, scope="all",
                                      cursor=selectors.QueueCursor.decode(cursor))
        seen += [notice.pk for notice in page.notices]
        if not page.next_cursor:
            break
        cursor, depth = page.next_cursor, depth + 1
    walk_s = time.perf_counter() - t0
    # The pages followed must be the queue in order, without gaps or repeats.
    expected = list(Notice.objects.filter(status="in_review").order_by("confirmed_at", "-priority", "id")
                    .values_list("pk", flat=True)[: len(seen)])
    info["deep_page"] = {"pages_followed": depth, "rows_before": depth * selectors.QUEUE_PAGE_SIZE,
                         "walk_s": round(walk_s, 2), "cursor": cursor,
                         "walk_matches_queue_order": seen == expected and len(set(seen)) == len(seen)}

    with connection.cursor() as cur:
        # Submitters file very different volumes (a few agents file most notices). The typical
        # notice comes from the submitter at the notice-weighted median volume; the heavy one
        # from the biggest submitter. Both: in review, assigned to rev01, 3 listings.
        cur.execute("CREATE TEMP TABLE bench_submitters AS SELECT submitter_email AS email, count(*) AS c "
                    "FROM takedowns_notice GROUP BY 1")
        cur.execute("SELECT c FROM (SELECT c, sum(c) OVER (ORDER BY c, email) AS cum, sum(c) OVER () AS total "
                    "FROM bench_submitters) w WHERE cum >= total / 2 ORDER BY cum LIMIT 1")
        median_volume = cur.fetchone()[0]
        info["submitters"] = {"count": None, "notice_weighted_median_volume": median_volume}
        cur.execute("SELECT count(*), max(c) FROM bench_submitters")
        info["submitters"]["count"], info["submitters"]["largest_volume"] = cur.fetchone()

        def pick(order: str) -> str:
            cur.execute("SELECT n.reference FROM takedowns_notice n JOIN bench_submitters s ON s.email = n.submitter_email "
                        "WHERE n.status = 'in_review' AND n.assigned_to_id = %s AND (SELECT count(*) FROM "
                        "takedowns_noticeitem i WHERE i.notice_id = n.id) = 3 ORDER BY " + order + ", md5(n.id::text) "
                        "LIMIT 1", [me.pk])
            return cur.fetchone()[0]

        typical = pick(f"abs(s.c - {int(median_volume)})")
        heavy = pick("s.c DESC")
        cur.execute("DROP TABLE bench_submitters")
    for key, reference in (("notice", typical), ("notice_heavy_submitter", heavy)):
        notice = Notice.objects.get(reference=reference)
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM takedowns_notice WHERE upper(submitter_email) = upper(%s)",
                        [notice.submitter_email])
            submitter_notices = cur.fetchone()[0]
            cur.execute("SELECT count(*) FROM takedowns_noticeitem i JOIN takedowns_listing l ON l.id = i.listing_id "
                        "WHERE l.seller_id IN (SELECT l2.seller_id FROM takedowns_noticeitem i2 JOIN takedowns_listing l2 "
                        "ON l2.id = i2.listing_id WHERE i2.notice_id = %s)", [notice.pk])
            seller_items = cur.fetchone()[0]
        info[key] = {"reference": reference, "submitter_notices": submitter_notices,
                     "items_of_its_sellers": seller_items}
    pages = {
        "queue_first": {"url": "/review/", "expect": 'id="queue"'},
        "queue_filtered": {"url": queue_url(right_type="patent", scope="mine"), "expect": 'id="queue"'},
        "queue_deep": {"url": queue_url(after=cursor), "expect": "data-reference="},
        "notice": {"url": f"/review/notices/{typical}/", "expect": 'id="items"'},
        # Extras: the reviewer's own queue, a filter that fills a page at every N (patent+mine has
        # only ~6 rows at 10,000 notices), the escalations, and the biggest submitter's record.
        "queue_mine": {"url": queue_url(scope="mine"), "expect": "data-reference="},
        "queue_filtered_tm": {"url": queue_url(right_type="trademark", scope="mine"), "expect": "data-reference="},
        "queue_escalated": {"url": queue_url(scope="escalated"), "expect": 'id="queue"'},
        "notice_heavy_submitter": {"url": f"/review/notices/{heavy}/", "expect": 'id="items"'},
    }
    return pages, info


APP_TABLES = ("takedowns_notice", "takedowns_noticeitem", "takedowns_event", "takedowns_evidence",
              "takedowns_reviewer\"", "takedowns_reasoncode")


def explain_all(queries: list[dict]) -> list[dict]:
    """EXPLAIN (ANALYZE, BUFFERS) of the app's SELECTs of a request (not session/auth lookups)."""
    from django.db import connection
    out = []
    for q in queries:
        sql = q["sql"]
        if not sql.lstrip().upper().startswith("SELECT") or not any(t in sql for t in APP_TABLES):
            continue
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = "\n".join(row[0] for row in cur.fetchall())
        ms = float(plan.rsplit("Execution Time: ", 1)[1].split(" ms")[0])
        out.append({"sql": sql, "captured_ms": q["ms"], "execution_ms": ms, "plan": plan})
    return out


def measure(client, pages: dict, args, deadline: float, tag: str, n: int, explain: bool) -> dict:
    """Queries per request, timing of every page, and (if asked) EXPLAIN ANALYZE of their SQL."""
    out = {}
    captured = {name: capture(client, page["url"]) for name, page in pages.items()}
    queries = {name: c[0] for name, c in captured.items()}
    out["rows_on_page"] = {name: c[1] for name, c in captured.items() if name.startswith("queue")}
    out["queries"] = {name: len(q) for name, q in queries.items()}
    out["sql_ms"] = {name: round(sum(x["ms"] for x in q), 2) for name, q in queries.items()}
    out["sql"] = queries
    t0 = time.perf_counter()
    out["timing"] = time_pages(client, pages, args.requests, args.warmup, max(10.0, deadline - time.perf_counter() - 90))
    out["timing_s"] = round(time.perf_counter() - t0, 1)
    for name, t in out["timing"].items():
        log(f"N={n} {tag}: {name:24s} p50 {t['p50_ms']:7.2f} ms  p95 {t['p95_ms']:7.2f} ms  "
            f"({t['n']} requests, {out['queries'][name]} queries, SQL {out['sql_ms'][name]} ms"
            + (f", {out['rows_on_page'][name]} rows)" if name in out["rows_on_page"] else ")"))
    if explain:
        out["explain"] = {name: explain_all(queries[name]) for name in pages}
    return out


# The app function the proposal copy was made from (takedowns/selectors.py at a7b0038): if
# they change, the copies in queue_proposals.py must be redone; the bench says so.
PROPOSAL_BASE_SHA1 = {"review_page": "62b0cc600118de609d020b38e82feca78fc9ed0e"}


def source_sha1(function) -> str:
    import hashlib
    import inspect
    return hashlib.sha1(inspect.getsource(function).encode()).hexdigest()


def run_proposals(client, pages: dict, info: dict, me, args, deadline: float, n: int, explain: bool) -> dict:
    """All proposals of queue_proposals.py at once: apply (SQL on this database, functions patched
    into this process), check they show the same as the current code, measure, undo; then the main
    pages once more with the current code (drift check: the machine is shared)."""
    import queue_proposals as qp
    from django.db import connection

    from takedowns import selectors
    from takedowns.models import Notice
    out: dict = {"base_sha1": {name: source_sha1(getattr(selectors, name)) for name in qp.PATCHES}}
    out["base_changed"] = [name for name, sha in out["base_sha1"].items()
                           if PROPOSAL_BASE_SHA1.get(name) and PROPOSAL_BASE_SHA1[name] != sha]
    if out["base_changed"]:
        log(f"N={n}: WARNING: {out['base_changed']} changed in the app since the proposals were copied")
    originals = {name: getattr(selectors, name) for name in qp.PATCHES}
    t0 = time.perf_counter()
    try:
        with connection.cursor() as cur:
            for statement in qp.APPLY:
                cur.execute(statement)
        out["apply_s"] = round(time.perf_counter() - t0, 1)
        # Same answers? The notice pages' seller history and submitter record.
        checks = {}
        for key in ("notice", "notice_heavy_submitter"):
            notice = Notice.objects.get(reference=info[key]["reference"])
            old, new = originals["review_page"](notice), qp.review_page(notice)
            checks[f"{key}_seller_history_same"] = ([i.seller_history for i in old.items]
                                                   == [i.seller_history for i in new.items])
            checks[f"{key}_submitter_removed_rejected_same"] = all(
                old.submitter_record[k] == new.submitter_record[k] for k in ("removed", "rejected"))
            checks[f"{key}_submitter_notices"] = {"shown_today": old.submitter_record["notices"],
                                                  "proposal": new.submitter_record["notices"],
                                                  "true_earlier_notices": info[key]["submitter_notices"] - 1}
        out["checks"] = checks
        log(f"N={n}: proposals applied in {out['apply_s']}s; checks {json.dumps(checks)}")
        for name, function in qp.PATCHES.items():
            setattr(selectors, name, function)
        out.update(measure(client, pages, args, deadline, "proposed", n, explain))
    finally:
        for name, function in originals.items():
            setattr(selectors, name, function)
        with connection.cursor() as cur:
            for statement in qp.UNDO:
                cur.execute(statement)
    main = {name: pages[name] for name in MAIN_PAGES}
    recheck_rounds = max(20, args.requests // 3)
    out["recheck_current"] = time_pages(client, main, recheck_rounds, 2, max(10.0, deadline - time.perf_counter() - 30))
    log(f"N={n}: current code again ({recheck_rounds} rounds): " + ", ".join(
        f"{k} p95 {v['p95_ms']}" for k, v in out["recheck_current"].items()))
    return out


# =====================================================================================
# The child: one size.
# =====================================================================================

def child(args) -> int:
    n, db = args.n, args.db
    result: dict = {"n": n, "db": db}
    t_start = time.perf_counter()

    def on_term(signum, frame):  # the parent's deadline: stop, but write what was measured so far
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_term)
    deadline = t_start + args.budget
    try:
        admin_execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)', f'CREATE DATABASE "{db}"')
        import django
        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client
        from django.test.utils import override_settings

        with override_settings(STATIC_ROOT=OUT / "staticfiles"):  # collectstatic must not write into the project
            t0 = time.perf_counter()
            call_command("migrate", verbosity=0, interactive=False)
            if not (OUT / "staticfiles" / "staticfiles.json").exists():
                call_command("collectstatic", verbosity=0, interactive=False)
            result["migrate_s"] = round(time.perf_counter() - t0, 1)
            log(f"N={n}: database {db} migrated; loading")
            t0 = time.perf_counter()
            result["load"] = load(n, db)
            result["load_s"] = round(time.perf_counter() - t0, 1)
            log(f"N={n}: loaded in {result['load_s']}s: {result['load']['rows']}, {result['load']['database_mb']} MB")

            from takedowns.models import Reviewer
            me = Reviewer.objects.select_related("user").get(user__username="rev01")
            client = Client()
            client.force_login(me.user)
            pages, info = choose_pages(me, args.deep_pages)
            result["pages"] = {k: v["url"] for k, v in pages.items()}
            result["page_info"] = info
            log(f"N={n}: pages {json.dumps(result['pages'])}; {json.dumps(info)}")
            explain = n in args.explain_sizes
            result.update(measure(client, pages, args, deadline, "current", n, explain))
            result["settings"] = {"DEBUG": settings.DEBUG, "CONN_MAX_AGE": settings.DATABASES["default"]["CONN_MAX_AGE"]}
            with connection.cursor() as cur:
                cur.execute("SELECT version(), current_setting('shared_buffers'), current_setting('work_mem'), "
                            "current_setting('random_page_cost'), current_setting('jit')")
                version, shared_buffers, work_mem, rpc, jit = cur.fetchone()
            result["postgres"] = {"version": version.split(" on ")[0], "shared_buffers": shared_buffers,
                                  "work_mem": work_mem, "random_page_cost": rpc, "jit": jit}
            if args.proposals:
                result["proposals"] = run_proposals(client, pages, info, me, args, deadline, n, explain)
                result["proposal_check_failures"] = [k for k, v in result["proposals"].get("checks", {}).items()
                                                     if v is False]
            if not info["deep_page"]["walk_matches_queue_order"]:
                result.setdefault("proposal_check_failures", []).append("keyset walk != queue order")
        result["status"] = "ok"
    except BaseException as exc:
        result["status"] = f"failed: {exc!r}"
        log(f"N={n}: FAILED: {exc!r}")
        raise
    finally:
        try:
            from django.db import connections
            connections.close_all()
        except Exception:
            pass
        result["seconds"] = round(time.perf_counter() - t_start, 1)
        Path(args.out).write_text(json.dumps(result, indent=2, default=str))
    return 0


# =====================================================================================
# The parent: all sizes, one deadline, the report, cleanup.
# =====================================================================================

def machine_info() -> dict:
    import django
    info = {"nproc": os.cpu_count(), "python": sys.version.split()[0], "django": django.get_version()}
    with open("/proc/meminfo") as handle:
        info["mem_total_mb"] = int(handle.readline().split()[1]) // 1024
    with open("/proc/cpuinfo") as handle:
        info["cpu"] = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), "?")
    with open("/proc/loadavg") as handle:
        info["loadavg_at_start"] = handle.read().split()[:3]
    return info


def parent(args) -> int:
    OUT.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    began = time.perf_counter()
    deadline = began + 60 * args.max_minutes
    git = lambda *a: subprocess.run(["git", "-C", str(ROOT), *a], capture_output=True, text=True, check=False).stdout.strip()
    report: dict = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "args": vars(args), "git_head": git("rev-parse", "--short", "HEAD"),
                    "git_dirty_app_files": [line for line in git("status", "--short").splitlines()
                                            if any(p in line for p in ("portal/", "takedowns/", "templates/"))],
                    "machine": machine_info(), "sizes": {}}
    created: list[str] = []
    proc = None

    def on_term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_term)
    try:
        for n in args.sizes:
            remaining = deadline - time.perf_counter()
            if remaining < 30:
                report["sizes"][str(n)] = {"status": "skipped: --max-minutes reached"}
                log(f"N={n}: skipped, the run's deadline is reached")
                continue
            db = f"{args.db_prefix}_{label(n)}"
            created.append(db)
            child_out = OUT / f"queue-{stamp}-{label(n)}.part.json"
            argv = [sys.executable, str(Path(__file__).resolve()), "--child", "--n", str(n), "--db", db,
                    "--out", str(child_out), "--requests", str(args.requests), "--warmup", str(args.warmup),
                    "--deep-pages", str(args.deep_pages), "--budget", str(int(remaining)),
                    "--explain-sizes", ",".join(map(str, args.explain_sizes))]
            if not args.proposals:
                argv.append("--no-proposals")
            log(f"N={n}: child process for database {db} (at most {remaining:.0f}s left)")
            t0 = time.perf_counter()
            proc = subprocess.Popen(argv, env=bench_env(db), cwd=ROOT, start_new_session=True)
            try:
                proc.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                log(f"N={n}: over the deadline; stopping the child")
                stop_child(proc)
            elapsed = time.perf_counter() - t0
            proc = None
            if child_out.exists():
                result = json.loads(child_out.read_text())
                child_out.unlink()
            else:
                result = {"status": "failed: no result (killed or crashed)"}
            result["wall_s"] = round(elapsed, 1)
            result["git_head_after"] = git("rev-parse", "--short", "HEAD")
            if result["git_head_after"] != report["git_head"]:
                warning = (f"the app changed during the run (HEAD {report['git_head']} -> {result['git_head_after']} "
                           f"by the end of N={n}); sizes measured after the change ran the newer code")
                if warning not in report.setdefault("warnings", []):
                    report["warnings"].append(warning)
                log("WARNING: " + warning)
            report["sizes"][str(n)] = result
            if not args.keep:
                drop_database(db)
                created.remove(db)
                log(f"N={n}: dropped database {db}")
    except BaseException as exc:
        report["status"] = f"interrupted: {exc!r}"
        log(f"interrupted: {exc!r}")
    finally:
        if proc is not None:
            stop_child(proc)
        if not args.keep:
            for db in created:
                try:
                    drop_database(db)
                    log(f"dropped database {db}")
                except Exception as exc:
                    log(f"could not drop {db}: {exc!r}")
        report["seconds"] = round(time.perf_counter() - began, 1)
        failures = [f"N={n}: {r['proposal_check_failures']}" for n, r in report["sizes"].items()
                    if r.get("proposal_check_failures")]
        if failures:
            report["status"] = "problems: failed checks: " + "; ".join(failures)
        report.setdefault("status", "ok" if all(r.get("status") == "ok" for r in report["sizes"].values())
                          else "problems")
        report["summary"] = summarize(report)
        path = OUT / f"queue-{stamp}.json"
        path.write_text(json.dumps(report, indent=2, default=str))
        explain_path = OUT / f"queue-{stamp}-explain.txt"
        write_explain(report, explain_path)
        log(f"results written to {path.relative_to(ROOT)} and {explain_path.relative_to(ROOT)} ({report['seconds']}s)")
    print_summary(report)
    return 0 if report["status"] == "ok" else 1


def stop_child(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(10)


def summarize(report: dict) -> dict:
    """Table N × page → p50/p95/queries, for the current code and with the proposals, and the targets."""
    sizes = {int(k): v for k, v in report["sizes"].items() if v.get("status") == "ok"}
    if not sizes:
        return {}
    smallest, largest = min(sizes), max(sizes)
    summary: dict = {}
    for variant in ("current", "proposed"):
        table: dict = {}
        for n, r in sorted(sizes.items()):
            m = r if variant == "current" else r.get("proposals")
            if not m or "timing" not in m:
                continue
            for page, t in m["timing"].items():
                table.setdefault(page, {})[n] = {"p50_ms": t["p50_ms"], "p95_ms": t["p95_ms"], "n": t["n"],
                                                 "rows": m.get("rows_on_page", {}).get(page),
                                                 "queries": m["queries"][page], "sql_ms": m["sql_ms"][page]}
        targets = {}
        for page, row in table.items():
            big, small = row.get(largest), row.get(smallest)
            if not big or not small:
                continue
            ratio = big["p95_ms"] / small["p95_ms"]
            targets[page] = {"p95_at_largest_ms": big["p95_ms"], "largest_n": largest, "smallest_n": smallest,
                             "ratio_to_smallest": round(ratio, 2), "p95_under_30ms": big["p95_ms"] < TARGET_P95_MS,
                             "ratio_at_most_1.5": ratio <= TARGET_RATIO, "main_page": page in MAIN_PAGES}
        if table:
            summary[variant] = {"table": table, "targets": targets}
    return summary


def print_summary(report: dict) -> None:
    summary = report.get("summary") or {}
    print(f"\n==== Review queue bench (git {report['git_head']}, {report['seconds']}s, status: {report['status']}) ====")
    for warning in report.get("warnings", []):
        print("WARNING: " + warning)
    for variant, title in (("current", "the app as it is"), ("proposed", "with the proposals of bench/queue_proposals.py")):
        part = summary.get(variant)
        if not part:
            continue
        sizes = sorted({n for row in part["table"].values() for n in row})
        print(f"\n-- {title}: p50 / p95 ms, SQL queries per request --")
        head = f"{'page':24s}" + "".join(f" | {label(n):>20s}" for n in sizes)
        print(head)
        print("-" * len(head))
        for page, row in part["table"].items():
            cells = "".join(f" | {row[n]['p50_ms']:7.1f} / {row[n]['p95_ms']:6.1f}, {row[n]['queries']:2d}q" if n in row
                            else " | " + " " * 20 for n in sizes)
            print(f"{page:24s}{cells}{'' if page in MAIN_PAGES else '   (extra)'}")
        print(f"targets: p95 < {TARGET_P95_MS:.0f} ms at {label(max(sizes))} and ≤ {TARGET_RATIO}× the p95 at {label(min(sizes))}")
        for page, t in part["targets"].items():
            if not t["main_page"]:
                continue
            print(f"  {page:22s} p95 {t['p95_at_largest_ms']:7.1f} ms: {'met' if t['p95_under_30ms'] else 'NOT MET'};"
                  f"  {t['ratio_to_smallest']:5.2f}×: {'met' if t['ratio_at_most_1.5'] else 'NOT MET'}")
        short = [f"{page} at {label(n)}: {c['rows']}" for page, row in part["table"].items() for n, c in row.items()
                 if c.get("rows") is not None and c["rows"] < 50]
        if short:
            print("queue pages with fewer than 50 rows (there are no more): " + "; ".join(short))
    print()
    for n, r in sorted(((int(k), v) for k, v in report["sizes"].items()), key=lambda x: x[0]):
        if r.get("status") == "ok":
            deep = r["page_info"]["deep_page"]
            line = (f"N={label(n)}: load {r['load_s']}s ({r['load']['database_mb']} MB), whole size {r['wall_s']}s; "
                    f"deep page {deep['pages_followed']} pages in, cursor walk in queue order: "
                    f"{deep.get('walk_matches_queue_order')}")
            if r.get("proposals"):
                line += f"; proposal checks {r['proposals'].get('checks')}"
            print(line)
        else:
            print(f"N={label(n)}: {r.get('status')}")


def write_explain(report: dict, path: Path) -> None:
    lines = []
    for n, r in report["sizes"].items():
        for tag, m in (("current", r), ("proposed", r.get("proposals") or {})):
            for page, plans in (m.get("explain") or {}).items():
                for p in plans:
                    title = (f"==== N={n} {tag} {page}: execution {p['execution_ms']} ms "
                             f"(in the request: {p['captured_ms']} ms)")
                    lines += [title, p["sql"], "", p["plan"], ""]
    path.write_text("\n".join(lines) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ints = lambda text: [int(x.replace("_", "")) for x in text.split(",") if x]
    parser.add_argument("--sizes", type=ints, default=SIZES, help="notices per database, e.g. 10000,100000,1000000")
    parser.add_argument("--requests", type=int, default=100, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests per page first")
    parser.add_argument("--deep-pages", type=int, default=200, help="how many queue pages to follow for the deep page")
    parser.add_argument("--explain-sizes", type=ints, default=None,
                        help="sizes at which to EXPLAIN ANALYZE every page's queries (default: the largest)")
    parser.add_argument("--no-proposals", dest="proposals", action="store_false",
                        help="skip measuring the proposed change of bench/queue_proposals.py")
    parser.add_argument("--keep", action="store_true", help="keep the databases bench_queue_<N> for inspection")
    parser.add_argument("--db-prefix", default="bench_queue")
    parser.add_argument("--max-minutes", type=float, default=15.0, help="deadline of the whole run")
    # Internal: one size in a child process.
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--budget", type=float, default=900, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.db_prefix.startswith("bench_queue"):
        parser.error("--db-prefix must start with bench_queue")
    if args.explain_sizes is None:
        args.explain_sizes = [max(args.sizes)] if not args.child else []
    return child(args) if args.child else parent(args)


if __name__ == "__main__":
    sys.exit(main())
