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

In batches (issue 15): route_notices routes many confirmed notices in one transaction with a few
statements for all of them (one per step, not per notice: ~25 for a batch against 19 per notice), with
the outcomes, events, e-mails and clocks of routing them one after the other in id order: a listing
reported by two notices of the batch is in review in the first and a duplicate in the later; each
assignment counts in the reviewer's load for the next notice. The routing task takes its notice and up
to ROUTING_BATCH_SIZE - 1 other confirmed notices waiting (route_with_waiting, SKIP LOCKED on
PostgreSQL: two workers never wait on each other's batch), so that in a burst the messages that follow
find their notices routed. A notice with thousands of listings is resolved at the marketplace in chunks
(RESOLVE_CHUNK) and written with chunked statements.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Exists, F, OuterRef, Q, Value, When
from django.utils.translation import gettext as _

from takedowns import emails, outbox, risk
from takedowns import routing as rules
from takedowns.enums import ActorKind, ClockKind, EventKind, ItemState, ListingStatus, NoticeStatus, RightStatus
from takedowns.marketplace import get_marketplace
from takedowns.models import Event, Listing, Notice, NoticeItem, Reviewer, Right
from takedowns.workflow import clocks
from takedowns.workflow.base import (
    SYSTEM,
    TransitionNotAllowed,
    add_to_sellers,
    change_status,
    make_event,
    release_load,
    save_events,
)

logger = logging.getLogger(__name__)


RESOLVE_CHUNK = 2000  # references per marketplace call: a remote adapter's request stays a sane size


def route_notice(notice_id: int, now: datetime) -> Notice | None:
    """Resolve every listing, mark duplicates, score priority and assign a reviewer: route_notices for
    one notice, waiting for its row lock. Returns the notice (as it is when it was not confirmed), or None."""
    with transaction.atomic():
        notice = Notice.objects.select_for_update(of=("self",)).select_related("submitter").filter(pk=notice_id).first()
        if notice is None:
            logger.warning("route_notice: notice %s no longer exists", notice_id)
            return None
        if notice.status == NoticeStatus.CONFIRMED:
            _route_locked([notice], now)
    return notice


def route_notices(notice_ids: Iterable[int], now: datetime) -> list[Notice]:
    """Route the confirmed notices among `notice_ids` in one transaction, as route_notice would one after
    the other in id order. A notice another worker has locked is skipped (it is being routed there), as is
    one no longer confirmed. Returns the notices routed, deferred or closed here."""
    with transaction.atomic():
        notices = list(Notice.objects.select_for_update(of=("self",), skip_locked=True).select_related("submitter")
                       .filter(pk__in=list(notice_ids), status=NoticeStatus.CONFIRMED).order_by("pk"))
        if notices:
            _route_locked(notices, now)
    return notices


def route_with_waiting(notice_id: int, now: datetime) -> list[Notice]:
    """The routing task's work: its notice and up to ROUTING_BATCH_SIZE - 1 other confirmed notices
    confirmed within the grace period (older ones are the sweep's: they may be waiting for a reviewer),
    routed together. The messages of the others then find their notices routed and do nothing."""
    cutoff = now - timedelta(seconds=settings.ROUTING_GRACE_SECONDS)
    # One that found no reviewer free waits for the sweep: every message of a burst would route it again.
    deferred = Event.objects.filter(notice=OuterRef("pk"), kind=EventKind.ROUTING_DEFERRED)
    waiting = list(Notice.objects.filter(status=NoticeStatus.CONFIRMED, confirmed_at__gte=cutoff)
                   .exclude(pk=notice_id).exclude(Exists(deferred)).order_by("confirmed_at", "pk")
                   .values_list("pk", flat=True)[:settings.ROUTING_BATCH_SIZE - 1])
    routed = route_notices([notice_id, *waiting], now)
    # Nothing to route is the usual end of a message whose notice an earlier batch took: then only, is it gone?
    if not routed and not Notice.objects.filter(pk=notice_id).exists():
        logger.warning("route_with_waiting: notice %s no longer exists", notice_id)
    return routed


@dataclass(eq=False)
class _Routing:
    """What routing found for one notice of a batch; `assignment` None: closed, nothing to decide."""
    notice: Notice
    items: list[NoticeItem]
    found: list[Listing]
    verified_right: Right | None
    screened: risk.Assessment
    priority: rules.Priority | None = None
    assignment: rules.Assignment | None = None


def _route_locked(notices: list[Notice], now: datetime) -> None:
    """Route the locked, confirmed notices (in this order). Every step is one or a few statements for all."""
    items = _items_of(notices)
    before = [_footprint(items[notice.pk]) for notice in notices]
    events = _resolve_all(notices, items, now)
    rights = _verified_rights(notices)
    found = {notice.pk: [item.listing for item in items[notice.pk] if item.listing] for notice in notices}
    footprints = [(old, frozenset((listing.seller_id, notice.created_at) for listing in found[notice.pk]))
                  for old, notice in zip(before, notices, strict=True)]
    screened = risk.screen_many([(notice, found[notice.pk], rights.get(notice.pk)) for notice in notices], footprints)
    batch = [_Routing(notice, items[notice.pk], found[notice.pk], rights.get(notice.pk), assessment)
             for notice, assessment in zip(notices, screened, strict=True)]
    closing = [r for r in batch if rules.nothing_to_decide(item.state for item in r.items)]
    to_route = [r for r in batch if r not in closing]
    pool = rules.ReviewerPool.load() if to_route else rules.ReviewerPool([])
    for routing in to_route:
        _choose(routing, pool)
    deferred = [r for r in to_route if r.assignment is not None and r.assignment.reviewer is None
                and not r.screened.high]
    assigned = [r for r in to_route if r not in deferred]
    events += _defer_all(deferred, now)
    _assign_all(assigned, events, now)
    order = {notice.pk: index for index, notice in enumerate(notices)}
    save_events(sorted(events, key=lambda event: order[event.notice_id]))  # stable: each notice's in step order
    if pool.assigned:
        Reviewer.objects.filter(pk__in=pool.assigned).update(open_load=F("open_load") + Case(
            *[When(pk=pk, then=Value(count)) for pk, count in pool.assigned.items()], default=Value(0)))
    for routing in closing:  # rare: each closes as route_notice closes it (a few statements each)
        _close_undecidable(routing.notice, routing.items, [], now, routed_at=now, verified_right=routing.verified_right,
                           risk_score=routing.screened.score, risk_band=routing.screened.band,
                           risk_reasons=routing.screened.reasons)
    # Routed or closed all the same (routed_at: routing handled it), counted against their sellers.
    add_to_sellers("reported_items", [listing.seller_id for r in closing + assigned for listing in r.found])
    _store_routed_emails(assigned)


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


def _footprint(items: list[NoticeItem]) -> frozenset:
    """The items as the burst rule's index sees them before routing (risk.screen_many)."""
    return frozenset((item.seller_id, item.filed_at) for item in items if item.seller_id and item.filed_at)


def _items_of(notices: list[Notice]) -> dict[int, list[NoticeItem]]:
    items: dict[int, list[NoticeItem]] = {notice.pk: [] for notice in notices}
    for item in NoticeItem.objects.filter(notice__in=notices).order_by("notice_id", "position"):
        items[item.notice_id].append(item)
    return items


def _resolve_all(notices: list[Notice], items: dict[int, list[NoticeItem]], now: datetime) -> list[Event]:
    """Resolve every listing of the batch at the marketplace (in chunks) and set each item's listing and
    state, notice after notice, as route_notice would one after the other: an item is a duplicate of the
    earliest item in review in another notice, those of the batch's earlier notices included. One UPDATE
    (per chunk) writes them all; returns their events."""
    references = sorted({item.reported for notice_items in items.values() for item in notice_items})
    resolved: dict = {}
    marketplace = get_marketplace()
    for start in range(0, len(references), RESOLVE_CHUNK):
        resolved.update(marketplace.resolve_many(references[start:start + RESOLVE_CHUNK]))
    in_review = _in_review({listing.pk for listing in resolved.values() if listing is not None})
    events: list[Event] = []
    for notice in notices:
        for item in items[notice.pk]:  # its own items, as they were, are not "elsewhere" any more
            if item.listing_id is not None:
                in_review.get(item.listing_id, {}).pop(item.pk, None)
        _resolve_items(notice, items[notice.pk], resolved, in_review)
        for item in items[notice.pk]:
            if item.state == ItemState.IN_REVIEW and item.listing_id is not None:
                in_review.setdefault(item.listing_id, {})[item.pk] = notice.pk
        events += [_resolved_event(notice, item, now) for item in items[notice.pk]]
    save_resolutions([(notice, items[notice.pk]) for notice in notices])
    return events


def _in_review(listing_ids: set[int]) -> dict[int, dict[int, int]]:
    """The items in review of these listings, by listing: {item id: its notice's id}."""
    found: dict[int, dict[int, int]] = {}
    ids = sorted(listing_ids)
    for start in range(0, len(ids), RESOLVE_CHUNK):
        for listing_id, item_id, notice_id in NoticeItem.objects.filter(
                listing_id__in=ids[start:start + RESOLVE_CHUNK], state=ItemState.IN_REVIEW).order_by().values_list(
                "listing_id", "id", "notice_id"):
            found.setdefault(listing_id, {})[item_id] = notice_id
    return found


def _resolve_items(notice: Notice, items: list[NoticeItem], resolved: dict,
                   in_review: dict[int, dict[int, int]]) -> None:
    """Set each item's listing and state from the marketplace's answer."""
    first_in_this_notice: dict[int, NoticeItem] = {}
    for item in items:
        listing = resolved.get(item.reported)
        item.listing = listing
        item.listing_snapshot = listing_snapshot(listing)
        item.duplicate_of = None
        elsewhere = [item_id for item_id, notice_id in in_review.get(listing.pk, {}).items()
                     if notice_id != notice.pk] if listing is not None else []
        if listing is None:
            item.state = ItemState.NOT_FOUND
        elif listing.status == ListingStatus.REMOVED:
            item.state = ItemState.ALREADY_REMOVED
        elif elsewhere:
            item.state = ItemState.DUPLICATE
            item.duplicate_of_id = min(elsewhere)
        elif listing.pk in first_in_this_notice:
            item.state = ItemState.DUPLICATE
            item.duplicate_of = first_in_this_notice[listing.pk]
        else:
            item.state = ItemState.IN_REVIEW
            first_in_this_notice[listing.pk] = item


def _resolved_event(notice: Notice, item: NoticeItem, now: datetime) -> Event:
    return Event(notice=notice, item=item, kind=EventKind.ITEM_RESOLVED, actor_kind=ActorKind.SYSTEM,
                 from_status=ItemState.NEW, to_status=item.state, created_at=now,
                 details={"reported": item.reported,
                          "listing": item.listing.external_id if item.listing else None,
                          "seller": item.listing.seller.external_id if item.listing else None})


def _verified_rights(notices: list[Notice]) -> dict[int, Right]:
    """Each notice's right as the marketplace's register has it, if it names a registered one: a verified
    right only (a registration waiting for confirmation or a lead, rejected or withdrawn is no proof).
    One query for the batch; the first by id where several match, as a query of its own would give."""
    named = {(notice.right_type, notice.right_office.strip().upper(),
              notice.right_registration_number.strip().upper()) for notice in notices}
    condition = Q(pk__in=[])
    for right_type, office, number in named:
        condition |= Q(right_type=right_type, office__iexact=office, registration_number__iexact=number)
    rights: dict[tuple, Right] = {}
    for right in Right.objects.filter(condition, status=RightStatus.VERIFIED).order_by("-pk"):
        rights[(right.right_type, right.office.upper(), right.registration_number.upper())] = right
    return {notice.pk: rights[key] for notice in notices if (key := (
        notice.right_type, notice.right_office.strip().upper(), notice.right_registration_number.strip().upper()))
        in rights}


def _choose(routing: _Routing, pool: rules.ReviewerPool) -> None:
    """Priority and reviewer; the reviewer's load counts this notice for the next ones of the batch."""
    notice, screened = routing.notice, routing.screened
    assert screened is not None
    routing.priority = rules.score_priority([item.reason for item in routing.items], routing.found,
                                            routing.verified_right is not None, notice.trust, high_risk=screened.high)
    routing.assignment = pool.choose(notice.right_type, notice.language, high_risk=screened.high)
    if routing.assignment.reviewer is not None:
        pool.assign(routing.assignment.reviewer)


def _defer_all(deferred: list[_Routing], now: datetime) -> list[Event]:
    """No reviewer is free: these notices stay confirmed, and the sweep routes them again later. Each
    says so once (one query for those that said it before)."""
    if not deferred:
        return []
    said = set(Event.objects.filter(notice__in=[r.notice for r in deferred], kind=EventKind.ROUTING_DEFERRED)
               .values_list("notice_id", flat=True))
    return [make_event(r.notice, EventKind.ROUTING_DEFERRED, SYSTEM, now,
                       details={"rule": r.assignment.rule, "rule_term": r.assignment.term})
            for r in deferred if r.notice.pk not in said and r.assignment is not None]


def _assign_all(assigned: list[_Routing], events: list[Event], now: datetime) -> None:
    """Hand each notice to its reviewer (none: a high-risk notice no designated reviewer can take, which
    the leads are e-mailed about): the acknowledgement clocks stop, the decision clocks start (their
    policy depends on the priority just computed), the notices move to 'in review' in one UPDATE."""
    if not assigned:
        return
    for routing in assigned:
        assert routing.priority is not None  # _choose scored it
        routing.notice.priority = routing.priority.score
    clocks.stop_running(ClockKind.ACKNOWLEDGEMENT, [r.notice for r in assigned], now, events)
    decision_clocks = []
    for routing in assigned:
        assert routing.notice.confirmed_at is not None  # only a confirmed notice is routed
        decision_clocks.append(clocks.new_clock(ClockKind.TAKEDOWN_DECISION, routing.notice,
                                                routing.notice.confirmed_at,
                                                reasons=[item.reason for item in routing.items]))
    clocks.start_clocks(decision_clocks, now, events)
    for routing, clock in zip(assigned, decision_clocks, strict=True):
        _set_routed(routing, clock.due_at, now)
        events.append(make_event(routing.notice, EventKind.ROUTED, SYSTEM, now, from_status=NoticeStatus.CONFIRMED,
                                 to_status=NoticeStatus.IN_REVIEW, details=_routed_details(routing)))
    _write_routed([r.notice for r in assigned])


def _set_routed(routing: _Routing, due_at: datetime, now: datetime) -> None:
    """The notice as routing leaves it, in memory (written by _write_routed)."""
    notice, screened, assignment = routing.notice, routing.screened, routing.assignment
    assert screened is not None and assignment is not None
    notice.status, notice.assigned_to, notice.routed_at, notice.due_at = (
        NoticeStatus.IN_REVIEW, assignment.reviewer, now, due_at)
    notice.verified_right = routing.verified_right
    notice.risk_score, notice.risk_band, notice.risk_reasons = screened.score, screened.band, screened.reasons


def _routed_details(routing: _Routing) -> dict:
    assignment, priority, screened, items = routing.assignment, routing.priority, routing.screened, routing.items
    assert assignment is not None and priority is not None and screened is not None
    reviewer = assignment.reviewer
    return {
        "reviewer": reviewer.user.get_username() if reviewer else None,
        # The English words as written at routing, and the terms the tracking page words in its language.
        "assignment_rule": assignment.rule, "assignment_term": assignment.term,
        "priority": priority.score,
        "priority_rules": priority.rules, "priority_terms": priority.terms,
        "risk": {"score": screened.score, "band": screened.band},
        "items": {state: sum(1 for item in items if item.state == state) for state in
                  sorted({item.state for item in items})},
    }


def _write_routed(notices: list[Notice]) -> None:
    """One UPDATE … FROM (VALUES …) of every routed notice's status and routing findings, each only
    if it is still confirmed (change_status's check; the rows are locked, so all are)."""
    table = connection.ops.quote_name(Notice._meta.db_table)
    moment, json_type = ("timestamp with time zone", "jsonb") if connection.vendor == "postgresql" else ("text", "text")
    rows = ", ".join([f"(CAST(%s AS bigint), CAST(%s AS bigint), CAST(%s AS integer), CAST(%s AS bigint), "
                      f"CAST(%s AS {moment}), CAST(%s AS integer), CAST(%s AS varchar(8)), CAST(%s AS {json_type}))"]
                     * len(notices))
    reasons, when = Notice._meta.get_field("risk_reasons"), Notice._meta.get_field("due_at")
    params = [value for notice in notices for value in (
        notice.pk, notice.assigned_to.pk if notice.assigned_to else None, notice.priority,
        notice.verified_right.pk if notice.verified_right else None, when.get_db_prep_value(notice.due_at, connection),
        notice.risk_score, notice.risk_band, reasons.get_db_prep_value(notice.risk_reasons, connection))]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, routed_at = %s, assigned_to_id = v.column2, priority = v.column3, "
            f"verified_right_id = v.column4, due_at = v.column5, risk_score = v.column6, risk_band = v.column7, "
            f"risk_reasons = v.column8 FROM (VALUES {rows}) AS v WHERE {table}.id = v.column1 AND {table}.status = %s",
            [NoticeStatus.IN_REVIEW, when.get_db_prep_value(notices[0].routed_at, connection), *params,
             NoticeStatus.CONFIRMED])
        if cursor.rowcount != len(notices):
            raise TransitionNotAllowed(_("A notice being routed was changed by someone else."))


