"""The reviewer's notice page, for speed (issue 13, items 8-11): each listing as reported and now, the
claim beside the evidence previewed inline, keyboard shortcuts, "record and open the next notice",
the timeline in words, the notice's due time, and counts that match the rows they stand over."""

import re
from datetime import timedelta

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from takedowns.enums import ItemState, NoticeStatus
from takedowns.evidence import store
from takedowns.models import Listing, Notice
from takedowns.selectors import worklists
from takedowns.workflow import appeals, counter_notices
from tests.factories import (
    COUNTER_NOTICE_FIELDS,
    PDF_BYTES,
    PNG_BYTES,
    REJECT,
    SUBMITTER_APPEAL_TEXT,
    decided,
    decision_form,
    decision_of,
    make_reviewer,
    routed,
    taken_down,
    upload,
)

pytestmark = pytest.mark.django_db


def page(client, notice) -> str:
    return client.get(f"/review/notices/{notice.reference}/").content.decode()


def field_row(html: str, position: int, name: str) -> str:
    block = html[html.index(f'data-comparison="{position}"'):]
    start = block.index(f'data-field="{name}"')
    return block[start:block.index('data-field="', start + 1) if name != "seller" else block.index("</section>")]


def test_each_listing_shows_what_it_looked_like_when_reported_beside_now_with_changes_flagged(
        client, now, catalogue, reviewers):
    Listing.objects.filter(external_id="L-100001").update(image="demo-listings/shoes.svg")
    notice = routed(now, items=[("L-100001", "counterfeit")])
    snapshot = notice.items.get().listing_snapshot
    assert snapshot["image"] == "demo-listings/shoes.svg" and "description" in snapshot
    listing = Listing.objects.get(external_id="L-100001")
    old_title = listing.title
    Listing.objects.filter(pk=listing.pk).update(title="Totally different shoes", price=listing.price + 10,
                                                 image="demo-listings/bags.svg")
    client.force_login(reviewers["tm"].user)
    html = page(client, notice)
    title = field_row(html, 1, "title")
    assert 'data-changed="true"' in title and "changed since reported" in title
    assert old_title in title and "Totally different shoes" in title
    assert 'data-changed="true"' in field_row(html, 1, "price")
    image = field_row(html, 1, "image")
    assert 'src="/static/demo-listings/shoes.svg"' in image and 'src="/static/demo-listings/bags.svg"' in image
    assert 'data-changed="true"' in image
    for unchanged in ("description", "seller"):
        assert "changed since reported" not in field_row(html, 1, unchanged)
    assert listing.seller.name in field_row(html, 1, "seller")
    assert html.count("changed since reported") == 3


def test_a_snapshot_without_a_field_shows_it_as_not_recorded_and_unchanged(client, now, catalogue, reviewers):
    notice = routed(now, items=[("L-100001", "counterfeit")])
    item = notice.items.get()
    item.listing_snapshot = {key: value for key, value in item.listing_snapshot.items()
                             if key not in ("description", "image")}
    item.save(update_fields=["listing_snapshot"])
    Listing.objects.filter(external_id="L-100001").update(description="Rewritten after the report.")
    client.force_login(reviewers["tm"].user)
    description = field_row(page(client, notice), 1, "description")
    assert "not recorded" in description and "changed since reported" not in description


