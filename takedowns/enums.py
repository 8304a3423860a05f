"""Choices and the allowed status transitions. The workflow (takedowns/workflow/) is the only code that
applies them."""

from collections.abc import Iterable
from typing import cast

from django.db import models
from django.utils.translation import gettext_lazy, gettext_noop
from django.utils.translation import pgettext_lazy as _pgettext_lazy


# The labels are translated lazily, in the language of whoever reads them (issue 13); typed as str, which
# a lazy string stands in for, so the code that reads `.label` needs no change. makemessages finds both.
def _(message: str) -> str:
    return cast(str, gettext_lazy(message))


def pgettext_lazy(context: str, message: str) -> str:
    return cast(str, _pgettext_lazy(context, message))


class NoticeStatus(models.TextChoices):
    UNCONFIRMED = "unconfirmed", _("Waiting for e-mail confirmation")
    CONFIRMED = "confirmed", _("Confirmed, being routed to a reviewer")
    IN_REVIEW = "in_review", _("With a reviewer")
    AWAITING_SUBMITTER = "awaiting_submitter", _("Waiting for the submitter's answer")
    CLOSED = "closed", pgettext_lazy("notice status", "Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn by the submitter")
    EXPIRED = "expired", _("Expired without confirmation")
    # Confirmed by a notifier whose notice handling is suspended (DSA Art. 23(2)): never routed.
    REFUSED = "refused", _("Refused: notices from this notifier are suspended")


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
    NEW = "new", _("Waiting for routing")
    IN_REVIEW = "in_review", _("Waiting for the reviewer's decision")
    NOT_FOUND = "not_found", _("Listing not found at the marketplace")
    DUPLICATE = "duplicate", _("Already reported in another open notice")
    ALREADY_REMOVED = "already_removed", _("Listing already removed")
    WITHDRAWN = "withdrawn", _("Withdrawn by the submitter")
    REMOVED = "removed", pgettext_lazy("listing state", "Removed")
    REJECTED = "rejected", pgettext_lazy("listing state", "Rejected")
    INFO_REQUESTED = "info_requested", _("Waiting for the submitter's answer")
    NO_ANSWER = "no_answer", _("Closed: the information asked for did not come")
    RESTORED = "restored", _("Removed, then restored after a counter-notice or appeal")


class DecisionOutcome(models.TextChoices):
    REMOVE = "remove", _("Remove the listing")
    REJECT = "reject", _("Reject the report")


# The item states a reviewer's decision moves an item to.
DECIDED_STATE: dict[str, str] = {DecisionOutcome.REMOVE: ItemState.REMOVED, DecisionOutcome.REJECT: ItemState.REJECTED}


class RightType(models.TextChoices):
    TRADEMARK = "trademark", pgettext_lazy("right type", "Trademark")
    COPYRIGHT = "copyright", pgettext_lazy("right type", "Copyright")
    DESIGN = "design", pgettext_lazy("right type", "Design")
    PATENT = "patent", pgettext_lazy("right type", "Patent")


class SubmitterRole(models.TextChoices):
    OWNER = "owner", _("I am the rights owner (or its employee)")
    AGENT = "agent", _("I am an agent authorised by the rights owner")


class SubmitterTrust(models.TextChoices):
    """The open trust ladder (PRODUCT.md): computed from the record, no account needed."""
    UNVERIFIED = "unverified", _("E-mail not yet confirmed")
    VERIFIED = "verified", _("Confirmed e-mail address")
    GOOD_FAITH = "good_faith", _("Good-faith programme")
    # Translators: "trusted flagger" as in DSA Art. 22 (de: vertrauenswürdiger Hinweisgeber).
    TRUSTED_FLAGGER = "trusted_flagger", _("Trusted flagger (DSA Art. 22)")


class InfringementReason(models.TextChoices):
    COUNTERFEIT = "counterfeit", _("Counterfeit goods")
    TRADEMARK_MISUSE = "trademark_misuse", _("Trademark misuse (logo or brand name used without permission)")
    COPYRIGHT_IMAGES = "copyright_images", _("Copyright: images copied")
    COPYRIGHT_TEXT = "copyright_text", _("Copyright: text copied")
    DESIGN = "design", _("Design infringement")
    PATENT = "patent", _("Patent infringement")


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
    REGISTRATION_CERTIFICATE = "registration_certificate", _("Registration certificate")
    AUTHORISATION_LETTER = "authorisation_letter", _("Authorisation letter")
    TEST_BUY = "test_buy", _("Test-buy proof")
    # A picture of the genuine product, sent with a right's registration: listing screening compares
    # new listings' images with it (issue 14).
    REFERENCE_IMAGE = "reference_image", _("Picture of the genuine product")
    OTHER = "other", _("Other evidence")


class ListingStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("listing status", "Active")
    REMOVED = "removed", pgettext_lazy("listing status", "Removed")
    # Listing screening (issue 14): a new or changed listing goes live only when screening publishes it.
    PENDING = "pending", _("Waiting for screening")
    HELD = "held", _("Held for review before it goes live")
    BLOCKED = "blocked", _("Blocked: matches a listing removed before")


class ActorKind(models.TextChoices):
    SUBMITTER = "submitter", pgettext_lazy("actor", "Submitter")
    SYSTEM = "system", pgettext_lazy("actor", "System")
    SELLER = "seller", pgettext_lazy("actor", "Seller")
    REVIEWER = "reviewer", pgettext_lazy("actor", "Reviewer")


class EventKind(models.TextChoices):
    FILED = "filed", _("Notice filed")
    CONFIRMED = "confirmed", _("E-mail address confirmed")
    ITEM_RESOLVED = "item_resolved", _("Listing looked up at the marketplace")
    ROUTED = "routed", _("Assigned to a reviewer")
    ROUTING_DEFERRED = "routing_deferred", _("No reviewer available yet")
    WITHDRAWN = "withdrawn", pgettext_lazy("event", "Withdrawn")
    EXPIRED = "expired", _("Expired without confirmation")
    REFUSED = "refused", _("Refused: the notifier's notices are suspended")
    CLAIMED = "claimed", _("Claimed by a reviewer")
    RELEASED = "released", _("Handed back to the queue")
    REASSIGNED = "reassigned", _("Reassigned by a lead")
    ESCALATED = "escalated", _("Escalated to a lead")
    ITEM_DECIDED = "item_decided", _("Listing decided")
    LISTING_REMOVED = "listing_removed", _("Listing taken down at the marketplace")
    CLOSED = "closed", _("Every listing decided")
    # Routing found no listing to decide (each not found, already removed or a duplicate): closed, never reviewed.
    NOTHING_TO_DECIDE = "nothing_to_decide", _("Closed: no reported listing could be reviewed")
    INFO_REQUESTED = "info_requested", _("Information requested from the submitter")
    AWAITING_SUBMITTER = "awaiting_submitter", _("Waiting for the submitter")
    INFO_ANSWERED = "info_answered", _("The submitter answered")
    BACK_IN_REVIEW = "back_in_review", _("Back with the reviewer")
    INFO_EXPIRED = "info_expired", _("No answer in time")
    REOPENED = "reopened", _("Reopened for a new decision (a successful appeal or a resubmitted fix)")
    CLOCK_STARTED = "clock_started", _("SLA clock started")
    CLOCK_PAUSED = "clock_paused", _("SLA clock paused")
    CLOCK_RESUMED = "clock_resumed", _("SLA clock resumed")
    CLOCK_STOPPED = "clock_stopped", _("SLA clock stopped")
    CLOCK_WARNED = "clock_warned", _("SLA clock about to breach")
    CLOCK_BREACHED = "clock_breached", _("SLA target breached")
    STRIKE_RECORDED = "strike_recorded", _("Strike recorded against the seller")
    STRIKE_EXPIRED = "strike_expired", _("Strike expired")
    STRIKE_REVERSED = "strike_reversed", _("Strike removed")
    PENALTY_DECIDED = "penalty_decided", _("Seller penalty decided")
    PENALTY_APPLIED = "penalty_applied", _("Seller penalty applied at the marketplace")
    PENALTY_LIFTED = "penalty_lifted", _("Seller penalty lifted")
    # The ladder stops at termination: a strike on a terminated account brings no second termination.
    PENALTY_NOT_DECIDED = "penalty_not_decided", _("No new penalty: the account is already terminated")
    COUNTER_NOTICE_FILED = "counter_notice_filed", _("Counter-notice filed by the seller")
    COUNTER_NOTICE_INCOMPLETE = "counter_notice_incomplete", _("Counter-notice returned as incomplete")
    COUNTER_NOTICE_ACCEPTED = "counter_notice_accepted", _("Counter-notice complete: copy sent, restore planned")
    LAWSUIT_REPORTED = "lawsuit_reported", _("Rights holder reported a lawsuit")
    LISTING_RESTORED = "listing_restored", _("Listing restored at the marketplace")
    APPEAL_FILED = "appeal_filed", _("Appeal filed")
    APPEAL_DECIDED = "appeal_decided", _("Appeal decided")
    RESUBMITTED = "resubmitted", _("Listing fixed and resubmitted by the submitter")
    # Own-initiative cases (Notice.source = screening), opened by listing screening (issue 14).
    SCREENING_HELD = "screening_held", _("Listing held by screening before it went live")
    SCREENING_BLOCKED = "screening_blocked", _("Listing blocked: it matches a listing removed before")
    LISTING_PUBLISHED = "listing_published", _("Listing published after review")


