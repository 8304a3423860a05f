"""The single writer of notice status: allowed and forbidden transitions, events, e-mails."""

import uuid
from datetime import timedelta

import pytest
from django.core import mail

from takedowns import workflow
from takedowns.enums import NOTICE_TRANSITIONS, EventKind, ItemState, NoticeStatus
from takedowns.models import Event, Evidence, ImmutableRowError, Notice, OutboundEmail
from tests.factories import file_notice, notice_fields

pytestmark = pytest.mark.django_db


def test_file_notice_writes_notice_items_event_and_confirmation_email(now, django_capture_on_commit_callbacks):
    key = uuid.uuid4()
    items = [workflow.ReportedItem("L-100001", "counterfeit"),
             workflow.ReportedItem("https://portal.test/listings/L-100002/", "trademark_misuse")]
    with django_capture_on_commit_callbacks(execute=True):
        notice, created = workflow.file_notice(notice_fields(), items, key, now)

    assert created is True
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.UNCONFIRMED
    assert notice.submission_key == key
    assert notice.expires_at == now + timedelta(days=7)
    assert notice.confirmed_at is None and notice.assigned_to is None
    assert len(notice.tracking_token) >= 43 and len(notice.confirmation_token) >= 43  # 256 random bits
    assert notice.tracking_token != notice.confirmation_token
    assert [(i.position, i.reported, i.reason, i.state) for i in notice.items.all()] == [
        (1, "L-100001", "counterfeit", ItemState.NEW),
        (2, "https://portal.test/listings/L-100002/", "trademark_misuse", ItemState.NEW),
    ]
    event = Event.objects.get(notice=notice)
    assert (event.kind, event.actor_kind, event.from_status, event.to_status, event.details) == (
        EventKind.FILED, "submitter", "", NoticeStatus.UNCONFIRMED, {"items": 2, "evidence_files": 0})

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["anna@aerostride.example"]
    assert message.subject == "Confirm your notice about 2 listings"
    assert f"https://portal.test/confirm/{notice.reference}/{notice.confirmation_token}/" in message.body
    assert notice.tracking_token not in message.body  # the tracking link comes only after confirmation
    assert OutboundEmail.objects.get().status == "sent"


def test_filing_twice_with_the_same_key_returns_the_first_notice(now, django_capture_on_commit_callbacks):
    key = uuid.uuid4()
    items = [workflow.ReportedItem("L-100001", "counterfeit")]
    with django_capture_on_commit_callbacks(execute=True):
        first, created_first = workflow.file_notice(notice_fields(), items, key, now)
        second, created_second = workflow.file_notice(notice_fields(submitter_name="Other"), items, key, now)
    assert (created_first, created_second) == (True, False)
    assert first.pk == second.pk
    assert Notice.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_clashing_reference_is_drawn_again_and_the_notice_is_filed_whole(now, monkeypatch,
                                                                          django_capture_on_commit_callbacks):
    items = [workflow.ReportedItem("L-100001", "counterfeit")]
    taken, _ = workflow.file_notice(notice_fields(), items, uuid.uuid4(), now)
    draws = iter([taken.reference, taken.reference, "TD-7KQ4-M2XB"])
    monkeypatch.setattr("takedowns.workflow.filing.new_reference", lambda: next(draws))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        notice, created = workflow.file_notice(notice_fields(), items, uuid.uuid4(), now)
    assert created is True
    assert notice.reference == "TD-7KQ4-M2XB"
    # The attempts that clashed left nothing behind: one notice, one set of rows, one e-mail.
    assert Notice.objects.count() == 2
    assert list(notice.items.values_list("reported", flat=True)) == ["L-100001"]
    assert list(notice.events.values_list("kind", flat=True)) == [EventKind.FILED]
    assert [message.subject for message in mail.outbox] == ["Confirm your notice about 1 listing"]
    assert OutboundEmail.objects.filter(notice=notice).count() == 1


