"""The fingerprint index: what stay-down and the reference-image rule compare a listing with, found without a
scan of the Fingerprint table. takedowns/staydown.py is the interface the workflow calls; this module holds
the writer and the search because listing screening (this package) reads them and takedowns.screening may
not import takedowns.staydown (staydown imports screening's text functions; sibling modules stay acyclic).

Keys (FingerprintKey.key, a signed 64-bit integer; always >= 0 here):

    bit 63      0
    bits 60-62  kind: 1 = image band, 2 = text band
    bits 48-59  the band's position (image: 0-3, text: 0-9)
    bits 0-47   the band's value (image: 16 bits of the hash; text: 48 bits of a hash of the band's MinHash values)

Images: multi-index hashing. The 64-bit perceptual hash is cut into 4 bands of 16 bits (position 0 = the low
16 bits). If two hashes differ by at most r bits, some band differs by at most floor(r / 4) bits (pigeonhole).
For r <= 3 that is 0 bits: 4 keys are probed (each band's own value). For 4 <= r <= 7 it is at most 1 bit:
each band's value and its 16 one-bit neighbours, 68 keys. At a million fingerprints a 16-bit band value is
shared by ~15 random ones, so 68 keys meet ~1,000 index rows; the database keeps only the fingerprints that
can be within r, by a lower bound on the distance from which keys matched: a band whose own value matched
differs by 0 bits, one matched through a neighbour by 1, any other by at least 2 (at least 1 when neighbours
were not probed). Each band matches at most one probe, so with weights exact = 2, neighbour = 1 (exact = 1
without neighbours) the bound is 8 - sum (4 - sum) and a fingerprint is a candidate when
sum >= 8 - r (4 - r). For r = 6 that is one band equal or two within a bit: ~60 of the ~1,000 rows, grouped in
the database (image_candidates() is the same rule in Python, for the tests). Every hash within r is among the
candidates, and the exact distance is computed on them: the result is exactly a brute-force scan's
(tests/screening). Radii above 7 are refused (the admin allows at most 7; a larger one would need 2-bit
neighbours).

Text: locality-sensitive hashing of the 32 MinHash values (screening/text.signature): 10 bands of 3 values
(the last 2 values unused), each band hashed to 48 bits. A listing whose shingles overlap a removed one's with
Jaccard similarity s shares at least one band with probability 1 - (1 - s^3)^10: 0.985 at s = 0.7, 0.9992 at
0.8 (8 bands of 4 values would miss 11 % at 0.7). Candidates are then compared on all 32 values (similarity).

A search is one query on the index (FingerprintKey rows with key IN the probe keys, an index-only scan of
fingerprint_key, grouped by fingerprint with the weights above), then, when there are candidates, one query
loading them by primary key (no text signature), and one more for the signatures of the few that share a text
band with the listing.
"""

import hashlib
import json
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Case, Count, Q, Sum, Value, When

from takedowns.enums import FingerprintSource
from takedowns.imaging import distance as image_distance
from takedowns.imaging import perceptual_hash
from takedowns.models import Evidence, Fingerprint, FingerprintKey, Right
from takedowns.screening.terms import listing_fields
from takedowns.screening.text import SIGNATURE_SIZE, normalise, signature, similarity

IMAGE, TEXT = 1, 2
IMAGE_BANDS, IMAGE_BAND_BITS = 4, 16
TEXT_BANDS, TEXT_BAND_VALUES = 10, 3
MAX_RADIUS = 7
_VALUE_MASK = (1 << 48) - 1
_BAND_MASK = (1 << IMAGE_BAND_BITS) - 1


def pack(kind: int, position: int, value: int) -> int:
    return (kind << 60) | (position << 48) | (value & _VALUE_MASK)


def unpack(key: int) -> tuple[int, int, int]:
    return key >> 60, (key >> 48) & 0xFFF, key & _VALUE_MASK


def _bands(image_hash: int) -> list[int]:
    unsigned = image_hash & 0xFFFFFFFFFFFFFFFF
    return [(unsigned >> (IMAGE_BAND_BITS * band)) & _BAND_MASK for band in range(IMAGE_BANDS)]


def image_keys(image_hash: int) -> list[int]:
    """The keys a fingerprint with this image hash is stored under (one per band)."""
    return [pack(IMAGE, position, value) for position, value in enumerate(_bands(image_hash))]


