"""Staff views of the data, for leads only (takedowns/access.py's LeadAdminSite). Statuses are read-only
here: only the workflow (takedowns/workflow/) changes them.

No page of the admin shows a secret, searches it, filters by it or sorts by it: private links'
tokens (whoever holds one acts as the submitter or the seller), the form's one-time key, e-mail
bodies (they carry those links), authenticator keys and recovery codes. A lookup in the URL, e.g.
?tracking_token__startswith=a, would answer one character at a time: it is refused (400)."""

import re
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Model
from django.urls import reverse
from django.utils.html import format_html
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from takedowns import legal, risk, sla
from takedowns.enums import ClockKind, DisputeOutcome, ScreeningRuleCode
from takedowns.models import (
    ApiKey,
    Appeal,
    AuthorityOrder,
    CounterNotice,
    Decision,
    Event,
    Evidence,
    Fingerprint,
    Listing,
    Notice,
    NoticeItem,
    NotifierAppeal,
    NotifierEvent,
    NotifierMeasure,
    NotifierProposal,
    Organisation,
    OrganisationEvent,
    OutboundEmail,
    OutOfCourtDispute,
    Penalty,
    ProtectedTerm,
    ReasonCode,
    RemovalGround,
    Resubmission,
    Reviewer,
    ReviewerSkill,
    Right,
    RiskRule,
    ScreeningRule,
    Seller,
    SlaClock,
    SlaPolicy,
    Strike,
    Submitter,
    TdbSubmission,
    WebhookEndpoint,
)
from takedowns.screening import fingerprints, terms
from takedowns.screening.text import normalise

SECRET_FIELDS: dict[str, frozenset[str]] = {
    "takedowns.notice": frozenset({"tracking_token", "confirmation_token", "submission_key"}),
    "takedowns.right": frozenset({"tracking_token", "confirmation_token", "submission_key"}),
    "takedowns.evidence": frozenset({"submission_key"}),
    "takedowns.decision": frozenset({"seller_token"}),
    "takedowns.penalty": frozenset({"seller_token"}),
    "takedowns.notifiermeasure": frozenset({"token"}),
    "takedowns.outboundemail": frozenset({"body_text", "body_html"}),
    "otp_totp.totpdevice": frozenset({"key"}),
    "otp_static.statictoken": frozenset({"token"}),
    "auth.user": frozenset({"password"}),
    # Issue 15: an organisation's private link (its keys and endpoints are managed there), a key's hash, the
    # secrets that sign webhooks.
    "takedowns.organisation": frozenset({"tracking_token", "confirmation_token", "submission_key"}),
    "takedowns.apikey": frozenset({"key_hash"}),
    "takedowns.webhookendpoint": frozenset({"secret", "previous_secret"}),
}
# Every link of an e-mail: to the site's private pages or not, it is hidden the same way.
_LINK = re.compile(r"(?:https?://|/(?:track|confirm|statement|penalty|notices/filed|notifier-measures|rights|organisations)/)"
                   r"[^\s<>\"']*")


def secrets_of(model: type[Model]) -> frozenset[str]:
    return SECRET_FIELDS.get(model._meta.label_lower, frozenset())


def touches_secret(model: type[Model], lookup: str) -> bool:
    """Whether a lookup (field__relation__field__startswith) reads a secret field on its way."""
    for part in lookup.split("__"):
        if part in secrets_of(model):
            return True
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return False
        if not field.is_relation or field.related_model is None:
            return False
        model = field.related_model
    return False


def without_links(text: str) -> str:
    return _LINK.sub("[link hidden]", text)


class HidesSecrets(admin.ModelAdmin):
    """The base of every ModelAdmin here: its model's secret fields are never on a form or a page,
    and no URL lookup may go through one."""

    def get_exclude(self, request, obj=None):
        return [*(super().get_exclude(request, obj) or ()), *secrets_of(self.model)]

    def lookup_allowed(self, lookup, value, request=None):
        return not touches_secret(self.model, lookup) and super().lookup_allowed(lookup, value, request)


