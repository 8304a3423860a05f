from django.apps import AppConfig


class TakedownsConfig(AppConfig):
    name = "takedowns"
    verbose_name = "Takedowns"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from takedowns import checks  # noqa: F401  (registers the start-up checks)
        from takedowns.workflow import clocks

        # Every process keeps a copy of the SLA policies; a change tells all of them to read it again.
        post_save.connect(clocks.policies_changed, sender="takedowns.SlaPolicy")
        post_delete.connect(clocks.policies_changed, sender="takedowns.SlaPolicy")
