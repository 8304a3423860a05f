from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_delete, post_migrate, post_save


class LeadAdminConfig(admin_apps.AdminConfig):
    """Django's admin with the site of takedowns/access.py: leads only, behind the site's one log-in
    and its second factor. Named in INSTALLED_APPS instead of django.contrib.admin."""
    default = False  # not the app config of "takedowns" (Django picks the one class left)
    default_site = "takedowns.access.LeadAdminSite"


class TakedownsConfig(AppConfig):
    default = True
    name = "takedowns"
    verbose_name = "Takedowns"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, not at the top: these modules import the models, which Django loads only
        # after the app configs; ready() is the documented place for such set-up.
        # checks registers the start-up checks; tasks the tasks dispatch.py names, in every process.
        from takedowns import checks, roles, tasks  # noqa: F401, PLC0415 (registration only)
        from takedowns.workflow import clocks  # noqa: PLC0415 (imports the models)

        # Every process keeps a copy of the SLA policies; a change tells all of them to read it again.
        post_save.connect(clocks.policies_changed, sender="takedowns.SlaPolicy")
        post_delete.connect(clocks.policies_changed, sender="takedowns.SlaPolicy")
        # The Lead group's admin permissions, once every app's permissions exist (roles.py).
        post_migrate.connect(roles.after_migrate, dispatch_uid="takedowns.roles.after_migrate")
