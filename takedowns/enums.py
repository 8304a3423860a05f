"""Choices and the allowed status transitions. The workflow (takedowns/workflow/) is the only code that
applies them."""

from collections.abc import Iterable

from django.db import models


class NoticeStatus(models.TextChoices):
    UNCONFIRMED = "unconfirmed", "Waiting for e-mail confirmation"
    CONFIRMED = "confirmed", "Confirmed, being routed to a reviewer"
    IN_REVIEW = "in_review", "With a reviewer"
    AWAITING_SUBMITTER = "awaiting_submitter", "Waiting for the submitter's answer"
    CLOSED = "closed", "Closed"
    WITHDRAWN = "withdrawn", "Withdrawn by the submitter"
    EXPIRED = "expired", "Expired without confirmation"
    # Confirmed by a notifier whose notice handling is suspended (DSA Art. 23(2)): never routed.
    REFUSED = "refused", "Refused: notices from this notifier are suspended"


NOTICE_TRANSITIONS: dict[str, frozenset[str]] = {
    NoticeStatus.UNCONFIRMED: frozenset({NoticeStatus.CONFIRMED, NoticeStatus.EXPIRED, NoticeStatus.REFUSED}),
    # Closed at routing when no reported listing is left to decide (not found, already removed, duplicate).
    NoticeStatus.CONFIRMED: frozenset({NoticeStatus.IN_REVIEW, NoticeStatus.CLOSED, NoticeStatus.WITHDRAWN}),
    NoticeStatus.IN_REVIEW: frozenset({NoticeStatus.AWAITING_SUBMITTER, NoticeStatus.CLOSED, NoticeStatus.WITHDRAWN}),
    NoticeStatus.AWAITING_SUBMITTER: frozenset({NoticeStatus.IN_REVIEW, NoticeStatus.CLOSED, NoticeStatus.WITHDRAWN}),
    # An appeal that sets a rejection aside reopens its listing for a fresh decision.
    NoticeStatus.CLOSED: frozenset({NoticeStatus.IN_REVIEW}),
    NoticeStatus.WITHDRAWN: frozenset(),
    NoticeStatus.EXPIRED: frozenset(),
    NoticeStatus.REFUSED: frozenset(),
}

# Statuses in which a notice counts towards a reviewer's load and its listings are "under review".
OPEN_NOTICE_STATUSES = (NoticeStatus.CONFIRMED, NoticeStatus.IN_REVIEW, NoticeStatus.AWAITING_SUBMITTER)


class ItemState(models.TextChoices):
    NEW = "new", "Waiting for routing"
    IN_REVIEW = "in_review", "Waiting for the reviewer's decision"
    NOT_FOUND = "not_found", "Listing not found at the marketplace"
    DUPLICATE = "duplicate", "Already reported in another open notice"
    ALREADY_REMOVED = "already_removed", "Listing already removed"
    WITHDRAWN = "withdrawn", "Withdrawn by the submitter"
    REMOVED = "removed", "Removed"
    REJECTED = "rejected", "Rejected"
    INFO_REQUESTED = "info_requested", "Waiting for the submitter's answer"
    NO_ANSWER = "no_answer", "Closed: the information asked for did not come"
    RESTORED = "restored", "Removed, then restored after a counter-notice or appeal"


class DecisionOutcome(models.TextChoices):
    REMOVE = "remove", "Remove the listing"
    REJECT = "reject", "Reject the report"


# The item states a reviewer's decision moves an item to.
DECIDED_STATE: dict[str, str] = {DecisionOutcome.REMOVE: ItemState.REMOVED, DecisionOutcome.REJECT: ItemState.REJECTED}


class RightType(models.TextChoices):
    TRADEMARK = "trademark", "Trademark"
    COPYRIGHT = "copyright", "Copyright"
    DESIGN = "design", "Design"
    PATENT = "patent", "Patent"


class SubmitterRole(models.TextChoices):
    OWNER = "owner", "I am the rights owner (or its employee)"
    AGENT = "agent", "I am an agent authorised by the rights owner"


class SubmitterTrust(models.TextChoices):
    """The open trust ladder (PRODUCT.md): computed from the record, no account needed."""
    UNVERIFIED = "unverified", "E-mail not yet confirmed"
    VERIFIED = "verified", "Confirmed e-mail address"
    GOOD_FAITH = "good_faith", "Good-faith programme"
    TRUSTED_FLAGGER = "trusted_flagger", "Trusted flagger (DSA Art. 22)"


class InfringementReason(models.TextChoices):
    COUNTERFEIT = "counterfeit", "Counterfeit goods"
    TRADEMARK_MISUSE = "trademark_misuse", "Trademark misuse (logo or brand name used without permission)"
    COPYRIGHT_IMAGES = "copyright_images", "Copyright: images copied"
    COPYRIGHT_TEXT = "copyright_text", "Copyright: text copied"
    DESIGN = "design", "Design infringement"
    PATENT = "patent", "Patent infringement"


