from django.apps import AppConfig


class TakedownsConfig(AppConfig):
    name = "takedowns"
    verbose_name = "Takedowns"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, not at the top: these modules import the models, which Django loads after
        # the app configs (the documented place for such set-up is ready()).
        from django.db.models.signals import post_delete, post_save  # noqa: PLC0415

        from takedowns import checks  # noqa: F401, PLC0415  (registers the start-up checks)
        from takedowns import tasks  # noqa: F401, PLC0415  (registers the tasks dispatch.py names, in every process)
        from takedowns.workflow import clocks  # noqa: PLC0415

        # Every process keeps a copy of the SLA policies; a change tells all of them to read it again.
        post_save.connect(clocks.policies_changed, sender="takedowns.SlaPolicy")
        post_delete.connect(clocks.policies_changed, sender="takedowns.SlaPolicy")
