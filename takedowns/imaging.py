"""Perceptual hashes of pictures (listing images, pictures of the genuine product): two pictures that look
alike (resized, recompressed, slightly cropped or recoloured) get 64-bit hashes a few bits apart, which
the reference-image rule and stay-down compare by Hamming distance (takedowns/staydown.py)."""

import io

import imagehash
from PIL import Image, UnidentifiedImageError

# Pictures larger than this are not hashed (a decompression bomb, or not a product picture).
MAX_PIXELS = 40_000_000


def perceptual_hash(data: bytes) -> int | None:
    """The picture's 64-bit DCT hash (imagehash.phash) as a signed integer (a PostgreSQL bigint), or None
    for what Pillow cannot read as a raster picture (SVG, a PDF, a damaged file)."""
    try:
        with Image.open(io.BytesIO(data)) as picture:
            if picture.width * picture.height > MAX_PIXELS:
                return None
            # The hash reads a 32 x 32 grey picture: a JPEG is decoded at a reduced scale (1/2 to 1/8, still at
            # least 64 x 64 pixels) in grey, ~8x faster for a listing photo (bench/screening.py); other formats
            # ignore this. The hash may differ by a bit or two from a full decode's, the same for every caller.
            picture.draft("L", (64, 64))
            value = int(str(imagehash.phash(picture)), 16)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    return value - (1 << 64) if value >= 1 << 63 else value


def distance(first: int, second: int) -> int:
    """The Hamming distance of two hashes as perceptual_hash returns them."""
    return ((first ^ second) & 0xFFFFFFFFFFFFFFFF).bit_count()
