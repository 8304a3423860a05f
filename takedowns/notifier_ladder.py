"""The notifier misuse policy (DSA Art. 23(2)-(4)): when a notifier's notices are manifestly unfounded
often enough to be looked at, which measure comes next, and who may appeal it. Pure functions of the
configuration and their inputs; selectors/notifiers.py counts, workflow/notifier_misuse.py records,
and the public page /policies/notifier-misuse/ renders `policy()`, so the page states what runs.

- A notifier is a confirmed e-mail address, or an organisation: the part of the addresses after the
  "@", when two or more of its addresses sent the manifestly unfounded notices counted (one address
  alone is looked at as itself). Free-mail domains (FREE_MAIL_DOMAINS) are nobody's organisation and
  are never looked at as one.
- Manifestly unfounded: a listing a reviewer rejected with a reason code a lead marked so
  (ReasonCode.manifestly_unfounded). Counted over the listings decided in the last
  NOTIFIER_MISUSE_WINDOW_DAYS (decisions set aside on appeal do not count; the ones that replaced
  them do), of notices confirmed after the last measure or dismissed proposal about the notifier, its
  organisation or (for an organisation) one of its addresses: no notice counts in two decisions.
- The threshold: at least NOTIFIER_MISUSE_MIN_COUNT such listings, and at least
  NOTIFIER_MISUSE_MIN_SHARE_PERCENT % of the listings decided. Crossing it raises a proposal for the
  leads; a lead decides, with a statement of reasons, or dismisses it.
- The ladder (NOTIFIER_MISUSE_LADDER), e.g. "1:warning, 2:suspension:30, 3:suspension:90": the first
  measure is a warning, the second a 30-day suspension of notice handling, the third and any later
  one a 90-day suspension. It starts with a warning and reaches a suspension (Art. 23(2): suspend,
  after a prior warning). A measure counts towards the next step for NOTIFIER_MEASURE_EXPIRY_DAYS,
  unless it was reversed on appeal.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from takedowns import appeal_rules, legal
from takedowns.enums import NOTIFIER_SEVERITY, NotifierMeasureLevel, NotifierScope
from takedowns.models import NotifierAppeal, NotifierMeasure

# --- The ladder. ---


@dataclass(frozen=True)
class Step:
    """The measure a notifier's `number`-th measure is (and every later one, for the last step)."""
    number: int
    level: str
    days: int | None = None  # how long a suspension lasts

    def ends_at(self, start: datetime) -> datetime | None:
        return start + timedelta(days=self.days) if self.days else None

    @property
    def text(self) -> str:
        """The measure in a few words, in the active language, to follow "the next measure is a"."""
        if self.level == NotifierMeasureLevel.SUSPENSION:
            days = self.days or 0
            # Translators: a measure against a notifier who sends manifestly unfounded notices (DSA Art. 23(2);
            # de: Aussetzung der Bearbeitung von Meldungen); follows "the next measure under our policy is a".
            return ngettext("suspension of notice handling for %(days)s day",
                            "suspension of notice handling for %(days)s days", days) % {"days": days}
        # Translators: a measure against a notifier (DSA Art. 23(2)); follows "the next measure under our policy is a".
        return pgettext("notifier measure", "warning")


def parse_ladder(text: str) -> list[Step]:
    """Read the ladder from its configuration text; any mistake is a ValueError that says what is wrong."""
    steps = [_step(part) for part in filter(None, (chunk.strip() for chunk in text.split(",")))]
    if not steps:
        raise ValueError("The notifier ladder has no steps.")
    ordered = sorted(steps, key=lambda step: step.number)
    if ordered[0].number != 1 or ordered[0].level != NotifierMeasureLevel.WARNING:
        raise ValueError("Notifier ladder: the first measure must be a warning (1:warning): DSA Art. 23(2) allows a "
                         "suspension only after a prior warning.")
    for lower, higher in zip(ordered, ordered[1:], strict=False):
        if lower.number == higher.number:
            raise ValueError(f"Notifier ladder: measure {lower.number} is given twice.")
        if (NOTIFIER_SEVERITY[lower.level], lower.days or 0) > (NOTIFIER_SEVERITY[higher.level], higher.days or 0):
            raise ValueError("Notifier ladder: each step needs an equal or harsher measure than the one before "
                             "(a warning, then suspensions of equal or more days).")
    if not any(step.level == NotifierMeasureLevel.SUSPENSION for step in ordered):
        raise ValueError("Notifier ladder: it must reach a suspension, which DSA Art. 23(2) requires for "
                         "notifiers who frequently submit manifestly unfounded notices.")
    return ordered


