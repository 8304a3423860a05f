"""The screening engine: one listing against the protection list and the stay-down fingerprints, read-only.
takedowns/workflow/screening.py records the verdict (Screening, ScreeningHit) and acts on it.

The rules (ScreeningRuleCode; each a ScreeningRule row a lead tunes in the admin: enabled, outcome, threshold,
max_distance). "Names the brand" = one of the right's terms in a screened field (plainly or disguised), or the
listing's picture within reference_image's max_distance of one of the right's genuine pictures.
- brand_term: a term of a verified right found only after normalisation (disguised: "N1ke", "N.i.k.e",
  Cyrillic letters); a plain mention is no sign of a fake (resale of genuine goods).
- low_price: names the brand and price < threshold x right.price_min, in the right's currency only.
- reference_image: the picture within max_distance bits of a genuine picture of a verified right.
- unauthorised_seller: the right has authorised sellers, the listing names the brand, the seller is not one.
- staydown_same_seller: like a removed listing (text similarity >= threshold, or picture within max_distance)
  of the same seller or of a linked account (the same non-empty account_group, then or now).
- staydown_other_seller: the same likeness, with its own threshold and max_distance, another seller.
The four brand rules never fire for a seller the right authorised (Right.authorised_sellers). Stay-down only
counts removals still in force (not reversed on appeal, not restored). A disabled rule never fires. The
outcome is the most severe hit's (enums.SCREENING_SEVERITY); no hit publishes.

Costs (bench/screening.py): the rules and the term automaton are cached per process (version checks in
screening/terms.py: one cache read per listing, or per batch with screen_many); the fingerprint search is one
index query and, only when something is close, one query for the fingerprints (one more for text signatures);
the rights a hit names are read in one query (one more for their authorised sellers, when they have some), the
decisions and account groups of matched removals in one or two. screen_many does each once per batch.
"""

import time
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Count

from takedowns.enums import SCREENING_SEVERITY, FingerprintSource, RightStatus, ScreeningOutcome, ScreeningRuleCode
from takedowns.imaging import perceptual_hash
from takedowns.models import Decision, Listing, Right, ScreeningRule, Seller
from takedowns.screening import fingerprints, terms
from takedowns.screening.text import normalise, signature

RULES_SECONDS = 5.0  # an edit in the admin also bumps the version token: seen on the next listing
BRAND_RULES = (ScreeningRuleCode.BRAND_TERM, ScreeningRuleCode.LOW_PRICE, ScreeningRuleCode.REFERENCE_IMAGE,
               ScreeningRuleCode.UNAUTHORISED_SELLER)
STAYDOWN_RULES = (ScreeningRuleCode.STAYDOWN_SAME_SELLER, ScreeningRuleCode.STAYDOWN_OTHER_SELLER)


@dataclass(frozen=True)
class Hit:
    rule: str
    outcome: str
    right_id: int | None = None
    term: str = ""
    field: str = ""
    fingerprint_id: int | None = None
    measure: float | None = None


@dataclass(frozen=True)
class Verdict:
    outcome: str
    hits: tuple[Hit, ...]
    image_hash: int | None


@dataclass(frozen=True)
class Rule:
    code: str
    enabled: bool
    outcome: str
    threshold: float | None
    max_distance: int | None


_rules_cache: tuple[str, float, dict[str, Rule]] | None = None


def rules(token: str | None = None) -> dict[str, Rule]:
    """Every ScreeningRule row by code (enabled or not), cached per process for RULES_SECONDS or until the
    protection version token changes."""
    global _rules_cache  # the process's cache
    token = terms.current_token() if token is None else token
    cached, now = _rules_cache, time.monotonic()
    if cached is not None and cached[0] == token and now - cached[1] < RULES_SECONDS:
        return cached[2]
    found = {row.code: Rule(row.code, row.enabled, row.outcome, row.threshold, row.max_distance)
             for row in ScreeningRule.objects.all()}
    _rules_cache = (token, now, found)
    return found


def forget() -> None:
    """Drop this process's cached rules and automaton (tests; terms.changed() does it for every process)."""
    global _rules_cache  # the process's cache
    _rules_cache = None
    terms._snapshot = None
    terms._paused_until = 0.0


def _radius(value: int | None) -> int | None:
    return None if value is None else max(0, min(value, fingerprints.MAX_RADIUS))


def screen(listing: Listing, picture: bytes | None) -> Verdict:
    """The verdict on a new or changed listing: its hits and the outcome; reads only."""
    return screen_many([(listing, picture)])[0]


@dataclass
class _Listing:
    listing: Listing
    image_hash: int | None
    term_hits: list[terms.TermHit]
    text_signature: list[int]


