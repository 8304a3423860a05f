"""What a removal does at the marketplace and to the seller: the takedown, strikes, seller
penalties and restores. The only code that writes Strike and Penalty rows, the seller's strike
count, and when a removed listing came down and went back up.

- A removal decided by a reviewer is carried out by a task (record_takedown), which stops the
  takedown-executed clock when the marketplace says the listing is down.

- A notice with at least one removal gives each seller concerned one strike (decide_items calls
  record_strikes). Every strike takes the seller to the ladder step its live strikes reach
  (takedowns.penalties); the penalty is applied at the marketplace by a task, which stops the
  strike's seller-penalty clock and sends the seller a statement of reasons.
- The ladder stops at termination: while a termination of the seller's account stands (decided and
  not lifted), a further strike is recorded and counts, but no penalty is decided, so no second
  termination and no second statement of reasons; an event says why and the strike's penalty clock is
  cancelled (there is nothing to apply). Once the termination is lifted (its strike reversed on appeal
  or by a restore), the next strike goes up the ladder again.
- Strikes expire after STRIKE_EXPIRY_DAYS (beat task); a restore (counter-notice, appeal) reverses
  the strike when no other removal of that notice against the seller stands, and lifts the
  penalties that strike brought.
"""

import logging
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _

from takedowns import dispatch, emails, penalties, staydown
from takedowns.enums import (
    PENALTY_SEVERITY,
    ClockKind,
    DecisionOutcome,
    EventKind,
    ItemState,
    ListingStatus,
    NoticeSource,
    PenaltyLevel,
)
from takedowns.marketplace import get_marketplace
from takedowns.models import Decision, Event, Listing, Notice, NoticeItem, Penalty, Seller, Strike
from takedowns.workflow import clocks
from takedowns.workflow.base import SYSTEM, Actor, TransitionNotAllowed, make_event, record_event

logger = logging.getLogger(__name__)


def ladder() -> list[penalties.Step]:
    return penalties.parse_ladder(settings.PENALTY_LADDER)


def live_strikes(seller_id: int) -> int:
    return Strike.objects.filter(seller_id=seller_id, expired_at=None, reversed_at=None).count()


def record_strikes(notice: Notice, removals: list[Decision], now: datetime, events: list[Event]) -> list[Strike]:
    """One strike per seller with a removal in this notice (a second decision round on the same
    notice adds none), and the penalty each strike calls for."""
    recorded = []
    for seller_id in sorted({decision.item.decided_listing.seller_id for decision in removals}):
        strike, created = Strike.objects.get_or_create(
            seller_id=seller_id, notice=notice,
            defaults={"created_at": now, "expires_at": now + timedelta(days=settings.STRIKE_EXPIRY_DAYS)})
        if not created:
            continue
        Seller.objects.filter(pk=seller_id).update(strike_count=F("strike_count") + 1)
        live = live_strikes(seller_id)
        events.append(make_event(notice, EventKind.STRIKE_RECORDED, SYSTEM, now,
                             details={"seller": strike.seller.external_id, "strike": strike.pk, "live_strikes": live}))
        clocks.start_clock(ClockKind.SELLER_PENALTY, notice, now, strike=strike, events=events)
        _decide_penalty(strike, live, now, events)
        recorded.append(strike)
    return recorded


def standing_termination(seller_id: int) -> Penalty | None:
    """The seller's termination decided and not lifted (applied, or about to be by its task): the
    account is closed for good, so the ladder has nothing left to decide."""
    return (Penalty.objects.filter(seller_id=seller_id, level=PenaltyLevel.TERMINATION, lifted_at=None)
            .order_by("decided_at", "pk").first())


