"""Fix and resubmit (workflow/resubmissions.py, resubmission_rules.py): a listing rejected for a fixable
reason goes back to review on the same case, with the submitter's text and files, keeping the notice's
decision clock; once per listing, within RESUBMISSION_DAYS, never for a removal, an unfixable reason or
an appealed rejection."""

import importlib
from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps as django_apps
from django.utils.formats import date_format

from takedowns import resubmission_rules, workflow
from takedowns.enums import ClockKind, EventKind, ItemState, NoticeStatus
from takedowns.models import (
    Decision,
    Event,
    Evidence,
    Notice,
    OutboundEmail,
    ReasonCode,
    Resubmission,
    Reviewer,
    SlaClock,
    Submitter,
)
from takedowns.selectors.notices import tracking_page
from takedowns.workflow import appeals, resubmissions
from takedowns.workflow.retention import apply_retention
from tests.factories import PDF_BYTES, REJECT, REMOVE, decide, routed, suspended, upload

pytestmark = pytest.mark.django_db

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # filed, confirmed and routed; the decision clock is due T + 24 h
DECIDED = T + timedelta(hours=2)
FIX = "Attached: test-buy report of 20 Feb 2026 (order 4471) with photos of the fake serial label."


@pytest.fixture
def notice(catalogue, reviewers):
    """L-100001 rejected as "Not enough evidence" and L-100002 removed, by tm, at DECIDED: the notice closed."""
    notice = routed(T, [("L-100001", "counterfeit"), ("L-100002", "counterfeit")])
    decide(notice, DECIDED, {"L-100001": REJECT, "L-100002": REMOVE}, code="insufficient-evidence")
    notice.refresh_from_db()
    assert (notice.status, notice.assigned_to) == (NoticeStatus.CLOSED, reviewers["tm"])
    OutboundEmail.objects.all().delete()
    return notice


def a_test_buy() -> list[tuple]:
    """The file a fix of "Not enough evidence" needs (resubmission_rules.FILE_NEEDED)."""
    return [(upload("test-buy.pdf", PDF_BYTES), "application/pdf")]


def rejection(notice: Notice, position: int = 1) -> Decision:
    return Decision.objects.select_related("item").get(item__notice=notice, item__position=position,
                                                       reversed_at=None, superseded_at=None)


def test_the_decision_e_mail_offers_the_fix_for_a_fixable_rejection_only(catalogue, reviewers):
    notice = routed(T, [("L-100001", "counterfeit"), ("L-100002", "counterfeit")])
    decide(notice, DECIDED, {"L-100001": REJECT}, code="insufficient-evidence")
    decide(notice, DECIDED, {"L-100002": REJECT}, code="genuine-goods")
    fixable, unfixable = OutboundEmail.objects.filter(kind="items_decided").order_by("id")
    assert fixable.to == unfixable.to == "anna@aerostride.example"
    offer = ("   Fix and resubmit it on your tracking page until 1 April 2026, 11:00 UTC: the same notice, the same "
             "deadline.\n")
    assert offer in fixable.body_text and "Use “Fix and resubmit” on your tracking page" in fixable.body_text
    assert "Fix and resubmit" not in unfixable.body_text


