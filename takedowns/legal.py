"""What the law makes us say and when: the sworn statements of a notice (DMCA 512(c)(3)(A)(v)-(vi), DSA
Art. 16(2)(d)) and counter-notice (512(g)(3)(C)-(D)), the electronic signature, which notices are DMCA
notices (512(c)(3)(A)(iv) contact), the counter-notice's restore window (512(g)(2)(B)-(C)) and the
appeal window (DSA Art. 20(1)). Pages, e-mails, forms and the workflow all read these from here, so the
text a person swears to is the text we store and show, and every deadline shown is the one enforced.
"""

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from takedowns import sla
from takedowns.enums import CounterNoticeStatus, DecisionOutcome, ItemState, NoticeSource, RightType
from takedowns.models import CounterNotice, Decision

# --- The notice (DMCA 512(c)(3)(A)(v) and (vi); DSA Art. 16(2)(d)). DSA Art. 16(2)(d) asks for "a statement
# confirming the bona fide belief of the individual or entity submitting the notice that the information
# and allegations contained therein are accurate and complete"; DMCA 512(c)(3)(A)(vi) for "a statement
# that the information in the notification is accurate, and under penalty of perjury, that the complaining
# party is authorized to act on behalf of the owner". The one statement covers both. ---

GOOD_FAITH_TEXT = (
    "I have a good-faith belief that the use of the material in the manner complained of is not "
    "authorised by the rights owner, its agent, or the law."
)
ACCURACY_TEXT = (
    "I believe in good faith that the information and allegations in this notice are accurate and complete, "
    "and I state under penalty of perjury that I am the owner, or authorised to act on behalf of the owner, of "
    "the right that is allegedly infringed."
)


def is_dmca_notice(right_type: str) -> bool:
    """Whether a notice is also a DMCA 512(c)(3) notification: 512(c) is the notice-and-takedown of
    copyright infringement only; a trademark, design or patent notice is a DSA Art. 16 notice alone.
    A DMCA notice must give "information reasonably sufficient to permit the service provider to
    contact the complaining party, such as an address, telephone number, and, if available, an
    electronic mail address" (512(c)(3)(A)(iv)): the form asks the postal address and telephone then."""
    return right_type == RightType.COPYRIGHT

# --- The counter-notice (DMCA 512(g)(3)(C) and (D)), as the seller makes them and the rights holder reads them. ---

STATEMENT_MISTAKE = (
    "I swear, under penalty of perjury, that I have a good-faith belief that the material identified above "
    "was removed or disabled as a result of a mistake or misidentification of the material to be removed or "
    "disabled."
)
STATEMENT_JURISDICTION = (
    "I consent to the jurisdiction of the Federal District Court for the judicial district in which my address "
    "is located or, if my address is outside the United States, for any judicial district in which the "
    "marketplace may be found, and I will accept service of process from the person who provided the "
    "notification of the alleged infringement or an agent of such person."
)


def signature_matches(full_name: str, signature: str) -> bool:
    """The electronic signature is the full name typed again; spacing and case do not matter."""
    def normal(text: str) -> str:
        return " ".join((text or "").split()).casefold()
    return bool(normal(full_name)) and normal(full_name) == normal(signature)


