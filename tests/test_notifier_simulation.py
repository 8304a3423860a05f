"""Issue 11, item 2, "Done when": a simulated notifier whose listings are rejected as manifestly
unfounded 90 % of the time over the window is proposed, warned by a lead, proposed again on the notices
confirmed after the warning, suspended, and refused at confirmation while the suspension runs; a notice
confirmed before the suspension is still decided, and the suspension ends by itself. The e-mails (who
gets what, and what they say), every step's event and the transparency report's counts are checked."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest

from takedowns import workflow
from takedowns.enums import NoticeStatus, NotifierEventKind, NotifierMeasureLevel, NotifierProposalStatus
from takedowns.models import Event, NotifierEvent, OutboundEmail
from takedowns.reports import transparency
from takedowns.workflow import notifier_misuse
from tests.factories import (
    REJECT,
    decide,
    file_notice,
    make_lead,
    mark_manifestly_unfounded,
    notifier_notices,
    routed,
)

pytestmark = pytest.mark.django_db

ANNA = "anna@aerostride.example"
STARTED = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)  # the first 20 notices, all decided that day
WARNED = STARTED + timedelta(hours=3)
AGAIN = STARTED + timedelta(days=10)  # 20 more, all confirmed after the warning
SUSPENDED = AGAIN + timedelta(hours=3)
H = timedelta(hours=1)


def _mail(kind: str, to: str) -> OutboundEmail:
    return OutboundEmail.objects.get(kind=kind, to=to)


def test_a_notifier_with_90_percent_manifestly_unfounded_rejections_is_warned_then_suspended(
        client, catalogue, reviewers, lead):
    mark_manifestly_unfounded()
    second_lead = make_lead("lena")

    # 20 one-listing notices: 18 rejected as manifestly unfounded (90 %), 2 removed.
    notifier_notices(STARTED, ANNA, notices=20, unfounded=18)
    [proposal] = notifier_misuse.raise_proposals(STARTED + H)
    assert (proposal.scope, proposal.notifier, proposal.status) == ("email", ANNA, NotifierProposalStatus.OPEN)
    assert (proposal.decided_listings, proposal.rejected_listings, proposal.unfounded_listings, proposal.notices) == (
        20, 18, 18, 20)
    assert (proposal.by_reason_code, proposal.addresses) == ({"no-use-of-right": 18}, [ANNA])
    assert (proposal.step_level, proposal.step_days, proposal.confirmed_after) == ("warning", None, None)
    assert notifier_misuse.raise_proposals(STARTED + 2 * H) == []  # one waits already: nothing twice
    to_leads = OutboundEmail.objects.filter(kind="notifier_proposal_raised").order_by("to")
    assert [mail.to for mail in to_leads] == ["lead@portal.test", "lena@portal.test"]
    assert to_leads[0].subject == ("Notifier misuse: anna@aerostride.example crossed the threshold (18 of 20 listings "
                                   "manifestly unfounded)")
    assert "rejected as manifestly unfounded: 18 (90 %)" in to_leads[0].body_text
    assert "The listing does not use the right: 18" in to_leads[0].body_text
    assert f"https://portal.test/review/notifiers/proposals/{proposal.pk}/" in to_leads[0].body_text

    # A lead decides the ladder's first step: a warning, with a statement of reasons to Anna.
    warning = notifier_misuse.decide_proposal(proposal, lead.user, "Eighteen of your twenty reports named listings "
                                              "that do not use your mark at all.", WARNED)
    assert (warning.level, warning.ends_at, warning.recipients) == (NotifierMeasureLevel.WARNING, None, [ANNA])
    statement = _mail("notifier_measure", ANNA)
    assert statement.notice is None  # about the notifier, not one notice
    assert statement.subject == "Your notices: a warning (statement of reasons)"
    body = statement.body_text
    assert "this is our statement of reasons for a measure about the notices we receive from your e-mail address " \
           "anna@aerostride.example (EU Digital Services Act, Art. 23(2) and (3))." in body
    assert "A warning. We keep handling notices from your e-mail address anna@aerostride.example as usual. If they " \
           "keep being manifestly unfounded, the next measure under our policy is a suspension of notice handling " \
           "for 30 days." in body
    assert "Of the 20 reported listings we decided between 4 November 2025 and 2 February 2026, in 20 notices, we " \
           "rejected 18 (90 %) as manifestly unfounded, for these reasons:\n   - The listing does not use the " \
           "right: 18 listings" in body
    assert "Eighteen of your twenty reports named listings that do not use your mark at all." in body
    # Decided before the month rule (legal.APPEAL_MONTH_RULE_FROM): the 183 days promised then run past 2 August.
    assert "Appeal to us, free of charge, until 4 August 2026, 12:00 UTC (DSA Art. 20)" in body
    assert f"https://portal.test/notifier-measures/{warning.pk}/{warning.token}/" in body
    assert "https://portal.test/policies/notifier-misuse/" in body

    # A notice confirmed before the suspension, still open when it comes.
    still_open = routed(AGAIN - H, [("L-100004", "counterfeit")], submitter_email=ANNA)

    # 20 more, all confirmed after the warning, 90 % manifestly unfounded again.
    notifier_notices(AGAIN, ANNA, notices=20, unfounded=18)
    [again] = notifier_misuse.raise_proposals(AGAIN + H)
    assert (again.confirmed_after, again.decided_listings, again.unfounded_listings) == (WARNED, 20, 18)
    assert (again.step_level, again.step_days) == ("suspension", 30)

    suspension = notifier_misuse.decide_proposal(again, second_lead.user, "After our warning of 2 February, 18 of "
                                                 "your 20 new reports were again about listings that do not use the "
                                                 "right.", SUSPENDED)
    assert (suspension.level, suspension.ends_at) == (NotifierMeasureLevel.SUSPENSION, SUSPENDED + timedelta(days=30))
    statement = OutboundEmail.objects.filter(kind="notifier_measure", to=ANNA).latest("pk")
    assert statement.subject == "Your notices: handling suspended until 14 March 2026 (statement of reasons)"
    assert "We suspend the handling of notices from your e-mail address anna@aerostride.example from 12 February " \
           "2026, 12:00 UTC until 14 March 2026, 12:00 UTC. Until then, a new notice is refused when its " \
           "confirmation link is followed, and is not reviewed. Notices confirmed before this decision are still " \
           "decided as usual." in statement.body_text
    assert "in 20 notices confirmed after our previous decision about your notices (2 February 2026), we rejected " \
           "18 (90 %)" in statement.body_text
    assert notifier_misuse.raise_proposals(SUSPENDED + H) == []  # suspended: nothing to propose

    # The notice confirmed before the suspension is still decided.
    decide(still_open, SUSPENDED + H, {"L-100004": REJECT})
    still_open.refresh_from_db()
    assert still_open.status == NoticeStatus.CLOSED

    # A new notice is refused when its confirmation link is followed: the page says why and until when.
    refused = file_notice(SUSPENDED + 2 * H, submitter_email=ANNA)
    with mock.patch("django.utils.timezone.now", return_value=SUSPENDED + 3 * H):
        response = client.post(refused.confirmation_path())
    assert response.status_code == 403
    page = response.content.decode()
    assert "Notice " + refused.reference + " was not accepted." in page
    assert '<strong id="refused-until">14 March 2026, 12:00</strong>' in page  # the language's format (UTC)
    refused.refresh_from_db()
    assert (refused.status, refused.confirmed_at, refused.routed_at) == (NoticeStatus.REFUSED, None, None)
    assert Event.objects.get(notice=refused, kind="refused").details == {
        "measure": suspension.pk, "scope": "email", "until": "2026-03-14T12:00:00+00:00"}
    told = _mail("notifier_notice_refused", ANNA)
    assert (told.notice_id, told.subject) == (
        refused.pk, f"Notice {refused.reference} refused: your notices are suspended until 14 March 2026")
    assert "the handling of notices from your e-mail address anna@aerostride.example is suspended until 14 March " \
           "2026, 12:00 UTC" in told.body_text
    assert "You may file it again from 14 March 2026, 12:00 UTC." in told.body_text

    # The suspension ends by itself: the day after, a notice is confirmed and routed as usual.
    after = file_notice(suspension.ends_at + H, submitter_email=ANNA)
    workflow.confirm_notice(after, suspension.ends_at + H)
    after.refresh_from_db()
    assert after.status == NoticeStatus.CONFIRMED

    # Every step an event of the notifier's case.
    assert list(NotifierEvent.objects.filter(notifier=ANNA).values_list("kind", flat=True)) == [
        NotifierEventKind.PROPOSAL_RAISED, NotifierEventKind.MEASURE_DECIDED, NotifierEventKind.PROPOSAL_RAISED,
        NotifierEventKind.MEASURE_DECIDED, NotifierEventKind.NOTICE_REFUSED]

    # The report counts the notifier's measures apart from the sellers' penalties (Art. 24(1)(b)).
    period = transparency.report_period("2026-H1", datetime(2026, 7, 1, tzinfo=UTC))
    figures = transparency.report_figures(period)
    assert figures["notifier_measures"] == {
        "decided": 2, "by_level": {"warning": 1, "suspension": 1}, "by_scope": {"email": 2, "domain": 0},
        "lifted_on_appeal": 0, "notices_refused": 1,
        "appeals": {"filed": 0, "by_status": {"filed": 0, "upheld": 0, "reversed": 0}}}
    # The sellers' own: Acme's four removed listings, four strikes, four steps of the seller ladder.
    assert figures["penalties"] == {"decided": 4, "by_level": {
        "warning": 1, "restriction": 1, "suspension": 1, "termination": 1}}