class ReadOnlyAdmin(HidesSecrets):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    """Subclasses name their columns once, `fields = readonly_fields = (...)`: a tuple, whose type
    fits both attributes (the stubs type a list differently for each)."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Seller)
class SellerAdmin(HidesSecrets):
    list_display = ["external_id", "name", "email", "country", "strike_count", "account", "account_until"]
    list_filter = ["account"]
    search_fields = ["external_id", "name", "email", "payment_identity"]
    # The ladder and the marketplace set these; editing them here would bypass both.
    readonly_fields = ["strike_count", "account", "account_until"]


@admin.register(Listing)
class ListingAdmin(HidesSecrets):
    list_display = ["external_id", "title", "category", "seller", "status"]
    list_filter = ["status", "category"]
    search_fields = ["external_id", "title"]
    raw_id_fields = ["seller"]
    readonly_fields = ["status", "removed_at"]


@admin.register(Right)
class RightAdmin(HidesSecrets):
    list_display = ["right_type", "registration_number", "office", "owner_name", "title"]
    list_filter = ["right_type"]


class SkillInline(admin.TabularInline):
    model = ReviewerSkill
    extra = 1


@admin.register(Reviewer)
class ReviewerAdmin(HidesSecrets):
    list_display = ["user", "languages", "is_active", "risk_reviewer"]
    list_filter = ["is_active", "risk_reviewer"]
    inlines = [SkillInline]


class ItemInline(ReadOnlyInline):
    model = NoticeItem
    fields = readonly_fields = ("position", "reported", "reason", "listing", "state")


class EvidenceInline(ReadOnlyInline):
    model = Evidence
    fields = readonly_fields = ("kind", "download", "content_type", "size", "sha256")

    @admin.display(description="file")
    def download(self, evidence):
        return format_html('<a href="{}">{}</a>', reverse("takedowns:evidence_file", args=[evidence.pk]),
                           evidence.original_name)


class EventInline(ReadOnlyInline):
    model = Event
    fields = readonly_fields = ("created_at", "kind", "actor_kind", "from_status", "to_status", "details")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(item=None)


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ["reference", "status", "right_type", "priority", "risk_score", "risk_band", "assigned_to",
                    "confirmed_at", "routed_at"]
    list_filter = ["status", "right_type", "risk_band"]
    search_fields = ["reference", "submitter_email"]
    exclude = ["tracking_token", "confirmation_token", "submission_key"]
    inlines = [ItemInline, EvidenceInline, EventInline]


@admin.register(ReasonCode)
class ReasonCodeAdmin(HidesSecrets):
    """Leads mark here which rejections count as manifestly unfounded (the notifier misuse policy,
    /policies/notifier-misuse/, lists them as they are marked)."""
    list_display = ["code", "title", "is_active", "manifestly_unfounded", "fixable"]
    list_filter = ["is_active", "manifestly_unfounded", "fixable"]
    search_fields = ["code", "title"]


@admin.register(RemovalGround)
class RemovalGroundAdmin(HidesSecrets):
    """Leads write here the grounds the decision form prefills for a removal, per right type and reported
    reason (the seller's statement of reasons gives them as ours, DSA Art. 17(3)(d); the Transparency
    Database publishes them): the marketplace's finding with its legal provision, no names."""
    list_display = ["right_type", "reason", "is_active"]
    list_filter = ["right_type", "is_active"]
    search_fields = ["text"]


@admin.register(Resubmission)
class ResubmissionAdmin(ReadOnlyAdmin):
    list_display = ["filed_at", "notice", "item", "decision", "reviewer"]


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["decided_at", "item", "outcome", "reason_code", "decided_by", "listing_removed_at"]
    list_filter = ["outcome"]
    exclude = ["seller_token"]


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "notice", "kind", "actor_kind", "from_status", "to_status"]
    list_filter = ["kind"]


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdmin):
    """Who was written to, when and about what; the text with every link hidden (the HTML is the same
    text, so it is not shown)."""
    list_display = ["created_at", "kind", "to", "subject", "status", "attempts"]
    list_filter = ["status", "kind"]
    readonly_fields = ["text"]

    @admin.display(description="text (links hidden)")
    def text(self, email: OutboundEmail) -> str:
        return without_links(email.body_text)