def counter_notice_refusal(decision: Decision) -> str:
    """Why the seller cannot counter this decision now; "" when they can. 512(g) sets the seller no
    deadline: a counter-notice answers a removal in force, its listing down and not restored."""
    listing = {"listing": decision.item.decided_listing.external_id}
    if decision.outcome != DecisionOutcome.REMOVE:
        # Translators: "counter-notice" as in the US DMCA, 17 U.S.C. 512(g).
        return _("A counter-notice answers a removal; this decision removed nothing.")
    if decision.reversed_at is not None:
        return _("The removal of listing %(listing)s was set aside on appeal; there is nothing left to counter.") % (
            listing)
    if decision.listing_restored_at is not None or decision.item.state == ItemState.RESTORED:
        return _("Listing %(listing)s has been restored already; there is nothing left to counter.") % listing
    if decision.item.state != ItemState.REMOVED:
        return _("Listing %(listing)s is '%(state)s': a counter-notice answers a removal in force.") % {
            **listing, "state": decision.item.get_state_display()}
    # 512(g) answers a rights holder's notice; an own-initiative removal (listing screening) had none.
    if decision.item.notice.source == NoticeSource.SCREENING:
        return _("We removed listing %(listing)s on our own initiative, not on a rights holder's notice, so there "
                 "is nobody to send a counter-notice to: lodge a complaint instead.") % listing
    # 512(g)(2)(B) asks for a copy to the rights holder, whose address retention has deleted.
    if decision.item.notice.anonymised_at is not None:
        return _("The case behind the removal of listing %(listing)s ended years ago and its personal data was "
                 "deleted under our retention policy, so a counter-notice can no longer reach the rights holder. "
                 "Please contact the marketplace's seller support.") % listing
    return ""


def may_file_counter_notice(decision: Decision, counter_notice: CounterNotice | None) -> bool:
    """Whether the seller may file now: a first counter-notice, or the correction of one returned
    as incomplete, against a removal whose listing is still down (the page shows the form only then)."""
    if counter_notice is not None and counter_notice.status != CounterNoticeStatus.INCOMPLETE:
        return False
    return not counter_notice_refusal(decision)


# --- The restore window of 512(g)(2)(B)-(C). The statute: the provider "(B) upon receipt of a counter
# notification described in paragraph (3), promptly provides the person who provided the notification
# ... with a copy of the counter notification, and informs that person that it will replace the removed
# material or cease disabling access to it in 10 business days; and (C) replaces the removed material
# and ceases disabling access to it not less than 10, nor more than 14, business days following
# receipt of the counter notice, unless its designated agent first receives notice from the person who
# submitted the notification ... that such person has filed an action seeking a court order".
#
# From which event: RECEIPT of the counter-notice, i.e. the moment the seller filed it (the filing that
# was found complete: a counter-notice returned as incomplete and corrected is received when the
# corrected one is filed). The reviewer's completeness check does not move the window; it has its own
# SLA clock (ClockKind.COUNTER_NOTICE_CHECK, two business days by default) so that it comes long before.
#
# On which calendar: US business days, Monday to Friday minus the public holidays of
# COUNTER_NOTICE_HOLIDAY_COUNTRY (US: the federal holidays, with the observed Friday or Monday when one
# falls on a weekend), as dates in COUNTER_NOTICE_TIME_ZONE (America/New_York by default). The day of
# receipt never counts: "following receipt".
#
# The rule we run: the listing is restored at the END of the Nth business day following the day of
# receipt (N = COUNTER_NOTICE_RESTORE_BUSINESS_DAYS, 10 by default), i.e. at 00:00 local time of the next
# calendar day. Then N >= 10 whole business days have passed after receipt ("not less than 10"), and the
# restore comes whole business days before the 14th ends ("nor more than 14"), which is the restore
# clock's due time. If the check comes late, the date still counts from receipt (restore_plan): a check
# after the Nth business day ended restores at the end of the 14th business day after receipt, the
# latest (C) allows, so that the rights holder still has the most time the law leaves to report a
# lawsuit (not the copy and the restore in the same beat run); a check after the 14th ended has missed
# the window: the listing is restored promptly, at the check, and the leads are told. The check clock's
# policies are capped (CHECK_MAX_BUSINESS_DAYS) so that neither should happen.
#
# The copy to the rights holder, (B): it is sent when a reviewer finds the counter-notice complete. Only
# "a counter notification described in paragraph (3)" obliges us to forward it; whether it is one is
# what the check finds, and forwarding an incomplete one would hand the seller's address and telephone
# to the rights holder for nothing. "Promptly" is held by the check clock (it warns and breaches like
# every clock). The copy states the restore date (10 business days after receipt, as (B) asks us to
# inform, or the later date of restore_plan and why), in COUNTER_NOTICE_TIME_ZONE. The copy carries the
# seller's name, address, telephone and e-mail (what (3)(D) makes
# them give so that the rights holder can serve process); nothing obliges us to hand the rights holder's
# postal address or telephone (512(c)(3)(A)(iv), given for US to reach them) to the seller, so neither
# goes to the seller (least privilege): the rights holder answers through the court action of (C). ---

