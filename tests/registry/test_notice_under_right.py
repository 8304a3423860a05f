"""Notices that reference a registered right (issue 14, item 1): prefilled and locked from the private
page's link or from the reference typed with the registrant's address, verified_right set at filing for
the registrant's own notices, no certificate asked again; routing takes only verified rights."""

import uuid

import pytest

from takedowns import workflow
from takedowns.enums import RightStatus
from takedowns.models import Notice, Right
from takedowns.selectors import protection
from takedowns.workflow import registry
from tests.factories import log_in, notice_fields, notice_form_post, registered, routed, verified

pytestmark = pytest.mark.django_db
URL = "/notices/new/"


def _post(key, right: Right, **fields) -> dict:
    data = notice_form_post(key, **fields)
    data.update(registered_right=right.reference)
    return data


def test_the_private_pages_link_prefills_and_locks_the_right_and_asks_no_certificate(client, now, lead):
    right = verified(now, lead, owner_name="Aerostride GmbH", registration_number="018234567")
    response = client.get(URL, {"right": right.reference, "key": right.tracking_token})
    body = response.content.decode()
    form = response.context["form"]
    assert form.registered == right
    assert [form.fields[name].disabled for name in ("right_type", "right_registration_number", "right_office",
                                                    "right_owner")] == [True] * 4
    assert 'value="018234567"' in body and 'id="registered-right-note"' in body
    assert 'name="registration_certificate"' not in body and 'id="certificate-on-file"' in body
    assert f'name="registered_right_key" value="{right.tracking_token}"' in body


def test_a_wrong_key_in_the_link_prefills_nothing(client, now, lead):
    right = verified(now, lead)
    response = client.get(URL, {"right": right.reference, "key": "guess"})
    assert response.context["form"].registered is None
    assert 'name="registration_certificate"' in response.content.decode()


def test_the_registrants_notice_is_filed_under_the_verified_right_without_a_certificate(client, now, lead, catalogue):
    right = verified(now, lead)
    key = uuid.uuid4()
    # What is posted for the locked fields is ignored: the registration's values are filed.
    data = _post(key, right, right_registration_number="999", right_owner="Someone else",
                 registered_right_key=right.tracking_token)
    response = client.post(URL, data)
    assert response.status_code == 302, response.context["form"].errors
    notice = Notice.objects.get()
    assert (notice.verified_right, notice.right_registration_number, notice.right_owner, notice.right_office) == (
        right, "018234567", "Aerostride GmbH", "EUIPO")
    assert not notice.evidence.exists()


def test_a_colleague_at_the_same_domain_files_under_the_right(client, now, lead, catalogue):
    right = verified(now, lead)
    data = _post(uuid.uuid4(), right, submitter_email="legal@aerostride.example",
                 registered_right_key=right.tracking_token)
    assert client.post(URL, data).status_code == 302
    assert Notice.objects.get().verified_right == right


def test_someone_else_with_the_link_gets_the_right_filled_in_but_not_verified_right(client, now, lead, catalogue):
    right = verified(now, lead)
    data = _post(uuid.uuid4(), right, submitter_email="agent@lawfirm.example",
                 registered_right_key=right.tracking_token)
    assert client.post(URL, data).status_code == 302
    notice = Notice.objects.get()
    assert notice.verified_right is None and notice.right_registration_number == "018234567"


def test_the_reference_typed_with_the_registrants_address_is_accepted(client, now, lead, catalogue):
    right = verified(now, lead)
    data = _post(uuid.uuid4(), right)
    data["registered_right"] = right.reference.lower()
    assert client.post(URL, data).status_code == 302
    assert Notice.objects.get().verified_right == right


def test_the_reference_typed_with_another_address_is_refused(client, now, lead, catalogue):
    right = verified(now, lead)
    response = client.post(URL, _post(uuid.uuid4(), right, submitter_email="mallory@evil.example"))
    assert response.status_code == 400
    assert response.context["form"].errors["registered_right"] == [
        f"We have no registration {right.reference} registered with this e-mail address. Check the reference, type "
        "the e-mail address you registered it with, or use “File a notice under this right” on the registration's "
        "private page; or clear this field and describe the right yourself."]
    assert 'name="registration_certificate"' in response.content.decode()  # no lighter evidence without it
    assert not Notice.objects.exists()


def test_a_pending_right_is_filled_in_but_not_set_as_verified_right(client, now, catalogue):
    right = registered(now)
    registry.confirm(right, now)
    assert client.post(URL, _post(uuid.uuid4(), right, registered_right_key=right.tracking_token)).status_code == 302
    assert Notice.objects.get().verified_right is None


def test_routing_takes_only_a_verified_right(now, lead, catalogue, reviewers):
    right = registry.confirm(registered(now), now)
    assert right.status == RightStatus.PENDING
    notice = routed(now)
    assert notice.verified_right is None
    registry.verify(right, lead.user, now)
    assert routed(now, items=[("L-100002", "counterfeit")]).verified_right == right
    registry.withdraw(right, now)
    assert routed(now, items=[("L-100004", "counterfeit")]).verified_right is None


def test_workflow_files_verified_right_as_given(now, lead, catalogue):
    right = verified(now, lead)
    notice, _ = workflow.file_notice({**notice_fields(), "verified_right": right},
                                     [workflow.ReportedItem("L-100001", "counterfeit")], uuid.uuid4(), now)
    assert notice.verified_right == right


def test_a_free_mail_domain_is_no_organisation(now, lead, settings):
    right = verified(now, lead, registrant_email="anna.berger@gmail.com")
    settings.FREE_MAIL_DOMAINS = ["gmail.com"]
    assert protection.may_claim(right, "Anna.Berger@gmail.com")
    assert not protection.may_claim(right, "someone@gmail.com")
    company = verified(now, lead, registrant_email="anna@aerostride.example", registration_number="1")
    assert protection.may_claim(company, "legal@aerostride.example")
    assert not protection.may_claim(company, "legal@aerostride.example.evil")


def test_the_reviewer_sees_the_notice_is_under_a_registration_verified_by_a_lead(client, now, lead, catalogue,
                                                                                  reviewers):
    right = verified(now, lead)
    notice = routed(now)
    assert notice.verified_right == right
    log_in(client, reviewers["tm"])
    body = client.get(f"/review/notices/{notice.reference}/").content.decode()
    assert f"registration {right.reference}: certificate verified by a lead" in body
    assert f'href="/review/rights/{right.reference}/"' not in body  # the registration's page is the leads'
    log_in(client, lead)
    page = client.get(f"/review/notices/{notice.reference}/").content.decode()
    assert f'href="/review/rights/{right.reference}/"' in page
