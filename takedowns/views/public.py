"""Pages for rights holders, who have no account: the form, confirmation and tracking."""

import hmac
import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from takedowns import evidence, selectors, workflow
from takedowns.enums import OPEN_NOTICE_STATUSES, NoticeStatus
from takedowns.forms import AnswerForm, NoticeForm, item_formset_class
from takedowns.models import Notice
from takedowns.enums import CounterNoticeStatus
from takedowns.models import CounterNotice
from takedowns.workflow import counter_notices


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "takedowns/public/home.html")


def _notice_for_token(reference: str, token: str, field: str) -> Notice:
    """The notice, if the token is its own. A wrong token and an unknown reference look alike (404)."""
    notice = Notice.objects.filter(reference=reference).first()
    if notice is None or not hmac.compare_digest(getattr(notice, field).encode(), token.encode()):
        raise Http404("No such notice.")
    return notice


def _submission_key(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw or "")
    except ValueError:
        return None


@require_http_methods(["GET", "POST"])
def file_notice(request: HttpRequest) -> HttpResponse:
    item_rows_class = item_formset_class()
    if request.method == "GET":
        first = request.GET.get("listing", "")
        rows = item_rows_class(prefix="items", initial=[{"reported": first}] if first else None)
        form = NoticeForm(initial={"submission_key": uuid.uuid4()}, item_rows=rows)
        return render(request, "takedowns/public/file_notice.html", {"form": form, "rows": rows, "kept": []})

    data = request.POST
    key = _submission_key(data.get("submission_key"))
    if key is None:
        key = uuid.uuid4()
        data = data.copy()  # request.POST is immutable; copying it costs, so only when needed
        data["submission_key"] = str(key)
    elif request.FILES and Notice.objects.filter(submission_key=key).exists():
        # A double click or a resent POST with files: filed already, so do not store them again.
        # Without files the check waits (one query less on every first POST): file_notice
        # returns the notice filed first, and an error page checks before it is shown.
        return redirect("takedowns:notice_filed", submission_key=key)

    rows = item_rows_class(data, prefix="items")
    form = NoticeForm(data, request.FILES, item_rows=rows, kept=evidence.kept_for(key))
    complete = form.is_complete()
    # Keep every good upload under the form's key, even if another field has an error.
    removed = form.cleaned_data.get("remove_evidence")  # is_complete() has validated the form
    if removed:
        evidence.discard(key, removed)
    for kind, upload, content_type in form.accepted_uploads:
        evidence.store(key, kind, upload, content_type)
    if complete:
        with_evidence = bool(form.accepted_uploads or form.kept_after_removal())
        workflow.file_notice(form.notice_fields(), form.items, key, now=timezone.now(), with_evidence=with_evidence)
        return redirect("takedowns:notice_filed", submission_key=key)
    if Notice.objects.filter(submission_key=key).exists():
        # A resent POST that no longer validates, because the files it relied on joined the notice.
        return redirect("takedowns:notice_filed", submission_key=key)
    return render(request, "takedowns/public/file_notice.html",
                  {"form": form, "rows": rows, "kept": evidence.kept_for(key)}, status=400)


def notice_filed(request: HttpRequest, submission_key: uuid.UUID) -> HttpResponse:
    notice = get_object_or_404(Notice, submission_key=submission_key)
    return render(request, "takedowns/public/notice_filed.html", {"notice": notice})


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, reference: str, token: str) -> HttpResponse:
    notice = _notice_for_token(reference, token, "confirmation_token")
    if request.method == "GET":
        # A GET never changes state (mail scanners follow links); the page asks for one click.
        if notice.confirmed_at is not None:
            return redirect(notice.tracking_path())
        return render(request, "takedowns/public/confirm.html", {"notice": notice})
    try:
        notice = workflow.confirm_notice(notice, now=timezone.now())
    except workflow.TransitionNotAllowed as exc:
        return render(request, "takedowns/public/confirm.html", {"notice": notice, "error": str(exc)}, status=409)
    messages.success(request, f"Thank you: notice {notice.reference} is confirmed and queued for review.")
    return redirect(notice.tracking_path())


def track(request: HttpRequest, reference: str, token: str) -> HttpResponse:
    notice = _notice_for_token(reference, token, "tracking_token")
    return _tracking_response(request, notice)


def _tracking_response(request: HttpRequest, notice: Notice, answer_form: AnswerForm | None = None,
                       status: int = 200) -> HttpResponse:
    page = selectors.tracking_page(notice)
    return render(request, "takedowns/public/track.html", {
        "page": page, "notice": notice, "answer_form": answer_form or AnswerForm(),
        "can_withdraw": notice.status in OPEN_NOTICE_STATUSES,
        "unconfirmed": notice.status == NoticeStatus.UNCONFIRMED,
        "counter_notices": _counter_notices_shown(notice),
    }, status=status)


@require_POST
def answer(request: HttpRequest, reference: str, token: str) -> HttpResponse:
    notice = _notice_for_token(reference, token, "tracking_token")
    form = AnswerForm(request.POST, request.FILES)
    if not form.is_valid():
        return _tracking_response(request, notice, form, status=400)
    try:
        workflow.answer_information(notice, form.cleaned_data["answer"], now=timezone.now(),
                                    files=form.accepted_uploads)
    except workflow.TransitionNotAllowed as exc:
        messages.error(request, str(exc))
        return redirect(notice.tracking_path())
    messages.success(request, "Thank you: your answer is with the reviewer.")
    return redirect(notice.tracking_path())


@require_POST
def withdraw(request: HttpRequest, reference: str, token: str) -> HttpResponse:
    notice = _notice_for_token(reference, token, "tracking_token")
    if request.POST.get("confirm") != "yes":
        messages.error(request, "Tick “Yes, withdraw this notice” to withdraw it.")
        return redirect(notice.tracking_path())
    try:
        workflow.withdraw_notice(notice, now=timezone.now())
    except workflow.TransitionNotAllowed as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Notice {notice.reference} is withdrawn; no listing will be removed because of it.")
    return redirect(notice.tracking_path())


# --- Counter-notices (DMCA 512(g)) on the tracking page: the copy the rights holder receives, and
# the one thing they can do about it, report a lawsuit before the listing is restored. ---

def _counter_notices_shown(notice: Notice) -> list:
    """The counter-notices a reviewer found complete (the rights holder receives those, with the
    seller's contact details), by listing. One query, whatever the number of listings."""
    return list(CounterNotice.objects.filter(
        decision__item__notice=notice,
        status__in=[CounterNoticeStatus.WAITING, CounterNoticeStatus.LAWSUIT, CounterNoticeStatus.RESTORED])
        .select_related("decision__item__listing").order_by("decision__item__position", "id"))


@require_POST
def report_lawsuit(request: HttpRequest, reference: str, token: str, counter_notice_id: int) -> HttpResponse:
    notice = _notice_for_token(reference, token, "tracking_token")
    counter_notice = get_object_or_404(CounterNotice, pk=counter_notice_id, decision__item__notice=notice)
    try:
        counter_notices.report_lawsuit(notice, counter_notice, request.POST.get("details", ""), now=timezone.now())
    except workflow.TransitionNotAllowed as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Thank you: the lawsuit is recorded, and the listing will not be restored "
                                  "because of this counter-notice. We have told the seller.")
    return redirect(f"{notice.tracking_path()}#counter-notice-{counter_notice.pk}")