def _decide_penalty(strike: Strike, live: int, now: datetime, events: list[Event]) -> Penalty | None:
    # record_strikes's UPDATE of the seller's strike count holds the seller's row lock until commit, so
    # a concurrent strike against the same seller reads this termination once it is committed.
    terminated = standing_termination(strike.seller_id)
    if terminated is not None:
        events.append(make_event(strike.notice, EventKind.PENALTY_NOT_DECIDED, SYSTEM, now, details={
            "seller": strike.seller.external_id, "strike": strike.pk, "live_strikes": live,
            "termination": terminated.pk, "why": "the account is already terminated"}))
        clocks.stop_clock(ClockKind.SELLER_PENALTY, now, strike=strike, cancelled=True, events=events)
        return None
    step = penalties.step_for(live, ladder())
    if step is None:  # a ladder whose first step needs more strikes: nothing to apply yet
        clocks.stop_clock(ClockKind.SELLER_PENALTY, now, strike=strike, cancelled=True, events=events)
        return None
    # The ladder decides from the live strike count alone: an automated decision (Penalty.automated).
    penalty = Penalty.objects.create(seller_id=strike.seller_id, strike=strike, level=step.level, live_strikes=live,
                                     decided_at=now, ends_at=step.ends_at(now), automated=True,
                                     seller_token=secrets.token_urlsafe(32))
    events.append(make_event(strike.notice, EventKind.PENALTY_DECIDED, SYSTEM, now, details={
        "seller": strike.seller.external_id, "penalty": penalty.pk, "level": step.level, "live_strikes": live,
        "duration": step.duration}))
    dispatch.after_commit(dispatch.APPLY_PENALTY, penalty_id=penalty.pk)
    return penalty


def in_force(seller_id: int, now: datetime) -> QuerySet[Penalty]:
    """Penalties applied, not lifted and not over."""
    return Penalty.objects.filter(seller_id=seller_id, applied_at__isnull=False, lifted_at=None).filter(
        Q(ends_at=None) | Q(ends_at__gt=now))


def apply_penalty(penalty_id: int, now: datetime) -> Penalty | None:
    """Apply a decided penalty at the marketplace (idempotent; raises MarketplaceUnavailable for the
    task to retry), stop its clock and send the seller the statement of reasons."""
    penalty = Penalty.objects.select_related("seller", "strike__notice").filter(pk=penalty_id).first()
    if penalty is None:
        logger.warning("apply_penalty: penalty %s no longer exists", penalty_id)
        return None
    if penalty.applied_at is not None or penalty.lifted_at is not None:
        return penalty
    _sync_account(penalty.seller, now, extra=penalty)
    with transaction.atomic():
        if not Penalty.objects.filter(pk=penalty.pk, applied_at=None, lifted_at=None).update(applied_at=now):
            return penalty
        penalty.applied_at = now
        make_event(penalty.strike.notice, EventKind.PENALTY_APPLIED, SYSTEM, now, details={
            "seller": penalty.seller.external_id, "penalty": penalty.pk, "level": penalty.level}).save()
        clocks.stop_clock(ClockKind.SELLER_PENALTY, now, strike=penalty.strike)
        emails.penalty_statement(penalty)
    return penalty


def _sync_account(seller: Seller, now: datetime, extra: Penalty | None = None) -> None:
    """Make the marketplace account match the harshest penalty in force (plus `extra`, being applied)."""
    standing = list(in_force(seller.pk, now))
    if extra is not None:
        standing.append(extra)
    harshest = max(standing, key=lambda p: (PENALTY_SEVERITY[p.level], p.ends_at is None, p.ends_at), default=None)
    if harshest is None or harshest.level == PenaltyLevel.WARNING:
        get_marketplace().apply_penalty(seller, None, None)
    else:
        get_marketplace().apply_penalty(seller, harshest.level, harshest.ends_at)


