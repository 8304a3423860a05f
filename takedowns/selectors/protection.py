"""Read queries of the rights registry (issue 14): the leads' verification list and page, the holder's
private page (what was done under a right: notices, screening holds and blocks, stay-down), and the
stay-down line of a removed listing ("relisted 3 times: 2 blocked, 1 held for review"). Each page is
read in a fixed number of queries: SQL aggregates, capped or keyset lists, no loop over rows."""

import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from takedowns.enums import (
    EvidenceKind,
    ItemState,
    NoticeSource,
    RightEventKind,
    RightStatus,
    ScreeningOutcome,
    ScreeningRuleCode,
)
from takedowns.models import (
    Decision,
    Evidence,
    Notice,
    NoticeItem,
    OutboundEmail,
    Right,
    RightEvent,
    Screening,
    ScreeningHit,
    Seller,
)
from takedowns.risk import free_mail_domains
from takedowns.selectors.keyset import Keyset, Page

# The private page lists this many of each (newest first); the rest are counted.
SHOWN = 50
PENDING_RIGHTS = Keyset(("confirmed_at", "id"), size=25)
STAYDOWN_RULES = (ScreeningRuleCode.STAYDOWN_SAME_SELLER, ScreeningRuleCode.STAYDOWN_OTHER_SELLER)


# --- Stay-down: how often a removed listing came back, and what screening did. ---

@dataclass(frozen=True)
class Relisted:
    """The relistings of one removed listing caught by stay-down, by what screening did."""
    times: int
    blocked: int
    held: int
    published: int

    def words(self) -> str:
        """"Relisted 3 times since removal: 2 blocked, 1 held for review"."""
        parts = []
        if self.blocked:
            parts.append(ngettext("%(count)s blocked", "%(count)s blocked", self.blocked) % {"count": self.blocked})
        if self.held:
            parts.append(ngettext("%(count)s held for review", "%(count)s held for review", self.held)
                         % {"count": self.held})
        if self.published:
            parts.append(ngettext("%(count)s published", "%(count)s published", self.published)
                         % {"count": self.published})
        return ngettext("Relisted %(count)s time since removal: %(outcomes)s",
                        "Relisted %(count)s times since removal: %(outcomes)s", self.times) % {
            "count": self.times, "outcomes": ", ".join(parts)}


def relisted(listing_ids: list[int]) -> dict[int, Relisted]:
    """For each removed listing in `listing_ids` that was relisted, its stay-down count: screenings with a
    staydown_* hit on a fingerprint of that listing, by the screening's outcome. One aggregate query."""
    if not listing_ids:
        return {}
    rows = (ScreeningHit.objects.filter(rule__in=STAYDOWN_RULES, fingerprint__listing_id__in=listing_ids)
            .values("fingerprint__listing_id")
            .annotate(times=Count("screening", distinct=True),
                      blocked=Count("screening", distinct=True, filter=Q(screening__outcome=ScreeningOutcome.BLOCK)),
                      held=Count("screening", distinct=True, filter=Q(screening__outcome=ScreeningOutcome.HOLD)),
                      published=Count("screening", distinct=True,
                                      filter=Q(screening__outcome=ScreeningOutcome.PUBLISH))))
    return {row["fingerprint__listing_id"]: Relisted(row["times"], row["blocked"], row["held"], row["published"])
            for row in rows}


# --- The leads' verification. ---

def pending_rights(cursor: str | None) -> Page:
    """Confirmed registrations waiting for a lead, oldest first (the index right_status_confirmed)."""
    return PENDING_RIGHTS.page(Right.objects.filter(status=RightStatus.PENDING), cursor)


def right_by_reference(reference: str) -> Right | None:
    return Right.objects.select_related("verified_by").filter(reference=reference).first()


def right_evidence_file(evidence_id: int) -> Evidence | None:
    """A file that belongs to a right's registration (not one left on a form never sent)."""
    return Evidence.objects.select_related("right").filter(pk=evidence_id, right__isnull=False).first()


@dataclass
class RightDetails:
    """What a registration says: its terms, authorised sellers and files (certificate, pictures)."""
    right: Right
    terms: list[str]
    sellers: list[Seller]
    certificates: list[Evidence]
    pictures: list[Evidence]
    same_right: list[Right] = field(default_factory=list)


def right_details(right: Right, with_same_right: bool = False) -> RightDetails:
    files = list(right.evidence.order_by("id"))
    same: list[Right] = []
    if with_same_right:  # the lead sees other registrations of the same right before verifying
        same = list(Right.objects.filter(right_type=right.right_type, office__iexact=right.office,
                                         registration_number__iexact=right.registration_number)
                    .exclude(pk=right.pk).order_by("-id")[:10])
    return RightDetails(
        right=right,
        terms=list(right.terms.order_by("term").values_list("term", flat=True)),
        sellers=list(right.authorised_sellers.order_by("external_id")),
        certificates=[row for row in files if row.kind == EvidenceKind.REGISTRATION_CERTIFICATE],
        pictures=[row for row in files if row.kind == EvidenceKind.REFERENCE_IMAGE],
        same_right=same,
    )


# --- The holder's private page. ---

@dataclass(frozen=True)
class ScreeningRow:
    """A listing screening held or blocked under the right: the rules that matched it for this right, and the
    decision in force on its case (a reviewer's on a hold, the automated removal of a block), if any."""
    screening: Screening
    rules: list[str]
    decision: Decision | None