def test_a_fixed_listing_goes_back_to_its_reviewer_on_the_same_case_with_the_text_and_files(notice, reviewers):
    rejected = rejection(notice)
    now = T + timedelta(days=3)
    fix = resubmissions.resubmit_listing(notice, rejected, f"  {FIX}\n", now,
                                         files=[(upload("test-buy.pdf", PDF_BYTES), "application/pdf")])

    assert (fix.notice, fix.item, fix.decision, fix.text, fix.filed_at, fix.reviewer) == (
        notice, rejected.item, rejected, FIX, now, reviewers["tm"])
    stored, = Evidence.objects.filter(resubmission=fix)
    assert (stored.notice, stored.original_name, stored.kind, stored.content_type, stored.info_request) == (
        notice, "test-buy.pdf", "other", "application/pdf", None)
    rejected.refresh_from_db()
    assert (rejected.superseded_at, rejected.reversed_at) == (now, None)  # not a reversal on appeal
    notice.refresh_from_db()
    assert (notice.status, notice.assigned_to, notice.closed_at) == (NoticeStatus.IN_REVIEW, reviewers["tm"], None)
    assert dict(notice.items.values_list("position", "state")) == {1: ItemState.IN_REVIEW, 2: ItemState.REMOVED}
    assert Reviewer.objects.get(pk=reviewers["tm"].pk).open_load == 1
    assert Submitter.objects.get(pk=notice.submitter_id).rejected_items == 0

    events = list(Event.objects.filter(notice=notice, created_at=now).exclude(kind__startswith="clock_")
                  .order_by("id").values_list("kind", "item__position", "from_status", "to_status", "actor_kind",
                                              "details"))
    assert events == [
        (EventKind.RESUBMITTED, 1, ItemState.REJECTED, ItemState.IN_REVIEW, "submitter",
         {"resubmission": fix.pk, "decision": rejected.pk, "reason_code": "insufficient-evidence", "files": 1,
          "reviewer": "tm"}),
        (EventKind.REOPENED, None, NoticeStatus.CLOSED, NoticeStatus.IN_REVIEW, "submitter",
         {"resubmission": fix.pk}),
    ]

    mails = {mail.to: mail for mail in OutboundEmail.objects.all()}
    assert sorted(mails) == ["anna@aerostride.example", "tm@portal.test"]
    to_submitter, to_reviewer = mails["anna@aerostride.example"], mails["tm@portal.test"]
    assert (to_submitter.notice, to_submitter.kind, to_submitter.subject) == (
        notice, "resubmission_received", f"{notice.reference}: your fix of listing 1 is back with a reviewer")
    assert (f"we received your fix of listing 1 (L-100001) on notice {notice.reference}, 5 March 2026, 09:00 UTC. "
            "It was rejected on 2 March 2026 (Not enough evidence); that rejection is set aside and a reviewer "
            "decides the listing again on this case.") in to_submitter.body_text
    assert f"What you sent:\n{FIX}\n\nFiles: test-buy.pdf." in to_submitter.body_text
    assert "the days we waited for your fix do not count against it" in to_submitter.body_text
    assert notice.tracking_path() in to_submitter.body_text
    assert (to_reviewer.notice, to_reviewer.kind, to_reviewer.subject) == (
        None, "resubmission_to_review", f"{notice.reference}: listing 1 fixed and resubmitted")
    assert ("fixed and resubmitted listing 1 (L-100001), rejected on 2 March 2026, 11:00 UTC as "
            '"Not enough evidence".') in to_reviewer.body_text
    assert f"What they sent:\n{FIX}\n\nFiles sent with it: test-buy.pdf." in to_reviewer.body_text


def test_the_decision_clock_keeps_the_time_it_had_left_when_the_case_closed(notice):
    original = SlaClock.objects.get(notice=notice, kind=ClockKind.TAKEDOWN_DECISION)
    assert (original.started_at, original.due_at, original.stopped_at) == (T, T + timedelta(hours=24), DECIDED)
    now = T + timedelta(days=3)
    resubmissions.resubmit_listing(notice, rejection(notice), FIX, now, files=a_test_buy())

    # 22 hours were left at the rejection; the three days of waiting for the fix do not count.
    fresh = SlaClock.objects.get(notice=notice, kind=ClockKind.TAKEDOWN_DECISION, stopped_at=None)
    assert (fresh.started_at, fresh.due_at, fresh.target) == (now, now + timedelta(hours=22), timedelta(hours=22))
    assert Notice.objects.get(pk=notice.pk).due_at == now + timedelta(hours=22)
    original.refresh_from_db()
    assert (original.stopped_at, original.due_at) == (DECIDED, T + timedelta(hours=24))  # its record stands


def test_the_reviewer_decides_the_fixed_listing_afresh_and_the_rejection_stays_on_record(notice, reviewers):
    rejected = rejection(notice)
    resubmissions.resubmit_listing(notice, rejected, FIX, T + timedelta(days=3), files=a_test_buy())
    decided, = decide(Notice.objects.get(pk=notice.pk), T + timedelta(days=3, hours=1), {"L-100001": REMOVE})
    assert rejection(notice) == decided and decided.outcome == REMOVE
    assert list(Decision.objects.filter(item=rejected.item).order_by("id").values_list("outcome", "superseded_at")) == [
        (REJECT, T + timedelta(days=3)), (REMOVE, None)]
    assert Notice.objects.get(pk=notice.pk).status == NoticeStatus.CLOSED


