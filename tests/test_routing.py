"""Routing: listing resolution, duplicates, priority, assignment by skill and load, idempotency."""

import re
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils.formats import date_format

from takedowns import emails, routing, tasks, workflow
from takedowns.enums import ClockKind, EventKind, ItemState, NoticeStatus, RiskRuleCode
from takedowns.marketplace import LocalCatalogue, parse_listing_reference
from takedowns.models import (
    Event,
    Listing,
    Notice,
    NoticeItem,
    OutboundEmail,
    Reviewer,
    Right,
    RiskRule,
    Seller,
    SlaClock,
)
from takedowns.reports import clock_rollup, dashboard
from takedowns.workflow import clocks
from tests.factories import confirmed, file_notice, make_lead, make_reviewer

pytestmark = pytest.mark.django_db


def test_routing_resolves_each_listing_and_flags_what_cannot_be_reviewed(now, catalogue, reviewers):
    other = confirmed(now, items=[("L-100002", "counterfeit")])
    workflow.route_notice(other.pk, now)
    notice = confirmed(now, items=[
        ("https://portal.test/listings/L-100001/", "counterfeit"),   # found
        ("https://portal.test/listings/L-999999/", "counterfeit"),   # no such listing
        ("https://elsewhere.example/listings/L-100001/", "counterfeit"),  # not our marketplace
        ("l100005", "counterfeit"),                                  # removed already
        ("L-100002", "counterfeit"),                                 # under review in `other`
        ("http://localhost:8000/listings/L-100001", "trademark_misuse"),  # same listing twice
    ])

    workflow.route_notice(notice.pk, now)

    items = list(notice.items.order_by("position"))
    assert [(i.state, i.listing.external_id if i.listing else None) for i in items] == [
        (ItemState.IN_REVIEW, "L-100001"),
        (ItemState.NOT_FOUND, None),
        (ItemState.NOT_FOUND, None),
        (ItemState.ALREADY_REMOVED, "L-100005"),
        (ItemState.DUPLICATE, "L-100002"),
        (ItemState.DUPLICATE, "L-100001"),
    ]
    assert items[4].duplicate_of == other.items.get()
    assert items[5].duplicate_of == items[0]
    resolved = Event.objects.filter(notice=notice, kind=EventKind.ITEM_RESOLVED).order_by("item__position")
    assert [(e.item.position, e.from_status, e.to_status) for e in resolved] == [
        (i.position, ItemState.NEW, i.state) for i in items]
    assert resolved[0].details == {"reported": "https://portal.test/listings/L-100001/", "listing": "L-100001",
                                   "seller": "S-1"}
    # The copies risk screening's burst rule counts on (item_seller_filed): the seller of each found
    # listing (none for a listing that was not found) and the notice's filing time.
    assert [i.seller.external_id if i.seller else None for i in items] == ["S-1", None, None, "S-1", "S-1", "S-1"]
    assert {i.filed_at for i in items} == {notice.created_at}


def test_routing_assigns_the_skilled_reviewer_and_records_why(now, catalogue, reviewers,
                                                              django_capture_on_commit_callbacks):
    notice = confirmed(now, items=[("L-100003", "counterfeit")])  # a toy from a seller with 2 strikes
    Right.objects.create(right_type="trademark", registration_number="018234567", office="EUIPO",
                         owner_name="Aerostride GmbH")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.route_notice(notice.pk, now)

    notice.refresh_from_db()
    assert notice.status == NoticeStatus.IN_REVIEW
    assert notice.assigned_to == reviewers["tm"]
    assert notice.routed_at == now
    assert notice.priority == 30 + 30 + 10 + 10
    assert notice.verified_right is not None
    event = notice.events.get(kind=EventKind.ROUTED)
    assert (event.actor_kind, event.from_status, event.to_status) == ("system", "confirmed", "in_review")
    assert event.details == {
        "reviewer": "tm",
        "assignment_rule": "reviewer with the skill for this right (Trademark), lowest open load (0)",
        "assignment_term": {"code": "skilled", "right_type": "trademark", "high_risk": False, "open_load": 0},
        "priority": 80,
        "priority_rules": ["counterfeit reported (+30)", "safety-relevant goods (+30)",
                           "right found in the verified register (+10)", "seller has 2 strikes (+10)"],
        "priority_terms": [{"code": "counterfeit", "points": 30}, {"code": "safety", "points": 30},
                           {"code": "verified_right", "points": 10}, {"code": "strikes", "strikes": 2, "points": 10}],
        # The first notice from aerostride.example, naming an organisation (risk.py's new_domain_company).
        "risk": {"score": 15, "band": "low"},
        "items": {"in_review": 1},
    }
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["anna@aerostride.example"], f"Notice {notice.reference} is with a reviewer"),
        (["tm@portal.test"], f"New notice for you: {notice.reference} (priority 80)")]
    assert "1. L-100003 — Waiting for the reviewer's decision" in mail.outbox[0].body
    assert f"https://portal.test/review/notices/{notice.reference}/" in mail.outbox[1].body
    # Staff mail stays off the submitter's tracking page.
    assert list(notice.emails.values_list("kind", flat=True)) == ["confirm_notice", "notice_received", "notice_routed"]


