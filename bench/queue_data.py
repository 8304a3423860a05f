"""The review queue bench's data set (bench/queue, in each size's child process, after django.setup()):
20 reviewers through the ORM, everything else with server-side SQL (`load_statements`, INSERT … SELECT
generate_series, setseed(0.42)). bench/dashboard builds on its reviewers, references and SLA targets.
The data set itself is described in bench/README.md, "Review queue".
"""

import json
import time
from dataclasses import dataclass
from datetime import timedelta

import harness
import pg
import psycopg
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from takedowns import seeding, sla
from takedowns.enums import EEA_COUNTRIES, LEGAL_GROUNDS, REASON_BITS, REVIEWER_GROUP, RightType
from takedowns.models import ReasonCode, Reviewer, ReviewerSkill, Right, SlaPolicy

SELLERS, LISTINGS, REVIEWERS, SUBMITTERS = 5_000, 50_000, 20, 2_000
# The tables whose secondary indexes and unique constraints are rebuilt after the load.
BIG_TABLES = ["takedowns_notice", "takedowns_noticeitem", "takedowns_event", "takedowns_decision",
              "takedowns_inforequest", "takedowns_evidence", "takedowns_slaclock"]
ID_TABLES = ["takedowns_seller", "takedowns_listing", "takedowns_submitter", *BIG_TABLES]
OPEN = "('confirmed', 'in_review', 'awaiting_submitter')"
# The catalogue's categories and the sellers' and submitters' countries (bench/dashboard uses them too).
CATEGORIES = ("ARRAY['shoes','bags','clothing','watches','toys','cosmetics','electrical','books','jewellery','baby',"
              "'car-parts','sports']")
COUNTRIES = "ARRAY['DE','FR','CN','US','PL','IT','ES','NL','CZ','PT']"

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


@dataclass(frozen=True)
class Fragments:
    """SQL pieces the load statements share, made once from the rows created through the ORM."""

    n: int
    countries: str
    categories: str
    reviewers: str  # ARRAY[…] of the reviewers' ids, and of their users' ids
    users: str
    verified: str  # the verified right per right type
    decision_target: str  # CASE over right type and priority band: the policy's target, and the policy
    decision_policy: str
    ack_policy: int
    reason_bit: str  # CASE reason: its bit of Notice.reason_mask
    calendar: str
    codes: str  # ARRAY[…] of the active rejection reason codes
    reason_codes: list[int]
    grounds: str  # CASE right type: the legal ground of a removal
    eea: str


def fragments(n: int, reviewer_ids: list[int], user_ids: list[int], rights: dict[str, int],
              reason_codes: list[int], policies: dict) -> Fragments:
    def by_band(values: dict) -> str:  # CASE over the right type and the priority band
        return "CASE right_type " + " ".join(
            f"WHEN '{t}' THEN CASE WHEN priority >= 70 THEN {values[(t, 70)]} ELSE {values[(t, 0)]} END"
            for t in {t for t, _ in values}) + " END"

    return Fragments(
        n=n, countries=COUNTRIES, categories=CATEGORIES,
        reviewers="ARRAY[" + ",".join(map(str, reviewer_ids)) + "]::bigint[]",
        users="ARRAY[" + ",".join(map(str, user_ids)) + "]::int[]",
        verified="CASE right_type " + " ".join(f"WHEN '{t}' THEN {pk}" for t, pk in rights.items()) + " END",
        decision_target=by_band({k: f"interval '{h} hours'" for k, h in DECISION_TARGET_HOURS.items()}),
        decision_policy=by_band({k: policies[k] for k in DECISION_TARGET_HOURS}),
        ack_policy=policies["acknowledgement"],
        reason_bit="CASE reason " + " ".join(f"WHEN '{r}' THEN {bit}" for r, bit in REASON_BITS.items()) + " END",
        calendar=json.dumps(sla.ROUND_THE_CLOCK.terms()),
        codes="ARRAY[" + ",".join(map(str, reason_codes)) + "]::bigint[]", reason_codes=reason_codes,
        grounds="CASE n.right_type " + " ".join(
            f"WHEN '{t}' THEN '{g.replace(chr(39), chr(39) * 2)}'" for t, g in LEGAL_GROUNDS.items()) + " END",
        eea=json.dumps(list(EEA_COUNTRIES)),
    )