def test_a_notice_still_open_keeps_its_reviewer_and_its_running_clock(catalogue, reviewers):
    notice = routed(T, [("L-100001", "counterfeit"), ("L-100002", "counterfeit")])
    decide(notice, DECIDED, {"L-100001": REJECT}, code="authorisation-missing")
    clock = SlaClock.objects.get(notice=notice, kind=ClockKind.TAKEDOWN_DECISION)
    resubmissions.resubmit_listing(notice, rejection(notice), FIX, T + timedelta(hours=5), files=a_test_buy())
    notice.refresh_from_db()
    assert (notice.status, notice.assigned_to) == (NoticeStatus.IN_REVIEW, reviewers["tm"])
    assert list(SlaClock.objects.filter(notice=notice, kind=ClockKind.TAKEDOWN_DECISION)) == [clock]
    assert SlaClock.objects.get(pk=clock.pk).stopped_at is None
    assert not Event.objects.filter(notice=notice, kind=EventKind.REOPENED).exists()
    assert Reviewer.objects.get(pk=reviewers["tm"].pk).open_load == 1


def test_a_deciding_reviewer_who_left_sends_the_fix_to_the_queue(notice, reviewers):
    Reviewer.objects.filter(pk=reviewers["tm"].pk).update(is_active=False)
    fix = resubmissions.resubmit_listing(notice, rejection(notice), FIX, T + timedelta(days=1), files=a_test_buy())
    notice.refresh_from_db()
    assert (fix.reviewer, notice.status, notice.assigned_to) == (None, NoticeStatus.IN_REVIEW, None)
    assert list(OutboundEmail.objects.values_list("to", "kind")) == [("anna@aerostride.example",
                                                                     "resubmission_received")]


def test_a_notice_waiting_for_the_submitter_is_back_in_review_and_its_paused_clock_resumes(catalogue, reviewers):
    notice = routed(T, [("L-100001", "counterfeit"), ("L-100002", "counterfeit")])
    decide(notice, DECIDED, {"L-100001": REJECT}, code="insufficient-evidence")
    workflow.request_information(notice, reviewers["tm"], [notice.items.get(position=2).pk], "Which model?", DECIDED)
    clock = SlaClock.objects.get(notice=notice, kind=ClockKind.TAKEDOWN_DECISION)
    assert (Notice.objects.get(pk=notice.pk).status, clock.paused_at) == (NoticeStatus.AWAITING_SUBMITTER, DECIDED)
    now = DECIDED + timedelta(hours=10)
    resubmissions.resubmit_listing(notice, rejection(notice), FIX, now, files=a_test_buy())
    clock.refresh_from_db()
    assert (clock.paused_at, clock.stopped_at, clock.due_at) == (None, None, T + timedelta(hours=34))
    assert Notice.objects.get(pk=notice.pk).status == NoticeStatus.IN_REVIEW
    assert list(Event.objects.filter(notice=notice, created_at=now).order_by("id").values_list("kind", flat=True)) == [
        EventKind.RESUBMITTED, EventKind.BACK_IN_REVIEW, EventKind.CLOCK_RESUMED]


def test_a_decider_no_longer_designated_for_a_high_risk_notice_sends_the_fix_to_the_queue(notice, reviewers):
    Notice.objects.filter(pk=notice.pk).update(risk_band="high")
    fix = resubmissions.resubmit_listing(Notice.objects.get(pk=notice.pk), rejection(notice), FIX,
                                         T + timedelta(days=1), files=a_test_buy())
    assert (fix.reviewer, Notice.objects.get(pk=notice.pk).assigned_to) == (None, None)


def refused(notice: Notice, decision: Decision, now: datetime, message: str, files: list | None = None) -> None:
    """The resubmission (with a test-buy report unless `files` says otherwise) is refused with `message`,
    and nothing is written."""
    def written() -> tuple[int, ...]:
        return (Event.objects.count(), OutboundEmail.objects.count(), SlaClock.objects.count(),
                Resubmission.objects.count(), Evidence.objects.count())

    before = written()
    with pytest.raises(workflow.TransitionNotAllowed) as refusal:
        resubmissions.resubmit_listing(notice, decision, FIX, now, files=a_test_buy() if files is None else files)
    assert str(refusal.value) == message
    assert written() == before
    assert Decision.objects.get(pk=decision.pk).superseded_at is None


def test_a_removed_listing_cannot_be_resubmitted(notice):
    refused(notice, rejection(notice, 2), T + timedelta(days=1),
            "Listing 2 is “Removed”: only a rejected listing can be resubmitted.")
    assert not Resubmission.objects.exists()


def test_an_unfixable_rejection_is_for_an_appeal(notice):
    Decision.objects.filter(pk=rejection(notice).pk).update(reason_code=ReasonCode.objects.get(code="genuine-goods"))
    refused(notice, rejection(notice), T + timedelta(days=1),
            "Listing 1 was rejected for a reason more evidence does not change; if you think the rejection is "
            "wrong, appeal it.")


