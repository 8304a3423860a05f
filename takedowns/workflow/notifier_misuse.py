"""Notifier misuse (DSA Art. 23(2)-(3)): the only code that writes NotifierProposal, NotifierMeasure,
NotifierAppeal and NotifierEvent rows (retention aside, years later). The rules are in
notifier_ladder.py, the counting in selectors/notifiers.py.

- raise_proposals(now), beat every ten minutes: a notifier (an address, or an organisation's domain)
  whose manifestly unfounded listings cross the threshold, with no proposal waiting and no
  suspension in force, gets a proposal holding the figures and the ladder's next step, and every lead
  is e-mailed. The system proposes; it never decides.
- decide_proposal: a lead applies the ladder's next step (as in force at the decision) with a
  statement of reasons, which the notifier's addresses are e-mailed with the figures and their
  options (Art. 23(3), Art. 20). dismiss_proposal: a lead finds no measure is called for, with
  reasons; the notifier is not told, as nothing happened to them. Either way only notices confirmed
  afterwards count towards the next proposal.
- refuse_if_suspended, called by filing.confirm_notice: a notice confirmed while its notifier is
  suspended is refused, with the reason and the end date (its page, its e-mail), and never routed.
  Notices confirmed before are decided as usual. A suspension ends by itself at its end date: every
  check compares the date, so no job has to lift it.
- file_appeal / decide_appeal: the notifier's complaint (DSA Art. 20), once per measure, within
  APPEAL_WINDOW_MONTHS (legal.appeal_deadline), decided by a lead other than the one who decided the
  measure. A reversal lifts the measure, which then no longer counts towards the next step.

Every step writes a NotifierEvent in its transaction; e-mails are stored in the outbox in the same
transaction and sent after commit.
"""

import secrets
from datetime import datetime

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from takedowns import emails, notifier_ladder
from takedowns.enums import (
    ActorKind,
    AppealStatus,
    EventKind,
    NoticeStatus,
    NotifierEventKind,
    NotifierProposalStatus,
    NotifierScope,
)
from takedowns.models import Notice, NotifierAppeal, NotifierEvent, NotifierMeasure, NotifierProposal
from takedowns.selectors import notifiers
from takedowns.workflow.base import SUBMITTER, SYSTEM, Actor, TransitionNotAllowed, change_status

OUTCOMES = (AppealStatus.UPHELD, AppealStatus.REVERSED)


class NotifierAppealConflict(TransitionNotAllowed):
    """The lead decided the measure under appeal."""


def _lead(user: User) -> Actor:
    return Actor(ActorKind.REVIEWER, user)


def _record(subject: NotifierProposal | NotifierMeasure, kind: str, actor: Actor, now: datetime,
            details: dict) -> NotifierEvent:
    measure = subject if isinstance(subject, NotifierMeasure) else None
    proposal = subject.proposal if isinstance(subject, NotifierMeasure) else subject
    return NotifierEvent.objects.create(scope=subject.scope, notifier=subject.notifier, proposal=proposal,
                                        measure=measure, kind=kind, actor_kind=actor.kind, actor_user=actor.user,
                                        details=details, created_at=now)


# --- The system proposes. ---

def raise_proposals(now: datetime) -> list[NotifierProposal]:
    """Propose a measure for every notifier who crossed the threshold and is not waiting for a lead
    or suspended already; each proposal in its own transaction. Returns those raised."""
    policy = notifier_ladder.policy()
    busy = notifiers.busy_notifiers(now)
    raised = []
    for scope, notifier in notifiers.crossing(policy, now):
        if (scope, notifier) not in busy and (proposal := _raise(policy, scope, notifier, now)) is not None:
            raised.append(proposal)
    return raised


def _raise(policy: notifier_ladder.Policy, scope: str, notifier: str, now: datetime) -> NotifierProposal | None:
    """The proposal, if the notifier still crosses once the notices dealt with by their last measure
    or dismissal are left out."""
    confirmed_after = notifiers.last_closed(scope, notifier)
    start = policy.window_start(now)
    found = notifiers.figures(notifiers.counted(scope, notifier, start, now, confirmed_after))
    if not policy.threshold.crossed(found.decided, found.unfounded):
        return None
    if scope == NotifierScope.DOMAIN and found.unfounded_addresses < 2:
        return None  # one address: that address is the notifier, and is proposed as such
    step = notifiers.next_step(policy, scope, notifier, now)
    try:
        with transaction.atomic():
            proposal = NotifierProposal.objects.create(
                scope=scope, notifier=notifier, raised_at=now, window_start=start, confirmed_after=confirmed_after,
                decided_listings=found.decided, rejected_listings=found.rejected, unfounded_listings=found.unfounded,
                notices=found.notices, addresses=found.addresses, by_reason_code=found.by_reason_code,
                step_level=step.level, step_days=step.days)
            _record(proposal, NotifierEventKind.PROPOSAL_RAISED, SYSTEM, now, {
                "proposal": proposal.pk, "decided": found.decided, "unfounded": found.unfounded,
                "notices": found.notices, "step": step.text})
            emails.notifier_proposal_raised(proposal, now)
    except IntegrityError:  # another run raised one for this notifier meanwhile (one open per notifier)
        return None
    return proposal