def screen_many(items: Sequence[tuple[Listing, bytes | None]]) -> list[Verdict]:
    """screen() for each (listing, picture) of a batch, e.g. a seller's catalogue imported at once: the same
    verdicts, with the rules, the version check and each database lookup once for the whole batch."""
    token = terms.current_token()
    all_rules = rules(token)
    on = {code: rule for code, rule in all_rules.items() if rule.enabled}
    brand_rules = any(code in on for code in BRAND_RULES)
    reference_rule = all_rules.get(ScreeningRuleCode.REFERENCE_IMAGE)
    reference_radius = _radius(reference_rule.max_distance) if reference_rule is not None and brand_rules else None
    staydown = [on[code] for code in STAYDOWN_RULES if code in on]
    radii = [radius for radius in [reference_radius, *(_radius(rule.max_distance) for rule in staydown)]
             if radius is not None]
    similarities = [rule.threshold for rule in staydown if rule.threshold is not None]

    prepared = []
    for listing, picture in items:
        fields = terms.listing_fields(listing.title, listing.description, listing.attributes)
        normalised = [normalise(text) for _field, text in fields]  # once, for the terms and the signature
        prepared.append(_Listing(
            listing, perceptual_hash(picture) if picture else None,
            terms.find(fields, token, normalised) if brand_rules else [],
            signature(fingerprints.joined(normalised)) if similarities else []))
    # One search of the fingerprint index for both the genuine pictures and the removed listings.
    found = fingerprints.find_many([(one.text_signature, one.image_hash) for one in prepared],
                                   radius=max(radii) if radii else None,
                                   min_similarity=min(similarities) if similarities else None)
    references = [[match for match in matches if match.source == FingerprintSource.REFERENCE
                   and match.distance is not None and reference_radius is not None
                   and match.distance <= reference_radius] for matches in found]
    removals = [[match for match in matches if match.source == FingerprintSource.REMOVAL] if staydown else []
                for matches in found]
    rights = _rights({hit.right_id for one in prepared for hit in one.term_hits}
                     | {match.right_id for pictures in references for match in pictures if match.right_id},
                     {one.listing.seller_id for one in prepared})
    standing = _standing([match for matches in removals for match in matches],
                         {one.listing.seller.account_group for one in prepared} - {""})

    verdicts = []
    for one, pictures, removed in zip(prepared, references, removals, strict=True):
        hits = _brand_hits(one.listing, on, one.term_hits, pictures, rights) if one.term_hits or pictures else []
        if removed:
            hits += _staydown_hits(one.listing, one.listing.seller.account_group, on, removed, standing)
        outcome = max((hit.outcome for hit in hits), key=SCREENING_SEVERITY.__getitem__,
                      default=ScreeningOutcome.PUBLISH)
        verdicts.append(Verdict(outcome=outcome, hits=tuple(hits), image_hash=one.image_hash))
    return verdicts


@dataclass(frozen=True)
class _Rights:
    """The verified rights a batch's hits name: (price_min, currency, has authorised sellers) by id, and the
    (right, seller) pairs of the batch's sellers that are authorised."""
    details: dict[int, tuple[Decimal | None, str, bool]]
    authorised: set[tuple[int, int]]


# One query on PostgreSQL (the ORM's two cost ~0.6 ms of CPU per listing naming a brand: bench/screening.py).
_RIGHTS_SQL = f"""
SELECT r.id, r.price_min, r.currency,
       EXISTS (SELECT 1 FROM {Right.authorised_sellers.through._meta.db_table} a WHERE a.right_id = r.id),
       ARRAY(SELECT a.seller_id FROM {Right.authorised_sellers.through._meta.db_table} a
             WHERE a.right_id = r.id AND a.seller_id = ANY(%(sellers)s::bigint[]))
FROM {Right._meta.db_table} r WHERE r.id = ANY(%(rights)s::bigint[]) AND r.status = %(verified)s
"""


def _rights(right_ids: set[int], seller_ids: set[int]) -> _Rights:
    if not right_ids:
        return _Rights({}, set())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_RIGHTS_SQL, {"rights": sorted(right_ids), "sellers": sorted(seller_ids),
                                         "verified": str(RightStatus.VERIFIED)})
            rows = cursor.fetchall()
        return _Rights({right_id: (price_min, currency, has_authorised)
                        for right_id, price_min, currency, has_authorised, _mine in rows},
                       {(right_id, seller_id) for right_id, *_rest, mine in rows for seller_id in mine})
    details = {right_id: (price_min, currency, bool(authorised)) for right_id, price_min, currency, authorised
               in Right.objects.filter(id__in=right_ids, status=RightStatus.VERIFIED)
               .annotate(authorised=Count("authorised_sellers")).values_list("id", "price_min", "currency",
                                                                             "authorised")}
    with_sellers = [right_id for right_id, (_price, _currency, authorised) in details.items() if authorised]
    pairs = set(Right.authorised_sellers.through.objects.filter(right_id__in=with_sellers, seller_id__in=seller_ids)
                .values_list("right_id", "seller_id")) if with_sellers else set()
    return _Rights(details, pairs)


