"""The public transparency report (DSA Art. 15 and 24): its periods (a month or a half-year), its
figures as plain data (the JSON as published; the page and the CSV read it), and the stored
snapshot per period that visitors read (ReportSnapshot, refreshed by beat; the only writer)."""

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, F, Min, Q
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from takedowns import tdb
from takedowns.enums import (
    AppealStatus,
    Appellant,
    ClockKind,
    CounterNoticeStatus,
    DecisionOutcome,
    InfringementReason,
    NoticeSource,
    NotifierEventKind,
    NotifierMeasureLevel,
    NotifierScope,
    PenaltyLevel,
    RightType,
    SubmitterTrust,
)
from takedowns.models import (
    Appeal,
    CounterNoticeFiling,
    Decision,
    Notice,
    NoticeItem,
    NotifierAppeal,
    NotifierEvent,
    NotifierMeasure,
    Penalty,
    ReportPublication,
    ReportSnapshot,
)
from takedowns.reports import clock_rollup, proactive
from takedowns.reports.harmonised import HARMONISED_SECTIONS, harmonised_figures, publication
from takedowns.reports.measures import percentile, seconds, share
from takedowns.reports.periods import Period


@dataclass(frozen=True)
class ReportPeriod(Period):
    slug: str = ""
    complete: bool = True

    @property
    def title(self) -> str:
        """"November 2026", "January–June 2026": in the active language (the page's); the JSON's title is
        written in English (report_figures)."""
        return _period_title(self.first, half=self.slug[-2:] in ("H1", "H2"))


def _period_title(first: date, half: bool) -> str:
    if not half:
        return date_format(first, "YEAR_MONTH_FORMAT")
    if first.month == 1:
        return _("January–June %(year)s") % {"year": first.year}
    return _("July–December %(year)s") % {"year": first.year}


class BadPeriod(ValueError):
    pass


_MONTH = re.compile(r"(\d{4})-(\d{2})")
_HALF = re.compile(r"(\d{4})-H([12])")


def _month(year: int, month: int, now: datetime) -> ReportPeriod:
    first = date(year, month, 1)
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return _report_period(first, last, f"{year:04d}-{month:02d}", now)


def _half(year: int, half: int, now: datetime) -> ReportPeriod:
    first, last = (date(year, 1, 1), date(year, 6, 30)) if half == 1 else (date(year, 7, 1), date(year, 12, 31))
    return _report_period(first, last, f"{year:04d}-H{half}", now)


def _report_period(first: date, last: date, slug: str, now: datetime) -> ReportPeriod:
    period = Period(first, last)
    return ReportPeriod(first, last, slug=slug, complete=period.end <= now)


def report_period(slug: str, now: datetime) -> ReportPeriod:
    """The month ("2026-11") or half-year ("2026-H2") named in a report URL; BadPeriod says why not."""
    month, half = _MONTH.fullmatch(slug), _HALF.fullmatch(slug)
    make: Callable[[int, int, datetime], ReportPeriod]  # _month or _half
    if month and int(month[1]) >= 1 and 1 <= int(month[2]) <= 12:
        year, number, make = int(month[1]), int(month[2]), _month
        starts = date(year, number, 1)
    elif half and int(half[1]) >= 1:
        year, number, make = int(half[1]), int(half[2]), _half
        starts = date(year, 1 if number == 1 else 7, 1)
    else:
        raise BadPeriod(_("“%(slug)s” is not a report period: name a month as 2026-11 or a half-year as 2026-H2.")
                        % {"slug": slug[:40]})
    # Checked before the period is built, so a far-future year cannot overflow its end date.
    if starts > timezone.localtime(now).date():
        raise BadPeriod(_("There is no report for %(period)s yet: the period has not started.")
                        % {"period": _period_title(starts, half=make is _half)})
    return make(year, number, now)


