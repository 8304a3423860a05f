"""The Screening queue: open holds only, beside what screening matched; decided from the queue through the
review workflow; never in the notice queue or its counts."""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from takedowns.enums import ListingStatus, NoticeStatus, ScreeningTrigger
from takedowns.evidence import store
from takedowns.models import Evidence, Fingerprint, Listing, Notice, Strike
from takedowns.screening.engine import Hit, Verdict
from takedowns.selectors import queue as queue_selectors
from takedowns.selectors.screening_queue import mark_terms
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(screening, engine, pending, nike, now):
    Listing.objects.filter(pk=pending.pk).update(description="Cheap N.i.k.e shoes, 25 EUR")
    pending.refresh_from_db()
    engine.verdict = Verdict("hold", (Hit("brand_term", "hold", right_id=nike.pk, term="Nike", field="title"),
                                      Hit("low_price", "hold", right_id=nike.pk, measure=0.22)), None)
    return screening.listing_submitted(pending, ScreeningTrigger.CREATED, now).case


def test_the_term_is_marked_however_it_is_disguised():
    assert [(piece.text, piece.marked) for piece in mark_terms("Cheap N.i.k.e shoes, N1KE too", ["Nike"])] == [
        ("Cheap ", False), ("N.i.k.e", True), (" shoes, ", False), ("N1KE", True), (" too", False)]
    assert [(piece.text, piece.marked) for piece in mark_terms("Plain shoes", ["Nike"])] == [("Plain shoes", False)]


def test_the_page_shows_the_listing_beside_the_rule_term_right_and_measure(client, held, reviewers):
    factories.log_in(client, reviewers["tm"])

    response = client.get(reverse("takedowns:review_screening"))

    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-reference="{held.reference}"' in page
    assert '<span class="badge text-bg-secondary" id="holds-waiting">1</span>' in page
    assert "<mark>N1ke</mark> Air sneakers" in page and "Cheap <mark>N.i.k.e</mark> shoes" in page
    assert "Brand name disguised in the listing" in page and "term “Nike” in title" in page
    assert "22% of the genuine minimum price" in page
    assert "Right: Trademark EU-000123 (EUIPO), Nike Inc." in page
    assert "Bright Store (S-2)" in page


def test_remove_from_the_queue_keeps_the_listing_down_with_a_strike(client, held, reviewers):
    factories.log_in(client, reviewers["tm"])

    response = client.post(reverse("takedowns:review_screening_decide", args=[held.reference]),
                           {"action": "remove", "note": "Fake."})

    assert response.status_code == 302 and response["Location"] == reverse("takedowns:review_screening")
    held.refresh_from_db()
    assert (held.status, held.assigned_to) == (NoticeStatus.CLOSED, reviewers["tm"])
    assert Strike.objects.filter(notice=held).count() == 1
    listing = Listing.objects.get(external_id="L-100003")
    assert listing.published_at is None


def test_publish_from_the_queue_lets_the_listing_go_live(client, held, reviewers, django_capture_on_commit_callbacks):
    factories.log_in(client, reviewers["tm"])

    with django_capture_on_commit_callbacks(execute=True):  # the task that puts it live runs after commit
        client.post(reverse("takedowns:review_screening_decide", args=[held.reference]), {"action": "publish"})

    assert Listing.objects.get(external_id="L-100003").status == ListingStatus.ACTIVE
    page = client.get(reverse("takedowns:review_screening")).content.decode()
    assert 'id="no-holds"' in page


def test_a_second_decision_is_refused_with_why(client, held, reviewers, other_reviewer):
    factories.log_in(client, reviewers["tm"])
    client.post(reverse("takedowns:review_screening_decide", args=[held.reference]), {"action": "publish"})

    response = client.post(reverse("takedowns:review_screening_decide", args=[held.reference]),
                           {"action": "remove"}, follow=True)

    assert "has no listing waiting for a decision" in response.content.decode()
    assert Notice.objects.get(pk=held.pk).items.get().decisions.count() == 1


