"""The protection list's brand terms, found in a listing's text with one Aho-Corasick automaton.

Every ProtectedTerm of a VERIFIED right is a word of one automaton (pyahocorasick), stored as
" " + normalised + " ": searched in " " + normalise(text) + " ", a term matches whole words only ("nike" in
"nike air", never in "snikers"). Terms are not matched inside longer words ("nikeshoes"): a brand glued to
another word is rare in listings, and matching substrings of words would hold every "pineapple" for "apple";
a term of several words ("louis vuitton") matches as those words in a row.

A match is *disguised* when the term is in the normalised text but not in the plain one (lower-cased, accents
dropped, punctuation and spacing collapsed, nothing else): the seller obfuscated the name ("N1ke", "N.i.k.e",
"Niiike", Cyrillic or full-width letters). That is the brand_term rule's sign of a fake; a plain mention is not
(resale of genuine goods). Accents count as plain: "Hermes" for "Hermès" is how people type.

The automaton is cached per process (building it for 100,000 terms takes about a second). It is rebuilt when
the list changed, found by a version check on every search that costs one cache read:
- a token in the shared cache (Redis in production), replaced by `changed()`, which protection.right_verified /
  right_withdrawn and the admin's saves call: every process sees the change on its next listing;
- the token missing (cache flushed or restarted): a new one is added and every process rebuilds;
- a safety net for changes that bypass both (SQL, a forgotten call): every DB_CHECK_SECONDS the count and
  highest id of the verified rights' terms are read (one aggregate query) and compared with the cached ones.
"""

import logging
import threading
import time
import unicodedata
import uuid
from dataclasses import dataclass

import ahocorasick
from django.core.cache import cache
from django.db.models import Count, Max

from takedowns.enums import RightStatus
from takedowns.models import ProtectedTerm
from takedowns.screening.text import _TOKEN, normalise

VERSION_KEY = "screening:protection-version"
DB_CHECK_SECONDS = 30.0
CACHE_PAUSE_SECONDS = 10.0
FIELD_LENGTH = 32


@dataclass(frozen=True)
class TermHit:
    """One verified right's term found in one field of a listing."""
    right_id: int
    term: str  # as the holder typed it
    normalised: str
    field: str  # "title", "description", "attribute:<key>"
    disguised: bool


def plain(text: str) -> str:
    """The text lower-cased, accents dropped, as words separated by single spaces: what a listing says without
    normalise()'s undoing of obfuscations (look-alike letters, digits for letters, spelled-out letters)."""
    text = "".join(char for char in unicodedata.normalize("NFD", text.casefold())
                   if not unicodedata.combining(char))
    return " ".join(_TOKEN.findall(text))


@dataclass
class _Snapshot:
    automaton: "ahocorasick.Automaton | None"
    token: str | None
    db_version: tuple[int, int]
    checked_at: float


_lock = threading.Lock()
_snapshot: _Snapshot | None = None
_last_token = ""
_paused_until = 0.0
logger = logging.getLogger(__name__)


def changed() -> None:
    """The protection list changed: every process rebuilds its automaton (and re-reads the screening rules)
    on its next listing (this one at once; the others within DB_CHECK_SECONDS if the cache is unreachable)."""
    global _snapshot  # the process's cache
    _snapshot = None
    try:
        cache.set(VERSION_KEY, uuid.uuid4().hex, None)
    except Exception as exc:  # any fault of the cache; the database check still finds the change
        logger.warning("screening: version token not bumped (%r)", exc)


def current_token() -> str:
    """The shared version token, created when missing (after a cache flush every process rebuilds). With the
    cache unreachable, screening goes on: the token stays the last one seen, and the database check
    (DB_CHECK_SECONDS) still finds a change of the list."""
    global _last_token, _paused_until  # the process's cache
    if time.monotonic() < _paused_until:
        return _last_token
    try:
        token = cache.get(VERSION_KEY)
        if token is None:
            cache.add(VERSION_KEY, uuid.uuid4().hex, None)
            token = cache.get(VERSION_KEY) or ""
    except Exception as exc:  # any fault of the cache (refused, timed out); none may stop a listing's screening
        # Not asked again for a while: each attempt may wait for the cache's socket timeout.
        _paused_until = time.monotonic() + CACHE_PAUSE_SECONDS
        logger.warning("screening: version token unreadable (%r); the last one seen is used for %.0f s", exc,
                       CACHE_PAUSE_SECONDS)
        return _last_token
    _last_token = token
    return token


def _db_version() -> tuple[int, int]:
    found = ProtectedTerm.objects.filter(right__status=RightStatus.VERIFIED).aggregate(n=Count("id"), last=Max("id"))
    return found["n"], found["last"] or 0


def _build(token: str) -> _Snapshot:
    db_version = _db_version()
    entries: dict[str, list[tuple[int, str, str]]] = {}
    rows = ProtectedTerm.objects.filter(right__status=RightStatus.VERIFIED).values_list("right_id", "term",
                                                                                           "normalised")
    for right_id, term, normalised in rows.iterator(chunk_size=5000):
        if normalised:
            entries.setdefault(normalised, []).append((right_id, term, plain(term)))
    automaton = None
    if entries:
        automaton = ahocorasick.Automaton()
        for normalised, rights in entries.items():
            automaton.add_word(f" {normalised} ", (normalised, tuple(rights)))
        automaton.make_automaton()
    return _Snapshot(automaton, token, db_version, time.monotonic())


def _automaton(token: str) -> "ahocorasick.Automaton | None":
    global _snapshot  # the process's cache
    snapshot = _snapshot
    now = time.monotonic()
    if snapshot is not None and snapshot.token == token:
        if now - snapshot.checked_at < DB_CHECK_SECONDS:
            return snapshot.automaton
        if _db_version() == snapshot.db_version:
            snapshot.checked_at = now
            return snapshot.automaton
    with _lock:
        if _snapshot is None or _snapshot is snapshot:
            _snapshot = _build(token)
        return _snapshot.automaton


def find(fields: list[tuple[str, str]], token: str | None = None,
         normalised: list[str] | None = None) -> list[TermHit]:
    """Every verified right's term in the given (field name, text) pairs, field by field, disguised or not.
    `token`: current_token() when the caller read it already (one cache read per listing); `normalised`: the
    fields' texts normalised, when the caller has them."""
    automaton = _automaton(current_token() if token is None else token)
    if automaton is None:
        return []
    hits: list[TermHit] = []
    for number, (field, text) in enumerate(fields):
        if not text:
            continue
        form = normalised[number] if normalised is not None else normalise(text)
        found = {value for _end, value in automaton.iter(f" {form} ")}
        if not found:
            continue
        padded_plain = f" {plain(text)} "
        for term_form, rights in sorted(found):
            for right_id, term, plain_term in rights:
                disguised = not plain_term or f" {plain_term} " not in padded_plain
                hits.append(TermHit(right_id, term, term_form, field, disguised))
    return hits


def listing_fields(title: str, description: str, attributes: object) -> list[tuple[str, str]]:
    """The screened fields of a listing: title, description and every attribute's value (not its name)."""
    fields = [("title", title or ""), ("description", description or "")]
    if isinstance(attributes, dict):
        for key, value in attributes.items():
            # At most ScreeningHit.field's 32 characters: a hit names the field it matched in.
            fields.append((f"attribute:{key}"[:FIELD_LENGTH], _as_text(value)))
    return fields


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return " ".join(_as_text(part) for part in value)
    if isinstance(value, dict):
        return " ".join(_as_text(part) for part in value.values())
    return str(value)
