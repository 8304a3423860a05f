"""The public notice form: what is filed, every error and what survives it, uploads, double submits."""

import re
import uuid
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.test import RequestFactory
from django.utils import translation
from django.utils.html import escape

from takedowns import evidence, legal
from takedowns.enums import NoticeStatus
from takedowns.forms.public import NoticeForm
from takedowns.models import Event, Evidence, Notice
from takedowns.views.public import file_notice
from tests.factories import JPEG_BYTES, PDF_BYTES, PNG_BYTES, log_in, routed, upload

pytestmark = pytest.mark.django_db
URL = "/notices/new/"


def form_data(key=None, rows=(("https://portal.test/listings/L-100001/", "counterfeit"),
                              ("L-100002", "counterfeit"),
                              ("https://portal.test/listings/L-999999/", "trademark_misuse")), **overrides):
    data = {
        "submission_key": str(key or uuid.uuid4()),
        "submitter_name": "Anna Berger", "submitter_organisation": "Aerostride GmbH",
        "submitter_email": "anna@aerostride.example", "submitter_country": "DE", "submitter_role": "owner",
        "language": "de", "right_type": "trademark", "right_registration_number": "018234567",
        "right_office": "EUIPO", "right_owner": "Aerostride GmbH",
        "description": "These sneakers carry our AEROSTRIDE mark but were never made by us.",
        "good_faith_statement": "on", "accuracy_statement": "on", "signature": "Anna Berger",
        "items-TOTAL_FORMS": str(max(len(rows), 3)), "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "3", "items-MAX_NUM_FORMS": "200",
    }
    for index, (reported, reason) in enumerate(rows):
        data[f"items-{index}-reported"] = reported
        data[f"items-{index}-reason"] = reason
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_get_shows_a_fresh_form_with_a_one_time_key_and_three_rows(client):
    response = client.get(URL)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="submission_key"' in body
    assert 'name="items-2-reported"' in body and 'name="items-3-reported"' not in body
    again = client.get(URL)
    assert response.context["form"].initial["submission_key"] != again.context["form"].initial["submission_key"]
    assert "/static/vendor/bootstrap-5.3.9/bootstrap.min.css" in body


def test_report_this_listing_prefills_the_first_row(client):
    response = client.get(URL, {"listing": "https://portal.test/listings/L-100001/"})
    assert 'value="https://portal.test/listings/L-100001/"' in response.content.decode()


def test_a_valid_notice_is_stored_unconfirmed_and_the_submitter_is_asked_to_confirm(
        client, django_capture_on_commit_callbacks):
    key = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, form_data(key, registration_certificate=upload("cert.pdf", PDF_BYTES)))
    assert response.status_code == 302
    assert response["Location"] == f"/notices/filed/{key}/"

    notice = Notice.objects.get()
    assert (notice.status, notice.submission_key, notice.submitter_email, notice.language, notice.right_type,
            notice.right_registration_number, notice.signature) == (
        NoticeStatus.UNCONFIRMED, key, "anna@aerostride.example", "de", "trademark", "018234567", "Anna Berger")
    assert str(notice.submitter_country) == "DE"
    assert list(notice.items.values_list("position", "reported", "reason")) == [
        (1, "https://portal.test/listings/L-100001/", "counterfeit"),
        (2, "L-100002", "counterfeit"),
        (3, "https://portal.test/listings/L-999999/", "trademark_misuse"),
    ]
    evidence = notice.evidence.get()
    assert (evidence.kind, evidence.original_name, evidence.content_type, evidence.size) == (
        "registration_certificate", "cert.pdf", "application/pdf", len(PDF_BYTES))
    assert not evidence.file.name.endswith("cert.pdf")  # stored under a random name
    # The submitter chose German for our messages.
    assert [(m.to, m.subject) for m in mail.outbox] == [(["anna@aerostride.example"],
                                                          "Bestätigen Sie Ihre Meldung zu 3 Angeboten")]

    page = client.get(response["Location"]).content.decode()
    assert "Check your e-mail" in page and "anna@aerostride.example" in page


