"""What the published policies (/policies/) say, computed from what the code runs with, so that a
page never promises what the code does not do:

- the repeat-infringer ladder is the one enforcement applies (PENALTY_LADDER, parsed by
  takedowns.penalties), with STRIKE_EXPIRY_DAYS;
- the SLA targets are the active SlaPolicy rows that workflow.clocks starts clocks under, and its
  default targets where no policy applies; the counter-notice restore window is legal.py's;
- priority is routing.py's points, the good-faith programme trust.py's thresholds;
- the appeal window is APPEAL_WINDOW_MONTHS (legal.appeal_window_text()), the reason codes a rejection can
  give the active ReasonCode rows.

The texts around these values (the law, in plain words) are in templates/takedowns/policies/.
This module sits above the workflow (it reads the workflow's own rules) and below the views.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.template.defaultfilters import filesizeformat
from django_countries import countries

from takedowns import legal, routing, sla, trust
from takedowns.enums import (
    SAFETY_RELEVANT_CATEGORIES,
    ClockKind,
    InfringementReason,
    PenaltyLevel,
    RightType,
    SubmitterTrust,
)
from takedowns.models import ReasonCode, SlaPolicy
from takedowns.penalties import Step
from takedowns.workflow import clocks, counter_notices, enforcement

# --- Durations and calendars in words. ---

_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _count(number: int, unit: str) -> str:
    return f"{number} {unit}{'' if number == 1 else 's'}"


def duration_text(duration: timedelta, *, working: bool = False) -> str:
    """A target in words: "15 minutes", "24 hours", "7 days", "1 hour 30 minutes". Working time
    (a business-hours calendar) is never said in days: 24 working hours are three 8-hour days."""
    seconds = int(duration.total_seconds())
    if seconds <= 0:
        return "immediately"
    parts = []
    for unit, size in _UNITS:
        if unit == "day" and (working or seconds % size or seconds < 2 * size):
            continue  # whole days only, from two days on: "24 hours" reads better than "1 day"
        if seconds >= size:
            parts.append(_count(seconds // size, unit))
            seconds %= size
    text = " ".join(parts)
    return f"{text} of working time" if working else text


def _weekdays_text(workdays: frozenset[int]) -> str:
    days = sorted(workdays)
    if days == list(range(days[0], days[-1] + 1)) and len(days) > 2:
        return f"{_WEEKDAYS[days[0]]} to {_WEEKDAYS[days[-1]]}"
    return ", ".join(_WEEKDAYS[day] for day in days)


def country_name(code: str) -> str:
    return countries.name(code) or code


def _counter_notice_holidays() -> str:
    """COUNTER_NOTICE_HOLIDAY_COUNTRY by name: US, or a US state ("US-NY": "United States of America (NY)")."""
    country, _, state = settings.COUNTER_NOTICE_HOLIDAY_COUNTRY.partition("-")
    return f"{country_name(country)} ({state})" if state else country_name(country)


def _holidays_text(country: str, subdivision: str) -> str:
    if not country:
        return ""
    where = country_name(country)
    return f"; public holidays in {where}{f' ({subdivision})' if subdivision else ''} do not count"


def calendar_text(calendar: sla.Calendar) -> str:
    """When a clock under this calendar runs, in words."""
    if not calendar.business_hours:
        return "round the clock, every day"
    return (f"working hours only: {calendar.day_start:%H:%M} to {calendar.day_end:%H:%M} "
            f"({calendar.timezone} time), {_weekdays_text(calendar.workdays)}"
            f"{_holidays_text(calendar.country, calendar.subdivision)}")


# --- The repeat-infringer policy (DMCA 512(i), DSA Art. 23). ---

_LEVEL_EFFECT: dict[str, str] = {
    PenaltyLevel.WARNING: "A written warning. Nothing changes on your account yet.",
    PenaltyLevel.RESTRICTION: "You cannot create new listings. Your existing listings stay online.",
    PenaltyLevel.SUSPENSION: "Your account and all your listings are suspended.",
    PenaltyLevel.TERMINATION: "Your account is closed.",
}


@dataclass(frozen=True)
class Rung:
    """One step of the ladder as the page shows it."""
    strikes: str  # "1", "2 or 3", "4 or more"
    label: str
    effect: str
    duration: str
    step: Step


def _strikes_text(step: Step, following: Step | None) -> str:
    if following is None:
        return f"{step.strikes} or more"
    last = following.strikes - 1
    if last == step.strikes:
        return str(step.strikes)
    return f"{step.strikes} or {last}" if last == step.strikes + 1 else f"{step.strikes} to {last}"


def _duration_of(step: Step) -> str:
    if step.level == PenaltyLevel.TERMINATION:
        return "Permanent, unless the decision is reversed"
    if step.days:
        return _count(step.days, "day")
    return "No end date: it is a record, not a restriction"


@dataclass(frozen=True)
class RepeatInfringerPolicy:
    rungs: list[Rung]
    first_strikes: int  # below this many live strikes nothing happens beyond the removal itself
    warns_first: bool  # the first step is a warning (DSA Art. 23(1) asks for one before a suspension)
    strike_days: int
    appeal_window: str
    restore_window: str
    penalty_targets: "ClockTargets"  # how soon a strike's measure is applied


def repeat_infringer_policy() -> RepeatInfringerPolicy:
    ladder = enforcement.ladder()
    rungs = [Rung(_strikes_text(step, following), PenaltyLevel(step.level).label, _LEVEL_EFFECT[step.level],
                  _duration_of(step), step)
             for step, following in zip(ladder, [*ladder[1:], None], strict=True)]
    return RepeatInfringerPolicy(rungs=rungs, first_strikes=ladder[0].strikes,
                                 warns_first=ladder[0].level == PenaltyLevel.WARNING,
                                 strike_days=settings.STRIKE_EXPIRY_DAYS,
                                 appeal_window=legal.appeal_window_text(), restore_window=legal.window_text(),
                                 penalty_targets=targets_for(ClockKind.SELLER_PENALTY, clocks.active_policies()))


# --- SLA targets: what clocks.start_clock would use. ---

# What each clock measures (workflow/clocks.py), in the words of the person waiting. The counter-notice
# restore clock has no entry: its window is the law's, stated from legal.py.
CLOCK_MEASURES: dict[str, str] = {
    ClockKind.ACKNOWLEDGEMENT: "from your confirming the notice to its being with a reviewer",
    ClockKind.TAKEDOWN_DECISION: "from your confirming the notice to a decision on its last listing; it pauses "
                                 "while we wait for your answer to a question",
    ClockKind.TAKEDOWN_EXECUTED: "from a decision to remove a listing to the listing's being down at the marketplace",
    ClockKind.SELLER_PENALTY: "from a strike to the account measure it calls for being applied",
    ClockKind.APPEAL_DECISION: "from the appeal's being filed to its decision",
    ClockKind.COUNTER_NOTICE_CHECK: "from a counter-notice's being filed to a reviewer's finding it complete or "
                                    "returning it; the restore window counts from the filing whatever the check's date",
}


@dataclass(frozen=True)
class Target:
    scope: str
    target: str
    calendar: str


@dataclass(frozen=True)
class ClockTargets:
    kind: str
    label: str
    measures: str
    targets: list[Target]


def _precedence(policy: SlaPolicy) -> tuple:
    """The order listed: trusted-flagger policies first (clocks.policy_for weighs the best of them
    against the best ordinary one by due time), then the most specific, as policy_for picks them."""
    return policy.trusted_flagger_only, bool(policy.right_type), bool(policy.reason), policy.min_priority, -policy.pk


def _is_catch_all(policy: SlaPolicy) -> bool:
    return (not policy.trusted_flagger_only and not policy.right_type and not policy.reason
            and policy.min_priority <= 0)


def _trust_reaching(min_priority: int) -> str:
    """Which submitters' notices reach this priority band on their trust points alone."""
    reached = [SubmitterTrust(rung).label.split(" (")[0].lower() for rung, points in routing.TRUST_POINTS.items()
               if points >= min_priority]
    return f" (every notice of a {' or '.join(reached)} reaches it)" if reached else ""