def test_routing_stores_both_e_mails_in_one_insert_and_sends_each(now, catalogue, reviewers,
                                                                 django_capture_on_commit_callbacks):
    notice = confirmed(now)
    mail.outbox.clear()
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
        workflow.route_notice(notice.pk, now)

    inserts = [q["sql"] for q in queries if q["sql"].startswith('INSERT INTO "takedowns_outboundemail"')]
    assert len(inserts) == 1
    routed = OutboundEmail.objects.filter(kind__in=["notice_routed", "new_assignment"]).order_by("pk")
    assert [(e.kind, e.to, e.notice_id, e.status) for e in routed] == [
        ("notice_routed", "anna@aerostride.example", notice.pk, "sent"),
        ("new_assignment", "tm@portal.test", None, "sent")]
    assert [m.to for m in mail.outbox] == [["anna@aerostride.example"], ["tm@portal.test"]]


def test_routing_publishes_one_send_task_for_both_e_mails(now, catalogue, reviewers,
                                                          django_capture_on_commit_callbacks):
    notice = confirmed(now)
    with mock.patch.object(tasks.send_emails, "apply_async") as send_emails, \
            mock.patch.object(tasks.send_email, "apply_async") as send_email, \
            django_capture_on_commit_callbacks(execute=True):
        workflow.route_notice(notice.pk, now)
    ids = list(OutboundEmail.objects.filter(kind__in=["notice_routed", "new_assignment"]).order_by("pk")
               .values_list("pk", flat=True))
    send_emails.assert_called_once_with(kwargs={"email_ids": ids})
    send_email.assert_not_called()


def test_a_reviewer_without_an_address_gets_no_assignment_mail(now, catalogue, reviewers,
                                                               django_capture_on_commit_callbacks):
    reviewers["tm"].user.email = ""
    reviewers["tm"].user.save()
    notice = confirmed(now)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.route_notice(notice.pk, now)
    assert [m.to for m in mail.outbox] == [["anna@aerostride.example"]]
    assert not OutboundEmail.objects.filter(kind="new_assignment").exists()


def test_routing_a_notice_takes_twenty_statements(now, catalogue, reviewers, django_assert_num_queries):
    """Routing throughput is bounded by its statements (bench/RESULTS.md); a new one shows here. One notice
    goes through route_notices' steps (issue 15), each a statement for the whole batch."""
    notice = confirmed(now, items=[("L-100001", "counterfeit"), ("L-100003", "counterfeit"),
                                   ("L-999999", "counterfeit")])
    clocks.active_policies()  # as in a running worker, which holds the policies already
    # SELECT … FOR UPDATE the notice; SELECT its items, their listings (one query), items in review of the
    # same listings; UPDATE the items; SELECT the right; SELECT the active reviewers and their skills (two:
    # the batch chooses among them in memory); SELECT and UPDATE the acknowledgement clock; INSERT the
    # decision clock; UPDATE the notice; INSERT the events; UPDATE the reviewer's load; UPDATE the sellers'
    # counters; INSERT both e-mails; INSERT the dispatch of their send task (published after commit, which
    # this test's transaction never reaches).
    # Risk screening (risk.py) adds three: SELECT the enabled rules; one SELECT of scalar subqueries about
    # earlier notices (the domain's, the registration's, those against each reported seller); SELECT the
    # sellers linked to the notifier. Plus SAVEPOINT and RELEASE: the test runs inside a transaction.
    with django_assert_num_queries(20 + 2):
        workflow.route_notice(notice.pk, now)
    assert Notice.objects.get(pk=notice.pk).status == NoticeStatus.IN_REVIEW


def test_routing_twice_routes_once(now, catalogue, reviewers, django_capture_on_commit_callbacks):
    notice = confirmed(now)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.route_notice(notice.pk, now)
        workflow.route_notice(notice.pk, now + timedelta(seconds=5))
        tasks.route_notice.delay(notice_id=notice.pk)
    assert notice.events.filter(kind=EventKind.ROUTED).count() == 1
    assert notice.events.filter(kind=EventKind.ITEM_RESOLVED).count() == 1
    assert notice.emails.filter(kind="notice_routed").count() == 1


def test_routing_ignores_unconfirmed_withdrawn_and_missing_notices(now, catalogue, reviewers):
    unconfirmed = file_notice(now)
    assert workflow.route_notice(unconfirmed.pk, now).status == NoticeStatus.UNCONFIRMED
    withdrawn = confirmed(now)
    workflow.withdraw_notice(withdrawn, now)
    assert workflow.route_notice(withdrawn.pk, now).status == NoticeStatus.WITHDRAWN
    assert workflow.route_notice(10**9, now) is None
    assert not Event.objects.filter(kind__in=[EventKind.ROUTED, EventKind.ITEM_RESOLVED]).exists()


def test_the_least_loaded_skilled_reviewer_gets_the_notice(now, catalogue):
    busy = make_reviewer("busy", ["trademark"])
    idle = make_reviewer("idle", ["trademark"])
    make_reviewer("copyright-only", ["copyright"])
    # Two listings: a second notice on the first one's listing would be a duplicate, with nothing to decide.
    first, second = confirmed(now), confirmed(now, items=[("L-100002", "counterfeit")])
    workflow.route_notice(first.pk, now)
    workflow.route_notice(second.pk, now)
    assert [Notice.objects.get(pk=n.pk).assigned_to for n in (first, second)] == [busy, idle]
    assert {r.user.username: r.open_load for r in Reviewer.objects.filter(pk__in=[busy.pk, idle.pk])} == {
        "busy": 1, "idle": 1}

    workflow.withdraw_notice(second, now)  # a withdrawn notice no longer counts as load
    idle.refresh_from_db()
    assert idle.open_load == 0
    notice = confirmed(now, items=[("L-100002", "counterfeit")])
    workflow.route_notice(notice.pk, now)
    notice.refresh_from_db()
    assert notice.assigned_to == idle


