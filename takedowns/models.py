"""Data only. Status fields are written by workflow.py, nowhere else."""


from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from django.urls import reverse
from django_countries.fields import CountryField

from takedowns.enums import (
    SAFETY_RELEVANT_CATEGORIES,
    EEA_COUNTRIES,
    ActorKind,
    DecisionOutcome,
    EmailStatus,
    EventKind,
    EvidenceKind,
    InfringementReason,
    ItemState,
    Language,
    ListingStatus,
    NoticeStatus,
    RightType,
    SubmitterRole,
    SubmitterTrust,
)


# --- The marketplace mirror: the local catalogue that the default adapter works on. ---

class Seller(models.Model):
    external_id = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True, help_text="Where statements of reasons are sent.")
    country = CountryField()
    # Strikes under the repeat-infringer policy; raises the priority of notices against the seller.
    strike_count = models.PositiveIntegerField(default=0)
    # The seller's history on the review page, kept by workflow.py: counting it on every page view
    # would read every item ever reported against the seller (bench/RESULTS.md, "Review queue").
    reported_items = models.PositiveIntegerField(default=0, editable=False)
    removed_items = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

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
    status = models.CharField(max_length=16, choices=ListingStatus.choices, default=ListingStatus.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["category", "id"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.external_id})"

    @property
    def is_safety_relevant(self) -> bool:
        return self.category in SAFETY_RELEVANT_CATEGORIES


# --- Rights and reviewers. ---

class Right(models.Model):
    """A right the marketplace has verified (e.g. through a registry check)."""

    right_type = models.CharField(max_length=16, choices=RightType.choices)
    registration_number = models.CharField(max_length=80)
    office = models.CharField(max_length=80, help_text="Registry office or jurisdiction, e.g. EUIPO, USPTO.")
    owner_name = models.CharField(max_length=200)
    title = models.CharField(max_length=200, blank=True, help_text="Mark, work, design or invention.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["right_type", "office", "registration_number"], name="unique_right"),
        ]

    def __str__(self) -> str:
        return f"{self.get_right_type_display()} {self.registration_number} ({self.office})"


class Reviewer(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviewer")
    languages = models.CharField(max_length=60, default="en", help_text="Comma-separated language codes.")
    is_active = models.BooleanField(default=True)
    # Open notices assigned to this reviewer, kept by workflow.py; counting them on every
    # assignment would read every open notice.
    open_load = models.PositiveIntegerField(default=0, editable=False)

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


# --- Submitters and notices. ---

class Submitter(models.Model):
    """A notifier's record, keyed by the e-mail address they confirmed (no account needed): the
    review page's "record so far" and the trust ladder are read from it."""

    email = models.EmailField(unique=True, help_text="Lower-cased.")
    trusted_flagger = models.BooleanField(
        default=False, help_text="Trusted flagger status awarded under DSA Art. 22; set by a lead.")
    # Kept by workflow.py, so the review page reads one row instead of the whole history.
    notices = models.PositiveIntegerField(default=0, editable=False)
    removed_items = models.PositiveIntegerField(default=0, editable=False)
    rejected_items = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.email



class Notice(models.Model):
    reference = models.CharField(max_length=20, unique=True)
    status = models.CharField(max_length=24, choices=NoticeStatus.choices, default=NoticeStatus.UNCONFIRMED)
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

    class Meta:
        indexes = [
            # The review queue's order (due first, then priority) and its keyset; the sweep uses the prefix.
            models.Index(fields=["status", "confirmed_at", "-priority", "id"], name="notice_queue"),
            models.Index(fields=["status", "expires_at"], name="notice_status_expires"),
            # "Assigned to me" in queue order; its prefix serves the reviewer's load queries too.
            models.Index(fields=["assigned_to", "status", "confirmed_at", "-priority", "id"], name="notice_assignee_queue"),
            # The submitter's record on the review page (iexact compares UPPER() on PostgreSQL).
            models.Index(Upper("submitter_email"), name="notice_submitter_email"),
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
    info_request = models.ForeignKey(InfoRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="items")
    # The listing as it was when routing looked it up: what the reviewer decides on, even if
    # the seller edits the listing afterwards.
    listing_snapshot = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["notice_id", "position"]
        constraints = [models.UniqueConstraint(fields=["notice", "position"], name="unique_item_position")]
        indexes = [models.Index(fields=["listing", "state"], name="item_listing_state")]

    def __str__(self) -> str:
        return f"{self.notice_id}#{self.position} {self.reported}"


class Evidence(models.Model):
    """An uploaded evidence file. Kept under the form's submission key until the notice exists,
    so that files survive a form error and need not be uploaded again."""

    notice = models.ForeignKey(Notice, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence")
    submission_key = models.UUIDField(db_index=True)
    kind = models.CharField(max_length=32, choices=EvidenceKind.choices)
    file = models.FileField(upload_to="%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.original_name


class ReasonCode(models.Model):
    """Why a report is rejected, in words the submitter can act on. Leads edit these in the admin."""

    code = models.SlugField(max_length=40, unique=True)
    title = models.CharField(max_length=120)
    submitter_text = models.TextField(help_text="Shown to the submitter: what is wrong and how to fix it.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


def _eea_countries() -> list[str]:
    return list(EEA_COUNTRIES)


class Decision(models.Model):
    """A reviewer's decision on one reported listing. One per item: the database refuses a second.

    It holds what the seller's statement of reasons (DSA Art. 17) and the Transparency Database
    statement are made from."""

    item = models.OneToOneField(NoticeItem, on_delete=models.PROTECT, related_name="decision")
    outcome = models.CharField(max_length=8, choices=DecisionOutcome.choices)
    reason_code = models.ForeignKey(ReasonCode, null=True, blank=True, on_delete=models.PROTECT)
    note = models.TextField(blank=True, help_text="The reviewer's words to the submitter and the seller.")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()
    legal_ground = models.CharField(max_length=300, blank=True)
    explanation = models.TextField(blank=True, help_text="Why the listing infringes (removals).")
    territorial_scope = models.JSONField(default=_eea_countries)
    automated_detection = models.BooleanField(default=False)
    automated_decision = models.BooleanField(default=False)
    # The seller's private link to the statement of reasons and, later, counter-notice and appeal.
    seller_token = models.CharField(max_length=64, blank=True)
    listing_removed_at = models.DateTimeField(null=True, blank=True,
                                              help_text="When the marketplace took the listing down.")

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} #{self.item_id}"

    def seller_path(self) -> str:
        return reverse("takedowns:statement", args=[self.pk, self.seller_token])


class ImmutableRowError(Exception):
    pass


class Event(models.Model):
    """An immutable record of something that happened to a notice: the source of every SLA figure."""

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

    def __str__(self) -> str:
        return f"{self.notice_id} {self.kind} {self.from_status}->{self.to_status}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ImmutableRowError("Events are immutable; write a new event instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRowError("Events are immutable and are never deleted.")


class OutboundEmail(models.Model):
    """An e-mail written in the same transaction as the change it reports (an outbox), then sent
    by a task. The tracking page shows these rows, so the submitter sees every e-mail."""

    notice = models.ForeignKey(Notice, null=True, blank=True, on_delete=models.CASCADE, related_name="emails")
    kind = models.CharField(max_length=40)
    to = models.EmailField()
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField()
    status = models.CharField(max_length=8, choices=EmailStatus.choices, default=EmailStatus.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    # When a sender claimed the row; a claim older than emails.SEND_LEASE was abandoned (worker died).
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "created_at"], name="email_status_created")]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to}"
