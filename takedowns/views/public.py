"""Pages for rights holders, who have no account: the form, confirmation and tracking. The tracking
page's own forms (answer, withdraw, report a lawsuit) post here too; on an error the tracking page
comes back with status 400, the error beside the field and what was typed kept."""

import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from takedowns import evidence, languages, legal, limits, workflow
from takedowns.access import confirmation_link, public, tracking_link
from takedowns.enums import OPEN_NOTICE_STATUSES, NoticeStatus
from takedowns.forms.public import (
    AnswerForm,
    LawsuitForm,
    NoticeForm,
    ResubmitForm,
    WithdrawForm,
    item_formset_class,
)
from takedowns.forms.registry import RegistrationForm
from takedowns.forms.seller import AppealForm, NotifierAppealForm
from takedowns.models import Notice, Right
from takedowns.selectors import notifiers
from takedowns.selectors.notices import (
    confirmation_sent,
    counter_notice_of,
    decision_of,
    tracking_page,
    tracking_state,
)
from takedowns.selectors.protection import registered_right_for
from takedowns.views import limited
from takedowns.views.reconnect import once_more_if_disconnected
from takedowns.workflow import counter_notices, resubmissions

NOTICE_FORM = "takedowns/public/file_notice.html"
TRACKING_PAGE = "takedowns/public/track.html"


@once_more_if_disconnected
@public
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "takedowns/public/home.html")


def submission_key_of(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw or "")
    except ValueError:
        return None


def _switch_language(request: HttpRequest, item_rows_class: Any) -> HttpResponse:
    """The form's language buttons (_form_language.html): the same form in the language chosen, with what was
    typed, unchecked (no errors shown) and nothing filed or stored; files kept earlier stay listed."""
    before, code = translation.get_language(), languages.chosen(request.POST["switch_language"])
    if code:
        translation.activate(code)
    typed_rows = item_rows_class(request.POST, prefix="items")
    rows = item_rows_class(prefix="items", initial=[languages.as_typed(row) for row in typed_rows])
    key = submission_key_of(request.POST.get("submission_key")) or uuid.uuid4()
    kept = evidence.kept_for(key)
    registered = _registered_right(request.POST)
    typed = languages.as_typed(NoticeForm(request.POST, kept=kept, registered=registered))
    if typed.get("language") == before:  # left as the page proposed it, so it follows the page
        typed["language"] = languages.page_language()
    form = NoticeForm(initial={**typed, "submission_key": key}, item_rows=rows, kept=kept, registered=registered)
    response = _notice_form_page(request, form, rows, kept)
    return languages.remember(response, code) if code else response


@once_more_if_disconnected
@public
@require_http_methods(["GET", "POST"])
def file_notice(request: HttpRequest) -> HttpResponse:
    item_rows_class = item_formset_class()
    if "switch_language" in request.POST:
        return _switch_language(request, item_rows_class)
    if request.method == "GET":
        return _blank_notice_form(request, item_rows_class)

    data: QueryDict = request.POST
    key = submission_key_of(data.get("submission_key"))
    from_the_form = key is not None
    # Every sending counts, valid or not (limits.py); the e-mail address as typed.
    refusal = limited.check(request, limits.FILING, data.get("submitter_email", ""))
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
    form = NoticeForm(data, request.FILES, item_rows=rows, kept=evidence.kept_for(key),
                      registered=_registered_right(data))
    complete = form.is_complete()
    removed = form.cleaned_data.get("remove_evidence")  # is_complete() has validated the form
    if removed:
        evidence.discard(key, removed)
    if refusal is not None:
        return _refused_notice(request, form, rows, key, refusal, from_the_form)
    if keep_uploads(form, key, from_the_form=from_the_form or complete) and complete:
        with_evidence = bool(form.accepted_uploads or form.kept_after_removal())
        try:
            workflow.file_notice(form.notice_fields(), form.items, key, now=timezone.now(),
                                 with_evidence=with_evidence)
        except workflow.ConfirmationsWaiting as waiting:  # its files are kept already (just above)
            return _refused_notice(request, form, rows, key, waiting.refusal, from_the_form)
        return redirect("takedowns:notice_filed", submission_key=key)
    if Notice.objects.filter(submission_key=key).exists():
        # A resent POST that no longer validates, because the files it relied on joined the notice.
        return redirect("takedowns:notice_filed", submission_key=key)
    return _notice_form_page(request, form, rows, evidence.kept_for(key), status=400)


