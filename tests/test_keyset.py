"""The one keyset cursor of every paginated list: pages follow each other without gaps or repeats in
any mix of ascending and descending fields, and a cursor that does not decode is the first page."""

from datetime import timedelta

import pytest

from takedowns.models import Notice
from takedowns.selectors.keyset import Keyset
from tests.factories import file_notice, routed

pytestmark = pytest.mark.django_db


@pytest.fixture
def notices(now):
    """Nine notices with due times and priorities that tie on purpose."""
    made = []
    for n in range(9):  # each from an address of its own: one address may hold only 5 waiting for confirmation
        notice = file_notice(now, submitter_email=f"anna{n}@aerostride.example")
        Notice.objects.filter(pk=notice.pk).update(due_at=now + timedelta(hours=n % 3), priority=n % 2)
        made.append(notice.pk)
    return made


def test_pages_follow_each_other_in_a_mixed_order_without_gaps_or_repeats(notices):
    keyset = Keyset(("due_at", "-priority", "id"), size=4)
    seen, cursor, pages = [], None, 0
    while True:
        page = keyset.page(Notice.objects.all(), cursor)
        seen += [notice.pk for notice in page.rows]
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == list(Notice.objects.order_by("due_at", "-priority", "id").values_list("pk", flat=True))
    assert pages == 3


def test_a_cursor_names_the_last_row_of_its_page(notices):
    keyset = Keyset(("due_at", "-priority", "id"), size=4)
    page = keyset.page(Notice.objects.all(), None)
    last = page.rows[-1]
    assert page.next_cursor == f"{last.due_at.timestamp():.6f}_{last.priority}_{last.pk}"


@pytest.mark.parametrize("cursor", ["inf_0_1", "1e20_1_1", "-inf_1_1", "nan_1_1", "abc", "", "1_2", "1_2_3_4",
                                    "1.5_x_1", "1700000000.0_1_1e3", "9" * 400 + "_1_1"])
def test_a_cursor_that_does_not_decode_is_the_first_page(notices, cursor):
    keyset = Keyset(("due_at", "-priority", "id"), size=4)
    first = keyset.page(Notice.objects.all(), None)
    assert keyset.decode(Notice, cursor) is None
    assert [notice.pk for notice in keyset.page(Notice.objects.all(), cursor).rows] == [n.pk for n in first.rows]


@pytest.mark.parametrize("cursor", ["inf_0_1", "1e20_1_1", "nan_1_1", "1_2"])
def test_the_review_queue_answers_a_bad_cursor_with_its_first_page(client, now, catalogue, reviewers, cursor):
    notice = routed(now)
    client.force_login(reviewers["tm"].user)
    response = client.get("/review/", {"after": cursor})  # was a 500 (OverflowError) for the first two
    assert response.status_code == 200
    assert [row.pk for row in response.context["page"].rows] == [notice.pk]


@pytest.mark.parametrize("url", ["/review/appeals/", "/review/counter-notices/", "/listings/"])
def test_every_other_list_answers_a_bad_cursor_with_its_first_page(client, catalogue, reviewers, url):
    client.force_login(reviewers["tm"].user)
    for cursor in ("inf_0", "1e20_1", "x", "1e400"):
        assert client.get(url, {"after": cursor}).status_code == 200
