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
- ACCOUNT: anyone logged in, before the second factor: the log-in's own steps (the code, enrolment).
- MARKETPLACE: the marketplace's own servers, with the bearer token MARKETPLACE_HOOK_TOKEN (issue 14: its
  "listing created / changed" hook). No token set: the hook is off and answers 404.

The second factor (takedowns/two_factor.py): whoever has an authenticator gives its code once per
session before any REVIEWER or LEAD page or the admin; a lead (and, with TWO_FACTOR_FOR_REVIEWERS,
every reviewer) who has none is sent to enrol one first. Demo mode asks nobody, so that `make run`
logs in with lead / lead.

Within the reviewer area, one notice's case (the submitter's identity, the description, the
evidence) opens only for those who need it: see may_open_notice. The admin (LeadAdminSite) is for
leads only; reviewers work in /review/.
"""

import hmac
import ipaddress
from collections.abc import Callable
from functools import update_wrapper, wraps
from typing import Any, TypeVar, cast

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from takedowns import two_factor
from takedowns.enums import LEAD_GROUP, REVIEWER_GROUP, DecisionOutcome
from takedowns.models import Decision, Notice, NotifierMeasure, Organisation, Penalty, Reviewer, Right

PUBLIC, TOKEN, REVIEWER, LEAD, ACCOUNT = "public", "token", "reviewer", "lead", "account"
MARKETPLACE = "marketplace"
LOGIN_URL = "takedowns:review_login"
VERIFY_URL, ENROL_URL = "takedowns:two_factor_verify", "takedowns:two_factor"

View = Callable[..., HttpResponseBase]
AdminView = TypeVar("AdminView", bound=View)


class ReviewerRequest(HttpRequest):
    """The request a REVIEWER or LEAD view receives: logged in, with the active reviewer profile,
    whether they lead, and (once asked) the right types they have the skill for."""
    user: User
    reviewer: Reviewer
    lead: bool
    skills: frozenset[str]


class AccountRequest(HttpRequest):
    """The request an ACCOUNT view receives: logged in."""
    user: User


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

def _private_link(model: type[Notice] | type[Right] | type[Organisation], field: str,
                  missing: str) -> Callable[[View], View]:
    """A notice's, a right's registration's or an organisation's private link (by reference and token): the view
    gets the row."""
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, reference: str, token: str, **kwargs: Any) -> HttpResponseBase:
            found = model.objects.filter(reference=reference).first()
            if found is None or not token_matches(getattr(found, field), token):
                raise Http404(missing)
            return view(request, found, **kwargs)
        return _labelled(wrapper, TOKEN)
    return decorator


# The submitter's tracking page and everything done on it; the link in the confirmation e-mail.
tracking_link = _private_link(Notice, "tracking_token", "No such notice.")
confirmation_link = _private_link(Notice, "confirmation_token", "No such notice.")
# A right's registration (issue 14): its private page, and the link in its confirmation e-mail.
right_tracking_link = _private_link(Right, "tracking_token", "No such registration.")
right_confirmation_link = _private_link(Right, "confirmation_token", "No such registration.")
# An organisation without a portal account (issue 15): its private page (keys, webhooks, uploads), its confirmation.
organisation_link = _private_link(Organisation, "tracking_token", "No such organisation.")
organisation_confirmation_link = _private_link(Organisation, "confirmation_token", "No such organisation.")


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


def notifier_measure_link(view: View) -> View:
    """The notifier's private statement of reasons for a measure about their notices (DSA Art. 23)."""
    @wraps(view)
    def wrapper(request: HttpRequest, measure_id: int, token: str, **kwargs: Any) -> HttpResponseBase:
        measure = NotifierMeasure.objects.select_related("proposal").filter(pk=measure_id).first()
        if measure is None or not token_matches(measure.token, token):
            raise Http404("No such measure.")
        return view(request, measure, **kwargs)
    return _labelled(wrapper, TOKEN)


# --- The marketplace's servers (issue 14). ---

def marketplace_client(view: View) -> View:
    """The marketplace's hook: `Authorization: Bearer <MARKETPLACE_HOOK_TOKEN>`, compared in constant time.
    A server, not a browser: no session, so no CSRF token (csrf_exempt); answers are JSON."""
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        expected = settings.MARKETPLACE_HOOK_TOKEN
        if not expected:
            return JsonResponse({"error": "The marketplace hook is off: MARKETPLACE_HOOK_TOKEN is not set."},
                                status=404)
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token_matches(expected, given.strip()):
            response = JsonResponse({"error": "Send the marketplace's token as 'Authorization: Bearer <token>'."},
                                    status=401)
            response["WWW-Authenticate"] = 'Bearer realm="marketplace"'
            return response
        return view(request, *args, **kwargs)
    return _labelled(csrf_exempt(wrapper), MARKETPLACE)


# --- Staff. ---

def is_lead(user: User | AnonymousUser) -> bool:
    return user.groups.filter(name=LEAD_GROUP).exists()


