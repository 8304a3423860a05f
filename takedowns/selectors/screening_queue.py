"""The Screening queue (issue 14): the listings screening held, waiting for a reviewer, oldest due first.
Each row sets the held listing beside what screening matched: the rule, the term (marked in the title
and description), the right and its picture of the genuine product, the removed listing a stay-down hit
repeats, and the measure (price share, image distance, text similarity)."""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from takedowns import sla
from takedowns.enums import ClockKind, ItemState, NoticeSource, NoticeStatus, ScreeningRuleCode
from takedowns.models import Evidence, Notice, NoticeItem, ScreeningHit, SlaClock
from takedowns.screening.text import normalise
from takedowns.selectors.keyset import Keyset, Page
from takedowns.selectors.notices import image_url

# The notice queue's order and index (notice_queue: status, due_at, -priority, id); a case's priority is 0.
SCREENING_QUEUE = Keyset(("due_at", "-priority", "id"), size=25)
_SPACES = re.compile(r"(\s+)")


def open_holds() -> QuerySet[Notice]:
    """Own-initiative cases waiting for a reviewer's decision."""
    return Notice.objects.filter(status=NoticeStatus.IN_REVIEW, source=NoticeSource.SCREENING)


def holds_waiting() -> int:
    """How many held listings wait for a decision: the rows of the Screening queue, counted with its filter."""
    return open_holds().count()


@dataclass
class Marked:
    """A piece of the listing's text, and whether it is what a brand term matched."""
    text: str
    marked: bool


@dataclass
class HitRow:
    hit: ScreeningHit
    rule: str
    measure: str
    reference: Evidence | None = None  # the genuine product's picture (reference_image hits)
    removed: dict | None = None  # the removed listing's snapshot (stay-down hits)
    removed_image: str = ""


@dataclass
class HoldRow:
    case: Notice
    item: NoticeItem
    snapshot: dict
    image: str
    title: list[Marked]
    description: list[Marked]
    hits: list[HitRow] = field(default_factory=list)
    clock_state: str | None = None


def screening_page(cursor: str | None, now: datetime) -> Page:
    """One page of open holds, each a HoldRow built with a fixed number of queries per page."""
    page = SCREENING_QUEUE.page(open_holds().select_related("assigned_to__user", "verified_right"), cursor)
    cases = {case.pk: case for case in page.rows}
    items = {item.notice_id: item for item in NoticeItem.objects.filter(
        notice__in=cases, state=ItemState.IN_REVIEW).select_related("listing__seller")}
    hits = _latest_hits(list(cases))
    clocks = {clock.notice_id: clock for clock in SlaClock.objects.filter(
        notice__in=cases, kind=ClockKind.SCREENING_REVIEW, stopped_at=None)}
    rows = []
    for case in page.rows:
        item = items.get(case.pk)
        if item is None:  # decided between the two reads
            continue
        snapshot = item.listing_snapshot or {}
        terms = [row.hit.term for row in hits.get(case.pk, []) if row.hit.term]
        clock = clocks.get(case.pk)
        rows.append(HoldRow(
            case=case, item=item, snapshot=snapshot, image=image_url(snapshot.get("image", "")),
            title=mark_terms(snapshot.get("title", ""), terms),
            description=mark_terms(snapshot.get("description", ""), terms), hits=hits.get(case.pk, []),
            clock_state=sla.clock_state(now, due_at=clock.due_at, warn_at=clock.warn_at, paused_at=clock.paused_at)
            if clock else None))
    return Page(rows, page.next_cursor)


def _latest_hits(case_ids: list[int]) -> dict[int, list[HitRow]]:
    """The hits of each case's latest screening (a changed listing is screened again), with what they matched."""
    found = list(ScreeningHit.objects.filter(screening__case__in=case_ids).select_related(
        "screening", "right", "fingerprint__evidence", "fingerprint__listing", "fingerprint__decision__item")
        .order_by("screening__case_id", "-screening__screened_at", "-screening_id", "id"))
    latest: dict[int, int] = {}
    rows: defaultdict[int, list[HitRow]] = defaultdict(list)
    for hit in found:
        case_id = hit.screening.case_id
        assert case_id is not None  # filtered on it
        if latest.setdefault(case_id, hit.screening_id) != hit.screening_id:
            continue
        rows[case_id].append(_hit_row(hit))
    return rows


def _hit_row(hit: ScreeningHit) -> HitRow:
    row = HitRow(hit=hit, rule=str(ScreeningRuleCode(hit.rule).label), measure=measure_text(hit))
    fingerprint = hit.fingerprint
    if fingerprint is None:
        return row
    if fingerprint.evidence is not None:
        row.reference = fingerprint.evidence
    if fingerprint.decision is not None:
        row.removed = fingerprint.decision.item.listing_snapshot
    elif fingerprint.listing is not None:
        row.removed = {"title": fingerprint.listing.title, "image": fingerprint.listing.image,
                       "description": fingerprint.listing.description}
    if row.removed:
        row.removed_image = image_url(row.removed.get("image", ""))
    return row


def measure_text(hit: ScreeningHit) -> str:
    """The hit's measure in words (staff English): what the rule's threshold is compared with."""
    if hit.measure is None:
        return ""
    if hit.rule == ScreeningRuleCode.LOW_PRICE:
        return _("%(share)s of the genuine minimum price") % {"share": f"{hit.measure:.0%}"}
    if hit.rule == ScreeningRuleCode.REFERENCE_IMAGE or hit.field == "image":
        return _("%(bits)s of 64 bits apart") % {"bits": f"{hit.measure:g}"}
    return _("text similarity %(similarity)s") % {"similarity": f"{hit.measure:.2f}"}


def mark_terms(text: str, terms: list[str]) -> list[Marked]:
    """The text in pieces, the words a brand term matched marked: a word whose normalised form holds a word
    of a term's normalised form, so that "N1ke" and "N.i.k.e" are marked for the term "Nike"."""
    wanted = {word for term in terms for word in normalise(term).split() if len(word) > 1}
    if not text or not wanted:
        return [Marked(text, False)] if text else []
    pieces: list[Marked] = []
    for chunk in _chunks(text):
        marked = not chunk.isspace() and any(word in normalise(chunk).replace(" ", "") for word in wanted)
        if pieces and pieces[-1].marked == marked:
            pieces[-1].text += chunk
        else:
            pieces.append(Marked(chunk, marked))
    return pieces


def _chunks(text: str) -> list[str]:
    """The text as alternating runs of non-space and space characters, nothing lost."""
    return [chunk for chunk in _SPACES.split(text) if chunk]
