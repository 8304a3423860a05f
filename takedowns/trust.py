"""The open trust ladder (PRODUCT.md "Trust, abuse and priority"): unverified → verified e-mail →
good-faith programme → trusted flagger, computed from the submitter's record, without an account.

The rung is stamped on each notice when its address is confirmed; a submitter whose record drops
loses the good-faith rung on their next notice, automatically."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, OuterRef, Q, Subquery

from takedowns.enums import CounterNoticeStatus, DecisionOutcome, SubmitterTrust
from takedowns.models import Decision, Notice, Submitter

# Alibaba's good-faith takedown programme, as PRODUCT.md describes it: a strong record over three months.
GOOD_FAITH_WINDOW = timedelta(days=90)
GOOD_FAITH_MIN_DECIDED = 10  # too few decisions say nothing about a record
GOOD_FAITH_MIN_ACCEPTED = 0.9
GOOD_FAITH_MAX_COUNTERED = 0.05  # removals undone by a counter-notice the rights holder did not contest


@dataclass(frozen=True)
class Record:
    """The submitter's decided listings within the good-faith window."""
    decided: int
    removed: int
    countered: int = 0


def trust_for(trusted_flagger: bool, record: Record) -> str:
    if trusted_flagger:
        return SubmitterTrust.TRUSTED_FLAGGER
    if (record.decided >= GOOD_FAITH_MIN_DECIDED and record.removed >= GOOD_FAITH_MIN_ACCEPTED * record.decided
            and record.countered <= GOOD_FAITH_MAX_COUNTERED * record.removed):
        return SubmitterTrust.GOOD_FAITH
    return SubmitterTrust.VERIFIED


def recent_record(submitter: Submitter, now: datetime) -> Record:
    # Decisions set aside on appeal or by a resubmission do not count: the one that replaced them does.
    counts = Decision.objects.filter(item__notice__submitter=submitter, decided_at__gte=now - GOOD_FAITH_WINDOW,
                                     reversed_at=None, superseded_at=None) \
        .aggregate(decided=Count("id"), removed=Count("id", filter=Q(outcome=DecisionOutcome.REMOVE)),
                   countered=Count("id", filter=Q(counter_notice__status=CounterNoticeStatus.RESTORED)))
    return Record(decided=counts["decided"], removed=counts["removed"], countered=counts["countered"])


def submitter_trust(submitter: Submitter, now: datetime) -> str:
    if submitter.trusted_flagger:  # no need to read the record
        return SubmitterTrust.TRUSTED_FLAGGER
    return trust_for(False, recent_record(submitter, now))


def standing(email: str) -> str:
    """The rung of the submitter with this address as the portal last established it, for their rate
    limits (takedowns/limits.py): trusted flagger from the record's flag (a lead sets it; read live), the
    good-faith rung as stamped on their last confirmed notice (the record is weighed at each
    confirmation, above), UNVERIFIED for an address that never confirmed. One query on unique and
    indexed columns (Submitter.email, the index notice_submitter_confirmed), whatever the volume."""
    last_rung = Notice.objects.filter(submitter=OuterRef("pk"), confirmed_at__isnull=False) \
        .order_by("-confirmed_at").values("trust")[:1]
    row = Submitter.objects.filter(email=email.strip().lower()).annotate(last_rung=Subquery(last_rung)) \
        .values_list("trusted_flagger", "last_rung").first()
    if row is None:
        return SubmitterTrust.UNVERIFIED
    trusted_flagger, last = row
    if trusted_flagger:
        return SubmitterTrust.TRUSTED_FLAGGER
    # A flagger whose status a lead withdrew keeps no more than the good-faith rung it may have earned.
    return SubmitterTrust.GOOD_FAITH if last == SubmitterTrust.GOOD_FAITH else SubmitterTrust.VERIFIED