def load_statements(n: int, reviewer_ids: list[int], user_ids: list[int], rights: dict[str, int],
                    reason_codes: list[int], policies: dict) -> list[tuple[str, str]]:
    p = fragments(n, reviewer_ids, user_ids, rights, reason_codes, policies)
    return [
        ("sellers", _sellers(p)),
        ("listings", _listings(p)),
        ("plan", _plan(p)),
        ("submitters", _submitters(p)),
        ("item plan", _item_plan(p)),
        ("notices", _notices(p)),
        ("info requests", _info_requests(p)),
        ("clocks", _clocks(p)),
        ("items", _items(p)),
        ("decisions", _decisions(p)),
        ("evidence", _evidence(p)),
        ("events", _events(p)),
        ("seller counters", _seller_counters(p)),
        ("submitter counters", _submitter_counters(p)),
    ]


def _sellers(p: Fragments) -> str:
    return f"""
INSERT INTO takedowns_seller (id, external_id, name, email, country, strike_count, created_at, reported_items,
                              removed_items, account, account_until)
SELECT i, 'S-' || (3000 + i), 'Seller ' || i, 'seller' || i || '@shop.example',
       ({p.countries})[1 + floor(random() * 10)::int], (ARRAY[0,0,0,0,0,1,1,2,4])[1 + floor(random() * 9)::int],
       now() - interval '2 years', 0, 0, 'active', NULL
FROM generate_series(1, {SELLERS}) i"""


# Mild skew: the first sellers have more listings (seller 1: ~1.4 % of them).
def _listings(p: Fragments) -> str:
    return f"""
INSERT INTO takedowns_listing (id, external_id, seller_id, title, description, category, price, currency,
                               status, created_at, removed_at)
SELECT i, 'L-' || (200000 + i), 1 + floor({SELLERS} * random() ^ 2)::int,
       'Bench listing ' || i || ' — branded goods, fast shipping', 'A listing of the bench catalogue.',
       ({p.categories})[1 + floor(random() * 12)::int], round((5 + random() * 495)::numeric, 2), 'EUR',
       CASE WHEN random() < 0.05 THEN 'removed' ELSE 'active' END, now() - interval '2 years', NULL
FROM generate_series(1, {LISTINGS}) i"""


# One row per notice with its draws; the notice, its items, decisions and events are made
# from it. Created over the last year in id order; status independent of age except that
# only notices of the last 7 days can still be unconfirmed (older ones expired).
def _plan(p: Fragments) -> str:
    return f"""
CREATE UNLOGGED TABLE bench_n AS
WITH r AS (
  SELECT i::bigint AS id, random() AS us, random() AS ut, random() AS usub, random() AS ua, random() AS uun,
         random() AS up, random() AS ul, random() AS ue, random() AS uv, random() AS uc, random() AS ur,
         random() AS ucl, random() AS uw, random() AS uk,
         now() - interval '365 days' + (i - 1) * (interval '365 days' / {p.n}) + random() * interval '10 minutes'
           AS created_at
  FROM generate_series(1, {p.n}) i
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
    CASE WHEN status IN ('unconfirmed', 'expired') THEN NULL ELSE created_at + uc * interval '2 hours' END
      AS confirmed_at,
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
  ({p.reviewers})[rix] AS assigned_to_id, ({p.users})[COALESCE(rix, 1)] AS user_id,
  CASE WHEN routed THEN floor(up * 101)::int ELSE 0 END AS priority,
  CASE WHEN routed AND uv < 0.3 THEN {p.verified} END AS verified_right_id,
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
FROM v CROSS JOIN LATERAL (SELECT {p.decision_target} AS target, {p.decision_policy} AS policy) d
ORDER BY id"""


# A submitter row per address with a confirmed notice (as confirm_notice creates them), keyed
# by the lower-cased address; counters are filled after the load.
def _submitters(p: Fragments) -> str:
    return f"""
INSERT INTO takedowns_submitter (id, email, trusted_flagger, notices, removed_items, rejected_items, created_at)
SELECT sub + 1, 'rights.agent' || sub || '@brand' || (sub % 400) || '.example', {_trusted_sql('sub')}, 0, 0, 0,
       min(confirmed_at)
FROM bench_n WHERE confirmed_at IS NOT NULL GROUP BY sub ORDER BY sub"""


