"""The two pages a notice is read on: the submitter's private tracking page and the reviewer's
notice page. Each is read in a fixed number of queries, whatever the size of the case."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.templatetags.static import static
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from takedowns import appeal_rules, legal, resubmission_rules, sla, tdb
from takedowns.enums import (
    AppealStatus,
    Appellant,
    ClockKind,
    CounterNoticeStatus,
    DecisionOutcome,
    EmailStatus,
    EventKind,
    ItemState,
    ListingStatus,
    NoticeStatus,
)
from takedowns.models import (
    Appeal,
    CounterNotice,
    Decision,
    Event,
    Evidence,
    InfoRequest,
    Notice,
    NoticeItem,
    OutboundEmail,
    RemovalGround,
    Resubmission,
    SlaClock,
)
from takedowns.selectors import notifiers, protection


@dataclass
class TrackingPage:
    notice: Notice
    items: list[NoticeItem]
    events: list[Event]
    emails: list[OutboundEmail]
    open_question: object | None
    questions: list[InfoRequest]
    clocks: list[SlaClock]
    counter_notices: list[CounterNotice]
    appeals: list["SubmitterAppeal"]
    fixes: list[resubmission_rules.Offer]
    badge: str


def with_decisions(items: QuerySet[NoticeItem]) -> QuerySet[NoticeItem]:
    """Items with the decision in force on each (NoticeItem.decision), in one extra query."""
    return items.prefetch_related(Prefetch(
        "decisions", to_attr="decisions_in_force",
        queryset=Decision.objects.filter(reversed_at=None, superseded_at=None).select_related("reason_code")))


# The seller's account (strikes, penalties and their appeals) is not the submitter's business. Among
# notice-level events (item=None) appeal events are those of penalty appeals: a listing's appeal is an item event.
SELLER_ACCOUNT_EVENTS = [EventKind.STRIKE_RECORDED, EventKind.STRIKE_EXPIRED, EventKind.STRIKE_REVERSED,
                         EventKind.PENALTY_DECIDED, EventKind.PENALTY_APPLIED, EventKind.PENALTY_LIFTED,
                         EventKind.PENALTY_NOT_DECIDED, EventKind.APPEAL_FILED, EventKind.APPEAL_DECIDED]


def tracking_page(notice: Notice, now: datetime) -> TrackingPage:
    """Everything the submitter's private page shows, in a fixed number of queries."""
    items = list(with_decisions(notice.items.select_related("listing", "listing__seller", "duplicate_of__notice"))
                 .order_by("position"))
    # Stay-down (issue 14): how often each removed listing came back, and what screening did. One query.
    relistings = protection.relisted([item.listing_id for item in items
                                      if item.state == ItemState.REMOVED and item.listing_id is not None])
    for item in items:
        item.relisted = relistings.get(item.listing_id or 0)
    return TrackingPage(
        notice=notice,
        items=items,
        # Per-listing lookups are summarised by the items table; the timeline keeps notice-level steps.
        # Clocks have their own table on the page ("Deadlines"); the timeline keeps the steps.
        events=list(notice.events.filter(item=None).exclude(kind__in=SELLER_ACCOUNT_EVENTS)
                    .exclude(kind__startswith="clock_").order_by("created_at", "id")),
        emails=list(notice.emails.order_by("created_at", "id")),
        open_question=notice.info_requests.filter(answered_at=None, expired_at=None).order_by("requested_at").first(),
        questions=questions_of(notice),
        clocks=submitter_clocks(notice, now),
        counter_notices=counter_notices_shown(notice),
        appeals=submitter_appeals(notice, items, now),
        fixes=resubmission_offers(notice, items, now),
        badge=status_badge(notice),
    )


@dataclass(frozen=True)
class TrackingState:
    """What the tracking page's script polls (issue 13, item 12): `version` changes whenever anything the
    page shows changes (an event is written with every step; an e-mail is written or sent), and `running`
    says a step is under way in the background, so the page looks again soon."""

    version: str
    running: bool


def tracking_state(notice: Notice) -> TrackingState:
    """Two indexed aggregates and one EXISTS, never the page itself. Running: routing (a confirmed notice
    waits for the worker), an e-mail being sent, or a removal decided but not yet carried out at the
    marketplace (the listing still online)."""
    events = notice.events.aggregate(latest=Max("id"), count=Count("id"))
    pending = Q(status__in=(EmailStatus.QUEUED, EmailStatus.SENDING))
    emails = notice.emails.aggregate(count=Count("id"), sent=Count("id", filter=Q(status=EmailStatus.SENT)),
                                     pending=Count("id", filter=pending))
    running = (notice.status == NoticeStatus.CONFIRMED or emails["pending"] > 0
               or notice.items.filter(state=ItemState.REMOVED, listing__status=ListingStatus.ACTIVE).exists())
    version = f"{notice.status}.{events['latest'] or 0}.{events['count']}.{emails['count']}.{emails['sent']}"
    return TrackingState(version=version, running=running)


