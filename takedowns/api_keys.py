"""API keys of professional notifiers (issue 15): made, shown once, kept as a SHA-256, found by their prefix.

A key reads "tdp_" + 8 characters of prefix + "_" + 43 characters of secret (256 random bits). The prefix is the
public part the private page names and a request's key is looked up by (unique, indexed); the whole key is
compared by its hash in constant time. A fast hash is right here: a random 256-bit secret cannot be guessed
from its hash, so a slow password hash would only slow every request."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from takedowns.enums import OrganisationStatus
from takedowns.models import ApiKey

PREFIX_START = "tdp_"
# How long an API request's Idempotency-Key is remembered (a retry within it gets the first answer); retention
# deletes older ones (workflow/retention.py).
IDEMPOTENCY_HOURS = 24
# An organisation may use its keys once its address is confirmed; until a lead verifies it, each notice it files
# waits for e-mail confirmation like the form's (workflow/filing.file_for_organisation).
USABLE_STATUSES = (OrganisationStatus.PENDING, OrganisationStatus.VERIFIED)


@dataclass(frozen=True)
class NewKey:
    prefix: str
    key: str
    key_hash: str


def make_key() -> NewKey:
    """A new key: its prefix, the key itself (to show once) and the hash to store."""
    prefix = PREFIX_START + secrets.token_hex(4)
    key = f"{prefix}_{secrets.token_urlsafe(32)}"
    return NewKey(prefix, key, hash_key(key))


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def prefix_of(key: str) -> str | None:
    """The prefix a presented key names, or None when it is not shaped like one of ours."""
    # The secret's alphabet has "_" too, so the prefix is cut at its fixed length, not at an underscore.
    length = len(PREFIX_START) + 8
    prefix, separator, secret = key[:length], key[length:length + 1], key[length + 1:]
    if not prefix.startswith(PREFIX_START) or separator != "_" or not secret:
        return None
    return prefix


def matches(stored_hash: str, key: str) -> bool:
    return hmac.compare_digest(stored_hash, hash_key(key))


def find(key: str, now: datetime) -> ApiKey | None:
    """The live key a request presents (not revoked, not past a rotation's grace, its organisation neither
    rejected nor suspended), with its organisation; None for anything else. Records when it was last used, at
    most once a minute (one UPDATE per request would cost the API's filing more than the lookup)."""
    prefix = prefix_of(key)
    if prefix is None:
        return None
    found = (ApiKey.objects.select_related("organisation")
             .filter(prefix=prefix, revoked_at__isnull=True).first())
    if found is None or not matches(found.key_hash, key):
        return None
    if found.expires_at is not None and found.expires_at <= now:
        return None
    if found.organisation.status not in USABLE_STATUSES:
        return None
    if found.last_used_at is None or now - found.last_used_at >= timedelta(minutes=1):
        ApiKey.objects.filter(pk=found.pk).update(last_used_at=now)
        found.last_used_at = now
    return found


def address_at_domain(email: str, domain: str) -> bool:
    """Whether an address is at the organisation's proven domain or one of its subdomains (case ignored): an
    organisation files only in the name of addresses it controls (issue 15)."""
    _name, sign, at = email.strip().lower().rpartition("@")
    domain = domain.strip().lower()
    return bool(sign and at and domain) and (at == domain or at.endswith("." + domain))
