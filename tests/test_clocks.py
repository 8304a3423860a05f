"""SLA clocks on notices: started, paused, resumed and stopped by the workflow with an event each;
the beat function warns and breaches once, and escalates breaches to the leads."""

from datetime import datetime, time, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from takedowns import workflow
from takedowns.enums import ClockKind, EventKind
from takedowns.models import Event, Notice, OutboundEmail, SlaClock, SlaPolicy, Submitter
from takedowns.workflow import clocks
from tests.factories import file_notice, routed

pytestmark = pytest.mark.django_db
ACK, DECISION, EXECUTED = ClockKind.ACKNOWLEDGEMENT, ClockKind.TAKEDOWN_DECISION, ClockKind.TAKEDOWN_EXECUTED
# Notices here are routed two minutes after they are confirmed: the acknowledgement clock's elapsed time.
ROUTING = timedelta(minutes=2)


def test_confirmation_starts_the_acknowledgement_clock_and_routing_stops_it(now, catalogue, reviewers):
    notice = routed(now, routed_after=ROUTING)
    ack = SlaClock.objects.get(notice=notice, kind=ACK)
    assert (ack.started_at, ack.due_at, ack.warn_at) == (now, now + timedelta(minutes=15), now + timedelta(minutes=12))
    assert str(ack.policy) == "Acknowledgement (any, priority ≥ 0): 0:15:00"  # the migration's default policy
    assert (ack.stopped_at, ack.elapsed, ack.cancelled) == (now + timedelta(minutes=2), timedelta(minutes=2), False)
    decision = SlaClock.objects.get(notice=notice, kind=DECISION)
    assert (decision.started_at, decision.due_at, decision.stopped_at) == (now, now + timedelta(hours=24), None)
    started = Event.objects.get(kind=EventKind.CLOCK_STARTED, details__clock=DECISION)
    assert started.created_at == now + timedelta(minutes=2)  # recorded at routing, dated from confirmation
    assert started.details["due_at"] == (now + timedelta(hours=24)).isoformat()


def test_the_most_specific_active_policy_applies(now, catalogue, reviewers):
    SlaPolicy.objects.filter(clock=DECISION).update(target=timedelta(hours=48))  # the default, for any notice
    SlaPolicy.objects.create(clock=DECISION, right_type="trademark", target=timedelta(hours=12))
    SlaPolicy.objects.create(clock=DECISION, right_type="trademark", reason="counterfeit", target=timedelta(hours=6))
    SlaPolicy.objects.create(clock=DECISION, right_type="trademark", reason="counterfeit", min_priority=1000,
                             target=timedelta(hours=1))  # out of this notice's priority band
    SlaPolicy.objects.create(clock=DECISION, right_type="copyright", target=timedelta(minutes=1))
    SlaPolicy.objects.create(clock=DECISION, right_type="trademark", reason="counterfeit", target=timedelta(minutes=2),
                             is_active=False)
    clock = SlaClock.objects.get(notice=routed(now, routed_after=ROUTING), kind=DECISION)
    assert (clock.target, clock.due_at) == (timedelta(hours=6), now + timedelta(hours=6))
    assert clock.policy.target == timedelta(hours=6)


def test_the_policies_are_read_once_until_one_changes(now, catalogue, reviewers, django_assert_num_queries,
                                                     django_capture_on_commit_callbacks):
    notice = routed(now, routed_after=ROUTING)
    with django_assert_num_queries(0):
        assert clocks.policy_for(DECISION, notice, now).target == timedelta(hours=24)
    with django_capture_on_commit_callbacks(execute=True):
        SlaPolicy.objects.create(clock=DECISION, right_type="trademark", target=timedelta(hours=6))
    with django_assert_num_queries(1):
        assert clocks.policy_for(DECISION, notice, now).target == timedelta(hours=6)


def test_a_change_that_bypasses_save_is_seen_within_the_cache_period(now, catalogue, reviewers, monkeypatch):
    notice = routed(now, routed_after=ROUTING)
    SlaPolicy.objects.filter(clock=DECISION).update(target=timedelta(hours=48))  # no signal, no new token
    assert clocks.policy_for(DECISION, notice, now).target == timedelta(hours=24)
    later = clocks.monotonic() + clocks.POLICY_CACHE_SECONDS + 1
    monkeypatch.setattr(clocks, "monotonic", lambda: later)
    assert clocks.policy_for(DECISION, notice, now).target == timedelta(hours=48)