def resubmission_offers(notice: Notice, items: list[NoticeItem], now: datetime) -> list[resubmission_rules.Offer]:
    """Each fixable rejection in force (with whether it can still be fixed and resubmitted, or why
    not), then each resubmission already filed, by listing. Three queries, however many listings
    (the third: the notifier's suspension in force, which refuses every fix)."""
    fixed = {fix.item_id: fix for fix in Resubmission.objects.filter(notice=notice)
             .select_related("decision__reason_code").prefetch_related("files")}
    appealed = set(Appeal.objects.filter(decision__item__notice=notice, appellant=Appellant.SUBMITTER)
                   .values_list("decision_id", flat=True))
    suspension = notifiers.suspension_for(notice.submitter_email, now)
    offers = []
    for item in items:
        decision = item.decision
        if decision is not None and resubmission_rules.is_fixable(decision):
            decision.item = item
            refusal = resubmission_rules.refusal(decision, resubmitted=item.pk in fixed,
                                                 appealed=decision.pk in appealed, now=now, suspension=suspension)
            offers.append(resubmission_rules.Offer(decision, resubmission_rules.deadline(decision), refusal))
    for item in items:
        fix = fixed.get(item.pk)
        if fix is not None:
            fix.item = item
            offers.append(resubmission_rules.Offer(fix.decision, resubmission_rules.deadline(fix.decision),
                                                   "", resubmission=fix))
    return offers


# What may still change a decided case, as the tracking page's badge names it beside the status.
OPEN_COUNTER_NOTICE = (CounterNoticeStatus.FILED, CounterNoticeStatus.WAITING)


def _open_words(kind: str, count: int) -> str:
    """One thing still open on a case, counted, in the reader's language (every language we ship has one
    form for 1 and one for more, or a single form)."""
    if kind == "appeal":
        return _("appeal open") if count == 1 else _("%(count)s appeals open") % {"count": count}
    if kind == CounterNoticeStatus.FILED:
        return (_("counter-notice under review") if count == 1
                else _("%(count)s counter-notices under review") % {"count": count})
    return (_("counter-notice accepted, restore pending") if count == 1
            else _("%(count)s counter-notices accepted, restore pending") % {"count": count})


def status_badge(notice: Notice) -> str:
    """The tracking page's badge: the notice's status, then what is still open on its listings'
    decisions — appeals (the submitter's or a seller's) not yet decided, counter-notices being checked
    or waiting for their restore — e.g. "Closed — appeal open". A penalty's appeal concerns the
    seller's account, not the notice, and is left out. Two queries."""
    appeals = Appeal.objects.filter(decision__item__notice=notice, status=AppealStatus.FILED).count()
    counted = CounterNotice.objects.filter(decision__item__notice=notice).aggregate(**{
        status: Count("pk", filter=Q(status=status)) for status in OPEN_COUNTER_NOTICE})
    parts = [_open_words("appeal", appeals)] if appeals else []
    parts += [_open_words(status, counted[status]) for status in OPEN_COUNTER_NOTICE if counted[status]]
    label = str(notice.get_status_display())
    if not parts:
        return label
    # Translators: the tracking page's badge: the notice's status, then what is still open on it
    # ("Closed — appeal open, counter-notice under review"); the separator is the one of a list.
    return _("%(status)s — %(open)s") % {"status": label, "open": pgettext("list separator", ", ").join(parts)}


def submitter_clocks(notice: Notice, now: datetime) -> list[SlaClock]:
    """The deadlines the submitter is owed: every clock of the notice but the seller's penalty
    (the seller's account is not the submitter's business) and a counter-notice's completeness check
    (the rights holder learns of a counter-notice from its copy, once found complete). Each has
    .state (sla.ClockState) and .shown_due: the due time, except for a counter-notice's restore,
    where it is the planned restore (CounterNotice.restore_due_at, the one date the counter-notice
    card shows too, in the counter-notice time zone: .counter_notice.restore_at); the clock's own due
    time, the law's latest (14th business day), is for the staff pages only."""
    found = list(notice.clocks.exclude(kind__in=[ClockKind.SELLER_PENALTY, ClockKind.COUNTER_NOTICE_CHECK])
                 .exclude(appeal__penalty__isnull=False)
                 .select_related("item", "counter_notice")
                 .order_by("started_at", "id"))
    for clock in found:
        clock.state = sla.clock_state(now, due_at=clock.due_at, warn_at=clock.warn_at, paused_at=clock.paused_at,
                                      stopped_at=clock.stopped_at)
        clock.shown_due = clock.due_at
        counter_notice = clock.counter_notice
        planned = counter_notice.restore_due_at if counter_notice is not None else None
        if clock.kind == ClockKind.COUNTER_NOTICE_RESTORE and counter_notice is not None and planned is not None:
            clock.shown_due = planned
            counter_notice.restore_at = legal.restore_time_text(planned)
    return found


