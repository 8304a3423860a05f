"""Loads the demo data in seeds/ through the same code the app uses. Idempotent: rows are keyed
by their natural ids, and demo notices by their fixed submission keys, which file_notice
already treats as "filed before"."""

import csv
import json
import secrets
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from takedowns import evidence, roles, workflow
from takedowns.api_keys import hash_key
from takedowns.enums import LEAD_GROUP, ActorKind, ApiScope, EvidenceKind, Language, RightEventKind, RightStatus
from takedowns.models import (
    ApiKey,
    Evidence,
    Listing,
    Notice,
    Organisation,
    ProtectedTerm,
    Reviewer,
    ReviewerSkill,
    Right,
    RightEvent,
    Seller,
)
from takedowns.screening import protection
from takedowns.screening.text import normalise
from takedowns.workflow import organisations


def _rows(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@transaction.atomic
def load_catalogue(seeds: Path) -> tuple[int, int]:
    sellers = {}
    for row in _rows(seeds / "sellers.csv"):
        sellers[row["external_id"]], _ = Seller.objects.update_or_create(
            external_id=row["external_id"], defaults={"name": row["name"], "email": row["email"],
                                                      "country": row["country"], "address": row["address"],
                                                      "payment_identity": row["payment_identity"],
                                                      "language": row.get("language") or Language.EN,
                                                      "account_group": row.get("account_group", "")})
    listings = _rows(seeds / "listings.csv")
    existing = set(Listing.objects.filter(external_id__in=[row["external_id"] for row in listings])
                   .values_list("external_id", flat=True))
    # Existing listings are left as they are: a demo takedown must survive the next `make run`.
    Listing.objects.bulk_create(
        Listing(external_id=row["external_id"], seller=sellers[row["seller"]], title=row["title"],
                description=row["description"], category=row["category"], price=Decimal(row["price"]),
                currency=row["currency"], image=f"demo-listings/{row['category']}.svg")  # static/demo-listings/
        for row in listings if row["external_id"] not in existing
    )
    return len(sellers), len(listings)


@transaction.atomic
def load_rights(seeds: Path) -> int:
    rows = _rows(seeds / "rights.csv")
    for row in rows:
        Right.objects.update_or_create(
            right_type=row["right_type"], office=row["office"], registration_number=row["registration_number"],
            defaults={"owner_name": row["owner_name"], "title": row["title"]})
    return len(rows)


@transaction.atomic
def load_reviewers(seeds: Path) -> list[dict]:
    """Reviewer accounts with their skills. Only ever called in demo mode (see the command).
    Least privilege (takedowns/roles.py): reviewers work in /review/ only, with no staff flag and
    no permission; leads are staff with the Lead group's permissions. Loading again also takes the
    staff flag and the permissions from a database loaded before this rule (every reviewer was
    staff then, with every view permission of the app)."""
    group, leads = roles.grant_lead_permissions()
    group.permissions.clear()
    people = json.loads((seeds / "reviewers.json").read_text())
    for person in people:
        user = _demo_user(person)
        user.groups.add(group)
        if person["lead"]:
            user.groups.add(leads)
        else:
            user.groups.remove(leads)
        reviewer, _ = Reviewer.objects.update_or_create(
            user=user, defaults={"risk_reviewer": person.get("risk_reviewer", False)},
            create_defaults={"languages": person["languages"], "risk_reviewer": person.get("risk_reviewer", False)})
        for right_type in person["skills"]:
            ReviewerSkill.objects.get_or_create(reviewer=reviewer, right_type=right_type)
    return [person for person in people if person["password"]]


def _demo_user(person: dict) -> User:
    """The demo login, created with its password once; its flags and permissions set every time."""
    first, _, last = person["name"].partition(" ")
    user, created = get_user_model().objects.update_or_create(username=person["username"], defaults={
        "is_staff": person["lead"], "is_superuser": person["lead"]}, create_defaults={
        "email": person["email"], "first_name": first, "last_name": last, "is_staff": person["lead"],
        "is_superuser": person["lead"]})
    user.user_permissions.clear()
    if created:
        if person["password"]:
            user.set_password(person["password"])
        else:
            user.set_unusable_password()
        user.save()
    return user


def load_notices(seeds: Path) -> int:
    """Demo notices, filed and confirmed through the workflow; routing then runs in the worker."""
    filed = 0
    for spec in json.loads((seeds / "notices.json").read_text()):
        key = uuid.UUID(spec["submission_key"])
        if Notice.objects.filter(submission_key=key).exists():
            continue
        fields = {name: spec[name] for name in (
            "submitter_name", "submitter_organisation", "submitter_email", "submitter_country", "submitter_role",
            "language", "right_type", "right_registration_number", "right_office", "right_owner", "description")}
        fields.update(good_faith_statement=True, accuracy_statement=True, signature=spec["submitter_name"])
        items = [workflow.ReportedItem(reported, reason) for reported, reason in spec["items"]]
        notice, _ = workflow.file_notice(fields, items, key, now=timezone.now())
        if spec["confirm"]:
            workflow.confirm_notice(notice, now=timezone.now())
        filed += 1
    return filed


# --- Issue 14: sales of the demo catalogue, and the demo's registered right on the protection list. ---

@transaction.atomic
def load_sales(seeds: Path, now: datetime) -> int:
    """Sales of some live demo listings (the report's "removed before the first sale" reads them). A listing
    that has sales already keeps them: loading again, or after the generator sold some, changes nothing."""
    rows = _rows(seeds / "sales.csv")
    for row in rows:
        Listing.objects.filter(external_id=row["external_id"], sales=0).update(
            sales=int(row["sales"]), first_sold_at=now - timedelta(days=int(row["first_sold_days_ago"])))
    return len(rows)


@transaction.atomic
def load_protection(seeds: Path, now: datetime) -> list[Right]:
    """The demo's registered rights (seeds/protection.json): registered, confirmed and verified as if through
    the public form, with brand terms, price range, authorised sellers and pictures of the genuine product.
    Created once (with fresh private tokens and its history); loading again changes nothing."""
    registered = []
    for spec in json.loads((seeds / "protection.json").read_text())["registrations"]:
        right = Right.objects.get(right_type=spec["right_type"], office=spec["office"],
                                  registration_number=spec["registration_number"])
        if not right.reference:
            _register(right, spec, now)
            protection.right_verified(right, now)
        registered.append(right)
    return registered


def _register(right: Right, spec: dict, now: datetime) -> None:
    fields = ("reference", "registrant_name", "registrant_organisation", "registrant_email", "registrant_role",
              "language", "goods", "classes", "price_min", "price_max", "currency")
    for name in fields:
        setattr(right, name, spec[name])
    right.submission_key = uuid.UUID(spec["submission_key"])
    right.tracking_token, right.confirmation_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    right.status = RightStatus.VERIFIED
    right.created_at, right.confirmed_at, right.verified_at = now - timedelta(days=3), now - timedelta(days=3), \
        now - timedelta(days=2)
    right.save()
    right.authorised_sellers.set(Seller.objects.filter(external_id__in=spec["authorised_sellers"]))
    ProtectedTerm.objects.bulk_create([ProtectedTerm(right=right, term=term, normalised=normalise(term))
                                       for term in spec["terms"]], ignore_conflicts=True)
    for path in spec["reference_pictures"]:
        _reference_picture(right, Path(settings.BASE_DIR) / "static" / path)
    RightEvent.objects.bulk_create([
        RightEvent(right=right, kind=kind, actor_kind=actor, created_at=at, details={"demo": True})
        for kind, actor, at in ((RightEventKind.REGISTERED, ActorKind.SUBMITTER, right.created_at),
                                (RightEventKind.CONFIRMED, ActorKind.SUBMITTER, right.confirmed_at),
                                (RightEventKind.VERIFIED, ActorKind.SYSTEM, right.verified_at))])


def _reference_picture(right: Right, path: Path) -> Evidence:
    """A picture of the genuine product, stored as the registration's evidence (a copy in the evidence storage)."""
    upload = SimpleUploadedFile(path.name, path.read_bytes(), content_type="image/png")
    stored = evidence.store(right.submission_key or uuid.uuid4(), EvidenceKind.REFERENCE_IMAGE, upload, "image/png")
    Evidence.objects.filter(pk=stored.pk).update(right=right)
    stored.right = right
    return stored



# --- Issue 15: the demo's professional notifier and its API key. ---

def load_organisations(seeds: Path, now: datetime) -> list[Organisation]:
    """The demo organisations (seeds/organisations.json), registered, confirmed and verified (by the first demo
    lead) through the workflow, each with one key whose raw value is settings.DEMO_API_KEY. Loading again changes
    nothing; a key missing (DEMO_API_KEY changed) is added."""
    lead = get_user_model().objects.filter(groups__name=LEAD_GROUP, is_active=True).order_by("pk").first()
    if lead is None:
        raise RuntimeError("The demo organisation is verified by a demo lead: load the reviewers first.")
    loaded = []
    for spec in json.loads((seeds / "organisations.json").read_text())["organisations"]:
        fields = {name: spec[name] for name in ("name", "domain", "contact_name", "contact_email", "country", "role",
                                                "language")}
        organisation, created = organisations.register(fields, uuid.UUID(spec["submission_key"]), now)
        if created:
            organisations.confirm(organisation, now)
            organisation = organisations.verify(organisation, lead, now)
        if not ApiKey.objects.filter(organisation=organisation, key_hash=hash_key(settings.DEMO_API_KEY)).exists():
            organisations.add_known_key(organisation, spec["key_name"], list(ApiScope.values), settings.DEMO_API_KEY,
                                        now)
        loaded.append(organisation)
    return loaded
