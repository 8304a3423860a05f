import uuid
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.utils import timezone

from portal.celery import app as celery_app
from takedowns import workflow
from takedowns.enums import LEAD_GROUP, REVIEWER_GROUP
from takedowns.models import Listing, Reviewer, ReviewerSkill, Seller

# Hashing is not under test, and the default hasher's rounds were most of the suite's time (every
# reviewer a test makes gets the password "pw"). Logins happen in this process, live_server's thread
# included; the integration layer's worker runs with portal.settings but never checks a password.
FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Smallest valid files of each accepted kind, recognised by their magic bytes.
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20


@pytest.fixture(autouse=True)
def _isolated(request, settings, tmp_path):
    """Unit tests run tasks in-process (after commit, like the real thing) and keep files in tmp."""
    # The queue's counts live in the cache: each test gets its own, empty (a shared file cache
    # would let concurrent test runs see each other's counts).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://portal.test"
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "evidence")}}}
    integration = request.node.get_closest_marker("integration") is not None
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = not integration
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def catalogue(db):
    """Two sellers; L-100001..L-100004 are active, L-100005 is removed; L-100003 is a toy."""
    acme = Seller.objects.create(external_id="S-1", name="Acme Outlet", country="DE")
    bright = Seller.objects.create(external_id="S-2", name="Bright Store", country="CN", strike_count=2)
    listings = {}
    for number, (seller, category) in enumerate(
        [(acme, "shoes"), (acme, "bags"), (bright, "toys"), (bright, "electrical"), (acme, "shoes")], start=1
    ):
        external_id = f"L-10000{number}"
        listings[external_id] = Listing.objects.create(
            external_id=external_id, seller=seller, title=f"Listing {number}", category=category,
            price=Decimal("19.99"), status="removed" if number == 5 else "active")
    return listings


def make_reviewer(username: str, skills: list[str], languages: str = "en", active: bool = True) -> Reviewer:
    user = get_user_model().objects.create_user(username, f"{username}@portal.test", "pw")
    user.groups.add(Group.objects.get_or_create(name=REVIEWER_GROUP)[0])
    reviewer = Reviewer.objects.create(user=user, languages=languages, is_active=active)
    for right_type in skills:
        ReviewerSkill.objects.create(reviewer=reviewer, right_type=right_type)
    return reviewer


def make_lead(username: str, skills: list[str]) -> Reviewer:
    """A reviewer who is also in the Lead group."""
    lead = make_reviewer(username, skills)
    lead.user.groups.add(Group.objects.get_or_create(name=LEAD_GROUP)[0])
    return lead


@pytest.fixture
def reviewers(db):
    return {
        "tm": make_reviewer("tm", ["trademark"]),
        "cr": make_reviewer("cr", ["copyright"], languages="en,fr"),
    }


def notice_fields(**overrides) -> dict:
    fields = {
        "submitter_name": "Anna Berger", "submitter_organisation": "Aerostride GmbH",
        "submitter_email": "anna@aerostride.example", "submitter_country": "DE", "submitter_role": "owner",
        "language": "en", "right_type": "trademark", "right_registration_number": "018234567",
        "right_office": "EUIPO", "right_owner": "Aerostride GmbH",
        "description": "These sneakers carry our mark but we never made them; a test buy proved it.",
        "good_faith_statement": True, "accuracy_statement": True, "signature": "Anna Berger",
    }
    fields.update(overrides)
    return fields


def file_notice(now, items=(("L-100001", "counterfeit"),), **overrides):
    notice, _ = workflow.file_notice(
        notice_fields(**overrides), [workflow.ReportedItem(r, reason) for r, reason in items], uuid.uuid4(), now)
    return notice


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    from django.core.files.uploadedfile import SimpleUploadedFile
    return SimpleUploadedFile(name, content, content_type=content_type)



def decision_form(notice, rows: dict | None = None, **batch) -> dict:
    """The POST of the notice page's decision form: `rows` maps a listing's position to its fields
    (action, reason_code, note); `batch` holds all_action, all_reason_code and question. Every
    listing waiting for a decision gets its row, as the page renders them."""
    waiting = list(notice.items.filter(state="in_review").order_by("position"))
    data = {"item-TOTAL_FORMS": str(len(waiting)), "item-INITIAL_FORMS": str(len(waiting)),
            "item-MIN_NUM_FORMS": "0", "item-MAX_NUM_FORMS": str(len(waiting))}
    for index, item in enumerate(waiting):
        fields = {"action": "", "reason_code": "", "note": "", **(rows or {}).get(item.position, {})}
        data[f"item-{index}-item"] = str(item.pk)
        data.update({f"item-{index}-{name}": str(value) for name, value in fields.items()})
    data.update({"all_action": "", "all_reason_code": "", "question": ""})
    data.update({name: str(value) for name, value in batch.items()})
    return data
