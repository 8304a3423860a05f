"""Priority and assignment rules. Each rule that fires is named, so the tracking page and the
event log can say why a notice got its priority and its reviewer.

A rule is kept as a term (a dict of plain values: what fired, with its numbers), so the tracking page says
it in the submitter's language (`words`); the routed event also keeps the English words, as written then."""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Case, CharField, F, IntegerField, Value, When
from django.db.models.functions import Concat, Replace
from django.db.models.lookups import Contains
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from takedowns.enums import InfringementReason, ItemState, RightType, SubmitterTrust
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


Term = dict[str, str | int | bool]


def words(term: Term) -> str:
    """A priority or assignment rule in the active language, e.g. "counterfeit reported (+30)"."""
    code, points = term["code"], term.get("points", 0)
    if code in ("trust", "trust_high_risk"):
        trust = SubmitterTrust(str(term["trust"])).label
        if code == "trust_high_risk":
            return _("%(trust)s: no points, high risk (+0)") % {"trust": trust}
        return _("%(trust)s (+%(points)s)") % {"trust": trust, "points": points}
    if code == "counterfeit":
        return _("counterfeit reported (+%(points)s)") % {"points": points}
    if code == "safety":
        return _("safety-relevant goods (+%(points)s)") % {"points": points}
    if code == "verified_right":
        return _("right found in the verified register (+%(points)s)") % {"points": points}
    if code == "strikes":
        strikes = int(term["strikes"])
        return ngettext("seller has %(strikes)s strike (+%(points)s)", "seller has %(strikes)s strikes (+%(points)s)",
                        strikes) % {"strikes": strikes, "points": points}
    return _assignment_words(term)


def _assignment_words(term: Term) -> str:
    values = {"right": RightType(str(term["right_type"])).label, "load": term.get("open_load", 0)}
    high_risk = bool(term.get("high_risk"))
    if term["code"] == "skilled":
        if high_risk:
            return _("high risk: designated reviewer with the skill for this right (%(right)s), lowest open load "
                     "(%(load)s)") % values
        return _("reviewer with the skill for this right (%(right)s), lowest open load (%(load)s)") % values
    if term["code"] == "unskilled":
        if high_risk:
            return _("no reviewer designated for high-risk notices with the skill for this right (%(right)s); "
                     "lowest open load (%(load)s)") % values
        return _("no active reviewer with the skill for this right (%(right)s); lowest open load (%(load)s)") % values
    if high_risk:
        return _("no reviewer designated for high-risk notices")
    return _("no active reviewer")


def english(term: Term) -> str:
    """The rule as the event log keeps it (written once, in English)."""
    with translation.override("en"):
        return words(term)


@dataclass(frozen=True)
class Priority:
    score: int
    terms: list[Term]

    @property
    def rules(self) -> list[str]:
        return [english(term) for term in self.terms]


def score_priority(reasons: list[str], listings: list[Listing], right_verified: bool,
                   trust: str = SubmitterTrust.VERIFIED, high_risk: bool = False) -> Priority:
    """Higher is reviewed sooner. `listings` are the reported listings found at the marketplace;
    `trust` is the submitter's rung on the trust ladder when the notice was confirmed. A high-risk
    notice (risk.py) gets no points for that rung: the good-faith fast path is closed to it."""
    score, terms = 0, list[Term]()
    if trust in TRUST_POINTS and high_risk:
        terms.append({"code": "trust_high_risk", "trust": trust})
    elif trust in TRUST_POINTS:
        score += TRUST_POINTS[trust]
        terms.append({"code": "trust", "trust": trust, "points": TRUST_POINTS[trust]})
    if InfringementReason.COUNTERFEIT in reasons:
        score += COUNTERFEIT_POINTS
        terms.append({"code": "counterfeit", "points": COUNTERFEIT_POINTS})
    if any(listing.is_safety_relevant for listing in listings):
        score += SAFETY_POINTS
        terms.append({"code": "safety", "points": SAFETY_POINTS})
    if right_verified:
        score += VERIFIED_RIGHT_POINTS
        terms.append({"code": "verified_right", "points": VERIFIED_RIGHT_POINTS})
    strikes = max((listing.seller.strike_count for listing in listings), default=0)
    if strikes:
        points = min(strikes * STRIKE_POINTS, STRIKE_POINTS_CAP)
        score += points
        terms.append({"code": "strikes", "strikes": strikes, "points": points})
    return Priority(score, terms)


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
    term: Term

    @property
    def rule(self) -> str:
        return english(self.term)


def choose_reviewer(right_type: str, language: str, high_risk: bool = False) -> Assignment:
    """The active reviewer with the skill for this right and the lowest open load; among equals
    one who speaks the notice's language, then the longest-standing. Without a skilled reviewer
    the least-loaded active reviewer takes it, so that no notice waits for a specialist. A high-risk
    notice goes only to a reviewer a lead designated for them (Reviewer.risk_reviewer)."""
    active = Reviewer.objects.filter(is_active=True).select_related("user").annotate(speaks=_speaks(language))
    if high_risk:
        active = active.filter(risk_reviewer=True)
    term: Term = {"right_type": right_type, "high_risk": high_risk}
    skilled = active.filter(skills__right_type=right_type).order_by("open_load", "speaks", "id").first()
    if skilled:
        return Assignment(skilled, {**term, "code": "skilled", "open_load": skilled.open_load})
    fallback = active.order_by("open_load", "speaks", "id").first()
    if fallback:
        return Assignment(fallback, {**term, "code": "unskilled", "open_load": fallback.open_load})
    return Assignment(None, {**term, "code": "none"})


# --- Issue 15: choosing reviewers for a batch of notices (workflow/routing.route_notices). ---

class ReviewerPool:
    """choose_reviewer for many notices from one read of the active reviewers: the same order (open
    load, then one who speaks the notice's language, then the longest-standing), with each assignment
    counted in the load of the reviewer who got it, so the next notice of the batch sees it as the
    next routing would have."""

    def __init__(self, reviewers: list[Reviewer]):
        self.reviewers = reviewers
        self.skills = {reviewer.pk: {skill.right_type for skill in reviewer.skills.all()} for reviewer in reviewers}
        self.assigned: Counter[int] = Counter()

    @classmethod
    def load(cls) -> "ReviewerPool":
        """Two statements: the active reviewers with their users, and their skills."""
        return cls(list(Reviewer.objects.filter(is_active=True).select_related("user").prefetch_related("skills")
                        .order_by("id")))

    def choose(self, right_type: str, language: str, high_risk: bool = False) -> Assignment:
        term: Term = {"right_type": right_type, "high_risk": high_risk}
        candidates = [reviewer for reviewer in self.reviewers if reviewer.risk_reviewer or not high_risk]
        order = sorted(candidates, key=lambda reviewer: (reviewer.open_load, not speaks(reviewer.languages, language),
                                                         reviewer.pk))
        skilled = next((reviewer for reviewer in order if right_type in self.skills[reviewer.pk]), None)
        if skilled:
            return Assignment(skilled, {**term, "code": "skilled", "open_load": skilled.open_load})
        if order:
            return Assignment(order[0], {**term, "code": "unskilled", "open_load": order[0].open_load})
        return Assignment(None, {**term, "code": "none"})

    def assign(self, reviewer: Reviewer) -> None:
        """The reviewer took a notice: its load is one more for the rest of the batch."""
        reviewer.open_load += 1
        self.assigned[reviewer.pk] += 1


def speaks(languages: str, language: str) -> bool:
    """_speaks in Python: the code listed exactly among the comma-separated codes, spaces ignored."""
    return f",{language}," in "," + languages.replace(" ", "") + ","
