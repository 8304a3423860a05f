"""Notifier misuse (DSA Art. 23): the leads' pages (proposals to decide or dismiss, appeals to decide)
and the notifier's (the statement of reasons behind a private link, and the appeal, filed there or
on a notice's tracking page). The rules are in notifier_ladder.py and workflow/notifier_misuse.py;
these views parse, call the workflow and redirect."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from takedowns import notifier_ladder
from takedowns.access import ReviewerRequest, lead_required, notifier_measure_link, tracking_link
from takedowns.enums import AppealStatus
from takedowns.forms.leads import NotifierAppealDecisionForm, NotifierDismissForm, NotifierMeasureForm
from takedowns.forms.seller import NotifierAppealForm
from takedowns.models import Notice, NotifierAppeal, NotifierMeasure, NotifierProposal
from takedowns.selectors import notifiers
from takedowns.workflow import TransitionNotAllowed, notifier_misuse

# --- The notifier: the statement of reasons and the appeal. ---


def _statement_context(measure: NotifierMeasure) -> dict:
    view = notifiers.measure_view(measure, timezone.now())
    return {"row": view, "measure": measure, "proposal": view.proposal, "share": view.share, "codes": view.codes,
            "appeal_deadline": view.deadline, "policy_url": reverse("takedowns:policy_notifier_misuse")}


@notifier_measure_link
@require_GET
def measure_page(request: HttpRequest, measure: NotifierMeasure) -> HttpResponse:
    return render(request, "takedowns/notifiers/measure.html", {
        **_statement_context(measure), "appeal_form": NotifierAppealForm(auto_id="notifier-appeal-%s"),
        "appeal_action": reverse("takedowns:notifier_measure_appeal", args=[measure.pk, measure.token])})


def _file(request: HttpRequest, measure: NotifierMeasure, *, back: str, action: str,
          appellant_email: str = "") -> HttpResponse:
    """File the appeal; a form error or a refusal shows the form again on a page of its own, the text kept."""
    form = NotifierAppealForm(request.POST, auto_id="notifier-appeal-%s")
    status = 400
    if form.is_valid():
        try:
            notifier_misuse.file_appeal(measure, form.cleaned_data["text"], timezone.now(),
                                        appellant_email=appellant_email)
        except TransitionNotAllowed as exc:
            form.add_error(None, str(exc))
            status = 409
        else:
            messages.success(request, _("Your appeal is filed. We e-mail you when it is decided; its state is on "
                                        "this page."))
            return redirect(back)
    return render(request, "takedowns/notifiers/file_appeal.html", {
        **_statement_context(measure), "appeal_form": form, "appeal_action": action, "back": back}, status=status)


@notifier_measure_link
@require_POST
def measure_appeal(request: HttpRequest, measure: NotifierMeasure) -> HttpResponse:
    return _file(request, measure, back=measure.private_path(),
                 action=reverse("takedowns:notifier_measure_appeal", args=[measure.pk, measure.token]))


@tracking_link
@require_POST
def tracking_appeal(request: HttpRequest, notice: Notice, measure_id: int) -> HttpResponse:
    """The appeal from a notice's tracking page: against a measure about the notice's address or its
    organisation, by that address."""
    measure = NotifierMeasure.objects.select_related("proposal").filter(pk=measure_id).first()
    if measure is None or not notifier_ladder.concerns(measure, notice.submitter_email):
        raise Http404(_("No such measure about this notice's sender."))
    return _file(request, measure, back=f"{notice.tracking_path()}#notifier-measures",
                 appellant_email=notice.submitter_email,
                 action=reverse("takedowns:tracking_notifier_appeal",
                                args=[notice.reference, notice.tracking_token, measure.pk]))


# --- The leads. ---


@lead_required
@require_GET
def cases(request: ReviewerRequest) -> HttpResponse:
    return render(request, "takedowns/notifiers/cases.html", {
        "proposals": notifiers.open_proposals(), "appeals": notifiers.filed_appeals(),
        "measures": notifiers.recent_measures(), "now": timezone.now(), "limit": notifiers.LIST_SIZE})


def _proposal(proposal_id: int) -> NotifierProposal:
    found = notifiers.proposal(proposal_id)
    if found is None:
        raise Http404(_("No such proposal."))
    return found


def _proposal_response(request: ReviewerRequest, proposal: NotifierProposal, status: int = 200,
                       measure_form: NotifierMeasureForm | None = None,
                       dismiss_form: NotifierDismissForm | None = None) -> HttpResponse:
    now = timezone.now()
    return render(request, "takedowns/notifiers/proposal.html", {
        "proposal": proposal, "codes": notifiers.reason_titles(proposal),
        "share": notifier_ladder.share_percent(proposal.unfounded_listings, proposal.decided_listings),
        "step": notifiers.next_step(notifier_ladder.policy(), proposal.scope, proposal.notifier, now),
        "notices": notifiers.counted_notices(proposal), "history": notifiers.history(proposal.scope,
                                                                                       proposal.notifier),
        "measure_form": measure_form or NotifierMeasureForm(), "dismiss_form": dismiss_form or NotifierDismissForm(),
        "limit": notifiers.LIST_SIZE}, status=status)


@lead_required
@require_GET
def proposal_page(request: ReviewerRequest, proposal_id: int) -> HttpResponse:
    return _proposal_response(request, _proposal(proposal_id))


@lead_required
@require_POST
def decide_proposal(request: ReviewerRequest, proposal_id: int) -> HttpResponse:
    proposal = _proposal(proposal_id)
    form = NotifierMeasureForm(request.POST)
    if not form.is_valid():
        return _proposal_response(request, proposal, status=400, measure_form=form)
    try:
        measure = notifier_misuse.decide_proposal(proposal, request.user, form.cleaned_data["statement"],
                                                  timezone.now())
    except TransitionNotAllowed as exc:
        form.add_error(None, str(exc))
        return _proposal_response(request, _proposal(proposal_id), status=409, measure_form=form)
    messages.success(request, _("%(measure)s decided for %(notifier)s; the statement of reasons is e-mailed to "
                                "%(recipients)s.") % {"measure": measure.get_level_display(),
                                                      "notifier": measure.notifier,
                                                      "recipients": ", ".join(measure.recipients)})
    return redirect("takedowns:notifier_proposal", proposal_id=proposal.pk)


@lead_required
@require_POST
def dismiss_proposal(request: ReviewerRequest, proposal_id: int) -> HttpResponse:
    proposal = _proposal(proposal_id)
    form = NotifierDismissForm(request.POST)
    if not form.is_valid():
        return _proposal_response(request, proposal, status=400, dismiss_form=form)
    try:
        notifier_misuse.dismiss_proposal(proposal, request.user, form.cleaned_data["reasons"], timezone.now())
    except TransitionNotAllowed as exc:
        form.add_error(None, str(exc))
        return _proposal_response(request, _proposal(proposal_id), status=409, dismiss_form=form)
    messages.success(request, _("Proposal for %(notifier)s dismissed: no measure.") % {"notifier": proposal.notifier})
    return redirect("takedowns:notifier_proposal", proposal_id=proposal.pk)


def _appeal(appeal_id: int) -> NotifierAppeal:
    found = notifiers.notifier_appeal(appeal_id)
    if found is None:
        raise Http404(_("No such appeal."))
    return found


def _appeal_response(request: ReviewerRequest, appeal: NotifierAppeal,
                     form: NotifierAppealDecisionForm | None = None, status: int = 200) -> HttpResponse:
    measure = appeal.measure
    return render(request, "takedowns/notifiers/appeal.html", {
        **_statement_context(measure), "appeal": appeal, "conflict": notifier_ladder.appeal_conflict(
            measure, request.user), "form": form or NotifierAppealDecisionForm(),
        "history": notifiers.history(measure.scope, measure.notifier)}, status=status)


@lead_required
@require_GET
def appeal_page(request: ReviewerRequest, appeal_id: int) -> HttpResponse:
    return _appeal_response(request, _appeal(appeal_id))


@lead_required
@require_POST
def decide_appeal(request: ReviewerRequest, appeal_id: int) -> HttpResponse:
    appeal = _appeal(appeal_id)
    form = NotifierAppealDecisionForm(request.POST)
    if not form.is_valid():
        return _appeal_response(request, appeal, form, status=400)
    try:
        appeal = notifier_misuse.decide_appeal(appeal, request.user, form.cleaned_data["outcome"],
                                               form.cleaned_data["reasons"], timezone.now())
    except notifier_misuse.NotifierAppealConflict as exc:
        form.add_error(None, str(exc))
        return _appeal_response(request, appeal, form, status=403)
    except TransitionNotAllowed as exc:
        form.add_error(None, str(exc))
        return _appeal_response(request, _appeal(appeal_id), form, status=409)
    outcome = {"outcome": appeal.get_status_display().lower()}
    if appeal.status == AppealStatus.REVERSED:
        messages.success(request, _("Appeal decided: %(outcome)s. The measure is lifted. The notifier is e-mailed "
                                    "the reasons.") % outcome)
    else:
        messages.success(request, _("Appeal decided: %(outcome)s. The notifier is e-mailed the reasons.") % outcome)
    return redirect("takedowns:notifier_appeal", appeal_id=appeal.pk)
