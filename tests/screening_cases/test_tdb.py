"""The Transparency Database statement of an own-initiative removal: source SOURCE_VOLUNTARY, automated
detection, the decision automated only for a block, facts without a notifier."""

from datetime import timedelta

import pytest
from django.utils import timezone

from takedowns import tdb, workflow
from takedowns.enums import DecisionOutcome, ScreeningTrigger
from takedowns.models import Decision, Penalty, RemovalGround
from takedowns.screening.engine import Hit, Verdict
from takedowns.workflow import enforcement

pytestmark = pytest.mark.django_db

EEA = ["AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IS", "IT", "LI",
       "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK"]


def _loaded(decision_id: int) -> Decision:
    return Decision.objects.select_related(*tdb.RELATED).get(pk=decision_id)


def test_a_block_is_a_voluntary_fully_automated_removal(screening, engine, pending, now):
    engine.verdict = Verdict("block", (Hit("staydown_same_seller", "block", measure=0.9),), None)
    screening.listing_submitted(pending, ScreeningTrigger.CREATED, now)
    decision = _loaded(Decision.objects.get().pk)
    day = timezone.localtime(now).date().isoformat()

    assert tdb.statement_for(decision) == {
        "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"],
        "end_date_visibility_restriction": None,
        "decision_monetary": None, "end_date_monetary_restriction": None,
        "decision_provision": None, "end_date_service_restriction": None,
        "decision_account": None, "end_date_account_restriction": None,
        "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT",
        "illegal_content_legal_ground": decision.legal_ground,
        "illegal_content_explanation": RemovalGround.objects.get(right_type="trademark", reason="counterfeit").text
        if RemovalGround.objects.filter(right_type="trademark", reason="counterfeit", is_active=True).exists()
        else tdb.explanation_for("trademark", "counterfeit"),
        "category": "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
        "category_specification": ["KEYWORD_TRADEMARK_INFRINGEMENT"],
        "content_type": ["CONTENT_TYPE_PRODUCT"],
        "territorial_scope": EEA,
        "content_date": timezone.localtime(pending.created_at).date().isoformat(),
        "application_date": day,
        "decision_facts": (
            "The marketplace acted on its own initiative. Its automated listing screening found that this product "
            "listing, submitted by a seller, repeats a listing removed earlier as an infringement of a trademark "
            "(Counterfeit goods), offered by the same seller or a linked account. The listing was blocked "
            "automatically before it went live."),
        "source_type": "SOURCE_VOLUNTARY",
        "automated_detection": "Yes",
        "automated_decision": "AUTOMATED_DECISION_FULLY",
        "puid": f"listing-L-100003-decision-{decision.pk}",
    }


def test_a_removal_after_a_hold_is_voluntary_detected_automatically_and_decided_by_a_person(
        screening, engine, pending, nike, reviewers, now):
    engine.verdict = Verdict("hold", (Hit("brand_term", "hold", right_id=nike.pk, term="Nike", field="title"),), None)
    case = screening.listing_submitted(pending, ScreeningTrigger.CREATED, now).case
    made = workflow.decide_hold(case, reviewers["tm"], DecisionOutcome.REMOVE, now + timedelta(hours=1))
    enforcement.record_takedown(made.pk)

    statement = tdb.statement_for(_loaded(made.pk))

    assert (statement["source_type"], statement["automated_detection"], statement["automated_decision"]) == (
        "SOURCE_VOLUNTARY", "Yes", "AUTOMATED_DECISION_NOT_AUTOMATED")
    assert statement["decision_facts"] == (
        "The marketplace acted on its own initiative. Its automated listing screening held this product listing "
        "for review as a suspected infringement of a trademark (Trademark misuse (logo or brand name used without "
        "permission)). The right is on the marketplace's list of verified rights. A reviewer checked the listing "
        "and decided to remove it from the marketplace.")
    assert "Nike" not in str(statement) and "Bright" not in str(statement)



def test_the_penalty_of_a_strike_from_a_hold_says_where_the_strike_came_from(
        screening, engine, pending, nike, reviewers, settings, now):
    settings.PENALTY_LADDER = "1:suspension:30"
    engine.verdict = Verdict("hold", (Hit("brand_term", "hold", right_id=nike.pk, term="Nike"),), None)
    case = screening.listing_submitted(pending, ScreeningTrigger.CREATED, now).case
    workflow.decide_hold(case, reviewers["tm"], DecisionOutcome.REMOVE, now)
    penalty = Penalty.objects.select_related("seller", "strike__notice").get()

    statement = tdb.statement_for_penalty(penalty)

    assert (statement["source_type"], statement["automated_detection"], statement["decision_account"]) == (
        "SOURCE_VOLUNTARY", "No", "DECISION_ACCOUNT_SUSPENDED")
    assert statement["decision_facts"] == (
        "The account measure follows the seller's strike count (1); the latest strike comes from a case the "
        "marketplace opened on its own initiative (listing screening), decided by a reviewer. The measure is "
        "decided and applied automatically by the published ladder.")