def questions_of(notice: Notice) -> list[InfoRequest]:
    """The reviewer's questions with their answers, listings and files, oldest first."""
    return list(notice.info_requests.prefetch_related("items", "files").order_by("requested_at", "id"))

def counter_notices_shown(notice: Notice) -> list[CounterNotice]:
    """The counter-notices the rights holder sees, by listing: those a reviewer found complete (in full,
    with the seller's contact details, which 512(g)(2)(B) has us forward then), and those filed and being
    checked (only that one was received and when: the badge names them, so the page shows them too).
    Each has .restore_at: its restore date in the counter-notice time zone. One query."""
    shown = list(CounterNotice.objects.filter(
        decision__item__notice=notice,
        status__in=[CounterNoticeStatus.FILED, CounterNoticeStatus.WAITING, CounterNoticeStatus.LAWSUIT,
                    CounterNoticeStatus.RESTORED])
        .select_related("decision__item__listing").order_by("decision__item__position", "id"))
    for counter_notice in shown:
        counter_notice.restore_at = (legal.restore_time_text(counter_notice.restore_due_at)
                                     if counter_notice.restore_due_at else "")
    return shown


def decision_of(notice: Notice, decision_id: int) -> Decision | None:
    """A decision on one of this notice's listings."""
    return (Decision.objects.select_related("item__notice", "item__listing", "reason_code")
            .filter(pk=decision_id, item__notice=notice).first())


def counter_notice_of(notice: Notice, counter_notice_id: int) -> CounterNotice | None:
    """A counter-notice against one of this notice's listings (whatever its status)."""
    return CounterNotice.objects.filter(pk=counter_notice_id, decision__item__notice=notice).first()


@dataclass
class SubmitterAppeal:
    """A rejection the submitter may appeal (or has appealed), on the tracking page."""
    item: NoticeItem
    decision: Decision
    window: appeal_rules.Window


def submitter_appeals(notice: Notice, items: list[NoticeItem], now: datetime) -> list[SubmitterAppeal]:
    """One row per rejection in force (with its appeal, or whether one can be filed), then the
    submitter's appeals that set a rejection aside. Two queries, however many listings the notice has."""
    filed = {appeal.decision_id: appeal for appeal in Appeal.objects.filter(
        decision__item__notice=notice, appellant=Appellant.SUBMITTER).select_related("decision__reason_code")}
    rows = []
    for item in items:
        decision = item.decision
        if decision is not None and decision.outcome == DecisionOutcome.REJECT:
            rows.append(SubmitterAppeal(item, decision, appeal_rules.window(
                decision=decision, appellant=Appellant.SUBMITTER, now=now, appeal=filed.pop(decision.pk, None))))
    by_item = {item.pk: item for item in items}
    for appeal in sorted(filed.values(), key=lambda a: a.filed_at):
        set_aside = appeal.decision
        assert set_aside is not None  # the appeals were looked up through their decision
        appealed_item = by_item.get(set_aside.item_id)
        if appealed_item is not None:
            rows.append(SubmitterAppeal(appealed_item, set_aside, appeal_rules.Window(
                appeal, appeal_rules.deadline(decision=set_aside), "")))
    return rows


def removal_grounds_for(notice: Notice, items: Iterable[NoticeItem]) -> dict[int, str]:
    """The default grounds of a removal for each listing (by NoticeItem id): the active RemovalGround of
    the notice's right type and the listing's reported reason, else the one of the right type for any
    reason, else the standard sentence of the right and reason (tdb.explanation_for), so that a removal
    is never offered without grounds when a lead deactivated a row. One query."""
    texts = {ground.reason: ground.text
             for ground in RemovalGround.objects.filter(right_type=notice.right_type, is_active=True)}
    return {item.pk: texts.get(item.reason) or texts.get("") or tdb.explanation_for(notice.right_type, item.reason)
            for item in items}


