"""Organisations without a portal account (issue 15, point 1): the public registration, its confirmation (which
proves the e-mail domain), the private page where the organisation manages its API keys and webhook endpoints,
and the leads' verification in /review/organisations/. Thin: a form validates, one workflow.organisations call
acts. A key or a webhook secret is in the one response that made it, never again (no-store: not cached either)."""

import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from takedowns import languages, limits, webhooks
from takedowns.access import (
    ReviewerRequest,
    lead_required,
    organisation_confirmation_link,
    organisation_link,
    public,
)
from takedowns.enums import EmailStatus, OrganisationStatus
from takedowns.forms.organisations import ApiKeyForm, OrganisationForm, OrganisationReasonsForm, WebhookEndpointForm
from takedowns.models import ApiKey, Organisation, WebhookEndpoint
from takedowns.selectors import organisations as selectors
from takedowns.views import limited
from takedowns.views.public import submission_key_of
from takedowns.views.reconnect import once_more_if_disconnected
from takedowns.workflow import TransitionNotAllowed
from takedowns.workflow import organisations as workflow

REGISTER_PAGE = "takedowns/organisations/register.html"
PRIVATE_PAGE = "takedowns/organisations/page.html"
CONFIRM_PAGE = "takedowns/organisations/confirm.html"
REVIEW_PAGE = "takedowns/organisations/review_organisation.html"


# --- Registering, without an account. ---

@once_more_if_disconnected
@public
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        form = OrganisationForm(initial={"submission_key": uuid.uuid4(), "language": languages.page_language()})
        return render(request, REGISTER_PAGE, {"form": form})
    data: QueryDict = request.POST
    key = submission_key_of(data.get("submission_key"))
    # Every sending counts, valid or not, as on the notice form (limits.py).
    refusal = limited.check(request, limits.ORGANISATION, data.get("contact_email", ""))
    if key is None:
        key = uuid.uuid4()
        data = data.copy()
        data["submission_key"] = str(key)
    elif Organisation.objects.filter(submission_key=key).exists():
        return redirect("takedowns:organisation_filed", submission_key=key)  # a double click: made by the first
    form = OrganisationForm(data)
    if refusal is not None:
        return limited.refused(request, REGISTER_PAGE, {"form": form}, refusal,
                               kept=_("Everything you typed is still in the form below."))
    if not form.is_valid():
        return render(request, REGISTER_PAGE, {"form": form}, status=400)
    try:
        workflow.register(form.organisation_fields(), key, now=timezone.now())
    except workflow.RegistrationsWaiting as waiting:
        form.add_error(None, str(waiting))
        return render(request, REGISTER_PAGE, {"form": form}, status=limited.TOO_MANY_REQUESTS)
    return redirect("takedowns:organisation_filed", submission_key=key)


@once_more_if_disconnected
@public
def organisation_filed(request: HttpRequest, submission_key: uuid.UUID) -> HttpResponse:
    # The submission key is the form's own random one-time key: only its sender knows it.
    organisation = get_object_or_404(Organisation, submission_key=submission_key)
    sent = organisation.emails.filter(kind="organisation_confirm", status=EmailStatus.SENT).exists()
    return render(request, "takedowns/organisations/filed.html",
                  {"organisation": organisation, "confirmation_sent": sent})


