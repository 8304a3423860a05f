"""A notice as the API shows it to the organisation that filed it: what its tracking page shows the submitter,
no more (no reviewer's name, no internal note, nothing about the seller's account), read through the tracking
page's own selectors (selectors/notices.py). A notice's listings come in pages (`listings_after`), so a
10,000-listing notice is read in a fixed number of queries a page."""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Count

from takedowns import appeal_rules, sla
from takedowns.api.schemas import NoticeOut, NoticeSummaryOut
from takedowns.enums import Appellant, ClockKind, DecisionOutcome, NoticeStatus
from takedowns.models import Appeal, Decision, Notice, NoticeItem, SlaClock
from takedowns.selectors.keyset import Keyset, Page
from takedowns.selectors.notices import submitter_clocks, with_decisions

LISTINGS_PAGE = 100
_NEW_NOTICE_CLOCKS = (ClockKind.ACKNOWLEDGEMENT,)
NOTICES_PAGE = 50
# An organisation's notices, newest first: the index notice_organisation (organisation, -id).
NOTICE_PAGES = Keyset(("-id",), NOTICES_PAGE)


def notice_out(notice: Notice, now: datetime, listings_after: int = 0, listings_limit: int = LISTINGS_PAGE) -> dict:
    """The notice as JSON-ready data (NoticeOut): its status and dates, a page of its listings with their
    decisions and appeal windows, its deadlines and the open question."""
    filed = _just_filed(notice, listings_after, now)
    if filed is not None:
        items, listing_count, clocks = filed
        more = len(items) > listings_limit
        items = items[:listings_limit]
    else:
        items = list(with_decisions(notice.items.filter(position__gt=listings_after)).order_by("position")
                     [:listings_limit + 1])
        more = len(items) > listings_limit
        items = items[:listings_limit]
        listing_count = notice.items.count() if (more or listings_after) else len(items)
        clocks = submitter_clocks(notice, now)
    data = {
        "reference": notice.reference, "status": notice.status, "status_label": str(notice.get_status_display()),
        "created_at": notice.created_at, "confirmed_at": notice.confirmed_at, "closed_at": notice.closed_at,
        "confirmation_due_at": notice.expires_at if notice.status == NoticeStatus.UNCONFIRMED else None,
        "due_at": notice.due_at, "tracking_url": settings.SITE_URL + notice.tracking_path(),
        "language": notice.language, "right_type": notice.right_type,
        "listing_count": listing_count, "listings": listings_out(items, now),
        "listings_next": str(items[-1].position) if more else None,
        "deadlines": deadlines_out(clocks), "open_question": None if filed else question_out(notice),
    }
    return NoticeOut.model_validate(data).model_dump()


def _just_filed(notice: Notice, listings_after: int,
                now: datetime) -> tuple[list[NoticeItem], int, list[SlaClock]] | None:
    """A notice this request filed and confirmed (workflow.file_for_organisation hands it back with its
    listings and clocks prefetched): its listings, their count and its clocks as the database holds them,
    without reading them back. No listing of it is decided yet, no question asked; None for any other."""
    prefetched = getattr(notice, "_prefetched_objects_cache", {})
    if listings_after or "items" not in prefetched or "clocks" not in prefetched:
        return None
    clocks = sorted(prefetched["clocks"], key=lambda clock: (clock.started_at, clock.pk))
    # Only a new notice's own clocks (its acknowledgement) are shown as they are; any other kind takes the
    # tracking page's reading (selectors.notices.submitter_clocks).
    if any(clock.kind not in _NEW_NOTICE_CLOCKS or clock.counter_notice_id or clock.appeal_id for clock in clocks):
        return None
    for clock in clocks:
        clock.state = sla.clock_state(now, due_at=clock.due_at, warn_at=clock.warn_at, paused_at=clock.paused_at,
                                      stopped_at=clock.stopped_at)
        clock.shown_due = clock.due_at
    items = sorted(prefetched["items"], key=lambda item: item.position)
    for item in items:
        item.decisions_in_force = []
    return items, len(items), clocks