def test_a_double_click_or_resent_post_files_only_once(client, django_capture_on_commit_callbacks):
    data = form_data()
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(URL, data)
        second = client.post(URL, data)
    assert first["Location"] == second["Location"]
    assert Notice.objects.count() == 1
    assert Event.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_resent_post_with_files_stores_them_only_once(client, django_capture_on_commit_callbacks):
    key = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(URL, form_data(key, test_buy=upload("buy.pdf", PDF_BYTES)))
        second = client.post(URL, form_data(key, test_buy=upload("buy.pdf", PDF_BYTES)))
    assert first["Location"] == second["Location"] == f"/notices/filed/{key}/"
    notice = Notice.objects.get()
    assert list(Evidence.objects.values_list("original_name", "notice")) == [("buy.pdf", notice.pk)]
    assert len(mail.outbox) == 1


def test_a_resent_post_that_relied_on_kept_files_still_finds_the_filed_notice(client):
    # The letter was kept from an earlier attempt; once filed, it belongs to the notice, so a
    # resend of the last POST (no files in it) no longer validates on its own.
    key = uuid.uuid4()
    client.post(URL, form_data(key, submitter_role="agent", submitter_name="",
                               authorisation_letter=upload("letter.pdf", PDF_BYTES)))
    filed = client.post(URL, form_data(key, submitter_role="agent"))
    resent = client.post(URL, form_data(key, submitter_role="agent"))
    assert filed.status_code == resent.status_code == 302
    assert resent["Location"] == f"/notices/filed/{key}/"
    notice = Notice.objects.get()
    assert list(notice.evidence.values_list("original_name", flat=True)) == ["letter.pdf"]
    assert Event.objects.filter(notice=notice).count() == 1


def test_fifty_and_more_listings_can_be_pasted(client):
    pasted = "\n".join(f"https://portal.test/listings/L-{200000 + n}/" for n in range(60))
    response = client.post(URL, form_data(rows=(), pasted_listings=pasted, pasted_reason="counterfeit"))
    assert response.status_code == 302
    notice = Notice.objects.get()
    assert notice.items.count() == 60
    assert notice.items.get(position=60).reported == "https://portal.test/listings/L-200059/"


def test_many_rows_can_be_added(client):
    rows = [(f"L-{300000 + n}", "trademark_misuse") for n in range(55)]
    assert client.post(URL, form_data(rows=rows)).status_code == 302
    assert Notice.objects.get().items.count() == 55


def errors_of(response) -> dict:
    form = response.context["form"]
    return {field: list(messages) for field, messages in form.errors.items()}


def test_each_error_is_specific_and_everything_typed_is_kept(client):
    data = form_data(submitter_name="", submitter_email="anna@", description="too short",
                     good_faith_statement=None, signature="Someone Else")
    response = client.post(URL, data)
    assert response.status_code == 400
    assert Notice.objects.count() == 0
    errors = errors_of(response)
    assert errors["submitter_name"] == ["This field is required."]
    assert errors["submitter_email"] == ["Enter a valid email address."]
    assert errors["description"] == ["Explain why the listings infringe in at least 30 characters (you wrote 9)."]
    assert errors["good_faith_statement"] == ["The notice can only be filed with the good-faith statement."]
    body = response.content.decode()
    for kept in ('value="anna@"', 'value="Aerostride GmbH"', 'value="018234567"', "too short",
                 'value="https://portal.test/listings/L-999999/"', 'value="Someone Else"'):
        assert kept in body
    assert 'value="trademark_misuse" selected' in body


def test_the_country_must_be_a_country_code(client):
    response = client.post(URL, form_data(submitter_country="XX"))
    assert response.status_code == 400
    assert errors_of(response)["submitter_country"] == [
        "Select a valid choice. XX is not one of the available choices."]
    assert client.post(URL, form_data(submitter_country="FR")).status_code == 302
    assert Notice.objects.get().submitter_country == "FR"


