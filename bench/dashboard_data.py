"""The dashboard bench's data set (bench/dashboard, in each size's child process, after django.setup()):
20 reviewers and a lead through the ORM, a year of history with server-side SQL (`load_statements`,
INSERT … SELECT generate_series, setseed(0.42)). The reviewers, the reference generator and the
decision targets are the review queue bench's (queue_data.py). Described in bench/README.md,
"Dashboard".
"""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pg
import psycopg
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from queue_data import (
    CATEGORIES,
    COUNTRIES,
    DECISION_TARGET_HOURS,
    DESCRIPTION,
    WARN_RATIO,
    _reference_sql,
    create_reviewers,
)

from takedowns import penalties, sla
from takedowns.enums import EEA_COUNTRIES, LEAD_GROUP, LEGAL_GROUNDS, REASON_BITS
from takedowns.models import ReasonCode, Reviewer, SlaPolicy

SUBMITTERS, LISTINGS_PER_SELLER = 2_000, 3
BIG_TABLES = ["takedowns_notice", "takedowns_noticeitem", "takedowns_event", "takedowns_decision",
              "takedowns_inforequest", "takedowns_slaclock", "takedowns_strike", "takedowns_penalty",
              "takedowns_counternotice", "takedowns_counternoticefiling", "takedowns_appeal"]
COUNTED_TABLES = ["takedowns_seller", "takedowns_listing", "takedowns_submitter", *BIG_TABLES]
SCRATCH_TABLES = ["bench_n", "bench_i", "bench_d", "bench_s", "bench_cn", "bench_ap"]


def _trusted_sql(sub: str) -> str:
    """Trusted flaggers: the third-biggest vendor and every 50th submitter from the 8th (~3 % of notices)."""
    return f"({sub} = 2 OR {sub} % 50 = 7)"


def _normal() -> str:
    """A standard normal draw (Box–Muller)."""
    return "(sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))"



@dataclass(frozen=True)
class Fragments:
    """SQL pieces the load statements share, made once from the rows created through the ORM."""

    n: int
    sellers: int  # max(5,000, N / 5), each with LISTINGS_PER_SELLER listings
    listings: int
    countries: str
    categories: str
    reviewers: str  # ARRAY[…] of the reviewers' ids, and of their users' ids
    users: str
    nusers: int
    decision_target: str  # CASE over right type and priority band: the policy's target, and the policy
    decision_policy: str
    policies: dict  # SlaPolicy ids by (right type, band) and by clock kind
    reason_bit: str  # CASE reason: its bit of Notice.reason_mask
    codes: list[int]  # the active rejection reason codes, and as an ARRAY[…]
    code_array: str
    grounds: str  # CASE right type: the legal ground of a removal
    eea: str
    expiry: int  # STRIKE_EXPIRY_DAYS
    level_sql: str  # the penalty ladder of the settings: the highest step the live strikes reach
    days_sql: str
    calendar: str
    lag: str  # the beat task marks warnings and breaches within ~15 s


