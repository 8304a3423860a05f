"""Counter-notices (DMCA 512(g)): the only code that writes CounterNotice rows.

The life of a counter-notice, one function per step:

    file_counter_notice   seller, on the private statement page         → filed
    mark_incomplete       reviewer: something is missing               filed → incomplete
    file_counter_notice   seller corrects and files again         incomplete → filed
    accept_counter_notice reviewer: complete; the copy goes out        filed → waiting

Every filing (the first and each correction) is a CounterNoticeFiling row; CounterNotice.filed_at is
the latest, the receipt of the counter-notice found complete, from which the DMCA 512(g)(2)(C) window
counts (legal.restore_plan), whenever the check comes. The check has its own SLA clock
(COUNTER_NOTICE_CHECK, filing → found complete or returned) so that it comes long before the window ends.
    report_lawsuit        rights holder, on the tracking page         waiting → lawsuit
    restore_due           beat task, when the window has run out      waiting → restored

When a seller may file: at any time while the listing is down under the removal (the decision in
force, its listing 'removed', not restored). 512(g) gives the seller no deadline, and once the
listing is back there is nothing left to counter. The restore window and the sworn statements are
in takedowns/legal.py.

Each transition locks the notice's row (order_restore needs that lock, and it keeps the seller,
the reviewer, the rights holder and the beat task from crossing), re-reads the counter-notice,
refuses with a specific TransitionNotAllowed, writes its status with a conditional UPDATE,
records its events in the same transaction and queues its e-mails in the outbox.
"""

import logging
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from takedowns import appeal_rules, emails, legal
from takedowns.enums import (
    LEAD_GROUP,
    ClockKind,
    CounterNoticeStatus,
    EventKind,
)
from takedowns.models import CounterNotice, CounterNoticeFiling, Decision, Event, Notice, Reviewer
from takedowns.workflow import clocks, enforcement
from takedowns.workflow.base import (
    SELLER,
    SUBMITTER,
    SYSTEM,
    Actor,
    TransitionNotAllowed,
    make_event,
    reviewer_actor,
    save_events,
)

logger = logging.getLogger(__name__)


# The counter-notice's own fields, as file_counter_notice takes them, with the names used in refusals.
# Lazy translations (str when rendered), typed Any so that the policy page's list of them stays list[str].
# Translators: the parts of a counter-notice, listed after "The counter-notice is missing:".
FIELDS: dict[str, Any] = {
    "material": gettext_lazy("the removed listing and where it appeared"),
    "explanation": gettext_lazy("why the removal was a mistake"),
    "full_name": gettext_lazy("full name"),
    "address": gettext_lazy("address"),
    "phone": gettext_lazy("telephone number"),
    "email": gettext_lazy("e-mail address"),
    "signature": gettext_lazy("signature"),
}
STATEMENTS = ("statement_mistake", "consent_jurisdiction")


def _counter_notice_event(counter_notice: CounterNotice, kind: str, actor: Actor, now: datetime, *,
                          from_status: str = "", to_status: str = "", **details) -> Event:
    item = counter_notice.decision.item
    event = make_event(item.notice, kind, actor, now, item=item, from_status=from_status, to_status=to_status, details={
        "counter_notice": counter_notice.pk, "decision": counter_notice.decision_id,
        "listing": item.decided_listing.external_id, **details})
    return event


def _lock_notice(notice_id: int) -> Notice:
    return Notice.objects.select_for_update().get(pk=notice_id)


def _reload(counter_notice_id: int) -> CounterNotice:
    """The counter-notice as it is now, under the caller's notice lock."""
    return (CounterNotice.objects.select_related("decision__item__listing__seller", "decision__item__notice",
                                                 "checked_by")
            .get(pk=counter_notice_id))


def _locked(counter_notice: CounterNotice) -> CounterNotice:
    notice_id = (CounterNotice.objects.filter(pk=counter_notice.pk)
                 .values_list("decision__item__notice_id", flat=True).get())
    _lock_notice(notice_id)
    return _reload(counter_notice.pk)


def _removal_stands(decision: Decision) -> None:
    refusal = legal.counter_notice_refusal(decision)
    if refusal:
        raise TransitionNotAllowed(refusal)


