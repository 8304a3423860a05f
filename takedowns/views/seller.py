"""Pages for sellers, who reach them through the private link in their statement of reasons."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from takedowns import legal, limits, tdb
from takedowns.access import penalty_link, removal_link
from takedowns.enums import EEA_COUNTRIES
from takedowns.forms.seller import AppealForm, CounterNoticeForm
from takedowns.models import CounterNotice, Decision, Penalty
from takedowns.selectors.seller import penalty_appeal, statement_page
from takedowns.views import limited
from takedowns.workflow import TransitionNotAllowed, counter_notices

STATEMENT_PAGE = "takedowns/seller/statement.html"


@removal_link
def statement(request: HttpRequest, decision: Decision) -> HttpResponse:
    return _statement_response(request, decision)


def _statement_response(request: HttpRequest, decision: Decision, counter_notice_form: CounterNoticeForm | None = None,
                        status: int = 200) -> HttpResponse:
    """The statement of reasons, with the counter-notice section: the seller's counter-notice, if
    any, and the form while one may be filed (a first one, or the correction of one a reviewer
    returned as incomplete: its text kept; statements and signature given again, since they
    cover the corrected text)."""
    return render(request, STATEMENT_PAGE, _statement_context(decision, counter_notice_form), status=status)


def _statement_context(decision: Decision, counter_notice_form: CounterNoticeForm | None) -> dict[str, Any]:
    page = statement_page(decision, timezone.now())
    item, listing = decision.item, decision.item.decided_listing
    if counter_notice_form is None and page.may_counter:
        counter_notice_form = CounterNoticeForm(initial=_counter_notice_initial(decision, page.counter_notice))
    return {
        "decision": decision, "item": item, "listing": listing, "seller": listing.seller,
        "grounds": tdb.grounds_of(decision),  # the same text the Transparency Database gets
        "case": item.notice, "counter_notice": page.counter_notice,
        "counter_notice_form": counter_notice_form if page.may_counter else None,
        "counter_notice_restore_rule": legal.restore_rule_text(),
        "window": page.appeal, "appeal_form": AppealForm(auto_id="appeal-%s"),
        "appeal_window": legal.appeal_window_text(),
    }


def _counter_notice_initial(decision: Decision, counter_notice: CounterNotice | None) -> dict:
    if counter_notice is not None:  # returned as incomplete: what the seller wrote, to correct
        return {name: getattr(counter_notice, name)
                for name in ("material", "explanation", "full_name", "address", "phone", "email")}
    item, listing = decision.item, decision.item.decided_listing
    where = f"{settings.SITE_URL}{reverse('takedowns:listing_detail', args=[listing.external_id])}"
    return {"email": listing.seller.email,
            "material": _("Listing %(listing)s “%(title)s”, at %(url)s; removed on %(removed_on)s after notice "
                          "%(reference)s.") % {
                "listing": listing.external_id, "title": listing.title, "url": where,
                "removed_on": date_format(timezone.localtime(decision.decided_at), "DATE_FORMAT"),
                "reference": item.notice.reference}}


@removal_link
@require_POST
def file_counter_notice(request: HttpRequest, decision: Decision) -> HttpResponse:
    form = CounterNoticeForm(request.POST)
    # Per address and per the e-mail address typed (the receipt goes there).
    refusal = limited.check(request, limits.COUNTER_NOTICE, request.POST.get("email", ""), submitter=False)
    if refusal is not None:
        return limited.refused(request, STATEMENT_PAGE, _statement_context(decision, form), refusal,
                               kept=_("Your counter-notice is still in the form below, as you wrote it."))
    if not form.is_valid():
        return _statement_response(request, decision, counter_notice_form=form, status=400)
    try:
        counter_notices.file_counter_notice(decision, form.counter_notice_fields(), now=timezone.now())
    except TransitionNotAllowed as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Your counter-notice is filed. A reviewer checks it is complete; we have "
                                    "e-mailed a receipt to %(email)s.") % {"email": form.cleaned_data["email"]})
    return redirect(f"{decision.seller_path()}#counter-notice")


@penalty_link
def penalty_statement(request: HttpRequest, penalty: Penalty) -> HttpResponse:
    return render(request, "takedowns/seller/penalty.html", {
        "penalty": penalty, "seller": penalty.seller, "case": penalty.strike.notice,
        "territorial_scope": ", ".join(EEA_COUNTRIES), "strike_days": settings.STRIKE_EXPIRY_DAYS,
        "window": penalty_appeal(penalty, timezone.now()), "appeal_form": AppealForm(auto_id="appeal-%s"),
        "appeal_window": legal.appeal_window_text(),
    })
