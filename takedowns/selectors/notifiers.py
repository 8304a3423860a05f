"""The notifier misuse policy's reads (DSA Art. 23): the threshold check's aggregates, what a lead
weighs, the measures a notifier's pages show and the one confirmation checks. The counting is SQL:
GROUP BY notifier with HAVING, first over the manifestly unfounded rejections of the window alone
(index decision_unfounded_window), then over all the decided listings of the few notifiers found, so
that only the notifiers that cross come back, and no query reads every decision of the window."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from django.conf import settings
from django.db.models import Count, Expression, F, Max, Q, QuerySet, Value
from django.db.models.functions import StrIndex, Substr
from django.utils.translation import gettext_lazy

from takedowns.enums import (
    DecisionOutcome,
    EventKind,
    NotifierMeasureLevel,
    NotifierProposalStatus,
    NotifierScope,
)
from takedowns.models import (
    Decision,
    Event,
    Notice,
    NotifierAppeal,
    NotifierEvent,
    NotifierMeasure,
    NotifierProposal,
    ReasonCode,
)
from takedowns.notifier_ladder import (
    Policy,
    Step,
    appeal_deadline,
    appeal_refusal,
    domain_of,
    organisation_domain,
    share_percent,
    step_for,
    suspends,
)

EMAIL = "item__notice__submitter__email"
UNFOUNDED = Q(outcome=DecisionOutcome.REJECT, reason_code__manifestly_unfounded=True)
REJECTED = Q(outcome=DecisionOutcome.REJECT)


def domain_expression(field: str) -> Expression:
    """The part of the address in `field` after its first "@" (notifier_ladder.domain_of in SQL);
    addresses are stored lower-cased (Submitter.email)."""
    return Substr(field, StrIndex(field, Value("@")) + 1)


def _in_window(start: datetime, now: datetime) -> QuerySet[Decision]:
    """Decisions in force taken in [start, now] on confirmed notices (an anonymised case, years old, has
    no submitter and is never in a window)."""
    return Decision.objects.filter(reversed_at=None, superseded_at=None, decided_at__gte=start, decided_at__lte=now,
                                   item__notice__submitter__isnull=False)


def _of(decisions: QuerySet[Decision], scope: str, notifier: str) -> QuerySet[Decision]:
    if scope == NotifierScope.EMAIL:
        return decisions.filter(**{EMAIL: notifier})
    return decisions.alias(domain=domain_expression(EMAIL)).filter(domain=notifier)


# --- The threshold check. ---

@dataclass(frozen=True)
class Figures:
    """What a notifier's counted listings show: the proposal's figures."""
    decided: int
    rejected: int
    unfounded: int
    notices: int
    addresses: list[str]  # whose notices were counted
    unfounded_addresses: int  # how many of them sent manifestly unfounded ones
    by_reason_code: dict[str, int]


def crossing(policy: Policy, now: datetime) -> list[tuple[str, str]]:
    """(scope, notifier) of every notifier whose listings decided in the window cross the threshold,
    before any reset by an earlier decision: an address, and a non-free-mail domain whose manifestly
    unfounded listings came from two or more of its addresses. At most five aggregate queries,
    whatever the number of decisions: the codes marked (none: nothing more is read); per scope, the
    notifiers with at least the count of manifestly unfounded rejections, reading only those rows
    (index decision_unfounded_window); then the share over all the decided listings of just them."""
    codes = list(ReasonCode.objects.filter(manifestly_unfounded=True).values_list("pk", flat=True))
    if not codes:
        return []
    threshold, start = policy.threshold, policy.window_start(now)
    unfounded = _in_window(start, now).filter(outcome=DecisionOutcome.REJECT, reason_code__in=codes)
    enough = Q(unfounded__gte=threshold.min_count)
    submitters = list(unfounded.values(key=F("item__notice__submitter")).annotate(unfounded=Count("pk"))
                      .filter(enough).values_list("key", flat=True))
    domains = list(unfounded.annotate(key=domain_expression(EMAIL)).exclude(key__in=sorted(policy.free_mail_domains))
                   .exclude(key="").values("key")
                   .annotate(unfounded=Count("pk"), addresses=Count("item__notice__submitter", distinct=True))
                   .filter(enough, addresses__gte=2).values_list("key", flat=True))
    counts = {"decided": Count("pk"), "unfounded": Count("pk", filter=UNFOUNDED)}
    having = Q(enough, scaled__gte=F("decided") * threshold.min_share_percent)
    found = []
    if submitters:  # filtered by the notices' own column: no join to the submitters to find the rows
        found += [(NotifierScope.EMAIL, key) for key in _in_window(start, now)
                  .filter(item__notice__submitter__in=submitters).values(key=F(EMAIL)).annotate(**counts)
                  .alias(scaled=F("unfounded") * 100).filter(having).values_list("key", flat=True)]
    if domains:
        found += [(NotifierScope.DOMAIN, key) for key in _in_window(start, now)
                  .annotate(key=domain_expression(EMAIL)).filter(key__in=domains).values("key").annotate(**counts)
                  .alias(scaled=F("unfounded") * 100).filter(having).values_list("key", flat=True)]
    return sorted(found)


def counted(scope: str, notifier: str, start: datetime, now: datetime,
            confirmed_after: datetime | None) -> QuerySet[Decision]:
    """The decisions a proposal counts: in force, taken in [start, now], on the notifier's notices
    confirmed after `confirmed_after` (its last measure or dismissal) if given."""
    decisions = _of(_in_window(start, now), scope, notifier)
    return decisions.filter(item__notice__confirmed_at__gt=confirmed_after) if confirmed_after else decisions


def figures(decisions: QuerySet[Decision]) -> Figures:
    """The figures of counted decisions, in three aggregate queries."""
    totals = decisions.aggregate(decided=Count("pk"), rejected=Count("pk", filter=REJECTED),
                                 unfounded=Count("pk", filter=UNFOUNDED),
                                 notices=Count("item__notice", distinct=True),
                                 unfounded_addresses=Count(EMAIL, distinct=True, filter=UNFOUNDED))
    addresses = sorted(decisions.order_by().values_list(EMAIL, flat=True).distinct())
    by_code = dict(decisions.filter(UNFOUNDED).order_by().values("reason_code__code")
                   .annotate(listings=Count("pk")).values_list("reason_code__code", "listings"))
    return Figures(decided=totals["decided"], rejected=totals["rejected"], unfounded=totals["unfounded"],
                   notices=totals["notices"], addresses=addresses, unfounded_addresses=totals["unfounded_addresses"],
                   by_reason_code=dict(sorted(by_code.items(), key=lambda pair: (-pair[1], pair[0]))))


def busy_notifiers(now: datetime) -> set[tuple[str, str]]:
    """Notifiers not to propose now: one already waits for a lead, or their notice handling is suspended."""
    waiting = NotifierProposal.objects.filter(status=NotifierProposalStatus.OPEN).values_list("scope", "notifier")
    suspended = _suspensions(Q(), now).values_list("scope", "notifier")
    return {*waiting, *suspended}


def last_closed(scope: str, notifier: str) -> datetime | None:
    """When the last proposal about this notifier, its organisation (for an address) or one of its addresses
    (for an organisation) was decided or dismissed: only notices confirmed after it count next, so that no
    notice is counted in two decisions."""
    if scope == NotifierScope.EMAIL:
        related = Q(scope=scope, notifier=notifier) | Q(scope=NotifierScope.DOMAIN, notifier=domain_of(notifier))
    else:
        related = Q(scope=scope, notifier=notifier) | Q(scope=NotifierScope.EMAIL, notifier__endswith=f"@{notifier}")
    return NotifierProposal.objects.filter(related, closed_at__isnull=False).aggregate(last=Max("closed_at"))["last"]


def measures_counting(scope: str, notifier: str, since: datetime) -> int:
    """The notifier's measures that count towards the next step: decided since `since`, not lifted on appeal."""
    return NotifierMeasure.objects.filter(scope=scope, notifier=notifier, decided_at__gte=since,
                                          lifted_at=None).count()