# Item states fit the notice status: in_review has at least one item in review (position 1),
# awaiting_submitter one waiting for the submitter (position 1, pointing at the notice's
# information request, whose id is the notice id) and none in review; closed ones are all
# decided or resolved otherwise. Listings uniformly over the catalogue. Planned before the
# notices are inserted: the notice's reason_mask is made from its items' reasons.
def _item_plan(p: Fragments) -> str:
    return f"""
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
     WHEN status = 'in_review' THEN
       CASE WHEN us < 0.40 THEN 'removed' WHEN us < 0.50 THEN 'rejected' ELSE 'in_review' END
     WHEN status = 'awaiting_submitter' THEN
       CASE WHEN us < 0.45 THEN 'info_requested' WHEN us < 0.75 THEN 'removed' ELSE 'rejected' END
     ELSE CASE WHEN us < 0.75 THEN 'removed' ELSE 'rejected' END END AS state,
  CASE right_type WHEN 'trademark' THEN CASE WHEN ur < 0.6 THEN 'counterfeit' ELSE 'trademark_misuse' END
                  WHEN 'copyright' THEN CASE WHEN ur < 0.6 THEN 'copyright_images' ELSE 'copyright_text' END
                  WHEN 'design' THEN CASE WHEN ur < 0.6 THEN 'design' ELSE 'counterfeit' END
                  ELSE 'patent' END AS reason
FROM x"""


def _notices(p: Fragments) -> str:
    return f"""
INSERT INTO takedowns_notice (id, reference, status, submission_key, tracking_token, confirmation_token,
  submitter_name, submitter_organisation, submitter_email, submitter_country, submitter_role, language,
  submitter_id, trust, right_type, right_registration_number, right_office, right_owner, verified_right_id, description,
  good_faith_statement, accuracy_statement, signature, priority, assigned_to_id,
  created_at, expires_at, confirmed_at, routed_at, closed_at, escalated_at, due_at, reason_mask)
SELECT id, {_reference_sql('id')}, status, gen_random_uuid(),
  md5(random()::text) || left(md5(random()::text), 11), md5(random()::text) || left(md5(random()::text), 11),
  'Agent ' || sub, 'Brand Protection ' || (sub % 400),
  CASE WHEN id % 10 = 0 THEN 'Rights.Agent' ELSE 'rights.agent' END || sub || '@brand' || (sub % 400) || '.example',
  ({p.countries})[1 + sub % 10], CASE WHEN sub % 3 = 0 THEN 'owner' ELSE 'agent' END, language,
  submitter_id, trust, right_type, lpad((id * 7919 % 1000000000)::text, 9, '0'),
  (ARRAY['EUIPO','USPTO','DPMA','WIPO'])[1 + sub % 4],
  'Brand Owner ' || (sub % 400), verified_right_id, '{DESCRIPTION} Notice ' || id || '.',
  true, true, 'Agent ' || sub, priority, assigned_to_id,
  created_at, created_at + interval '7 days', confirmed_at, routed_at, closed_at, escalated_at, due_at,
  -- set at confirmation (confirm_notice: reason_mask of the items' reasons)
  CASE WHEN confirmed_at IS NOT NULL THEN m.mask ELSE 0 END
FROM bench_n n JOIN (SELECT notice_id, bit_or({p.reason_bit}) AS mask FROM bench_i GROUP BY 1) m ON m.notice_id = n.id
ORDER BY id"""


def _info_requests(p: Fragments) -> str:
    return """
INSERT INTO takedowns_inforequest (id, notice_id, message, requested_by_id, requested_at, due_at, answer,
                                   answered_at, expired_at)
SELECT id, id, 'Please send the registration certificate that covers these listings.', user_id,
       LEAST(now(), routed_at + interval '1 day'), LEAST(now(), routed_at + interval '1 day') + interval '7 days',
       '', NULL, NULL
FROM bench_n WHERE status = 'awaiting_submitter' ORDER BY id"""


