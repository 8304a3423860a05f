"""An organisation with a webhook endpoint pointing at a live test receiver (tests/webhook_receiver.py)."""

import uuid
from datetime import timedelta

import pytest

from takedowns import workflow
from takedowns.enums import OrganisationStatus
from takedowns.models import Organisation, WebhookEndpoint
from tests.factories import ONE_COUNTERFEIT, notice_fields
from tests.webhook_receiver import Receiver

SECRET = "whsec_" + "s" * 38


def make_organisation(now, domain="brandguard.example") -> Organisation:
    # Until the orgs helper's OrganisationFactory is merged (DESIGN.md: local helpers meanwhile).
    return Organisation.objects.create(
        reference=f"ORG-{uuid.uuid4().hex[:8].upper()}", name="BrandGuard", domain=domain,
        contact_name="Mia Keller", contact_email=f"mia@{domain}", country="DE", role="agent",
        status=OrganisationStatus.VERIFIED, submission_key=uuid.uuid4(), tracking_token=uuid.uuid4().hex,
        confirmation_token=uuid.uuid4().hex, created_at=now, expires_at=now + timedelta(days=2), confirmed_at=now,
        verified_at=now)


def add_endpoint(organisation, url, now, secret=SECRET, **fields) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(organisation=organisation, url=url, secret=secret, created_at=now, **fields)


def file_for(organisation, now, items=ONE_COUNTERFEIT):
    notice, _ = workflow.file_for_organisation(
        organisation, None, notice_fields(submitter_email=f"legal@{organisation.domain}"),
        [workflow.ReportedItem(reported, reason) for reported, reason in items], uuid.uuid4(), now)
    return notice


@pytest.fixture
def receiver():
    live = Receiver(SECRET).start()
    yield live
    live.stop()


@pytest.fixture
def organisation(db, now):
    return make_organisation(now)


@pytest.fixture
def endpoint(organisation, receiver, now):
    return add_endpoint(organisation, receiver.url, now)
