"""The public notifier misuse policy (DSA Art. 23(4)): when notices count as manifestly unfounded,
when a notifier is looked at, which measures follow and how to appeal them. Rendered from the policy
the code runs (notifier_ladder.policy(), from the NOTIFIER_* settings) and the reason codes leads
marked as manifestly unfounded, so the page never states another policy than the one applied."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from takedowns import notifier_ladder
from takedowns.access import public
from takedowns.selectors import notifiers
from takedowns.views.reconnect import once_more_if_disconnected


@once_more_if_disconnected
@public
@require_GET
def notifier_misuse(request: HttpRequest) -> HttpResponse:
    policy = notifier_ladder.policy()
    return render(request, "takedowns/policies/notifier_misuse.html", {
        "policy": policy, "threshold": policy.threshold, "last": policy.ladder[-1],
        "codes": notifiers.unfounded_reason_codes(),
        "free_mail": sorted(policy.free_mail_domains)})
