"""Transparency Database export for leads: removal decisions as DSA TDB statements of reasons,
one at a time or in batches the TDB's multiple endpoint accepts as they are."""

from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from takedowns import tdb
from takedowns.enums import DecisionOutcome, PenaltyLevel
from takedowns.models import Decision, Penalty
from takedowns.views.review import lead_required



def _json_download(payload: dict, filename: str) -> JsonResponse:
    response = JsonResponse(payload, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _error(message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=400)


def _decisions():
    return Decision.objects.select_related(*tdb.RELATED)


@require_GET
@lead_required
def decision_statement(request: HttpRequest, decision_id: int) -> JsonResponse:
    decision = _decisions().filter(pk=decision_id, outcome=DecisionOutcome.REMOVE).first()
    if decision is None:
        raise Http404("No removal decision with this id.")
    return _json_download(tdb.statement_for(decision), f"tdb-statement-decision-{decision.pk}.json")


class BadIds(ValueError):
    pass


def _parse_ids(raw: str) -> list[int]:
    """The distinct ids of ?ids=1,2,3, in the order given."""
    parts = [part.strip() for part in raw.split(",")]
    if not any(parts):
        raise BadIds("Give the decision ids to export, e.g. ?ids=1,2,3.")
    ids: list[int] = []
    for part in parts:
        if not part.isascii() or not part.isdigit() or int(part) == 0:
            raise BadIds(f"'{part[:40]}' is not a decision id: give whole numbers separated by commas, e.g. ?ids=1,2,3.")
        if int(part) not in ids:
            ids.append(int(part))
    if len(ids) > tdb.BATCH_LIMIT:
        raise BadIds(f"{len(ids)} decisions asked for; the Transparency Database takes at most "
                     f"{tdb.BATCH_LIMIT} statements per submission.")
    return ids


def _listed(ids: list[int]) -> str:
    return ", ".join(str(pk) for pk in ids)


@require_GET
@lead_required
def decision_statements(request: HttpRequest) -> JsonResponse:
    try:
        ids = _parse_ids(request.GET.get("ids", ""))
    except BadIds as exc:
        return _error(str(exc))
    found = _decisions().in_bulk(ids)
    unknown = [pk for pk in ids if pk not in found]
    if unknown:
        return _error(f"No decision with id {_listed(unknown)}.")
    rejections = [pk for pk in ids if found[pk].outcome != DecisionOutcome.REMOVE]
    if rejections:
        return _error(f"Not a removal: decision {_listed(rejections)}. Only removals have a statement of reasons; "
                      "leave rejections out.")
    # The TDB's multiple endpoint takes this body as it is: {"statements": [...]}.
    return _json_download({"statements": tdb.statements(found[pk] for pk in ids)},
                          f"tdb-statements-{len(ids)}-from-decision-{ids[0]}.json")


@require_GET
@lead_required
def penalty_statement(request: HttpRequest, penalty_id: int) -> JsonResponse:
    penalty = Penalty.objects.select_related("seller", "strike__notice").filter(pk=penalty_id).first()
    if penalty is None or penalty.level == PenaltyLevel.WARNING:
        raise Http404("No account measure with this id (a warning restricts nothing).")
    return _json_download(tdb.statement_for_penalty(penalty), f"tdb-statement-penalty-{penalty.pk}.json")
