"""The screening engine's rules, each: it fires, it does not at its threshold's boundary, a disabled rule never
fires, an authorised seller publishes; and the outcome is the most severe hit's."""

from unittest import mock

import pytest

from takedowns.enums import FingerprintSource, ScreeningOutcome
from takedowns.models import Listing, ScreeningRule, Seller
from takedowns.screening import engine, fingerprints
from takedowns.screening.engine import Hit
from takedowns.staydown import fingerprint_removal
from tests.factories import protected_right, submitted_listing, taken_down

pytestmark = pytest.mark.django_db

HOLD, BLOCK, PUBLISH = ScreeningOutcome.HOLD, ScreeningOutcome.BLOCK, ScreeningOutcome.PUBLISH
GENUINE = 0x0123_4567_89AB_CDEF


def tune(code: str, **fields) -> None:
    ScreeningRule.objects.filter(code=code).update(**fields)
    engine.forget()


def screen(listing, image_hash: int | None = None):
    """engine.screen with the listing's picture hashing to `image_hash` (None: no picture)."""
    with mock.patch("takedowns.screening.engine.perceptual_hash", return_value=image_hash):
        return engine.screen(listing, b"picture" if image_hash is not None else None)


def flip(value: int, bits: int) -> int:
    """`value` with its lowest `bits` bits flipped (as a signed 64-bit hash)."""
    flipped = (value ^ ((1 << bits) - 1)) & 0xFFFFFFFFFFFFFFFF
    return flipped - (1 << 64) if flipped >= 1 << 63 else flipped


def rules_of(verdict) -> list[str]:
    return [hit.rule for hit in verdict.hits]


@pytest.fixture
def acme(catalogue):
    return Seller.objects.get(external_id="S-1")


@pytest.fixture
def bright_seller(catalogue):
    return Seller.objects.get(external_id="S-2")


# --- No hit publishes. ---

def test_a_listing_naming_no_brand_is_published(acme):
    protected_right(["Nike"])
    verdict = screen(submitted_listing(acme, "Running shoes, size 42", "Barely worn."))
    assert verdict == engine.Verdict(outcome=PUBLISH, hits=(), image_hash=None)


def test_a_plain_mention_of_the_brand_is_no_hit(acme):
    # Resale of genuine goods: naming the brand is not a sign of a fake by itself.
    protected_right(["Nike"])
    verdict = screen(submitted_listing(acme, "Nike Air Max 90", "Genuine, with receipt.", attributes={"brand": "NIKE"}))
    assert verdict.outcome == PUBLISH and verdict.hits == ()


# --- brand_term ---

@pytest.mark.parametrize(("title", "field"), [("N1ke Air Max", "title"), ("Air Max by N.i.k.e", "title"),
                                              ("Niiike trainers", "title"), ("Nіkе running", "title")])
def test_brand_term_fires_for_the_brand_disguised(acme, title, field):
    right = protected_right(["Nike"])
    verdict = screen(submitted_listing(acme, title))
    assert verdict.outcome == HOLD
    assert verdict.hits == (Hit("brand_term", HOLD, right.pk, "Nike", field),)


def test_brand_term_reads_the_description_and_attribute_values(acme):
    right = protected_right(["Nike"])
    verdict = screen(submitted_listing(acme, "Trainers", "Like N-I-K-E", attributes={"maker": "Adidas"}))
    assert verdict.hits == (Hit("brand_term", HOLD, right.pk, "Nike", "description"),)
    verdict = screen(submitted_listing(acme, "Trainers", attributes={"brand": "N1KE", "N1ke": "label only"}))
    assert verdict.hits == (Hit("brand_term", HOLD, right.pk, "Nike", "attribute:brand"),)


def test_brand_term_does_not_match_inside_a_word(acme):
    protected_right(["Nike"])
    assert screen(submitted_listing(acme, "Snikers chocolate, N1kelodeon DVD")).hits == ()