@once_more_if_disconnected
@organisation_confirmation_link
@require_http_methods(["GET", "POST"])
def organisation_confirm(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    if request.method == "GET":
        # A GET never changes state (mail scanners follow links): the page asks for one click.
        if organisation.confirmed_at is not None:
            return redirect(organisation.tracking_path())
        return render(request, CONFIRM_PAGE, {"organisation": organisation})
    refusal = limited.check(request, limits.CONFIRMATION, organisation.contact_email)
    if refusal is not None:
        return limited.refused(request, CONFIRM_PAGE, {"organisation": organisation}, refusal,
                               kept=_("Your registration is kept as it is, waiting for this confirmation."))
    try:
        organisation = workflow.confirm(organisation, now=timezone.now())
    except TransitionNotAllowed as exc:
        return render(request, CONFIRM_PAGE, {"organisation": organisation, "error": str(exc)}, status=409)
    if organisation.status == OrganisationStatus.PENDING:
        messages.success(request, _("Thank you: organisation %(reference)s is confirmed; we verify it next.")
                         % {"reference": organisation.reference})
    return redirect(organisation.tracking_path())


# --- The organisation's private page. ---

def _private_context(request: HttpRequest, organisation: Organisation, shown: dict[str, str] | None = None,
                     **bound: Any) -> dict[str, Any]:
    return {
        "organisation": organisation,
        "page": selectors.private_page(organisation, request.GET.get("after"), timezone.now()),
        "key_form": bound.get("key_form") or ApiKeyForm(),
        "endpoint_form": bound.get("endpoint_form") or WebhookEndpointForm(),
        "manageable": organisation.status in workflow.MANAGEABLE,
        "grace_hours": int(workflow.ROTATION_GRACE.total_seconds() // 3600),
        "uploads_url": reverse("takedowns:upload_new", args=[organisation.reference, organisation.tracking_token]),
        "api_docs_url": reverse("api:openapi-view"),
        # {"what": "key" or "secret", "value": ..., "name": ...}: in this response only.
        "shown": shown,
    }


def _private_response(request: HttpRequest, organisation: Organisation, status: int = 200,
                      shown: dict[str, str] | None = None, **bound: Any) -> HttpResponse:
    response = render(request, PRIVATE_PAGE, _private_context(request, organisation, shown, **bound), status=status)
    response["Cache-Control"] = "no-store"
    return response


@once_more_if_disconnected
@organisation_link
@require_http_methods(["GET"])
def organisation_page(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    return _private_response(request, organisation)


def _changes_refused(request: HttpRequest, organisation: Organisation, **bound: Any) -> HttpResponse | None:
    """The private page's changes count against the organisation step's limits (limits.py)."""
    refusal = limited.check(request, limits.ORGANISATION, organisation.contact_email)
    if refusal is None:
        return None
    return limited.refused(request, PRIVATE_PAGE, _private_context(request, organisation, **bound), refusal,
                           kept=_("What you typed is still in the form below."))


def _refused(request: HttpRequest, organisation: Organisation, exc: TransitionNotAllowed) -> HttpResponse:
    messages.error(request, str(exc))
    return redirect(organisation.tracking_path())


def _show_once(request: HttpRequest, organisation: Organisation, make: Callable[[], dict[str, str]],
               **bound: Any) -> HttpResponse:
    """A step that makes a key or a secret: counted against the limits, its form (in `bound`) checked, then
    `make` acts and says what to show, in this response only."""
    refused = _changes_refused(request, organisation, **bound)
    if refused is not None:
        return refused
    form = next(iter(bound.values()), None)
    if form is not None and not form.is_valid():
        return _private_response(request, organisation, status=400, **bound)
    try:
        shown = make()
    except TransitionNotAllowed as exc:
        return _refused(request, organisation, exc)
    return _private_response(request, organisation, shown=shown)


def _key_shown(row: ApiKey, key: str, **more: str) -> dict[str, str]:
    return {"what": "key", "value": key, "name": row.name, "prefix": row.prefix, **more}


def _secret_shown(endpoint: WebhookEndpoint, secret: str, **more: str) -> dict[str, str]:
    return {"what": "secret", "value": secret, "name": endpoint.url, **more}


@organisation_link
@require_POST
def key_create(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    form = ApiKeyForm(request.POST)
    return _show_once(request, organisation, lambda: _key_shown(*workflow.create_key(
        organisation, form.cleaned_data["name"], form.cleaned_data["scopes"], now=timezone.now())), key_form=form)


def _key(organisation: Organisation, key_id: int) -> ApiKey:
    found = organisation.api_keys.filter(pk=key_id).first()
    if found is None:
        raise Http404("No such key.")
    return found


@organisation_link
@require_POST
def key_revoke(request: HttpRequest, organisation: Organisation, key_id: int) -> HttpResponse:
    try:
        key = workflow.revoke_key(_key(organisation, key_id), now=timezone.now())
    except TransitionNotAllowed as exc:
        return _refused(request, organisation, exc)
    messages.success(request, _("API key %(prefix)s… (%(name)s) is revoked: it no longer works.")
                     % {"prefix": key.prefix, "name": key.name})
    return redirect(f"{organisation.tracking_path()}#keys")


@organisation_link
@require_POST
def key_rotate(request: HttpRequest, organisation: Organisation, key_id: int) -> HttpResponse:
    key = _key(organisation, key_id)
    return _show_once(request, organisation,
                      lambda: _key_shown(*workflow.rotate_key(key, now=timezone.now()), rotated="yes"))


def _endpoint(organisation: Organisation, endpoint_id: int) -> WebhookEndpoint:
    found = organisation.webhook_endpoints.filter(pk=endpoint_id, removed_at__isnull=True).first()
    if found is None:
        raise Http404("No such endpoint.")
    return found


@organisation_link
@require_POST
def endpoint_add(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    form = WebhookEndpointForm(request.POST)
    return _show_once(request, organisation, lambda: _secret_shown(*workflow.add_endpoint(
        organisation, form.cleaned_data["url"], now=timezone.now())), endpoint_form=form)


@organisation_link
@require_POST
def endpoint_rotate(request: HttpRequest, organisation: Organisation, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint(organisation, endpoint_id)
    return _show_once(request, organisation, lambda: _secret_shown(
        *workflow.rotate_endpoint_secret(endpoint, now=timezone.now()), rotated="yes"))


@organisation_link
@require_POST
def endpoint_remove(request: HttpRequest, organisation: Organisation, endpoint_id: int) -> HttpResponse:
    try:
        endpoint = workflow.remove_endpoint(_endpoint(organisation, endpoint_id), now=timezone.now())
    except TransitionNotAllowed as exc:
        return _refused(request, organisation, exc)
    messages.success(request, _("The webhook endpoint %(url)s is removed: it receives no more events.")
                     % {"url": endpoint.url})
    return redirect(f"{organisation.tracking_path()}#webhooks")


@organisation_link
@require_POST
def endpoint_test(request: HttpRequest, organisation: Organisation, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint(organisation, endpoint_id)
    refused = _changes_refused(request, organisation)
    if refused is not None:
        return refused
    if organisation.status not in workflow.MANAGEABLE or not endpoint.is_active:
        messages.error(request, _("This endpoint receives no events: the organisation is “%(status)s”.")
                       % {"status": organisation.get_status_display()})
    else:
        webhooks.send_test_event(endpoint, timezone.now())
        messages.success(request, _("A test event is on its way to %(url)s: its delivery shows below within a few "
                                    "seconds (reload the page).") % {"url": endpoint.url})
    return redirect(f"{organisation.tracking_path()}#deliveries")


# --- The leads' verification. ---

@lead_required
def review_organisations(request: ReviewerRequest) -> HttpResponse:
    return render(request, "takedowns/organisations/review_organisations.html", {
        "pending": selectors.pending_organisations(request.GET.get("after")),
        "others": selectors.other_organisations(request.GET.get("others"))})


def _organisation(reference: str) -> Organisation:
    organisation = selectors.organisation_by_reference(reference)
    if organisation is None:
        raise Http404("No such organisation.")
    return organisation


def _review_response(request: ReviewerRequest, organisation: Organisation, status: int = 200,
                     **bound: Any) -> HttpResponse:
    return render(request, REVIEW_PAGE, {
        "organisation": organisation, "same_domain": selectors.same_domain(organisation),
        "events": [selectors.TimelineEntry(event, selectors.event_words(event))
                   for event in organisation.events.select_related("actor_user").order_by("created_at", "id")],
        "key_count": organisation.api_keys.filter(revoked_at__isnull=True).count(),
        "reject_form": bound.get("reject_form") or OrganisationReasonsForm(prefix="reject"),
        "suspend_form": bound.get("suspend_form") or OrganisationReasonsForm(prefix="suspend")}, status=status)


@lead_required
def review_organisation(request: ReviewerRequest, reference: str) -> HttpResponse:
    return _review_response(request, _organisation(reference))


@lead_required
@require_POST
def review_organisation_verify(request: ReviewerRequest, reference: str) -> HttpResponse:
    organisation = _organisation(reference)
    try:
        workflow.verify(organisation, request.user, now=timezone.now())
    except TransitionNotAllowed as exc:
        messages.error(request, str(exc))
        return _review_response(request, organisation, status=409)
    messages.success(request, _("Organisation %(reference)s is verified: its notices are received without e-mail "
                                "confirmation.") % {"reference": organisation.reference})
    return redirect("takedowns:review_organisations")


def _with_reasons(request: ReviewerRequest, reference: str, action: str) -> HttpResponse:
    organisation = _organisation(reference)
    form = OrganisationReasonsForm(request.POST, prefix=action)
    if not form.is_valid():
        return _review_response(request, organisation, status=400, **{f"{action}_form": form})
    step = workflow.reject if action == "reject" else workflow.suspend
    try:
        step(organisation, request.user, form.cleaned_data["reasons"], now=timezone.now())
    except TransitionNotAllowed as exc:
        messages.error(request, str(exc))
        return _review_response(request, organisation, status=409, **{f"{action}_form": form})
    done = (_("Organisation %(reference)s is rejected; its contact is e-mailed the reasons.") if action == "reject"
            else _("Organisation %(reference)s is suspended: its API keys stopped working; its contact is e-mailed "
                   "the reasons."))
    messages.success(request, done % {"reference": organisation.reference})
    return redirect("takedowns:review_organisations")


@lead_required
@require_POST
def review_organisation_reject(request: ReviewerRequest, reference: str) -> HttpResponse:
    return _with_reasons(request, reference, "reject")


@lead_required
@require_POST
def review_organisation_suspend(request: ReviewerRequest, reference: str) -> HttpResponse:
    return _with_reasons(request, reference, "suspend")