def test_the_signature_must_be_the_submitters_name(client):
    errors = errors_of(client.post(URL, form_data(signature="A. Berger")))
    assert errors["signature"] == ["Type your full name exactly as entered above (“Anna Berger”) to sign."]
    assert client.post(URL, form_data(signature="  anna   berger ")).status_code == 302


def test_an_infringement_that_does_not_fit_the_right_is_refused_on_its_row(client):
    response = client.post(URL, form_data(rows=(("L-100001", "patent"),)))
    row = response.context["rows"].forms[0]
    assert row.errors["reason"] == [
        "“Patent infringement” does not fit the type of right “Trademark”; choose “Counterfeit goods” or "
        "“Trademark misuse (logo or brand name used without permission)”, or change the type of right."]
    assert Notice.objects.count() == 0


def test_row_errors_name_the_problem(client):
    response = client.post(URL, form_data(rows=(
        ("not a url", "counterfeit"),
        ("L-100001", ""),
        ("", "counterfeit"),
        ("https://portal.test/listings/L-100002/", "counterfeit"),
        ("https://portal.test/listings/L-100002", "counterfeit"),
    )))
    rows = response.context["rows"].forms
    assert rows[0].errors["reported"] == [
        "“not a url” is neither a web address (https://…) nor a listing ID such as L-100001."]
    assert rows[1].errors["reason"] == ["Choose the infringement for this listing."]
    assert rows[2].errors["reported"] == ["Enter the listing's URL or ID, or clear this row."]
    assert Notice.objects.count() == 0


def test_a_listing_reported_twice_is_pointed_out(client):
    response = client.post(URL, form_data(rows=(
        ("https://portal.test/listings/L-100002/", "counterfeit"),
        ("https://portal.test/listings/L-100002", "counterfeit"),
    )))
    assert response.context["rows"].forms[1].errors["reported"] == ["This listing is already reported in row 1."]


def test_pasted_lines_are_checked_line_by_line(client):
    response = client.post(URL, form_data(
        rows=(("L-100001", "counterfeit"),),
        pasted_listings="L-100002\nnonsense\nL-100001\n", pasted_reason="counterfeit"))
    assert errors_of(response)["pasted_listings"] == [
        "Line 2: “nonsense” is neither a web address (https://…) nor a listing ID such as L-100001.",
        "Line 3: this listing is already reported in row 1.",
    ]
    assert "L-100002\nnonsense\nL-100001" in response.content.decode()


def test_pasted_listings_need_an_infringement(client):
    response = client.post(URL, form_data(rows=(), pasted_listings="L-100002"))
    assert errors_of(response)["pasted_reason"] == ["Choose the infringement for the pasted listings."]


def test_a_notice_needs_at_least_one_listing(client):
    response = client.post(URL, form_data(rows=()))
    assert errors_of(response)["__all__"] == [
        "Report at least one listing: enter its URL or ID and the infringement."]


def test_too_many_listings_are_refused_with_the_limit(client, settings):
    settings.NOTICE_MAX_ITEMS = 50
    pasted = "\n".join(f"L-{400000 + n}" for n in range(51))
    response = client.post(URL, form_data(rows=(), pasted_listings=pasted, pasted_reason="counterfeit"))
    assert errors_of(response)["__all__"] == [
        "A notice may report at most 50 listings; this one has 51. Split them over several notices."]


def test_an_agent_must_attach_an_authorisation_letter(client):
    response = client.post(URL, form_data(submitter_role="agent"))
    assert errors_of(response)["authorisation_letter"] == [
        "As an authorised agent, attach the rights owner's letter authorising you to act."]
    ok = client.post(URL, form_data(submitter_role="agent", authorisation_letter=upload("letter.pdf", PDF_BYTES)))
    assert ok.status_code == 302


