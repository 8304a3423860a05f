"""Every e-mail in its recipient's language (issue 13): the submitter's choice, the seller's language from
the marketplace, English for staff. The catalogues come later (the lead extracts them after merging), so
these tests see the mechanism through what Django ships translated already: the language the HTML says,
the Content-Language header, and dates in the recipient's locale (German and Chinese month names and
formats), in the text body as in the HTML."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core import mail
from django.utils import translation

from takedowns import emails, legal, outbox, seeding
from takedowns.models import Notice, OutboundEmail, Seller
from takedowns.workflow import counter_notices
from tests import factories
from tests.factories import REMOVE, decided, file_notice

pytestmark = pytest.mark.django_db

# Filed on Saturday 28 November 2026, 10:00 UTC: the confirmation link expires 7 days later.
T = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def _only(kind: str) -> OutboundEmail:
    return OutboundEmail.objects.get(kind=kind)


def test_a_german_submitter_gets_the_confirmation_in_german(catalogue):
    notice = file_notice(T, language="de")
    email = notice.emails.get()
    assert (email.kind, email.language) == ("confirm_notice", "de")
    assert email.body_html.startswith('<!doctype html>\n<html lang="de">')
    # Django's German formats and month names: the override reaches the text body and the HTML alike.
    assert "Wenn Sie nicht bis 5. Dezember 2026 10:00 UTC bestätigen, verfällt die Meldung" in email.body_text
    assert "Wenn Sie nicht bis 5. Dezember 2026 10:00 UTC bestätigen, verfällt die Meldung" in email.body_html
    assert "If you do not confirm" not in email.body_text


def test_an_english_submitter_gets_english_dates_as_the_portal_writes_them(catalogue):
    email = file_notice(T).emails.get()
    assert (email.language, email.body_html.count('<html lang="en">')) == ("en", 1)
    assert "If you do not confirm by 5 December 2026, 10:00 UTC, the notice expires" in email.body_text


@pytest.mark.parametrize(("stored", "written_in", "expiry"), [
    ("zh-hans", "zh-hans", "2026年12月5日 10:00 UTC"),
    ("zh", "zh-hans", "2026年12月5日 10:00 UTC"),  # a row from before the code was Django's
    ("xx", "en", "5 December 2026, 10:00 UTC"),  # unknown: English
    ("", "en", "5 December 2026, 10:00 UTC"),
])
def test_the_language_is_a_site_language_or_english(catalogue, stored, written_in, expiry):
    notice = file_notice(T)
    Notice.objects.filter(pk=notice.pk).update(language=stored)
    notice.refresh_from_db()
    email = emails.confirmation_request(notice, 1)
    assert email.language == written_in
    assert f'<html lang="{written_in}">' in email.body_html
    with translation.override(written_in):
        sentence = translation.gettext("If you do not confirm by %(expires)s %(zone)s, the notice expires and is not "
                                       "reviewed.")
    expires, zone = expiry.rsplit(" ", 1)
    assert sentence % {"expires": expires, "zone": zone} in email.body_text


def test_the_outgoing_message_says_its_language(catalogue):
    email = file_notice(T, language="fr").emails.get()
    outbox.deliver(email.pk, T)
    sent, = mail.outbox
    assert sent.extra_headers["Content-Language"] == "fr"
    assert sent.extra_headers["Message-ID"] == email.message_id


def test_the_seller_gets_the_statement_in_their_language_the_submitter_in_theirs_staff_in_english(
        catalogue, reviewers):
    Seller.objects.filter(external_id="S-2").update(email="bright@sellers.example", language="zh-hans")
    notice = decided(T, {"L-100003": REMOVE}, reviewers["tm"], language="de")

    statement = _only("statement_of_reasons")
    assert (statement.to, statement.language, statement.notice) == ("bright@sellers.example", "zh-hans", None)
    assert '<html lang="zh-hans">' in statement.body_html
    assert "2026年11月28日 10:00 UTC" in statement.body_text  # the decision's time, in Chinese formats

    told = _only("items_decided")
    assert (told.to, told.language, told.notice_id) == ("anna@aerostride.example", "de", notice.pk)
    assert "(28. November 2026 10:00 UTC)" in told.body_text

    assignment = _only("new_assignment")  # the reviewer's: the staff area stays English
    assert (assignment.language, assignment.notice) == ("en", None)
    assert '<html lang="en">' in assignment.body_html
    assert "confirmed 28 November 2026, 10:00 UTC" in assignment.body_text


def test_a_penalty_statement_goes_in_the_sellers_language(catalogue, reviewers):
    Seller.objects.filter(external_id="S-2").update(email="bright@sellers.example", language="de")
    decided(T, {"L-100003": REMOVE}, reviewers["tm"])
    factories.apply_penalties(T)
    statement = _only("penalty_statement")
    assert (statement.to, statement.language) == ("bright@sellers.example", "de")
    assert '<html lang="de">' in statement.body_html


def test_the_counter_notice_copy_quotes_the_sworn_statements_in_their_binding_english(filed_counter_notice,
                                                                                         checker):
    # The rights holder reads German, the seller Chinese.
    Notice.objects.filter(pk=filed_counter_notice.decision.item.notice_id).update(language="de")
    Seller.objects.filter(external_id="S-2").update(language="zh-hans")
    filed_counter_notice.refresh_from_db()
    counter_notices.accept_counter_notice(filed_counter_notice, checker, factories.ACCEPTED_AT)

    copy = _only("counter_notice_copy")
    assert copy.language == "de"
    for body in (copy.body_text, copy.body_html):
        assert "in ihrem verbindlichen englischen Original" in body
        assert legal.STATEMENT_MISTAKE in body and legal.STATEMENT_JURISDICTION in body
        # The restore date in the rights holder's language: Django's German day and month names.
        assert "Mittwoch, 3. Dezember 2025 (Ortszeit New York)" in body
    assert f'<td lang="en">☑ {legal.STATEMENT_MISTAKE}</td>' in copy.body_html

    accepted = _only("counter_notice_accepted")
    assert (accepted.to, accepted.language) == ("li.wei@bright.example", "zh-hans")
    assert "New York 时间 2025年12月3日 星期三 结束时" in accepted.body_text


def test_an_english_rights_holder_reads_the_statements_without_the_note(filed_counter_notice, checker):
    counter_notices.accept_counter_notice(filed_counter_notice, checker, factories.ACCEPTED_AT)
    copy = _only("counter_notice_copy")
    assert copy.language == "en"
    assert legal.STATEMENT_MISTAKE in copy.body_text
    assert "binding English original" not in copy.body_text
    assert "the end of Wednesday 3 December 2025, New York time" in copy.body_text


def test_the_demo_catalogue_gives_sellers_languages_and_loading_it_again_keeps_them():
    seeding.load_catalogue(SEEDS)
    seeding.load_catalogue(SEEDS)
    languages = dict(Seller.objects.values_list("external_id", "language"))
    assert languages["S-2003"] == languages["S-2007"] == "zh-hans"  # Shenzhen Bright Trading, Golden Dragon Store
    assert {"de", "fr", "it", "es", "en"} <= set(languages.values())
    assert sum(language == "zh-hans" for language in languages.values()) >= 5
    assert languages["S-2001"] == "en"


def test_a_notifier_measure_goes_in_the_language_of_the_notifiers_latest_notice(catalogue, reviewers, lead):
    factories.warned(T, lead, language="it")
    statement = _only("notifier_measure")
    assert (statement.to, statement.language) == ("anna@aerostride.example", "it")
    assert '<html lang="it">' in statement.body_html
    # The appeal deadline in Django's Italian formats (183 days after a decision before the month rule).
    assert "30 Maggio 2027 10:00 UTC" in statement.body_text
    assert _only("notifier_proposal_raised").language == "en"  # to the leads
