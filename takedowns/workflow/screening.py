"""Listing screening's outcomes (issue 14): the only code that records a Screening and what it does to the
listing. takedowns/screening/engine.py decides (read-only); this module writes, in one transaction:

- publish: the listing goes live (the marketplace's publish);
- hold: the listing waits, not live (status held), in an own-initiative case: a Notice with
  source=screening, in review and unassigned, one item (the listing), the screening review clock; a
  reviewer decides it in the Screening queue (workflow/review.py, as any notice);
- block (a stay-down match by the same seller or a linked account): the listing never goes live
  (status blocked); its case is closed at once with an automated removal by the system user, whose
  statement of reasons goes to the seller, appealable like any removal. No strike: strikes follow a
  person's decision only.

An own-initiative case has no notifier: its submitter fields name the marketplace (SCREENING_CASE_NAME,
DEFAULT_FROM_EMAIL's address, SCREENING_CASE_COUNTRY), it has no tracking or confirmation token, and
no e-mail is ever written to its submitter address (emails.make_message refuses).
"""

import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime
from email.utils import parseaddr

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from takedowns import emails, staydown
from takedowns.enums import (
    LEGAL_GROUNDS,
    REASONS_FOR_RIGHT,
    SCREENING_SEVERITY,
    ClockKind,
    DecisionOutcome,
    EventKind,
    InfringementReason,
    ItemState,
    ListingStatus,
    NoticeSource,
    NoticeStatus,
    RightType,
    ScreeningOutcome,
    ScreeningRuleCode,
    SubmitterRole,
)
from takedowns.marketplace import get_marketplace
from takedowns.models import (
    Decision,
    Fingerprint,
    Listing,
    Notice,
    NoticeItem,
    Right,
    Screening,
    ScreeningHit,
)
from takedowns.screening import engine
from takedowns.selectors.notices import removal_grounds_for
from takedowns.workflow import clocks
from takedowns.workflow.base import SYSTEM, TransitionNotAllowed, add_to_sellers, make_event, release_load, save_events
from takedowns.workflow.filing import new_reference
from takedowns.workflow.routing import listing_snapshot

# The system user that records a block's automated decision (Decision.decided_by needs a user): it cannot
# log in (inactive, no usable password), and appeal_rules sees no person in it.
SYSTEM_USERNAME = "screening"

# A listing in these states is down by a decision; screening it again changes nothing.
STAYS_DOWN = (ListingStatus.REMOVED, ListingStatus.BLOCKED)
# A listing in these states that screening publishes goes live with nothing else to do (no case open): the
# chunk path of a burst records and publishes them all at once.
PUBLISHED_IN_BULK = (ListingStatus.PENDING, ListingStatus.ACTIVE)

# What a rule's hit says the listing does, as an infringement reason of a trademark (the rights screening
# protects): a disguised or unauthorised brand is its misuse; a fake price, the genuine picture or a
# relisted removed listing point to counterfeit goods.
RULE_REASON: dict[str, str] = {
    ScreeningRuleCode.BRAND_TERM: InfringementReason.TRADEMARK_MISUSE,
    ScreeningRuleCode.UNAUTHORISED_SELLER: InfringementReason.TRADEMARK_MISUSE,
    ScreeningRuleCode.LOW_PRICE: InfringementReason.COUNTERFEIT,
    ScreeningRuleCode.REFERENCE_IMAGE: InfringementReason.COUNTERFEIT,
    ScreeningRuleCode.STAYDOWN_SAME_SELLER: InfringementReason.COUNTERFEIT,
    ScreeningRuleCode.STAYDOWN_OTHER_SELLER: InfringementReason.COUNTERFEIT,
}


def listing_submitted(listing: Listing, trigger: str, now: datetime, picture: bytes | None = None) -> Screening:
    """Screen a new or changed listing and carry out the outcome (see the module docstring). A listing
    held with its case still open is not given a second case: the new screening joins the open one, and
    the listing stays held (even on a clean verdict) until the reviewer decides, unless the change makes it
    a stay-down match, whose block decides that case. A listing taken down stays down.

    With SCREENING_ENABLED off (an operator's kill switch for an incident), see publish_unscreened."""
    if not settings.SCREENING_ENABLED:
        return publish_unscreened(listing, trigger, now)
    return _carry_out(listing, trigger, engine.screen(listing, picture), now)