# One bit per reason in Notice.reason_mask.
REASON_BITS = {reason: 1 << position for position, reason in enumerate(InfringementReason.values)}


def reason_mask(reasons: Iterable[str]) -> int:
    mask = 0
    for reason in reasons:
        mask |= REASON_BITS[reason]
    return mask


# Which infringement reasons a right of each type can support.
REASONS_FOR_RIGHT: dict[str, frozenset[str]] = {
    RightType.TRADEMARK: frozenset({InfringementReason.COUNTERFEIT, InfringementReason.TRADEMARK_MISUSE}),
    RightType.COPYRIGHT: frozenset({InfringementReason.COPYRIGHT_IMAGES, InfringementReason.COPYRIGHT_TEXT}),
    RightType.DESIGN: frozenset({InfringementReason.DESIGN, InfringementReason.COUNTERFEIT}),
    RightType.PATENT: frozenset({InfringementReason.PATENT}),
}


class EvidenceKind(models.TextChoices):
    REGISTRATION_CERTIFICATE = "registration_certificate", "Registration certificate"
    AUTHORISATION_LETTER = "authorisation_letter", "Authorisation letter"
    TEST_BUY = "test_buy", "Test-buy proof"
    OTHER = "other", "Other evidence"


class ListingStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    REMOVED = "removed", "Removed"


class ActorKind(models.TextChoices):
    SUBMITTER = "submitter", "Submitter"
    SYSTEM = "system", "System"
    SELLER = "seller", "Seller"
    REVIEWER = "reviewer", "Reviewer"


class EventKind(models.TextChoices):
    FILED = "filed", "Notice filed"
    CONFIRMED = "confirmed", "E-mail address confirmed"
    ITEM_RESOLVED = "item_resolved", "Listing looked up at the marketplace"
    ROUTED = "routed", "Assigned to a reviewer"
    ROUTING_DEFERRED = "routing_deferred", "No reviewer available yet"
    WITHDRAWN = "withdrawn", "Withdrawn"
    EXPIRED = "expired", "Expired without confirmation"
    REFUSED = "refused", "Refused: the notifier's notices are suspended"
    CLAIMED = "claimed", "Claimed by a reviewer"
    RELEASED = "released", "Handed back to the queue"
    REASSIGNED = "reassigned", "Reassigned by a lead"
    ESCALATED = "escalated", "Escalated to a lead"
    ITEM_DECIDED = "item_decided", "Listing decided"
    LISTING_REMOVED = "listing_removed", "Listing taken down at the marketplace"
    CLOSED = "closed", "Every listing decided"
    # Routing found no listing to decide (each not found, already removed or a duplicate): closed, never reviewed.
    NOTHING_TO_DECIDE = "nothing_to_decide", "Closed: no reported listing could be reviewed"
    INFO_REQUESTED = "info_requested", "Information requested from the submitter"
    AWAITING_SUBMITTER = "awaiting_submitter", "Waiting for the submitter"
    INFO_ANSWERED = "info_answered", "The submitter answered"
    BACK_IN_REVIEW = "back_in_review", "Back with the reviewer"
    INFO_EXPIRED = "info_expired", "No answer in time"
    REOPENED = "reopened", "Reopened for a new decision (a successful appeal or a resubmitted fix)"
    CLOCK_STARTED = "clock_started", "SLA clock started"
    CLOCK_PAUSED = "clock_paused", "SLA clock paused"
    CLOCK_RESUMED = "clock_resumed", "SLA clock resumed"
    CLOCK_STOPPED = "clock_stopped", "SLA clock stopped"
    CLOCK_WARNED = "clock_warned", "SLA clock about to breach"
    CLOCK_BREACHED = "clock_breached", "SLA target breached"
    STRIKE_RECORDED = "strike_recorded", "Strike recorded against the seller"
    STRIKE_EXPIRED = "strike_expired", "Strike expired"
    STRIKE_REVERSED = "strike_reversed", "Strike removed"
    PENALTY_DECIDED = "penalty_decided", "Seller penalty decided"
    PENALTY_APPLIED = "penalty_applied", "Seller penalty applied at the marketplace"
    PENALTY_LIFTED = "penalty_lifted", "Seller penalty lifted"
    # The ladder stops at termination: a strike on a terminated account brings no second termination.
    PENALTY_NOT_DECIDED = "penalty_not_decided", "No new penalty: the account is already terminated"
    COUNTER_NOTICE_FILED = "counter_notice_filed", "Counter-notice filed by the seller"
    COUNTER_NOTICE_INCOMPLETE = "counter_notice_incomplete", "Counter-notice returned as incomplete"
    COUNTER_NOTICE_ACCEPTED = "counter_notice_accepted", "Counter-notice complete: copy sent, restore planned"
    LAWSUIT_REPORTED = "lawsuit_reported", "Rights holder reported a lawsuit"
    LISTING_RESTORED = "listing_restored", "Listing restored at the marketplace"
    APPEAL_FILED = "appeal_filed", "Appeal filed"
    APPEAL_DECIDED = "appeal_decided", "Appeal decided"
    RESUBMITTED = "resubmitted", "Listing fixed and resubmitted by the submitter"