@admin.register(Submitter)
class SubmitterAdmin(HidesSecrets):
    """Leads award trusted-flagger status here; the record's counters are the workflow's."""
    list_display = ["email", "trusted_flagger", "notices", "removed_items", "rejected_items", "created_at"]
    list_filter = ["trusted_flagger"]
    search_fields = ["email"]
    readonly_fields = ["email", "notices", "removed_items", "rejected_items", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


class SlaPolicyForm(forms.ModelForm):  # what ModelAdmin.form is by default
    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        day_start, day_end = cleaned.get("day_start"), cleaned.get("day_end")
        if day_start is not None and day_end is not None:  # else the time field's own error says what is wrong
            try:
                sla.Calendar(business_hours=cleaned.get("business_hours", False),
                             timezone=cleaned.get("timezone") or "", country=cleaned.get("country") or "",
                             subdivision=cleaned.get("subdivision") or "", day_start=day_start, day_end=day_end)
            except (ValueError, TypeError) as exc:
                raise ValidationError(str(exc)) from exc
        ratio = cleaned.get("warn_ratio")
        if ratio is not None and not 0 < ratio <= 1:
            self.add_error("warn_ratio", "Give a share of the target between 0 and 1, e.g. 0.8.")
        target = cleaned.get("target")
        if target is not None and target.total_seconds() <= 0:
            self.add_error("target", "The target must be longer than zero.")
        elif (target is not None and cleaned.get("clock") == ClockKind.COUNTER_NOTICE_CHECK
              and day_start is not None and day_end is not None):
            refusal = legal.check_target_refusal(target, cleaned.get("business_hours", False), day_start, day_end)
            if refusal:
                self.add_error("target", refusal)
        return cleaned


@admin.register(SlaPolicy)
class SlaPolicyAdmin(HidesSecrets):
    """Leads set SLA targets here; a running clock keeps the terms it started with."""
    form = SlaPolicyForm
    list_display = ["clock", "trusted_flagger_only", "right_type", "reason", "min_priority", "target", "warn_ratio",
                    "business_hours", "country", "is_active"]
    list_filter = ["clock", "is_active", "trusted_flagger_only", "business_hours"]


@admin.register(SlaClock)
class SlaClockAdmin(ReadOnlyAdmin):
    list_display = ["kind", "notice", "started_at", "due_at", "warned_at", "breached_at", "paused_at", "stopped_at",
                    "cancelled"]
    list_filter = ["kind", "cancelled"]
    raw_id_fields = ["notice", "item", "strike", "counter_notice", "appeal"]


@admin.register(Strike)
class StrikeAdmin(ReadOnlyAdmin):
    list_display = ["seller", "notice", "created_at", "expires_at", "expired_at", "reversed_at"]


@admin.register(Penalty)
class PenaltyAdmin(ReadOnlyAdmin):
    list_display = ["seller", "level", "live_strikes", "decided_at", "applied_at", "ends_at", "lifted_at", "automated"]
    list_filter = ["level"]
    exclude = ["seller_token"]


@admin.register(CounterNotice)
class CounterNoticeAdmin(ReadOnlyAdmin):
    list_display = ["decision", "status", "filed_at", "restore_due_at", "restored_at", "lawsuit_reported_at"]
    list_filter = ["status"]


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = ["pk", "appellant", "decision", "penalty", "status", "filed_at", "decided_by", "decided_at"]
    list_filter = ["status", "appellant"]


# --- Risk screening: leads tune the rules (takedowns/risk.py evaluates them at routing). ---

class RiskRuleForm(forms.ModelForm):  # what ModelAdmin.form is by default
    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        for name in risk.PARAMETERS.get(cleaned.get("code") or "", ()):
            if cleaned.get(name) is None and name not in self.errors:
                self.add_error(name, f"This rule needs a {name}.")
        window = cleaned.get("window")
        if window is not None and window.total_seconds() <= 0:
            self.add_error("window", "The window must be longer than zero.")
        if cleaned.get("threshold") == 0:
            self.add_error("threshold", "The threshold must be at least 1.")
        return cleaned


@admin.register(RiskRule)
class RiskRuleAdmin(HidesSecrets):
    """Each rule on or off, its points and parameters; the next notice routed is screened with them.
    Bands: RISK_MEDIUM_SCORE and RISK_HIGH_SCORE (settings)."""
    form = RiskRuleForm
    list_display = ["code", "enabled", "points", "threshold", "window"]
    list_editable = ["enabled", "points"]
    list_filter = ["enabled"]


# --- Notifier misuse (DSA Art. 23): leads decide on their pages in /review/notifiers/; here, the rows. ---

@admin.register(NotifierProposal)
class NotifierProposalAdmin(ReadOnlyAdmin):
    list_display = ["notifier", "scope", "status", "raised_at", "decided_listings", "unfounded_listings", "notices",
                    "step_level", "closed_by", "closed_at"]
    list_filter = ["status", "scope"]
    search_fields = ["notifier"]


@admin.register(NotifierMeasure)
class NotifierMeasureAdmin(ReadOnlyAdmin):
    list_display = ["notifier", "scope", "level", "decided_at", "decided_by", "ends_at", "lifted_at"]
    list_filter = ["level", "scope"]
    search_fields = ["notifier"]
    exclude = ["token"]


@admin.register(NotifierAppeal)
class NotifierAppealAdmin(ReadOnlyAdmin):
    list_display = ["pk", "measure", "status", "filed_at", "decided_by", "decided_at"]
    list_filter = ["status"]


@admin.register(NotifierEvent)
class NotifierEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "notifier", "kind", "actor_kind", "actor_user"]
    list_filter = ["kind"]
    search_fields = ["notifier"]