def test_without_the_shared_cache_the_policies_are_read_from_the_database(now, catalogue, reviewers, monkeypatch):
    notice = routed(now, routed_after=ROUTING)
    SlaPolicy.objects.filter(clock=DECISION).update(target=timedelta(hours=48))
    monkeypatch.setattr(clocks, "cache", mock.Mock(**{"get_or_set.side_effect": ConnectionError("cache down")}))
    assert clocks.policy_for(DECISION, notice, now).target == timedelta(hours=48)


def test_a_business_hours_policy_counts_working_time_only(now, catalogue, reviewers):
    friday_4pm = datetime(2026, 12, 4, 16, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    SlaPolicy.objects.create(clock=ACK, right_type="trademark", target=timedelta(hours=2), business_hours=True,
                             timezone="Europe/Berlin",
                             country="DE", day_start=time(9), day_end=time(17))
    notice = file_notice(friday_4pm)
    workflow.confirm_notice(notice, friday_4pm)
    clock = SlaClock.objects.get(notice=notice, kind=ACK)
    assert clock.due_at == datetime(2026, 12, 7, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))  # Monday 10:00
    assert clock.calendar == {"business_hours": True, "timezone": "Europe/Berlin", "country": "DE",
                              "subdivision": "", "day_start": "09:00:00", "day_end": "17:00:00"}


def test_a_question_pauses_the_decision_clock_and_the_answer_moves_its_due_time(now, catalogue, reviewers):
    notice = routed(now, routed_after=ROUTING)
    item = notice.items.get()
    asked, answered = now + timedelta(hours=1), now + timedelta(hours=5)
    workflow.request_information(notice, reviewers["tm"], [item.pk], "Which test buy?", asked)
    clock = SlaClock.objects.get(notice=notice, kind=DECISION)
    assert clock.paused_at == asked
    workflow.answer_information(notice, "Test buy 2.", answered)
    clock.refresh_from_db()
    assert (clock.paused_at, clock.paused_for) == (None, timedelta(hours=4))
    assert (clock.due_at, clock.warn_at) == (now + timedelta(hours=28), now + timedelta(hours=23, minutes=12))
    decided = now + timedelta(hours=10)
    workflow.decide_items(Notice.objects.get(pk=notice.pk), reviewers["tm"],
                          [workflow.ItemDecision(item.pk, "remove")], decided)
    clock.refresh_from_db()
    assert (clock.stopped_at, clock.elapsed) == (decided, timedelta(hours=6))  # 10 h minus 4 h waiting
    assert list(notice.events.filter(details__clock=DECISION).values_list("kind", flat=True)) == [
        EventKind.CLOCK_STARTED, EventKind.CLOCK_PAUSED, EventKind.CLOCK_RESUMED, EventKind.CLOCK_STOPPED]
    stopped = notice.events.get(kind=EventKind.CLOCK_STOPPED, details__clock=DECISION)
    assert (stopped.details["within_target"], stopped.details["elapsed"]) == (True, "6:00:00")
    assert SlaClock.objects.get(item=item, kind=EXECUTED).started_at == decided


def test_withdrawing_stops_every_clock_out_of_the_figures(now, catalogue, reviewers):
    notice = routed(now, routed_after=ROUTING)
    workflow.withdraw_notice(notice, now + timedelta(hours=1))
    assert list(SlaClock.objects.filter(notice=notice).values_list("kind", "cancelled", "stopped_at")) == [
        (ACK, False, now + timedelta(minutes=2)), (DECISION, True, now + timedelta(hours=1))]