# The law's upper bound: the restore clock breaches if the listing is not back by the end of this day.
LATEST_RESTORE_BUSINESS_DAYS = 14
# The longest completeness-check target a lead may set (SlaPolicy for ClockKind.COUNTER_NOTICE_CHECK):
# a check within 3 business days of receipt comes long before the 10th business day ends, so the copy
# reaches the rights holder "promptly" (B) and the restore keeps the 10th-day date.
CHECK_MAX_BUSINESS_DAYS = 3

# Which rule set a restore date (RestorePlan.rule).
RESTORE_PLANNED = "planned"  # the end of the Nth business day after receipt, the rule
RESTORE_LATEST = "latest"  # the check came after the Nth ended: the end of the 14th, the law's latest
RESTORE_MISSED = "missed"  # the check came after the 14th ended: the window is missed, restore at the check
RESTORE_DEMO = "demo"  # COUNTER_NOTICE_WINDOW_SECONDS after the check (demo setting)


@dataclass(frozen=True)
class RestorePlan:
    due_at: datetime  # when the listing is restored, in UTC
    rule: str  # RESTORE_PLANNED, RESTORE_LATEST, RESTORE_MISSED or RESTORE_DEMO


def restore_plan(received_at: datetime, checked_at: datetime) -> RestorePlan:
    """When the listing of a counter-notice received (filed) at `received_at` and found complete at
    `checked_at` is restored, and under which rule (512(g)(2)(C), see above): the end of the Nth US
    business day after the day of receipt when the check comes before that ends; else the end of the
    14th; else, the window missed, the check itself. The demo's COUNTER_NOTICE_WINDOW_SECONDS counts
    from the check instead, so that a demo shows the whole window after the reviewer's click."""
    if settings.COUNTER_NOTICE_WINDOW_SECONDS:
        return RestorePlan(checked_at + timedelta(seconds=settings.COUNTER_NOTICE_WINDOW_SECONDS), RESTORE_DEMO)
    planned = end_of_business_day(received_at, settings.COUNTER_NOTICE_RESTORE_BUSINESS_DAYS)
    if checked_at < planned:
        return RestorePlan(planned, RESTORE_PLANNED)
    latest = end_of_business_day(received_at, LATEST_RESTORE_BUSINESS_DAYS)
    if checked_at < latest:
        return RestorePlan(latest, RESTORE_LATEST)
    return RestorePlan(checked_at, RESTORE_MISSED)


def clamp_restore_due_at(received_at: datetime, due_at: datetime) -> datetime:
    """A restore date planned under an older rule, moved into 512(g)(2)(C)'s window: not before the end
    of the 10th business day after receipt, nor after the end of the 14th (migration 0023)."""
    earliest = end_of_business_day(received_at, 10)
    latest = end_of_business_day(received_at, LATEST_RESTORE_BUSINESS_DAYS)
    return min(max(due_at, earliest), latest)


def latest_restore_at(received_at: datetime, planned: datetime) -> datetime:
    """The restore clock's due time: the end of the 14th business day after receipt (the law's bound),
    never before the planned restore (restore_plan's date; the demo's seconds can plan it later)."""
    return max(end_of_business_day(received_at, LATEST_RESTORE_BUSINESS_DAYS), planned)


def end_of_business_day(received_at: datetime, days: int) -> datetime:
    """The end (24:00 local time, which is 00:00 of the next calendar day) of the `days`-th business
    day after the day of `received_at`, on the counter-notice calendar, in UTC."""
    zone = ZoneInfo(settings.COUNTER_NOTICE_TIME_ZONE)
    receipt_day = received_at.astimezone(zone).date()
    # add_business_days keeps the wall-clock time: from 00:00 of the day of receipt to 00:00 of the
    # Nth business day after it, whose end is the next calendar day's 00:00.
    start_of_receipt_day = datetime.combine(receipt_day, time(0, 0), tzinfo=zone)
    nth_day = sla.add_business_days(start_of_receipt_day, days, _calendar()).astimezone(zone).date()
    return datetime.combine(nth_day + timedelta(days=1), time(0, 0), tzinfo=zone).astimezone(UTC)


