"""Appeals (DSA Art. 20): filing on the appellant's private page, and the reviewers' appeals queue
and appeal page. The rules are in workflow/appeals.py; these views parse, call it and redirect."""

import hmac

from django.contrib import messages
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from takedowns import selectors
from takedowns.enums import AppealStatus, Appellant, ClockKind, DecisionOutcome
from takedowns.forms import AppealDecisionForm, AppealForm
from takedowns.models import Appeal, Decision, Penalty, SlaClock
from takedowns.views.public import _notice_for_token
from takedowns.views.review import reviewer_required
from takedowns.workflow import TransitionNotAllowed, appeals

# --- Filing, on the appellant's private page. ---


def _removal_for_token(decision_id: int, token: str) -> Decision:
    decision = (Decision.objects.select_related("item__listing__seller", "item__notice")
                .filter(pk=decision_id, outcome=DecisionOutcome.REMOVE).first())
    if decision is None or not hmac.compare_digest(decision.seller_token.encode(), token.encode()):
        raise Http404("No such decision.")
    return decision


def _penalty_for_token(penalty_id: int, token: str) -> Penalty:
    penalty = Penalty.objects.select_related("seller", "strike__notice").filter(pk=penalty_id).first()
    if penalty is None or not hmac.compare_digest(penalty.seller_token.encode(), token.encode()):
        raise Http404("No such penalty.")
    return penalty


def _file(request: HttpRequest, *, back: str, action: str, appellant: str, decision: Decision | None = None,
          penalty: Penalty | None = None) -> HttpResponse:
    """Validate the form and file the appeal. A form error, or a refusal, shows the form again on
    its own page with the text kept; success goes back to the page the appeal came from."""
    form = AppealForm(request.POST, auto_id="appeal-%s")
    status = 400
    if form.is_valid():
        try:
            appeals.file_appeal(decision=decision, penalty=penalty, appellant=appellant,
                                text=form.cleaned_data["text"], now=timezone.now())
        except TransitionNotAllowed as exc:
            form.add_error(None, str(exc))
            status = 409
        else:
            messages.success(request, "Your appeal is filed. We e-mail you when it is decided; "
                                      "its state is on this page.")
            return redirect(back)
    return render(request, "takedowns/appeals/file.html", {
        "form": form, "back": back, "action": action, "decision": decision, "penalty": penalty,
        "appellant": appellant, "item": decision.item if decision else None,
        "window": appeals.window(decision=decision, penalty=penalty, appellant=appellant, now=timezone.now()),
    }, status=status)


@require_POST
def seller_removal_appeal(request: HttpRequest, decision_id: int, token: str) -> HttpResponse:
    decision = _removal_for_token(decision_id, token)
    return _file(request, decision=decision, appellant=Appellant.SELLER, back=decision.seller_path(),
                 action=reverse("takedowns:appeal_removal", args=[decision.pk, token]))


@require_POST
def seller_penalty_appeal(request: HttpRequest, penalty_id: int, token: str) -> HttpResponse:
    penalty = _penalty_for_token(penalty_id, token)
    return _file(request, penalty=penalty, appellant=Appellant.SELLER, back=penalty.seller_path(),
                 action=reverse("takedowns:appeal_penalty", args=[penalty.pk, token]))


@require_POST
def submitter_appeal(request: HttpRequest, reference: str, token: str, decision_id: int) -> HttpResponse:
    notice = _notice_for_token(reference, token, "tracking_token")
    decision = (Decision.objects.select_related("item__notice", "item__listing", "reason_code")
                .filter(pk=decision_id, item__notice=notice).first())
    if decision is None:
        raise Http404("No such decision on this notice.")
    return _file(request, decision=decision, appellant=Appellant.SUBMITTER, back=notice.tracking_path(),
                 action=reverse("takedowns:appeal_rejection", args=[notice.reference, token, decision.pk]))


# --- The reviewer area. ---

def _queue_page(user, cursor: selectors.FiledCursor | None) -> tuple[list[Appeal], str | None]:
    """Filed appeals, oldest first, keyset-paginated over the (status, filed_at) index; each marked
    with its clock's due time and whether this user took part in the original decision."""
    took_part_in_strike = Decision.objects.filter(
        item__notice=OuterRef("penalty__strike__notice"), item__listing__seller=OuterRef("penalty__seller"),
        outcome=DecisionOutcome.REMOVE, decided_by=user)
    appeals_filed = (Appeal.objects.filter(status=AppealStatus.FILED)
                     .select_related("decision__item__notice", "decision__item__listing", "penalty__seller",
                                     "penalty__strike__notice")
                     .annotate(due_at=Subquery(SlaClock.objects.filter(appeal=OuterRef("pk"),
                                                                       kind=ClockKind.APPEAL_DECISION)
                                               .order_by("-started_at").values("due_at")[:1]),
                               conflicted=ExpressionWrapper(
                                   Q(decision__decided_by=user) | Q(Exists(took_part_in_strike)),
                                   output_field=BooleanField())))
    return selectors.filed_page(appeals_filed, cursor)


@reviewer_required
def queue(request: HttpRequest) -> HttpResponse:
    page, next_cursor = _queue_page(request.user, selectors.FiledCursor.decode(request.GET.get("after")))
    return render(request, "takedowns/appeals/queue.html", {"appeals": page, "next_cursor": next_cursor})


def _appeal(appeal_id: int) -> Appeal:
    return get_object_or_404(Appeal.objects.select_related(
        "decision__item__notice__assigned_to__user", "decision__item__listing__seller", "decision__decided_by",
        "decision__reason_code", "penalty__seller", "penalty__strike__notice", "decided_by"), pk=appeal_id)


def _appeal_response(request: HttpRequest, appeal: Appeal, form: AppealDecisionForm | None = None,
                     status: int = 200) -> HttpResponse:
    if appeal.decision_id:
        notice, removals = appeal.decision.item.notice, []
    else:
        notice = appeal.penalty.strike.notice
        # The removals that brought the strike: what the seller's penalty rests on.
        removals = list(Decision.objects.filter(
            item__notice=notice, item__listing__seller=appeal.penalty.seller_id, outcome=DecisionOutcome.REMOVE)
            .select_related("item__listing", "decided_by").order_by("item__position", "decided_at"))
    return render(request, "takedowns/appeals/appeal.html", {
        "appeal": appeal, "decision": appeal.decision, "penalty": appeal.penalty, "notice": notice,
        "item": appeal.decision.item if appeal.decision_id else None, "removals": removals,
        "clock": appeal.clocks.filter(kind=ClockKind.APPEAL_DECISION).order_by("-started_at").first(),
        "conflict": appeals.conflict(appeal, request.user),
        "form": form or AppealDecisionForm(),
    }, status=status)


@reviewer_required
def appeal_detail(request: HttpRequest, appeal_id: int) -> HttpResponse:
    return _appeal_response(request, _appeal(appeal_id))


@require_POST
@reviewer_required
def decide(request: HttpRequest, appeal_id: int) -> HttpResponse:
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
    done = f"Appeal {appeal.pk} decided: {appeal.get_status_display().lower()}. The appellant is e-mailed the reasons."
    decision = appeal.decision
    if appeal.status == AppealStatus.REVERSED and decision is not None and decision.outcome == DecisionOutcome.REJECT:
        # The reopened listing is now with this reviewer: straight to it.
        messages.success(request, f"{done} Listing {decision.item.position} is back in review with you: "
                                  "decide it afresh.")
        return redirect("takedowns:review_notice", reference=decision.item.notice.reference)
    messages.success(request, done)
    return redirect("takedowns:appeal_detail", appeal_id=appeal.pk)
