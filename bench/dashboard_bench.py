"""Dashboard and transparency-report bench: `bench/dashboard` (= .venv/bin/python bench/dashboard_bench.py).

For N = 100,000 and 1,000,000 notices (--sizes), each in its own child process:
- creates a fresh PostgreSQL database `bench_dash_<N>` (never `bench` or `test`), migrates it with the
  production settings (portal.settings, DEBUG=false, everything from the environment, as bench/queue
  does), creates 20 reviewers and one lead through the ORM and bulk-loads a year of history with
  server-side SQL (INSERT … SELECT generate_series, `load_statements`): notices spread over the last
  12 months with age-dependent statuses (the open ones are the recent ones), ~3 items each with
  reasons, decisions (remove/reject, dated after routing with a log-normal spread), listing
  take-downs, the timeline (filed/confirmed/routed/item_decided/closed/…; ~7 events per notice),
  SLA clocks of every kind (acknowledgement and takedown decision per notice, takedown executed per
  removal, seller penalty per strike, counter-notice restore, appeal decision: running, paused,
  warned, breached, cancelled), strikes and penalties on the configured ladder, a few thousand
  counter-notices and appeals with their effects (restored listings, reversed decisions, reversed
  strikes, lifted penalties); then VACUUM (ANALYZE) and CHECKPOINT.
- measures in-process with django.test.Client: the leads' dashboard (default 30 days and 6 months),
  figures.csv and durations.csv (time to the last byte of the stream) as a lead; the public report
  for a month and a half-year and the half-year's JSON anonymously. Warm-up, then rounds of every
  page in rotating order (p50/p95), under a deadline; the SQL of each page with its time; EXPLAIN
  (ANALYZE, BUFFERS) of the slowest statements at the largest N.
- checks figures on the pages against independent SQL counts on the loaded rows.
- at the largest N (unless --no-proposals): applies the index proposals of PROPOSALS to its own
  database, re-checks and re-measures, and drops them again. The app code is never changed.

Helpers (logging, percentiles, the production environment, reviewers, SQL capture, index rebuild)
come from bench/queue_bench.py. The parent writes bench/out/dashboard-<time>.json and
dashboard-<time>-explain.txt and drops the databases unless --keep.
"""

import argparse
import json
import re
import signal
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from queue_bench import (
    DECISION_TARGET_HOURS, DESCRIPTION, OUT, PG_BASE, WARN_RATIO, _reference_sql, admin_execute, capture_sql,
    create_reviewers, label, log, percentile, run_sizes, secondary_indexes,
)

SIZES = [100_000, 1_000_000]
DB_PREFIX = "bench_dash"
SUBMITTERS, LISTINGS_PER_SELLER = 2_000, 3
TARGET_P95_MS = 300.0
BIG_TABLES = ["takedowns_notice", "takedowns_noticeitem", "takedowns_event", "takedowns_decision",
              "takedowns_inforequest", "takedowns_slaclock", "takedowns_strike", "takedowns_penalty",
              "takedowns_counternotice", "takedowns_appeal"]
COUNTED_TABLES = ["takedowns_seller", "takedowns_listing", "takedowns_submitter", *BIG_TABLES]
LEAD_PAGES = ("dashboard_30d", "dashboard_6m", "figures_csv", "durations_csv_30d")

# Index proposals measured on the bench's own database at the largest N (SQL only; never the app).
# None pending: the covering indexes measured on 29 November (RESULTS.md, "Proposals") halved the
# dashboard but could not meet the target; the dashboard now reads the clock roll-up and the report
# its snapshots instead. The mechanism stays for the next proposal.
PROPOSALS: dict[str, str] = {}
# The dashboard pages measured once more before the roll-up is built (the live path, as right after
# migrating or with the beat stopped), side by side with the same pages after it.
NO_ROLLUP_PAGES = ("dashboard_30d", "dashboard_6m", "figures_csv")
# The dashboard's medians and p90 come from 2 % buckets (takedowns/clock_rollup.py).
PERCENTILE_TOLERANCE = 0.02


def drop_database(db: str) -> None:
    assert db.startswith(DB_PREFIX + "_"), db
    admin_execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


# =====================================================================================
# The data set (child process): server-side SQL only.
# =====================================================================================

def _trusted_sql(sub: str) -> str:
    """Trusted flaggers: the third-biggest vendor and every 50th submitter from the 8th (~3 % of notices)."""
    return f"({sub} = 2 OR {sub} % 50 = 7)"


def _normal() -> str:
    """A standard normal draw (Box–Muller)."""
    return "(sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))"


