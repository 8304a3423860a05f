"""Data only. Status fields are written by the workflow (takedowns/workflow/), nowhere else; README.md
("Who writes what") names the one writer of every other piece of state."""


from datetime import datetime, time, timedelta
from email.utils import make_msgid, parseaddr
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Case, When
from django.db.models.functions import Lower, StrIndex, Substr, Trim, Upper
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django_countries.fields import CountryField

from takedowns.enums import (
    EEA_COUNTRIES,
    OPEN_NOTICE_STATUSES,
    SAFETY_RELEVANT_CATEGORIES,
    ActorKind,
    AppealStatus,
    Appellant,
    ClockKind,
    ComplainedOf,
    CounterNoticeStatus,
    DecisionOutcome,
    DisputeOutcome,
    EmailStatus,
    EventKind,
    EvidenceKind,
    FingerprintSource,
    InfringementReason,
    ItemState,
    Language,
    ListingStatus,
    NoticeSource,
    NoticeStatus,
    NotifierEventKind,
    NotifierMeasureLevel,
    NotifierProposalStatus,
    NotifierScope,
    OrderType,
    OrganisationEventKind,
    OrganisationStatus,
    PenaltyLevel,
    RightEventKind,
    RightStatus,
    RightType,
    RiskBand,
    RiskRuleCode,
    ScreeningOutcome,
    ScreeningRuleCode,
    ScreeningTrigger,
    SellerAccount,
    SubmitterRole,
    SubmitterTrust,
    TdbStatementKind,
    TdbSubmissionStatus,
    UploadStatus,
    WebhookDeliveryStatus,
)


def domain_of(field: str) -> Lower:
    """The lower-cased part of an e-mail address after its @, as the database computes it: risk
    screening filters on it through indexes on this very expression (Seller, Notice)."""
    return Lower(Substr(field, StrIndex(field, models.Value("@")) + 1))


def address_key(field: str) -> Lower:
    """An address as compared: case and surrounding spaces ignored (indexed on Seller)."""
    return Lower(Trim(field))


# --- The marketplace mirror: the local catalogue that the default adapter works on. ---

class Seller(models.Model):
    external_id = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True, help_text="Where statements of reasons are sent.")
    country = CountryField()
    # Strikes under the repeat-infringer policy; raises the priority of notices against the seller.
    strike_count = models.PositiveIntegerField(default=0)
    # The seller's history on the review page, kept by the workflow: counting it on every page view
    # would read every item ever reported against the seller (bench/RESULTS.md, "Review queue").
    reported_items = models.PositiveIntegerField(default=0, editable=False)
    removed_items = models.PositiveIntegerField(default=0, editable=False)
    # The account as the marketplace keeps it; the local catalogue writes these when a penalty applies.
    account = models.CharField(max_length=16, choices=SellerAccount.choices, default=SellerAccount.ACTIVE)
    account_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Risk screening (takedowns/risk.py): who the seller is, as the marketplace verified it (KYC), to
    # find a notifier that is itself a seller or shares an identity with a competing one.
    # db_default: rows written by code without these fields (a release still running while this one migrates).
    address = models.CharField(max_length=300, blank=True, db_default="", help_text="Registered business address.")
    payment_identity = models.CharField(max_length=64, blank=True, db_default="", help_text=(
        "The marketplace's fingerprint of the payout account (e.g. a hash of the IBAN); never the account itself."))
    # The language the seller reads, as the marketplace keeps it (the adapter mirrors it): their statements
    # of reasons, penalty statements, counter-notice and appeal e-mails are written in it (issue 13).
    language = models.CharField(max_length=8, choices=Language.choices, default=Language.EN, db_default=Language.EN)
    # The marketplace's key for a cluster of linked accounts (same person or business behind several sellers,
    # as its own account-linking finds them); "" for none. Stay-down blocks a relisting by any account of the
    # cluster, and a referral package can take the whole cluster (issue 14).
    account_group = models.CharField(max_length=40, blank=True, default="", db_default="")

    class Meta:
        indexes = [
            models.Index(fields=["account_group"], name="seller_account_group", condition=~models.Q(account_group="")),
            # Risk screening's one query for sellers linked to a notifier (risk.gather_facts).
            models.Index(Upper("email"), name="seller_email"),
            models.Index(domain_of("email"), name="seller_email_domain"),
            models.Index(address_key("address"), name="seller_address", condition=~models.Q(address="")),
            models.Index(fields=["payment_identity"], name="seller_payment_identity",
                         condition=~models.Q(payment_identity="")),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.external_id})"


class Listing(models.Model):
    external_id = models.CharField(max_length=40, unique=True)
    seller = models.ForeignKey(Seller, on_delete=models.PROTECT, related_name="listings")
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=40)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, default="EUR")
    # The listing's picture: a path under static/ (the demo catalogue's demo-listings/<category>.svg)
    # or an absolute URL from the marketplace; "" for none. Shown to reviewers beside the snapshot's.
    image = models.CharField(max_length=500, blank=True, default="", db_default="")
    # Product attributes as the seller gave them (brand, model, colour...): screened like the title.
    attributes = models.JSONField(default=dict, blank=True, db_default=models.Value({}, models.JSONField()))
    status = models.CharField(max_length=16, choices=ListingStatus.choices, default=ListingStatus.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    # When screening last let the listing go live (null: never live, e.g. held then refused, or blocked).
    published_at = models.DateTimeField(null=True, blank=True)
    # The marketplace's sales of the listing, as the adapter mirrors them: the report's "proactive removals
    # before the first sale" reads first_sold_at against the removal.
    sales = models.PositiveIntegerField(default=0, db_default=0)
    first_sold_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["category", "id"]),
                   # The seller-side demo page and the screening figures: a seller's listings by status.
                   models.Index(fields=["seller", "status"], name="listing_seller_status")]

    def __str__(self) -> str:
        return f"{self.title} ({self.external_id})"

    @property
    def is_safety_relevant(self) -> bool:
        return self.category in SAFETY_RELEVANT_CATEGORIES


# --- Rights and reviewers. ---

class Right(models.Model):
    """A right the marketplace knows: registered by its holder through the public form (no account; an
    e-mail confirmation, then a lead's verification) or entered by staff. Verified rights are the
    protection list that listing screening reads (issue 14); notices that reference one are prefilled
    and need lighter evidence. Rows from before the registry are verified (the marketplace checked them)."""

    right_type = models.CharField(max_length=16, choices=RightType.choices)
    registration_number = models.CharField(max_length=80)
    office = models.CharField(max_length=80, help_text="Registry office or jurisdiction, e.g. EUIPO, USPTO.")
    owner_name = models.CharField(max_length=200)
    title = models.CharField(max_length=200, blank=True, help_text="Mark, work, design or invention.")
    status = models.CharField(max_length=12, choices=RightStatus.choices, default=RightStatus.VERIFIED,
                              db_default=RightStatus.VERIFIED)
    # The goods or services the right covers, and their Nice classes ("18, 25"), as registered.
    goods = models.TextField(blank=True, default="", db_default="")
    classes = models.CharField(max_length=120, blank=True, default="", db_default="")
    # The genuine product's usual price range: screening's low-price rule compares a listing's price with
    # price_min (ScreeningRule.threshold is the share of it below which a listing is held).
    price_min = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    price_max = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, default="EUR", db_default="EUR")
    # Sellers the holder authorised to sell the genuine product: screening publishes their listings.
    authorised_sellers: "models.ManyToManyField[Seller, Any]" = models.ManyToManyField(
        Seller, blank=True, related_name="authorised_rights")

    # The registration, when a holder registered it through the public form (blank for staff-entered rows).
    reference = models.CharField(max_length=20, unique=True, null=True, blank=True)
    submission_key = models.UUIDField(unique=True, null=True, blank=True)
    tracking_token = models.CharField(max_length=64, blank=True, default="", db_default="")
    confirmation_token = models.CharField(max_length=64, blank=True, default="", db_default="")
    registrant_name = models.CharField(max_length=200, blank=True, default="", db_default="")
    registrant_organisation = models.CharField(max_length=200, blank=True, default="", db_default="")
    registrant_email = models.EmailField(blank=True, default="", db_default="")
    registrant_role = models.CharField(max_length=16, choices=SubmitterRole.choices, blank=True, default="",
                                       db_default="")
    language = models.CharField(max_length=8, choices=Language.choices, default=Language.EN, db_default=Language.EN)
    created_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Unconfirmed by then, the registration expires.")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    rejection_reason = models.TextField(blank=True, default="", db_default="")

    class Meta:
        constraints = [
            # One verified right per registration: a second registration of the same right waits for a lead,
            # who verifies one of them (an unconfirmed copy cannot block the genuine holder).
            models.UniqueConstraint(fields=["right_type", "office", "registration_number"], name="unique_right",
                                    condition=models.Q(status=RightStatus.VERIFIED)),
        ]
        indexes = [models.Index(fields=["status", "confirmed_at"], name="right_status_confirmed")]

    def __str__(self) -> str:
        return f"{self.get_right_type_display()} {self.registration_number} ({self.office})"

    def tracking_path(self) -> str:
        return reverse("takedowns:right_track", args=[self.reference, self.tracking_token])

    def confirmation_path(self) -> str:
        return reverse("takedowns:right_confirm", args=[self.reference, self.confirmation_token])