def test_uploads_are_checked_by_content_not_by_name(client):
    response = client.post(URL, form_data(
        test_buy=[upload("receipt.pdf", b"just some text pretending"), upload("photo.pdf", PNG_BYTES),
                  upload("photo.jpg", JPEG_BYTES)],
        other_evidence=upload("macro.docx", b"PK\x03\x04" + b"\x00" * 40)))
    errors = errors_of(response)
    assert errors["test_buy"] == ["“receipt.pdf” is not a PDF, PNG or JPEG file (we check the content, not the name)."]
    assert errors["other_evidence"] == [
        "“macro.docx” is not a PDF, PNG or JPEG file (we check the content, not the name)."]
    # The good files are kept for the next try, with the type their content shows.
    assert sorted(Evidence.objects.values_list("original_name", "content_type")) == [
        ("photo.jpg", "image/jpeg"), ("photo.pdf", "image/png")]


def test_a_file_over_the_size_limit_is_refused(client, settings):
    settings.EVIDENCE_MAX_FILE_BYTES = 1024
    response = client.post(URL, form_data(test_buy=upload("big.pdf", PDF_BYTES + b"0" * 2000)))
    assert errors_of(response)["test_buy"] == ["“big.pdf” is 2.0\xa0KB; each file may be at most 1.0\xa0KB."]
    assert Evidence.objects.count() == 0


def test_the_total_evidence_size_is_limited_per_notice(client, settings):
    settings.EVIDENCE_MAX_TOTAL_BYTES = 100
    response = client.post(URL, form_data(test_buy=[upload("a.pdf", PDF_BYTES * 2), upload("b.pdf", PDF_BYTES)]))
    assert errors_of(response)["__all__"] == [
        f"The evidence files add up to {3 * len(PDF_BYTES)}\xa0bytes; a notice may carry at most 100\xa0bytes. "
        "Remove or shrink some files."]
    assert Evidence.objects.count() == 0


def test_uploaded_files_survive_an_error_and_join_the_notice(client):
    key = uuid.uuid4()
    first = client.post(URL, form_data(key, submitter_name="", test_buy=upload("buy.pdf", PDF_BYTES),
                                       other_evidence=upload("shot.png", PNG_BYTES)))
    assert first.status_code == 400
    kept = {e.original_name: e.pk for e in Evidence.objects.filter(submission_key=key)}
    assert set(kept) == {"buy.pdf", "shot.png"}
    assert "Already uploaded" in first.content.decode() and "buy.pdf" in first.content.decode()

    second = client.post(URL, form_data(key, remove_evidence=[kept["shot.png"]]))
    assert second.status_code == 302
    notice = Notice.objects.get()
    assert list(notice.evidence.values_list("original_name", flat=True)) == ["buy.pdf"]
    assert not Evidence.objects.filter(original_name="shot.png").exists()


def test_a_tampered_submission_key_still_gets_a_working_form(client):
    response = client.post(URL, form_data(submission_key="not-a-uuid", submitter_name=""))
    assert response.status_code == 400
    assert uuid.UUID(response.context["form"].data["submission_key"])


# --- What a form keeps, and for how long (issue 10: uploads kept from invalid forms). ---

def test_files_of_a_post_without_the_forms_key_are_not_kept(client):
    # Five POSTs with a file and an empty name, none from the form's page (no key): each used to keep its
    # file for days under a key of its own, which nobody could ever come back to.
    for attempt in range(5):
        response = client.post(URL, form_data(submission_key=None, submitter_name="",
                                               test_buy=upload(f"buy-{attempt}.pdf", PDF_BYTES + b"0" * 100_000)))
        assert response.status_code == 400
        assert errors_of(response)["__all__"] == [
            "The files you attached were not kept, because the form was not sent from its page; attach them again."]
    assert Evidence.objects.count() == 0
    assert Notice.objects.count() == 0


def test_a_complete_notice_without_the_forms_key_is_filed_with_its_files(client):
    response = client.post(URL, form_data(submission_key=None, test_buy=upload("buy.pdf", PDF_BYTES)))
    assert response.status_code == 302
    assert list(Notice.objects.get().evidence.values_list("original_name", flat=True)) == ["buy.pdf"]


