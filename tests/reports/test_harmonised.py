"""reports/harmonised.py: the figures the harmonised templates (Implementing Regulation (EU) 2024/2835,
Annex I) add to the transparency report, each counted over rows dated in the period, with the rows just
outside the period left out; and the template's CSV layout (reports/template_csv.py)."""

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import override_settings

from takedowns.models import AuthorityOrder, NotifierMeasure, OutOfCourtDispute
from takedowns.reports import harmonised, template_csv
from takedowns.reports.periods import Period
from takedowns.workflow import notifier_misuse
from tests.factories import REJECT, UNFOUNDED_CODE, decided, warned

pytestmark = pytest.mark.django_db

NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30))


def at(day: int, hour: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def dispute(complained_of: str, submitted: datetime, outcome: str = "pending", closed: datetime | None = None,
            implemented: bool = False) -> OutOfCourtDispute:
    return OutOfCourtDispute.objects.create(complained_of=complained_of, body="ODS Body Europe", reference="X-1",
                                            submitted_at=submitted, outcome=outcome, closed_at=closed,
                                            implemented=implemented)


def test_out_of_court_disputes_count_submissions_and_closings_in_the_period(db):
    dispute("listing_removed", at(31, 23, month=10), "for_provider", at(2))  # submitted before, closed in: 1 d 1 h
    dispute("listing_removed", at(3), "for_recipient", at(13), implemented=True)  # 10 d
    dispute("account_measure", at(20))  # still with the body
    dispute("notice_rejected", at(30, 23), "settled", datetime(2026, 12, 1, tzinfo=UTC))  # closed after the period
    assert harmonised.out_of_court_disputes(NOVEMBER) == {
        "submitted": 3, "by_complained_of": {"listing_removed": 1, "notice_rejected": 1, "account_measure": 1,
                                             "notifier_measure": 0},
        "closed": 2, "by_outcome": {"for_recipient": 1, "for_provider": 1, "settled": 0, "discontinued": 0},
        "implemented": 1, "implemented_share": 0.5,
        "median_duration_seconds": int(timedelta(days=5, hours=12, minutes=30).total_seconds())}


def test_authority_orders_count_by_type_state_and_keyword_with_median_times(db):
    AuthorityOrder.objects.create(authority="Landgericht Berlin", member_state="DE", order_type="act_against",
                                  right_type="trademark", received_at=at(4, 9), acknowledged_at=at(4, 10),
                                  given_effect_at=at(5, 9))
    AuthorityOrder.objects.create(authority="Tribunal judiciaire de Paris", member_state="FR",
                                  order_type="provide_information", received_at=at(10, 9),
                                  acknowledged_at=at(10, 12))
    AuthorityOrder.objects.create(authority="Landgericht Köln", member_state="DE", order_type="act_against",
                                  received_at=at(31, 9, month=10), acknowledged_at=at(2, 9))  # October's
    figures = harmonised.authority_orders(NOVEMBER)
    assert {code: count for code, count in figures.pop("by_member_state").items() if count} == {"DE": 1, "FR": 1}
    assert figures == {
        "received": 2, "by_type": {"act_against": 1, "provide_information": 1},
        "by_keyword": {"KEYWORD_TRADEMARK_INFRINGEMENT": 1, "KEYWORD_COPYRIGHT_INFRINGEMENT": 0,
                       "KEYWORD_DESIGN_INFRINGEMENT": 0, "KEYWORD_PATENT_INFRINGEMENT": 0, "unspecified": 1},
        "acknowledged": 2, "given_effect": 1,
        "median_time_to_acknowledge_seconds": 7200,  # 1 h and 3 h
        "median_time_to_effect_seconds": 86400}


def test_suspensions_for_unfounded_notices_are_the_notifier_suspensions_of_the_period(now, catalogue, reviewers,
                                                                                      lead):
    warning = warned(now, lead)
    # Another unfounded notice after the warning: the ladder's next step.
    decided(now + timedelta(seconds=1), {"L-100002": REJECT}, code=UNFOUNDED_CODE, submitter_email=warning.notifier)
    with override_settings(NOTIFIER_MISUSE_MIN_COUNT=1, NOTIFIER_MISUSE_MIN_SHARE_PERCENT=1):
        proposal = next(p for p in notifier_misuse.raise_proposals(now + timedelta(seconds=1))
                        if p.notifier == warning.notifier)
    suspension = notifier_misuse.decide_proposal(proposal, lead.user, "Again a listing that does not use your right.",
                                                 now + timedelta(seconds=1))
    assert (warning.level, suspension.level) == ("warning", "suspension")
    today = Period(now.date(), now.date())
    assert harmonised.suspensions(today) == {
        "manifestly_illegal_content": {"partial_suspensions": 0, "suspensions": 0, "terminations": 0},
        "manifestly_unfounded_notices": 1, "manifestly_unfounded_complaints": None}
    NotifierMeasure.objects.filter(pk=suspension.pk).update(decided_at=now - timedelta(days=2))
    assert harmonised.suspensions(today)["manifestly_unfounded_notices"] == 0


def test_the_active_recipients_are_what_the_marketplace_states(db, settings):
    settings.MARKETPLACE_ACTIVE_RECIPIENTS = None
    assert harmonised.active_recipients(NOVEMBER) == {"average_monthly": None}
    settings.MARKETPLACE_ACTIVE_RECIPIENTS = 48_000
    assert harmonised.active_recipients(NOVEMBER) == {"average_monthly": 48_000}


def test_the_provider_is_named_by_the_settings(db, settings):
    settings.PROVIDER_NAME, settings.SERVICE_NAME = "Kestrel Markets GmbH", "Kestrel Marketplace"
    assert harmonised.provider(NOVEMBER) == {"name": "Kestrel Markets GmbH", "service": "Kestrel Marketplace",
                                             "first_day": "2026-11-01", "last_day": "2026-11-30"}


def test_the_publication_says_in_progress_without_a_first_publication_date(db):
    assert harmonised.publication(None, at(1, 3)) == {"first_published_at": None, "in_progress": True,
                                                      "updated_at": "2026-11-01T03:00:00+00:00"}
    assert harmonised.publication(at(1, 3), at(2, 3)) == {
        "first_published_at": "2026-11-01T03:00:00+00:00", "in_progress": False,
        "updated_at": "2026-11-02T03:00:00+00:00"}


# --- The template's CSV layout. ---

def template_csv_rows(client, slug: str) -> list[list[str]]:
    response = client.get(f"/transparency/{slug}/template.csv")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="transparency-report-{slug}-template.csv"'
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_template_csv_lays_the_report_out_like_the_template_and_says_what_is_not_recorded(client, dataset):
    rows = template_csv_rows(client, "2026-10")
    data = json.loads(client.get("/transparency/2026-10.json").content)
    assert rows[0] == ["section", "field", "breakdown", "value", "source", "note"]
    by_source = {row[4]: row for row in rows[1:] if row[4]}
    # Every line traces to the JSON's figure, which it shows as it is.
    for source, row in by_source.items():
        value = data
        for key in source.split("."):
            value = value[key]
        assert row[3] == ("" if value is None else str(value)), source
    assert by_source["trusted_flaggers.median_time_to_action_seconds"][:4] == [
        "Notices (Art. 16)", "Median time to take action on notices of trusted flaggers (seconds)", "", "72000"]
    assert by_source["by_keyword.keywords.KEYWORD_DESIGN_INFRINGEMENT.removals"][2:4] == [
        "KEYWORD_DESIGN_INFRINGEMENT", "1"]
    omitted = next(row for row in rows if row[1] == "Complaints omitted")
    assert omitted[3:5] == ["", ""] and omitted[5].startswith("An appeal filed late")
    assert rows[-1] == ["Human resources (Art. 42(2))", "Content moderators by official language", "", "", "",
                        template_csv.NOT_APPLICABLE_VLOP]
    # The sections in the template's order.
    sections = list(dict.fromkeys(row[0] for row in rows[1:]))
    assert sections == ["Identification", "Orders from Member State authorities (Art. 9, 10)", "Notices (Art. 16)",
                        "Content moderation on the provider's own initiative",
                        "Complaints through the internal complaint-handling system (Art. 20)",
                        "Out-of-court dispute settlements (Art. 21)", "Suspensions (Art. 23)",
                        "Average monthly active recipients (Art. 24(2))", "Use of automated means (Art. 15(1)(e))",
                        "Human resources (Art. 42(2))"]


def test_the_template_csv_of_a_bad_period_is_a_404_that_says_why(client, db):
    response = client.get("/transparency/2026-13/template.csv")
    assert (response.status_code, response.content.decode()) == (
        404, "“2026-13” is not a report period: name a month as 2026-11 or a half-year as 2026-H2.\n")
