"""The inputs that answered with a server error (issue 10, item 7), each now a 400 or a 404 with the
reason where there is one. tests/views/test_fuzz.py sends thousands more; these pin what it found
and what the issue measured. NUL in a query fails only on PostgreSQL: tests/integration/
test_fuzz_postgres.py repeats the NUL cases there."""

import uuid

import pytest
from django import forms
from django.urls import Resolver404, resolve

from takedowns.forms.public import ItemForm, NoticeForm
from takedowns.forms.seller import CounterNoticeForm
from takedowns.models import CounterNotice, Notice, NoticeItem
from tests.factories import decision_form, log_in, routed, taken_down

pytestmark = pytest.mark.django_db

LONG_EMAIL = "a" * 243 + "@example.com"  # 255 characters: a valid address, one more than the column holds


def _notice_form(**overrides) -> dict:
    data = {
        "submission_key": str(uuid.uuid4()), "submitter_name": "Anna Berger", "submitter_email": "anna@example.com",
        "submitter_country": "DE", "submitter_role": "owner", "language": "en", "right_type": "trademark",
        "right_registration_number": "018234567", "right_office": "EUIPO", "right_owner": "Aerostride GmbH",
        "description": "These sneakers carry our mark but we never made them.", "good_faith_statement": "on",
        "accuracy_statement": "on", "signature": "Anna Berger", "items-TOTAL_FORMS": "3", "items-INITIAL_FORMS": "0",
        "items-0-reported": "L-100001", "items-0-reason": "counterfeit",
    }
    return {**data, **overrides}


def test_an_email_address_over_254_characters_is_refused_beside_its_field(client, catalogue):
    assert len(LONG_EMAIL) == 255
    response = client.post("/notices/new/", _notice_form(submitter_email=LONG_EMAIL))
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "submitter_email": ["An e-mail address has at most 254 characters; this one has 255."]}
    assert f'value="{LONG_EMAIL}"' in response.content.decode()  # kept, to correct
    assert Notice.objects.count() == 0
    assert client.post("/notices/new/", _notice_form(submitter_email=LONG_EMAIL[1:])).status_code == 302


def test_a_counter_notice_email_over_254_characters_is_refused_beside_its_field(client, now, catalogue, bright,
                                                                                reviewers):
    removal = taken_down(now, "L-100003")
    response = client.post(f"{removal.seller_path()}counter-notice/", {
        "material": "Listing L-100003", "explanation": "Genuine goods.", "statement_mistake": "on",
        "consent_jurisdiction": "on", "full_name": "Li Wei", "address": "Shenzhen, China", "phone": "+86 755 1",
        "email": LONG_EMAIL, "signature": "Li Wei"})
    assert response.status_code == 400
    assert response.context["counter_notice_form"].errors == {
        "email": ["An e-mail address has at most 254 characters; this one has 255."]}
    assert CounterNotice.objects.count() == 0


@pytest.mark.parametrize("query", [{"q": "\x00"}, {"category": "\x00"}, {"after": "\x00"}, {"q": "a\x00b"}])
def test_nul_in_the_catalogues_search_is_refused(client, catalogue, query):
    response = client.get("/listings/", query)
    assert response.status_code == 400
    assert "Null characters are not allowed." in response.content.decode()


@pytest.mark.parametrize("path", ["/listings/\x00/", "/listings/L-1\x00/", "/track/TD-\x00/token/",
                                  "/track/TD-AAAA-BBBB/\x00/", "/confirm/\x00/x/", "/review/notices/\x00/",
                                  "/review/notices/\x01/decide/", "/statement/1/\x00/", "/penalty/1/\x7f/",
                                  "/transparency/2026-1\x00/", "/transparency/\x00.json"])
def test_a_control_character_in_a_path_matches_no_page(path):
    # The `str` converter took them, and the view's lookup then failed on PostgreSQL (NUL): a 500.
    with pytest.raises(Resolver404):
        resolve(path)


