"""Counter-notices (DMCA 512(g)): filing, the completeness check, the restore window in business
days, the lawsuit stop, and the restore through enforcement."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from takedowns import legal, tasks, workflow
from takedowns.enums import ClockKind, CounterNoticeStatus, EventKind, ItemState, SellerAccount
from takedowns.models import (
    CounterNotice,
    CounterNoticeFiling,
    Decision,
    Event,
    Listing,
    OutboundEmail,
    Penalty,
    SlaClock,
    Strike,
)
from takedowns.workflow import clocks, counter_notices, enforcement
from tests.commands import PRODUCTION, run_manage
from tests.factories import (
    ACCEPTED_AT,
    COUNTER_NOTICE_FIELDS,
    FILED_AT,
    LATEST_RESTORE_AT,
    REJECT,
    REMOVED_AT,
    RESTORE_DUE_AT,
    decided,
    decision_of,
    taken_down,
)

pytestmark = pytest.mark.django_db


E_3_DECEMBER = "the end of Wednesday 3 December 2025, New York time"


def cn_emails(**filters):
    return list(OutboundEmail.objects.filter(kind__startswith="counter_notice_", **filters).order_by("id"))


# --- Filing. ---

def test_the_seller_files_a_counter_notice_and_gets_a_receipt(bright_removal):
    counter_notice = counter_notices.file_counter_notice(bright_removal, COUNTER_NOTICE_FIELDS, FILED_AT)

    row = CounterNotice.objects.get()
    assert row.pk == counter_notice.pk
    assert (row.decision_id, row.status, row.filed_at, row.full_name, row.signature, row.address, row.phone,
            row.email, row.statement_mistake, row.consent_jurisdiction) == (
        bright_removal.pk, CounterNoticeStatus.FILED, FILED_AT, "Li Wei", "li  wei", COUNTER_NOTICE_FIELDS["address"],
        COUNTER_NOTICE_FIELDS["phone"], COUNTER_NOTICE_FIELDS["email"], True, True)
    assert (row.checked_by, row.checked_at, row.restore_due_at, row.restored_at) == (None, None, None, None)
    event = bright_removal.item.events.get(kind=EventKind.COUNTER_NOTICE_FILED)
    assert (event.notice_id, event.actor_kind, event.from_status, event.to_status, event.created_at) == (
        bright_removal.item.notice_id, "seller", "", "filed", FILED_AT)
    assert event.details == {"counter_notice": row.pk, "decision": bright_removal.pk, "listing": "L-100003",
                             "refiled": False}
    [receipt] = cn_emails()
    assert (receipt.kind, receipt.to, receipt.notice_id) == ("counter_notice_filed", "li.wei@bright.example", None)
    assert receipt.subject == "Counter-notice received: listing L-100003"
    for text in ("Hello Li Wei,", "we received your counter-notice against the removal of listing L-100003",
                 "DMCA 512(g)(3)", "12 Harbour Road",
                 "We restore the listing at the end of the 10th US business day after the day the counter-notice is "
                 "filed (not the day of the check), unless",
                 "[x] I swear, under penalty of perjury", "Signature: /li  wei/",
                 f"https://portal.test/statement/{bright_removal.pk}/{bright_removal.seller_token}/"):
        assert text in receipt.body_text
    for text in ("Hello Li Wei,", "L-100003", "12 Harbour Road<br>Shenzhen", "penalty of perjury",
                 f"https://portal.test/statement/{bright_removal.pk}/{bright_removal.seller_token}/"):
        assert text in receipt.body_html


@pytest.mark.parametrize("change, message", [
    ({"full_name": "  "}, "The counter-notice is missing: full name."),
    ({"address": "", "phone": ""}, "The counter-notice is missing: address, telephone number."),
    ({"material": "", "explanation": "", "signature": ""},
     "The counter-notice is missing: the removed listing and where it appeared, why the removal was a mistake, "
     "signature."),
    ({"statement_mistake": False}, "A counter-notice needs both sworn statements: the removal was a mistake or "
                                   "misidentification, and the consent to jurisdiction and to accept service."),
    ({"consent_jurisdiction": "on"}, "A counter-notice needs both sworn statements: the removal was a mistake or "
                                     "misidentification, and the consent to jurisdiction and to accept service."),
    ({"signature": "L. Wei"}, "The signature must be your full name, typed again exactly as above."),
])
def test_a_counter_notice_without_every_element_is_refused(bright_removal, change, message):
    with pytest.raises(workflow.TransitionNotAllowed) as refused:
        counter_notices.file_counter_notice(bright_removal, {**COUNTER_NOTICE_FIELDS, **change}, FILED_AT)
    assert str(refused.value) == message
    assert not CounterNotice.objects.exists() and not cn_emails()


def test_a_rejection_cannot_be_counter_noticed(now, catalogue, reviewers):
    rejection = decision_of(decided(now, {"L-100001": REJECT}, reviewers["tm"]))
    with pytest.raises(workflow.TransitionNotAllowed) as refused:
        counter_notices.file_counter_notice(rejection, COUNTER_NOTICE_FIELDS, now)
    assert str(refused.value) == "A counter-notice answers a removal; this decision removed nothing."


def test_a_restored_or_reversed_removal_cannot_be_counter_noticed(bright_removal):
    enforcement.order_restore(bright_removal, workflow.SYSTEM, FILED_AT, "appeal upheld", [])
    with pytest.raises(workflow.TransitionNotAllowed) as refused:
        counter_notices.file_counter_notice(bright_removal, COUNTER_NOTICE_FIELDS, FILED_AT)
    assert str(refused.value) == "Listing L-100003 has been restored already; there is nothing left to counter."
    Decision.objects.filter(pk=bright_removal.pk).update(reversed_at=FILED_AT)
    with pytest.raises(workflow.TransitionNotAllowed) as refused:
        counter_notices.file_counter_notice(bright_removal, COUNTER_NOTICE_FIELDS, FILED_AT)
    assert str(refused.value) == ("The removal of listing L-100003 was set aside on appeal; there is nothing left "
                                  "to counter.")
    assert not CounterNotice.objects.exists()


def test_one_counter_notice_per_removal(filed_counter_notice, checker):
    with pytest.raises(workflow.TransitionNotAllowed) as refused:
        counter_notices.file_counter_notice(filed_counter_notice.decision, COUNTER_NOTICE_FIELDS,
                                            FILED_AT + timedelta(hours=1))
    assert str(refused.value) == ("You have already filed a counter-notice against this removal (18 November 2025); "
                                  "it is being checked for completeness.")
    counter_notices.accept_counter_notice(filed_counter_notice, checker, ACCEPTED_AT)
    with pytest.raises(workflow.TransitionNotAllowed) as refused:
        counter_notices.file_counter_notice(filed_counter_notice.decision, COUNTER_NOTICE_FIELDS, ACCEPTED_AT)
    assert str(refused.value) == ("Your counter-notice against this removal is complete; the listing is due to be "
                                  "restored at the end of Wednesday 3 December 2025, New York time.")
    counter_notices.report_lawsuit(filed_counter_notice.decision.item.notice, filed_counter_notice,
                                   "N.D. Cal. 5:25-cv-01234", ACCEPTED_AT)
    with pytest.raises(workflow.TransitionNotAllowed) as refused:
        counter_notices.file_counter_notice(filed_counter_notice.decision, COUNTER_NOTICE_FIELDS, ACCEPTED_AT)
    assert str(refused.value) == ("The rights holder has reported a lawsuit about this listing; it stays down until "
                                  "the court decides, and no further counter-notice can be filed here.")
    assert CounterNotice.objects.count() == 1


# --- The completeness check. ---

def test_a_reviewer_returns_an_incomplete_counter_notice_with_what_is_missing(filed_counter_notice, checker):
    counter_notices.mark_incomplete(filed_counter_notice, checker, "  The address has no country.  ", ACCEPTED_AT)

    row = CounterNotice.objects.get()
    assert (row.status, row.incomplete_reason, row.checked_by, row.checked_at, row.restore_due_at) == (
        CounterNoticeStatus.INCOMPLETE, "The address has no country.", checker.user, ACCEPTED_AT, None)
    event = row.decision.item.events.get(kind=EventKind.COUNTER_NOTICE_INCOMPLETE)
    assert (event.actor_kind, event.actor_user, event.from_status, event.to_status, event.details["reason"]) == (
        "reviewer", checker.user, "filed", "incomplete", "The address has no country.")
    assert not SlaClock.objects.filter(kind=ClockKind.COUNTER_NOTICE_RESTORE).exists()
    message = cn_emails(kind="counter_notice_incomplete").pop()
    assert (message.to, message.notice_id) == ("li.wei@bright.example", None)
    assert message.subject == "Your counter-notice on listing L-100003 is incomplete"
    seller_url = f"https://portal.test/statement/{row.decision_id}/{row.decision.seller_token}/"
    for body in (message.body_text, message.body_html):
        assert "The address has no country." in body and seller_url in body
        assert "the form there keeps what you wrote" in body


def test_an_incomplete_counter_notice_is_corrected_and_filed_again(filed_counter_notice, checker):
    counter_notices.mark_incomplete(filed_counter_notice, checker, "The address has no country.", ACCEPTED_AT)
    corrected = {**COUNTER_NOTICE_FIELDS, "address": "12 Harbour Road, Shenzhen 518000, China"}
    later = ACCEPTED_AT + timedelta(hours=2)
    again = counter_notices.file_counter_notice(filed_counter_notice.decision, corrected, later)

    row = CounterNotice.objects.get()
    assert again.pk == filed_counter_notice.pk
    assert (row.status, row.filed_at, row.address) == (CounterNoticeStatus.FILED, later, corrected["address"])
    events = list(row.decision.item.events.filter(kind=EventKind.COUNTER_NOTICE_FILED)
                  .values_list("from_status", "to_status", "details__refiled"))
    assert events == [("", "filed", False), ("incomplete", "filed", True)]
    assert [e.kind for e in cn_emails()] == ["counter_notice_filed", "counter_notice_incomplete",
                                             "counter_notice_filed"]


def test_every_filing_is_kept_and_a_refiling_overwrites_none(filed_counter_notice, checker):
    counter_notices.mark_incomplete(filed_counter_notice, checker, "The address has no country.", ACCEPTED_AT)
    later = ACCEPTED_AT + timedelta(hours=2)
    counter_notices.file_counter_notice(filed_counter_notice.decision, COUNTER_NOTICE_FIELDS, later)

    filings = list(CounterNoticeFiling.objects.order_by("filed_at").values_list("counter_notice_id", "filed_at",
                                                                                 "refiling"))
    assert filings == [(filed_counter_notice.pk, FILED_AT, False), (filed_counter_notice.pk, later, True)]
    # The counter-notice keeps the latest filing: the receipt of the one a reviewer will check.
    assert CounterNotice.objects.get().filed_at == later


def test_the_completeness_check_has_its_own_clock_from_each_filing(filed_counter_notice, checker):
    [check] = SlaClock.objects.filter(kind=ClockKind.COUNTER_NOTICE_CHECK)
    # The default policy of migration 0019: two business days (16 working hours, 09:00-17:00 New York,
    # US holidays). Filed Tuesday 18 Nov 2025 07:00 New York: due Wednesday 19 Nov 17:00 New York.
    assert (check.counter_notice_id, check.item_id, check.started_at, check.stopped_at) == (
        filed_counter_notice.pk, filed_counter_notice.decision.item_id, FILED_AT, None)
    assert (check.target, check.due_at) == (timedelta(hours=16), datetime(2025, 11, 19, 22, 0, tzinfo=UTC))
    assert check.calendar["timezone"] == "America/New_York" and check.calendar["country"] == "US"
    # 512(g)(2)(B): the rights holder gets the copy of a complete counter-notice, i.e. at the check, not before.
    assert not cn_emails(kind="counter_notice_copy")

    counter_notices.mark_incomplete(filed_counter_notice, checker, "No country.", ACCEPTED_AT)
    check.refresh_from_db()
    # Elapsed is the clock's own time: Tuesday 09:00-17:00 New York, the one working day between the two
    # 07:00s (New York) of the filing and the check.
    assert (check.stopped_at, check.elapsed, check.cancelled) == (ACCEPTED_AT, timedelta(hours=8), False)
    refiled_at = ACCEPTED_AT + timedelta(hours=1)
    again = counter_notices.file_counter_notice(filed_counter_notice.decision, COUNTER_NOTICE_FIELDS, refiled_at)
    counter_notices.accept_counter_notice(again, checker, refiled_at + timedelta(hours=1))
    checks = list(SlaClock.objects.filter(kind=ClockKind.COUNTER_NOTICE_CHECK).order_by("started_at")
                  .values_list("started_at", "stopped_at"))
    assert checks == [(FILED_AT, ACCEPTED_AT), (refiled_at, refiled_at + timedelta(hours=1))]
    notice = filed_counter_notice.decision.item.notice
    assert list(notice.events.filter(details__clock="counter_notice_check").order_by("id")
                .values_list("kind", flat=True)) == ["clock_started", "clock_stopped", "clock_started",
                                                     "clock_stopped"]


def test_the_check_clock_is_a_default_target_too():
    assert clocks.DEFAULT_TARGETS[ClockKind.COUNTER_NOTICE_CHECK] == timedelta(days=2)


def test_a_friday_evening_counter_notice_is_restored_after_ten_whole_us_business_days(bright_removal, checker):
    # Filed Friday 6 June 2025, 20:30 New York (Saturday 00:30 UTC), checked the next Monday: the days count
    # from the Friday, on New York dates; Juneteenth (Thu 19 June) is no business day. The 10th business
    # day is Monday 23 June; the listing comes back at its end, 00:00 Tuesday 24 June New York.
    received = datetime(2025, 6, 7, 0, 30, tzinfo=UTC)
    checked = datetime(2025, 6, 9, 14, 0, tzinfo=UTC)
    filed = counter_notices.file_counter_notice(bright_removal, COUNTER_NOTICE_FIELDS, received)
    counter_notices.accept_counter_notice(filed, checker, checked)
    row = CounterNotice.objects.get()
    restore = datetime(2025, 6, 24, 4, 0, tzinfo=UTC)
    assert (row.filed_at, row.checked_at, row.restore_due_at) == (received, checked, restore)
    clock = SlaClock.objects.get(kind=ClockKind.COUNTER_NOTICE_RESTORE)
    # The restore clock counts from receipt; due at the end of the 14th business day (Friday 27 June).
    assert (clock.started_at, clock.due_at) == (received, datetime(2025, 6, 28, 4, 0, tzinfo=UTC))
    accepted = row.decision.item.events.get(kind=EventKind.COUNTER_NOTICE_ACCEPTED)
    assert (accepted.details["received_at"], accepted.details["restore_due_at"]) == (
        "2025-06-07T00:30:00+00:00", "2025-06-24T04:00:00+00:00")
    assert counter_notices.restore_due(restore - timedelta(seconds=1)) == 0
    assert counter_notices.restore_due(restore) == 1
    assert CounterNotice.objects.get().status == CounterNoticeStatus.RESTORED


# Received Monday 2 June 2025, 10:00 New York. Its business days after: 9th Fri 13 June, 10th Mon 16 June,
# 11th Tue 17 June, 14th Mon 23 June (Juneteenth, Thu 19, skipped), 15th Tue 24 June.
LATE_RECEIVED = datetime(2025, 6, 2, 14, 0, tzinfo=UTC)
END_OF_14TH = datetime(2025, 6, 24, 4, 0, tzinfo=UTC)
TENTH_DAY_RULE = ("This is the end of the 10th US business day after the day we received the counter-notice, as "
                  "17 U.S.C. 512(g)(2)(C) provides.")
FOURTEENTH_DAY_RULE = ("Our completeness check came after the 10th US business day following the day we received "
                       "the counter-notice had ended, so we restore at the end of the 14th US business day after it: "
                       "the latest 17 U.S.C. 512(g)(2)(C) allows, which leaves the most time the law permits to "
                       "report a lawsuit.")
WINDOW_MISSED = ("Our completeness check came after the 14th US business day following the day we received the "
                 "counter-notice had ended: the window of 17 U.S.C. 512(g)(2)(C) has passed, so the listing is "
                 "restored promptly, at the check.")


@pytest.mark.parametrize("checked, restore, rule, restore_at, reason", [
    # On the 9th business day: the end of the 10th, the rule.
    (datetime(2025, 6, 13, 19, 0, tzinfo=UTC), datetime(2025, 6, 17, 4, 0, tzinfo=UTC), "planned",
     "the end of Monday 16 June 2025, New York time", TENTH_DAY_RULE),
    # On the 11th: the 10th has ended; the end of the 14th, so the rights holder still has days.
    (datetime(2025, 6, 17, 15, 0, tzinfo=UTC), END_OF_14TH, "latest",
     "the end of Monday 23 June 2025, New York time", FOURTEENTH_DAY_RULE),
    # On the 15th: the window is missed; restored at the check.
    (datetime(2025, 6, 24, 15, 0, tzinfo=UTC), datetime(2025, 6, 24, 15, 0, tzinfo=UTC), "missed",
     "11:00 New York time on Tuesday 24 June 2025", WINDOW_MISSED),
])
def test_a_late_check_restores_at_the_end_of_the_14th_business_day_or_at_once_once_it_is_missed(
        bright_removal, checker, lead, checked, restore, rule, restore_at, reason):
    filed = counter_notices.file_counter_notice(bright_removal, COUNTER_NOTICE_FIELDS, LATE_RECEIVED)
    counter_notices.accept_counter_notice(filed, checker, checked)
    row = CounterNotice.objects.get()
    assert (row.status, row.restore_due_at) == (CounterNoticeStatus.WAITING, restore)
    assert SlaClock.objects.get(kind=ClockKind.COUNTER_NOTICE_RESTORE).due_at == max(END_OF_14TH, restore)
    accepted = row.decision.item.events.get(kind=EventKind.COUNTER_NOTICE_ACCEPTED)
    assert accepted.details["restore_rule"] == rule
    assert accepted.details.get("note") == (None if rule == "planned" else reason)

    copy, to_seller, *to_leads = cn_emails(created_at=checked)
    notice = row.decision.item.notice
    assert copy.kind == "counter_notice_copy"
    assert copy.subject == (f"Counter-notice on listing L-100003 (notice {notice.reference}): restore at {restore_at}, "
                            "unless you report a lawsuit")
    expected = f"We will restore the listing at {restore_at}, unless"
    assert expected in copy.body_text and reason in copy.body_text
    assert f"We will restore the listing at <strong>{restore_at}</strong>, unless" in copy.body_html
    assert reason in copy.body_html
    assert "the end of the 10 business days" not in copy.body_text
    assert to_seller.subject == f"Counter-notice complete: listing L-100003 to be restored at {restore_at}"
    assert f"we restore it at {restore_at}." in to_seller.body_text
    assert (reason in to_seller.body_text) == (rule != "planned")
    # Only a missed window is flagged to the leads.
    assert [(mail.kind, mail.to) for mail in to_leads] == (
        [("counter_notice_window_missed_staff", "lead@portal.test")] if rule == "missed" else [])
    if to_leads:
        assert to_leads[0].subject == (f"Restore window missed: counter-notice on listing L-100003 "
                                       f"(notice {notice.reference})")
        assert ("was received on 2 June 2025, 14:00 UTC and found complete only on 24 June 2025, 15:00 UTC, after the "
                "14th US business day following its receipt had ended. The window of 17 U.S.C. 512(g)(2)(C) is "
                "missed: the listing is restored promptly, at 11:00 New York time on Tuesday 24 June 2025") in (
                    to_leads[0].body_text)
    # The copy and the restore never come in the same beat run, unless the window is missed already.
    assert counter_notices.restore_due(checked) == (1 if rule == "missed" else 0)
    assert counter_notices.restore_due(restore) == (0 if rule == "missed" else 1)


def test_returning_needs_a_reason_and_a_counter_notice_waiting_for_its_check(filed_counter_notice, checker):
    with pytest.raises(workflow.TransitionNotAllowed) as refused:
        counter_notices.mark_incomplete(filed_counter_notice, checker, "   ", ACCEPTED_AT)
    assert str(refused.value) == "Say what is missing, so that the seller can correct it."
    counter_notices.accept_counter_notice(filed_counter_notice, checker, ACCEPTED_AT)
    expected = ("The counter-notice on listing L-100003 is 'Complete: the listing is restored at the end of the "
                "window'; only one waiting for its check can be {}.")
    with pytest.raises(workflow.TransitionNotAllowed) as refused:
        counter_notices.mark_incomplete(filed_counter_notice, checker, "No country.", ACCEPTED_AT)
    assert str(refused.value) == expected.format("returned as incomplete")
    with pytest.raises(workflow.TransitionNotAllowed) as refused:
        counter_notices.accept_counter_notice(filed_counter_notice, checker, ACCEPTED_AT)
    assert str(refused.value) == expected.format("found complete")
    assert CounterNotice.objects.get().status == CounterNoticeStatus.WAITING


def test_a_complete_counter_notice_starts_the_window_and_goes_to_the_rights_holder(filed_counter_notice, checker):
    counter_notices.accept_counter_notice(filed_counter_notice, checker, ACCEPTED_AT)

    row = CounterNotice.objects.get()
    assert (row.status, row.checked_by, row.checked_at, row.restore_due_at) == (
        CounterNoticeStatus.WAITING, checker.user, ACCEPTED_AT, RESTORE_DUE_AT)
    notice = row.decision.item.notice
    accepted = notice.events.get(kind=EventKind.COUNTER_NOTICE_ACCEPTED)
    assert (accepted.actor_user, accepted.from_status, accepted.to_status, accepted.item_id) == (
        checker.user, "filed", "waiting", row.decision.item_id)
    assert accepted.details["restore_due_at"] == "2025-12-04T05:00:00+00:00"
    clock = SlaClock.objects.get(kind=ClockKind.COUNTER_NOTICE_RESTORE)
    assert (clock.counter_notice_id, clock.item_id, clock.started_at, clock.due_at, clock.stopped_at) == (
        row.pk, row.decision.item_id, FILED_AT, LATEST_RESTORE_AT, None)
    assert notice.events.filter(kind=EventKind.CLOCK_STARTED, details__clock="counter_notice_restore").count() == 1

    copy, to_seller = cn_emails(created_at=ACCEPTED_AT)
    assert (copy.kind, copy.to, copy.notice_id) == ("counter_notice_copy", "anna@aerostride.example", notice.pk)
    assert copy.subject == (f"Counter-notice on listing L-100003 (notice {notice.reference}): restore at "
                            "the end of Wednesday 3 December 2025, New York time, unless you report a lawsuit")
    for text in ("Hello Anna Berger,", "17 U.S.C. 512(g)", "512(g)(2)(B)", "Name: Li Wei",
                 "Address: 12 Harbour Road\nShenzhen 518000\nChina", "Telephone: +86 755 1234 5678",
                 "E-mail: li.wei@bright.example", "[x] I swear, under penalty of perjury",
                 "[x] I consent to the jurisdiction of the Federal District Court",
                 "We will restore the listing at the end of Wednesday 3 December 2025, New York time, unless",
                 "We received it on 18 November 2025, 12:00 UTC; a reviewer found it complete on 19 November 2025, "
                 "12:00 UTC.",
                 "This is the end of the 10th US business day after the day we received the counter-notice, as "
                 "17 U.S.C. 512(g)(2)(C) provides.",
                 f"https://portal.test{notice.tracking_path()}"):
        assert text in copy.body_text
    assert "statement/" not in copy.body_text + copy.body_html  # never the seller's private link
    for text in ("Li Wei", "+86 755 1234 5678", "li.wei@bright.example", E_3_DECEMBER,
                 "penalty of perjury", f"https://portal.test{notice.tracking_path()}"):
        assert text in copy.body_html
    assert (to_seller.kind, to_seller.to, to_seller.notice_id) == (
        "counter_notice_accepted", "li.wei@bright.example", None)
    assert to_seller.subject == ("Counter-notice complete: listing L-100003 to be restored at the end of "
                                "Wednesday 3 December 2025, New York time")
    for body in (to_seller.body_text, to_seller.body_html):
        assert E_3_DECEMBER in body and "We will e-mail you either way." in body
        assert "UTC" not in body.split("we restore it")[1]  # the restore date in New York time only


NY_ZONE = ZoneInfo("America/New_York")


def ny(*args) -> datetime:
    return datetime(*args, tzinfo=NY_ZONE)


# Each case: receipt (the filing), the planned restore = end of the 10th US business day after the day of
# receipt in New York, and the law's latest = end of the 14th. DMCA 512(g)(2)(C).
@pytest.mark.parametrize("received, restore, latest", [
    # Friday evening in New York (already Saturday 00:30 in UTC): the day of receipt is the Friday, so the
    # 10th business day is Monday 23 June (Juneteenth, Thu 19, skipped), whose end is 00:00 Tuesday.
    (ny(2025, 6, 6, 20, 30), ny(2025, 6, 24, 0, 0), ny(2025, 6, 28, 0, 0)),
    # Just before midnight New York (04:59 UTC next day): Monday counts as the day of receipt.
    (ny(2025, 6, 2, 23, 59, 59), ny(2025, 6, 17, 0, 0), ny(2025, 6, 24, 0, 0)),
    # Just after midnight New York: Tuesday is the day of receipt, one business day later.
    (ny(2025, 6, 3, 0, 0, 1), ny(2025, 6, 18, 0, 0), ny(2025, 6, 25, 0, 0)),
    # Juneteenth (Thu 19 Jun 2025) and 4 July (Friday) are federal holidays.
    (ny(2025, 6, 16, 10, 0), ny(2025, 7, 2, 0, 0), ny(2025, 7, 9, 0, 0)),
    # Thanksgiving (Thu 27 Nov 2025).
    (ny(2025, 11, 19, 7, 0), ny(2025, 12, 5, 0, 0), ny(2025, 12, 11, 0, 0)),
    # Christmas (Thu) and New Year's Day (Thu).
    (ny(2025, 12, 19, 4, 30), ny(2026, 1, 7, 0, 0), ny(2026, 1, 13, 0, 0)),
    # 4 July 2026 is a Saturday: the holiday is observed on Friday 3 July.
    (ny(2026, 6, 26, 12, 0), ny(2026, 7, 14, 0, 0), ny(2026, 7, 18, 0, 0)),
    # Christmas 2027 is a Saturday, observed Friday 24 Dec; New Year 2028 a Saturday, observed Friday 31 Dec.
    (ny(2027, 12, 17, 12, 0), ny(2028, 1, 5, 0, 0), ny(2028, 1, 11, 0, 0)),
    # A DST change inside the window (Sunday 9 Mar 2025): the restore is at 00:00 New York all the same.
    (ny(2025, 3, 3, 9, 0), ny(2025, 3, 18, 0, 0), ny(2025, 3, 22, 0, 0)),
    # Received on a Saturday: the first business day is the Monday.
    (ny(2025, 3, 8, 10, 0), ny(2025, 3, 22, 0, 0), ny(2025, 3, 28, 0, 0)),
])
def test_the_window_counts_us_business_days_from_receipt_in_new_york(settings, received, restore, latest):
    settings.COUNTER_NOTICE_HOLIDAY_COUNTRY = "US"
    received = received.astimezone(UTC)
    checked = received + timedelta(hours=3)
    assert legal.restore_plan(received, checked).due_at == restore.astimezone(UTC)
    assert legal.latest_restore_at(received, legal.restore_plan(received, checked).due_at) == latest.astimezone(UTC)
    assert legal.restore_plan(received, checked).due_at.tzinfo == UTC


def test_the_window_uses_the_time_zone_setting(settings):
    # Received Monday 2 June 2025 22:00 New York, which is Tuesday 02:00 UTC.
    received = ny(2025, 6, 2, 22, 0).astimezone(UTC)
    assert legal.restore_plan(received, received).due_at == ny(2025, 6, 17, 0, 0).astimezone(UTC)
    settings.COUNTER_NOTICE_TIME_ZONE = "UTC"
    assert legal.restore_plan(received, received).due_at == datetime(2025, 6, 18, 0, 0, tzinfo=UTC)


def test_a_late_check_does_not_move_the_restore_date_before_the_window_opens(settings):
    received = ny(2025, 6, 2, 10, 0).astimezone(UTC)
    planned = ny(2025, 6, 17, 0, 0).astimezone(UTC)
    latest = ny(2025, 6, 24, 0, 0).astimezone(UTC)
    # Checked on the 5th business day: the restore stays on the date counted from receipt.
    assert legal.restore_plan(received, ny(2025, 6, 9, 16, 0).astimezone(UTC)) == legal.RestorePlan(planned, "planned")
    # Checked one second before the window would open: same date.
    assert legal.restore_plan(received, planned - timedelta(seconds=1)) == legal.RestorePlan(planned, "planned")
    # Checked as the 10th ends, or on the 12th business day: the end of the 14th, the law's latest.
    assert legal.restore_plan(received, planned) == legal.RestorePlan(latest, "latest")
    assert legal.restore_plan(received, ny(2025, 6, 18, 11, 0).astimezone(UTC)) == legal.RestorePlan(latest, "latest")
    assert legal.restore_plan(received, latest - timedelta(seconds=1)) == legal.RestorePlan(latest, "latest")
    # Checked as the 14th ends or later: the window is missed; restored at the check.
    assert legal.restore_plan(received, latest) == legal.RestorePlan(latest, "missed")
    late = ny(2025, 6, 25, 9, 0).astimezone(UTC)
    assert legal.restore_plan(received, late) == legal.RestorePlan(late, "missed")
    assert legal.latest_restore_at(received, legal.restore_plan(received, late).due_at) == late


@pytest.mark.parametrize("due, text", [
    (ny(2026, 12, 8, 0, 0), "the end of Monday 7 December 2026, New York time"),
    (ny(2026, 7, 1, 0, 0), "the end of Tuesday 30 June 2026, New York time"),  # in summer time too
    (ny(2026, 12, 8, 14, 5), "14:05 New York time on Tuesday 8 December 2026"),
])
def test_restore_dates_are_written_in_new_york_time_as_the_end_of_the_business_day(due, text):
    assert legal.restore_time_text(due.astimezone(UTC)) == text


def test_the_window_is_configurable_within_the_law(settings):
    settings.COUNTER_NOTICE_RESTORE_BUSINESS_DAYS = 13
    # The 13th business day after Tue 18 Nov 2025 (Thanksgiving skipped) is Monday 8 Dec.
    assert legal.restore_plan(FILED_AT, ACCEPTED_AT).due_at == ny(2025, 12, 9, 0, 0).astimezone(UTC)
    assert legal.latest_restore_at(FILED_AT, legal.restore_plan(FILED_AT, ACCEPTED_AT).due_at) == LATEST_RESTORE_AT


def test_the_demo_override_restores_after_seconds(settings, bright_removal, checker):
    settings.COUNTER_NOTICE_WINDOW_SECONDS = 120
    filed = counter_notices.file_counter_notice(bright_removal, COUNTER_NOTICE_FIELDS, FILED_AT)
    counter_notices.accept_counter_notice(filed, checker, ACCEPTED_AT)
    row = CounterNotice.objects.get()
    assert row.restore_due_at == ACCEPTED_AT + timedelta(seconds=120)
    assert SlaClock.objects.get(kind=ClockKind.COUNTER_NOTICE_RESTORE).due_at == LATEST_RESTORE_AT
    assert ("We restore the listing 120 seconds after the reviewer's check (demo setting), unless"
            in cn_emails(kind="counter_notice_filed")[0].body_text)
    assert "(US business days)" not in cn_emails(kind="counter_notice_copy")[0].body_text
    assert counter_notices.restore_due(ACCEPTED_AT + timedelta(seconds=119)) == 0
    assert counter_notices.restore_due(ACCEPTED_AT + timedelta(seconds=120)) == 1


def test_accepting_is_refused_when_the_listing_came_back_meanwhile(filed_counter_notice, checker):
    enforcement.order_restore(filed_counter_notice.decision, workflow.SYSTEM, ACCEPTED_AT, "appeal upheld", [])
    with pytest.raises(workflow.TransitionNotAllowed) as refused:
        counter_notices.accept_counter_notice(filed_counter_notice, checker, ACCEPTED_AT)
    assert str(refused.value) == "Listing L-100003 has been restored already; there is nothing left to counter."
    assert CounterNotice.objects.get().status == CounterNoticeStatus.FILED


# --- The restore. ---

def test_nothing_is_restored_before_the_window_ends(waiting_counter_notice):
    assert counter_notices.restore_due(RESTORE_DUE_AT - timedelta(seconds=1)) == 0
    row = CounterNotice.objects.get()
    assert (row.status, row.restored_at) == (CounterNoticeStatus.WAITING, None)
    assert row.decision.item.state == ItemState.REMOVED


def test_the_listing_is_restored_once_when_the_window_ends(waiting_counter_notice, bright,
                                                           django_capture_on_commit_callbacks):
    penalty = Penalty.objects.get()
    enforcement.apply_penalty(penalty.pk, REMOVED_AT)
    at = RESTORE_DUE_AT + timedelta(seconds=30)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert counter_notices.restore_due(at) == 1
        assert counter_notices.restore_due(at) == 0  # the beat ran twice at the same time: acts once

    row = CounterNotice.objects.get()
    assert (row.status, row.restored_at) == (CounterNoticeStatus.RESTORED, at)
    item = row.decision.item
    item.refresh_from_db()
    assert item.state == ItemState.RESTORED
    # The restore task ran after commit: the marketplace has the listing back.
    assert Listing.objects.get(external_id="L-100003").status == "active"
    assert Decision.objects.get(pk=row.decision_id).listing_restored_at is not None
    strike = Strike.objects.get()
    assert strike.reversed_at == at
    bright.refresh_from_db()
    assert (bright.strike_count, bright.account) == (0, SellerAccount.ACTIVE)
    assert Penalty.objects.get().lifted_at == at
    clock = SlaClock.objects.get(kind=ClockKind.COUNTER_NOTICE_RESTORE)
    assert (clock.stopped_at, clock.cancelled, clock.elapsed) == (at, False, at - FILED_AT)
    kinds = list(item.notice.events.filter(created_at=at).values_list("kind", "details__clock"))
    assert kinds == [(EventKind.LISTING_RESTORED, None), (EventKind.STRIKE_REVERSED, None),
                     (EventKind.PENALTY_LIFTED, None), (EventKind.CLOCK_STOPPED, "counter_notice_restore")]
    restored = item.notice.events.get(kind=EventKind.LISTING_RESTORED, created_at=at)
    assert (restored.actor_kind, restored.details["why"]) == (
        "system", "Counter-notice (DMCA 512(g)): no lawsuit was reported within the restore window")
    assert item.notice.events.filter(kind=EventKind.CLOCK_STOPPED, details__clock="counter_notice_restore",
                                     details__within_target=True).count() == 1

    sent = {message.to[0]: message for message in mail.outbox if "restored" in message.subject}
    assert sorted(sent) == ["anna@aerostride.example", "li.wei@bright.example"]
    seller, holder = sent["li.wei@bright.example"], sent["anna@aerostride.example"]
    assert seller.subject == "Listing L-100003 is restored after your counter-notice"
    assert holder.subject == f"Listing L-100003 restored after a counter-notice (notice {item.notice.reference})"
    assert ("no lawsuit was reported by the end of Wednesday 3 December 2025, New York time, so we restored listing "
            "L-100003 \"Listing 3\" at 00:00 New York time on Thursday 4 December 2025,") in seller.body
    assert ("we restored listing L-100003 \"Listing 3\" at 00:00 New York time on Thursday 4 December "
            "2025 after the counter-notice of Li Wei") in holder.body
    assert "The strike that came with the removal is withdrawn" in seller.alternatives[0][0]
    assert "after the counter-notice of Li Wei" in holder.body
    assert "after the counter-notice of Li Wei" in holder.alternatives[0][0]
    assert OutboundEmail.objects.get(kind="counter_notice_restored_rights_holder").notice_id == item.notice_id


def test_the_beat_task_restores_what_is_due(waiting_counter_notice, settings):
    assert settings.CELERY_BEAT_SCHEDULE["restore-counter-noticed-listings"] == {
        "task": "takedowns.tasks.restore_counter_noticed_listings", "schedule": 60.0}
    CounterNotice.objects.update(restore_due_at=datetime(2020, 1, 1, tzinfo=UTC))
    assert tasks.restore_counter_noticed_listings() == 1
    assert CounterNotice.objects.get().status == CounterNoticeStatus.RESTORED


def test_a_listing_back_by_another_way_is_not_restored_twice(waiting_counter_notice):
    events = []
    enforcement.order_restore(waiting_counter_notice.decision, workflow.SYSTEM, ACCEPTED_AT, "appeal upheld", events)
    Event.objects.bulk_create(events)
    assert counter_notices.restore_due(RESTORE_DUE_AT) == 1
    row = CounterNotice.objects.get()
    assert row.status == CounterNoticeStatus.RESTORED
    clock = SlaClock.objects.get(kind=ClockKind.COUNTER_NOTICE_RESTORE)
    assert (clock.stopped_at, clock.cancelled) == (RESTORE_DUE_AT, True)
    assert row.decision.item.notice.events.filter(kind=EventKind.LISTING_RESTORED).count() == 1
    assert not OutboundEmail.objects.filter(kind__startswith="counter_notice_restored").exists()


# --- The lawsuit stop. ---

def test_a_reported_lawsuit_stops_the_restore_for_good(waiting_counter_notice, checker, lead):
    notice = waiting_counter_notice.decision.item.notice
    at = ACCEPTED_AT + timedelta(days=5)
    counter_notices.report_lawsuit(notice, waiting_counter_notice,
                                   "  N.D. Cal., case 5:25-cv-01234, filed 24 Nov 2025  ", at)

    row = CounterNotice.objects.get()
    assert (row.status, row.lawsuit_reported_at, row.lawsuit_details, row.restored_at) == (
        CounterNoticeStatus.LAWSUIT, at, "N.D. Cal., case 5:25-cv-01234, filed 24 Nov 2025", None)
    event = notice.events.get(kind=EventKind.LAWSUIT_REPORTED)
    assert (event.actor_kind, event.from_status, event.to_status, event.item_id, event.details["details"]) == (
        "submitter", "waiting", "lawsuit", row.decision.item_id, "N.D. Cal., case 5:25-cv-01234, filed 24 Nov 2025")
    clock = SlaClock.objects.get(kind=ClockKind.COUNTER_NOTICE_RESTORE)
    assert (clock.stopped_at, clock.cancelled) == (at, False)

    for later in (RESTORE_DUE_AT, LATEST_RESTORE_AT + timedelta(days=365)):
        assert counter_notices.restore_due(later) == 0
    item = row.decision.item
    item.refresh_from_db()
    assert item.state == ItemState.REMOVED
    assert Listing.objects.get(external_id="L-100003").status == "removed"
    assert CounterNotice.objects.get().status == CounterNoticeStatus.LAWSUIT

    sent = [(e.kind, e.to, e.notice_id) for e in cn_emails(created_at=at)]
    assert sent == [("counter_notice_lawsuit_received", "anna@aerostride.example", notice.pk),
                    ("counter_notice_lawsuit_seller", "li.wei@bright.example", None),
                    ("counter_notice_lawsuit_staff", "checker@portal.test", None),
                    ("counter_notice_lawsuit_staff", "lead@portal.test", None)]
    received, seller, staff, _ = cn_emails(created_at=at)
    assert received.subject == f"Lawsuit recorded: listing L-100003 stays removed (notice {notice.reference})"
    assert seller.subject == "Listing L-100003 will not be restored: the rights holder reported a lawsuit"
    assert staff.subject == f"Lawsuit reported: counter-notice on listing L-100003 (notice {notice.reference})"
    for message in (received, seller, staff):
        assert "N.D. Cal., case 5:25-cv-01234" in message.body_text
        assert "N.D. Cal., case 5:25-cv-01234" in message.body_html
    assert "512(g)(2)(C)" in seller.body_text and "512(g)(2)(C)" in seller.body_html
    assert f"https://portal.test/review/counter-notices/{row.pk}/" in staff.body_text
    assert "The restore planned at the end of Wednesday 3 December 2025, New York time is cancelled" in staff.body_html


def test_a_lawsuit_needs_details_and_a_waiting_counter_notice(filed_counter_notice, checker):
    notice = filed_counter_notice.decision.item.notice
    with pytest.raises(workflow.TransitionNotAllowed) as refused:
        counter_notices.report_lawsuit(notice, filed_counter_notice, "N.D. Cal. 5:25-cv-01234", ACCEPTED_AT)
    assert str(refused.value) == ("The counter-notice is still being checked for completeness; there is no "
                                  "restore to stop yet.")
    counter_notices.accept_counter_notice(filed_counter_notice, checker, ACCEPTED_AT)
    with pytest.raises(workflow.TransitionNotAllowed) as refused:
        counter_notices.report_lawsuit(notice, filed_counter_notice, " \n ", ACCEPTED_AT)
    assert str(refused.value) == "Name the court and the case number of the action you filed."
    counter_notices.report_lawsuit(notice, filed_counter_notice, "N.D. Cal. 5:25-cv-01234", ACCEPTED_AT)
    with pytest.raises(workflow.TransitionNotAllowed) as refused:
        counter_notices.report_lawsuit(notice, filed_counter_notice, "again", ACCEPTED_AT)
    assert str(refused.value) == "You reported a lawsuit on 19 November 2025, 12:00 UTC already."


def test_a_lawsuit_comes_too_late_after_the_restore(waiting_counter_notice):
    counter_notices.restore_due(RESTORE_DUE_AT)
    with pytest.raises(workflow.TransitionNotAllowed) as refused:
        counter_notices.report_lawsuit(waiting_counter_notice.decision.item.notice, waiting_counter_notice,
                                       "N.D. Cal.", RESTORE_DUE_AT)
    assert str(refused.value) == ("The listing was restored at the end of Wednesday 3 December 2025, New York "
                                  "time; a lawsuit can no longer be reported here.")


def test_a_lawsuit_is_refused_through_another_notice(waiting_counter_notice, reviewers):
    other = taken_down(REMOVED_AT, "L-100004", by=reviewers["tm"]).item.notice
    with pytest.raises(workflow.TransitionNotAllowed) as refused:
        counter_notices.report_lawsuit(other, waiting_counter_notice, "N.D. Cal.", ACCEPTED_AT)
    assert str(refused.value) == "This counter-notice is not about a listing of this notice."
    assert CounterNotice.objects.get().status == CounterNoticeStatus.WAITING


# --- Settings. ---

@pytest.mark.parametrize("env, message", [
    ({"COUNTER_NOTICE_RESTORE_BUSINESS_DAYS": "9"},
     "Configuration error: COUNTER_NOTICE_RESTORE_BUSINESS_DAYS=9 must be between 10 and 13 (DMCA 512(g)(2)(C): "
     "not less than 10 business days, and the restore done before the 14th ends)."),
    ({"COUNTER_NOTICE_RESTORE_BUSINESS_DAYS": "15"},
     "Configuration error: COUNTER_NOTICE_RESTORE_BUSINESS_DAYS=15 must be between 10 and 13 (DMCA 512(g)(2)(C): "
     "not less than 10 business days, and the restore done before the 14th ends)."),
    ({"COUNTER_NOTICE_RESTORE_BUSINESS_DAYS": "14"},
     "Configuration error: COUNTER_NOTICE_RESTORE_BUSINESS_DAYS=14 must be between 10 and 13 (DMCA 512(g)(2)(C): "
     "not less than 10 business days, and the restore done before the 14th ends)."),
    ({"COUNTER_NOTICE_TIME_ZONE": "America/Nowhere"},
     "Configuration error: COUNTER_NOTICE_TIME_ZONE='America/Nowhere' is not an IANA time zone name "
     "(e.g. America/New_York)."),
    ({"COUNTER_NOTICE_HOLIDAY_COUNTRY": "xx"},
     "Configuration error: COUNTER_NOTICE_HOLIDAY_COUNTRY='XX' is not the US: the DMCA 512(g) restore window counts "
     "US business days; use US, or US-<state> for a state's holidays too (e.g. US-NY)."),
])
def test_a_counter_notice_window_outside_the_law_stops_the_start(env, message):
    result = run_manage({"DEBUG": "true", **env}, "check")
    assert (result.returncode, result.stderr.strip()) == (1, message)


def test_the_demo_window_is_refused_in_production():
    result = run_manage({**PRODUCTION, "COUNTER_NOTICE_WINDOW_SECONDS": "120"}, "check")
    assert (result.returncode, result.stderr.strip()) == (
        1, "Configuration error: COUNTER_NOTICE_WINDOW_SECONDS shortens the legal restore window; it is for demos "
           "only (DEBUG=true).")
