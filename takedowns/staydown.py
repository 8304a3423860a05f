"""Stay-down (issue 14): every removed listing is fingerprinted, and a new or changed listing that matches a
removed one is blocked (same seller or linked account) or held (another seller) by listing screening.
The one writer of Fingerprint and FingerprintKey rows.

Interface (the workflow and the screening engine call these; the bodies are being written, issue 14):
- fingerprint_removal(decision, now) -> Fingerprint: when a removal takes effect (the listing came down, or
  screening blocked it), the removed listing's text signature, image hash, seller and account group.
- fingerprint_reference(evidence, right, now) -> Fingerprint | None: a genuine product's picture of a
  verified right (None when the file is no raster picture).
- find_matches(...): candidate fingerprints through FingerprintKey (multi-index hashing), then exact
  distances; never a scan of the table."""

from datetime import datetime

from takedowns.models import Decision, Fingerprint


def fingerprint_removal(decision: Decision, now: datetime) -> Fingerprint | None:
    """Placeholder with the interface's signature (DESIGN.md) so that the workflow can call it before
    ENGINE's body is merged; ENGINE's version of this file replaces it."""
    return None