def test_language_breaks_ties_between_equally_loaded_reviewers(now, catalogue):
    make_reviewer("en", ["copyright"], languages="en")
    french = make_reviewer("fr", ["copyright"], languages="en,fr")
    notice = confirmed(now, items=[("L-100001", "copyright_images")], right_type="copyright", language="fr")
    workflow.route_notice(notice.pk, now)
    notice.refresh_from_db()
    assert notice.assigned_to == french


def test_a_chinese_notice_goes_to_the_reviewer_who_lists_zh_hans_among_equals(now, catalogue):
    make_reviewer("en", ["copyright"], languages="en,de")
    chinese = make_reviewer("zh", ["copyright"], languages="en, zh-hans")  # a space after the comma is allowed
    notice = confirmed(now, items=[("L-100001", "copyright_images")], right_type="copyright", language="zh-hans")
    workflow.route_notice(notice.pk, now)
    notice.refresh_from_db()
    assert notice.assigned_to == chinese


def test_a_language_matches_a_listed_code_exactly_never_a_part_of_one(db):
    """Listed first, the reviewer with "zh-hans" would win a prefix match for "zh" (or "hans")."""
    make_reviewer("hans", ["copyright"], languages="en,zh-hans")
    zh = make_reviewer("zh", ["copyright"], languages="en,zh")
    assert routing.choose_reviewer("copyright", "zh").reviewer == zh
    assert routing.choose_reviewer("copyright", "hans").reviewer.user.username == "hans"  # nobody speaks it: by id
    for language, speaks in (("zh-hans", {"hans": 0, "zh": 1}), ("en", {"hans": 0, "zh": 0}),
                             ("h", {"hans": 1, "zh": 1})):
        annotated = Reviewer.objects.annotate(speaks=routing._speaks(language))
        assert {r.user.username: r.speaks for r in annotated} == speaks


def test_without_a_skilled_reviewer_the_least_loaded_active_one_takes_it(now, catalogue, reviewers):
    make_reviewer("inactive-patent", ["patent"], active=False)
    notice = confirmed(now, items=[("L-100004", "patent")], right_type="patent")
    workflow.route_notice(notice.pk, now)
    notice.refresh_from_db()
    assert notice.assigned_to == reviewers["tm"]
    assert notice.events.get(kind=EventKind.ROUTED).details["assignment_rule"] == (
        "no active reviewer with the skill for this right (Patent); lowest open load (0)")


def test_without_any_reviewer_routing_waits_and_says_so_once(now, catalogue):
    notice = confirmed(now)
    workflow.route_notice(notice.pk, now)
    workflow.route_notice(notice.pk, now)
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.CONFIRMED
    deferred = notice.events.filter(kind=EventKind.ROUTING_DEFERRED)
    assert [e.details for e in deferred] == [{"rule": "no active reviewer",
                                                  "rule_term": {"right_type": "trademark", "high_risk": False,
                                                                "code": "none"}}]

    reviewer = make_reviewer("late", ["trademark"])
    workflow.route_notice(notice.pk, now)
    notice.refresh_from_db()
    assert (notice.status, notice.assigned_to) == (NoticeStatus.IN_REVIEW, reviewer)


def test_the_sweep_finds_confirmed_notices_unrouted_after_the_grace_period(now, settings, catalogue, reviewers):
    settings.ROUTING_GRACE_SECONDS = 120
    lost = confirmed(now - timedelta(minutes=5))
    recent = confirmed(now - timedelta(seconds=30))
    file_notice(now - timedelta(hours=1))  # unconfirmed: nothing to route
    assert workflow.unrouted_notice_ids(now) == [lost.pk]
    assert recent.pk not in workflow.unrouted_notice_ids(now)

    assert tasks.sweep_unrouted() == 1  # eager in tests: the re-enqueued task routes it
    lost.refresh_from_db()
    assert lost.status == NoticeStatus.IN_REVIEW


def test_priority_rules_are_pure_and_named(catalogue):
    plain = routing.score_priority(["trademark_misuse"], [catalogue["L-100001"]], right_verified=False)
    assert plain == routing.Priority(0, [])
    full = routing.score_priority(["counterfeit"], [catalogue["L-100003"]], right_verified=True)
    assert full.score == 80
    catalogue["L-100003"].seller.strike_count = 9
    capped = routing.score_priority(["design"], [catalogue["L-100003"]], right_verified=False)
    assert capped == routing.Priority(30 + 25, [{"code": "safety", "points": 30},
                                                {"code": "strikes", "strikes": 9, "points": 25}])
    assert capped.rules == ["safety-relevant goods (+30)", "seller has 9 strikes (+25)"]
    catalogue["L-100003"].seller.strike_count = 1
    assert routing.score_priority([], [catalogue["L-100003"]], False).rules[-1] == "seller has 1 strike (+5)"


