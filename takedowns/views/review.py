"""The reviewer area: the queue, the notice page, claiming and deciding. Every page needs an active
reviewer (access.reviewer_required); reassigning needs a lead. Each POST is parsed by a form and
makes one workflow call; on an error the notice page comes back with the error beside the field
and every choice kept (400 for bad input, 409 when the notice changed meanwhile)."""

from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from takedowns import evidence, workflow
from takedowns.access import ReviewerRequest, check_notice, lead_required, may_open_notice, reviewer_required
from takedowns.enums import InfringementReason, ItemState, RightType
from takedowns.forms.review import EscalateForm, QueueFilterForm, ReassignForm, ReviewForm
from takedowns.models import Notice, ReasonCode
from takedowns.policies import duration_text
from takedowns.selectors import queue as queue_selectors
from takedowns.selectors.notices import evidence_file_of, notice_for_review, removal_grounds_for, review_page
from takedowns.workflow import clocks


def _options(choices: Any, counted: dict[str, int]) -> list[tuple[str, str, int | None]]:
    return [(value, label, counted.get(value)) for value, label in choices]


@reviewer_required
def queue(request: ReviewerRequest) -> HttpResponse:
    form = QueueFilterForm(request.GET)
    filters = form.filters()
    page = queue_selectors.review_queue(request.reviewer, filters, form.cleaned_data.get("after"))
    counts = queue_selectors.queue_counts(request.reviewer, filters.status, timezone.now())
    for notice in page.rows:
        notice.may_open = may_open_notice(request, notice)
    return render(request, "takedowns/review/queue.html", {
        "page": page, "filters": filters, "counted_at": counts.counted_at, "lead": request.lead,
        "trusted_flaggers": _trusted_flaggers_line(),
        "filter_errors": [(name, error) for name, errors in form.errors.items() for error in errors],
        "selects": [
            ("status", filters.status, None, _options(queue_selectors.open_statuses(), counts.status)),
            ("right_type", filters.right_type, "All rights", _options(RightType.choices, counts.right_type)),
            ("reason", filters.reason, "All reasons", _options(InfringementReason.choices, counts.reason)),
            ("scope", filters.scope, None, _options(queue_selectors.QUEUE_SCOPES.items(), counts.scope)),
            ("trust", filters.trust, "All submitters", _options(queue_selectors.QUEUE_TRUSTS, counts.trust)),
            ("risk", filters.risk, "Any risk", _options(queue_selectors.QUEUE_RISKS, counts.risk)),
        ],
    }, status=400 if form.errors else 200)


def _trusted_flaggers_line() -> dict[str, Any] | None:
    """What the queue's sentence on trusted flaggers' notices (DSA Art. 22) says, only what holds:
    "shorter" only when every trusted-flagger decision target is shorter than every other notice's
    on the same calendar (clocks.trusted_flagger_targets); otherwise what policy_for guarantees, a
    due time no later than the same notice from anyone else. None without a trusted-flagger policy."""
    targets = clocks.trusted_flagger_targets()
    if targets is None:
        return None
    words = duration_text(targets.shortest)
    if targets.longest != targets.shortest:
        words = f"{words} to {duration_text(targets.longest)}"
    return {"target": words, "shorter": targets.shorter_than_all_others}


def _notice(request: ReviewerRequest, reference: str) -> Notice:
    """The notice, for a reviewer who may open it (access.may_open_notice), else 403."""
    notice = notice_for_review(reference)
    if notice is None:
        raise Http404("No such notice.")
    check_notice(request, notice)
    return notice


def _notice_response(request: ReviewerRequest, notice: Notice, status: int = 200, **bound: Any) -> HttpResponse:
    """The notice page. `bound` holds the forms posted with an error (review_form, escalate_form,
    reassign_form), shown with their errors and everything typed; the others are empty."""
    page = review_page(notice)
    waiting = [item for item in page.items if item.state == ItemState.IN_REVIEW]
    review_form = bound.pop("review_form", None) or ReviewForm(
        waiting, ReasonCode.objects.filter(is_active=True), grounds=removal_grounds_for(notice, waiting))
    rows = review_form.rows_by_item()
    return render(request, "takedowns/review/notice.html", {
        "page": page, "notice": notice, "mine": notice.assigned_to_id == request.reviewer.pk,
        "lead": request.lead, "review_form": review_form,
        "item_rows": [(item, rows.get(item.pk)) for item in page.items],
        "escalate_form": EscalateForm(), "reassign_form": ReassignForm(initial={"reviewer": notice.assigned_to_id}),
        **bound,
    }, status=status)