class ProtectedTerm(models.Model):
    """A brand term of a right, as its holder typed it and normalised (takedowns/screening/text.normalise):
    screening finds every verified right's terms in a listing with one Aho-Corasick automaton."""

    right = models.ForeignKey(Right, on_delete=models.CASCADE, related_name="terms")
    term = models.CharField(max_length=100)
    normalised = models.CharField(max_length=100)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["right", "normalised"], name="unique_term_per_right")]
        indexes = [models.Index(fields=["normalised"], name="protected_term_normalised")]

    def __str__(self) -> str:
        return self.term


class Reviewer(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviewer")
    languages = models.CharField(max_length=60, default="en", help_text="Comma-separated language codes.")
    is_active = models.BooleanField(default=True)
    # Open notices assigned to this reviewer, kept by the workflow; counting them on every
    # assignment would read every open notice.
    open_load = models.PositiveIntegerField(default=0, editable=False)
    # Risk screening: only reviewers a lead designated here receive (or claim) high-risk notices.
    risk_reviewer = models.BooleanField(
        default=False, db_default=False, verbose_name="designated for high-risk notices",
        help_text="High-risk notices (possible competitor abuse) are assigned only to designated reviewers.")

    def __str__(self) -> str:
        return self.user.get_username()

    @property
    def language_list(self) -> list[str]:
        return [code.strip() for code in self.languages.split(",") if code.strip()]


class ReviewerSkill(models.Model):
    reviewer = models.ForeignKey(Reviewer, on_delete=models.CASCADE, related_name="skills")
    right_type = models.CharField(max_length=16, choices=RightType.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["reviewer", "right_type"], name="unique_reviewer_skill")]

    def __str__(self) -> str:
        return f"{self.reviewer}: {self.get_right_type_display()}"


# --- Submitters and notices. ---

class Submitter(models.Model):
    """A notifier's record, keyed by the e-mail address they confirmed (no account needed): the
    review page's "record so far" and the trust ladder are read from it."""

    email = models.EmailField(unique=True, help_text="Lower-cased.")
    trusted_flagger = models.BooleanField(
        default=False, help_text="Trusted flagger status awarded under DSA Art. 22; set by a lead.")
    # Kept by the workflow, so the review page reads one row instead of the whole history.
    notices = models.PositiveIntegerField(default=0, editable=False)
    removed_items = models.PositiveIntegerField(default=0, editable=False)
    rejected_items = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.email



