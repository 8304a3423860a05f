"""Listing text as screening compares it: normalised so that the usual obfuscations of a brand name
("N1KE", "N.i.k.e", "Ｎｉｋｅ", Cyrillic look-alikes, accents, doubled letters) read as the name, and
summarised as MinHash values for stay-down's near-duplicate search.

Brand terms are normalised by the same function when a right is registered (ProtectedTerm.normalised),
so a term and a listing meet in one form; changing this function means re-normalising the stored terms
(a data migration)."""

import hashlib
import re
import unicodedata

import numpy as np

# Letters of other scripts that look like Latin ones, as counterfeiters use them to dodge a word filter.
_LOOKALIKES = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ɡ": "g", "ո": "n",
    "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u",
    "χ": "x", "ß": "ss", "ø": "o", "đ": "d", "ł": "l", "æ": "ae", "œ": "oe",
})
# Digits and signs written for letters ("leetspeak"): signs between letters ("adid@s"), digits in a word that
# has letters ("n1ke") or spelled out with them ("n.1.k.e"); a number on its own ("Air Max 90") stays a number.
_LEET_SIGNS = {"$": "s", "@": "a", "!": "i", "|": "l", "€": "e"}
_SIGN_IN_WORD = re.compile(r"(?<=[^\W\d_])[$@!|€](?=[^\W_])")
_LEET_DIGITS = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t"})
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u2060\ufeff]")
_TOKEN = re.compile(r"[^\W_]+")
_REPEATS = re.compile(r"(.)\1+")


def normalise(text: str) -> str:
    """The text as lower-case words of Latin letters separated by single spaces. Letters spelled out one by
    one ("n i k e", "n.i.k.e") join into one word; runs of one letter shrink to one ("niiike" → "nike")."""
    text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", text)).casefold().translate(_LOOKALIKES)
    text = "".join(char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char))
    text = _SIGN_IN_WORD.sub(lambda sign: _LEET_SIGNS[sign.group()], text)
    words: list[str] = []
    spelled: list[str] = []
    for token in _TOKEN.findall(text):
        if not token.isdigit() or len(token) == 1:
            token = token.translate(_LEET_DIGITS)
        if len(token) == 1:
            spelled.append(token)
            continue
        if spelled:
            words.append("".join(spelled))
            spelled = []
        words.append(token)
    if spelled:
        words.append("".join(spelled))
    return " ".join(_REPEATS.sub(r"\1", word) for word in words)


# --- MinHash, for stay-down: two listings whose shingle sets overlap much have many equal values. ---

SIGNATURE_SIZE = 32
SHINGLE = 5  # characters: robust to a word added, removed or misspelled
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)
# Fixed seeds, one per MinHash function: stored signatures stay comparable across processes and releases.
_SEEDS = np.array([int.from_bytes(hashlib.blake2b(f"minhash-{i}".encode(), digest_size=8).digest(), "big")
                   for i in range(SIGNATURE_SIZE)], dtype=np.uint64)


def shingles(normalised: str) -> set[str]:
    """The text's overlapping runs of SHINGLE characters (spaces dropped); a shorter text is its own shingle."""
    compact = normalised.replace(" ", "")
    if len(compact) <= SHINGLE:
        return {compact} if compact else set()
    return {compact[i:i + SHINGLE] for i in range(len(compact) - SHINGLE + 1)}


def _mix(values: np.ndarray) -> np.ndarray:
    # splitmix64's finaliser: a bijection on 64-bit values that spreads every input bit over the output.
    with np.errstate(over="ignore"):
        values = (values ^ (values >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        values = (values ^ (values >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return values ^ (values >> np.uint64(31))


def signature(normalised: str) -> list[int]:
    """SIGNATURE_SIZE MinHash values (32-bit) of the text's shingles; [] for a text without letters."""
    found = shingles(normalised)
    if not found:
        return []
    hashed = np.array([int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "big") for s in found],
                      dtype=np.uint64)
    mixed = _mix(hashed[None, :] ^ _SEEDS[:, None])
    return [int(value >> np.uint64(32)) for value in mixed.min(axis=1)]


def similarity(first: list[int], second: list[int]) -> float:
    """The estimated Jaccard similarity of two texts' shingle sets: the share of equal MinHash values."""
    if not first or not second or len(first) != len(second):
        return 0.0
    return sum(1 for a, b in zip(first, second, strict=True) if a == b) / len(first)
