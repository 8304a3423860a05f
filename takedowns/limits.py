"""Rate limits (issue 11): how often one client address, and one e-mail address, may take each public
step, and how many confirmation e-mails one address is sent. The one place that reads the limits'
settings (portal/settings.py: RATE_LIMITS and RATE_LIMIT_*; the README's "Rate limits" lists them).
A view asks `check` before it acts, and shows a refusal as its own page again, with everything typed
kept, status 429 and when to try again (views/limited.py).

Counting: django-ratelimit's counters in the cache "limits" (Redis in production, shared by every web
process; the web process's own memory under `make run`, where it is the only one). Every request of a
step counts, whether it succeeds or not: an attempt, not only a success, so that a flood of invalid
forms is bounded too. Counts are kept in fixed windows of the rate's period (an hour for "20/h"),
which the library staggers per key so that they do not all end at once; a key is the client address
(access.client_ip: the connection's, or behind a proxy the configured header's) or the e-mail
address, lower-cased (for the log-in, the user name typed).

Higher standing, higher limits: only once a request is over a base limit, the submitter's standing
is read (trust.standing: one query, at most once per request) and multiplies the limits: by
RATE_LIMIT_GOOD_FAITH_FACTOR for good-faith submitters, RATE_LIMIT_TRUSTED_FLAGGER_FACTOR for trusted
flaggers. On the notice form the address is only claimed until it is confirmed: someone who types a
trusted flagger's address gets that address's limits, but every confirmation e-mail goes to the
flagger, whose unconfirmed notices are capped as well (below), and the notices expire unconfirmed.
Sellers and staff have no standing: their steps pass submitter=False.

Confirmation e-mails (filing only): an address holding RATE_LIMIT_PENDING_CONFIRMATIONS notices that
wait for confirmation (unconfirmed, not expired) is sent no more. A new notice for it is refused (429,
the form kept, files too) until one of them is confirmed or expires. Refused rather than saved
without its e-mail: a notice counts as received only once its address is confirmed, and one that no
e-mail can confirm would sit until it expired while its filer believed it filed; refused, the filer
is told at once, keeps the form, and can confirm a waiting notice (its link is in their inbox) and
send this one again. Counted in the database, in the filing's own transaction (workflow/filing.py),
not in the cache: exact (an index read of at most a few rows; filings for one address wait for each
other, so two at the same instant cannot both take the last place), and it holds while the cache is
down.

The cache down: fail open. A counter that cannot be read or written lets the request through (logged
as a warning), and the process stops asking for CACHE_PAUSE_SECONDS, so that a Redis that does not
answer costs one timeout now and then, not one per request. Why open: the notice form is the law's
mechanism for reporting illegal content (DSA Art. 16: easy to access, by electronic means) and must
not close because a shortcut is down, and the project's rule is that a fault never turns a public
step into an error page. What stays closed without the cache: the confirmation e-mails' cap (the
database), so a flood during an outage still cannot mail an address more than the cap, and log-in
lock-outs after failures (django-axes, in the database).
"""

import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection
from django.utils.translation import gettext, ngettext, pgettext
from django_ratelimit.core import get_usage

from takedowns import trust
from takedowns.enums import NoticeStatus, SubmitterTrust
from takedowns.models import Notice

logger = logging.getLogger(__name__)

# The steps, as named in settings.RATE_LIMITS.
FILING, CONFIRMATION, ANSWER, APPEAL, COUNTER_NOTICE, LAWSUIT, LOGIN = (
    "filing", "confirmation", "answer", "appeal", "counter_notice", "lawsuit", "login")
# Registering a right (issue 14): its form, and the holder's changes on the registration's private page.
REGISTRATION = "registration"
# Registering an organisation (issue 15), and what its private page changes (API keys, webhook endpoints).
ORGANISATION = "organisation"
# What a refusal counted: the client address, the e-mail address (user name), the notices waiting.
ADDRESS, EMAIL, PENDING = "address", "email", "pending"