def _brand_hits(listing: Listing, on: dict[str, Rule], term_hits: list[terms.TermHit],
                references: list[fingerprints.Match], rights: _Rights) -> list[Hit]:
    hits: list[Hit] = []
    named_rights = {hit.right_id for hit in term_hits} | {match.right_id for match in references if match.right_id}
    for right_id in sorted(named_rights):
        if right_id not in rights.details or (right_id, listing.seller_id) in rights.authorised:
            continue  # not verified (any more); or an authorised seller, never held for the right's brand rules
        price_min, currency, has_authorised = rights.details[right_id]
        named = [hit for hit in term_hits if hit.right_id == right_id]
        pictures = sorted((match for match in references if match.right_id == right_id),
                          key=lambda match: (match.distance, match.fingerprint_id))
        # What the brand was named by, for the hit: the first term found (field order), else the picture.
        first = named[0] if named else None
        named_term, named_field = (first.term, first.field) if first else ("", "image")
        rule = on.get(ScreeningRuleCode.BRAND_TERM)
        disguised = [hit for hit in named if hit.disguised]
        if rule is not None and disguised:
            hits.append(Hit(rule.code, rule.outcome, right_id, disguised[0].term, disguised[0].field))
        rule = on.get(ScreeningRuleCode.LOW_PRICE)
        if (rule is not None and rule.threshold is not None and price_min and currency == listing.currency
                and listing.price is not None
                and Decimal(listing.price) < Decimal(str(rule.threshold)) * price_min):
            hits.append(Hit(rule.code, rule.outcome, right_id, named_term, named_field,
                            measure=round(float(Decimal(listing.price) / price_min), 4)))
        rule = on.get(ScreeningRuleCode.REFERENCE_IMAGE)
        if rule is not None and pictures:
            hits.append(Hit(rule.code, rule.outcome, right_id, field="image", fingerprint_id=pictures[0].fingerprint_id,
                            measure=float(pictures[0].distance or 0)))
        rule = on.get(ScreeningRuleCode.UNAUTHORISED_SELLER)
        if rule is not None and has_authorised:
            hits.append(Hit(rule.code, rule.outcome, right_id, named_term, named_field))
    return hits


@dataclass(frozen=True)
class _Standing:
    """For the removed listings a batch matched: the decisions still in force, and the account group each
    matched seller is in now (for sellers in one of the batch's groups)."""
    in_force: set[int]
    groups: dict[int, str]


def _standing(removals: list[fingerprints.Match], account_groups: set[str]) -> _Standing:
    decision_ids = {match.decision_id for match in removals if match.decision_id is not None}
    in_force = set(Decision.objects.filter(id__in=decision_ids, reversed_at=None, listing_restored_at=None)
                   .values_list("id", flat=True)) if decision_ids else set()
    seller_ids = {match.seller_id for match in removals if match.seller_id is not None}
    groups = dict(Seller.objects.filter(id__in=seller_ids, account_group__in=account_groups)
                  .values_list("id", "account_group")) if seller_ids and account_groups else {}
    return _Standing(in_force, groups)


def _likeness(match: fingerprints.Match, rule: Rule) -> tuple[str, float] | None:
    """How the removed listing is like this one under the rule's own bars: ("text", similarity) or
    ("image", distance), the text first; None when neither bar is met."""
    if rule.threshold is not None and match.similarity is not None and match.similarity >= rule.threshold:
        return "text", match.similarity
    radius = _radius(rule.max_distance)
    if radius is not None and match.distance is not None and match.distance <= radius:
        return "image", float(match.distance)
    return None


def _staydown_hits(listing: Listing, account_group: str, on: dict[str, Rule], removals: list[fingerprints.Match],
                   standing: _Standing) -> list[Hit]:
    best: dict[str, tuple[tuple, Hit]] = {}
    for match in removals:
        # Only removals still in force: a decision reversed on appeal or a listing restored no longer stays down.
        if match.decision_id is not None and match.decision_id not in standing.in_force:
            continue
        # Linked accounts: the group the removed listing's seller had then, or has now (linked since).
        same = (match.seller_id == listing.seller_id
                or bool(account_group and account_group in (match.account_group,
                                                            standing.groups.get(match.seller_id or 0))))
        rule = on.get(ScreeningRuleCode.STAYDOWN_SAME_SELLER if same else ScreeningRuleCode.STAYDOWN_OTHER_SELLER)
        if rule is None:
            continue
        likeness = _likeness(match, rule)
        if likeness is None:
            continue
        field, measure = likeness
        # The closest removed listing: the most similar text, else the nearest picture.
        rank = (0, -measure, match.fingerprint_id) if field == "text" else (1, measure, match.fingerprint_id)
        hit = Hit(rule.code, rule.outcome, match.right_id, field=field, fingerprint_id=match.fingerprint_id,
                  measure=measure)
        if rule.code not in best or rank < best[rule.code][0]:
            best[rule.code] = (rank, hit)
    return [best[code][1] for code in STAYDOWN_RULES if code in best]