# One SLA clock row per clock the workflow starts for a notice (workflow/clocks.py): the
# acknowledgement clock of every confirmed notice (stopped at routing, cancelled at a withdrawal
# before routing, running while confirmed), and the takedown-decision clock of every routed
# notice (running in review, paused while awaiting the submitter, stopped at closing,
# cancelled at a withdrawal). In the order the app records them. No clock events.
def _clocks(p: Fragments) -> str:
    return f"""
INSERT INTO takedowns_slaclock (kind, notice_id, item_id, strike_id, counter_notice_id, appeal_id, policy_id, target,
  calendar, started_at, due_at, warn_at, paused_at, paused_for, warned_at, breached_at, stopped_at, cancelled, elapsed)
SELECT kind, notice_id, NULL, NULL, NULL, NULL, policy_id, target, '{p.calendar}'::jsonb, started_at, due_at, warn_at,
  paused_at, interval '0',
  CASE WHEN warn_at + lag < LEAST(now(), stopped_at, paused_at) THEN warn_at + lag END,
  CASE WHEN due_at + lag < LEAST(now(), stopped_at, paused_at) THEN due_at + lag END,
  stopped_at, cancelled, CASE WHEN stopped_at IS NOT NULL THEN GREATEST(stopped_at - started_at, interval '0') END
FROM (
  SELECT 'acknowledgement' AS kind, id AS notice_id, {p.ack_policy} AS policy_id, {ACK_TARGET_SQL} AS target,
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
) c ORDER BY recorded_at, kind"""


def _items(p: Fragments) -> str:
    return """
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
ORDER BY y.notice_id, y.position"""


def _decisions(p: Fragments) -> str:
    return f"""
INSERT INTO takedowns_decision (item_id, outcome, reason_code_id, note, decided_by_id, decided_at, legal_ground,
  explanation, territorial_scope, automated_detection, automated_decision, seller_token, listing_removed_at)
SELECT i.id, CASE WHEN i.state = 'removed' THEN 'remove' ELSE 'reject' END,
  CASE WHEN i.state = 'rejected' THEN ({p.codes})[1 + floor(random() * {len(p.reason_codes)})::int] END,
  CASE WHEN random() < 0.2 THEN 'Checked against the registration and the test-buy report.' ELSE '' END,
  n.user_id, d.decided_at,
  CASE WHEN i.state = 'removed' THEN {p.grounds} ELSE '' END,
  CASE WHEN i.state = 'removed' THEN '{DESCRIPTION}' ELSE '' END,
  '{p.eea}'::jsonb, false, false,
  CASE WHEN i.state = 'removed' THEN md5(random()::text) || left(md5(random()::text), 11) ELSE '' END,
  CASE WHEN i.state = 'removed' THEN d.decided_at + interval '2 seconds' END
FROM takedowns_noticeitem i JOIN bench_n n ON n.id = i.notice_id
CROSS JOIN LATERAL (SELECT CASE WHEN n.closed_at IS NOT NULL THEN n.routed_at + random() * (n.closed_at - n.routed_at)
                                ELSE LEAST(now(), n.routed_at + random() * interval '2 days') END AS decided_at) d
WHERE i.state IN ('removed', 'rejected') ORDER BY i.id"""


def _evidence(p: Fragments) -> str:
    return """
INSERT INTO takedowns_evidence (notice_id, submission_key, kind, file, original_name, content_type, size, sha256,
                                uploaded_at)
SELECT id, gen_random_uuid(), 'test_buy', to_char(created_at, 'YYYY/MM/') || 'test-buy-' || id || '.pdf',
       'test-buy-' || id || '.pdf', 'application/pdf', 40000 + (id * 7919) % 900000, md5(id::text) || md5(id::text),
       created_at
FROM bench_n WHERE id % 10 < 3 ORDER BY id"""


