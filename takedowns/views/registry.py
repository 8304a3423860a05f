"""The rights registry's pages (issue 14): the public registration form, its confirmation, the holder's
private page (and the changes and withdrawal posted from it), and the leads' verification in
/review/rights/. Thin: a form validates, one workflow.registry call acts, the page is rendered again
with every error and everything typed on bad input."""

import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from takedowns import evidence, languages, limits
from takedowns.access import ReviewerRequest, lead_required, public, right_confirmation_link, right_tracking_link
from takedowns.enums import EmailStatus, RightStatus
from takedowns.forms.registry import ProtectionForm, RegistrationForm, RejectRightForm, RightWithdrawForm
from takedowns.models import Right
from takedowns.selectors import protection as selectors
from takedowns.views import limited
from takedowns.views.public import keep_uploads, submission_key_of
from takedowns.views.reconnect import once_more_if_disconnected
from takedowns.views.review import evidence_response
from takedowns.workflow import TransitionNotAllowed, registry

REGISTER_PAGE = "takedowns/registry/register.html"
PRIVATE_PAGE = "takedowns/registry/track.html"
CONFIRM_PAGE = "takedowns/registry/confirm.html"
REVIEW_PAGE = "takedowns/registry/review_right.html"


def _protection(form: ProtectionForm) -> registry.Protection:
    data = form.cleaned_data
    return registry.Protection(terms=data["terms"], sellers=data["authorised_sellers"], price_min=data["price_min"],
                               price_max=data["price_max"], currency=data["currency"])


# --- Registering, without an account. ---

@once_more_if_disconnected
@public
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        form = RegistrationForm(initial={"submission_key": uuid.uuid4(), "language": languages.page_language(),
                                         "currency": "EUR"})
        return _register_page(request, form, [])
    data: QueryDict = request.POST
    key = submission_key_of(data.get("submission_key"))
    from_the_form = key is not None
    # Every sending counts, valid or not, as on the notice form (limits.py).
    refusal = limited.check(request, limits.REGISTRATION, data.get("registrant_email", ""))
    if key is None:
        key = uuid.uuid4()
        data = data.copy()
        data["submission_key"] = str(key)
    elif Right.objects.filter(submission_key=key).exists():
        return redirect("takedowns:right_filed", submission_key=key)  # a double click: registered by the first
    form = RegistrationForm(data, request.FILES, kept=evidence.kept_for(key))
    valid = form.is_valid()
    removed = form.cleaned_data.get("remove_evidence")
    if removed:
        evidence.discard(key, removed)
    if refusal is not None:
        files_kept = bool(form.accepted_uploads) and refusal.keep_files and keep_uploads(form, key, from_the_form)
        kept = (_("Everything you typed is still in the form below, and the files you attached are kept with it.")
                if files_kept else _("Everything you typed is still in the form below."))
        return limited.refused(request, REGISTER_PAGE, _register_context(form, evidence.kept_for(key)), refusal,
                               kept=kept)
    if keep_uploads(form, key, from_the_form=from_the_form or valid) and valid:
        try:
            registry.register(form.right_fields(), _protection(form), key, now=timezone.now())
        except registry.RegistrationsWaiting as waiting:  # its files are kept (just above) for a later try
            form.add_error(None, str(waiting))
            return _register_page(request, form, evidence.kept_for(key), status=limited.TOO_MANY_REQUESTS)
        return redirect("takedowns:right_filed", submission_key=key)
    return _register_page(request, form, evidence.kept_for(key), status=400)


def _register_context(form: RegistrationForm, kept: list) -> dict[str, Any]:
    return {"form": form, "kept": kept, "limits": {
        "file": settings.EVIDENCE_MAX_FILE_BYTES, "total": settings.EVIDENCE_MAX_TOTAL_BYTES,
        "files": settings.EVIDENCE_MAX_FILES}}


def _register_page(request: HttpRequest, form: RegistrationForm, kept: list, status: int = 200) -> HttpResponse:
    return render(request, REGISTER_PAGE, _register_context(form, kept), status=status)


@once_more_if_disconnected
@public
def right_filed(request: HttpRequest, submission_key: uuid.UUID) -> HttpResponse:
    # The submission key is the form's own random one-time key: only its sender knows it.
    right = get_object_or_404(Right, submission_key=submission_key)
    sent = right.emails.filter(kind="right_confirm", status=EmailStatus.SENT).exists()
    return render(request, "takedowns/registry/filed.html", {"right": right, "confirmation_sent": sent})


@once_more_if_disconnected
@right_confirmation_link
@require_http_methods(["GET", "POST"])
def right_confirm(request: HttpRequest, right: Right) -> HttpResponse:
    if request.method == "GET":
        # A GET never changes state (mail scanners follow links): the page asks for one click.
        if right.confirmed_at is not None:
            return redirect(right.tracking_path())
        return render(request, CONFIRM_PAGE, {"right": right})
    refusal = limited.check(request, limits.CONFIRMATION, right.registrant_email)
    if refusal is not None:
        return limited.refused(request, CONFIRM_PAGE, {"right": right}, refusal,
                               kept=_("Your registration is kept as it is, waiting for this confirmation."))
    try:
        right = registry.confirm(right, now=timezone.now())
    except TransitionNotAllowed as exc:
        return render(request, CONFIRM_PAGE, {"right": right, "error": str(exc)}, status=409)
    if right.status == RightStatus.PENDING:
        messages.success(request, _("Thank you: registration %(reference)s is confirmed; we verify it next.")
                         % {"reference": right.reference})
    return redirect(right.tracking_path())