# After the cache failed, this process counts nothing for this long (the cache's timeout is 1 s).
CACHE_PAUSE_SECONDS = 10.0
# A refused notice form keeps its files under its key (one notice's worth, swept after
# EVIDENCE_ORPHAN_HOURS) for its first few sendings over the limit; beyond those, a key of one's own
# per sending would let a flood store a notice's worth of files each time.
KEEP_FILES_OVER_LIMIT = 3
# Longer than any value an address or user name can validly have; what is longer is still one key.
_KEY_MAX = 320

_UNITS = {"s": "second", "m": "minute", "h": "hour", "d": "day"}
_RATE = re.compile(r"(\d+)/(\d*)([smhd])")

_paused_until = 0.0

# SQLite's count (PostgreSQL's is migration 0016's function): the index notice_pending_by_email's expression.
_PENDING_SQL = (f"SELECT COUNT(*) FROM (SELECT 1 FROM {Notice._meta.db_table} WHERE (CASE WHEN status = "
                f"'{NoticeStatus.UNCONFIRMED.value}' THEN UPPER(submitter_email) ELSE NULL END) = UPPER(%s) "
                "AND expires_at > %s LIMIT %s) AS waiting")


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused, and when the same request would be accepted again."""
    action: str
    key: str  # ADDRESS, EMAIL or PENDING
    limit: int  # the limit that applied, with the submitter's standing
    per: str  # the window, as text ("hour", "15 minutes"); "" for PENDING
    retry_after: int  # seconds: the Retry-After header
    retry_at: datetime
    keep_files: bool = True
    email: str = ""

    @property
    def reason(self) -> str:
        """What happened, in one sentence for the page, in the page's language."""
        if self.key == PENDING:
            return ngettext(
                "%(count)s notice filed with %(email)s is waiting for its confirmation, so we send this address no "
                "more confirmation e-mails and accept no new notice for it until it is confirmed (follow the link "
                "in the e-mail we sent) or expires.",
                "%(count)s notices filed with %(email)s are waiting for their confirmation, so we send this address "
                "no more confirmation e-mails and accept no new notice for it until one of them is confirmed "
                "(follow the link in the e-mail we sent) or expires.", self.limit) % {
                "count": self.limit, "email": self.email}
        values = {"limit": self.limit, "what": _what(self.action), "window": _window(self.per)}
        if self.key == ADDRESS:
            # Translators: e.g. "We accept at most 20 notices per hour from your network address, and that many came."
            return gettext("We accept at most %(limit)s %(what)s %(window)s from your network address, and that "
                           "many came.") % values
        if self.key == KEY:
            return gettext("We accept at most %(limit)s %(what)s %(window)s for this API key, and that many "
                           "came.") % values
        if self.action == LOGIN:
            return gettext("We accept at most %(limit)s %(what)s %(window)s for this user name, and that many "
                           "came.") % values
        return gettext("We accept at most %(limit)s %(what)s %(window)s for this e-mail address, and that many "
                       "came.") % values


def _what(action: str) -> str:
    """What a limit counts, as a plural noun for Refusal.reason."""
    return {FILING: pgettext("counted by a rate limit", "notices"),
            CONFIRMATION: pgettext("counted by a rate limit", "confirmations"),
            ANSWER: pgettext("counted by a rate limit", "answers"),
            APPEAL: pgettext("counted by a rate limit", "appeals"),
            COUNTER_NOTICE: pgettext("counted by a rate limit", "counter-notices"),
            LAWSUIT: pgettext("counted by a rate limit", "lawsuit reports"),
            LOGIN: pgettext("counted by a rate limit", "log-in attempts"),
            REGISTRATION: pgettext("counted by a rate limit", "registrations and changes of rights"),
            ORGANISATION: pgettext("counted by a rate limit", "registrations and changes of organisations"),
            API_FILING: pgettext("counted by a rate limit", "notices"),
            API_UPLOAD: pgettext("counted by a rate limit", "evidence uploads"),
            API_ACTION: pgettext("counted by a rate limit", "requests that act on notices"),
            API_READ: pgettext("counted by a rate limit", "reads")}[action]


