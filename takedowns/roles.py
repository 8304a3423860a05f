"""The two groups of staff and what each may do in the admin. Reviewers work in /review/ only: no
staff flag, no permission. Leads use the admin (takedowns.access.LeadAdminSite): everything of the
portal's own (its read-only pages still refuse edits), unlocking log-ins (django-axes' attempts)
and removing a lost authenticator (django-otp). Granted after every `migrate`, so that a lead needs
only to be in the Lead group with the staff flag, on a new deployment as in the demo."""

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from takedowns.enums import LEAD_GROUP, REVIEWER_GROUP

LEAD_PERMISSIONS = Q(content_type__app_label="takedowns") | Q(
    content_type__app_label="axes", codename__in=["view_accessattempt", "delete_accessattempt", "view_accesslog",
                                                  "view_accessfailurelog", "delete_accessfailurelog"]) | Q(
    content_type__app_label__in=["otp_totp", "otp_static"], codename__regex=r"^(view|delete)_")
APPS_WITH_LEAD_PERMISSIONS = {"takedowns", "axes", "otp_totp", "otp_static"}


def grant_lead_permissions() -> tuple[Group, Group]:
    """The Reviewer group (no permission) and the Lead group (the admin's permissions above; any a
    superuser added by hand are kept)."""
    reviewers, _ = Group.objects.get_or_create(name=REVIEWER_GROUP)
    leads, _ = Group.objects.get_or_create(name=LEAD_GROUP)
    leads.permissions.add(*Permission.objects.filter(LEAD_PERMISSIONS))
    return reviewers, leads


def after_migrate(sender: Any, **kwargs: Any) -> None:
    """post_migrate: each app's permissions exist once its own signal has been sent."""
    if sender.label in APPS_WITH_LEAD_PERMISSIONS:
        grant_lead_permissions()