def next_step(policy: Policy, scope: str, notifier: str, now: datetime) -> Step:
    """The ladder's step for the notifier's next measure, as the policy in force at `now` has it."""
    return step_for(measures_counting(scope, notifier, policy.counts_since(now)), policy.ladder)


def addresses_at(domain: str, since: datetime) -> list[str]:
    """The addresses of a domain that confirmed notices since `since` (who a domain's measure is sent to
    when its proposal named none)."""
    return sorted(Notice.objects.filter(confirmed_at__gte=since, submitter__isnull=False)
                  .alias(domain=domain_expression("submitter__email")).filter(domain=domain)
                  .order_by().values_list("submitter__email", flat=True).distinct())


# --- Measures of an address: confirmation's check and the notifier's pages. ---

def _keys(email: str) -> Q:
    keys = Q(scope=NotifierScope.EMAIL, notifier=email.lower())
    domain = organisation_domain(email, frozenset(settings.FREE_MAIL_DOMAINS))
    return keys | Q(scope=NotifierScope.DOMAIN, notifier=domain) if domain else keys


def _suspensions(keys: Q, now: datetime) -> QuerySet[NotifierMeasure]:
    return NotifierMeasure.objects.filter(keys, level=NotifierMeasureLevel.SUSPENSION, lifted_at=None,
                                          ends_at__gt=now)