def _store_routed_emails(assigned: list[_Routing]) -> None:
    """Every routed notice's e-mails in one INSERT, sent by one task."""
    leads = emails.leads_to_alert() if any(r.assignment and r.assignment.reviewer is None for r in assigned) else []
    outbox.store([message for r in assigned
                  for message in emails.routed_messages(r.notice, r.items, r.notice.assigned_to, leads)])


def listing_snapshot(listing: Listing | None) -> dict | None:
    if listing is None:
        return None
    return {"title": listing.title, "category": listing.category, "price": str(listing.price),
            "currency": listing.currency, "status": listing.status, "seller": listing.seller.external_id,
            "seller_name": listing.seller.name, "description": listing.description, "image": listing.image}


def save_resolution(notice: Notice, items: list[NoticeItem]) -> None:
    """save_resolutions for one notice's items."""
    save_resolutions([(notice, items)])


RESOLUTION_ROWS = 1000  # rows per UPDATE: 7 parameters each, within SQLite's limit and a sane statement


def save_resolutions(notices: list[tuple[Notice, list[NoticeItem]]]) -> None:
    """One UPDATE … FROM (VALUES …) per RESOLUTION_ROWS items of these notices, with each listing's seller and
    its notice's filing time copied for the burst rule's index. QuerySet.bulk_update builds a CASE
    expression per field and row, which cost routing more than a quarter of its time (bench/RESULTS.md).
    Plain SQL that PostgreSQL and SQLite (3.33+) both run; VALUES columns are column1, column2, …"""
    rows = [(notice, item) for notice, items in notices for item in items]
    for start in range(0, len(rows), RESOLUTION_ROWS):
        _save_resolution_rows(rows[start:start + RESOLUTION_ROWS])