def _check_fields(fields: dict) -> dict:
    """The server's own check of every 512(g)(3) element (the form gives the field-by-field errors)."""
    cleaned = {name: str(fields.get(name) or "").strip() for name in FIELDS}
    missing = [label for name, label in FIELDS.items() if not cleaned[name]]
    if missing:
        raise TransitionNotAllowed(_("The counter-notice is missing: %(parts)s.") % {
            "parts": ", ".join(str(label) for label in missing)})
    if not all(fields.get(name) is True for name in STATEMENTS):
        raise TransitionNotAllowed(_("A counter-notice needs both sworn statements: the removal was a mistake or "
                                     "misidentification, and the consent to jurisdiction and to accept service."))
    if not legal.signature_matches(cleaned["full_name"], cleaned["signature"]):
        raise TransitionNotAllowed(_("The signature must be your full name, typed again exactly as above."))
    return {**cleaned, "statement_mistake": True, "consent_jurisdiction": True}


def file_counter_notice(decision: Decision, fields: dict, now: datetime) -> CounterNotice:
    """The seller files a counter-notice against a removal, or files again one that a reviewer
    returned as incomplete (the same row, corrected). One per decision; the seller gets a receipt."""
    with transaction.atomic():
        notice_id = Decision.objects.filter(pk=decision.pk).values_list("item__notice_id", flat=True).get()
        _lock_notice(notice_id)
        decision = Decision.objects.select_related("item__listing__seller", "item__notice").get(pk=decision.pk)
        _removal_stands(decision)
        existing = CounterNotice.objects.filter(decision=decision).first()
        if existing is not None and existing.status != CounterNoticeStatus.INCOMPLETE:
            raise TransitionNotAllowed(_already_filed(existing))
        values = _check_fields(fields)
        if existing is None:
            counter_notice = CounterNotice.objects.create(decision=decision, filed_at=now,
                                                          status=CounterNoticeStatus.FILED, **values)
            from_status = ""
        else:  # incomplete: corrected and filed again
            if not CounterNotice.objects.filter(pk=existing.pk, status=CounterNoticeStatus.INCOMPLETE).update(
                    status=CounterNoticeStatus.FILED, filed_at=now, **values):
                raise TransitionNotAllowed(_("The counter-notice was changed meanwhile; reload the page."))
            counter_notice, from_status = _reload(existing.pk), CounterNoticeStatus.INCOMPLETE
        counter_notice.decision = decision
        CounterNoticeFiling.objects.create(counter_notice=counter_notice, filed_at=now, refiling=bool(from_status))
        events = [_counter_notice_event(counter_notice, EventKind.COUNTER_NOTICE_FILED, SELLER, now,
                                        from_status=from_status, to_status=CounterNoticeStatus.FILED,
                                        refiled=bool(from_status))]
        item = decision.item
        clocks.start_clock(ClockKind.COUNTER_NOTICE_CHECK, item.notice, now, reasons=[item.reason], item=item,
                           counter_notice=counter_notice, events=events)
        save_events(events)
        emails.counter_notice_filed(counter_notice, now)
    return counter_notice


def _already_filed(existing: CounterNotice) -> str:
    if existing.status == CounterNoticeStatus.FILED:
        return _("You have already filed a counter-notice against this removal (%(filed_on)s); it is being "
                 "checked for completeness.") % {
            "filed_on": date_format(timezone.localtime(existing.filed_at), "DATE_FORMAT")}
    if existing.status == CounterNoticeStatus.WAITING and existing.restore_due_at is not None:
        return _("Your counter-notice against this removal is complete; the listing is due to be restored at "
                 "%(restore_at)s.") % {"restore_at": legal.restore_time_text(existing.restore_due_at)}
    if existing.status == CounterNoticeStatus.LAWSUIT:
        return _("The rights holder has reported a lawsuit about this listing; it stays down until the court "
                 "decides, and no further counter-notice can be filed here.")
    return _("Your counter-notice against this removal has been dealt with already; the listing was restored.")


def mark_incomplete(counter_notice: CounterNotice, reviewer: Reviewer, reason: str, now: datetime) -> CounterNotice:
    """A reviewer returns a counter-notice that lacks something, saying what; the seller is told how
    to correct it on the private page. The restore window does not start."""
    reason = (reason or "").strip()
    if not reason:
        raise TransitionNotAllowed(_("Say what is missing, so that the seller can correct it."))
    with transaction.atomic():
        counter_notice = _locked(counter_notice)
        _must_be_filed(counter_notice, complete=False)
        if not CounterNotice.objects.filter(pk=counter_notice.pk, status=CounterNoticeStatus.FILED).update(
                status=CounterNoticeStatus.INCOMPLETE, incomplete_reason=reason, checked_by=reviewer.user,
                checked_at=now):
            raise TransitionNotAllowed(_("The counter-notice was changed meanwhile; reload the page."))
        counter_notice = _reload(counter_notice.pk)
        events = [_counter_notice_event(counter_notice, EventKind.COUNTER_NOTICE_INCOMPLETE, reviewer_actor(reviewer),
                                        now, from_status=CounterNoticeStatus.FILED,
                                        to_status=CounterNoticeStatus.INCOMPLETE, reason=reason)]
        clocks.stop_clock(ClockKind.COUNTER_NOTICE_CHECK, now, counter_notice=counter_notice, events=events)
        save_events(events)
        emails.counter_notice_incomplete(counter_notice, now)
    return counter_notice