def test_brand_term_of_a_right_not_verified_never_fires(acme):
    protected_right(["Nike"], status="pending")
    protected_right(["Puma"], number="EU-2", status="withdrawn")
    assert screen(submitted_listing(acme, "N1ke and Pum@ shoes")).hits == ()


def test_brand_term_disabled_never_fires(acme):
    protected_right(["Nike"])
    tune("brand_term", enabled=False)
    assert screen(submitted_listing(acme, "N1ke Air Max")).outcome == PUBLISH


def test_brand_term_from_an_authorised_seller_publishes(acme, bright_seller):
    protected_right(["Nike"], authorised=[acme])
    assert screen(submitted_listing(acme, "N1ke Air Max")).outcome == PUBLISH
    assert screen(submitted_listing(bright_seller, "N1ke Air Max")).outcome == HOLD


def test_brand_term_outcome_is_the_rules(acme):
    protected_right(["Nike"])
    tune("brand_term", outcome=BLOCK)
    assert screen(submitted_listing(acme, "N1ke Air Max")).outcome == BLOCK


# --- low_price: below threshold x price_min, same currency. ---

def test_low_price_fires_below_the_share_of_the_lowest_genuine_price(acme):
    right = protected_right(["Nike"], price_min="100.00")
    verdict = screen(submitted_listing(acme, "Nike Air Max", price="49.99"))
    assert verdict.outcome == HOLD
    assert verdict.hits == (Hit("low_price", HOLD, right.pk, "Nike", "title", measure=0.4999),)


def test_low_price_does_not_fire_at_the_threshold(acme):
    protected_right(["Nike"], price_min="100.00")
    assert screen(submitted_listing(acme, "Nike Air Max", price="50.00")).hits == ()


def test_low_price_compares_only_in_the_rights_currency(acme):
    protected_right(["Nike"], price_min="100.00", currency="EUR")
    assert screen(submitted_listing(acme, "Nike Air Max", price="10.00", currency="GBP")).hits == ()


def test_low_price_needs_the_brand_named(acme):
    protected_right(["Nike"], price_min="100.00")
    assert screen(submitted_listing(acme, "Running shoes", price="10.00")).hits == ()


def test_low_price_counts_a_genuine_picture_as_naming_the_brand(acme, now):
    right = protected_right(["Nike"], price_min="100.00")
    picture = fingerprints.record(source=FingerprintSource.REFERENCE, created_at=now, text_signature=[],
                                  image_hash=GENUINE, right=right)
    tune("reference_image", enabled=False)
    verdict = screen(submitted_listing(acme, "Running shoes", price="10.00"), flip(GENUINE, 2))
    assert verdict.hits == (Hit("low_price", HOLD, right.pk, "", "image", measure=0.1),)
    assert picture is not None


def test_low_price_disabled_never_fires(acme):
    protected_right(["Nike"], price_min="100.00")
    tune("low_price", enabled=False)
    assert screen(submitted_listing(acme, "Nike Air Max", price="1.00")).hits == ()


def test_low_price_from_an_authorised_seller_publishes(acme):
    protected_right(["Nike"], price_min="100.00", authorised=[acme])
    assert screen(submitted_listing(acme, "Nike Air Max", price="1.00")).outcome == PUBLISH


# --- reference_image: within max_distance bits of a verified right's genuine picture. ---

@pytest.fixture
def genuine(now):
    right = protected_right(["Nike"])
    fingerprint = fingerprints.record(source=FingerprintSource.REFERENCE, created_at=now, text_signature=[],
                                      image_hash=GENUINE, right=right)
    return right, fingerprint


def test_reference_image_fires_within_max_distance(acme, genuine):
    right, fingerprint = genuine
    verdict = screen(submitted_listing(acme, "Running shoes"), flip(GENUINE, 6))
    assert verdict.outcome == HOLD
    assert verdict.hits == (Hit("reference_image", HOLD, right.pk, "", "image", fingerprint.pk, 6.0),)
    assert verdict.image_hash == flip(GENUINE, 6)


