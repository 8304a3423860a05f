"""A label inside a sentence: `{% load in_sentence %}{{ penalty.get_level_display|in_sentence }}`.

Choice labels are written for a list or a heading ("Temporary suspension", "Trademark"). Inside a
sentence English, French, Spanish and Italian write them in lower case ("the temporary suspension of
your account"), German keeps the capital of every noun ("die vorübergehende Sperrung", "Marke"), and
Chinese has no case. `|lower` broke German and lowered acronyms ("dsa art. 22"); this lowers only the
first letter, and only where the active language does so."""

from django import template
from django.utils.translation import get_language

register = template.Library()

# Languages whose nouns keep their capital letter inside a sentence.
CAPITALISED_NOUNS = frozenset({"de"})


@register.filter
def in_sentence(label: object) -> str:
    text = str(label)
    language = (get_language() or "en").split("-")[0]
    if not text or language in CAPITALISED_NOUNS:
        return text
    first = text.split(" ", 1)[0]
    if len(first) > 1 and first.isupper():  # an acronym leads: "EUIPO mark"
        return text
    return text[0].lower() + text[1:]
