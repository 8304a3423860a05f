"""The fingerprint index: the key layout, multi-index hashing that finds every picture within r bits (exactly
what a brute-force scan finds), LSH of the text, and the one writer (staydown, protection)."""

import random
import uuid
from datetime import timedelta
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from takedowns.enums import EvidenceKind, FingerprintSource
from takedowns.evidence import store
from takedowns.imaging import distance, perceptual_hash
from takedowns.models import Evidence, Fingerprint, FingerprintKey, Listing
from takedowns.screening import fingerprints, protection
from takedowns.screening.text import signature
from takedowns.staydown import fingerprint_reference, fingerprint_removal
from tests.factories import picture, protected_right, taken_down, upload

HASHES = st.integers(min_value=-(1 << 63), max_value=(1 << 63) - 1)


def signed(value: int) -> int:
    value &= 0xFFFFFFFFFFFFFFFF
    return value - (1 << 64) if value >= 1 << 63 else value


def near(value: int, bits: int, chooser: random.Random) -> int:
    """`value` with `bits` distinct random bits flipped."""
    for bit in chooser.sample(range(64), bits):
        value ^= 1 << bit
    return signed(value)


def test_key_layout_packs_kind_position_and_value():
    key = fingerprints.pack(fingerprints.TEXT, 9, (1 << 48) - 1)
    assert 0 <= key < 1 << 63
    assert fingerprints.unpack(key) == (fingerprints.TEXT, 9, (1 << 48) - 1)
    assert fingerprints.image_keys(signed(0xFFFF_0000_1234_ABCD)) == [
        fingerprints.pack(1, 0, 0xABCD), fingerprints.pack(1, 1, 0x1234), fingerprints.pack(1, 2, 0),
        fingerprints.pack(1, 3, 0xFFFF)]


def test_probes_are_4_keys_up_to_3_bits_and_68_up_to_7():
    assert [len(fingerprints.image_probe_keys(0, radius)) for radius in range(8)] == [4] * 4 + [68] * 4


def test_only_a_band_equal_or_two_bands_within_a_bit_are_candidates_up_to_6_bits():
    query = 0
    one_band_near = fingerprints.pack(1, 0, 1)  # band 0 one bit off, every other band far: > 6 bits away
    rows = [(one_band_near, 1), (fingerprints.pack(1, 0, 2), 2), (fingerprints.pack(1, 1, 4), 2),
            (fingerprints.pack(1, 3, 0), 3), (fingerprints.pack(2, 0, 5), 4)]
    assert fingerprints.image_candidates(rows, query, 6) == {2, 3}
    assert fingerprints.image_candidates(rows, query, 7) == {1, 2, 3}
    with pytest.raises(ValueError, match="radius 8"):
        fingerprints.image_probe_keys(0, 8)


@settings(max_examples=500, derandomize=True, database=None, deadline=None)
@given(query=HASHES, stored=st.lists(st.tuples(HASHES, st.integers(0, 10)), max_size=30),
       radius=st.integers(0, 7), seed=st.integers(0, 1000))
def test_multi_index_hashing_finds_exactly_what_a_scan_finds(query, stored, radius, seed):
    # The index as a dict of key -> fingerprints (the table's rows); each stored hash is random or planted
    # `bits` bits from the query (near the radius most of the time, where a miss would show).
    chooser = random.Random(seed)
    hashes = [value if bits > 8 else near(query, bits, chooser) for value, bits in stored]
    # And hashes 4-7 bits away with no band equal (one bit or more flipped in every band): the second step's case.
    for bits in range(4, 8):
        flips = [16 * band + chooser.randrange(16) for band in range(4)]
        flips += chooser.sample([bit for bit in range(64) if bit not in flips], bits - 4)
        hashes.append(signed(query ^ sum(1 << bit for bit in flips)))
    probe = set(fingerprints.image_probe_keys(query, radius))
    rows = [(key, number) for number, value in enumerate(hashes) for key in fingerprints.image_keys(value)
            if key in probe]
    candidates = fingerprints.image_candidates(rows, query, radius)
    found = {number for number in candidates if distance(query, hashes[number]) <= radius}
    assert found == {number for number, value in enumerate(hashes) if distance(query, value) <= radius}


@pytest.mark.django_db
def test_the_index_search_in_the_database_equals_a_scan(now):
    chooser = random.Random(14)
    query = signed(chooser.getrandbits(64))
    planted = [near(query, bits, chooser) for bits in range(10) for _ in range(3)]
    noise = [signed(chooser.getrandbits(64)) for _ in range(200)]
    # Random hashes sharing a band with the query: candidates that the exact distance must throw out.
    shared = [signed((chooser.getrandbits(64) & ~0xFFFF) | (query & 0xFFFF)) for _ in range(20)]
    # 4-8 bits away with no band equal: found only through neighbours (two bands within a bit for r <= 6).
    spread = []
    for bits in range(4, 9):
        flips = [16 * band + chooser.randrange(16) for band in range(4)]
        flips += chooser.sample([bit for bit in range(64) if bit not in flips], bits - 4)
        spread.append(signed(query ^ sum(1 << bit for bit in flips)))
    for value in planted + noise + shared + spread:
        fingerprints.record(source=FingerprintSource.REMOVAL, created_at=now, text_signature=[], image_hash=value)
    by_id = dict(Fingerprint.objects.values_list("id", "image_hash"))
    for radius in range(8):
        found = {match.fingerprint_id: match.distance
                 for match in fingerprints.find([], query, radius=radius, min_similarity=None)}
        assert found == {number: distance(query, value) for number, value in by_id.items()
                         if distance(query, value) <= radius}


