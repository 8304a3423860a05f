"""Referral packages for law enforcement (issue 14), leads only: the list of packages built, newest
first; the form that builds one about a seller (and its linked accounts), with a preview of what goes
in; the access-checked download of an archive, never served by URL otherwise (the default storage is
outside the web root). The package itself is built by workflow/referrals.build_referral."""

from django.http import FileResponse, Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from takedowns.access import ReviewerRequest, lead_required
from takedowns.forms.referrals import ReferralForm
from takedowns.selectors import referrals as listed
from takedowns.workflow import referrals


@lead_required
@require_GET
def referral_list(request: ReviewerRequest) -> HttpResponse:
    page = listed.referrals_page(request.GET.get("after"))
    return render(request, "takedowns/review/referrals.html", {
        "referrals": page.rows, "next_cursor": page.next_cursor, "built": request.GET.get("built", "")[:20]})


@lead_required
@require_http_methods(["GET", "POST"])
def referral_new(request: ReviewerRequest) -> HttpResponse:
    """The form. GET ?seller=S-1 (a link from another page) fills in the seller and shows what the package
    would hold; POST with the Preview button does the same with everything typed kept; POST with Build
    builds it, then shows the list with the new package on top."""
    building = request.method == "POST" and request.POST.get("action") == "build"
    typed: QueryDict | None = None
    if request.method == "POST":
        typed = request.POST
    elif "seller" in request.GET:
        typed = request.GET.copy()
        typed.setdefault("include_linked", "on")  # a link names the seller only: linked accounts by default
    form = ReferralForm(typed, initial={"include_linked": True})
    if building and form.is_valid():
        data = form.cleaned_data
        referral = referrals.build_referral(request.user, data["seller"], data["authority"], data["note"],
                                            timezone.now(), include_linked=data["include_linked"])
        return redirect(f"{reverse('takedowns:referrals')}?built={referral.reference}")
    if form.is_bound:
        form.is_valid()
    found = getattr(form, "cleaned_data", {})
    seller = found.get("seller")
    # A preview needs only the seller: the authority may still be empty then, and is not reported missing yet.
    errors = {name: messages for name, messages in form.errors.items() if building or name == "seller"}
    shown = referrals.preview(seller, found.get("include_linked", True)) if seller is not None else None
    return render(request, "takedowns/review/referral_new.html",
                  {"form": form, "preview": shown, "seller": seller, "errors": errors},
                  status=400 if errors else 200)


@lead_required
@require_GET
def referral_archive(request: ReviewerRequest, reference: str) -> FileResponse:
    referral = listed.referral(reference)
    if referral is None:
        raise Http404(_("No such referral."))
    try:
        archive = referral.archive.open("rb")
    except FileNotFoundError:
        raise Http404(_("The archive of referral %(reference)s is missing from storage; its row keeps its SHA-256.")
                      % {"reference": referral.reference}) from None
    response = FileResponse(archive, as_attachment=True, filename=f"{referral.reference}.zip",
                            content_type="application/zip")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
