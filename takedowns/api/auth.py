"""Who calls the API: `Authorization: Bearer <key>`, found by api_keys.find (a live key of an organisation that
may use it). The key's scopes decide what it may do (`file`: POSTs; `read`: GETs), and the key's organisation is
the only one whose notices it sees (lookups here filter by it; another organisation's notice answers 404 exactly
like one that does not exist). Each step is counted per key (limits.check_key)."""

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from takedowns import api_keys, limits
from takedowns.api.problems import FORBIDDEN, RATE_LIMITED, Problem, not_found
from takedowns.models import ApiKey, Notice


class KeyBearer(HttpBearer):
    """The API key as a bearer token, for one step: a request without a live key is refused 401
    (problems._unauthorised), a key without the step's scope 403, a key over the step's rate limit 429 with
    Retry-After. Checked before the body is read, so a key that may not post learns that first."""

    def __init__(self, scope: str, step: str) -> None:
        super().__init__()
        self.scope, self.step = scope, step

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        key = api_keys.find(token.strip(), timezone.now())
        if key is None:
            return None
        if self.scope not in key.scopes:
            raise Problem(403, FORBIDDEN, _("The key lacks the scope"), _(
                "This key has the scopes %(scopes)s; this request needs “%(scope)s”. Make a key with that scope "
                "on your organisation's page.") % {"scopes": ", ".join(key.scopes) or "—", "scope": self.scope})
        refusal = limits.check_key(self.step, key.prefix, timezone.now())
        if refusal is not None:
            raise Problem(429, RATE_LIMITED, _("Too many requests"), refusal.reason,
                          headers={"Retry-After": str(refusal.retry_after)})
        return key


def key_of(request: HttpRequest) -> ApiKey:
    """The request's key, as KeyBearer found it."""
    return request.auth  # type: ignore[attr-defined]  # set by ninja from KeyBearer


def notice_of(key: ApiKey, reference: str) -> Notice:
    """The key's organisation's notice by its reference, or the 404 problem (the same for another organisation's
    notice as for none: one query, filtered by both)."""
    wanted = reference.strip().upper()
    # A reference is printable and short; anything else (a NUL, which PostgreSQL refuses) names no notice.
    notice = (Notice.objects.filter(reference=wanted, organisation_id=key.organisation_id).first()
              if wanted.isprintable() and len(wanted) <= 20 else None)
    if notice is None:
        raise not_found(reference)
    return notice