def suspension_for(email: str, now: datetime) -> NotifierMeasure | None:
    """The suspension in force for this address or its organisation at `now` (the longest), if any."""
    return _suspensions(_keys(email), now).order_by("-ends_at", "-pk").first()


@dataclass(frozen=True)
class MeasureView:
    """A measure as the notifier's pages show it: the statement's figures, and its appeal or whether
    one can be filed and until when."""
    measure: NotifierMeasure
    proposal: NotifierProposal
    share: int
    codes: list[tuple[str, int]]
    in_force: bool
    appeal: NotifierAppeal | None
    deadline: datetime
    refusal: str

    @property
    def may_appeal(self) -> bool:
        return self.appeal is None and not self.refusal


def appeal_against(measure: NotifierMeasure) -> NotifierAppeal | None:
    """The measure's appeal, if filed (read with the measure when it was select_related)."""
    try:
        return measure.appeal
    except NotifierAppeal.DoesNotExist:
        return None


def measure_view(measure: NotifierMeasure, now: datetime) -> MeasureView:
    proposal = measure.proposal
    appeal = appeal_against(measure)
    return MeasureView(measure=measure, proposal=proposal, codes=reason_titles(proposal),
                       share=share_percent(proposal.unfounded_listings, proposal.decided_listings),
                       in_force=suspends(measure, now), appeal=appeal, deadline=appeal_deadline(measure),
                       refusal="" if appeal else appeal_refusal(measure, None, now))


def measures_concerning(email: str, now: datetime) -> list[MeasureView]:
    """The measures a notice's tracking page shows: those about its address or its organisation that are
    in force, still appealable or appealed, newest first. Two queries when there are none."""
    # A month has at most 31 days: every measure still appealable was decided after `since`; the
    # few decided just before their window ended are dropped by the exact deadline below.
    since = now - timedelta(days=31 * settings.APPEAL_WINDOW_MONTHS + 1)
    recent = Q(decided_at__gte=since) | Q(ends_at__gt=now)
    found = (NotifierMeasure.objects.filter(_keys(email)).filter(recent | Q(appeal__isnull=False))
             .select_related("appeal", "proposal").order_by("-decided_at", "-pk"))
    return [measure_view(measure, now) for measure in found
            if appeal_deadline(measure) >= now or (measure.ends_at and measure.ends_at > now)
            or appeal_against(measure) is not None]


