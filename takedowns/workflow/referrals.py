"""Referral packages for law enforcement (issue 14): a lead hands the police, customs or a prosecutor
everything the marketplace holds about a seller, or a cluster of linked seller accounts, as one ZIP
archive. build_referral is the one writer of Referral: the row, written once, records who built which
package, when and for whom, with the archive's SHA-256 and size.

The archive, in this order (deterministic: the same rows give the same bytes, entries dated `now`):

    README.txt          what the package is and how to check it
    manifest.json       every other file with its SHA-256 and size
    sellers.json        the sellers (the one referred, then the linked accounts of its account group)
    listings.json       their listings
    decisions.json      every decision on them, on rights holders' notices and on own-initiative cases
    strikes.json        the strikes against the sellers
    penalties.json      the penalties decided on those strikes
    screening_hits.json what listing screening matched in their listings
    evidence.json       the evidence files of the notices, with the SHA-256 recorded at upload
    timeline.json       the events of those cases that concern the sellers' listings (or the whole case)
    evidence/<notice reference>/<evidence id>-<name>   the files themselves

Notifiers' contact details are left out (data minimisation): the cases' references let an authority ask
for them through the ordinary channel."""

import hashlib
import io
import json
import secrets
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet

from takedowns.evidence import download_name
from takedowns.models import (
    Decision,
    Event,
    Evidence,
    Listing,
    Notice,
    NoticeItem,
    Penalty,
    Referral,
    ScreeningHit,
    Seller,
    Strike,
)

_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

README = """Referral package {reference}

Built by {built_by} on {created_at} for: {authority}
Seller referred: {seller}
Sellers in this package: {sellers}
{linked}
What is in it
-------------
sellers.json         the sellers: marketplace ID, name, country, contact and business details, account group
                     (the marketplace's key for accounts it found to be linked), account status, strikes.
listings.json        every listing of these sellers: ID, title, price, status, when it was created,
                     published, removed and first sold.
decisions.json       every decision on those listings: the case reference, whether it followed a rights
                     holder's notice or the marketplace's own initiative (listing screening), date, outcome,
                     grounds and legal ground, whether automated means detected the listing or took the
                     decision, and when the listing came down, was restored or the decision was reversed.
strikes.json         strikes under the repeat-infringer policy, with the case they came from.
penalties.json       account measures decided on those strikes.
screening_hits.json  what listing screening matched in these listings (rule, term, where, measure).
evidence.json        the evidence files of the cases (from rights holders): name, type, size, the SHA-256
                     recorded when the file was uploaded, and where the file is in this archive.
timeline.json        the events of those cases, in order, as the marketplace recorded them.
evidence/            the evidence files themselves.

Checking it
-----------
manifest.json lists every other file of the archive with its SHA-256 and size: compute the SHA-256 of each
(e.g. `sha256sum evidence/...`) and compare. The marketplace keeps the SHA-256 of the whole archive,
{reference}, in its records of referrals. Times are in UTC (ISO 8601).
{note}"""


def new_reference() -> str:
    """RF-7KQ4-M2XB: 40 random bits, uniqueness enforced by the database (a clash is retried)."""
    chars = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"RF-{chars[:4]}-{chars[4:]}"


def sellers_of(seller: Seller, include_linked: bool = True) -> list[Seller]:
    """The seller, then the other accounts of its account group (same non-empty Seller.account_group), by ID."""
    linked: list[Seller] = []
    if include_linked and seller.account_group:
        linked = list(Seller.objects.filter(account_group=seller.account_group).exclude(pk=seller.pk)
                      .order_by("external_id"))
    return [seller, *linked]


@dataclass(frozen=True)
class Contents:
    """What a package about these sellers would hold: the querysets the archive is written from."""
    sellers: list[Seller]
    listings: QuerySet[Listing]
    items: QuerySet[NoticeItem]
    decisions: QuerySet[Decision]
    strikes: QuerySet[Strike]
    penalties: QuerySet[Penalty]
    hits: QuerySet[ScreeningHit]
    evidence: QuerySet[Evidence]
    events: QuerySet[Event]


