"""Pages in the reader's language where the words come from data or from another page (issue 13): the
shipped rejection reasons, the sworn statements quoted on the policy pages, the language names, and
labels inside sentences."""

import pytest
from django.template import Context, Template
from django.utils import translation

from takedowns import legal
from takedowns.enums import CounterNoticeStatus
from takedowns.models import ReasonCode
from takedowns.selectors.notices import _open_words

pytestmark = pytest.mark.django_db


def german(client, url):
    with translation.override("de"):
        return client.get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode()


def test_a_shipped_rejection_reason_is_shown_in_the_readers_language_a_leads_own_as_written(client):
    code = ReasonCode.objects.get(code="insufficient-evidence")
    with translation.override("de"):
        title = translation.gettext(code.title)
    assert title != code.title  # the catalogue has it
    page = german(client, "/policies/contesting-decisions/")
    assert title in page and code.title not in page
    ReasonCode.objects.filter(pk=code.pk).update(title="Our own wording")
    assert "Our own wording" in german(client, "/policies/contesting-decisions/")
    with translation.override("de"):
        assert ReasonCode.objects.get(pk=code.pk).title_shown == "Our own wording"


@pytest.mark.parametrize(("url", "originals"), [
    ("/policies/notice-handling/", (legal.GOOD_FAITH_TEXT, legal.ACCURACY_TEXT)),
    ("/policies/contesting-decisions/", (legal.STATEMENT_MISTAKE, legal.STATEMENT_JURISDICTION)),
])
def test_the_policy_pages_quote_the_sworn_statements_translated_with_their_binding_english(client, url, originals):
    page = german(client, url)
    for original in originals:
        with translation.override("de"):
            translated = translation.gettext(original)
        assert translated != original and translated in page
        assert f'<span lang="en">{original}</span>' in page
    english = client.get(url).content.decode()
    assert "english-original" not in english
    assert all(original in english for original in originals)


def test_the_language_switcher_names_each_language_in_itself(client):
    page = german(client, "/")
    for name in ("English", "Deutsch", "Français", "Español", "Italiano", "简体中文"):
        assert f">{name}</option>" in page
    assert "Englisch" not in page


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "the temporary suspension | trademark | DSA rule"),
    ("fr", "the temporary suspension | trademark | DSA rule"),
    ("de", "the Temporary suspension | Trademark | DSA rule"),
])
def test_a_label_in_a_sentence_keeps_the_capitals_its_language_keeps(language, expected):
    template = Template("{% load in_sentence %}the {{ a|in_sentence }} | {{ b|in_sentence }} | {{ c|in_sentence }}")
    with translation.override(language):
        rendered = template.render(Context({"a": "Temporary suspension", "b": "Trademark", "c": "DSA rule"}))
    assert rendered == expected


def test_what_is_still_open_on_a_case_is_counted_in_the_readers_language():
    assert (_open_words("appeal", 1), _open_words("appeal", 2)) == ("appeal open", "2 appeals open")
    with translation.override("de"):
        assert (_open_words("appeal", 1), _open_words("appeal", 3)) == ("Beschwerde offen", "3 Beschwerden offen")
        assert _open_words(CounterNoticeStatus.WAITING, 2) == (
            "2 Gegendarstellungen angenommen, Wiederherstellung ausstehend")