def image_probe_keys(image_hash: int, radius: int) -> list[int]:
    """The keys under which every stored hash within `radius` bits is found (4 keys for r <= 3, else 68): each
    band's own value first, then (r >= 4) its one-bit neighbours."""
    if radius < 0:
        return []
    if radius > MAX_RADIUS:
        raise ValueError(f"image search radius {radius} > {MAX_RADIUS}")
    bands = _bands(image_hash)
    keys = [pack(IMAGE, position, value) for position, value in enumerate(bands)]
    if radius >= IMAGE_BANDS:
        keys += [pack(IMAGE, position, value ^ (1 << bit)) for position, value in enumerate(bands)
                 for bit in range(IMAGE_BAND_BITS)]
    return keys


def _weights(radius: int) -> tuple[int, int]:
    """(weight of a band matched exactly, least sum of weights of a candidate) for a search within `radius`."""
    return (2, 2 * IMAGE_BANDS - radius) if radius >= IMAGE_BANDS else (1, IMAGE_BANDS - radius)


def image_candidates(rows: Iterable[tuple[int, int]], image_hash: int, radius: int) -> set[int]:
    """The fingerprints among the index rows (key, fingerprint id) of image_probe_keys(image_hash, radius) that
    can be within `radius` bits (the module docstring's lower bound); find() lets the database do the same."""
    exact = set(image_keys(image_hash))
    exact_weight, least = _weights(radius)
    gains: dict[int, int] = {}
    for key, fingerprint_id in rows:
        if key >> 60 == IMAGE:
            gains[fingerprint_id] = gains.get(fingerprint_id, 0) + (exact_weight if key in exact else 1)
    return {fingerprint_id for fingerprint_id, gain in gains.items() if gain >= least}


def text_keys(values: list[int]) -> list[int]:
    """The LSH keys of a text signature (stored and probed alike); none for an empty or foreign signature."""
    if len(values) != SIGNATURE_SIZE:
        return []
    keys = []
    for position in range(TEXT_BANDS):
        band = values[position * TEXT_BAND_VALUES:(position + 1) * TEXT_BAND_VALUES]
        digest = hashlib.blake2b(struct.pack(f"<{TEXT_BAND_VALUES}Q", *band), digest_size=6).digest()
        keys.append(pack(TEXT, position, int.from_bytes(digest, "big")))
    return keys


def listing_text(title: str, description: str, attributes: object) -> str:
    """The listing's text as stay-down compares it: title, description and attribute values, each normalised."""
    return joined([normalise(text) for _field, text in listing_fields(title, description, attributes)])


def joined(normalised_fields: list[str]) -> str:
    """The normalised fields as one text (the engine normalised them already, for the terms)."""
    return " ".join(text for text in normalised_fields if text)


def listing_signature(title: str, description: str, attributes: object) -> list[int]:
    return signature(listing_text(title, description, attributes))


# --- The writer: the one place Fingerprint and FingerprintKey rows are created. ---

def record(*, source: str, created_at: datetime, text_signature: list[int], image_hash: int | None,
           **links: object) -> Fingerprint | None:
    """A new fingerprint and its index keys (bulk-inserted); None when there is nothing to compare by."""
    if not text_signature and image_hash is None:
        return None
    keys = text_keys(text_signature) + (image_keys(image_hash) if image_hash is not None else [])
    with transaction.atomic():
        fingerprint = Fingerprint.objects.create(source=source, created_at=created_at, text_signature=text_signature,
                                                 image_hash=image_hash, **links)
        FingerprintKey.objects.bulk_create([FingerprintKey(fingerprint=fingerprint, key=key) for key in keys])
    return fingerprint


# --- The search. ---

@dataclass(frozen=True)
class Match:
    """A stored fingerprint like the listing: by picture (distance <= the radius asked), by text
    (similarity >= the least asked), or both (distance / similarity None when that side did not match)."""
    fingerprint_id: int
    source: str
    right_id: int | None
    seller_id: int | None
    account_group: str
    listing_id: int | None
    decision_id: int | None
    distance: int | None
    similarity: float | None


def find(text_signature: list[int], image_hash: int | None, *, radius: int | None,
         min_similarity: float | None, sources: Iterable[str] = tuple(FingerprintSource.values)) -> list[Match]:
    """Every stored fingerprint whose picture is within `radius` bits of `image_hash`, or whose text is at least
    `min_similarity` like the signature's (LSH: a few per cent of texts just above the bar may be missed)."""
    return find_many([(text_signature, image_hash)], radius=radius, min_similarity=min_similarity,
                     sources=sources)[0]