def _step(part: str) -> Step:
    fields = [field.strip() for field in part.split(":")]
    if len(fields) not in (2, 3) or not fields[0].isdigit() or int(fields[0]) < 1:
        raise ValueError(f"Notifier ladder step {part!r}: write measure:warning or measure:suspension:days, "
                         "e.g. 1:warning or 2:suspension:30.")
    number, level = int(fields[0]), fields[1]
    if level not in NotifierMeasureLevel.values:
        raise ValueError(f"Notifier ladder step {part!r}: the level must be one of "
                         f"{', '.join(NotifierMeasureLevel.values)}.")
    if level == NotifierMeasureLevel.WARNING:
        if len(fields) == 3:
            raise ValueError(f"Notifier ladder step {part!r}: a warning has no number of days.")
        return Step(number, level)
    if len(fields) != 3 or not fields[2].isdigit() or int(fields[2]) < 1:
        raise ValueError(f"Notifier ladder step {part!r}: a suspension needs a number of days, e.g. 2:suspension:30.")
    return Step(number, level, int(fields[2]))


def step_for(measures_so_far: int, ladder: list[Step]) -> Step:
    """The step of the notifier's next measure, given the measures that still count against them."""
    reached = [step for step in ladder if step.number <= measures_so_far + 1]
    return reached[-1] if reached else ladder[0]


# --- The threshold. ---


@dataclass(frozen=True)
class Threshold:
    window_days: int
    min_count: int
    min_share_percent: int

    def crossed(self, decided: int, unfounded: int) -> bool:
        """At least min_count manifestly unfounded listings, and at least min_share_percent % of those decided."""
        return unfounded >= self.min_count and unfounded * 100 >= decided * self.min_share_percent


def share_percent(part: int, whole: int) -> int:
    """A share in whole percent, rounded down (never rounded up past the threshold it is compared with)."""
    return part * 100 // whole if whole else 0


# --- Who a notifier is. ---


def domain_of(email: str) -> str:
    """The part of an address after its first "@", lower-cased: the same as the SQL of selectors/notifiers.py."""
    return email.partition("@")[2].lower()


def organisation_domain(email: str, free_mail: frozenset[str]) -> str | None:
    """The organisation an address belongs to, or None for a free-mail address."""
    domain = domain_of(email)
    return None if not domain or domain in free_mail else domain


# --- The policy as configured: the one place the settings are read. ---


@dataclass(frozen=True)
class Policy:
    ladder: list[Step]
    threshold: Threshold
    measure_expiry_days: int
    free_mail_domains: frozenset[str]
    appeal_window: str

    def window_start(self, now: datetime) -> datetime:
        return now - timedelta(days=self.threshold.window_days)

    def counts_since(self, now: datetime) -> datetime:
        """Measures decided from this moment on count towards the next step."""
        return now - timedelta(days=self.measure_expiry_days)


def policy() -> Policy:
    return Policy(
        ladder=parse_ladder(settings.NOTIFIER_MISUSE_LADDER),
        threshold=Threshold(window_days=settings.NOTIFIER_MISUSE_WINDOW_DAYS,
                            min_count=settings.NOTIFIER_MISUSE_MIN_COUNT,
                            min_share_percent=settings.NOTIFIER_MISUSE_MIN_SHARE_PERCENT),
        measure_expiry_days=settings.NOTIFIER_MEASURE_EXPIRY_DAYS,
        free_mail_domains=frozenset(domain.lower() for domain in settings.FREE_MAIL_DOMAINS),
        appeal_window=legal.appeal_window_text(),
    )