# The timeline, as the app writes it, appended in time order.
def _events(p: Fragments) -> str:
    return f"""
INSERT INTO takedowns_event (notice_id, item_id, kind, actor_kind, actor_user_id, from_status, to_status, details,
                             created_at)
SELECT notice_id, item_id, kind, actor_kind, actor_user_id, from_status, to_status, details, created_at FROM (
  SELECT id AS notice_id, NULL::bigint AS item_id, 'filed' AS kind, 'submitter' AS actor_kind,
         NULL::int AS actor_user_id,
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
         jsonb_build_object('reviewer',
                            'rev' || lpad(COALESCE(array_position({p.reviewers}, assigned_to_id), 0)::text, 2, '0'),
                            'assignment_rule', right_type || ' skill, lowest open load',
                            'priority', priority, 'priority_rules', '[]'::jsonb), routed_at
  FROM bench_n WHERE routed
  UNION ALL
  SELECT i.notice_id, i.id, 'item_decided', 'reviewer', d.decided_by_id, 'in_review', i.state,
         jsonb_build_object('outcome', d.outcome, 'note', d.note, 'reason_code', d.reason_code_id), d.decided_at
  FROM takedowns_decision d JOIN takedowns_noticeitem i ON i.id = d.item_id
  UNION ALL
  SELECT id, NULL, 'info_requested', 'reviewer', user_id, '', '', '{{}}'::jsonb,
         LEAST(now(), routed_at + interval '1 day')
  FROM bench_n WHERE status = 'awaiting_submitter'
  UNION ALL
  SELECT id, NULL, 'awaiting_submitter', 'reviewer', user_id, 'in_review', 'awaiting_submitter', '{{}}'::jsonb,
         LEAST(now(), routed_at + interval '1 day')
  FROM bench_n WHERE status = 'awaiting_submitter'
  UNION ALL
  SELECT id, NULL, 'escalated', 'reviewer', user_id, '', '', '{{"note": "Needs a lead: large seller."}}'::jsonb,
         escalated_at
  FROM bench_n WHERE escalated_at IS NOT NULL
  UNION ALL
  SELECT id, NULL, 'closed', 'reviewer', user_id, 'in_review', 'closed', '{{}}'::jsonb, closed_at
  FROM bench_n WHERE status = 'closed'
  UNION ALL
  SELECT id, NULL, 'withdrawn', 'submitter', NULL, CASE WHEN routed THEN 'in_review' ELSE 'confirmed' END, 'withdrawn',
         '{{}}'::jsonb, closed_at
  FROM bench_n WHERE status = 'withdrawn'
) e ORDER BY created_at"""


# The counters the workflow keeps (route_notice, decide_items, confirm_notice), from the data.
def _seller_counters(p: Fragments) -> str:
    return """
UPDATE takedowns_seller s SET reported_items = c.reported, removed_items = c.removed
FROM (SELECT l.seller_id, count(*) AS reported, count(*) FILTER (WHERE d.outcome = 'remove') AS removed
      FROM takedowns_noticeitem i JOIN takedowns_listing l ON l.id = i.listing_id
      JOIN takedowns_notice n ON n.id = i.notice_id LEFT JOIN takedowns_decision d ON d.item_id = i.id
      WHERE n.routed_at IS NOT NULL GROUP BY 1) c
WHERE s.id = c.seller_id"""


def _submitter_counters(p: Fragments) -> str:
    return """
UPDATE takedowns_submitter s SET notices = c.notices, removed_items = COALESCE(d.removed, 0),
                                 rejected_items = COALESCE(d.rejected, 0)
FROM (SELECT submitter_id, count(*) AS notices FROM takedowns_notice WHERE submitter_id IS NOT NULL GROUP BY 1) c
LEFT JOIN (SELECT n.submitter_id, count(*) FILTER (WHERE d.outcome = 'remove') AS removed,
                  count(*) FILTER (WHERE d.outcome = 'reject') AS rejected
           FROM takedowns_decision d JOIN takedowns_noticeitem i ON i.id = d.item_id
           JOIN takedowns_notice n ON n.id = i.notice_id WHERE n.submitter_id IS NOT NULL GROUP BY 1) d
  ON d.submitter_id = c.submitter_id
WHERE s.id = c.submitter_id"""