def restore_time_text(due_at: datetime) -> str:
    """A restore date as the US side reads it, in COUNTER_NOTICE_TIME_ZONE: a restore at 00:00 local time
    is "the end of Monday 7 December 2026, New York time" (the end of the business day, not the next day's
    start); any other moment (a window missed, the demo) "14:05 New York time on Tuesday 22 December 2026".
    Written to follow "at". In the active language (pages, and e-mails in their recipient's language)."""
    zone_name = settings.COUNTER_NOTICE_TIME_ZONE
    place = zone_name.rsplit("/", 1)[-1].replace("_", " ")
    local = due_at.astimezone(ZoneInfo(zone_name))
    if local.time() == time(0, 0):
        day = local.date() - timedelta(days=1)
        # Translators: the restore date of a counter-notice (17 U.S.C. 512(g)(2)(C)), written to follow "at":
        # the end of a US business day, in a US time zone ("the end of Monday 7 December 2026, New York time").
        return _("the end of %(day)s, %(place)s time") % {"day": _day_text(day), "place": place}
    # Translators: a restore time of a counter-notice in a US time zone, written to follow "at"
    # ("14:05 New York time on Tuesday 22 December 2026").
    return _("%(time)s %(place)s time on %(day)s") % {"time": f"{local:%H:%M}", "place": place,
                                                       "day": _day_text(local.date())}


def _day_text(day: date) -> str:
    # Translators: a date format of Django's date filter (https://docs.djangoproject.com/en/stable/ref/templates/
    # builtins/#date) for a weekday and date, "Monday 7 December 2026": write your language's order.
    return date_format(day, pgettext("date format with weekday", "l j F Y"))


def restore_reason_text(plan: RestorePlan) -> str:
    """Why the restore falls on its date, for the copy to the rights holder and the seller's e-mails."""
    values = {"days": settings.COUNTER_NOTICE_RESTORE_BUSINESS_DAYS, "latest": LATEST_RESTORE_BUSINESS_DAYS,
              "seconds": settings.COUNTER_NOTICE_WINDOW_SECONDS}
    if plan.rule == RESTORE_PLANNED:
        # Translators: DMCA counter-notice restore rule, 17 U.S.C. 512(g)(2)(C); "%(days)sth" is an ordinal (10th).
        return _("This is the end of the %(days)sth US business day after the day we received the counter-notice, "
                 "as 17 U.S.C. 512(g)(2)(C) provides.") % values
    if plan.rule == RESTORE_LATEST:
        # Translators: DMCA counter-notice restore rule, 17 U.S.C. 512(g)(2)(C); ordinals (10th, 14th).
        return _("Our completeness check came after the %(days)sth US business day following the day we received "
                 "the counter-notice had ended, so we restore at the end of the %(latest)sth US business day after "
                 "it: the latest 17 U.S.C. 512(g)(2)(C) allows, which leaves the most time the law permits to "
                 "report a lawsuit.") % values
    if plan.rule == RESTORE_MISSED:
        # Translators: DMCA counter-notice restore rule, 17 U.S.C. 512(g)(2)(C); an ordinal (14th).
        return _("Our completeness check came after the %(latest)sth US business day following the day we "
                 "received the counter-notice had ended: the window of 17 U.S.C. 512(g)(2)(C) has passed, so the "
                 "listing is restored promptly, at the check.") % values
    return _("%(seconds)s seconds after the reviewer's check (demo setting).") % values


