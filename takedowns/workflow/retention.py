"""Retention: the only code that deletes or anonymises people's data once the policy says it is no
longer needed (settings RETENTION_*, their cut-offs in legal.py; README "Retention of personal data"; the public page
/privacy/). The beat runs apply_retention(now) every hour. Each rule reads a bounded batch of due rows
and claims each with a conditional UPDATE (or DELETE) in a transaction of its own, so two runs that
overlap never act on a row twice, and a run that dies leaves every row either untouched or done.

The rules, in the order a run applies them:
1. An unconfirmed notice (its address never proven, so never received) is deleted
   RETENTION_UNCONFIRMED_DAYS after filing, with its listings, events, e-mails and evidence files.
2. A case (a confirmed notice, closed or withdrawn) loses its personal data RETENTION_CASE_YEARS after
   its last step, unless an appeal or a counter-notice is still open: the submitter's name,
   organisation, e-mail address, postal address, telephone and signature, the right owner's name and the
   description; the evidence files; the questions and answers; the texts of fixes resubmitted; the reviewers'
   notes and the explanations (the notice's claim copied on removals; the grounds are ours and stay); the
   counter-notices' contact details and texts; the appeals' texts and reasons; the seller's name
   in the listing snapshots; the addresses and bodies of the e-mails kept on the notice; and the
   words people wrote in its events (RETENTION_FREE_TEXT). The link to the submitter's record goes too.
3. A submitter's record (keyed by the e-mail address) is deleted once no notice refers to it, unless
   a lead made it a trusted flagger (that status is the record; revoking it lets the next run go on).
4. An e-mail that no notice holds (to a seller, to staff) is deleted RETENTION_CASE_YEARS after it was
   written: it is a copy of what the pages show, and no page lists it.
5. A notifier's misuse case (DSA Art. 23: a proposal, its measure, the appeal and their events) loses
   the notifier's address or domain, the addresses it was sent to and the words people wrote (the
   statement of reasons, the dismissal's and the appeal's) RETENTION_CASE_YEARS after its last step,
   never while its suspension runs or its appeal waits. A notice refused during a suspension was never
   received: rule 1 deletes it with the unconfirmed ones; the case's event of the refusal stays.
6. Professional notifiers (issue 15): a case's webhook events go with it (rule 1 deletes them, rule 2 empties
   their payloads, which repeat what the submitter reported and the reviewer's note); a CSV upload (the file, and
   the fields typed beside it) is deleted RETENTION_UNCONFIRMED_DAYS after it was made, as the notices it filed
   hold what was filed; an organisation's registration never confirmed is deleted RETENTION_UNCONFIRMED_DAYS
   after it was made, with its events and e-mails; an API request's Idempotency-Key after IDEMPOTENCY_HOURS.

What stays, so that every figure reads the same before and after: every row the transparency report,
the dashboard, the roll-ups and the counters are computed from (notices, listings, decisions, clocks,
strikes, penalties, counter-notices, appeals, events) with its dates, states, categories, references
and counts; and the staff's own names on the events (their work record, not a data subject's).
"""

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from takedowns import api_keys, evidence, legal
from takedowns.enums import (
    AppealStatus,
    CounterNoticeStatus,
    EventKind,
    NoticeStatus,
    NotifierEventKind,
    OrganisationStatus,
)
from takedowns.models import (
    Appeal,
    CounterNotice,
    CsvUpload,
    Decision,
    Event,
    IdempotencyKey,
    InfoRequest,
    Notice,
    NoticeItem,
    NotifierAppeal,
    NotifierEvent,
    NotifierMeasure,
    NotifierProposal,
    Organisation,
    OrganisationEvent,
    OutboundEmail,
    Resubmission,
    Submitter,
    WebhookEvent,
)

logger = logging.getLogger(__name__)

# The event details that hold words a person wrote, by event kind; blanked, the key kept.
RETENTION_FREE_TEXT: dict[str, str] = {
    EventKind.ITEM_DECIDED: "note",
    EventKind.ESCALATED: "note",
    EventKind.COUNTER_NOTICE_INCOMPLETE: "reason",
    EventKind.LAWSUIT_REPORTED: "details",
}
# The same in a notifier's case: a lead's statement of reasons or dismissal, an appeal's reasons.
NOTIFIER_FREE_TEXT: dict[str, str] = {
    NotifierEventKind.MEASURE_DECIDED: "statement",
    NotifierEventKind.PROPOSAL_DISMISSED: "reasons",
    NotifierEventKind.APPEAL_DECIDED: "reasons",
}
# A case's fields that carry personal data, and what they become. Blank, not a placeholder: the pages
# say "removed under the retention policy" from Notice.anonymised_at.
NOTICE_BLANKS = {"submitter_name": "", "submitter_organisation": "", "submitter_email": "", "signature": "",
                 "right_owner": "", "description": "", "submitter_address": "", "submitter_phone": ""}
