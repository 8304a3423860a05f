"""Hostile input on PostgreSQL, which refuses what SQLite stores: a NUL in any text, a value longer
than its column (issue 10, item 7). The concrete cases that answered 500, then a third of the fuzzing
of tests/views/test_fuzz.py (which runs it all when the whole suite runs on PostgreSQL)."""

import pytest
from django.db import connection

from takedowns.models import CounterNotice, Notice
from tests import fuzzing
from tests.factories import routed, taken_down

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

LONG_EMAIL = "a" * 243 + "@example.com"  # 255 characters: valid, and one more than the column holds


def test_nul_in_a_path_or_a_query_is_a_404_or_a_400_on_postgresql(client, now, catalogue, reviewers, reason_codes):
    assert connection.vendor == "postgresql"
    notice = routed(now)
    for path in ("/listings/%00/", f"/track/{notice.reference}%00/{notice.tracking_token}/",
                 f"/confirm/%00/{notice.confirmation_token}/", "/transparency/2026-1%00/", "/statement/1/%00/"):
        assert client.get(path).status_code == 404, path
    for query in ({"q": "\x00"}, {"category": "\x00"}, {"after": "\x00"}):
        assert client.get("/listings/", query).status_code == 400, query
    assert client.post("/review/login/", {"username": "tm\x00", "password": "pw"}).status_code == 200
    client.force_login(reviewers["tm"].user)
    assert client.get(f"/review/notices/{notice.reference}%00/").status_code == 404
    assert client.get("/review/", {"after": "\x00", "status": "\x00"}).status_code == 400


def test_an_email_address_longer_than_its_column_is_a_400_on_postgresql(client, now, catalogue, bright, reviewers,
                                                                        reason_codes):
    data = {"submission_key": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "submitter_name": "Anna Berger",
            "submitter_email": LONG_EMAIL, "submitter_country": "DE", "submitter_role": "owner", "language": "en",
            "right_type": "trademark", "right_registration_number": "018234567", "right_office": "EUIPO",
            "right_owner": "Aerostride GmbH", "description": "These sneakers carry our mark but we never made them.",
            "good_faith_statement": "on", "accuracy_statement": "on", "signature": "Anna Berger",
            "items-TOTAL_FORMS": "3", "items-INITIAL_FORMS": "0", "items-0-reported": "L-100001",
            "items-0-reason": "counterfeit"}
    assert client.post("/notices/new/", data).status_code == 400
    assert not Notice.objects.filter(submitter_email=LONG_EMAIL).exists()
    removal = taken_down(now, "L-100003")
    response = client.post(f"{removal.seller_path()}counter-notice/", {
        "material": "Listing L-100003", "explanation": "Genuine goods.", "statement_mistake": "on",
        "consent_jurisdiction": "on", "full_name": "Li Wei", "address": "Shenzhen, China", "phone": "+86 755 1",
        "email": LONG_EMAIL, "signature": "Li Wei"})
    assert response.status_code == 400
    assert not CounterNotice.objects.exists()


def test_no_page_or_form_answers_hostile_input_with_a_server_error_on_postgresql(now, catalogue, reviewers, lead,
                                                                                 reason_codes, capsys, settings):
    assert connection.vendor == "postgresql"
    fuzzing.counted_never_refused(settings)
    world = fuzzing.build_world(now, reviewers, lead)
    visitors, total = fuzzing.visitors_for(world), fuzzing.Tally()
    for target in fuzzing.all_targets(world):
        fuzzing.fuzz(target, visitors, total, scale=0.3)
    with capsys.disabled():
        print(f"\n  fuzz on PostgreSQL, all pages and forms: {total}")
    assert not any(code >= 500 for code in total.statuses)