def restore_rule_note(plan: RestorePlan) -> str:
    """The rule behind a planned restore date, in a few words for the staff pages (English, marked)."""
    values = {"days": settings.COUNTER_NOTICE_RESTORE_BUSINESS_DAYS, "latest": LATEST_RESTORE_BUSINESS_DAYS}
    if plan.rule == RESTORE_PLANNED:
        return _("end of the %(days)sth US business day after receipt") % values
    if plan.rule == RESTORE_LATEST:
        return _("end of the %(latest)sth US business day after receipt: the %(days)sth has ended") % values
    if plan.rule == RESTORE_MISSED:
        return _("at once: the %(latest)sth US business day after receipt has ended, the window is missed") % values
    # Translators: staff page; the counter-notice window is shortened to seconds for a demonstration.
    return _("demo setting")


def check_target_refusal(target: timedelta, business_hours: bool, day_start: time, day_end: time) -> str:
    """Why a completeness-check target (ClockKind.COUNTER_NOTICE_CHECK) is too long; "" when it is not.
    At most CHECK_MAX_BUSINESS_DAYS: round the clock that many days (calendar days are never more
    business days), in business hours that many working days of day_start to day_end."""
    days = CHECK_MAX_BUSINESS_DAYS
    if business_hours:
        working_day = datetime.combine(date.min, day_end) - datetime.combine(date.min, day_start)
        bound, words = working_day * days, f"{days} working days of {day_start:%H:%M}-{day_end:%H:%M}"
    else:
        bound, words = timedelta(days=days), f"{days} days ({days * 24}:00:00) round the clock"
    if target <= bound:
        return ""
    return (f"A completeness-check target may be at most {words}: the copy to the rights holder must go out "
            "promptly (17 U.S.C. 512(g)(2)(B)) and the check come long before the 10th US business day after "
            "receipt ends, when the listing is due back (512(g)(2)(C)).")


def window_text() -> str:
    """The restore window in words, for pages and e-mails, in the active language."""
    if settings.COUNTER_NOTICE_WINDOW_SECONDS:
        return _("%(seconds)s seconds (demo setting)") % {"seconds": settings.COUNTER_NOTICE_WINDOW_SECONDS}
    days = settings.COUNTER_NOTICE_RESTORE_BUSINESS_DAYS
    # Translators: the DMCA counter-notice restore window, 17 U.S.C. 512(g)(2)(B) ("10 business days").
    return ngettext("%(days)s business day", "%(days)s business days", days) % {"days": days}


def restore_rule_text() -> str:
    """When the listing comes back, in words that hold before and after the filing ("we restore the
    listing <this>"): counted from the filing, or under the demo's seconds from the check."""
    if settings.COUNTER_NOTICE_WINDOW_SECONDS:
        return _("%(seconds)s seconds after the reviewer's check (demo setting)") % {
            "seconds": settings.COUNTER_NOTICE_WINDOW_SECONDS}
    # Translators: follows "we restore the listing"; the DMCA counter-notice window, 17 U.S.C. 512(g)(2)(C);
    # "%(days)sth" is an ordinal (10th).
    return _("at the end of the %(days)sth US business day after the day the counter-notice is filed (not the day "
             "of the check)") % {"days": settings.COUNTER_NOTICE_RESTORE_BUSINESS_DAYS}


def _calendar() -> sla.Calendar:
    # Round the clock: add_business_days then counts Monday to Friday minus the country's holidays.
    # COUNTER_NOTICE_HOLIDAY_COUNTRY is US or US-<state> (settings): the state's holidays count too.
    country, _, subdivision = settings.COUNTER_NOTICE_HOLIDAY_COUNTRY.partition("-")
    return sla.Calendar(timezone=settings.COUNTER_NOTICE_TIME_ZONE, country=country, subdivision=subdivision)


# --- The appeal window of DSA Art. 20(1): the internal complaint-handling system is available "for a
# period of at least six months following the decision". Six CALENDAR months, not 183 days (which is
# one day short after a decision in March, May, July or August), counted as EU law counts periods
# (Regulation (EEC, Euratom) No 1182/71, Art. 3(1) and 3(2)(c)): the day of the decision does not
# count, and the period ends with the expiry of the last hour of the day of the sixth following month
# that has the same date as the day of the decision; if that month has no such date (31 August ->
# February), with the last hour of that month's last day. So 15 March 10:00 -> 15 September 23:59:59,
# 31 August -> 28 February (29 in a leap year), 29 February -> 29 August. The dates are those of the
# site's time zone (TIME_ZONE, in which pages and e-mails show the deadline). The window always covers
# six months and the rest of the decision's day, so "at least six months" holds. Art. 3(4) of that
# Regulation would move a period ending on a weekend or holiday to the next working day; we do not
# need to: complaints are filed online, at any hour. APPEAL_WINDOW_MONTHS (at least 6) sets the months. ---

