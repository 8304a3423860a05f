"""Compiles each catalogue, locale/<lang>/LC_MESSAGES/django.po, to the .mo file Django reads, with Babel:
no GNU gettext needed (a fresh machine may lack it; `make run` and `make test` call this first). A catalogue
with an entry that would show English or break a page is refused, naming the file, the line and the msgid:
fuzzy, untranslated (a plural form too), or a translation whose %(name)s or {name} placeholders or HTML
tags differ from the English. A .mo newer than its .po is left alone."""

import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

# A printf-style placeholder: %(name)s, %s, %5.2f; "%%" is a literal percent sign, not one.
PYTHON_FORMAT = re.compile(r"%(?:\((\w+)\))?[-#0 +]*(?:\d+|\*)?(?:\.(?:\d+|\*))?[hlL]?([diouxXeEfFgGcrsa%])")
# A str.format placeholder: {name}, {0}, {name:>10}; "{{" is a literal brace.
BRACE_FORMAT = re.compile(r"(?<!\{)\{(\w*)(?:[!:][^{}]*)?\}(?!\})")
# An HTML tag: its name and the names of its attributes (the values, e.g. a link's address, are placeholders).
HTML_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)((?:\s+[^<>]*?)?)\s*/?>")
ATTRIBUTE = re.compile(r"([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=")


def python_placeholders(text: str) -> Counter[str]:
    return Counter(f"%({name})" if name else f"%{kind}"
                   for name, kind in PYTHON_FORMAT.findall(text) if kind != "%")


def brace_placeholders(text: str) -> Counter[str]:
    return Counter(BRACE_FORMAT.findall(text.replace("{{", "").replace("}}", "")))


def html_tags(text: str) -> Counter[str]:
    return Counter(f"<{close}{name.lower()}{''.join(' ' + a.lower() for a in sorted(ATTRIBUTE.findall(attrs)))}>"
                   for close, name, attrs in HTML_TAG.findall(text))


def _forms(message: Message) -> list[str]:
    return list(message.string) if isinstance(message.string, (list, tuple)) else [message.string or ""]


def _ids(message: Message) -> list[str]:
    return list(message.id) if isinstance(message.id, (list, tuple)) else [message.id]


def _differs(extract: Any, english: list[str], forms: list[str], plural: bool) -> str | None:
    """What a translation's placeholders (or tags) get wrong, or None. A singular form may leave out what its
    English has (German "Ein Eintrag" for "%(n)s entry"), but no form may bring in one the English lacks (a
    KeyError when the page is shown), and the last form, the general plural, must have all of the plural's."""
    known: Counter[str] = sum((extract(text) for text in english), Counter())
    if not plural:
        return None if extract(forms[0]) == known else f"{dict(extract(forms[0]))} where the English has {dict(known)}"
    for text in forms:
        unknown = set(extract(text)) - set(known)
        if unknown:
            return f"{sorted(unknown)}, which the English does not have"
    if set(extract(forms[-1])) != set(extract(english[-1])):
        return f"{dict(extract(forms[-1]))} in its last form where the English plural has {dict(extract(english[-1]))}"
    return None


def problems(catalog: Catalog) -> Iterator[str]:
    """Each entry of the catalogue that is not a finished translation, as "line N: msgid "...": what"."""
    if catalog.fuzzy:
        yield "its header is marked fuzzy: check Language and Plural-Forms, then remove the flag"
    for message in catalog:
        if not message.id:
            continue  # the header
        where = f"line {message.lineno}: msgid {_ids(message)[0]!r}"
        forms, english, plural = _forms(message), _ids(message), message.pluralizable
        if message.fuzzy:
            yield f"{where}: marked fuzzy (check the translation, then remove the flag)"
        if plural and len(forms) != catalog.num_plurals:
            yield f"{where}: {len(forms)} plural forms where the language has {catalog.num_plurals}"
        if not all(form.strip() for form in forms):
            yield f"{where}: not translated" + (" (every plural form)" if plural else "")
            continue
        checks = [("HTML tags", html_tags)]
        if "python-format" in message.flags:
            checks.append(("placeholders", python_placeholders))
        if "python-brace-format" in message.flags:
            checks.append(("placeholders", brace_placeholders))
        for what, extract in checks:
            wrong = _differs(extract, english, forms, plural)
            if wrong:
                yield f"{where}: {what} {wrong}"


def read_catalogue(po: Path) -> Catalog:
    """The catalogue of one .po file; its language from its directory (locale/<lang>/LC_MESSAGES/)."""
    try:
        with po.open("rb") as source:
            return read_po(source, locale=po.parent.parent.name, abort_invalid=True)
    except Exception as exc:  # Babel raises ValueError, PoFileError or UnknownLocaleError, with its reason
        raise CommandError(f"{po}: cannot be read ({exc}).") from None


def compile_catalogue(po: Path, force: bool = False) -> bool:
    """Writes <po>.mo from <po> once it has no problem; False when the .mo was newer and left alone."""
    mo = po.with_suffix(".mo")
    if not force and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        return False
    catalog = read_catalogue(po)
    found = list(problems(catalog))
    if found:
        raise CommandError(f"{po} is refused, {len(found)} problem(s):\n  " + "\n  ".join(found))
    # Written beside it, then renamed over it: a web process never reads half a file.
    handle, temporary = tempfile.mkstemp(dir=po.parent, prefix=".django-", suffix=".mo")
    try:
        with os.fdopen(handle, "wb") as target:
            write_mo(target, catalog)
        os.replace(temporary, mo)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


def catalogues(locale_paths: list[Path]) -> list[Path]:
    return sorted(po for path in locale_paths for po in Path(path).glob("*/LC_MESSAGES/django.po"))


class Command(BaseCommand):
    help = "Compiles locale/*/LC_MESSAGES/django.po to .mo with Babel, refusing unfinished translations."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--force", action="store_true", help="Compile even where the .mo is newer.")

    def handle(self, *args: Any, force: bool = False, **options: Any) -> None:
        found = catalogues([Path(path) for path in settings.LOCALE_PATHS])
        compiled = [po for po in found if compile_catalogue(po, force=force)]
        for po in compiled:
            self.stdout.write(f"compiled {po.relative_to(po.parents[2])}")
        self.stdout.write(f"{len(compiled)} of {len(found)} catalogue(s) compiled, the others were up to date.")