def _must_be_filed(counter_notice: CounterNotice, *, complete: bool) -> None:
    if counter_notice.status != CounterNoticeStatus.FILED:
        values = {"listing": counter_notice.decision.item.decided_listing.external_id,
                  "status": counter_notice.get_status_display()}
        if complete:
            raise TransitionNotAllowed(_("The counter-notice on listing %(listing)s is '%(status)s'; only one "
                                         "waiting for its check can be found complete.") % values)
        raise TransitionNotAllowed(_("The counter-notice on listing %(listing)s is '%(status)s'; only one waiting "
                                     "for its check can be returned as incomplete.") % values)


def accept_counter_notice(counter_notice: CounterNotice, reviewer: Reviewer, now: datetime) -> CounterNotice:
    """A reviewer finds the counter-notice complete: the rights holder receives a copy (512(g)(2)(B))
    by e-mail and on the tracking page with the restore date, and the seller learns the date too. The
    date counts from the receipt (filed_at), not from this check (legal.py, 512(g)(2)(C)); so does
    the restore clock, started dated back to the receipt."""
    with transaction.atomic():
        counter_notice = _locked(counter_notice)
        _must_be_filed(counter_notice, complete=True)
        decision = counter_notice.decision
        _removal_stands(decision)
        received_at = counter_notice.filed_at
        plan = legal.restore_plan(received_at, now)
        due = plan.due_at
        if not CounterNotice.objects.filter(pk=counter_notice.pk, status=CounterNoticeStatus.FILED).update(
                status=CounterNoticeStatus.WAITING, checked_by=reviewer.user, checked_at=now, restore_due_at=due):
            raise TransitionNotAllowed(_("The counter-notice was changed meanwhile; reload the page."))
        counter_notice = _reload(counter_notice.pk)
        item = counter_notice.decision.item
        events = [_counter_notice_event(
            counter_notice, EventKind.COUNTER_NOTICE_ACCEPTED, reviewer_actor(reviewer), now,
            from_status=CounterNoticeStatus.FILED, to_status=CounterNoticeStatus.WAITING,
            received_at=received_at.isoformat(), restore_due_at=due.isoformat(), restore_rule=plan.rule,
            **({} if plan.rule == legal.RESTORE_PLANNED else {"note": legal.restore_reason_text(plan)}))]
        clocks.stop_clock(ClockKind.COUNTER_NOTICE_CHECK, now, counter_notice=counter_notice, events=events)
        clocks.start_clock(ClockKind.COUNTER_NOTICE_RESTORE, item.notice, received_at, reasons=[item.reason],
                           item=item, counter_notice=counter_notice, due_at=legal.latest_restore_at(received_at, due),
                           events=events, now=now)
        save_events(events)
        emails.counter_notice_copy(counter_notice, now)
        emails.counter_notice_accepted(counter_notice, now)
        if plan.rule == legal.RESTORE_MISSED:
            # The check came after the 14th business day ended: the law's window is missed; the leads hear it.
            emails.counter_notice_window_missed_staff(counter_notice, now)
    return counter_notice


