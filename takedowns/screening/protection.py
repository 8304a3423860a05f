"""The protection list: what listing screening reads of the verified rights (brand terms, price ranges,
authorised sellers, pictures of the genuine product). The registry calls right_verified when a right enters
the list or changes on it, and right_withdrawn when it leaves."""

from datetime import datetime

from takedowns.enums import EvidenceKind, FingerprintSource
from takedowns.models import Evidence, Fingerprint, Right
from takedowns.screening import fingerprints, terms


def right_verified(right: Right, now: datetime) -> None:
    """A right joined the protection list (or its details changed while on it): its pictures of the genuine
    product not fingerprinted yet are, and every process rebuilds its term automaton on its next listing."""
    done = Fingerprint.objects.filter(right=right, source=FingerprintSource.REFERENCE, evidence__isnull=False)
    pending = Evidence.objects.filter(right=right, kind=EvidenceKind.REFERENCE_IMAGE).exclude(
        id__in=done.values("evidence_id")).order_by("id")
    for evidence in pending:
        fingerprints.reference(evidence, right, now)
    terms.changed()


def right_withdrawn(right: Right, now: datetime) -> None:
    """A right left the protection list (withdrawn, or found invalid): screening no longer reads it. Its terms
    leave every process's automaton; its reference fingerprints stay but only a VERIFIED right's count (the
    engine reads the right's status), so a right verified again needs no new fingerprints."""
    terms.changed()