@pytest.mark.parametrize(("reference", "expected"), [
    ("L-100001", "L-100001"),
    ("l100001", "L-100001"),
    ("  L-42  ", "L-42"),
    ("https://portal.test/listings/L-100001/", "L-100001"),
    ("http://portal.test:8080/listings/l-100001", "L-100001"),
    ("https://portal.test/listings/L-100001/edit/", None),
    ("https://evil.example/listings/L-100001/", None),
    ("ftp://portal.test/listings/L-100001/", None),
    ("listing 100001", None),
])
def test_listing_references_are_parsed_only_for_our_catalogue(reference, expected):
    assert parse_listing_reference(reference, {"portal.test"}) == expected


def test_the_local_catalogue_resolves_in_one_query(catalogue, django_assert_num_queries):
    references = [f"L-10000{n}" for n in range(1, 6)] + ["L-999"]
    with django_assert_num_queries(1):
        found = LocalCatalogue().resolve_many(references)
    assert {ref: (listing.external_id if listing else None) for ref, listing in found.items()} == {
        "L-100001": "L-100001", "L-100002": "L-100002", "L-100003": "L-100003", "L-100004": "L-100004",
        "L-100005": "L-100005", "L-999": None}


def test_routing_keeps_a_snapshot_of_each_listing_as_it_was(now, catalogue, reviewers):
    notice = confirmed(now, items=[("L-100001", "counterfeit"), ("L-999999", "counterfeit")])
    workflow.route_notice(notice.pk, now)
    catalogue["L-100001"].title = "Edited by the seller"
    catalogue["L-100001"].save()
    items = list(notice.items.order_by("position"))
    assert items[0].listing_snapshot == {"title": "Listing 1", "category": "shoes", "price": "19.99", "currency": "EUR",
                                         "status": "active", "seller": "S-1", "seller_name": "Acme Outlet",
                                         "description": "", "image": ""}
    assert items[1].listing_snapshot is None


def test_routing_counts_each_found_listing_against_its_seller(now, catalogue, reviewers):
    notice = confirmed(now, items=[("L-100001", "counterfeit"), ("L-100002", "counterfeit"),
                                   ("L-100003", "counterfeit"), ("L-100005", "counterfeit"),
                                   ("L-999999", "counterfeit")])
    workflow.route_notice(notice.pk, now)
    acme, bright = catalogue["L-100001"].seller, catalogue["L-100003"].seller
    acme.refresh_from_db()
    bright.refresh_from_db()
    # Three of Acme's listings (one already removed) and one of Bright's; the unknown one counts for nobody.
    assert (acme.reported_items, bright.reported_items) == (3, 1)

    workflow.route_notice(confirmed(now, items=[("L-100004", "counterfeit")]).pk, now)
    acme.refresh_from_db()
    bright.refresh_from_db()
    assert (acme.reported_items, bright.reported_items) == (3, 2)


# --- A notice with no listing left to decide (issue 12, item 6). ---

def test_nothing_to_decide_is_a_pure_rule_over_the_listings_states():
    assert routing.nothing_to_decide(["not_found", "already_removed", "duplicate"])
    assert not routing.nothing_to_decide(["not_found", "in_review"])
    assert not routing.nothing_to_decide([])  # a notice always has listings; no states decides nothing


def _undecidable_notice(now):
    """Anna's own notice has L-100002 under review, another notifier's has L-100004; then Anna files one
    about those two, a listing that does not exist and a removed one (L-100005). Returns it, routed."""
    mine = confirmed(now, items=[("L-100002", "counterfeit")])
    theirs = confirmed(now, items=[("L-100004", "counterfeit")], submitter_email="legal@other-brand.example")
    workflow.route_notice(mine.pk, now)
    workflow.route_notice(theirs.pk, now)
    notice = confirmed(now, items=[("https://portal.test/listings/L-999999/", "counterfeit"),
                                   ("L-100005", "counterfeit"), ("L-100002", "counterfeit"),
                                   ("L-100004", "counterfeit")])
    return mine, notice