def measure_of_refusal(notice: Notice) -> NotifierMeasure | None:
    """The suspension a refused notice was refused under (its refusal event names it)."""
    event = Event.objects.filter(notice=notice, kind=EventKind.REFUSED).order_by("-created_at").first()
    measure_id = event.details.get("measure") if event else None
    return NotifierMeasure.objects.filter(pk=measure_id).first() if measure_id else None


def reason_titles(proposal: NotifierProposal) -> list[tuple[str, int]]:
    """(title, listings) of the reason codes behind a proposal's manifestly unfounded rejections, most first.
    A title is translated when shown (lazily: an e-mail's context is built before its language is switched
    on), as ReasonCode.title_shown is."""
    titles = dict(ReasonCode.objects.filter(code__in=list(proposal.by_reason_code)).values_list("code", "title"))
    return [(cast(str, gettext_lazy(titles[code])) if code in titles else code, listings)
            for code, listings in proposal.by_reason_code.items()]


def unfounded_reason_codes() -> list[ReasonCode]:
    """The reason codes that count as manifestly unfounded, as the policy page lists them."""
    return list(ReasonCode.objects.filter(manifestly_unfounded=True).order_by("title"))


# --- The leads' pages. ---

LIST_SIZE = 100


def open_proposals() -> list[NotifierProposal]:
    """Proposals waiting for a lead, oldest first (the first LIST_SIZE)."""
    return list(NotifierProposal.objects.filter(status=NotifierProposalStatus.OPEN).order_by("raised_at", "pk")
                [:LIST_SIZE])


def filed_appeals() -> list[NotifierAppeal]:
    return list(NotifierAppeal.objects.filter(status="filed").select_related("measure__decided_by")
                .order_by("filed_at", "pk")[:LIST_SIZE])


def recent_measures() -> list[NotifierMeasure]:
    return list(NotifierMeasure.objects.select_related("decided_by", "appeal").order_by("-decided_at", "-pk")
                [:LIST_SIZE])


def proposal(proposal_id: int) -> NotifierProposal | None:
    return NotifierProposal.objects.select_related("closed_by").filter(pk=proposal_id).first()


def notifier_appeal(appeal_id: int) -> NotifierAppeal | None:
    return NotifierAppeal.objects.select_related("measure__proposal", "measure__decided_by", "decided_by") \
        .filter(pk=appeal_id).first()


@dataclass(frozen=True)
class CountedNotice:
    reference: str
    confirmed_at: datetime | None  # always set: only confirmed notices are counted
    decided: int
    unfounded: int


def counted_notices(proposal: NotifierProposal) -> list[CountedNotice]:
    """The notices behind a proposal's figures, newest first, with each one's counted listings as they stand."""
    rows = (counted(proposal.scope, proposal.notifier, proposal.window_start, proposal.raised_at,
                    proposal.confirmed_after)
            .values("item__notice__reference", "item__notice__confirmed_at")
            .annotate(decided=Count("pk"), unfounded=Count("pk", filter=UNFOUNDED))
            .order_by("-item__notice__confirmed_at", "item__notice__reference")[:LIST_SIZE])
    return [CountedNotice(row["item__notice__reference"], row["item__notice__confirmed_at"], row["decided"],
                          row["unfounded"]) for row in rows]


@dataclass(frozen=True)
class History:
    measures: list[NotifierMeasure]
    events: list[NotifierEvent]


def history(scope: str, notifier: str) -> History:
    """A notifier's earlier measures and every step of their case, for the lead deciding."""
    return History(
        measures=list(NotifierMeasure.objects.filter(scope=scope, notifier=notifier)
                      .select_related("decided_by", "appeal").order_by("-decided_at", "-pk")[:LIST_SIZE]),
        events=list(NotifierEvent.objects.filter(scope=scope, notifier=notifier).select_related("actor_user")
                    .order_by("-created_at", "-pk")[:LIST_SIZE]))