@pytest.mark.django_db
def test_text_search_finds_near_duplicates_and_measures_them(now):
    text = "air max 90 trainers white red size 42 worn twice in the original box"
    stored = fingerprints.record(source=FingerprintSource.REMOVAL, created_at=now, text_signature=signature(text),
                                 image_hash=None)
    fingerprints.record(source=FingerprintSource.REMOVAL, created_at=now, image_hash=None,
                        text_signature=signature("garden hose with brass fittings twenty metres long"))
    matches = fingerprints.find(signature(text.replace("twice", "once")), None, radius=None, min_similarity=0.6)
    assert [match.fingerprint_id for match in matches] == [stored.pk]
    assert 0.6 <= matches[0].similarity < 1 and matches[0].distance is None
    assert fingerprints.find(signature("a completely different listing of kitchen chairs"), None, radius=None,
                             min_similarity=0.5) == []


@pytest.mark.django_db
def test_a_search_is_one_query_on_the_index_and_loads_only_candidates(now, django_assert_max_num_queries):
    fingerprints.record(source=FingerprintSource.REMOVAL, created_at=now, text_signature=signature("some text here"),
                        image_hash=12345)
    with django_assert_max_num_queries(1):
        assert fingerprints.find(signature("nothing like it at all"), -1, radius=7, min_similarity=0.7) == []
    with django_assert_max_num_queries(2):
        assert len(fingerprints.find(signature("nothing like it at all"), 12345, radius=7, min_similarity=0.7)) == 1
    with django_assert_max_num_queries(3):  # the text signatures of those sharing a text band, apart
        assert len(fingerprints.find(signature("some text here"), 12345, radius=7, min_similarity=0.7)) == 1


# --- The writer. ---

@pytest.mark.django_db
def test_fingerprint_removal_records_the_listing_once(catalogue, reviewers, now):
    Listing.objects.filter(external_id="L-100001").update(
        title="Air Max 90", description="White and red", attributes={"brand": "N1ke"},
        image="demo-listings/shoes.svg")
    png = picture(7)
    with mock.patch("takedowns.marketplace.LocalCatalogue.listing_picture", return_value=png):
        # The takedown fingerprints the listing when it comes down (enforcement.record_takedown) ...
        decision = taken_down(now, "L-100001")
        decision.refresh_from_db()
        first = Fingerprint.objects.get(decision=decision)
        # ... and a second call for the same removal finds that row instead of writing another.
        again = fingerprint_removal(decision, now + timedelta(minutes=1))
    assert again == first
    listing = Listing.objects.get(external_id="L-100001")
    assert (first.source, first.listing, first.decision, first.seller, first.account_group, first.right,
            first.image_hash, first.created_at) == (FingerprintSource.REMOVAL, listing, decision, listing.seller, "",
                                                    None, perceptual_hash(png), decision.listing_removed_at)
    assert first.text_signature == signature("air max 90 white and red nike")
    assert sorted(FingerprintKey.objects.filter(fingerprint=first).values_list("key", flat=True)) == sorted(
        fingerprints.text_keys(first.text_signature) + fingerprints.image_keys(first.image_hash))


@pytest.mark.django_db
def test_fingerprint_removal_without_a_picture_keeps_the_text(catalogue, reviewers, now):
    decision = taken_down(now, "L-100002")
    fingerprint = fingerprint_removal(decision, now)
    assert fingerprint is not None and fingerprint.image_hash is None
    assert FingerprintKey.objects.filter(fingerprint=fingerprint).count() == fingerprints.TEXT_BANDS


@pytest.mark.django_db
def test_reference_pictures_are_fingerprinted_when_the_right_is_verified(now):
    right = protected_right(["Nike"])
    genuine = _stored(right, EvidenceKind.REFERENCE_IMAGE, "shoe.png", picture(3))
    _stored(right, EvidenceKind.REFERENCE_IMAGE, "broken.png", b"\x89PNG not really")
    _stored(right, EvidenceKind.REGISTRATION_CERTIFICATE, "cert.png", picture(4))
    protection.right_verified(right, now)
    protection.right_verified(right, now)  # changed while verified: nothing fingerprinted twice
    made = Fingerprint.objects.get()
    assert (made.source, made.evidence, made.right, made.image_hash) == (
        FingerprintSource.REFERENCE, genuine, right, perceptual_hash(picture(3)))
    assert fingerprint_reference(genuine, right, now) == made
    assert FingerprintKey.objects.filter(fingerprint=made).count() == fingerprints.IMAGE_BANDS


def test_a_resized_recompressed_picture_stays_within_a_few_bits():
    original, copy = perceptual_hash(picture(11)), perceptual_hash(picture(11, size=200, fmt="JPEG"))
    assert original is not None and copy is not None
    assert distance(original, copy) <= 4
    assert distance(original, perceptual_hash(picture(12)) or 0) > 7


def _stored(right, kind: str, name: str, content: bytes) -> Evidence:
    evidence = store(uuid.uuid4(), kind, upload(name, content), "image/png")
    Evidence.objects.filter(pk=evidence.pk).update(right=right)
    return Evidence.objects.get(pk=evidence.pk)
