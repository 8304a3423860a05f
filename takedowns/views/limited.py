"""A request over a rate limit (takedowns/limits.py) gets the page it came from again, with status 429
(Too Many Requests), a Retry-After header, and at the top what happened and when to try again (the
partial templates/takedowns/_rate_limited.html, shown by base.html); the view puts back everything
typed, as it does for a form with an error."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from takedowns import limits
from takedowns.access import client_ip

TOO_MANY_REQUESTS = 429


def check(request: HttpRequest, action: str, email: str, submitter: bool = True) -> limits.Refusal | None:
    """Count this request against the limits of `action` (once per request: a page run again on
    a new database connection, views/reconnect.py, is not counted twice) and say whether it is refused."""
    done: dict[str, limits.Refusal | None] = getattr(request, "_rate_limits_checked", {})
    if action not in done:
        done[action] = limits.check(action, client_ip(request), email, timezone.now(), submitter=submitter)
        request._rate_limits_checked = done  # type: ignore[attr-defined]  # a note on this request only
    return done[action]


def refused(request: HttpRequest, template: str, context: dict[str, Any], refusal: limits.Refusal,
            kept: str) -> HttpResponse:
    """The page again with the refusal; `kept` says what of the request the page still holds."""
    response = render(request, template, {**context, "rate_limited": refusal, "rate_limited_kept": kept},
                      status=TOO_MANY_REQUESTS)
    response["Retry-After"] = str(refusal.retry_after)
    return response