def test_a_listing_is_fixed_once(notice):
    resubmissions.resubmit_listing(notice, rejection(notice), FIX, T + timedelta(days=1), files=a_test_buy())
    decide(Notice.objects.get(pk=notice.pk), T + timedelta(days=1, hours=1), {"L-100001": REJECT},
           code="insufficient-evidence")
    refused(notice, rejection(notice), T + timedelta(days=2),
            "Listing 1 was already fixed and resubmitted once; if you think this rejection is wrong, appeal it.")
    assert Resubmission.objects.count() == 1
    # The second rejection's e-mail offers no second fix: it says why, and points to the appeal.
    second, = OutboundEmail.objects.filter(kind="items_decided")
    assert second.to == "anna@aerostride.example"
    assert ("   What you can do: Listing 1 was already fixed and resubmitted once; if you think this rejection is "
            "wrong, appeal it.\n") in second.body_text
    assert "Fix and resubmit" not in second.body_text and "Fix and resubmit" not in second.body_html
    assert "Listing 1 was already fixed and resubmitted once" in second.body_html


def test_a_notifier_whose_notice_handling_is_suspended_cannot_resubmit(notice, lead):
    # DSA Art. 23(2): a suspended notifier's new notices are refused; a fix would put a listing back in review.
    suspension = suspended(T + timedelta(days=1), lead)
    assert (suspension.level, suspension.notifier) == ("suspension", "anna@aerostride.example")
    message = ("The handling of notices from anna@aerostride.example is suspended until "
               f"{date_format(suspension.ends_at, 'DATETIME_FORMAT')} UTC, because too many of them were manifestly "
               "unfounded (DSA Art. 23(2)): no listing can be fixed and resubmitted while it lasts. The measure, and "
               "how to appeal it, are on the notice's tracking page.")
    refused(notice, rejection(notice), T + timedelta(days=2), message)
    assert not Resubmission.objects.exists()
    # The tracking page says so in place of the form.
    offer, = tracking_page(Notice.objects.get(pk=notice.pk), T + timedelta(days=2)).fixes
    assert (offer.decision, offer.refusal) == (rejection(notice), message)


def test_the_window_ends_thirty_days_after_the_rejection(notice):
    deadline = DECIDED + timedelta(days=resubmission_rules.RESUBMISSION_DAYS)
    refused(notice, rejection(notice), deadline + timedelta(seconds=1),
            "A listing can be fixed and resubmitted within 30 days of its rejection; that time is over. File a "
            "new notice with the evidence.")
    fix = resubmissions.resubmit_listing(notice, rejection(notice), FIX, deadline, files=a_test_buy())
    assert fix.filed_at == deadline


def test_an_appealed_rejection_is_left_to_the_appeal(notice):
    appeals.file_appeal(decision=rejection(notice), appellant="submitter", text="The seller's photos are ours.",
                        now=T + timedelta(days=1))
    refused(notice, rejection(notice), T + timedelta(days=2),
            "You appealed the rejection of listing 1; the appeal decides it.")


def test_a_resubmitted_rejection_can_no_longer_be_appealed(notice):
    rejected = rejection(notice)
    resubmissions.resubmit_listing(notice, rejected, FIX, T + timedelta(days=1), files=a_test_buy())
    with pytest.raises(workflow.TransitionNotAllowed, match="You fixed and resubmitted this listing on"):
        appeals.file_appeal(decision=rejected, appellant="submitter", text="Wrong.", now=T + timedelta(days=2))


def test_retention_blanks_the_text_of_a_fix_with_the_rest_of_the_case(notice):
    fix = resubmissions.resubmit_listing(notice, rejection(notice), FIX, T + timedelta(days=1),
                                         files=[(upload("test-buy.pdf", PDF_BYTES), "application/pdf")])
    decide(Notice.objects.get(pk=notice.pk), T + timedelta(days=2), {"L-100001": REMOVE})
    assert apply_retention(T.replace(year=T.year + 7))["cases_anonymised"] == 1
    fix.refresh_from_db()
    assert (fix.text, fix.filed_at) == ("", T + timedelta(days=1))
    assert not Evidence.objects.filter(resubmission=fix).exists()


def test_an_empty_text_is_refused(notice):
    with pytest.raises(workflow.TransitionNotAllowed, match="Say what you fixed or what the new files show."):
        resubmissions.resubmit_listing(notice, rejection(notice), "   ", T + timedelta(days=1))
    assert not Resubmission.objects.exists()


