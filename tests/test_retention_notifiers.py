"""Retention of what professional notifiers leave (issue 15; workflow/retention.py rule 6): the webhook events of
a case go with it, CSV uploads and never-confirmed organisations after RETENTION_UNCONFIRMED_DAYS, Idempotency-Keys
after a day."""

import uuid
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage

from takedowns import workflow
from takedowns.enums import OrganisationStatus
from takedowns.models import (
    CsvUpload,
    IdempotencyKey,
    Notice,
    Organisation,
    OrganisationEvent,
    OutboundEmail,
    WebhookDelivery,
    WebhookEvent,
)
from takedowns.workflow import organisations
from takedowns.workflow.retention import (
    anonymise_cases,
    delete_idempotency_keys,
    delete_unconfirmed,
    delete_unconfirmed_organisations,
    delete_uploads,
)
from tests import factories
from tests.factories import ONE_COUNTERFEIT, OrganisationFactory, checked_upload, notice_fields, organisation_post

pytestmark = pytest.mark.django_db
DAYS_30 = timedelta(days=30)


def test_an_unconfirmed_notices_webhook_events_are_deleted_with_it(now):
    organisation = OrganisationFactory(now=now, status=OrganisationStatus.PENDING)
    organisations.add_endpoint(organisation, "https://hooks.brandguard.example/in", now)
    notice, _ = workflow.file_for_organisation(
        organisation, None, notice_fields(submitter_email="legal@brandguard.example"),
        [workflow.ReportedItem(reported, reason) for reported, reason in ONE_COUNTERFEIT], uuid.uuid4(), now)
    assert WebhookEvent.objects.filter(notice=notice).count() == 1 and WebhookDelivery.objects.count() == 1
    assert delete_unconfirmed(now + DAYS_30 - timedelta(seconds=1)) == 0
    assert delete_unconfirmed(now + DAYS_30) == 1
    assert (Notice.objects.count(), WebhookEvent.objects.count(), WebhookDelivery.objects.count()) == (0, 0, 0)


def test_an_anonymised_case_keeps_its_webhook_events_without_their_payloads(bright, reviewers, checker,
                                                                           other_reviewer):
    case = factories.case_with_everything(checker, other_reviewer)
    organisation = OrganisationFactory()
    Notice.objects.filter(pk=case.pk).update(organisation=organisation)
    kept = WebhookEvent.objects.create(event_id=uuid.uuid4(), organisation=organisation, notice=case,
                                       kind="listing.state_changed", created_at=factories.CASE_FILED_AT,
                                       payload={"changes": [{"reported": "https://shop.example/l/1", "note": "x"}]})
    other = WebhookEvent.objects.create(event_id=uuid.uuid4(), organisation=organisation, kind="ping",
                                        created_at=factories.CASE_FILED_AT, payload={"type": "ping"})
    assert anonymise_cases(factories.CASE_LAST_STEP.replace(year=factories.CASE_LAST_STEP.year + 6)) == 1
    kept.refresh_from_db()
    other.refresh_from_db()
    assert (kept.payload, kept.kind, kept.notice_id) == ({}, "listing.state_changed", case.pk)
    assert other.payload == {"type": "ping"}


def test_a_csv_upload_and_its_file_are_deleted_thirty_days_after_it_was_made(now):
    old = checked_upload(now)
    new = checked_upload(now + timedelta(days=1), organisation=old.organisation)
    assert default_storage.exists(old.file.name)
    assert delete_uploads(now + DAYS_30 - timedelta(seconds=1)) == 0
    assert delete_uploads(now + DAYS_30) == 1
    assert list(CsvUpload.objects.values_list("pk", flat=True)) == [new.pk]
    assert not default_storage.exists(old.file.name) and default_storage.exists(new.file.name)


def test_an_organisation_that_never_confirmed_goes_with_its_events_and_emails(now, client):
    assert client.post("/organisations/register/", organisation_post()).status_code == 302
    expired = Organisation.objects.get()
    assert organisations.expire_unconfirmed(expired.expires_at) == 1
    pending = OrganisationFactory(now=now, status=OrganisationStatus.PENDING, domain="lawfirm.example",
                                  contact_email="a@lawfirm.example")
    assert OrganisationEvent.objects.filter(organisation=expired).count() == 2
    assert OutboundEmail.objects.filter(organisation=expired).count() >= 1
    due = expired.created_at + DAYS_30
    assert delete_unconfirmed_organisations(due - timedelta(seconds=1)) == 0
    assert delete_unconfirmed_organisations(due) == 1
    assert list(Organisation.objects.all()) == [pending]
    assert not OrganisationEvent.objects.filter(organisation_id=expired.pk).exists()
    assert not OutboundEmail.objects.filter(organisation_id=expired.pk).exists()


def test_idempotency_keys_are_forgotten_after_a_day(now):
    organisation = OrganisationFactory(now=now)
    old = IdempotencyKey.objects.create(organisation=organisation, key="a", request_hash="0" * 64, created_at=now)
    young = IdempotencyKey.objects.create(organisation=organisation, key="b", request_hash="0" * 64,
                                          created_at=now + timedelta(seconds=1))
    assert delete_idempotency_keys(now + timedelta(hours=24)) == 0
    assert delete_idempotency_keys(now + timedelta(hours=24, seconds=1)) == 1
    assert list(IdempotencyKey.objects.all()) == [young] and old.pk not in IdempotencyKey.objects.values("pk")
