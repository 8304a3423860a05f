"""A stand-in for takedowns.workflow.screening (listing screening's workflow, written on another branch of
issue 14): listing_submitted records each call and answers with the outcome the test chose, setting the
listing's status as the real one does (publish: live; hold: held; block: blocked) and writing the Screening
with one hit of the rule the test chose."""

import sys
import types
from dataclasses import dataclass, field
from datetime import datetime

import pytest

import takedowns.workflow
from takedowns.enums import ListingStatus, ScreeningOutcome, ScreeningRuleCode
from takedowns.models import Listing, Notice, Screening, ScreeningHit
from takedowns.workflow import listings

STATUS = {ScreeningOutcome.PUBLISH: ListingStatus.ACTIVE, ScreeningOutcome.HOLD: ListingStatus.HELD,
          ScreeningOutcome.BLOCK: ListingStatus.BLOCKED}
RULE = {ScreeningOutcome.HOLD: ScreeningRuleCode.UNAUTHORISED_SELLER,
        ScreeningOutcome.BLOCK: ScreeningRuleCode.STAYDOWN_SAME_SELLER}


@dataclass
class FakeScreening:
    """outcome: what every listing gets, unless `by_title` names a word of its title with another; `case`: a
    Notice to attach to a hold or block."""

    outcome: str = ScreeningOutcome.PUBLISH
    by_title: dict[str, str] = field(default_factory=dict)
    case: Notice | None = None
    calls: list[tuple[str, str, int | None]] = field(default_factory=list)

    def listing_submitted(self, listing: Listing, trigger: str, now: datetime, picture: bytes | None = None):
        outcome = next((chosen for word, chosen in self.by_title.items() if word in listing.title), self.outcome)
        self.calls.append((listing.external_id, trigger, None if picture is None else len(picture)))
        Listing.objects.filter(pk=listing.pk).update(
            status=STATUS[outcome], published_at=now if outcome == ScreeningOutcome.PUBLISH else None)
        listing.status = STATUS[outcome]
        screening = Screening.objects.create(listing=listing, trigger=trigger, outcome=outcome, screened_at=now,
                                             case=self.case if outcome != ScreeningOutcome.PUBLISH else None)
        if outcome in RULE:
            ScreeningHit.objects.create(screening=screening, rule=RULE[outcome], outcome=outcome)
        return screening

    def listings_submitted(self, items, trigger: str, now: datetime):
        return [self.listing_submitted(listing, trigger, now, picture) for listing, picture in items]


@pytest.fixture
def fake_screening(monkeypatch):
    fake = FakeScreening()
    module = types.ModuleType("takedowns.workflow.screening")
    module.listing_submitted = fake.listing_submitted  # type: ignore[attr-defined]
    module.listings_submitted = fake.listings_submitted  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "takedowns.workflow.screening", module)
    monkeypatch.setattr(takedowns.workflow, "screening", module, raising=False)
    # After the merge workflow/listings.py imports the module by name: the stand-in replaces it there too.
    if hasattr(listings, "screening"):
        monkeypatch.setattr(listings, "screening", module)
    return fake
