"""The reviewer area: the queue, the notice page, claiming and deciding. Every page needs an active
reviewer (access.reviewer_required); reassigning needs a lead. Each POST is parsed by a form and
makes one workflow call; on an error the notice page comes back with the error beside the field
and every choice kept (400 for bad input, 409 when the notice changed meanwhile)."""

from typing import Any

from csp.constants import NONE, SELF
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from takedowns import evidence, workflow
from takedowns.access import ReviewerRequest, check_notice, lead_required, may_open_notice, reviewer_required
from takedowns.enums import InfringementReason, ItemState, RightType
from takedowns.forms.review import EscalateForm, QueueFilterForm, ReassignForm, ReviewForm
from takedowns.models import Evidence, Notice, ReasonCode
from takedowns.policies import duration_text
from takedowns.selectors import queue as queue_selectors
from takedowns.selectors import worklists
from takedowns.selectors.notices import (
    evidence_file_of,
    notice_for_review,
    preview_kind,
    removal_grounds_for,
    review_page,
)
from takedowns.workflow import clocks


def _options(choices: Any, counted: dict[str, int]) -> list[tuple[str, str, int | None]]:
    return [(value, label, counted.get(value)) for value, label in choices]


@reviewer_required
def queue(request: ReviewerRequest) -> HttpResponse:
    form = QueueFilterForm(request.GET)
    filters = form.filters()
    page = queue_selectors.review_queue(request.reviewer, filters, form.cleaned_data.get("after"))
    counts = queue_selectors.queue_counts(request.reviewer, filters.status, timezone.now())
    # The count over the table comes from the rows' own queryset (queue_selectors.filtered_notices),
    # not from the cached counts beside the filters, so it always matches the rows below it.
    total = queue_selectors.queue_total(request.reviewer, filters)
    for notice in page.rows:
        notice.may_open = may_open_notice(request, notice)
    return render(request, "takedowns/review/queue.html", {
        "page": page, "filters": filters, "counted_at": counts.counted_at, "lead": request.lead, "total": total,
        "appeals_waiting": worklists.appeals_waiting(),
        "counter_notices_waiting": worklists.counter_notices_waiting(),
        "trusted_flaggers": _trusted_flaggers_line(),
        "filter_errors": [(name, error) for name, errors in form.errors.items() for error in errors],
        "selects": [
            ("status", _("Status"), filters.status, None, _options(queue_selectors.open_statuses(), counts.status)),
            ("right_type", _("Right"), filters.right_type, _("All rights"),
             _options(RightType.choices, counts.right_type)),
            ("reason", _("Reason"), filters.reason, _("All reasons"),
             _options(InfringementReason.choices, counts.reason)),
            ("scope", _("Assigned to"), filters.scope, None,
             _options(queue_selectors.QUEUE_SCOPES.items(), counts.scope)),
            ("trust", _("Submitter"), filters.trust, _("All submitters"),
             _options(queue_selectors.QUEUE_TRUSTS, counts.trust)),
            ("risk", _("Risk"), filters.risk, _("Any risk"), _options(queue_selectors.QUEUE_RISKS, counts.risk)),
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
        # Translators: a range of durations, e.g. "24 hours to 2 days".
        words = _("%(shortest)s to %(longest)s") % {"shortest": words, "longest": duration_text(targets.longest)}
    return {"target": words, "shorter": targets.shorter_than_all_others}


def _notice(request: ReviewerRequest, reference: str) -> Notice:
    """The notice, for a reviewer who may open it (access.may_open_notice), else 403."""
    notice = notice_for_review(reference)
    if notice is None:
        raise Http404(_("No such notice."))
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
        "reasons": list(dict.fromkeys(str(item.get_reason_display()) for item in page.items)),
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
             _("Notice %(reference)s is now with %(reviewer)s.") % {"reference": notice.reference,
                                                                      "reviewer": to.user.get_username()})
    return redirect("takedowns:review_notice", reference=notice.reference)


@reviewer_required
@require_POST
def release(request: ReviewerRequest, reference: str) -> HttpResponse:
    notice = _notice(request, reference)
    _attempt(request, lambda: workflow.release_notice(notice, request.reviewer, now=timezone.now()),
             _("Notice %(reference)s is back in the queue for any reviewer to claim.")
             % {"reference": notice.reference})
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
             _("Notice %(reference)s is escalated; the leads have been e-mailed.") % {"reference": notice.reference})
    return redirect("takedowns:review_notice", reference=notice.reference)


@reviewer_required
@require_POST
def claim(request: ReviewerRequest, reference: str) -> HttpResponse:
    notice = _notice(request, reference)
    _attempt(request, lambda: workflow.claim_notice(notice, request.reviewer, now=timezone.now()),
             _("You are working notice %(reference)s.") % {"reference": notice.reference})
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
    if request.POST.get("then") == NEXT_NOTICE:
        return _next_notice(request, notice)
    return redirect("takedowns:review_notice", reference=notice.reference)


# The value of the decision form's second submit button, "Record and open the next notice in my queue".
NEXT_NOTICE = "next"


def _next_notice(request: ReviewerRequest, decided: Notice) -> HttpResponse:
    """After "Record and open the next notice": the next notice assigned to this reviewer, in the
    queue page's order (only ever one of their own), or back to the queue saying there is none."""
    following = queue_selectors.next_in_my_queue(request.reviewer, decided)
    if following is None:
        messages.info(request, _("No other notice is assigned to you; claim one from the queue."))
        return redirect("takedowns:review_queue")
    return redirect("takedowns:review_notice", reference=following.reference)


def _decided_message(decided: int, asked: int) -> str:
    # Translators: the counts are numbers of listings on one notice.
    if decided and asked == 1:
        return ngettext("%(decided)d decision recorded; question sent about 1 listing.",
                        "%(decided)d decisions recorded; question sent about 1 listing.",
                        decided) % {"decided": decided}
    if decided and asked:
        return ngettext("%(decided)d decision recorded; question sent about %(asked)d listings.",
                        "%(decided)d decisions recorded; question sent about %(asked)d listings.",
                        decided) % {"decided": decided, "asked": asked}
    if asked:
        return ngettext("Question sent about %(asked)d listing.", "Question sent about %(asked)d listings.",
                        asked) % {"asked": asked}
    return ngettext("%(decided)d decision recorded.", "%(decided)d decisions recorded.", decided) % {
        "decided": decided}


@reviewer_required
def evidence_file(request: ReviewerRequest, evidence_id: int) -> FileResponse:
    stored = evidence_file_of(evidence_id)
    if stored is None or stored.notice is None:
        raise Http404(_("No such evidence file."))
    check_notice(request, stored.notice)  # the same people as the notice's page
    return evidence_response(request, stored)


def evidence_response(request: HttpRequest, stored: Evidence) -> FileResponse:
    """A stored file for a member of staff whom the caller has let see it: inline with ?preview=1 where it
    can be previewed, else a download (also the files of a right's registration, views/registry.py)."""
    if request.GET.get("preview") == "1" and preview_kind(stored.content_type):
        return _evidence_preview(stored)
    # Always a download, under a name whose extension is the type its content shows (a `poly.html`
    # that is a JPEG comes down as `poly.jpg`), and never sniffed into something else.
    response = FileResponse(stored.file.open("rb"), as_attachment=True, filename=evidence.download_name(stored),
                            content_type=stored.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response



def _evidence_preview(stored: Evidence) -> FileResponse:
    """An image or PDF of evidence shown inside the notice page (an <img>, or an <iframe> for a
    PDF's first page), to the same people as the download. Only the types preview_kind names (the
    stored type is the sniffed one, evidence.py), never sniffed into another; the response may be
    framed by our own pages only, and its own policy lets it load nothing and run nothing: the
    browser's PDF viewer is the one thing it embeds (object-src 'self')."""
    response = FileResponse(stored.file.open("rb"), as_attachment=False, filename=evidence.download_name(stored),
                            content_type=stored.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Frame-Options"] = "SAMEORIGIN"
    response["Cache-Control"] = "private, no-store"
    response._csp_replace = {  # type: ignore[attr-defined]  # django-csp's per-response override
        "default-src": [NONE], "script-src": [NONE], "style-src": [NONE], "img-src": [SELF],
        "object-src": [SELF], "frame-ancestors": [SELF], "form-action": [NONE]}
    return response
