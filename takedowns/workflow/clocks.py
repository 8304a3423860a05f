"""SLA clocks: the only code that writes SlaClock rows. Every start, pause, resume, stop, warning
and breach is an event on the notice, so every figure can be traced back to the log.

What each clock measures (PRODUCT.md, "SLA clocks"):
- acknowledgement: confirmed → routed to a reviewer;
- takedown decision: confirmed → the last listing decided (paused while the submitter owes an
  answer). It is created at routing, dated from the confirmation, because its policy depends on
  the priority that routing computes;
- takedown executed, per removed listing: decided → down at the marketplace;
- seller penalty, per strike: strike recorded → penalty applied;
- counter-notice restore: counter-notice found complete → restored, or a lawsuit reported;
- appeal decision: appeal filed → decided.

Due-time arithmetic is in takedowns.sla (pure functions); this module applies it to rows.
"""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from time import monotonic

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models import F

from takedowns import emails, sla
from takedowns.enums import LEAD_GROUP, OPEN_NOTICE_STATUSES, ClockKind, EventKind, SubmitterTrust
from takedowns.models import Event, Notice, SlaClock, SlaPolicy
from takedowns.workflow.base import SYSTEM, make_event, save_events

logger = logging.getLogger(__name__)

# Used when no active policy matches; leads set real targets as SLA policies in the admin.
DEFAULT_TARGETS: dict[str, timedelta] = {
    ClockKind.ACKNOWLEDGEMENT: timedelta(minutes=15),
    ClockKind.TAKEDOWN_DECISION: timedelta(hours=24),
    ClockKind.TAKEDOWN_EXECUTED: timedelta(minutes=15),
    ClockKind.SELLER_PENALTY: timedelta(hours=72),
    ClockKind.COUNTER_NOTICE_RESTORE: timedelta(days=14),
    ClockKind.APPEAL_DECISION: timedelta(days=7),
    # Two days round the clock (the default policy: two business days, New York): well inside the
    # 10 business days of DMCA 512(g)(2)(C), which count from the filing (legal.py).
    ClockKind.COUNTER_NOTICE_CHECK: timedelta(days=2),
    # A listing held by screening waits, not live, for a reviewer (migration 0030's policy: 12 hours).
    ClockKind.SCREENING_REVIEW: timedelta(hours=12),
}
DEFAULT_WARN_RATIO = 0.8
# The clocks of the notice's own next step, whose due time orders the review queue.
NOTICE_CLOCKS = (ClockKind.ACKNOWLEDGEMENT, ClockKind.TAKEDOWN_DECISION)


def _specificity(policy: SlaPolicy) -> tuple:
    """Among policies of the same standing: right type, then reason, then the highest priority band."""
    return bool(policy.right_type), bool(policy.reason), policy.min_priority, -policy.pk


def policy_for(kind: str, notice: Notice, started_at: datetime, reasons: Sequence[str] = ()) -> SlaPolicy | None:
    """The policy a clock of this kind started at `started_at` runs under: the most specific active
    one (right type, then reason, then the highest priority band).

    DSA Art. 22(1): notices of trusted flaggers are "processed and decided upon with priority and
    without undue delay". The queue is ordered by due time, so priority means a due time no later
    than the same notice from anyone else: for a trusted flagger's notice the most specific
    trusted-flagger policy and the most specific ordinary one are both candidates, and the one
    whose due time from `started_at` is earlier wins (on a tie, the trusted-flagger policy). Due
    times, not targets, are compared: the two may count on different calendars (12 hours round the
    clock against 4 working hours). No ordinary policy: the default target, round the clock."""
    trusted = notice.trust == SubmitterTrust.TRUSTED_FLAGGER
    candidates = [policy for policy in active_policies()
                  if policy.clock == kind and policy.min_priority <= notice.priority
                  and (trusted or not policy.trusted_flagger_only)
                  and policy.right_type in ("", notice.right_type) and (not policy.reason or policy.reason in reasons)]
    ordinary = max((p for p in candidates if not p.trusted_flagger_only), key=_specificity, default=None)
    flagger = max((p for p in candidates if p.trusted_flagger_only), key=_specificity, default=None)
    if flagger is None:
        return ordinary
    if _due_at(ordinary, kind, started_at) < _due_at(flagger, kind, started_at):
        return ordinary
    return flagger