def _registered_right(data: QueryDict | dict) -> Right | None:
    """The registered right a notice form refers to: by the private link's key, or typed with the
    registrant's e-mail address (selectors.protection.registered_right_for)."""
    reference = (data.get("registered_right") or "").strip()
    if not reference:
        return None
    return registered_right_for(reference, token=data.get("registered_right_key") or "",
                                email=data.get("submitter_email") or "")


def _blank_notice_form(request: HttpRequest, item_rows_class: Any) -> HttpResponse:
    """The form as first opened: a listing to report (?listing=), or a registered right (?right=&key=, the
    registration's "File a notice under this right") filled in and locked."""
    first = request.GET.get("listing", "")
    rows = item_rows_class(prefix="items", initial=[{"reported": first}] if first else None)
    registered = _registered_right({"registered_right": request.GET.get("right", ""),
                                    "registered_right_key": request.GET.get("key", "")})
    if request.GET.get("right") and registered is None:
        messages.warning(request, _("That registration link is not valid (or the registration is no longer "
                                    "active): describe the right below."))
    # Our messages in the page's language unless the submitter chooses another.
    initial = {"submission_key": uuid.uuid4(), "language": languages.page_language()}
    if registered is not None:
        initial["registered_right_key"] = request.GET.get("key", "")
    form = NoticeForm(initial=initial, item_rows=rows, registered=registered)
    return _notice_form_page(request, form, rows, [])


def _refused_notice(request: HttpRequest, form: NoticeForm, rows: Any, key: uuid.UUID, refusal: limits.Refusal,
                    from_the_form: bool) -> HttpResponse:
    """Over a limit: the form again (429) with all that was typed and, for the first sendings over it, the
    files kept under the form's key like a form with an error; what it found wrong is marked too."""
    if Notice.objects.filter(submission_key=key).exists():
        return redirect("takedowns:notice_filed", submission_key=key)  # a double click: filed by the first
    # (keep_uploads finds files kept by an earlier step of this request, and does not keep them twice.)
    files_kept = bool(form.accepted_uploads) and refusal.keep_files and keep_uploads(form, key, from_the_form)
    if files_kept:
        kept = _("Everything you typed is still in the form below, and the files you attached are kept with it "
                 "(no need to attach them again).")
    elif form.accepted_uploads:
        kept = _("Everything you typed is still in the form below; the files you attached were not kept: attach "
                 "them again.")
    else:
        kept = _("Everything you typed is still in the form below.")
    return limited.refused(request, NOTICE_FORM, _notice_form_context(form, rows, evidence.kept_for(key)), refusal,
                           kept=kept)


def keep_uploads(form: NoticeForm | RegistrationForm, key: uuid.UUID, from_the_form: bool) -> bool:
    """Keep every good upload under the form's key, even if another field has an error, so that the
    submitter need not upload it again. Not for a POST that did not come from the form's page (no
    key of its own) and does not file a notice: it would have nothing to come back to. False, with
    the error on the form, when an upload is not kept."""
    if not form.accepted_uploads:
        return True
    if not from_the_form:
        form.add_error(None, _("The files you attached were not kept, because the form was not sent from its "
                               "page; attach them again."))
        return False
    kept = evidence.keep(key, form.accepted_uploads)
    if len(kept) < len(form.accepted_uploads):  # another tab filled the key meanwhile
        dropped = len(form.accepted_uploads) - len(kept)
        form.add_error(None, ngettext(
            "%(dropped)s of the files you attached would take this notice past %(files)s files or %(bytes)s and "
            "was not kept.",
            "%(dropped)s of the files you attached would take this notice past %(files)s files or %(bytes)s and "
            "were not kept.", dropped) % {"dropped": dropped, "files": settings.EVIDENCE_MAX_FILES,
                                          "bytes": filesizeformat(settings.EVIDENCE_MAX_TOTAL_BYTES)})
        return False
    return True


def _notice_form_page(request: HttpRequest, form: NoticeForm, rows: Any, kept: list, status: int = 200) -> HttpResponse:
    return render(request, NOTICE_FORM, _notice_form_context(form, rows, kept), status=status)


def _notice_form_context(form: NoticeForm, rows: Any, kept: list) -> dict[str, Any]:
    return {"form": form, "rows": rows, "kept": kept, "limits": {
        "file": settings.EVIDENCE_MAX_FILE_BYTES, "total": settings.EVIDENCE_MAX_TOTAL_BYTES,
        "files": settings.EVIDENCE_MAX_FILES, "request": settings.REQUEST_MAX_BODY_BYTES}}


@once_more_if_disconnected
@public
def notice_filed(request: HttpRequest, submission_key: uuid.UUID) -> HttpResponse:
    # The submission key is the form's own random one-time key: only its sender knows it.
    notice = get_object_or_404(Notice, submission_key=submission_key)
    return render(request, "takedowns/public/notice_filed.html",
                  {"notice": notice, "confirmation_sent": confirmation_sent(notice)})