def test_the_beat_warns_then_breaches_once_each_and_escalates(now, catalogue, reviewers, lead,
                                                              django_capture_on_commit_callbacks):
    notice = routed(now, routed_after=ROUTING)
    mail.outbox.clear()
    warn_time, breach_time = now + timedelta(hours=20), now + timedelta(hours=25)
    with django_capture_on_commit_callbacks(execute=True):
        assert clocks.process_due(now + timedelta(hours=19)) == (0, 0)
        assert clocks.process_due(warn_time) == (1, 0)
        assert clocks.process_due(warn_time) == (0, 0)
    clock = SlaClock.objects.get(notice=notice, kind=DECISION)
    assert clock.warned_at == warn_time
    [warning] = mail.outbox
    assert warning.to == ["tm@portal.test"]
    assert warning.subject == f"{notice.reference}: takedown decision due {clock.due_at:%-d %B %Y, %H:%M} UTC"
    assert "Please act before it breaches" in warning.body

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert clocks.process_due(breach_time) == (0, 1)
        assert clocks.process_due(breach_time) == (0, 0)
    clock.refresh_from_db()
    notice.refresh_from_db()
    assert (clock.breached_at, notice.escalated_at) == (breach_time, breach_time)
    [breach] = mail.outbox
    assert (breach.to, breach.subject) == (["lead@portal.test"], f"SLA breach: takedown decision of {notice.reference}")
    assert "The notice is with tm." in breach.body and "The notice is with tm." in breach.alternatives[0][0]
    kinds = list(notice.events.filter(created_at__gte=warn_time).values_list("kind", "actor_kind"))
    assert kinds == [(EventKind.CLOCK_WARNED, "system"), (EventKind.CLOCK_BREACHED, "system"),
                     (EventKind.ESCALATED, "system")]
    assert "takedown decision was due" in notice.events.get(kind=EventKind.ESCALATED).details["note"]


def test_a_paused_clock_neither_warns_nor_breaches(now, catalogue, reviewers):
    notice = routed(now, routed_after=ROUTING)
    workflow.request_information(notice, reviewers["tm"], [notice.items.get().pk], "Which?", now)
    assert clocks.process_due(now + timedelta(days=3)) == (0, 0)


def test_a_clock_without_a_reviewer_warns_the_leads(now, catalogue, reviewers, lead):
    notice = routed(now, routed_after=ROUTING)
    workflow.release_notice(notice, reviewers["tm"], now)
    assert clocks.process_due(now + timedelta(hours=20)) == (1, 0)
    warnings = OutboundEmail.objects.filter(kind="clock_warning")
    # Staff mail: not on the tracking page.
    assert list(warnings.values_list("to", "notice")) == [("lead@portal.test", None)]


def test_without_any_active_policy_the_built_in_target_applies(now, catalogue, reviewers):
    SlaPolicy.objects.update(is_active=False)
    notice = routed(now, routed_after=ROUTING)
    clock = SlaClock.objects.get(notice=notice, kind=DECISION)
    assert (clock.policy, clock.target, clock.due_at) == (None, timedelta(hours=24), now + timedelta(hours=24))
    started = notice.events.get(kind=EventKind.CLOCK_STARTED, details__clock=DECISION)
    assert started.details["policy"] == "default target"


def test_the_tracking_page_and_the_queue_show_due_times_and_states(client, now, catalogue, reviewers):
    notice = routed(now, routed_after=ROUTING)
    late = routed(now - timedelta(hours=30), [("L-100002", "counterfeit")], routed_after=ROUTING)
    clocks.process_due(now)  # marks the older notice's decision clock breached
    page = client.get(notice.tracking_path()).content.decode()
    assert '<tr data-clock="acknowledgement">' in page and '<tr data-clock="takedown_decision">' in page
    assert 'data-clock-state="stopped">done</span>' in page  # acknowledgement
    assert 'data-clock-state="on_time">on time</span>' in page  # takedown decision
    client.force_login(reviewers["tm"].user)
    queue = client.get("/review/").context["page"].rows
    assert [(n.reference, n.due_at, n.clock_state) for n in queue] == [
        (late.reference, now - timedelta(hours=6), "breached"),
        (notice.reference, now + timedelta(hours=24), "on_time")]