def test_a_key_keeps_no_more_than_a_notice_may_carry_even_from_two_tabs_at_once(client, settings, monkeypatch):
    settings.EVIDENCE_MAX_FILES = 2
    key = uuid.uuid4()
    two = [upload("a.pdf", PDF_BYTES), upload("b.pdf", PDF_BYTES)]
    assert client.post(URL, form_data(key, submitter_name="", test_buy=two)).status_code == 400
    # The second tab's form was checked before the first one's files were kept: it sees none of them.
    monkeypatch.setattr("takedowns.views.public.evidence.kept_for", lambda key: [])
    response = client.post(URL, form_data(key, test_buy=[upload("c.pdf", PDF_BYTES), upload("d.pdf", PDF_BYTES)]))
    assert response.status_code == 400
    assert errors_of(response)["__all__"] == [
        "2 of the files you attached would take this notice past 2 files or 25.0\xa0MB and were not kept."]
    assert sorted(Evidence.objects.values_list("original_name", flat=True)) == ["a.pdf", "b.pdf"]
    assert Notice.objects.count() == 0


def test_files_swept_while_the_form_stayed_open_are_reported_not_silently_dropped(client, settings, now):
    key = uuid.uuid4()
    first = client.post(URL, form_data(key, submitter_name="", test_buy=upload("buy.pdf", PDF_BYTES)))
    kept = Evidence.objects.get()
    assert f'<input type="hidden" name="kept_evidence" value="{kept.pk}">' in first.content.decode()
    Evidence.objects.update(uploaded_at=now - timedelta(hours=settings.EVIDENCE_ORPHAN_HOURS, minutes=1))
    assert evidence.sweep_orphans(now) == 1

    response = client.post(URL, form_data(key, kept_evidence=[str(kept.pk)]))
    assert response.status_code == 400
    assert errors_of(response) == {"kept_evidence": [
        "Files you uploaded earlier on this form are no longer kept: a form left unsent for 6 hours loses them. "
        "Attach them again."]}
    assert re.search(r'id="kept-evidence-error"><a href="#id_registration_certificate">Files you uploaded earlier',
                     response.content.decode())
    assert Notice.objects.count() == 0
    # Attached again, the notice is filed with it.
    again = client.post(URL, form_data(key, test_buy=upload("buy.pdf", PDF_BYTES)))
    assert again.status_code == 302
    assert list(Notice.objects.get().evidence.values_list("original_name", flat=True)) == ["buy.pdf"]


def test_the_form_states_the_evidence_limits(client):
    html = client.get(URL).content.decode()
    text = " ".join(html.replace("\xa0", " ").split())
    assert "PDF, PNG or JPEG: each file at most 10.0 MB, at most 10 files of 25.0 MB together." in text
    assert 'data-max-body="29360128"' in html  # 28 MB: what the server accepts in one sending


# --- The sworn statement (DSA Art. 16(2)(d)) and a copyright notice's contact details (DMCA 512(c)(3)(A)(iv)). ---

COPYRIGHT_ROWS = (("L-100001", "copyright_images"),)


def copyright_form(**overrides) -> dict:
    return form_data(rows=COPYRIGHT_ROWS, right_type="copyright", right_registration_number="product photos 2024",
                     right_office="US", **overrides)


def test_the_accuracy_statement_covers_accurate_and_complete(client):
    body = client.get(URL).content.decode()
    # Art. 16(2)(d)'s "accurate and complete" covers DMCA 512(c)(3)(A)(vi)'s "the information … is accurate";
    # the penalty of perjury goes with the authority to act, as (vi) words it.
    sworn = ("I believe in good faith that the information and allegations in this notice are accurate and complete, "
             "and I state under penalty of perjury that I am the owner, or authorised to act on behalf of the owner, "
             "of the right that is allegedly infringed.")
    assert sworn in body.replace("&#x27;", "'")
    errors = errors_of(client.post(URL, form_data(accuracy_statement=None)))
    assert errors["accuracy_statement"] == [
        "The notice can only be filed with the statement of accuracy and authority."]