@once_more_if_disconnected
@confirmation_link
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, notice: Notice) -> HttpResponse:
    if request.method == "GET":
        # A GET never changes state (mail scanners follow links); the page asks for one click.
        if notice.confirmed_at is not None:
            return redirect(notice.tracking_path())
        if notice.status == NoticeStatus.REFUSED:
            return _refused(request, notice)
        return render(request, "takedowns/public/confirm.html", {"notice": notice})
    refusal = limited.check(request, limits.CONFIRMATION, notice.submitter_email)
    if refusal is not None:
        return limited.refused(request, "takedowns/public/confirm.html", {"notice": notice}, refusal,
                               kept=_("Your notice is kept as it is, waiting for this confirmation."))
    try:
        notice = workflow.confirm_notice(notice, now=timezone.now())
    except workflow.TransitionNotAllowed as exc:
        return render(request, "takedowns/public/confirm.html", {"notice": notice, "error": str(exc)}, status=409)
    if notice.status == NoticeStatus.REFUSED:
        return _refused(request, notice)
    messages.success(request, _("Thank you: notice %(reference)s is confirmed and queued for review.")
                     % {"reference": notice.reference})
    return redirect(notice.tracking_path())


def _refused(request: HttpRequest, notice: Notice) -> HttpResponse:
    """The notifier's notice handling is suspended (DSA Art. 23(2)): why, and until when."""
    return render(request, "takedowns/public/confirm.html", {
        "notice": notice, "refused_by": notifiers.measure_of_refusal(notice)}, status=403)


@once_more_if_disconnected
@tracking_link
def track(request: HttpRequest, notice: Notice) -> HttpResponse:
    return _tracking_response(request, notice)


@tracking_link
@require_http_methods(["GET"])
def track_state(request: HttpRequest, notice: Notice) -> JsonResponse:
    """The tracking page's script asks this while a step runs, and reloads the page's content when the
    version changes (static/js/tracking-refresh.js): a few cheap queries instead of the whole page."""
    state = tracking_state(notice)
    response = JsonResponse({"version": state.version, "running": state.running})
    response["Cache-Control"] = "no-store"
    return response


def _tracking_response(request: HttpRequest, notice: Notice, status: int = 200, **bound: Any) -> HttpResponse:
    """The tracking page; `bound` holds a form posted with an error (answer_form, withdraw_form, or
    lawsuit_form with lawsuit_for, the counter-notice it was about)."""
    return render(request, TRACKING_PAGE, _tracking_context(notice, **bound), status=status)


def _refused_on_tracking_page(request: HttpRequest, notice: Notice, refusal: limits.Refusal, kept: str,
                              **bound: Any) -> HttpResponse:
    return limited.refused(request, TRACKING_PAGE, _tracking_context(notice, **bound), refusal, kept)


def _tracking_context(notice: Notice, **bound: Any) -> dict[str, Any]:
    now = timezone.now()
    page = tracking_page(notice, now)
    return {
        "page": page, "notice": notice, "state": tracking_state(notice),
        # Measures about the notifier's notices (DSA Art. 23), each with its appeal form.
        "notifier_rows": [(row, NotifierAppealForm(auto_id=f"notifier-appeal-{row.measure.pk}-%s"))
                          for row in notifiers.measures_concerning(notice.submitter_email, now)],
        "refused_by": notifiers.measure_of_refusal(notice) if notice.status == NoticeStatus.REFUSED else None,
        "answer_form": AnswerForm(), "withdraw_form": WithdrawForm(), "lawsuit_form": LawsuitForm(), **bound,
        "appeal_rows": [(row, AppealForm(auto_id=f"appeal-{row.decision.pk}-%s")) for row in page.appeals],
        # Each fixable rejection with its form; the one posted with an error comes back bound.
        "fix_rows": [(offer, bound["resubmit_form"] if offer.decision.pk == bound.get("resubmit_for")
                      else ResubmitForm(auto_id=f"fix-{offer.decision.pk}-%s")) for offer in page.fixes],
        # The listings each question is about, as the page names them ("2, 5").
        "question_rows": [(question, _positions(question)) for question in page.questions],
        "open_question_numbers": _positions(page.open_question) if page.open_question else "",
        "can_withdraw": notice.status in OPEN_NOTICE_STATUSES,
        # The counter-notice's sworn statements (17 U.S.C. § 512(g)(3)(C)), in their binding English.
        "counter_notice_statements": (legal.STATEMENT_MISTAKE, legal.STATEMENT_JURISDICTION),
        "unconfirmed": notice.status == NoticeStatus.UNCONFIRMED,
    }


