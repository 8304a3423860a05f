"""Start-up checks of the policy settings that are text: a mistake fails `manage.py check` (and so
every process start) with a message that names the setting. And one deploy check (`check --deploy`)."""

from django.conf import settings
from django.core.checks import Error, Tags, register

from takedowns import notifier_ladder, penalties


@register()
def penalty_ladder(app_configs, **kwargs) -> list[Error]:
    try:
        penalties.parse_ladder(settings.PENALTY_LADDER)
    except ValueError as exc:
        return [Error(f"PENALTY_LADDER: {exc}", hint="e.g. 1:warning, 2:restriction:7, 3:suspension:30, 4:termination",
                      id="takedowns.E001")]
    return []


@register()
def notifier_misuse_policy(app_configs, **kwargs) -> list[Error]:
    return [Error(message, hint="See README, \"Notifier misuse\"; e.g. NOTIFIER_MISUSE_LADDER=1:warning, "
                                "2:suspension:30, 3:suspension:90", id="takedowns.E003")
            for message in notifier_ladder.configuration_errors()]


@register(Tags.security, deploy=True)
def demo_mode_in_production(app_configs, **kwargs) -> list[Error]:
    """portal/settings.py already refuses DEMO_MODE=true with DEBUG=false at start; this catches the same
    pair where settings are made another way (a settings module of its own that imports ours)."""
    if settings.DEMO_MODE and not settings.DEBUG:
        return [Error("DEMO_MODE=true with DEBUG=false: demo mode turns the password validators off and creates "
                      "demo logins with published passwords.", hint="Set DEMO_MODE=false in production.",
                      id="takedowns.E002")]
    return []
