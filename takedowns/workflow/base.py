"""The core of the workflow: the transition check, the status write and the event record.
See the package docstring for the rules every transition follows."""

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.db.models import F
from django.utils.translation import gettext as _

from takedowns import webhooks
from takedowns.enums import NOTICE_TRANSITIONS, ActorKind, NoticeStatus
from takedowns.models import Event, Notice, Reviewer, Seller


class TransitionNotAllowed(Exception):
    """The requested change is not allowed from the notice's current status."""


@dataclass(frozen=True)
class Actor:
    kind: str
    user: User | None = None


SYSTEM = Actor(ActorKind.SYSTEM)
SUBMITTER = Actor(ActorKind.SUBMITTER)
SELLER = Actor(ActorKind.SELLER)


def reviewer_actor(reviewer: Reviewer) -> Actor:
    return Actor(ActorKind.REVIEWER, reviewer.user)


def make_event(notice: Notice, kind: str, actor: Actor, now: datetime, *, item=None, from_status: str = "",
           to_status: str = "", details: dict | None = None) -> Event:
    """An event on the notice, or on one of its listings (`item`: a NoticeItem or its id)."""
    item_id = getattr(item, "pk", item)
    return Event(notice=notice, item_id=item_id, kind=kind, actor_kind=actor.kind, actor_user=actor.user,
                 from_status=from_status, to_status=to_status, details=details or {}, created_at=now)


def record_event(notice: Notice, kind: str, actor: Actor, now: datetime, **kwargs) -> Event:
    event = make_event(notice, kind, actor, now, **kwargs)
    save_events([event])
    return event


def save_events(events: Sequence[Event]) -> list[Event]:
    """Write a step's events in one INSERT: the only writer of Event rows (a test keeps it so). In the same
    transaction, the events of a professional notifier's notices become its webhooks (webhooks.record, issue 15),
    so that no change is reported that rolled back and none is lost when the worker is down."""
    saved = Event.objects.bulk_create(events)
    webhooks.record(saved)
    return saved


def change_status(notice: Notice, to_status: str, *, kind: str, actor: Actor, now: datetime,
                   details: dict | None = None, along_with: Sequence[Event] = (), **fields) -> Event:
    """Move the notice to `to_status` if the transition map allows it and nobody changed it
    meanwhile, and record the event, with `along_with` (events of the same step) in one INSERT."""
    from_status = notice.status
    if to_status not in NOTICE_TRANSITIONS[from_status]:
        raise TransitionNotAllowed(_("A notice that is '%(from_status)s' cannot become '%(to_status)s'.") % {
            "from_status": NoticeStatus(from_status).label, "to_status": NoticeStatus(to_status).label})
    changed = Notice.objects.filter(pk=notice.pk, status=from_status).update(status=to_status, **fields)
    if not changed:
        raise TransitionNotAllowed(_("Notice %(reference)s was changed by someone else; reload and try again.") % {
            "reference": notice.reference})
    notice.status = to_status
    for name, value in fields.items():
        setattr(notice, name, value)
    event = make_event(notice, kind, actor, now, from_status=from_status, to_status=to_status, details=details)
    save_events([*along_with, event])
    return event


def release_load(reviewer_id: int | None) -> None:
    """The notice no longer counts towards its reviewer's open load."""
    if reviewer_id is not None:
        Reviewer.objects.filter(pk=reviewer_id, open_load__gt=0).update(open_load=F("open_load") - 1)


def add_to_sellers(field: str, seller_ids: Iterable[int]) -> None:
    """Add each seller's occurrences in `seller_ids` to the history counter `field`: one UPDATE per
    distinct count (usually one in all), not one per seller."""
    sellers_by_count: defaultdict[int, list[int]] = defaultdict(list)
    for seller_id, count in Counter(seller_ids).items():
        sellers_by_count[count].append(seller_id)
    for count, ids in sellers_by_count.items():
        Seller.objects.filter(pk__in=ids).update(**{field: F(field) + count})
