"""The reviewer's side of counter-notices (DMCA 512(g)): the ones waiting for a completeness check,
oldest first, and a page per counter-notice to find it complete or return it. Any reviewer or lead."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from takedowns import selectors
from takedowns.enums import CounterNoticeStatus
from takedowns.models import CounterNotice
from takedowns.views.review import reviewer_required
from takedowns.workflow import TransitionNotAllowed, counter_notices

def _page(status: str, after: selectors.FiledCursor | None) -> tuple[list[CounterNotice], str | None]:
    return selectors.filed_page(CounterNotice.objects.filter(status=status)
                                .select_related("decision__item__listing__seller", "decision__item__notice"), after)


@reviewer_required
def queue(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status")
    if status not in CounterNoticeStatus.values:
        status = CounterNoticeStatus.FILED
    rows, next_cursor = _page(status, selectors.FiledCursor.decode(request.GET.get("after")))
    return render(request, "takedowns/review/counter_notices.html", {
        "counter_notices": rows, "next_cursor": next_cursor, "status": status,
        "statuses": CounterNoticeStatus.choices,
    })


def _counter_notice(counter_notice_id: int) -> CounterNotice:
    return get_object_or_404(
        CounterNotice.objects.select_related("decision__item__listing__seller", "decision__item__notice",
                                             "decision__decided_by", "checked_by"),
        pk=counter_notice_id)


def _detail(request: HttpRequest, counter_notice: CounterNotice, reason_error: str = "", reason: str = "",
            status: int = 200) -> HttpResponse:
    return render(request, "takedowns/review/counter_notice.html", {
        "counter_notice": counter_notice, "decision": counter_notice.decision, "item": counter_notice.decision.item,
        "listing": counter_notice.decision.item.listing, "case": counter_notice.decision.item.notice,
        "statement_mistake": counter_notices.STATEMENT_MISTAKE,
        "statement_jurisdiction": counter_notices.STATEMENT_JURISDICTION,
        "signature_matches": counter_notices.signature_matches(counter_notice.full_name, counter_notice.signature),
        "window": counter_notices.window_text(), "reason_error": reason_error, "reason": reason,
        "checkable": counter_notice.status == CounterNoticeStatus.FILED,
    }, status=status)


@reviewer_required
def detail(request: HttpRequest, counter_notice_id: int) -> HttpResponse:
    return _detail(request, _counter_notice(counter_notice_id))


@require_POST
@reviewer_required
def accept(request: HttpRequest, counter_notice_id: int) -> HttpResponse:
    counter_notice = _counter_notice(counter_notice_id)
    try:
        counter_notice = counter_notices.accept_counter_notice(counter_notice, request.reviewer, now=timezone.now())
    except TransitionNotAllowed as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Complete: the rights holder has been sent a copy, and the listing is restored on "
                                  f"{timezone.localtime(counter_notice.restore_due_at):%d %b %Y, %H:%M %Z} unless "
                                  "they report a lawsuit first.")
    return redirect("takedowns:review_counter_notice", counter_notice_id=counter_notice.pk)


@require_POST
@reviewer_required
def incomplete(request: HttpRequest, counter_notice_id: int) -> HttpResponse:
    counter_notice = _counter_notice(counter_notice_id)
    reason = request.POST.get("reason", "").strip()
    if not reason:
        return _detail(request, counter_notice, status=400,
                       reason_error="Say what is missing, so that the seller can correct it.")
    try:
        counter_notices.mark_incomplete(counter_notice, request.reviewer, reason, now=timezone.now())
    except TransitionNotAllowed as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Returned to the seller as incomplete, with what is missing.")
    return redirect("takedowns:review_counter_notice", counter_notice_id=counter_notice.pk)
