"""The base of issue 15: API keys (made, hashed, found), the domain rule, a professional notifier's notice filed
through the form's steps (workflow.file_for_organisation), and save_events as the one writer of Event rows."""

import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from takedowns import api_keys, workflow
from takedowns.enums import EventKind, NoticeStatus, OrganisationStatus
from takedowns.models import ApiKey, Event, Notice, Organisation, OutboundEmail, TaskDispatch
from tests.factories import ONE_COUNTERFEIT, notice_fields

pytestmark = pytest.mark.django_db


def organisation(now, status=OrganisationStatus.VERIFIED, domain="brandguard.example") -> Organisation:
    return Organisation.objects.create(
        reference=f"ORG-{uuid.uuid4().hex[:8].upper()}", name="BrandGuard", domain=domain,
        contact_name="Mia Keller", contact_email=f"mia@{domain}", country="DE", role="agent", status=status,
        submission_key=uuid.uuid4(), tracking_token="t" * 43, confirmation_token="c" * 43, created_at=now,
        expires_at=now + timedelta(days=2), confirmed_at=now)


def key_of(org: Organisation, now, **fields) -> tuple[ApiKey, str]:
    new = api_keys.make_key()
    return ApiKey.objects.create(organisation=org, name="ci", prefix=new.prefix, key_hash=new.key_hash,
                                 scopes=["file", "read"], created_at=now, **fields), new.key


def items():
    return [workflow.ReportedItem(reported, reason) for reported, reason in ONE_COUNTERFEIT]


def test_a_key_is_kept_only_as_its_hash_and_found_by_its_prefix(now):
    org = organisation(now)
    row, key = key_of(org, now)
    assert re.fullmatch(r"tdp_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", key)
    assert key not in (row.prefix, row.key_hash) and row.key_hash == api_keys.hash_key(key)
    assert api_keys.find(key, now) == row
    assert ApiKey.objects.get().last_used_at == now
    assert api_keys.find(key[:-1] + ("A" if key[-1] != "A" else "B"), now) is None
    assert api_keys.find("Bearer nonsense", now) is None and api_keys.find("", now) is None


def test_a_revoked_expired_or_suspended_organisations_key_is_refused(now):
    org = organisation(now)
    revoked, revoked_key = key_of(org, now, revoked_at=now)
    rotated, rotated_key = key_of(org, now, expires_at=now + timedelta(hours=1))
    assert api_keys.find(revoked_key, now) is None
    assert api_keys.find(rotated_key, now + timedelta(minutes=59)) == rotated
    assert api_keys.find(rotated_key, now + timedelta(hours=1)) is None
    Organisation.objects.filter(pk=org.pk).update(status=OrganisationStatus.SUSPENDED)
    _live, live_key = key_of(org, now)
    assert api_keys.find(live_key, now) is None


def test_last_used_is_written_at_most_once_a_minute(now):
    row, key = key_of(organisation(now), now)
    api_keys.find(key, now)
    api_keys.find(key, now + timedelta(seconds=59))
    assert ApiKey.objects.get(pk=row.pk).last_used_at == now
    api_keys.find(key, now + timedelta(seconds=60))
    assert ApiKey.objects.get(pk=row.pk).last_used_at == now + timedelta(seconds=60)


@pytest.mark.parametrize(("email", "at_domain"), [
    ("legal@brandguard.example", True), ("Legal@BrandGuard.Example ", True), ("ops@eu.brandguard.example", True),
    ("x@evilbrandguard.example", False), ("x@brandguard.example.evil", False), ("brandguard.example", False),
    ("x@", False),
])
def test_an_organisation_files_only_for_addresses_at_its_domain(email, at_domain):
    assert api_keys.address_at_domain(email, "brandguard.example") is at_domain


def test_a_verified_organisations_notice_is_confirmed_at_filing_without_a_confirmation_email(now):
    org = organisation(now)
    key, _ = key_of(org, now)
    notice, created = workflow.file_for_organisation(
        org, key, notice_fields(submitter_email="legal@brandguard.example"), items(), uuid.uuid4(), now)
    notice.refresh_from_db()
    assert created and notice.status == NoticeStatus.CONFIRMED and notice.confirmed_at == now
    assert (notice.organisation, notice.api_key) == (org, key)
    assert list(notice.events.values_list("kind", flat=True)) == [EventKind.FILED, EventKind.CONFIRMED,
                                                                  EventKind.CLOCK_STARTED]
    assert list(OutboundEmail.objects.values_list("kind", "to")) == [("notice_received", "legal@brandguard.example")]
    assert list(TaskDispatch.objects.values_list("task", flat=True)).count("takedowns.tasks.route_notice") == 1


def test_a_pending_organisations_notice_waits_for_its_confirmation_email_like_the_forms(now):
    org = organisation(now, status=OrganisationStatus.PENDING)
    notice, created = workflow.file_for_organisation(
        org, None, notice_fields(submitter_email="legal@brandguard.example"), items(), uuid.uuid4(), now)
    assert created and notice.status == NoticeStatus.UNCONFIRMED and notice.organisation == org
    assert list(OutboundEmail.objects.values_list("kind", flat=True)) == ["confirm_notice"]


def test_a_repeated_submission_key_files_once(now):
    org = organisation(now)
    key = uuid.uuid4()
    first, created = workflow.file_for_organisation(
        org, None, notice_fields(submitter_email="legal@brandguard.example"), items(), key, now)
    again, created_again = workflow.file_for_organisation(
        org, None, notice_fields(submitter_email="legal@brandguard.example"), items(), key, now)
    assert (created, created_again) == (True, False) and again.pk == first.pk
    assert Notice.objects.count() == 1 and Event.objects.filter(kind=EventKind.CONFIRMED).count() == 1


def test_event_rows_are_written_only_through_save_events():
    """workflow/base.save_events is the one writer of Event rows, so that webhooks (issue 15) see every change."""
    root = Path(__file__).resolve().parent.parent / "takedowns"
    writers = re.compile(r"\bEvent\.objects\.(bulk_create|create|get_or_create|update_or_create)\(|"
                         r"(?<![A-Za-z])(event|_event\([^)]*\))\.save\(")
    offenders = [f"{path.relative_to(root)}:{number}" for path in root.rglob("*.py") if "migrations" not in path.parts
                 for number, line in enumerate(path.read_text().splitlines(), start=1)
                 if writers.search(line) and path.name != "base.py" and path.name != "seeding.py"]
    assert offenders == []
