"""The marketplace's "listing created / changed" hook (issue 14): POST /marketplace/listings/ with the bearer
token MARKETPLACE_HOOK_TOKEN (access.marketplace_client). One listing is screened at once and the answer
says whether it may go live; a burst ({"listings": [...]}, a seller's catalogue) is accepted (202) and
screened in the worker. The marketplace keeps a listing offline unless the outcome is "publish"."""

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_POST

from takedowns.access import marketplace_client
from takedowns.forms.marketplace import parse_mirrored_listing
from takedowns.workflow import listings


def _declared_length(request: HttpRequest) -> int:
    value = request.META.get("CONTENT_LENGTH") or "0"
    return int(value) if value.isdigit() else 0


def _errors(errors: dict[str, list[str]], status: int = 400) -> JsonResponse:
    return JsonResponse({"errors": errors}, status=status)


@marketplace_client
@require_POST
def listings_hook(request: HttpRequest) -> JsonResponse:
    # Django refuses to read a larger body (DATA_UPLOAD_MAX_MEMORY_SIZE); said here in the hook's own words.
    if _declared_length(request) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        return _errors({"body": [f"At most {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes per request: send a large "
                                 "catalogue in several requests."]}, status=413)
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        return _errors({"body": [f"Not JSON: {exc}."]})
    if isinstance(body, dict) and "listings" in body:
        return _burst(body["listings"])
    return _one(body)


def _one(body: Any) -> JsonResponse:
    parsed, errors = parse_mirrored_listing(body)
    if parsed is None:
        return _errors(errors)
    seller_form, external_id, fields = parsed
    try:
        screening = listings.submit_from_marketplace(seller_form.cleaned_data["external_id"], seller_form.columns(),
                                                     external_id, fields, timezone.now())
    except listings.ListingLocked as locked:
        return JsonResponse({"listing": external_id, "status": locked.listing.status,
                             "error": _locked_words(locked.listing.status)}, status=409)
    return JsonResponse({"listing": external_id, "outcome": screening.outcome,
                         "case": screening.case.reference if screening.case else None})


def _burst(rows: Any) -> JsonResponse:
    limit = settings.MARKETPLACE_HOOK_MAX_LISTINGS
    if not isinstance(rows, list) or not rows or len(rows) > limit:
        return _errors({"listings": [f"Give a list of 1 to {limit} listings."]})
    parsed: list[tuple[int, tuple]] = []
    errors: dict[str, list[str]] = {}
    seen: set[str] = set()
    for index, row in enumerate(rows):
        one, row_errors = parse_mirrored_listing(row, prefix=f"listings[{index}].")
        errors.update(row_errors)
        if one is not None and one[1] in seen:
            errors[f"listings[{index}].external_id"] = [f"{one[1]} is already {_first(parsed, one[1])} "
                                                        "of this request."]
        elif one is not None:
            seen.add(one[1])
            parsed.append((index, one))
    if errors:
        return _errors(errors)
    imported = listings.import_from_marketplace(
        [(seller.cleaned_data["external_id"], seller.columns(), external_id, fields)
         for _, (seller, external_id, fields) in parsed], timezone.now())
    return JsonResponse({
        "listings": [{"listing": external_id, "status": "pending"} for external_id in imported.pending],
        "refused": [{"listing": external_id, "status": status, "error": _locked_words(status)}
                    for external_id, status in imported.locked.items()],
    }, status=202)


def _first(parsed: list, external_id: str) -> str:
    index = next(index for index, one in parsed if one[1] == external_id)
    return f"listings[{index}]"


def _locked_words(status: str) -> str:
    if status in ("held",):
        return "The listing is held for review; it can change once a reviewer has decided."
    if status in ("removed", "blocked"):
        return "The listing was taken down and stays down; its seller may appeal the decision."
    return "The listing belongs to another seller."