# --- The transparency report's records that only leads can give (DSA Art. 9, 10, 21), and the TDB queue. ---

class OutOfCourtDisputeForm(forms.ModelForm):  # what ModelAdmin.form is by default
    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        outcome, submitted, closed = data.get("outcome"), data.get("submitted_at"), data.get("closed_at")
        if outcome == DisputeOutcome.PENDING and closed:
            self.add_error("closed_at", "A dispute not yet decided has no closing date: choose its outcome, or leave "
                                        "this empty.")
        if outcome and outcome != DisputeOutcome.PENDING and not closed:
            self.add_error("closed_at", "Give the date the body decided or closed the dispute (its outcome is set).")
        if submitted and closed and closed < submitted:
            self.add_error("closed_at", "The dispute cannot close before it was submitted.")
        if data.get("implemented") and outcome != DisputeOutcome.FOR_RECIPIENT:
            self.add_error("implemented", "Only a decision in the complainant's favour is implemented by the "
                                          "marketplace.")
        return data


@admin.register(OutOfCourtDispute)
class OutOfCourtDisputeAdmin(HidesSecrets):
    form = OutOfCourtDisputeForm
    list_display = ["pk", "body", "reference", "complained_of", "submitted_at", "outcome", "closed_at", "implemented"]
    list_filter = ["outcome", "complained_of"]
    search_fields = ["body", "reference"]


class AuthorityOrderForm(forms.ModelForm):  # what ModelAdmin.form is by default
    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        received = data.get("received_at")
        for field, what in (("acknowledged_at", "acknowledged"), ("given_effect_at", "given effect")):
            if received and data.get(field) and data[field] < received:
                self.add_error(field, f"An order cannot be {what} before it was received.")
        return data


@admin.register(AuthorityOrder)
class AuthorityOrderAdmin(HidesSecrets):
    form = AuthorityOrderForm
    list_display = ["pk", "member_state", "authority", "order_type", "reference", "received_at", "acknowledged_at",
                    "given_effect_at"]
    list_filter = ["order_type", "member_state"]
    search_fields = ["authority", "reference"]


@admin.register(TdbSubmission)
class TdbSubmissionAdmin(ReadOnlyAdmin):
    """Written only by takedowns/tdb_submission.py; a lead reads why a statement was refused."""
    list_display = ["puid", "kind", "status", "attempts", "tdb_uuid", "sent_at", "created_at"]
    list_filter = ["status", "kind"]
    search_fields = ["puid"]


# --- Listing screening (issue 14): leads tune the rules; the protection list's terms; stay-down fingerprints. ---

SCREENING_RULE_HELP: dict[str, str] = {
    ScreeningRuleCode.BRAND_TERM: "A verified right's brand term disguised (found only after normalisation: "
                                  "\"N1ke\", \"N.i.k.e\", Cyrillic letters). No threshold.",
    ScreeningRuleCode.LOW_PRICE: "Names the brand (term or genuine picture) at a price below threshold x the "
                                 "right's lowest genuine price, same currency. Threshold: a share, 0.5 = 50 %.",
    ScreeningRuleCode.REFERENCE_IMAGE: "Picture within max distance bits of a genuine picture of a verified right. "
                                       "Max distance also decides when a picture names the brand (low price, "
                                       "unauthorised seller).",
    ScreeningRuleCode.UNAUTHORISED_SELLER: "The right has authorised sellers, the listing names the brand, the "
                                           "seller is not one of them. No threshold.",
    ScreeningRuleCode.STAYDOWN_SAME_SELLER: "Like a removal in force of the same seller or a linked account: text "
                                            "similarity at least threshold (0-1), or picture within max distance.",
    ScreeningRuleCode.STAYDOWN_OTHER_SELLER: "Like a removal in force of another seller: text similarity at least "
                                             "threshold (0-1), or picture within max distance.",
}


