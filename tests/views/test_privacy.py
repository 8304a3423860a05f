"""The public privacy page (/privacy/): open to anyone, linked from every page's footer and from the
notice form, and stating the periods retention really runs with. And how the pages of a case whose
personal data retention removed read: the fact said, no name left."""

from datetime import timedelta

import pytest
from django.test import override_settings

from takedowns.workflow import filing
from takedowns.workflow.retention import apply_retention
from tests.factories import log_in, routed, taken_down

pytestmark = pytest.mark.django_db


def test_the_privacy_page_says_what_is_kept_why_who_sees_it_for_how_long_and_the_rights(client):
    response = client.get("/privacy/")
    assert response.status_code == 200
    page = response.content.decode()
    for section in ('id="collected"', 'id="who-sees-it"', 'id="how-long"', 'id="your-rights"'):
        assert section in page
    assert "Art. 16(2)" in page and "512(c)(3)" in page and "512(g)(3)" in page  # why: the law asks for it
    assert "deleted 30 days after it was filed" in page
    assert "removed 6 years after the case's last step" in page
    assert "deleted 6 years after they were sent" in page
    assert "window is 6 months (the DSA asks for at least six months)" in page
    assert '<strong id="privacy-contact">Takedown Portal &lt;takedowns@localhost&gt;</strong>' in page


@override_settings(RETENTION_UNCONFIRMED_DAYS=45, RETENTION_CASE_YEARS=1, PRIVACY_CONTACT="privacy@market.example")
def test_the_privacy_page_states_the_periods_retention_runs_with(client):
    page = client.get("/privacy/").content.decode()
    assert "deleted 45 days after it was filed" in page
    assert "removed 1 year after the case's last step" in page
    assert "privacy@market.example" in page


def test_the_privacy_page_names_the_postal_address_and_telephone_why_who_sees_them_and_how_long(client):
    page = " ".join(client.get("/privacy/").content.decode().split())
    assert ('<li id="address-and-telephone"><strong>Your postal address and telephone number</strong>: required on a '
            "copyright notice, because the US DMCA asks for the complaining party's address and telephone number "
            "(17 U.S.C. 512(c)(3)(A)(iv)); optional on a notice about a trademark, design or patent. We use them only "
            "to reach you about your notice when e-mail is not enough. Our reviewers and trust &amp; safety leads see "
            "them on the notice, whatever its right; the seller, the public and the notice's tracking page do not. "
            'They are removed with the notice\'s other personal details (see "How long we keep it").</li>') in page
    assert ("not the reporter's name, e-mail address, postal address, telephone number or signature.") in page
    # The retention row that removes them (workflow/retention.py clears both fields with the case's names).
    assert ("<tr><td>A notice's personal details: names, e-mail addresses, the reporter's postal address and "
            "telephone number, signatures,") in page


def test_only_get_is_answered(client):
    assert client.post("/privacy/").status_code == 405


@pytest.mark.parametrize("url", ["/", "/notices/new/", "/transparency/", "/listings/"])
def test_every_page_links_to_it_in_the_footer(client, catalogue, url):
    page = client.get(url).content.decode()
    footer = page[page.index('<footer'):page.index('</footer>')]
    assert 'href="/privacy/"' in footer


def test_the_notice_form_says_what_happens_to_the_submitters_details(client):
    page = client.get("/notices/new/").content.decode()
    note = page[page.index('id="privacy-note"'):]
    assert note[:note.index("</p>")].endswith(
        'Our reviewers see them; the seller does not. <a href="/privacy/">What we keep, who sees it and when we '
        'delete it</a>.')


@pytest.fixture
def anonymised(now, catalogue, reviewers):
    notice = routed(now)
    filing.withdraw_notice(notice, now)
    later = now.replace(year=now.year + 6) + timedelta(seconds=1)
    assert apply_retention(later)["cases_anonymised"] == 1
    notice.refresh_from_db()
    return notice


def test_the_tracking_page_of_an_anonymised_case_says_so(client, anonymised):
    page = client.get(anonymised.tracking_path()).content.decode()
    assert 'id="anonymised"' in page and "its personal data (names, addresses, texts and files) was removed" in page
    assert "Anna Berger" not in page and "anna@aerostride.example" not in page


def test_the_reviewers_notice_page_of_an_anonymised_case_says_so(client, anonymised, lead):
    log_in(client, lead)
    page = client.get(f"/review/notices/{anonymised.reference}/").content.decode()
    assert 'id="anonymised"' in page and "Personal data removed on" in page
    assert "Anna Berger" not in page and "anna@aerostride.example" not in page and "Filed by" not in page


def test_the_sellers_statement_of_an_anonymised_case_offers_no_counter_notice_and_says_why(client, bright, reviewers,
                                                                                            now):
    removal = taken_down(now, "L-100003", by=reviewers["tm"])
    assert b'id="counter-notice-form"' in client.get(removal.seller_path()).content
    assert apply_retention(now.replace(year=now.year + 7))["cases_anonymised"] == 1
    page = client.get(removal.seller_path()).content.decode()
    assert 'id="counter-notice-form"' not in page
    assert ("its personal data was deleted under our <a href=\"/privacy/\">retention policy</a>, so a counter-notice "
            "can no longer reach the rights holder") in page
