"""Own-initiative cases (issue 14): listing screening's verdicts, controlled by the test.

The engine (takedowns/screening/engine.py) and stay-down's fingerprinting are another helper's; these
tests put a fake engine in their place, with Hit and Verdict as DESIGN.md defines them, whose screen()
returns the verdict a test sets, and record the calls to staydown.fingerprint_removal."""

import importlib
import sys
import types
from dataclasses import dataclass
from decimal import Decimal

import pytest

import takedowns.screening
from takedowns import staydown
from takedowns.enums import ListingStatus, RightType
from takedowns.models import Listing, ProtectedTerm, Right


@dataclass(frozen=True)
class Hit:
    rule: str
    outcome: str
    right_id: int | None = None
    term: str = ""
    field: str = ""
    fingerprint_id: int | None = None
    measure: float | None = None


@dataclass(frozen=True)
class Verdict:
    outcome: str
    hits: tuple[Hit, ...]
    image_hash: int | None


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
    module = types.ModuleType("takedowns.screening.engine")
    module.Hit, module.Verdict, module.screen, module.screen_many = Hit, Verdict, fake.screen, fake.screen_many
    monkeypatch.setitem(sys.modules, "takedowns.screening.engine", module)
    monkeypatch.setattr(takedowns.screening, "engine", module, raising=False)
    workflow_screening = importlib.import_module("takedowns.workflow.screening")
    monkeypatch.setattr(workflow_screening, "engine", module)
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
    return importlib.import_module("takedowns.workflow.screening")


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
