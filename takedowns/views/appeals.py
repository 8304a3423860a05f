"""Appeals (DSA Art. 20): filing on the appellant's private page, and the reviewers' appeals queue
and appeal page. The rules are in appeal_rules.py and workflow/appeals.py; these views parse, call
the workflow and redirect."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from takedowns import appeal_rules, limits
from takedowns.access import ReviewerRequest, penalty_link, removal_link, reviewer_required, tracking_link
from takedowns.enums import AppealStatus, Appellant, DecisionOutcome
from takedowns.forms.review import AppealDecisionForm, CursorForm
from takedowns.forms.seller import AppealForm
from takedowns.models import Appeal, Decision, Notice, Penalty
from takedowns.selectors import worklists
from takedowns.selectors.notices import decision_of
from takedowns.views import limited
from takedowns.workflow import TransitionNotAllowed, appeals

APPEAL_PAGE = "takedowns/appeals/file.html"

# --- Filing, on the appellant's private page. ---


def _file(request: HttpRequest, *, back: str, action: str, appellant: str, email: str,
          decision: Decision | None = None, penalty: Penalty | None = None) -> HttpResponse:
    """Validate the form and file the appeal. A form error, a refusal, or too many appeals (limits.py:
    per address and per the appellant's e-mail address) show the form again on its own page with the
    text kept; success goes back to the page the appeal came from."""
    form = AppealForm(request.POST, auto_id="appeal-%s")
    status = 400
    refusal = limited.check(request, limits.APPEAL, email, submitter=appellant == Appellant.SUBMITTER)
    if refusal is not None:
        return limited.refused(request, APPEAL_PAGE, _appeal_form_context(form, back, action, appellant, decision,
                                                                          penalty), refusal,
                               kept=_("Your appeal's text is still in its box below."))
    if form.is_valid():
        try:
            appeals.file_appeal(decision=decision, penalty=penalty, appellant=appellant,
                                text=form.cleaned_data["text"], now=timezone.now())
        except TransitionNotAllowed as exc:
            form.add_error(None, str(exc))
            status = 409
        else:
            messages.success(request, _("Your appeal is filed. We e-mail you when it is decided; "
                                        "its state is on this page."))
            return redirect(back)
    return render(request, APPEAL_PAGE, _appeal_form_context(form, back, action, appellant, decision, penalty),
                  status=status)


def _appeal_form_context(form: AppealForm, back: str, action: str, appellant: str, decision: Decision | None,
                         penalty: Penalty | None) -> dict[str, Any]:
    return {
        "form": form, "back": back, "action": action, "decision": decision, "penalty": penalty,
        "appellant": appellant, "item": decision.item if decision else None,
        "window": appeal_rules.window(decision=decision, penalty=penalty, appellant=appellant, now=timezone.now()),
    }


@removal_link
@require_POST
def seller_removal_appeal(request: HttpRequest, decision: Decision) -> HttpResponse:
    return _file(request, decision=decision, appellant=Appellant.SELLER, back=decision.seller_path(),
                 email=decision.item.listing.seller.email if decision.item.listing else "",
                 action=reverse("takedowns:appeal_removal", args=[decision.pk, decision.seller_token]))


@penalty_link
@require_POST
def seller_penalty_appeal(request: HttpRequest, penalty: Penalty) -> HttpResponse:
    return _file(request, penalty=penalty, appellant=Appellant.SELLER, back=penalty.seller_path(),
                 email=penalty.seller.email,
                 action=reverse("takedowns:appeal_penalty", args=[penalty.pk, penalty.seller_token]))


@tracking_link
@require_POST
def submitter_appeal(request: HttpRequest, notice: Notice, decision_id: int) -> HttpResponse:
    decision = decision_of(notice, decision_id)
    if decision is None:
        raise Http404(_("No such decision on this notice."))
    return _file(request, decision=decision, appellant=Appellant.SUBMITTER, back=notice.tracking_path(),
                 email=notice.submitter_email,
                 action=reverse("takedowns:appeal_rejection", args=[notice.reference, notice.tracking_token,
                                                                    decision.pk]))


# --- The reviewer area. ---

@reviewer_required
def queue(request: ReviewerRequest) -> HttpResponse:
    form = CursorForm(request.GET)
    page = worklists.appeals_page(request.user, form.cleaned_data["after"] if form.is_valid() else None)
    return render(request, "takedowns/appeals/queue.html", {"appeals": page.rows, "next_cursor": page.next_cursor})


def _appeal(appeal_id: int) -> Appeal:
    appeal = worklists.appeal(appeal_id)
    if appeal is None:
        raise Http404(_("No such appeal."))
    return appeal


def _appeal_response(request: ReviewerRequest, appeal: Appeal, form: AppealDecisionForm | None = None,
                     status: int = 200) -> HttpResponse:
    page = worklists.appeal_page(appeal)
    return render(request, "takedowns/appeals/appeal.html", {
        "appeal": appeal, "decision": appeal.decision, "penalty": appeal.penalty, "notice": page.notice,
        "item": appeal.decision.item if appeal.decision is not None else None, "removals": page.removals,
        "clock": page.clock, "conflict": appeal_rules.conflict(appeal, request.user),
        "form": form or AppealDecisionForm(),
    }, status=status)


@reviewer_required
def appeal_detail(request: ReviewerRequest, appeal_id: int) -> HttpResponse:
    return _appeal_response(request, _appeal(appeal_id))


@reviewer_required
@require_POST
def decide(request: ReviewerRequest, appeal_id: int) -> HttpResponse:
    appeal = _appeal(appeal_id)
    form = AppealDecisionForm(request.POST)
    if not form.is_valid():
        return _appeal_response(request, appeal, form, status=400)
    try:
        appeal = appeals.decide_appeal(appeal, request.reviewer, form.cleaned_data["outcome"],
                                       form.cleaned_data["reasons"], now=timezone.now())
    except appeals.AppealConflict as exc:
        form.add_error(None, str(exc))
        return _appeal_response(request, appeal, form, status=403)
    except TransitionNotAllowed as exc:
        form.add_error(None, str(exc))
        return _appeal_response(request, _appeal(appeal_id), form, status=409)
    done = {"appeal": appeal.pk, "outcome": appeal.get_status_display().lower()}
    decision = appeal.decision
    if appeal.status == AppealStatus.REVERSED and decision is not None and decision.outcome == DecisionOutcome.REJECT:
        # The reopened listing is now with this reviewer: straight to it.
        messages.success(request, _("Appeal %(appeal)s decided: %(outcome)s. The appellant is e-mailed the reasons. "
                                    "Listing %(position)s is back in review with you: decide it afresh.")
                         % {**done, "position": decision.item.position})
        return redirect("takedowns:review_notice", reference=decision.item.notice.reference)
    messages.success(request, _("Appeal %(appeal)s decided: %(outcome)s. The appellant is e-mailed the "
                                "reasons.") % done)
    return redirect("takedowns:appeal_detail", appeal_id=appeal.pk)
