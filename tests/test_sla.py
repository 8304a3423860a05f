"""SLA due-time arithmetic: round the clock and business hours, holidays, DST, pauses, business
days, warnings and clock states. Pure functions: no database, every datetime pinned.

Berlin is UTC+1 in winter (CET) and UTC+2 in summer (CEST); it changes on 2026-03-29 and 2026-10-25."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from takedowns.sla import (
    ROUND_THE_CLOCK,
    Calendar,
    ClockState,
    add_business_days,
    add_working_time,
    clock_state,
    elapsed_in_own_time,
    is_working_time,
    moved_by_pause,
    warning_at,
    working_time_between,
)

BERLIN_TZ = ZoneInfo("Europe/Berlin")
BERLIN = Calendar(business_hours=True, timezone="Europe/Berlin", country="DE")
BERLIN_ROUND_THE_CLOCK = Calendar(timezone="Europe/Berlin", country="DE")
HOURS = timedelta(hours=1)


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN_TZ)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# Round the clock


def test_round_the_clock_adds_absolute_hours_across_the_spring_dst_change():
    # Sat 12:00 CET + 24 h is Sun 13:00 CEST: the day of the change has only 23 wall-clock hours.
    assert add_working_time(berlin(2026, 3, 28, 12), 24 * HOURS, BERLIN_ROUND_THE_CLOCK) == utc(2026, 3, 29, 11)


def test_round_the_clock_adds_absolute_hours_across_the_autumn_dst_change():
    # Sat 12:00 CEST + 24 h is Sun 11:00 CET: the day of the change has 25 wall-clock hours.
    assert add_working_time(berlin(2026, 10, 24, 12), 24 * HOURS, BERLIN_ROUND_THE_CLOCK) == utc(2026, 10, 25, 10)


def test_round_the_clock_working_time_is_absolute_across_a_dst_change():
    assert working_time_between(berlin(2026, 3, 28, 12), berlin(2026, 3, 29, 12), ROUND_THE_CLOCK) == 23 * HOURS


def test_round_the_clock_counts_weekends_and_holidays():
    assert add_working_time(berlin(2026, 12, 24, 16), 48 * HOURS, BERLIN_ROUND_THE_CLOCK) == utc(2026, 12, 26, 15)


def test_results_are_in_utc():
    result = add_working_time(berlin(2026, 1, 12, 10), HOURS, BERLIN)

    assert result.tzinfo is UTC
    assert result == utc(2026, 1, 12, 10)


# Business hours: where counting starts and ends (2026-01-12 is a Monday, Berlin is UTC+1)


def test_business_hours_start_inside_hours_counts_from_start():
    assert add_working_time(berlin(2026, 1, 12, 10), 4 * HOURS, BERLIN) == utc(2026, 1, 12, 13)  # 14:00


def test_business_hours_carry_the_rest_into_the_next_morning():
    assert add_working_time(berlin(2026, 1, 12, 15), 4 * HOURS, BERLIN) == utc(2026, 1, 13, 10)  # Tue 11:00


def test_business_hours_start_before_opening_counts_from_opening():
    assert add_working_time(berlin(2026, 1, 12, 7, 30), HOURS, BERLIN) == utc(2026, 1, 12, 9)  # 10:00


def test_business_hours_start_after_closing_counts_from_next_opening():
    assert add_working_time(berlin(2026, 1, 12, 18), HOURS, BERLIN) == utc(2026, 1, 13, 9)  # Tue 10:00


def test_business_hours_start_on_a_weekend_counts_from_monday_opening():
    assert add_working_time(berlin(2026, 1, 17, 12), HOURS, BERLIN) == utc(2026, 1, 19, 9)  # Mon 10:00


def test_business_hours_start_exactly_at_closing_counts_from_next_opening():
    assert add_working_time(berlin(2026, 1, 12, 17), HOURS, BERLIN) == utc(2026, 1, 13, 9)  # Tue 10:00


def test_duration_ending_exactly_at_closing_stays_at_closing():
    assert add_working_time(berlin(2026, 1, 12, 9), 8 * HOURS, BERLIN) == utc(2026, 1, 12, 16)  # Mon 17:00


def test_duration_ending_at_friday_closing_does_not_move_to_monday():
    assert add_working_time(berlin(2026, 1, 16, 13), 4 * HOURS, BERLIN) == utc(2026, 1, 16, 16)  # Fri 17:00


def test_zero_duration_outside_hours_returns_the_start_unchanged():
    assert add_working_time(berlin(2026, 1, 17, 12), timedelta(0), BERLIN) == utc(2026, 1, 17, 11)


def test_multi_day_duration_of_three_working_days():
    assert add_working_time(berlin(2026, 1, 12, 9), 24 * HOURS, BERLIN) == utc(2026, 1, 14, 16)  # Wed 17:00


def test_fourteen_working_days_skip_two_weekends():
    # 112 h: 12-16, 19-23 and 26-29 January.
    assert add_working_time(berlin(2026, 1, 12, 9), 14 * 8 * HOURS, BERLIN) == utc(2026, 1, 29, 16)  # Thu 17:00


def test_thirty_days_of_working_time_is_ninety_eight_hour_days():
    calendar = Calendar(business_hours=True)  # UTC, no holidays: exactly 18 weeks of 5 days
    assert add_working_time(utc(2026, 1, 5, 9), timedelta(days=30), calendar) == utc(2026, 5, 8, 17)


def test_custom_day_and_workdays_are_respected():
    # Sunday to Thursday, 08:00-16:00, Dubai (UTC+4, no DST); 2026-01-15 is a Thursday.
    calendar = Calendar(business_hours=True, timezone="Asia/Dubai", day_start=time(8), day_end=time(16),
                        workdays={6, 0, 1, 2, 3})
    assert add_working_time(datetime(2026, 1, 15, 15, tzinfo=ZoneInfo("Asia/Dubai")), 2 * HOURS, calendar) == (
        utc(2026, 1, 18, 5))  # Sun 09:00


# Public holidays


@pytest.mark.parametrize(("start", "expected"), [
    # Thu 24 Dec 16:00 + 2 h: Fri 25 Dec is Christmas, so Mon 28 Dec 10:00.
    (berlin(2026, 12, 24, 16), utc(2026, 12, 28, 9)),
    # Thu 2 Oct 2025 16:00 + 2 h: Fri 3 Oct is German Unity Day (in 2026 it falls on a Saturday).
    (berlin(2025, 10, 2, 16), utc(2025, 10, 6, 8)),
], ids=["christmas", "german-unity-day"])
def test_national_public_holiday_is_skipped(start, expected):
    assert add_working_time(start, 2 * HOURS, BERLIN) == expected


def test_without_a_country_public_holidays_are_working_days():
    calendar = Calendar(business_hours=True, timezone="Europe/Berlin")
    assert add_working_time(berlin(2026, 12, 24, 16), 2 * HOURS, calendar) == utc(2026, 12, 25, 9)  # Fri 10:00


@pytest.mark.parametrize(("subdivision", "expected"), [
    ("BY", utc(2026, 6, 5, 8)),  # Corpus Christi, Thu 4 June, is a holiday in Bavaria: Fri 10:00
    ("BE", utc(2026, 6, 4, 8)),  # but not in Berlin: Thu 10:00
])
def test_regional_holiday_is_skipped_only_in_its_subdivision(subdivision, expected):
    calendar = Calendar(business_hours=True, timezone="Europe/Berlin", country="DE", subdivision=subdivision)
    assert add_working_time(berlin(2026, 6, 3, 16), 2 * HOURS, calendar) == expected


# is_working_time


@pytest.mark.parametrize(("moment", "expected"), [
    (berlin(2026, 1, 12, 9), True),        # opening counts
    (berlin(2026, 1, 12, 16, 59), True),
    (berlin(2026, 1, 12, 17), False),      # closing does not
    (berlin(2026, 1, 12, 8, 59), False),
    (berlin(2026, 1, 17, 12), False),      # Saturday
    (berlin(2026, 12, 25, 12), False),     # Christmas
])
def test_is_working_time_in_business_hours(moment, expected):
    assert is_working_time(moment, BERLIN) is expected


def test_is_working_time_round_the_clock_is_always_true():
    assert is_working_time(berlin(2026, 12, 25, 3), BERLIN_ROUND_THE_CLOCK) is True


# working_time_between


def test_working_time_between_counts_only_opening_hours():
    # Fri 15:00 to Mon 11:00: two hours on Friday, two on Monday.
    assert working_time_between(berlin(2026, 1, 16, 15), berlin(2026, 1, 19, 11), BERLIN) == 4 * HOURS


def test_working_time_between_is_zero_when_end_is_not_after_start():
    assert working_time_between(berlin(2026, 1, 12, 12), berlin(2026, 1, 12, 10), BERLIN) == timedelta(0)


@pytest.mark.parametrize(("start", "duration"), [
    (berlin(2026, 1, 12, 10), 4 * HOURS),
    (berlin(2026, 1, 17, 12), HOURS),                            # from a weekend
    (berlin(2026, 1, 12, 9), 8 * HOURS),                         # to a closing time
    (berlin(2026, 12, 24, 16), timedelta(hours=10, minutes=7)),  # across Christmas
    (berlin(2026, 3, 27, 15), 8 * HOURS),                        # across the spring DST change
    (berlin(2026, 10, 23, 15, 30, 12, 345), 30 * HOURS),         # across the autumn one, odd microseconds
    (berlin(2026, 1, 12, 9), 14 * 8 * HOURS),
])
def test_working_time_between_inverts_add_working_time(start, duration):
    assert working_time_between(start, add_working_time(start, duration, BERLIN), BERLIN) == duration


def test_add_working_time_inverts_working_time_between_for_an_end_inside_hours():
    start, end = berlin(2026, 1, 16, 15), berlin(2026, 1, 21, 12, 45)
    assert add_working_time(start, working_time_between(start, end, BERLIN), BERLIN) == end


# Business hours around the DST changes


def test_monday_after_spring_dst_change_opens_at_local_nine():
    # Fri 27 March 17:00 CET + 1 h: Mon 30 March 10:00 CEST, which is 08:00 UTC.
    assert add_working_time(berlin(2026, 3, 27, 17), HOURS, BERLIN) == utc(2026, 3, 30, 8)


@pytest.mark.parametrize("monday", [berlin(2026, 3, 30), berlin(2026, 10, 26)], ids=["spring", "autumn"])
def test_monday_after_a_dst_change_has_eight_working_hours(monday):
    assert working_time_between(monday, monday + timedelta(days=1), BERLIN) == 8 * HOURS


def test_two_working_days_across_autumn_dst_change_end_at_local_closing():
    # Fri 23 Oct 09:00 CEST + 16 h: Mon 26 Oct 17:00 CET, which is 16:00 UTC.
    assert add_working_time(berlin(2026, 10, 23, 9), 16 * HOURS, BERLIN) == utc(2026, 10, 26, 16)


@pytest.mark.parametrize(("sunday", "hours"), [(berlin(2026, 3, 29), 5), (berlin(2026, 10, 25), 7)])
def test_opening_hours_that_contain_a_dst_change_count_absolute_hours(sunday, hours):
    night_shift = Calendar(business_hours=True, timezone="Europe/Berlin", day_start=time(0), day_end=time(6),
                           workdays={6})
    assert working_time_between(sunday, sunday + timedelta(days=1), night_shift) == hours * HOURS


# Pauses


def test_pause_across_a_weekend_moves_due_time_by_the_working_time_paused():
    # Paused Fri 16:00, resumed Mon 10:00: one working hour each side of the weekend.
    moved = moved_by_pause(berlin(2026, 1, 19, 12), berlin(2026, 1, 16, 16), berlin(2026, 1, 19, 10), BERLIN)
    assert moved == utc(2026, 1, 19, 13)  # Mon 14:00


def test_pause_entirely_outside_working_hours_moves_nothing():
    # Due at a closing time, which must not slide to the next opening either.
    moved = moved_by_pause(berlin(2026, 1, 19, 17), berlin(2026, 1, 16, 17, 30), berlin(2026, 1, 19, 8), BERLIN)
    assert moved == utc(2026, 1, 19, 16)


def test_pause_that_pushes_due_time_past_closing_continues_next_morning():
    # Due Mon 16:00, paused for two working hours: Tue 10:00.
    moved = moved_by_pause(berlin(2026, 1, 12, 16), berlin(2026, 1, 12, 10), berlin(2026, 1, 12, 12), BERLIN)
    assert moved == utc(2026, 1, 13, 9)


def test_round_the_clock_pause_moves_due_time_by_its_absolute_length():
    moved = moved_by_pause(utc(2026, 1, 17, 12), utc(2026, 1, 16, 20), utc(2026, 1, 17, 2, 30), ROUND_THE_CLOCK)
    assert moved == utc(2026, 1, 17, 18, 30)


# Business days (DMCA counter-notice window)


def test_business_days_skip_the_weekend():
    assert add_business_days(utc(2026, 1, 15, 14, 30), 2, ROUND_THE_CLOCK) == utc(2026, 1, 19, 14, 30)  # Thu -> Mon


def test_dmca_ten_business_days_skip_weekends_and_christmas():
    # From Mon 14 Dec: 15-18, 21-24, (25th Christmas) 28, 29 December.
    assert add_business_days(berlin(2026, 12, 14, 10), 10, BERLIN_ROUND_THE_CLOCK) == utc(2026, 12, 29, 9)


def test_dmca_fourteen_business_days_end_the_window():
    assert add_business_days(berlin(2026, 12, 14, 10), 14, BERLIN_ROUND_THE_CLOCK) == utc(2027, 1, 5, 9)


def test_business_days_keep_the_local_wall_clock_time_across_a_dst_change():
    # Fri 16 Oct 10:00 CEST + 10 business days: Fri 30 Oct 10:00 CET.
    assert add_business_days(berlin(2026, 10, 16, 10), 10, BERLIN_ROUND_THE_CLOCK) == utc(2026, 10, 30, 9)


def test_business_days_of_a_round_the_clock_calendar_are_monday_to_friday():
    every_day = Calendar(workdays=range(7))
    assert add_business_days(utc(2026, 1, 16, 12), 1, every_day) == utc(2026, 1, 19, 12)  # Fri -> Mon


def test_business_days_of_a_business_hours_calendar_are_its_workdays():
    sunday_to_thursday = Calendar(business_hours=True, workdays={6, 0, 1, 2, 3})
    assert add_business_days(utc(2026, 1, 15, 12), 1, sunday_to_thursday) == utc(2026, 1, 18, 12)  # Thu -> Sun


def test_business_days_from_a_saturday_count_from_monday():
    assert add_business_days(utc(2026, 1, 17, 12), 1, ROUND_THE_CLOCK) == utc(2026, 1, 19, 12)


def test_zero_business_days_return_the_start():
    assert add_business_days(berlin(2026, 1, 17, 12), 0, BERLIN_ROUND_THE_CLOCK) == utc(2026, 1, 17, 11)


# Warnings


def test_warning_at_eighty_percent_round_the_clock():
    assert warning_at(utc(2026, 1, 12, 8), 24 * HOURS, 0.8, ROUND_THE_CLOCK) == utc(2026, 1, 13, 3, 12)  # +19h12m


def test_warning_at_eighty_percent_of_business_hours():
    # 80 % of 24 working hours is 19h12m: Mon and Tue (16 h), then 3h12m on Wednesday.
    assert warning_at(berlin(2026, 1, 12, 9), 24 * HOURS, 0.8, BERLIN) == utc(2026, 1, 14, 11, 12)  # Wed 12:12


def test_warning_at_full_ratio_is_the_due_time():
    start = berlin(2026, 1, 12, 15)
    assert warning_at(start, 24 * HOURS, 1, BERLIN) == add_working_time(start, 24 * HOURS, BERLIN)


# Clock state

NOW = utc(2026, 1, 12, 12)


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"due_at": NOW - HOURS, "warn_at": NOW - 2 * HOURS, "paused_at": NOW, "stopped_at": NOW}, ClockState.STOPPED),
    ({"due_at": NOW - HOURS, "warn_at": NOW - 2 * HOURS, "paused_at": NOW - 3 * HOURS}, ClockState.PAUSED),
    ({"due_at": NOW, "warn_at": NOW - HOURS}, ClockState.BREACHED),
    ({"due_at": NOW + HOURS, "warn_at": NOW}, ClockState.WARNING),
    ({"due_at": NOW + 2 * HOURS, "warn_at": NOW + HOURS}, ClockState.ON_TIME),
], ids=["stopped-beats-paused-and-breached", "paused-beats-breached", "breached-at-due-time",
        "warning-at-warn-time", "on-time-before-warning"])
def test_clock_state_precedence(kwargs, expected):
    assert clock_state(NOW, **kwargs) == expected


def test_running_is_the_same_state_as_on_time():
    assert ClockState.RUNNING is ClockState.ON_TIME
    assert ClockState.ON_TIME == "on_time"


# Errors


@pytest.mark.parametrize("call", [
    lambda naive: is_working_time(naive, BERLIN),
    lambda naive: add_working_time(naive, HOURS, BERLIN),
    lambda naive: working_time_between(utc(2026, 1, 12), naive, BERLIN),
    lambda naive: add_business_days(naive, 1, BERLIN),
    lambda naive: moved_by_pause(naive, utc(2026, 1, 12), utc(2026, 1, 13), BERLIN),
    lambda naive: warning_at(naive, HOURS, 0.8, BERLIN),
    lambda naive: clock_state(naive, due_at=utc(2026, 1, 12), warn_at=utc(2026, 1, 12)),
    lambda naive: clock_state(utc(2026, 1, 12), due_at=utc(2026, 1, 12), warn_at=utc(2026, 1, 12), paused_at=naive),
], ids=["is_working_time", "add_working_time", "working_time_between", "add_business_days", "moved_by_pause",
        "warning_at", "clock_state", "clock_state-paused_at"])
def test_naive_datetime_is_refused(call):
    with pytest.raises(ValueError, match="must be timezone-aware, got the naive datetime 2026-01-12T10:00:00"):
        call(datetime(2026, 1, 12, 10))


@pytest.mark.parametrize(("fields", "message"), [
    ({"timezone": "Mars/Olympus_Mons"}, "unknown time zone 'Mars/Olympus_Mons'"),
    ({"timezone": ""}, "unknown time zone ''"),
    ({"country": "XX"}, "unknown country 'XX' for public holidays"),
    ({"country": "DE", "subdivision": "ZZ"}, "unknown subdivision 'ZZ' of country 'DE' for public holidays"),
    ({"subdivision": "BY"}, "subdivision 'BY' needs a country"),
    ({"day_start": time(17), "day_end": time(9)}, "day_end 09:00:00 must be after day_start 17:00:00"),
    ({"day_start": time(9), "day_end": time(9)}, "day_end 09:00:00 must be after day_start 09:00:00"),
    ({"workdays": frozenset()}, "workdays must name at least one weekday"),
    ({"workdays": {0, 7}}, r"workdays must be weekday numbers 0 \(Monday\) to 6 \(Sunday\), got \[0, 7\]"),
], ids=["unknown-timezone", "empty-timezone", "unknown-country", "unknown-subdivision", "subdivision-alone",
        "end-before-start", "end-equals-start", "no-workdays", "workday-out-of-range"])
def test_invalid_calendar_is_refused(fields, message):
    with pytest.raises(ValueError, match=message):
        Calendar(business_hours=True, **fields)


def test_workdays_given_as_a_set_become_a_frozenset():
    assert Calendar(workdays={0, 1}).workdays == frozenset({0, 1})


@pytest.mark.parametrize("calendar", [ROUND_THE_CLOCK, BERLIN], ids=["round-the-clock", "business-hours"])
def test_negative_duration_is_refused(calendar):
    with pytest.raises(ValueError, match="duration must not be negative"):
        add_working_time(utc(2026, 1, 12, 10), -HOURS, calendar)


def test_negative_business_days_are_refused():
    with pytest.raises(ValueError, match="days must not be negative, got -1"):
        add_business_days(utc(2026, 1, 12, 10), -1, ROUND_THE_CLOCK)


def test_negative_target_is_refused():
    with pytest.raises(ValueError, match="target must not be negative"):
        warning_at(utc(2026, 1, 12, 10), -HOURS, 0.8, ROUND_THE_CLOCK)


@pytest.mark.parametrize("ratio", [0, -0.1, 1.01, float("nan")])
def test_warn_ratio_out_of_range_is_refused(ratio):
    with pytest.raises(ValueError, match=r"warn_ratio must be in \(0, 1\]"):
        warning_at(utc(2026, 1, 12, 10), HOURS, ratio, ROUND_THE_CLOCK)


def test_resume_before_pause_is_refused():
    with pytest.raises(ValueError, match="resumed_at .* is before paused_at"):
        moved_by_pause(utc(2026, 1, 13), utc(2026, 1, 12, 12), utc(2026, 1, 12, 10), BERLIN)


# --- elapsed_in_own_time: a stopped clock's elapsed time, in the time its target counts (issue 12, item 8). ---

@pytest.mark.parametrize("stopped, elapsed", [
    (berlin(2026, 12, 8, 13), 8 * HOURS),  # exactly on the due time (Tuesday 13:00): the whole target
    (berlin(2026, 12, 8, 9), 4 * HOURS),  # Tuesday's opening: Monday 13:00-17:00 ran
    (berlin(2026, 12, 7, 20), 4 * HOURS),  # Monday evening: nothing ran since 17:00
    (berlin(2026, 12, 8, 16), 11 * HOURS),  # three working hours past the due time
    (berlin(2026, 12, 9, 8), 12 * HOURS),  # Wednesday before opening: past due by Tuesday 13:00-17:00
    (berlin(2026, 12, 7, 13, 30), HOURS / 2),
])
def test_elapsed_in_own_time_counts_working_hours_from_start_to_stop(stopped, elapsed):
    # A clock started Monday 7 December 13:00 with 8 working hours: due Tuesday 13:00.
    due = add_working_time(berlin(2026, 12, 7, 13), 8 * HOURS, BERLIN)
    assert due == berlin(2026, 12, 8, 13)
    assert elapsed_in_own_time(8 * HOURS, due, stopped, BERLIN) == elapsed


def test_elapsed_in_own_time_round_the_clock_is_stopped_minus_started_minus_paused():
    started, paused = utc(2026, 12, 7, 9), 3 * HOURS
    due = started + 24 * HOURS + paused  # moved later by the pause
    assert elapsed_in_own_time(24 * HOURS, due, started + 10 * HOURS, ROUND_THE_CLOCK) == 7 * HOURS
    assert elapsed_in_own_time(24 * HOURS, due, due + HOURS, ROUND_THE_CLOCK) == 25 * HOURS