def test_reference_image_does_not_fire_one_bit_beyond(acme, genuine):
    assert screen(submitted_listing(acme, "Running shoes"), flip(GENUINE, 7)).hits == ()
    tune("reference_image", max_distance=2)
    assert screen(submitted_listing(acme, "Running shoes"), flip(GENUINE, 3)).hits == ()
    assert rules_of(screen(submitted_listing(acme, "Running shoes"), flip(GENUINE, 2))) == ["reference_image"]


def test_reference_image_of_a_withdrawn_right_never_fires(acme, genuine):
    right, _ = genuine
    right.status = "withdrawn"
    right.save()
    assert screen(submitted_listing(acme, "Running shoes"), GENUINE).hits == ()


def test_reference_image_disabled_never_fires(acme, genuine):
    tune("reference_image", enabled=False)
    assert screen(submitted_listing(acme, "Running shoes"), GENUINE).hits == ()


def test_reference_image_from_an_authorised_seller_publishes(acme, genuine):
    right, _ = genuine
    right.authorised_sellers.add(acme)
    assert screen(submitted_listing(acme, "Running shoes"), GENUINE).outcome == PUBLISH


# --- unauthorised_seller: the right names authorised sellers; this one is not. ---

def test_unauthorised_seller_fires_for_a_seller_not_among_the_authorised(acme, bright_seller):
    right = protected_right(["Nike"], authorised=[acme])
    verdict = screen(submitted_listing(bright_seller, "Nike Air Max"))
    assert verdict.hits == (Hit("unauthorised_seller", HOLD, right.pk, "Nike", "title"),)


def test_unauthorised_seller_does_not_fire_without_authorised_sellers(bright_seller):
    protected_right(["Nike"])
    assert screen(submitted_listing(bright_seller, "Nike Air Max")).hits == ()


def test_unauthorised_seller_does_not_fire_without_the_brand(acme, bright_seller):
    protected_right(["Nike"], authorised=[acme])
    assert screen(submitted_listing(bright_seller, "Running shoes")).hits == ()


def test_unauthorised_seller_disabled_never_fires(acme, bright_seller):
    protected_right(["Nike"], authorised=[acme])
    tune("unauthorised_seller", enabled=False)
    assert screen(submitted_listing(bright_seller, "Nike Air Max")).hits == ()


def test_unauthorised_seller_authorised_seller_publishes(acme):
    protected_right(["Nike"], authorised=[acme])
    assert screen(submitted_listing(acme, "Nike Air Max")).outcome == PUBLISH


def test_authorised_for_one_right_is_not_authorised_for_another(acme, bright_seller):
    protected_right(["Nike"], authorised=[acme])
    puma = protected_right(["Puma"], number="EU-2", authorised=[bright_seller])
    verdict = screen(submitted_listing(acme, "Nike and Puma shoes"))
    assert verdict.hits == (Hit("unauthorised_seller", HOLD, puma.pk, "Puma", "title"),)


# --- Stay-down: like a removal in force; same seller or linked account blocks, another seller is held. ---

TITLE = "Air Max 90 trainers white red, size 42, worn twice"
DESCRIPTION = "Comfortable running shoes in the original box with the receipt from the shop."


@pytest.fixture
def removed(catalogue, now, reviewers):
    """L-100001 (Acme) with the text above, removed on a notice and fingerprinted (its picture hashes to
    GENUINE)."""
    Listing.objects.filter(external_id="L-100001").update(title=TITLE, description=DESCRIPTION)
    with mock.patch("takedowns.staydown.perceptual_hash", return_value=GENUINE), \
            mock.patch("takedowns.marketplace.LocalCatalogue.listing_picture", return_value=b"picture"):
        decision = taken_down(now, "L-100001")  # fingerprinted as it comes down (enforcement.record_takedown)
        fingerprint = fingerprint_removal(decision, now)
    return decision, fingerprint


def test_staydown_same_seller_blocks_the_same_text(acme, removed):
    _, fingerprint = removed
    verdict = screen(submitted_listing(acme, TITLE, DESCRIPTION))
    assert verdict.outcome == BLOCK
    assert verdict.hits == (Hit("staydown_same_seller", BLOCK, None, "", "text", fingerprint.pk, 1.0),)


