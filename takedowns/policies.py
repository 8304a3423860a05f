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
from django.utils.dates import WEEKDAYS
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext, gettext_lazy, ngettext, pgettext, pgettext_lazy
from django.utils.translation import gettext as _
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

# Every text below is computed when a page asks for it (or is a lazy translation), so that it comes out
# in the visitor's language (issue 13). Weekday and country names are Django's and django-countries'.

# --- Durations and calendars in words. ---


def _count(number: int, unit: str) -> str:
    """A number of days, hours, minutes or seconds, in words ("1 day", "24 hours")."""
    if unit == "day":
        return ngettext("%(count)s day", "%(count)s days", number) % {"count": number}
    if unit == "hour":
        return ngettext("%(count)s hour", "%(count)s hours", number) % {"count": number}
    if unit == "minute":
        return ngettext("%(count)s minute", "%(count)s minutes", number) % {"count": number}
    return ngettext("%(count)s second", "%(count)s seconds", number) % {"count": number}


_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


def duration_text(duration: timedelta, *, working: bool = False) -> str:
    """A target in words: "15 minutes", "24 hours", "7 days", "1 hour 30 minutes". Working time
    (a business-hours calendar) is never said in days: 24 working hours are three 8-hour days."""
    seconds = int(duration.total_seconds())
    if seconds <= 0:
        # Translators: an SLA target of no time at all ("Every case: immediately").
        return _("immediately")
    parts = []
    for unit, size in _UNITS:
        if unit == "day" and (working or seconds % size or seconds < 2 * size):
            continue  # whole days only, from two days on: "24 hours" reads better than "1 day"
        if seconds >= size:
            parts.append(_count(seconds // size, unit))
            seconds %= size
    text = " ".join(parts)  # "1 hour 30 minutes", as reports/measures.py writes a duration of two units
    # Translators: an SLA target counted only in working hours ("16 hours of working time").
    return _("%(duration)s of working time") % {"duration": text} if working else text


def _weekdays_text(workdays: frozenset[int]) -> str:
    days = sorted(workdays)
    if days == list(range(days[0], days[-1] + 1)) and len(days) > 2:
        # Translators: a range of weekdays ("Monday to Friday"); Django gives the names of the days.
        return pgettext("weekdays", "%(first)s to %(last)s") % {"first": WEEKDAYS[days[0]],
                                                                 "last": WEEKDAYS[days[-1]]}
    # Translators: what separates the weekdays in a list of them ("Monday, Wednesday, Friday").
    return pgettext("weekdays", ", ").join(str(WEEKDAYS[day]) for day in days)


def country_name(code: str) -> str:
    """A country's name in the active language (django-countries' translations)."""
    return countries.name(code) or code


def _region_name(country: str, subdivision: str) -> str:
    """A country, or a country's subdivision by its code ("United States of America (NY)", "Germany (BY)")."""
    return f"{country_name(country)} ({subdivision})" if subdivision else country_name(country)


def _counter_notice_holidays() -> str:
    """COUNTER_NOTICE_HOLIDAY_COUNTRY by name: US, or a US state ("US-NY": "United States of America (NY)")."""
    country, _sep, state = settings.COUNTER_NOTICE_HOLIDAY_COUNTRY.partition("-")
    return _region_name(country, state)


def calendar_text(calendar: sla.Calendar) -> str:
    """When a clock under this calendar runs, in words that follow "the clock runs"."""
    if not calendar.business_hours:
        # Translators: follows "the clock runs": an SLA clock that never stops.
        return _("round the clock, every day")
    values = {"start": f"{calendar.day_start:%H:%M}", "end": f"{calendar.day_end:%H:%M}",
              "time_zone": calendar.timezone, "weekdays": _weekdays_text(calendar.workdays)}
    if not calendar.country:
        # Translators: follows "the clock runs" ("working hours only: 08:00 to 18:30 (Europe/Berlin time),
        # Monday to Friday"); %(time_zone)s is a time zone's code name, such as Europe/Berlin.
        return _("working hours only: %(start)s to %(end)s (%(time_zone)s time), %(weekdays)s") % values
    # Translators: follows "the clock runs" ("working hours only: 08:00 to 18:30 (Europe/Berlin time), Monday to
    # Friday; public holidays in Germany (BY) do not count"); %(time_zone)s is a time zone's code name.
    return _("working hours only: %(start)s to %(end)s (%(time_zone)s time), %(weekdays)s; public holidays in "
             "%(region)s do not count") % {**values, "region": _region_name(calendar.country, calendar.subdivision)}


# --- The repeat-infringer policy (DMCA 512(i), DSA Art. 23). ---

_LEVEL_EFFECT: dict[str, Promise] = {
    PenaltyLevel.WARNING: gettext_lazy("A written warning. Nothing changes on your account yet."),
    PenaltyLevel.RESTRICTION: gettext_lazy("You cannot create new listings. Your existing listings stay online."),
    PenaltyLevel.SUSPENSION: gettext_lazy("Your account and all your listings are suspended."),
    PenaltyLevel.TERMINATION: gettext_lazy("Your account is closed."),
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
    """The numbers of live strikes a step covers; the page writes "... live strikes: <label>" after it."""
    if following is None:
        # Translators: a number of live strikes, followed on the page by "live strikes" ("4 or more live strikes").
        return pgettext("strikes", "%(first)s or more") % {"first": step.strikes}
    last = following.strikes - 1
    if last == step.strikes:
        return str(step.strikes)
    values = {"first": step.strikes, "last": last}
    if last == step.strikes + 1:
        # Translators: two numbers of live strikes, followed on the page by "live strikes" ("2 or 3 live strikes").
        return pgettext("strikes", "%(first)s or %(last)s") % values
    # Translators: a range of numbers of live strikes, followed on the page by "live strikes" ("4 to 6 live strikes").
    return pgettext("strikes", "%(first)s to %(last)s") % values


def _duration_of(step: Step) -> str:
    if step.level == PenaltyLevel.TERMINATION:
        # Translators: how long the closure of a seller's account lasts (repeat-infringer policy, DSA Art. 23).
        return _("Permanent, unless the decision is reversed")
    if step.days:
        return _count(step.days, "day")
    # Translators: how long a warning to a seller lasts (repeat-infringer policy).
    return _("No end date: it is a record, not a restriction")


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
    rungs = [Rung(_strikes_text(step, following), str(PenaltyLevel(step.level).label),
                  str(_LEVEL_EFFECT[step.level]), _duration_of(step), step)
             for step, following in zip(ladder, [*ladder[1:], None], strict=True)]
    return RepeatInfringerPolicy(rungs=rungs, first_strikes=ladder[0].strikes,
                                 warns_first=ladder[0].level == PenaltyLevel.WARNING,
                                 strike_days=settings.STRIKE_EXPIRY_DAYS,
                                 appeal_window=legal.appeal_window_text(), restore_window=legal.window_text(),
                                 penalty_targets=targets_for(ClockKind.SELLER_PENALTY, clocks.active_policies()))


# --- SLA targets: what clocks.start_clock would use. ---

# What each clock measures (workflow/clocks.py), in the words of the person waiting. The counter-notice
# restore clock has no entry: its window is the law's, stated from legal.py.
CLOCK_MEASURES: dict[str, Promise] = {
    # Translators: what an SLA clock measures, shown after its name ("Acknowledgement — from your confirming ...").
    ClockKind.ACKNOWLEDGEMENT: gettext_lazy("from your confirming the notice to its being with a reviewer"),
    ClockKind.TAKEDOWN_DECISION: gettext_lazy(
        "from your confirming the notice to a decision on its last listing; it pauses while we wait for your answer "
        "to a question"),
    ClockKind.TAKEDOWN_EXECUTED: gettext_lazy(
        "from a decision to remove a listing to the listing's being down at the marketplace"),
    ClockKind.SELLER_PENALTY: gettext_lazy("from a strike to the account measure it calls for being applied"),
    ClockKind.APPEAL_DECISION: gettext_lazy("from the appeal's being filed to its decision"),
    # Translators: "counter-notice" as in the US DMCA, 17 U.S.C. 512(g).
    ClockKind.COUNTER_NOTICE_CHECK: gettext_lazy(
        "from a counter-notice's being filed to a reviewer's finding it complete or returning it; the restore "
        "window counts from the filing whatever the check's date"),
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
    """Which submitters' notices reach this priority band on their trust points alone ("" when nobody's
    do), said in brackets after "Notices with priority 40 or more"."""
    reached = {rung for rung, points in routing.TRUST_POINTS.items() if points >= min_priority}
    if reached >= {SubmitterTrust.TRUSTED_FLAGGER, SubmitterTrust.GOOD_FAITH}:
        # Translators: "trusted flagger" as in DSA Art. 22 (de: vertrauenswürdiger Hinweisgeber); said of a
        # priority band ("Notices with priority 20 or more (every notice of ... reaches it)").
        return _("every notice of a trusted flagger or of a good-faith programme member reaches it")
    if SubmitterTrust.TRUSTED_FLAGGER in reached:
        # Translators: "trusted flagger" as in DSA Art. 22 (de: vertrauenswürdiger Hinweisgeber); said of a
        # priority band ("Notices with priority 40 or more (every notice of a trusted flagger reaches it)").
        return _("every notice of a trusted flagger reaches it")
    if SubmitterTrust.GOOD_FAITH in reached:
        return _("every notice of a good-faith programme member reaches it")
    return ""


def _priority_scope(min_priority: int, *, first: bool) -> str:
    """The priority condition of an SLA policy: on its own ("Notices with priority 40 or more"), or after
    another condition ("Trademark notices, with priority 40 or more"), with whose notices reach it."""
    values = {"priority": min_priority, "who": _trust_reaching(min_priority)}
    if first and values["who"]:
        # Translators: the notices an SLA target applies to, by their priority score; %(who)s is "every notice of
        # a trusted flagger reaches it" or the like.
        return pgettext("SLA policy scope", "Notices with priority %(priority)s or more (%(who)s)") % values
    if first:
        # Translators: the notices an SLA target applies to, by their priority score.
        return pgettext("SLA policy scope", "Notices with priority %(priority)s or more") % values
    if values["who"]:
        # Translators: the priority condition of an SLA target after another one ("Trademark notices, with
        # priority 40 or more (every notice of a trusted flagger reaches it)").
        return pgettext("SLA policy scope", "with priority %(priority)s or more (%(who)s)") % values
    # Translators: the priority condition of an SLA target after another one ("Trademark notices, with priority 40
    # or more").
    return pgettext("SLA policy scope", "with priority %(priority)s or more") % values


# The infringement a policy is scoped to, as it reads inside a sentence ("Notices reporting counterfeit goods").
_REASON_IN_SENTENCE: dict[str, Promise] = {
    InfringementReason.COUNTERFEIT: pgettext_lazy("reported infringement, inside a sentence", "counterfeit goods"),
    InfringementReason.TRADEMARK_MISUSE: pgettext_lazy(
        "reported infringement, inside a sentence", "trademark misuse (logo or brand name used without permission)"),
    InfringementReason.COPYRIGHT_IMAGES: pgettext_lazy("reported infringement, inside a sentence",
                                                       "copied images (copyright)"),
    InfringementReason.COPYRIGHT_TEXT: pgettext_lazy("reported infringement, inside a sentence",
                                                     "copied text (copyright)"),
    InfringementReason.DESIGN: pgettext_lazy("reported infringement, inside a sentence", "design infringement"),
    InfringementReason.PATENT: pgettext_lazy("reported infringement, inside a sentence", "patent infringement"),
}


def scope_text(policy: SlaPolicy, *, others: bool) -> str:
    """Which notices an SLA policy applies to, in words: its conditions, the first of them naming the
    notices ("Trademark notices, reporting counterfeit goods, with priority 40 or more")."""
    if _is_catch_all(policy):
        # Translators: the notices an SLA target applies to, after the more specific targets listed above it.
        return _("All other cases") if others else _("Every case")
    parts = []
    if policy.trusted_flagger_only:
        # Translators: "trusted flaggers" as in DSA Art. 22 (de: vertrauenswürdige Hinweisgeber).
        parts.append(_("Notices from trusted flaggers (DSA Art. 22)"))
    if policy.right_type:
        # Translators: the notices an SLA target applies to, by the type of right ("Trademark notices").
        parts.append(pgettext("SLA policy scope", "%(right_type)s notices") % {
            "right_type": RightType(policy.right_type).label})
    if policy.reason:
        reason = {"reason": _REASON_IN_SENTENCE.get(policy.reason, InfringementReason(policy.reason).label)}
        if parts:
            # Translators: the reported-infringement condition of an SLA target after another one ("Trademark
            # notices, reporting counterfeit goods").
            parts.append(pgettext("SLA policy scope", "reporting %(reason)s") % reason)
        else:
            # Translators: the notices an SLA target applies to, by the reported infringement.
            parts.append(pgettext("SLA policy scope", "Notices reporting %(reason)s") % reason)
    if policy.min_priority > 0:
        parts.append(_priority_scope(policy.min_priority, first=not parts))
    # Translators: what separates the conditions of an SLA target ("Trademark notices, reporting counterfeit goods").
    return pgettext("SLA policy scope", ", ").join(parts)


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
    targets = [replace(target, scope=_unless_sooner(target.scope))
               if policy.trusted_flagger_only and any(_may_fall_due_sooner(other, policy, kind) for other in ordinary)
               else target for policy, target in zip(mine, targets, strict=True)]
    if catch_all is None:  # start_clock's default applies to the rest
        # Translators: the notices an SLA target applies to, after the more specific targets listed above it.
        targets.append(Target(_("All other cases") if mine else _("Every case"),
                              duration_text(clocks.DEFAULT_TARGETS[kind]), calendar_text(sla.ROUND_THE_CLOCK)))
    return ClockTargets(kind, str(ClockKind(kind).label), str(CLOCK_MEASURES[kind]), targets)


def _unless_sooner(scope: str) -> str:
    # Translators: a trusted flagger's SLA target, which gives way to an ordinary one that falls due earlier
    # ("Notices from trusted flaggers (DSA Art. 22), unless a target below that fits the notice falls due sooner").
    return _("%(scope)s, unless a target below that fits the notice falls due sooner") % {"scope": scope}


def _may_fall_due_sooner(other: SlaPolicy | None, flagger: SlaPolicy, kind: str) -> bool:
    """clocks.policy_for gives a trusted flagger's notice the earlier of the two due times: whether
    the ordinary target `other` (None: the default) may be the earlier one (as short or shorter, or on
    another calendar, where it depends on the hour the clock starts)."""
    target = other.target if other else clocks.DEFAULT_TARGETS[kind]
    return target <= flagger.target or clocks.calendar_of(other).terms() != clocks.calendar_of(flagger).terms()


def priority_has_own_targets(policies: list[SlaPolicy] | None = None) -> bool:
    """Whether any active policy gives notices of a higher priority a target of their own."""
    return any(policy.min_priority > 0 for policy in (clocks.active_policies() if policies is None else policies))


# --- The sworn statements (legal.py): binding in English, shown in the page's language with the English. ---

def _sworn(english: str) -> str:
    """A sworn statement in the active language. Its msgid is legal.py's English word for word, marked where
    the forms label their checkboxes with it (forms/public.py, forms/seller.py); the English stays binding."""
    return gettext(english)


def _translated() -> bool:
    return not (get_language() or "en").startswith("en")


# --- How notices are handled (DSA Art. 16, 22; DMCA 512(c)(3)). ---

@dataclass(frozen=True)
class NoticeHandling:
    good_faith_text: str  # in the page's language
    accuracy_text: str
    good_faith_original: str  # the binding English text, shown under a translation
    accuracy_original: str
    translated: bool  # the sworn statements are shown in a translation (their English originals with them)
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


_SAFETY_CATEGORIES = ", ".join(sorted(SAFETY_RELEVANT_CATEGORIES))  # the catalogue's category codes, as it shows them


def _priority_points() -> list[tuple[str, int]]:
    """routing.py's points, each with when it is given, in the active language."""
    return [
        (str(SubmitterTrust.TRUSTED_FLAGGER.label), routing.TRUST_POINTS[SubmitterTrust.TRUSTED_FLAGGER]),
        # Translators: a row of the table of priority points: the submitter is in the good-faith programme.
        (_("Good-faith programme member"), routing.TRUST_POINTS[SubmitterTrust.GOOD_FAITH]),
        # Translators: a row of the table of priority points: the notice reports counterfeit goods.
        (_("Counterfeit goods reported"), routing.COUNTERFEIT_POINTS),
        # Translators: a row of the table of priority points; %(categories)s are the marketplace's category codes.
        (_("A reported listing is in a category that matters for safety (%(categories)s)") % {
            "categories": _SAFETY_CATEGORIES}, routing.SAFETY_POINTS),
        # Translators: a row of the table of priority points.
        (_("The right is one the marketplace has already verified (same type, office and number)"),
         routing.VERIFIED_RIGHT_POINTS),
    ]


def _per_cent(share: float) -> int:
    return round(share * 100)


def notice_handling() -> NoticeHandling:
    policies = clocks.active_policies()
    return NoticeHandling(
        good_faith_text=_sworn(legal.GOOD_FAITH_TEXT), accuracy_text=_sworn(legal.ACCURACY_TEXT),
        good_faith_original=legal.GOOD_FAITH_TEXT, accuracy_original=legal.ACCURACY_TEXT, translated=_translated(),
        max_listings=settings.NOTICE_MAX_ITEMS, max_files=settings.EVIDENCE_MAX_FILES,
        max_file_size=filesizeformat(settings.EVIDENCE_MAX_FILE_BYTES),
        max_total_size=filesizeformat(settings.EVIDENCE_MAX_TOTAL_BYTES),
        confirmation_days=settings.NOTICE_CONFIRMATION_DAYS, info_request_days=settings.INFO_REQUEST_DAYS,
        priority_points=_priority_points(),
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
    statement_mistake: str  # in the page's language
    statement_jurisdiction: str
    statement_mistake_original: str  # the binding English text, shown under a translation
    statement_jurisdiction_original: str
    translated: bool
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
        statement_mistake=_sworn(legal.STATEMENT_MISTAKE), statement_jurisdiction=_sworn(legal.STATEMENT_JURISDICTION),
        statement_mistake_original=legal.STATEMENT_MISTAKE,
        statement_jurisdiction_original=legal.STATEMENT_JURISDICTION, translated=_translated(),
        reason_codes=ReasonCode.objects.filter(is_active=True).order_by("title"),
        info_request_days=settings.INFO_REQUEST_DAYS,
    )