def _due_at(policy: SlaPolicy | None, kind: str, started_at: datetime) -> datetime:
    """When a clock started at `started_at` under this policy (None: the default target) falls due."""
    target = policy.target if policy else DEFAULT_TARGETS[kind]
    return sla.add_working_time(started_at, target, calendar_of(policy))


@dataclass(frozen=True)
class TrustedFlaggerTargets:
    """What the review queue may say of trusted flaggers' decision targets (DSA Art. 22)."""
    shortest: timedelta
    longest: timedelta
    # Every trusted-flagger target is shorter than every target another notice can get, on the same
    # calendar (targets on different calendars cannot be compared as such: which falls due first
    # depends on the hour the clock starts).
    shorter_than_all_others: bool


def trusted_flagger_targets(kind: str = ClockKind.TAKEDOWN_DECISION) -> TrustedFlaggerTargets | None:
    """The active trusted-flagger policies' targets for this clock, and whether they are all shorter
    than every other notice's; None when leads have none."""
    policies = [policy for policy in active_policies() if policy.clock == kind]
    flagger = [policy for policy in policies if policy.trusted_flagger_only]
    if not flagger:
        return None
    ordinary: list[SlaPolicy | None] = [policy for policy in policies if not policy.trusted_flagger_only]
    if not any(not p.right_type and not p.reason and p.min_priority <= 0 for p in ordinary if p is not None):
        ordinary.append(None)  # some notices match no policy: the default target, round the clock
    longest = max(flagger, key=lambda policy: policy.target)
    calendar = calendar_of(longest).terms()
    shorter = all(calendar_of(policy).terms() == calendar for policy in flagger) and all(
        calendar_of(other).terms() == calendar and (other.target if other else DEFAULT_TARGETS[kind]) > longest.target
        for other in ordinary)
    return TrustedFlaggerTargets(min(policy.target for policy in flagger), longest.target, shorter)


# --- The active policies, kept per process. Every clock start needs them and leads change them
# rarely, so each process keeps a copy and reads it again when a policy changed: saving or
# deleting one (the admin does) writes a new token into the shared cache once its transaction
# commits, and the copy is only used while the token is the one it was read under. A change that
# bypasses save() (QuerySet.update, SQL) or whose token could not be written (cache down) is
# picked up within POLICY_CACHE_SECONDS; until then a policy deleted that way makes a clock start
# fail on its foreign key (routing is retried by the sweep). ---

POLICY_TOKEN_KEY = "sla-policies-token"
POLICY_CACHE_SECONDS = 60
_cached_policies: tuple[str | None, float, list[SlaPolicy]] = (None, 0.0, [])


def active_policies() -> list[SlaPolicy]:
    """All active SLA policies, from this process's copy when no policy changed since it was read.
    Callers must not modify them."""
    global _cached_policies
    try:
        # Read before the rows: a change committed after this read sets a newer token.
        token = cache.get_or_set(POLICY_TOKEN_KEY, uuid.uuid4().hex, timeout=None)
    except Exception:
        logger.warning("SLA policy token unreadable; reading the policies from the database", exc_info=True)
        return list(SlaPolicy.objects.filter(is_active=True))
    cached_token, read_at, policies = _cached_policies
    if token != cached_token or monotonic() - read_at > POLICY_CACHE_SECONDS:
        policies = list(SlaPolicy.objects.filter(is_active=True))
        _cached_policies = (token, monotonic(), policies)
    return policies


def policies_changed(**kwargs) -> None:
    """post_save / post_delete of SlaPolicy (connected in apps.py). Nothing changes for anybody
    until the change commits; a rolled-back change leaves the token alone."""
    transaction.on_commit(_new_policy_token, robust=True)


def _new_policy_token() -> None:
    cache.set(POLICY_TOKEN_KEY, uuid.uuid4().hex, timeout=None)


def calendar_of(policy: SlaPolicy | None) -> sla.Calendar:
    if policy is None or not policy.business_hours:
        return sla.ROUND_THE_CLOCK
    return sla.Calendar(business_hours=True, timezone=policy.timezone, country=policy.country,
                        subdivision=policy.subdivision, day_start=policy.day_start, day_end=policy.day_end)