def test_a_clock_stopped_while_paused_has_its_due_time_moved_by_the_wait_and_is_within_target(now, catalogue,
                                                                                               reviewers):
    # Issue 12, item 1: the submitter never answers; the notice closes while its decision clock is
    # paused. The clock ran 1 h of its 24 h: it never breached and must count as within target.
    notice = routed(now, routed_after=ROUTING)
    asked = now + timedelta(hours=1)
    workflow.request_information(notice, reviewers["tm"], [notice.items.get().pk], "Which test buy?", asked)
    closed = asked + timedelta(days=7)
    assert workflow.expire_information_requests(closed) == 1
    clock = SlaClock.objects.get(notice=notice, kind=DECISION)
    assert (clock.stopped_at, clock.paused_at, clock.paused_for, clock.elapsed) == (
        closed, None, timedelta(days=7), timedelta(hours=1))
    assert (clock.due_at, clock.warn_at) == (now + timedelta(hours=24 + 7 * 24),
                                             now + timedelta(hours=7 * 24 + 19, minutes=12))
    stopped = notice.events.get(kind=EventKind.CLOCK_STOPPED, details__clock=DECISION)
    assert (stopped.details["within_target"], stopped.details["elapsed"], stopped.details["due_at"]) == (
        True, "1:00:00", (now + timedelta(hours=24 + 7 * 24)).isoformat())
    assert clocks.process_due(closed + timedelta(days=1)) == (0, 0)


def test_a_business_hours_clock_stopped_while_paused_moves_by_the_working_time_of_the_wait(now, catalogue,
                                                                                             reviewers):
    berlin = ZoneInfo("Europe/Berlin")
    monday_9am = datetime(2026, 12, 7, 9, 0, tzinfo=berlin)
    SlaPolicy.objects.filter(clock=DECISION).update(target=timedelta(hours=8), business_hours=True,
                                                    timezone="Europe/Berlin", country="DE")
    notice = routed(monday_9am, routed_after=ROUTING)
    clock = SlaClock.objects.get(notice=notice, kind=DECISION)
    assert clock.due_at == datetime(2026, 12, 7, 17, 0, tzinfo=berlin)
    # Asked Monday 11:00 (2 working hours run); nobody answers; closed Tuesday 13:00 (6 + 4 working hours waited).
    asked, closed = datetime(2026, 12, 7, 11, 0, tzinfo=berlin), datetime(2026, 12, 8, 13, 0, tzinfo=berlin)
    workflow.request_information(notice, reviewers["tm"], [notice.items.get().pk], "Which?", asked)
    clocks.stop_clock(DECISION, closed, notice=notice)
    clock.refresh_from_db()
    assert clock.due_at == datetime(2026, 12, 9, 11, 0, tzinfo=berlin)  # Monday 17:00 moved by 10 working hours
    assert (clock.elapsed, clock.paused_for) == (timedelta(hours=2), timedelta(hours=26))


def test_elapsed_time_of_a_business_hours_clock_is_working_time(now, catalogue, reviewers):
    # Issue 12, item 8: the elapsed time is in the clock's own time, as its target is. Confirmed
    # Friday 16:00, decided Monday 10:00: 2 working hours, not the 66 wall-clock hours in between.
    berlin = ZoneInfo("Europe/Berlin")
    friday_4pm = datetime(2026, 12, 4, 16, 0, tzinfo=berlin)
    SlaPolicy.objects.filter(clock=DECISION).update(target=timedelta(hours=8), business_hours=True,
                                                    timezone="Europe/Berlin", country="DE")
    notice = routed(friday_4pm, routed_after=ROUTING)
    monday_10am = datetime(2026, 12, 7, 10, 0, tzinfo=berlin)
    workflow.decide_items(Notice.objects.get(pk=notice.pk), reviewers["tm"],
                          [workflow.ItemDecision(notice.items.get().pk, "remove")], monday_10am)
    clock = SlaClock.objects.get(notice=notice, kind=DECISION)
    assert (clock.due_at, clock.elapsed) == (datetime(2026, 12, 7, 16, 0, tzinfo=berlin), timedelta(hours=2))
    stopped = notice.events.get(kind=EventKind.CLOCK_STOPPED, details__clock=DECISION)
    assert (stopped.details["elapsed"], stopped.details["within_target"]) == ("2:00:00", True)