def contents(sellers: list[Seller]) -> Contents:
    listings = Listing.objects.filter(seller__in=sellers)
    items = NoticeItem.objects.filter(Q(listing__seller__in=sellers) | Q(seller__in=sellers)).distinct()
    notices = Notice.objects.filter(items__in=items).distinct()
    return Contents(
        sellers=sellers,
        listings=listings.select_related("seller").order_by("external_id"),
        items=items,
        decisions=(Decision.objects.filter(item__in=items)
                   .select_related("item__notice", "item__listing", "reason_code").order_by("decided_at", "pk")),
        strikes=(Strike.objects.filter(seller__in=sellers).select_related("seller", "notice")
                 .order_by("created_at", "pk")),
        penalties=Penalty.objects.filter(seller__in=sellers).select_related("seller").order_by("decided_at", "pk"),
        hits=(ScreeningHit.objects.filter(screening__listing__in=listings)
              .select_related("screening__listing", "screening__case", "right")
              .order_by("screening__screened_at", "pk")),
        evidence=(Evidence.objects.filter(notice__in=notices).select_related("notice")
                  .order_by("notice__reference", "pk")),
        # The case's own events (no listing) and those about these sellers' listings; not those about another
        # seller's listing reported in the same notice.
        events=(Event.objects.filter(Q(item__isnull=True) | Q(item__in=items), notice__in=notices)
                .select_related("notice", "item__listing").order_by("created_at", "pk")),
    )


@dataclass(frozen=True)
class Preview:
    sellers: list[Seller]
    listings: int
    decisions: int
    strikes: int
    penalties: int
    hits: int
    files: int
    events: int


def preview(seller: Seller, include_linked: bool = True) -> Preview:
    """What would go in, counted (the form shows it before the lead builds the package)."""
    found = contents(sellers_of(seller, include_linked))
    return Preview(found.sellers, found.listings.count(), found.decisions.count(), found.strikes.count(),
                   found.penalties.count(), found.hits.count(), found.evidence.count(), found.events.count())


