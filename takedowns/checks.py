"""Start-up checks of the policy settings that are text: a mistake fails `manage.py check` (and so
every process start) with a message that names the setting."""

from django.conf import settings
from django.core.checks import Error, register

from takedowns import penalties


@register()
def penalty_ladder(app_configs, **kwargs) -> list[Error]:
    try:
        penalties.parse_ladder(settings.PENALTY_LADDER)
    except ValueError as exc:
        return [Error(f"PENALTY_LADDER: {exc}", hint="e.g. 1:warning, 2:restriction:7, 3:suspension:30, 4:termination",
                      id="takedowns.E001")]
    return []