def test_a_business_hours_clock_stopped_after_its_due_time_counts_the_working_time_past_it(now, catalogue,
                                                                                             reviewers):
    berlin = ZoneInfo("Europe/Berlin")
    monday_9am = datetime(2026, 12, 7, 9, 0, tzinfo=berlin)
    SlaPolicy.objects.filter(clock=DECISION).update(target=timedelta(hours=4), business_hours=True,
                                                    timezone="Europe/Berlin", country="DE")
    notice = routed(monday_9am, routed_after=ROUTING)
    tuesday_10am = datetime(2026, 12, 8, 10, 0, tzinfo=berlin)  # due Monday 13:00; 4 + 5 working hours later
    clocks.stop_clock(DECISION, tuesday_10am, notice=notice)
    clock = SlaClock.objects.get(notice=notice, kind=DECISION)
    assert (clock.elapsed, clock.stopped_at > clock.due_at) == (timedelta(hours=9), True)
    assert notice.events.get(kind=EventKind.CLOCK_STOPPED, details__clock=DECISION).details["within_target"] is False


def test_trusted_flaggers_notices_get_their_own_shorter_targets_and_come_first_in_the_queue(client, now, catalogue,
                                                                                             reviewers):
    # Issue 12, item 13 (DSA Art. 22(1)): migration 0018's trusted-flagger policies, 5 min and 12 h.
    assert sorted(SlaPolicy.objects.filter(trusted_flagger_only=True).values_list("clock", "target")) == [
        (ACK, timedelta(minutes=5)), (DECISION, timedelta(hours=12))]
    earlier = routed(now - timedelta(hours=6), [("L-100002", "counterfeit")], routed_after=ROUTING)
    Submitter.objects.create(email="flagger@brand.example", trusted_flagger=True, created_at=now)
    flagged = routed(now, routed_after=ROUTING, submitter_email="flagger@brand.example")
    assert flagged.trust == "trusted_flagger"
    ack = SlaClock.objects.get(notice=flagged, kind=ACK)
    decision = SlaClock.objects.get(notice=flagged, kind=DECISION)
    assert (ack.target, ack.due_at, str(ack.policy)) == (
        timedelta(minutes=5), now + timedelta(minutes=5), "Acknowledgement (trusted flaggers, priority ≥ 0): 0:05:00")
    assert (decision.target, decision.due_at) == (timedelta(hours=12), now + timedelta(hours=12))
    assert SlaClock.objects.get(notice=earlier, kind=DECISION).due_at == now + timedelta(hours=18)
    client.force_login(reviewers["tm"].user)
    response = client.get("/review/")
    assert [n.reference for n in response.context["page"].rows] == [flagged.reference, earlier.reference]
    assert ("Ordered by due time (the SLA target of each notice's next step), then priority. Trusted flaggers' "
            "notices (DSA Art. 22) are decided with priority: their decision target is 12 hours, shorter than "
            "other notices', so they fall due and come up sooner.") in response.content.decode()


def test_a_trusted_flagger_policy_wins_over_a_longer_more_specific_one_and_applies_to_nobody_else(
        now, catalogue, reviewers, django_capture_on_commit_callbacks):
    SlaPolicy.objects.create(clock=DECISION, right_type="trademark", reason="counterfeit", target=timedelta(hours=20))
    Submitter.objects.create(email="flagger@brand.example", trusted_flagger=True, created_at=now)
    flagged = routed(now, routed_after=ROUTING, submitter_email="flagger@brand.example")
    other = routed(now, [("L-100002", "counterfeit")], routed_after=ROUTING)
    assert SlaClock.objects.get(notice=flagged, kind=DECISION).target == timedelta(hours=12)
    assert SlaClock.objects.get(notice=other, kind=DECISION).target == timedelta(hours=20)
    with django_capture_on_commit_callbacks(execute=True):  # as the admin saves it
        for policy in SlaPolicy.objects.filter(trusted_flagger_only=True):
            policy.is_active = False
            policy.save()
    assert clocks.trusted_flagger_targets() is None