COUNTER_NOTICE_BLANKS = {"full_name": "", "address": "", "phone": "", "email": "", "signature": "", "material": "",
                         "explanation": "", "incomplete_reason": "", "lawsuit_details": ""}
EMAIL_BLANKS = {"to": "", "body_text": "", "body_html": "", "last_error": ""}
# A case in these statuses is over: nothing more happens to it unless an appeal reopens it.
ENDED = (NoticeStatus.CLOSED, NoticeStatus.WITHDRAWN)
BATCH = 500


def apply_retention(now: datetime, batch: int = BATCH) -> dict[str, int]:
    """One run of the policy: at most `batch` rows per rule; what is left waits for the next run."""
    done = {
        "unconfirmed_deleted": delete_unconfirmed(now, batch),
        "cases_anonymised": anonymise_cases(now, batch),
        # After the cases: a record they were the last to refer to goes in the same run.
        "submitters_deleted": forget_submitters(batch),
        "emails_deleted": delete_unattached_mail(now, batch),
        "notifier_cases_anonymised": anonymise_notifier_cases(now, batch),
        "uploads_deleted": delete_uploads(now, batch),
        "organisations_deleted": delete_unconfirmed_organisations(now, batch),
        "idempotency_keys_deleted": delete_idempotency_keys(now, batch),
    }
    if any(done.values()):
        logger.info("retention: %s", ", ".join(f"{name} {count}" for name, count in done.items()))
    return done


# --- 1. Unconfirmed notices. ---

def _due_unconfirmed(cutoff: datetime) -> QuerySet[Notice]:
    return Notice.objects.filter(confirmed_at=None, anonymised_at=None, created_at__lte=cutoff)


def delete_unconfirmed(now: datetime, batch: int = BATCH) -> int:
    cutoff = legal.unconfirmed_deletion_cutoff(now)
    due = list(_due_unconfirmed(cutoff).order_by("created_at", "pk").values_list("pk", flat=True)[:batch])
    return sum(_delete_unconfirmed(notice_id, cutoff, now) for notice_id in due)


def _delete_unconfirmed(notice_id: int, cutoff: datetime, now: datetime) -> bool:
    with transaction.atomic():
        # The claim: a concurrent run (or a late confirmation, which locks the row too) waits for it,
        # then finds the row gone or changed and leaves it.
        if not _due_unconfirmed(cutoff).filter(pk=notice_id).update(anonymised_at=now):
            return False
        evidence.erase(notice_id)
        WebhookEvent.objects.filter(notice_id=notice_id).delete()  # their deliveries and attempts go with them
        Event.objects.filter(notice_id=notice_id).delete()
        Notice.objects.filter(pk=notice_id).delete()  # its listings and e-mails go with it (CASCADE)
    return True


# --- 2. Closed cases. ---

def _settled(cutoff: datetime) -> Q:
    """Nothing happened to the notice after `cutoff`, and no appeal or counter-notice of it still
    waits for someone (those run on their own clocks, whatever the notice's status)."""
    case = OuterRef("pk")
    return (~Q(Exists(Event.objects.filter(notice=case, created_at__gt=cutoff)))
            & ~Q(Exists(Appeal.objects.filter(decision__item__notice=case, status=AppealStatus.FILED)))
            & ~Q(Exists(Appeal.objects.filter(penalty__strike__notice=case, status=AppealStatus.FILED)))
            & ~Q(Exists(CounterNotice.objects.filter(decision__item__notice=case, status__in=[
                CounterNoticeStatus.FILED, CounterNoticeStatus.WAITING]))))


def _due_cases(cutoff: datetime) -> QuerySet[Notice]:
    return Notice.objects.filter(_settled(cutoff), anonymised_at=None, confirmed_at__isnull=False,
                                 status__in=ENDED, closed_at__lte=cutoff)


class _CaseMoved(Exception):
    """The case changed between the batch's read and the claim: left for a later run."""


