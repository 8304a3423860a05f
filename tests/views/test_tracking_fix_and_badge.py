"""The tracking page's "fix and resubmit" (a rejection the submitter can fix, resubmission_rules.py) beside
the appeal, and its status badge naming what is still open on a decided case (selectors.notices.status_badge)."""

import re
from datetime import timedelta

import pytest
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.formats import date_format

from takedowns import evidence
from takedowns.models import Appeal, Decision, Evidence, Notice, Resubmission
from takedowns.selectors.notices import status_badge
from takedowns.workflow import appeals, counter_notices
from tests.factories import FILED_AT, PDF_BYTES, REJECT, REMOVE, decide, routed, upload

pytestmark = pytest.mark.django_db
FIX = "Attached: test-buy report of 20 Feb 2026 (order 4471) with photos of the fake serial label."


@pytest.fixture
def notice(catalogue, reviewers):
    """Decided an hour ago: L-100001 rejected as "Not enough evidence" (fixable), L-100002 as "Genuine goods
    resold lawfully" (not fixable), L-100004 removed. Closed."""
    decided_at = timezone.now() - timedelta(hours=1)
    notice = routed(decided_at - timedelta(hours=1),
                    [("L-100001", "counterfeit"), ("L-100002", "counterfeit"), ("L-100004", "counterfeit")])
    decide(notice, decided_at, {"L-100001": REJECT}, code="insufficient-evidence")
    decide(notice, decided_at, {"L-100002": REJECT, "L-100004": REMOVE}, code="genuine-goods")
    notice.refresh_from_db()
    return notice


def decision(notice: Notice, position: int) -> Decision:
    return Decision.objects.get(item__notice=notice, item__position=position, reversed_at=None, superseded_at=None)


def fix_url(notice: Notice, decision: Decision) -> str:
    return f"{notice.tracking_path()}resubmit/{decision.pk}/"


def section(html: str, element_id: str) -> str:
    """The page from the element with this id to the next heading."""
    found = re.search(rf'<div id="{element_id}">(.*?)<h2', html, re.S)
    assert found, element_id
    return found.group(1)


def test_a_fixable_rejection_offers_fix_and_resubmit_and_an_unfixable_one_only_the_appeal(client, notice):
    html = client.get(notice.tracking_path()).content.decode()
    fixable, unfixable = decision(notice, 1), decision(notice, 2)
    assert f'action="{fix_url(notice, unfixable)}"' not in html
    fixes = section(html, "fixes")
    assert f'id="fix-{fixable.pk}" data-fix-item="1"' in fixes
    assert f'action="{fix_url(notice, fixable)}"' in fixes
    assert "Fix and resubmit listing 1</button>" in fixes
    deadline = date_format(timezone.localtime(fixable.decided_at + timedelta(days=30)), "DATETIME_FORMAT")
    assert f"You can fix and resubmit this listing until {deadline}." in fixes
    assert ("<p class=\"small mb-1\" data-file-needed>Attach the new evidence (a test-buy report, photos comparing "
            "the genuine and the listed item, or the registration certificate): it is what this rejection asked "
            "for.</p>") in fixes
    assert 'data-fix-item="2"' not in fixes and 'data-fix-item="3"' not in fixes
    # The appeal stays open for both rejections (DSA Art. 20); the page says which route is which.
    appeal_section = section(html, "appeals")
    assert 'data-appeal-item="1"' in appeal_section and 'data-appeal-item="2"' in appeal_section
    assert "If you think a rejection is wrong rather than incomplete, appeal it instead (below)." in html
    assert html.index('id="fixes"') < html.index('id="appeals"')


def test_resubmitting_on_the_tracking_page_sends_the_listing_back_with_its_files(client, notice):
    fixable = decision(notice, 1)
    response = client.post(fix_url(notice, fixable), {"text": FIX, "files": upload("test-buy.pdf", PDF_BYTES)})
    assert response.status_code == 302 and response["Location"] == f"{notice.tracking_path()}#fix-{fixable.pk}"
    fix = Resubmission.objects.get()
    assert (fix.decision, fix.text, fix.reviewer.user.username) == (fixable, FIX, "tm")
    assert list(Evidence.objects.filter(resubmission=fix).values_list("original_name", "notice")) == [
        ("test-buy.pdf", notice.pk)]
    html = client.get(response["Location"]).content.decode()
    assert "Thank you: listing 1 is back with a reviewer, on this notice and its clock." in html
    assert '<span class="badge fs-6 bg-primary" id="notice-status">With a reviewer</span>' in html
    assert "You fixed and resubmitted it on" in section(html, "fixes") and "Files: test-buy.pdf" in html
    assert 'data-appeal-item="1"' not in html  # the rejection is set aside: nothing left to appeal
    assert f"{notice.reference}: your fix of listing 1 is back with a reviewer" in html  # the e-mail, listed


def test_a_fix_with_too_little_text_or_a_bad_file_comes_back_with_the_error_and_the_text_kept(client, notice):
    fixable = decision(notice, 1)
    response = client.post(fix_url(notice, fixable), {"text": "see file", "files": upload("buy.exe", b"MZ\x90\x00")})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Say what you fixed in at least 20 characters (you wrote 8)." in html
    assert "see file</textarea>" in html
    assert "buy.exe" in html and not Resubmission.objects.exists() and not Evidence.objects.exists()