def _clock_event(clock: SlaClock, kind: str, now: datetime, **details) -> Event:
    return make_event(clock.notice, kind, SYSTEM, now, item=clock.item_id, details={
        "clock": clock.kind, "clock_id": clock.pk, "due_at": clock.due_at.isoformat(), **details})


def _save(events: list[Event] | None, event: Event) -> None:
    """Append to the caller's batch (written with its other events in one INSERT), or save now."""
    if events is None:
        save_events([event])
    else:
        events.append(event)


def start_clock(kind: str, notice: Notice, started_at: datetime, *, reasons: Sequence[str] = (), item=None,
                strike=None, counter_notice=None, appeal=None, due_at: datetime | None = None,
                events: list[Event] | None = None, now: datetime | None = None, follow: bool = True) -> SlaClock:
    """Start a clock under the policy that applies now. `due_at` overrides the policy's target for
    clocks whose deadline is set by law (the counter-notice restore window). `now`, when later than
    `started_at`, is when the start is recorded (a clock dated back to the event that started it).
    `follow=False`: the caller writes Notice.due_at itself (routing, in its own UPDATE of the notice)."""
    clock = new_clock(kind, notice, started_at, reasons=reasons, item=item, strike=strike,
                      counter_notice=counter_notice, appeal=appeal, due_at=due_at)
    clock.save(force_insert=True)
    if follow:
        _follow(clock)
    _save(events, _started_event(clock, now or started_at))
    return clock


def new_clock(kind: str, notice: Notice, started_at: datetime, *, reasons: Sequence[str] = (), item=None,
              strike=None, counter_notice=None, appeal=None, due_at: datetime | None = None) -> SlaClock:
    """The clock start_clock writes, not saved yet (routing in batches saves many in one INSERT: start_clocks)."""
    policy = policy_for(kind, notice, started_at, reasons)
    calendar = calendar_of(policy)
    target = policy.target if policy else DEFAULT_TARGETS[kind]
    ratio = policy.warn_ratio if policy else DEFAULT_WARN_RATIO
    if due_at is None:
        due_at = sla.add_working_time(started_at, target, calendar)
        warn_at = sla.warning_at(started_at, target, ratio, calendar)
    else:
        # The target in the clock's own time, so that sla.elapsed_in_own_time holds for these clocks too.
        target = sla.working_time_between(started_at, due_at, calendar)
        warn_at = started_at + (due_at - started_at) * ratio
    # The first decision clock starts as routing hands the notice over (routed_at is written after
    # it); one started on a notice routed before is a new round, an appeal or a fix and resubmit
    # (workflow/resubmissions.py) having reopened the decided notice: a re-decision, counted apart
    # from the notices decided.
    reopened = kind == ClockKind.TAKEDOWN_DECISION and notice.routed_at is not None
    return SlaClock(
        kind=kind, notice=notice, item=item, strike=strike, counter_notice=counter_notice, appeal=appeal,
        policy=policy, target=target, calendar=calendar.terms(), started_at=started_at, due_at=due_at,
        warn_at=warn_at, reopened=reopened)


def _started_event(clock: SlaClock, now: datetime) -> Event:
    policy = clock.policy
    return _clock_event(clock, EventKind.CLOCK_STARTED, now, target=str(clock.target),
                        started_at=clock.started_at.isoformat(), policy=str(policy) if policy else "default target")


def _follow(clock: SlaClock) -> None:
    """The notice's due time (the queue's order) follows the clock of its next step."""
    if clock.kind in NOTICE_CLOCKS:
        Notice.objects.filter(pk=clock.notice_id).update(due_at=clock.due_at)
        clock.notice.due_at = clock.due_at


def _running(kind: str, **subject) -> SlaClock | None:
    """The running clock of this kind for the subject (notice=, item=, …; filters such as paused_at= too)."""
    notice = subject.get("notice")
    if isinstance(notice, Notice):
        # The caller has the notice in hand: no need to read it again with the clock.
        clock = SlaClock.objects.filter(kind=kind, stopped_at=None, **subject).first()
        if clock is not None:
            clock.notice = notice
        return clock
    return SlaClock.objects.filter(kind=kind, stopped_at=None, **subject).select_related("notice").first()