def test_file_notice_attaches_the_evidence_uploaded_under_its_key(now):
    key = uuid.uuid4()
    Evidence.objects.create(submission_key=key, kind="test_buy", file="x.pdf", original_name="buy.pdf",
                            content_type="application/pdf", size=10, sha256="0" * 64)
    other = Evidence.objects.create(submission_key=uuid.uuid4(), kind="other", file="y.pdf", original_name="y.pdf",
                                    content_type="application/pdf", size=10, sha256="0" * 64)
    notice, _ = workflow.file_notice(notice_fields(), [workflow.ReportedItem("L-1", "counterfeit")], key, now)
    assert list(notice.evidence.values_list("original_name", flat=True)) == ["buy.pdf"]
    other.refresh_from_db()
    assert other.notice is None
    assert notice.events.get().details["evidence_files"] == 1


def test_confirm_moves_to_confirmed_sends_reference_and_routes_after_commit(
        now, catalogue, reviewers, django_capture_on_commit_callbacks):
    notice = file_notice(now)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        workflow.confirm_notice(notice, now)
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.CONFIRMED
    assert notice.confirmed_at == now
    # Nothing is sent or routed before the transaction commits.
    assert mail.outbox == []
    assert len(callbacks) == 2  # the e-mail and the routing task

    for callback in callbacks:
        callback()
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.IN_REVIEW
    received = mail.outbox[0]
    assert received.to == ["anna@aerostride.example"]
    assert received.subject == f"Notice {notice.reference} received"
    assert f"Reference: {notice.reference}" in received.body
    assert f"https://portal.test/track/{notice.reference}/{notice.tracking_token}/" in received.body
    kinds = list(notice.events.filter(item=None).values_list("kind", "from_status", "to_status"))
    assert kinds == [
        (EventKind.FILED, "", NoticeStatus.UNCONFIRMED),
        (EventKind.CONFIRMED, NoticeStatus.UNCONFIRMED, NoticeStatus.CONFIRMED),
        (EventKind.CLOCK_STARTED, "", ""),  # acknowledgement
        (EventKind.CLOCK_STOPPED, "", ""),  # acknowledgement, at routing
        (EventKind.CLOCK_STARTED, "", ""),  # takedown decision
        (EventKind.ROUTED, NoticeStatus.CONFIRMED, NoticeStatus.IN_REVIEW),
    ]
    assert [event.details["clock"] for event in notice.events.filter(kind__startswith="clock_")] == [
        "acknowledgement", "acknowledgement", "takedown_decision"]


def test_confirming_twice_is_harmless(now):
    notice = file_notice(now)
    workflow.confirm_notice(notice, now)
    workflow.confirm_notice(notice, now + timedelta(minutes=1))
    assert notice.events.filter(kind=EventKind.CONFIRMED).count() == 1
    notice.refresh_from_db()
    assert notice.confirmed_at == now


def test_confirming_after_the_window_expires_the_notice_instead(now):
    notice = file_notice(now)
    with pytest.raises(workflow.TransitionNotAllowed, match="expired"):
        workflow.confirm_notice(notice, now + timedelta(days=8))
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.EXPIRED
    assert notice.events.filter(kind=EventKind.EXPIRED, actor_kind="system").count() == 1


def test_expire_unconfirmed_expires_only_due_notices(now):
    due = file_notice(now - timedelta(days=8))
    fresh = file_notice(now)
    confirmed = file_notice(now - timedelta(days=8))
    workflow.confirm_notice(confirmed, now - timedelta(days=7, hours=23))

    assert workflow.expire_unconfirmed(now) == 1
    assert workflow.expire_unconfirmed(now) == 0  # a second run finds nothing left to do
    statuses = dict(Notice.objects.values_list("pk", "status"))
    assert statuses == {due.pk: NoticeStatus.EXPIRED, fresh.pk: NoticeStatus.UNCONFIRMED,
                        confirmed.pk: NoticeStatus.CONFIRMED}
    assert due.events.filter(kind=EventKind.EXPIRED).count() == 1


ALL_PAIRS = [(source, target) for source in NoticeStatus.values for target in NoticeStatus.values]
FORBIDDEN = [(s, t) for s, t in ALL_PAIRS if t not in NOTICE_TRANSITIONS[s]]


