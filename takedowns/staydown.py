"""Stay-down (issue 14): every removed listing is fingerprinted, and a new or changed listing that matches a
removed one is blocked (same seller or linked account) or held (another seller) by listing screening.

The interface the workflow calls. The writer and the search themselves are in takedowns/screening/
fingerprints.py, which also documents the index (multi-index hashing of image hashes in 4 bands of 16 bits,
LSH bands of the text's MinHash signature, and how kind, band position and value are packed into
FingerprintKey.key): listing screening reads them and may not import this module (staydown reads screening's
text functions, and sibling modules stay acyclic).

- fingerprint_removal(decision, now): when a removal takes effect (the listing came down, or screening blocked
  it): the removed listing's text signature, image hash, seller and account group, and the right the case
  was about (notice.verified_right). Once per listing and decision.
- fingerprint_reference(evidence, right, now): a genuine product's picture of a verified right (None when the
  file is no raster picture). Once per file.
- find_matches(signature, image_hash, radius=..., min_similarity=...): candidate fingerprints through
  FingerprintKey, then exact distances and similarities; never a scan of the table."""

from datetime import datetime

from takedowns.enums import FingerprintSource
from takedowns.imaging import perceptual_hash
from takedowns.marketplace import get_marketplace
from takedowns.models import Decision, Evidence, Fingerprint, Right
from takedowns.screening import fingerprints

find_matches = fingerprints.find
Match = fingerprints.Match


def fingerprint_removal(decision: Decision, now: datetime) -> Fingerprint | None:
    """The removed listing's fingerprint (made once per listing and decision: a second call returns the first),
    or None when the decision is about no listing or the listing has neither text nor a readable picture.
    Raises the adapter's MarketplaceUnavailable when the picture cannot be fetched: call it where a retry
    follows (a task), so that the picture is not lost from the fingerprint."""
    item = decision.item
    listing = item.listing
    if listing is None:
        return None
    existing = Fingerprint.objects.filter(listing=listing, decision=decision,
                                          source=FingerprintSource.REMOVAL).first()
    if existing is not None:
        return existing
    picture = get_marketplace().listing_picture(listing)
    image_hash = perceptual_hash(picture) if picture else None
    seller = listing.seller
    return fingerprints.record(
        source=FingerprintSource.REMOVAL, created_at=now, image_hash=image_hash,
        text_signature=fingerprints.listing_signature(listing.title, listing.description, listing.attributes),
        listing=listing, decision=decision, seller=seller, account_group=seller.account_group,
        right_id=item.notice.verified_right_id)


def fingerprint_reference(evidence: Evidence, right: Right, now: datetime) -> Fingerprint | None:
    """The fingerprint of a picture of the genuine product, made once per file (None: not a raster picture)."""
    return fingerprints.reference(evidence, right, now)