def test_a_notice_with_nothing_to_decide_closes_at_routing_and_tells_the_submitter_why(now, catalogue, reviewers):
    mine, notice = _undecidable_notice(now)
    at = now + timedelta(minutes=3)
    workflow.route_notice(notice.pk, at)

    notice.refresh_from_db()
    # Routed (handled by routing, screened: risk band low) to no reviewer, and closed at once.
    assert (notice.status, notice.closed_at, notice.assigned_to, notice.routed_at, notice.risk_band) == (
        NoticeStatus.CLOSED, at, None, at, "low")
    assert list(notice.items.order_by("position").values_list("state", flat=True)) == [
        ItemState.NOT_FOUND, ItemState.ALREADY_REMOVED, ItemState.DUPLICATE, ItemState.DUPLICATE]
    # The acknowledgement clock stops as at any routing; no decision clock starts.
    assert list(SlaClock.objects.filter(notice=notice).values_list("kind", "stopped_at", "cancelled")) == [
        (ClockKind.ACKNOWLEDGEMENT, at, False)]
    assert Reviewer.objects.get(pk=reviewers["tm"].pk).open_load == 2  # the two other notices
    events = list(notice.events.filter(created_at=at).order_by("pk").values_list("kind", "from_status",
                                                                                 "to_status", "details"))
    assert [kind for kind, *_ in events] == [EventKind.ITEM_RESOLVED] * 4 + [EventKind.CLOCK_STOPPED,
                                                                           EventKind.NOTHING_TO_DECIDE]
    assert events[-1][1:] == (NoticeStatus.CONFIRMED, NoticeStatus.CLOSED,
                              {"items": {"already_removed": 1, "duplicate": 2, "not_found": 1}})
    assert events[-2][3]["clock"] == ClockKind.ACKNOWLEDGEMENT and events[-2][3]["cancelled"] is False

    [email] = OutboundEmail.objects.filter(notice=notice).exclude(kind__in=["confirm_notice", "notice_received"])
    assert (email.kind, email.to, email.subject) == (
        "nothing_to_decide", "anna@aerostride.example",
        f"Notice {notice.reference} is closed: none of its listings could be reviewed")
    for text in (
        "none of them can be reviewed. We have therefore closed the notice: no reviewer will decide it, and no "
        "listing is taken down because of it.",
        "  1. https://portal.test/listings/L-999999/\n     Not found at the marketplace: no listing has this address "
        "or ID. Check it against the marketplace's listings (https://portal.test/listings/) and file the listing "
        "again with its exact address or ID.",
        "  2. L-100005\n     Already removed from the marketplace: there is nothing left to take down.",
        f"  3. L-100002\n     Already under review in your notice {mine.reference}: its decision covers this listing.",
        "  4. L-100004\n     Already under review in another notifier's open notice: its decision covers this "
        "listing. If the listing is still online after that decision, file it again.",
        "How to fix it: file a new notice for the listings you still want removed, with each listing's exact "
        "address or ID as the marketplace shows it: https://portal.test/notices/new/",
        "under Art. 16(5) of the EU Digital Services Act",
    ):
        assert text in email.body_text
    # The other notifier's reference is theirs: not in Anna's e-mail.
    other = Notice.objects.get(submitter_email="legal@other-brand.example")
    assert other.reference not in email.body_text and other.reference not in email.body_html
    assert f"Already under review in your notice {mine.reference}" in email.body_html

    # Routing again does nothing: the notice is closed.
    workflow.route_notice(notice.pk, at + timedelta(minutes=1))
    assert OutboundEmail.objects.filter(notice=notice, kind="nothing_to_decide").count() == 1


def test_a_closed_notice_cannot_be_reopened_for_review_by_routing_nor_closed_twice(now, catalogue, reviewers):
    _, notice = _undecidable_notice(now)
    workflow.route_notice(notice.pk, now)
    notice.refresh_from_db()
    assert workflow.close_undecidable_notices(now) == 0  # closed already: not in review
    with pytest.raises(workflow.TransitionNotAllowed, match="'Closed' cannot become 'Withdrawn"):
        workflow.withdraw_notice(notice, now)


def test_the_tracking_page_shows_the_notice_closed_at_routing_with_each_listings_outcome(client, now, catalogue,
                                                                                        reviewers):
    _, notice = _undecidable_notice(now)
    workflow.route_notice(notice.pk, now)
    notice.refresh_from_db()
    page = client.get(notice.tracking_path()).content.decode()
    assert '<span class="badge fs-6 bg-info text-dark" id="notice-status">Closed</span>' in page
    assert "none of the listings it reports could be reviewed" in page
    assert "with a reviewer since" not in page.lower()
    routed_at = date_format(notice.routed_at, "DATETIME_FORMAT")  # the language's format (issue 13)
    assert f'Closed at routing</dt><dd class="col-sm-9" id="routed-at">{routed_at}: no ' \
           "listing could be reviewed</dd>" in page
    rows = re.findall(r'<tr class="[^"]*" data-state="([a-z_]+)">', page)
    assert rows == ["not_found", "already_removed", "duplicate", "duplicate"]
    for text in ("Listing not found at the marketplace", "Listing already removed",
                 "already under review in another notice", "Closed: no reported listing could be reviewed",
                 f"Notice {notice.reference} is closed: none of its listings could be reviewed"):
        assert text in page


def test_a_notice_left_in_review_with_nothing_to_decide_is_closed_by_the_beat(now, catalogue, reviewers):
    """Before issue 12 routing put such a notice in review, with a decision clock nobody could stop. The
    beat closes it: the clock cancelled (out of the figures, and it cannot breach any more), the reviewer
    relieved, the submitter told; a notice with a listing to decide is left alone."""
    stuck = confirmed(now, items=[("L-100001", "counterfeit")])
    workflow.route_notice(stuck.pk, now)
    # As routing left it before issue 12: the listing was already removed, the notice in review all the same.
    stuck.items.update(state=ItemState.ALREADY_REMOVED)
    waiting = confirmed(now, items=[("L-100002", "counterfeit")])
    workflow.route_notice(waiting.pk, now)
    tm = Reviewer.objects.get(pk=reviewers["tm"].pk)
    assert tm.open_load == 2
    assert workflow.routing.undecidable_notice_ids() == [stuck.pk]

    at = now + timedelta(hours=5)
    assert workflow.close_undecidable_notices(at) == 1

    stuck.refresh_from_db()
    assert (stuck.status, stuck.closed_at) == (NoticeStatus.CLOSED, at)
    decision_clock = SlaClock.objects.get(notice=stuck, kind=ClockKind.TAKEDOWN_DECISION)
    assert (decision_clock.stopped_at, decision_clock.cancelled, decision_clock.breached_at) == (at, True, None)
    assert not clock_rollup.counted_clocks().filter(pk=decision_clock.pk).exists()
    clocks.process_due(now + timedelta(days=3))  # long after its due time: no breach, no warning
    assert not stuck.events.filter(kind__in=[EventKind.CLOCK_BREACHED, EventKind.CLOCK_WARNED]).exists()
    tm.refresh_from_db()
    assert tm.open_load == 1
    assert list(stuck.events.filter(created_at=at).order_by("pk").values_list("kind", "from_status", "to_status")) == [
        (EventKind.CLOCK_STOPPED, "", ""), (EventKind.NOTHING_TO_DECIDE, NoticeStatus.IN_REVIEW, NoticeStatus.CLOSED)]
    [email] = OutboundEmail.objects.filter(notice=stuck, kind="nothing_to_decide")
    assert email.to == "anna@aerostride.example"
    assert "  1. L-100001\n     Already removed from the marketplace" in email.body_text
    waiting.refresh_from_db()
    assert waiting.status == NoticeStatus.IN_REVIEW
    assert workflow.close_undecidable_notices(at) == 0