class ScreeningRuleForm(forms.ModelForm):
    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        code, threshold, distance = cleaned.get("code"), cleaned.get("threshold"), cleaned.get("max_distance")
        if distance is not None and distance > fingerprints.MAX_RADIUS:
            self.add_error("max_distance", f"At most {fingerprints.MAX_RADIUS} bits (the image index finds no "
                                           "farther picture).")
        if threshold is not None and not 0 < threshold <= 1:
            self.add_error("threshold", "A share between 0 and 1 (0.5 = 50 %).")
        if code == ScreeningRuleCode.LOW_PRICE and threshold is None and "threshold" not in self.errors:
            self.add_error("threshold", "This rule needs a threshold.")
        if code == ScreeningRuleCode.REFERENCE_IMAGE and distance is None and "max_distance" not in self.errors:
            self.add_error("max_distance", "This rule needs a max distance.")
        return cleaned


@admin.register(ScreeningRule)
class ScreeningRuleAdmin(HidesSecrets):
    """Each rule on or off, what a hit does and its threshold; every web and worker process screens with the
    change from its next listing (saving bumps screening's version token)."""
    form = ScreeningRuleForm
    list_display = ["code", "enabled", "outcome", "threshold", "max_distance", "description"]
    list_editable = ["enabled", "outcome", "threshold", "max_distance"]
    list_filter = ["enabled", "outcome"]

    def has_add_permission(self, request, obj=None):
        return False  # the engine knows the codes of migration 0030 only

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="What it checks")
    def description(self, rule: ScreeningRule) -> str:
        return SCREENING_RULE_HELP.get(rule.code, "")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        terms.changed()


@admin.register(ProtectedTerm)
class ProtectedTermAdmin(HidesSecrets):
    """The protection list's brand terms (only a verified right's are screened). The registry writes them; a
    lead may correct one here: its normalised form is recomputed and every process rebuilds its automaton."""
    list_display = ["term", "normalised", "right", "right_status"]
    list_select_related = ["right"]
    search_fields = ["term", "normalised", "right__registration_number", "right__owner_name"]
    readonly_fields = ["normalised"]
    raw_id_fields = ["right"]
    list_per_page = 100
    show_full_result_count = False  # 100,000 terms: no count(*) per page

    @admin.display(description="Right status")
    def right_status(self, term: ProtectedTerm) -> str:
        return term.right.get_status_display()

    def save_model(self, request, obj, form, change):
        obj.normalised = normalise(obj.term)
        super().save_model(request, obj, form, change)
        terms.changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        terms.changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        terms.changed()


@admin.register(Fingerprint)
class FingerprintAdmin(ReadOnlyAdmin):
    """Stay-down and genuine-picture fingerprints, written by takedowns/staydown.py only."""
    list_display = ["id", "source", "listing", "right", "seller", "account_group", "image_hash", "created_at"]
    list_filter = ["source"]
    raw_id_fields = ["listing", "decision", "evidence", "right", "seller"]
    show_full_result_count = False  # millions of rows


# --- Two-factor devices: a lead sees who has one and removes a lost one; the reviewer enrols anew. ---

class DeviceAdmin(HidesSecrets):
    """Nobody adds or edits a device here: whoever knew its key could log in as its owner."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


for _model, _admin in ((TOTPDevice, TOTPDeviceAdmin), (StaticDevice, StaticDeviceAdmin)):
    admin.site.unregister(_model)
    admin.site.register(_model, type(f"Private{_admin.__name__}", (DeviceAdmin, _admin), {}))


# --- issue 15: organisations. Read-only: leads verify, reject and suspend in /review/organisations/ (the workflow
# writes the events and e-mails); keys and endpoints are the organisation's own, on its private page. ---

class OrganisationEventInline(ReadOnlyInline):
    model = OrganisationEvent
    fields = readonly_fields = ("created_at", "kind", "actor_kind", "actor_user", "details")


class ApiKeyInline(ReadOnlyInline):
    model = ApiKey
    fields = readonly_fields = ("prefix", "name", "scopes", "created_at", "last_used_at", "expires_at", "revoked_at")


class WebhookEndpointInline(ReadOnlyInline):
    model = WebhookEndpoint
    fields = readonly_fields = ("url", "is_active", "created_at", "removed_at", "previous_secret_expires_at")


@admin.register(Organisation)
class OrganisationAdmin(ReadOnlyAdmin):
    list_display = ["reference", "name", "domain", "status", "contact_email", "confirmed_at", "verified_at"]
    list_filter = ["status"]
    search_fields = ["reference", "name", "domain", "contact_email"]
    inlines = [ApiKeyInline, WebhookEndpointInline, OrganisationEventInline]


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    list_display = ["prefix", "name", "organisation", "created_at", "last_used_at", "expires_at", "revoked_at"]
    search_fields = ["prefix", "name"]