def test_staydown_same_seller_blocks_the_same_picture_within_max_distance(acme, removed):
    _, fingerprint = removed
    verdict = screen(submitted_listing(acme, "Something else entirely"), flip(GENUINE, 6))
    assert verdict.hits == (Hit("staydown_same_seller", BLOCK, None, "", "image", fingerprint.pk, 6.0),)
    assert screen(submitted_listing(acme, "Something else entirely"), flip(GENUINE, 7)).hits == ()


def test_staydown_text_similarity_threshold_boundary(acme, removed):
    _, fingerprint = removed
    listing = submitted_listing(acme, TITLE, "Brand new in a box, never worn at all, a gift.")
    measured = fingerprints.find(fingerprints.listing_signature(listing.title, listing.description, {}), None,
                                 radius=None, min_similarity=0.0)[0].similarity
    assert 0 < measured < 1
    tune("staydown_same_seller", threshold=measured)
    assert rules_of(screen(listing)) == ["staydown_same_seller"]
    tune("staydown_same_seller", threshold=measured + 1 / 32)
    assert screen(listing).hits == ()


def test_staydown_account_linked_since_the_removal_counts_as_the_same_seller(acme, bright_seller, removed):
    Seller.objects.filter(pk__in=[acme.pk, bright_seller.pk]).update(account_group="G-7")
    bright_seller.refresh_from_db()
    assert rules_of(screen(submitted_listing(bright_seller, TITLE, DESCRIPTION))) == ["staydown_same_seller"]


def test_staydown_account_linked_at_the_removal_counts_as_the_same_seller(acme, bright_seller, now):
    # The fingerprint keeps the group the removed listing's seller had; the seller has left it since.
    fingerprints.record(source=FingerprintSource.REMOVAL, created_at=now, image_hash=GENUINE, text_signature=[],
                        seller=acme, account_group="G-7")
    Seller.objects.filter(pk=bright_seller.pk).update(account_group="G-7")
    bright_seller.refresh_from_db()
    assert rules_of(screen(submitted_listing(bright_seller, "Other words"), GENUINE)) == ["staydown_same_seller"]
    Seller.objects.filter(pk=bright_seller.pk).update(account_group="G-8")
    bright_seller.refresh_from_db()
    assert rules_of(screen(submitted_listing(bright_seller, "Other words"), GENUINE)) == ["staydown_other_seller"]


def test_staydown_other_seller_is_held(bright_seller, removed):
    _, fingerprint = removed
    verdict = screen(submitted_listing(bright_seller, TITLE, DESCRIPTION))
    assert verdict.outcome == HOLD
    assert verdict.hits == (Hit("staydown_other_seller", HOLD, None, "", "text", fingerprint.pk, 1.0),)


def test_staydown_other_seller_has_its_own_bars(bright_seller, removed):
    # Its default max distance is 4: a picture 5 bits away from another seller's is not held, 4 is.
    assert screen(submitted_listing(bright_seller, "Other words"), flip(GENUINE, 5)).hits == ()
    assert rules_of(screen(submitted_listing(bright_seller, "Other words"), flip(GENUINE, 4))) == [
        "staydown_other_seller"]


def test_staydown_rules_disabled_never_fire(acme, bright_seller, removed):
    tune("staydown_same_seller", enabled=False)
    tune("staydown_other_seller", enabled=False)
    assert screen(submitted_listing(acme, TITLE, DESCRIPTION), GENUINE).hits == ()
    assert screen(submitted_listing(bright_seller, TITLE, DESCRIPTION), GENUINE).hits == ()


def test_staydown_same_seller_disabled_does_not_fall_back_to_other_seller(acme, removed):
    tune("staydown_same_seller", enabled=False)
    assert screen(submitted_listing(acme, TITLE, DESCRIPTION)).hits == ()


