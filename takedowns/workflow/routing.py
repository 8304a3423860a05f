"""Routing: a confirmed notice's listings are resolved at the marketplace, its priority scored and a
reviewer chosen (the rules are in takedowns/routing.py), and it moves to 'in review'. Its risk of
competitor abuse is screened on the way (takedowns/risk.py): a high-risk notice goes only to a reviewer a
lead designated, gets no good-faith priority, and waits unassigned for the leads when none is designated.

A notice with no listing left to decide (each not found, already removed or a duplicate:
routing.nothing_to_decide) is not routed to anyone: it closes at routing, the acknowledgement clock
stops as usual, no decision clock starts, and the submitter is e-mailed each listing's outcome and how
to file it again (DSA Art. 16(5)). Notices that routing left in review in that state before this rule
existed are closed by the beat (close_undecidable_notices), their decision clock cancelled.

Runs in a task after confirmation (dispatch.ROUTE_NOTICE), and again from the beat's sweep for a
notice whose message was lost or that found no reviewer free. Idempotent: the row lock and the
status check mean a second run does nothing once the notice has been routed.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef

from takedowns import emails, risk
from takedowns import routing as rules
from takedowns.enums import ActorKind, ClockKind, EventKind, ItemState, ListingStatus, NoticeStatus, RightStatus
from takedowns.marketplace import get_marketplace
from takedowns.models import Event, Listing, Notice, NoticeItem, Reviewer, Right
from takedowns.workflow import clocks
from takedowns.workflow.base import SYSTEM, add_to_sellers, change_status, make_event, release_load, save_events

logger = logging.getLogger(__name__)


def route_notice(notice_id: int, now: datetime) -> Notice | None:
    """Resolve every listing, mark duplicates, score priority and assign a reviewer."""
    with transaction.atomic():
        # The submitter's record comes along for risk screening; only the notice's row is locked.
        notice = Notice.objects.select_for_update(of=("self",)).select_related("submitter").filter(pk=notice_id).first()
        if notice is None:
            logger.warning("route_notice: notice %s no longer exists", notice_id)
            return None
        if notice.status != NoticeStatus.CONFIRMED:
            return notice
        items = list(notice.items.all())
        events = _resolve_items(notice, items, get_marketplace().resolve_many([item.reported for item in items]), now)
        found = [item.listing for item in items if item.listing is not None]
        verified_right = _verified_right(notice)
        screened = risk.screen(notice, found, verified_right)
        if rules.nothing_to_decide(item.state for item in items):
            # Routed all the same (routed_at: routing handled it, counted its listings against their sellers
            # and screened it, as the review page and the dashboard's risk bands read it), to no reviewer.
            add_to_sellers("reported_items", [listing.seller_id for listing in found])
            _close_undecidable(notice, items, events, now, routed_at=now, verified_right=verified_right,
                               risk_score=screened.score, risk_band=screened.band, risk_reasons=screened.reasons)
            return notice
        priority = rules.score_priority([item.reason for item in items], found, verified_right is not None,
                                        notice.trust, high_risk=screened.high)
        assignment = rules.choose_reviewer(notice.right_type, notice.language, high_risk=screened.high)
        if assignment.reviewer is None and not screened.high:
            _defer(notice, assignment, events, now)
        else:  # a high-risk notice nobody may take waits in review, unassigned, for the leads
            _assign(notice, items, found, assignment, priority, verified_right, screened, events, now)
    return notice


def _close_undecidable(notice: Notice, items: list[NoticeItem], events: list[Event], now: datetime,
                       **fields) -> None:
    """Close a notice none of whose listings can be decided, from routing (confirmed) or the beat (left in
    review before this rule): the acknowledgement clock stops as at any routing (the notice is answered);
    a decision clock started by the old routing is cancelled (it measured nothing a reviewer could do); the
    reviewer it was assigned to is relieved; the submitter is told each listing's outcome (DSA Art. 16(5)).
    `fields`: routing's findings written with the status (the verified right, the risk screening)."""
    clocks.stop_clock(ClockKind.ACKNOWLEDGEMENT, now, notice=notice, events=events)
    clocks.stop_clock(ClockKind.TAKEDOWN_DECISION, now, notice=notice, cancelled=True, events=events)
    was_assigned_to = notice.assigned_to_id
    change_status(notice, NoticeStatus.CLOSED, kind=EventKind.NOTHING_TO_DECIDE, actor=SYSTEM, now=now,
                  closed_at=now, details={"items": {state: sum(1 for item in items if item.state == state)
                                                    for state in sorted({item.state for item in items})}},
                  along_with=events, **fields)
    release_load(was_assigned_to)
    emails.nothing_to_decide(notice, items)