def find_many(queries: list[tuple[list[int], int | None]], *, radius: int | None, min_similarity: float | None,
              sources: Iterable[str] = tuple(FingerprintSource.values)) -> list[list[Match]]:
    """find() for each (text signature, image hash) of a batch (a bulk import): the index query per listing, then
    on PostgreSQL one query loading every candidate of the batch and one for the text signatures of those
    sharing a text band."""
    if connection.vendor != "postgresql" and len(queries) > 1:
        return [find(text_signature, image_hash, radius=radius, min_similarity=min_similarity, sources=sources)
                for text_signature, image_hash in queries]
    least = _weights(radius)[1] if radius is not None else None
    found: list[dict[int, bool]] = [{} for _ in queries]
    # On PostgreSQL the index query also returns each candidate's row (and its text signature when it shares a
    # text band): one round trip per listing instead of three (bench/screening_paths.py: ~0.5-1 ms of a hook
    # request). Elsewhere the rows and signatures are loaded after, as below.
    rows: dict[int, tuple] = {}
    signatures: dict[int, list[int]] = {}
    source_list = list(sources)
    # The index query runs per listing: for a whole batch at once PostgreSQL misjudges the join's size and
    # sorts ~1,000 rows per listing on disk (EXPLAIN at 100 listings x 78 keys: 280 ms against 100 x 0.5 ms).
    for number, (text_signature, image_hash) in enumerate(queries):
        probe = _probe(text_signature, image_hash, radius, min_similarity)
        if probe:
            keys, weights = [key for key, _weight in probe], [weight for _key, weight in probe]
            for _number, fingerprint_id, texts, *row in _candidates(keys, [number] * len(keys), weights, least,
                                                                     source_list):
                found[number][fingerprint_id] = texts > 0
                if row:
                    rows[fingerprint_id] = tuple(row[:-1])
                    if row[-1] is not None:
                        signatures[fingerprint_id] = json.loads(row[-1]) if isinstance(row[-1], str) else row[-1]
    wanted = {fingerprint_id for candidates in found for fingerprint_id in candidates}
    if not wanted:
        return [[] for _ in queries]
    if connection.vendor != "postgresql":
        rows = {row[0]: row for row in _load(sorted(wanted), source_list)}
        signatures = _signatures(sorted({fingerprint_id for candidates in found
                                         for fingerprint_id, by_text in candidates.items() if by_text and
                                         fingerprint_id in rows}))
    return [_matches(text_signature, image_hash, candidates, rows, signatures, radius, min_similarity)
            for (text_signature, image_hash), candidates in zip(queries, found, strict=True)]


def _probe(text_signature: list[int], image_hash: int | None, radius: int | None,
           min_similarity: float | None) -> list[tuple[int, int]]:
    """(key, weight) of one listing's probe: its image bands and their neighbours, its text bands (weight -1)."""
    probe: list[tuple[int, int]] = []
    if image_hash is not None and radius is not None:
        exact, exact_weight = set(image_keys(image_hash)), _weights(radius)[0]
        probe += [(key, exact_weight if key in exact else 1) for key in image_probe_keys(image_hash, radius)]
    if min_similarity is not None:
        probe += [(key, -1) for key in text_keys(text_signature)]
    return probe


def _matches(text_signature: list[int], image_hash: int | None, candidates: dict[int, bool], rows: dict[int, tuple],
             signatures: dict[int, list[int]], radius: int | None, min_similarity: float | None) -> list[Match]:
    """The candidates that are within the radius or above the similarity, measured exactly."""
    matches = []
    for fingerprint_id in sorted(candidates):
        if fingerprint_id not in rows:
            continue
        _id, source, right_id, seller_id, group, listing_id, decision_id, stored_hash = rows[fingerprint_id]
        measured = None
        if candidates[fingerprint_id] and min_similarity is not None:
            measured = similarity(text_signature, signatures.get(fingerprint_id, []))
            if measured < min_similarity:
                measured = None
        found_distance = None
        if image_hash is not None and radius is not None and stored_hash is not None:
            found_distance = image_distance(image_hash, stored_hash)
            if found_distance > radius:
                found_distance = None
        if found_distance is not None or measured is not None:
            matches.append(Match(fingerprint_id, source, right_id, seller_id, group, listing_id, decision_id,
                                 found_distance, measured))
    return matches