def scope_text(policy: SlaPolicy, *, others: bool) -> str:
    if _is_catch_all(policy):
        return "All other cases" if others else "Every case"
    parts = ["Notices from trusted flaggers (DSA Art. 22)"] if policy.trusted_flagger_only else []
    if policy.right_type:
        parts.append(f"{RightType(policy.right_type).label} notices")
    if policy.reason:
        parts.append(f"{'' if parts else 'Notices '}reporting {InfringementReason(policy.reason).label.lower()}")
    if policy.min_priority > 0:
        parts.append(f"{'with ' if parts else 'Notices with '}priority {policy.min_priority} or more"
                     f"{_trust_reaching(policy.min_priority)}")
    return ", ".join(parts)


def _policy_target(policy: SlaPolicy, *, others: bool) -> Target:
    calendar = clocks.calendar_of(policy)
    return Target(scope_text(policy, others=others), duration_text(policy.target, working=calendar.business_hours),
                  calendar_text(calendar))


# Policies that can never apply to a clock of this kind, for what its start does not know: the
# acknowledgement clock starts at confirmation, before routing scores the priority (it is 0 then),
# and a strike's seller-penalty clock starts without the reported reasons (workflow/enforcement.py).
_NEVER_APPLIES: dict[str, Callable[[SlaPolicy], bool]] = {
    ClockKind.ACKNOWLEDGEMENT: lambda policy: policy.min_priority > 0,
    ClockKind.SELLER_PENALTY: lambda policy: bool(policy.reason),
}


