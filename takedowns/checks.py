"""Start-up checks of the policy settings that are text: a mistake fails `manage.py check` (and so
every process start) with a message that names the setting. And one deploy check (`check --deploy`)."""

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.checks import Warning as CheckWarning

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


# Caches whose increment is atomic and shared by every process (django-ratelimit's own check predates
# Django's Redis backend; it is not installed as an app, see pyproject.toml).
SHARED_COUNTING_CACHES = {"takedowns.counting.CounterCache", "django.core.cache.backends.redis.RedisCache",
                          "django_redis.cache.RedisCache",
                          "django.core.cache.backends.memcached.PyMemcacheCache",
                          "django.core.cache.backends.memcached.PyLibMCCache"}


@register(Tags.caches)
def rate_limit_cache(app_configs, **kwargs) -> list[CheckMessage]:
    """The rate limits count in the cache RATELIMIT_USE_CACHE names (takedowns/limits.py). In production it
    must be one every web process shares, or each gunicorn worker counts alone and the limits multiply;
    `make run`'s one web process may count in its memory."""
    config = settings.CACHES.get(settings.RATELIMIT_USE_CACHE)
    if config is None:
        return [Error(f"RATELIMIT_USE_CACHE={settings.RATELIMIT_USE_CACHE!r} is not a cache in CACHES.",
                      id="takedowns.E003")]
    if not settings.DEBUG and config["BACKEND"] not in SHARED_COUNTING_CACHES:
        return [CheckWarning(f"The rate limits count in {config['BACKEND']}, which each process keeps alone: with "
                        "several web processes every limit is multiplied by their number.",
                        hint="Set REDIS_URL (the limits count in Redis).", id="takedowns.W003")]
    return []