def load_statements(n: int, reviewer_ids: list[int], user_ids: list[int], codes: list[int], policies: dict,
                    ladder) -> list[tuple[str, str]]:
    from django.conf import settings

    from takedowns import sla
    from takedowns.enums import EEA_COUNTRIES, LEGAL_GROUNDS, REASON_BITS
    sellers = max(5_000, n // 5)
    listings = sellers * LISTINGS_PER_SELLER
    expiry = settings.STRIKE_EXPIRY_DAYS
    calendar = json.dumps(sla.ROUND_THE_CLOCK.terms())
    users = "ARRAY[" + ",".join(map(str, user_ids)) + "]::int[]"
    reviewers = "ARRAY[" + ",".join(map(str, reviewer_ids)) + "]::bigint[]"
    nusers = len(user_ids)
    code_array = "ARRAY[" + ",".join(map(str, codes)) + "]::bigint[]"
    reason_bit = "CASE reason " + " ".join(f"WHEN '{r}' THEN {bit}" for r, bit in REASON_BITS.items()) + " END"

    def by_band(values: dict) -> str:
        return "CASE right_type " + " ".join(
            f"WHEN '{t}' THEN CASE WHEN prio >= 70 THEN {values[(t, 70)]} ELSE {values[(t, 0)]} END"
            for t in sorted({t for t, _ in values})) + " END"
    decision_target = by_band({k: f"interval '{h} hours'" for k, h in DECISION_TARGET_HOURS.items()})
    decision_policy = by_band({k: policies[k] for k in DECISION_TARGET_HOURS})
    # The penalty ladder of the settings: the highest step the live strikes reach.
    level_sql = "CASE " + " ".join(f"WHEN live >= {s.strikes} THEN '{s.level}'" for s in reversed(ladder)) + " END"
    days_sql = "CASE " + " ".join(f"WHEN live >= {s.strikes} THEN {s.days or 'NULL'}" for s in reversed(ladder)) + " END"
    grounds = "CASE b.right_type " + " ".join(
        f"WHEN '{t}' THEN '{g.replace(chr(39), chr(39) * 2)}'" for t, g in LEGAL_GROUNDS.items()) + " END"
    eea = json.dumps(list(EEA_COUNTRIES))
    countries = "ARRAY['DE','FR','CN','US','PL','IT','ES','NL','CZ','PT']"
    categories = "ARRAY['shoes','bags','clothing','watches','toys','cosmetics','electrical','books','jewellery','baby','car-parts','sports']"
    lag = "random() * interval '15 seconds'"  # the beat task marks warnings and breaches within ~15 s
    return [
        ("sellers", f"""
INSERT INTO takedowns_seller (id, external_id, name, email, country, strike_count, created_at, reported_items,
                              removed_items, account, account_until)
SELECT i, 'S-' || (3000 + i), 'Seller ' || i, 'seller' || i || '@shop.example', ({countries})[1 + i % 10], 0,
       now() - interval '3 years', 0, 0, 'active', NULL
FROM generate_series(1, {sellers}) i"""),
        # Seller s owns listings (s-1)*3+1 … s*3, so a listing's seller is (id-1)/3+1 without a join.
        ("listings", f"""
INSERT INTO takedowns_listing (id, external_id, seller_id, title, description, category, price, currency,
                               status, created_at, removed_at)
SELECT i, 'L-' || (200000 + i), (i - 1) / {LISTINGS_PER_SELLER} + 1,
       'Bench listing ' || i || ' — branded goods, fast shipping', 'A listing of the bench catalogue.',
       ({categories})[1 + i % 12], round((5 + random() * 495)::numeric, 2), 'EUR', 'active',
       now() - interval '2 years', NULL
FROM generate_series(1, {listings}) i"""),
        # One row per notice with its draws. Created evenly over the last 365 days (id order). 4 % never
        # confirm their address (unconfirmed if younger than 7 days, expired otherwise); 3 % are withdrawn
        # (a fifth of them before routing); 1 % of routings are deferred by up to 4 h (acknowledgement
        # breaches). The decision takes a log-normal working time (median 10 h, sigma 1.2; patents ×3,
        # designs ×1.8, priority ≥ 70 ×0.5; 3 min – 60 days) plus, for 6 % of notices, a pause while the
        # submitter answers a request for information (5 h – 7 days). A notice is closed once that is over,
        # so the open notices are the recent ones.
        ("plan: notices", f"""
CREATE UNLOGGED TABLE bench_n AS
WITH r AS (
  SELECT i::bigint AS id,
         now() - interval '365 days' + (i - 1) * (interval '365 days' / {n}) + random() * interval '10 minutes' AS created_at,
         random() AS uc, random() AS uc2, random() AS ut, random() AS usub, random() AS uw, random() AS uw2,
         random() AS ur, random() AS ur2, random() AS up, random() AS ui, random() AS ui2, random() AS ua,
         random() AS uun, random() AS ue, random() AS ul, random() AS uk, random() AS useller, {_normal()} AS z
  FROM generate_series(1, {n}) i
), a AS (
  SELECT r.*,
    CASE WHEN ut < 0.57 THEN 'trademark' WHEN ut < 0.86 THEN 'copyright' WHEN ut < 0.955 THEN 'design'
         ELSE 'patent' END AS right_type,
    floor({SUBMITTERS} * usub ^ 3)::int AS sub, floor(up * 101)::int AS prio,
    CASE WHEN uc >= 0.04 THEN created_at + interval '1 minute' + uc2 * uc2 * interval '6 hours' END AS c_at,
    1 + floor({sellers} * useller ^ 1.5)::int AS seller
  FROM r
), b AS (
  SELECT a.*, CASE WHEN c_at <= now() THEN c_at END AS confirmed_at,
    CASE WHEN uw < 0.03 THEN c_at + uw2 * interval '3 days' END AS withdraw_at, uw < 0.006 AS withdraw_early,
    c_at + CASE WHEN ur < 0.01 THEN ur2 * interval '4 hours' ELSE interval '5 seconds' + ur2 * interval '1 minute' END
      AS r_at,
    GREATEST(interval '3 minutes', LEAST(interval '60 days', interval '10 hours' * exp(1.2 * z)
      * CASE right_type WHEN 'patent' THEN 3 WHEN 'design' THEN 1.8 ELSE 1 END
      * CASE WHEN prio >= 70 THEN 0.5 ELSE 1 END)) AS dur,
    ui < 0.06 AS info, interval '5 hours' + ui2 * interval '7 days' AS pause
  FROM a
), c AS (
  SELECT b.*,
    confirmed_at IS NOT NULL AND NOT (withdraw_early AND withdraw_at <= now()) AND r_at <= now() AS routed,
    r_at + dur * 0.3 AS info_at, r_at + dur + CASE WHEN info THEN pause ELSE interval '0' END AS finish_at
  FROM b
), d AS (
  SELECT c.*,
    CASE WHEN confirmed_at IS NULL THEN CASE WHEN created_at > now() - interval '7 days' THEN 'unconfirmed' ELSE 'expired' END
         WHEN withdraw_at <= LEAST(now(), CASE WHEN routed THEN finish_at ELSE 'infinity' END) THEN 'withdrawn'
         WHEN NOT routed THEN 'confirmed'
         WHEN finish_at <= now() THEN 'closed'
         WHEN info AND info_at <= now() AND info_at + pause > now() THEN 'awaiting_submitter'
         ELSE 'in_review' END AS status
  FROM c
), e AS (
  SELECT d.*,
    CASE WHEN status = 'closed' THEN finish_at
         WHEN status = 'withdrawn' THEN CASE WHEN routed THEN GREATEST(withdraw_at, r_at + interval '1 second')
                                             ELSE withdraw_at END END AS closed_at,
    info AND routed AND status <> 'withdrawn' AND info_at <= now() AS has_info
  FROM d
)
SELECT id, created_at, status, right_type, sub, seller, prio, routed, dur, pause, has_info, uk, ul, ua,
  CASE WHEN confirmed_at IS NOT NULL THEN sub + 1 END AS submitter_id,
  CASE WHEN confirmed_at IS NULL THEN 'unverified' WHEN {_trusted_sql('sub')} THEN 'trusted_flagger'
       WHEN sub * 7919 % 100 < 10 AND id * 2654435761 % 100 < 85 THEN 'good_faith' ELSE 'verified' END AS trust,
  confirmed_at, CASE WHEN routed THEN r_at END AS routed_at, closed_at,
  CASE WHEN has_info THEN info_at END AS info_at,
  CASE WHEN has_info AND info_at + pause <= now() THEN info_at + pause END AS answered_at,
  CASE WHEN routed AND NOT (status IN ('in_review', 'awaiting_submitter') AND uun < 0.05)
       THEN 1 + floor(ua * {nusers})::int END AS rix,
  CASE WHEN routed AND ue < 0.01 AND r_at + dur * 0.5 <= LEAST(now(), closed_at) THEN r_at + dur * 0.5 END AS escalated_at,
  1 + floor(uk * 5)::int AS n_items,
  {decision_target} AS d_target, {decision_policy} AS d_policy
FROM e"""),
        # Items: position 1 of a routed notice is always decided last (when the notice closes); the others
        # are resolved at routing (not found 8 %, already removed 3 %, duplicate 4 %) or decided earlier
        # (f of the decision time). 85 % of a notice's listings are of its main seller. Removal 75 % (90 %
        # for trusted flaggers). The listing goes down a log-normal delay after a removal (median 90 s).
        ("plan: items", f"""
CREATE UNLOGGED TABLE bench_i AS
WITH x AS (
  SELECT n.id AS notice_id, p AS position, n.status, n.right_type, n.routed, n.trust, n.routed_at, n.dur, n.pause,
         n.has_info, n.seller, n.rix, random() AS us, random() AS uo, random() AS ur, random() AS uf, random() AS ul,
         random() AS ul2, random() AS ucn, random() AS uap, random() AS uu, {_normal()} AS z
  FROM bench_n n CROSS JOIN LATERAL generate_series(1, n.n_items) p
), y AS (
  SELECT x.*, CASE WHEN position = 1 THEN 1.0 ELSE 0.2 + 0.8 * uf END AS f,
    CASE WHEN ul < 0.85 THEN (seller - 1) * {LISTINGS_PER_SELLER} + 1 + floor(ul2 * {LISTINGS_PER_SELLER})::bigint
         ELSE 1 + floor(ul2 * {listings})::bigint END AS lid,
    CASE WHEN position > 1 AND us < 0.08 THEN 'not_found' WHEN position > 1 AND us < 0.11 THEN 'already_removed'
         WHEN position > 1 AND us < 0.15 THEN 'duplicate' END AS resolved,
    CASE WHEN uo < CASE WHEN trust = 'trusted_flagger' THEN 0.9 ELSE 0.75 END THEN 'remove' ELSE 'reject' END AS outcome,
    CASE right_type WHEN 'trademark' THEN CASE WHEN ur < 0.6 THEN 'counterfeit' ELSE 'trademark_misuse' END
                    WHEN 'copyright' THEN CASE WHEN ur < 0.6 THEN 'copyright_images' ELSE 'copyright_text' END
                    WHEN 'design' THEN CASE WHEN ur < 0.6 THEN 'design' ELSE 'counterfeit' END
                    ELSE 'patent' END AS reason
  FROM x
), w AS (
  SELECT y.*, routed_at + dur * f + CASE WHEN has_info AND f > 0.3 THEN pause ELSE interval '0' END AS d_at FROM y
)
SELECT row_number() OVER (ORDER BY notice_id, position) AS iid, w.*,
  CASE WHEN status IN ('unconfirmed', 'expired', 'confirmed') THEN 'new'
       WHEN status = 'withdrawn' THEN 'withdrawn'
       WHEN resolved IS NOT NULL THEN resolved
       WHEN status = 'closed' OR (position > 1 AND d_at <= now()) THEN
         CASE outcome WHEN 'remove' THEN 'removed' ELSE 'rejected' END
       WHEN status = 'awaiting_submitter' THEN 'info_requested'
       ELSE 'in_review' END AS state,
  LEAST(interval '2 days', interval '90 seconds' * exp(1.3 * z)) AS exec_delay
FROM w"""),
        # Decisions in time order (ids by decided_at, as the app appends them).
        ("plan: decisions", f"""
CREATE UNLOGGED TABLE bench_d AS
SELECT row_number() OVER (ORDER BY d_at, iid) AS did, iid, notice_id, lid, (lid - 1) / {LISTINGS_PER_SELLER} + 1 AS seller_id,
  outcome, d_at, rix, ucn, uap, uu,
  CASE WHEN outcome = 'remove' AND d_at + exec_delay <= now() THEN d_at + exec_delay END AS removed_at,
  exec_delay, NULL::timestamptz AS restored_at, NULL::timestamptz AS reversed_at
FROM bench_i WHERE state IN ('removed', 'rejected')"""),
        # One strike per seller and notice with a removal (at the first removal), live strikes over the
        # expiry window, the ladder step they reach; the penalty task applies it seconds later (0.3 %
        # wait for the marketplace for up to 5 days).
        ("plan: strikes", f"""
CREATE UNLOGGED TABLE bench_s AS
WITH s AS (SELECT notice_id, seller_id, min(d_at) AS created_at FROM bench_d WHERE outcome = 'remove' GROUP BY 1, 2),
w AS (SELECT s.*, count(*) OVER (PARTITION BY seller_id ORDER BY created_at
                                 RANGE BETWEEN interval '{expiry} days' PRECEDING AND CURRENT ROW) AS live FROM s)
SELECT row_number() OVER (ORDER BY created_at, notice_id, seller_id) AS sid, w.*,
  {level_sql} AS level, {days_sql} AS days,
  CASE WHEN random() < 0.003 THEN random() * interval '5 days'
       ELSE interval '5 seconds' + LEAST(interval '1 hour', interval '20 seconds' * exp(2 * {_normal()})) END AS apply_delay,
  random() AS uap, NULL::timestamptz AS reversed_at
FROM w"""),
        # Counter-notices against 0.25 % of removals, filed within 10 days of the take-down: checked in a
        # day (10 % incomplete); complete ones restore 14 days later unless a lawsuit is reported (8 %).
        ("plan: counter-notices", """
CREATE UNLOGGED TABLE bench_cn AS
WITH f AS (
  SELECT did, iid, notice_id, seller_id, removed_at + random() * interval '10 days' AS filed_at, random() AS us,
         random() AS uc, random() AS ul
  FROM bench_d WHERE outcome = 'remove' AND removed_at IS NOT NULL AND ucn < 0.0025
), g AS (
  SELECT f.*, CASE WHEN filed_at <= now() - interval '2 days' THEN filed_at + uc * interval '1 day' END AS checked_at
  FROM f WHERE filed_at <= now()
), h AS (
  SELECT g.*, checked_at + interval '14 days' AS restore_due, checked_at + ul * interval '10 days' AS lawsuit_at FROM g
)
SELECT row_number() OVER (ORDER BY filed_at) AS cid, h.*,
  CASE WHEN checked_at IS NULL THEN 'filed' WHEN us < 0.10 THEN 'incomplete'
       WHEN us < 0.18 AND lawsuit_at <= now() THEN 'lawsuit'
       WHEN us >= 0.18 AND restore_due + interval '15 minutes' <= now() THEN 'restored' ELSE 'waiting' END AS status
FROM h"""),
        # Appeals: sellers against 0.2 % of removals, submitters against 0.6 % of rejections, sellers against
        # 0.3 % of penalties; filed within 30 days, decided in ~2 days (log-normal) by another reviewer,
        # a quarter reversed.
        ("plan: appeals", f"""
CREATE UNLOGGED TABLE bench_ap AS
WITH f AS (
  SELECT did, NULL::bigint AS sid, notice_id, seller_id, iid, CASE outcome WHEN 'remove' THEN 'seller' ELSE 'submitter' END AS appellant,
         d_at + random() * interval '30 days' AS filed_at, rix, outcome
  FROM bench_d WHERE (outcome = 'remove' AND uap < 0.002) OR (outcome = 'reject' AND uap < 0.006)
  UNION ALL
  SELECT NULL, sid, notice_id, seller_id, NULL, 'seller', created_at + random() * interval '20 days', NULL, NULL
  FROM bench_s WHERE uap < 0.003
), g AS (
  SELECT f.*, filed_at + LEAST(interval '30 days', interval '2 days' * exp(0.8 * {_normal()})) AS decide_at, random() AS us,
         random() AS uw
  FROM f WHERE filed_at <= now()
)
SELECT row_number() OVER (ORDER BY filed_at) AS aid, g.*,
  CASE WHEN decide_at + interval '2 hours' > now() THEN 'filed' WHEN us < 0.25 THEN 'reversed' ELSE 'upheld' END AS status,
  1 + (COALESCE(rix, 1) + floor(uw * {nusers - 1})::int) % {nusers} AS dix
FROM g"""),
        # What restores and reversals do (workflow/counter_notices.py, appeals.py, enforcement.py).
        ("plan: restores and reversals", """
UPDATE bench_d d SET restored_at = c.restore_due + interval '15 minutes' FROM bench_cn c
WHERE c.did = d.did AND c.status = 'restored';
UPDATE bench_d d SET reversed_at = a.decide_at,
  restored_at = CASE WHEN d.outcome = 'remove' THEN LEAST(COALESCE(d.restored_at, a.decide_at), a.decide_at) END
FROM bench_ap a WHERE a.did = d.did AND a.status = 'reversed';
UPDATE bench_s s SET reversed_at = x.at FROM (
  SELECT notice_id, seller_id, min(restored_at) AS at FROM bench_d WHERE restored_at IS NOT NULL GROUP BY 1, 2
  UNION ALL SELECT notice_id, seller_id, decide_at FROM bench_ap WHERE sid IS NOT NULL AND status = 'reversed') x
WHERE x.notice_id = s.notice_id AND x.seller_id = s.seller_id"""),
        ("submitters", f"""
INSERT INTO takedowns_submitter (id, email, trusted_flagger, notices, removed_items, rejected_items, created_at)
SELECT sub + 1, 'rights.agent' || sub || '@brand' || (sub % 400) || '.example', {_trusted_sql('sub')}, count(*), 0, 0,
       min(confirmed_at)
FROM bench_n WHERE confirmed_at IS NOT NULL GROUP BY sub ORDER BY sub"""),
        ("notices", f"""
INSERT INTO takedowns_notice (id, reference, status, submission_key, tracking_token, confirmation_token,
  submitter_name, submitter_organisation, submitter_email, submitter_country, submitter_role, language,
  submitter_id, trust, right_type, right_registration_number, right_office, right_owner, verified_right_id, description,
  good_faith_statement, accuracy_statement, signature, priority, assigned_to_id,
  created_at, expires_at, confirmed_at, routed_at, closed_at, escalated_at, due_at, reason_mask)
SELECT id, {_reference_sql('id')}, status, gen_random_uuid(),
  md5(random()::text) || left(md5(random()::text), 11), md5(random()::text) || left(md5(random()::text), 11),
  'Agent ' || sub, 'Brand Protection ' || (sub % 400), 'rights.agent' || sub || '@brand' || (sub % 400) || '.example',
  ({countries})[1 + sub % 10], CASE WHEN sub % 3 = 0 THEN 'owner' ELSE 'agent' END,
  (ARRAY['en','en','en','de','de','fr','es','it'])[1 + floor(ul * 8)::int],
  submitter_id, trust, right_type, lpad((id * 7919 % 1000000000)::text, 9, '0'), (ARRAY['EUIPO','USPTO','DPMA','WIPO'])[1 + sub % 4],
  'Brand Owner ' || (sub % 400), NULL, '{DESCRIPTION} Notice ' || id || '.', true, true, 'Agent ' || sub,
  CASE WHEN routed THEN prio ELSE 0 END, ({reviewers})[rix],
  created_at, created_at + interval '7 days', confirmed_at, routed_at, closed_at, escalated_at,
  CASE WHEN routed THEN confirmed_at + d_target + CASE WHEN answered_at IS NOT NULL THEN pause ELSE interval '0' END
       WHEN confirmed_at IS NOT NULL THEN confirmed_at + interval '15 minutes' END,
  CASE WHEN confirmed_at IS NOT NULL THEN m.mask ELSE 0 END
FROM bench_n n JOIN (SELECT notice_id, bit_or({reason_bit}) AS mask FROM bench_i GROUP BY 1) m ON m.notice_id = n.id
ORDER BY id"""),
        ("info requests", f"""
INSERT INTO takedowns_inforequest (id, notice_id, message, requested_by_id, requested_at, due_at, answer, answered_at, expired_at)
SELECT id, id, 'Please send the registration certificate that covers these listings.', ({users})[COALESCE(rix, 1)],
       info_at, info_at + interval '7 days', CASE WHEN answered_at IS NOT NULL THEN 'Certificate attached.' ELSE '' END,
       answered_at, NULL
FROM bench_n WHERE has_info ORDER BY id"""),
        ("items", """
INSERT INTO takedowns_noticeitem (id, notice_id, position, reported, reason, state, listing_id, listing_snapshot,
                                  duplicate_of_id, info_request_id)
SELECT y.iid, y.notice_id, y.position,
  CASE WHEN y.state = 'not_found' THEN 'L-' || (900000 + floor(y.uu * 99999)::int)
       WHEN y.uu < 0.25 THEN 'http://127.0.0.1:8000/listings/' || l.external_id || '/' ELSE l.external_id END,
  y.reason,
  CASE WHEN d.reversed_at IS NOT NULL AND d.outcome = 'reject' THEN 'in_review'
       WHEN d.restored_at IS NOT NULL THEN 'restored' ELSE y.state END,
  CASE WHEN y.state IN ('new', 'not_found') OR NOT y.routed THEN NULL ELSE y.lid END,
  CASE WHEN y.state IN ('new', 'not_found') OR NOT y.routed THEN NULL ELSE jsonb_build_object(
    'title', l.title, 'category', l.category, 'price', l.price::text, 'currency', l.currency,
    'status', CASE WHEN y.state = 'already_removed' THEN 'removed' ELSE 'active' END,
    'seller', 'S-' || (3000 + l.seller_id), 'seller_name', 'Seller ' || l.seller_id) END,
  NULL, CASE WHEN y.state = 'info_requested' THEN y.notice_id END
FROM bench_i y JOIN takedowns_listing l ON l.id = y.lid LEFT JOIN bench_d d ON d.iid = y.iid
ORDER BY y.iid"""),
        ("decisions", f"""
INSERT INTO takedowns_decision (id, item_id, outcome, reason_code_id, note, decided_by_id, decided_at, legal_ground,
  explanation, territorial_scope, automated_detection, automated_decision, seller_token, listing_removed_at,
  listing_restored_at, reversed_at)
SELECT d.did, d.iid, d.outcome,
  CASE WHEN d.outcome = 'reject' THEN ({code_array})[1 + floor(d.uu * {len(codes)})::int] END,
  CASE WHEN d.ucn > 0.8 THEN 'Checked against the registration and the test-buy report.' ELSE '' END,
  ({users})[COALESCE(d.rix, 1)], d.d_at,
  CASE WHEN d.outcome = 'remove' THEN {grounds} ELSE '' END,
  CASE WHEN d.outcome = 'remove' THEN '{DESCRIPTION}' ELSE '' END,
  '{eea}'::jsonb, false, false,
  CASE WHEN d.outcome = 'remove' THEN md5(random()::text) || left(md5(random()::text), 11) ELSE '' END,
  d.removed_at, d.restored_at, d.reversed_at
FROM bench_d d JOIN bench_n b ON b.id = d.notice_id ORDER BY d.did"""),
        ("strikes", f"""
INSERT INTO takedowns_strike (id, seller_id, notice_id, created_at, expires_at, expired_at, reversed_at)
SELECT sid, seller_id, notice_id, created_at, created_at + interval '{expiry} days',
  CASE WHEN created_at + interval '{expiry} days' <= LEAST(now(), reversed_at) THEN created_at + interval '{expiry} days' END,
  reversed_at
FROM bench_s ORDER BY sid"""),
        ("penalties", """
INSERT INTO takedowns_penalty (id, seller_id, strike_id, level, live_strikes, decided_at, applied_at, ends_at, lifted_at,
                               lift_reason, seller_token)
SELECT sid, seller_id, sid, level, live, created_at,
  CASE WHEN created_at + apply_delay <= now() THEN created_at + apply_delay END,
  created_at + days * interval '1 day', reversed_at,
  CASE WHEN reversed_at IS NOT NULL THEN 'the listing was restored' ELSE '' END,
  md5(random()::text) || left(md5(random()::text), 11)
FROM bench_s ORDER BY sid"""),
        ("counter-notices", """
INSERT INTO takedowns_counternotice (id, decision_id, full_name, address, phone, email, material, explanation,
  statement_mistake, consent_jurisdiction, signature, filed_at, status, checked_by_id, checked_at, incomplete_reason,
  restore_due_at, restored_at, lawsuit_reported_at, lawsuit_details)
SELECT c.cid, c.did, 'Seller ' || c.seller_id, 'Market Street ' || c.seller_id || ', 10115 Berlin', '+49 30 ' || (1000000 + c.cid),
  'seller' || c.seller_id || '@shop.example', 'Listing removed after notice ' || c.notice_id || '.',
  'The goods are genuine: bought from the brand''s authorised distributor (invoice attached).', true, true,
  'Seller ' || c.seller_id, c.filed_at, c.status, CASE WHEN c.checked_at IS NOT NULL THEN d.decided_by_id END, c.checked_at,
  CASE WHEN c.status = 'incomplete' THEN 'The consent to jurisdiction is missing.' ELSE '' END,
  CASE WHEN c.status IN ('waiting', 'restored', 'lawsuit') THEN c.restore_due END,
  CASE WHEN c.status = 'restored' THEN c.restore_due + interval '15 minutes' END,
  CASE WHEN c.status = 'lawsuit' THEN c.lawsuit_at END,
  CASE WHEN c.status = 'lawsuit' THEN 'Case filed at the Regional Court.' ELSE '' END
FROM bench_cn c JOIN takedowns_decision d ON d.id = c.did ORDER BY c.cid"""),
        ("appeals", f"""
INSERT INTO takedowns_appeal (id, decision_id, penalty_id, appellant, text, filed_at, status, decided_by_id, decided_at, reasons)
SELECT aid, did, sid, appellant, 'The decision is wrong: please look again at the evidence I sent.', filed_at, status,
  CASE WHEN status <> 'filed' THEN ({users})[dix] END, CASE WHEN status <> 'filed' THEN decide_at END,
  CASE WHEN status = 'reversed' THEN 'On a second look the evidence does not support the original decision.'
       WHEN status = 'upheld' THEN 'The evidence supports the original decision.' ELSE '' END
FROM bench_ap ORDER BY aid"""),
        # Every clock kind, in the order the app starts them. warned_at / breached_at within 15 s of
        # warn_at / due_at if that passed before now, the stop or the pause; cancelled ones (withdrawn
        # notices) have an elapsed time but stay out of the figures.
        ("clocks", f"""
INSERT INTO takedowns_slaclock (kind, notice_id, item_id, strike_id, counter_notice_id, appeal_id, policy_id, target,
  calendar, started_at, due_at, warn_at, paused_at, paused_for, warned_at, breached_at, stopped_at, cancelled, elapsed)
SELECT kind, notice_id, item_id, strike_id, counter_notice_id, appeal_id, policy_id, target, '{calendar}'::jsonb,
  started_at, due_at, warn_at, paused_at, paused_for,
  CASE WHEN warn_at + lag < LEAST(now(), stopped_at, paused_at) THEN warn_at + lag END,
  CASE WHEN due_at + lag < LEAST(now(), stopped_at, paused_at) THEN due_at + lag END,
  stopped_at, cancelled, CASE WHEN stopped_at IS NOT NULL THEN GREATEST(stopped_at - started_at - paused_for, interval '0') END
FROM (
  SELECT 'acknowledgement' AS kind, id AS notice_id, NULL::bigint AS item_id, NULL::bigint AS strike_id,
    NULL::bigint AS counter_notice_id, NULL::bigint AS appeal_id, {policies['acknowledgement']} AS policy_id,
    interval '15 minutes' AS target, confirmed_at AS started_at, confirmed_at + interval '15 minutes' AS due_at,
    confirmed_at + interval '12 minutes' AS warn_at, NULL::timestamptz AS paused_at, interval '0' AS paused_for,
    CASE WHEN routed THEN routed_at WHEN status = 'withdrawn' THEN closed_at END AS stopped_at,
    status = 'withdrawn' AND NOT routed AS cancelled, {lag} AS lag
  FROM bench_n WHERE confirmed_at IS NOT NULL
  UNION ALL
  SELECT 'takedown_decision', id, NULL, NULL, NULL, NULL, d_policy, d_target, confirmed_at,
    confirmed_at + d_target + CASE WHEN answered_at IS NOT NULL THEN pause ELSE interval '0' END,
    confirmed_at + d_target * {WARN_RATIO} + CASE WHEN answered_at IS NOT NULL THEN pause ELSE interval '0' END,
    CASE WHEN status = 'awaiting_submitter' THEN info_at END,
    CASE WHEN answered_at IS NOT NULL THEN pause ELSE interval '0' END,
    closed_at, status = 'withdrawn', {lag}
  FROM bench_n WHERE routed
  UNION ALL
  SELECT 'takedown_executed', notice_id, iid, NULL, NULL, NULL, {policies['takedown_executed']}, interval '15 minutes',
    d_at, d_at + interval '15 minutes', d_at + interval '12 minutes', NULL, interval '0', removed_at, false, {lag}
  FROM bench_d WHERE outcome = 'remove'
  UNION ALL
  SELECT 'seller_penalty', notice_id, NULL, sid, NULL, NULL, {policies['seller_penalty']}, interval '72 hours',
    created_at, created_at + interval '72 hours', created_at + interval '72 hours' * {WARN_RATIO}, NULL, interval '0',
    CASE WHEN created_at + apply_delay <= now() THEN created_at + apply_delay
         WHEN reversed_at IS NOT NULL THEN reversed_at END,
    created_at + apply_delay > now() AND reversed_at IS NOT NULL, {lag}
  FROM bench_s
  UNION ALL
  SELECT 'counter_notice_restore', notice_id, iid, NULL, cid, NULL, NULL, restore_due - checked_at, checked_at,
    restore_due, checked_at + (restore_due - checked_at) * {WARN_RATIO}, NULL, interval '0',
    CASE status WHEN 'restored' THEN restore_due + interval '15 minutes' WHEN 'lawsuit' THEN lawsuit_at END, false, {lag}
  FROM bench_cn WHERE status IN ('waiting', 'restored', 'lawsuit')
  UNION ALL
  SELECT 'appeal_decision', notice_id, iid, NULL, NULL, aid, {policies['appeal_decision']}, interval '7 days', filed_at,
    filed_at + interval '7 days', filed_at + interval '7 days' * {WARN_RATIO}, NULL, interval '0',
    CASE WHEN status <> 'filed' THEN decide_at END, false, {lag}
  FROM bench_ap
) c ORDER BY started_at, kind"""),
        # The timeline as the app writes it, in time order: filed, confirmed, expired, routed, item_decided,
        # info requested/answered, escalated, closed, withdrawn, counter-notices, appeals, restores. Left
        # out (they would triple the table): item_resolved, listing_removed, clock_*, strike_*, penalty_*.
        ("events", f"""
INSERT INTO takedowns_event (notice_id, item_id, kind, actor_kind, actor_user_id, from_status, to_status, details, created_at)
SELECT notice_id, item_id, kind, actor_kind, actor_user_id, from_status, to_status, details, created_at FROM (
  SELECT id AS notice_id, NULL::bigint AS item_id, 'filed' AS kind, 'submitter' AS actor_kind, NULL::int AS actor_user_id,
         '' AS from_status, 'unconfirmed' AS to_status, jsonb_build_object('items', n_items, 'evidence_files', 0) AS details,
         created_at
  FROM bench_n
  UNION ALL
  SELECT id, NULL, 'confirmed', 'submitter', NULL, 'unconfirmed', 'confirmed', '{{}}'::jsonb, confirmed_at
  FROM bench_n WHERE confirmed_at IS NOT NULL
  UNION ALL
  SELECT id, NULL, 'expired', 'system', NULL, 'unconfirmed', 'expired', '{{}}'::jsonb, created_at + interval '7 days'
  FROM bench_n WHERE status = 'expired'
  UNION ALL
  SELECT id, NULL, 'routed', 'system', NULL, 'confirmed', 'in_review',
         jsonb_build_object('reviewer', 'rev' || lpad(COALESCE(rix, 0)::text, 2, '0'), 'priority', prio), routed_at
  FROM bench_n WHERE routed
  UNION ALL
  SELECT notice_id, iid, 'item_decided', 'reviewer', ({users})[COALESCE(rix, 1)], 'in_review',
         CASE outcome WHEN 'remove' THEN 'removed' ELSE 'rejected' END, jsonb_build_object('outcome', outcome), d_at
  FROM bench_d
  UNION ALL
  SELECT id, NULL, 'info_requested', 'reviewer', ({users})[COALESCE(rix, 1)], 'in_review', 'awaiting_submitter', '{{}}'::jsonb, info_at
  FROM bench_n WHERE has_info
  UNION ALL
  SELECT id, NULL, 'info_answered', 'submitter', NULL, 'awaiting_submitter', 'in_review', '{{}}'::jsonb, answered_at
  FROM bench_n WHERE answered_at IS NOT NULL
  UNION ALL
  SELECT id, NULL, 'escalated', 'reviewer', ({users})[COALESCE(rix, 1)], '', '', '{{"note": "Needs a lead."}}'::jsonb, escalated_at
  FROM bench_n WHERE escalated_at IS NOT NULL
  UNION ALL
  SELECT id, NULL, CASE status WHEN 'closed' THEN 'closed' ELSE 'withdrawn' END,
         CASE status WHEN 'closed' THEN 'reviewer' ELSE 'submitter' END, NULL,
         CASE WHEN routed THEN 'in_review' ELSE 'confirmed' END, status, '{{}}'::jsonb, closed_at
  FROM bench_n WHERE status IN ('closed', 'withdrawn')
  UNION ALL
  SELECT notice_id, iid, 'counter_notice_filed', 'seller', NULL, '', '', jsonb_build_object('counter_notice', cid), filed_at
  FROM bench_cn
  UNION ALL
  SELECT notice_id, iid, 'appeal_filed', appellant, NULL, '', '', jsonb_build_object('appeal', aid), filed_at FROM bench_ap
  UNION ALL
  SELECT notice_id, iid, 'appeal_decided', 'reviewer', ({users})[dix], '', '', jsonb_build_object('appeal', aid, 'outcome', status),
         decide_at
  FROM bench_ap WHERE status <> 'filed'
  UNION ALL
  SELECT notice_id, iid, 'listing_restored', 'system', NULL, 'removed', 'restored', '{{}}'::jsonb, restored_at
  FROM bench_d WHERE restored_at IS NOT NULL
) e ORDER BY created_at"""),
        ("counters", f"""
UPDATE takedowns_reviewer AS r SET open_load = (SELECT count(*) FROM takedowns_notice n
  WHERE n.assigned_to_id = r.id AND n.status IN ('confirmed', 'in_review', 'awaiting_submitter'));
UPDATE takedowns_seller s SET strike_count = c.live FROM (
  SELECT seller_id, count(*) AS live FROM bench_s WHERE reversed_at IS NULL
    AND created_at > now() - interval '{expiry} days' GROUP BY 1) c WHERE c.seller_id = s.id"""),
    ]


def create_lead():
    """A lead: in the Lead group with an active Reviewer profile (what the dashboard requires)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from takedowns.enums import LEAD_GROUP
    from takedowns.models import Reviewer
    user = get_user_model().objects.create_user("lead01", "lead01@portal.example")
    user.groups.add(Group.objects.get_or_create(name=LEAD_GROUP)[0])
    Reviewer.objects.create(user=user, languages="en,de")
    return user


def load(n: int, db: str) -> dict:
    import psycopg
    from django.conf import settings

    from takedowns import penalties
    from takedowns.models import ReasonCode, SlaPolicy

    timings = {}
    t0 = time.perf_counter()
    reviewer_ids, user_ids = create_reviewers()
    create_lead()
    codes = list(ReasonCode.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
    policies = {key: SlaPolicy.objects.create(clock="takedown_decision", right_type=key[0], min_priority=key[1],
                                              target=timedelta(hours=hours), warn_ratio=WARN_RATIO).pk
                for key, hours in DECISION_TARGET_HOURS.items()}
    for kind in ("acknowledgement", "takedown_executed", "seller_penalty", "appeal_decision"):
        policies[kind] = SlaPolicy.objects.get(clock=kind, right_type="", reason="", min_priority=0).pk
    ladder = penalties.parse_ladder(settings.PENALTY_LADDER)
    timings["users_policies"] = time.perf_counter() - t0
    statements = load_statements(n, reviewer_ids, user_ids, codes, policies, ladder)

    with psycopg.connect(PG_BASE + db, autocommit=True) as conn, conn.cursor() as cur:
        # FK triggers off for this session only (the generator keeps references valid); a statement
        # timeout so that no statement outlives the bench.
        for setting in ("session_replication_role = replica", "maintenance_work_mem = '1GB'", "work_mem = '256MB'",
                        "synchronous_commit = off", "statement_timeout = '15min'",
                        "client_connection_check_interval = '2s'", "max_parallel_maintenance_workers = 2"):
            cur.execute("SET " + setting)
        cur.execute("SELECT setseed(0.42)")
        drops, creates = secondary_indexes(cur, BIG_TABLES)
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
        for table in COUNTED_TABLES:
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(max(id), 0) + 1 FROM {table}), false)")
        cur.execute("DROP TABLE bench_n, bench_i, bench_d, bench_s, bench_cn, bench_ap")
        t0 = time.perf_counter()
        cur.execute("SET session_replication_role = origin")
        cur.execute("VACUUM (ANALYZE)")
        cur.execute("CHECKPOINT")
        timings["vacuum_analyze_checkpoint"] = time.perf_counter() - t0
        log(f"  VACUUM (ANALYZE) + CHECKPOINT in {timings['vacuum_analyze_checkpoint']:.1f}s")
        return {"timings_s": {k: round(v, 2) for k, v in timings.items()}, **describe(cur)}


def describe(cur) -> dict:
    """What was loaded: rows, sizes, and the distributions the figures depend on."""
    def rows(sql: str, params=None) -> dict:
        cur.execute(sql, params)
        return {str(k): v for k, v in cur.fetchall()}
    counts = {}
    for table in COUNTED_TABLES:
        cur.execute(f"SELECT count(*) FROM {table}")
        counts[table.removeprefix("takedowns_")] = cur.fetchone()[0]
    sizes = rows("SELECT c.relname, pg_total_relation_size(c.oid) / 1048576 FROM pg_class c WHERE c.relname = ANY(%s)",
                 [BIG_TABLES])
    cur.execute("SELECT kind, count(*), count(*) FILTER (WHERE stopped_at IS NULL), count(*) FILTER (WHERE paused_at IS NOT NULL), "
                "count(*) FILTER (WHERE warned_at IS NOT NULL), count(*) FILTER (WHERE breached_at IS NOT NULL), "
                "count(*) FILTER (WHERE cancelled) FROM takedowns_slaclock GROUP BY 1")
    clocks = {kind: dict(zip(("rows", "running", "paused", "warned", "breached", "cancelled"), v)) for kind, *v in cur.fetchall()}
    cur.execute("SELECT pg_database_size(current_database()) / 1048576")
    return {
        "rows": counts, "table_mb_with_indexes": sizes, "database_mb": cur.fetchone()[0],
        "statuses": rows("SELECT status, count(*) FROM takedowns_notice GROUP BY 1 ORDER BY 2 DESC"),
        "trust": rows("SELECT trust, count(*) FROM takedowns_notice GROUP BY 1 ORDER BY 2 DESC"),
        "events_by_kind": rows("SELECT kind, count(*) FROM takedowns_event GROUP BY 1 ORDER BY 2 DESC"),
        "clocks": clocks,
        "decisions": rows("SELECT outcome || CASE WHEN reversed_at IS NOT NULL THEN ' reversed' WHEN listing_restored_at "
                          "IS NOT NULL THEN ' restored' ELSE '' END, count(*) FROM takedowns_decision GROUP BY 1"),
        "penalties_by_level": rows("SELECT level, count(*) FROM takedowns_penalty GROUP BY 1"),
        "counter_notices": rows("SELECT status, count(*) FROM takedowns_counternotice GROUP BY 1"),
        "appeals": rows("SELECT appellant || ' ' || status, count(*) FROM takedowns_appeal GROUP BY 1"),
    }


# =====================================================================================
# Measurement (child process).
# =====================================================================================

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
        "durations_csv_30d": {"url": "/review/dashboard/durations.csv", "lead": True, "expect": "clock_id", "stream": True},
        "report_month": {"url": f"/transparency/{month}/", "expect": "Notices received", "period": month},
        "report_half": {"url": f"/transparency/{half}/", "expect": "Notices received", "period": half},
        "report_half_json": {"url": f"/transparency/{half}.json", "expect": '"received"', "period": half},
        "report_month_json": {"url": f"/transparency/{month}.json", "expect": '"received"', "period": month, "extra": True},
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
    samples = {name: [] for name in names}
    cpu = {name: [] for name in names}
    first_byte = {name: [] for name in names}
    for r in range(rounds):
        if time.perf_counter() > deadline:
            log(f"  deadline reached after {r} rounds")
            break
        for name in names[r % len(names):] + names[:r % len(names)]:
            if len(samples[name]) >= 10 and sum(samples[name]) > 1000 * page_cap_s:
                continue
            c0, t0 = time.process_time(), time.perf_counter()
            first_byte[name].append(fetch(clients, pages[name])[0])
            samples[name].append(1000 * (time.perf_counter() - t0))
            cpu[name].append(1000 * (time.process_time() - c0))
    return {name: {"n": len(s), "p50_ms": round(percentile(s, 50), 1), "p95_ms": round(percentile(s, 95), 1),
                   "min_ms": round(min(s), 1), "max_ms": round(max(s), 1), "mean_ms": round(statistics.mean(s), 1),
                   "cpu_p50_ms": round(percentile(cpu[name], 50), 1),
                   "first_byte_p50_ms": round(percentile(first_byte[name], 50), 1),
                   "first_byte_p95_ms": round(percentile(first_byte[name], 95), 1)}
            for name, s in samples.items() if s}


def capture_pages(clients: dict, pages: dict) -> dict:
    """The SQL of one (unmeasured) request per page, each statement timed around the driver call. The
    streamed export reads a server-side cursor: only its first fetch is inside the timed execute."""
    out = {}
    for name, page in pages.items():
        queries, (_, body) = capture_sql(lambda: fetch(clients, page))
        out[name] = {"queries": len(queries), "sql_ms": round(sum(q["ms"] for q in queries), 1),
                     "bytes": len(body), "sql": queries}
    return out


def explain(sql: str) -> dict:
    from django.db import connection
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        plan = "\n".join(row[0] for row in cur.fetchall())
    return {"sql": sql, "execution_ms": float(plan.rsplit("Execution Time: ", 1)[1].split(" ms")[0]), "plan": plan}


def explain_slowest(captured: dict, per_page: int = 3, min_ms: float = 5.0) -> dict:
    """EXPLAIN (ANALYZE, BUFFERS) of each page's slowest app SELECTs (the streamed export: its query)."""
    out = {}
    for name, c in captured.items():
        selects = [q for q in c["sql"] if q["sql"].lstrip().upper().startswith("SELECT") and "takedowns_" in q["sql"]]
        export = [q for q in selects if '"elapsed", (' in q["sql"] or 'ORDER BY "takedowns_slaclock"."stopped_at"' in q["sql"]]
        slowest = [q for q in sorted(selects, key=lambda q: -q["ms"])[:per_page] if q["ms"] >= min_ms]
        out[name] = [{**explain(q["sql"]), "captured_ms": q["ms"]} for q in slowest + [q for q in export if q not in slowest]]
    return out


def clear_rollups() -> None:
    """Empty the maintained roll-ups (a reused database may hold them from an earlier run)."""
    from takedowns.models import ClockBreachesDay, ClockDurationsDay, ClockRollupMark, ReportSnapshot
    for model in (ClockDurationsDay, ClockBreachesDay, ReportSnapshot):
        model.objects.all().delete()
    ClockRollupMark.objects.update(through=None)


def refresh_rollups() -> dict:
    """What the beat tasks do in production, timed: the clock roll-up's first run (the backfill of
    the whole year), its next run (today from its start again, as every 5 minutes), and the report
    snapshots of the current and previous month and half-year."""
    from django.db import connection
    from django.utils import timezone

    from takedowns.reports import clock_rollup
    from takedowns.reports import transparency as figures
    out: dict = {}
    for name, work in (("rollup_backfill", lambda: clock_rollup.refresh(timezone.now())),
                       ("rollup_next_run", lambda: clock_rollup.refresh(timezone.now())),
                       ("report_snapshots", lambda: figures.refresh_current_reports(timezone.now()))):
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


def check_percentiles(period, shown: dict) -> dict:
    """Per clock kind over the period: counts as shown against exact SQL counts; median and p90 as
    shown (seconds) within PERCENTILE_TOLERANCE (+1 s of rounding) of percentile_cont over the clocks."""
    from django.db import connection
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
    from django.db import connection
    from django.utils import timezone

    from takedowns.reports import dashboard, measures, transparency
    from takedowns.reports.periods import Period
    checks: dict = {}
    with connection.cursor() as cur:
        # Report: notices confirmed in the month by right type and by source; decisions by outcome;
        # penalties by level; counter-notices filed. Periods in the current time zone, half-open.
        for key in ("report_month_json", "report_half_json"):
            period = transparency.report_period(pages[key]["period"], timezone.now())
            shown = json.loads(fetch(clients, pages[key])[1])
            bounds = [period.start, period.end]
            cur.execute("SELECT right_type, count(*) FROM takedowns_notice WHERE confirmed_at >= %s AND confirmed_at < %s "
                        "GROUP BY 1", bounds)
            by_type = dict(cur.fetchall())
            cur.execute("SELECT count(*) FROM takedowns_notice WHERE confirmed_at >= %s AND confirmed_at < %s "
                        "AND trust = 'trusted_flagger'", bounds)
            trusted = cur.fetchone()[0]
            cur.execute("SELECT outcome, count(*) FROM takedowns_decision WHERE decided_at >= %s AND decided_at < %s "
                        "GROUP BY 1", bounds)
            outcomes = dict(cur.fetchall())
            cur.execute("SELECT level, count(*) FROM takedowns_penalty WHERE decided_at >= %s AND decided_at < %s GROUP BY 1",
                        bounds)
            levels = dict(cur.fetchall())
            cur.execute("SELECT count(*) FROM takedowns_counternotice WHERE filed_at >= %s AND filed_at < %s", bounds)
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
            checks[key] = {"ok": on_page == counted, "counted": counted, "shown": on_page}
        # The report page shows the same number of notices received.
        html = fetch(clients, pages["report_month"])[1].decode()
        match = re.search(r'Notices received</th><td class="text-end">(\d+)<', html)
        received = sum(checks["report_month_json"]["counted"]["by_right_type"].values())
        checks["report_month_page_received"] = {"ok": bool(match) and int(match[1]) == received,
                                                "shown": match and int(match[1]), "counted": received}
        # Dashboard: running clocks by kind and state (figures.csv), the breach total of the default period
        # (the page), the clocks stopped in it (durations.csv has one line each).
        cur.execute("""SELECT kind, count(*) FILTER (WHERE breached_at IS NULL AND paused_at IS NULL AND warned_at IS NULL),
                              count(*) FILTER (WHERE breached_at IS NULL AND paused_at IS NULL AND warned_at IS NOT NULL),
                              count(*) FILTER (WHERE breached_at IS NOT NULL),
                              count(*) FILTER (WHERE breached_at IS NULL AND paused_at IS NOT NULL)
                       FROM takedowns_slaclock WHERE stopped_at IS NULL GROUP BY 1""")
        running = {kind: dict(zip(("on_time", "warning", "breached", "paused"), v)) for kind, *v in cur.fetchall()}
        csv_text = fetch(clients, pages["figures_csv"])[1].decode()
        shown_running: dict = {}
        for line in csv_text.splitlines():
            parts = line.split(",")
            if parts[0] == "running_clocks":
                shown_running.setdefault(parts[1], {})[parts[2]] = int(parts[3])
        counted_running = {kind: running.get(kind, {s: 0 for s in ("on_time", "warning", "breached", "paused")})
                           for kind in shown_running}
        checks["running_clocks_by_state"] = {"ok": shown_running == counted_running, "counted": counted_running,
                                             "shown": shown_running}
        period = Period(today - timedelta(days=29), today)
        # Every breach on its day (the clock_breached events), clocks cancelled later included.
        cur.execute("SELECT count(*) FROM takedowns_slaclock WHERE breached_at >= %s AND breached_at < %s",
                    [period.start, period.end])
        breaches = cur.fetchone()[0]
        match = re.search(r'<strong id="breach-total">(\d+)</strong>', fetch(clients, pages["dashboard_30d"])[1].decode())
        checks["dashboard_breach_total"] = {"ok": bool(match) and int(match[1]) == breaches,
                                            "shown": match and int(match[1]), "counted": breaches}
        cur.execute("SELECT count(*) FROM takedowns_slaclock WHERE stopped_at >= %s AND stopped_at < %s AND NOT cancelled",
                    [period.start, period.end])
        stopped = cur.fetchone()[0]
        lines = fetch(clients, pages["durations_csv_30d"])[1].count(b"\n") - 1
        checks["durations_csv_lines"] = {"ok": lines == stopped, "shown": lines, "counted": stopped}
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


def measure(clients: dict, pages: dict, args, deadline: float, n: int, tag: str, do_explain: bool,
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
        out["explain"] = explain_slowest(captured)
        log(f"N={label(n)} {tag}: EXPLAIN ANALYZE in {time.perf_counter() - t0:.0f}s")
    return out


def run_proposals(clients, pages, args, deadline, n, today, base: dict) -> dict:
    """PROPOSALS on this database: create, ANALYZE, check, measure, EXPLAIN, drop."""
    from django.db import connection
    out: dict = {"sql": PROPOSALS}
    t0 = time.perf_counter()
    try:
        with connection.cursor() as cur:
            for sql in PROPOSALS.values():
                cur.execute(sql)
            for table in ("takedowns_slaclock", "takedowns_notice", "takedowns_noticeitem", "takedowns_decision",
                          "takedowns_penalty"):
                cur.execute(f"ANALYZE {table}")
            cur.execute("SELECT c.relname, pg_relation_size(c.oid) / 1048576 FROM pg_class c WHERE relname LIKE 'bench_p_%'")
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


# =====================================================================================
# The child: one size.
# =====================================================================================

def child(args) -> int:
    n, db = args.n, args.db
    result: dict = {"n": n, "db": db}
    t_start = time.perf_counter()

    def on_term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_term)
    deadline = t_start + args.budget
    try:
        import django
        reuse = args.reuse and db_ready(db)
        if not reuse:
            admin_execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)', f'CREATE DATABASE "{db}"')
        django.setup()
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client
        from django.test.utils import override_settings
        from django.utils import timezone

        with override_settings(STATIC_ROOT=OUT / "staticfiles"):  # collectstatic must not write into the project
            if reuse:
                log(f"N={label(n)}: reusing the loaded database {db} (--reuse)")
                with connection.cursor() as cur:
                    result["load"] = describe(cur)
                result["reused"] = True
            else:
                t0 = time.perf_counter()
                call_command("migrate", verbosity=0, interactive=False)
                if not (OUT / "staticfiles" / "staticfiles.json").exists():
                    call_command("collectstatic", verbosity=0, interactive=False)
                result["migrate_s"] = round(time.perf_counter() - t0, 1)
                log(f"N={label(n)}: database {db} migrated; loading")
                t0 = time.perf_counter()
                result["load"] = load(n, db)
                result["load_s"] = round(time.perf_counter() - t0, 1)
                with connection.cursor() as cur:
                    cur.execute("CREATE TABLE bench_dash_loaded (n bigint, at timestamptz)")
                    cur.execute("INSERT INTO bench_dash_loaded VALUES (%s, now())", [n])
            log(f"N={label(n)}: loaded{' in ' + str(result.get('load_s')) + 's' if not reuse else ''}: "
                f"{result['load']['rows']}, {result['load']['database_mb']} MB")

            from django.contrib.auth import get_user_model
            lead_client, public_client = Client(), Client()
            lead_client.force_login(get_user_model().objects.get(username="lead01"))
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
            with connection.cursor() as cur:
                cur.execute("SELECT version(), current_setting('shared_buffers'), current_setting('work_mem'), "
                            "current_setting('max_parallel_workers_per_gather'), current_setting('jit')")
                version, shared_buffers, work_mem, parallel, jit = cur.fetchone()
            result["postgres"] = {"version": version.split(" on ")[0], "shared_buffers": shared_buffers,
                                  "work_mem": work_mem, "max_parallel_workers_per_gather": parallel, "jit": jit}
            if args.proposals and do_explain and PROPOSALS and deadline - time.perf_counter() < 300:
                log(f"N={label(n)}: proposals skipped: less than 5 minutes left before the deadline")
                result["proposals_skipped"] = "deadline"
            elif args.proposals and do_explain and PROPOSALS:
                result["proposals"] = run_proposals(clients, pages, args, deadline, n, today, result)
            failures = [k for k, v in result["checks"].items() if not v["ok"]]
            failures += [f"proposed: {k}" for k, v in (result.get("proposals") or {}).get("checks", {}).items() if not v["ok"]]
            result["check_failures"] = failures
        result["status"] = "ok"
    except BaseException as exc:
        result["status"] = f"failed: {exc!r}"
        log(f"N={label(n)}: FAILED: {exc!r}")
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