def test_staydown_ignores_a_removal_no_longer_in_force(acme, removed, now):
    decision, _ = removed
    decision.reversed_at = now
    decision.save()
    assert screen(submitted_listing(acme, TITLE, DESCRIPTION), GENUINE).hits == ()


def test_staydown_applies_to_an_authorised_seller_too(acme, removed):
    # Authorisation exempts from the brand rules, not from putting a removed listing back.
    protected_right(["Air Max"], authorised=[acme])
    assert screen(submitted_listing(acme, TITLE, DESCRIPTION)).outcome == BLOCK


# --- The outcome is the most severe hit's. ---

def test_the_most_severe_hit_decides(acme, removed):
    right = protected_right(["Nike"])
    verdict = screen(submitted_listing(acme, TITLE, DESCRIPTION + " N1ke."))
    assert rules_of(verdict) == ["brand_term", "staydown_same_seller"]
    assert verdict.outcome == BLOCK
    assert verdict.hits[0].right_id == right.pk


def test_a_rule_set_to_publish_records_its_hit_and_publishes(acme):
    protected_right(["Nike"])
    tune("brand_term", outcome=PUBLISH)
    verdict = screen(submitted_listing(acme, "N1ke Air Max"))
    assert verdict.outcome == PUBLISH and rules_of(verdict) == ["brand_term"]


def test_an_unreadable_picture_is_screened_without_an_image_hash(acme):
    verdict = engine.screen(submitted_listing(acme, "Running shoes"), b"<svg/>")
    assert verdict == engine.Verdict(outcome=PUBLISH, hits=(), image_hash=None)


# --- A batch (a bulk import) gets the verdicts one listing at a time would. ---

def test_screen_many_gives_each_listing_its_own_verdict(acme, bright_seller, removed, now):
    nike = protected_right(["Nike"], price_min="100.00", authorised=[bright_seller])
    fingerprints.record(source=FingerprintSource.REFERENCE, created_at=now, text_signature=[],
                        image_hash=flip(GENUINE, 60), right=nike)
    Seller.objects.filter(pk=bright_seller.pk).update(account_group="G-1")
    bright_seller.refresh_from_db()
    batch = [(submitted_listing(acme, "N1ke Air", price="10.00"), None),
             (submitted_listing(bright_seller, "N1ke Air", price="10.00"), None),
             (submitted_listing(acme, TITLE, DESCRIPTION), None),
             (submitted_listing(bright_seller, TITLE, DESCRIPTION), None),
             (submitted_listing(acme, "Plain shoes"), flip(GENUINE, 62)),
             (submitted_listing(acme, "Plain shoes"), None)]
    with mock.patch("takedowns.screening.engine.perceptual_hash", side_effect=lambda picture: picture):
        together = engine.screen_many([(listing, image_hash) for listing, image_hash in batch])
        alone = [engine.screen(listing, image_hash) for listing, image_hash in batch]
    assert together == alone
    assert [verdict.outcome for verdict in together] == [HOLD, PUBLISH, BLOCK, HOLD, HOLD, PUBLISH]
    assert [rules_of(verdict) for verdict in together] == [
        ["brand_term", "low_price", "unauthorised_seller"], [], ["staydown_same_seller"], ["staydown_other_seller"],
        ["reference_image", "unauthorised_seller"], []]


def test_screen_many_reads_the_database_once_per_batch(acme, bright_seller, removed, django_assert_max_num_queries):
    protected_right(["Nike"], authorised=[bright_seller])
    batch = [(submitted_listing(acme if number % 2 else bright_seller, f"N1ke {TITLE}", DESCRIPTION), None)
             for number in range(20)]
    batch = [(Listing.objects.select_related("seller").get(pk=listing.pk), picture) for listing, picture in batch]
    engine.screen_many(batch[:1])  # rules and automaton cached
    # SQLite: the fingerprint search runs per listing (1 to 3 queries each); the rest once per batch.
    with django_assert_max_num_queries(2 + 2 + 3 * len(batch)):
        verdicts = engine.screen_many(batch)
    assert {verdict.outcome for verdict in verdicts} == {BLOCK, HOLD}
