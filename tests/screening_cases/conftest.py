"""Own-initiative cases (issue 14): listing screening's verdicts, controlled by the test.

The workflow is under test here, not the engine (tests/screening/ has the engine's own tests): the engine's
screen() is replaced by one that returns the verdict a test sets, and the calls to
staydown.fingerprint_removal are recorded."""

from decimal import Decimal

import pytest

from takedowns import staydown
from takedowns.enums import ListingStatus, RightType
from takedowns.models import Listing, ProtectedTerm, Right
from takedowns.screening import engine as engine_module
from takedowns.screening.engine import Verdict
from takedowns.workflow import screening as workflow_screening


class FakeEngine:
    """screen() returns `verdict` and remembers what it was asked."""

    def __init__(self) -> None:
        self.verdict = Verdict("publish", (), None)
        self.by_listing: dict[str, Verdict] = {}  # a verdict of its own for a listing (by external id)
        self.calls: list[tuple[str, bytes | None]] = []
        self.batches: list[list[str]] = []

    def screen(self, listing, picture):
        self.calls.append((listing.external_id, picture))
        return self.by_listing.get(listing.external_id, self.verdict)

    def screen_many(self, items):
        self.batches.append([listing.external_id for listing, _picture in items])
        return [self.screen(listing, picture) for listing, picture in items]


@pytest.fixture
def engine(monkeypatch):
    fake = FakeEngine()
    monkeypatch.setattr(engine_module, "screen", fake.screen)
    monkeypatch.setattr(engine_module, "screen_many", fake.screen_many)
    return fake


@pytest.fixture
def fingerprinted(monkeypatch):
    """The (decision id, time) of every call to staydown.fingerprint_removal."""
    calls: list[tuple[int, object]] = []
    monkeypatch.setattr(staydown, "fingerprint_removal", lambda decision, now: calls.append((decision.pk, now)))
    return calls


@pytest.fixture
def screening(engine, fingerprinted):
    """takedowns.workflow.screening with the fake engine in place."""
    return workflow_screening


@pytest.fixture
def nike(db):
    """A verified trademark with its brand term, the genuine product from 90 EUR."""
    right = Right.objects.create(right_type=RightType.TRADEMARK, registration_number="EU-000123", office="EUIPO",
                                 owner_name="Nike Inc.", title="NIKE", price_min=Decimal("90"),
                                 price_max=Decimal("180"))
    ProtectedTerm.objects.create(right=right, term="Nike", normalised="nike")
    return right


@pytest.fixture
def pending(catalogue, bright):
    """Bright Store's new listing L-100003, waiting for screening (not live)."""
    Listing.objects.filter(external_id="L-100003").update(status=ListingStatus.PENDING, title="N1ke Air sneakers")
    return Listing.objects.select_related("seller").get(external_id="L-100003")
