"""The routing rules on the tracking page, in the reader's language (issue 13): a routed event keeps each
rule as a term, worded when the page is shown; events written before kept English words only."""


from takedowns import routing
from takedowns.templatetags.routing_words import assignment_words, priority_words

ROUTED = {"assignment_rule": "reviewer with the skill for this right (Trademark), lowest open load (2)",
          "assignment_term": {"code": "skilled", "right_type": "trademark", "high_risk": False, "open_load": 2},
          "priority_rules": ["counterfeit reported (+30)", "seller has 3 strikes (+15)"],
          "priority_terms": [{"code": "counterfeit", "points": 30}, {"code": "strikes", "strikes": 3, "points": 15}]}


def test_the_terms_are_worded_as_the_english_the_event_keeps():
    assert assignment_words(ROUTED) == ROUTED["assignment_rule"]
    assert priority_words(ROUTED) == "counterfeit reported (+30); seller has 3 strikes (+15)"


def test_an_event_written_before_terms_shows_its_english_words():
    old = {"assignment_rule": "trademark skill, lowest open load (0)", "priority_rules": ["counterfeit reported (+30)"]}
    assert (assignment_words(old), priority_words(old)) == ("trademark skill, lowest open load (0)",
                                                            "counterfeit reported (+30)")
    assert assignment_words({"rule": "no active reviewer"}) == "no active reviewer"
    assert priority_words({}) == ""


def test_every_outcome_of_choose_reviewer_has_words():
    for code in ("skilled", "unskilled", "none"):
        for high_risk in (False, True):
            words = routing.words({"code": code, "right_type": "patent", "high_risk": high_risk, "open_load": 1})
            assert ("high-risk" in words or "high risk" in words) == high_risk
            assert ("Patent" in words) == (code != "none")