def listings_submitted(items: Sequence[tuple[Listing, bytes | None]], trigger: str, now: datetime) -> list[Screening]:
    """listing_submitted for each (listing, picture) of a chunk of a burst (workflow/listings.screen_pending),
    with the same outcome, rows and events per listing, in one transaction (the caller's, or its own): the
    verdicts from engine.screen_many (each lookup once per chunk); the listings a verdict publishes that are
    pending or live (nearly all of a burst) recorded with one INSERT of their Screening rows, one of their hits
    and one publish of them all (the adapter's publish_many when it has one); every other listing (a hold, a
    block, a listing held or taken down meanwhile) through listing_submitted's own steps, one by one. The
    Screening rows come back in the order of `items`. The chunk's verdicts are taken together, before any is
    carried out: a block in the chunk fingerprints its listing too late for the chunk's other listings (which
    match the removal it repeated all the same)."""
    if not settings.SCREENING_ENABLED:
        return [publish_unscreened(listing, trigger, now) for listing, _picture in items]
    ids = [listing.pk for listing, _picture in items]
    if len(set(ids)) != len(ids):  # a listing twice in one chunk: its second screening must see the first's
        return [listing_submitted(listing, trigger, now, picture) for listing, picture in items]
    verdicts = engine.screen_many(list(items))
    with transaction.atomic():
        # The listings locked, not their sellers (a seller's catalogue is screened by concurrent chunks).
        current = Listing.objects.select_for_update(of=("self",)).select_related("seller").in_bulk(ids)
        batch = [(current[pk], verdict) for pk, verdict in zip(ids, verdicts, strict=True)
                 if pk in current and verdict.outcome == ScreeningOutcome.PUBLISH
                 and current[pk].status in PUBLISHED_IN_BULK]
        recorded = dict(zip([listing.pk for listing, _verdict in batch], _record_many(batch, trigger, now),
                            strict=True))
        _publish_many([listing for listing, _verdict in batch])
        return [recorded[pk] if pk in recorded else _carry_out(listing, trigger, verdict, now)
                for pk, (listing, _picture), verdict in zip(ids, items, verdicts, strict=True)]


def publish_unscreened(listing: Listing, trigger: str, now: datetime) -> Screening:
    """SCREENING_ENABLED off: a pending or live listing is published as it would be without screening, and no
    Screening row is written (the Screening returned is unsaved: pk None, outcome publish, no case); a listing
    held or taken down stays as it is (outcome hold or block in the unsaved row), as a change cannot free it."""
    with transaction.atomic():
        listing = Listing.objects.select_for_update().get(pk=listing.pk)
        if listing.status in PUBLISHED_IN_BULK:
            get_marketplace().publish(listing)
            outcome = ScreeningOutcome.PUBLISH
        else:
            outcome = ScreeningOutcome.HOLD if listing.status == ListingStatus.HELD else ScreeningOutcome.BLOCK
    return Screening(listing=listing, trigger=trigger, outcome=outcome, screened_at=now)


def _carry_out(listing: Listing, trigger: str, verdict: "engine.Verdict", now: datetime) -> Screening:
    with transaction.atomic():
        # The listing's row locked, not its seller's: concurrent chunks of one seller's catalogue (a burst in the
        # worker) would otherwise wait for each other on every hold.
        listing = Listing.objects.select_for_update(of=("self",)).select_related("seller").get(pk=listing.pk)
        if listing.status in STAYS_DOWN:
            # Editing a listing that was taken down does not bring it back (only a restore or an appeal does):
            # the screening is recorded, nothing else changes.
            return _record(listing, trigger, verdict, None, now)
        # Only a held listing can have a case open (the publish path, screening's most common, skips the query).
        open_case = _open_case(listing) if listing.status == ListingStatus.HELD else None
        if open_case is not None and verdict.outcome != ScreeningOutcome.BLOCK:
            return _join_open_case(open_case, listing, trigger, verdict, now)
        if open_case is not None:  # changed while held, and now a stay-down match: the block decides its case
            screening = _record(listing, trigger, verdict, open_case, now)
            _close_blocked(open_case, now)
            _block(open_case, listing, screening, verdict, now)
            return screening
        if verdict.outcome == ScreeningOutcome.PUBLISH:
            screening = _record(listing, trigger, verdict, None, now)
            get_marketplace().publish(listing)
            return screening
        case = _open(listing, verdict, now)
        screening = _record(listing, trigger, verdict, case, now)
        if verdict.outcome == ScreeningOutcome.HOLD:
            _hold(case, listing, screening, verdict, now)
        else:
            _block(case, listing, screening, verdict, now)
    return screening


