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
shared by ~15 random ones, so 68 keys return ~1,000 index rows; only few are loaded, by a second pigeonhole
step on the rows (candidates()): for r <= 6, a hash within r either equals the query on a band, or differs on
every band by at least 1 and (the four differences summing to at most 6) by at most 1 on at least two bands.
So a fingerprint is loaded only if one of its bands matched exactly or two matched within a bit (r = 7: one
within a bit). Every hash within r is among the candidates, and the exact distance is computed on them: the
result is exactly a brute-force scan's (tests/screening). Radii above 7 are refused (the admin allows at most
7; a larger one would need 2-bit neighbours).

Text: locality-sensitive hashing of the 32 MinHash values (screening/text.signature): 10 bands of 3 values
(the last 2 values unused), each band hashed to 48 bits. A listing whose shingles overlap a removed one's with
Jaccard similarity s shares at least one band with probability 1 - (1 - s^3)^10: 0.985 at s = 0.7, 0.9992 at
0.8 (8 bands of 4 values would miss 11 % at 0.7). Candidates are then compared on all 32 values (similarity).

A search is one query on the index (FingerprintKey.objects.filter(key__in=keys), an index-only scan of
fingerprint_key), then, when there are candidates, one query loading them by primary key.
"""

import hashlib
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

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


def image_candidates(rows: Iterable[tuple[int, int]], image_hash: int, radius: int) -> set[int]:
    """The fingerprints among the index rows (key, fingerprint id) of image_probe_keys(image_hash, radius) that
    can be within `radius` bits: a band equal, or (neighbours) enough bands within a bit (module docstring)."""
    exact = set(image_keys(image_hash))
    needed = 1 if radius >= MAX_RADIUS else 2
    found: set[int] = set()
    near: dict[int, set[int]] = {}
    for key, fingerprint_id in rows:
        if key in exact:
            found.add(fingerprint_id)
        elif key >> 60 == IMAGE:
            near.setdefault(fingerprint_id, set()).add((key >> 48) & 0xFFF)
    return found | {fingerprint_id for fingerprint_id, positions in near.items() if len(positions) >= needed}


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
    """The listing's text as stay-down compares it: title, description and attribute values, normalised."""
    return normalise(" ".join(text for _field, text in listing_fields(title, description, attributes)))


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
    probe = []
    if image_hash is not None and radius is not None:
        probe += image_probe_keys(image_hash, radius)
    text = text_keys(text_signature) if min_similarity is not None else []
    probe += text
    if not probe:
        return []
    text_set = set(text)
    rows = list(FingerprintKey.objects.filter(key__in=probe).values_list("key", "fingerprint_id"))
    text_candidates = {fingerprint_id for key, fingerprint_id in rows if key in text_set}
    by_image = (image_candidates(rows, image_hash, radius) if image_hash is not None and radius is not None
                else set())
    wanted = by_image | text_candidates
    if not wanted:
        return []
    matches = []
    loaded = Fingerprint.objects.filter(id__in=wanted, source__in=list(sources)).values_list(
        "id", "source", "right_id", "seller_id", "account_group", "listing_id", "decision_id", "text_signature",
        "image_hash")
    for (fingerprint_id, source, right_id, seller_id, group, listing_id, decision_id, stored_signature,
         stored_hash) in loaded:
        measured = similarity(text_signature, stored_signature) if fingerprint_id in text_candidates else None
        if measured is not None and (min_similarity is None or measured < min_similarity):
            measured = None
        found_distance = None
        if fingerprint_id in by_image and stored_hash is not None and image_hash is not None and radius is not None:
            found_distance = image_distance(image_hash, stored_hash)
            if found_distance > radius:
                found_distance = None
        if found_distance is None and measured is None:
            continue
        matches.append(Match(fingerprint_id, source, right_id, seller_id, group, listing_id, decision_id,
                             found_distance, measured))
    matches.sort(key=lambda match: match.fingerprint_id)
    return matches


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