def test_a_fix_of_missing_evidence_without_a_file_is_refused_with_the_text_kept(client, notice):
    # "Not enough evidence" is fixed by evidence (resubmission_rules.FILE_NEEDED): text alone changes nothing.
    response = client.post(fix_url(notice, decision(notice, 1)), {"text": FIX})
    html = response.content.decode()
    assert response.status_code == 400
    assert ("Listing 1 was rejected for want of a document: attach the new evidence (a test-buy report, photos "
            "comparing the genuine and the listed item, or the registration certificate) (PDF, PNG or JPEG) to fix "
            "it.") in html
    assert f"{FIX}</textarea>" in html
    assert not Resubmission.objects.exists() and Decision.objects.get(pk=decision(notice, 1).pk).superseded_at is None


def test_a_fixs_files_count_with_the_notices_evidence_against_its_limits(client, notice, settings):
    # The notice was filed with a certificate: it counts with the fix's files.
    evidence.store(notice.submission_key, "registration_certificate", upload("certificate.pdf", PDF_BYTES),
                   "application/pdf", notice=notice)
    held_files, held_bytes = evidence.held_by(notice)
    assert (held_files, held_bytes) == (1, len(PDF_BYTES))
    fixable = decision(notice, 1)
    settings.EVIDENCE_MAX_FILES = held_files + 1
    two = [upload("buy-1.pdf", PDF_BYTES), upload("buy-2.pdf", PDF_BYTES + b"2")]
    response = client.post(fix_url(notice, fixable), {"text": FIX, "files": two})
    assert response.status_code == 400
    assert (f"A notice may carry at most {held_files + 1} evidence files; this one carries {held_files} already, "
            "so you can add 1 (you attached 2).") in response.content.decode()
    assert f"{FIX}</textarea>" in response.content.decode()
    settings.EVIDENCE_MAX_FILES, settings.EVIDENCE_MAX_TOTAL_BYTES = 50, held_bytes + len(PDF_BYTES) - 1
    response = client.post(fix_url(notice, fixable), {"text": FIX, "files": upload("buy.pdf", PDF_BYTES)})
    assert response.status_code == 400
    assert ("With your files the notice&#x27;s evidence would add up to "
            f"{filesizeformat(held_bytes + len(PDF_BYTES))}; "
            f"a notice may carry at most {filesizeformat(held_bytes + len(PDF_BYTES) - 1)} and this one carries "
            f"{filesizeformat(held_bytes)} already.") in response.content.decode()
    assert not Resubmission.objects.exists() and Evidence.objects.filter(notice=notice).count() == held_files
    # Exactly at the limit: accepted.
    settings.EVIDENCE_MAX_TOTAL_BYTES = held_bytes + len(PDF_BYTES)
    assert client.post(fix_url(notice, fixable), {"text": FIX, "files": upload("buy.pdf", PDF_BYTES)}
                       ).status_code == 302
    assert Evidence.objects.filter(notice=notice).count() == held_files + 1


def test_resubmitting_a_removal_or_an_unfixable_rejection_is_refused_and_writes_nothing(client, notice):
    for position, message in ((3, "Listing 3 is “Removed”: only a rejected listing can be resubmitted."),
                              (2, "Listing 2 was rejected for a reason more evidence does not change; if you think "
                                  "the rejection is wrong, appeal it.")):
        response = client.post(fix_url(notice, decision(notice, position)), {"text": FIX}, follow=True)
        assert message in response.content.decode()
    assert not Resubmission.objects.exists()
    assert Notice.objects.get(pk=notice.pk).status == "closed"


def test_the_resubmit_address_takes_only_a_post_with_the_right_token(client, notice):
    fixable = decision(notice, 1)
    assert client.get(fix_url(notice, fixable)).status_code == 405
    assert client.post(f"/track/{notice.reference}/{'x' * 43}/resubmit/{fixable.pk}/", {"text": FIX}
                       ).status_code == 404
    other = routed(timezone.now(), [("L-100003", "counterfeit")])
    assert client.post(fix_url(other, fixable), {"text": FIX}).status_code == 404
    assert not Resubmission.objects.exists()


# --- The badge (issue 12, item 17): what is still open on a decided case. ---

def badge(client, notice: Notice) -> str:
    found = re.search(r'id="notice-status">([^<]*)</span>', client.get(notice.tracking_path()).content.decode())
    assert found
    return found.group(1)


def test_a_closed_notice_with_nothing_open_says_closed(client, notice):
    assert badge(client, notice) == "Closed"


def test_an_open_appeal_is_named_on_the_badge_until_it_is_decided(client, notice, other_reviewer):
    appeal = appeals.file_appeal(decision=decision(notice, 2), appellant="submitter",
                                 text="The goods were never sold in the EEA.", now=timezone.now())
    assert badge(client, notice) == "Closed — appeal open"
    appeals.file_appeal(decision=decision(notice, 1), appellant="submitter", text="The evidence was enough.",
                        now=timezone.now())
    assert status_badge(notice) == "Closed — 2 appeals open"
    appeals.decide_appeal(appeal, other_reviewer, "upheld", "The goods are genuine.", timezone.now())
    assert badge(client, notice) == "Closed — appeal open"
    Appeal.objects.update(status="upheld")
    assert badge(client, notice) == "Closed"


def test_a_counter_notice_is_named_while_it_is_checked_and_while_its_restore_waits(
        client, filed_counter_notice, checker):
    case = filed_counter_notice.decision.item.notice
    assert case.status == "closed"
    assert badge(client, case) == "Closed — counter-notice under review"
    counter_notices.accept_counter_notice(filed_counter_notice, checker, timezone.now())
    assert badge(client, case) == "Closed — counter-notice accepted, restore pending"


def test_an_appeal_and_a_counter_notice_are_both_named(filed_counter_notice, bright):
    case = filed_counter_notice.decision.item.notice
    appeals.file_appeal(decision=filed_counter_notice.decision, appellant="seller", text="My own design.",
                        now=FILED_AT)
    assert status_badge(case) == "Closed — appeal open, counter-notice under review"