def test_an_unknown_action_changes_nothing(client, held, reviewers):
    factories.log_in(client, reviewers["tm"])

    response = client.post(reverse("takedowns:review_screening_decide", args=[held.reference]), {"action": "x"},
                           follow=True)

    assert "Choose Remove or Publish" in response.content.decode()
    assert Notice.objects.get(pk=held.pk).status == NoticeStatus.IN_REVIEW


def test_holds_are_never_in_the_notice_queue_or_its_counts(client, held, reviewers, now):
    notice = factories.routed(now, [("L-100001", "counterfeit")])
    reviewer = reviewers["tm"]

    rows = queue_selectors.review_queue(reviewer, queue_selectors.QueueFilters(), None).rows
    counts = queue_selectors.count_open_notices(timezone.now())

    assert [row.reference for row in rows] == [notice.reference]
    assert counts["per_status"]["in_review"]["all"] == 1
    assert queue_selectors.queue_total(reviewer, queue_selectors.QueueFilters()) == 1
    factories.log_in(client, reviewer)
    page = client.get(reverse("takedowns:review_queue")).content.decode()
    assert held.reference not in page
    assert '<span class="badge text-bg-secondary" data-count="screening">1</span>' in page


def test_the_queue_is_ordered_oldest_due_first(screening, engine, catalogue, bright, nike, reviewers, client, now):
    engine.verdict = Verdict("hold", (Hit("brand_term", "hold", right_id=nike.pk, term="Nike"),), None)
    later = screening.listing_submitted(Listing.objects.get(external_id="L-100004"), "created",
                                        now + timedelta(hours=1)).case
    sooner = screening.listing_submitted(Listing.objects.get(external_id="L-100003"), "created", now).case
    factories.log_in(client, reviewers["tm"])

    page = client.get(reverse("takedowns:review_screening")).content.decode()

    assert page.index(f'data-reference="{sooner.reference}"') < page.index(f'data-reference="{later.reference}"')


def test_the_case_page_opens_and_names_the_marketplace_as_its_source(client, held, reviewers):
    factories.log_in(client, reviewers["tm"])

    response = client.get(reverse("takedowns:review_notice", args=[held.reference]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Opened by listing screening for Takedown Portal demo marketplace: no notifier" in page
    assert "Listing screening:" in page and "takedowns@localhost" not in page


def test_a_picture_hit_shows_the_genuine_picture_and_a_staydown_hit_the_removed_listing(
        client, screening, engine, pending, nike, reviewers, now):
    picture = store(uuid.uuid4(), "reference_image", factories.upload("genuine.png", factories.PNG_BYTES),
                    "image/png")
    Evidence.objects.filter(pk=picture.pk).update(right=nike)
    genuine = Fingerprint.objects.create(source="reference", evidence=picture, right=nike, image_hash=42,
                                         created_at=now)
    removal = factories.taken_down(now, "L-100001")
    relisted = Fingerprint.objects.create(source="removal", listing=removal.item.listing, decision=removal,
                                          seller=removal.item.listing.seller, created_at=now)
    engine.verdict = Verdict("hold", (
        Hit("reference_image", "hold", right_id=nike.pk, field="image", fingerprint_id=genuine.pk, measure=3),
        Hit("staydown_other_seller", "hold", field="title", fingerprint_id=relisted.pk, measure=0.81)), None)
    case = screening.listing_submitted(pending, ScreeningTrigger.CREATED, now).case
    factories.log_in(client, reviewers["tm"])

    page = client.get(reverse("takedowns:review_screening")).content.decode()

    picture_url = reverse("takedowns:screening_reference_image", args=[picture.pk])
    assert f'src="{picture_url}"' in page
    assert "3 of 64 bits apart" in page and "text similarity 0.81" in page
    assert "The removed listing it repeats:</span> Listing 1 (S-1)" in page
    assert f'data-reference="{case.reference}"' in page
    response = client.get(picture_url)
    assert (response.status_code, response["Content-Type"]) == (200, "image/png")
    assert client.get(reverse("takedowns:screening_reference_image", args=[picture.pk + 1])).status_code == 404