def db_ready(db: str) -> bool:
    import psycopg
    try:
        with psycopg.connect(PG_BASE + db, autocommit=True) as conn:
            return conn.execute("SELECT to_regclass('bench_dash_loaded') IS NOT NULL").fetchone()[0]
    except psycopg.OperationalError:
        return False


# =====================================================================================
# The parent: all sizes, one deadline, the report, cleanup.
# =====================================================================================

def parent(args) -> int:
    def child_argv(n: int, db: str, out: Path, remaining: float) -> list[str]:
        argv = [sys.executable, str(Path(__file__).resolve()), "--child", "--n", str(n), "--db", db,
                "--out", str(out), "--rounds", str(args.rounds), "--warmup", str(args.warmup),
                "--page-cap-s", str(args.page_cap_s), "--budget", str(int(remaining)),
                "--explain-sizes", ",".join(map(str, args.explain_sizes)),
                "--no-rollup-rounds", str(args.no_rollup_rounds)]
        return argv + ([] if args.proposals else ["--no-proposals"]) + (["--reuse"] if args.reuse else [])
    return run_sizes("dashboard", args, db_for=lambda n: f"{DB_PREFIX}_{label(n)}", child_argv=child_argv,
                     drop=drop_database, summarize=summarize, write_explain=write_explain, print_summary=print_summary,
                     min_seconds=60)