@dataclass(frozen=True)
class TimelineEntry:
    event: RightEvent
    words: str


@dataclass
class PrivatePage:
    details: RightDetails
    events: list[TimelineEntry]
    emails: list[OutboundEmail]
    notices: Sequence[Notice]
    notice_count: int
    screenings: list[ScreeningRow]
    screening_counts: dict[str, int]
    staydown: list[dict[str, Any]]


def _notices_under(right: Right) -> QuerySet[Notice]:
    return Notice.objects.filter(verified_right=right, source=NoticeSource.NOTICE)


def private_page(right: Right) -> PrivatePage:
    """Everything the holder's private page shows, in a fixed number of queries."""
    notices = list(_notices_under(right).annotate(
        listings=Count("items"), removed=Count("items", filter=Q(items__state=ItemState.REMOVED)))
        .order_by("-created_at", "-id")[:SHOWN])
    screenings_under = Screening.objects.filter(pk__in=ScreeningHit.objects.filter(right=right).values("screening_id"))
    counts = screenings_under.aggregate(**{outcome: Count("pk", filter=Q(outcome=outcome))
                                           for outcome in (ScreeningOutcome.HOLD, ScreeningOutcome.BLOCK)})
    in_force = Decision.objects.filter(reversed_at=None, superseded_at=None)
    found = list(screenings_under.exclude(outcome=ScreeningOutcome.PUBLISH)
                 .select_related("listing", "case")
                 .prefetch_related(Prefetch("hits", queryset=ScreeningHit.objects.filter(right=right),
                                            to_attr="right_hits"),
                                   Prefetch("case__items__decisions", queryset=in_force, to_attr="in_force"))
                 .order_by("-screened_at", "-id")[:SHOWN])
    rows = []
    for screening in found:
        decisions = [decision for item in (screening.case.items.all() if screening.case else [])
                     for decision in getattr(item, "in_force", [])]
        rows.append(ScreeningRow(screening, sorted({str(hit.get_rule_display())
                                                    for hit in getattr(screening, "right_hits", [])}),
                                 decisions[0] if decisions else None))
    return PrivatePage(
        details=right_details(right),
        events=[TimelineEntry(event, event_words(event)) for event in right.events.order_by("created_at", "id")],
        emails=list(right.emails.order_by("created_at", "id")),
        notices=notices,
        notice_count=_notices_under(right).count() if len(notices) == SHOWN else len(notices),
        screenings=rows,
        screening_counts={str(key): value or 0 for key, value in counts.items()},
        staydown=staydown_under(right),
    )


def staydown_under(right: Right) -> list[dict[str, Any]]:
    """Each listing removed under the right (a notice of its holder, or a screening case that matched it),
    newest first, capped, with its stay-down count where it was relisted."""
    removed = list(NoticeItem.objects.filter(notice__verified_right=right, state=ItemState.REMOVED,
                                             listing__isnull=False)
                   .select_related("listing", "notice").order_by("-id")[:SHOWN])
    counts = relisted([item.listing_id for item in removed if item.listing_id is not None])
    return [{"item": item, "listing": item.listing, "relisted": counts.get(item.listing_id or 0)} for item in removed]


def event_words(event: RightEvent) -> str:
    """A line under a timeline entry: the reasons of a rejection, what a change changed."""
    details = event.details or {}
    if event.kind == RightEventKind.REJECTED:
        return details.get("reasons", "")
    if event.kind == RightEventKind.CHANGED:
        parts = []
        if details.get("terms_added"):
            parts.append(_("terms added: %(terms)s") % {"terms": ", ".join(details["terms_added"])})
        if details.get("terms_removed"):
            parts.append(_("terms removed: %(terms)s") % {"terms": ", ".join(details["terms_removed"])})
        if details.get("sellers_added"):
            parts.append(_("sellers added: %(ids)s") % {"ids": ", ".join(details["sellers_added"])})
        if details.get("sellers_removed"):
            parts.append(_("sellers removed: %(ids)s") % {"ids": ", ".join(details["sellers_removed"])})
        if details.get("price"):
            parts.append(_("price range changed"))
        if details.get("pictures_added"):
            parts.append(_("pictures added: %(count)s") % {"count": len(details["pictures_added"])})
        return "; ".join(parts)
    return ""


def registered_right_for(reference: str, token: str = "", email: str = "") -> Right | None:
    """A registration a notice may reference: by its private link's token, or by its reference and the
    registrant's e-mail address. Not for unconfirmed, expired, rejected or withdrawn ones."""
    right = Right.objects.filter(reference=reference.strip().upper(),
                                 status__in=[RightStatus.PENDING, RightStatus.VERIFIED]).first()
    if right is None:
        return None
    if token and right.tracking_token and hmac.compare_digest(right.tracking_token.encode(), token.encode()):
        return right
    if email and right.registrant_email and email.strip().lower() == right.registrant_email.lower():
        return right
    return None


def may_claim(right: Right, email: str) -> bool:
    """Whether a notice filed with `email` is the verified right's own (Notice.verified_right at filing): the
    registrant's address, or one of the same organisation's domain (not a free-mail domain: risk.py's list)."""
    if right.status != RightStatus.VERIFIED or not right.registrant_email:
        return False
    filer, registrant = email.strip().lower(), right.registrant_email.lower()
    domain = registrant.rpartition("@")[2]
    return filer == registrant or (filer.rpartition("@")[2] == domain and domain not in free_mail_domains())