def _window(per: str) -> str:
    """A rate's window (per_text: "hour", "15 minutes") as words for Refusal.reason: "per hour"."""
    count_text, _space, unit = per.rpartition(" ")
    unit = unit.removesuffix("s") if count_text else unit
    count = int(count_text) if count_text.isdigit() else 1
    if count == 1:
        return {"second": pgettext("rate limit window", "per second"),
                "minute": pgettext("rate limit window", "per minute"),
                "hour": pgettext("rate limit window", "per hour"),
                "day": pgettext("rate limit window", "per day")}[unit]
    phrases = {"second": ngettext("per %(count)d second", "per %(count)d seconds", count),
               "minute": ngettext("per %(count)d minute", "per %(count)d minutes", count),
               "hour": ngettext("per %(count)d hour", "per %(count)d hours", count),
               "day": ngettext("per %(count)d day", "per %(count)d days", count)}
    return phrases[unit] % {"count": count}


@dataclass
class _Standing:
    """The submitter's standing, read once and only if a limit asks for it."""
    email: str
    submitter: bool

    @cached_property
    def factor(self) -> int:
        if not self.submitter or not is_address(self.email):
            return 1
        factors: dict[str, int] = {SubmitterTrust.GOOD_FAITH: settings.RATE_LIMIT_GOOD_FAITH_FACTOR,
                                   SubmitterTrust.TRUSTED_FLAGGER: settings.RATE_LIMIT_TRUSTED_FLAGGER_FACTOR}
        return factors.get(trust.standing(self.email), 1)


def check(action: str, address: str, email: str, now: datetime, submitter: bool = True) -> Refusal | None:
    """Count one request of `action` from `address` for `email` (either may be empty: not counted) and
    say whether it is refused. (Filing's other limit, the confirmations waiting, is asked by the filing
    itself: confirmations_waiting.)"""
    email = email.strip().lower()[:_KEY_MAX]
    standing = _Standing(email, submitter)
    rates = settings.RATE_LIMITS[action]
    over = []
    for key, value in ((ADDRESS, address[:_KEY_MAX]), (EMAIL, email)):
        usage = _count(action, key, value, rates[key]) if value else None
        if usage is not None and usage["count"] > usage["limit"]:
            over.append((key, usage, rates[key]))
    if over:
        refused = [(key, usage, rate) for key, usage, rate in over
                   if usage["count"] > usage["limit"] * standing.factor]
        if refused:
            return _rate_refusal(action, refused, standing.factor, email, now)
    return None


def confirmations_waiting(email: str, now: datetime) -> Refusal | None:
    """Inside the filing transaction, before the notice is saved: a refusal if the address already has
    its cap of notices waiting for confirmation (with the submitter's standing). Filings for one address
    wait for each other from here to their commit (PostgreSQL: a transaction-level advisory lock on the
    address; SQLite: the transaction's write lock, IMMEDIATE), so that two at the same instant cannot both
    pass with one place left."""
    email = email.strip().lower()
    return _pending_refusal(email, _Standing(email, submitter=True), now)


def is_address(email: str) -> bool:
    """Whether the text (as typed, before the form checks it) is an e-mail address: only then is it
    looked up in the database (a NUL or a megabyte of text is counted, by its hash, and no more)."""
    try:
        validate_email(email)
    except ValidationError:
        return False
    return True


def _count(action: str, key: str, value: str, rate: str) -> dict | None:
    """django-ratelimit's usage of this key after counting this request; None when the cache failed
    (or failed a moment ago): the request is not refused."""
    global _paused_until
    if time.monotonic() < _paused_until:
        return None
    try:
        return get_usage(None, group=f"takedowns:{action}:{key}", key=lambda group, request: value, rate=rate,
                         increment=True)
    except Exception as exc:  # any fault of the cache (refused, timed out, evicted); none may fail the request
        _paused_until = time.monotonic() + CACHE_PAUSE_SECONDS
        logger.warning("rate limits not counted for %.0f s: the cache failed (%r)", CACHE_PAUSE_SECONDS, exc)
        return None


