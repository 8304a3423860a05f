"""The public privacy page: what the portal keeps about the people it deals with, why, who sees it,
how long it is kept and what they can ask of us. The periods on it are the ones retention runs with
(legal.retention_policy, from the RETENTION_* settings), so the page never promises another."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from takedowns import legal
from takedowns.access import public


@public
@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "takedowns/public/privacy.html",
                  {"policy": legal.retention_policy(), "contact": settings.PRIVACY_CONTACT})