def undecidable_notice_ids(limit: int = 500) -> list[int]:
    """Notices in review none of whose listings can be decided: left so by routing before it closed
    such notices itself. The partial index of open notices finds those in review; each is checked for
    a listing outside routing's undecidable states."""
    decidable = NoticeItem.objects.filter(notice=OuterRef("pk")).exclude(state__in=rules.UNDECIDABLE_STATES)
    return list(Notice.objects.filter(status=NoticeStatus.IN_REVIEW).exclude(Exists(decidable))
                .order_by("pk").values_list("pk", flat=True)[:limit])


def close_undecidable_notices(now: datetime, limit: int = 500) -> int:
    """The beat's work: close each notice undecidable_notice_ids finds, under its row lock, after
    checking again that it is in review with nothing to decide (a concurrent step may have moved it)."""
    closed = 0
    for notice_id in undecidable_notice_ids(limit):
        with transaction.atomic():
            notice = Notice.objects.select_for_update().filter(pk=notice_id, status=NoticeStatus.IN_REVIEW).first()
            items = list(notice.items.order_by("position")) if notice else []
            if notice is None or not rules.nothing_to_decide(item.state for item in items):
                continue
            _close_undecidable(notice, items, [], now)
            closed += 1
    return closed


def _verified_right(notice: Notice) -> Right | None:
    """The right as the marketplace's register has it, if the notice names a registered one: a verified
    right only (a registration waiting for confirmation or a lead, rejected or withdrawn is no proof)."""
    return Right.objects.filter(
        right_type=notice.right_type, office__iexact=notice.right_office.strip(),
        registration_number__iexact=notice.right_registration_number.strip(), status=RightStatus.VERIFIED,
    ).first()


def _defer(notice: Notice, assignment: rules.Assignment, events: list[Event], now: datetime) -> None:
    """No reviewer is free: the notice stays confirmed, and the sweep routes it again later."""
    if not notice.events.filter(kind=EventKind.ROUTING_DEFERRED).exists():
        details = {"rule": assignment.rule, "rule_term": assignment.term}
        events.append(make_event(notice, EventKind.ROUTING_DEFERRED, SYSTEM, now, details=details))
    save_events(events)


def _assign(notice: Notice, items: list[NoticeItem], found: list[Listing], assignment: rules.Assignment,
            priority: rules.Priority, verified_right: Right | None, screened: risk.Assessment, events: list[Event],
            now: datetime) -> None:
    """Hand the notice to the chosen reviewer (none: a high-risk notice no designated reviewer can
    take, which the leads are e-mailed about): the acknowledgement clock stops, the decision clock
    starts, the status and every event of the step are written, and both sides are e-mailed."""
    reviewer = assignment.reviewer
    assert notice.confirmed_at is not None  # only a confirmed notice is routed
    # The decision clock's policy depends on the priority just computed.
    notice.priority = priority.score
    clocks.stop_clock(ClockKind.ACKNOWLEDGEMENT, now, notice=notice, events=events)
    decision_clock = clocks.start_clock(ClockKind.TAKEDOWN_DECISION, notice, notice.confirmed_at,
                                        reasons=[item.reason for item in items], events=events, now=now,
                                        follow=False)
    change_status(
        notice, NoticeStatus.IN_REVIEW, kind=EventKind.ROUTED, actor=SYSTEM, now=now,
        assigned_to=reviewer, routed_at=now, priority=priority.score, verified_right=verified_right,
        due_at=decision_clock.due_at, risk_score=screened.score, risk_band=screened.band, risk_reasons=screened.reasons,
        details={
            "reviewer": reviewer.user.get_username() if reviewer else None,
            # The English words as written at routing, and the terms the tracking page words in its language.
            "assignment_rule": assignment.rule, "assignment_term": assignment.term,
            "priority": priority.score,
            "priority_rules": priority.rules, "priority_terms": priority.terms,
            "risk": {"score": screened.score, "band": screened.band},
            "items": {state: sum(1 for item in items if item.state == state) for state in
                      sorted({item.state for item in items})},
        },
        along_with=events,
    )
    if reviewer is not None:
        Reviewer.objects.filter(pk=reviewer.pk).update(open_load=F("open_load") + 1)
    add_to_sellers("reported_items", [listing.seller_id for listing in found])
    emails.notice_routed(notice, items, reviewer)