def stop_clock(kind: str, now: datetime, *, cancelled: bool = False, events: list[Event] | None = None,
               **subject) -> SlaClock | None:
    """Stop the running clock of this kind for the subject (notice=, item=, strike=, counter_notice=
    or appeal=). Stopping a clock that is not running does nothing."""
    clock = _running(kind, **subject)
    if clock is None:
        return None
    before = (clock.due_at, clock.warn_at, clock.paused_at, clock.paused_for)
    fields = _stop(clock, now, cancelled)
    if not SlaClock.objects.filter(pk=clock.pk, stopped_at=None).update(**fields):
        clock.due_at, clock.warn_at, clock.paused_at, clock.paused_for = before
        clock.stopped_at = None
        return None
    _save(events, _stopped_event(clock, now))
    return clock


def _stop(clock: SlaClock, now: datetime, cancelled: bool) -> dict:
    """Stop the clock in memory; returns the fields to write."""
    calendar = sla.Calendar.from_terms(clock.calendar)
    due_at, warn_at, paused_for = clock.due_at, clock.warn_at, clock.paused_for
    if clock.paused_at is not None:
        # Stopped while paused (the notice closed because the submitter never answered): the last
        # wait moves the due and warning times as a resume would, so the clock is judged on the
        # working time it ran, like every other clock (issue 12, item 1).
        due_at = sla.moved_by_pause(due_at, clock.paused_at, now, calendar)
        warn_at = sla.moved_by_pause(warn_at, clock.paused_at, now, calendar)
        paused_for += now - clock.paused_at
    elapsed = sla.elapsed_in_own_time(clock.target, due_at, now, calendar)
    fields = {"stopped_at": now, "paused_at": None, "paused_for": paused_for, "elapsed": elapsed,
              "cancelled": cancelled, "due_at": due_at, "warn_at": warn_at}
    for name, value in fields.items():
        setattr(clock, name, value)
    return fields


def _stopped_event(clock: SlaClock, now: datetime) -> Event:
    assert clock.elapsed is not None  # set by _stop
    return _clock_event(clock, EventKind.CLOCK_STOPPED, now, elapsed=str(clock.elapsed), cancelled=clock.cancelled,
                        within_target=now <= clock.due_at)


def stop_all(notice: Notice, now: datetime, events: list[Event] | None = None) -> None:
    """The case ended without the measured steps (withdrawn): stop its clocks, out of the figures."""
    running = SlaClock.objects.filter(notice=notice, stopped_at=None).values_list("kind", "item", "strike",
                                                                                  "counter_notice", "appeal")
    for kind, item, strike, counter_notice, appeal in running:
        stop_clock(kind, now, cancelled=True, events=events, notice=notice, item=item, strike=strike,
                   counter_notice=counter_notice, appeal=appeal)


def pause_clock(kind: str, now: datetime, *, events: list[Event] | None = None, **subject) -> None:
    """The clock waits for somebody outside our control (the submitter owes an answer)."""
    clock = _running(kind, paused_at=None, **subject)
    if clock and SlaClock.objects.filter(pk=clock.pk, paused_at=None, stopped_at=None).update(paused_at=now):
        _save(events, _clock_event(clock, EventKind.CLOCK_PAUSED, now))


def resume_clock(kind: str, now: datetime, *, events: list[Event] | None = None, **subject) -> None:
    """The wait is over: the due and warning times move later by the working time spent paused."""
    clock = _running(kind, paused_at__isnull=False, **subject)
    if clock is None:
        return
    paused_at = clock.paused_at
    assert paused_at is not None  # _running found it paused
    calendar = sla.Calendar.from_terms(clock.calendar)
    due_at = sla.moved_by_pause(clock.due_at, paused_at, now, calendar)
    warn_at = sla.moved_by_pause(clock.warn_at, paused_at, now, calendar)
    if SlaClock.objects.filter(pk=clock.pk, paused_at=paused_at).update(
            paused_at=None, paused_for=F("paused_for") + (now - paused_at), due_at=due_at, warn_at=warn_at):
        clock.due_at = due_at
        _follow(clock)
        _save(events, _clock_event(clock, EventKind.CLOCK_RESUMED, now, paused=str(now - paused_at)))


# --- The beat task: warnings and breaches. ---