def test_the_claim_stands_beside_the_evidence_with_images_and_pdfs_previewed_inline(client, now, catalogue,
                                                                                    reviewers, other_reviewer):
    notice = routed(now, items=[("L-100001", "counterfeit")])
    picture = store(notice.submission_key, "test_buy", upload("photo.png", PNG_BYTES), "image/png", notice=notice)
    pdf = store(notice.submission_key, "registration_certificate", upload("certificate.pdf", PDF_BYTES),
                "application/pdf", notice=notice)
    client.force_login(reviewers["tm"].user)
    html = page(client, notice)
    assert html.index('id="claim-summary"') < html.index('id="evidence"')
    assert "Counterfeit goods" in html[html.index('id="claim-reasons"'):][:200]
    assert re.search(rf'<img class="img-fluid border mt-1 evidence-preview" src="/review/evidence/{picture.pk}/'
                     rf'\?preview=1" alt="Evidence image photo.png"', html)
    assert re.search(rf'<iframe [^>]*src="/review/evidence/{pdf.pk}/\?preview=1#page=1&amp;view=FitH" '
                     rf'title="First page of certificate.pdf"', html)

    shown = client.get(f"/review/evidence/{picture.pk}/?preview=1")
    assert shown.status_code == 200 and shown["Content-Type"] == "image/png"
    assert shown["Content-Disposition"].startswith("inline") and shown["X-Content-Type-Options"] == "nosniff"
    assert shown["X-Frame-Options"] == "SAMEORIGIN"
    policy = shown["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in policy and "script-src 'none'" in policy and "default-src 'none'" in policy
    assert b"".join(shown.streaming_content) == PNG_BYTES
    framed = client.get(f"/review/evidence/{pdf.pk}/?preview=1")
    assert framed["Content-Disposition"].startswith("inline") and "object-src 'self'" in framed[
        "Content-Security-Policy"]
    # Without ?preview=1 a download as before, refused to be framed.
    download = client.get(f"/review/evidence/{pdf.pk}/")
    assert download["Content-Disposition"].startswith("attachment") and download["X-Frame-Options"] == "DENY"

    # The preview is private to the notice's staff, like the download.
    client.logout()
    assert client.get(f"/review/evidence/{picture.pk}/?preview=1").status_code == 302
    client.force_login(make_reviewer("copy", ["copyright"]).user)
    assert client.get(f"/review/evidence/{picture.pk}/?preview=1").status_code == 403


def test_a_type_without_a_preview_stays_a_download(client, now, catalogue, reviewers):
    notice = routed(now, items=[("L-100001", "counterfeit")])
    stored = store(notice.submission_key, "other", upload("photo.png", PNG_BYTES), "image/png", notice=notice)
    type(stored).objects.filter(pk=stored.pk).update(content_type="text/html")
    client.force_login(reviewers["tm"].user)
    response = client.get(f"/review/evidence/{stored.pk}/?preview=1")
    assert response["Content-Disposition"].startswith("attachment")
    assert f"/review/evidence/{stored.pk}/?preview=1" not in page(client, notice)


def test_the_keyboard_shortcuts_are_documented_and_their_script_is_a_static_file(client, now, catalogue, reviewers):
    notice = routed(now, items=[("L-100001", "counterfeit")])
    client.force_login(reviewers["tm"].user)
    html = page(client, notice)
    help_block = html[html.index('id="shortcuts-help"'):html.index("</details>")]
    assert "<summary>Keyboard shortcuts</summary>" in help_block
    for key, words in (("j", "Next listing"), ("k", "Previous listing"), ("r", "Remove the current listing"),
                       ("x", "Reject the report on the current listing"), ("a", "Ask the submitter")):
        assert re.search(rf"<kbd>{key}</kbd></dt><dd[^>]*>{words}", help_block)
    assert '<script src="/static/js/review-shortcuts.js" defer></script>' in html
    script = open(finders.find("js/review-shortcuts.js"), encoding="utf-8").read()
    assert 'tag === "input" || tag === "textarea" || tag === "select"' in script  # never while typing
    assert "event.ctrlKey || event.altKey || event.metaKey" in script
    # Additive: the decisions stay selects and buttons.
    assert '<select name="item-0-action"' in html and 'id="record-decisions"' in html


def test_record_and_open_the_next_notice_in_my_queue(client, now, catalogue, reviewers, other_reviewer):
    first = routed(now - timedelta(hours=3), items=[("L-100001", "counterfeit")])
    # Another reviewer's notice, due earlier than the next of tm's: never the one opened.
    theirs = routed(now - timedelta(hours=2), items=[("L-100002", "counterfeit")])
    Notice.objects.filter(pk=theirs.pk).update(assigned_to=other_reviewer)
    later = routed(now, items=[("L-100003", "counterfeit")])
    sooner = routed(now - timedelta(hours=1), items=[("L-100004", "counterfeit")])
    Notice.objects.filter(pk__in=[first.pk, later.pk, sooner.pk]).update(assigned_to=reviewers["tm"])
    client.force_login(reviewers["tm"].user)
    assert 'name="then" value="next" id="record-and-next"' in page(client, first)
    response = client.post(f"/review/notices/{first.reference}/decide/",
                           {**decision_form(first, {1: {"action": "remove"}}), "then": "next"})
    assert response.status_code == 302 and response["Location"] == f"/review/notices/{sooner.reference}/"
    first.refresh_from_db()
    assert first.status == NoticeStatus.CLOSED

    for notice, following in ((sooner, later.reference), (later, None)):
        response = client.post(f"/review/notices/{notice.reference}/decide/",
                               {**decision_form(notice, {1: {"action": "remove"}}), "then": "next"}, follow=True)
        if following:
            assert response.redirect_chain[-1][0] == f"/review/notices/{following}/"
        else:
            assert response.redirect_chain[-1][0] == "/review/"
            assert "No other notice is assigned to you; claim one from the queue." in response.content.decode()


def test_record_decisions_alone_stays_on_the_notice(client, now, catalogue, reviewers):
    notice = routed(now, items=[("L-100001", "counterfeit")])
    routed(now, items=[("L-100002", "counterfeit")])
    client.force_login(reviewers["tm"].user)
    response = client.post(f"/review/notices/{notice.reference}/decide/",
                           decision_form(notice, {1: {"action": "remove"}}))
    assert response["Location"] == f"/review/notices/{notice.reference}/"


def test_the_timeline_names_the_clock_and_the_states_in_words(client, now, catalogue, reviewers):
    notice = routed(now, items=[("L-100001", "counterfeit")])
    client.force_login(reviewers["tm"].user)
    timeline = page(client, notice).split('id="timeline"')[1]
    assert "<strong>Acknowledgement clock stopped</strong>" in timeline
    assert "<strong>Takedown decision clock started</strong>" in timeline
    assert escape(f"{ItemState.NEW.label} → {ItemState.IN_REVIEW.label}") in timeline  # an item's states
    assert escape(f"→ {NoticeStatus.IN_REVIEW.label}") in timeline  # the notice's
    assert "in_review" not in re.sub(r'data-[a-z-]+="[^"]*"', "", timeline)


def test_the_notice_page_shows_its_due_time_and_clock_state_like_the_queue(client, now, catalogue, reviewers):
    notice = routed(now, items=[("L-100001", "counterfeit")])
    client.force_login(reviewers["tm"].user)
    due = page(client, notice).split('id="notice-due"')[1][:400]
    queue_row = client.get("/review/").content.decode().split(f'data-reference="{notice.reference}"')[1][:2000]
    state = re.search(r'data-clock-state="([a-z_]+)"', queue_row).group(1)
    assert f'data-clock-state="{state}"' in due
    assert re.search(r"Due \S", due)


def test_the_queue_count_matches_the_rows_under_it(client, now, catalogue, reviewers, other_reviewer):
    cache.clear()
    first = routed(now, items=[("L-100001", "counterfeit")])
    client.force_login(reviewers["tm"].user)
    client.get("/review/")  # the filters' counts are now cached (the beat task's share)
    waiting = routed(now, items=[("L-100002", "counterfeit")])  # routed meanwhile: cached counts lag
    routed(now, items=[("L-100003", "counterfeit"), ("L-100004", "counterfeit")])
    Notice.objects.filter(pk=waiting.pk).update(status=NoticeStatus.AWAITING_SUBMITTER)
    Notice.objects.filter(pk=first.pk).update(assigned_to=other_reviewer)
    for params in ({}, {"scope": "mine"}, {"status": "awaiting_submitter"}, {"scope": "unassigned"},
                   {"status": "closed"}):
        response = client.get("/review/", params)
        rows = response.context["page"].rows
        assert response.context["total"] == len(rows), params
        expected = f"{len(rows)} notice{'' if len(rows) == 1 else 's'}</h2>"
        assert f'id="queue-total">{expected}' in response.content.decode()
    assert client.get("/review/").context["total"] == 2
    assert client.get("/review/", {"scope": "mine"}).context["total"] == 1


def test_the_work_lists_show_how_many_wait(client, now, catalogue, reviewers, other_reviewer):
    client.force_login(reviewers["tm"].user)
    queue = client.get("/review/").content.decode()
    assert '<span class="badge text-bg-secondary" data-count="appeals">0</span>' in queue
    assert '<span class="badge text-bg-secondary" data-count="counter-notices">0</span>' in queue

    removal = taken_down(now, "L-100003", by=reviewers["tm"])
    counter_notices.file_counter_notice(removal, COUNTER_NOTICE_FIELDS, now + timedelta(days=1))
    rejected = decided(now, {"L-100001": REJECT}, reviewers["tm"])
    appeals.file_appeal(decision=decision_of(rejected), appellant="submitter", now=now + timedelta(days=1),
                        text=SUBMITTER_APPEAL_TEXT)
    assert worklists.appeals_waiting() == 1 and worklists.counter_notices_waiting() == 1
    queue = client.get("/review/").content.decode()
    assert 'data-count="appeals">1</span>' in queue and 'data-count="counter-notices">1</span>' in queue
    appeals_page = client.get("/review/appeals/").content.decode()
    assert '<span class="badge text-bg-secondary" id="appeals-waiting">1</span>' in appeals_page
    assert appeals_page.count("data-appeal=") == 1
    listed = client.get("/review/counter-notices/").content.decode()
    assert "1 counter-notice waits for its completeness check." in listed
    assert listed.count("data-counter-notice=") == 1


def test_the_notice_page_costs_the_same_queries_however_many_listings(client, now, catalogue, reviewers):
    one = routed(now, items=[("L-100001", "counterfeit")])
    three = routed(now, items=[("L-100002", "counterfeit"), ("L-100003", "counterfeit"),
                               ("L-100004", "trademark_misuse")])
    Notice.objects.filter(pk__in=[one.pk, three.pk]).update(assigned_to=reviewers["tm"])
    for notice in (one, three):
        store(notice.submission_key, "test_buy", upload("photo.png", PNG_BYTES), "image/png", notice=notice)
    client.force_login(reviewers["tm"].user)
    page(client, one)  # sessions, caches

    def queries(notice) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/review/notices/{notice.reference}/").status_code == 200
        return len(captured)

    assert queries(one) == queries(three)