def _save_resolution_rows(rows: list[tuple[Notice, NoticeItem]]) -> None:
    if not rows:
        return
    table = connection.ops.quote_name(NoticeItem._meta.db_table)
    json_type, moment = ("jsonb", "timestamp with time zone") if connection.vendor == "postgresql" else ("text", "text")
    values = ", ".join([f"(CAST(%s AS bigint), CAST(%s AS bigint), CAST(%s AS varchar(16)), CAST(%s AS bigint), "
                        f"CAST(%s AS {json_type}), CAST(%s AS bigint), CAST(%s AS {moment}))"] * len(rows))
    snapshot_field = NoticeItem._meta.get_field("listing_snapshot")
    filed_field = NoticeItem._meta.get_field("filed_at")
    params = [value for notice, item in rows for value in (
        item.pk, item.listing_id, item.state, item.duplicate_of_id,
        snapshot_field.get_db_prep_value(item.listing_snapshot, connection),
        item.listing.seller_id if item.listing else None, filed_field.get_db_prep_value(notice.created_at, connection))]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET listing_id = v.column2, state = v.column3, duplicate_of_id = v.column4, "
            f"listing_snapshot = v.column5, seller_id = v.column6, filed_at = v.column7 "
            f"FROM (VALUES {values}) AS v WHERE {table}.id = v.column1", params)


def unrouted_notice_ids(now: datetime, limit: int = 500) -> list[int]:
    """Confirmed notices still unrouted after the grace period: their routing message was lost
    (or no reviewer was free). The sweep enqueues them again; routing is idempotent."""
    cutoff = now - timedelta(seconds=settings.ROUTING_GRACE_SECONDS)
    return list(Notice.objects.filter(status=NoticeStatus.CONFIRMED, confirmed_at__lte=cutoff)
                .order_by("confirmed_at").values_list("pk", flat=True)[:limit])
