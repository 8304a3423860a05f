"""Logging in: the password (throttled by django-axes, which calls locked_out once a user name or
an address has failed too often), then the code of the authenticator app where access.py's rule
asks for one, and the page where a reviewer or lead enrols an authenticator and gets recovery
codes. Who must give a code, and when, is decided in takedowns/access.py."""

from typing import Any

from django.conf import settings
from django.contrib.auth.views import LoginView, redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from takedowns import limits, two_factor
from takedowns.access import VERIFY_URL, AccountRequest, account_page, is_verified, two_factor_required
from takedowns.forms.accounts import CodeForm, EnrolForm, LoginForm
from takedowns.views import limited

LOGIN_TEMPLATE = "takedowns/review/login.html"


class LoginPage(LoginView):
    template_name = LOGIN_TEMPLATE
    authentication_form = LoginForm
    next_page = "takedowns:review_queue"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "demo_mode": settings.DEMO_MODE}

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """Every attempt counts (limits.py), per address and per user name, before the password is
        checked: django-axes locks after failures, this bounds attempts (a right password between
        failures resets axes' count, and each check of a password costs a hash)."""
        username = request.POST.get("username", "")[:150]
        refusal = limited.check(request, limits.LOGIN, username, submitter=False)
        if refusal is not None:
            return limited.refused(request, LOGIN_TEMPLATE, {  # the password is never shown back
                "form": LoginForm(request, initial={"username": username}), "next": _next(request),
                "demo_mode": settings.DEMO_MODE}, refusal,
                kept=_("Your user name is kept; type the password again then."))
        return super().post(request, *args, **kwargs)


def locked_out(request: HttpRequest, response: HttpResponse | None = None, credentials: dict | None = None
               ) -> HttpResponse:
    """django-axes' answer once the limit is reached: the login page again, saying why and for how
    long (429 Too Many Requests), with the user name kept."""
    form = LoginForm(request, initial={"username": request.POST.get("username", "")[:150]})
    return render(request, LOGIN_TEMPLATE, {
        "form": form, "next": _next(request), "demo_mode": settings.DEMO_MODE, "locked_out": True,
        "lockout_minutes": settings.LOGIN_LOCKOUT_MINUTES, "failure_limit": settings.LOGIN_FAILURE_LIMIT,
    }, status=429)


def _next(request: HttpRequest) -> str:
    """Where to go after this step: the page that asked for it, if it is one of ours."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return wanted
    return reverse("takedowns:review_queue")


@account_page
def verify(request: AccountRequest) -> HttpResponse:
    """The second step of logging in: a code of the authenticator app, or a recovery code."""
    if not two_factor.has_device(request.user) or is_verified(request.user):
        return redirect(_next(request))
    form = CodeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        device, why = two_factor.check_code(request.user, form.cleaned_data["code"])
        if device is not None:
            two_factor.mark_verified(request, device)
            return redirect(_next(request))
        form.add_error("code", why)
    return render(request, "takedowns/review/verify.html", {"form": form, "next": _next(request)},
                  status=400 if form.errors else 200)


@account_page
def enrolment(request: AccountRequest) -> HttpResponse:
    """Enrol an authenticator app (or replace one): scan the QR code, type the first code; the
    recovery codes are shown once, on the answer to that. Replacing one needs its code first."""
    user = request.user
    if two_factor.has_device(user) and not is_verified(user):
        return redirect_to_login(request.get_full_path(), VERIFY_URL)
    device = two_factor.enrolment_device(user)
    form = EnrolForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        codes = two_factor.enrol(device, form.cleaned_data["code"])
        if codes is not None:
            two_factor.mark_verified(request, device)
            return _recovery_codes_page(request, codes)
        form.add_error("code", _("That code does not match: check that the app shows the code for this portal "
                                 "and that your device's clock is right, then type the code it shows now."))
    return render(request, "takedowns/review/two_factor.html", {
        "form": form, "next": _next(request), "qr_code": two_factor.qr_code_svg(device),
        "key": two_factor.key_text(device), "enrolled": two_factor.has_device(user),
        "required": two_factor_required(user), "codes_left": two_factor.recovery_codes_left(user),
    }, status=400 if form.errors else 200)


@account_page
@require_POST
def recovery_codes(request: AccountRequest) -> HttpResponse:
    """A new set of recovery codes (the old ones stop working), for a session that gave its code."""
    if not two_factor.has_device(request.user) or not is_verified(request.user):
        return redirect_to_login(reverse("takedowns:two_factor"), VERIFY_URL)
    return _recovery_codes_page(request, two_factor.new_recovery_codes(request.user))


def _recovery_codes_page(request: AccountRequest, codes: list[str]) -> HttpResponse:
    response = render(request, "takedowns/review/recovery_codes.html", {"codes": codes, "next": _next(request)})
    response["Cache-Control"] = "no-store"  # shown once: never from a cache or the back button
    return response
