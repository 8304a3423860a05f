"""The notifier misuse policy's rules (takedowns/notifier_ladder.py): the ladder as configuration, the
threshold, who a notifier is, the start-up check of the settings, and the appeal's window and conflict."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.core.checks import registry
from django.utils import timezone, translation

from takedowns import checks, notifier_ladder
from takedowns.notifier_ladder import Step, Threshold, domain_of, organisation_domain, parse_ladder, step_for
from tests.commands import PRODUCTION, run_manage

DEFAULT = "1:warning, 2:suspension:30, 3:suspension:90"


def test_the_default_ladder_warns_then_suspends_for_30_then_90_days(settings):
    assert settings.NOTIFIER_MISUSE_LADDER == DEFAULT
    assert parse_ladder(DEFAULT) == [Step(1, "warning"), Step(2, "suspension", 30), Step(3, "suspension", 90)]
    assert [step.text for step in parse_ladder(DEFAULT)] == [
        "warning", "suspension of notice handling for 30 days", "suspension of notice handling for 90 days"]


@pytest.mark.parametrize(("measures_so_far", "level", "days"), [
    (0, "warning", None),  # the first measure
    (1, "suspension", 30),
    (2, "suspension", 90),
    (7, "suspension", 90),  # the last step repeats
])
def test_each_measure_takes_the_next_step_of_the_ladder(measures_so_far, level, days):
    step = step_for(measures_so_far, parse_ladder(DEFAULT))
    assert (step.level, step.days) == (level, days)


def test_a_ladder_with_a_gap_keeps_the_step_below_until_the_next_one():
    ladder = parse_ladder("3:suspension:14, 1:warning")  # written in any order
    assert [step_for(n, ladder).text for n in range(4)] == [
        "warning", "warning", "suspension of notice handling for 14 days", "suspension of notice handling for 14 days"]


def test_a_suspension_ends_its_days_after_it_starts_and_a_warning_never():
    start = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert Step(2, "suspension", 30).ends_at(start) == datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
    assert Step(1, "warning").ends_at(start) is None


@pytest.mark.parametrize(("text", "message"), [
    ("", "The notifier ladder has no steps."),
    ("1:warning, two:suspension:30", "step 'two:suspension:30': write measure:warning or measure:suspension:days"),
    ("1:warning, 2:ban:30", "step '2:ban:30': the level must be one of warning, suspension."),
    ("1:warning:7, 2:suspension:30", "step '1:warning:7': a warning has no number of days."),
    ("1:warning, 2:suspension", "step '2:suspension': a suspension needs a number of days"),
    ("1:warning, 2:suspension:0", "step '2:suspension:0': a suspension needs a number of days"),
    ("1:suspension:30", "the first measure must be a warning (1:warning): DSA Art. 23(2) allows a suspension only "
                        "after a prior warning."),
    ("2:warning, 3:suspension:30", "the first measure must be a warning"),
    ("1:warning, 2:suspension:30, 2:suspension:60", "measure 2 is given twice."),
    ("1:warning, 2:suspension:90, 3:suspension:30", "each step needs an equal or harsher measure"),
    ("1:warning, 2:suspension:30, 3:warning", "each step needs an equal or harsher measure"),
    ("1:warning, 2:warning", "it must reach a suspension, which DSA Art. 23(2) requires"),
])
def test_a_ladder_that_is_wrong_says_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_ladder(text)


@pytest.mark.parametrize(("decided", "unfounded", "crossed"), [
    (20, 10, True),  # exactly the count and exactly the share
    (20, 9, False),  # 45 %, and one short of the count
    (19, 10, True),
    (21, 10, False),  # the count, but 47.6 %
    (10, 10, True),
    (0, 0, False),
])
def test_the_threshold_needs_both_the_count_and_the_share(decided, unfounded, crossed):
    assert Threshold(window_days=90, min_count=10, min_share_percent=50).crossed(decided, unfounded) is crossed


def test_a_share_in_whole_percent_is_rounded_down():
    assert [notifier_ladder.share_percent(*pair) for pair in ((18, 20), (2, 3), (1, 3), (0, 0))] == [90, 66, 33, 0]


def test_a_notifier_is_an_address_or_its_organisations_domain_never_a_free_mail_one():
    free = frozenset({"gmail.com"})
    assert domain_of("Anna@Aerostride.Example") == "aerostride.example"
    assert organisation_domain("anna@aerostride.example", free) == "aerostride.example"
    assert organisation_domain("anna.berger@GMAIL.com", free) is None
    assert organisation_domain("", free) is None


def test_the_policy_is_read_from_the_settings(settings):
    settings.NOTIFIER_MISUSE_LADDER = "1:warning, 2:suspension:14"
    settings.NOTIFIER_MISUSE_WINDOW_DAYS, settings.NOTIFIER_MISUSE_MIN_COUNT = 60, 25
    settings.NOTIFIER_MISUSE_MIN_SHARE_PERCENT, settings.NOTIFIER_MEASURE_EXPIRY_DAYS = 80, 200
    settings.FREE_MAIL_DOMAINS = ["Mail.Example"]
    policy = notifier_ladder.policy()
    assert policy.ladder == [Step(1, "warning"), Step(2, "suspension", 14)]
    assert policy.threshold == Threshold(60, 25, 80)
    assert (policy.measure_expiry_days, policy.free_mail_domains, policy.appeal_window) == (
        200, frozenset({"mail.example"}), "6 months")
    now = datetime(2026, 3, 1, tzinfo=UTC)
    assert (policy.window_start(now), policy.counts_since(now)) == (now - timedelta(days=60), now - timedelta(days=200))


def test_the_defaults_are_documented(settings):
    assert (settings.NOTIFIER_MISUSE_WINDOW_DAYS, settings.NOTIFIER_MISUSE_MIN_COUNT,
            settings.NOTIFIER_MISUSE_MIN_SHARE_PERCENT, settings.NOTIFIER_MEASURE_EXPIRY_DAYS) == (90, 10, 50, 365)
    assert "gmail.com" in settings.FREE_MAIL_DOMAINS and "outlook.com" in settings.FREE_MAIL_DOMAINS


@pytest.mark.parametrize(("name", "value", "message"), [
    ("NOTIFIER_MISUSE_LADDER", "1:suspension:30", "NOTIFIER_MISUSE_LADDER: Notifier ladder: the first measure must "
                                                  "be a warning"),
    ("NOTIFIER_MISUSE_MIN_SHARE_PERCENT", 101, "NOTIFIER_MISUSE_MIN_SHARE_PERCENT=101 must be a whole number from 1 "
                                               "to 100."),
    ("NOTIFIER_MISUSE_WINDOW_DAYS", 0, "NOTIFIER_MISUSE_WINDOW_DAYS=0 must be a whole number from 1 to 3660."),
    ("NOTIFIER_MISUSE_MIN_COUNT", "10", "NOTIFIER_MISUSE_MIN_COUNT='10' must be a whole number from 1 up."),
    ("NOTIFIER_MEASURE_EXPIRY_DAYS", 3000, "NOTIFIER_MEASURE_EXPIRY_DAYS=3000 must not be longer than "
                                           "RETENTION_CASE_YEARS=6 years"),
    ("FREE_MAIL_DOMAINS", ["gmail.com", "@web.de", "localhost"], "FREE_MAIL_DOMAINS: @web.de, localhost are not "
                                                                 "domains"),
])
def test_a_wrong_setting_fails_the_start_up_check_with_its_name(settings, name, value, message):
    setattr(settings, name, value)
    errors = checks.notifier_misuse_policy(None)
    assert len(errors) == 1 and errors[0].id == "takedowns.E003" and errors[0].msg.startswith(message)
    assert 'See README, "Notifier misuse"' in errors[0].hint


def test_the_configured_policy_passes_the_start_up_check_which_every_start_runs():
    assert checks.notifier_misuse_policy in registry.registry.get_checks()
    assert checks.notifier_misuse_policy(None) == []


# --- The appeal (DSA Art. 20). ---

DECIDED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _measure(**fields) -> SimpleNamespace:
    return SimpleNamespace(**{"decided_at": DECIDED, "lifted_at": None, "decided_by_id": 7, "level": "suspension",
                              "ends_at": DECIDED + timedelta(days=30), **fields})


def test_a_measure_can_be_appealed_for_the_appeal_window_once_and_not_once_lifted():
    # Six calendar months, to the end of the day (DSA Art. 20(1)); 183 days ended a day short, on 31 August.
    last = datetime(2026, 9, 1, 23, 59, 59, 999999, tzinfo=UTC)
    assert notifier_ladder.appeal_deadline(_measure()) == last
    assert notifier_ladder.appeal_refusal(_measure(), None, last) == ""
    assert notifier_ladder.appeal_refusal(_measure(), None, last + timedelta(seconds=1)) == (
        "The time to appeal ended on 1 September 2026, 23:59 UTC: an appeal can be filed within 6 months of the "
        "decision.")
    lifted = _measure(lifted_at=DECIDED + timedelta(days=2))
    assert notifier_ladder.appeal_refusal(lifted, None, DECIDED + timedelta(days=3)) == (
        "This measure was lifted on 3 March 2026, 12:00 UTC; there is nothing left to appeal.")
    filed = SimpleNamespace(filed_at=DECIDED + timedelta(days=1), get_status_display=lambda: "Waiting for a decision")
    assert notifier_ladder.appeal_refusal(_measure(), filed, DECIDED + timedelta(days=3)) == (
        "This measure was appealed on 2 March 2026, 12:00 UTC; a measure can be appealed once (waiting for a "
        "decision).")


def test_the_lead_who_decided_a_measure_may_not_decide_its_appeal():
    assert notifier_ladder.appeal_conflict(_measure(), SimpleNamespace(pk=8)) == ""
    assert notifier_ladder.appeal_conflict(_measure(), SimpleNamespace(pk=7)).startswith(
        "You decided this measure, so another lead must decide the appeal")


def test_a_suspension_suspends_until_its_end_unless_lifted_and_a_warning_never():
    assert notifier_ladder.suspends(_measure(), DECIDED + timedelta(days=30) - timedelta(seconds=1))
    assert not notifier_ladder.suspends(_measure(), DECIDED + timedelta(days=30))  # ends by itself
    assert not notifier_ladder.suspends(_measure(lifted_at=DECIDED), DECIDED + timedelta(days=1))
    assert not notifier_ladder.suspends(_measure(level="warning", ends_at=None), DECIDED)


# --- Read from the environment at start, as production starts. ---

def test_a_share_over_100_percent_stops_the_start_with_its_name():
    result = run_manage({**PRODUCTION, "NOTIFIER_MISUSE_MIN_SHARE_PERCENT": "150"}, "check")
    assert (result.returncode, result.stderr.strip()) == (
        1, "Configuration error: NOTIFIER_MISUSE_MIN_SHARE_PERCENT=150 must be at most 100 (a share of the listings "
           "decided, in per cent).")


def test_a_ladder_without_a_prior_warning_fails_the_check_every_start_runs():
    result = run_manage({**PRODUCTION, "NOTIFIER_MISUSE_LADDER": "1:suspension:30"}, "check")
    assert result.returncode == 1
    assert "(takedowns.E003) NOTIFIER_MISUSE_LADDER: Notifier ladder: the first measure must be a warning" in \
        result.stderr


def test_the_policy_is_configured_from_the_environment():
    result = run_manage({**PRODUCTION, "NOTIFIER_MISUSE_LADDER": "1:warning, 2:suspension:14",
                         "NOTIFIER_MISUSE_WINDOW_DAYS": "30", "FREE_MAIL_DOMAINS": "Mail.Example, post.example"},
                        "shell", "-c", "from takedowns import notifier_ladder as n; p = n.policy(); "
                                       "print([s.text for s in p.ladder], p.threshold.window_days, "
                                       "sorted(p.free_mail_domains))")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == ("['warning', 'suspension of notice handling for 14 days'] 30 "
                                     "['mail.example', 'post.example']")


def test_the_appeal_refusals_write_their_dates_in_the_readers_language_with_the_zone():
    # Issue 13: the refusal is a marked sentence (German, from the catalogue); the date inside is
    # written by Django in the active language, the time zone named after it (appeal_rules.when).
    lifted = _measure(lifted_at=DECIDED + timedelta(days=2))
    with translation.override("de"):
        assert notifier_ladder.appeal_refusal(lifted, None, DECIDED + timedelta(days=3)) == (
            "Diese Maßnahme wurde am 3. März 2026 12:00 UTC aufgehoben; es gibt nichts mehr, wogegen Beschwerde "
            "eingelegt werden könnte.")
    with timezone.override("Europe/Paris"):
        assert notifier_ladder.when(DECIDED) == "1 March 2026, 13:00 CET"