def listings_out(items: list[NoticeItem], now: datetime) -> list[dict[str, Any]]:
    rejected = [item.decision for item in items if item.decision and item.decision.outcome == DecisionOutcome.REJECT]
    appeals = {appeal.decision_id: appeal for appeal in Appeal.objects.filter(
        decision__in=rejected, appellant=Appellant.SUBMITTER)} if rejected else {}
    return [{"position": item.position, "reported": item.reported, "reason": item.reason, "state": item.state,
             "decision": decision_out(item.decision) if item.decision else None,
             "appeal": appeal_out(item.decision, appeals.get(item.decision.pk), now)
             if item.decision and item.decision.outcome == DecisionOutcome.REJECT else None}
            for item in items]


def decision_out(decision: Decision) -> dict[str, Any]:
    code = decision.reason_code
    return {"id": decision.pk, "outcome": decision.outcome, "decided_at": decision.decided_at,
            "reason_code": code.code if code else None, "reason_title": code.title_shown if code else None,
            "reason_text": code.text_shown if code else None, "note": decision.note,
            "legal_ground": decision.legal_ground, "listing_removed_at": decision.listing_removed_at,
            "listing_restored_at": decision.listing_restored_at}


def appeal_out(decision: Decision, appeal: Appeal | None, now: datetime) -> dict[str, Any]:
    """The rejection's appeal window as the tracking page shows it (appeal_rules.window)."""
    window = appeal_rules.window(decision=decision, appellant=Appellant.SUBMITTER, now=now, appeal=appeal)
    return {"open": window.is_open, "deadline": window.deadline, "refusal": str(window.refusal or ""),
            "appeal_status": window.appeal.status if window.appeal else None}


def deadlines_out(clocks: list[SlaClock]) -> list[dict[str, Any]]:
    """The clocks the tracking page shows the submitter (selectors.notices.submitter_clocks)."""
    return [{"kind": clock.kind, "label": str(clock.get_kind_display()),
             "listing": clock.item.position if clock.item else None, "started_at": clock.started_at,
             "due_at": clock.shown_due, "state": str(clock.state), "stopped_at": clock.stopped_at}
            for clock in clocks]


def question_out(notice: Notice) -> dict[str, Any] | None:
    question = (notice.info_requests.filter(answered_at=None, expired_at=None).prefetch_related("items")
                .order_by("requested_at").first())
    if question is None:
        return None
    return {"message": question.message, "requested_at": question.requested_at, "due_at": question.due_at,
            "listings": sorted(item.position for item in question.items.all())}


def notices_page(organisation_id: int, filters: dict[str, Any], after: str | None) -> tuple[list[dict], str | None]:
    """A page of the organisation's notices, newest first, with the filters (status, created_after,
    created_before, reference prefix) and the next page's cursor."""
    rows = Notice.objects.filter(organisation_id=organisation_id)
    if filters.get("status"):
        rows = rows.filter(status=filters["status"])
    if filters.get("created_after"):
        rows = rows.filter(created_at__gte=filters["created_after"])
    if filters.get("created_before"):
        rows = rows.filter(created_at__lt=filters["created_before"])
    if filters.get("reference"):
        # Printable text only: a NUL, which PostgreSQL refuses, matches no reference anyway.
        prefix = filters["reference"].strip().upper()
        rows = rows.filter(reference__startswith=prefix) if prefix.isprintable() else rows.none()
    page: Page = NOTICE_PAGES.page(rows.annotate(listing_count=Count("items")), after)
    return [NoticeSummaryOut.model_validate({
        "reference": notice.reference, "status": notice.status, "created_at": notice.created_at,
        "confirmed_at": notice.confirmed_at, "closed_at": notice.closed_at,
        "listing_count": notice.listing_count}).model_dump() for notice in page.rows], page.next_cursor