def test_a_stuck_notice_whose_clock_already_breached_leaves_the_running_and_the_duration_figures(now, catalogue,
                                                                                                reviewers):
    """The breach it already had stays in the event log (it happened); the cancelled clock is no longer
    running (the dashboard's breached clocks) and measures nothing (durations, share within target)."""
    stuck = confirmed(now, items=[("L-100001", "counterfeit")])
    workflow.route_notice(stuck.pk, now)
    stuck.items.update(state=ItemState.DUPLICATE)
    clocks.process_due(now + timedelta(days=2))
    clock = SlaClock.objects.get(notice=stuck, kind=ClockKind.TAKEDOWN_DECISION)
    assert clock.breached_at is not None and clock.stopped_at is None
    assert dashboard.running_clocks()[ClockKind.TAKEDOWN_DECISION]["breached"] == 1

    assert workflow.close_undecidable_notices(now + timedelta(days=3)) == 1
    clock.refresh_from_db()
    assert (clock.stopped_at, clock.cancelled) == (now + timedelta(days=3), True)
    assert dashboard.running_clocks()[ClockKind.TAKEDOWN_DECISION]["breached"] == 0
    assert not clock_rollup.counted_clocks().filter(pk=clock.pk).exists()


def test_the_hourly_beat_task_closes_the_notices_left_in_review_with_nothing_to_decide(now, catalogue, reviewers):
    stuck = confirmed(now, items=[("L-100001", "counterfeit")])
    workflow.route_notice(stuck.pk, now)
    stuck.items.update(state=ItemState.NOT_FOUND, listing=None)
    assert tasks.close_undecidable_notices.apply().get() == 1
    stuck.refresh_from_db()
    assert stuck.status == NoticeStatus.CLOSED
    assert tasks.close_undecidable_notices.apply().get() == 0


# --- Issue 15: routing in batches (workflow.route_notices, route_with_waiting). ---

def _burst_scenario(now):
    """Confirmed notices a burst brings, each confirmed a second after the one before (the last two at
    once): two notices of the batch on one listing, one on a listing in review in an earlier notice, one
    with nothing to decide, a copyright notice in French, a high-risk one nobody designated may take (the
    leads are e-mailed), the seller-burst rule counting the batch's own notices (threshold 2), and two
    trademark reviewers whose loads decide who gets the next notice."""
    make_reviewer("tm", ["trademark"])
    make_reviewer("tm2", ["trademark"])
    make_reviewer("cr", ["copyright"], languages="en,fr")
    make_lead("lead")
    RiskRule.objects.filter(code=RiskRuleCode.SELLER_BURST).update(threshold=2)
    earlier = confirmed(now - timedelta(minutes=5), items=[("L-100002", "counterfeit")])
    workflow.route_notice(earlier.pk, now - timedelta(minutes=4))
    more = _more_listings(4)
    specs = [
        {"items": [("L-100001", "counterfeit")]},
        {"items": [("https://portal.test/listings/L-100001/", "trademark_misuse"), ("L-100003", "counterfeit")]},
        {"items": [("L-100002", "counterfeit"), ("L-999999", "counterfeit")]},  # nothing to decide
        {"items": [(more[0], "copyright_images")], "right_type": "copyright", "language": "fr"},
        {"items": [(more[1], "counterfeit")], "submitter_email": "brand.legal@gmail.com",
         "right_registration_number": "999"},  # free mail + unknown registration + burst: high risk
        {"items": [(more[2], "counterfeit"), ("L-100003", "counterfeit")]},
        {"items": [(more[3], "design")], "right_type": "design"},
    ]
    # The last two filed at the same moment: the burst rule counts neither in the other (the later unrouted).
    return [confirmed(now + timedelta(seconds=min(index, 5)), **spec).pk for index, spec in enumerate(specs)]


