"""What leads record in the admin for the transparency report: out-of-court disputes (DSA Art. 21) and orders
from Member State authorities (Art. 9, 10), checked so that no figure counts an impossible record; the
Transparency Database queue is read-only there."""

import pytest

from takedowns.models import AuthorityOrder, OutOfCourtDispute
from tests.factories import log_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_lead(client, lead):
    log_in(client, lead)
    return client


def dispute_form(**changes) -> dict:
    data = {"complained_of": "listing_removed", "body": "ODS Body Europe", "reference": "ODS-2026-114",
            "submitted_at_0": "2026-11-03", "submitted_at_1": "10:00:00", "outcome": "pending",
            "closed_at_0": "", "closed_at_1": "", "notes": ""}
    data.update(changes)
    return data


def test_a_lead_records_a_dispute_and_later_its_outcome(as_lead):
    response = as_lead.post("/admin/takedowns/outofcourtdispute/add/", dispute_form())
    assert response.status_code == 302
    dispute = OutOfCourtDispute.objects.get()
    assert (dispute.body, dispute.reference, dispute.outcome, dispute.closed_at) == (
        "ODS Body Europe", "ODS-2026-114", "pending", None)
    response = as_lead.post(f"/admin/takedowns/outofcourtdispute/{dispute.pk}/change/", dispute_form(
        outcome="for_recipient", closed_at_0="2026-11-20", closed_at_1="09:00:00", implemented="on"))
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert (dispute.outcome, dispute.closed_at.isoformat(), dispute.implemented) == (
        "for_recipient", "2026-11-20T09:00:00+00:00", True)


@pytest.mark.parametrize("changes, message", [
    ({"outcome": "settled"}, "Give the date the body decided or closed the dispute (its outcome is set)."),
    ({"closed_at_0": "2026-11-20", "closed_at_1": "09:00:00"},
     "A dispute not yet decided has no closing date: choose its outcome, or leave this empty."),
    ({"outcome": "for_provider", "closed_at_0": "2026-11-01", "closed_at_1": "09:00:00"},
     "The dispute cannot close before it was submitted."),
    ({"outcome": "for_provider", "closed_at_0": "2026-11-20", "closed_at_1": "09:00:00", "implemented": "on"},
     "Only a decision in the complainant&#x27;s favour is implemented by the marketplace."),
])
def test_an_impossible_dispute_is_refused_with_why_and_what_was_typed_is_kept(as_lead, changes, message):
    response = as_lead.post("/admin/takedowns/outofcourtdispute/add/", dispute_form(**changes))
    html = response.content.decode()
    assert response.status_code == 200 and message in html
    assert 'value="ODS-2026-114"' in html
    assert not OutOfCourtDispute.objects.exists()


def order_form(**changes) -> dict:
    data = {"authority": "Landgericht Berlin", "member_state": "DE", "order_type": "act_against",
            "right_type": "trademark", "reference": "16 O 12/26", "received_at_0": "2026-11-04",
            "received_at_1": "09:00:00", "acknowledged_at_0": "2026-11-04", "acknowledged_at_1": "10:00:00",
            "given_effect_at_0": "", "given_effect_at_1": ""}
    data.update(changes)
    return data


def test_a_lead_records_an_authority_order(as_lead):
    assert as_lead.post("/admin/takedowns/authorityorder/add/", order_form()).status_code == 302
    order = AuthorityOrder.objects.get()
    assert (order.member_state, order.order_type, order.acknowledged_at.isoformat(), order.given_effect_at) == (
        "DE", "act_against", "2026-11-04T10:00:00+00:00", None)


def test_an_order_given_effect_before_it_was_received_is_refused(as_lead):
    response = as_lead.post("/admin/takedowns/authorityorder/add/", order_form(
        given_effect_at_0="2026-11-03", given_effect_at_1="09:00:00"))
    assert "An order cannot be given effect before it was received." in response.content.decode()
    assert not AuthorityOrder.objects.exists()


def test_the_tdb_queue_is_read_only(as_lead):
    assert as_lead.get("/admin/takedowns/tdbsubmission/").status_code == 200
    assert as_lead.get("/admin/takedowns/tdbsubmission/add/").status_code == 403
