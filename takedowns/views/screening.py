"""The Screening queue (issue 14): listings screening held, waiting for a reviewer, with what matched
beside them; a reviewer removes a listing or publishes it from the queue (workflow.decide_hold, the
review workflow every notice goes through) or opens the case page. Staff pages: English, marked."""

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from takedowns import workflow
from takedowns.access import ReviewerRequest, check_notice, reviewer_required
from takedowns.enums import DecisionOutcome, EvidenceKind, NoticeSource
from takedowns.models import Evidence
from takedowns.selectors import screening_queue
from takedowns.selectors.notices import notice_for_review
from takedowns.views.review import _evidence_preview

# The two buttons of a row: what the reviewer decides on the held listing.
ACTIONS = {"remove": DecisionOutcome.REMOVE, "publish": DecisionOutcome.REJECT}


@reviewer_required
def queue(request: ReviewerRequest) -> HttpResponse:
    page = screening_queue.screening_page(request.GET.get("after"), timezone.now())
    return render(request, "takedowns/review/screening.html", {
        "page": page, "waiting": screening_queue.holds_waiting()})


@reviewer_required
@require_POST
def decide(request: ReviewerRequest, reference: str) -> HttpResponse:
    notice = notice_for_review(reference)
    if notice is None or notice.source != NoticeSource.SCREENING:
        raise Http404(_("No such screening case."))
    check_notice(request, notice)
    outcome = ACTIONS.get(request.POST.get("action", ""))
    if outcome is None:
        messages.error(request, _("Choose Remove or Publish for case %(reference)s.") % {"reference": reference})
        return redirect("takedowns:review_screening")
    note = request.POST.get("note", "").strip()
    try:
        workflow.decide_hold(notice, request.reviewer, outcome, timezone.now(), note=note)
    except workflow.TransitionNotAllowed as exc:
        messages.error(request, str(exc))
        return redirect("takedowns:review_screening")
    listing = notice.items.get().reported
    if outcome == DecisionOutcome.REMOVE:
        messages.success(request, _("Listing %(listing)s stays down: removed, and the seller has the statement of "
                                    "reasons.") % {"listing": listing})
    else:
        messages.success(request, _("Listing %(listing)s is published.") % {"listing": listing})
    return redirect("takedowns:review_screening")


@reviewer_required
def reference_image(request: ReviewerRequest, evidence_id: int) -> FileResponse:
    """A picture of the genuine product from a right's registration, shown beside the listing screening
    compared with it; to reviewers, as the notice page shows evidence."""
    stored = Evidence.objects.filter(pk=evidence_id, right__isnull=False, kind=EvidenceKind.REFERENCE_IMAGE).first()
    if stored is None or not stored.content_type.startswith("image/"):
        raise Http404(_("No such picture."))
    return _evidence_preview(stored)
