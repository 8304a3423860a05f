from django.apps import AppConfig


class TakedownsConfig(AppConfig):
    name = "takedowns"
    verbose_name = "Takedowns"
    default_auto_field = "django.db.models.BigAutoField"