def targets_for(kind: str, policies: list[SlaPolicy]) -> ClockTargets:
    """The targets a clock of this kind starts under, the most specific first. Not for the
    counter-notice restore clock, whose due time is the law's (legal.py), whatever a policy says."""
    if kind == ClockKind.COUNTER_NOTICE_RESTORE:
        raise ValueError("The counter-notice restore window is legal.window_text(), not an SLA policy.")
    never = _NEVER_APPLIES.get(kind, lambda policy: False)
    mine = sorted((policy for policy in policies if policy.clock == kind and not never(policy)), key=_precedence,
                  reverse=True)
    catch_all = next((index for index, policy in enumerate(mine) if _is_catch_all(policy)), None)
    if catch_all is not None:
        mine = mine[:catch_all + 1]  # the first policy that fits every case hides those after it
    targets = [_policy_target(policy, others=index > 0) for index, policy in enumerate(mine)]
    ordinary: list[SlaPolicy | None] = [policy for policy in mine if not policy.trusted_flagger_only]
    if catch_all is None:
        ordinary.append(None)  # start_clock's default
    targets = [replace(target, scope=f"{target.scope}, unless a target below that fits the notice falls due sooner")
               if policy.trusted_flagger_only and any(_may_fall_due_sooner(other, policy, kind) for other in ordinary)
               else target for policy, target in zip(mine, targets, strict=True)]
    if catch_all is None:  # start_clock's default applies to the rest
        targets.append(Target("All other cases" if mine else "Every case",
                              duration_text(clocks.DEFAULT_TARGETS[kind]), calendar_text(sla.ROUND_THE_CLOCK)))
    return ClockTargets(kind, ClockKind(kind).label, CLOCK_MEASURES[kind], targets)


def _may_fall_due_sooner(other: SlaPolicy | None, flagger: SlaPolicy, kind: str) -> bool:
    """clocks.policy_for gives a trusted flagger's notice the earlier of the two due times: whether
    the ordinary target `other` (None: the default) may be the earlier one (as short or shorter, or on
    another calendar, where it depends on the hour the clock starts)."""
    target = other.target if other else clocks.DEFAULT_TARGETS[kind]
    return target <= flagger.target or clocks.calendar_of(other).terms() != clocks.calendar_of(flagger).terms()


def priority_has_own_targets(policies: list[SlaPolicy] | None = None) -> bool:
    """Whether any active policy gives notices of a higher priority a target of their own."""
    return any(policy.min_priority > 0 for policy in (clocks.active_policies() if policies is None else policies))


# --- How notices are handled (DSA Art. 16, 22; DMCA 512(c)(3)). ---

@dataclass(frozen=True)
class NoticeHandling:
    good_faith_text: str
    accuracy_text: str
    max_listings: int
    max_files: int
    max_file_size: str
    max_total_size: str
    confirmation_days: int
    info_request_days: int
    priority_points: list[tuple[str, int]]
    strike_points: int
    strike_points_cap: int
    good_faith_days: int
    good_faith_min_decided: int
    good_faith_min_accepted: int  # per cent
    good_faith_max_countered: int  # per cent
    trusted_points: int
    good_faith_points: int
    targets: dict[str, ClockTargets]
    priority_has_own_targets: bool


_SAFETY_CATEGORIES = ", ".join(sorted(SAFETY_RELEVANT_CATEGORIES))


