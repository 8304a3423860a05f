"""Typed readers for settings that come from the environment.

Each reader fails loudly: a value that is present but malformed stops the process at start
with a message naming the variable, instead of quietly falling back to a default.
"""

import os
import re
from pathlib import Path
from typing import overload
from urllib.parse import parse_qs, unquote, urlsplit


class ImproperlyConfiguredEnv(Exception):
    """A setting from the environment is missing or malformed."""


@overload
def env_str(name: str, default: str) -> str: ...


@overload
def env_str(name: str, default: None = None) -> str | None: ...


def env_str(name: str, default: str | None = None) -> str | None:
    """The variable's value, or the contents of the file named by NAME_FILE (for secrets)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfiguredEnv(f"{name}_FILE={file_name!r} cannot be read: {exc}") from exc
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value


def env_required(name: str, why: str) -> str:
    value = env_str(name)
    if value is None:
        raise ImproperlyConfiguredEnv(f"{name} must be set ({why}).")
    return value


def env_bool(name: str, default: bool) -> bool:
    value = env_str(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    raise ImproperlyConfiguredEnv(f"{name}={value!r} is not a boolean; use true or false.")


def env_int(name: str, default: int, minimum: int = 0) -> int:
    value = env_str(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfiguredEnv(f"{name}={value!r} is not a whole number.") from None
    if number < minimum:
        raise ImproperlyConfiguredEnv(f"{name}={number} must be at least {minimum}.")
    return number


# A rate as django-ratelimit writes it: a count per period, the period in seconds, minutes, hours or days,
# optionally a multiple of it ("20/h", "5/15m", "100/d").
_RATE = re.compile(r"([1-9][0-9]*)/([1-9][0-9]*)?([smhd])")


def env_rate(name: str, default: str) -> str:
    """A rate limit such as 20/h (twenty per hour) or 5/15m (five per quarter of an hour)."""
    value = (env_str(name) or default).strip().lower()
    if not _RATE.fullmatch(value):
        raise ImproperlyConfiguredEnv(f"{name}={value!r} is not a rate: write a count per period, e.g. 20/h, 5/15m, "
                                      "100/d (s, m, h, d: seconds, minutes, hours, days).")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    value = env_str(name)
    if value is None:
        return default
    return [part.strip() for part in value.split(",") if part.strip()]


def email_settings(url: str, default_mail_dir: Path) -> dict:
    """Django e-mail settings from EMAIL_URL.

    smtp://user:password@host:port, smtp+tls://… (STARTTLS), smtps://… (implicit TLS),
    file:///absolute/dir or file:relative/dir (one .eml file per message), console:, locmem:.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("smtp", "smtp+tls", "smtps"):
        if not parts.hostname:
            raise ImproperlyConfiguredEnv(f"EMAIL_URL={url!r} has no host.")
        options = parse_qs(parts.query)
        try:
            port = parts.port or (465 if scheme == "smtps" else 25)
        except ValueError:
            raise ImproperlyConfiguredEnv(f"EMAIL_URL={url!r} has a malformed port.") from None
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parts.hostname,
            "EMAIL_PORT": port,
            "EMAIL_HOST_USER": unquote(parts.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_TLS": scheme == "smtp+tls",
            "EMAIL_USE_SSL": scheme == "smtps",
            "EMAIL_TIMEOUT": int(options.get("timeout", ["20"])[0]),
        }
    if scheme == "file":
        path = parts.path or parts.netloc
        directory = Path(path) if path else default_mail_dir
        return {"EMAIL_BACKEND": "takedowns.mailfiles.EmlFileBackend", "EMAIL_FILE_PATH": str(directory)}
    if scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if scheme == "locmem":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    raise ImproperlyConfiguredEnv(
        f"EMAIL_URL={url!r}: unknown scheme {scheme!r}; use smtp, smtp+tls, smtps, file, console or locmem."
    )