def _routing_state(notice_ids):
    """Everything routing writes about these notices, with row ids replaced by what they stand for."""
    notices = {pk: index for index, pk in enumerate(notice_ids)}
    item_keys = {item.pk: (notices.get(item.notice_id, item.notice.reference), item.position)
                 for item in NoticeItem.objects.select_related("notice")}
    clock_keys = {clock.pk: (notices[clock.notice_id], clock.kind) for clock in
                  SlaClock.objects.filter(notice_id__in=notice_ids)}

    def details(event):
        values = dict(event.details)
        if "clock_id" in values:
            values["clock_id"] = clock_keys[values["clock_id"]]
        return values

    return {
        "notices": [(notices[n.pk], n.status, n.assigned_to.user.username if n.assigned_to else None, n.routed_at,
                     n.priority, n.verified_right_id, n.due_at, n.risk_score, n.risk_band, n.risk_reasons, n.closed_at)
                    for n in Notice.objects.filter(pk__in=notice_ids).order_by("pk")],
        "items": [(item_keys[i.pk], i.state, i.listing_id, item_keys.get(i.duplicate_of_id), i.listing_snapshot,
                   i.seller_id, i.filed_at) for i in NoticeItem.objects.filter(notice_id__in=notice_ids)],
        "events": [(notices[e.notice_id], item_keys.get(e.item_id), e.kind, e.actor_kind, e.from_status, e.to_status,
                    e.created_at, details(e)) for e in Event.objects.filter(notice_id__in=notice_ids).order_by(
                        "notice_id", "pk")],
        "clocks": sorted([(clock_keys[c.pk], c.policy_id, c.target, c.started_at, c.due_at, c.warn_at, c.stopped_at,
                           c.elapsed, c.cancelled, c.reopened)
                          for c in SlaClock.objects.filter(notice_id__in=notice_ids)], key=repr),
        "emails": sorted([(notices.get(e.notice_id), e.kind, e.to, e.subject, e.body_text, e.body_html, e.language)
                          for e in OutboundEmail.objects.exclude(kind__in=["confirm_notice", "notice_received"])],
                         key=repr),
        "loads": sorted(Reviewer.objects.values_list("user__username", "open_load")),
        "sellers": sorted(Seller.objects.values_list("external_id", "reported_items")),
    }


def test_a_batch_routes_as_routing_one_notice_after_the_other(now, catalogue):
    """The same burst routed one by one (route_notice) and as one batch (route_notices) from the same
    state: the same statuses, reviewers, priorities, risk, items, events, clocks, e-mails and counters."""
    notice_ids = _burst_scenario(now)
    at = now + timedelta(minutes=1)
    savepoint = transaction.savepoint()
    for notice_id in notice_ids:
        workflow.route_notice(notice_id, at)
    one_by_one = _routing_state(notice_ids)
    transaction.savepoint_rollback(savepoint)
    assert not Event.objects.filter(notice_id__in=notice_ids, kind=EventKind.ITEM_RESOLVED).exists()

    routed = workflow.route_notices(list(reversed(notice_ids)), at)  # routed in id order whatever the order given

    assert [notice.pk for notice in routed] == notice_ids
    assert _routing_state(notice_ids) == one_by_one
    # The scenario covers what it says: a duplicate inside the batch, one closed, one waiting for the leads,
    # the burst rule fired by the batch's own notices, both trademark reviewers given notices.
    states = one_by_one
    assert [(n[1], n[2], n[8]) for n in states["notices"]] == [
        ("in_review", "tm2", "medium"), ("in_review", "tm", "medium"), ("closed", None, "medium"),
        ("in_review", "cr", "medium"), ("in_review", None, "high"), ("in_review", "tm2", "medium"),
        ("in_review", "lead", "medium")]  # "earlier" went to tm, so tm2 first; design: the least loaded of all
    assert [key for key, state, *_ in states["items"] if state == "duplicate"] == [(1, 1), (2, 1), (5, 2)]
    burst = [reason["text"] for n in states["notices"] for reason in n[9] if reason["code"] == "seller_burst"]
    assert burst[:2] == ["2 notices against seller S-1 within 1 day, this one included",
                         "3 notices against seller S-1 within 1 day, this one included"]
    assert {kind for _, kind, *_ in states["emails"]} >= {"notice_routed", "new_assignment", "high_risk_waiting",
                                                           "nothing_to_decide"}


def _more_listings(count):
    """`count` active listings of Acme Outlet (S-1) beyond the catalogue's, by external id."""
    seller = Seller.objects.get(external_id="S-1")
    Listing.objects.bulk_create([Listing(external_id=f"L-4{number:05d}", seller=seller, title=f"Bag {number}",
                                         category="bags", price=Decimal("9.99")) for number in range(count)])
    return [f"L-4{number:05d}" for number in range(count)]


def test_a_batch_takes_the_same_statements_for_three_notices_as_for_thirty(now, catalogue, reviewers):
    """Routing in batches is set-based: each step is a statement or two for all the notices."""
    clocks.active_policies()
    listings = _more_listings(66)
    counts = []
    for size in (3, 30):
        ids = [confirmed(now, items=[(listings.pop(), "counterfeit"), (listings.pop(), "counterfeit"),
                                     ("L-999999", "counterfeit")]).pk for _ in range(size)]
        with CaptureQueriesContext(connection) as queries:
            workflow.route_notices(ids, now)
        counts.append(len(queries))
        assert set(Notice.objects.filter(pk__in=ids).values_list("status", flat=True)) == {NoticeStatus.IN_REVIEW}
    # SAVEPOINT; SELECT … FOR UPDATE the notices; their items; the listings; items in review of those
    # listings; UPDATE the items; SELECT the rights; risk: the rules, one SELECT of the scalar subqueries, the
    # linked sellers; the reviewers and their skills; SELECT and UPDATE the acknowledgement clocks; INSERT the
    # decision clocks; UPDATE the notices; INSERT the events; UPDATE the reviewers' loads; UPDATE the sellers;
    # INSERT the e-mails and the dispatch of their send task; RELEASE.
    assert counts == [22, 22]


