"""The reviewer area: the queue, the notice page, claiming and deciding. Login required, and
membership of the Reviewer or Lead group with an active reviewer profile; nothing else gets in."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from takedowns import selectors, workflow
from takedowns.enums import (
    LEAD_GROUP,
    REVIEWER_GROUP,
    DecisionOutcome,
    InfringementReason,
    ItemState,
    NoticeStatus,
    RightType,
    SubmitterTrust,
)
from takedowns.models import Evidence, Notice, ReasonCode, Reviewer

LOGIN_URL = "takedowns:review_login"


def reviewer_required(view):
    @login_required(login_url=LOGIN_URL)
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        reviewer = Reviewer.objects.select_related("user").filter(user=request.user, is_active=True).first()
        if reviewer is None or not request.user.groups.filter(name__in=[REVIEWER_GROUP, LEAD_GROUP]).exists():
            raise PermissionDenied("The reviewer area is for reviewers and leads.")
        request.reviewer = reviewer
        return view(request, *args, **kwargs)
    return wrapper


def lead_required(view):
    """Reviewer area pages for leads only (reassigning, the dashboard, the TDB export)."""
    @reviewer_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not _is_lead(request.user):
            raise PermissionDenied("This is for leads.")
        return view(request, *args, **kwargs)
    return wrapper


def _queue_filters(query) -> selectors.QueueFilters:
    """The queue's filters from the query string; an unknown value means that filter is off."""
    def pick(name: str, allowed, default: str = "") -> str:
        value = query.get(name) or default
        return value if value in allowed else default
    return selectors.QueueFilters(
        status=pick("status", NoticeStatus.values, NoticeStatus.IN_REVIEW),
        right_type=pick("right_type", RightType.values),
        reason=pick("reason", InfringementReason.values),
        scope=pick("scope", QUEUE_SCOPES, "all"),
        trust=pick("trust", SubmitterTrust.values),
    )


QUEUE_SCOPES = {"all": "Everyone's", "mine": "Assigned to me", "unassigned": "Unassigned",
                "escalated": "Escalated to leads"}
QUEUE_TRUSTS = [(SubmitterTrust.TRUSTED_FLAGGER.value, "Trusted flaggers"),
                (SubmitterTrust.GOOD_FAITH.value, "Good-faith programme")]


@reviewer_required
def queue(request: HttpRequest) -> HttpResponse:
    filters = _queue_filters(request.GET)
    page = selectors.review_queue(request.reviewer, filters, selectors.QueueCursor.decode(request.GET.get("after")))
    counts = selectors.queue_counts(request.reviewer, filters.status, timezone.now())

    def options(choices, counted: dict[str, int]) -> list[tuple[str, str, int | None]]:
        return [(value, label, counted.get(value)) for value, label in choices]
    return render(request, "takedowns/review/queue.html", {
        "page": page, "filters": filters, "counted_at": counts.counted_at, "lead": _is_lead(request.user),
        "selects": [
            ("status", filters.status, None, options(selectors.open_statuses(), counts.status)),
            ("right_type", filters.right_type, "All rights", options(RightType.choices, counts.right_type)),
            ("reason", filters.reason, "All reasons", options(InfringementReason.choices, counts.reason)),
            ("scope", filters.scope, None, options(QUEUE_SCOPES.items(), counts.scope)),
            ("trust", filters.trust, "All submitters", options(QUEUE_TRUSTS, counts.trust)),
        ],
    })


def _notice(reference: str) -> Notice:
    return get_object_or_404(Notice.objects.select_related("assigned_to__user", "submitter"), reference=reference)


@reviewer_required
def notice_detail(request: HttpRequest, reference: str) -> HttpResponse:
    notice = _notice(reference)
    return render(request, "takedowns/review/notice.html", {
        "page": selectors.review_page(notice),
        "notice": notice,
        "mine": notice.assigned_to_id == request.reviewer.pk,
        "reason_codes": ReasonCode.objects.filter(is_active=True),
        "outcomes": [*DecisionOutcome.choices, (INFO, "Ask the submitter")],
        "in_review": ItemState.IN_REVIEW,
        "lead": _is_lead(request.user),
        "reviewers": Reviewer.objects.filter(is_active=True).select_related("user").order_by("user__username"),
    })


def _attempt(request: HttpRequest, change, success: str) -> None:
    """Run one workflow change and tell the reviewer how it went."""
    try:
        change()
    except workflow.TransitionNotAllowed as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success)