@pytest.mark.parametrize(("source", "target"), FORBIDDEN)
def test_forbidden_transitions_are_refused_and_leave_no_trace(now, source, target):
    notice = file_notice(now)
    Notice.objects.filter(pk=notice.pk).update(status=source)
    notice.refresh_from_db()
    events_before = Event.objects.count()
    with pytest.raises(workflow.TransitionNotAllowed):
        workflow.change_status(notice, target, kind="test", actor=workflow.SYSTEM, now=now)
    notice.refresh_from_db()
    assert notice.status == source
    assert Event.objects.count() == events_before


def test_the_transition_map_allows_exactly_the_life_of_a_notice():
    assert {(s, t) for s, targets in NOTICE_TRANSITIONS.items() for t in targets} == {
        ("unconfirmed", "confirmed"), ("unconfirmed", "expired"),
        ("unconfirmed", "refused"),  # its notifier's notice handling is suspended (DSA Art. 23(2))
        ("confirmed", "closed"),  # routing found no listing to decide
        ("confirmed", "in_review"), ("confirmed", "withdrawn"),
        ("in_review", "awaiting_submitter"), ("in_review", "closed"), ("in_review", "withdrawn"),
        ("awaiting_submitter", "in_review"), ("awaiting_submitter", "closed"), ("awaiting_submitter", "withdrawn"),
        ("closed", "in_review"),  # an appeal reopens a rejected listing
    }


def test_a_change_made_concurrently_wins_and_the_stale_one_is_refused(now):
    notice = file_notice(now)
    stale = Notice.objects.get(pk=notice.pk)
    workflow.confirm_notice(notice, now)  # someone else confirms first
    with pytest.raises(workflow.TransitionNotAllowed, match="changed by someone else"):
        workflow.change_status(stale, NoticeStatus.EXPIRED, kind=EventKind.EXPIRED, actor=workflow.SYSTEM, now=now)
    assert Notice.objects.get(pk=notice.pk).status != NoticeStatus.EXPIRED


def test_withdraw_closes_open_items_and_tells_the_submitter(now, catalogue, reviewers,
                                                            django_capture_on_commit_callbacks):
    notice = file_notice(now, items=[("L-100001", "counterfeit"), ("L-999999", "counterfeit")])
    with django_capture_on_commit_callbacks(execute=True):
        workflow.confirm_notice(notice, now)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.withdraw_notice(notice, now + timedelta(hours=1))
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.WITHDRAWN
    assert notice.closed_at == now + timedelta(hours=1)
    assert dict(notice.items.values_list("position", "state")) == {1: ItemState.WITHDRAWN, 2: ItemState.NOT_FOUND}
    event = notice.events.get(kind=EventKind.WITHDRAWN)
    assert (event.from_status, event.to_status, event.details) == (
        NoticeStatus.IN_REVIEW, NoticeStatus.WITHDRAWN, {"items_withdrawn": [1]})
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["anna@aerostride.example"], f"Notice {notice.reference} withdrawn")]


def test_an_unconfirmed_or_withdrawn_notice_cannot_be_withdrawn(now):
    notice = file_notice(now)
    with pytest.raises(workflow.TransitionNotAllowed):
        workflow.withdraw_notice(notice, now)
    workflow.confirm_notice(notice, now)
    workflow.withdraw_notice(notice, now)
    with pytest.raises(workflow.TransitionNotAllowed):
        workflow.withdraw_notice(notice, now)
    assert notice.events.filter(kind=EventKind.WITHDRAWN).count() == 1


def test_events_are_immutable(now):
    event = file_notice(now).events.get()
    event.kind = "edited"
    with pytest.raises(ImmutableRowError):
        event.save()
    with pytest.raises(ImmutableRowError):
        event.delete()
    assert Event.objects.get(pk=event.pk).kind == EventKind.FILED


def test_references_are_human_friendly_and_unambiguous():
    reference = workflow.new_reference()
    assert reference.startswith("TD-") and len(reference) == 12 and reference[7] == "-"
    assert not set(reference[3:].replace("-", "")) & set("ILOU")