class ClockKind(models.TextChoices):
    """The SLA clocks of PRODUCT.md: what each measures is in workflow/clocks.py."""
    ACKNOWLEDGEMENT = "acknowledgement", "Acknowledgement"
    TAKEDOWN_DECISION = "takedown_decision", "Takedown decision"
    TAKEDOWN_EXECUTED = "takedown_executed", "Takedown executed"
    SELLER_PENALTY = "seller_penalty", "Seller penalty"
    COUNTER_NOTICE_RESTORE = "counter_notice_restore", "Counter-notice restore"
    APPEAL_DECISION = "appeal_decision", "Appeal decision"
    COUNTER_NOTICE_CHECK = "counter_notice_check", "Counter-notice completeness check"


class PenaltyLevel(models.TextChoices):
    WARNING = "warning", "Warning"
    RESTRICTION = "restriction", "Restriction on new listings"
    SUSPENSION = "suspension", "Temporary suspension"
    TERMINATION = "termination", "Termination of the account"


# Higher is more severe: a new penalty is applied only when the ladder climbs.
PENALTY_SEVERITY: dict[str, int] = {PenaltyLevel.WARNING: 1, PenaltyLevel.RESTRICTION: 2, PenaltyLevel.SUSPENSION: 3,
                                     PenaltyLevel.TERMINATION: 4}


class SellerAccount(models.TextChoices):
    """The seller's account at the marketplace, as the local catalogue keeps it."""
    ACTIVE = "active", "Active"
    RESTRICTED = "restricted", "May not create new listings"
    SUSPENDED = "suspended", "Suspended"
    TERMINATED = "terminated", "Terminated"


class CounterNoticeStatus(models.TextChoices):
    FILED = "filed", "Filed, being checked for completeness"
    INCOMPLETE = "incomplete", "Incomplete: returned to the seller"
    WAITING = "waiting", "Complete: the listing is restored at the end of the window"
    RESTORED = "restored", "Listing restored"
    LAWSUIT = "lawsuit", "The rights holder reported a lawsuit: not restored"


class Appellant(models.TextChoices):
    SELLER = "seller", "Seller"
    SUBMITTER = "submitter", "Submitter"


class AppealStatus(models.TextChoices):
    FILED = "filed", "Waiting for a decision"
    UPHELD = "upheld", "Original decision upheld"
    REVERSED = "reversed", "Original decision reversed"


class EmailStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Language(models.TextChoices):
    EN = "en", "English"
    DE = "de", "Deutsch"
    FR = "fr", "Français"
    ES = "es", "Español"
    IT = "it", "Italiano"
    # Django's code for Simplified Chinese (LANGUAGES in settings; "zh" alone is no catalogue of Django's).
    ZH_HANS = "zh-hans", "中文"


# Catalogue categories whose counterfeits endanger health or safety: reviewed first.
SAFETY_RELEVANT_CATEGORIES = frozenset({"toys", "cosmetics", "electrical", "medicine", "car-parts", "baby"})


# The EU and EEA countries, where a removal takes effect unless a decision says otherwise.
EEA_COUNTRIES = (
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IS", "IT", "LI",
    "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK",
)

# The legal ground a removal rests on, per right type (statement of reasons, DSA Art. 17(3)(d)).
LEGAL_GROUNDS: dict[str, str] = {
    RightType.TRADEMARK: "Infringement of a registered trademark (EU Trade Mark Regulation 2017/1001 Art. 9 "
                         "and the national trademark law of the countries concerned)",
    RightType.COPYRIGHT: "Infringement of copyright (Directive 2001/29/EC Arts. 2-4 and national copyright law)",
    RightType.DESIGN: "Infringement of a registered or unregistered design (Community Design Regulation 6/2002 "
                      "Art. 19 and national design law)",
    RightType.PATENT: "Infringement of a patent (national patent law of the countries where the patent is in force)",
}


# Django auth groups of the reviewer area: reviewers decide notices, leads also reassign.
REVIEWER_GROUP = "Reviewer"
LEAD_GROUP = "Lead"


# --- Competitor-abuse screening (takedowns/risk.py). ---

