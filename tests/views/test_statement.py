"""The seller's private statement-of-reasons page."""

import pytest

from takedowns import workflow
from takedowns.enums import DecisionOutcome
from tests.conftest import file_notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def decision(now, catalogue, reviewers):
    notice = file_notice(now)
    workflow.confirm_notice(notice, now)
    workflow.route_notice(notice.pk, now)
    item = notice.items.get()
    decision, = workflow.decide_items(notice, reviewers["tm"], [workflow.ItemDecision(item.pk, DecisionOutcome.REMOVE)],
                                      now)
    return decision


def test_the_seller_reads_every_element_of_the_statement(client, decision):
    body = client.get(decision.seller_path()).content.decode()
    for element in ("Statement of reasons", "Acme Outlet", "1. The measure", "Territorial scope: AT, BE",
                    "2. Facts and circumstances", "3. Automated means", "4. Legal ground", "5. Contractual ground",
                    "6. Your options"):
        assert element in body


def test_a_wrong_token_or_a_rejection_gets_404(client, decision):
    assert client.get(f"/statement/{decision.pk}/{'x' * 43}/").status_code == 404
    assert client.get(f"/statement/{decision.pk + 1}/{decision.seller_token}/").status_code == 404