def test_a_shorter_specific_ordinary_policy_applies_to_a_trusted_flaggers_notice_too(client, now, catalogue, reviewers):
    # Issue 12, item 13 (DSA Art. 22(1)): a trusted flagger's notice is never due later than the
    # same notice from anyone else. A lead's "counterfeit: 4 h" beats the trusted flaggers' 12 h.
    SlaPolicy.objects.create(clock=DECISION, reason="counterfeit", target=timedelta(hours=4))
    Submitter.objects.create(email="flagger@brand.example", trusted_flagger=True, created_at=now)
    flagged = routed(now, routed_after=ROUTING, submitter_email="flagger@brand.example")
    other = routed(now, [("L-100003", "counterfeit")], routed_after=ROUTING)
    counterfeit = SlaPolicy.objects.get(clock=DECISION, reason="counterfeit")
    for notice in (flagged, other):
        clock = SlaClock.objects.get(notice=notice, kind=DECISION)
        assert (clock.policy, clock.target, clock.due_at) == (counterfeit, timedelta(hours=4), now + timedelta(hours=4))
    # A notice the 4 h policy does not cover still gets the trusted flaggers' 12 h, not the 24 h.
    misuse = routed(now, [("L-100002", "trademark_misuse")], routed_after=ROUTING,
                    submitter_email="flagger@brand.example")
    assert SlaClock.objects.get(notice=misuse, kind=DECISION).target == timedelta(hours=12)
    # The queue no longer says the trusted flaggers' target is shorter than other notices'.
    assert clocks.trusted_flagger_targets() == clocks.TrustedFlaggerTargets(
        timedelta(hours=12), timedelta(hours=12), shorter_than_all_others=False)
    client.force_login(reviewers["tm"].user)
    html = client.get("/review/").content.decode()
    assert "shorter than" not in html
    assert ("Trusted flaggers' notices (DSA Art. 22) are decided with priority: each is due by the earlier of their "
            "decision target (12 hours) and the target the same notice would have from anyone else, so it never "
            "falls due later than another submitter's would.") in html


def test_for_a_trusted_flagger_the_earlier_due_time_wins_not_the_shorter_target(now, catalogue, reviewers):
    # 4 working hours (Berlin, Monday to Friday 9-17) against 12 hours round the clock: which falls
    # due first depends on when the clock starts.
    berlin = ZoneInfo("Europe/Berlin")
    SlaPolicy.objects.create(clock=DECISION, reason="counterfeit", target=timedelta(hours=4), business_hours=True,
                             timezone="Europe/Berlin", country="DE")
    Submitter.objects.create(email="flagger@brand.example", trusted_flagger=True, created_at=now)
    flagged = routed(now, routed_after=ROUTING, submitter_email="flagger@brand.example")
    monday_9am, friday_4pm = datetime(2026, 12, 7, 9, 0, tzinfo=berlin), datetime(2026, 12, 4, 16, 0, tzinfo=berlin)
    # Monday 9:00: 13:00 against 21:00. Friday 16:00: Monday 12:00 against Saturday 4:00.
    assert clocks.policy_for(DECISION, flagged, monday_9am, ["counterfeit"]).business_hours is True
    assert clocks.policy_for(DECISION, flagged, friday_4pm, ["counterfeit"]).trusted_flagger_only is True
    # A notice from anyone else gets the 4 working hours whenever it starts.
    flagged.trust = "verified"
    assert clocks.policy_for(DECISION, flagged, friday_4pm, ["counterfeit"]).business_hours is True


def test_the_queue_says_shorter_only_when_every_other_target_on_the_same_calendar_is_longer(
        now, catalogue, django_capture_on_commit_callbacks):
    assert clocks.trusted_flagger_targets() == clocks.TrustedFlaggerTargets(
        timedelta(hours=12), timedelta(hours=12), shorter_than_all_others=True)
    with django_capture_on_commit_callbacks(execute=True):  # as the admin saves it
        policy = SlaPolicy.objects.create(clock=DECISION, right_type="copyright", target=timedelta(hours=12))
    assert clocks.trusted_flagger_targets().shorter_than_all_others is False  # as short: not shorter
    with django_capture_on_commit_callbacks(execute=True):
        policy.target, policy.business_hours = timedelta(hours=30), True
        policy.save()
    assert clocks.trusted_flagger_targets().shorter_than_all_others is False  # another calendar: not comparable
