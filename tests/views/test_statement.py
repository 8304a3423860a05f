"""The seller's private statement-of-reasons page."""

import pytest

from tests.factories import REMOVE, decided, decision_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def decision(now, catalogue, reviewers):
    """Acme Outlet's listing L-100001, removed."""
    return decision_of(decided(now, {"L-100001": REMOVE}, reviewers["tm"]))


def test_the_seller_reads_every_element_of_the_statement(client, decision):
    body = client.get(decision.seller_path()).content.decode()
    for element in ("Statement of reasons", "Acme Outlet", "1. The measure", "Territorial scope: AT, BE",
                    "2. Facts and circumstances", "3. Automated means", "4. Legal ground", "5. Contractual ground",
                    "6. Your options"):
        assert element in body


def test_a_wrong_token_or_a_rejection_gets_404(client, decision):
    assert client.get(f"/statement/{decision.pk}/{'x' * 43}/").status_code == 404
    assert client.get(f"/statement/{decision.pk + 1}/{decision.seller_token}/").status_code == 404
