"""The Transparency Database export: leads download removal decisions as TDB statements, one or
up to 100 at a time; everyone else is kept out and bad requests are told what is wrong."""

import json
from decimal import Decimal

import pytest
from django.utils.translation import gettext

from takedowns import tdb
from takedowns.models import Listing, Penalty, Seller
from tests.factories import REJECT, REMOVE, decided, decisions_of, log_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def decisions(now, catalogue, reviewers):
    """A removal (L-100001) and a rejection (L-100002) on one notice."""
    return decisions_of(decided(now, {"L-100001": REMOVE, "L-100002": REJECT}))


def one_url(decision_id: int) -> str:
    return f"/review/decisions/{decision_id}/tdb.json"


def batch(client, ids: str):
    return client.get("/review/decisions/tdb.json", {"ids": ids})


def test_a_lead_downloads_the_statement_of_one_removal(client, lead, decisions):
    removal = decisions[0]
    log_in(client, lead)
    response = client.get(one_url(removal.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == f'attachment; filename="tdb-statement-decision-{removal.pk}.json"'
    assert json.loads(response.content) == tdb.statement_for(removal)
    assert b'{\n  "decision_visibility": [\n    "DECISION_VISIBILITY_CONTENT_REMOVED"\n  ],' in response.content


def test_a_lead_downloads_a_batch_in_the_order_asked_for_with_duplicates_dropped(now, client, lead, decisions):
    first = decisions[0]
    second, = decisions_of(decided(now, {"L-100003": REMOVE}))
    log_in(client, lead)
    response = batch(client, f"{second.pk}, {first.pk},{second.pk}")
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="tdb-statements-2-from-decision-{second.pk}.json"')
    # The body of the TDB's multiple endpoint, as it is.
    assert json.loads(response.content) == {"statements": [tdb.statement_for(second), tdb.statement_for(first)]}


def test_a_batch_of_100_is_exported_in_a_fixed_number_of_queries(now, client, lead, catalogue, reviewers,
                                                                  django_assert_num_queries):
    seller = Seller.objects.get(external_id="S-1")
    Listing.objects.bulk_create(Listing(external_id=f"L-2{n:05d}", seller=seller, title=f"Bulk {n}", category="shoes",
                                        price=Decimal("5.00")) for n in range(100))
    removals = decisions_of(decided(now, {f"L-2{n:05d}": REMOVE for n in range(100)}))
    log_in(client, lead)
    # Session, user, the session's authenticator (its second factor), reviewer profile, reviewer
    # group, lead group, and the decisions in one query.
    with django_assert_num_queries(7):
        response = batch(client, ",".join(str(d.pk) for d in removals))
    assert response.status_code == 200
    exported = json.loads(response.content)["statements"]
    assert [s["puid"] for s in exported] == [f"listing-L-2{n:05d}-decision-{d.pk}" for n, d in enumerate(removals)]


def test_more_than_100_decisions_are_refused_with_the_limit(client, lead):
    log_in(client, lead)
    response = batch(client, ",".join(str(n) for n in range(1, 102)))
    assert response.status_code == 400
    assert response.json() == {"error": "101 decisions asked for; the Transparency Database takes at most "
                                        "100 statements per submission."}


@pytest.mark.parametrize(("ids", "message"), [
    ("", "Give the decision ids to export, e.g. ?ids=1,2,3."),
    ("1,abc", "'abc' is not a decision id: give whole numbers separated by commas, e.g. ?ids=1,2,3."),
    ("1,,2", "'' is not a decision id: give whole numbers separated by commas, e.g. ?ids=1,2,3."),
    ("-3", "'-3' is not a decision id: give whole numbers separated by commas, e.g. ?ids=1,2,3."),
    ("0", "'0' is not a decision id: give whole numbers separated by commas, e.g. ?ids=1,2,3."),
    ("٣", "'٣' is not a decision id: give whole numbers separated by commas, e.g. ?ids=1,2,3."),
])
def test_malformed_ids_are_refused_with_the_problem_named(client, lead, ids, message):
    log_in(client, lead)
    response = batch(client, ids)
    assert (response.status_code, response.json()) == (400, {"error": message})


def test_unknown_ids_in_a_batch_are_named(client, lead, decisions):
    log_in(client, lead)
    response = batch(client, f"{decisions[0].pk},999998,999999")
    assert (response.status_code, response.json()) == (400, {"error": "No decision with id 999998, 999999."})


def test_a_rejection_in_a_batch_is_named(client, lead, decisions):
    removal, rejection = decisions
    log_in(client, lead)
    response = batch(client, f"{removal.pk},{rejection.pk}")
    assert (response.status_code, response.json()) == (400, {
        "error": f"Not a removal: decision {rejection.pk}. Only removals have a statement of reasons; "
                 "leave rejections out."})


def test_a_single_unknown_decision_or_rejection_is_not_found(client, lead, decisions):
    log_in(client, lead)
    assert client.get(one_url(999999)).status_code == 404
    assert client.get(one_url(decisions[1].pk)).status_code == 404


@pytest.mark.parametrize("url", ["one", "batch"])
def test_a_reviewer_who_is_not_a_lead_is_refused(client, reviewers, decisions, url):
    client.force_login(reviewers["tm"].user)
    response = client.get(one_url(decisions[0].pk)) if url == "one" else batch(client, str(decisions[0].pk))
    assert response.status_code == 403
    assert b"decision_visibility" not in response.content


@pytest.mark.parametrize("url", ["one", "batch"])
def test_anonymous_visitors_are_sent_to_the_login(client, decisions, url):
    response = client.get(one_url(decisions[0].pk)) if url == "one" else batch(client, str(decisions[0].pk))
    assert response.status_code == 302 and response["Location"].startswith("/review/login/")


def test_the_export_is_read_only(client, lead, decisions):
    log_in(client, lead)
    assert client.post(one_url(decisions[0].pk)).status_code == 405


def test_a_lead_exports_an_account_measure_and_a_warning_has_none(client, lead, now, catalogue, reviewers):
    decided(now, {"L-100003": REMOVE}, reviewers["tm"])
    decided(now, {"L-100003": REMOVE}, reviewers["tm"])
    restriction, warning = Penalty.objects.get(level="restriction"), Penalty.objects.get(level="warning")
    log_in(client, lead)
    response = client.get(f"/review/penalties/{restriction.pk}/tdb.json")
    assert response["Content-Disposition"] == f'attachment; filename="tdb-statement-penalty-{restriction.pk}.json"'
    assert response.json()["decision_provision"] == "DECISION_PROVISION_PARTIAL_SUSPENSION"
    assert client.get(f"/review/penalties/{warning.pk}/tdb.json").status_code == 404


def test_the_statements_are_byte_identical_under_german(client, lead, decisions, settings, monkeypatch):
    """The statements are data for the Transparency Database: English whatever the language, even
    where a statement reads a translated text (here Django's own German "Januar")."""
    built = tdb.statement_for
    monkeypatch.setattr(tdb, "statement_for", lambda decision: {**built(decision), "probe": gettext("January")})
    removal = decisions[0]
    log_in(client, lead)
    english = [client.get(one_url(removal.pk)).content, batch(client, str(removal.pk)).content]
    settings.LANGUAGE_CODE = settings.STAFF_LANGUAGE = "de"
    german = [client.get(one_url(removal.pk), HTTP_ACCEPT_LANGUAGE="de").content,
              batch(client, str(removal.pk)).content]
    assert german == english
    assert b'"probe": "January"' in english[0]
