"""A notice from the public form to a reviewer and on to its decisions, over real connections:
the Django test client files and confirms it and a reviewer decides it, PostgreSQL holds it,
Redis carries the messages, a celery worker routes it, takes removed listings down and sends the
e-mails, and an SMTP server receives them."""

import re
import time
import uuid
from datetime import timedelta
from unittest import mock
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from takedowns import legal, tasks, workflow
from takedowns.models import CounterNotice, Decision, Event, Listing, Notice, OutboundEmail, Penalty, Seller, Strike
from takedowns.workflow import counter_notices
from tests.factories import decision_form, file_notice, notice_fields

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROUTING_SECONDS = 30


def unique_address(name: str = "anna") -> str:
    return f"{name}-{uuid.uuid4().hex[:10]}@aerostride.example"


def eventually(check, what: str, timeout: float = ROUTING_SECONDS, interval: float = 0.2):
    """check()'s first truthy result, polled for at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout}s: {what}")
        time.sleep(interval)


def routed_by_worker(notice: Notice) -> Notice:
    """The notice once the worker has routed it."""
    return eventually(lambda: Notice.objects.filter(pk=notice.pk, status="in_review").first(),
                      f"the worker routes notice {notice.reference}")


def form_post(submission_key: str, submitter_email: str, rows: list[tuple[str, str]]) -> dict:
    fields = notice_fields(submitter_email=submitter_email)
    data = {name: ("on" if value is True else value) for name, value in fields.items()}
    data.update({
        "submission_key": submission_key,
        "items-TOTAL_FORMS": str(len(rows)), "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "3", "items-MAX_NUM_FORMS": str(settings.NOTICE_MAX_ITEMS),
    })
    for index, (reported, reason) in enumerate(rows):
        data[f"items-{index}-reported"] = reported
        data[f"items-{index}-reason"] = reason
    return data


def test_a_notice_filed_on_the_form_is_confirmed_by_email_and_routed_to_a_reviewer_by_the_worker(
        client, catalogue, reviewers, mailbox, worker):
    submitter = unique_address()
    form_page = client.get("/notices/new/")
    key = str(form_page.context["form"].initial["submission_key"])
    rows = [
        ("https://portal.test/listings/L-100001/", "counterfeit"),
        ("L-100003", "counterfeit"),
        ("https://portal.test/listings/L-999999/", "trademark_misuse"),  # no such listing
    ]

    response = client.post("/notices/new/", form_post(key, submitter, rows))

    assert response.status_code == 302
    assert response["Location"] == f"/notices/filed/{key}/"
    notice = Notice.objects.get(submission_key=key)
    assert notice.status == "unconfirmed"
    assert [(item.reported, item.reason, item.state) for item in notice.items.all()] == [
        (reported, reason, "new") for reported, reason in rows]

    # The worker sends the confirmation request to the submitter, and only to the submitter.
    [confirmation] = mailbox.wait_for(submitter, count=1)
    assert confirmation.envelope_to == [submitter]
    assert confirmation.to == submitter
    assert confirmation.sender == settings.DEFAULT_FROM_EMAIL
    assert confirmation.subject == "Confirm your notice about 3 listings"
    links = re.findall(r"https?://\S+/confirm/\S+", confirmation.text)
    assert links == [f"https://portal.test{notice.confirmation_path()}"]
    assert links[0] in confirmation.html
    confirm_path = urlsplit(links[0]).path

    # Opening the link only shows a button (mail scanners follow links); pressing it confirms.
    page = client.get(confirm_path)
    assert page.status_code == 200
    assert b'id="confirm-notice"' in page.content
    notice.refresh_from_db()
    assert (notice.status, notice.confirmed_at) == ("unconfirmed", None)
    response = client.post(confirm_path)
    assert response.status_code == 302
    assert response["Location"] == notice.tracking_path()

    notice = routed_by_worker(notice)
    assert notice.assigned_to == reviewers["tm"]
    assert notice.routed_at is not None and notice.confirmed_at <= notice.routed_at
    # Counterfeit (+30) of a toy, which is safety-relevant (+30), from a seller with 2 strikes (+10).
    assert notice.priority == 70
    assert [(item.position, item.listing and item.listing.external_id, item.state)
            for item in notice.items.select_related("listing")] == [
        (1, "L-100001", "in_review"), (2, "L-100003", "in_review"), (3, None, "not_found")]
    assert list(notice.events.values_list("kind", "details__clock")) == [
        ("filed", None), ("confirmed", None), ("clock_started", "acknowledgement"), ("item_resolved", None),
        ("item_resolved", None), ("item_resolved", None), ("clock_stopped", "acknowledgement"),
        ("clock_started", "takedown_decision"), ("routed", None)]
    routed_event = notice.events.get(kind="routed")
    assert (routed_event.actor_kind, routed_event.from_status, routed_event.to_status) == (
        "system", "confirmed", "in_review")
    assert routed_event.details["reviewer"] == "tm"
    assert routed_event.details["items"] == {"in_review": 2, "not_found": 1}

    # Receipt, then "with a reviewer", in that order, each once; rendered by the worker with the
    # same SITE_URL as this process.
    mails = mailbox.wait_for(submitter, count=3)
    assert [mail.subject for mail in mails] == [
        "Confirm your notice about 3 listings",
        f"Notice {notice.reference} received",
        f"Notice {notice.reference} is with a reviewer",
    ]
    with_reviewer = mails[2]
    assert with_reviewer.envelope_to == [submitter]
    assert f"your notice {notice.reference} is now with a reviewer" in with_reviewer.text
    assert "https://portal.test/listings/L-100001/ — Waiting for the reviewer's decision" in with_reviewer.text
    assert "https://portal.test/listings/L-999999/ — Listing not found at the marketplace" in with_reviewer.text
    assert f"https://portal.test{notice.tracking_path()}" in with_reviewer.text
    assert eventually(
        lambda: list(OutboundEmail.objects.filter(notice=notice).values_list("kind", "status", "attempts"))
        == [("confirm_notice", "sent", 1), ("notice_received", "sent", 1), ("notice_routed", "sent", 1)],
        "the worker records each e-mail as sent", timeout=10)


def test_the_sweep_re_enqueues_a_confirmed_notice_whose_routing_message_was_lost(
        catalogue, reviewers, mailbox, worker):
    lost_submitter, recent_submitter = unique_address("lost"), unique_address("recent")
    long_ago = timezone.now() - timedelta(seconds=settings.ROUTING_GRACE_SECONDS + 600)
    lost = file_notice(long_ago, items=(("L-100001", "counterfeit"),), submitter_email=lost_submitter)
    recent = file_notice(timezone.now(), items=(("L-100002", "counterfeit"),), submitter_email=recent_submitter)
    # The routing messages never reach the broker (e-mails still do).
    with mock.patch.object(tasks.route_notice, "apply_async") as lost_messages:
        workflow.confirm_notice(lost, now=long_ago)
        workflow.confirm_notice(recent, now=timezone.now())
    assert lost_messages.call_count == 2
    worker.drain(mailbox)
    assert set(Notice.objects.values_list("reference", "status")) == {
        (lost.reference, "confirmed"), (recent.reference, "confirmed")}

    # What beat sends every minute, run by the worker: it enqueues the lost notice, whose
    # grace period is over, and not the recent one.
    assert workflow.unrouted_notice_ids(timezone.now()) == [lost.pk]
    tasks.sweep_unrouted.delay()

    lost = routed_by_worker(lost)
    assert lost.assigned_to == reviewers["tm"]
    assert Event.objects.filter(notice=lost, kind="routed").count() == 1
    [*_, with_reviewer] = mailbox.wait_for(lost_submitter, count=3)
    assert with_reviewer.subject == f"Notice {lost.reference} is with a reviewer"
    worker.drain(mailbox)
    recent.refresh_from_db()
    # The lost notice's routing takes along the notices waiting within the grace period (issue 15:
    # routing in batches), the recent one among them: its own message was lost too.
    assert (recent.status, recent.routed_at) == ("in_review", lost.routed_at)
    assert recent.events.filter(kind="routed").count() == 1


def test_routing_the_same_notice_twice_through_the_worker_routes_it_once(catalogue, reviewers, mailbox, worker):
    submitter = unique_address()
    now = timezone.now()
    notice = file_notice(now, items=(("L-100001", "counterfeit"), ("L-100002", "trademark_misuse")),
                         submitter_email=submitter)
    workflow.confirm_notice(notice, now=now)  # the first routing message, sent after commit
    tasks.route_notice.delay(notice_id=notice.pk)  # the same message again (a redelivery, a sweep)

    notice = routed_by_worker(notice)
    worker.drain(mailbox)

    notice.refresh_from_db()
    assert (notice.status, notice.assigned_to) == ("in_review", reviewers["tm"])
    assert notice.events.filter(kind="routed").count() == 1
    assert notice.events.filter(kind="item_resolved").count() == 2
    assert list(notice.items.values_list("state", flat=True)) == ["in_review", "in_review"]
    assert list(OutboundEmail.objects.filter(notice=notice).values_list("kind", flat=True)) == [
        "confirm_notice", "notice_received", "notice_routed"]
    assert [mail.subject for mail in mailbox.to(submitter)] == [
        "Confirm your notice about 2 listings",
        f"Notice {notice.reference} received",
        f"Notice {notice.reference} is with a reviewer",
    ]


def file_and_confirm(client, mailbox, submitter: str, rows: list[tuple[str, str]]) -> Notice:
    """File a notice on the public form and confirm it with the link the worker e-mailed."""
    key = str(client.get("/notices/new/").context["form"].initial["submission_key"])
    response = client.post("/notices/new/", form_post(key, submitter, rows))
    assert (response.status_code, response["Location"]) == (302, f"/notices/filed/{key}/")
    [confirmation] = mailbox.wait_for(submitter, count=1)
    [link] = re.findall(r"https?://\S+/confirm/\S+", confirmation.text)
    response = client.post(urlsplit(link).path)
    assert response.status_code == 302
    return Notice.objects.get(submission_key=key)


STATEMENT_HEADINGS = ["1. The measure", "2. Facts and circumstances", "3. Automated means", "4. Legal ground",
                      "5. Contractual ground", "6. Your options"]


def in_order(text: str, parts: list[str]) -> bool:
    positions = [text.find(part) for part in parts]
    return -1 not in positions and positions == sorted(positions)


def test_a_reviewer_decides_a_notice_in_two_steps_and_the_worker_takes_listings_down_and_writes_to_everyone(
        client, catalogue, reviewers, reason_codes, mailbox, worker):
    # Three listings of three sellers, each seller with an address of this test's own.
    sellers = {seller.external_id: seller for seller in Seller.objects.all()}
    sellers["S-3"] = Seller.objects.create(external_id="S-3", name="Copper Goods", country="FR")
    Listing.objects.create(external_id="L-100006", seller=sellers["S-3"], title="Listing 6", category="bags",
                           price="49.00")
    for seller in sellers.values():
        seller.email = f"{seller.external_id.lower()}-{uuid.uuid4().hex[:10]}@sellers.example"
        seller.save(update_fields=["email"])
    acme, bright, copper = sellers["S-1"].email, sellers["S-2"].email, sellers["S-3"].email
    submitter = unique_address()
    rows = [
        ("https://portal.test/listings/L-100001/", "counterfeit"),  # Acme: removed in the first step
        ("L-100003", "trademark_misuse"),  # Bright: rejected in the first step
        ("https://portal.test/listings/L-100006/", "counterfeit"),  # Copper: removed in the second step
    ]

    notice = routed_by_worker(file_and_confirm(client, mailbox, submitter, rows))
    assert notice.assigned_to == reviewers["tm"]
    items = {item.position: item for item in notice.items.select_related("listing")}
    assert [(p, items[p].listing.external_id, items[p].state) for p in items] == [
        (1, "L-100001", "in_review"), (2, "L-100003", "in_review"), (3, "L-100006", "in_review")]
    mailbox.wait_for(submitter, count=3)  # confirm, received, with a reviewer

    # The reviewer logs in on the login page and finds the notice in the queue.
    reviewer = Client()
    response = reviewer.post("/review/login/", {"username": "tm", "password": "pw"})
    assert (response.status_code, response["Location"]) == (302, "/review/")
    queue = reviewer.get("/review/")
    assert queue.status_code == 200
    assert notice.reference in [listed.reference for listed in queue.context["page"].rows]
    notice_path = f"/review/notices/{notice.reference}/"
    page = reviewer.get(notice_path).content.decode()
    assert all(f'name="item-{index}-item" value="{items[position].pk}"' in page
               for index, position in enumerate(sorted(items)))

    # First step: remove listing 1, reject listing 2 with a reason code and a note, leave listing 3.
    code = reason_codes["registration-mismatch"]
    note = "EUIPO 018234567 covers footwear only; this listing offers a toy."
    response = reviewer.post(f"{notice_path}decide/", decision_form(notice, {
        1: {"action": "remove"}, 2: {"action": "reject", "reason_code": code.pk, "note": note}}), follow=True)
    assert response.redirect_chain == [(notice_path, 302)]
    assert "2 decisions recorded." in response.content.decode()
    notice.refresh_from_db()
    assert (notice.status, notice.closed_at) == ("in_review", None)
    assert dict(notice.items.values_list("position", "state")) == {1: "removed", 2: "rejected", 3: "in_review"}
    rejection = Decision.objects.get(item=items[2])
    assert (rejection.outcome, rejection.reason_code, rejection.note, rejection.seller_token) == (
        "reject", code, note, "")

    # The worker takes listing 1 down while the notice is still open; nothing waits for the close.
    eventually(lambda: Listing.objects.filter(external_id="L-100001", status="removed").exists(),
               "the worker takes L-100001 down")
    notice.refresh_from_db()
    assert notice.status == "in_review"

    # Second step: listing 3 is the last one waiting, so the notice closes.
    response = reviewer.post(f"{notice_path}decide/", decision_form(notice, {3: {"action": "remove"}}), follow=True)
    body = response.content.decode()
    assert "1 decision recorded." in body
    assert '<span class="badge fs-6 bg-primary" id="notice-status">Closed</span>' in body
    notice.refresh_from_db()
    assert notice.status == "closed" and notice.closed_at is not None

    # Both removals carried out by the worker: the catalogue, the decisions, one event each.
    removals = {1: Decision.objects.get(item=items[1]), 3: Decision.objects.get(item=items[3])}
    eventually(lambda: Decision.objects.filter(pk__in=[d.pk for d in removals.values()],
                                               listing_removed_at__isnull=False).count() == 2,
               "the worker records both takedowns")
    for position, decision in removals.items():
        decision.refresh_from_db()
        listing = Listing.objects.get(pk=items[position].listing_id)
        assert (listing.status, decision.outcome) == ("removed", "remove")
        # listing_removed_at is the task's clock when it started, removed_at the catalogue's own.
        assert decision.decided_at <= decision.listing_removed_at <= listing.removed_at
        assert listing.removed_at - decision.listing_removed_at < timedelta(seconds=ROUTING_SECONDS)
        [removed_event] = Event.objects.filter(notice=notice, kind="listing_removed", item=items[position])
        assert (removed_event.actor_kind, removed_event.details) == (
            "system", {"listing": listing.external_id, "decision": decision.pk})
    assert Listing.objects.get(external_id="L-100003").status == "active"
    assert Decision.objects.get(pk=rejection.pk).listing_removed_at is None
    [closed] = notice.events.filter(kind="closed")
    assert (closed.actor_kind, closed.actor_user, closed.from_status, closed.to_status) == (
        "reviewer", reviewers["tm"].user, "in_review", "closed")
    steps = notice.events.exclude(kind__in=["filed", "confirmed", "item_resolved", "routed"])
    assert list(steps.filter(kind__in=["item_decided", "listing_removed", "closed"])
                .values_list("kind", "item__position")) == [
        ("item_decided", 1), ("item_decided", 2), ("listing_removed", 1),
        ("item_decided", 3), ("closed", None), ("listing_removed", 3)]
    # The clocks: decision stopped at the close, each takedown stopped when the worker took it down.
    eventually(lambda: not notice.clocks.filter(stopped_at=None).exists(), "the worker stops every clock")
    assert sorted(notice.clocks.values_list("kind", "item__position", "cancelled")) == [
        ("acknowledgement", None, False), ("seller_penalty", None, False), ("seller_penalty", None, False),
        ("takedown_decision", None, False), ("takedown_executed", 1, False), ("takedown_executed", 3, False)]
    # The repeat-infringer ladder: one strike per seller with a removal, a warning each, applied by the worker.
    assert sorted(steps.filter(kind__in=["strike_recorded", "penalty_decided", "penalty_applied"])
                  .values_list("kind", "details__seller")) == [
        ("penalty_applied", "S-1"), ("penalty_applied", "S-3"), ("penalty_decided", "S-1"),
        ("penalty_decided", "S-3"), ("strike_recorded", "S-1"), ("strike_recorded", "S-3")]

    # The e-mails: exactly these, once everything the worker was given is done.
    mailbox.wait_for(submitter, count=5)
    mailbox.wait_for(acme, count=2)  # the statement of reasons for the listing, and for the warning
    mailbox.wait_for(copper, count=2)
    worker.drain(mailbox)
    to_submitter = mailbox.to(submitter)
    assert [mail.subject for mail in to_submitter] == [
        "Confirm your notice about 3 listings",
        f"Notice {notice.reference} received",
        f"Notice {notice.reference} is with a reviewer",
        f"Notice {notice.reference}: decision on 2 listings",
        f"Notice {notice.reference}: decision on 1 listing",
    ]
    first, second = to_submitter[3:]
    assert (first.envelope_to, first.to, first.sender) == ([submitter], submitter, settings.DEFAULT_FROM_EMAIL)
    assert "1. https://portal.test/listings/L-100001/\n   Decision: removed" in first.text
    assert f"2. L-100003\n   Decision: rejected — {code.title}." in first.text
    assert f"What you can do: {code.submitter_text}" in first.text
    assert f"Reviewer's note: {note}" in first.text
    assert "L-100006" not in first.text
    assert "3. https://portal.test/listings/L-100006/\n   Decision: removed" in second.text
    assert "L-100001" not in second.text and code.submitter_text not in second.text
    for mail in (first, second):
        assert f"https://portal.test{notice.tracking_path()}" in mail.text

    for address, position, external_id in ((acme, 1, "L-100001"), (copper, 3, "L-100006")):
        [statement, warning] = sorted(mailbox.to(address), key=lambda mail: "account" in mail.subject)
        assert warning.subject == "Your seller account: warning (statement of reasons)"
        decision = removals[position]
        assert (statement.envelope_to, statement.to, statement.sender) == (
            [address], address, settings.DEFAULT_FROM_EMAIL)
        assert statement.subject == f"Your listing {external_id} was removed: statement of reasons"
        assert in_order(statement.text, STATEMENT_HEADINGS), statement.text
        assert f"reference {notice.reference}" in statement.text
        seller_path = f"/statement/{decision.pk}/{decision.seller_token}/"
        assert re.findall(r"https?://\S+/statement/\S+", statement.text) == [f"https://portal.test{seller_path}"]
        assert f'href="https://portal.test{seller_path}"' in statement.html
        # The submitter's link is not in the seller's mail, nor the seller's link in the submitter's.
        assert notice.tracking_token not in statement.text
        assert all(decision.seller_token not in mail.text for mail in to_submitter)
    assert mailbox.to(bright) == []
    assert eventually(
        lambda: sorted(OutboundEmail.objects.filter(kind="statement_of_reasons").values_list("to", "status"))
        == sorted([(acme, "sent"), (copper, "sent")]),
        "the worker records the statements as sent", timeout=10)

    # The seller's private page shows the statement; a wrong token shows nothing.
    seller = Client()
    decision = removals[1]
    page = seller.get(decision.seller_path())
    assert page.status_code == 200
    text = page.content.decode()
    assert "<h1 class=\"h3\">Statement of reasons</h1>" in text
    assert "For Acme Outlet (S-1)." in text
    assert "The listing came down at the marketplace on" in text
    assert in_order(text, STATEMENT_HEADINGS)
    assert "L-100001" in text and notice.reference in text
    assert seller.get(f"/statement/{decision.pk}/{'x' * len(decision.seller_token)}/").status_code == 404
    assert seller.get(f"/statement/{rejection.pk}/{decision.seller_token}/").status_code == 404

    # The public listing pages.
    assert "This listing has been removed" in seller.get("/listings/L-100001/").content.decode()
    assert "This listing has been removed" in seller.get("/listings/L-100006/").content.decode()
    assert "This listing has been removed" not in seller.get("/listings/L-100003/").content.decode()


def test_a_counter_notice_puts_the_listing_back_through_the_worker_and_everyone_is_told(
        settings, catalogue, reviewers, mailbox, worker):
    """Removal, strike and warning, counter-notice found complete, the window runs out: the beat's
    restore task (run here through the worker) restores the listing, reverses the strike and lifts
    the warning, and the seller and the rights holder both receive the news over SMTP."""
    bright = Seller.objects.get(external_id="S-2")
    bright.email = f"bright-{uuid.uuid4().hex[:10]}@sellers.example"
    bright.save(update_fields=["email"])
    submitter = unique_address()
    notice = file_notice(timezone.now(), items=[("L-100003", "counterfeit")], submitter_email=submitter)
    workflow.confirm_notice(notice, timezone.now())
    notice = routed_by_worker(notice)
    [decision] = workflow.decide_items(notice, reviewers["tm"], [
        workflow.ItemDecision(notice.items.get().pk, "remove")], timezone.now())
    eventually(lambda: Listing.objects.filter(external_id="L-100003", status="removed").exists(),
               "the worker takes L-100003 down")
    eventually(lambda: Penalty.objects.filter(strike__notice=notice, applied_at__isnull=False).exists(),
               "the worker applies the warning")

    seller_address = f"li-{uuid.uuid4().hex[:8]}@bright.example"
    counter_notice = counter_notices.file_counter_notice(decision, {
        "material": "Listing L-100003 at https://portal.test/listings/L-100003/",
        "explanation": "Genuine goods bought from the brand's EU distributor; invoice available.",
        "statement_mistake": True, "consent_jurisdiction": True, "full_name": "Li Wei",
        "address": "12 Harbour Road, Shenzhen", "phone": "+86 755 1234 5678", "email": seller_address,
        "signature": "Li Wei"}, timezone.now())
    settings.COUNTER_NOTICE_WINDOW_SECONDS = 1  # the demo window; production is 10-14 business days
    counter_notice = counter_notices.accept_counter_notice(counter_notice, reviewers["cr"], timezone.now())
    time.sleep(1.5)
    tasks.restore_counter_noticed_listings.delay()

    eventually(lambda: Listing.objects.filter(external_id="L-100003", status="active").exists(),
               "the worker restores L-100003 at the marketplace")
    eventually(lambda: Decision.objects.filter(pk=decision.pk, listing_restored_at__isnull=False).exists(),
               "the worker records the restore")
    assert CounterNotice.objects.get(pk=counter_notice.pk).status == "restored"
    assert notice.items.get().state == "restored"
    assert Strike.objects.get(notice=notice).reversed_at is not None
    assert Penalty.objects.get(strike__notice=notice).lift_reason != ""
    assert notice.clocks.get(kind="counter_notice_restore").stopped_at is not None

    worker.drain(mailbox)
    day = legal.restore_time_text(counter_notice.restore_due_at)  # in New York time
    assert [mail.subject for mail in mailbox.to(seller_address)] == [
        "Counter-notice received: listing L-100003",
        f"Counter-notice complete: listing L-100003 to be restored at {day}",
        "Listing L-100003 is restored after your counter-notice"]
    assert [mail.subject for mail in mailbox.to(submitter)][-2:] == [
        f"Counter-notice on listing L-100003 (notice {notice.reference}): restore at {day}, unless you report a "
        "lawsuit",
        f"Listing L-100003 restored after a counter-notice (notice {notice.reference})"]
    [copy] = [mail for mail in mailbox.to(submitter) if mail.subject.startswith("Counter-notice on")]
    # 512(g)(2)(B): the seller's details go to the complainant.
    assert "Li Wei" in copy.text and seller_address in copy.text