def two_factor_required(user: User | AnonymousUser, lead: bool | None = None) -> bool:
    """Leads and superusers (the admin, every case) always need a second factor; reviewers when
    TWO_FACTOR_FOR_REVIEWERS is on. Nobody in demo mode: its logins are printed on the screen.
    `lead`: whether the user leads, when the caller knows it already."""
    if settings.DEMO_MODE:
        return False
    return user.is_superuser or settings.TWO_FACTOR_FOR_REVIEWERS or (is_lead(user) if lead is None else lead)


def is_verified(user: User | AnonymousUser) -> bool:
    """This session gave a code from one of the user's devices (set by django-otp's middleware)."""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def second_factor_step(request: HttpRequest, lead: bool | None = None) -> HttpResponseBase | None:
    """Where a logged-in user must go before a staff page, or None: the code step when they have an
    authenticator and this session gave no code; enrolment when they need one and have none."""
    if is_verified(request.user):  # a code of a confirmed device of theirs, this session
        return None
    if two_factor.has_device(request.user):
        return redirect_to_login(request.get_full_path(), VERIFY_URL)
    if two_factor_required(request.user, lead):
        return redirect_to_login(request.get_full_path(), ENROL_URL)
    return None


def _reviewer_of(request: ReviewerRequest) -> Reviewer:
    reviewer = Reviewer.objects.select_related("user").filter(user=request.user, is_active=True).first()
    if reviewer is None or not request.user.groups.filter(name__in=[REVIEWER_GROUP, LEAD_GROUP]).exists():
        raise PermissionDenied("The reviewer area is for reviewers and leads.")
    return reviewer


def _staff_page(view: View, rule: str) -> View:
    @login_required(login_url=LOGIN_URL)
    @wraps(view)
    def wrapper(request: ReviewerRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        request.reviewer = _reviewer_of(request)
        request.lead = is_lead(request.user)
        step = second_factor_step(request, request.lead)
        if step is not None:
            return step
        if rule == LEAD and not request.lead:
            raise PermissionDenied("This is for leads.")
        return view(request, *args, **kwargs)
    return _labelled(wrapper, rule)


def reviewer_required(view: View) -> View:
    return _staff_page(view, REVIEWER)


def lead_required(view: View) -> View:
    return _staff_page(view, LEAD)


def account_page(view: View) -> View:
    """The log-in's own steps for whoever is logged in: giving the code, enrolling an authenticator."""
    return _labelled(login_required(login_url=LOGIN_URL)(view), ACCOUNT)


# --- One notice's case within the reviewer area. ---

def may_open_notice(request: ReviewerRequest, notice: Notice) -> bool:
    """Least privilege for a case's content (the submitter's identity, the description, the
    evidence): leads; the reviewer it is assigned to (routing gives it to one without the skill
    when nobody has it); and reviewers with the skill for its right, who may claim it. The queue
    lists every notice to everyone, without personal data, so that the work is seen whole."""
    if request.lead or notice.assigned_to_id == request.reviewer.pk:
        return True
    if not hasattr(request, "skills"):
        request.skills = frozenset(request.reviewer.skills.values_list("right_type", flat=True))
    return notice.right_type in request.skills


def check_notice(request: ReviewerRequest, notice: Notice) -> None:
    if not may_open_notice(request, notice):
        raise PermissionDenied(f"Notice {notice.reference} is a {notice.get_right_type_display().lower()} notice: "
                               "it opens for reviewers with that skill, the reviewer it is assigned to and leads.")


# --- The admin: leads only, behind the same log-in and second factor. ---

class LeadAdminSite(admin.AdminSite):
    site_header = "Takedown Portal · leads"
    site_title = "Takedown Portal admin"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        allowed = user.is_active and user.is_staff and (user.is_superuser or is_lead(user))
        return bool(allowed) and second_factor_step(request) is None

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        """No log-in of its own: the site's one log-in page is throttled and asks for the second factor."""
        return redirect_to_login(request.GET.get("next") or reverse("admin:index", current_app=self.name),
                                 LOGIN_URL)

    def admin_view(self, view: AdminView, cacheable: bool = False) -> AdminView:
        """Someone logged in who may not use the admin: to the code step or enrolment when that is
        what is missing, else a 403 (Django would show its own login form again)."""
        inner = super().admin_view(view, cacheable)

        def gate(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.user.is_authenticated and not self.has_permission(request) \
                    and request.path != reverse("admin:logout", current_app=self.name):
                step = second_factor_step(request)
                if step is not None:
                    return step
                raise PermissionDenied("The admin is for leads; reviewers work in the review area.")
            return inner(request, *args, **kwargs)
        return cast(AdminView, update_wrapper(gate, inner))


# --- Who is asking: the client's address for log-in throttling (django-axes). ---

def client_ip(request: HttpRequest) -> str:
    """The connection's address, or behind a reverse proxy the one it puts in CLIENT_IP_HEADER
    (in X-Forwarded-For the right-most entry, which the proxy itself added: the entries before it
    are whatever the client sent). A header that is missing or not an address is ignored."""
    header = settings.CLIENT_IP_HEADER
    if header:
        value = request.META.get("HTTP_" + header.upper().replace("-", "_"), "")
        try:
            return str(ipaddress.ip_address(value.split(",")[-1].strip()))
        except ValueError:
            pass
    return request.META.get("REMOTE_ADDR", "")