def notice_for_review(reference: str) -> Notice | None:
    return (Notice.objects.select_related("assigned_to__user", "submitter", "verified_right")
            .filter(reference=reference).first())


def evidence_file_of(evidence_id: int) -> Evidence | None:
    """An evidence file that belongs to a notice (not one left on a form that was never sent)."""
    return Evidence.objects.select_related("notice").filter(pk=evidence_id, notice__isnull=False).first()


@dataclass
class ReviewPage:
    notice: Notice
    items: list[NoticeItem]
    events: list[Event]
    evidence: list
    submitter_record: dict
    questions: list[InfoRequest]
    clock_state: str | None = None


@dataclass(frozen=True)
class ListingField:
    """One line of a listing's "when reported / now" comparison on the notice page. `then` and `now`
    are what the template shows (for "price", an (amount, currency) pair; for "image", a URL); `then`
    is None when the snapshot predates that field (not recorded: never flagged as changed)."""
    name: str
    label: str
    then: object
    now: object
    changed: bool


def image_url(image: str) -> str:
    """A listing image as a URL: an absolute http(s) URL as it is, else a path under static/."""
    if not image:
        return ""
    return image if image.startswith(("https://", "http://")) else static(image)


def _price(amount: object) -> Decimal | None:
    try:
        return Decimal(str(amount))
    except (InvalidOperation, ValueError):
        return None


def listing_comparison(item: NoticeItem) -> list[ListingField]:
    """What the listing looked like when it was reported (the snapshot routing took,
    NoticeItem.listing_snapshot) beside what it looks like now (the live Listing): title,
    description, price, image and seller, each flagged when it changed. No query: the item comes with
    its listing and seller."""
    listing = item.listing
    if listing is None:
        return []
    snap = item.listing_snapshot or {}
    seller = listing.seller
    then_price = _price(snap["price"]) if "price" in snap else None
    then_seller = None
    if "seller" in snap:  # the seller by account: a name blanked by the retention policy is no change
        then_seller = f"{snap['seller_name']} ({snap['seller']})" if snap.get("seller_name") else snap["seller"]
    rows = [
        ListingField("title", _("Title"), snap.get("title"), listing.title,
                     "title" in snap and snap["title"] != listing.title),
        ListingField("description", _("Description"), snap.get("description"), listing.description,
                     "description" in snap and snap["description"] != listing.description),
        ListingField("price", _("Price"), (then_price, snap.get("currency", listing.currency)) if then_price is not None
                     else None, (listing.price, listing.currency),
                     then_price is not None and (then_price != listing.price
                                                 or snap.get("currency", listing.currency) != listing.currency)),
        ListingField("image", _("Image"), image_url(snap["image"]) if "image" in snap else None,
                     image_url(listing.image), "image" in snap and snap["image"] != listing.image),
        ListingField("seller", _("Seller"), then_seller, f"{seller.name} ({seller.external_id})",
                     "seller" in snap and snap["seller"] != seller.external_id),
    ]
    return rows


# The states an event moves between, by what the event is about: an item event moves a listing's
# state, a notice event the notice's status; the words are the enums' labels.
_ITEM_STATES = dict(ItemState.choices)
_NOTICE_STATES = dict(NoticeStatus.choices)
_OTHER_STATES = {**dict(AppealStatus.choices), **dict(CounterNoticeStatus.choices)}
_CLOCK_NAMES = dict(ClockKind.choices)
_CLOCK_EVENT_WORDS = {
    # Translators: %(clock)s is an SLA clock's name, e.g. "Takedown decision" or "Acknowledgement".
    EventKind.CLOCK_STARTED: lambda clock: _("%(clock)s clock started") % {"clock": clock},
    EventKind.CLOCK_PAUSED: lambda clock: _("%(clock)s clock paused") % {"clock": clock},
    EventKind.CLOCK_RESUMED: lambda clock: _("%(clock)s clock resumed") % {"clock": clock},
    EventKind.CLOCK_STOPPED: lambda clock: _("%(clock)s clock stopped") % {"clock": clock},
    EventKind.CLOCK_WARNED: lambda clock: _("%(clock)s clock about to breach") % {"clock": clock},
    EventKind.CLOCK_BREACHED: lambda clock: _("%(clock)s clock breached its target") % {"clock": clock},
}


def _state_words(event: Event, value: str) -> str:
    if not value:
        return ""
    first, second = (_ITEM_STATES, _NOTICE_STATES) if event.item_id else (_NOTICE_STATES, _ITEM_STATES)
    label = first.get(value) or second.get(value) or _OTHER_STATES.get(value)
    return str(label) if label else value.replace("_", " ").capitalize()