def expire_strikes(now: datetime, limit: int = 500) -> int:
    """Strikes older than STRIKE_EXPIRY_DAYS stop counting; each is claimed with a conditional UPDATE."""
    due = list(Strike.objects.filter(expired_at=None, reversed_at=None, expires_at__lte=now)
               .order_by("expires_at").values_list("pk", flat=True)[:limit])
    expired = 0
    for strike_id in due:
        with transaction.atomic():
            if not Strike.objects.filter(pk=strike_id, expired_at=None, reversed_at=None).update(expired_at=now):
                continue
            strike = Strike.objects.select_related("seller", "notice").get(pk=strike_id)
            Seller.objects.filter(pk=strike.seller_id, strike_count__gt=0).update(strike_count=F("strike_count") - 1)
            make_event(strike.notice, EventKind.STRIKE_EXPIRED, SYSTEM, now, details={
                "seller": strike.seller.external_id, "strike": strike.pk,
                "live_strikes": live_strikes(strike.seller_id)}).save()
            expired += 1
    return expired


# --- The takedown: a removal decided by a reviewer, carried out at the marketplace. ---

def record_takedown(decision_id: int) -> Decision | None:
    """Have the marketplace take a removed listing down, and record when it came down (an SLA
    clock stops there). Idempotent; raises MarketplaceUnavailable for the task to retry."""
    decision = Decision.objects.select_related("item__listing", "item__notice").filter(pk=decision_id).first()
    if decision is None:
        logger.warning("record_takedown: decision %s no longer exists", decision_id)
        return None
    if decision.outcome != DecisionOutcome.REMOVE or decision.listing_removed_at is not None:
        return decision
    # The marketplace's own time: the clock stops when the listing is really down, not when we asked.
    removed_at = get_marketplace().take_down(decision.item.decided_listing)
    with transaction.atomic():
        if Decision.objects.filter(pk=decision.pk, listing_removed_at__isnull=True).update(
                listing_removed_at=removed_at):
            decision.listing_removed_at = removed_at
            record_event(decision.item.notice, EventKind.LISTING_REMOVED, SYSTEM, removed_at, item=decision.item,
                    details={"listing": decision.item.decided_listing.external_id, "decision": decision.pk})
            clocks.stop_clock(ClockKind.TAKEDOWN_EXECUTED, removed_at, item=decision.item)
            # Stay-down: a removed listing relisted later is found by its fingerprint (issue 14).
            staydown.fingerprint_removal(decision, removed_at)
    return decision


def record_publish(decision_id: int) -> Decision | None:
    """Have the marketplace put live a listing that screening held and a reviewer cleared (the hold rejected),
    and record when (issue 14). Idempotent; raises MarketplaceUnavailable for the task to retry. A listing no
    longer held (blocked meanwhile by a stay-down match, or changed back to pending) stays as it is."""
    decision = Decision.objects.select_related("item__listing", "item__notice").filter(pk=decision_id).first()
    if decision is None or decision.outcome != DecisionOutcome.REJECT or decision.item.listing is None:
        return decision
    listing = decision.item.listing
    if not Listing.objects.filter(pk=listing.pk, status=ListingStatus.HELD).exists():
        return decision
    published_at = get_marketplace().publish(listing)
    with transaction.atomic():
        notice = Notice.objects.select_for_update().get(pk=decision.item.notice_id)
        if not Event.objects.filter(item=decision.item, kind=EventKind.LISTING_PUBLISHED).exists():
            record_event(notice, EventKind.LISTING_PUBLISHED, SYSTEM, published_at, item=decision.item,
                         details={"listing": listing.external_id, "decision": decision.pk,
                                  "published_at": published_at.isoformat()})
    return decision


# --- Restores: a counter-notice's window ran out, or an appeal reversed a removal. ---