def anonymise_cases(now: datetime, batch: int = BATCH) -> int:
    cutoff = legal.case_anonymisation_cutoff(now)
    due = list(_due_cases(cutoff).order_by("closed_at", "pk").values_list("pk", flat=True)[:batch])
    return sum(_anonymise_case(notice_id, cutoff, now) for notice_id in due)


def _anonymise_case(notice_id: int, cutoff: datetime, now: datetime) -> bool:
    try:
        with transaction.atomic():
            claimed = _due_cases(cutoff).filter(pk=notice_id).update(anonymised_at=now, submitter=None,
                                                                     **NOTICE_BLANKS)
            if not claimed:
                return False  # another run has it, or it moved on
            # The claim locks the row, and every step of a case locks it first: looked at again now,
            # a step committed while the claim waited (an appeal, a counter-notice) is seen.
            if not Notice.objects.filter(_settled(cutoff), pk=notice_id).exists():
                raise _CaseMoved
            _anonymise_case_rows(notice_id)
        return True
    except _CaseMoved:
        return False


def _anonymise_case_rows(notice_id: int) -> None:
    """Everything of the case but the notice row, which the claim blanked."""
    evidence.erase(notice_id)
    InfoRequest.objects.filter(notice_id=notice_id).update(message="", answer="")
    Resubmission.objects.filter(notice_id=notice_id).update(text="")
    Decision.objects.filter(item__notice_id=notice_id).update(note="", explanation="")
    CounterNotice.objects.filter(decision__item__notice_id=notice_id).update(**COUNTER_NOTICE_BLANKS)
    Appeal.objects.filter(Q(decision__item__notice_id=notice_id) | Q(penalty__strike__notice_id=notice_id)) \
        .update(text="", reasons="")
    OutboundEmail.objects.filter(notice_id=notice_id).update(**EMAIL_BLANKS)
    WebhookEvent.objects.filter(notice_id=notice_id).update(payload={})
    items = list(NoticeItem.objects.filter(notice_id=notice_id, listing_snapshot__has_key="seller_name"))
    for item in items:
        item.listing_snapshot = {**(item.listing_snapshot or {}), "seller_name": ""}
    NoticeItem.objects.bulk_update(items, ["listing_snapshot"])
    events = [event for event in Event.objects.filter(notice_id=notice_id, kind__in=list(RETENTION_FREE_TEXT))
              if event.details.get(RETENTION_FREE_TEXT[event.kind])]
    for event in events:
        event.details = {**event.details, RETENTION_FREE_TEXT[event.kind]: ""}
    # bulk_update writes with UPDATE, past Event.save's refusal: the one sanctioned change to an event.
    Event.objects.bulk_update(events, ["details"])


# --- 3. Submitters' records. ---

def _orphans() -> QuerySet[Submitter]:
    return Submitter.objects.filter(~Q(Exists(Notice.objects.filter(submitter=OuterRef("pk")))), trusted_flagger=False)


def forget_submitters(batch: int = BATCH) -> int:
    due = list(_orphans().order_by("pk").values_list("pk", flat=True)[:batch])
    return sum(_forget_submitter(submitter_id) for submitter_id in due)


def _forget_submitter(submitter_id: int) -> bool:
    """Delete the record if it is still an orphan. The row lock orders this against a confirmation of
    the same address, which updates the record before linking its notice: either the confirmation
    waits and then makes a new record (workflow/filing._submitter_for), or this waits and sees the link."""
    try:
        with transaction.atomic():
            if not Submitter.objects.select_for_update().filter(pk=submitter_id).exists():
                return False
            if not _orphans().filter(pk=submitter_id).exists():
                return False
            Submitter.objects.filter(pk=submitter_id).delete()
        return True
    except IntegrityError:  # a notice linked to it meanwhile, where the row lock is not enough
        return False


# --- 4. Mail that no notice holds. ---

def delete_unattached_mail(now: datetime, batch: int = BATCH) -> int:
    due = OutboundEmail.objects.filter(notice=None, created_at__lte=legal.case_anonymisation_cutoff(now))
    ids = list(due.order_by("created_at", "pk").values_list("pk", flat=True)[:batch])
    # The DELETE is its own claim: a second run's finds the rows gone.
    _, deleted = due.filter(pk__in=ids).delete()
    return deleted.get(OutboundEmail._meta.label, 0)


# --- 5. Notifiers' misuse cases. ---

