"""The page's language (issue 13): the visitor's choice (the switcher's cookie), else the browser's
Accept-Language; the staff area stays in STAFF_LANGUAGE; the notice form switches language with what was
typed and proposes the page's language for our messages."""

import re
import uuid

import pytest
from django.conf import settings

from takedowns.enums import Language
from takedowns.models import Evidence, Notice
from tests.factories import PDF_BYTES, log_in, upload
from tests.views.test_file_notice import form_data

pytestmark = pytest.mark.django_db
FORM = "/notices/new/"


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]*)"', response.content.decode()).group(1)


def test_the_languages_are_those_the_form_offers_each_named_in_its_own_language():
    assert settings.LANGUAGES == Language.choices == [
        ("en", "English"), ("de", "Deutsch"), ("fr", "Français"), ("es", "Español"), ("it", "Italiano"),
        ("zh-hans", "中文")]


def test_a_german_browser_gets_german_pages(client):
    response = client.get("/", headers={"accept-language": "de-DE,de;q=0.9,en;q=0.5"})
    assert (html_lang(response), response["Content-Language"]) == ("de", "de")


def test_a_chinese_browser_gets_simplified_chinese(client):
    response = client.get("/", headers={"accept-language": "zh-CN,zh;q=0.9"})
    assert html_lang(response) == "zh-hans"


def test_a_browser_asking_for_no_language_of_ours_gets_english(client):
    assert html_lang(client.get("/", headers={"accept-language": "pt-BR,pt;q=0.9"})) == "en"


