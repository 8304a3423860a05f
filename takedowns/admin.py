"""Staff views of the data. Statuses are read-only here: only workflow.py changes them."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from takedowns.models import (
    Decision,
    Event,
    Evidence,
    Listing,
    Notice,
    NoticeItem,
    OutboundEmail,
    ReasonCode,
    Reviewer,
    ReviewerSkill,
    Right,
    Seller,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Seller)
class SellerAdmin(admin.ModelAdmin):
    list_display = ["external_id", "name", "email", "country", "strike_count"]
    search_fields = ["external_id", "name"]


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    list_display = ["external_id", "title", "category", "seller", "status"]
    list_filter = ["status", "category"]
    search_fields = ["external_id", "title"]
    raw_id_fields = ["seller"]
    readonly_fields = ["status", "removed_at"]


@admin.register(Right)
class RightAdmin(admin.ModelAdmin):
    list_display = ["right_type", "registration_number", "office", "owner_name", "title"]
    list_filter = ["right_type"]


class SkillInline(admin.TabularInline):
    model = ReviewerSkill
    extra = 1


@admin.register(Reviewer)
class ReviewerAdmin(admin.ModelAdmin):
    list_display = ["user", "languages", "is_active"]
    inlines = [SkillInline]


class ItemInline(ReadOnlyInline):
    model = NoticeItem
    fields = ["position", "reported", "reason", "listing", "state"]
    readonly_fields = fields


class EvidenceInline(ReadOnlyInline):
    model = Evidence
    fields = ["kind", "download", "content_type", "size", "sha256"]
    readonly_fields = fields

    @admin.display(description="file")
    def download(self, evidence):
        return format_html('<a href="{}">{}</a>', reverse("takedowns:evidence_file", args=[evidence.pk]),
                           evidence.original_name)


class EventInline(ReadOnlyInline):
    model = Event
    fields = ["created_at", "kind", "actor_kind", "from_status", "to_status", "details"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).filter(item=None)


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ["reference", "status", "right_type", "priority", "assigned_to", "confirmed_at", "routed_at"]
    list_filter = ["status", "right_type"]
    search_fields = ["reference", "submitter_email"]
    exclude = ["tracking_token", "confirmation_token", "submission_key"]
    inlines = [ItemInline, EvidenceInline, EventInline]


@admin.register(ReasonCode)
class ReasonCodeAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "title"]


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
    list_display = ["created_at", "kind", "to", "subject", "status", "attempts"]
    list_filter = ["status", "kind"]