def create_reviewers() -> tuple[list[int], list[int]]:
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
    timings = {}
    t0 = time.perf_counter()
    reviewer_ids, user_ids = create_reviewers()
    rights, codes, policies = reference_rows()
    timings["reviewers_rights"] = time.perf_counter() - t0
    statements = load_statements(n, reviewer_ids, user_ids, rights, codes, policies)
    with pg.load_session(db, statement_timeout="20min") as cur:
        timings.update(pg.bulk_load(cur, statements, BIG_TABLES, ID_TABLES))
        cur.execute("UPDATE takedowns_reviewer AS r SET open_load = (SELECT count(*) FROM takedowns_notice n "
                    f"WHERE n.assigned_to_id = r.id AND n.status IN {OPEN})")
        timings["vacuum_analyze_checkpoint"] = pg.settle(cur, ["bench_n", "bench_i"])
        return {"timings_s": {k: round(v, 2) for k, v in timings.items()}, **describe(cur),
                "reviewer_ids": reviewer_ids}


def reference_rows() -> tuple[dict[str, int], list[int], dict]:
    """The verified rights of seeds/ (one per right type), the active rejection reason codes, and the SLA
    policies as a lead would set them (the generic ones come from migration 0006)."""
    seeding.load_rights(harness.ROOT / "seeds")
    rights: dict[str, int] = {}
    for right in Right.objects.order_by("pk"):
        rights.setdefault(right.right_type, right.pk)
    codes = list(ReasonCode.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
    policies = {key: SlaPolicy.objects.create(clock="takedown_decision", right_type=key[0], min_priority=key[1],
                                              target=timedelta(hours=hours), warn_ratio=WARN_RATIO).pk
                for key, hours in DECISION_TARGET_HOURS.items()}
    policies["acknowledgement"] = SlaPolicy.objects.get(clock="acknowledgement", right_type="", reason="",
                                                        min_priority=0, trusted_flagger_only=False).pk
    return rights, codes, policies


def describe(cur: psycopg.Cursor) -> dict:
    """What was loaded: rows, the status and trust mix, the biggest submitter and seller, the clocks."""
    counts = {}
    for table in ID_TABLES:
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
    cur.execute(f"SELECT count(*) FILTER (WHERE reason_mask = 0) FROM takedowns_notice WHERE status IN {OPEN}")
    open_without_mask = cur.fetchone()[0]
    cur.execute("SELECT pg_database_size(current_database())")
    size_mb = cur.fetchone()[0] // 2**20
    return {"rows": counts, "statuses": statuses,
            "open_fraction": round(sum(statuses.get(s, 0) for s in ("confirmed", "in_review", "awaiting_submitter"))
                                   / max(1, sum(statuses.values())), 4),
            "trust": trust, "trusted_flaggers": flaggers, "biggest_submitter_notices": biggest,
            "confirmed_notices": confirmed, "biggest_seller_reported_items": seller_max,
            "reported_items": seller_sum, "database_mb": size_mb, **clock_states(cur),
            "open_notices_without_reason_mask": open_without_mask}


def clock_states(cur: psycopg.Cursor) -> dict:
    """The queue's order and the clocks' states (open notices; "now" = the end of the load)."""
    cur.execute(f"""SELECT n.status, count(*), count(*) FILTER (WHERE n.due_at < now()),
                          count(*) FILTER (WHERE c.warned_at IS NOT NULL),
                          count(*) FILTER (WHERE c.breached_at IS NOT NULL),
                          count(*) FILTER (WHERE c.paused_at IS NOT NULL), count(*) FILTER (WHERE n.due_at > now())
                   FROM takedowns_notice n JOIN takedowns_slaclock c ON c.notice_id = n.id AND c.stopped_at IS NULL
                   WHERE n.status IN {OPEN} GROUP BY 1 ORDER BY 1""")
    states = {row[0]: dict(zip(("running_clocks", "overdue", "warned", "breached", "paused", "due_later"),
                               row[1:], strict=True)) for row in cur.fetchall()}
    cur.execute("SELECT kind, count(*), count(*) FILTER (WHERE stopped_at IS NULL) FROM takedowns_slaclock GROUP BY 1")
    clocks = {kind: {"rows": rows, "running": running} for kind, rows, running in cur.fetchall()}
    return {"open_clock_states": states, "clocks": clocks}