class RiskBand(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class RiskRuleCode(models.TextChoices):
    """The screening rules risk.py knows how to evaluate; a RiskRule row tunes each (on, points, parameters)."""
    FREE_MAIL_COMPANY = "free_mail_company", "Free-mail address, organisation claimed"
    NEW_DOMAIN_COMPANY = "new_domain_company", "Newly seen e-mail domain, organisation claimed"
    OWNER_MISMATCH = "owner_mismatch", "Rights owner named is not the verified right's owner"
    NOTIFIER_IS_SELLER = "notifier_is_seller", "Notifier's address is a seller's"
    COMPETING_SELLER = "competing_seller", "Notifier linked to a competing seller in the same category"
    SELLER_BURST = "seller_burst", "Burst of notices against one seller"
    FIRST_NOTICE_MANY_LISTINGS = "first_notice_many_listings", "First notice, many listings of one seller"
    REGISTRATION_UNKNOWN = "registration_unknown", "Registration not in the verified register"
    REGISTRATION_REUSED = "registration_reused", "Registration named by other owners"


# --- Notifier misuse (DSA Art. 23(2)-(3)): takedowns/notifier_ladder.py has the rules,
# takedowns/workflow/notifier_misuse.py writes the rows. ---

class NotifierScope(models.TextChoices):
    """Who a measure concerns: one confirmed e-mail address, or every address of an organisation's
    e-mail domain (never a free-mail domain, which is nobody's organisation)."""
    EMAIL = "email", "E-mail address"
    DOMAIN = "domain", "Organisation (e-mail domain)"


class NotifierMeasureLevel(models.TextChoices):
    WARNING = "warning", "Warning"
    SUSPENSION = "suspension", "Suspension of notice handling"


# Higher is more severe: the ladder never steps down.
NOTIFIER_SEVERITY: dict[str, int] = {NotifierMeasureLevel.WARNING: 1, NotifierMeasureLevel.SUSPENSION: 2}


class NotifierProposalStatus(models.TextChoices):
    OPEN = "open", "Waiting for a lead"
    DECIDED = "decided", "Measure decided"
    DISMISSED = "dismissed", "Dismissed by a lead"


class NotifierEventKind(models.TextChoices):
    PROPOSAL_RAISED = "proposal_raised", "Threshold crossed: a measure proposed to the leads"
    PROPOSAL_DISMISSED = "proposal_dismissed", "Proposal dismissed by a lead"
    MEASURE_DECIDED = "measure_decided", "Measure decided by a lead"
    NOTICE_REFUSED = "notice_refused", "Notice refused at confirmation: notice handling suspended"
    APPEAL_FILED = "appeal_filed", "Appeal filed by the notifier"
    APPEAL_DECIDED = "appeal_decided", "Appeal decided"
    MEASURE_LIFTED = "measure_lifted", "Measure lifted"


# --- Transparency report (DSA Art. 15/24) and Transparency Database submission (Art. 24(5)). ---

class ComplainedOf(models.TextChoices):
    """The type of decision a complaint or an out-of-court dispute is about (Implementing Regulation
    (EU) 2024/2835, Annex I: complaints and disputes by type of decision complained of)."""
    LISTING_REMOVED = "listing_removed", "Removal of a listing"
    NOTICE_REJECTED = "notice_rejected", "Rejection of a notice (listing left online)"
    ACCOUNT_MEASURE = "account_measure", "Measure against a seller's account"
    NOTIFIER_MEASURE = "notifier_measure", "Measure against a notifier"


class DisputeOutcome(models.TextChoices):
    """How an out-of-court dispute (DSA Art. 21) ended, as the certified body reported it."""
    PENDING = "pending", "Not yet decided"
    FOR_RECIPIENT = "for_recipient", "Decided in favour of the complainant"
    FOR_PROVIDER = "for_provider", "Decided in favour of the marketplace"
    SETTLED = "settled", "Settled between the parties"
    DISCONTINUED = "discontinued", "Discontinued without a decision"


class OrderType(models.TextChoices):
    """Orders from Member State authorities: to act against illegal content (DSA Art. 9), or to
    provide information about recipients (Art. 10)."""
    ACT_AGAINST = "act_against", "Order to act against illegal content (Art. 9)"
    PROVIDE_INFORMATION = "provide_information", "Order to provide information (Art. 10)"


class TdbSubmissionStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Accepted by the Transparency Database"
    ALREADY_SENT = "already_sent", "Already in the Transparency Database (its puid was known)"
    FAILED = "failed", "Refused by the Transparency Database"


class TdbStatementKind(models.TextChoices):
    REMOVAL = "removal", "Listing removal"
    ACCOUNT_MEASURE = "account_measure", "Account measure"
