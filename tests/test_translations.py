"""The five catalogues (issue 13): every message translated, none fuzzy, placeholders and HTML tags as in the
English, the catalogues current with the code, and compiled without GNU gettext into files Django loads.
The command that compiles them (compile_translations) is tried on small catalogues of its own.

The catalogues, locale/, are extracted by the lead once every template is marked: until then the tests of
the real catalogues skip ("no catalogues yet"), except under CI, where a missing catalogue fails."""

import gettext
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import dates, translation
from django.utils.translation import trans_real

from takedowns.management.commands.compile_translations import compile_catalogue, problems, read_catalogue

ROOT = Path(settings.BASE_DIR)
LOCALE = ROOT / "locale"
SHIPPED = ["de", "fr", "es", "it", "zh_Hans"]  # every language of LANGUAGES but English, as locale names
UNDER_CI = os.environ.get("CI") == "true"


def catalogue_path(language: str) -> Path:
    if not LOCALE.is_dir() and not UNDER_CI:
        pytest.skip("no catalogues yet: locale/ is extracted after the templates are marked (make messages)")
    path = LOCALE / language / "LC_MESSAGES" / "django.po"
    assert path.is_file(), f"{path} is missing: `make messages` creates it"
    return path


def test_every_language_but_english_has_a_catalogue_to_ship():
    assert sorted(SHIPPED) == sorted(translation.to_locale(code) for code, _ in settings.LANGUAGES if code != "en")


@pytest.mark.parametrize("language", SHIPPED)
def test_every_message_is_translated_with_its_placeholders_and_tags(language):
    """(a) translated, not fuzzy, every plural form; (b) %(name)s, {name} and HTML tags as the English has them."""
    found = list(problems(read_catalogue(catalogue_path(language))))
    assert not found, f"{language}: {len(found)} unfinished message(s):\n" + "\n".join(found)


@pytest.mark.parametrize("language", SHIPPED)
def test_no_message_takes_the_place_of_djangos_own_date_names(language):
    """Our catalogues are read before Django's, so a message of ours with the same id as one of Django's wins: a
    column header "May" once turned every May into "Può" ("may", the verb) in Italian dates. A short word that is
    also a month or a weekday needs a context (pgettext, {% translate … context … %})."""
    with translation.override("en"):
        date_names = {str(name) for names in (dates.MONTHS, dates.MONTHS_3, dates.MONTHS_AP, dates.WEEKDAYS,
                                              dates.WEEKDAYS_ABBR) for name in names.values()}
    clashes = sorted(message_id for context, message_id in msgids(catalogue_path(language))
                     if context is None and message_id in date_names)
    assert clashes == []


def msgids(po: Path) -> set:
    with po.open("rb") as source:
        return {(message.context, message.id if isinstance(message.id, str) else tuple(message.id))
                for message in read_po(source) if message.id}


