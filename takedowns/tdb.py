"""Statements of reasons for the DSA Transparency Database (Art. 24(5)), in the shape its API
takes them: the field names and enum keys of the TDB API v2 ("API and Schema" on
transparency.dsa.ec.europa.eu; in github.com/digital-services-act/transparency-database:
resources/markdown/api-documentation-two.md, the enum keys in app/Models/Statement.php, the
validation rules in app/Services/GroupedSubmissionsService.php).

Pure mapping, no queries: pass decisions loaded with `select_related(*RELATED)`.

No personal data goes out (Art. 24(5) puts that duty on us). The explanation is the grounds the
reviewer recorded for the removal (Decision.grounds: the marketplace's reasoning, prefilled from a
RemovalGround that names nobody, and labelled on the decision form as published without names);
a removal decided before grounds were recorded gets the fixed sentence of its right type and
infringement reason. Every other free-text field is written here from fixed sentences, and the legal
ground is the fixed text decide_items takes from LEGAL_GROUNDS. The submitter's
description (which decide_items copies into Decision.explanation), the reviewer's note, and any
name, e-mail address or token stay out. The puid is built from the listing's catalogue id and
the decision id, neither of which identifies a person.

Fields the API knows but we leave out, because we hold nothing we may send: account_type (we do
not know whether a seller is a trader or a private person), content_language (the language of the
listing is not recorded), content_id (no EAN-13 in the catalogue mirror), source_identity (the
notifier, who may be a natural person), decision_ground_reference_url. platform_name, uuid and
created_at are set by the TDB itself from the platform's API account.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import wraps

from django.utils import timezone, translation

from takedowns.enums import (
    EEA_COUNTRIES,
    DecisionOutcome,
    InfringementReason,
    NoticeSource,
    PenaltyLevel,
    RightType,
    SubmitterTrust,
)
from takedowns.models import Decision, Notice, Penalty

# What statement_for reads; views load decisions with select_related(*RELATED).
RELATED = ("item__notice", "item__listing")

# The API's limits on free text.
MAX_LEGAL_GROUND = 500
MAX_EXPLANATION = 2000
MAX_FACTS = 5000

# The TDB's multiple endpoint takes at most this many statements per call.
BATCH_LIMIT = 100

DECISION_VISIBILITY_CONTENT_REMOVED = "DECISION_VISIBILITY_CONTENT_REMOVED"
DECISION_GROUND_ILLEGAL_CONTENT = "DECISION_GROUND_ILLEGAL_CONTENT"
STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS = "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS"
CONTENT_TYPE_PRODUCT = "CONTENT_TYPE_PRODUCT"
SOURCE_ARTICLE_16 = "SOURCE_ARTICLE_16"
SOURCE_TRUSTED_FLAGGER = "SOURCE_TRUSTED_FLAGGER"
# The marketplace's own initiative: an own-initiative case of listing screening (issue 14).
SOURCE_VOLUNTARY = "SOURCE_VOLUNTARY"
AUTOMATED_DETECTION_YES, AUTOMATED_DETECTION_NO = "Yes", "No"
AUTOMATED_DECISION_FULLY = "AUTOMATED_DECISION_FULLY"
AUTOMATED_DECISION_PARTIALLY = "AUTOMATED_DECISION_PARTIALLY"
AUTOMATED_DECISION_NOT_AUTOMATED = "AUTOMATED_DECISION_NOT_AUTOMATED"

KEYWORD_FOR_RIGHT: dict[str, str] = {
    RightType.TRADEMARK: "KEYWORD_TRADEMARK_INFRINGEMENT",
    RightType.COPYRIGHT: "KEYWORD_COPYRIGHT_INFRINGEMENT",
    RightType.DESIGN: "KEYWORD_DESIGN_INFRINGEMENT",
    RightType.PATENT: "KEYWORD_PATENT_INFRINGEMENT",
}

# Why the listing is illegal, per right and reported reason: the combinations REASONS_FOR_RIGHT allows.
_WHY_ILLEGAL: dict[tuple[str, str], str] = {
    (RightType.TRADEMARK, InfringementReason.COUNTERFEIT):
        "The listing offers goods bearing a sign identical with, or indistinguishable from, the notified "
        "registered trademark, made without the trademark owner's consent (counterfeit goods).",
    (RightType.TRADEMARK, InfringementReason.TRADEMARK_MISUSE):
        "The listing uses the notified registered trademark (brand name or logo) in the course of trade "
        "without the trademark owner's consent.",
    (RightType.COPYRIGHT, InfringementReason.COPYRIGHT_IMAGES):
        "The listing reproduces and makes available to the public images protected by copyright, without "
        "the authorisation of the rightholder.",
    (RightType.COPYRIGHT, InfringementReason.COPYRIGHT_TEXT):
        "The listing reproduces and makes available to the public text protected by copyright, without "
        "the authorisation of the rightholder.",
    (RightType.DESIGN, InfringementReason.DESIGN):
        "The listing offers a product that incorporates the notified design, or one that produces no "
        "different overall impression on the informed user, without the design holder's consent.",
    (RightType.DESIGN, InfringementReason.COUNTERFEIT):
        "The listing offers copies of a product protected by the notified design, made without the design "
        "holder's consent (counterfeit goods).",
    (RightType.PATENT, InfringementReason.PATENT):
        "The listing offers a product that falls within the scope of the notified patent, without the "
        "patent holder's consent.",
}
_FINDING = ("The marketplace reviewed the notice and the evidence supplied with it and found the "
            "infringement established.")


class NotARemoval(ValueError):
    """Only a removal restricts anything; a rejected report has no statement of reasons."""


@dataclass(frozen=True)
class Measure:
    """The restrictions a statement reports (DSA Art. 17(1)(a)-(d)); at least one is set. A listing
    removal restricts visibility; the seller penalties of the strike ladder will set `account`
    (suspension, termination) or `provision` with their own end date."""

    visibility: tuple[str, ...] = ()
    monetary: str | None = None
    provision: str | None = None
    account: str | None = None
    ends_on: date | None = None  # None: indefinite

    def fields(self) -> dict:
        end = self.ends_on.isoformat() if self.ends_on else None
        return {
            "decision_visibility": list(self.visibility) or None,
            "end_date_visibility_restriction": end if self.visibility else None,
            "decision_monetary": self.monetary,
            "end_date_monetary_restriction": end if self.monetary else None,
            "decision_provision": self.provision,
            "end_date_service_restriction": end if self.provision else None,
            "decision_account": self.account,
            "end_date_account_restriction": end if self.account else None,
        }


LISTING_REMOVAL = Measure(visibility=(DECISION_VISIBILITY_CONTENT_REMOVED,))

# The ladder's account measures; a warning restricts nothing and has no statement.
PENALTY_MEASURES: dict[str, Measure] = {
    PenaltyLevel.RESTRICTION: Measure(provision="DECISION_PROVISION_PARTIAL_SUSPENSION"),  # no new listings
    PenaltyLevel.SUSPENSION: Measure(account="DECISION_ACCOUNT_SUSPENDED"),
    PenaltyLevel.TERMINATION: Measure(account="DECISION_ACCOUNT_TERMINATED"),
}
PENALTY_LEGAL_GROUND = ("Measures against recipients who frequently provide manifestly illegal content "
                        "(Regulation (EU) 2022/2065, Art. 23); repeat-infringer policy (17 U.S.C. 512(i)).")


def _in_english(function):
    """A statement for the DSA Transparency Database is written in English, whatever language the request
    that builds it is in (the choices' labels are translatable, issue 13). A fresh override per call."""
    @wraps(function)
    def wrapped(*args, **kwargs):
        with translation.override("en"):
            return function(*args, **kwargs)
    return wrapped


def source_type_for(notice: Notice) -> str:
    """The TDB's information source for a notice: a trusted flagger's (Art. 22) notice, an Art. 16 notice
    from a rights holder or its agent, or the marketplace's own initiative (a case listing screening opened)."""
    if notice.source == NoticeSource.SCREENING:
        return SOURCE_VOLUNTARY
    return SOURCE_TRUSTED_FLAGGER if notice.trust == SubmitterTrust.TRUSTED_FLAGGER else SOURCE_ARTICLE_16


@_in_english
def statement_for(decision: Decision) -> dict:
    """The TDB statement of reasons for a removal decision."""
    if decision.outcome != DecisionOutcome.REMOVE:
        raise NotARemoval(f"Decision {decision.pk} is not a removal ({decision.get_outcome_display()}): only a "
                          "removal restricts a listing, so only a removal has a statement of reasons.")
    item = decision.item
    notice, listing = item.notice, item.decided_listing
    source_type = source_type_for(notice)
    return {
        **LISTING_REMOVAL.fields(),
        **_illegal_content(decision.legal_ground, grounds_of(decision)),
        **_ip_category(notice.right_type),
        "content_type": [CONTENT_TYPE_PRODUCT],
        "territorial_scope": _territorial_scope(decision.territorial_scope),
        "content_date": _day(listing.created_at),
        "application_date": _day(decision.listing_removed_at or decision.decided_at),
        "decision_facts": (_own_initiative_facts(decision, notice, item.reason) if source_type == SOURCE_VOLUNTARY
                           else _removal_facts(source_type, notice, item.reason)),
        "source_type": source_type,
        **_automation(decision.automated_detection, decision.automated_decision,
                      fully=source_type == SOURCE_VOLUNTARY),
        "puid": puid_for(decision),
    }


@_in_english
def statement_for_penalty(penalty: Penalty) -> dict:
    """The TDB statement of reasons for an account measure of the penalty ladder (load the penalty
    with select_related("seller", "strike__notice")). A warning restricts nothing: NotARemoval."""
    if penalty.level not in PENALTY_MEASURES:
        raise NotARemoval(f"Penalty {penalty.pk} is a {penalty.get_level_display().lower()}: it restricts "
                          "nothing, so it has no statement of reasons.")
    notice = penalty.strike.notice
    return {
        **replace(PENALTY_MEASURES[penalty.level],
                  ends_on=timezone.localtime(penalty.ends_at).date() if penalty.ends_at else None).fields(),
        **_illegal_content(PENALTY_LEGAL_GROUND, (
            f"The seller reached {penalty.live_strikes} live strike(s) under the marketplace's published "
            "repeat-infringer policy: each strike is a notice after which a reviewer removed at least one of "
            "the seller's listings as infringing.")),
        **_ip_category(notice.right_type),
        "content_type": [CONTENT_TYPE_PRODUCT],
        "territorial_scope": sorted(EEA_COUNTRIES),
        "content_date": _day(penalty.strike.created_at),
        "application_date": _day(penalty.applied_at or penalty.decided_at),
        "decision_facts": (f"The account measure follows the seller's strike count ({penalty.live_strikes}); the "
                           + ("latest strike comes from a case the marketplace opened on its own initiative (listing "
                              "screening), decided by a reviewer. " if notice.source == NoticeSource.SCREENING else
                              "strikes come from notices under Article 16 DSA decided by reviewers. ")
                           + ("The measure is decided and applied automatically by the published ladder."
                              if penalty.automated else "The measure was decided by a person."))[:MAX_FACTS],
        "source_type": source_type_for(notice),
        # Penalty.automated, which the transparency report counts too: the ladder decides the measure by
        # itself, but the removals behind it were decided by people, hence "partially".
        "automated_detection": AUTOMATED_DETECTION_NO,
        "automated_decision": AUTOMATED_DECISION_PARTIALLY if penalty.automated else AUTOMATED_DECISION_NOT_AUTOMATED,
        "puid": penalty_puid_for(penalty),
    }


def statements(decisions: Iterable[Decision]) -> list[dict]:
    """Statements for several removals, in the order given (the TDB's multiple endpoint takes a
    list of up to BATCH_LIMIT). A rejection among them raises NotARemoval."""
    return [statement_for(decision) for decision in decisions]


def grounds_of(decision: Decision) -> str:
    """Our grounds of a removal, as the seller's statement of reasons and the TDB give them alike: those the
    reviewer recorded, or for a removal decided before grounds were recorded, explanation_for's sentence."""
    return decision.grounds.strip() or explanation_for(decision.item.notice.right_type, decision.item.reason)


@_in_english
def explanation_for(right_type: str, reason: str) -> str:
    why = _WHY_ILLEGAL.get((right_type, reason)) or (
        f"The listing infringes the notified {RightType(right_type).label.lower()} "
        f"({InfringementReason(reason).label}).")
    return f"{why} {_FINDING}"


def puid_for(decision: Decision) -> str:
    # The API accepts letters, digits, '-' and '_' only; the decision id alone keeps it unique.
    listing_id = re.sub(r"[^A-Za-z0-9_-]", "_", decision.item.decided_listing.external_id)
    return f"listing-{listing_id}-decision-{decision.pk}"


def penalty_puid_for(penalty: Penalty) -> str:
    # As puid_for: the API's characters only, the penalty id alone keeps it unique.
    seller_id = re.sub(r"[^A-Za-z0-9_-]", "_", penalty.seller.external_id)
    return f"seller-{seller_id}-penalty-{penalty.pk}"


def _illegal_content(legal_ground: str, explanation: str) -> dict:
    return {
        "decision_ground": DECISION_GROUND_ILLEGAL_CONTENT,
        "illegal_content_legal_ground": legal_ground[:MAX_LEGAL_GROUND],
        "illegal_content_explanation": explanation[:MAX_EXPLANATION],
    }


def _ip_category(right_type: str) -> dict:
    return {
        "category": STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS,
        "category_specification": [KEYWORD_FOR_RIGHT[right_type]],
    }


def _automation(detection: bool, decision: bool, fully: bool = False) -> dict:
    # A notice's decision is recorded by a reviewer (Decision.decided_by), so automated means can at
    # most have helped: "partially". Screening's block of a stay-down match is decided by no person
    # (`fully`: an own-initiative case, whose automated decision is the system user's).
    automated = AUTOMATED_DECISION_FULLY if fully else AUTOMATED_DECISION_PARTIALLY
    return {
        "automated_detection": AUTOMATED_DETECTION_YES if detection else AUTOMATED_DETECTION_NO,
        "automated_decision": automated if decision else AUTOMATED_DECISION_NOT_AUTOMATED,
    }


def _territorial_scope(codes: list[str]) -> list[str]:
    # The TDB covers the EU/EEA only and refuses other codes; a wider scope is reported for its EEA part.
    return sorted({code.upper() for code in codes} & set(EEA_COUNTRIES))


def _removal_facts(source_type: str, notice: Notice, reason: str) -> str:
    notifier = ("A trusted flagger" if source_type == SOURCE_TRUSTED_FLAGGER
                else "A rights holder or its authorised agent")
    right = RightType(notice.right_type).label.lower()
    checked = ("The notified right matched a registration the marketplace had verified."
               if notice.verified_right_id else
               "The notified right was assessed on the registration details and evidence supplied with the notice.")
    return (f"{notifier} reported this product listing in a notice under Article 16 DSA as an infringement "
            f"of a {right} ({InfringementReason(reason).label}). {checked} A reviewer decided to remove the "
            "listing from the marketplace.")[:MAX_FACTS]


def _own_initiative_facts(decision: Decision, notice: Notice, reason: str) -> str:
    """An own-initiative case: no notifier; what screening found and who decided, without names."""
    right = RightType(notice.right_type).label.lower()
    if decision.automated_decision:
        return (f"The marketplace acted on its own initiative. Its automated listing screening found that this "
                f"product listing, submitted by a seller, repeats a listing removed earlier as an infringement of a "
                f"{right} ({InfringementReason(reason).label}), offered by the same seller or a linked account. The "
                "listing was blocked automatically before it went live.")[:MAX_FACTS]
    checked = (" The right is on the marketplace's list of verified rights." if notice.verified_right_id else "")
    return (f"The marketplace acted on its own initiative. Its automated listing screening held this product "
            f"listing for review as a suspected infringement of a {right} ({InfringementReason(reason).label})."
            f"{checked} A reviewer checked the listing and decided to remove it from the marketplace.")[:MAX_FACTS]


def _day(moment: datetime) -> str:
    return timezone.localtime(moment).date().isoformat()
