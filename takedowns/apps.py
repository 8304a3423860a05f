from django.apps import AppConfig


class TakedownsConfig(AppConfig):
    name = "takedowns"
    verbose_name = "Takedowns"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from takedowns import checks  # noqa: F401  (registers the start-up checks)