def order_restore(decision: Decision, actor: Actor, now: datetime, why: str, events: list[Event]) -> None:
    """Put a removed listing back: the item becomes 'restored', the marketplace is told by a task,
    and the notice's strike against the seller is reversed when no other removal of it stands.
    The caller holds the notice's row lock and tells the people concerned."""
    if decision.outcome != DecisionOutcome.REMOVE or decision.reversed_at or decision.listing_restored_at:
        raise TransitionNotAllowed(_("Only a removal that still stands can be restored."))
    item = decision.item
    if not NoticeItem.objects.filter(pk=item.pk, state=ItemState.REMOVED).update(state=ItemState.RESTORED):
        raise TransitionNotAllowed(_("Listing %(position)s is '%(state)s': it cannot be restored.") % {
            "position": item.position, "state": item.get_state_display()})
    events.append(make_event(item.notice, EventKind.LISTING_RESTORED, actor, now, item=item,
                         from_status=ItemState.REMOVED, to_status=ItemState.RESTORED,
                         details={"decision": decision.pk, "why": why, "ordered": True}))
    clocks.stop_clock(ClockKind.TAKEDOWN_EXECUTED, now, item=item, cancelled=True, events=events)
    seller_id = item.decided_listing.seller_id
    still_removed = NoticeItem.objects.filter(notice=item.notice, listing__seller_id=seller_id,
                                              state=ItemState.REMOVED).exists()
    strike = Strike.objects.filter(seller_id=seller_id, notice=item.notice, reversed_at=None).first()
    if strike is not None and not still_removed:
        reverse_strike(strike, now, why, events)
    dispatch.after_commit(dispatch.RESTORE_LISTING, decision_id=decision.pk)


def reverse_strike(strike: Strike, now: datetime, why: str, events: list[Event]) -> None:
    """The strike no longer counts; penalties it brought are lifted and the account follows."""
    if not Strike.objects.filter(pk=strike.pk, reversed_at=None).update(reversed_at=now):
        return
    if strike.expired_at is None:
        Seller.objects.filter(pk=strike.seller_id, strike_count__gt=0).update(strike_count=F("strike_count") - 1)
    events.append(make_event(strike.notice, EventKind.STRIKE_REVERSED, SYSTEM, now, details={
        "seller": strike.seller.external_id, "strike": strike.pk, "why": why}))
    clocks.stop_clock(ClockKind.SELLER_PENALTY, now, strike=strike, cancelled=True, events=events)
    for penalty in Penalty.objects.filter(strike=strike, lifted_at=None):
        Penalty.objects.filter(pk=penalty.pk, lifted_at=None).update(lifted_at=now, lift_reason=why)
        events.append(make_event(strike.notice, EventKind.PENALTY_LIFTED, SYSTEM, now, details={
            "seller": strike.seller.external_id, "penalty": penalty.pk, "level": penalty.level, "why": why}))
    dispatch.after_commit(dispatch.SYNC_SELLER_ACCOUNT, seller_id=strike.seller_id)


def sync_seller_account(seller_id: int, now: datetime) -> None:
    seller = Seller.objects.filter(pk=seller_id).first()
    if seller is not None:
        _sync_account(seller, now)


def record_restore(decision_id: int) -> Decision | None:
    """Have the marketplace put the listing back and record when (idempotent; raises
    MarketplaceUnavailable for the task to retry)."""
    decision = Decision.objects.select_related("item__listing", "item__notice").filter(pk=decision_id).first()
    if decision is None or decision.listing_restored_at is not None or decision.item.state != ItemState.RESTORED:
        return decision
    listing = decision.item.decided_listing
    # A listing screening kept from going live (held then removed, or blocked) was never up to put back: an
    # appeal that reverses its removal publishes it (issue 14).
    never_live = decision.item.notice.source == NoticeSource.SCREENING and listing.published_at is None
    restored_at = get_marketplace().publish(listing) if never_live else get_marketplace().restore(listing)
    with transaction.atomic():
        if Decision.objects.filter(pk=decision.pk, listing_restored_at=None).update(listing_restored_at=restored_at):
            decision.listing_restored_at = restored_at
            kind = EventKind.LISTING_PUBLISHED if never_live else EventKind.LISTING_RESTORED
            record_event(decision.item.notice, kind, SYSTEM, restored_at, item=decision.item,
                         details={"listing": listing.external_id, "decision": decision.pk})
    return decision