def test_the_routing_task_routes_the_notices_waiting_with_its_own(now, catalogue, reviewers, settings,
                                                                  django_capture_on_commit_callbacks):
    settings.ROUTING_BATCH_SIZE = 3
    ids = [confirmed(now, items=[(listing, "counterfeit")]).pk for listing in _more_listings(4)]
    stale = confirmed(now - timedelta(hours=1), items=[("L-100003", "counterfeit")])  # the sweep's
    with django_capture_on_commit_callbacks(execute=True):
        tasks.route_notice.delay(notice_id=ids[2])
    statuses = dict(Notice.objects.filter(pk__in=[*ids, stale.pk]).values_list("pk", "status"))
    assert [statuses[pk] for pk in ids] == ["in_review", "in_review", "in_review", "confirmed"]
    assert statuses[stale.pk] == "confirmed"
    with django_capture_on_commit_callbacks(execute=True):
        tasks.route_notice.delay(notice_id=ids[0])  # its notice was routed: it routes the one left
    assert Notice.objects.get(pk=ids[3]).status == "in_review"
    assert Event.objects.filter(notice_id__in=ids, kind=EventKind.ROUTED).count() == 4


def test_the_routing_task_leaves_a_notice_waiting_for_a_reviewer_to_the_sweep(now, catalogue):
    """A notice that found no reviewer free is not routed again by every message of a burst."""
    deferred = confirmed(now)
    workflow.route_notice(deferred.pk, now)
    assert deferred.events.filter(kind=EventKind.ROUTING_DEFERRED).count() == 1
    make_reviewer("tm", ["trademark"])
    fresh = confirmed(now, items=[("L-100002", "counterfeit")])
    assert [notice.pk for notice in workflow.route_with_waiting(fresh.pk, now)] == [fresh.pk]
    assert Notice.objects.get(pk=deferred.pk).status == NoticeStatus.CONFIRMED
    assert deferred.events.filter(kind=EventKind.ITEM_RESOLVED).count() == 1  # not resolved again
    workflow.route_notice(deferred.pk, now)  # the sweep's message
    assert Notice.objects.get(pk=deferred.pk).status == NoticeStatus.IN_REVIEW


def test_a_batch_defers_notices_no_reviewer_can_take_and_says_so_once(now, catalogue):
    ids = [confirmed(now).pk, confirmed(now, items=[("L-100002", "counterfeit")]).pk]
    workflow.route_notices(ids, now)
    workflow.route_notices(ids, now)
    assert set(Notice.objects.filter(pk__in=ids).values_list("status", flat=True)) == {NoticeStatus.CONFIRMED}
    assert Event.objects.filter(notice_id__in=ids, kind=EventKind.ROUTING_DEFERRED).count() == 2
    make_reviewer("late", ["trademark"])
    assert [n.status for n in workflow.route_notices(ids, now)] == [NoticeStatus.IN_REVIEW] * 2


def test_a_notice_of_ten_thousand_listings_is_routed_in_chunks(now, settings, django_capture_on_commit_callbacks):
    """A professional notifier's 10,000 listings (SQLite's parameter limit is far below what one statement
    for all would need): every item resolved, found listings counted against their sellers, one e-mail that
    lists the first ROUTED_LISTINGS_SHOWN and sends the submitter to the tracking page for the rest."""
    seller = Seller.objects.create(external_id="S-7", name="Volume Seller", country="DE")
    Listing.objects.bulk_create([Listing(external_id=f"L-3{number:05d}", seller=seller, title=f"Sneaker {number}",
                                         category="shoes", price=Decimal("9.99")) for number in range(9000)])
    make_reviewer("tm", ["trademark"])
    references = [(f"L-3{number:05d}", "counterfeit") for number in range(9000)] + [
        (f"L-9{number:05d}", "counterfeit") for number in range(1000)]  # not at the marketplace
    notice = confirmed(now, items=references, submitter_organisation="")
    with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as queries:
        workflow.route_notices([notice.pk], now)
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.IN_REVIEW
    assert dict(Counter(notice.items.values_list("state", flat=True))) == {"in_review": 9000, "not_found": 1000}
    assert Event.objects.filter(notice=notice, kind=EventKind.ITEM_RESOLVED).count() == 10000
    assert Seller.objects.get(pk=seller.pk).reported_items == 9000
    assert len(queries) < 80  # chunks of 2,000 references, 1,000 items per UPDATE: not a statement per listing
    routed_mail = notice.emails.get(kind="notice_routed")
    assert routed_mail.body_text.count("L-3") == emails.ROUTED_LISTINGS_SHOWN
    assert "… and 9950 more listings: every listing and its state is on your tracking page, " in routed_mail.body_text
    assert "Waiting for the reviewer's decision: 9000\n" in routed_mail.body_text
    assert "Listing not found at the marketplace: 1000\n" in routed_mail.body_text
    assert notice.tracking_path() in routed_mail.body_html