def test_control_characters_in_paths_are_a_404(client, now, catalogue, reviewers):
    notice = routed(now)
    assert client.get("/listings/%00/").status_code == 404
    assert client.get(f"/track/{notice.reference}%00/{notice.tracking_token}/").status_code == 404
    client.force_login(reviewers["tm"].user)
    assert client.get(f"/review/notices/{notice.reference}%00/").status_code == 404
    assert client.get(f"/review/notices/{notice.reference}/").status_code == 200


def test_a_queue_cursor_of_infinity_is_the_first_page(client, now, catalogue, reviewers):
    notice = routed(now)
    client.force_login(reviewers["tm"].user)
    response = client.get("/review/", {"after": "inf_1_1"})
    assert response.status_code == 200
    assert [row.reference for row in response.context["page"].rows] == [notice.reference]


@pytest.mark.parametrize("query, message", [
    ({"to": "0001-01-01"}, "0001-01-01 is before 2000-01-01: choose the last day from then on."),
    ({"from": "0001-01-01", "to": "2026-01-01"}, "0001-01-01 is before 2000-01-01: choose the first day from then on."),
    ({"from": "1999-12-31"}, "1999-12-31 is before 2000-01-01: choose the first day from then on."),
])
def test_a_period_in_year_one_is_refused_with_the_reason(client, lead, query, message):
    log_in(client, lead)
    page = client.get("/review/dashboard/", query)
    assert page.status_code == 400
    assert message in page.content.decode()
    figures = client.get("/review/dashboard/figures.csv", query)
    assert (figures.status_code, figures.content.decode()) == (400, f"{message}\n")
    assert client.get("/review/dashboard/durations.csv", query).status_code == 400


@pytest.mark.parametrize("ids", [str(2 ** 63), "9" * 30, f"1,{2 ** 64}"])
def test_decision_ids_past_the_databases_integers_are_refused(client, lead, ids):
    log_in(client, lead)
    response = client.get("/review/decisions/tdb.json", {"ids": ids})
    bad = ids.split(",")[-1]
    assert (response.status_code, response.json()) == (400, {
        "error": f"'{bad[:40]}' is not a decision id: give whole numbers separated by commas, e.g. ?ids=1,2,3."})


@pytest.mark.parametrize("initial", ["0", "-1", "1"])
def test_a_tampered_decision_formset_is_checked_row_by_row(client, now, catalogue, reviewers, initial):
    notice = routed(now, [("L-100001", "counterfeit"), ("L-100002", "counterfeit")])
    client.force_login(notice.assigned_to.user)
    data = decision_form(notice)
    data["item-INITIAL_FORMS"] = initial  # the rows past it became "extra" rows, skipped when left blank
    response = client.post(f"/review/notices/{notice.reference}/decide/", data)
    assert response.status_code == 400
    assert "Choose a decision for at least one listing." in response.content.decode()
    assert not notice.items.exclude(state="in_review").exists()


def test_a_pasted_address_longer_than_its_column_is_refused_on_its_line(client, catalogue):
    url = "https://portal.test/listings/" + "a" * 480
    data = _notice_form(pasted_listings=f"L-100002\n{url}", pasted_reason="counterfeit")
    response = client.post("/notices/new/", data)
    assert response.status_code == 400
    assert response.context["form"].errors == {"pasted_listings": [
        f"Line 2: “{url[:80]}…” is 509 characters long; a listing's address may have at most 500."]}
    assert Notice.objects.count() == 0


@pytest.mark.parametrize("form_class, model", [(NoticeForm, Notice), (ItemForm, NoticeItem),
                                               (CounterNoticeForm, CounterNotice)])
def test_every_text_a_form_stores_fits_its_column(form_class, model):
    # SQLite stores a value longer than its column; PostgreSQL refuses it with a 500. So the form says so first.
    columns = {field.name: field for field in model._meta.get_fields() if getattr(field, "max_length", None)}
    checked = []
    for name, field in form_class.base_fields.items():
        if name not in columns or not isinstance(field, forms.CharField) or isinstance(field, forms.UUIDField):
            continue  # choices and UUIDs have lengths of their own
        assert field.max_length is not None and field.max_length <= columns[name].max_length, name
        checked.append(name)
    assert checked  # the forms do store text in these models
