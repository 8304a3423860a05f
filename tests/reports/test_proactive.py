"""reports/proactive.py and the report's own-initiative figures (issue 14): a constructed November 2026 with
events exactly on the period's bounds, worked out by hand in the comments."""

import csv
import io
import re
from datetime import UTC, date, datetime

import pytest

from takedowns.models import Seller
from takedowns.reports import proactive, transparency
from takedowns.reports.periods import Period
from tests.datasets import at, notice_row
from tests.factories import figures_listing, notice_removal, own_initiative_case

pytestmark = pytest.mark.django_db

NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30))
DECEMBER = Period(date(2026, 12, 1), date(2026, 12, 31))
NOW = datetime(2026, 12, 20, tzinfo=UTC)


def test_removals_by_initiative_count_in_force_removals_by_the_day_the_listing_came_down(november):
    # Proactive p1 p2 p3 p7 = 4 (p5 is December's); notice-based nb1 nb2 = 2; 4 / 2 = 2.0 times. Before the
    # first sale: p1 p2 p7 (never sold); p3's listing was sold before it came down: 3 of 4.
    assert proactive.removals(NOVEMBER) == {"reactive": 2, "proactive": 4, "ratio": 2.0,
                                            "proactive_before_first_sale": 3,
                                            "proactive_before_first_sale_share": 0.75}


def test_the_ratio_is_undefined_without_a_notice_based_removal(catalogue):
    bright = Seller.objects.get(external_id="S-2")
    own_initiative_case(figures_listing("L-910002", bright), "block", at(12, 2), ["staydown_same_seller"],
                        reference="OI-2")
    assert proactive.removals(DECEMBER) == {"reactive": 0, "proactive": 1, "ratio": None,
                                            "proactive_before_first_sale": 1, "proactive_before_first_sale_share": 1.0}


def test_the_events_at_the_period_end_count_in_the_next_period(november):
    # December: nb3 and p5 came down at its first moment: 1 / 1; p5's block and the publication at END.
    assert proactive.removals(DECEMBER) == {
        "reactive": 1, "proactive": 1, "ratio": 1.0, "proactive_before_first_sale": 1,
        "proactive_before_first_sale_share": 1.0}
    assert proactive.screenings(DECEMBER) == {"outcomes": {"publish": 1, "hold": 0, "block": 1},
                                              "staydown": {"blocked": 1, "held": 0}}
    assert proactive.referrals(DECEMBER) == 1


def test_screening_outcomes_and_stay_down_count_screenings_of_the_period(november):
    # Holds screened in November: p1 p3 p4 p6 (p7 was screened in October); blocks p2; publications 3.
    assert proactive.screenings(NOVEMBER) == {"outcomes": {"publish": 3, "hold": 4, "block": 1},
                                              "staydown": {"blocked": 1, "held": 1}}


def test_precision_per_rule_counts_a_two_rule_screening_for_both_rules(november):
    # Holds a reviewer decided in November: p1 (brand_term, low_price) removed, p3 (brand_term) removed,
    # p4 (low_price) rejected, p7 (brand_term) removed at November's first moment. p2's block was automated.
    by_rule = proactive.precision(NOVEMBER)
    assert by_rule["brand_term"] == {"decided": 3, "confirmed": 3, "share": 1.0}
    assert by_rule["low_price"] == {"decided": 2, "confirmed": 1, "share": 0.5}
    assert {rule: row for rule, row in by_rule.items() if rule not in ("brand_term", "low_price")} == {
        rule: {"decided": 0, "confirmed": 0, "share": None}
        for rule in ("reference_image", "unauthorised_seller", "staydown_same_seller", "staydown_other_seller")}


def test_referrals_count_those_built_in_the_period(november):
    assert proactive.referrals(NOVEMBER) == 1


