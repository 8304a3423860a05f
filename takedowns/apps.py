from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class TakedownsConfig(AppConfig):
    name = "takedowns"
    verbose_name = "Takedowns"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, not at the top: these modules import the models, which Django loads only
        # after the app configs; ready() is the documented place for such set-up.
        # checks registers the start-up checks; tasks the tasks dispatch.py names, in every process.
        from takedowns import checks, tasks  # noqa: F401, PLC0415 (registration only)
        from takedowns.workflow import clocks  # noqa: PLC0415 (imports the models)

        # Every process keeps a copy of the SLA policies; a change tells all of them to read it again.
        post_save.connect(clocks.policies_changed, sender="takedowns.SlaPolicy")
        post_delete.connect(clocks.policies_changed, sender="takedowns.SlaPolicy")