def _resolve_items(notice: Notice, items: list[NoticeItem], resolved: dict, now: datetime) -> list[Event]:
    """Set each item's listing and state from the marketplace's answer; returns their events."""
    listing_ids = {listing.pk for listing in resolved.values() if listing is not None}
    under_review_elsewhere = dict(
        NoticeItem.objects.filter(listing_id__in=listing_ids, state=ItemState.IN_REVIEW)
        .exclude(notice=notice).order_by("-id").values_list("listing_id", "id")
    )
    first_in_this_notice: dict[int, NoticeItem] = {}
    for item in items:
        listing = resolved.get(item.reported)
        item.listing = listing
        item.listing_snapshot = listing_snapshot(listing)
        item.duplicate_of = None
        if listing is None:
            item.state = ItemState.NOT_FOUND
        elif listing.status == ListingStatus.REMOVED:
            item.state = ItemState.ALREADY_REMOVED
        elif listing.pk in under_review_elsewhere:
            item.state = ItemState.DUPLICATE
            item.duplicate_of_id = under_review_elsewhere[listing.pk]
        elif listing.pk in first_in_this_notice:
            item.state = ItemState.DUPLICATE
            item.duplicate_of = first_in_this_notice[listing.pk]
        else:
            item.state = ItemState.IN_REVIEW
            first_in_this_notice[listing.pk] = item
    save_resolution(notice, items)
    return [
        Event(notice=notice, item=item, kind=EventKind.ITEM_RESOLVED, actor_kind=ActorKind.SYSTEM,
              from_status=ItemState.NEW, to_status=item.state, created_at=now,
              details={"reported": item.reported,
                       "listing": item.listing.external_id if item.listing else None,
                       "seller": item.listing.seller.external_id if item.listing else None})
        for item in items
    ]


def listing_snapshot(listing: Listing | None) -> dict | None:
    if listing is None:
        return None
    return {"title": listing.title, "category": listing.category, "price": str(listing.price),
            "currency": listing.currency, "status": listing.status, "seller": listing.seller.external_id,
            "seller_name": listing.seller.name, "description": listing.description, "image": listing.image}


def save_resolution(notice: Notice, items: list[NoticeItem]) -> None:
    """One UPDATE … FROM (VALUES …) for all the notice's items, with each listing's seller and the
    notice's filing time copied for the burst rule's index. QuerySet.bulk_update builds a CASE expression
    per field and row, which cost routing more than a quarter of its time (bench/RESULTS.md).
    Plain SQL that PostgreSQL and SQLite (3.33+) both run; VALUES columns are column1, column2, …"""
    if not items:
        return
    table = connection.ops.quote_name(NoticeItem._meta.db_table)
    json_type = "jsonb" if connection.vendor == "postgresql" else "text"
    rows = ", ".join([f"(CAST(%s AS bigint), CAST(%s AS bigint), CAST(%s AS varchar(16)), CAST(%s AS bigint), "
                      f"CAST(%s AS {json_type}), CAST(%s AS bigint))"] * len(items))
    snapshot_field = NoticeItem._meta.get_field("listing_snapshot")
    params = [value for item in items for value in (
        item.pk, item.listing_id, item.state, item.duplicate_of_id,
        snapshot_field.get_db_prep_value(item.listing_snapshot, connection),
        item.listing.seller_id if item.listing else None)]
    filed_at = NoticeItem._meta.get_field("filed_at").get_db_prep_value(notice.created_at, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET listing_id = v.column2, state = v.column3, duplicate_of_id = v.column4, "
            f"listing_snapshot = v.column5, seller_id = v.column6, filed_at = %s "
            f"FROM (VALUES {rows}) AS v WHERE {table}.id = v.column1", [filed_at, *params])


def unrouted_notice_ids(now: datetime, limit: int = 500) -> list[int]:
    """Confirmed notices still unrouted after the grace period: their routing message was lost
    (or no reviewer was free). The sweep enqueues them again; routing is idempotent."""
    cutoff = now - timedelta(seconds=settings.ROUTING_GRACE_SECONDS)
    return list(Notice.objects.filter(status=NoticeStatus.CONFIRMED, confirmed_at__lte=cutoff)
                .order_by("confirmed_at").values_list("pk", flat=True)[:limit])