# PostgreSQL gets the search as SQL with one array parameter per list (the probe keys of one listing and their
# weights: exact / neighbour as in the module docstring, -1 for a text band): building it through the ORM,
# with ~100 parameters per listing bound one by one, cost more CPU than the database's work
# (bench/screening.py). The `= ANY` keeps the index-only scan of fingerprint_key; the join to the unnested
# arrays tells each row's weight. Other databases (the unit tests' SQLite) use the ORM, with the same rule.
_FIELDS = ("id", "source", "right_id", "seller_id", "account_group", "listing_id", "decision_id", "image_hash")
# The candidates with their rows (of the sources asked) and, for those sharing a text band, text signatures.
_CANDIDATES_SQL = f"""
WITH c AS (
SELECT k.fingerprint_id, COUNT(*) FILTER (WHERE p.weight < 0) AS texts
FROM {FingerprintKey._meta.db_table} k
JOIN unnest(%(keys)s::bigint[], %(weights)s::int[]) AS p(key, weight) ON p.key = k.key
WHERE k.key = ANY(%(keys)s::bigint[])
GROUP BY k.fingerprint_id
HAVING COUNT(*) FILTER (WHERE p.weight < 0) > 0
    OR (%(least)s::int IS NOT NULL AND SUM(GREATEST(p.weight, 0)) >= %(least)s::int)
)
SELECT %(owner)s::int, c.fingerprint_id, c.texts, {', '.join('f.' + name for name in _FIELDS)},
       CASE WHEN c.texts > 0 THEN f.text_signature END
FROM c JOIN {Fingerprint._meta.db_table} f ON f.id = c.fingerprint_id
WHERE f.source = ANY(%(sources)s::text[])
"""
_LOAD_SQL = (f"SELECT {', '.join(_FIELDS)} FROM {Fingerprint._meta.db_table} "
             "WHERE id = ANY(%s::bigint[]) AND source = ANY(%s::text[])")
_SIGNATURES_SQL = f"SELECT id, text_signature FROM {Fingerprint._meta.db_table} WHERE id = ANY(%s::bigint[])"


def _candidates(keys: list[int], owners: list[int], weights: list[int], least: int | None,
                sources: list[str]) -> list[tuple]:
    """(query number, fingerprint id, text bands shared) of the fingerprints worth loading; on PostgreSQL followed
    by the fingerprint's _FIELDS and its text signature (None unless it shares a text band), for the sources
    asked only."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_CANDIDATES_SQL, {"owner": owners[0], "keys": keys, "weights": weights, "least": least,
                                             "sources": sources})
            return cursor.fetchall()
    # One query of the batch (find_many loops on other databases): the weights as a CASE over the key lists.
    by_weight: dict[int, list[int]] = {}
    for key, weight in zip(keys, weights, strict=True):
        by_weight.setdefault(weight, []).append(key)
    text = by_weight.get(-1, [])
    gain = Case(*(When(key__in=group, then=Value(max(weight, 0))) for weight, group in by_weight.items()),
                default=Value(0))
    grouped = FingerprintKey.objects.filter(key__in=keys).values("fingerprint_id").annotate(
        gain=Sum(gain), texts=Count("key", filter=Q(key__in=text)),  # "key", not "pk": an index-only scan
    ).filter(Q(texts__gt=0) | Q(gain__gte=least) if least is not None else Q(texts__gt=0))
    return [(0, fingerprint_id, texts) for fingerprint_id, texts in grouped.values_list("fingerprint_id", "texts")]


def _load(ids: list[int], sources: list[str]) -> list[tuple]:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_LOAD_SQL, [ids, sources])
            return cursor.fetchall()
    return list(Fingerprint.objects.filter(id__in=ids, source__in=sources).values_list(*_FIELDS))


def _signatures(ids: list[int]) -> dict[int, list[int]]:
    if not ids:
        return {}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_SIGNATURES_SQL, [ids])
            # Django has psycopg hand jsonb over as text (JSONField decodes it): so here too.
            return {fingerprint_id: json.loads(value) if isinstance(value, str) else value
                    for fingerprint_id, value in cursor.fetchall()}
    return dict(Fingerprint.objects.filter(id__in=ids).values_list("id", "text_signature"))


def reference(evidence: Evidence, right: Right, now: datetime) -> Fingerprint | None:
    """The fingerprint of a picture of the genuine product (an Evidence of kind REFERENCE_IMAGE of the right),
    made once per file; None when the file is no raster picture or cannot be read."""
    existing = Fingerprint.objects.filter(evidence=evidence, source=FingerprintSource.REFERENCE).first()
    if existing is not None:
        return existing
    try:
        with evidence.file.open("rb") as opened:
            data = opened.read()
    except (OSError, ValueError):
        return None
    image_hash = perceptual_hash(data)
    if image_hash is None:
        return None
    return record(source=FingerprintSource.REFERENCE, created_at=now, text_signature=[], image_hash=image_hash,
                  evidence=evidence, right=right)