def _record_many(batch: list[tuple[Listing, "engine.Verdict"]], trigger: str, now: datetime) -> list[Screening]:
    """_record for each (listing, verdict) of a chunk that publishes: one INSERT of the Screening rows (their
    ids come back), one of all their hits."""
    screenings = Screening.objects.bulk_create([
        Screening(listing=listing, trigger=trigger, outcome=verdict.outcome, case=None, screened_at=now,
                  image_hash=verdict.image_hash) for listing, verdict in batch])
    ScreeningHit.objects.bulk_create([
        ScreeningHit(screening=screening, rule=hit.rule, outcome=hit.outcome, right_id=hit.right_id, term=hit.term,
                     field=hit.field, fingerprint_id=hit.fingerprint_id, measure=hit.measure)
        for screening, (_listing, verdict) in zip(screenings, batch, strict=True) for hit in verdict.hits])
    return screenings


def _publish_many(published: list[Listing]) -> None:
    """The marketplace's publish of each listing: at once when its adapter can (LocalCatalogue.publish_many:
    one UPDATE), else one by one."""
    if not published:
        return
    marketplace = get_marketplace()
    publish_many = getattr(marketplace, "publish_many", None)
    if publish_many is not None:
        publish_many(published)
        return
    for listing in published:
        marketplace.publish(listing)


def _record(listing: Listing, trigger: str, verdict: "engine.Verdict", case: Notice | None, now: datetime) -> Screening:
    screening = Screening.objects.create(listing=listing, trigger=trigger, outcome=verdict.outcome, case=case,
                                         screened_at=now, image_hash=verdict.image_hash)
    ScreeningHit.objects.bulk_create(
        ScreeningHit(screening=screening, rule=hit.rule, outcome=hit.outcome, right_id=hit.right_id, term=hit.term,
                     field=hit.field, fingerprint_id=hit.fingerprint_id, measure=hit.measure)
        for hit in verdict.hits)
    return screening


def _open_case(listing: Listing) -> Notice | None:
    """The listing's own-initiative case still waiting for a reviewer, if any."""
    return Notice.objects.filter(source=NoticeSource.SCREENING, status=NoticeStatus.IN_REVIEW,
                                 items__listing=listing, items__state=ItemState.IN_REVIEW).first()


def _join_open_case(case: Notice, listing: Listing, trigger: str, verdict: "engine.Verdict",
                    now: datetime) -> Screening:
    """The seller changed a listing that waits for review: the reviewer decides on the listing as it is now."""
    screening = _record(listing, trigger, verdict, case, now)
    NoticeItem.objects.filter(notice=case, listing=listing, state=ItemState.IN_REVIEW).update(
        listing_snapshot=listing_snapshot(listing))
    make_event(case, EventKind.SCREENING_HELD, SYSTEM, now, details={
        **_details(listing, screening, verdict), "again": True}).save()
    return screening


def _deciding_hit(verdict: "engine.Verdict") -> "engine.Hit":
    """The hit behind the outcome: the first of the most severe."""
    return max(verdict.hits, key=lambda hit: SCREENING_SEVERITY[hit.outcome])


def _right_of(verdict: "engine.Verdict") -> Right | None:
    deciding = _deciding_hit(verdict)
    right_id = deciding.right_id or next((hit.right_id for hit in verdict.hits if hit.right_id), None)
    return Right.objects.filter(pk=right_id).first() if right_id else None