class Notice(models.Model):
    reference = models.CharField(max_length=20, unique=True)
    status = models.CharField(max_length=24, choices=NoticeStatus.choices, default=NoticeStatus.UNCONFIRMED)
    # A rights holder's notice, or an own-initiative case that listing screening opened (issue 14): such a
    # case names the marketplace as its submitter, has no tracking link and sends no submitter e-mail;
    # the queues, the figures and the TDB statements (source_type) tell the two apart by this field.
    source = models.CharField(max_length=12, choices=NoticeSource.choices, default=NoticeSource.NOTICE,
                              db_default=NoticeSource.NOTICE)
    # The form's one-time key: a resent or double-clicked POST finds the notice it already made.
    submission_key = models.UUIDField(unique=True)
    # Random secrets, never derived from the id; compared in constant time.
    tracking_token = models.CharField(max_length=64)
    confirmation_token = models.CharField(max_length=64)

    submitter_name = models.CharField(max_length=200)
    submitter_organisation = models.CharField(max_length=200, blank=True)
    submitter_email = models.EmailField()
    submitter_country = CountryField()
    submitter_role = models.CharField(max_length=16, choices=SubmitterRole.choices)
    # DMCA 512(c)(3)(A)(iv): a copyright notice gives "information reasonably sufficient to permit the
    # service provider to contact the complaining party, such as an address, telephone number": the form
    # asks both for copyright notices (blank otherwise). Anonymised with the rest (workflow/retention.py).
    # A database default too, so that rows written by SQL (the benches' loaders) need not name them.
    submitter_address = models.TextField(blank=True, default="", db_default="")
    submitter_phone = models.CharField(max_length=40, blank=True, default="", db_default="")
    language = models.CharField(max_length=8, choices=Language.choices, default=Language.EN)
    # Set when the address is confirmed, with the trust the record earned at that moment.
    submitter = models.ForeignKey(Submitter, null=True, blank=True, on_delete=models.PROTECT, related_name="notice_set")
    trust = models.CharField(max_length=16, choices=SubmitterTrust.choices, default=SubmitterTrust.UNVERIFIED)

    # The right as the submitter claims it; verified_right is set when routing finds it registered.
    right_type = models.CharField(max_length=16, choices=RightType.choices)
    right_registration_number = models.CharField(max_length=80)
    right_office = models.CharField(max_length=80)
    right_owner = models.CharField(max_length=200)
    verified_right = models.ForeignKey(Right, null=True, blank=True, on_delete=models.SET_NULL)
    # A professional notifier's notice (issue 15): the organisation whose API key or CSV upload filed it, and the
    # key (rate limits are counted per key). Its webhooks report the notice's changes; a key reads only these.
    organisation = models.ForeignKey("Organisation", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="notices", db_index=False)
    api_key = models.ForeignKey("ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    description = models.TextField()
    good_faith_statement = models.BooleanField()
    accuracy_statement = models.BooleanField()
    signature = models.CharField(max_length=200)

    priority = models.IntegerField(default=0)
    assigned_to = models.ForeignKey(Reviewer, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="notices")

    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(help_text="An unconfirmed notice expires at this time.")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    routed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True, help_text="A reviewer asked a lead to step in.")
    # When the notice's next step is due: the acknowledgement clock's due time until routing, then
    # the takedown-decision clock's (moved by pauses). Kept by workflow/clocks.py; the queue's order.
    due_at = models.DateTimeField(null=True, blank=True)
    # The infringement reasons of the items, one bit each (enums.REASON_BITS), set at confirmation:
    # the queue's reason filter and counts read the notice row instead of joining every item.
    reason_mask = models.PositiveIntegerField(default=0)
    # When workflow/retention.py removed the case's personal data (or claimed an unconfirmed notice
    # for deletion): the claim two overlapping retention runs race for, and what the pages say.
    anonymised_at = models.DateTimeField(null=True, blank=True)
    # Risk screening (takedowns/risk.py), set by routing: the score, its band and the reasons, each
    # {"code", "points", "text"} naming the facts (no personal data: retention leaves them).
    # db_default: rows written without them (a release still running while this one migrates; bench loads).
    risk_score = models.PositiveIntegerField(default=0, db_default=0)
    risk_band = models.CharField(max_length=8, choices=RiskBand.choices, default=RiskBand.LOW, db_default=RiskBand.LOW)
    risk_reasons = models.JSONField(default=list, blank=True, db_default=models.Value([], models.JSONField()))

    class Meta:
        indexes = [
            # The review queue's order (due first, then priority) and its keyset.
            models.Index(fields=["status", "due_at", "-priority", "id"], name="notice_queue"),
            # The sweep for confirmed notices left unrouted.
            models.Index(fields=["status", "confirmed_at"], name="notice_status_confirmed"),
            # The transparency report: notices confirmed in a period, whatever their status.
            models.Index(fields=["confirmed_at"], name="notice_confirmed"),
            # The queue's counts: one index-only scan over open notices on PostgreSQL (bench/queue proposal 4).
            models.Index(fields=["status"],
                         include=["assigned_to", "escalated_at", "right_type", "trust", "reason_mask", "risk_band",
                                  "source"],
                         condition=models.Q(status__in=OPEN_NOTICE_STATUSES), name="notice_open_counts"),
            models.Index(fields=["status", "expires_at"], name="notice_status_expires"),
            # "Assigned to me" in queue order; its prefix serves the reviewer's load queries too.
            models.Index(fields=["assigned_to", "status", "due_at", "-priority", "id"], name="notice_assignee_queue"),
            # The submitter's record on the review page (iexact compares UPPER() on PostgreSQL).
            models.Index(Upper("submitter_email"), name="notice_submitter_email"),
            # Retention's two scans: closed cases not yet anonymised, and unconfirmed notices by age.
            models.Index(fields=["closed_at"], name="notice_retention_due",
                         condition=models.Q(anonymised_at__isnull=True, closed_at__isnull=False)),
            models.Index(fields=["created_at"], name="notice_unconfirmed_age",
                         condition=models.Q(confirmed_at__isnull=True)),
            # Risk screening: a domain's earlier notices; a registration named before (iexact: UPPER());
            # the dashboard's high-risk notices of a period; the queue filtered to medium or high risk.
            models.Index(domain_of("submitter_email"), "confirmed_at", name="notice_domain_confirmed"),
            models.Index(Upper("right_registration_number"), Upper("right_owner"), "confirmed_at",
                         name="notice_registration"),
            # The dashboard's risk bands (reports/risk.py): the routed notices confirmed in a period, counted
            # by band from the index alone (an index-only range scan; COUNT(*) reads no other column).
            models.Index(fields=["confirmed_at", "risk_band"], name="notice_risk_screened",
                         condition=models.Q(routed_at__isnull=False)),
            models.Index(fields=["status", "risk_band", "due_at", "-priority", "id"], name="notice_risky_queue",
                         condition=~models.Q(risk_band=RiskBand.LOW)),
            # The rate limits (takedowns/limits.py): an address's notices waiting for confirmation, at most
            # a few rows read whatever the address's volume; and a submitter's last confirmed notice (its
            # stamped rung: trust.standing).
            # The address is the key only while the notice waits for confirmation (NULL after): no other
            # index answers that key, so the plan is this index's whatever the statistics say.
            models.Index(Case(When(status=NoticeStatus.UNCONFIRMED, then=Upper("submitter_email"))), "expires_at",
                         name="notice_pending_by_email"),
            models.Index(fields=["submitter", "-confirmed_at"], name="notice_submitter_confirmed",
                         condition=models.Q(confirmed_at__isnull=False)),
            # The API's list of an organisation's notices, newest first, and its keyset (issue 15).
            models.Index(fields=["organisation", "-id"], name="notice_organisation",
                         condition=models.Q(organisation__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.reference

    def tracking_path(self) -> str:
        return reverse("takedowns:track", args=[self.reference, self.tracking_token])

    def confirmation_path(self) -> str:
        return reverse("takedowns:confirm", args=[self.reference, self.confirmation_token])


class InfoRequest(models.Model):
    """A reviewer's question to the submitter about some listings of a notice."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="info_requests")
    message = models.TextField()
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    due_at = models.DateTimeField(help_text="Unanswered by then, its listings close.")
    answer = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        indexes = [models.Index(fields=["answered_at", "expired_at", "due_at"], name="info_request_due")]

    def __str__(self) -> str:
        return f"{self.notice_id}: {self.message[:40]}"

    @property
    def is_open(self) -> bool:
        return self.answered_at is None and self.expired_at is None


class NoticeItem(models.Model):
    """One reported listing of a notice."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    reported = models.CharField(max_length=500, help_text="The URL or listing ID as the submitter gave it.")
    reason = models.CharField(max_length=24, choices=InfringementReason.choices)
    listing = models.ForeignKey(Listing, null=True, blank=True, on_delete=models.PROTECT, related_name="items")
    state = models.CharField(max_length=16, choices=ItemState.choices, default=ItemState.NEW)
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    info_request = models.ForeignKey(InfoRequest, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="items")
    # The listing as it was when routing looked it up: what the reviewer decides on, even if
    # the seller edits the listing afterwards.
    listing_snapshot = models.JSONField(null=True, blank=True)
    # Copies that routing writes with the listing, so risk screening's burst rule counts a seller's
    # notices in a window on one index range (item_seller_filed) however long its history.
    seller = models.ForeignKey(Seller, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               db_index=False)
    filed_at = models.DateTimeField(null=True, blank=True, help_text="When the notice was filed (its created_at).")
    # Not columns: the review page's seller figures, set by selectors.review_page for its template.
    seller_history: dict[str, int]
    # Not a column: the submitter's fix of this listing, set by selectors.review_page (None: none).
    fix: "Resubmission | None"
    # Not a column: the listing as reported beside now (selectors.notices.listing_comparison), on the review page.
    comparison: list
    # Not a column: a removed listing's relistings caught by stay-down (selectors.protection.relisted), or None.
    relisted: Any

    class Meta:
        ordering = ["notice_id", "position"]
        constraints = [models.UniqueConstraint(fields=["notice", "position"], name="unique_item_position")]
        indexes = [models.Index(fields=["listing", "state"], name="item_listing_state"),
                   models.Index(fields=["seller", "filed_at"], include=["notice"], name="item_seller_filed",
                                condition=models.Q(seller__isnull=False))]

    def __str__(self) -> str:
        return f"{self.notice_id}#{self.position} {self.reported}"

    @property
    def decided_listing(self) -> Listing:
        """The listing of an item that reached a decision: only an item whose listing routing found
        goes to review, so a decided item always has one."""
        if self.listing is None:
            raise ValueError(f"Listing {self.position} of notice {self.notice_id} was never found at the marketplace.")
        return self.listing

    @cached_property
    def decision(self) -> "Decision | None":
        """The decision in force on this listing, if any. Pages prefetch it with selectors.DECISION_IN_FORCE."""
        if hasattr(self, "decisions_in_force"):
            return self.decisions_in_force[0] if self.decisions_in_force else None
        return self.decisions.filter(reversed_at=None, superseded_at=None).select_related("reason_code").first()


class Evidence(models.Model):
    """An uploaded evidence file. Kept under the form's submission key until the notice exists,
    so that files survive a form error and need not be uploaded again."""

    notice = models.ForeignKey(Notice, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence")
    # Set for files the submitter sent with an answer to a reviewer's question.
    info_request = models.ForeignKey(InfoRequest, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="files")
    # Set for files the submitter sent with the fix of a rejected listing (workflow/resubmissions.py).
    resubmission = models.ForeignKey("Resubmission", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="files")
    # Set for files sent with a right's registration: its certificate, pictures of the genuine product.
    right = models.ForeignKey(Right, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence")
    # Set for files an organisation uploaded through the API (issue 15): a notice may name them by SHA-256.
    organisation = models.ForeignKey("Organisation", null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="evidence", db_index=False)
    submission_key = models.UUIDField(db_index=True)
    kind = models.CharField(max_length=32, choices=EvidenceKind.choices)
    file = models.FileField(upload_to="%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    # Not a column: "image", "pdf" or "" (no inline preview) on the review page (selectors.notices.preview_kind).
    preview: str

    class Meta:
        # An organisation's earlier upload named by its SHA-256 in a notice filed through the API.
        indexes = [models.Index(fields=["organisation", "sha256"], name="evidence_organisation_sha256",
                                condition=models.Q(organisation__isnull=False))]

    def __str__(self) -> str:
        return self.original_name


class ReasonCode(models.Model):
    """Why a report is rejected, in words the submitter can act on. Leads edit these in the admin."""

    code = models.SlugField(max_length=40, unique=True)
    title = models.CharField(max_length=120)
    submitter_text = models.TextField(help_text="Shown to the submitter: what is wrong and how to fix it.")
    is_active = models.BooleanField(default=True)
    # Read by the notifier misuse ladder (takedowns/notifier_ladder.py) each time it counts, so a change
    # here changes what counts from then on, for every decision in the window.
    manifestly_unfounded = models.BooleanField(
        default=False, help_text="A rejection with this reason shows the notice was manifestly unfounded: it "
                                 "counts towards the notifier misuse policy (DSA Art. 23(2)), published at "
                                 "/policies/notifier-misuse/.")
    # Read by resubmission_rules.py: what the submitter can fix on the same case (missing evidence, a
    # missing authorisation) rather than contest by appeal (a finding on the merits, a wrong right).
    fixable = models.BooleanField(
        default=False, db_default=False,
        help_text="The submitter can fix this on the same case: the tracking page offers “fix and resubmit” (text and "
                  "files) instead of only an appeal.")

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    # What a submitter, a seller or a policy page reads, in the reader's language: the texts we ship are in
    # the catalogues (marked in the migrations that wrote them); a lead's own wording has no translation and
    # is shown as written. Machine-readable outputs (TDB statements, exports) read title and submitter_text.
    @property
    def title_shown(self) -> str:
        return gettext(self.title)

    @property
    def text_shown(self) -> str:
        return gettext(self.submitter_text)


def _eea_countries() -> list[str]:
    return list(EEA_COUNTRIES)


class Decision(models.Model):
    """A reviewer's decision on one reported listing. One in force per item: the database refuses
    a second, unless an appeal set the first aside (reversed_at), which reopens the listing.

    It holds what the seller's statement of reasons (DSA Art. 17) and the Transparency Database
    statement are made from."""

    item = models.ForeignKey(NoticeItem, on_delete=models.PROTECT, related_name="decisions")
    outcome = models.CharField(max_length=8, choices=DecisionOutcome.choices)
    reason_code = models.ForeignKey(ReasonCode, null=True, blank=True, on_delete=models.PROTECT)
    note = models.TextField(blank=True, help_text="The reviewer's words to the submitter and the seller.")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()
    legal_ground = models.CharField(max_length=300, blank=True)
    # The marketplace's own reasoning (DSA Art. 17(3)(d)), prefilled from a RemovalGround and edited by
    # the reviewer; blank on removals decided before grounds were recorded (the statement says so).
    grounds = models.TextField(blank=True, db_default="", help_text="Why the marketplace finds the listing infringing "
                                                     "(removals), as the reviewer recorded it.")
    explanation = models.TextField(blank=True, help_text="What the notice claimed: the notifier's description, "
                                                         "quoted in the statement as theirs (removals).")
    territorial_scope = models.JSONField(default=_eea_countries)
    automated_detection = models.BooleanField(default=False)
    automated_decision = models.BooleanField(default=False)
    # The seller's private link to the statement of reasons and, later, counter-notice and appeal.
    seller_token = models.CharField(max_length=64, blank=True)
    listing_removed_at = models.DateTimeField(null=True, blank=True,
                                              help_text="When the marketplace took the listing down.")
    listing_restored_at = models.DateTimeField(null=True, blank=True,
                                               help_text="When the listing was put back (counter-notice or appeal).")
    reversed_at = models.DateTimeField(null=True, blank=True, help_text="When an appeal set this decision aside.")
    # Not a reversal: the submitter fixed what the rejection asked for, and the listing is decided afresh
    # (workflow/resubmissions.py). Kept apart from reversed_at, which counts reversals on appeal.
    superseded_at = models.DateTimeField(null=True, blank=True,
                                         help_text="When the submitter's fix and resubmission set this rejection "
                                                   "aside for a fresh decision.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item"],
                                               condition=models.Q(reversed_at__isnull=True, superseded_at__isnull=True),
                                               name="one_decision_in_force_per_item")]
        indexes = [
            models.Index(fields=["decided_at"], name="decision_decided_at"),
            # The transparency report's restored and reversed counts per period.
            models.Index(fields=["listing_restored_at"], name="decision_restored",
                         condition=models.Q(listing_restored_at__isnull=False)),
            models.Index(fields=["reversed_at"], name="decision_reversed",
                         condition=models.Q(reversed_at__isnull=False)),
            # The TDB submitter's queue mark and its backlog count (tdb_submission.py): removals carried out,
            # by when the listing came down.
            models.Index(fields=["listing_removed_at", "id"], name="decision_tdb_eligible",
                         condition=models.Q(outcome=DecisionOutcome.REMOVE, listing_removed_at__isnull=False)),
            # The notifier misuse check (selectors/notifiers.crossing): the rejections in force of a window
            # with the reason codes marked manifestly unfounded, without reading any other decision.
            models.Index(fields=["reason_code", "decided_at"], include=["item"],
                         condition=models.Q(reversed_at__isnull=True, outcome=DecisionOutcome.REJECT),
                         name="decision_unfounded_window"),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} #{self.item_id}"

    def seller_path(self) -> str:
        return reverse("takedowns:statement", args=[self.pk, self.seller_token])


class RemovalGround(models.Model):
    """The grounds of a removal, per right type and reported reason, in the marketplace's words: the
    decision form prefills a removal's grounds from the matching row, and the reviewer edits them for
    the listing. Leads edit these in the admin; a row without a reason covers every reason of its right."""

    right_type = models.CharField(max_length=16, choices=RightType.choices)
    reason = models.CharField(max_length=24, choices=InfringementReason.choices, blank=True)
    text = models.TextField(help_text="Our reasons, as the seller's statement of reasons gives them (DSA Art. "
                                      "17(3)(d)) and the Transparency Database publishes them: no names.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["right_type", "reason"]
        constraints = [models.UniqueConstraint(fields=["right_type", "reason"], name="one_ground_per_right_reason")]

    def __str__(self) -> str:
        return f"{self.get_right_type_display()}: {self.get_reason_display() or 'any reason'}"


class Resubmission(models.Model):
    """The submitter's fix of a listing rejected for a fixable reason, on the same case: their text
    and files, and the reviewer it went back to. One per listing (resubmission_rules.py says why)."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="resubmissions")
    item = models.OneToOneField(NoticeItem, on_delete=models.CASCADE, related_name="resubmission")
    decision = models.OneToOneField(Decision, on_delete=models.PROTECT, related_name="resubmission",
                                    help_text="The rejection the fix answers.")
    text = models.TextField()
    filed_at = models.DateTimeField()
    reviewer = models.ForeignKey(Reviewer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                 help_text="Who it went back to; none: it waits in the queue.")

    def __str__(self) -> str:
        return f"{self.notice_id}#{self.item_id} resubmitted"


class ImmutableRowError(Exception):
    pass


class ImmutableRow(models.Model):
    """A record written once: saving it again or deleting it raises (updates with QuerySet.update,
    such as retention's blanking of personal data, are the deliberate exception)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ImmutableRowError("Events are immutable; write a new event instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRowError("Events are immutable and are never deleted.")


class Event(ImmutableRow):
    """An immutable record of something that happened to a notice: the source of every SLA figure.
    One exception, by design: workflow/retention.py blanks the words people wrote (RETENTION_FREE_TEXT
    there) in `details` when the case's personal data is removed; the row, its kind and times stay."""

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="events")
    item = models.ForeignKey(NoticeItem, null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=32, choices=EventKind.choices)
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    actor_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["notice", "created_at"], name="event_notice_time")]

    # Not columns: the event in words on the reviewer's timeline (selectors.notices.describe_event).
    title: str
    from_words: str
    to_words: str

    def __str__(self) -> str:
        return f"{self.notice_id} {self.kind} {self.from_status}->{self.to_status}"


def new_message_id() -> str:
    """The Message-ID of a new e-mail, on the sender's domain. Stored on the row when it is written,
    so every attempt to send that e-mail carries the same one: a resend after an attempt whose
    outcome is unknown can be recognised as the same message by the receiving side."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return make_msgid(domain=domain)


class OutboundEmail(models.Model):
    """An e-mail written in the same transaction as the change it reports (an outbox), then sent
    by a task. The tracking page shows these rows, so the submitter sees every e-mail."""

    notice = models.ForeignKey(Notice, null=True, blank=True, on_delete=models.CASCADE, related_name="emails")
    # Set for the e-mails of a right's registration (its private page shows them).
    right = models.ForeignKey(Right, null=True, blank=True, on_delete=models.CASCADE, related_name="emails")
    # Set for the e-mails of an organisation's registration (issue 15; its private page shows them).
    organisation = models.ForeignKey("Organisation", null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="emails", db_index=False)
    kind = models.CharField(max_length=40)
    to = models.EmailField()
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField()
    # The language the message is written in (its recipient's), sent as its Content-Language header.
    language = models.CharField(max_length=8, default="en", db_default="en")
    # Blank only on rows written before Message-IDs were stored (migration 0011 gave unsent ones one),
    # or by code of that time (db_default: a release still running while this one migrates).
    message_id = models.CharField(max_length=320, blank=True, default=new_message_id, db_default="")
    status = models.CharField(max_length=8, choices=EmailStatus.choices, default=EmailStatus.QUEUED)
    # Attempts to send, each recorded (committed) before it talks to the SMTP server.
    attempts = models.PositiveIntegerField(default=0)
    # When a sender claimed the row; a claim older than outbox.SEND_LEASE was abandoned (worker died).
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Claims taken over from a sender lost mid-attempt: each such attempt's outcome was unknown, so
    # each takeover may have delivered the e-mail a second time (with the same Message-ID).
    takeovers = models.PositiveIntegerField(default=0, db_default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "created_at"], name="email_status_created"),
                   # Retention deletes mail attached to no notice (to sellers, to staff) by age.
                   models.Index(fields=["created_at"], name="email_unattached_created",
                                condition=models.Q(notice__isnull=True)),
                   models.Index(fields=["organisation", "created_at"], name="email_organisation",
                                condition=models.Q(organisation__isnull=False))]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to}"


# --- SLA policies and clocks. ---

class SlaPolicy(models.Model):
    """A target for one SLA clock, for a category (right type, infringement reason) and a priority
    band. Leads edit these in the admin; the most specific active policy applies to a new clock,
    and the clock keeps the terms it started with."""

    clock = models.CharField(max_length=24, choices=ClockKind.choices)
    right_type = models.CharField(max_length=16, choices=RightType.choices, blank=True, help_text="Blank: any.")
    reason = models.CharField(max_length=24, choices=InfringementReason.choices, blank=True, help_text="Blank: any.")
    min_priority = models.IntegerField(default=0, help_text="Applies to notices of at least this priority.")
    # DSA Art. 22(1): trusted flaggers' notices are decided with priority; their own (shorter)
    # targets put them first in the queue, which is ordered by due time.
    trusted_flagger_only = models.BooleanField(default=False, db_default=False, help_text=(
        "Applies only to notices from trusted flaggers (DSA Art. 22); such a notice falls due by the earlier of "
        "this policy and the one that would apply otherwise."))
    target = models.DurationField(help_text="e.g. 24:00:00, or 00:01:00 to watch a clock breach in the demo.")
    warn_ratio = models.FloatField(default=0.8, help_text="Warn when this share of the target has passed (0-1].")
    business_hours = models.BooleanField(default=False, help_text="Off: the clock runs round the clock.")
    timezone = models.CharField(max_length=64, default="Europe/Berlin")
    country = models.CharField(max_length=2, blank=True, help_text="Its public holidays do not count (ISO code).")
    subdivision = models.CharField(max_length=8, blank=True)
    day_start = models.TimeField(default=time(9, 0))
    day_end = models.TimeField(default=time(17, 0))
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name_plural = "SLA policies"
        ordering = ["clock", "right_type", "reason", "-min_priority"]

    def __str__(self) -> str:
        scope = " ".join(part for part in ("trusted flaggers" if self.trusted_flagger_only else "", self.right_type,
                                           self.reason) if part) or "any"
        return f"{self.get_clock_display()} ({scope}, priority ≥ {self.min_priority}): {self.target}"


class Strike(models.Model):
    """A strike under the repeat-infringer policy (DMCA 512(i)): one per seller and notice with at
    least one removal. Live while neither expired nor reversed."""

    seller = models.ForeignKey(Seller, on_delete=models.PROTECT, related_name="strikes")
    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="strikes")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    expired_at = models.DateTimeField(null=True, blank=True)
    reversed_at = models.DateTimeField(null=True, blank=True, help_text="Set aside by a restore.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["seller", "notice"], name="one_strike_per_seller_and_notice")]
        indexes = [models.Index(fields=["expires_at"], name="strike_live_expiry",
                                condition=models.Q(expired_at__isnull=True, reversed_at__isnull=True))]

    def __str__(self) -> str:
        return f"Strike {self.seller_id} / {self.notice_id}"


class Penalty(models.Model):
    """A step of the penalty ladder decided for a seller, applied at the marketplace by a task."""

    seller = models.ForeignKey(Seller, on_delete=models.PROTECT, related_name="penalties")
    strike = models.ForeignKey(Strike, on_delete=models.PROTECT, related_name="penalties",
                               help_text="The strike that took the seller to this step.")
    level = models.CharField(max_length=16, choices=PenaltyLevel.choices)
    live_strikes = models.PositiveIntegerField()
    decided_at = models.DateTimeField()
    applied_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True, help_text="Blank: no end (a warning, a termination).")
    lifted_at = models.DateTimeField(null=True, blank=True)
    lift_reason = models.TextField(blank=True)
    # DSA Art. 15(1)(e), 17(3)(c): whether automated means took the decision. The strike ladder decides
    # every penalty from the live strike count, no person involved (True); a penalty a person decides (a lead,
    # on appeal) is not automated. The transparency report and the TDB statement both read this field.
    # db_default: rows the benches insert with SQL are the ladder's, as every penalty the code creates.
    automated = models.BooleanField(db_default=True, help_text="Decided by the strike ladder, without a person.")
    # The seller's private link to this penalty's statement of reasons and its appeal.
    seller_token = models.CharField(max_length=64)

    class Meta:
        verbose_name_plural = "penalties"
        indexes = [models.Index(fields=["decided_at"], name="penalty_decided_at"),
                   # The TDB submitter's queue mark and its backlog count (tdb_submission.py): account measures
                   # applied, by when. The levels are tdb.PENALTY_MEASURES'.
                   models.Index(fields=["applied_at", "id"], name="penalty_tdb_eligible",
                                condition=models.Q(applied_at__isnull=False,
                                                   level__in=[PenaltyLevel.RESTRICTION, PenaltyLevel.SUSPENSION,
                                                              PenaltyLevel.TERMINATION]))]

    def __str__(self) -> str:
        return f"{self.get_level_display()} for {self.seller_id}"

    def seller_path(self) -> str:
        return reverse("takedowns:penalty_statement", args=[self.pk, self.seller_token])


class CounterNotice(models.Model):
    """The seller's counter-notice against a removal (DMCA 512(g)(3))."""

    # Not a column: the restore date in the counter-notice time zone, set by the selectors that show it.
    restore_at: str

    decision = models.OneToOneField(Decision, on_delete=models.PROTECT, related_name="counter_notice")
    full_name = models.CharField(max_length=200)
    address = models.TextField()
    phone = models.CharField(max_length=40)
    email = models.EmailField()
    material = models.TextField(help_text="The removed listing and where it appeared before removal.")
    explanation = models.TextField(help_text="Why the seller believes the removal was a mistake.")
    statement_mistake = models.BooleanField(
        help_text="Under penalty of perjury: removed by mistake or misidentification.")
    consent_jurisdiction = models.BooleanField(
        help_text="Consent to the jurisdiction of the court, and to accept service.")
    signature = models.CharField(max_length=200)
    filed_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=CounterNoticeStatus.choices, default=CounterNoticeStatus.FILED)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    checked_at = models.DateTimeField(null=True, blank=True)
    incomplete_reason = models.TextField(blank=True)
    restore_due_at = models.DateTimeField(null=True, blank=True)
    restored_at = models.DateTimeField(null=True, blank=True)
    lawsuit_reported_at = models.DateTimeField(null=True, blank=True)
    lawsuit_details = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "filed_at"], name="counter_notice_status"),
                   models.Index(fields=["filed_at"], name="counter_notice_filed"),
                   models.Index(fields=["restore_due_at"], name="counter_notice_restore_due",
                                condition=models.Q(status=CounterNoticeStatus.WAITING))]

    def __str__(self) -> str:
        return f"Counter-notice on decision {self.decision_id}"


