"""Notifier misuse (DSA Art. 23(2)-(3)), workflow/notifier_misuse.py: who crosses the threshold and is
proposed, each step of the ladder a lead decides, dismissals, the suspension enforced at confirmation,
the notifier's appeal, the report's figures and retention. The simulated notifier of the issue's
"Done when" is tests/test_notifier_simulation.py; the pages are tests/views/test_notifier_pages.py."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.conf import settings

from takedowns import tasks, workflow
from takedowns.enums import NoticeStatus, NotifierEventKind, NotifierProposalStatus
from takedowns.models import Decision, NotifierEvent, NotifierMeasure, NotifierProposal, OutboundEmail
from takedowns.reports import transparency
from takedowns.workflow import appeals, notifier_misuse, retention
from takedowns.workflow.base import TransitionNotAllowed
from tests.factories import (
    REMOVE,
    decide,
    file_notice,
    make_lead,
    mark_manifestly_unfounded,
    notifier_notices,
    warned,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
H, D = timedelta(hours=1), timedelta(days=1)
ANNA, BEN = "anna@aerostride.example", "ben@aerostride.example"
REASONS = "Nine in ten of your reports named listings that do not use your mark."


@pytest.fixture
def unfounded(catalogue, reviewers):
    """The code no-use-of-right counts as manifestly unfounded, as a lead marked it."""
    mark_manifestly_unfounded()


def _raise(at: datetime) -> list[tuple[str, str, int, int]]:
    return [(p.scope, p.notifier, p.unfounded_listings, p.decided_listings)
            for p in notifier_misuse.raise_proposals(at)]


def _kinds(notifier: str) -> list[str]:
    return list(NotifierEvent.objects.filter(notifier=notifier).values_list("kind", flat=True))


# --- The threshold: a count and a share of manifestly unfounded listings over the window. ---

def test_nothing_is_proposed_below_the_count(unfounded):
    notifier_notices(NOW, ANNA, notices=3, unfounded=9, listings=3)  # 9 of 9: every one, but only nine
    assert _raise(NOW) == []


def test_the_count_and_the_share_reached_raise_a_proposal_with_the_figures(unfounded):
    notifier_notices(NOW, ANNA, notices=5, unfounded=10, listings=4)  # 10 of 20 listings: 50 %
    [proposal] = notifier_misuse.raise_proposals(NOW + H)
    assert (proposal.scope, proposal.notifier, proposal.raised_at, proposal.window_start) == (
        "email", ANNA, NOW + H, NOW + H - timedelta(days=90))
    assert (proposal.decided_listings, proposal.rejected_listings, proposal.unfounded_listings, proposal.notices,
            proposal.by_reason_code, proposal.step_level) == (20, 10, 10, 5, {"no-use-of-right": 10}, "warning")
    assert NotifierEvent.objects.get().details == {"proposal": proposal.pk, "decided": 20, "unfounded": 10,
                                                   "notices": 5, "step": "warning"}


def test_nothing_is_proposed_below_the_share(unfounded):
    notifier_notices(NOW, ANNA, notices=6, unfounded=10, listings=4)  # 10 of 24: 41 %
    assert _raise(NOW) == []


def test_the_threshold_follows_the_settings(unfounded, settings):
    notifier_notices(NOW, ANNA, notices=3, unfounded=9, listings=3)
    settings.NOTIFIER_MISUSE_MIN_COUNT = 9
    settings.NOTIFIER_MISUSE_MIN_SHARE_PERCENT = 100
    assert _raise(NOW) == [("email", ANNA, 9, 9)]


def test_only_rejections_with_a_code_marked_manifestly_unfounded_count_as_the_code_is_marked_now(catalogue, reviewers):
    notifier_notices(NOW, ANNA, notices=3, unfounded=12, listings=4, code="insufficient-evidence")
    mark_manifestly_unfounded()  # no-use-of-right, not insufficient-evidence
    assert _raise(NOW) == []
    mark_manifestly_unfounded("insufficient-evidence")  # a lead marks it: the past decisions count from now on
    assert _raise(NOW + H) == [("email", ANNA, 12, 12)]


def test_only_listings_decided_in_the_window_count(unfounded):
    notifier_notices(NOW - timedelta(days=91), ANNA, notices=3, unfounded=12, listings=4)
    assert _raise(NOW) == []
    assert _raise(NOW - timedelta(days=80)) == [("email", ANNA, 12, 12)]


def test_a_rejection_set_aside_on_appeal_no_longer_counts(unfounded, other_reviewer):
    notifier_notices(NOW, ANNA, notices=3, unfounded=10, listings=4)  # 10 of 12
    rejection = Decision.objects.filter(outcome="reject").order_by("pk").first()
    appeal = appeals.file_appeal(decision=rejection, appellant="submitter", text="The listing shows our logo in "
                                 "its second photo.", now=NOW)
    appeals.decide_appeal(appeal, other_reviewer, "reversed", "The second photo shows the mark.", NOW + H)
    assert _raise(NOW + 2 * H) == []  # 9 of 11: one short of the count


# --- Who a notifier is: an address, or an organisation's domain. ---

def test_an_organisations_addresses_together_are_one_notifier(unfounded):
    notifier_notices(NOW, ANNA, notices=2, unfounded=6, listings=4)  # 6 of 8: short of the count alone
    notifier_notices(NOW, BEN, notices=2, unfounded=6, listings=4)
    [proposal] = notifier_misuse.raise_proposals(NOW + H)
    assert (proposal.scope, proposal.notifier, proposal.addresses, proposal.unfounded_listings,
            proposal.decided_listings, proposal.notices) == ("domain", "aerostride.example", [ANNA, BEN], 12, 16, 4)


def test_an_organisation_is_looked_at_only_when_two_of_its_addresses_sent_manifestly_unfounded_notices(
        unfounded, settings):
    settings.NOTIFIER_MISUSE_MIN_COUNT = 9
    notifier_notices(NOW, ANNA, notices=3, unfounded=9, listings=4)  # 9 of 12
    notifier_notices(NOW, BEN, notices=1, unfounded=0, listings=1)  # Ben's one listing, removed
    assert _raise(NOW) == [("email", ANNA, 9, 12)]  # Anna herself, not her organisation (9 of 13)


def test_free_mail_addresses_are_never_one_organisation(unfounded):
    notifier_notices(NOW, "anna.berger@gmail.com", notices=2, unfounded=6, listings=4)
    notifier_notices(NOW, "ben.brandt@gmail.com", notices=2, unfounded=6, listings=4)
    assert _raise(NOW) == []


def test_one_address_alone_is_proposed_as_itself_not_as_its_organisation(unfounded):
    notifier_notices(NOW, ANNA, notices=3, unfounded=12, listings=4)
    assert _raise(NOW) == [("email", ANNA, 12, 12)]


# --- Once proposed: no second proposal, none while suspended, and a fresh count after each decision. ---

def test_no_second_proposal_while_one_waits_for_a_lead(unfounded):
    notifier_notices(NOW, ANNA, notices=3, unfounded=12, listings=4)
    assert len(_raise(NOW)) == 1
    assert _raise(NOW + H) == []
    assert NotifierProposal.objects.count() == 1


def test_two_runs_at_once_raise_one_proposal(unfounded):
    notifier_notices(NOW, ANNA, notices=3, unfounded=12, listings=4)
    assert len(_raise(NOW)) == 1
    # A run that read the notifiers before the first one committed: the database keeps one open per notifier.
    with mock.patch("takedowns.selectors.notifiers.busy_notifiers", return_value=set()):
        assert _raise(NOW + H) == []
    assert NotifierProposal.objects.count() == 1


def test_a_dismissal_is_recorded_with_its_reasons_told_to_nobody_and_only_later_notices_count_next(unfounded, lead):
    notifier_notices(NOW, ANNA, notices=3, unfounded=12, listings=4)
    [proposal] = notifier_misuse.raise_proposals(NOW)
    with pytest.raises(TransitionNotAllowed, match="Write why no measure is called for"):
        notifier_misuse.dismiss_proposal(proposal, lead.user, "  ", NOW + H)
    notifier_misuse.dismiss_proposal(proposal, lead.user, "The listings were ambiguous: good faith.", NOW + H)
    proposal.refresh_from_db()
    assert (proposal.status, proposal.closed_by, proposal.closed_at, proposal.dismissal_reasons) == (
        NotifierProposalStatus.DISMISSED, lead.user, NOW + H, "The listings were ambiguous: good faith.")
    assert _kinds(ANNA) == [NotifierEventKind.PROPOSAL_RAISED, NotifierEventKind.PROPOSAL_DISMISSED]
    assert NotifierEvent.objects.last().details == {"proposal": proposal.pk,
                                                    "reasons": "The listings were ambiguous: good faith."}
    assert not OutboundEmail.objects.filter(to=ANNA, kind__startswith="notifier").exists()
    assert not NotifierMeasure.objects.exists()
    with pytest.raises(TransitionNotAllowed, match="This proposal was already dismissed on"):
        notifier_misuse.decide_proposal(proposal, lead.user, REASONS, NOW + 2 * H)
    assert _raise(NOW + 2 * H) == []  # the same notices do not count again
    notifier_notices(NOW + D, ANNA, notices=3, unfounded=12, listings=4)
    [again] = notifier_misuse.raise_proposals(NOW + D + H)
    assert (again.confirmed_after, again.unfounded_listings, again.decided_listings, again.step_level) == (
        NOW + H, 12, 12, "warning")  # a dismissal is no measure: the ladder has not moved


def test_a_statement_of_reasons_is_required_and_a_proposal_is_decided_once(unfounded, lead):
    notifier_notices(NOW, ANNA, notices=3, unfounded=12, listings=4)
    [proposal] = notifier_misuse.raise_proposals(NOW)
    with pytest.raises(TransitionNotAllowed, match="Write the statement of reasons: the notifier receives it."):
        notifier_misuse.decide_proposal(proposal, lead.user, "\n ", NOW + H)
    measure = notifier_misuse.decide_proposal(proposal, lead.user, REASONS, NOW + H)
    with pytest.raises(TransitionNotAllowed, match="already decided: a measure was taken on 1 April 2026"):
        notifier_misuse.decide_proposal(proposal, make_lead("lena").user, REASONS, NOW + 2 * H)
    assert NotifierMeasure.objects.get() == measure
    assert NotifierEvent.objects.last().details == {
        "proposal": proposal.pk, "measure": measure.pk, "level": "warning", "number": 1, "ends_at": None,
        "statement": REASONS}


# --- Each step of the ladder. ---

def _round(at: datetime, lead, email: str = ANNA) -> NotifierMeasure:
    """Three notices of 12 manifestly unfounded listings at `at`, proposed an hour later and decided by `lead`."""
    notifier_notices(at, email, notices=3, unfounded=12, listings=4)
    [proposal] = notifier_misuse.raise_proposals(at + H)
    return notifier_misuse.decide_proposal(proposal, lead.user, REASONS, at + 2 * H)


def test_each_measure_takes_the_next_step_and_counts_for_a_year(unfounded, lead):
    first = _round(NOW, lead)
    second = _round(NOW + D, lead)  # after the warning
    third = _round(second.ends_at + D, lead)  # once the 30 days are over
    fourth = _round(third.ends_at + D, lead)
    assert [(m.level, m.ends_at - m.decided_at if m.ends_at else None) for m in (first, second, third, fourth)] == [
        ("warning", None), ("suspension", timedelta(days=30)), ("suspension", timedelta(days=90)),
        ("suspension", timedelta(days=90))]  # the last step repeats
    assert [m.proposal.step_level for m in (first, second, third, fourth)] == ["warning", "suspension", "suspension",
                                                                               "suspension"]
    # A year after the last measure, none counts any more: the ladder starts again.
    fresh = _round(fourth.decided_at + timedelta(days=366), lead)
    assert fresh.level == "warning"


def test_a_measure_on_the_organisation_is_its_own_ladder(unfounded, lead):
    _round(NOW, lead)  # Anna's own warning
    notifier_notices(NOW + D, ANNA, notices=2, unfounded=6, listings=4)  # short alone
    notifier_notices(NOW + D, BEN, notices=2, unfounded=6, listings=4)
    [proposal] = notifier_misuse.raise_proposals(NOW + D + H)
    assert (proposal.scope, proposal.step_level) == ("domain", "warning")


# --- A suspension is enforced at confirmation; notices confirmed before are decided. ---

def _suspend(lead, email: str = ANNA) -> NotifierMeasure:
    _round(NOW, lead, email)
    return _round(NOW + D, lead, email)


def test_a_suspended_notifiers_new_notice_is_refused_at_confirmation_and_never_routed(unfounded, lead):
    suspension = _suspend(lead)
    notice = file_notice(NOW + 2 * D, submitter_email=ANNA)
    notice = workflow.confirm_notice(notice, NOW + 2 * D)
    assert (notice.status, notice.confirmed_at, notice.closed_at, notice.submitter_id) == (
        NoticeStatus.REFUSED, None, NOW + 2 * D, None)
    assert not notice.clocks.exists() and notice.routed_at is None
    assert notice.events.get(kind="refused").details == {"measure": suspension.pk, "scope": "email",
                                                         "until": suspension.ends_at.isoformat()}
    assert NotifierEvent.objects.filter(kind=NotifierEventKind.NOTICE_REFUSED).get().details == {
        "notice": notice.reference, "measure": suspension.pk}
    assert [mail.kind for mail in notice.emails.order_by("pk")] == ["confirm_notice", "notifier_notice_refused"]
    # Following the link again is harmless: still refused, nothing sent twice.
    assert workflow.confirm_notice(notice, NOW + 3 * D).status == NoticeStatus.REFUSED
    assert notice.emails.count() == 2


def test_an_address_the_suspension_is_not_about_is_not_refused(unfounded, lead):
    _suspend(lead)
    for email in (BEN, "anna@elsewhere.example"):  # Anna's suspension is her address's, not her organisation's
        notice = workflow.confirm_notice(file_notice(NOW + 2 * D, submitter_email=email), NOW + 2 * D)
        assert notice.status == NoticeStatus.CONFIRMED


def test_a_suspension_of_an_organisation_refuses_each_of_its_addresses_and_is_sent_to_each(unfounded, lead):
    for at in (NOW, NOW + D):
        notifier_notices(at, ANNA, notices=2, unfounded=6, listings=4)
        notifier_notices(at, BEN, notices=2, unfounded=6, listings=4)
        [proposal] = notifier_misuse.raise_proposals(at + H)
        measure = notifier_misuse.decide_proposal(proposal, lead.user, REASONS, at + 2 * H)
    # Neither address was proposed on its own: the organisation's decision took in their notices.
    assert (measure.scope, measure.level, measure.recipients) == ("domain", "suspension", [ANNA, BEN])
    assert set(NotifierProposal.objects.values_list("scope", flat=True)) == {"domain"}
    statements = OutboundEmail.objects.filter(kind="notifier_measure").order_by("pk")
    assert [mail.to for mail in statements] == [ANNA, BEN, ANNA, BEN]
    assert "about the notices we receive from the addresses at aerostride.example (your organisation)" in \
        statements.last().body_text
    colleague = workflow.confirm_notice(file_notice(NOW + 2 * D, submitter_email="Cleo@Aerostride.example"),
                                        NOW + 2 * D)
    assert colleague.status == NoticeStatus.REFUSED
    told = colleague.emails.get(kind="notifier_notice_refused")
    assert told.to == "Cleo@Aerostride.example"
    assert "the handling of notices from the addresses at aerostride.example (your organisation) is suspended" in \
        told.body_text
    assert "e-mailed on 2 April 2026 to the addresses of your organisation whose notices were counted" in told.body_text


def test_a_notice_confirmed_before_the_suspension_is_still_routed_and_decided(unfounded, lead):
    pending = workflow.confirm_notice(file_notice(NOW + D - H, submitter_email=ANNA), NOW + D - H)
    _suspend(lead)  # decided at NOW + D + 2 h
    workflow.route_notice(pending.pk, NOW + 2 * D)
    pending.refresh_from_db()
    assert pending.status == NoticeStatus.IN_REVIEW
    decide(pending, NOW + 2 * D, {"L-100001": REMOVE})
    pending.refresh_from_db()
    assert (pending.status, pending.items.get().state) == (NoticeStatus.CLOSED, "removed")


def test_a_suspension_ends_by_itself_at_its_end_date(unfounded, lead):
    suspension = _suspend(lead)
    last_second = workflow.confirm_notice(file_notice(suspension.ends_at, submitter_email=ANNA),
                                          suspension.ends_at - timedelta(seconds=1))
    after = workflow.confirm_notice(file_notice(suspension.ends_at, submitter_email=ANNA), suspension.ends_at)
    assert (last_second.status, after.status) == (NoticeStatus.REFUSED, NoticeStatus.CONFIRMED)


def test_a_late_confirmation_expires_whether_or_not_the_notifier_is_suspended(unfounded, lead):
    _suspend(lead)
    notice = file_notice(NOW + 2 * D, submitter_email=ANNA)
    with pytest.raises(TransitionNotAllowed, match="expired"):
        workflow.confirm_notice(notice, notice.expires_at)
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.EXPIRED


def test_no_proposal_is_raised_while_the_notifier_is_suspended(unfounded, lead):
    suspension = _suspend(lead)
    assert _raise(NOW + 2 * D) == []
    assert NotifierProposal.objects.filter(status="open").count() == 0
    assert suspension.proposal.status == NotifierProposalStatus.DECIDED


# --- The notifier's appeal (DSA Art. 20). ---

def test_an_appeal_is_acknowledged_told_to_the_leads_and_filed_once(unfounded, lead):
    make_lead("lena")
    measure = warned(NOW, lead)
    appeal = notifier_misuse.file_appeal(measure, "  The listings use our mark in their photos.  ", NOW + D,
                                         appellant_email="Anna@Aerostride.example")
    assert (appeal.text, appeal.appellant_email, appeal.status, appeal.filed_at) == (
        "The listings use our mark in their photos.", ANNA, "filed", NOW + D)
    receipt = OutboundEmail.objects.get(kind="notifier_appeal_received")
    assert (receipt.to, receipt.notice) == (ANNA, None)
    assert receipt.subject == "We received your appeal against the warning of your notices"
    assert "A lead who took no part in the decision decides it, without automated means" in receipt.body_text
    to_leads = OutboundEmail.objects.filter(kind="notifier_appeal_to_leads").order_by("to")
    assert [mail.to for mail in to_leads] == ["lead@portal.test", "lena@portal.test"]
    assert "anna@aerostride.example appealed on 2 April 2026, 09:00 UTC against the warning lead decided on " \
           "1 April 2026. Another lead decides it (DSA Art. 20):" in to_leads[0].body_text
    assert NotifierEvent.objects.last().details == {"appeal": appeal.pk, "measure": measure.pk,
                                                    "from": "tracking page"}
    again = notifier_misuse.file_appeal(measure, "The listings use our mark in their photos.", NOW + D)
    assert again == appeal  # a resent form
    with pytest.raises(TransitionNotAllowed, match="This measure was appealed on 2 April 2026, 09:00 UTC"):
        notifier_misuse.file_appeal(measure, "Something else altogether.", NOW + 2 * D)


def test_an_appeal_after_the_window_is_refused(unfounded, lead):
    measure = warned(NOW, lead)
    with pytest.raises(TransitionNotAllowed, match="The time to appeal ended on 1 October 2026, 23:59 UTC"):
        notifier_misuse.file_appeal(measure, "Late, but right.", datetime(2026, 10, 2, 0, 0, tzinfo=UTC))


def test_the_lead_who_decided_cannot_decide_the_appeal_another_one_upholds_it(unfounded, lead):
    suspension = _suspend(lead)
    appeal = notifier_misuse.file_appeal(suspension, "Our notices were right.", NOW + 2 * D)
    with pytest.raises(notifier_misuse.NotifierAppealConflict, match="You decided this measure"):
        notifier_misuse.decide_appeal(appeal, lead.user, "upheld", "It stands.", NOW + 3 * D)
    other = make_lead("lena")
    with pytest.raises(TransitionNotAllowed, match="Choose whether the measure is upheld or reversed."):
        notifier_misuse.decide_appeal(appeal, other.user, "maybe", "It stands.", NOW + 3 * D)
    upheld = notifier_misuse.decide_appeal(appeal, other.user, "upheld", "The figures stand.", NOW + 3 * D)
    assert (upheld.status, upheld.decided_by, upheld.reasons) == ("upheld", other.user, "The figures stand.")
    suspension.refresh_from_db()
    assert suspension.lifted_at is None
    told = OutboundEmail.objects.get(kind="notifier_appeal_decided")
    assert (told.to, told.subject) == (ANNA, "Your appeal against the suspension of notice handling of your notices: "
                                             "measure upheld")
    assert "The measure stands: until 2 May 2026, 11:00 UTC, new notices are refused when they are confirmed." in \
        told.body_text
    assert "Refer the dispute to a certified out-of-court dispute settlement body (DSA Art. 21)" in told.body_text
    with pytest.raises(TransitionNotAllowed, match="This appeal was already decided on 4 April 2026"):
        notifier_misuse.decide_appeal(appeal, other.user, "reversed", "Changed my mind.", NOW + 4 * D)


def test_a_reversal_lifts_the_suspension_which_then_no_longer_counts(unfounded, lead):
    suspension = _suspend(lead)
    appeal = notifier_misuse.file_appeal(suspension, "Our notices were right.", NOW + 2 * D)
    notifier_misuse.decide_appeal(appeal, make_lead("lena").user, "reversed", "The listings did use the mark.",
                                  NOW + 3 * D)
    suspension.refresh_from_db()
    assert (suspension.lifted_at, suspension.lift_reason) == (NOW + 3 * D, "reversed on appeal")
    assert _kinds(ANNA)[-3:] == [NotifierEventKind.APPEAL_FILED, NotifierEventKind.APPEAL_DECIDED,
                                 NotifierEventKind.MEASURE_LIFTED]
    assert "The measure is lifted: we handle your notices again from now on" in \
        OutboundEmail.objects.get(kind="notifier_appeal_decided").body_text
    notice = workflow.confirm_notice(file_notice(NOW + 4 * D, submitter_email=ANNA), NOW + 4 * D)
    assert notice.status == NoticeStatus.CONFIRMED
    # Only the warning counts: the next measure is the 30-day suspension again.
    assert _round(NOW + 5 * D, lead).ends_at == NOW + 5 * D + 2 * H + timedelta(days=30)
    with pytest.raises(TransitionNotAllowed, match="This measure was appealed on"):
        notifier_misuse.file_appeal(suspension, "Once more.", NOW + 6 * D)


# --- The report and the beat. ---

def test_the_report_counts_each_step_in_the_period_it_happened(unfounded, lead):
    end_of_march = datetime(2026, 3, 31, 21, 0, tzinfo=UTC)  # decided 23:00, the month's last hour
    _round(end_of_march, lead, ANNA)  # the warning
    suspension = _round(end_of_march + D, lead, ANNA)  # 1 April
    workflow.confirm_notice(file_notice(end_of_march + 2 * D, submitter_email=ANNA), end_of_march + 2 * D)
    appeal = notifier_misuse.file_appeal(suspension, "Our notices were right.", end_of_march + 2 * D)
    notifier_misuse.decide_appeal(appeal, make_lead("lena").user, "reversed", "They were.", end_of_march + 3 * D)
    now = datetime(2026, 6, 1, tzinfo=UTC)
    march = transparency.report_figures(transparency.report_period("2026-03", now))["notifier_measures"]
    april = transparency.report_figures(transparency.report_period("2026-04", now))["notifier_measures"]
    assert (march["decided"], march["by_level"], march["notices_refused"], march["lifted_on_appeal"]) == (
        1, {"warning": 1, "suspension": 0}, 0, 0)
    assert april == {"decided": 1, "by_level": {"warning": 0, "suspension": 1}, "by_scope": {"email": 1, "domain": 0},
                     "lifted_on_appeal": 1, "notices_refused": 1,
                     "appeals": {"filed": 1, "by_status": {"filed": 0, "upheld": 0, "reversed": 1}}}


def test_the_beat_raises_proposals_every_ten_minutes(unfounded):
    assert settings.CELERY_BEAT_SCHEDULE["raise-notifier-proposals"] == {
        "task": "takedowns.tasks.raise_notifier_proposals", "schedule": 600.0}
    notifier_notices(NOW, ANNA, notices=3, unfounded=12, listings=4)
    with mock.patch("django.utils.timezone.now", return_value=NOW + H):
        assert tasks.raise_notifier_proposals() == 1
    assert NotifierProposal.objects.get().raised_at == NOW + H


# --- Retention: the notifier's address and the words people wrote, years after the last step. ---

def test_retention_removes_the_notifiers_data_after_the_case_years_and_keeps_the_figures(unfounded, lead):
    suspension = _suspend(lead)
    appeal = notifier_misuse.file_appeal(suspension, "Our notices were right.", NOW + 2 * D, appellant_email=ANNA)
    notifier_misuse.decide_appeal(appeal, make_lead("lena").user, "upheld", "The figures stand.", NOW + 3 * D)
    period = transparency.report_period("2026-04", datetime(2026, 6, 1, tzinfo=UTC))
    before = transparency.report_figures(period)["notifier_measures"]
    # The suspension's case ends with the suspension (after its appeal was decided); the warning's with its decision.
    last_step = suspension.ends_at
    due = last_step.replace(year=last_step.year + 6)
    assert retention.anonymise_notifier_cases(due - timedelta(seconds=1)) == 1  # the warning's case only
    assert NotifierMeasure.objects.get(pk=suspension.pk).notifier == ANNA
    assert retention.apply_retention(due)["notifier_cases_anonymised"] == 1
    assert retention.anonymise_notifier_cases(due) == 0  # done once
    assert list(NotifierProposal.objects.values_list("notifier", "addresses", "dismissal_reasons")) == [
        ("", [], "")] * 2
    assert NotifierProposal.objects.filter(anonymised_at__isnull=True).count() == 0
    assert list(NotifierMeasure.objects.values_list("notifier", "recipients", "statement", "level")) == [
        ("", [], "", "warning"), ("", [], "", "suspension")]
    appeal.refresh_from_db()
    assert (appeal.appellant_email, appeal.text, appeal.reasons, appeal.status) == ("", "", "", "upheld")
    assert set(NotifierEvent.objects.values_list("notifier", flat=True)) == {""}
    assert {event.details["statement"] for event in NotifierEvent.objects.filter(kind="measure_decided")} == {""}
    assert NotifierEvent.objects.get(kind="appeal_decided").details == {
        "appeal": appeal.pk, "measure": suspension.pk, "outcome": "upheld", "reasons": ""}
    assert transparency.report_figures(period)["notifier_measures"] == before


def test_a_suspension_still_running_or_an_appeal_waiting_keeps_the_case(unfounded, lead):
    suspension = _suspend(lead)
    notifier_misuse.file_appeal(suspension, "Our notices were right.", NOW + 2 * D)
    years_later = NOW.replace(year=NOW.year + 7)
    assert retention.anonymise_notifier_cases(years_later) == 1  # the warning; the appeal of the other waits
    assert NotifierMeasure.objects.get(pk=suspension.pk).notifier == ANNA


def test_notices_an_organisations_decision_took_in_do_not_count_again_for_its_addresses_nor_the_reverse(unfounded,
                                                                                                      lead):
    _round(NOW, lead, ANNA)  # Anna's own warning, on her notices of NOW
    notifier_notices(NOW + D, BEN, notices=2, unfounded=6, listings=4)
    notifier_notices(NOW + D, ANNA, notices=2, unfounded=6, listings=4)
    [domain] = notifier_misuse.raise_proposals(NOW + D + H)  # her earlier notices do not count for the domain
    assert (domain.scope, domain.confirmed_after, domain.unfounded_listings) == ("domain", NOW + 2 * H, 12)
    notifier_misuse.decide_proposal(domain, lead.user, REASONS, NOW + D + 2 * H)
    notifier_notices(NOW + 2 * D, BEN, notices=1, unfounded=4, listings=4)
    assert _raise(NOW + 2 * D + H) == []  # Ben: 4 since the organisation's warning, not 10


def test_a_refused_notice_is_deleted_like_an_unconfirmed_one_and_its_refusal_stays_counted(unfounded, lead):
    _suspend(lead)
    refused = workflow.confirm_notice(file_notice(NOW + 2 * D, submitter_email=ANNA), NOW + 2 * D)
    assert retention.apply_retention(NOW + 2 * D + timedelta(days=30))["unconfirmed_deleted"] == 1
    assert not type(refused).objects.filter(pk=refused.pk).exists()
    assert NotifierEvent.objects.get(kind=NotifierEventKind.NOTICE_REFUSED).details["notice"] == refused.reference
    period = transparency.report_period("2026-04", datetime(2026, 6, 1, tzinfo=UTC))
    assert transparency.report_figures(period)["notifier_measures"]["notices_refused"] == 1