def test_the_visitors_choice_wins_over_the_browsers_language(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    assert html_lang(client.get("/", headers={"accept-language": "de"})) == "fr"


def test_the_switcher_posts_the_choice_and_returns_to_the_page_with_the_cookie_set(client):
    page = client.get("/listings/")
    assert re.search(r'<form method="post" action="/language/"[^>]*id="language-switcher">', page.content.decode())
    assert '<input type="hidden" name="next" value="/listings/">' in page.content.decode()
    response = client.post("/language/", {"language": "it", "next": "/listings/"})
    assert (response.status_code, response["Location"]) == (302, "/listings/")
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert (cookie.value, cookie["max-age"], cookie["samesite"], cookie["httponly"]) == (
        "it", 365 * 24 * 3600, "Lax", True)
    assert html_lang(client.get("/listings/", headers={"accept-language": "de"})) == "it"


def test_the_switcher_sends_nobody_to_another_site(client):
    response = client.post("/language/", {"language": "de", "next": "https://evil.example/"})
    assert (response.status_code, response["Location"]) == (302, "/")


def test_the_staff_area_stays_english_whatever_the_visitor_chose(client, reviewers):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    login = client.get("/review/login/", headers={"accept-language": "de"})
    assert (html_lang(login), login["Content-Language"]) == ("en", "en")
    assert 'id="language-switcher"' not in login.content.decode()  # it would change nothing here
    log_in(client, reviewers["tm"].user)
    queue = client.get("/review/", headers={"accept-language": "de"})
    assert (queue.status_code, html_lang(queue), queue["Content-Language"]) == (200, "en", "en")
    assert html_lang(client.get("/")) == "de"  # the public pages keep the visitor's choice


def test_a_lead_can_put_the_staff_area_in_another_language(client, settings):
    settings.STAFF_LANGUAGE = "fr"
    assert html_lang(client.get("/review/login/", headers={"accept-language": "de"})) == "fr"


# --- The notice form's language: its own buttons keep what was typed. ---

def test_the_forms_language_for_our_messages_follows_the_page(client):
    german = client.get(FORM, headers={"accept-language": "de"})
    assert german.context["form"]["language"].value() == "de"
    assert '<option value="de" selected>Deutsch</option>' in german.content.decode()
    assert client.get(FORM, headers={"accept-language": "zh-CN"}).context["form"]["language"].value() == "zh-hans"
    assert client.get(FORM).context["form"]["language"].value() == "en"


def test_the_form_offers_every_other_language_and_enter_still_sends_the_notice(client):
    body = client.get(FORM, headers={"accept-language": "fr"}).content.decode()
    form = body[body.index('id="notice-form"'):]
    assert re.findall(r'name="switch_language" value="([^"]+)"', form) == ["en", "de", "es", "it", "zh-hans"]
    # The form's default button (Enter in a field) is its first submit button: a nameless one, which sends.
    first = re.search(r'<button type="submit"[^>]*>', form).group(0)
    assert "switch_language" not in first and "name=" not in first


def typed_values(response) -> dict:
    """What the form shows in each field (files aside), and in each listing row."""
    form, rows = response.context["form"], response.context["rows"]
    shown = {name: form[name].value() for name in form.fields if name not in (
        "registration_certificate", "authorisation_letter", "test_buy", "other_evidence")}
    return {**shown, "rows": [(row["reported"].value(), row["reason"].value()) for row in rows]}


def test_switching_language_keeps_everything_typed_shows_no_error_and_files_nothing(client):
    key = uuid.uuid4()
    # Half filled: no country, a short description, no signature; a file chosen.
    data = form_data(key, submitter_country="", description="Fakes.", signature="", language="it",
                     rows=(("L-100001", "counterfeit"), ("https://portal.test/listings/L-100002/", ""),
                           ("", ""), ("L-100003", "trademark_misuse")))
    data["pasted_listings"] = "L-100004\nL-100005"
    response = client.post(FORM, {**data, "switch_language": "de", "test_buy": upload("buy.pdf", PDF_BYTES)},
                           headers={"accept-language": "en"})

    assert (response.status_code, html_lang(response), response["Content-Language"]) == (200, "de", "de")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"
    assert typed_values(response) == {
        "submission_key": str(key), "submitter_name": "Anna Berger", "submitter_organisation": "Aerostride GmbH",
        "submitter_email": "anna@aerostride.example", "submitter_address": None, "submitter_phone": None,
        "submitter_country": "", "submitter_role": "owner", "language": "it", "right_type": "trademark",
        "right_registration_number": "018234567", "right_office": "EUIPO", "right_owner": "Aerostride GmbH",
        "registered_right": None, "registered_right_key": None,
        "pasted_listings": "L-100004\nL-100005", "pasted_reason": None, "description": "Fakes.",
        "remove_evidence": [], "kept_evidence": [], "good_faith_statement": True, "accuracy_statement": True,
        "signature": "",
        "rows": [("L-100001", "counterfeit"), ("https://portal.test/listings/L-100002/", ""), ("", ""),
                 ("L-100003", "trademark_misuse")]}
    body = response.content.decode()
    assert 'value="Anna Berger"' in body and 'value="L-100003"' in body and ">\nL-100004\nL-100005</textarea>" in body
    assert not response.context["form"].errors and "is-invalid" not in body and 'id="form-errors"' not in body
    assert not Notice.objects.exists() and not Evidence.objects.exists()
    # The same form, now sent in German, files the notice under its own key.
    sent = client.post(FORM, form_data(key))
    assert sent.status_code == 302 and Notice.objects.get().submission_key == key


def test_a_language_for_our_messages_left_as_proposed_follows_the_switch(client):
    switched = client.post(FORM, {**form_data(language="en"), "switch_language": "zh-hans"})
    assert switched.context["form"]["language"].value() == "zh-hans"
    assert switched.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"


def test_files_kept_earlier_stay_listed_after_switching(client):
    key = uuid.uuid4()
    client.post(FORM, form_data(key, submitter_name="", test_buy=upload("buy.pdf", PDF_BYTES)))
    response = client.post(FORM, {**form_data(key), "kept_evidence": [Evidence.objects.get().pk],
                                  "switch_language": "es"})
    assert "buy.pdf" in response.content.decode() and html_lang(response) == "es"
    assert response.context["kept"] == list(Evidence.objects.all()) and not Notice.objects.exists()


def test_an_unknown_language_switches_nothing_and_sets_no_cookie(client):
    response = client.post(FORM, {**form_data(), "switch_language": "xx"}, headers={"accept-language": "fr"})
    assert (response.status_code, html_lang(response)) == (200, "fr")
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert not Notice.objects.exists()
