"""Pages for sellers, who reach them through the private link in their statement of reasons."""

import hmac

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from takedowns.enums import EEA_COUNTRIES, DecisionOutcome
from takedowns.models import Decision, Penalty
from takedowns.models import CounterNotice
from takedowns.forms import CounterNoticeForm
from takedowns.workflow import TransitionNotAllowed, counter_notices


def statement(request: HttpRequest, decision_id: int, token: str,
              counter_notice_form: CounterNoticeForm | None = None) -> HttpResponse:
    decision = (Decision.objects.select_related("item__listing__seller", "item__notice")
                .filter(pk=decision_id, outcome=DecisionOutcome.REMOVE).first())
    if decision is None or not hmac.compare_digest(decision.seller_token.encode(), token.encode()):
        raise Http404("No such decision.")
    item = decision.item
    return render(request, "takedowns/seller/statement.html", {
        "decision": decision, "item": item, "listing": item.listing, "seller": item.listing.seller,
        "case": item.notice,
        **_counter_notice_section(decision, counter_notice_form),
    })


def penalty_statement(request: HttpRequest, penalty_id: int, token: str) -> HttpResponse:
    penalty = Penalty.objects.select_related("seller", "strike__notice").filter(pk=penalty_id).first()
    if penalty is None or not hmac.compare_digest(penalty.seller_token.encode(), token.encode()):
        raise Http404("No such penalty.")
    return render(request, "takedowns/seller/penalty.html", {
        "penalty": penalty, "seller": penalty.seller, "case": penalty.strike.notice,
        "territorial_scope": ", ".join(EEA_COUNTRIES), "strike_days": settings.STRIKE_EXPIRY_DAYS,
    })


# --- Counter-notices (DMCA 512(g)): the section of the statement page and its POST. ---

def _counter_notice_section(decision: Decision, form: CounterNoticeForm | None) -> dict:
    """The seller's counter-notice, if any, and the form while one may be filed: a first one, or
    the correction of one a reviewer returned as incomplete (its text kept; statements and
    signature given again, since they cover the corrected text)."""
    counter_notice = CounterNotice.objects.filter(decision=decision).first()
    open_to_file = counter_notices.may_file(decision, counter_notice)
    if form is None and open_to_file:
        form = CounterNoticeForm(initial=_counter_notice_initial(decision, counter_notice))
    return {"counter_notice": counter_notice, "counter_notice_form": form if open_to_file else None,
            "counter_notice_window": counter_notices.window_text()}


def _counter_notice_initial(decision: Decision, counter_notice: CounterNotice | None) -> dict:
    if counter_notice is not None:  # returned as incomplete: what the seller wrote, to correct
        return {name: getattr(counter_notice, name)
                for name in ("material", "explanation", "full_name", "address", "phone", "email")}
    item, listing = decision.item, decision.item.listing
    where = f"{settings.SITE_URL}{reverse('takedowns:listing_detail', args=[listing.external_id])}"
    return {"email": listing.seller.email,
            "material": f"Listing {listing.external_id} “{listing.title}”, at {where}; removed on "
                        f"{decision.decided_at:%-d %B %Y} after notice {item.notice.reference}."}


@require_POST
def file_counter_notice(request: HttpRequest, decision_id: int, token: str) -> HttpResponse:
    decision = (Decision.objects.select_related("item__listing__seller", "item__notice")
                .filter(pk=decision_id, outcome=DecisionOutcome.REMOVE).first())
    if decision is None or not hmac.compare_digest(decision.seller_token.encode(), token.encode()):
        raise Http404("No such decision.")
    form = CounterNoticeForm(request.POST)
    if not form.is_valid():
        response = statement(request, decision_id, token, counter_notice_form=form)
        response.status_code = 400
        return response
    try:
        counter_notices.file_counter_notice(decision, form.counter_notice_fields(), now=timezone.now())
    except TransitionNotAllowed as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Your counter-notice is filed. A reviewer checks it is complete; we have "
                                  f"e-mailed a receipt to {form.cleaned_data['email']}.")
    return redirect(f"{decision.seller_path()}#counter-notice")