def process_due(now: datetime, limit: int = 500) -> tuple[int, int]:
    """Warn the people responsible before a clock breaches, then mark breaches and escalate them.
    Each clock is claimed with a conditional UPDATE, so an overlapping or repeated run never warns,
    breaches or escalates twice. Returns (warned, breached)."""
    warned = breached = 0
    to_warn = SlaClock.objects.filter(stopped_at=None, paused_at=None, warned_at=None, breached_at=None,
                                      warn_at__lte=now).order_by("warn_at").values_list("pk", flat=True)[:limit]
    for clock_id in list(to_warn):
        with transaction.atomic():
            if not SlaClock.objects.filter(pk=clock_id, stopped_at=None, paused_at=None, warned_at=None,
                                           breached_at=None).update(warned_at=now):
                continue
            clock = SlaClock.objects.select_related("notice__assigned_to__user").get(pk=clock_id)
            save_events([_clock_event(clock, EventKind.CLOCK_WARNED, now)])
            emails.clock_warning(clock, _responsible(clock), now)
            warned += 1
    to_breach = SlaClock.objects.filter(stopped_at=None, paused_at=None, breached_at=None,
                                        due_at__lte=now).order_by("due_at").values_list("pk", flat=True)[:limit]
    for clock_id in list(to_breach):
        with transaction.atomic():
            if not SlaClock.objects.filter(pk=clock_id, stopped_at=None, paused_at=None,
                                           breached_at=None).update(breached_at=now):
                continue
            clock = SlaClock.objects.select_related("notice__assigned_to__user").get(pk=clock_id)
            save_events([_clock_event(clock, EventKind.CLOCK_BREACHED, now)])
            _escalate(clock, now)
            breached += 1
    return warned, breached


def _leads():
    return list(get_user_model().objects.filter(groups__name=LEAD_GROUP, is_active=True).exclude(email="")
                .order_by("pk"))


def _responsible(clock: SlaClock) -> list:
    """Who is warned: the notice's reviewer while it has one, otherwise the leads."""
    reviewer = clock.notice.assigned_to
    if reviewer is not None and reviewer.user.email and clock.notice.status in OPEN_NOTICE_STATUSES:
        return [reviewer.user]
    return _leads()


def _escalate(clock: SlaClock, now: datetime) -> None:
    """A breach goes to the leads: the notice is flagged as escalated (once) and every lead is e-mailed."""
    notice = clock.notice
    if notice.status in OPEN_NOTICE_STATUSES and notice.escalated_at is None:
        if Notice.objects.filter(pk=notice.pk, escalated_at=None).update(escalated_at=now):
            notice.escalated_at = now
            make_event(notice, EventKind.ESCALATED, SYSTEM, now, details={
                "note": f"SLA target breached: {clock.get_kind_display().lower()} was due "
                        f"{clock.due_at.isoformat(timespec='minutes')}."}).save()
    emails.clock_breached(clock, _leads(), now)


# --- Issue 15: clocks of many notices at once (routing in batches, workflow/routing.route_notices). ---

def start_clocks(clocks: list[SlaClock], now: datetime, events: list[Event]) -> None:
    """Save clocks made by new_clock in one INSERT; their started events go to `events`. The caller
    writes each notice's due time itself (as start_clock(follow=False))."""
    SlaClock.objects.bulk_create(clocks)
    events.extend(_started_event(clock, now) for clock in clocks)


def stop_running(kind: str, notices: Sequence[Notice], now: datetime, events: list[Event]) -> dict[int, SlaClock]:
    """stop_clock for the running clock of this kind of each notice (their rows locked by the caller,
    so nothing else stops them meanwhile): one SELECT and one UPDATE for all. Their stopped events go
    to `events` in the notices' order. Returns the stopped clocks by notice id."""
    by_id = {notice.pk: notice for notice in notices}
    running = {clock.notice_id: clock for clock in SlaClock.objects.filter(
        kind=kind, stopped_at=None, notice_id__in=by_id, item=None).order_by("-pk")}
    stopped = [running[notice.pk] for notice in notices if notice.pk in running]
    for clock in stopped:
        clock.notice = by_id[clock.notice_id]
        _stop(clock, now, cancelled=False)
    SlaClock.objects.bulk_update(stopped, ["stopped_at", "paused_at", "paused_for", "elapsed", "cancelled",
                                           "due_at", "warn_at"])
    events.extend(_stopped_event(clock, now) for clock in stopped)
    return {clock.notice_id: clock for clock in stopped}