def test_the_catalogues_hold_exactly_the_strings_of_the_code(tmp_path):
    """(c) The strings extracted now (the same command and ignore list as `make messages`, in a copy of the
    code) are those of the committed catalogues: none missing, none left over."""
    committed = {language: msgids(catalogue_path(language)) for language in SHIPPED}
    if shutil.which("xgettext") is None:
        if UNDER_CI:
            pytest.fail("GNU gettext (xgettext) is missing: .ci/run installs it")
        pytest.skip("GNU gettext (xgettext) is missing: install it (Debian: apt-get install gettext) to check this")
    copy = tmp_path / "code"
    for name in ("portal", "takedowns", "templates"):
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "manage.py", copy / "manage.py")
    (copy / "locale").mkdir()
    env = {**os.environ, "DEBUG": "true", "VAR_DIR": str(tmp_path / "var")}
    env.pop("DATABASE_URL", None)
    done = subprocess.run([sys.executable, "manage.py", "makemessages", "-l", "de"], cwd=copy, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    extracted = msgids(copy / "locale" / "de" / "LC_MESSAGES" / "django.po")
    for language, ids in committed.items():
        missing, extra = sorted(map(str, extracted - ids)), sorted(map(str, ids - extracted))
        assert not missing and not extra, (f"{language} is not current (run `make messages`, then translate): "
                                           f"missing {missing[:20]}, no longer in the code {extra[:20]}")


def test_the_compiled_catalogues_are_what_django_shows(settings, tmp_path):
    """(d) compile_translations' .mo files load in Django: a translated message shows in German."""
    po = catalogue_path("de")
    catalogue = read_catalogue(po)
    message = next(m for m in catalogue if m.id and isinstance(m.id, str) and "python-format" not in m.flags)
    locale = tmp_path / "locale"
    shutil.copytree(LOCALE, locale, ignore=shutil.ignore_patterns("*.mo"))
    settings.LOCALE_PATHS = [locale]
    call_command("compile_translations")
    assert {path.relative_to(locale).as_posix() for path in locale.glob("*/LC_MESSAGES/django.mo")} == {
        f"{language}/LC_MESSAGES/django.mo" for language in SHIPPED}
    trans_real._translations = {}  # Django's cache of loaded catalogues
    try:
        with translation.override("de"):
            assert translation.gettext(message.id) == message.string
    finally:
        trans_real._translations = {}


# --- The command, on catalogues of its own. ---

HEADER = '''msgid ""
msgstr ""
"Language: de\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"

'''
GOOD = HEADER + '''#: templates/x.html:1
msgid "Report infringement"
msgstr "Rechtsverletzung melden"

#: templates/x.html:2
#, python-format
msgid "Notice %(reference)s, <a href=\\"%(url)s\\">track it</a>."
msgstr "Meldung %(reference)s, <a href=\\"%(url)s\\">verfolgen</a>."

#: templates/x.html:3
#, python-format
msgid "%(n)s listing"
msgid_plural "%(n)s listings"
msgstr[0] "Ein Angebot"
msgstr[1] "%(n)s Angebote"
'''


def write_po(tmp_path: Path, text: str) -> Path:
    po = tmp_path / "locale" / "de" / "LC_MESSAGES" / "django.po"
    po.parent.mkdir(parents=True, exist_ok=True)
    po.write_text(text, encoding="utf-8")
    return po


def test_a_finished_catalogue_compiles_to_a_file_gettext_reads(tmp_path, settings):
    po = write_po(tmp_path, GOOD)
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    call_command("compile_translations")
    with po.with_suffix(".mo").open("rb") as mo:
        catalogue = gettext.GNUTranslations(mo)
    assert catalogue.gettext("Report infringement") == "Rechtsverletzung melden"
    assert catalogue.ngettext("%(n)s listing", "%(n)s listings", 1) == "Ein Angebot"
    assert catalogue.ngettext("%(n)s listing", "%(n)s listings", 3) % {"n": 3} == "3 Angebote"


def test_a_mo_newer_than_its_po_is_left_alone(tmp_path, settings):
    po = write_po(tmp_path, GOOD)
    assert compile_catalogue(po) is True
    mo = po.with_suffix(".mo")
    mo.write_bytes(b"left alone")
    assert compile_catalogue(po) is False and mo.read_bytes() == b"left alone"
    later = time.time() + 10
    os.utime(po, (later, later))  # the catalogue changed after: compiled again
    assert compile_catalogue(po) is True and mo.read_bytes() != b"left alone"


@pytest.mark.parametrize(("entry", "why"), [
    ('#: t.html:1\n#, fuzzy\nmsgid "Send notice"\nmsgstr "Meldung senden"\n',
     "line 9: msgid 'Send notice': marked fuzzy (check the translation, then remove the flag)"),
    ('#: t.html:1\nmsgid "Send notice"\nmsgstr ""\n', "line 8: msgid 'Send notice': not translated"),
    ('#: t.html:1\nmsgid "%(n)s file"\nmsgid_plural "%(n)s files"\nmsgstr[0] "Eine Datei"\nmsgstr[1] ""\n',
     "line 8: msgid '%(n)s file': not translated (every plural form)"),
    ('#: t.html:1\n#, python-format\nmsgid "Notice %(reference)s"\nmsgstr "Meldung %(referenz)s"\n',
     "line 9: msgid 'Notice %(reference)s': placeholders {'%(referenz)': 1} where the English has "
     "{'%(reference)': 1}"),
    ('#: t.html:1\n#, python-format\nmsgid "%(n)s file"\nmsgid_plural "%(n)s files"\n'
     'msgstr[0] "Eine Datei"\nmsgstr[1] "Dateien"\n',
     "line 9: msgid '%(n)s file': placeholders {} in its last form where the English plural has {'%(n)': 1}"),
    ('#: t.html:1\n#, python-brace-format\nmsgid "Due {when}"\nmsgstr "Fällig {wann}"\n',
     "line 9: msgid 'Due {when}': placeholders {'wann': 1} where the English has {'when': 1}"),
    ('#: t.html:1\nmsgid "Read <a href=\\"/p/\\">the policy</a>."\nmsgstr "Lesen Sie <a>die Regeln</a>."\n',
     "line 8: msgid 'Read <a href=\"/p/\">the policy</a>.': HTML tags {'<a>': 1, '</a>': 1} where the English "
     "has {'<a href>': 1, '</a>': 1}"),
])
def test_an_unfinished_or_broken_translation_is_refused_naming_the_file_and_msgid(tmp_path, entry, why):
    po = write_po(tmp_path, HEADER + entry)
    with pytest.raises(CommandError) as refused:
        compile_catalogue(po)
    assert str(refused.value) == f"{po} is refused, 1 problem(s):\n  {why}"
    assert not po.with_suffix(".mo").exists()


def test_a_catalogue_with_a_fuzzy_header_is_refused(tmp_path):
    po = write_po(tmp_path, "#, fuzzy\n" + GOOD)
    with pytest.raises(CommandError, match="its header is marked fuzzy: check Language and Plural-Forms"):
        compile_catalogue(po)


def test_a_catalogue_babel_cannot_read_is_refused_with_the_reason(tmp_path):
    po = write_po(tmp_path, GOOD.replace("nplurals=2; plural=(n != 1);", "nplurals=INTEGER; plural=EXPRESSION;"))
    with pytest.raises(CommandError, match=r"django.po: cannot be read \(invalid literal for int\(\)"):
        compile_catalogue(po)