def _positions(question: Any) -> str:
    return ", ".join(str(item.position) for item in question.items.all())


@tracking_link
@require_POST
def resubmit(request: HttpRequest, notice: Notice, decision_id: int) -> HttpResponse:
    """Fix and resubmit a rejected listing (resubmission_rules.py): text and files, on the same case."""
    decision = decision_of(notice, decision_id)
    if decision is None:
        raise Http404(_("No such decision on this notice."))
    form = ResubmitForm(request.POST, request.FILES, auto_id=f"fix-{decision.pk}-%s", decision=decision)
    refusal = limited.check(request, limits.ANSWER, notice.submitter_email)
    if refusal is not None:
        kept = (_("What you wrote is still in its box below; the files you attached were not kept: attach them "
                  "again.") if request.FILES else _("What you wrote is still in its box below."))
        return _refused_on_tracking_page(request, notice, refusal, kept, resubmit_form=form,
                                         resubmit_for=decision.pk)
    if not form.is_valid():
        return _tracking_response(request, notice, status=400, resubmit_form=form, resubmit_for=decision.pk)
    try:
        resubmissions.resubmit_listing(notice, decision, form.cleaned_data["text"], now=timezone.now(),
                                       files=form.accepted_uploads)
    except workflow.TransitionNotAllowed as exc:
        # Refused (a suspension, the limits reached meanwhile): the text comes back in its box.
        messages.error(request, str(exc))
        return _tracking_response(request, notice, status=409, resubmit_form=form, resubmit_for=decision.pk)
    messages.success(request, _("Thank you: listing %(number)s is back with a reviewer, on this notice and its "
                                "clock.") % {"number": decision.item.position})
    return redirect(f"{notice.tracking_path()}#fix-{decision.pk}")


@tracking_link
@require_POST
def answer(request: HttpRequest, notice: Notice) -> HttpResponse:
    form = AnswerForm(request.POST, request.FILES)
    refusal = limited.check(request, limits.ANSWER, notice.submitter_email)
    if refusal is not None:
        kept = (_("Your answer is still in its box below; the files you attached were not kept: attach them again.")
                if request.FILES else _("Your answer is still in its box below."))
        return _refused_on_tracking_page(request, notice, refusal, kept, answer_form=form)
    if not form.is_valid():
        return _tracking_response(request, notice, status=400, answer_form=form)
    try:
        workflow.answer_information(notice, form.cleaned_data["answer"], now=timezone.now(),
                                    files=form.accepted_uploads)
    except workflow.TransitionNotAllowed as exc:
        messages.error(request, str(exc))
        return redirect(notice.tracking_path())
    messages.success(request, _("Thank you: your answer is with the reviewer."))
    return redirect(notice.tracking_path())


@tracking_link
@require_POST
def withdraw(request: HttpRequest, notice: Notice) -> HttpResponse:
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        return _tracking_response(request, notice, status=400, withdraw_form=form)
    try:
        workflow.withdraw_notice(notice, now=timezone.now())
    except workflow.TransitionNotAllowed as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Notice %(reference)s is withdrawn; no listing will be removed because of it.")
                         % {"reference": notice.reference})
    return redirect(notice.tracking_path())


@tracking_link
@require_POST
def report_lawsuit(request: HttpRequest, notice: Notice, counter_notice_id: int) -> HttpResponse:
    """The one thing the rights holder can do about a counter-notice: report, before the listing is
    restored, that they filed an action seeking a court order (DMCA 512(g)(2)(C))."""
    counter_notice = counter_notice_of(notice, counter_notice_id)
    if counter_notice is None:
        raise Http404(_("No such counter-notice on this notice."))
    form = LawsuitForm(request.POST)
    refusal = limited.check(request, limits.LAWSUIT, notice.submitter_email)
    if refusal is not None:
        return _refused_on_tracking_page(request, notice, refusal, _("What you wrote is still in its box below."),
                                         lawsuit_form=form, lawsuit_for=counter_notice.pk)
    if not form.is_valid():
        return _tracking_response(request, notice, status=400, lawsuit_form=form, lawsuit_for=counter_notice.pk)
    try:
        counter_notices.report_lawsuit(notice, counter_notice, form.cleaned_data["details"], now=timezone.now())
    except workflow.TransitionNotAllowed as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Thank you: the lawsuit is recorded, and the listing will not be restored "
                                    "because of this counter-notice. We have told the seller."))
    return redirect(f"{notice.tracking_path()}#counter-notice-{counter_notice.pk}")