def summarize(report: dict) -> dict:
    summary: dict = {}
    for n, r in report["sizes"].items():
        if r.get("status") != "ok":
            continue
        for variant, m in (("no roll-up", r.get("no_rollup")), ("current", r), ("proposed", r.get("proposals"))):
            for page, t in ((m or {}).get("timing") or {}).items():
                summary.setdefault(variant, {}).setdefault(page, {})[n] = {
                    "p50_ms": t["p50_ms"], "p95_ms": t["p95_ms"], "n": t["n"], "queries": m["queries"][page],
                    "sql_ms": m["sql_ms"][page], "p95_under_300ms": t["p95_ms"] < TARGET_P95_MS}
    return summary


def print_summary(report: dict) -> None:
    print(f"\n==== Dashboard and transparency report bench (git {report['git_head']}, {report['seconds']}s, "
          f"status: {report['status']}) ====")
    print(f"uptime before: {report['uptime_before']}\nuptime after:  {report.get('uptime_after')}")
    for variant, table in report.get("summary", {}).items():
        sizes = sorted({int(n) for row in table.values() for n in row})
        print(f"\n-- {variant}: p50 / p95 ms (queries); target p95 < {TARGET_P95_MS:.0f} ms --")
        head = f"{'page':20s}" + "".join(f" | {label(n):>26s}" for n in sizes)
        print(head + "\n" + "-" * len(head))
        for page, row in table.items():
            cells = "".join(
                f" | {row[str(n)]['p50_ms']:8.1f} / {row[str(n)]['p95_ms']:8.1f} ({row[str(n)]['queries']:2d}q) "
                f"{'ok ' if row[str(n)]['p95_under_300ms'] else 'NO '}" if str(n) in row else " | " + " " * 26
                for n in sizes)
            print(f"{page:20s}{cells}")
    for n, r in report["sizes"].items():
        if r.get("status") == "ok":
            print(f"N={label(int(n))}: roll-ups: " + ", ".join(f"{k} {v['s']}s" for k, v in r["rollups"].items()
                                                              if isinstance(v, dict) and "s" in v))
            print(f"N={label(int(n))}: load {r.get('load_s', 'reused')}s, {r['load']['database_mb']} MB; checks: "
                  + ", ".join(f"{k} {'ok' if v['ok'] else 'FAILED'}" for k, v in r["checks"].items()))
        else:
            print(f"N={label(int(n))}: {r.get('status')}")