class ClockKind(models.TextChoices):
    """The SLA clocks of PRODUCT.md: what each measures is in workflow/clocks.py."""
    ACKNOWLEDGEMENT = "acknowledgement", pgettext_lazy("SLA clock", "Acknowledgement")
    TAKEDOWN_DECISION = "takedown_decision", _("Takedown decision")
    TAKEDOWN_EXECUTED = "takedown_executed", _("Takedown executed")
    SELLER_PENALTY = "seller_penalty", _("Seller penalty")
    COUNTER_NOTICE_RESTORE = "counter_notice_restore", _("Counter-notice restore")
    APPEAL_DECISION = "appeal_decision", _("Appeal decision")
    COUNTER_NOTICE_CHECK = "counter_notice_check", _("Counter-notice completeness check")
    # From a listing held by screening to the reviewer's decision on it (issue 14): the seller waits meanwhile.
    SCREENING_REVIEW = "screening_review", _("Screening review")


class PenaltyLevel(models.TextChoices):
    WARNING = "warning", pgettext_lazy("seller penalty", "Warning")
    RESTRICTION = "restriction", _("Restriction on new listings")
    SUSPENSION = "suspension", _("Temporary suspension")
    TERMINATION = "termination", _("Termination of the account")


# Higher is more severe: a new penalty is applied only when the ladder climbs.
PENALTY_SEVERITY: dict[str, int] = {PenaltyLevel.WARNING: 1, PenaltyLevel.RESTRICTION: 2, PenaltyLevel.SUSPENSION: 3,
                                     PenaltyLevel.TERMINATION: 4}


class SellerAccount(models.TextChoices):
    """The seller's account at the marketplace, as the local catalogue keeps it."""
    ACTIVE = "active", pgettext_lazy("seller account", "Active")
    RESTRICTED = "restricted", _("May not create new listings")
    SUSPENDED = "suspended", pgettext_lazy("seller account", "Suspended")
    TERMINATED = "terminated", pgettext_lazy("seller account", "Terminated")


class CounterNoticeStatus(models.TextChoices):
    FILED = "filed", _("Filed, being checked for completeness")
    INCOMPLETE = "incomplete", _("Incomplete: returned to the seller")
    WAITING = "waiting", _("Complete: the listing is restored at the end of the window")
    RESTORED = "restored", _("Listing restored")
    LAWSUIT = "lawsuit", _("The rights holder reported a lawsuit: not restored")


class Appellant(models.TextChoices):
    SELLER = "seller", pgettext_lazy("appellant", "Seller")
    SUBMITTER = "submitter", pgettext_lazy("appellant", "Submitter")


class AppealStatus(models.TextChoices):
    FILED = "filed", _("Waiting for a decision")
    UPHELD = "upheld", _("Original decision upheld")
    REVERSED = "reversed", _("Original decision reversed")