def test_a_copyright_notice_needs_a_postal_address_and_a_telephone_and_keeps_what_was_typed(client):
    response = client.post(URL, copyright_form(submitter_address="   ", submitter_phone=""))
    assert response.status_code == 400
    assert Notice.objects.count() == 0
    why = "a copyright notice must say how to reach you (US DMCA, 17 U.S.C. 512(c)(3)(A)(iv))."
    errors = errors_of(response)
    assert errors["submitter_address"] == [f"Give your postal address: {why}"]
    assert errors["submitter_phone"] == [f"Give your telephone number: {why}"]
    assert 'value="product photos 2024"' in response.content.decode()

    response = client.post(URL, copyright_form(submitter_address="Schillerstrasse 12\r\n10625 Berlin",
                                                submitter_phone="phone me"))
    assert errors_of(response) == {"submitter_phone": [
        "Write the telephone number with digits, spaces and + - ( ) . only, e.g. +49 30 1234567."]}
    assert "Schillerstrasse 12" in response.content.decode() and 'value="phone me"' in response.content.decode()
    assert errors_of(client.post(URL, copyright_form(submitter_address="Berlin", submitter_phone="+49 12"))) == {
        "submitter_phone": ["A telephone number has 6 to 20 digits with its country code; this one has 4."]}
    assert Notice.objects.count() == 0


def test_a_copyright_notice_stores_its_address_and_telephone(client):
    response = client.post(URL, copyright_form(submitter_address="Schillerstrasse 12\r\n10625 Berlin\r\nGermany",
                                                submitter_phone=" +49 (30) 123-4567 "))
    assert response.status_code == 302
    notice = Notice.objects.get()
    assert (notice.right_type, notice.submitter_address, notice.submitter_phone) == (
        "copyright", "Schillerstrasse 12\r\n10625 Berlin\r\nGermany", "+49 (30) 123-4567")


def test_other_notices_may_leave_address_and_telephone_out(client):
    assert client.post(URL, form_data()).status_code == 302
    assert Notice.objects.values_list("submitter_address", "submitter_phone").get() == ("", "")
    assert client.post(URL, form_data(submitter_phone="+33 1 23 45 67 89")).status_code == 302
    assert Notice.objects.order_by("-pk").values_list("submitter_phone", flat=True)[0] == "+33 1 23 45 67 89"


def test_the_staff_notice_page_shows_the_address_and_telephone_whenever_given(client, now, catalogue, reviewers):
    copyright_notice = routed(now, [("L-100001", "copyright_images")], right_type="copyright",
                              right_registration_number="product photos 2024", right_office="US")
    trademark_notice = routed(now, [("L-100002", "counterfeit")], submitter_phone="+49 30 7654321")
    bare_notice = routed(now, [("L-100003", "counterfeit")])
    log_in(client, reviewers["cr"])
    body = client.get(f"/review/notices/{copyright_notice.reference}/").content.decode()
    assert ('<p class="mb-1 small" id="submitter-contact">Contact for this copyright notice (DMCA 512(c)(3)(A)(iv)): '
            "Aerostride GmbH<br>Schillerstrasse 12<br>10625 Berlin<br>Germany · +49 30 1234567</p>") in body
    # Given on a trademark notice (optional there), the reviewer sees it too: the privacy page says so.
    log_in(client, reviewers["tm"])
    body = client.get(f"/review/notices/{trademark_notice.reference}/").content.decode()
    assert ('<p class="mb-1 small" id="submitter-contact">Postal address and telephone the submitter gave (optional '
            "on this notice): +49 30 7654321</p>") in body
    body = client.get(f"/review/notices/{bare_notice.reference}/").content.decode()
    assert 'id="submitter-contact"' not in body
    # The public tracking page does not show it.
    assert "Schillerstrasse" not in client.get(copyright_notice.tracking_path()).content.decode()


# --- Issue 13: the error summary, row-numbered labels, the marked row, the binding English statements. ---

def summary_of(body: str) -> str:
    found = re.search(r'<div class="alert alert-danger" role="alert" id="form-errors".*?</ul>', body, re.S)
    assert found, "no error summary"
    return found.group(0)


