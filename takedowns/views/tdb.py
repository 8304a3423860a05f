"""Transparency Database export for leads: removal decisions as DSA TDB statements of reasons,
one at a time or in batches the TDB's multiple endpoint accepts as they are."""

from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import override
from django.views.decorators.http import require_GET

from takedowns import tdb
from takedowns.access import lead_required
from takedowns.enums import DecisionOutcome, PenaltyLevel
from takedowns.forms.leads import TdbIdsForm
from takedowns.selectors import exports

# The statements are data for the Transparency Database, in English whatever the language of the
# request: each is built under English (tdb.py reads enum labels, which a page language would translate).

def _json_download(payload: dict, filename: str) -> JsonResponse:
    response = JsonResponse(payload, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _error(message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=400)


@lead_required
@require_GET
def decision_statement(request: HttpRequest, decision_id: int) -> JsonResponse:
    decision = exports.removal(decision_id)
    if decision is None:
        raise Http404(_("No removal decision with this id."))
    with override("en"):
        statement = tdb.statement_for(decision)
    return _json_download(statement, f"tdb-statement-decision-{decision.pk}.json")


def _listed(ids: list[int]) -> str:
    return ", ".join(str(pk) for pk in ids)


@lead_required
@require_GET
def decision_statements(request: HttpRequest) -> JsonResponse:
    form = TdbIdsForm(request.GET)
    if not form.is_valid():
        return _error(" ".join(str(error) for error in form.errors["ids"]))
    ids = form.cleaned_data["ids"]
    found = exports.decisions(ids)
    unknown = [pk for pk in ids if pk not in found]
    if unknown:
        return _error(_("No decision with id %(ids)s.") % {"ids": _listed(unknown)})
    rejections = [pk for pk in ids if found[pk].outcome != DecisionOutcome.REMOVE]
    if rejections:
        return _error(_("Not a removal: decision %(ids)s. Only removals have a statement of reasons; leave "
                        "rejections out.") % {"ids": _listed(rejections)})
    # The TDB's multiple endpoint takes this body as it is: {"statements": [...]}.
    with override("en"):
        statements = tdb.statements(found[pk] for pk in ids)
    return _json_download({"statements": statements}, f"tdb-statements-{len(ids)}-from-decision-{ids[0]}.json")


@lead_required
@require_GET
def penalty_statement(request: HttpRequest, penalty_id: int) -> JsonResponse:
    penalty = exports.penalty(penalty_id)
    if penalty is None or penalty.level == PenaltyLevel.WARNING:
        raise Http404(_("No account measure with this id (a warning restricts nothing)."))
    with override("en"):
        statement = tdb.statement_for_penalty(penalty)
    return _json_download(statement, f"tdb-statement-penalty-{penalty.pk}.json")
