"""imaging.perceptual_hash keeps the hashes of recent pictures by their bytes' digest: the same bytes are decoded
once per process, other bytes (a changed picture, even under the same name) are hashed anew, and the memory is
bounded."""

import io
from unittest import mock

import pytest
from PIL import Image

from takedowns import imaging


def picture(shade: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (shade, 255 - shade, shade // 2)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture(autouse=True)
def fresh():
    imaging.forget_recent()
    yield
    imaging.forget_recent()


def test_the_same_bytes_are_hashed_once_and_give_the_same_hash():
    data = picture(10)
    with mock.patch.object(imaging, "_hash", wraps=imaging._hash) as hashed:
        first, second = imaging.perceptual_hash(data), imaging.perceptual_hash(bytes(data))
    assert first == second == imaging._hash(data)
    assert hashed.call_count == 1


def test_other_bytes_are_hashed_anew_and_unreadable_ones_stay_none():
    with mock.patch.object(imaging, "_hash", wraps=imaging._hash) as hashed:
        imaging.perceptual_hash(picture(10))
        imaging.perceptual_hash(picture(200))
        assert imaging.perceptual_hash(b"<svg/>") is None
        assert imaging.perceptual_hash(b"<svg/>") is None
    assert hashed.call_count == 3


def test_only_the_most_recent_pictures_are_kept(monkeypatch):
    monkeypatch.setattr(imaging, "RECENT", 2)
    first, second, third = picture(1), picture(2), picture(3)
    for data in (first, second, first, third):  # first used again: second is the oldest
        imaging.perceptual_hash(data)
    with mock.patch.object(imaging, "_hash", wraps=imaging._hash) as hashed:
        imaging.perceptual_hash(first)
        imaging.perceptual_hash(third)
        assert hashed.call_count == 0
        imaging.perceptual_hash(second)
        assert hashed.call_count == 1