def _right_fields(verdict: "engine.Verdict", right: Right | None) -> dict:
    """The right the case is about: the one matched, or for a stay-down match without one, the right of
    the removal it repeats (a trademark, blank, when that is unknown too)."""
    if right is None:
        fingerprint_id = next((hit.fingerprint_id for hit in verdict.hits if hit.fingerprint_id), None)
        fingerprint = (Fingerprint.objects.select_related("decision__item__notice", "right")
                       .filter(pk=fingerprint_id).first() if fingerprint_id else None)
        if fingerprint is not None and fingerprint.right is not None:
            right = fingerprint.right
        elif fingerprint is not None and fingerprint.decision is not None:
            removed = fingerprint.decision.item.notice
            return {"right_type": removed.right_type, "right_registration_number": removed.right_registration_number,
                    "right_office": removed.right_office, "right_owner": removed.right_owner}
    if right is None:
        return {"right_type": RightType.TRADEMARK, "right_registration_number": "", "right_office": "",
                "right_owner": ""}
    return {"right_type": right.right_type, "right_registration_number": right.registration_number,
            "right_office": right.office, "right_owner": right.owner_name}


def _reason(rule: str, right_type: str) -> str:
    reason = RULE_REASON.get(rule, InfringementReason.COUNTERFEIT)
    allowed = REASONS_FOR_RIGHT[right_type]
    return reason if reason in allowed else sorted(allowed)[0]


def _open(listing: Listing, verdict: "engine.Verdict", now: datetime) -> Notice:
    """The own-initiative case and its one item, under a fresh reference (a clash draws another)."""
    right = _right_of(verdict)
    fields = _right_fields(verdict, right)
    blocked = verdict.outcome == ScreeningOutcome.BLOCK
    case = Notice(
        source=NoticeSource.SCREENING, status=NoticeStatus.CLOSED if blocked else NoticeStatus.IN_REVIEW,
        submission_key=uuid.uuid4(), tracking_token="", confirmation_token="",
        submitter_name=settings.SCREENING_CASE_NAME, submitter_organisation=settings.SCREENING_CASE_NAME,
        submitter_email=parseaddr(settings.DEFAULT_FROM_EMAIL)[1], submitter_country=settings.SCREENING_CASE_COUNTRY,
        submitter_role=SubmitterRole.OWNER, verified_right=right, description=describe_hits(verdict),
        good_faith_statement=True, accuracy_statement=True, signature="", created_at=now, expires_at=now,
        closed_at=now if blocked else None, **fields)
    for _attempt in range(5):
        case.reference = new_reference()
        try:
            with transaction.atomic():
                case.save()
            break
        except IntegrityError:
            continue
    else:
        raise RuntimeError("Could not draw a unique case reference.")
    NoticeItem.objects.create(
        notice=case, position=1, reported=listing.external_id, reason=_reason(_deciding_hit(verdict).rule,
                                                                             case.right_type),
        listing=listing, state=ItemState.REMOVED if blocked else ItemState.IN_REVIEW,
        listing_snapshot=listing_snapshot(listing), seller=listing.seller, filed_at=now)
    return case


def describe_hits(verdict: "engine.Verdict") -> str:
    """The hits in words, for the case page (staff, English): rule, what matched where, and the measure."""
    lines = []
    for hit in verdict.hits:
        words = [f"{ScreeningRuleCode(hit.rule).label} ({hit.rule}, {hit.outcome})"]
        if hit.term:
            words.append(f"term \u201c{hit.term}\u201d")
        if hit.field:
            words.append(f"in {hit.field}")
        if hit.right_id:
            words.append(f"right #{hit.right_id}")
        if hit.fingerprint_id:
            words.append(f"like removed listing fingerprint #{hit.fingerprint_id}")
        if hit.measure is not None:
            words.append(f"measure {hit.measure:g}")
        lines.append("; ".join(words) + ".")
    return "Listing screening: " + (" ".join(lines) if lines else "no rule fired.")


