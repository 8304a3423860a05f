"""The demo product pictures (seeds/make_product_pictures.py): the products' pictures lie far apart by perceptual
hash, and each copy a counterfeiter would make (resized, recompressed, recoloured, cropped) lies close to its
original: what the reference-image rule and stay-down tell apart."""

from itertools import combinations
from pathlib import Path

from takedowns.imaging import distance, perceptual_hash
from takedowns.marketplace import DEMO_PRODUCTS, PICTURE_VARIANTS, demo_pictures, product_picture

STATIC = Path(__file__).resolve().parents[2] / "static"


def hashes() -> dict[str, int]:
    return {path: perceptual_hash((STATIC / path).read_bytes()) for path in demo_pictures()}


def test_every_picture_is_there_small_and_hashable():
    found = hashes()
    assert len(found) == 40 and None not in found.values()
    assert max((STATIC / path).stat().st_size for path in found) < 20_000


def test_the_products_differ_by_more_than_20_bits():
    found = hashes()
    closest = min(distance(found[product_picture(a)], found[product_picture(b)])
                  for a, b in combinations(DEMO_PRODUCTS, 2))
    assert closest > 20


def test_each_copy_is_within_a_few_bits_of_its_original_and_far_from_the_others():
    found = hashes()
    for product in DEMO_PRODUCTS:
        for variant in PICTURE_VARIANTS:
            copy = found[product_picture(product, variant)]
            assert distance(copy, found[product_picture(product)]) <= 8, (product, variant)
            assert min(distance(copy, found[product_picture(other)]) for other in DEMO_PRODUCTS
                       if other != product) > 16, (product, variant)