def _is_lead(user) -> bool:
    return user.groups.filter(name=LEAD_GROUP).exists()


@require_POST
@lead_required
def reassign(request: HttpRequest, reference: str) -> HttpResponse:
    notice = _notice(reference)
    to = Reviewer.objects.select_related("user").filter(pk=request.POST.get("reviewer") or 0).first()
    if to is None:
        messages.error(request, "Choose the reviewer to hand the notice to.")
    else:
        _attempt(request, lambda: workflow.reassign_notice(notice, to, request.user, now=timezone.now()),
                 f"Notice {notice.reference} is now with {to.user.get_username()}.")
    return redirect("takedowns:review_notice", reference=notice.reference)


@require_POST
@reviewer_required
def release(request: HttpRequest, reference: str) -> HttpResponse:
    notice = _notice(reference)
    _attempt(request, lambda: workflow.release_notice(notice, request.reviewer, now=timezone.now()),
             f"Notice {notice.reference} is back in the queue for any reviewer to claim.")
    return redirect("takedowns:review_queue")


@require_POST
@reviewer_required
def escalate(request: HttpRequest, reference: str) -> HttpResponse:
    notice = _notice(reference)
    _attempt(request, lambda: workflow.escalate_notice(notice, request.reviewer, request.POST.get("note", ""),
                                                       now=timezone.now()),
             f"Notice {notice.reference} is escalated; the leads have been e-mailed.")
    return redirect("takedowns:review_notice", reference=notice.reference)


@require_POST
@reviewer_required
def claim(request: HttpRequest, reference: str) -> HttpResponse:
    notice = _notice(reference)
    _attempt(request, lambda: workflow.claim_notice(notice, request.reviewer, now=timezone.now()),
             f"You are working notice {notice.reference}.")
    return redirect("takedowns:review_notice", reference=notice.reference)


INFO = "info"


def _choices_from(post, notice: Notice) -> tuple[list[workflow.ItemDecision], list[int]]:
    """The decision form's per-listing choices, and the listings to ask the submitter about.
    "Apply to all" fills the listings left blank."""
    codes = {str(code.pk): code for code in ReasonCode.objects.filter(is_active=True)}
    bulk_outcome, bulk_reason = post.get("all-outcome", ""), post.get("all-reason", "")
    decisions, questions = [], []
    for item_id in notice.items.filter(state=ItemState.IN_REVIEW).values_list("pk", flat=True):
        own = post.get(f"outcome-{item_id}", "")
        outcome = own or bulk_outcome
        reason = post.get(f"reason-{item_id}") or ("" if own else bulk_reason)
        if outcome == INFO:
            questions.append(item_id)
        elif outcome in DecisionOutcome.values:
            decisions.append(workflow.ItemDecision(item_id, outcome, reason_code=codes.get(reason),
                                                   note=post.get(f"note-{item_id}", "").strip()))
    return decisions, questions


@require_POST
@reviewer_required
def decide(request: HttpRequest, reference: str) -> HttpResponse:
    notice = _notice(reference)
    decisions, questions = _choices_from(request.POST, notice)
    message = request.POST.get("info-message", "").strip()
    now = timezone.now()
    try:
        if not decisions and not questions:
            raise workflow.TransitionNotAllowed("Choose a decision for at least one listing.")
        if questions and not message:
            raise workflow.TransitionNotAllowed("Write the question for the submitter.")
        with transaction.atomic():
            made = workflow.decide_items(notice, request.reviewer, decisions, now) if decisions else []
            if questions:
                workflow.request_information(notice, request.reviewer, questions, message, now)
    except workflow.TransitionNotAllowed as exc:
        messages.error(request, str(exc))
    else:
        done = [f"{len(made)} decision{'s' if len(made) != 1 else ''} recorded"] if made else []
        if questions:
            done.append(f"question sent about {len(questions)} listing{'s' if len(questions) != 1 else ''}")
        messages.success(request, "; ".join(done).capitalize() + ".")
    return redirect("takedowns:review_notice", reference=notice.reference)


@reviewer_required
def evidence_file(request: HttpRequest, evidence_id: int) -> FileResponse:
    evidence = get_object_or_404(Evidence, pk=evidence_id, notice__isnull=False)
    return FileResponse(evidence.file.open("rb"), as_attachment=True, filename=evidence.original_name,
                        content_type=evidence.content_type)