def report_periods(now: datetime) -> tuple[list[ReportPeriod], list[ReportPeriod]]:
    """(half-years, months) from the first confirmed notice up to the current one, newest first."""
    first = Notice.objects.aggregate(first=Min("confirmed_at"))["first"]
    if first is None:
        return [], []
    first, today = timezone.localtime(first).date(), timezone.localtime(now).date()
    months = [_month(year, month, now) for year in range(first.year, today.year + 1) for month in range(1, 13)
              if (first.year, first.month) <= (year, month) <= (today.year, today.month)]
    halves = [_half(year, half, now) for year in range(first.year, today.year + 1) for half in (1, 2)
              if (first.year, (first.month + 5) // 6) <= (year, half) <= (today.year, (today.month + 5) // 6)]
    return halves[::-1], months[::-1]


def _by(field: str, values: Sequence[str]) -> dict[str, Count]:
    """One conditional count per choice, so every choice is in the figures, zeros included."""
    return {f"{field}_{value}": Count("pk", filter=Q(**{field: value})) for value in values}


def _picked(row: dict, field: str, values: Sequence[str]) -> dict[str, int]:
    return {value: row[f"{field}_{value}"] for value in values}


@dataclass(frozen=True)
class _Part(ReportPeriod):
    """A part of a period, [since, until): the sections' filters read start and end. The stored snapshot
    counts [period start, its bound); the live report adds [the bound, now)."""
    since: datetime | None = None
    until: datetime | None = None

    @property
    def start(self) -> datetime:
        assert self.since is not None
        return self.since

    @property
    def end(self) -> datetime:
        assert self.until is not None
        return self.until


def _part(period: ReportPeriod, since: datetime, until: datetime) -> _Part:
    return _Part(period.first, period.last, slug=period.slug, complete=period.complete,
                 since=since, until=until)


def report_figures(period: ReportPeriod, until: datetime | None = None) -> dict:
    """The report's figures as plain data: the JSON as published, the CSV and the page read it.
    Each section is one aggregate over the rows dated in the period by the event it counts (the
    definitions are beside each section's function); with `until`, over those dated before it only
    (the stored snapshot's bound, refresh_report)."""
    with translation.override("en"):  # the published JSON is in English whatever the page's language
        title = period.title
    header = {"period": period.slug, "title": title, "start": period.start.isoformat(),
              "end": period.end.isoformat(), "complete": period.complete}
    if until is not None:
        period = _part(period, period.start, until)
    counted = _counted_sections(period)
    return {
        **header,
        **{key: counted[key] for key in ("notices", "actions", "removals_by_initiative", "automated_means")},
        "median_time_to_action_seconds": _median_time_to_action(period),
        **{key: counted[key] for key in ("decided_within_target", "counter_notices", "appeals", "penalties",
                                         "notifier_measures", "screening", "referrals")},
        # What the harmonised templates add (Implementing Regulation (EU) 2024/2835): reports/harmonised.py.
        **harmonised_figures(period),
    }


def _counted_sections(period: ReportPeriod) -> dict:
    """The sections made of counts of rows dated in the period: the snapshot computes them over the
    period up to its bound, and live_report the same over the part after it and adds the two."""
    decisions = _decisions(period)
    return {
        "notices": _notices(period),
        "actions": decisions["actions"],
        # Own initiative (issue 14): the definitions are in reports/proactive.py.
        "removals_by_initiative": proactive.removals(period),
        "automated_means": _automated_means(period, decisions["automated_means"]),
        "decided_within_target": _decided_within_target(period),
        "counter_notices": _counter_notices(period),
        "appeals": _appeals(period),
        "penalties": _penalties(period),
        "notifier_measures": _notifier_measures(period),
        "screening": proactive.screening(period),
        "referrals": {"built": proactive.referrals(period)},
    }


# The figures about notices (DSA Art. 15(1)(b), Art. 16) count rights holders' notices only: an own-initiative
# case that listing screening opened (Notice.source = screening) is no notice, and is counted apart
# (removals_by_initiative, screening; reports/proactive.py).
NOTICES_ONLY = Q(source=NoticeSource.NOTICE)
ON_NOTICES = Q(item__notice__source=NoticeSource.NOTICE)


def _notices(period: ReportPeriod) -> dict:
    """Notices received: confirmed in the period (an unconfirmed notice was never received), by
    source (DSA Art. 15(1)(b): trusted flaggers apart), by right; and their reported listings. Rights
    holders' notices only (NOTICES_ONLY)."""
    notices = Notice.objects.filter(period.where("confirmed_at"), NOTICES_ONLY).aggregate(
        received=Count("pk"), trusted=Count("pk", filter=Q(trust=SubmitterTrust.TRUSTED_FLAGGER)),
        **_by("right_type", RightType.values))
    items = NoticeItem.objects.filter(period.where("notice__confirmed_at"), notice__source=NoticeSource.NOTICE
                                      ).aggregate(
        items=Count("pk"), **_by("reason", InfringementReason.values))
    return {
        "received": notices["received"],
        "by_right_type": _picked(notices, "right_type", RightType.values),
        "by_source": {"trusted_flagger": notices["trusted"], "other": notices["received"] - notices["trusted"]},
        "items": items["items"],
        "items_by_reason": _picked(items, "reason", InfringementReason.values),
    }


def _decisions(period: ReportPeriod) -> dict:
    """Decisions taken in the period on the listings of rights holders' notices, by outcome (Art. 15(1)(c);
    own-initiative removals are counted apart, removals_by_initiative), and restorations and reversals of
    those dated in the period; the use of automated means (Art. 15(1)(e)) over every decision taken in the
    period, own-initiative ones included (screening is automated detection)."""
    decisions = Decision.objects.filter(period.where("decided_at")).aggregate(
        all=Count("pk"), decisions=Count("pk", filter=ON_NOTICES),
        **{f"outcome_{value}": Count("pk", filter=ON_NOTICES & Q(outcome=value)) for value in DecisionOutcome.values},
        detected=Count("pk", filter=Q(automated_detection=True)),
        decided=Count("pk", filter=Q(automated_decision=True)),
        decided_on_notices=Count("pk", filter=ON_NOTICES & Q(automated_decision=True)))
    undone = Decision.objects.filter(period.where("listing_restored_at") | period.where("reversed_at"),
                                     ON_NOTICES).aggregate(
        restored=Count("pk", filter=period.where("listing_restored_at")),
        reversed=Count("pk", filter=period.where("reversed_at")))
    return {
        "actions": {
            "decisions": decisions["decisions"],
            "by_outcome": _picked(decisions, "outcome", DecisionOutcome.values),
            "listings_restored": undone["restored"],
            "decisions_reversed_on_appeal": undone["reversed"],
        },
        "automated_means": {"decisions": decisions["all"], "automated_detection": decisions["detected"],
                            "automated_decision": decisions["decided"],
                            # The harmonised template's "notices processed by automated means": no block.
                            "automated_decision_on_notices": decisions["decided_on_notices"]},
    }


def _automated_means(period: ReportPeriod, listings: dict) -> dict:
    """DSA Art. 15(1)(e), use of automated means, over two kinds of decision taken in the period:
    - listing decisions (`listings`, from _decisions): decided in the period (Decision.decided_at); those
      whose listing automated means detected (automated_detection) and those taken by automated means
      (automated_decision), as the reviewer recorded them;
    - seller penalties: decided in the period (Penalty.decided_at), and those the strike ladder decided
      without a person (Penalty.automated), on strikes from removals decided by people: what the TDB
      statements call "partially automated" (tdb.statement_for_penalty, AUTOMATED_DECISION_PARTIALLY).
      A penalty a person decides is not counted. By level; and, for reconciling with the Transparency
      Database, those of a level that has a TDB statement (restriction, suspension, termination:
      tdb.PENALTY_MEASURES; a warning restricts nothing and has none).
    taken_by_automated_means adds the listing decisions and the penalties taken by automated means
    (live_report sums it again from its parts)."""
    automated = Q(automated=True)
    penalties = Penalty.objects.filter(period.where("decided_at")).aggregate(
        decided=Count("pk"), by_ladder=Count("pk", filter=automated),
        **{f"level_{level}": Count("pk", filter=automated & Q(level=level)) for level in PenaltyLevel.values})
    by_level = _picked(penalties, "level", PenaltyLevel.values)
    return {**listings, "penalty_decisions": penalties["decided"],
            "penalty_decisions_automated": penalties["by_ladder"],
            "penalty_decisions_automated_by_level": by_level,
            "penalty_decisions_automated_with_tdb_statement": sum(by_level[level] for level in tdb.PENALTY_MEASURES),
            "taken_by_automated_means": listings["automated_decision"] + penalties["by_ladder"]}


def _median_time_to_action(period: ReportPeriod) -> int | None:
    """DSA Art. 15(1)(b): from the notice's receipt (its confirmation) to the decision on the
    listing, over the decisions taken in the period on rights holders' notices (an own-initiative case
    has no notice to receive); in whole seconds."""
    decided = Decision.objects.filter(period.where("decided_at"), ON_NOTICES)
    return seconds(percentile(decided, F("decided_at") - F("item__notice__confirmed_at"), 0.5))


def _decided_within_target(period: ReportPeriod) -> dict:
    """Notices decided: notices whose first takedown-decision clock stopped in the period (every
    listing decided; cancelled clocks measured nothing). A notice has one first decision clock
    (routing starts it once), so each notice counts once, ever. Within target: those stopped by
    their due time (moved later by the submitter's waits). Notices closed because the submitter never
    answered stop their first decision clock too (the report's label says so). Re-decisions apart:
    decision clocks of notices reopened by a successful appeal or a resubmitted fix (SlaClock.reopened),
    stopped in the period, and how many in time."""
    first, again = Q(reopened=False), Q(reopened=True)
    target = (clock_rollup.counted_clocks().filter(period.where("stopped_at"), kind=ClockKind.TAKEDOWN_DECISION)
              .aggregate(decided=Count("pk", filter=first),
                         within=Count("pk", filter=first & clock_rollup.WITHIN_TARGET),
                         redecided=Count("pk", filter=again),
                         redecided_within=Count("pk", filter=again & clock_rollup.WITHIN_TARGET)))
    return {"decided": target["decided"], "within_target": target["within"],
            "share": share(target["within"], target["decided"]),
            "redecisions": target["redecided"], "redecisions_within_target": target["redecided_within"]}


def _counter_notices(period: ReportPeriod) -> dict:
    """"filed": every filing of a counter-notice in the period, the first and each correction filed
    after a reviewer returned one as incomplete (CounterNoticeFiling rows, which a refiling never
    overwrites: equal to the counter_notice_filed events of the period). "by_status": the
    counter-notices whose latest filing falls in the period, by where they stand now."""
    # One aggregate over the period's filings: a counter-notice last filed in the period has that
    # filing among them, and is counted once per status (distinct).
    last_filed_here = period.where("counter_notice__filed_at")
    counter = CounterNoticeFiling.objects.filter(period.where("filed_at")).aggregate(
        filed=Count("pk"), **{f"status_{value}": Count("counter_notice", distinct=True,
                                                         filter=last_filed_here & Q(counter_notice__status=value))
                              for value in CounterNoticeStatus.values})
    return {"filed": counter["filed"], "by_status": _picked(counter, "status", CounterNoticeStatus.values)}


def _appeals(period: ReportPeriod) -> dict:
    """Internal complaints (Art. 20) filed in the period, by appellant and by where they stand now."""
    appeals = Appeal.objects.filter(period.where("filed_at")).aggregate(
        filed=Count("pk"), **{f"{who}_{status}": Count("pk", filter=Q(appellant=who, status=status))
                              for who in Appellant.values for status in AppealStatus.values})
    return {"filed": appeals["filed"], "by_appellant": {
        who: {"filed": sum(appeals[f"{who}_{status}"] for status in AppealStatus.values),
              "by_status": {status: appeals[f"{who}_{status}"] for status in AppealStatus.values}}
        for who in Appellant.values}}


def _penalties(period: ReportPeriod) -> dict:
    """Seller penalties decided in the period, by level (Art. 23, DMCA 512(i))."""
    penalties = Penalty.objects.filter(period.where("decided_at")).aggregate(
        decided=Count("pk"), **_by("level", PenaltyLevel.values))
    return {"decided": penalties["decided"], "by_level": _picked(penalties, "level", PenaltyLevel.values)}


def _notifier_measures(period: ReportPeriod) -> dict:
    """Measures against notifiers for manifestly unfounded notices (DSA Art. 23(2); Art. 24(1)(b) asks
    for suspensions of notifiers apart from those of sellers, which _penalties counts): warnings and
    suspensions of notice handling decided by a lead in the period, by level and by who they concern (an
    address, or an organisation's domain); those lifted on appeal in the period; notices refused at
    confirmation in the period because their notifier was suspended (counted from the case's events,
    which outlive the refused notices retention deletes); and the notifiers' appeals filed in the
    period, by where they stand now."""
    decided = period.where("decided_at")
    measures = NotifierMeasure.objects.filter(decided | period.where("lifted_at")).aggregate(
        decided=Count("pk", filter=decided), lifted=Count("pk", filter=period.where("lifted_at")),
        **{f"{field}_{value}": Count("pk", filter=decided & Q(**{field: value}))
           for field, values in (("level", NotifierMeasureLevel.values), ("scope", NotifierScope.values))
           for value in values})
    refused = NotifierEvent.objects.filter(period.where("created_at"), kind=NotifierEventKind.NOTICE_REFUSED).count()
    appeals = NotifierAppeal.objects.filter(period.where("filed_at")).aggregate(
        filed=Count("pk"), **_by("status", AppealStatus.values))
    return {"decided": measures["decided"], "by_level": _picked(measures, "level", NotifierMeasureLevel.values),
            "by_scope": _picked(measures, "scope", NotifierScope.values), "lifted_on_appeal": measures["lifted"],
            "notices_refused": refused,
            "appeals": {"filed": appeals["filed"], "by_status": _picked(appeals, "status", AppealStatus.values)}}


# Every section of the figures, as report_figures writes them.
SECTIONS = frozenset({"notices", "actions", "removals_by_initiative", "automated_means",
                      "median_time_to_action_seconds", "decided_within_target", "counter_notices", "appeals",
                      "penalties", "notifier_measures", "screening", "referrals"}) | HARMONISED_SECTIONS
# How long a stored report stays current: the period in progress changes all the time, a closed
# one only through late events (a counter-notice filed in it restored later, an appeal decided).
CURRENT_REPORT_FRESH = timedelta(minutes=15)
CLOSED_REPORT_FRESH = timedelta(hours=24)


def published_report(period: ReportPeriod, now: datetime) -> dict:
    """The report as visitors read it: the stored roll-up while fresh, otherwise computed and stored."""
    stored = ReportSnapshot.objects.filter(period=period.slug).first()
    fresh_for = CLOSED_REPORT_FRESH if period.complete else CURRENT_REPORT_FRESH
    if (stored and stored.computed_at > now - fresh_for and stored.figures["complete"] == period.complete
            and SECTIONS | {"counted_until"} <= stored.figures.keys()):  # one stored before a section (or its
        # bound) was added is recomputed
        return stored.figures
    return refresh_report(period, now)


# --- The report as shown: the stored snapshot plus what came after it, read live (issue 12, item 17). ---

# Figures of a state (where the cases counted stand now), not counts of events: a case counted in the
# snapshot and again after it (a counter-notice refiled, an appeal decided) would count twice if added.
# They stay as of the snapshot, as the page says.
AS_OF_SNAPSHOT = frozenset({"by_status"})


def live_report(period: ReportPeriod, now: datetime) -> dict:
    """The report as the page, the JSON and the CSV show it, with `as_of`: the moment its counts
    reach. The snapshot (published_report, up to 15 minutes old in a period in progress) counts the
    rows dated before its `counted_until`; read live, what its sections count from `counted_until` to
    now is added, as the dashboard adds the clocks after its roll-up, so the two partition the period
    (refresh_report). Added live: the counts of rows dated in the period by their event (notices
    received, by source and right, and their listings; decisions by outcome, restorations, reversals,
    removals by initiative (their ratio and share computed again from the sums), screening outcomes,
    stay-down and screening precision per rule (shares again from the sums), referrals; the use of
    automated means, its total summed again from its parts; notices decided and re-decided, within
    target, the share computed again from the sums; counter-notice filings; appeals filed by appellant;
    seller penalties by level; notifier measures, refusals and
    notifiers' appeals filed). As of the snapshot stay: the median time to action (a median cannot be
    added), the by-status breakdowns (AS_OF_SNAPSHOT), and the sections the harmonised templates add.
    A few indexed aggregates over minutes of rows."""
    stored = published_report(period, now)
    since = datetime.fromisoformat(stored["counted_until"])
    until = min(now, period.end)
    if since >= until:  # a finished period stored whole: nothing to add, every figure as of its computation
        return {**stored, "as_of": stored["computed_at"]}
    fresh = _counted_sections(_part(period, since, until))
    shown = {**stored, **{key: _added(stored[key], value) for key, value in fresh.items() if key in stored},
             "as_of": until.isoformat()}
    target = shown["decided_within_target"]
    target["share"] = share(target["within_target"], target["decided"])
    automated = shown["automated_means"]
    automated["taken_by_automated_means"] = automated["automated_decision"] + automated["penalty_decisions_automated"]
    return proactive.recomputed(shown)


def _added(stored: Any, fresh: Any) -> Any:
    """Counts added leaf by leaf; anything else (a share, a flag, a by-status breakdown) as stored."""
    if isinstance(stored, dict) and isinstance(fresh, dict):
        return {key: value if key in AS_OF_SNAPSHOT else _added(value, fresh.get(key))
                for key, value in stored.items()}
    if isinstance(stored, int) and not isinstance(stored, bool) and isinstance(fresh, int):
        return stored + fresh
    return stored


def refresh_report(period: ReportPeriod, now: datetime) -> dict:
    """Compute and store the period's snapshot. It counts the rows dated before its bound,
    `counted_until` = the period's end or now - clock_rollup.LATE_COMMITS, whichever is first (never
    before the period's start): a row committed late with an earlier date (a transaction that ran
    for minutes) is still counted live after the snapshot, and one written while the snapshot is
    computed is not counted by both. live_report adds what is dated from the bound on."""
    counted_until = max(period.start, min(period.end, now - clock_rollup.LATE_COMMITS))
    data = {**report_figures(period, until=counted_until),
            "publication": publication(_first_published(period, now), now),
            "computed_at": now.isoformat(), "counted_until": counted_until.isoformat()}
    ReportSnapshot.objects.update_or_create(period=period.slug, defaults={"figures": data, "computed_at": now})
    return data


def _first_published(period: ReportPeriod, now: datetime) -> datetime | None:
    """When the report of a finished period was first published: the first computation after the period
    ended, kept in ReportPublication (which outlives the snapshots). A period in progress has none yet."""
    if not period.complete:
        return None
    return ReportPublication.objects.get_or_create(period=period.slug,
                                                   defaults={"first_published_at": now})[0].first_published_at


def refresh_current_reports(now: datetime) -> list[str]:
    """The beat task's work: this and the previous month and half-year, so that visitors never wait."""
    today = timezone.localtime(now).date()
    last_month = today.replace(day=1) - timedelta(days=1)
    half = 1 if today.month <= 6 else 2
    previous_half = f"{today.year}-H1" if half == 2 else f"{today.year - 1}-H2"
    slugs = [f"{today:%Y-%m}", f"{last_month:%Y-%m}", f"{today.year}-H{half}", previous_half]
    for slug in slugs:
        refresh_report(report_period(slug, now), now)
    return slugs


def flattened(figures: dict, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """("notices.by_right_type.trademark", 1), ... : the report as CSV rows, in the JSON's order."""
    for key, value in figures.items():
        if isinstance(value, dict):
            yield from flattened(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value
