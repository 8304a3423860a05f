"""The published policies (/policies/): the repeat-infringer policy, how notices are handled and
how decisions can be contested. Public pages; what they state is computed by takedowns.policies
from the settings and rows the code runs with, so a page never promises something else."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from takedowns import legal
from takedowns import policies as published
from takedowns.access import public
from takedowns.forms.public import NoticeForm
from takedowns.forms.seller import CounterNoticeForm


def _sworn(form: type, field: str, original: str) -> tuple[str, str]:
    """A sworn statement as the page shows it: in the page's language (the form's own label, so the page
    quotes what the form asks) and its binding English original (legal.py), shown beside it."""
    return str(form.base_fields[field].label), original


@public
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "takedowns/policies/index.html")


@public
@require_GET
def repeat_infringers(request: HttpRequest) -> HttpResponse:
    return render(request, "takedowns/policies/repeat_infringers.html",
                  {"policy": published.repeat_infringer_policy()})


@public
@require_GET
def notice_handling(request: HttpRequest) -> HttpResponse:
    return render(request, "takedowns/policies/notice_handling.html", {
        "policy": published.notice_handling(),
        "good_faith": _sworn(NoticeForm, "good_faith_statement", legal.GOOD_FAITH_TEXT),
        "accuracy": _sworn(NoticeForm, "accuracy_statement", legal.ACCURACY_TEXT)})


@public
@require_GET
def contesting_decisions(request: HttpRequest) -> HttpResponse:
    return render(request, "takedowns/policies/contesting_decisions.html", {
        "policy": published.contesting(),
        "mistake": _sworn(CounterNoticeForm, "statement_mistake", legal.STATEMENT_MISTAKE),
        "jurisdiction": _sworn(CounterNoticeForm, "consent_jurisdiction", legal.STATEMENT_JURISDICTION)})
