"""The published policies (/policies/): the repeat-infringer policy, how notices are handled and
how decisions can be contested. Public pages; what they state is computed by takedowns.policies
from the settings and rows the code runs with, so a page never promises something else."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from takedowns import policies as published
from takedowns.access import public


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
    return render(request, "takedowns/policies/notice_handling.html", {"policy": published.notice_handling()})


@public
@require_GET
def contesting_decisions(request: HttpRequest) -> HttpResponse:
    return render(request, "takedowns/policies/contesting_decisions.html", {"policy": published.contesting()})