def test_a_failed_send_shows_an_error_summary_that_links_to_each_field_in_error(client):
    response = client.post(URL, form_data(submitter_name="", submitter_role=None,
                                          rows=(("not a url", "counterfeit"), ("L-100002", "counterfeit"))))
    assert response.status_code == 400
    summary = summary_of(response.content.decode())
    assert '<h2 class="h6" id="form-errors-heading" tabindex="-1">Please correct the marked fields.</h2>' in summary
    links = re.findall(r'<li><a href="#([^"]+)">(.*?)</a></li>', summary, re.S)
    assert links == [
        ("id_submitter_name", "Your full name: This field is required."),
        ("id_submitter_role_0", "You are: This field is required."),
        ("id_items-0-reported", "Listing 1: URL or listing ID: “not a url” is neither a web address (https://…) "
                                "nor a listing ID such as L-100001."),
    ]
    # Each target exists on the page, and the script (CSP allows only files) moves the focus to the summary.
    body = response.content.decode()
    for target, _text in links:
        assert f'id="{target}"' in body
    script = (django_settings.BASE_DIR / "static" / "js" / "notice-form.js").read_text()
    assert 'document.getElementById("form-errors-heading")' in script and "summary.focus()" in script


def test_a_form_without_errors_has_no_summary(client):
    assert 'id="form-errors"' not in client.get(URL).content.decode()


def test_each_listing_row_s_labels_name_its_number(client):
    body = client.get(URL).content.decode()
    for number in (1, 2, 3):
        label = re.search(rf'<label\s+for="id_items-{number - 1}-reported" class="form-label">\s*(.*?)\s*</label>',
                          body, re.S)
        assert label and label.group(1) == f'<span class="visually-hidden">Listing {number}: </span>URL or listing ID'
        label = re.search(rf'<label\s+for="id_items-{number - 1}-reason" class="form-label">\s*(.*?)\s*</label>',
                          body, re.S)
        assert label and label.group(1) == f'<span class="visually-hidden">Listing {number}: </span>Infringement'
    # The row template's placeholders, which notice-form.js replaces for each added row.
    template = body[body.index('<template id="item-row-template">'):body.index("</template>")]
    assert 'for="id_items-__prefix__-reported"' in template
    assert '<span class="visually-hidden">Listing __number__: </span>URL or listing ID' in template


def test_report_at_least_one_listing_marks_the_first_row_and_links_to_it(client):
    response = client.post(URL, form_data(rows=()))
    body = response.content.decode()
    message = "Report at least one listing: enter its URL or ID and the infringement."
    first = re.search(r'<input[^>]*id="id_items-0-reported"[^>]*>', body).group(0)
    assert 'aria-invalid="true"' in first and 'aria-describedby="no-listing-error"' in first
    second = re.search(r'<input[^>]*id="id_items-1-reported"[^>]*>', body).group(0)
    assert "aria-invalid" not in second and "aria-describedby" not in second
    assert f'<div class="invalid-feedback d-block mb-2" id="no-listing-error">{message}</div>' in body
    assert f'<li><a href="#id_items-0-reported" id="no-listing-summary">{message}</a></li>' in summary_of(body)
    # With a listing, nothing is marked.
    body = client.post(URL, form_data(submitter_name="")).content.decode()
    assert 'id="no-listing-error"' not in body and 'aria-describedby="no-listing-error"' not in body


