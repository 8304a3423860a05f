"""Fix and resubmit: the only code that writes Resubmission rows. The rules (which rejections,
until when, once per listing, what keeping the clock means) are in resubmission_rules.py.

A resubmission sets the rejection aside (Decision.superseded_at: not a reversal on appeal) and
puts the listing back in review on the same case, with the submitter's text and files, for the
reviewer who rejected it when they can still take it (active, allowed on a high-risk notice),
otherwise the notice's current reviewer, otherwise the queue. The submitter receives an
acknowledgement; the reviewer it went to, an e-mail with the fix.
"""

from collections.abc import Sequence
from datetime import datetime

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from takedowns import emails, evidence, resubmission_rules, sla
from takedowns.enums import Appellant, ClockKind, EventKind, ItemState, NoticeStatus, RiskBand
from takedowns.models import Appeal, Decision, Event, Notice, NoticeItem, Resubmission, Reviewer, SlaClock, Submitter
from takedowns.selectors import notifiers
from takedowns.workflow import clocks
from takedowns.workflow.base import SUBMITTER, TransitionNotAllowed, change_status, make_event
from takedowns.workflow.review import settle


def resubmit_listing(notice: Notice, decision: Decision, text: str, now: datetime,
                     files: Sequence[tuple[UploadedFile, str]] = ()) -> Resubmission:
    """The submitter's fix of a rejected listing (`decision`, a rejection on this notice) with their
    text and files (pairs of upload and checked content type, evidence.check_upload). Refused with
    the reason when resubmission_rules.refusal or files_refusal says so (the notice's row lock makes
    its evidence count exact)."""
    text = text.strip()
    if not text:
        raise TransitionNotAllowed(_("Say what you fixed or what the new files show."))
    with transaction.atomic():
        notice = Notice.objects.select_for_update(of=("self",)).select_related("assigned_to__user").get(pk=notice.pk)
        found = (Decision.objects.select_related("item", "reason_code", "decided_by")
                 .filter(pk=decision.pk, item__notice=notice).first())
        if found is None:
            raise TransitionNotAllowed(_("This decision is not one of this notice's."))
        decision = found
        item = decision.item
        item.notice = notice  # as of the lock
        refusal = resubmission_rules.refusal(
            decision, resubmitted=Resubmission.objects.filter(item=item).exists(),
            appealed=Appeal.objects.filter(decision=decision, appellant=Appellant.SUBMITTER).exists(), now=now,
            suspension=notifiers.suspension_for(notice.submitter_email, now))
        refusal = refusal or resubmission_rules.files_refusal(
            decision, [evidence.size_of(upload) for upload, _ in files], *evidence.held_by(notice))
        if refusal:
            raise TransitionNotAllowed(refusal)
        reviewer = _reviewer_for(notice, decision)
        try:
            with transaction.atomic():
                resubmission = Resubmission.objects.create(notice=notice, item=item, decision=decision, text=text,
                                                           filed_at=now, reviewer=reviewer)
        except IntegrityError:  # a concurrent copy of the form won (databases without the row lock)
            raise TransitionNotAllowed(_("Listing %(n)s was already resubmitted.") % {"n": item.position}) from None
        for upload, content_type in files:
            evidence.store(notice.submission_key, resubmission_rules.evidence_kind(decision), upload, content_type,
                           notice=notice, resubmission=resubmission)
        _set_aside(notice, decision, now)
        events = [make_event(notice, EventKind.RESUBMITTED, SUBMITTER, now, item=item,
                             from_status=ItemState.REJECTED, to_status=ItemState.IN_REVIEW, details={
                                 "resubmission": resubmission.pk, "decision": decision.pk,
                                 "reason_code": decision.reason_code.code if decision.reason_code else None,
                                 "files": len(files),
                                 "reviewer": reviewer.user.get_username() if reviewer else None})]
        if notice.status == NoticeStatus.CLOSED:
            _reopen(notice, resubmission, now, events)
        else:
            settle(notice, SUBMITTER, now, events)
        emails.resubmission_received(resubmission)
        emails.resubmission_to_review(resubmission)
    return resubmission


def _set_aside(notice: Notice, decision: Decision, now: datetime) -> None:
    """The rejection leaves force (superseded, not reversed) and its listing waits for a decision again."""
    item = decision.item
    Decision.objects.filter(pk=decision.pk, superseded_at=None).update(superseded_at=now)
    decision.superseded_at = now
    if not NoticeItem.objects.filter(pk=item.pk, state=ItemState.REJECTED).update(state=ItemState.IN_REVIEW):
        raise TransitionNotAllowed(_("Listing %(position)s changed meanwhile; reload the page.") % {
            "position": item.position})
    item.state = ItemState.IN_REVIEW
    if notice.submitter_id:  # the fresh decision is counted when it is made
        Submitter.objects.filter(pk=notice.submitter_id, rejected_items__gt=0).update(
            rejected_items=F("rejected_items") - 1)


def _reviewer_for(notice: Notice, decision: Decision) -> Reviewer | None:
    """Who decides the fix: the notice's reviewer while the case is open (they are working it), else
    the one who rejected the listing, if active and allowed on the notice's risk band; else nobody
    (the queue)."""
    if notice.status != NoticeStatus.CLOSED:
        return notice.assigned_to
    decider = Reviewer.objects.select_related("user").filter(user=decision.decided_by, is_active=True).first()
    if decider is None or (notice.risk_band == RiskBand.HIGH and not decider.risk_reviewer):
        return None
    return decider


def _reopen(notice: Notice, resubmission: Resubmission, now: datetime, events: list[Event]) -> None:
    """A closed notice is back in review, with the reviewer chosen (their load counts it), and a
    decision clock that keeps the original's time (resubmission_rules.py, "The clock")."""
    reviewer = resubmission.reviewer
    change_status(notice, NoticeStatus.IN_REVIEW, kind=EventKind.REOPENED, actor=SUBMITTER, now=now,
                  details={"resubmission": resubmission.pk}, along_with=events, assigned_to=reviewer, closed_at=None)
    if reviewer is not None:
        Reviewer.objects.filter(pk=reviewer.pk).update(open_load=F("open_load") + 1)
    original = (SlaClock.objects.filter(notice=notice, kind=ClockKind.TAKEDOWN_DECISION, cancelled=False)
                .exclude(stopped_at=None).order_by("-stopped_at", "-id").first())
    due_at = None
    if original is not None:
        assert original.stopped_at is not None  # excluded above
        # The wait for the fix counts like a pause for the submitter's answer: the due time moves on by it.
        due_at = max(sla.moved_by_pause(original.due_at, original.stopped_at, now,
                                        sla.Calendar.from_terms(original.calendar)), now)
    clocks.start_clock(ClockKind.TAKEDOWN_DECISION, notice, now, reasons=[resubmission.item.reason], due_at=due_at)
