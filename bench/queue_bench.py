"""Review queue bench: `bench/queue` (= .venv/bin/python bench/queue_bench.py).

For N = 10,000, 100,000 and 1,000,000 notices (--sizes), each in its own child process:
- creates a fresh PostgreSQL database `bench_queue_<N>` (never `bench` or `test`), migrates it
  with the production settings (portal.settings, DEBUG=false, everything from the environment),
  creates 20 reviewers (users in the Reviewer group with a Reviewer row) and bulk-loads N
  notices with server-side SQL (INSERT … SELECT generate_series): ~3 items per notice with
  states that fit the notice's status, decisions, information requests, evidence rows, the timeline
  (~8 events per notice), 5,000 sellers and 50,000 listings, 2,000 submitters (Submitter rows,
  trust per notice), the SLA clocks (acknowledgement and takedown decision, running/paused/stopped;
  Notice.due_at and Notice.reason_mask as the workflow sets them) and the counters the workflow keeps
  (Seller/Submitter), computed with SQL aggregates after the load. Secondary indexes are dropped during the load and rebuilt afterwards,
  FK triggers are off for the load session (the generator keeps the references valid); then VACUUM
  ANALYZE and CHECKPOINT, so the measurement starts from the state autovacuum would leave.
- measures in-process with Django's test Client, logged in (force_login) as reviewer rev01:
  the queue's first page, filtered pages (patent + mine, reason, trusted flaggers), a page ~200
  pages deep (found by following the keyset cursor), the notice page of a typical notice, of the
  biggest submitter's and of the biggest seller's, plus a few extra pages. Warm-up, then rounds in
  which every page is requested once (rotating order), so noise hits all pages alike; p50/p95 per
  page; the queue counts are in the shared cache as the beat task keeps them (filled by
  selectors.count_open_notices before the warm-up, refilled untimed if it expires). SQL
  queries per request (an execute_wrapper timing each statement, on a separate unmeasured
  request), EXPLAIN (ANALYZE, BUFFERS) of every app query of each page, and the cost of the beat
  task's refresh (selectors.count_open_notices, ~20 calls) and of the view's counts call with the
  cache warm.
- checks that the notice pages show the history counted from the rows, and that following the
  queue's cursor gives the queue in order, without gaps or repeats.
- then (unless --no-proposals, or none is pending) the proposed changes of bench/queue_proposals.py
  on the same database: SQL the bench applies to its own database and selector functions patched
  into this process only (never the app code). It checks that the pages show the same, measures
  again, undoes it, and times the main pages once more with the current code (drift check).

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
from datetime import timedelta
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
              "takedowns_inforequest", "takedowns_evidence", "takedowns_slaclock"]
MAIN_PAGES = ["queue_first", "queue_filtered", "queue_reason", "queue_trusted", "queue_deep", "notice",
              "notice_heavy_submitter", "notice_big_seller"]
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


def _trusted_sql(sub: str) -> str:
    """~2 % of submitters are trusted flaggers: the third-biggest vendor (~1.5 % of all notices) and
    every 50th submitter from the 8th on (40 more, mostly small)."""
    return f"({sub} = 2 OR {sub} % 50 = 7)"


def _good_faith_sql(sub: str) -> str:
    """~10 % of the other submitters are in the good-faith programme (85 % of their notices earned it
    when confirmed; the rest were confirmed while their record was short)."""
    return f"({sub} * 7919 % 100 < 10)"


# The takedown-decision targets of the bench's SLA policies (SlaPolicy rows, round the clock, warning
# at 80 %), per right type and priority band: (right type, min priority) -> hours. The acknowledgement
# clock keeps the default policy of migration 0006 (15 minutes).
DECISION_TARGET_HOURS = {("trademark", 0): 24, ("trademark", 70): 8, ("copyright", 0): 24, ("copyright", 70): 8,
                         ("design", 0): 72, ("design", 70): 24, ("patent", 0): 168, ("patent", 70): 72}
ACK_TARGET_SQL, WARN_RATIO = "interval '15 minutes'", 0.8


def load_statements(n: int, reviewer_ids: list[int], user_ids: list[int], rights: dict[str, int],
                    reason_codes: list[int], policies: dict) -> list[tuple[str, str]]:
    from takedowns import sla
    from takedowns.enums import EEA_COUNTRIES, LEGAL_GROUNDS, REASON_BITS
    calendar = json.dumps(sla.ROUND_THE_CLOCK.terms())
    reason_bit = "CASE reason " + " ".join(f"WHEN '{r}' THEN {bit}" for r, bit in REASON_BITS.items()) + " END"

    def by_band(values: dict) -> str:  # CASE over the right type and the priority band
        return "CASE right_type " + " ".join(
            f"WHEN '{t}' THEN CASE WHEN priority >= 70 THEN {values[(t, 70)]} ELSE {values[(t, 0)]} END"
            for t in {t for t, _ in values}) + " END"
    decision_target = by_band({k: f"interval '{h} hours'" for k, h in DECISION_TARGET_HOURS.items()})
    decision_policy = by_band({k: policies[k] for k in DECISION_TARGET_HOURS})
    ack_policy = policies["acknowledgement"]
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
INSERT INTO takedowns_seller (id, external_id, name, email, country, strike_count, created_at, reported_items,
                              removed_items, account, account_until)
SELECT i, 'S-' || (3000 + i), 'Seller ' || i, 'seller' || i || '@shop.example',
       ({countries})[1 + floor(random() * 10)::int], (ARRAY[0,0,0,0,0,1,1,2,4])[1 + floor(random() * 9)::int],
       now() - interval '2 years', 0, 0, 'active', NULL
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
), v AS (
SELECT id, status, right_type, sub, routed, created_at, confirmed_at, routed_at,
  CASE WHEN confirmed_at IS NOT NULL THEN sub + 1 END AS submitter_id,
  CASE WHEN confirmed_at IS NULL THEN 'unverified' WHEN {_trusted_sql('sub')} THEN 'trusted_flagger'
       WHEN {_good_faith_sql('sub')} AND id * 2654435761 % 100 < 85 THEN 'good_faith' ELSE 'verified' END AS trust,
  CASE WHEN status = 'closed' THEN LEAST(now(), routed_at + ucl * interval '14 days')
       WHEN status = 'withdrawn' THEN LEAST(now(), confirmed_at + ucl * interval '3 days') END AS closed_at,
  CASE WHEN (status IN ('in_review', 'awaiting_submitter') AND ue < 0.02) OR (status = 'closed' AND ue < 0.01)
       THEN LEAST(now(), routed_at + interval '1 day') END AS escalated_at,
  ({reviewers})[rix] AS assigned_to_id, ({users})[COALESCE(rix, 1)] AS user_id,
  CASE WHEN routed THEN floor(up * 101)::int ELSE 0 END AS priority,
  CASE WHEN routed AND uv < 0.3 THEN {verified} END AS verified_right_id,
  1 + floor(uk * 5)::int AS n_items,
  (ARRAY['en','en','en','de','de','fr','es','it'])[1 + floor(ul * 8)::int] AS language
FROM u
)
-- The SLA clocks of the notice's next step (workflow/clocks.py): acknowledgement from confirmation
-- to routing; takedown decision from confirmation (started at routing, dated back), under the policy of
-- its right type and priority band, paused while the submitter owes an answer (from the information
-- request), stopped at closing (cancelled at withdrawal). Notice.due_at = the due time of the last
-- started one. Warnings and breaches as the beat task marks them (within ~15 s).
SELECT v.*, d.target AS d_target, d.policy AS d_policy,
  CASE WHEN status = 'awaiting_submitter' THEN LEAST(now(), routed_at + interval '1 day') END AS d_paused_at,
  CASE WHEN routed THEN confirmed_at + d.target WHEN confirmed_at IS NOT NULL THEN confirmed_at + {ACK_TARGET_SQL}
       END AS due_at
FROM v CROSS JOIN LATERAL (SELECT {decision_target} AS target, {decision_policy} AS policy) d
ORDER BY id"""),
        # A submitter row per address with a confirmed notice (as confirm_notice creates them), keyed
        # by the lower-cased address; counters are filled after the load.
        ("submitters", f"""
INSERT INTO takedowns_submitter (id, email, trusted_flagger, notices, removed_items, rejected_items, created_at)
SELECT sub + 1, 'rights.agent' || sub || '@brand' || (sub % 400) || '.example', {_trusted_sql('sub')}, 0, 0, 0,
       min(confirmed_at)
FROM bench_n WHERE confirmed_at IS NOT NULL GROUP BY sub ORDER BY sub"""),
        # Item states fit the notice status: in_review has at least one item in review (position 1),
        # awaiting_submitter one waiting for the submitter (position 1, pointing at the notice's
        # information request, whose id is the notice id) and none in review; closed ones are all
        # decided or resolved otherwise. Listings uniformly over the catalogue. Planned before the
        # notices are inserted: the notice's reason_mask is made from its items' reasons.
        ("item plan", f"""
CREATE UNLOGGED TABLE bench_i AS
WITH x AS (
  SELECT n.id AS notice_id, p AS position, n.status, n.right_type, n.routed,
         random() AS us, 1 + floor(random() * {LISTINGS})::bigint AS lid, random() AS ur, random() AS uu
  FROM bench_n n CROSS JOIN LATERAL generate_series(1, n.n_items) p
)
SELECT x.*, CASE
     WHEN status IN ('unconfirmed', 'expired') THEN 'new'
     WHEN status = 'withdrawn' THEN 'withdrawn'
     WHEN status = 'in_review' AND position = 1 THEN 'in_review'
     WHEN status = 'awaiting_submitter' AND position = 1 THEN 'info_requested'
     WHEN us < 0.08 THEN 'not_found' WHEN us < 0.11 THEN 'already_removed' WHEN us < 0.15 THEN 'duplicate'
     WHEN status = 'in_review' THEN CASE WHEN us < 0.40 THEN 'removed' WHEN us < 0.50 THEN 'rejected' ELSE 'in_review' END
     WHEN status = 'awaiting_submitter' THEN
       CASE WHEN us < 0.45 THEN 'info_requested' WHEN us < 0.75 THEN 'removed' ELSE 'rejected' END
     ELSE CASE WHEN us < 0.75 THEN 'removed' ELSE 'rejected' END END AS state,
  CASE right_type WHEN 'trademark' THEN CASE WHEN ur < 0.6 THEN 'counterfeit' ELSE 'trademark_misuse' END
                  WHEN 'copyright' THEN CASE WHEN ur < 0.6 THEN 'copyright_images' ELSE 'copyright_text' END
                  WHEN 'design' THEN CASE WHEN ur < 0.6 THEN 'design' ELSE 'counterfeit' END
                  ELSE 'patent' END AS reason
FROM x"""),
        ("notices", f"""
INSERT INTO takedowns_notice (id, reference, status, submission_key, tracking_token, confirmation_token,
  submitter_name, submitter_organisation, submitter_email, submitter_country, submitter_role, language,
  submitter_id, trust, right_type, right_registration_number, right_office, right_owner, verified_right_id, description,
  good_faith_statement, accuracy_statement, signature, priority, assigned_to_id,
  created_at, expires_at, confirmed_at, routed_at, closed_at, escalated_at, due_at, reason_mask)
SELECT id, {_reference_sql('id')}, status, gen_random_uuid(),
  md5(random()::text) || left(md5(random()::text), 11), md5(random()::text) || left(md5(random()::text), 11),
  'Agent ' || sub, 'Brand Protection ' || (sub % 400),
  CASE WHEN id % 10 = 0 THEN 'Rights.Agent' ELSE 'rights.agent' END || sub || '@brand' || (sub % 400) || '.example',
  ({countries})[1 + sub % 10], CASE WHEN sub % 3 = 0 THEN 'owner' ELSE 'agent' END, language,
  submitter_id, trust, right_type, lpad((id * 7919 % 1000000000)::text, 9, '0'), (ARRAY['EUIPO','USPTO','DPMA','WIPO'])[1 + sub % 4],
  'Brand Owner ' || (sub % 400), verified_right_id, '{DESCRIPTION} Notice ' || id || '.',
  true, true, 'Agent ' || sub, priority, assigned_to_id,
  created_at, created_at + interval '7 days', confirmed_at, routed_at, closed_at, escalated_at, due_at,
  -- set at confirmation (confirm_notice: reason_mask of the items' reasons)
  CASE WHEN confirmed_at IS NOT NULL THEN m.mask ELSE 0 END
FROM bench_n n JOIN (SELECT notice_id, bit_or({reason_bit}) AS mask FROM bench_i GROUP BY 1) m ON m.notice_id = n.id
ORDER BY id"""),
        ("info requests", """
INSERT INTO takedowns_inforequest (id, notice_id, message, requested_by_id, requested_at, due_at, answer,
                                   answered_at, expired_at)
SELECT id, id, 'Please send the registration certificate that covers these listings.', user_id,
       LEAST(now(), routed_at + interval '1 day'), LEAST(now(), routed_at + interval '1 day') + interval '7 days',
       '', NULL, NULL
FROM bench_n WHERE status = 'awaiting_submitter' ORDER BY id"""),
        # One SLA clock row per clock the workflow starts for a notice (workflow/clocks.py): the
        # acknowledgement clock of every confirmed notice (stopped at routing, cancelled at a withdrawal
        # before routing, running while confirmed), and the takedown-decision clock of every routed
        # notice (running in review, paused while awaiting the submitter, stopped at closing,
        # cancelled at a withdrawal). In the order the app records them. No clock events.
        ("clocks", f"""
INSERT INTO takedowns_slaclock (kind, notice_id, item_id, strike_id, counter_notice_id, appeal_id, policy_id, target,
  calendar, started_at, due_at, warn_at, paused_at, paused_for, warned_at, breached_at, stopped_at, cancelled, elapsed)
SELECT kind, notice_id, NULL, NULL, NULL, NULL, policy_id, target, '{calendar}'::jsonb, started_at, due_at, warn_at,
  paused_at, interval '0',
  CASE WHEN warn_at + lag < LEAST(now(), stopped_at, paused_at) THEN warn_at + lag END,
  CASE WHEN due_at + lag < LEAST(now(), stopped_at, paused_at) THEN due_at + lag END,
  stopped_at, cancelled, CASE WHEN stopped_at IS NOT NULL THEN GREATEST(stopped_at - started_at, interval '0') END
FROM (
  SELECT 'acknowledgement' AS kind, id AS notice_id, {ack_policy} AS policy_id, {ACK_TARGET_SQL} AS target,
         confirmed_at AS started_at, confirmed_at + {ACK_TARGET_SQL} AS due_at,
         confirmed_at + {ACK_TARGET_SQL} * {WARN_RATIO} AS warn_at, NULL::timestamptz AS paused_at,
         CASE WHEN routed THEN routed_at WHEN status = 'withdrawn' THEN closed_at END AS stopped_at,
         status = 'withdrawn' AND NOT routed AS cancelled, confirmed_at AS recorded_at,
         random() * interval '15 seconds' AS lag
  FROM bench_n WHERE confirmed_at IS NOT NULL
  UNION ALL
  SELECT 'takedown_decision', id, d_policy, d_target, confirmed_at, confirmed_at + d_target,
         confirmed_at + d_target * {WARN_RATIO}, d_paused_at,
         CASE WHEN status IN ('closed', 'withdrawn') THEN closed_at END, status = 'withdrawn', routed_at,
         random() * interval '15 seconds'
  FROM bench_n WHERE routed
) c ORDER BY recorded_at, kind"""),
        ("items", f"""
INSERT INTO takedowns_noticeitem (notice_id, position, reported, reason, state, listing_id, listing_snapshot,
                                  duplicate_of_id, info_request_id)
SELECT y.notice_id, y.position,
  CASE WHEN y.state = 'not_found' THEN 'L-' || (900000 + floor(uu * 99999)::int)
       WHEN uu < 0.25 THEN 'http://127.0.0.1:8000/listings/' || l.external_id || '/' ELSE l.external_id END,
  y.reason, y.state,
  CASE WHEN y.state IN ('new', 'not_found') OR NOT y.routed THEN NULL ELSE y.lid END,
  CASE WHEN y.state IN ('new', 'not_found') OR NOT y.routed THEN NULL ELSE jsonb_build_object(
    'title', l.title, 'category', l.category, 'price', l.price::text, 'currency', l.currency,
    'status', CASE WHEN y.state = 'already_removed' THEN 'removed' ELSE l.status END,
    'seller', s.external_id, 'seller_name', s.name) END,
  NULL, CASE WHEN y.state = 'info_requested' THEN y.notice_id END
FROM bench_i y JOIN takedowns_listing l ON l.id = y.lid JOIN takedowns_seller s ON s.id = l.seller_id
ORDER BY y.notice_id, y.position"""),
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
        # The counters the workflow keeps (route_notice, decide_items, confirm_notice), from the data.
        ("seller counters", """
UPDATE takedowns_seller s SET reported_items = c.reported, removed_items = c.removed
FROM (SELECT l.seller_id, count(*) AS reported, count(*) FILTER (WHERE d.outcome = 'remove') AS removed
      FROM takedowns_noticeitem i JOIN takedowns_listing l ON l.id = i.listing_id
      JOIN takedowns_notice n ON n.id = i.notice_id LEFT JOIN takedowns_decision d ON d.item_id = i.id
      WHERE n.routed_at IS NOT NULL GROUP BY 1) c
WHERE s.id = c.seller_id"""),
        ("submitter counters", """
UPDATE takedowns_submitter s SET notices = c.notices, removed_items = COALESCE(d.removed, 0),
                                 rejected_items = COALESCE(d.rejected, 0)
FROM (SELECT submitter_id, count(*) AS notices FROM takedowns_notice WHERE submitter_id IS NOT NULL GROUP BY 1) c
LEFT JOIN (SELECT n.submitter_id, count(*) FILTER (WHERE d.outcome = 'remove') AS removed,
                  count(*) FILTER (WHERE d.outcome = 'reject') AS rejected
           FROM takedowns_decision d JOIN takedowns_noticeitem i ON i.id = d.item_id
           JOIN takedowns_notice n ON n.id = i.notice_id WHERE n.submitter_id IS NOT NULL GROUP BY 1) d
  ON d.submitter_id = c.submitter_id
WHERE s.id = c.submitter_id"""),
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
    from takedowns.models import ReasonCode, Right, SlaPolicy

    timings = {}
    t0 = time.perf_counter()
    reviewer_ids, user_ids = create_reviewers()
    seeding.load_rights(ROOT / "seeds")
    rights = {}
    for right in Right.objects.order_by("pk"):
        rights.setdefault(right.right_type, right.pk)
    codes = list(ReasonCode.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
    # SLA policies as a lead would set them (the generic ones come from migration 0006).
    policies = {key: SlaPolicy.objects.create(clock="takedown_decision", right_type=key[0], min_priority=key[1],
                                              target=timedelta(hours=hours), warn_ratio=WARN_RATIO).pk
                for key, hours in DECISION_TARGET_HOURS.items()}
    policies["acknowledgement"] = SlaPolicy.objects.get(clock="acknowledgement", right_type="", reason="",
                                                        min_priority=0).pk
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
        for name, sql in load_statements(n, reviewer_ids, user_ids, rights, codes, policies):
            t0 = time.perf_counter()
            cur.execute(sql)
            timings[name] = time.perf_counter() - t0
            log(f"  {name}: {cur.rowcount if cur.rowcount >= 0 else '-'} rows in {timings[name]:.1f}s")
        t0 = time.perf_counter()
        for statement in creates:
            cur.execute(statement)
        timings["indexes"] = time.perf_counter() - t0
        log(f"  {len(creates)} indexes/constraints rebuilt in {timings['indexes']:.1f}s")
        for table in ["takedowns_seller", "takedowns_listing", "takedowns_submitter", *BIG_TABLES]:
            cur.execute(f"SELECT COALESCE(max(id), 0) + 1 FROM {table}")
            cur.execute(f"ALTER TABLE {table} ALTER COLUMN id RESTART WITH {cur.fetchone()[0]}")
        cur.execute("UPDATE takedowns_reviewer AS r SET open_load = (SELECT count(*) FROM takedowns_notice n "
                    "WHERE n.assigned_to_id = r.id AND n.status IN ('confirmed', 'in_review', 'awaiting_submitter'))")
        cur.execute("DROP TABLE bench_n, bench_i")
        t0 = time.perf_counter()
        cur.execute("SET session_replication_role = origin")
        cur.execute("VACUUM (ANALYZE)")
        cur.execute("CHECKPOINT")
        timings["vacuum_analyze_checkpoint"] = time.perf_counter() - t0
        log(f"  VACUUM (ANALYZE) + CHECKPOINT in {timings['vacuum_analyze_checkpoint']:.1f}s")
        counts = {}
        for table in ["takedowns_seller", "takedowns_listing", "takedowns_submitter", *BIG_TABLES]:
            cur.execute(f"SELECT count(*) FROM {table}")
            counts[table.removeprefix("takedowns_")] = cur.fetchone()[0]
        cur.execute("SELECT status, count(*) FROM takedowns_notice GROUP BY 1 ORDER BY 2 DESC")
        statuses = dict(cur.fetchall())
        cur.execute("SELECT trust, count(*) FROM takedowns_notice GROUP BY 1 ORDER BY 2 DESC")
        trust = dict(cur.fetchall())
        cur.execute("SELECT count(*) FILTER (WHERE trusted_flagger), max(notices), sum(notices) FROM takedowns_submitter")
        flaggers, biggest, confirmed = cur.fetchone()
        cur.execute("SELECT max(reported_items), sum(reported_items) FROM takedowns_seller")
        seller_max, seller_sum = cur.fetchone()
        # The queue's order and the clocks' states (open notices; "now" = the end of the load).
        cur.execute("""SELECT n.status, count(*), count(*) FILTER (WHERE n.due_at < now()),
                              count(*) FILTER (WHERE c.warned_at IS NOT NULL), count(*) FILTER (WHERE c.breached_at IS NOT NULL),
                              count(*) FILTER (WHERE c.paused_at IS NOT NULL), count(*) FILTER (WHERE n.due_at > now())
                       FROM takedowns_notice n JOIN takedowns_slaclock c ON c.notice_id = n.id AND c.stopped_at IS NULL
                       WHERE n.status IN ('confirmed', 'in_review', 'awaiting_submitter') GROUP BY 1 ORDER BY 1""")
        clock_states = {row[0]: dict(zip(("running_clocks", "overdue", "warned", "breached", "paused", "due_later"),
                                         row[1:])) for row in cur.fetchall()}
        cur.execute("SELECT kind, count(*), count(*) FILTER (WHERE stopped_at IS NULL) FROM takedowns_slaclock GROUP BY 1")
        clocks = {kind: {"rows": rows, "running": running} for kind, rows, running in cur.fetchall()}
        cur.execute("SELECT count(*) FILTER (WHERE reason_mask = 0) FROM takedowns_notice "
                    "WHERE status IN ('confirmed', 'in_review', 'awaiting_submitter')")
        open_without_mask = cur.fetchone()[0]
        cur.execute("SELECT pg_database_size(current_database())")
        size_mb = cur.fetchone()[0] // 2**20
    return {"timings_s": {k: round(v, 2) for k, v in timings.items()}, "rows": counts, "statuses": statuses,
            "open_fraction": round(sum(statuses.get(s, 0) for s in ("confirmed", "in_review", "awaiting_submitter"))
                                   / max(1, sum(statuses.values())), 4),
            "trust": trust, "trusted_flaggers": flaggers, "biggest_submitter_notices": biggest,
            "confirmed_notices": confirmed, "biggest_seller_reported_items": seller_max,
            "reported_items": seller_sum,
            "database_mb": size_mb, "reviewer_ids": reviewer_ids, "open_clock_states": clock_states,
            "clocks": clocks, "open_notices_without_reason_mask": open_without_mask}


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


def capture(client, url: str) -> tuple[list[dict], int]:
    """The SQL of one request, each statement timed around the driver call (an unmeasured
    request: the wrapper adds a little overhead), and the queue rows on the page."""
    captured, response = capture_sql(lambda: get(client, url))
    return captured, response.content.count(b"<tr data-reference=")


def capture_sql(call) -> tuple[list[dict], object]:
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
        result = call()
    return captured, result


def fill_counts() -> float:
    """What the beat task does (tasks.refresh_queue_counts): count the open notices into the shared
    cache. Returns its time in ms."""
    from django.utils import timezone

    from takedowns.selectors import queue as selectors
    t0 = time.perf_counter()
    selectors.count_open_notices(timezone.now())
    return 1000 * (time.perf_counter() - t0)


def counts_cached() -> bool:
    from django.core.cache import cache

    from takedowns.selectors import queue as selectors
    return cache.get(selectors.QUEUE_COUNTS_KEY) is not None


def measure_counts(me, n: int, calls: int, explain: bool, budget_s: float = 90.0) -> dict:
    """The counts beside the queue's filters. (a) The refresh, now out of the request path: one
    `selectors.count_open_notices` call (what the beat task refresh_queue_counts runs every 15 s),
    `calls` times. (b) What a queue view pays for the counts with the cache warm:
    `selectors.queue_counts` (a read of the shared cache + the live count of "assigned to me")."""
    from django.core.cache import cache
    from django.utils import timezone

    from takedowns.selectors import queue as selectors
    refresh, cached = [], []
    deadline = time.perf_counter() + budget_s
    for _ in range(calls):
        if time.perf_counter() > deadline and len(refresh) >= 5:
            break
        refresh.append(fill_counts())
        t0 = time.perf_counter()
        counts = selectors.queue_counts(me, "in_review", timezone.now())
        cached.append(1000 * (time.perf_counter() - t0))
    queries, _ = capture_sql(lambda: selectors.count_open_notices(timezone.now()))
    cached_queries, _ = capture_sql(lambda: selectors.queue_counts(me, "in_review", timezone.now()))
    stats = lambda s: {"n": len(s), "p50_ms": round(percentile(s, 50), 2), "p95_ms": round(percentile(s, 95), 2),
                       "min_ms": round(min(s), 2), "max_ms": round(max(s), 2)}
    out = {"refresh": stats(refresh), "cached": stats(cached), "sql": queries,
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


def time_pages(client, pages: dict[str, dict], requests: int, warmup: int, budget_s: float,
               page_cap_s: float = 20.0) -> dict:
    """Warm-up, then `requests` rounds; each round requests every page once, in rotating order.
    Bounded: the whole loop by budget_s, and a page whose requests add up to page_cap_s stops
    being sampled once it has 20 samples (the slowest page would otherwise take minutes)."""
    names = list(pages)
    refills = [round(fill_counts(), 1)]  # the beat task has counted: the cache is warm
    for name in names:
        for _ in range(warmup):
            get(client, pages[name]["url"], pages[name].get("expect"))
    samples = {name: [] for name in names}
    cpu = {name: [] for name in names}  # this process's CPU time per request (less sensitive to a busy machine)
    refreshed = {name: [] for name in names}  # sample indexes of requests that would have counted themselves
    deadline = time.perf_counter() + budget_s
    for r in range(requests):
        if time.perf_counter() > deadline:
            log(f"  time budget of {budget_s:.0f}s reached after {r} rounds")
            break
        for name in names[r % len(names):] + names[:r % len(names)]:
            s = samples[name]
            if len(s) >= 20 and sum(s) > 1000 * page_cap_s:
                continue
            if pages[name]["url"].startswith("/review/?") or pages[name]["url"] == "/review/":
                if not counts_cached():  # expired (QUEUE_COUNTS_SECONDS): refill untimed, as the beat task would have
                    refreshed[name].append(len(s))
                    refills.append(round(fill_counts(), 1))
            c0, t0 = time.process_time(), time.perf_counter()
            response = client.get(pages[name]["url"])
            elapsed = time.perf_counter() - t0
            cpu[name].append(1000 * (time.process_time() - c0))
            if response.status_code != 200:
                raise RuntimeError(f"GET {pages[name]['url']}: HTTP {response.status_code}")
            s.append(1000 * elapsed)
    out = {}
    for name in names:
        s = samples[name]
        out[name] = {"n": len(s), "p50_ms": round(percentile(s, 50), 2), "p95_ms": round(percentile(s, 95), 2),
                     "p99_ms": round(percentile(s, 99), 2), "min_ms": round(min(s), 2), "max_ms": round(max(s), 2),
                     "mean_ms": round(statistics.mean(s), 2), "count_refills": len(refreshed[name]),
                     "cpu_p50_ms": round(percentile(cpu[name], 50), 2), "cpu_p95_ms": round(percentile(cpu[name], 95), 2)}
    out["_counts_refills_ms"] = refills
    return out


def queue_url(status="in_review", right_type="", reason="", scope="all", trust="", after=None) -> str:
    """As the queue template writes its "Next page" link (first page: /review/ plus the filter form)."""
    url = f"/review/?status={status}&right_type={right_type}&reason={reason}&scope={scope}&trust={trust}"
    return url + (f"&after={after}" if after else "")


def choose_pages(me, deep_pages: int) -> tuple[dict, dict]:
    from django.db import connection

    from takedowns.selectors import queue as selectors
    from takedowns.models import Notice
    info = {}
    # Follow the cursor of the default queue (in review, everyone's) as far as --deep-pages.
    cursor, depth, seen = None, 0, []
    t0 = time.perf_counter()
    while depth < deep_pages:
        page = selectors.review_queue(me, selectors.QueueFilters(), cursor)
        seen += [notice.pk for notice in page.rows]
        if not page.next_cursor:
            break
        cursor, depth = page.next_cursor, depth + 1
    walk_s = time.perf_counter() - t0
    # The pages followed must be the queue in order, without gaps or repeats.
    expected = list(Notice.objects.filter(status="in_review").order_by("due_at", "-priority", "id")
                    .values_list("pk", flat=True)[: len(seen)])
    info["deep_page"] = {"pages_followed": depth, "rows_before": depth * selectors.QUEUE.size,
                         "walk_s": round(walk_s, 2), "cursor": cursor,
                         "walk_matches_queue_order": seen == expected and len(set(seen)) == len(seen)}

    with connection.cursor() as cur:
        # Submitters file very different volumes (a few vendors file most notices). The typical
        # notice comes from the submitter at the notice-weighted median volume; the heavy one from
        # the biggest submitter; the big-seller one reports a listing of the seller with the most
        # reported items (or the biggest there is among rev01's notices). All: in review, assigned
        # to rev01, 3 listings.
        cur.execute("SELECT notices FROM (SELECT notices, sum(notices) OVER (ORDER BY notices, id) AS cum, "
                    "sum(notices) OVER () AS total FROM takedowns_submitter) w WHERE cum >= total / 2 ORDER BY cum LIMIT 1")
        median_volume = cur.fetchone()[0]
        cur.execute("SELECT count(*), max(notices), count(*) FILTER (WHERE trusted_flagger) FROM takedowns_submitter")
        count, largest, flaggers = cur.fetchone()
        info["submitters"] = {"count": count, "notice_weighted_median_volume": median_volume,
                              "largest_volume": largest, "trusted_flaggers": flaggers}

        def pick(order: str) -> str:
            cur.execute("SELECT n.reference FROM takedowns_notice n JOIN takedowns_submitter s ON s.id = n.submitter_id "
                        "WHERE n.status = 'in_review' AND n.assigned_to_id = %s AND (SELECT count(*) FROM "
                        "takedowns_noticeitem i WHERE i.notice_id = n.id AND i.listing_id IS NOT NULL) = 3 "
                        "AND NOT EXISTS (SELECT 1 FROM takedowns_noticeitem i WHERE i.notice_id = n.id "
                        "AND i.listing_id IS NULL) ORDER BY " + order + ", md5(n.id::text) LIMIT 1", [me.pk])
            return cur.fetchone()[0]

        typical = pick(f"abs(s.notices - {int(median_volume)})")
        heavy = pick("s.notices DESC")
        big_seller = pick("(SELECT max(se.reported_items) FROM takedowns_noticeitem i JOIN takedowns_listing l "
                          "ON l.id = i.listing_id JOIN takedowns_seller se ON se.id = l.seller_id "
                          "WHERE i.notice_id = n.id) DESC")
    for key, reference in (("notice", typical), ("notice_heavy_submitter", heavy), ("notice_big_seller", big_seller)):
        info[key] = notice_page_check(Notice.objects.get(reference=reference))
    pages = {
        "queue_first": {"url": "/review/", "expect": 'id="queue"'},
        "queue_filtered": {"url": queue_url(right_type="patent", scope="mine"), "expect": 'id="queue"'},
        "queue_reason": {"url": queue_url(reason="counterfeit"), "expect": "data-reference="},
        "queue_trusted": {"url": queue_url(trust="trusted_flagger"), "expect": "data-reference="},
        "queue_deep": {"url": queue_url(after=cursor), "expect": "data-reference="},
        "notice": {"url": f"/review/notices/{typical}/", "expect": 'id="items"'},
        "notice_heavy_submitter": {"url": f"/review/notices/{heavy}/", "expect": 'id="items"'},
        "notice_big_seller": {"url": f"/review/notices/{big_seller}/", "expect": 'id="items"'},
        # Extras: the reviewer's own queue, a filter that fills a page at every N (patent+mine has
        # only ~6 rows at 10,000 notices), the escalations.
        "queue_mine": {"url": queue_url(scope="mine"), "expect": "data-reference="},
        "queue_filtered_tm": {"url": queue_url(right_type="trademark", scope="mine"), "expect": "data-reference="},
        "queue_escalated": {"url": queue_url(scope="escalated"), "expect": 'id="queue"'},
    }
    return pages, info


def notice_page_check(notice) -> dict:
    """What the notice page shows (selectors.review_page, read from the counters) against the same
    history counted from the rows: earlier notices, removed/rejected items of the submitter's other
    notices, and per seller the routed items and removals of other notices."""
    from django.db import connection

    from takedowns.selectors import notices
    page = notices.review_page(notice)
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


APP_TABLES = ("takedowns_notice", "takedowns_noticeitem", "takedowns_event", "takedowns_evidence", "takedowns_slaclock",
              "takedowns_reviewer\"", "takedowns_reasoncode", "takedowns_submitter")


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
    fill_counts()  # the counts cached (by the beat task): the SQL below is that of a view with cached counts
    captured = {name: capture(client, page["url"]) for name, page in pages.items()}
    queries = {name: c[0] for name, c in captured.items()}
    out["rows_on_page"] = {name: c[1] for name, c in captured.items() if name.startswith("queue")}
    out["queries"] = {name: len(q) for name, q in queries.items()}
    out["sql_ms"] = {name: round(sum(x["ms"] for x in q), 2) for name, q in queries.items()}
    out["sql"] = queries
    t0 = time.perf_counter()
    out["timing"] = time_pages(client, pages, args.requests, args.warmup, max(10.0, deadline - time.perf_counter() - 90))
    out["counts_refills_ms"] = out["timing"].pop("_counts_refills_ms")
    out["timing_s"] = round(time.perf_counter() - t0, 1)
    log(f"N={n} {tag}: counts filled before the warm-up (and refilled untimed when expired): "
        f"{out['counts_refills_ms']} ms")
    for name, t in out["timing"].items():
        log(f"N={n} {tag}: {name:24s} p50 {t['p50_ms']:7.2f} ms  p95 {t['p95_ms']:7.2f} ms  "
            f"(Django process CPU p50 {t['cpu_p50_ms']:.2f} ms) "
            f"({t['n']} requests, {out['queries'][name]} queries, SQL {out['sql_ms'][name]} ms"
            + (f", {out['rows_on_page'][name]} rows" if name in out["rows_on_page"] else "")
            + (f", {t['count_refills']} untimed refills of the expired counts before it)" if t["count_refills"] else ")"))
    if explain:
        out["explain"] = {name: explain_all(queries[name]) for name in pages}
    return out


def pending_proposals() -> bool:
    import queue_proposals as qp
    return bool(qp.APPLY or qp.PATCHES)


def run_proposals(client, pages: dict, info: dict, me, args, deadline: float, n: int, explain: bool) -> dict:
    """The pending proposals of queue_proposals.py at once: apply (SQL on this database, functions
    patched into this process), check the pages still show what they showed, measure the pages and
    the counts refresh, undo; then the main pages once more with the current code (drift check:
    the machine is shared)."""
    import queue_proposals as qp
    from django.db import connection

    from takedowns.selectors import queue as selectors
    from takedowns.models import Notice
    from django.utils import timezone
    originals = {name: getattr(selectors, name) for name in qp.PATCHES}
    out: dict = {}
    before = selectors.count_open_notices(timezone.now())
    t0 = time.perf_counter()
    try:
        with connection.cursor() as cur:
            for statement in qp.APPLY:
                cur.execute(statement)
        out["apply_s"] = round(time.perf_counter() - t0, 1)
        for name, function in qp.PATCHES.items():
            setattr(selectors, name, function)
        checks = {f"{key}_shows_counted_history":
                  notice_page_check(Notice.objects.get(reference=info[key]["reference"]))["page_shows_counted_history"]
                  for key in ("notice", "notice_heavy_submitter", "notice_big_seller")}
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
            for statement in qp.UNDO:
                cur.execute(statement)
    main = {name: pages[name] for name in MAIN_PAGES}
    recheck_rounds = max(20, args.requests // 3)
    out["recheck_current"] = time_pages(client, main, recheck_rounds, 2, max(10.0, deadline - time.perf_counter() - 30))
    out["recheck_current"].pop("_counts_refills_ms")
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
            from django.core.cache import cache

            from takedowns.selectors import queue as selectors
            cache.delete(selectors.QUEUE_COUNTS_KEY)  # the shared cache (Redis db 15): none from an earlier size
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
            result["queue_counts"] = measure_counts(me, n, args.count_calls, explain)
            result["settings"] = {"DEBUG": settings.DEBUG, "CONN_MAX_AGE": settings.DATABASES["default"]["CONN_MAX_AGE"]}
            with connection.cursor() as cur:
                cur.execute("SELECT version(), current_setting('shared_buffers'), current_setting('work_mem'), "
                            "current_setting('random_page_cost'), current_setting('jit')")
                version, shared_buffers, work_mem, rpc, jit = cur.fetchone()
            result["postgres"] = {"version": version.split(" on ")[0], "shared_buffers": shared_buffers,
                                  "work_mem": work_mem, "random_page_cost": rpc, "jit": jit}
            failures = [key for key in ("notice", "notice_heavy_submitter", "notice_big_seller")
                        if not info[key]["page_shows_counted_history"]]
            if not info["deep_page"]["walk_matches_queue_order"]:
                failures.append("keyset walk != queue order")
            if args.proposals and pending_proposals():
                result["proposals"] = run_proposals(client, pages, info, me, args, deadline, n, explain)
                failures += [k for k, v in result["proposals"].get("checks", {}).items() if v is False]
            result["check_failures"] = failures
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


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def run_sizes(kind: str, args, *, db_for, child_argv, drop, summarize, write_explain, print_summary,
              min_seconds: float = 30) -> int:
    """The parent of a bench with one child process per size (bench/queue, bench/dashboard): one
    deadline for the run, the child's result per size, its database dropped unless --keep (also on
    Ctrl-C or SIGTERM), the report and explain file in bench/out/<kind>-<time>.*, a summary.

    `child_argv(n, db, out, remaining)` is the child's command line; `drop(db)` drops a database."""
    OUT.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    began = time.perf_counter()
    deadline = began + 60 * args.max_minutes
    git = lambda *a: subprocess.run(["git", "-C", str(ROOT), *a], capture_output=True, text=True, check=False).stdout.strip()
    report: dict = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "args": vars(args), "git_head": git("rev-parse", "--short", "HEAD"),
                    "git_dirty_app_files": [line for line in git("status", "--short").splitlines()
                                            if any(p in line for p in ("portal/", "takedowns/", "templates/"))],
                    "machine": machine_info(), "uptime_before": uptime(), "sizes": {}}
    log(f"uptime before: {report['uptime_before']}")
    created: list[str] = []
    proc = None

    def on_term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_term)
    try:
        for n in args.sizes:
            remaining = deadline - time.perf_counter()
            if remaining < min_seconds:
                report["sizes"][str(n)] = {"status": "skipped: --max-minutes reached"}
                log(f"N={label(n)}: skipped, the run's deadline is reached")
                continue
            db = db_for(n)
            created.append(db)
            child_out = OUT / f"{kind}-{stamp}-{label(n)}.part.json"
            log(f"N={label(n)}: child process for database {db} (at most {remaining:.0f}s left)")
            t0 = time.perf_counter()
            proc = subprocess.Popen(child_argv(n, db, child_out, remaining), env=bench_env(db), cwd=ROOT,
                                    start_new_session=True)
            try:
                proc.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                log(f"N={label(n)}: over the deadline; stopping the child")
                stop_child(proc)
            proc = None
            if child_out.exists():
                result = json.loads(child_out.read_text())
                child_out.unlink()
            else:
                result = {"status": "failed: no result (killed or crashed)"}
            result["wall_s"] = round(time.perf_counter() - t0, 1)
            result["git_head_after"] = git("rev-parse", "--short", "HEAD")
            if result["git_head_after"] != report["git_head"]:
                warning = (f"the app changed during the run (HEAD {report['git_head']} -> {result['git_head_after']} "
                           f"by the end of N={label(n)}); sizes measured after the change ran the newer code")
                if warning not in report.setdefault("warnings", []):
                    report["warnings"].append(warning)
                log("WARNING: " + warning)
            report["sizes"][str(n)] = result
            if not args.keep:
                drop(db)
                created.remove(db)
                log(f"N={label(n)}: dropped database {db}")
    except BaseException as exc:
        report["status"] = f"interrupted: {exc!r}"
        log(f"interrupted: {exc!r}")
    finally:
        if proc is not None:
            stop_child(proc)
        if not args.keep:
            for db in created:
                try:
                    drop(db)
                    log(f"dropped database {db}")
                except Exception as exc:
                    log(f"could not drop {db}: {exc!r}")
        report["uptime_after"] = uptime()
        report["seconds"] = round(time.perf_counter() - began, 1)
        failures = [f"N={n}: {r['check_failures']}" for n, r in report["sizes"].items() if r.get("check_failures")]
        if failures:
            report["status"] = "problems: failed checks: " + "; ".join(failures)
        report.setdefault("status", "ok" if all(r.get("status") == "ok" for r in report["sizes"].values())
                          else "problems")
        report["summary"] = summarize(report)
        path = OUT / f"{kind}-{stamp}.json"
        path.write_text(json.dumps(report, indent=2, default=str))
        explain_path = OUT / f"{kind}-{stamp}-explain.txt"
        write_explain(report, explain_path)
        log(f"uptime after: {report['uptime_after']}")
        log(f"results written to {path.relative_to(ROOT)} and {explain_path.relative_to(ROOT)} ({report['seconds']}s)")
    print_summary(report)
    return 0 if report["status"] == "ok" else 1


def parent(args) -> int:
    def child_argv(n: int, db: str, out: Path, remaining: float) -> list[str]:
        argv = [sys.executable, str(Path(__file__).resolve()), "--child", "--n", str(n), "--db", db,
                "--out", str(out), "--requests", str(args.requests), "--warmup", str(args.warmup),
                "--deep-pages", str(args.deep_pages), "--budget", str(int(remaining)),
                "--count-calls", str(args.count_calls), "--explain-sizes", ",".join(map(str, args.explain_sizes))]
        return argv + ([] if args.proposals else ["--no-proposals"])
    return run_sizes("queue", args, db_for=lambda n: f"{args.db_prefix}_{label(n)}", child_argv=child_argv,
                     drop=drop_database, summarize=summarize, write_explain=write_explain, print_summary=print_summary)


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
                                                 "cpu_p50_ms": t.get("cpu_p50_ms"),
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
        counts = {n: (r if variant == "current" else r.get("proposals") or {}).get("queue_counts") for n, r in sizes.items()}
        counts = {n: {"refresh_p50_ms": c["refresh"]["p50_ms"], "refresh_p95_ms": c["refresh"]["p95_ms"],
                      "calls": c["refresh"]["n"], "cached_p50_ms": c["cached"]["p50_ms"],
                      "cached_p95_ms": c["cached"]["p95_ms"], "sql_ms": c["sql_ms"],
                      "open_fraction": sizes[n]["load"].get("open_fraction")}
                  for n, c in sorted(counts.items()) if c}
        if table:
            summary[variant] = {"table": table, "targets": targets, "queue_counts": counts}
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
        if part.get("queue_counts"):
            print("queue counts: the beat task's refresh (selectors.count_open_notices) and the view's call with the"
                  " cache warm (selectors.queue_counts), ms:")
            for n, c in part["queue_counts"].items():
                print(f"  {label(n):>4s}: refresh p50 {c['refresh_p50_ms']:8.1f} / p95 {c['refresh_p95_ms']:8.1f} over {c['calls']} calls;"
                      f" SQL {c['sql_ms']}; view's call p50 {c['cached_p50_ms']:.2f} / p95 {c['cached_p95_ms']:.2f};"
                      f" open notices {100 * (c['open_fraction'] or 0):.1f} %")
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
            checks = {k: r["page_info"][k]["page_shows_counted_history"]
                      for k in ("notice", "notice_heavy_submitter", "notice_big_seller")}
            line += f"; notice pages show the counted history: {checks}"
            if r.get("proposals"):
                line += f"; with the proposals: {r['proposals'].get('checks')}"
            print(line)
        else:
            print(f"N={label(n)}: {r.get('status')}")


def write_explain(report: dict, path: Path) -> None:
    lines = []
    for n, r in report["sizes"].items():
        for tag, m in (("current", r), ("proposed", r.get("proposals") or {})):
            explains = dict(m.get("explain") or {})
            if (m.get("queue_counts") or {}).get("explain"):
                explains["count_open_notices (the beat task's refresh)"] = m["queue_counts"]["explain"]
            for page, plans in explains.items():
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
    parser.add_argument("--count-calls", type=int, default=20,
                        help="selectors.count_open_notices calls (the beat task's counts refresh) per size")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests per page first")
    parser.add_argument("--deep-pages", type=int, default=200, help="how many queue pages to follow for the deep page")
    parser.add_argument("--explain-sizes", type=ints, default=None,
                        help="sizes at which to EXPLAIN ANALYZE every page's queries (default: the largest)")
    parser.add_argument("--no-proposals", dest="proposals", action="store_false",
                        help="skip measuring the pending proposals of bench/queue_proposals.py (if any)")
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