def _per_cent(share: float) -> int:
    return round(share * 100)


def notice_handling() -> NoticeHandling:
    policies = clocks.active_policies()
    return NoticeHandling(
        good_faith_text=legal.GOOD_FAITH_TEXT, accuracy_text=legal.ACCURACY_TEXT,
        max_listings=settings.NOTICE_MAX_ITEMS, max_files=settings.EVIDENCE_MAX_FILES,
        max_file_size=filesizeformat(settings.EVIDENCE_MAX_FILE_BYTES),
        max_total_size=filesizeformat(settings.EVIDENCE_MAX_TOTAL_BYTES),
        confirmation_days=settings.NOTICE_CONFIRMATION_DAYS, info_request_days=settings.INFO_REQUEST_DAYS,
        priority_points=[
            (SubmitterTrust.TRUSTED_FLAGGER.label, routing.TRUST_POINTS[SubmitterTrust.TRUSTED_FLAGGER]),
            (f"{SubmitterTrust.GOOD_FAITH.label} member", routing.TRUST_POINTS[SubmitterTrust.GOOD_FAITH]),
            ("Counterfeit goods reported", routing.COUNTERFEIT_POINTS),
            (f"A reported listing is in a category that matters for safety ({_SAFETY_CATEGORIES})",
             routing.SAFETY_POINTS),
            ("The right is one the marketplace has already verified (same type, office and number)",
             routing.VERIFIED_RIGHT_POINTS),
        ],
        strike_points=routing.STRIKE_POINTS, strike_points_cap=routing.STRIKE_POINTS_CAP,
        good_faith_days=trust.GOOD_FAITH_WINDOW.days, good_faith_min_decided=trust.GOOD_FAITH_MIN_DECIDED,
        good_faith_min_accepted=_per_cent(trust.GOOD_FAITH_MIN_ACCEPTED),
        good_faith_max_countered=_per_cent(trust.GOOD_FAITH_MAX_COUNTERED),
        trusted_points=routing.TRUST_POINTS[SubmitterTrust.TRUSTED_FLAGGER],
        good_faith_points=routing.TRUST_POINTS[SubmitterTrust.GOOD_FAITH],
        targets={kind: targets_for(kind, policies) for kind in
                 (ClockKind.ACKNOWLEDGEMENT, ClockKind.TAKEDOWN_DECISION, ClockKind.TAKEDOWN_EXECUTED)},
        priority_has_own_targets=priority_has_own_targets(policies),
    )


# --- How decisions can be contested (DSA Art. 20, 21; DMCA 512(g)). ---

@dataclass(frozen=True)
class Contesting:
    appeal_window: str
    appeal_time_zone: str  # whose dates the appeal window's months are (legal.appeal_deadline)
    appeal_targets: ClockTargets
    restore_window: str
    check_targets: ClockTargets  # how soon a reviewer checks a counter-notice (before the window counts far)
    restore_business_days: int | None  # None under the demo's seconds
    latest_restore_business_days: int
    holiday_country: str
    restore_time_zone: str
    counter_notice_fields: list[str]
    statement_mistake: str
    statement_jurisdiction: str
    reason_codes: QuerySet[ReasonCode]
    info_request_days: int


def contesting() -> Contesting:
    policies = clocks.active_policies()
    return Contesting(
        appeal_window=legal.appeal_window_text(),
        appeal_time_zone=settings.TIME_ZONE,
        appeal_targets=targets_for(ClockKind.APPEAL_DECISION, policies),
        restore_window=legal.window_text(),
        check_targets=targets_for(ClockKind.COUNTER_NOTICE_CHECK, policies),
        restore_business_days=None if settings.COUNTER_NOTICE_WINDOW_SECONDS
        else settings.COUNTER_NOTICE_RESTORE_BUSINESS_DAYS,
        latest_restore_business_days=legal.LATEST_RESTORE_BUSINESS_DAYS,
        holiday_country=_counter_notice_holidays(),
        restore_time_zone=settings.COUNTER_NOTICE_TIME_ZONE,
        counter_notice_fields=list(counter_notices.FIELDS.values()),
        statement_mistake=legal.STATEMENT_MISTAKE, statement_jurisdiction=legal.STATEMENT_JURISDICTION,
        reason_codes=ReasonCode.objects.filter(is_active=True).order_by("title"),
        info_request_days=settings.INFO_REQUEST_DAYS,
    )