# --- A lead decides. ---

def _open(proposal: NotifierProposal) -> NotifierProposal:
    """The proposal under its row lock, if it still waits for a lead."""
    proposal = NotifierProposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status != NotifierProposalStatus.OPEN:
        assert proposal.closed_at is not None  # set with the status
        closed_at = {"closed_at": notifier_ladder.when(proposal.closed_at)}
        if proposal.status == NotifierProposalStatus.DISMISSED:
            raise TransitionNotAllowed(_("This proposal was already dismissed on %(closed_at)s.") % closed_at)
        raise TransitionNotAllowed(_("This proposal was already decided: a measure was taken on %(closed_at)s.")
                                   % closed_at)
    return proposal


def _close(proposal: NotifierProposal, status: str, lead: User, now: datetime, reasons: str = "") -> None:
    if not NotifierProposal.objects.filter(pk=proposal.pk, status=NotifierProposalStatus.OPEN).update(
            status=status, closed_by=lead, closed_at=now, dismissal_reasons=reasons):
        raise TransitionNotAllowed(_("This proposal was decided by someone else meanwhile; reload the page."))
    proposal.status, proposal.closed_by, proposal.closed_at, proposal.dismissal_reasons = status, lead, now, reasons


def decide_proposal(proposal: NotifierProposal, lead: User, statement: str, now: datetime) -> NotifierMeasure:
    """Apply the ladder's next step to the notifier, with the lead's statement of reasons, and e-mail
    it to the notifier's addresses."""
    statement = statement.strip()
    if not statement:
        raise TransitionNotAllowed(_("Write the statement of reasons: the notifier receives it."))
    policy = notifier_ladder.policy()
    with transaction.atomic():
        proposal = _open(proposal)
        scope, notifier = proposal.scope, proposal.notifier
        so_far = notifiers.measures_counting(scope, notifier, policy.counts_since(now))
        step = notifier_ladder.step_for(so_far, policy.ladder)
        recipients = proposal.addresses or (
            [notifier] if scope == NotifierScope.EMAIL else notifiers.addresses_at(notifier, proposal.window_start))
        _close(proposal, NotifierProposalStatus.DECIDED, lead, now)
        measure = NotifierMeasure.objects.create(
            proposal=proposal, scope=scope, notifier=notifier, level=step.level, decided_by=lead, decided_at=now,
            ends_at=step.ends_at(now), statement=statement, recipients=recipients, token=secrets.token_urlsafe(32))
        _record(measure, NotifierEventKind.MEASURE_DECIDED, _lead(lead), now, {
            "proposal": proposal.pk, "measure": measure.pk, "level": step.level, "number": so_far + 1,
            "ends_at": measure.ends_at.isoformat() if measure.ends_at else None, "statement": statement})
        emails.notifier_measure_statement(measure, following=notifier_ladder.step_for(so_far + 1, policy.ladder))
    return measure


def dismiss_proposal(proposal: NotifierProposal, lead: User, reasons: str, now: datetime) -> NotifierProposal:
    """No measure: the lead's reasons are recorded (the notifier is not told; nothing happened to them)."""
    reasons = reasons.strip()
    if not reasons:
        raise TransitionNotAllowed(_("Write why no measure is called for: the case keeps your reasons."))
    with transaction.atomic():
        proposal = _open(proposal)
        _close(proposal, NotifierProposalStatus.DISMISSED, lead, now, reasons)
        _record(proposal, NotifierEventKind.PROPOSAL_DISMISSED, _lead(lead), now,
                {"proposal": proposal.pk, "reasons": reasons})
    return proposal


# --- Confirmation: a suspended notifier's new notice is refused. ---