class CounterNoticeFiling(models.Model):
    """One filing of a counter-notice: the first, and each correction filed after a reviewer returned
    it as incomplete. CounterNotice.filed_at is the latest (the receipt the restore window counts
    from); these rows keep every one, for the report's "counter-notices filed"."""

    counter_notice = models.ForeignKey(CounterNotice, on_delete=models.PROTECT, related_name="filings")
    filed_at = models.DateTimeField()
    refiling = models.BooleanField(help_text="Filed again after a reviewer returned it as incomplete.")

    class Meta:
        indexes = [models.Index(fields=["filed_at"], name="counter_notice_filing_filed")]

    def __str__(self) -> str:
        return f"Filing of counter-notice {self.counter_notice_id} at {self.filed_at:%Y-%m-%d %H:%M}"


class Appeal(models.Model):
    """An internal complaint (DSA Art. 20) against a decision on a listing or a seller penalty,
    decided by someone other than whoever decided the original."""

    decision = models.ForeignKey(Decision, null=True, blank=True, on_delete=models.PROTECT, related_name="appeals")
    penalty = models.ForeignKey(Penalty, null=True, blank=True, on_delete=models.PROTECT, related_name="appeals")
    appellant = models.CharField(max_length=16, choices=Appellant.choices)
    text = models.TextField()
    filed_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=AppealStatus.choices, default=AppealStatus.FILED)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    reasons = models.TextField(blank=True, help_text="Why, in words both sides receive.")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(decision__isnull=False) ^ models.Q(penalty__isnull=False),
                                   name="appeal_against_one_thing"),
            models.UniqueConstraint(fields=["decision", "appellant"], name="one_appeal_per_decision_and_side"),
            models.UniqueConstraint(fields=["penalty"], name="one_appeal_per_penalty"),
        ]
        indexes = [models.Index(fields=["status", "filed_at"], name="appeal_status"),
                   models.Index(fields=["filed_at"], name="appeal_filed"),
                   # The report's complaints decided in a period (reports/harmonised.complaints).
                   models.Index(fields=["decided_at"], name="appeal_decided",
                                condition=models.Q(decided_at__isnull=False))]

    def __str__(self) -> str:
        return f"Appeal {self.pk} ({self.get_status_display()})"


