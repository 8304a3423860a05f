"""Priority and assignment rules. Each rule that fires is named, so the tracking page and the
event log can say why a notice got its priority and its reviewer."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Case, CharField, F, IntegerField, Value, When
from django.db.models.functions import Concat, Replace
from django.db.models.lookups import Contains

from takedowns.enums import InfringementReason, ItemState, SubmitterTrust
from takedowns.models import Listing, Reviewer

COUNTERFEIT_POINTS = 30
SAFETY_POINTS = 30
VERIFIED_RIGHT_POINTS = 10
STRIKE_POINTS = 5
STRIKE_POINTS_CAP = 25
# Trusted flaggers' notices are handled with priority (DSA Art. 22); good-faith notifiers come next.
TRUST_POINTS: dict[str, int] = {SubmitterTrust.TRUSTED_FLAGGER: 40, SubmitterTrust.GOOD_FAITH: 20}


# Routing's outcomes for a listing no reviewer can decide: not at the marketplace, already down, or
# already under review in another open notice (or twice in this one).
UNDECIDABLE_STATES = (ItemState.NOT_FOUND, ItemState.ALREADY_REMOVED, ItemState.DUPLICATE)


def nothing_to_decide(states: Iterable[str]) -> bool:
    """True when routing left no listing for a reviewer: the notice has listings and each ended in
    an undecidable state. Such a notice closes at routing, with each listing's outcome told to the
    submitter (DSA Art. 16(5)), instead of waiting in review for a decision nobody can take."""
    states = list(states)
    return bool(states) and all(state in UNDECIDABLE_STATES for state in states)


@dataclass(frozen=True)
class Priority:
    score: int
    rules: list[str]


def score_priority(reasons: list[str], listings: list[Listing], right_verified: bool,
                   trust: str = SubmitterTrust.VERIFIED, high_risk: bool = False) -> Priority:
    """Higher is reviewed sooner. `listings` are the reported listings found at the marketplace;
    `trust` is the submitter's rung on the trust ladder when the notice was confirmed. A high-risk
    notice (risk.py) gets no points for that rung: the good-faith fast path is closed to it."""
    score, rules = 0, []
    if trust in TRUST_POINTS and high_risk:
        rules.append(f"{SubmitterTrust(trust).label.lower()}: no points, high risk (+0)")
    elif trust in TRUST_POINTS:
        score += TRUST_POINTS[trust]
        rules.append(f"{SubmitterTrust(trust).label.lower()} (+{TRUST_POINTS[trust]})")
    if InfringementReason.COUNTERFEIT in reasons:
        score += COUNTERFEIT_POINTS
        rules.append(f"counterfeit reported (+{COUNTERFEIT_POINTS})")
    if any(listing.is_safety_relevant for listing in listings):
        score += SAFETY_POINTS
        rules.append(f"safety-relevant goods (+{SAFETY_POINTS})")
    if right_verified:
        score += VERIFIED_RIGHT_POINTS
        rules.append(f"right found in the verified register (+{VERIFIED_RIGHT_POINTS})")
    strikes = max((listing.seller.strike_count for listing in listings), default=0)
    if strikes:
        points = min(strikes * STRIKE_POINTS, STRIKE_POINTS_CAP)
        score += points
        rules.append(f"seller has {strikes} strike(s) (+{points})")
    return Priority(score, rules)


def _speaks(language: str) -> Case:
    """0 for a reviewer whose comma-separated languages list exactly this code, else 1. One SQL expression:
    ",zh-hans," within ",en,zh-hans,", so that no code is taken for a part of another ("zh" of "zh-hans");
    spaces after the commas are allowed."""
    listed = Concat(Value(","), Replace(F("languages"), Value(" "), Value("")), Value(","), output_field=CharField())
    return Case(When(Contains(listed, Value(f",{language},")), then=Value(0)), default=Value(1),
                output_field=IntegerField())


@dataclass(frozen=True)
class Assignment:
    reviewer: Reviewer | None
    rule: str


def choose_reviewer(right_type: str, language: str, high_risk: bool = False) -> Assignment:
    """The active reviewer with the skill for this right and the lowest open load; among equals
    one who speaks the notice's language, then the longest-standing. Without a skilled reviewer
    the least-loaded active reviewer takes it, so that no notice waits for a specialist. A high-risk
    notice goes only to a reviewer a lead designated for them (Reviewer.risk_reviewer)."""
    active = Reviewer.objects.filter(is_active=True).select_related("user").annotate(speaks=_speaks(language))
    among = "active reviewer"
    if high_risk:
        active, among = active.filter(risk_reviewer=True), "reviewer designated for high-risk notices"
    skilled = active.filter(skills__right_type=right_type).order_by("open_load", "speaks", "id").first()
    if skilled:
        return Assignment(skilled, f"{'high risk: designated, ' if high_risk else ''}{right_type} skill, "
                                   f"lowest open load ({skilled.open_load})")
    fallback = active.order_by("open_load", "speaks", "id").first()
    if fallback:
        return Assignment(fallback, f"no {among} with {right_type} skill; lowest open load ({fallback.open_load})")
    return Assignment(None, f"no {among}")
