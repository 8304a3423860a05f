"""The seller's private statement-of-reasons page."""

import pytest
from django.utils import translation
from django.utils.html import escape

from takedowns import emails
from takedowns.enums import LEGAL_GROUNDS, RightType
from takedowns.models import Decision, Seller
from tests.factories import REMOVE, decided, decision_of
from tests.html_checks import headings, skipped_headings

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
    page = client.get(decision.seller_path()).content.decode()
    outline = headings(page)
    assert outline[:3] == [(1, "Statement of reasons"), (2, "The decision and our reasons"), (3, "1. The measure")]
    assert (2, "Counter-notice (DMCA 512(g))") in outline and (2, "Appeal against the removal (DSA Art. 20)") in outline
    assert [level for level, _ in outline].count(1) == 1
    assert skipped_headings(page) == []


def test_the_legal_ground_is_shown_through_the_catalogue_stored_english_as_its_fallback(client, decision):
    """Issue 13: the ground is stored in English (LEGAL_GROUNDS) and the page and the e-mail show
    `{% translate decision.legal_ground %}`: the text in the reader's language where the catalogue has it,
    else the stored text as it is (a custom ground)."""
    english = LEGAL_GROUNDS[RightType.TRADEMARK]
    assert decision.legal_ground == english
    assert f'<p id="legal-ground">{escape(english)}.</p>' in client.get(decision.seller_path()).content.decode()
    # A ground the catalogue knows comes out translated: "Monday" is one Django's own German catalogue holds
    # (the portal's catalogues are compiled by the lead); a text no catalogue holds is shown as stored.
    Decision.objects.filter(pk=decision.pk).update(legal_ground="Monday")
    assert '<p id="legal-ground">Montag.</p>' in german(client, decision.seller_path())
    assert '<p id="legal-ground">Monday.</p>' in client.get(decision.seller_path()).content.decode()
    Decision.objects.filter(pk=decision.pk).update(legal_ground="Our own custom ground")
    assert '<p id="legal-ground">Our own custom ground.</p>' in german(client, decision.seller_path())


def test_the_statement_e_mail_shows_the_legal_ground_in_the_sellers_language(decision):
    Decision.objects.filter(pk=decision.pk).update(legal_ground="Monday")
    Seller.objects.filter(pk=decision.item.decided_listing.seller_id).update(language="de",
                                                                              email="acme@sellers.example")
    email = emails.statement_of_reasons(Decision.objects.get(pk=decision.pk))
    assert email is not None and email.language == "de"
    assert "\n   Montag.\n" in email.body_text
    assert '<p id="legal-ground">Montag.</p>' in email.body_html


def german(client, url: str) -> str:
    with translation.override("de"):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="de")
    assert response.headers["Content-Language"] == "de"
    return response.content.decode()