class SlaClock(models.Model):
    """One running or stopped SLA clock. The workflow starts, pauses, resumes and stops it (with
    an event each); the beat task claims due rows to warn and to mark breaches."""

    kind = models.CharField(max_length=24, choices=ClockKind.choices)
    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="clocks")
    item = models.ForeignKey(NoticeItem, null=True, blank=True, on_delete=models.PROTECT, related_name="clocks")
    strike = models.ForeignKey(Strike, null=True, blank=True, on_delete=models.PROTECT, related_name="clocks")
    counter_notice = models.ForeignKey(CounterNotice, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="clocks")
    appeal = models.ForeignKey(Appeal, null=True, blank=True, on_delete=models.PROTECT, related_name="clocks")
    policy = models.ForeignKey(SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The terms the clock started with; a later policy edit does not move a running clock.
    target = models.DurationField()
    calendar = models.JSONField(default=dict)
    started_at = models.DateTimeField()
    due_at = models.DateTimeField()
    warn_at = models.DateTimeField()
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_for = models.DurationField(default=timedelta(0), help_text="Wall-clock time spent paused.")
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    # Stopped because the case ended without the measured step (e.g. withdrawn): not in the figures.
    cancelled = models.BooleanField(default=False)
    elapsed = models.DurationField(null=True, blank=True, help_text=(
        "The clock's own time from start to stop, pauses left out: working time on its calendar "
        "(wall-clock time round the clock)."))
    # A takedown-decision clock started when an appeal or a fix and resubmit reopened a decided notice: a re-decision,
    # counted apart from the notices decided (their first decision clock).
    # db_default too: the benches write clock rows with SQL.
    reopened = models.BooleanField(default=False, db_default=False)
    # Not a column: the clock's state at page time (an sla.ClockState), set by the selectors that show it.
    state: str
    # Not a column: the date the tracking page shows as due (selectors/notices.submitter_clocks).
    shown_due: datetime

    class Meta:
        indexes = [
            # The beat task's two scans: running clocks due to warn, and due to breach.
            models.Index(fields=["warn_at"], name="clock_to_warn",
                         condition=models.Q(stopped_at__isnull=True, paused_at__isnull=True, warned_at__isnull=True)),
            models.Index(fields=["due_at"], name="clock_to_breach",
                         condition=models.Q(stopped_at__isnull=True, paused_at__isnull=True, breached_at__isnull=True)),
            # Dashboards: durations per clock over a period, and the running clocks.
            models.Index(fields=["kind", "stopped_at"], name="clock_kind_stopped"),
            models.Index(fields=["kind", "started_at"], name="clock_running",
                         condition=models.Q(stopped_at__isnull=True)),
            models.Index(fields=["stopped_at"], name="clock_counted",
                         condition=models.Q(stopped_at__isnull=False, cancelled=False)),
            models.Index(fields=["breached_at"], name="clock_breached", condition=models.Q(breached_at__isnull=False)),
            # The dashboard's re-decisions over a period: a handful of rows.
            models.Index(fields=["stopped_at"], name="clock_redecided",
                         condition=models.Q(reopened=True, cancelled=False, stopped_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} clock of {self.notice_id}"


class ReportSnapshot(models.Model):
    """The public transparency report of one period as last computed: a maintained roll-up, so
    that a visitor reads one row instead of aggregating a period of a million notices. A beat task
    refreshes the current and the previous periods; figures.published_report recomputes a stale one.
    A migration that changes a figure's definition deletes these rows to have them recomputed; the first
    publication dates are in ReportPublication, which it must leave alone."""

    period = models.CharField(max_length=8, unique=True, help_text="2026-11 or 2026-H2.")
    figures = models.JSONField()
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.period} as of {self.computed_at:%Y-%m-%d %H:%M}"


class ReportPublication(models.Model):
    """When the transparency report of a finished period was first published: the first time its figures
    were computed after the period ended (written once by reports/transparency.py, never updated). Kept apart
    from ReportSnapshot so that throwing stored snapshots away (a migration that changes a definition does)
    never loses the date; no migration deletes these rows. A period in progress has none."""

    period = models.CharField(max_length=8, unique=True, help_text="2026-11 or 2026-H2.")
    first_published_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.period} first published {self.first_published_at:%Y-%m-%d}"


class TdbQueueMark(models.Model):
    """How far the TDB submitter has queued statements (tdb_submission.py is its only writer): every
    removal whose listing came down, and every account measure applied, before `queued_until` has a
    TdbSubmission row. One row per kind of statement."""

    kind = models.CharField(max_length=16, choices=TdbStatementKind.choices, unique=True)
    queued_until = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.kind} queued until {self.queued_until:%Y-%m-%d %H:%M}"