@reviewer_required
def notice_detail(request: ReviewerRequest, reference: str) -> HttpResponse:
    return _notice_response(request, _notice(request, reference))


def _attempt(request: HttpRequest, change: Any, success: str) -> bool:
    """Run one workflow change and tell the reviewer how it went."""
    try:
        change()
    except workflow.TransitionNotAllowed as exc:
        messages.error(request, str(exc))
        return False
    messages.success(request, success)
    return True


@lead_required
@require_POST
def reassign(request: ReviewerRequest, reference: str) -> HttpResponse:
    notice = _notice(request, reference)
    form = ReassignForm(request.POST)
    if not form.is_valid():
        return _notice_response(request, notice, status=400, reassign_form=form)
    to = form.cleaned_data["reviewer"]
    _attempt(request, lambda: workflow.reassign_notice(notice, to, request.user, now=timezone.now()),
             f"Notice {notice.reference} is now with {to.user.get_username()}.")
    return redirect("takedowns:review_notice", reference=notice.reference)


@reviewer_required
@require_POST
def release(request: ReviewerRequest, reference: str) -> HttpResponse:
    notice = _notice(request, reference)
    _attempt(request, lambda: workflow.release_notice(notice, request.reviewer, now=timezone.now()),
             f"Notice {notice.reference} is back in the queue for any reviewer to claim.")
    return redirect("takedowns:review_queue")


@reviewer_required
@require_POST
def escalate(request: ReviewerRequest, reference: str) -> HttpResponse:
    notice = _notice(request, reference)
    form = EscalateForm(request.POST)
    if not form.is_valid():
        return _notice_response(request, notice, status=400, escalate_form=form)
    _attempt(request, lambda: workflow.escalate_notice(notice, request.reviewer, form.cleaned_data["note"],
                                                       now=timezone.now()),
             f"Notice {notice.reference} is escalated; the leads have been e-mailed.")
    return redirect("takedowns:review_notice", reference=notice.reference)


@reviewer_required
@require_POST
def claim(request: ReviewerRequest, reference: str) -> HttpResponse:
    notice = _notice(request, reference)
    _attempt(request, lambda: workflow.claim_notice(notice, request.reviewer, now=timezone.now()),
             f"You are working notice {notice.reference}.")
    return redirect("takedowns:review_notice", reference=notice.reference)


@reviewer_required
@require_POST
def decide(request: ReviewerRequest, reference: str) -> HttpResponse:
    notice = _notice(request, reference)
    waiting = list(notice.items.filter(state=ItemState.IN_REVIEW).order_by("position"))
    form = ReviewForm(waiting, ReasonCode.objects.filter(is_active=True), request.POST)
    if not form.is_valid():
        return _notice_response(request, notice, status=400, review_form=form)
    try:
        made = workflow.decide_items(notice, request.reviewer, form.decisions, timezone.now(), question=form.question)
    except workflow.TransitionNotAllowed as exc:
        form.non_field_errors.append(str(exc))
        return _notice_response(request, _notice(request, reference), status=409, review_form=form)
    messages.success(request, _decided_message(len(made), len(form.question.item_ids) if form.question else 0))
    return redirect("takedowns:review_notice", reference=notice.reference)


def _decided_message(decided: int, asked: int) -> str:
    done = [f"{decided} decision{'s' if decided != 1 else ''} recorded"] if decided else []
    if asked:
        done.append(f"question sent about {asked} listing{'s' if asked != 1 else ''}")
    return "; ".join(done).capitalize() + "."


@reviewer_required
def evidence_file(request: ReviewerRequest, evidence_id: int) -> FileResponse:
    stored = evidence_file_of(evidence_id)
    if stored is None or stored.notice is None:
        raise Http404("No such evidence file.")
    check_notice(request, stored.notice)  # the same people as the notice's page
    # Always a download, under a name whose extension is the type its content shows (a `poly.html`
    # that is a JPEG comes down as `poly.jpg`), and never sniffed into something else.
    response = FileResponse(stored.file.open("rb"), as_attachment=True, filename=evidence.download_name(stored),
                            content_type=stored.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response

