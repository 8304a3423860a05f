"""Words about a notifier that whole sentences of the notifier-misuse e-mails and pages hold:
`{% load notifier_text %}{{ measure|notifier_who }}` ("your e-mail address anna@...", "the addresses at
example.com (your organisation)"), translated in the active language, for a blocktranslate's `with`."""

from django import template
from django.utils.translation import gettext, ngettext

register = template.Library()


@register.filter
def notifier_who(subject: object) -> str:
    """Whose notices a proposal or measure is about (its scope and notifier)."""
    notifier = getattr(subject, "notifier", "")
    if getattr(subject, "scope", "") == "email":
        # Translators: the object of "the notices from ...": one notifier's e-mail address.
        return gettext("your e-mail address %(notifier)s") % {"notifier": notifier}
    # Translators: the object of "the notices from ...": every address at an organisation's domain.
    return gettext("the addresses at %(notifier)s (your organisation)") % {"notifier": notifier}


@register.filter
def notice_count(count: int) -> str:
    """"20 notices", for a sentence that counts listings too (one blocktranslate counts one number)."""
    return ngettext("%(count)s notice", "%(count)s notices", count) % {"count": count}