class ClockDurationsDay(models.Model):
    """Roll-up for the leads' dashboard, written only by takedowns/reports/clock_rollup.py: the clocks of
    one kind that stopped on one day (settings.TIME_ZONE), cancelled ones left out, counted per
    elapsed-time bucket (clock_rollup.BUCKETS_PER_E: 5 % wide). A period's counts are sums of these
    rows; its medians and p90 come from the buckets (see clock_rollup)."""

    day = models.DateField()
    kind = models.CharField(max_length=24, choices=ClockKind.choices)
    bucket = models.SmallIntegerField()
    stopped = models.IntegerField()
    within_target = models.IntegerField()
    breached = models.IntegerField()
    elapsed_min = models.DurationField(help_text="The shortest elapsed time in the bucket.")
    elapsed_max = models.DurationField(help_text="The longest elapsed time in the bucket.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "kind", "bucket"], name="clock_durations_day_unique")]
        indexes = [
            # The dashboard's two reads, per kind over a period: index-only scans of just those rows.
            models.Index(fields=["kind", "day"], name="clock_durations_by_kind",
                         include=["bucket", "stopped", "within_target", "breached", "elapsed_min", "elapsed_max"]),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.kind} bucket {self.bucket}: {self.stopped}"


class ClockRollupMark(models.Model):
    """How far the clock roll-up goes: one row, written only by takedowns/reports/clock_rollup.py. The two
    roll-up tables count exactly the clocks stopped, and the breaches, before `through`; readers
    add what came later live from the clock table. Empty (None) until the first refresh."""

    through = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"clock roll-up through {self.through}"


class ClockBreachesDay(models.Model):
    """Roll-up for the leads' dashboard, written only by takedowns/reports/clock_rollup.py: the clocks of
    one kind that breached on one day (settings.TIME_ZONE), one per clock_breached event."""

    day = models.DateField()
    kind = models.CharField(max_length=24, choices=ClockKind.choices)
    breaches = models.IntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "kind"], name="clock_breaches_day_unique")]

    def __str__(self) -> str:
        return f"{self.day} {self.kind}: {self.breaches}"


# --- The outbox of task dispatches. ---

class TaskDispatch(models.Model):
    """A task the domain asked for, written only by takedowns/dispatch.py in the same transaction as
    the change that needs it, and published to the broker after commit: by the process that wrote
    it, or, if the broker was down then, by the relay (a beat task). Published rows are pruned."""

    task = models.CharField(max_length=100)
    kwargs = models.JSONField()
    created_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)
    # Attempts to publish it, and the last one's error (the broker was down) if it failed.
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            # The relay's "unpublished, oldest first": only the rows still waiting are in it.
            models.Index(fields=["created_at", "id"], condition=models.Q(published_at__isnull=True),
                         name="dispatch_unpublished"),
        ]

    def __str__(self) -> str:
        return f"{self.task}({self.kwargs})"


# --- Risk screening of notices (takedowns/risk.py): the rules as data a lead tunes in the admin. ---

class RiskRule(models.Model):
    """One screening rule: whether it runs, the points it adds to a notice's risk score when it fires,
    and its parameters (which rule uses which: risk.PARAMETERS; the admin's form requires them)."""

    code = models.CharField(max_length=40, choices=RiskRuleCode.choices, unique=True)
    enabled = models.BooleanField(default=True)
    points = models.PositiveSmallIntegerField(help_text="Added to the risk score when the rule fires.")
    threshold = models.PositiveIntegerField(null=True, blank=True,
                                            help_text="A count the rule fires at (see the rule's description).")
    window = models.DurationField(null=True, blank=True, help_text="How far back the rule looks, e.g. 1 00:00:00.")

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.get_code_display()} (+{self.points}{'' if self.enabled else ', off'})"


# --- Notifier misuse (DSA Art. 23(2)-(3)): written only by takedowns/workflow/notifier_misuse.py, by
# the rules of takedowns/notifier_ladder.py. A notifier is a confirmed e-mail address, or the e-mail
# domain of an organisation (never a free-mail domain); the key is lower-cased. ---

class NotifierProposal(models.Model):
    """The system's finding that a notifier's notices crossed the misuse threshold, with the figures a
    lead weighs (DSA Art. 23(3)): decided by a lead (the ladder's next step) or dismissed. At most one
    open proposal per notifier."""

    scope = models.CharField(max_length=8, choices=NotifierScope.choices)
    notifier = models.CharField(max_length=254, help_text="The e-mail address or the domain, lower-cased.")
    status = models.CharField(max_length=12, choices=NotifierProposalStatus.choices,
                              default=NotifierProposalStatus.OPEN)
    raised_at = models.DateTimeField()
    # What was counted: listings decided from window_start to raised_at, of notices confirmed after
    # confirmed_after (the notifier's previous measure or dismissal), if any.
    window_start = models.DateTimeField()
    confirmed_after = models.DateTimeField(null=True, blank=True)
    decided_listings = models.PositiveIntegerField()
    rejected_listings = models.PositiveIntegerField()
    unfounded_listings = models.PositiveIntegerField(help_text="Rejected with a manifestly unfounded reason.")
    notices = models.PositiveIntegerField()
    # The notifier's addresses whose notices were counted (one for an e-mail address): who is told.
    addresses = models.JSONField(default=list)
    # {reason code: listings} of the manifestly unfounded rejections.
    by_reason_code = models.JSONField(default=dict)
    # The ladder's next step when the proposal was raised (the decision applies the one in force then).
    step_level = models.CharField(max_length=12, choices=NotifierMeasureLevel.choices)
    step_days = models.PositiveIntegerField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    dismissal_reasons = models.TextField(blank=True)
    # When workflow/retention.py removed the case's personal data (the addresses and the words people wrote).
    anonymised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "notifier"],
                                               condition=models.Q(status=NotifierProposalStatus.OPEN),
                                               name="one_open_proposal_per_notifier")]
        indexes = [models.Index(fields=["scope", "notifier", "raised_at"], name="notifier_proposal_notifier"),
                   models.Index(fields=["status", "raised_at"], name="notifier_proposal_status"),
                   # Retention's scan: closed cases not yet anonymised, oldest first.
                   models.Index(fields=["closed_at"], name="notifier_proposal_retention",
                                condition=models.Q(anonymised_at__isnull=True, closed_at__isnull=False))]

    def __str__(self) -> str:
        return f"{self.get_scope_display()} {self.notifier}: {self.unfounded_listings}/{self.decided_listings}"

    @property
    def share(self) -> float:
        return self.unfounded_listings / self.decided_listings if self.decided_listings else 0.0


class NotifierMeasure(models.Model):
    """A warning, or a suspension of the handling of a notifier's notices, decided by a lead on a
    proposal, with the statement of reasons e-mailed to the notifier. A suspension is in force from
    its decision until ends_at (checked by date: it ends by itself) unless lifted on appeal."""

    proposal = models.OneToOneField(NotifierProposal, on_delete=models.PROTECT, related_name="measure")
    scope = models.CharField(max_length=8, choices=NotifierScope.choices)
    notifier = models.CharField(max_length=254)
    level = models.CharField(max_length=12, choices=NotifierMeasureLevel.choices)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True, help_text="Blank for a warning.")
    statement = models.TextField(help_text="The lead's reasons, e-mailed to the notifier.")
    recipients = models.JSONField(default=list)
    # The notifier's private link to the statement of reasons and its appeal.
    token = models.CharField(max_length=64)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lift_reason = models.TextField(blank=True)

    class Meta:
        indexes = [
            # Confirmation's check and the tracking page: the measures of one address or domain.
            models.Index(fields=["scope", "notifier", "decided_at"], name="notifier_measure_notifier"),
            # The transparency report: measures decided, and lifted, in a period.
            models.Index(fields=["decided_at"], name="notifier_measure_decided"),
            models.Index(fields=["lifted_at"], name="notifier_measure_lifted",
                         condition=models.Q(lifted_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} of {self.notifier}"

    def private_path(self) -> str:
        return reverse("takedowns:notifier_measure", args=[self.pk, self.token])


class NotifierAppeal(models.Model):
    """The notifier's internal complaint (DSA Art. 20) against a measure, once per measure, decided
    by a lead other than the one who decided the measure."""

    measure = models.OneToOneField(NotifierMeasure, on_delete=models.PROTECT, related_name="appeal")
    # Who filed it from a notice's tracking page (blank: from the statement's private link).
    appellant_email = models.EmailField(blank=True)
    text = models.TextField()
    filed_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=AppealStatus.choices, default=AppealStatus.FILED)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    reasons = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "filed_at"], name="notifier_appeal_status"),
                   models.Index(fields=["filed_at"], name="notifier_appeal_filed"),
                   models.Index(fields=["decided_at"], name="notifier_appeal_decided",
                                condition=models.Q(decided_at__isnull=False))]

    def __str__(self) -> str:
        return f"Appeal against {self.measure_id} ({self.get_status_display()})"


