"""Perceptual hashes of pictures (listing images, pictures of the genuine product): two pictures that look
alike (resized, recompressed, slightly cropped or recoloured) get 64-bit hashes a few bits apart, which
the reference-image rule and stay-down compare by Hamming distance (takedowns/staydown.py)."""

import hashlib
import io
import threading
from collections import OrderedDict

import imagehash
from PIL import Image, UnidentifiedImageError

# Pictures larger than this are not hashed (a decompression bomb, or not a product picture).
MAX_PIXELS = 40_000_000
# Marketplaces reuse pictures (a seller's catalogue, a product's photo in many listings): the hashes of the
# last RECENT pictures are kept per process by the digest of their bytes (a BLAKE2 of a 50 kB photo costs
# ~0.05 ms, decoding and hashing it 0.3 ms to several ms; bench/screening_paths.py). Bytes, not paths or URLs:
# a changed picture under the same name is hashed anew.
RECENT = 4096
_recent: "OrderedDict[bytes, int | None]" = OrderedDict()
_recent_lock = threading.Lock()  # the worker and `make run` use threads


def perceptual_hash(data: bytes) -> int | None:
    """The picture's 64-bit DCT hash (imagehash.phash) as a signed integer (a PostgreSQL bigint), or None
    for what Pillow cannot read as a raster picture (SVG, a PDF, a damaged file). The same bytes give the
    same hash, from this process's recent pictures when they are among them."""
    digest = hashlib.blake2b(data, digest_size=16).digest()
    with _recent_lock:
        if digest in _recent:
            _recent.move_to_end(digest)
            return _recent[digest]
    value = _hash(data)
    with _recent_lock:
        _recent[digest] = value
        if len(_recent) > RECENT:
            _recent.popitem(last=False)
    return value


def forget_recent() -> None:
    """Drop this process's recent pictures (tests)."""
    with _recent_lock:
        _recent.clear()


def _hash(data: bytes) -> int | None:
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