def refuse_if_suspended(notice: Notice, now: datetime) -> NotifierMeasure | None:
    """Refuse the unconfirmed notice (its row locked by the caller) if its notifier is suspended at
    `now`, and tell them why and until when. Returns the suspension, or None to go on confirming."""
    measure = notifiers.suspension_for(notice.submitter_email, now)
    if measure is None:
        return None
    assert measure.ends_at is not None  # a suspension always has its end
    change_status(notice, NoticeStatus.REFUSED, kind=EventKind.REFUSED, actor=SYSTEM, now=now, closed_at=now,
                  details={"measure": measure.pk, "scope": measure.scope, "until": measure.ends_at.isoformat()})
    _record(measure, NotifierEventKind.NOTICE_REFUSED, SYSTEM, now, {"notice": notice.reference,
                                                                      "measure": measure.pk})
    emails.notifier_notice_refused(notice, measure)
    return measure


# --- The notifier's appeal (DSA Art. 20). ---

def file_appeal(measure: NotifierMeasure, text: str, now: datetime, appellant_email: str = "") -> NotifierAppeal:
    """File the notifier's appeal against a measure (from a notice's tracking page, `appellant_email`
    its address; or from the statement's private link) and send the receipts. A resent form (same
    text) returns the appeal it filed; anything else is refused with the reason."""
    text = text.strip()
    if not text:
        raise TransitionNotAllowed(_("Write why you think the measure is wrong."))
    with transaction.atomic():
        measure = NotifierMeasure.objects.select_for_update().select_related("proposal").get(pk=measure.pk)
        existing = NotifierAppeal.objects.filter(measure=measure).first()
        if existing is not None and existing.text == text:
            return existing
        refusal = notifier_ladder.appeal_refusal(measure, existing, now)
        if refusal:
            raise TransitionNotAllowed(refusal)
        appeal = NotifierAppeal.objects.create(measure=measure, appellant_email=appellant_email.lower(), text=text,
                                               filed_at=now)
        _record(measure, NotifierEventKind.APPEAL_FILED, SUBMITTER, now, {
            "appeal": appeal.pk, "measure": measure.pk, "from": "tracking page" if appellant_email else "statement"})
        emails.notifier_appeal_received(appeal)
        emails.notifier_appeal_to_leads(appeal)
    return appeal


def decide_appeal(appeal: NotifierAppeal, lead: User, outcome: str, reasons: str, now: datetime) -> NotifierAppeal:
    """Uphold or reverse the measure, once, with reasons the notifier receives; a reversal lifts it."""
    reasons = reasons.strip()
    if outcome not in OUTCOMES:
        raise TransitionNotAllowed(_("Choose whether the measure is upheld or reversed."))
    if not reasons:
        raise TransitionNotAllowed(_("Write the reasons for the outcome; the notifier receives them."))
    with transaction.atomic():
        measure = NotifierMeasure.objects.select_for_update().select_related("proposal").get(pk=appeal.measure_id)
        appeal = NotifierAppeal.objects.get(pk=appeal.pk)
        if appeal.status != AppealStatus.FILED:
            assert appeal.decided_at is not None  # set with the status
            raise TransitionNotAllowed(_("This appeal was already decided on %(decided_at)s: %(status)s.") % {
                "decided_at": notifier_ladder.when(appeal.decided_at), "status": appeal.get_status_display().lower()})
        conflict = notifier_ladder.appeal_conflict(measure, lead)
        if conflict:
            raise NotifierAppealConflict(conflict)
        NotifierAppeal.objects.filter(pk=appeal.pk, status=AppealStatus.FILED).update(
            status=outcome, decided_by=lead, decided_at=now, reasons=reasons)
        appeal.status, appeal.decided_by, appeal.decided_at, appeal.reasons = outcome, lead, now, reasons
        appeal.measure = measure
        _record(measure, NotifierEventKind.APPEAL_DECIDED, _lead(lead), now,
                {"appeal": appeal.pk, "measure": measure.pk, "outcome": outcome, "reasons": reasons})
        if outcome == AppealStatus.REVERSED:
            _lift(measure, lead, now, "reversed on appeal")
        emails.notifier_appeal_decided(appeal)
    return appeal


def _lift(measure: NotifierMeasure, lead: User, now: datetime, why: str) -> None:
    """The measure no longer applies, nor counts towards the next step."""
    if NotifierMeasure.objects.filter(pk=measure.pk, lifted_at=None).update(lifted_at=now, lift_reason=why):
        measure.lifted_at, measure.lift_reason = now, why
        _record(measure, NotifierEventKind.MEASURE_LIFTED, _lead(lead), now, {"measure": measure.pk, "why": why})