class NotifierEvent(ImmutableRow):
    """An immutable record of a step of a notifier's misuse case (the notice's own events record the
    refusal of a notice as well). Like Event, only workflow/retention.py touches one: it blanks the
    notifier and the words people wrote, years later."""

    scope = models.CharField(max_length=8, choices=NotifierScope.choices)
    notifier = models.CharField(max_length=254)
    proposal = models.ForeignKey(NotifierProposal, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="events")
    measure = models.ForeignKey(NotifierMeasure, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="events")
    kind = models.CharField(max_length=24, choices=NotifierEventKind.choices)
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    actor_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["scope", "notifier", "created_at"], name="notifier_event_notifier"),
                   # The transparency report: notices refused in a period.
                   models.Index(fields=["kind", "created_at"], name="notifier_event_kind")]

    def __str__(self) -> str:
        return f"{self.notifier} {self.kind}"


# --- Transparency report (DSA Art. 15/24) and the Transparency Database (Art. 24(5)). ---

class OutOfCourtDispute(models.Model):
    """A dispute a party took to a certified out-of-court settlement body (DSA Art. 21), as a lead
    records it when a party or the body reports it, and later its outcome. Leads are its only
    writers (in /admin/); the transparency report counts it."""

    complained_of = models.CharField(max_length=20, choices=ComplainedOf.choices)
    body = models.CharField(max_length=200, help_text="The certified out-of-court dispute settlement body.")
    reference = models.CharField(max_length=80, blank=True, help_text="The body's case reference.")
    submitted_at = models.DateTimeField(help_text="When the dispute was submitted to the body.")
    outcome = models.CharField(max_length=16, choices=DisputeOutcome.choices, default=DisputeOutcome.PENDING)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="When the body decided or closed it.")
    implemented = models.BooleanField(default=False, help_text="The marketplace complied with the body's decision.")
    notes = models.TextField(blank=True, help_text="No personal data: the case reference says which case it is.")

    class Meta:
        indexes = [models.Index(fields=["submitted_at"], name="dispute_submitted"),
                   models.Index(fields=["closed_at"], name="dispute_closed",
                                condition=models.Q(closed_at__isnull=False))]
        constraints = [models.CheckConstraint(
            condition=models.Q(outcome=DisputeOutcome.PENDING, closed_at__isnull=True)
            | (~models.Q(outcome=DisputeOutcome.PENDING) & models.Q(closed_at__isnull=False)),
            name="dispute_closed_when_decided")]

    def __str__(self) -> str:
        return f"{self.body} {self.reference}".strip()


class AuthorityOrder(models.Model):
    """An order from a Member State's judicial or administrative authority (DSA Art. 9: act against
    illegal content; Art. 10: provide information), recorded by a lead in /admin/ (its only writer)."""

    authority = models.CharField(max_length=200, help_text="The issuing judicial or administrative authority.")
    member_state = models.CharField(max_length=2, choices=[(code, code) for code in EEA_COUNTRIES])
    order_type = models.CharField(max_length=20, choices=OrderType.choices)
    right_type = models.CharField(max_length=16, choices=RightType.choices, blank=True,
                                  help_text="The right the illegal content infringes, where the order says.")
    reference = models.CharField(max_length=80, blank=True, help_text="The authority's reference.")
    received_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True,
                                           help_text="When the receipt was confirmed to the authority.")
    given_effect_at = models.DateTimeField(null=True, blank=True,
                                           help_text="When the order was carried out (or the information given).")

    class Meta:
        indexes = [models.Index(fields=["received_at"], name="authority_order_received")]

    def __str__(self) -> str:
        return f"{self.member_state} {self.authority} {self.reference}".strip()


class TdbSubmission(models.Model):
    """One statement of reasons on its way to the DSA Transparency Database (Art. 24(5)), keyed by our
    puid so that it is never sent twice: takedowns/tdb_submission.py is its only writer (a row is
    created pending, claimed before each send, and records the TDB's uuid once accepted)."""

    puid = models.CharField(max_length=500, unique=True)
    kind = models.CharField(max_length=16, choices=TdbStatementKind.choices)
    decision = models.OneToOneField(Decision, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="tdb_submission")
    penalty = models.OneToOneField(Penalty, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="tdb_submission")
    status = models.CharField(max_length=16, choices=TdbSubmissionStatus.choices, default=TdbSubmissionStatus.PENDING)
    claim = models.UUIDField(null=True, blank=True, help_text="The sending run that holds it.")
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    tdb_uuid = models.CharField(max_length=64, blank=True, help_text="The statement's id in the TDB.")
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "TDB submission"
        indexes = [models.Index(fields=["status", "id"], name="tdb_submission_status"),
                   models.Index(fields=["sent_at"], name="tdb_submission_sent",
                                condition=models.Q(sent_at__isnull=False)),
                   # The dashboard's last error.
                   models.Index(fields=["-claimed_at"], name="tdb_submission_error",
                                condition=~models.Q(last_error=""))]
        constraints = [models.CheckConstraint(
            condition=models.Q(decision__isnull=False, penalty__isnull=True)
            | models.Q(decision__isnull=True, penalty__isnull=False), name="tdb_submission_one_source")]

    def __str__(self) -> str:
        return f"{self.puid} ({self.status})"


class RightEvent(ImmutableRow):
    """What happened to a registration, written once (the registration's private page shows them)."""

    right = models.ForeignKey(Right, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=16, choices=RightEventKind.choices)
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    actor_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["right", "created_at"], name="right_event_time")]

    def __str__(self) -> str:
        return f"{self.right_id} {self.kind}"


# --- Listing screening and stay-down (issue 14): takedowns/screening/ decides, takedowns/workflow/screening.py
# and takedowns/staydown.py write these rows. ---

class ScreeningRule(models.Model):
    """One listing-screening rule as data a lead tunes in the admin: whether it runs, what a hit does
    (hold for review, or block), and its threshold, whose meaning the rule's description gives."""

    code = models.CharField(max_length=32, choices=ScreeningRuleCode.choices, unique=True)
    enabled = models.BooleanField(default=True)
    outcome = models.CharField(max_length=8, choices=ScreeningOutcome.choices, default=ScreeningOutcome.HOLD)
    threshold = models.FloatField(null=True, blank=True, help_text=(
        "low_price: the share of the genuine minimum price below which a listing is held (0.5 = 50 %); "
        "stay-down: the least estimated similarity (0-1) of a listing's text to a removed one's."))
    max_distance = models.PositiveSmallIntegerField(null=True, blank=True, help_text=(
        "reference_image and stay-down: the largest Hamming distance (bits of 64) between two pictures' hashes "
        "that still counts as the same picture."))

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.get_code_display()} ({self.get_outcome_display()}{'' if self.enabled else ', off'})"


class Screening(ImmutableRow):
    """One screening of a listing, created or changed, and its outcome: written once, the record that
    every outcome happened (publish too). A hold or block opened `case`, an own-initiative Notice."""

    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="screenings")
    trigger = models.CharField(max_length=8, choices=ScreeningTrigger.choices)
    outcome = models.CharField(max_length=8, choices=ScreeningOutcome.choices)
    case = models.ForeignKey(Notice, null=True, blank=True, on_delete=models.PROTECT, related_name="screenings")
    screened_at = models.DateTimeField()
    # The listing's image hash as screened (takedowns/imaging.perceptual_hash), for the review page.
    image_hash = models.BigIntegerField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["screened_at"], name="screening_time"),
                   models.Index(fields=["listing", "screened_at"], name="screening_listing"),
                   models.Index(fields=["outcome", "screened_at"], name="screening_outcome_time")]

    def __str__(self) -> str:
        return f"{self.listing_id} {self.outcome}"


class ScreeningHit(models.Model):
    """One rule that fired in a screening, with what it matched: the right and term, or the removed
    listing (stay-down), and the measure (price share, image distance, text similarity)."""

    screening = models.ForeignKey(Screening, on_delete=models.CASCADE, related_name="hits")
    rule = models.CharField(max_length=32, choices=ScreeningRuleCode.choices)
    outcome = models.CharField(max_length=8, choices=ScreeningOutcome.choices)
    right = models.ForeignKey(Right, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    term = models.CharField(max_length=100, blank=True, default="")
    field = models.CharField(max_length=32, blank=True, default="", help_text="Where it matched: title, description, "
                                                                             "an attribute, the image.")
    fingerprint = models.ForeignKey("Fingerprint", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    measure = models.FloatField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["rule", "screening"], name="screening_hit_rule")]

    def __str__(self) -> str:
        return f"{self.rule} on {self.screening_id}"


