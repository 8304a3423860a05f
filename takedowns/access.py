"""Who may open which page: the one place that decides it. Every view is wrapped in exactly one of
the rules below, which also labels the view (`view.access`), so that a test can list every URL
pattern with its rule and a page without one fails the suite.

- PUBLIC: anyone (the form, the catalogue, the transparency report, logging in).
- TOKEN: whoever holds a private link. The decorator looks the object up by its id and compares
  the link's token with the stored one in constant time; a wrong token and an unknown id look
  alike (404), so a link cannot be guessed one character at a time. Private links are never
  shown in the reviewer area.
- REVIEWER: a logged-in member of the Reviewer or Lead group with an active reviewer profile
  (request.reviewer is set); anyone else logged in gets 403, anyone anonymous the login page.
- LEAD: a reviewer who is also in the Lead group (reassigning, the dashboard, the TDB export).
"""

import hmac
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from takedowns.enums import LEAD_GROUP, REVIEWER_GROUP, DecisionOutcome
from takedowns.models import Decision, Notice, Penalty, Reviewer

PUBLIC, TOKEN, REVIEWER, LEAD = "public", "token", "reviewer", "lead"
LOGIN_URL = "takedowns:review_login"

View = Callable[..., HttpResponseBase]


class ReviewerRequest(HttpRequest):
    """The request a REVIEWER or LEAD view receives: logged in, with the active reviewer profile."""
    user: User
    reviewer: Reviewer


def _labelled(view: View, rule: str) -> View:
    view.access = rule  # type: ignore[attr-defined]  # a label on the function itself, which no type declares
    return view


def public(view: View) -> View:
    """Anyone may open this page."""
    return _labelled(view, PUBLIC)


def token_matches(stored: str, given: str) -> bool:
    """Constant-time comparison of a private link's token; an empty stored token never matches."""
    return bool(stored) and hmac.compare_digest(stored.encode(), given.encode())


# --- Private links. Each decorator turns the URL's id and token into the object, or a 404. ---

def _notice_link(field: str) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, reference: str, token: str, **kwargs: Any) -> HttpResponseBase:
            notice = Notice.objects.filter(reference=reference).first()
            if notice is None or not token_matches(getattr(notice, field), token):
                raise Http404("No such notice.")
            return view(request, notice, **kwargs)
        return _labelled(wrapper, TOKEN)
    return decorator


# The submitter's tracking page and everything done on it; the link in the confirmation e-mail.
tracking_link = _notice_link("tracking_token")
confirmation_link = _notice_link("confirmation_token")


def removal_link(view: View) -> View:
    """The seller's private statement of reasons for a removed listing."""
    @wraps(view)
    def wrapper(request: HttpRequest, decision_id: int, token: str, **kwargs: Any) -> HttpResponseBase:
        decision = (Decision.objects.select_related("item__listing__seller", "item__notice")
                    .filter(pk=decision_id, outcome=DecisionOutcome.REMOVE).first())
        if decision is None or not token_matches(decision.seller_token, token):
            raise Http404("No such decision.")
        return view(request, decision, **kwargs)
    return _labelled(wrapper, TOKEN)


def penalty_link(view: View) -> View:
    """The seller's private statement of reasons for a penalty on their account."""
    @wraps(view)
    def wrapper(request: HttpRequest, penalty_id: int, token: str, **kwargs: Any) -> HttpResponseBase:
        penalty = Penalty.objects.select_related("seller", "strike__notice").filter(pk=penalty_id).first()
        if penalty is None or not token_matches(penalty.seller_token, token):
            raise Http404("No such penalty.")
        return view(request, penalty, **kwargs)
    return _labelled(wrapper, TOKEN)


# --- Staff. ---

def is_lead(user: User | AnonymousUser) -> bool:
    return user.groups.filter(name=LEAD_GROUP).exists()


def _reviewer_of(request: ReviewerRequest) -> Reviewer:
    reviewer = Reviewer.objects.select_related("user").filter(user=request.user, is_active=True).first()
    if reviewer is None or not request.user.groups.filter(name__in=[REVIEWER_GROUP, LEAD_GROUP]).exists():
        raise PermissionDenied("The reviewer area is for reviewers and leads.")
    return reviewer


def reviewer_required(view: View) -> View:
    @login_required(login_url=LOGIN_URL)
    @wraps(view)
    def wrapper(request: ReviewerRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        request.reviewer = _reviewer_of(request)
        return view(request, *args, **kwargs)
    return _labelled(wrapper, REVIEWER)


def lead_required(view: View) -> View:
    @login_required(login_url=LOGIN_URL)
    @wraps(view)
    def wrapper(request: ReviewerRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        request.reviewer = _reviewer_of(request)
        if not is_lead(request.user):
            raise PermissionDenied("This is for leads.")
        return view(request, *args, **kwargs)
    return _labelled(wrapper, LEAD)