def test_the_fixable_reasons_are_missing_evidence_a_missing_authorisation_and_where_the_right_is_used(db):
    fixable = dict(ReasonCode.objects.filter(fixable=True).values_list("code", "submitter_text"))
    assert sorted(fixable) == ["authorisation-missing", "insufficient-evidence", "no-use-of-right"]
    assert all("Use “Fix and resubmit” on your tracking page" in text for text in fixable.values())
    assert set(ReasonCode.objects.filter(fixable=False).values_list("code", flat=True)) == {
        "genuine-goods", "registration-mismatch"}


def test_the_default_text_promises_a_reviewer_not_the_same_one_and_a_leads_text_is_kept(db):
    # A fix goes to the reviewer who rejected the listing only when they can still take it (_reviewer_for).
    text = ReasonCode.objects.get(code="insufficient-evidence").submitter_text
    assert text.endswith("or the registration certificate; a reviewer decides it again.")
    assert "same reviewer" not in text
    migration = importlib.import_module("takedowns.migrations.0025_appeal_and_grounds_fixes")
    ReasonCode.objects.filter(code="insufficient-evidence").update(submitter_text=migration.OLD_TEXT)
    migration.reword(django_apps, None)
    assert ReasonCode.objects.get(code="insufficient-evidence").submitter_text == migration.NEW_TEXT
    ReasonCode.objects.filter(code="insufficient-evidence").update(submitter_text="Our lead's own words.")
    migration.reword(django_apps, None)
    assert ReasonCode.objects.get(code="insufficient-evidence").submitter_text == "Our lead's own words."


def test_a_missing_authorisation_is_fixed_with_the_letter_stored_as_one(notice):
    Decision.objects.filter(pk=rejection(notice).pk).update(
        reason_code=ReasonCode.objects.get(code="authorisation-missing"))
    refused(notice, rejection(notice), T + timedelta(days=1),
            "Listing 1 was rejected for want of a document: attach the rights owner's signed letter authorising you "
            "for this right (PDF, PNG or JPEG) to fix it.", files=[])
    fix = resubmissions.resubmit_listing(notice, rejection(notice), FIX, T + timedelta(days=1),
                                         files=[(upload("letter.pdf", PDF_BYTES), "application/pdf")])
    assert list(fix.files.values_list("original_name", "kind")) == [("letter.pdf", "authorisation_letter")]


def test_the_workflow_counts_a_fixs_files_with_the_notices_own(notice, settings):
    settings.EVIDENCE_MAX_FILES = 1
    two = [(upload("a.pdf", PDF_BYTES), "application/pdf"), (upload("b.pdf", PDF_BYTES), "application/pdf")]
    with pytest.raises(workflow.TransitionNotAllowed) as refusal:
        resubmissions.resubmit_listing(notice, rejection(notice), FIX, T + timedelta(days=1), files=two)
    assert str(refusal.value) == ("A notice may carry at most 1 evidence files; this one carries 0 already, so you "
                                  "can add 1 (you attached 2).")
    assert not Evidence.objects.exists() and not Resubmission.objects.exists()
    settings.EVIDENCE_MAX_FILES = 0  # a notice that is full
    refused(notice, rejection(notice), T + timedelta(days=1), "A notice may carry at most 0 evidence files and this "
            "one carries 0 already, so no file can be added to it: file a new notice with the new evidence.")


def test_the_decision_e_mail_offers_no_fix_while_the_notifiers_notice_handling_is_suspended(catalogue, reviewers,
                                                                                              lead):
    # Notices confirmed before a suspension are decided as usual; their fix waits for the suspension's end.
    notice = routed(T, [("L-100001", "counterfeit")])
    suspension = suspended(T + timedelta(hours=1), lead)
    OutboundEmail.objects.all().delete()
    decide(Notice.objects.get(pk=notice.pk), T + timedelta(hours=3), {"L-100001": REJECT},
           code="insufficient-evidence")
    email, = OutboundEmail.objects.filter(kind="items_decided")
    assert email.to == "anna@aerostride.example"
    assert (f"   What you can do: The handling of notices from anna@aerostride.example is suspended until "
            f"{date_format(suspension.ends_at, 'DATETIME_FORMAT')} UTC, because too many of them were manifestly "
            "unfounded (DSA Art. 23(2)): no listing can be fixed and resubmitted while it lasts.") in email.body_text
    assert "Fix and resubmit it on your tracking page" not in email.body_text