class Fingerprint(ImmutableRow):
    """What stay-down and the reference-image rule compare a listing with: a removed listing (written
    when it came down) or a genuine product's picture from a right's registration. Written once."""

    source = models.CharField(max_length=12, choices=FingerprintSource.choices)
    listing = models.ForeignKey(Listing, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decision = models.ForeignKey("Decision", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    evidence = models.ForeignKey(Evidence, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    right = models.ForeignKey(Right, null=True, blank=True, on_delete=models.PROTECT, related_name="fingerprints")
    seller = models.ForeignKey(Seller, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    account_group = models.CharField(max_length=40, blank=True, default="")
    # The listing's text as MinHash values of its normalised shingles (takedowns/screening/text.py), and its
    # 64-bit perceptual image hash as a signed integer (PostgreSQL bigint).
    text_signature = models.JSONField(default=list, blank=True)
    image_hash = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["listing"], name="fingerprint_listing",
                                condition=models.Q(listing__isnull=False))]

    def __str__(self) -> str:
        return f"{self.source} fingerprint {self.pk}"


class FingerprintKey(models.Model):
    """The index that finds candidate fingerprints without a scan (multi-index hashing): each
    fingerprint's image hash cut into bands and its text signature into LSH bands, one row per band,
    the band's kind, position and value packed into `key` (takedowns/staydown.py says how)."""

    fingerprint = models.ForeignKey(Fingerprint, on_delete=models.CASCADE, related_name="keys", db_index=False)
    key = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["key"], include=["fingerprint"], name="fingerprint_key")]

    def __str__(self) -> str:
        return f"{self.fingerprint_id}:{self.key}"


class Referral(ImmutableRow):
    """A referral package for law enforcement that a lead built about a seller or a cluster of linked
    sellers: written once, with the archive's SHA-256 (the record of who handed what to whom)."""

    reference = models.CharField(max_length=20, unique=True)
    seller = models.ForeignKey(Seller, on_delete=models.PROTECT, related_name="referrals")
    sellers = models.ManyToManyField(Seller, related_name="+", help_text="Every seller in the package.")
    authority = models.CharField(max_length=200, help_text="Who the package is for, e.g. a police unit or customs.")
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    archive = models.FileField(upload_to="referrals/%Y/%m/")
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="referral_created")]

    def __str__(self) -> str:
        return self.reference


# --- Professional notifiers (issue 15): workflow/organisations.py writes Organisation, OrganisationEvent, ApiKey
# and WebhookEndpoint; webhooks.py writes WebhookEvent, WebhookDelivery and WebhookAttempt; the API's filing
# writes IdempotencyKey; workflow/uploads.py writes CsvUpload. ---

class Organisation(models.Model):
    """A professional notifier (a brand-protection vendor, a law firm, a large brand) that files without a
    portal account: it proves an e-mail domain (a confirmation to an address there), a lead verifies it, and it
    manages its API keys, webhook endpoints and CSV uploads from a private link."""

    reference = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    # The e-mail domain it proved, lower case ("brandguard.example"): its notices' submitter addresses are there.
    domain = models.CharField(max_length=253)
    contact_name = models.CharField(max_length=200)
    contact_email = models.EmailField(help_text="An address at the domain: confirmations and notices go there.")
    country = CountryField()
    role = models.CharField(max_length=16, choices=SubmitterRole.choices)
    language = models.CharField(max_length=8, choices=Language.choices, default=Language.EN)
    status = models.CharField(max_length=12, choices=OrganisationStatus.choices, default=OrganisationStatus.UNCONFIRMED)
    # The registration form's one-time key: a resent POST finds the organisation it made.
    submission_key = models.UUIDField(unique=True)
    # The private link (never shown in staff tools) and the confirmation link's secret.
    tracking_token = models.CharField(max_length=64)
    confirmation_token = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(help_text="Unconfirmed by then, the registration expires.")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    rejection_reason = models.TextField(blank=True, default="", db_default="")

    class Meta:
        constraints = [
            # One verified organisation per domain: a second registration of it waits for a lead.
            models.UniqueConstraint(fields=["domain"], name="unique_verified_domain",
                                    condition=models.Q(status=OrganisationStatus.VERIFIED)),
        ]
        indexes = [models.Index(fields=["status", "confirmed_at"], name="organisation_status_confirmed")]

    def __str__(self) -> str:
        return f"{self.name} ({self.domain})"

    def tracking_path(self) -> str:
        return reverse("takedowns:organisation_page", args=[self.reference, self.tracking_token])

    def confirmation_path(self) -> str:
        return reverse("takedowns:organisation_confirm", args=[self.reference, self.confirmation_token])


class OrganisationEvent(ImmutableRow):
    """What happened to an organisation's registration, keys and endpoints (its private page shows them)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=20, choices=OrganisationEventKind.choices)
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    actor_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["organisation", "created_at"], name="organisation_event_time")]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.kind}"


class ApiKey(models.Model):
    """An organisation's API key. The key itself is shown once, when it is made; only its SHA-256 is kept
    (a key is 256 random bits, so a fast hash is safe). `prefix` is the key's public start, by which a request's
    key is found and the private page names it."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=24, unique=True)
    key_hash = models.CharField(max_length=64)
    # ApiScope values: "file" (file notices and act on them), "read".
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Set on a key that was rotated: it keeps working until then, so the client can switch without downtime.
    expires_at = models.DateTimeField(null=True, blank=True)
    replaced_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"


class WebhookEndpoint(models.Model):
    """Where an organisation's webhooks go. The secret signs every delivery (HMAC-SHA256); during a rotation the
    previous secret signs too, until previous_secret_expires_at."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=64)
    previous_secret = models.CharField(max_length=64, blank=True, default="")
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    removed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.url


class WebhookEvent(ImmutableRow):
    """One change of an organisation's notice or listing, as its webhooks report it: written in the transaction
    of the change (an outbox), with the id receivers de-duplicate by."""

    event_id = models.UUIDField(unique=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="webhook_events",
                                     db_index=False)
    notice = models.ForeignKey(Notice, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The case event it reports (None for a test ping).
    source = models.ForeignKey(Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=40)
    payload = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["organisation", "-created_at"], name="webhook_event_organisation")]

    def __str__(self) -> str:
        return f"{self.kind} {self.event_id}"


class WebhookDelivery(models.Model):
    """One event to one endpoint: delivered at least once, retried with back-off for a day. Claimed with a
    conditional UPDATE (status, claimed_at) like an outbound e-mail; next_attempt_at is the due column."""

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=12, choices=WebhookDeliveryStatus.choices,
                              default=WebhookDeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "endpoint"], name="unique_webhook_delivery")]
        indexes = [
            # The sweep's "due and not done": only waiting rows are in it.
            models.Index(fields=["next_attempt_at"], name="webhook_delivery_due",
                         condition=models.Q(status__in=[WebhookDeliveryStatus.PENDING,
                                                        WebhookDeliveryStatus.DELIVERING])),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_endpoint"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} -> {self.endpoint_id} ({self.status})"


class WebhookAttempt(ImmutableRow):
    """One attempt to deliver, as the private page lists it: when, how long, the receiver's answer or the error."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_rows")
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [models.Index(fields=["delivery", "started_at"], name="webhook_attempt_delivery")]

    def __str__(self) -> str:
        return f"{self.delivery_id} at {self.started_at:%Y-%m-%d %H:%M:%S}: {self.status_code or self.error}"


class IdempotencyKey(models.Model):
    """An API request's Idempotency-Key: a retried request with the same key and body gets the first answer
    (the same notice), never a second notice; the same key with another body is refused. Kept a day."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+", db_index=False)
    key = models.CharField(max_length=255)
    # SHA-256 of the request (method, path, body): what "the same request" means.
    request_hash = models.CharField(max_length=64)
    notice = models.ForeignKey(Notice, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    response_status = models.PositiveIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "key"], name="unique_idempotency_key")]

    def __str__(self) -> str:
        return f"{self.organisation_id}:{self.key}"


class CsvUpload(models.Model):
    """A CSV file of reported listings uploaded on an organisation's private page: kept as sent, checked row by
    row in the worker (progress in rows_checked), and filed as one or several notices only when every row is
    valid (rows_filed, notices). `errors`: every bad row, [{"row", "field", "message"}]."""

    public_id = models.UUIDField(unique=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="uploads")
    file = models.FileField(upload_to="uploads/%Y/%m/")
    original_name = models.CharField(max_length=255)
    # What the uploader typed on the page beside the file (the notice fields the rows do not carry).
    fields = models.JSONField(default=dict)
    status = models.CharField(max_length=12, choices=UploadStatus.choices, default=UploadStatus.VALIDATING)
    row_count = models.PositiveIntegerField(default=0)
    rows_checked = models.PositiveIntegerField(default=0)
    rows_filed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list)
    # The references of the notices it filed.
    notices = models.JSONField(default=list)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    # Issue 15 (csv): the last sign of life of its checking or filing task (a chunk done, or the task asked for):
    # one that stays still while VALIDATING or FILING was lost and is asked for again (workflow.uploads).
    progress_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["organisation", "-created_at"], name="upload_organisation")]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.status})"