def fragments(n: int, reviewer_ids: list[int], user_ids: list[int], codes: list[int], policies: dict,
              ladder: list[penalties.Step]) -> Fragments:
    def by_band(values: dict) -> str:
        return "CASE right_type " + " ".join(
            f"WHEN '{t}' THEN CASE WHEN prio >= 70 THEN {values[(t, 70)]} ELSE {values[(t, 0)]} END"
            for t in sorted({t for t, _ in values})) + " END"

    def by_ladder(value: Callable[[penalties.Step], object]) -> str:
        return "CASE " + " ".join(f"WHEN live >= {s.strikes} THEN {value(s)}" for s in reversed(ladder)) + " END"

    sellers = max(5_000, n // 5)
    return Fragments(
        n=n, sellers=sellers, listings=sellers * LISTINGS_PER_SELLER, countries=COUNTRIES, categories=CATEGORIES,
        reviewers="ARRAY[" + ",".join(map(str, reviewer_ids)) + "]::bigint[]",
        users="ARRAY[" + ",".join(map(str, user_ids)) + "]::int[]", nusers=len(user_ids),
        decision_target=by_band({k: f"interval '{h} hours'" for k, h in DECISION_TARGET_HOURS.items()}),
        decision_policy=by_band({k: policies[k] for k in DECISION_TARGET_HOURS}), policies=policies,
        reason_bit="CASE reason " + " ".join(f"WHEN '{r}' THEN {bit}" for r, bit in REASON_BITS.items()) + " END",
        codes=codes, code_array="ARRAY[" + ",".join(map(str, codes)) + "]::bigint[]",
        grounds="CASE b.right_type " + " ".join(
            f"WHEN '{t}' THEN '{g.replace(chr(39), chr(39) * 2)}'" for t, g in LEGAL_GROUNDS.items()) + " END",
        eea=json.dumps(list(EEA_COUNTRIES)), expiry=settings.STRIKE_EXPIRY_DAYS,
        level_sql=by_ladder(lambda s: f"'{s.level}'"), days_sql=by_ladder(lambda s: s.days or "NULL"),
        calendar=json.dumps(sla.ROUND_THE_CLOCK.terms()), lag="random() * interval '15 seconds'",
    )


def load_statements(n: int, reviewer_ids: list[int], user_ids: list[int], codes: list[int], policies: dict,
                    ladder: list[penalties.Step]) -> list[tuple[str, str]]:
    p = fragments(n, reviewer_ids, user_ids, codes, policies, ladder)
    return [
        ("sellers", _sellers(p)),
        ("listings", _listings(p)),
        ("plan: notices", _plan_notices(p)),
        ("plan: items", _plan_items(p)),
        ("plan: decisions", _plan_decisions(p)),
        ("plan: strikes", _plan_strikes(p)),
        ("plan: counter-notices", _plan_counter_notices(p)),
        ("plan: appeals", _plan_appeals(p)),
        ("plan: restores and reversals", _plan_restores_and_reversals(p)),
        ("submitters", _submitters(p)),
        ("notices", _notices(p)),
        ("info requests", _info_requests(p)),
        ("items", _items(p)),
        ("decisions", _decisions(p)),
        ("strikes", _strikes(p)),
        ("penalties", _penalties(p)),
        ("counter-notices", _counter_notices(p)),
        ("counter-notice filings", _counter_notice_filings()),
        ("appeals", _appeals(p)),
        ("clocks", _clocks(p)),
        ("events", _events(p)),
        ("counters", _counters(p)),
    ]


def _sellers(p: Fragments) -> str:
    return f"""
INSERT INTO takedowns_seller (id, external_id, name, email, country, strike_count, created_at, reported_items,
                              removed_items, account, account_until)
SELECT i, 'S-' || (3000 + i), 'Seller ' || i, 'seller' || i || '@shop.example', ({p.countries})[1 + i % 10], 0,
       now() - interval '3 years', 0, 0, 'active', NULL
FROM generate_series(1, {p.sellers}) i"""


# Seller s owns listings (s-1)*3+1 … s*3, so a listing's seller is (id-1)/3+1 without a join.
def _listings(p: Fragments) -> str:
    return f"""
INSERT INTO takedowns_listing (id, external_id, seller_id, title, description, category, price, currency,
                               status, created_at, removed_at)
SELECT i, 'L-' || (200000 + i), (i - 1) / {LISTINGS_PER_SELLER} + 1,
       'Bench listing ' || i || ' — branded goods, fast shipping', 'A listing of the bench catalogue.',
       ({p.categories})[1 + i % 12], round((5 + random() * 495)::numeric, 2), 'EUR', 'active',
       now() - interval '2 years', NULL
FROM generate_series(1, {p.listings}) i"""


# One row per notice with its draws. Created evenly over the last 365 days (id order). 4 % never
# confirm their address (unconfirmed if younger than 7 days, expired otherwise); 3 % are withdrawn
# (a fifth of them before routing); 1 % of routings are deferred by up to 4 h (acknowledgement
# breaches). The decision takes a log-normal working time (median 10 h, sigma 1.2; patents ×3,
# designs ×1.8, priority ≥ 70 ×0.5; 3 min – 60 days) plus, for 6 % of notices, a pause while the
# submitter answers a request for information (5 h – 7 days). A notice is closed once that is over,
# so the open notices are the recent ones.
def _plan_notices(p: Fragments) -> str:
    return f"""
CREATE UNLOGGED TABLE bench_n AS
WITH r AS (
  SELECT i::bigint AS id,
         now() - interval '365 days' + (i - 1) * (interval '365 days' / {p.n}) + random() * interval '10 minutes'
           AS created_at,
         random() AS uc, random() AS uc2, random() AS ut, random() AS usub, random() AS uw, random() AS uw2,
         random() AS ur, random() AS ur2, random() AS up, random() AS ui, random() AS ui2, random() AS ua,
         random() AS uun, random() AS ue, random() AS ul, random() AS uk, random() AS useller, {_normal()} AS z
  FROM generate_series(1, {p.n}) i
), a AS (
  SELECT r.*,
    CASE WHEN ut < 0.57 THEN 'trademark' WHEN ut < 0.86 THEN 'copyright' WHEN ut < 0.955 THEN 'design'
         ELSE 'patent' END AS right_type,
    floor({SUBMITTERS} * usub ^ 3)::int AS sub, floor(up * 101)::int AS prio,
    CASE WHEN uc >= 0.04 THEN created_at + interval '1 minute' + uc2 * uc2 * interval '6 hours' END AS c_at,
    1 + floor({p.sellers} * useller ^ 1.5)::int AS seller
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
    CASE WHEN confirmed_at IS NULL THEN
           CASE WHEN created_at > now() - interval '7 days' THEN 'unconfirmed' ELSE 'expired' END
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
       THEN 1 + floor(ua * {p.nusers})::int END AS rix,
  CASE WHEN routed AND ue < 0.01 AND r_at + dur * 0.5 <= LEAST(now(), closed_at) THEN r_at + dur * 0.5 END
    AS escalated_at,
  1 + floor(uk * 5)::int AS n_items,
  {p.decision_target} AS d_target, {p.decision_policy} AS d_policy
FROM e"""


# Items: position 1 of a routed notice is always decided last (when the notice closes); the others
# are resolved at routing (not found 8 %, already removed 3 %, duplicate 4 %) or decided earlier
# (f of the decision time). 85 % of a notice's listings are of its main seller. Removal 75 % (90 %
# for trusted flaggers). The listing goes down a log-normal delay after a removal (median 90 s).
def _plan_items(p: Fragments) -> str:
    return f"""
CREATE UNLOGGED TABLE bench_i AS
WITH x AS (
  SELECT n.id AS notice_id, p AS position, n.status, n.right_type, n.routed, n.trust, n.routed_at, n.dur, n.pause,
         n.has_info, n.seller, n.rix, random() AS us, random() AS uo, random() AS ur, random() AS uf, random() AS ul,
         random() AS ul2, random() AS ucn, random() AS uap, random() AS uu, {_normal()} AS z
  FROM bench_n n CROSS JOIN LATERAL generate_series(1, n.n_items) p
), y AS (
  SELECT x.*, CASE WHEN position = 1 THEN 1.0 ELSE 0.2 + 0.8 * uf END AS f,
    CASE WHEN ul < 0.85 THEN (seller - 1) * {LISTINGS_PER_SELLER} + 1 + floor(ul2 * {LISTINGS_PER_SELLER})::bigint
         ELSE 1 + floor(ul2 * {p.listings})::bigint END AS lid,
    CASE WHEN position > 1 AND us < 0.08 THEN 'not_found' WHEN position > 1 AND us < 0.11 THEN 'already_removed'
         WHEN position > 1 AND us < 0.15 THEN 'duplicate' END AS resolved,
    CASE WHEN uo < CASE WHEN trust = 'trusted_flagger' THEN 0.9 ELSE 0.75 END THEN 'remove' ELSE 'reject' END
      AS outcome,
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
FROM w"""


# Decisions in time order (ids by decided_at, as the app appends them).
def _plan_decisions(p: Fragments) -> str:
    return f"""
CREATE UNLOGGED TABLE bench_d AS
SELECT row_number() OVER (ORDER BY d_at, iid) AS did, iid, notice_id, lid,
  (lid - 1) / {LISTINGS_PER_SELLER} + 1 AS seller_id,
  outcome, d_at, rix, ucn, uap, uu,
  CASE WHEN outcome = 'remove' AND d_at + exec_delay <= now() THEN d_at + exec_delay END AS removed_at,
  exec_delay, NULL::timestamptz AS restored_at, NULL::timestamptz AS reversed_at
FROM bench_i WHERE state IN ('removed', 'rejected')"""


# One strike per seller and notice with a removal (at the first removal), live strikes over the
# expiry window, the ladder step they reach; the penalty task applies it seconds later (0.3 %
# wait for the marketplace for up to 5 days).
def _plan_strikes(p: Fragments) -> str:
    return f"""
CREATE UNLOGGED TABLE bench_s AS
WITH s AS (SELECT notice_id, seller_id, min(d_at) AS created_at FROM bench_d WHERE outcome = 'remove' GROUP BY 1, 2),
w AS (SELECT s.*, count(*) OVER (PARTITION BY seller_id ORDER BY created_at
                                 RANGE BETWEEN interval '{p.expiry} days' PRECEDING AND CURRENT ROW) AS live FROM s)
SELECT row_number() OVER (ORDER BY created_at, notice_id, seller_id) AS sid, w.*,
  {p.level_sql} AS level, {p.days_sql} AS days,
  CASE WHEN random() < 0.003 THEN random() * interval '5 days'
       ELSE interval '5 seconds' + LEAST(interval '1 hour', interval '20 seconds' * exp(2 * {_normal()})) END
    AS apply_delay,
  random() AS uap, NULL::timestamptz AS reversed_at
FROM w"""


# Counter-notices against 0.25 % of removals, filed within 10 days of the take-down: checked in a
# day (10 % incomplete); complete ones restore 14 days later unless a lawsuit is reported (8 %).
def _plan_counter_notices(p: Fragments) -> str:
    return """
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
FROM h"""


# Appeals: sellers against 0.2 % of removals, submitters against 0.6 % of rejections, sellers against
# 0.3 % of penalties; filed within 30 days, decided in ~2 days (log-normal) by another reviewer,
# a quarter reversed.
def _plan_appeals(p: Fragments) -> str:
    return f"""
CREATE UNLOGGED TABLE bench_ap AS
WITH f AS (
  SELECT did, NULL::bigint AS sid, notice_id, seller_id, iid,
         CASE outcome WHEN 'remove' THEN 'seller' ELSE 'submitter' END AS appellant,
         d_at + random() * interval '30 days' AS filed_at, rix, outcome
  FROM bench_d WHERE (outcome = 'remove' AND uap < 0.002) OR (outcome = 'reject' AND uap < 0.006)
  UNION ALL
  SELECT NULL, sid, notice_id, seller_id, NULL, 'seller', created_at + random() * interval '20 days', NULL, NULL
  FROM bench_s WHERE uap < 0.003
), g AS (
  SELECT f.*, filed_at + LEAST(interval '30 days', interval '2 days' * exp(0.8 * {_normal()})) AS decide_at,
    random() AS us,
         random() AS uw
  FROM f WHERE filed_at <= now()
)
SELECT row_number() OVER (ORDER BY filed_at) AS aid, g.*,
  CASE WHEN decide_at + interval '2 hours' > now() THEN 'filed' WHEN us < 0.25 THEN 'reversed' ELSE 'upheld' END
    AS status,
  1 + (COALESCE(rix, 1) + floor(uw * {p.nusers - 1})::int) % {p.nusers} AS dix
FROM g"""


# What restores and reversals do (workflow/counter_notices.py, appeals.py, enforcement.py).
def _plan_restores_and_reversals(p: Fragments) -> str:
    return """
UPDATE bench_d d SET restored_at = c.restore_due + interval '15 minutes' FROM bench_cn c
WHERE c.did = d.did AND c.status = 'restored';
UPDATE bench_d d SET reversed_at = a.decide_at,
  restored_at = CASE WHEN d.outcome = 'remove' THEN LEAST(COALESCE(d.restored_at, a.decide_at), a.decide_at) END
FROM bench_ap a WHERE a.did = d.did AND a.status = 'reversed';
UPDATE bench_s s SET reversed_at = x.at FROM (
  SELECT notice_id, seller_id, min(restored_at) AS at FROM bench_d WHERE restored_at IS NOT NULL GROUP BY 1, 2
  UNION ALL SELECT notice_id, seller_id, decide_at FROM bench_ap WHERE sid IS NOT NULL AND status = 'reversed') x
WHERE x.notice_id = s.notice_id AND x.seller_id = s.seller_id"""


def _submitters(p: Fragments) -> str:
    return f"""
INSERT INTO takedowns_submitter (id, email, trusted_flagger, notices, removed_items, rejected_items, created_at)
SELECT sub + 1, 'rights.agent' || sub || '@brand' || (sub % 400) || '.example', {_trusted_sql('sub')}, count(*), 0, 0,
       min(confirmed_at)
FROM bench_n WHERE confirmed_at IS NOT NULL GROUP BY sub ORDER BY sub"""


def _notices(p: Fragments) -> str:
    return f"""
INSERT INTO takedowns_notice (id, reference, status, submission_key, tracking_token, confirmation_token,
  submitter_name, submitter_organisation, submitter_email, submitter_country, submitter_role, language,
  submitter_id, trust, right_type, right_registration_number, right_office, right_owner, verified_right_id, description,
  good_faith_statement, accuracy_statement, signature, priority, assigned_to_id,
  created_at, expires_at, confirmed_at, routed_at, closed_at, escalated_at, due_at, reason_mask)
SELECT id, {_reference_sql('id')}, status, gen_random_uuid(),
  md5(random()::text) || left(md5(random()::text), 11), md5(random()::text) || left(md5(random()::text), 11),
  'Agent ' || sub, 'Brand Protection ' || (sub % 400), 'rights.agent' || sub || '@brand' || (sub % 400) || '.example',
  ({p.countries})[1 + sub % 10], CASE WHEN sub % 3 = 0 THEN 'owner' ELSE 'agent' END,
  (ARRAY['en','en','en','de','de','fr','es','it'])[1 + floor(ul * 8)::int],
  submitter_id, trust, right_type, lpad((id * 7919 % 1000000000)::text, 9, '0'),
    (ARRAY['EUIPO','USPTO','DPMA','WIPO'])[1 + sub % 4],
  'Brand Owner ' || (sub % 400), NULL, '{DESCRIPTION} Notice ' || id || '.', true, true, 'Agent ' || sub,
  CASE WHEN routed THEN prio ELSE 0 END, ({p.reviewers})[rix],
  created_at, created_at + interval '7 days', confirmed_at, routed_at, closed_at, escalated_at,
  CASE WHEN routed THEN confirmed_at + d_target + CASE WHEN answered_at IS NOT NULL THEN pause ELSE interval '0' END
       WHEN confirmed_at IS NOT NULL THEN confirmed_at + interval '15 minutes' END,
  CASE WHEN confirmed_at IS NOT NULL THEN m.mask ELSE 0 END
FROM bench_n n JOIN (SELECT notice_id, bit_or({p.reason_bit}) AS mask FROM bench_i GROUP BY 1) m ON m.notice_id = n.id
ORDER BY id"""


def _info_requests(p: Fragments) -> str:
    return f"""
INSERT INTO takedowns_inforequest (id, notice_id, message, requested_by_id, requested_at, due_at, answer, answered_at,
  expired_at)
SELECT id, id, 'Please send the registration certificate that covers these listings.', ({p.users})[COALESCE(rix, 1)],
       info_at, info_at + interval '7 days', CASE WHEN answered_at IS NOT NULL THEN 'Certificate attached.' ELSE '' END,
       answered_at, NULL
FROM bench_n WHERE has_info ORDER BY id"""


def _items(p: Fragments) -> str:
    return """
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
ORDER BY y.iid"""


def _decisions(p: Fragments) -> str:
    return f"""
INSERT INTO takedowns_decision (id, item_id, outcome, reason_code_id, note, decided_by_id, decided_at, legal_ground,
  explanation, territorial_scope, automated_detection, automated_decision, seller_token, listing_removed_at,
  listing_restored_at, reversed_at)
SELECT d.did, d.iid, d.outcome,
  CASE WHEN d.outcome = 'reject' THEN ({p.code_array})[1 + floor(d.uu * {len(p.codes)})::int] END,
  CASE WHEN d.ucn > 0.8 THEN 'Checked against the registration and the test-buy report.' ELSE '' END,
  ({p.users})[COALESCE(d.rix, 1)], d.d_at,
  CASE WHEN d.outcome = 'remove' THEN {p.grounds} ELSE '' END,
  CASE WHEN d.outcome = 'remove' THEN '{DESCRIPTION}' ELSE '' END,
  '{p.eea}'::jsonb, false, false,
  CASE WHEN d.outcome = 'remove' THEN md5(random()::text) || left(md5(random()::text), 11) ELSE '' END,
  d.removed_at, d.restored_at, d.reversed_at
FROM bench_d d JOIN bench_n b ON b.id = d.notice_id ORDER BY d.did"""


def _strikes(p: Fragments) -> str:
    return f"""
INSERT INTO takedowns_strike (id, seller_id, notice_id, created_at, expires_at, expired_at, reversed_at)
SELECT sid, seller_id, notice_id, created_at, created_at + interval '{p.expiry} days',
  CASE WHEN created_at + interval '{p.expiry} days' <= LEAST(now(), reversed_at)
       THEN created_at + interval '{p.expiry} days' END,
  reversed_at
FROM bench_s ORDER BY sid"""


def _penalties(p: Fragments) -> str:
    return """
INSERT INTO takedowns_penalty (id, seller_id, strike_id, level, live_strikes, decided_at, applied_at, ends_at,
  lifted_at,
                               lift_reason, seller_token)
SELECT sid, seller_id, sid, level, live, created_at,
  CASE WHEN created_at + apply_delay <= now() THEN created_at + apply_delay END,
  created_at + days * interval '1 day', reversed_at,
  CASE WHEN reversed_at IS NOT NULL THEN 'the listing was restored' ELSE '' END,
  md5(random()::text) || left(md5(random()::text), 11)
FROM bench_s ORDER BY sid"""


def _counter_notices(p: Fragments) -> str:
    return """
INSERT INTO takedowns_counternotice (id, decision_id, full_name, address, phone, email, material, explanation,
  statement_mistake, consent_jurisdiction, signature, filed_at, status, checked_by_id, checked_at, incomplete_reason,
  restore_due_at, restored_at, lawsuit_reported_at, lawsuit_details)
SELECT c.cid, c.did, 'Seller ' || c.seller_id, 'Market Street ' || c.seller_id || ', 10115 Berlin',
  '+49 30 ' || (1000000 + c.cid),
  'seller' || c.seller_id || '@shop.example', 'Listing removed after notice ' || c.notice_id || '.',
  'The goods are genuine: bought from the brand''s authorised distributor (invoice attached).', true, true,
  'Seller ' || c.seller_id, c.filed_at, c.status, CASE WHEN c.checked_at IS NOT NULL THEN d.decided_by_id END,
    c.checked_at,
  CASE WHEN c.status = 'incomplete' THEN 'The consent to jurisdiction is missing.' ELSE '' END,
  CASE WHEN c.status IN ('waiting', 'restored', 'lawsuit') THEN c.restore_due END,
  CASE WHEN c.status = 'restored' THEN c.restore_due + interval '15 minutes' END,
  CASE WHEN c.status = 'lawsuit' THEN c.lawsuit_at END,
  CASE WHEN c.status = 'lawsuit' THEN 'Case filed at the Regional Court.' ELSE '' END
FROM bench_cn c JOIN takedowns_decision d ON d.id = c.did ORDER BY c.cid"""


def _counter_notice_filings() -> str:
    """One filing per counter-notice, at its filed_at (the bench plans no refilings)."""
    return """
INSERT INTO takedowns_counternoticefiling (counter_notice_id, filed_at, refiling)
SELECT c.cid, c.filed_at, false FROM bench_cn c ORDER BY c.cid"""


def _appeals(p: Fragments) -> str:
    return f"""
INSERT INTO takedowns_appeal (id, decision_id, penalty_id, appellant, text, filed_at, status, decided_by_id,
  decided_at, reasons)
SELECT aid, did, sid, appellant, 'The decision is wrong: please look again at the evidence I sent.', filed_at, status,
  CASE WHEN status <> 'filed' THEN ({p.users})[dix] END, CASE WHEN status <> 'filed' THEN decide_at END,
  CASE WHEN status = 'reversed' THEN 'On a second look the evidence does not support the original decision.'
       WHEN status = 'upheld' THEN 'The evidence supports the original decision.' ELSE '' END
FROM bench_ap ORDER BY aid"""


# Every clock kind, in the order the app starts them. warned_at / breached_at within 15 s of
# warn_at / due_at if that passed before now, the stop or the pause; cancelled ones (withdrawn
# notices) have an elapsed time but stay out of the figures.
def _clocks(p: Fragments) -> str:
    return f"""
INSERT INTO takedowns_slaclock (kind, notice_id, item_id, strike_id, counter_notice_id, appeal_id, policy_id, target,
  calendar, started_at, due_at, warn_at, paused_at, paused_for, warned_at, breached_at, stopped_at, cancelled, elapsed)
SELECT kind, notice_id, item_id, strike_id, counter_notice_id, appeal_id, policy_id, target, '{p.calendar}'::jsonb,
  started_at, due_at, warn_at, paused_at, paused_for,
  CASE WHEN warn_at + lag < LEAST(now(), stopped_at, paused_at) THEN warn_at + lag END,
  CASE WHEN due_at + lag < LEAST(now(), stopped_at, paused_at) THEN due_at + lag END,
  stopped_at, cancelled,
  CASE WHEN stopped_at IS NOT NULL THEN GREATEST(stopped_at - started_at - paused_for, interval '0') END
FROM (
  SELECT 'acknowledgement' AS kind, id AS notice_id, NULL::bigint AS item_id, NULL::bigint AS strike_id,
    NULL::bigint AS counter_notice_id, NULL::bigint AS appeal_id, {p.policies['acknowledgement']} AS policy_id,
    interval '15 minutes' AS target, confirmed_at AS started_at, confirmed_at + interval '15 minutes' AS due_at,
    confirmed_at + interval '12 minutes' AS warn_at, NULL::timestamptz AS paused_at, interval '0' AS paused_for,
    CASE WHEN routed THEN routed_at WHEN status = 'withdrawn' THEN closed_at END AS stopped_at,
    status = 'withdrawn' AND NOT routed AS cancelled, {p.lag} AS lag
  FROM bench_n WHERE confirmed_at IS NOT NULL
  UNION ALL
  SELECT 'takedown_decision', id, NULL, NULL, NULL, NULL, d_policy, d_target, confirmed_at,
    confirmed_at + d_target + CASE WHEN answered_at IS NOT NULL THEN pause ELSE interval '0' END,
    confirmed_at + d_target * {WARN_RATIO} + CASE WHEN answered_at IS NOT NULL THEN pause ELSE interval '0' END,
    CASE WHEN status = 'awaiting_submitter' THEN info_at END,
    CASE WHEN answered_at IS NOT NULL THEN pause ELSE interval '0' END,
    closed_at, status = 'withdrawn', {p.lag}
  FROM bench_n WHERE routed
  UNION ALL
  SELECT 'takedown_executed', notice_id, iid, NULL, NULL, NULL, {p.policies['takedown_executed']},
    interval '15 minutes', d_at, d_at + interval '15 minutes', d_at + interval '12 minutes', NULL, interval '0',
    removed_at, false, {p.lag}
  FROM bench_d WHERE outcome = 'remove'
  UNION ALL
  SELECT 'seller_penalty', notice_id, NULL, sid, NULL, NULL, {p.policies['seller_penalty']}, interval '72 hours',
    created_at, created_at + interval '72 hours', created_at + interval '72 hours' * {WARN_RATIO}, NULL, interval '0',
    CASE WHEN created_at + apply_delay <= now() THEN created_at + apply_delay
         WHEN reversed_at IS NOT NULL THEN reversed_at END,
    created_at + apply_delay > now() AND reversed_at IS NOT NULL, {p.lag}
  FROM bench_s
  UNION ALL
  SELECT 'counter_notice_restore', notice_id, iid, NULL, cid, NULL, NULL, restore_due - checked_at, checked_at,
    restore_due, checked_at + (restore_due - checked_at) * {WARN_RATIO}, NULL, interval '0',
    CASE status WHEN 'restored' THEN restore_due + interval '15 minutes' WHEN 'lawsuit' THEN lawsuit_at END, false,
      {p.lag}
  FROM bench_cn WHERE status IN ('waiting', 'restored', 'lawsuit')
  UNION ALL
  SELECT 'appeal_decision', notice_id, iid, NULL, NULL, aid, {p.policies['appeal_decision']}, interval '7 days',
    filed_at,
    filed_at + interval '7 days', filed_at + interval '7 days' * {WARN_RATIO}, NULL, interval '0',
    CASE WHEN status <> 'filed' THEN decide_at END, false, {p.lag}
  FROM bench_ap
) c ORDER BY started_at, kind"""


# The timeline as the app writes it, in time order: filed, confirmed, expired, routed, item_decided,
# info requested/answered, escalated, closed, withdrawn, counter-notices, appeals, restores. Left
# out (they would triple the table): item_resolved, listing_removed, clock_*, strike_*, penalty_*.
def _events(p: Fragments) -> str:
    return f"""
INSERT INTO takedowns_event (notice_id, item_id, kind, actor_kind, actor_user_id, from_status, to_status, details,
  created_at)
SELECT notice_id, item_id, kind, actor_kind, actor_user_id, from_status, to_status, details, created_at FROM (
  SELECT id AS notice_id, NULL::bigint AS item_id, 'filed' AS kind, 'submitter' AS actor_kind,
         NULL::int AS actor_user_id, '' AS from_status, 'unconfirmed' AS to_status,
         jsonb_build_object('items', n_items, 'evidence_files', 0) AS details,
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
  SELECT notice_id, iid, 'item_decided', 'reviewer', ({p.users})[COALESCE(rix, 1)], 'in_review',
         CASE outcome WHEN 'remove' THEN 'removed' ELSE 'rejected' END, jsonb_build_object('outcome', outcome), d_at
  FROM bench_d
  UNION ALL
  SELECT id, NULL, 'info_requested', 'reviewer', ({p.users})[COALESCE(rix, 1)], 'in_review', 'awaiting_submitter',
    '{{}}'::jsonb, info_at
  FROM bench_n WHERE has_info
  UNION ALL
  SELECT id, NULL, 'info_answered', 'submitter', NULL, 'awaiting_submitter', 'in_review', '{{}}'::jsonb, answered_at
  FROM bench_n WHERE answered_at IS NOT NULL
  UNION ALL
  SELECT id, NULL, 'escalated', 'reviewer', ({p.users})[COALESCE(rix, 1)], '', '', '{{"note": "Needs a lead."}}'::jsonb,
    escalated_at
  FROM bench_n WHERE escalated_at IS NOT NULL
  UNION ALL
  SELECT id, NULL, CASE status WHEN 'closed' THEN 'closed' ELSE 'withdrawn' END,
         CASE status WHEN 'closed' THEN 'reviewer' ELSE 'submitter' END, NULL,
         CASE WHEN routed THEN 'in_review' ELSE 'confirmed' END, status, '{{}}'::jsonb, closed_at
  FROM bench_n WHERE status IN ('closed', 'withdrawn')
  UNION ALL
  SELECT notice_id, iid, 'counter_notice_filed', 'seller', NULL, '', '', jsonb_build_object('counter_notice', cid),
    filed_at
  FROM bench_cn
  UNION ALL
  SELECT notice_id, iid, 'appeal_filed', appellant, NULL, '', '', jsonb_build_object('appeal', aid), filed_at
  FROM bench_ap
  UNION ALL
  SELECT notice_id, iid, 'appeal_decided', 'reviewer', ({p.users})[dix], '', '',
         jsonb_build_object('appeal', aid, 'outcome', status),
         decide_at
  FROM bench_ap WHERE status <> 'filed'
  UNION ALL
  SELECT notice_id, iid, 'listing_restored', 'system', NULL, 'removed', 'restored', '{{}}'::jsonb, restored_at
  FROM bench_d WHERE restored_at IS NOT NULL
) e ORDER BY created_at"""


def _counters(p: Fragments) -> str:
    return f"""
UPDATE takedowns_reviewer AS r SET open_load = (SELECT count(*) FROM takedowns_notice n
  WHERE n.assigned_to_id = r.id AND n.status IN ('confirmed', 'in_review', 'awaiting_submitter'));
UPDATE takedowns_seller s SET strike_count = c.live FROM (
  SELECT seller_id, count(*) AS live FROM bench_s WHERE reversed_at IS NULL
    AND created_at > now() - interval '{p.expiry} days' GROUP BY 1) c WHERE c.seller_id = s.id"""



def create_lead() -> None:
    """A lead: in the Lead group with an active Reviewer profile (what the dashboard requires)."""
    user = get_user_model().objects.create_user("lead01", "lead01@portal.example")
    user.groups.add(Group.objects.get_or_create(name=LEAD_GROUP)[0])
    Reviewer.objects.create(user=user, languages="en,de")

def load(n: int, db: str) -> dict:
    """Reviewers and the lead through the ORM, everything else with server-side SQL; timings and what
    was loaded."""
    timings = {}
    t0 = time.perf_counter()
    reviewer_ids, user_ids = create_reviewers()
    create_lead()
    codes = list(ReasonCode.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
    policies = {key: SlaPolicy.objects.create(clock="takedown_decision", right_type=key[0], min_priority=key[1],
                                              target=timedelta(hours=hours), warn_ratio=WARN_RATIO).pk
                for key, hours in DECISION_TARGET_HOURS.items()}
    for kind in ("acknowledgement", "takedown_executed", "seller_penalty", "appeal_decision"):
        policies[kind] = SlaPolicy.objects.get(clock=kind, right_type="", reason="", min_priority=0,
                                               trusted_flagger_only=False).pk
    ladder = penalties.parse_ladder(settings.PENALTY_LADDER)
    timings["users_policies"] = time.perf_counter() - t0
    statements = load_statements(n, reviewer_ids, user_ids, codes, policies, ladder)
    with pg.load_session(db, statement_timeout="15min") as cur:
        timings.update(pg.bulk_load(cur, statements, BIG_TABLES, COUNTED_TABLES))
        timings["vacuum_analyze_checkpoint"] = pg.settle(cur, SCRATCH_TABLES)
        return {"timings_s": {k: round(v, 2) for k, v in timings.items()}, **describe(cur)}


def describe(cur: psycopg.Cursor) -> dict:
    """What was loaded: rows, sizes, and the distributions the figures depend on."""
    def rows(sql: str, params: list | None = None) -> dict:
        cur.execute(sql, params)
        return {str(k): v for k, v in cur.fetchall()}
    counts = {}
    for table in COUNTED_TABLES:
        cur.execute(f"SELECT count(*) FROM {table}")
        counts[table.removeprefix("takedowns_")] = cur.fetchone()[0]
    sizes = rows("SELECT c.relname, pg_total_relation_size(c.oid) / 1048576 FROM pg_class c WHERE c.relname = ANY(%s)",
                 [BIG_TABLES])
    cur.execute("SELECT kind, count(*), count(*) FILTER (WHERE stopped_at IS NULL), "
                "count(*) FILTER (WHERE paused_at IS NOT NULL), count(*) FILTER (WHERE warned_at IS NOT NULL), "
                "count(*) FILTER (WHERE breached_at IS NOT NULL), "
                "count(*) FILTER (WHERE cancelled) FROM takedowns_slaclock GROUP BY 1")
    clocks = {kind: dict(zip(("rows", "running", "paused", "warned", "breached", "cancelled"), v, strict=True))
              for kind, *v in cur.fetchall()}
    cur.execute("SELECT pg_database_size(current_database()) / 1048576")
    return {
        "rows": counts, "table_mb_with_indexes": sizes, "database_mb": cur.fetchone()[0],
        "statuses": rows("SELECT status, count(*) FROM takedowns_notice GROUP BY 1 ORDER BY 2 DESC"),
        "trust": rows("SELECT trust, count(*) FROM takedowns_notice GROUP BY 1 ORDER BY 2 DESC"),
        "events_by_kind": rows("SELECT kind, count(*) FROM takedowns_event GROUP BY 1 ORDER BY 2 DESC"),
        "clocks": clocks,
        "decisions": rows("SELECT outcome || CASE WHEN reversed_at IS NOT NULL THEN ' reversed' "
                          "WHEN listing_restored_at IS NOT NULL THEN ' restored' ELSE '' END, count(*) "
                          "FROM takedowns_decision GROUP BY 1"),
        "penalties_by_level": rows("SELECT level, count(*) FROM takedowns_penalty GROUP BY 1"),
        "counter_notices": rows("SELECT status, count(*) FROM takedowns_counternotice GROUP BY 1"),
        "appeals": rows("SELECT appellant || ' ' || status, count(*) FROM takedowns_appeal GROUP BY 1"),
    }
