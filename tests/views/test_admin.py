"""The admin for leads: SLA policies are edited there, with the calendar checked; statuses are not."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model

from takedowns.models import Notice, SlaClock, SlaPolicy
from tests.factories import file_notice, give_authenticator, log_in, routed

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    """A superuser with an authenticator, logged in with its code (tests/views/test_two_factor.py)."""
    boss = get_user_model().objects.create_superuser("boss", "boss@portal.test", "pw")
    give_authenticator(boss)
    log_in(client, boss)
    return client


def policy_form(policy: SlaPolicy, **changes) -> dict:
    data = {"clock": policy.clock, "right_type": "", "reason": "", "min_priority": "0", "target": "00:01:00",
            "warn_ratio": "0.8", "timezone": "Europe/Berlin", "country": "", "subdivision": "",
            "day_start": "09:00:00", "day_end": "17:00:00", "is_active": "on"}
    data.update(changes)
    return data


def test_a_lead_sets_a_one_minute_target_in_the_admin(admin_client):
    policy = SlaPolicy.objects.get(clock="takedown_decision", right_type="", trusted_flagger_only=False)
    response = admin_client.post(f"/admin/takedowns/slapolicy/{policy.pk}/change/", policy_form(policy))
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.target == timedelta(minutes=1)


def decision_clock(now) -> SlaClock:
    """The takedown decision clock of a notice routed at `now`, each on a listing of its own (a second
    notice on a listing under review would be a duplicate, closed at routing without a decision clock)."""
    listing = f"L-10000{Notice.objects.count() % 4 + 1}"
    return SlaClock.objects.get(notice=routed(now, [(listing, "counterfeit")]), kind="takedown_decision")


def test_a_lead_s_edit_applies_to_the_next_clock_although_policies_are_cached(
        admin_client, now, catalogue, reviewers, django_capture_on_commit_callbacks):
    assert decision_clock(now).target == timedelta(hours=24)  # this process now holds a copy of the policies
    policy = SlaPolicy.objects.get(clock="takedown_decision", right_type="", trusted_flagger_only=False)
    with django_capture_on_commit_callbacks(execute=True):  # the edit commits
        response = admin_client.post(f"/admin/takedowns/slapolicy/{policy.pk}/change/", policy_form(policy))
    assert response.status_code == 302
    clock = decision_clock(now)
    assert (clock.policy, clock.target, clock.due_at) == (policy, timedelta(minutes=1), now + timedelta(minutes=1))


def test_a_deleted_policy_no_longer_applies(admin_client, now, catalogue, reviewers,
                                            django_capture_on_commit_callbacks):
    specific = SlaPolicy.objects.create(clock="takedown_decision", right_type="trademark", target=timedelta(hours=6))
    assert decision_clock(now).policy == specific
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/takedowns/slapolicy/{specific.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert decision_clock(now).target == timedelta(hours=24)


@pytest.mark.parametrize("changes, message", [
    ({"business_hours": "on", "timezone": "Mars/Olympus"}, "Mars/Olympus"),
    ({"business_hours": "on", "country": "XX"}, "XX"),
    ({"business_hours": "on", "day_start": "17:00:00", "day_end": "09:00:00"}, "day_end"),
    ({"warn_ratio": "1.5"}, "Give a share of the target between 0 and 1"),
    ({"target": "00:00:00"}, "The target must be longer than zero."),
])
def test_a_policy_with_an_impossible_calendar_is_refused_with_why(admin_client, changes, message):
    policy = SlaPolicy.objects.get(clock="takedown_decision", right_type="", trusted_flagger_only=False)
    response = admin_client.post(f"/admin/takedowns/slapolicy/{policy.pk}/change/", policy_form(policy, **changes))
    assert response.status_code == 200 and message in response.content.decode()
    policy.refresh_from_db()
    assert policy.target == timedelta(hours=24)


def test_notices_are_read_only_in_the_admin(admin_client, now, catalogue):
    notice = file_notice(now)
    assert admin_client.get(f"/admin/takedowns/notice/{notice.pk}/change/").status_code == 200
    response = admin_client.post(f"/admin/takedowns/notice/{notice.pk}/change/", {"status": "closed"})
    assert response.status_code == 403
    assert Notice.objects.get(pk=notice.pk).status == "unconfirmed"


CHECK_TOO_LONG = ("A completeness-check target may be at most {words}: the copy to the rights holder must go out "
                  "promptly (17 U.S.C. 512(g)(2)(B)) and the check come long before the 10th US business day after "
                  "receipt ends, when the listing is due back (512(g)(2)(C)).")


@pytest.mark.parametrize("changes, words", [
    ({"target": "3 00:00:01"}, "3 days (72:00:00) round the clock"),
    ({"target": "1 00:00:01", "business_hours": "on"}, "3 working days of 09:00-17:00"),
])
def test_a_counter_notice_check_target_longer_than_three_business_days_is_refused(admin_client, changes, words):
    policy = SlaPolicy.objects.get(clock="counter_notice_check", right_type="", trusted_flagger_only=False)
    before = policy.target
    response = admin_client.post(f"/admin/takedowns/slapolicy/{policy.pk}/change/",
                                 policy_form(policy, timezone="America/New_York", country="US", **changes))
    assert response.status_code == 200
    assert CHECK_TOO_LONG.format(words=words) in response.content.decode().replace("&#x27;", "'")
    policy.refresh_from_db()
    assert policy.target == before


@pytest.mark.parametrize("changes, target", [
    ({"target": "3 00:00:00"}, timedelta(days=3)),
    ({"target": "1 00:00:00", "business_hours": "on"}, timedelta(days=1)),
])
def test_a_counter_notice_check_target_of_three_business_days_is_kept(admin_client, changes, target):
    policy = SlaPolicy.objects.get(clock="counter_notice_check", right_type="", trusted_flagger_only=False)
    response = admin_client.post(f"/admin/takedowns/slapolicy/{policy.pk}/change/",
                                 policy_form(policy, timezone="America/New_York", country="US", **changes))
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.target == target