def _rate_refusal(action: str, refused: list[tuple[str, dict, str]], factor: int, email: str,
                  now: datetime) -> Refusal:
    # The key whose window ends last decides when the request would pass.
    key, usage, rate = max(refused, key=lambda found: found[1]["time_left"])
    retry_after = max(int(usage["time_left"]), 1)
    return Refusal(action, key, usage["limit"] * factor, per_text(rate), retry_after,
                   now + timedelta(seconds=retry_after), email=email,
                   keep_files=all(found[1]["count"] - found[1]["limit"] * factor <= KEEP_FILES_OVER_LIMIT
                                  for found in refused))


def _pending_refusal(email: str, standing: _Standing, now: datetime) -> Refusal | None:
    if not is_address(email):
        return None
    cap = settings.RATE_LIMIT_PENDING_CONFIRMATIONS
    waiting = pending_confirmations(email, now, cap)
    if waiting >= cap and standing.factor > 1:
        cap *= standing.factor
        waiting = pending_confirmations(email, now, cap)
    if waiting < cap:
        return None
    # The first of them to expire frees a place (read only now: the ORM's query is the easy one to read).
    first = Notice.objects.filter(submitter_email__iexact=email, status=NoticeStatus.UNCONFIRMED, expires_at__gt=now) \
        .order_by("expires_at").values_list("expires_at", flat=True).first() \
        or now + timedelta(days=settings.NOTICE_CONFIRMATION_DAYS)
    retry_after = max(int((first - now).total_seconds()), 1)
    return Refusal(FILING, PENDING, cap, "", retry_after, first, email=email)


def pending_confirmations(email: str, now: datetime, at_most: int) -> int:
    """How many of the address's notices wait for confirmation, counting up to `at_most`: from the index
    notice_pending_by_email, a few rows whatever the address's volume. In SQL of its own, as it runs on
    every filing (the ORM's building of the query cost more than the query); on PostgreSQL the function
    of migration 0016, which takes the address's advisory lock first, in the same round trip."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT takedowns_pending_confirmations(%s, %s, %s)", [email, now, at_most])
        else:
            cursor.execute(_PENDING_SQL, [email, connection.ops.adapt_datetimefield_value(now), at_most])
        return cursor.fetchone()[0]


def per_text(rate: str) -> str:
    """The window of a rate as words: 20/h -> "hour", 5/15m -> "15 minutes"."""
    match = _RATE.fullmatch(rate)
    if match is None:
        raise ValueError(f"not a rate: {rate!r}")
    multiple, unit = int(match.group(2) or 1), _UNITS[match.group(3)]
    return unit if multiple == 1 else f"{multiple} {unit}s"


# --- issue 15: the API, counted per key ---
# The API's steps (settings.RATE_LIMITS_API), counted per API key (its prefix): an organisation's keys are its
# clients, whatever address they call from (a vendor's fleet of servers); a refusal is a 429 problem with
# Retry-After (takedowns/api). Standing does not multiply them: the settings are already set for bulk volume.
API_FILING, API_UPLOAD, API_ACTION, API_READ = "api_filing", "api_upload", "api_action", "api_read"
KEY = "key"


def check_key(action: str, key_prefix: str, now: datetime) -> Refusal | None:
    """Count one request of an API step for the key and say whether it is refused (the cache down: not refused,
    as for the form's steps)."""
    rate = settings.RATE_LIMITS_API[action]
    usage = _count(action, KEY, key_prefix, rate)
    if usage is None or usage["count"] <= usage["limit"]:
        return None
    return _rate_refusal(action, [(KEY, usage, rate)], 1, "", now)
