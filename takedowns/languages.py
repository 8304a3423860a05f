"""The visitor's language: which of LANGUAGES a page is in, and remembering a choice (the same cookie
Django's set_language view sets), for the notice form's own language buttons."""

from typing import Any, Literal, cast

from django import forms
from django.conf import settings
from django.http import HttpResponse
from django.utils import translation

from takedowns.enums import Language


def chosen(code: str) -> str | None:
    """The code if it is one of the site's languages, else None."""
    return code if code in dict(settings.LANGUAGES) else None


def page_language() -> str:
    """The active language as a Language value: what the notice form proposes for our messages."""
    code = translation.get_language() or settings.LANGUAGE_CODE
    return code if code in Language.values else Language.EN


def remember(response: HttpResponse, code: str) -> HttpResponse:
    """Sets the language cookie as django.views.i18n.set_language does: later pages follow the choice."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, code, max_age=settings.LANGUAGE_COOKIE_AGE, path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN, secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=cast(Literal["Lax", "Strict", "None"], settings.LANGUAGE_COOKIE_SAMESITE))
    return response


def as_typed(form: forms.BaseForm) -> dict[str, Any]:
    """A bound form's values as sent (each widget's reading of the data), as initial values for an unbound
    copy: the copy shows what was typed without checking it, so no error appears. Files are left out: a
    browser cannot be given a file for an upload field."""
    return {name: form[name].data for name, field in form.fields.items() if not isinstance(field, forms.FileField)}