def report_lawsuit(notice: Notice, counter_notice: CounterNotice, details: str, now: datetime) -> CounterNotice:
    """The rights holder reports, on the tracking page, that they filed an action seeking a court
    order against the seller: the listing is not restored. Possible until the restore happens."""
    details = (details or "").strip()
    if not details:
        raise TransitionNotAllowed(_("Name the court and the case number of the action you filed."))
    with transaction.atomic():
        _lock_notice(notice.pk)
        counter_notice = _reload(counter_notice.pk)
        if counter_notice.decision.item.notice_id != notice.pk:
            raise TransitionNotAllowed(_("This counter-notice is not about a listing of this notice."))
        if counter_notice.status != CounterNoticeStatus.WAITING:
            raise TransitionNotAllowed(_no_lawsuit_now(counter_notice))
        if not CounterNotice.objects.filter(pk=counter_notice.pk, status=CounterNoticeStatus.WAITING).update(
                status=CounterNoticeStatus.LAWSUIT, lawsuit_reported_at=now, lawsuit_details=details):
            raise TransitionNotAllowed(_("The counter-notice was changed meanwhile; reload the page."))
        counter_notice = _reload(counter_notice.pk)
        events = [_counter_notice_event(counter_notice, EventKind.LAWSUIT_REPORTED, SUBMITTER, now,
                                        from_status=CounterNoticeStatus.WAITING,
                                        to_status=CounterNoticeStatus.LAWSUIT, details=details)]
        clocks.stop_clock(ClockKind.COUNTER_NOTICE_RESTORE, now, counter_notice=counter_notice, events=events)
        save_events(events)
        emails.counter_notice_lawsuit_received(counter_notice, now)
        emails.counter_notice_lawsuit_seller(counter_notice, now)
        emails.counter_notice_lawsuit_staff(counter_notice, _staff(counter_notice), now)
    return counter_notice


def _no_lawsuit_now(counter_notice: CounterNotice) -> str:
    if counter_notice.status == CounterNoticeStatus.LAWSUIT:
        assert counter_notice.lawsuit_reported_at is not None  # set with the status
        return _("You reported a lawsuit on %(reported_at)s already.") % {
            "reported_at": appeal_rules.when(counter_notice.lawsuit_reported_at)}
    if counter_notice.status == CounterNoticeStatus.RESTORED and counter_notice.restored_at is not None:
        return _("The listing was restored at %(restored_at)s; a lawsuit can no longer be reported here.") % {
            "restored_at": legal.restore_time_text(counter_notice.restored_at)}
    return _("The counter-notice is still being checked for completeness; there is no restore to stop yet.")


def _staff(counter_notice: CounterNotice) -> list:
    """Who hears of a lawsuit: the reviewer who checked the counter-notice, and the leads."""
    leads = get_user_model().objects.filter(groups__name=LEAD_GROUP, is_active=True).exclude(email="")
    people = {user.pk: user for user in leads.order_by("pk")}
    checker = counter_notice.checked_by
    if checker is not None and checker.is_active and checker.email:
        people = {checker.pk: checker, **people}
    return list(people.values())


def restore_due(now: datetime, limit: int = 500) -> int:
    """Beat work: restore the listing of every counter-notice whose window ran out without a
    lawsuit. Each is claimed with a conditional UPDATE (waiting → restored), so an overlapping or
    repeated run restores nothing twice. Returns how many were claimed."""
    due = list(CounterNotice.objects.filter(status=CounterNoticeStatus.WAITING, restore_due_at__lte=now)
               .order_by("restore_due_at", "id").values_list("pk", "decision__item__notice_id")[:limit])
    restored = 0
    for counter_notice_id, notice_id in due:
        with transaction.atomic():
            _lock_notice(notice_id)
            if not CounterNotice.objects.filter(pk=counter_notice_id, status=CounterNoticeStatus.WAITING,
                                                restore_due_at__lte=now).update(
                    status=CounterNoticeStatus.RESTORED, restored_at=now):
                continue  # a lawsuit came first, or another run claimed it
            counter_notice = _reload(counter_notice_id)
            _restore(counter_notice, now)
            restored += 1
    return restored


def _restore(counter_notice: CounterNotice, now: datetime) -> None:
    decision = counter_notice.decision
    events: list[Event] = []
    try:
        enforcement.order_restore(decision, SYSTEM, now, "Counter-notice (DMCA 512(g)): no lawsuit was reported "
                                                         "within the restore window", events)
    except TransitionNotAllowed:
        # The listing came back another way (an appeal) while the window ran: nothing to restore,
        # nobody to tell, and the clock measured nothing.
        logger.info("counter-notice %s: removal no longer stands; nothing to restore", counter_notice.pk)
        clocks.stop_clock(ClockKind.COUNTER_NOTICE_RESTORE, now, cancelled=True, counter_notice=counter_notice)
        return
    clocks.stop_clock(ClockKind.COUNTER_NOTICE_RESTORE, now, counter_notice=counter_notice, events=events)
    save_events(events)
    emails.counter_notice_restored_seller(counter_notice, now)
    emails.counter_notice_restored_rights_holder(counter_notice, now)