def describe_event(event: Event) -> None:
    """Sets .title (which clock started or stopped, for a clock event: "Takedown decision clock
    started") and .from_words / .to_words (the states in words: "New", "In review") on an event."""
    clock = (event.details or {}).get("clock") if event.kind in _CLOCK_EVENT_WORDS else None
    event.title = (_CLOCK_EVENT_WORDS[EventKind(event.kind)](_CLOCK_NAMES.get(clock, clock)) if clock
                   else event.get_kind_display())
    event.from_words = _state_words(event, event.from_status)
    event.to_words = _state_words(event, event.to_status)


def review_page(notice: Notice) -> ReviewPage:
    """Everything a reviewer needs to decide without leaving the page. The seller's history and
    the submitter's record are counters kept by the workflow, minus this notice's own share, so
    the page costs the same for a seller or a submitter with a long history."""
    items = list(with_decisions(notice.items.select_related("listing__seller")).order_by("position"))
    outcomes = [item.decision.outcome if item.decision else None for item in items]
    own: defaultdict[int, dict[str, int]] = defaultdict(lambda: {"reported": 0, "removed": 0})
    for item, outcome in zip(items, outcomes, strict=True):
        if item.listing and notice.routed_at:  # routing counted the notice's listings
            own[item.listing.seller_id]["reported"] += 1
            own[item.listing.seller_id]["removed"] += outcome == DecisionOutcome.REMOVE
    fixes = {fix.item_id: fix for fix in Resubmission.objects.filter(notice=notice)
             .select_related("decision__reason_code").prefetch_related("files")}
    for item in items:
        item.fix = fixes.get(item.pk)
        if item.listing:
            seller, mine = item.listing.seller, own[item.listing.seller_id]
            item.seller_history = {"reported": seller.reported_items - mine["reported"],
                                   "removed": seller.removed_items - mine["removed"], "strikes": seller.strike_count}
        else:
            item.seller_history = {}
    submitter = notice.submitter
    record = {"notices": 0, "removed": 0, "rejected": 0, "trust": notice.get_trust_display()}
    if submitter is not None:
        record.update(notices=submitter.notices - 1,
                      removed=submitter.removed_items - outcomes.count(DecisionOutcome.REMOVE),
                      rejected=submitter.rejected_items - outcomes.count(DecisionOutcome.REJECT),
                      trusted_flagger=submitter.trusted_flagger)
    for item in items:
        item.comparison = listing_comparison(item)
    events = list(notice.events.select_related("actor_user", "item").order_by("created_at", "id"))
    for event in events:
        describe_event(event)
    evidence = list(notice.evidence.select_related("info_request").order_by("id"))
    for file in evidence:
        file.preview = preview_kind(file.content_type)
    return ReviewPage(
        notice=notice, items=items, events=events, evidence=evidence,
        submitter_record=record,
        questions=questions_of(notice),
        clock_state=notice_clock_state(notice, timezone.now()),
    )


# Evidence types the notice page previews inline (served by views.review.evidence_file with
# ?preview=1); any other type stays a download only.
PREVIEW_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
PREVIEW_PDF_TYPE = "application/pdf"


def preview_kind(content_type: str) -> str:
    """"image", "pdf" or "" (no inline preview) for an evidence file's stored (sniffed) type."""
    if content_type in PREVIEW_IMAGE_TYPES:
        return "image"
    return "pdf" if content_type == PREVIEW_PDF_TYPE else ""


def notice_clock_state(notice: Notice, now: datetime) -> str | None:
    """The state of the clock behind the notice's due time (as the queue shows it): the running
    acknowledgement or takedown-decision clock, the latest started. None without a due time. One query."""
    if notice.due_at is None:
        return None
    clock = (SlaClock.objects.filter(notice=notice, stopped_at=None,
                                     kind__in=[ClockKind.ACKNOWLEDGEMENT, ClockKind.TAKEDOWN_DECISION])
             .order_by("-started_at").only("warn_at", "paused_at").first())
    return sla.clock_state(now, due_at=notice.due_at, warn_at=clock.warn_at if clock else notice.due_at,
                           paused_at=clock.paused_at if clock else None)


def confirmation_sent(notice: Notice) -> bool:
    """Whether the e-mail with the confirmation link has left (the outbox sends it from a task, so with
    the worker or the mail server down it waits, queued): the page that follows filing says "sent" only then."""
    return notice.emails.filter(kind="confirm_notice", status=EmailStatus.SENT).exists()
