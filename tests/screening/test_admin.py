"""Leads tune the screening rules in the admin (each change seen by every process's next listing), search
and correct the protection list's terms, and read the fingerprints (never edit them)."""

import pytest
from django.core.cache import cache

from takedowns.enums import FingerprintSource, ScreeningRuleCode
from takedowns.models import Fingerprint, ProtectedTerm, ScreeningRule
from takedowns.screening import fingerprints, terms
from tests.factories import log_in, make_lead, protected_right

pytestmark = pytest.mark.django_db


def test_a_lead_tunes_a_rule_and_every_process_rereads_the_rules(client):
    log_in(client, make_lead("boss"))
    page = client.get("/admin/takedowns/screeningrule/").content.decode()
    assert "Price far below the genuine product" in page and "0.5 = 50 %" in page
    token = terms.current_token()
    rule = ScreeningRule.objects.get(code=ScreeningRuleCode.REFERENCE_IMAGE)
    url = f"/admin/takedowns/screeningrule/{rule.pk}/change/"
    form = {"code": "reference_image", "enabled": "on", "outcome": "hold", "threshold": "1.5", "max_distance": "8"}
    response = client.post(url, form)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "threshold": ["A share between 0 and 1 (0.5 = 50 %)."],
        "max_distance": ["At most 7 bits (the image index finds no farther picture)."]}
    assert cache.get(terms.VERSION_KEY) == token
    response = client.post(url, {**form, "threshold": "", "max_distance": "5", "outcome": "block"})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.enabled, rule.outcome, rule.threshold, rule.max_distance) == (True, "block", None, 5)
    assert cache.get(terms.VERSION_KEY) != token
    assert client.get("/admin/takedowns/screeningrule/add/").status_code == 403


def test_a_lead_corrects_a_term_and_its_normalised_form_follows(client):
    log_in(client, make_lead("boss"))
    right = protected_right(["Nike"])
    term = ProtectedTerm.objects.get()
    response = client.get("/admin/takedowns/protectedterm/", {"q": "nike"})
    assert list(response.context["cl"].result_list) == [term]
    token = terms.current_token()
    response = client.post(f"/admin/takedowns/protectedterm/{term.pk}/change/",
                           {"right": right.pk, "term": "Air-Max"})
    assert response.status_code == 302
    term.refresh_from_db()
    assert (term.term, term.normalised) == ("Air-Max", "air max")
    assert cache.get(terms.VERSION_KEY) != token


def test_fingerprints_are_read_only(client, now):
    log_in(client, make_lead("boss"))
    made = fingerprints.record(source=FingerprintSource.REMOVAL, created_at=now, text_signature=[], image_hash=1)
    assert client.get("/admin/takedowns/fingerprint/").status_code == 200
    assert client.get(f"/admin/takedowns/fingerprint/{made.pk}/change/").status_code == 200
    assert client.post(f"/admin/takedowns/fingerprint/{made.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Fingerprint.objects.count() == 1