def configuration_errors() -> list[str]:
    """What is wrong with the NOTIFIER_* settings, for the start-up check (checks.py)."""
    errors = []
    try:
        parse_ladder(settings.NOTIFIER_MISUSE_LADDER)
    except ValueError as exc:
        errors.append(f"NOTIFIER_MISUSE_LADDER: {exc}")
    for name, low, high in (("NOTIFIER_MISUSE_WINDOW_DAYS", 1, 3660), ("NOTIFIER_MISUSE_MIN_COUNT", 1, None),
                            ("NOTIFIER_MISUSE_MIN_SHARE_PERCENT", 1, 100), ("NOTIFIER_MEASURE_EXPIRY_DAYS", 1, None)):
        value = getattr(settings, name)
        if not isinstance(value, int) or value < low or (high is not None and value > high):
            errors.append(f"{name}={value!r} must be a whole number from {low}" + (f" to {high}." if high else " up."))
    expiry = settings.NOTIFIER_MEASURE_EXPIRY_DAYS
    if isinstance(expiry, int) and expiry > settings.RETENTION_CASE_YEARS * 365:
        errors.append(f"NOTIFIER_MEASURE_EXPIRY_DAYS={expiry} must not be longer than "
                      f"RETENTION_CASE_YEARS={settings.RETENTION_CASE_YEARS} years: a measure cannot count once "
                      "retention has removed whom it was about.")
    bad = [domain for domain in settings.FREE_MAIL_DOMAINS if "@" in domain or "." not in domain.strip(".")]
    if bad:
        errors.append(f"FREE_MAIL_DOMAINS: {', '.join(bad)} {'is not a domain' if len(bad) == 1 else 'are not domains'}"
                      " (write e.g. gmail.com, without the @).")
    return errors


# --- Measures in force, and their appeal (DSA Art. 20). ---


def when(moment: datetime) -> str:
    """A moment as the active language writes it, with its time zone (appeal_rules.when)."""
    return appeal_rules.when(moment)


def suspends(measure: NotifierMeasure, now: datetime) -> bool:
    """Whether the measure suspends notice handling at `now`: a suspension, not lifted, not over."""
    return (measure.level == NotifierMeasureLevel.SUSPENSION and measure.lifted_at is None
            and measure.ends_at is not None and measure.ends_at > now)


def concerns(measure: NotifierMeasure, email: str) -> bool:
    """Whether the measure is about this address (itself, or its organisation's domain)."""
    if measure.scope == NotifierScope.EMAIL:
        return measure.notifier == email.lower()
    return measure.notifier == domain_of(email)


def appeal_deadline(measure: NotifierMeasure) -> datetime:
    """Six calendar months from the measure, to the end of that day (DSA Art. 20(1), legal.appeal_deadline)."""
    return legal.appeal_deadline(measure.decided_at)


def appeal_refusal(measure: NotifierMeasure, appeal: NotifierAppeal | None, now: datetime) -> str:
    """Why this measure cannot be appealed now; "" when it can."""
    if appeal is not None:
        # Translators: %(status)s is the appeal's state in lower case ("filed", "upheld", "reversed").
        return _("This measure was appealed on %(filed_at)s; a measure can be appealed once (%(status)s).") % {
            "filed_at": when(appeal.filed_at), "status": appeal.get_status_display().lower()}
    if measure.lifted_at is not None:
        return _("This measure was lifted on %(lifted_at)s; there is nothing left to appeal.") % {
            "lifted_at": when(measure.lifted_at)}
    if now > appeal_deadline(measure):
        return _("The time to appeal ended on %(deadline)s: an appeal can be filed within %(window)s of the "
                 "decision.") % {"deadline": when(appeal_deadline(measure)), "window": legal.appeal_window_text()}
    return ""


def appeal_conflict(measure: NotifierMeasure, user: User | AnonymousUser) -> str:
    """Why this lead may not decide the appeal against the measure; "" when they may."""
    if user.pk != measure.decided_by_id:
        return ""
    return _("You decided this measure, so another lead must decide the appeal: an appeal is decided by someone "
             "who took no part in the decision (DSA Art. 20).")