def _json(rows: Any) -> bytes:
    return (json.dumps(rows, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n").encode()


def _sellers(sellers: list[Seller]) -> list[dict]:
    return [{"id": s.external_id, "name": s.name, "country": str(s.country), "email": s.email, "address": s.address,
             "payment_identity": s.payment_identity, "account_group": s.account_group, "account": s.account,
             "account_until": _at(s.account_until), "strike_count": s.strike_count, "created_at": _at(s.created_at),
             "referred": index == 0} for index, s in enumerate(sellers)]


def _listings(listings: Iterable[Listing]) -> list[dict]:
    return [{"id": x.external_id, "seller": x.seller.external_id, "title": x.title, "description": x.description,
             "category": x.category, "price": str(x.price), "currency": x.currency, "attributes": x.attributes,
             "status": x.status, "created_at": _at(x.created_at), "published_at": _at(x.published_at),
             "removed_at": _at(x.removed_at), "sales": x.sales, "first_sold_at": _at(x.first_sold_at)}
            for x in listings]


def _decisions(decisions: Iterable[Decision]) -> list[dict]:
    return [{"case": d.item.notice.reference, "source": d.item.notice.source,
             "listing": d.item.listing.external_id if d.item.listing else d.item.reported,
             "decided_at": _at(d.decided_at), "outcome": d.outcome,
             "reason_code": d.reason_code.code if d.reason_code else None, "grounds": d.grounds,
             "legal_ground": d.legal_ground, "automated_detection": d.automated_detection,
             "automated_decision": d.automated_decision, "listing_removed_at": _at(d.listing_removed_at),
             "listing_restored_at": _at(d.listing_restored_at), "reversed_at": _at(d.reversed_at),
             "superseded_at": _at(d.superseded_at)} for d in decisions]


def _strikes(strikes: Iterable[Strike]) -> list[dict]:
    return [{"id": s.pk, "seller": s.seller.external_id, "case": s.notice.reference, "created_at": _at(s.created_at),
             "expires_at": _at(s.expires_at), "expired_at": _at(s.expired_at), "reversed_at": _at(s.reversed_at)}
            for s in strikes]


def _penalties(penalties: Iterable[Penalty]) -> list[dict]:
    return [{"seller": p.seller.external_id, "strike": p.strike_id, "level": p.level, "live_strikes": p.live_strikes,
             "decided_at": _at(p.decided_at), "applied_at": _at(p.applied_at), "ends_at": _at(p.ends_at),
             "lifted_at": _at(p.lifted_at), "automated": p.automated} for p in penalties]


def _hits(hits: Iterable[ScreeningHit]) -> list[dict]:
    return [{"listing": h.screening.listing.external_id, "screened_at": _at(h.screening.screened_at),
             "screening_outcome": h.screening.outcome, "case": h.screening.case.reference if h.screening.case else None,
             "rule": h.rule, "hit_outcome": h.outcome, "right": h.right.reference or h.right.registration_number
             if h.right else None, "term": h.term, "field": h.field, "measure": h.measure} for h in hits]


def _events(events: Iterable[Event]) -> list[dict]:
    return [{"case": e.notice.reference, "listing": e.item.listing.external_id if e.item and e.item.listing else None,
             "kind": e.kind, "actor": e.actor_kind, "from_status": e.from_status, "to_status": e.to_status,
             "at": _at(e.created_at)} for e in events]


def _at(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def _evidence_files(evidence: Iterable[Evidence]) -> tuple[list[dict], list[tuple[str, bytes]]]:
    """evidence.json's rows and the files (path in the archive, bytes); a file gone from storage is listed
    as missing rather than failing the package."""
    rows, files = [], []
    for stored in evidence:
        assert stored.notice is not None
        path = f"evidence/{stored.notice.reference}/{stored.pk}-{download_name(stored)}"
        try:
            with stored.file.open("rb") as handle:
                content = handle.read()
        except (FileNotFoundError, OSError, ValueError):
            content = None
        rows.append({"case": stored.notice.reference, "kind": stored.kind, "original_name": stored.original_name,
                     "content_type": stored.content_type, "size": stored.size, "sha256_at_upload": stored.sha256,
                     "uploaded_at": _at(stored.uploaded_at), "path": path if content is not None else None,
                     "missing": content is None})
        if content is not None:
            files.append((path, content))
    return rows, files


def _zip(entries: list[tuple[str, bytes]], now: datetime) -> bytes:
    """The archive: entries in the given order, each dated `now` (UTC), deflated."""
    stamp = now.astimezone(UTC).timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
    return buffer.getvalue()


def archive_entries(reference: str, lead: User, sellers: list[Seller], authority: str, note: str,
                    now: datetime) -> list[tuple[str, bytes]]:
    """Every file of the package in the archive's order (module docstring), the manifest and README first."""
    found = contents(sellers)
    evidence_rows, evidence_files = _evidence_files(found.evidence)
    data = [
        ("sellers.json", _json(_sellers(sellers))),
        ("listings.json", _json(_listings(found.listings))),
        ("decisions.json", _json(_decisions(found.decisions))),
        ("strikes.json", _json(_strikes(found.strikes))),
        ("penalties.json", _json(_penalties(found.penalties))),
        ("screening_hits.json", _json(_hits(found.hits))),
        ("evidence.json", _json(evidence_rows)),
        ("timeline.json", _json(_events(found.events))),
        *evidence_files,
    ]
    seller = sellers[0]
    manifest = {"reference": reference, "created_at": _at(now), "built_by": lead.get_username(),
                "authority": authority, "seller": seller.external_id,
                "sellers": [s.external_id for s in sellers],
                "files": [{"path": name, "sha256": hashlib.sha256(content).hexdigest(), "size": len(content)}
                          for name, content in data]}
    linked = (f"Linked accounts (account group {seller.account_group}): "
              f"{', '.join(s.external_id for s in sellers[1:])}\n" if len(sellers) > 1 else "")
    readme = README.format(reference=reference, built_by=lead.get_username(), created_at=_at(now),
                           authority=authority, seller=f"{seller.external_id} ({seller.name})",
                           sellers=", ".join(s.external_id for s in sellers), linked=linked,
                           note=f"\nNote from the marketplace\n-------------------------\n{note}\n" if note else "")
    return [("README.txt", readme.encode()), ("manifest.json", _json(manifest)), *data]


def build_referral(lead: User, seller: Seller, authority: str, note: str, now: datetime,
                   include_linked: bool = True) -> Referral:
    """Build the package about `seller` (and, with include_linked, the other accounts of its account
    group), store it in the default storage and record it: the Referral row, written once."""
    sellers = sellers_of(seller, include_linked)
    for _attempt in range(5):
        reference = new_reference()
        entries = archive_entries(reference, lead, sellers, authority, note, now)
        content = _zip(entries, now)
        referral = Referral(reference=reference, seller=seller, authority=authority, note=note, created_by=lead,
                            created_at=now, sha256=hashlib.sha256(content).hexdigest(), size=len(content))
        referral.archive.save(f"{reference}.zip", ContentFile(content), save=False)
        try:
            with transaction.atomic():
                referral.save()
                referral.sellers.set(sellers)
        except IntegrityError:  # the reference clashed: a new one, a new archive (it names its reference)
            referral.archive.delete(save=False)
            continue
        # A rolled-back outer transaction would leave the file without its row: nothing refers to it then,
        # and a package is only ever read through its row.
        return referral
    raise RuntimeError("No free referral reference after 5 attempts.")