def _notifier_case_settled(cutoff: datetime) -> Q:
    """Nothing happened in the case after `cutoff`, its suspension (if any) ended by then, and no appeal of
    it waits."""
    case = OuterRef("pk")
    return (~Q(Exists(NotifierEvent.objects.filter(proposal=case, created_at__gt=cutoff)))
            & ~Q(Exists(NotifierMeasure.objects.filter(proposal=case, ends_at__gt=cutoff)))
            & ~Q(Exists(NotifierAppeal.objects.filter(measure__proposal=case, status=AppealStatus.FILED))))


def _due_notifier_cases(cutoff: datetime) -> QuerySet[NotifierProposal]:
    return NotifierProposal.objects.filter(_notifier_case_settled(cutoff), anonymised_at=None, closed_at__lte=cutoff)


def anonymise_notifier_cases(now: datetime, batch: int = BATCH) -> int:
    cutoff = legal.case_anonymisation_cutoff(now)
    due = list(_due_notifier_cases(cutoff).order_by("closed_at", "pk").values_list("pk", flat=True)[:batch])
    return sum(_anonymise_notifier_case(proposal_id, cutoff, now) for proposal_id in due)


def _anonymise_notifier_case(proposal_id: int, cutoff: datetime, now: datetime) -> bool:
    with transaction.atomic():
        # The claim: a second run finds the row claimed. The figures (dates, levels, counts) stay.
        if not _due_notifier_cases(cutoff).filter(pk=proposal_id).update(anonymised_at=now, notifier="", addresses=[],
                                                                          dismissal_reasons=""):
            return False
        NotifierMeasure.objects.filter(proposal_id=proposal_id).update(notifier="", recipients=[], statement="")
        NotifierAppeal.objects.filter(measure__proposal_id=proposal_id).update(appellant_email="", text="", reasons="")
        events = list(NotifierEvent.objects.filter(proposal_id=proposal_id))
        for event in events:
            words = NOTIFIER_FREE_TEXT.get(event.kind)
            event.notifier = ""
            event.details = {**event.details, **({words: ""} if words in event.details else {})}
        # bulk_update writes with UPDATE, past NotifierEvent.save's refusal, as for the notices' events.
        NotifierEvent.objects.bulk_update(events, ["notifier", "details"])
    return True


# --- 6. Professional notifiers (issue 15). ---

def delete_uploads(now: datetime, batch: int = BATCH) -> int:
    """CSV uploads made RETENTION_UNCONFIRMED_DAYS ago or earlier: the file first, then the row, in one
    transaction per upload (as evidence.erase: a rollback leaves a row whose file the next run deletes again)."""
    due = CsvUpload.objects.filter(created_at__lte=legal.unconfirmed_deletion_cutoff(now))
    deleted = 0
    for upload in due.order_by("created_at", "pk")[:batch]:
        with transaction.atomic():
            upload.file.delete(save=False)
            # The DELETE is the claim: a second run's finds the row gone.
            deleted += CsvUpload.objects.filter(pk=upload.pk).delete()[1].get(CsvUpload._meta.label, 0)
    return deleted


def delete_unconfirmed_organisations(now: datetime, batch: int = BATCH) -> int:
    """Registrations of organisations that expired unconfirmed (their address never proven, so no key was ever
    made and no notice filed), RETENTION_UNCONFIRMED_DAYS after they were made: with their events and e-mails."""
    due = Organisation.objects.filter(status=OrganisationStatus.EXPIRED,
                                      created_at__lte=legal.unconfirmed_deletion_cutoff(now))
    deleted = 0
    for organisation_id in list(due.order_by("created_at", "pk").values_list("pk", flat=True)[:batch]):
        with transaction.atomic():
            if not due.filter(pk=organisation_id).select_for_update().exists():
                continue  # another run has it
            OrganisationEvent.objects.filter(organisation_id=organisation_id).delete()
            deleted += bool(Organisation.objects.filter(pk=organisation_id).delete()[0])  # its e-mails: CASCADE
    return deleted


def delete_idempotency_keys(now: datetime, batch: int = BATCH) -> int:
    due = IdempotencyKey.objects.filter(created_at__lt=now - timedelta(hours=api_keys.IDEMPOTENCY_HOURS))
    ids = list(due.order_by("created_at").values_list("pk", flat=True)[:batch])
    return due.filter(pk__in=ids).delete()[1].get(IdempotencyKey._meta.label, 0)