def write_explain(report: dict, path: Path) -> None:
    lines = []
    for n, r in report["sizes"].items():
        for tag, m in (("current", r), ("proposed", r.get("proposals") or {})):
            for page, plans in (m.get("explain") or {}).items():
                for p in plans:
                    lines += [f"==== N={n} {tag} {page}: execution {p['execution_ms']} ms (in the request: "
                              f"{p['captured_ms']} ms)", p["sql"], "", p["plan"], ""]
    path.write_text("\n".join(lines) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ints = lambda text: [int(x.replace("_", "")) for x in text.split(",") if x]
    parser.add_argument("--sizes", type=ints, default=SIZES, help="notices per database, e.g. 100000,1000000")
    parser.add_argument("--rounds", type=int, default=30, help="timed rounds (every page once per round)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed requests per page first")
    parser.add_argument("--page-cap-s", type=float, default=60.0,
                        help="a page stops being sampled when its requests add up to this (after 10 samples)")
    parser.add_argument("--explain-sizes", type=ints, default=None,
                        help="sizes at which to EXPLAIN ANALYZE the slowest queries and measure the proposals "
                             "(default: the largest)")
    parser.add_argument("--no-proposals", dest="proposals", action="store_false",
                        help="skip measuring the index proposals (PROPOSALS) at the largest size")
    parser.add_argument("--no-rollup-rounds", type=int, default=5,
                        help="rounds of the dashboard pages before the roll-up is built (0: skip)")
    parser.add_argument("--keep", action="store_true", help="keep the databases bench_dash_<N>")
    parser.add_argument("--reuse", action="store_true", help="measure a kept, loaded database instead of loading anew")
    parser.add_argument("--max-minutes", type=float, default=20.0, help="deadline of the whole run")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--budget", type=float, default=1200, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.explain_sizes is None:
        args.explain_sizes = [max(args.sizes)] if not args.child else []
    return child(args) if args.child else parent(args)


if __name__ == "__main__":
    sys.exit(main())