# The moment the month rule took effect. Statements and e-mails sent before it promised an appeal
# "within 183 days of the decision"; six months to the end of the same date is up to two days shorter
# for some dates (2 Nov 12:00 -> 183 days is 4 May 12:00, six months ends 2 May). A promise made is kept:
# a decision, penalty or notifier measure decided before this moment can be appealed until the later
# of the two. No deploy moment is recorded in the repository; this is the release of the month rule.
APPEAL_MONTH_RULE_FROM = datetime(2026, 12, 6, 0, 0, tzinfo=UTC)
APPEAL_DAYS_PROMISED_BEFORE = 183


def appeal_deadline(decided_at: datetime) -> datetime:
    """The last moment an appeal against a decision taken at `decided_at` can be filed, in UTC: six
    calendar months (23:59:59.999999 local time of the same date), or for a decision taken before
    APPEAL_MONTH_RULE_FROM the later of that and decided_at + 183 days (what its statement promised).
    Used for decisions on listings, seller penalties and notifier measures alike."""
    months = _six_calendar_months(decided_at)
    if decided_at < APPEAL_MONTH_RULE_FROM:
        return max(months, decided_at + timedelta(days=APPEAL_DAYS_PROMISED_BEFORE))
    return months


def _six_calendar_months(decided_at: datetime) -> datetime:
    zone = timezone.get_default_timezone()
    day = decided_at.astimezone(zone).date()
    year, month_index = divmod(day.month - 1 + settings.APPEAL_WINDOW_MONTHS, 12)
    year, month = day.year + year, month_index + 1
    last_day = date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
    return datetime.combine(last_day, time.max, tzinfo=zone).astimezone(UTC)


def appeal_window_text() -> str:
    """The appeal window in words, for pages and e-mails ("within 6 months of the decision"), in the active
    language: a function, so that an e-mail calls it inside its recipient's language."""
    months = settings.APPEAL_WINDOW_MONTHS
    # Translators: the appeal window of DSA Art. 20(1) ("at least six months following the decision"), written
    # to follow "within" ("within 6 months of the decision").
    return ngettext("%(months)s month", "%(months)s months", months) % {"months": months}


# --- Retention (GDPR Art. 5(1)(e), storage limitation): how long people's data is kept. The reasons
# for the defaults are in README "Retention of personal data"; workflow/retention.py applies these cut-offs and the
# privacy page states them, so the policy published is the policy run. ---

@dataclass(frozen=True)
class RetentionPolicy:
    unconfirmed_days: int  # an unconfirmed notice is deleted this long after filing
    case_years: int  # a case's personal data is anonymised this long after its last step
    confirmation_days: int
    appeal_window: str


def retention_policy() -> RetentionPolicy:
    return RetentionPolicy(unconfirmed_days=settings.RETENTION_UNCONFIRMED_DAYS,
                           case_years=settings.RETENTION_CASE_YEARS,
                           confirmation_days=settings.NOTICE_CONFIRMATION_DAYS,
                           appeal_window=appeal_window_text())


def unconfirmed_deletion_cutoff(now: datetime) -> datetime:
    """Unconfirmed notices filed at or before this moment are deleted."""
    return now - timedelta(days=settings.RETENTION_UNCONFIRMED_DAYS)


def case_anonymisation_cutoff(now: datetime) -> datetime:
    """Cases whose last step came at or before this moment lose their personal data; so does mail
    written then that no case holds. Calendar years: the same day and time, RETENTION_CASE_YEARS ago."""
    years = settings.RETENTION_CASE_YEARS
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February, in a year without one
        return now.replace(year=now.year - years, day=28)
