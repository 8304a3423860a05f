"""Brand terms: normalised text meets the normalised terms on word boundaries; a match only normalisation
reveals is disguised; the process's automaton follows the protection list."""

from unittest import mock

import pytest
from django.core.cache import cache

from takedowns.enums import RightStatus
from takedowns.models import ProtectedTerm, Right
from takedowns.screening import protection, terms
from takedowns.screening.terms import TermHit
from takedowns.screening.text import normalise
from tests.factories import protected_right


@pytest.mark.parametrize(("text", "expected"), [
    ("N1KE", "nike"), ("N.i.k.e", "nike"), ("n i k e", "nike"), ("Ｎｉｋｅ", "nike"), ("Nіkе", "nike"),
    ("NIIIKE", "nike"), ("Nïke", "nike"), ("adid@s", "adidas"), ("Air Max 90", "air max 90"),
    ("N\u200bike", "nike"), ("LOUIS-VUITTON", "louis vuiton"),
])
def test_normalise_undoes_the_usual_obfuscations(text, expected):
    assert normalise(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Nike's AIR-max", "nike s air max"), ("Hermès", "hermes"), ("N1ke", "n1ke"), ("Nіkе", "nіkе"),
    ("Ｎｉｋｅ", "ｎｉｋｅ"), ("N.i.k.e", "n i k e"),
])
def test_plain_is_case_accents_and_punctuation_only(text, expected):
    assert terms.plain(text) == expected


@pytest.mark.django_db
class TestFind:
    def test_terms_match_whole_words_and_say_whether_disguised(self):
        right = protected_right(["Nike", "Air Max"])
        found = terms.find([("title", "NIKE Air-Max"), ("description", "by N1ke"), ("attribute:x", "snike")])
        assert found == [TermHit(right.pk, "Air Max", "air max", "title", False),
                         TermHit(right.pk, "Nike", "nike", "title", False),
                         TermHit(right.pk, "Nike", "nike", "description", True)]

    def test_fields_normalised_by_the_caller_give_the_same_hits(self):
        protected_right(["Nike", "Puma"])
        fields = [("title", "N1ke and Puma"), ("description", "PUMA, N.I.K.E"), ("attribute:brand", "Nike")]
        assert terms.find(fields, normalised=[normalise(text) for _field, text in fields]) == terms.find(fields)
        assert len(terms.find(fields)) == 5

    def test_doubled_letters_of_the_term_itself_are_plain(self):
        right = protected_right(["Gucci"])
        assert terms.find([("title", "GUCCI bag")]) == [TermHit(right.pk, "Gucci", "guci", "title", False)]
        assert terms.find([("title", "Guccci bag")]) == [TermHit(right.pk, "Gucci", "guci", "title", True)]

    def test_a_term_shared_by_two_rights_names_both(self):
        first, second = protected_right(["Nike"]), protected_right(["NIKE"], number="EU-2")
        found = terms.find([("title", "N1ke")])
        assert {(hit.right_id, hit.disguised) for hit in found} == {(first.pk, True), (second.pk, True)}

    def test_no_verified_terms_finds_nothing(self):
        protected_right(["Nike"], status=RightStatus.PENDING)
        assert terms.find([("title", "Nike")]) == []

    def test_the_automaton_is_rebuilt_after_a_right_is_verified(self, now):
        right = protected_right(["Nike"], status=RightStatus.PENDING)
        assert terms.find([("title", "N1ke")]) == []
        Right.objects.filter(pk=right.pk).update(status=RightStatus.VERIFIED)
        protection.right_verified(right, now)
        assert [hit.right_id for hit in terms.find([("title", "N1ke")])] == [right.pk]
        Right.objects.filter(pk=right.pk).update(status=RightStatus.WITHDRAWN)
        protection.right_withdrawn(right, now)
        assert terms.find([("title", "N1ke")]) == []

    def test_another_process_sees_the_change_through_the_shared_token(self):
        right = protected_right(["Nike"])
        assert len(terms.find([("title", "Nike")])) == 1
        # Another process verifies a second right: only the shared cache's token changes here.
        other = protected_right(["Puma"], number="EU-2")
        assert len(terms.find([("title", "Nike Puma")])) == 1
        cache.set(terms.VERSION_KEY, "changed elsewhere")
        assert {hit.right_id for hit in terms.find([("title", "Nike Puma")])} == {right.pk, other.pk}

    def test_a_change_behind_every_call_is_seen_within_the_database_check(self):
        protected_right(["Nike"])
        assert len(terms.find([("title", "Nike Puma")])) == 1
        protected_right(["Puma"], number="EU-2")
        assert len(terms.find([("title", "Nike Puma")])) == 1  # cached: the check runs every DB_CHECK_SECONDS
        with mock.patch.object(terms, "DB_CHECK_SECONDS", 0):
            assert len(terms.find([("title", "Nike Puma")])) == 2

    def test_a_cache_flush_rebuilds(self):
        protected_right(["Nike"])
        assert len(terms.find([("title", "Nike")])) == 1
        ProtectedTerm.objects.all().delete()
        cache.clear()
        assert terms.find([("title", "Nike")]) == []

    def test_many_terms_in_one_automaton(self):
        # Words of consonant-vowel syllables: no digit, no doubled letter (normalise keeps them as they are).
        syllables = [consonant + vowel for consonant in "bcdfghjklmnprstvwxyz" for vowel in "aeiou"]
        words = [f"Zo{syllables[number // 100]}{syllables[number % 100]}" for number in range(5000)]
        right = protected_right(words)
        found = terms.find([("title", f"{words[4999].upper()} and {words[0]}")])
        assert sorted(hit.term for hit in found) == sorted([words[0], words[4999]])
        assert {hit.right_id for hit in found} == {right.pk}


def test_listing_fields_are_title_description_and_each_attribute_value():
    assert terms.listing_fields("T", "D", {"brand": "Nike", "sizes": [41, 42], "none": None}) == [
        ("title", "T"), ("description", "D"), ("attribute:brand", "Nike"), ("attribute:sizes", "41 42"),
        ("attribute:none", "")]
    long_name = terms.listing_fields("", "", {"a very long attribute name of this seller": "x"})[2][0]
    assert long_name == "attribute:a very long attribute " and len(long_name) == 32


@pytest.mark.django_db
def test_an_unreachable_cache_does_not_stop_screening(now):
    right = protected_right(["Nike"])
    with mock.patch.object(terms.cache, "get", side_effect=ConnectionError("refused")) as get, \
            mock.patch.object(terms.cache, "set", side_effect=ConnectionError("refused")):
        assert [hit.right_id for hit in terms.find([("title", "N1ke")])] == [right.pk]
        assert [hit.right_id for hit in terms.find([("title", "N1ke")])] == [right.pk]
        assert get.call_count == 1  # not asked again while paused
        protection.right_withdrawn(right, now)  # this process rebuilds at once
        Right.objects.filter(pk=right.pk).update(status=RightStatus.WITHDRAWN)
        assert terms.find([("title", "N1ke")]) == []