def _details(listing: Listing, screening: Screening, verdict) -> dict:
    return {"listing": listing.external_id, "screening": screening.pk, "trigger": screening.trigger,
            "outcome": verdict.outcome,
            "hits": [{"rule": hit.rule, "outcome": hit.outcome, "right": hit.right_id, "term": hit.term,
                      "field": hit.field, "fingerprint": hit.fingerprint_id, "measure": hit.measure}
                     for hit in verdict.hits]}


def _hold(case: Notice, listing: Listing, screening: Screening, verdict: "engine.Verdict", now: datetime) -> None:
    """Not live until a reviewer decides; the screening review clock measures the seller's wait."""
    Listing.objects.filter(pk=listing.pk).update(status=ListingStatus.HELD)
    item = case.items.get()
    events = [make_event(case, EventKind.SCREENING_HELD, SYSTEM, now, item=item, to_status=NoticeStatus.IN_REVIEW,
                         details=_details(listing, screening, verdict))]
    clock = clocks.start_clock(ClockKind.SCREENING_REVIEW, case, now, reasons=[item.reason], events=events,
                               follow=False)
    # The Screening queue's order (oldest due first), as Notice.due_at orders the notice queue.
    Notice.objects.filter(pk=case.pk).update(due_at=clock.due_at)
    case.due_at = clock.due_at
    save_events(events)


def _block(case: Notice, listing: Listing, screening: Screening, verdict: "engine.Verdict", now: datetime) -> None:
    """Never live: the automated removal, its statement of reasons to the seller, the stay-down
    fingerprint of this removal too. No strike (a strike needs a person's decision)."""
    Listing.objects.filter(pk=listing.pk).update(status=ListingStatus.BLOCKED, removed_at=now)
    item = case.items.select_related("listing__seller").get()
    decision = Decision.objects.create(
        item=item, outcome=DecisionOutcome.REMOVE, decided_by=system_user(), decided_at=now,
        legal_ground=LEGAL_GROUNDS[case.right_type], grounds=removal_grounds_for(case, [item])[item.pk],
        explanation="", automated_detection=True, automated_decision=True,
        seller_token=secrets.token_urlsafe(32), listing_removed_at=now)
    save_events([
        make_event(case, EventKind.SCREENING_BLOCKED, SYSTEM, now, item=item, to_status=NoticeStatus.CLOSED,
                   details=_details(listing, screening, verdict)),
        make_event(case, EventKind.ITEM_DECIDED, SYSTEM, now, item=item, from_status=ItemState.IN_REVIEW,
                   to_status=ItemState.REMOVED, details={"outcome": DecisionOutcome.REMOVE, "note": "",
                                                         "reason_code": None, "decision": decision.pk,
                                                         "automated": True}),
    ])
    add_to_sellers("removed_items", [listing.seller_id])
    emails.statement_of_reasons(decision)
    staydown.fingerprint_removal(decision, now)


def _close_blocked(case: Notice, now: datetime) -> None:
    """An open hold that a block decides: the case closes, its reviewer's load and its clock with it (the
    block's events follow)."""
    if not NoticeItem.objects.filter(notice=case, state=ItemState.IN_REVIEW).update(state=ItemState.REMOVED):
        raise TransitionNotAllowed(_("Case %(reference)s was decided meanwhile.") % {"reference": case.reference})
    if not Notice.objects.filter(pk=case.pk, status=NoticeStatus.IN_REVIEW).update(status=NoticeStatus.CLOSED,
                                                                                  closed_at=now):
        raise TransitionNotAllowed(_("Case %(reference)s was decided meanwhile.") % {"reference": case.reference})
    case.status, case.closed_at = NoticeStatus.CLOSED, now
    release_load(case.assigned_to_id)
    clocks.stop_clock(ClockKind.SCREENING_REVIEW, now, notice=case)


def system_user() -> User:
    """The user that records screening's automated decisions, made once (inactive: it never logs in)."""
    user, created = get_user_model().objects.get_or_create(username=SYSTEM_USERNAME,
                                                           defaults={"is_active": False, "is_staff": False})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