def test_nothing_typed_is_lost_on_a_failed_send(client):
    data = form_data(signature="", submitter_role="agent", language="fr",
                     right_type="trademark", submitter_address="Schillerstrasse 12\n10625 Berlin",
                     submitter_phone="+49 30 1234567", pasted_listings="L-100005\nL-100006",
                     pasted_reason="trademark_misuse")
    response = client.post(URL, data)
    assert response.status_code == 400
    form = response.context["form"]
    rows = response.context["rows"]
    for name in ("submitter_name", "submitter_organisation", "submitter_email", "submitter_country",
                 "submitter_role", "language", "right_type", "right_registration_number", "right_office",
                 "right_owner", "description", "submitter_address", "submitter_phone", "pasted_listings",
                 "pasted_reason", "good_faith_statement", "accuracy_statement"):
        assert str(form[name].value()) in (str(data[name]), "True"), name
    assert [(row["reported"].value(), row["reason"].value()) for row in rows] == [
        ("https://portal.test/listings/L-100001/", "counterfeit"), ("L-100002", "counterfeit"),
        ("https://portal.test/listings/L-999999/", "trademark_misuse")]
    body = response.content.decode()
    assert re.search(r'<input type="radio"[^>]*value="agent"[^>]*checked>', body)
    for kept in ('value="Anna Berger"', 'value="fr" selected', 'value="+49 30 1234567"',
                 "Schillerstrasse 12\n10625 Berlin", "L-100005\nL-100006", 'value="trademark_misuse" selected',
                 'value="L-100002"'):
        assert kept in body, kept
    for statement in ("good_faith_statement", "accuracy_statement"):
        assert re.search(rf'<input type="checkbox" name="{statement}"[^>]*checked', body), statement


def test_the_statement_labels_are_the_binding_english_texts(client):
    # The msgids are legal.py's texts word for word: in English the page shows exactly what is stored.
    form = NoticeForm()
    assert str(form.fields["good_faith_statement"].label) == legal.GOOD_FAITH_TEXT
    assert str(form.fields["accuracy_statement"].label) == legal.ACCURACY_TEXT
    assert NoticeForm.ENGLISH_ORIGINALS == {"good_faith_statement": legal.GOOD_FAITH_TEXT,
                                            "accuracy_statement": legal.ACCURACY_TEXT}


def form_page_in(language: str) -> str:
    """The form's page rendered in `language` (the view itself, so no middleware picks another)."""
    request = RequestFactory().get(URL)
    request.user = AnonymousUser()
    with translation.override(language):
        return file_notice(request).content.decode()


@pytest.mark.parametrize("language", ["de", "zh-hans"])
def test_in_another_language_each_dmca_statement_shows_its_binding_english_original(language):
    body = form_page_in(language)
    for element_id, original in (("good-faith-original", legal.GOOD_FAITH_TEXT),
                                 ("accuracy-original", legal.ACCURACY_TEXT)):
        block = re.search(rf'<div class="[^"]*english-original" id="{element_id}">(.*?)</div>', body, re.S)
        assert block, element_id
        with translation.override(language):
            label = translation.gettext("English original (binding):")
        assert label != "English original (binding):"  # the page's language labels the English original
        assert f'<span class="fw-semibold">{label}</span>' in block.group(1)
        assert f'<span lang="en">{escape(original)}</span>' in block.group(1)
    for name, element_id in (("good_faith_statement", "good-faith-original"),
                             ("accuracy_statement", "accuracy-original")):
        checkbox = re.search(rf'<input type="checkbox" name="{name}"[^>]*>', body).group(0)
        assert f'aria-describedby="{element_id}"' in checkbox
    # Right below its statement's checkbox.
    assert body.index('id="id_good_faith_statement"') < body.index('id="good-faith-original"') < body.index(
        'id="id_accuracy_statement"') < body.index('id="accuracy-original"')


def test_in_english_the_statements_are_shown_once(client):
    body = form_page_in("en")
    assert "english-original" not in body and '<span lang="en">' not in body and "-original\"" not in body
    assert body.count(escape(legal.ACCURACY_TEXT)) == 1


def test_the_script_has_no_text_of_its_own_and_the_page_gives_it_translated(client):
    script = (django_settings.BASE_DIR / "static" / "js" / "notice-form.js").read_text()
    code = "\n".join(line for line in script.splitlines() if not line.strip().startswith("//"))
    for english in ("Sending", " MB", "add up to", "Nothing was sent"):
        assert english not in code, english
    body = client.get(URL).content.decode()
    assert 'data-text-sending="Sending…"' in body
    assert 'data-text-megabytes="{size} MB"' in body
    assert ('data-text-too-large="The files you attached add up to {attached}; at most {limit} can be sent at once. '
            'Nothing was sent and everything you typed is still here: attach fewer or smaller files."') in body