class EmailStatus(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("e-mail status", "Queued")
    SENDING = "sending", pgettext_lazy("e-mail status", "Sending")
    SENT = "sent", pgettext_lazy("e-mail status", "Sent")
    FAILED = "failed", pgettext_lazy("e-mail status", "Failed")


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

# The legal ground a removal rests on, per right type (statement of reasons, DSA Art. 17(3)(d)). Stored in
# English in Decision.legal_ground and sent so to the DSA Transparency Database (tdb.py); marked with
# gettext_noop only, so that pages and e-mails show it translated with {% translate decision.legal_ground %}.
LEGAL_GROUNDS: dict[str, str] = {
    # Translators: the legal ground of a removal in a statement of reasons (DSA Art. 17(3)(d)); keep the
    # regulation's number and article; "the countries concerned" are those where the listing is offered.
    RightType.TRADEMARK: gettext_noop("Infringement of a registered trademark (EU Trade Mark Regulation 2017/1001 "
                                      "Art. 9 and the national trademark law of the countries concerned)"),
    # Translators: the legal ground of a removal (DSA Art. 17(3)(d)); keep the directive's number and articles.
    RightType.COPYRIGHT: gettext_noop("Infringement of copyright (Directive 2001/29/EC Arts. 2-4 and national "
                                      "copyright law)"),
    # Translators: the legal ground of a removal (DSA Art. 17(3)(d)); "Community Design Regulation" as in the
    # official language versions of Regulation (EC) No 6/2002 (de: Gemeinschaftsgeschmacksmusterverordnung).
    RightType.DESIGN: gettext_noop("Infringement of a registered or unregistered design (Community Design "
                                   "Regulation 6/2002 Art. 19 and national design law)"),
    # Translators: the legal ground of a removal (DSA Art. 17(3)(d)).
    RightType.PATENT: gettext_noop("Infringement of a patent (national patent law of the countries where the patent "
                                   "is in force)"),
}


# Django auth groups of the reviewer area: reviewers decide notices, leads also reassign.
REVIEWER_GROUP = "Reviewer"
LEAD_GROUP = "Lead"


# --- Competitor-abuse screening (takedowns/risk.py). ---

class RiskBand(models.TextChoices):
    LOW = "low", pgettext_lazy("risk band", "Low")
    MEDIUM = "medium", pgettext_lazy("risk band", "Medium")
    HIGH = "high", pgettext_lazy("risk band", "High")


class RiskRuleCode(models.TextChoices):
    """The screening rules risk.py knows how to evaluate; a RiskRule row tunes each (on, points, parameters)."""
    FREE_MAIL_COMPANY = "free_mail_company", _("Free-mail address, organisation claimed")
    NEW_DOMAIN_COMPANY = "new_domain_company", _("Newly seen e-mail domain, organisation claimed")
    OWNER_MISMATCH = "owner_mismatch", _("Rights owner named is not the verified right's owner")
    NOTIFIER_IS_SELLER = "notifier_is_seller", _("Notifier's address is a seller's")
    COMPETING_SELLER = "competing_seller", _("Notifier linked to a competing seller in the same category")
    SELLER_BURST = "seller_burst", _("Burst of notices against one seller")
    FIRST_NOTICE_MANY_LISTINGS = "first_notice_many_listings", _("First notice, many listings of one seller")
    REGISTRATION_UNKNOWN = "registration_unknown", _("Registration not in the verified register")
    REGISTRATION_REUSED = "registration_reused", _("Registration named by other owners")


# --- Notifier misuse (DSA Art. 23(2)-(3)): takedowns/notifier_ladder.py has the rules,
# takedowns/workflow/notifier_misuse.py writes the rows. ---

class NotifierScope(models.TextChoices):
    """Who a measure concerns: one confirmed e-mail address, or every address of an organisation's
    e-mail domain (never a free-mail domain, which is nobody's organisation)."""
    EMAIL = "email", _("E-mail address")
    DOMAIN = "domain", _("Organisation (e-mail domain)")


class NotifierMeasureLevel(models.TextChoices):
    WARNING = "warning", pgettext_lazy("notifier measure", "Warning")
    # Translators: DSA Art. 23(2), suspending the processing of notices (de: Bearbeitung von Meldungen aussetzen).
    SUSPENSION = "suspension", _("Suspension of notice handling")


# Higher is more severe: the ladder never steps down.
NOTIFIER_SEVERITY: dict[str, int] = {NotifierMeasureLevel.WARNING: 1, NotifierMeasureLevel.SUSPENSION: 2}


class NotifierProposalStatus(models.TextChoices):
    OPEN = "open", _("Waiting for a lead")
    DECIDED = "decided", _("Measure decided")
    DISMISSED = "dismissed", _("Dismissed by a lead")


class NotifierEventKind(models.TextChoices):
    PROPOSAL_RAISED = "proposal_raised", _("Threshold crossed: a measure proposed to the leads")
    PROPOSAL_DISMISSED = "proposal_dismissed", _("Proposal dismissed by a lead")
    MEASURE_DECIDED = "measure_decided", _("Measure decided by a lead")
    NOTICE_REFUSED = "notice_refused", _("Notice refused at confirmation: notice handling suspended")
    APPEAL_FILED = "appeal_filed", _("Appeal filed by the notifier")
    APPEAL_DECIDED = "appeal_decided", _("Appeal decided")
    MEASURE_LIFTED = "measure_lifted", _("Measure lifted")


# --- Transparency report (DSA Art. 15/24) and Transparency Database submission (Art. 24(5)). ---

class ComplainedOf(models.TextChoices):
    """The type of decision a complaint or an out-of-court dispute is about (Implementing Regulation
    (EU) 2024/2835, Annex I: complaints and disputes by type of decision complained of)."""
    LISTING_REMOVED = "listing_removed", _("Removal of a listing")
    NOTICE_REJECTED = "notice_rejected", _("Rejection of a notice (listing left online)")
    ACCOUNT_MEASURE = "account_measure", _("Measure against a seller's account")
    NOTIFIER_MEASURE = "notifier_measure", _("Measure against a notifier")


class DisputeOutcome(models.TextChoices):
    """How an out-of-court dispute (DSA Art. 21) ended, as the certified body reported it."""
    PENDING = "pending", _("Not yet decided")
    FOR_RECIPIENT = "for_recipient", _("Decided in favour of the complainant")
    FOR_PROVIDER = "for_provider", _("Decided in favour of the marketplace")
    SETTLED = "settled", _("Settled between the parties")
    DISCONTINUED = "discontinued", _("Discontinued without a decision")


class OrderType(models.TextChoices):
    """Orders from Member State authorities: to act against illegal content (DSA Art. 9), or to
    provide information about recipients (Art. 10)."""
    # Translators: DSA Art. 9, "order to act against illegal content"
    # (de: Anordnung zum Vorgehen gegen rechtswidrige Inhalte).
    ACT_AGAINST = "act_against", _("Order to act against illegal content (Art. 9)")
    # Translators: DSA Art. 10, "order to provide information" (de: Auskunftsanordnung).
    PROVIDE_INFORMATION = "provide_information", _("Order to provide information (Art. 10)")


class TdbSubmissionStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Accepted by the Transparency Database")
    ALREADY_SENT = "already_sent", _("Already in the Transparency Database (its puid was known)")
    FAILED = "failed", _("Refused by the Transparency Database")


class TdbStatementKind(models.TextChoices):
    REMOVAL = "removal", _("Listing removal")
    ACCOUNT_MEASURE = "account_measure", _("Account measure")


# --- Proactive protection (issue 14): the rights registry, listing screening, stay-down. ---

class NoticeSource(models.TextChoices):
    """Where a case comes from. A notice of a rights holder (DSA Art. 16), or the marketplace's own
    initiative: a case listing screening opened for a listing it held or blocked. Such a case has no
    notifier: no tracking link, no e-mail to a submitter, and the reports count it apart."""
    NOTICE = "notice", _("Notice from a rights holder")
    SCREENING = "screening", _("Own initiative: listing screening")


class RightStatus(models.TextChoices):
    """A right registered through the public form: confirmed by e-mail, then verified by a lead. Only
    verified rights are on the protection list that screening reads."""
    UNCONFIRMED = "unconfirmed", _("Waiting for e-mail confirmation")
    PENDING = "pending", _("Confirmed, waiting for verification")
    VERIFIED = "verified", _("Verified: on the protection list")
    REJECTED = "rejected", _("Not verified")
    WITHDRAWN = "withdrawn", _("Withdrawn by the rights holder")
    EXPIRED = "expired", _("Expired without confirmation")


class RightEventKind(models.TextChoices):
    REGISTERED = "registered", _("Right registered")
    CONFIRMED = "confirmed", _("E-mail address confirmed")
    VERIFIED = "verified", _("Verified by the marketplace")
    REJECTED = "rejected", _("Not verified by the marketplace")
    CHANGED = "changed", _("Protection details changed")
    WITHDRAWN = "withdrawn", _("Withdrawn by the rights holder")
    EXPIRED = "expired", _("Expired without confirmation")


class ScreeningOutcome(models.TextChoices):
    PUBLISH = "publish", _("Published")
    HOLD = "hold", _("Held for review")
    BLOCK = "block", _("Blocked")


# Higher wins: a listing with a hold and a block hit is blocked.
SCREENING_SEVERITY: dict[str, int] = {ScreeningOutcome.PUBLISH: 0, ScreeningOutcome.HOLD: 1, ScreeningOutcome.BLOCK: 2}


class ScreeningTrigger(models.TextChoices):
    CREATED = "created", _("Listing created")
    CHANGED = "changed", _("Listing changed")


class ScreeningRuleCode(models.TextChoices):
    """The rules listing screening knows how to evaluate (takedowns/screening/); a ScreeningRule row
    tunes each (on, outcome, threshold)."""
    BRAND_TERM = "brand_term", _("Brand name disguised in the listing")
    LOW_PRICE = "low_price", _("Price far below the genuine product's")
    REFERENCE_IMAGE = "reference_image", _("Image like the genuine product's")
    UNAUTHORISED_SELLER = "unauthorised_seller", _("Seller not authorised for the brand")
    STAYDOWN_SAME_SELLER = "staydown_same_seller", _("Relisted by the seller of a removed listing")
    STAYDOWN_OTHER_SELLER = "staydown_other_seller", _("Like a removed listing, another seller")


class FingerprintSource(models.TextChoices):
    REMOVAL = "removal", _("Removed listing")
    REFERENCE = "reference", _("Picture of the genuine product")


# --- Professional notifiers (issue 15): organisations, their API keys, webhooks and CSV uploads. ---

class OrganisationStatus(models.TextChoices):
    """An organisation that files without a portal account: an address at its e-mail domain confirms it,
    then a lead verifies it. Only a verified organisation's notices are exempt from e-mail confirmation."""
    UNCONFIRMED = "unconfirmed", _("Waiting for e-mail confirmation")
    PENDING = "pending", _("Confirmed, waiting for verification")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Not verified")
    SUSPENDED = "suspended", _("Suspended by the marketplace")
    EXPIRED = "expired", _("Expired without confirmation")


class OrganisationEventKind(models.TextChoices):
    REGISTERED = "registered", _("Organisation registered")
    CONFIRMED = "confirmed", _("E-mail address confirmed")
    VERIFIED = "verified", _("Verified by the marketplace")
    REJECTED = "rejected", _("Not verified by the marketplace")
    SUSPENDED = "suspended", _("Suspended by the marketplace")
    EXPIRED = "expired", _("Expired without confirmation")
    KEY_CREATED = "key_created", _("API key created")
    KEY_ROTATED = "key_rotated", _("API key rotated")
    KEY_REVOKED = "key_revoked", _("API key revoked")
    ENDPOINT_ADDED = "endpoint_added", _("Webhook endpoint added")
    ENDPOINT_SECRET_ROTATED = "endpoint_rotated", _("Webhook secret rotated")
    ENDPOINT_REMOVED = "endpoint_removed", _("Webhook endpoint removed")
    UPLOAD_FILED = "upload_filed", _("CSV upload filed")


class ApiScope(models.TextChoices):
    """What an API key may do: file (and act on its notices: withdraw, answer, appeal, upload evidence) or read."""
    FILE = "file", _("File notices and act on them")
    READ = "read", _("Read notices")


class WebhookDeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be delivered")
    DELIVERING = "delivering", _("Being delivered")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Given up after a day of retries")


class UploadStatus(models.TextChoices):
    """A CSV upload's life: validated row by row in the worker, then (only when every row is valid and the
    uploader asked for it) filed as one or several notices."""
    VALIDATING = "validating", _("Checking the rows")
    INVALID = "invalid", _("Rows to correct")
    VALID = "valid", _("Ready to file")
    FILING = "filing", _("Filing")
    FILED = "filed", pgettext_lazy("a CSV upload's status", "Filed")
    FAILED = "failed", _("Could not be processed")
