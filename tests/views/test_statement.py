"""The seller's private statement-of-reasons page."""

import pytest
from django.utils.html import escape

from tests.factories import REMOVE, decided, decision_of
from tests.outline import headings, skipped_levels

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


def test_the_legal_ground_gives_our_reasons_and_the_notices_claim_apart_labelled_as_such(client, decision):
    body = client.get(decision.seller_path()).content.decode()
    grounds = escape(decision.grounds)
    assert decision.grounds.startswith("The listing offers goods bearing a sign identical with the registered")
    assert f'<p id="our-grounds"><strong>Why we consider the listing infringing:</strong> {grounds}</p>' in body
    assert ('<p class="mb-1" id="notice-claim"><strong>What the notice claimed</strong> '
            "(the rights holder's words, quoted as they wrote them; not our finding):</p>") in body
    claim = escape(decision.item.notice.description)
    assert f"{claim}</blockquote>" in body
    assert body.index(grounds) < body.index(claim)
    assert f"infringing:</strong> {claim}" not in body


def test_the_statement_page_skips_no_heading_level(client, decision):
    outline = headings(client.get(decision.seller_path()).content.decode())
    assert outline[:3] == [(1, "Statement of reasons"), (2, "The decision and our reasons"), (3, "1. The measure")]
    assert (2, "Counter-notice (DMCA 512(g))") in outline and (2, "Appeal against the removal (DSA Art. 20)") in outline
    assert [level for level, _ in outline].count(1) == 1
    assert skipped_levels(outline) == []