def test_the_report_counts_own_initiative_apart_and_screening_cases_not_as_notices(november):
    figures = transparency.report_figures(transparency.report_period("2026-11", NOW))
    # One rights holder's notice confirmed in November with four listings; the seven screening cases,
    # confirmed (opened) in the period too, are no notices.
    assert (figures["notices"]["received"], figures["notices"]["items"]) == (1, 4)
    assert figures["notices"]["by_right_type"] == {"trademark": 1, "copyright": 0, "design": 0, "patent": 0}
    # Decisions on notices decided in November: nb1..nb4 (nb3 decided before the end, carried out after it).
    assert figures["actions"] == {"decisions": 4, "by_outcome": {"remove": 4, "reject": 0}, "listings_restored": 0,
                                  "decisions_reversed_on_appeal": 1}
    # Automated means over every decision of November: nb1..nb4 and p1 p2 p3 p4 p7; detected by screening 5,
    # decided by automated means 1 (the block).
    assert {key: figures["automated_means"][key] for key in (
        "decisions", "automated_detection", "automated_decision", "automated_decision_on_notices")} == {
        "decisions": 9, "automated_detection": 5, "automated_decision": 1, "automated_decision_on_notices": 0}
    # Median time to action over the notice's decisions only (the screening cases' would pull it down): 20 h
    # (nb1), 5 d 15 h (nb4: 486,000 s), 26 d 15 h less 3 s (nb3: 2,300,397 s) and less 2 s (nb2); the median is
    # halfway between nb4 and nb3, 1,393,198.5 s, published as 1,393,199 (halves round up).
    assert figures["median_time_to_action_seconds"] == 1393199
    assert figures["removals_by_initiative"] == proactive.removals(NOVEMBER)
    assert figures["screening"] == {"outcomes": {"publish": 3, "hold": 4, "block": 1},
                                    "staydown": {"blocked": 1, "held": 1},
                                    "precision_by_rule": proactive.precision(NOVEMBER)}
    assert figures["referrals"] == {"built": 1}
    # The harmonised template: notices and their keywords without the screening cases; own initiative apart.
    assert figures["by_keyword"]["keywords"]["KEYWORD_TRADEMARK_INFRINGEMENT"] == {
        "notices": 1, "trusted_flagger_notices": 0, "items": 4, "removals": 4, "rejections": 0}
    assert figures["actions_by_ground"] == {"legal_ground": 4, "terms_and_conditions": 0}
    # Own-initiative removals decided in November: p1 p2 p3 p7.
    assert figures["own_initiative"] == {
        "actions": 4, "by_keyword": {"KEYWORD_TRADEMARK_INFRINGEMENT": 4, "KEYWORD_COPYRIGHT_INFRINGEMENT": 0,
                                     "KEYWORD_DESIGN_INFRINGEMENT": 0, "KEYWORD_PATENT_INFRINGEMENT": 0},
        "by_ground": {"legal_ground": 4, "terms_and_conditions": 0}, "automated_detection": 4,
        "automated_decision": 1}


def test_the_live_report_computes_the_ratio_and_shares_again_from_the_sums(catalogue, reviewers):
    # The snapshot (counted up to a bound) holds one notice-based removal; one block comes after it.
    acme, bright = Seller.objects.get(external_id="S-1"), Seller.objects.get(external_id="S-2")
    tm = reviewers["tm"].user
    notice = notice_row("TD-NB", at(11, 4, 9), (), right_type="trademark")
    notice_removal(notice, figures_listing("L-900001", acme), 1, tm, at(11, 5, 9), removed_at=at(11, 5, 10))
    period = transparency.report_period("2026-11", at(11, 10))
    transparency.refresh_report(period, at(11, 10))
    own_initiative_case(figures_listing("L-910002", bright), "block", at(11, 11), ["staydown_same_seller"],
                        reference="OI-2")
    own_initiative_case(figures_listing("L-910001", bright), "hold", at(11, 11), ["brand_term"],
                        reference="OI-1", decided="reject", decided_at=at(11, 11, 1), by=tm)
    shown = transparency.live_report(period, at(11, 12))
    assert shown["removals_by_initiative"] == {"reactive": 1, "proactive": 1, "ratio": 1.0,
                                               "proactive_before_first_sale": 1,
                                               "proactive_before_first_sale_share": 1.0}
    assert shown["screening"]["precision_by_rule"]["brand_term"] == {"decided": 1, "confirmed": 0, "share": 0.0}
    assert shown["screening"]["outcomes"] == {"publish": 0, "hold": 1, "block": 1}


def test_the_report_page_and_the_template_csv_show_the_own_initiative_figures(client, november):
    html = client.get("/transparency/2026-11/").content.decode()
    rows = {" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in re.findall(r"<tr>(.*?)</tr>", html, re.S)}
    assert {"After a notice (reactive) 2", "On our own initiative (proactive) 4",
            "Proactive removals for each removal after a notice 2.0×",
            "Proactive removals before the first sale 3 (75.0 %)", "Screened and published 3", "Held for review 4",
            "Blocked 1", "Blocked by stay-down 1", "Held by stay-down 1",
            "Holds confirmed: Brand name disguised in the listing 3 of 3 (100.0 %)",
            "Holds confirmed: Price far below the genuine product&#x27;s 1 of 2 (50.0 %)",
            "Holds confirmed: Image like the genuine product&#x27;s 0 of 0 (–)",
            "Referral packages handed over 1"} <= rows
    template = list(csv.reader(io.StringIO(client.get("/transparency/2026-11/template.csv").content.decode())))
    own = [row[1:4] for row in template if row[0] == "Content moderation on the provider's own initiative"]
    assert own[0] == ["Actions taken on the provider's own initiative", "", "4"]
    assert ["Actions taken on the provider's own initiative, by type of illegal content",
            "KEYWORD_TRADEMARK_INFRINGEMENT", "4"] in own
    assert ["Actions taken by automated means", "", "1"] in own
    assert ["Notices processed by automated means", "", "0"] in [row[1:4] for row in template]