# --- The holder's private page. ---

def _initial_protection(right: Right, details: selectors.RightDetails) -> dict[str, Any]:
    return {"terms": "\n".join(details.terms), "price_min": right.price_min, "price_max": right.price_max,
            "currency": right.currency,
            "authorised_sellers": ", ".join(seller.external_id for seller in details.sellers)}


def _private_context(right: Right, **bound: Any) -> dict[str, Any]:
    page = selectors.private_page(right)
    return {
        "right": right, "page": page,
        "protection_form": bound.get("protection_form") or ProtectionForm(
            initial=_initial_protection(right, page.details)),
        "withdraw_form": bound.get("withdraw_form") or RightWithdrawForm(),
        "changeable": right.status in registry.CHANGEABLE,
        # "File a notice under this right": the notice form, the right filled in (views/public.py).
        "notice_url": f"{reverse('takedowns:file_notice')}?right={right.reference}&key={right.tracking_token}",
    }


def _private_response(request: HttpRequest, right: Right, status: int = 200, **bound: Any) -> HttpResponse:
    return render(request, PRIVATE_PAGE, _private_context(right, **bound), status=status)


@once_more_if_disconnected
@right_tracking_link
def right_track(request: HttpRequest, right: Right) -> HttpResponse:
    return _private_response(request, right)


@right_tracking_link
@require_POST
def right_update(request: HttpRequest, right: Right) -> HttpResponse:
    form = ProtectionForm(request.POST, request.FILES, kept=list(right.evidence.all()))
    refusal = limited.check(request, limits.REGISTRATION, right.registrant_email)
    if refusal is not None:
        kept = (_("What you typed is still in the form below; the pictures you attached were not kept: attach them "
                  "again.") if request.FILES else _("What you typed is still in the form below."))
        return limited.refused(request, PRIVATE_PAGE, _private_context(right, protection_form=form), refusal, kept)
    if not form.is_valid():
        return _private_response(request, right, status=400, protection_form=form)
    details = _protection(form)
    details.pictures.extend(form.accepted_uploads)
    try:
        registry.update_protection(right, details, now=timezone.now())
    except TransitionNotAllowed as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Saved: the protection details of registration %(reference)s are updated.")
                         % {"reference": right.reference})
    return redirect(f"{right.tracking_path()}#protection")


@right_tracking_link
@require_http_methods(["GET"])
def right_file(request: HttpRequest, right: Right, evidence_id: int) -> FileResponse:
    """One of the registration's own files (its certificate, a picture), for whoever holds its private link."""
    stored = right.evidence.filter(pk=evidence_id).first()
    if stored is None:
        raise Http404("No such file.")
    return evidence_response(request, stored)


@right_tracking_link
@require_POST
def right_withdraw(request: HttpRequest, right: Right) -> HttpResponse:
    form = RightWithdrawForm(request.POST)
    if not form.is_valid():
        return _private_response(request, right, status=400, withdraw_form=form)
    try:
        registry.withdraw(right, now=timezone.now())
    except TransitionNotAllowed as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Registration %(reference)s is withdrawn.") % {"reference": right.reference})
    return redirect(right.tracking_path())


# --- The leads' verification. ---

@lead_required
def review_rights(request: ReviewerRequest) -> HttpResponse:
    page = selectors.pending_rights(request.GET.get("after"))
    return render(request, "takedowns/registry/review_rights.html", {"page": page})


def _right(reference: str) -> Right:
    right = selectors.right_by_reference(reference)
    if right is None:
        raise Http404("No such registration.")
    return right


def _review_response(request: ReviewerRequest, right: Right, status: int = 200, **bound: Any) -> HttpResponse:
    return render(request, REVIEW_PAGE, {
        "right": right, "details": selectors.right_details(right, with_same_right=True),
        "events": list(right.events.select_related("actor_user").order_by("created_at", "id")),
        "reject_form": bound.get("reject_form") or RejectRightForm()}, status=status)


@lead_required
def review_right(request: ReviewerRequest, reference: str) -> HttpResponse:
    return _review_response(request, _right(reference))


@lead_required
@require_POST
def review_right_verify(request: ReviewerRequest, reference: str) -> HttpResponse:
    right = _right(reference)
    try:
        registry.verify(right, request.user, now=timezone.now())
    except TransitionNotAllowed as exc:
        messages.error(request, str(exc))
        return _review_response(request, right, status=409)
    messages.success(request, _("Registration %(reference)s is verified: its right is on the protection list.")
                     % {"reference": right.reference})
    return redirect("takedowns:review_rights")


@lead_required
@require_POST
def review_right_reject(request: ReviewerRequest, reference: str) -> HttpResponse:
    right = _right(reference)
    form = RejectRightForm(request.POST)
    if not form.is_valid():
        return _review_response(request, right, status=400, reject_form=form)
    try:
        registry.reject(right, request.user, form.cleaned_data["reasons"], now=timezone.now())
    except TransitionNotAllowed as exc:
        messages.error(request, str(exc))
        return _review_response(request, right, status=409, reject_form=form)
    messages.success(request, _("Registration %(reference)s is rejected; the registrant is e-mailed the reasons.")
                     % {"reference": right.reference})
    return redirect("takedowns:review_rights")


@lead_required
def right_evidence_file(request: ReviewerRequest, evidence_id: int) -> FileResponse:
    """A registration's certificate or picture, for leads (who verify registrations)."""
    stored = selectors.right_evidence_file(evidence_id)
    if stored is None:
        raise Http404("No such file.")
    return evidence_response(request, stored)
