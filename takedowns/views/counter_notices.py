"""The reviewer's side of counter-notices (DMCA 512(g)): the ones waiting for a completeness check,
oldest first, and a page per counter-notice to find it complete or return it. Any reviewer or lead."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from takedowns import appeal_rules, legal
from takedowns.access import ReviewerRequest, reviewer_required
from takedowns.enums import CounterNoticeStatus
from takedowns.forms.review import CounterNoticeFilterForm, IncompleteForm
from takedowns.models import CounterNotice
from takedowns.selectors import worklists
from takedowns.workflow import TransitionNotAllowed, counter_notices


@reviewer_required
def queue(request: ReviewerRequest) -> HttpResponse:
    form = CounterNoticeFilterForm(request.GET, statuses=CounterNoticeStatus.choices)
    form.is_valid()
    # No status chosen (or an unknown one, said beside the filter): those waiting for their check.
    status = form.cleaned_data.get("status") or CounterNoticeStatus.FILED
    page = worklists.counter_notices_page(status, form.cleaned_data.get("after"))
    return render(request, "takedowns/review/counter_notices.html", {
        "counter_notices": page.rows, "next_cursor": page.next_cursor, "status": status,
        "statuses": CounterNoticeStatus.choices, "filter_form": form,
    }, status=400 if form.errors else 200)


def _counter_notice(counter_notice_id: int) -> CounterNotice:
    counter_notice = worklists.counter_notice(counter_notice_id)
    if counter_notice is None:
        raise Http404(_("No such counter-notice."))
    return counter_notice


def _detail(request: ReviewerRequest, counter_notice: CounterNotice, form: IncompleteForm | None = None,
            status: int = 200) -> HttpResponse:
    checkable = counter_notice.status == CounterNoticeStatus.FILED
    # The restore date a finding of complete would set now (counted from receipt, legal.restore_plan).
    plan = legal.restore_plan(counter_notice.filed_at, timezone.now()) if checkable else None
    return render(request, "takedowns/review/counter_notice.html", {
        "counter_notice": counter_notice, "decision": counter_notice.decision, "item": counter_notice.decision.item,
        "listing": counter_notice.decision.item.listing, "case": counter_notice.decision.item.notice,
        "statement_mistake": legal.STATEMENT_MISTAKE, "statement_jurisdiction": legal.STATEMENT_JURISDICTION,
        "signature_matches": legal.signature_matches(counter_notice.full_name, counter_notice.signature),
        "incomplete_form": form or IncompleteForm(),
        "checkable": checkable,
        "restore_if_accepted": legal.restore_time_text(plan.due_at) if plan else "",
        "restore_rule_note": legal.restore_rule_note(plan) if plan else "",
    }, status=status)


@reviewer_required
def detail(request: ReviewerRequest, counter_notice_id: int) -> HttpResponse:
    return _detail(request, _counter_notice(counter_notice_id))


@reviewer_required
@require_POST
def accept(request: ReviewerRequest, counter_notice_id: int) -> HttpResponse:
    counter_notice = _counter_notice(counter_notice_id)
    try:
        counter_notice = counter_notices.accept_counter_notice(counter_notice, request.reviewer, now=timezone.now())
    except TransitionNotAllowed as exc:
        messages.error(request, str(exc))
    else:
        assert counter_notice.restore_due_at is not None  # set by the acceptance
        messages.success(request, _(
            "Complete: the rights holder has been sent a copy, and the listing is restored on %(restore_at)s "
            "unless they report a lawsuit first.") % {"restore_at": appeal_rules.when(counter_notice.restore_due_at)})
    return redirect("takedowns:review_counter_notice", counter_notice_id=counter_notice.pk)


@reviewer_required
@require_POST
def incomplete(request: ReviewerRequest, counter_notice_id: int) -> HttpResponse:
    counter_notice = _counter_notice(counter_notice_id)
    form = IncompleteForm(request.POST)
    if not form.is_valid():
        return _detail(request, counter_notice, form, status=400)
    try:
        counter_notices.mark_incomplete(counter_notice, request.reviewer, form.cleaned_data["reason"],
                                        now=timezone.now())
    except TransitionNotAllowed as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Returned to the seller as incomplete, with what is missing."))
    return redirect("takedowns:review_counter_notice", counter_notice_id=counter_notice.pk)
