"""Finds template text that is not marked for translation (issue 13): words a reader sees outside
{% translate %} and {% blocktranslate %}...{% endblocktranslate %}, in the text of a page or e-mail and in
the attributes a reader hears or sees (alt, title, placeholder, aria-label, aria-description, a button's
value). Django's own template lexer splits each file; the text between the tags is read as HTML (.html) or
as plain text (.txt), so markup, comments, entities, <script>, <style> and <kbd> are no words.

    python -m tests.template_marking      lists every offender (file:line: text) and exits 1 if any
"""

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

from django.template.base import Lexer, TokenType

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

# Written as they are in every language (the house's translation conventions): the brand, acronyms of laws,
# offices and formats, and the languages' own names in the language switcher. Kept short on purpose.
ALLOWED = re.compile("|".join([
    r"Takedown Portal", r"\bDSA\b", r"\bDMCA\b", r"\bEUIPO\b", r"\bTDB\b", r"\bCSV\b", r"\bJSON\b", r"\bID\b",
    r"\bURL\b", r"\[x\]", r"\bEnglish\b", r"\bDeutsch\b", r"Français", r"Español", r"\bItaliano\b", r"中文",
]))
WORD = re.compile(r"[^\W\d_]")  # a letter of any script
CHECKED_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label", "aria-description"}
MARK = "\x00"  # stands for a template tag or variable: a value computed, or marked, elsewhere
TAG_NAME_SO_FAR = re.compile(r"</?[a-zA-Z]+$")
# Keys named on the keyboard (<kbd>j</kbd>) are the same in every language.
UNREAD = ("script", "style", "kbd")
UNMARKED_DEFAULT = re.compile(r"\|default(?:_if_none)?:\"([^\"]*)\"")


def has_words(text: str) -> bool:
    return bool(WORD.search(ALLOWED.sub(" ", text.replace(MARK, " "))))


def shown(text: str) -> str:
    """The text as a report shows it: one line, "…" where a tag or variable was."""
    return " ".join(text.replace(MARK, " … ").split()).strip("… ") or text


def skeleton(source: str) -> tuple[str, list[tuple[int, str]]]:
    """The template with its tags and variables replaced by MARK (the same line breaks kept, so that lines
    still count), translated blocks and comments emptied; and the literal defaults of variables
    (`|default:"None"`), which show as text."""
    parts, literals, depth, comment = [], [], 0, False
    for token in Lexer(source).tokenize():
        breaks = "\n" * token.contents.count("\n")
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents.split() else ""
            if name == "comment":
                comment = True
            elif name == "endcomment":
                comment = False
            elif name == "blocktranslate" or name == "blocktrans":
                depth += 1
            elif name == "endblocktranslate" or name == "endblocktrans":
                depth -= 1
            # A tag right after a tag's name (<details{% if open %} open{% endif %}>) keeps the name apart.
            parts.append((" " if parts and TAG_NAME_SO_FAR.search(parts[-1]) else MARK) + breaks)
            continue
        if token.token_type == TokenType.VAR and parts and TAG_NAME_SO_FAR.search(parts[-1]):
            parts.append("0")  # a computed part of a tag's name (<h{{ level }}>): the tag stays a tag
            continue
        if token.token_type == TokenType.VAR:
            literals += [(token.lineno, text) for text in UNMARKED_DEFAULT.findall(token.contents)
                         if not comment and not depth and has_words(text)]
            parts.append(MARK + breaks)
            continue
        if token.token_type == TokenType.COMMENT or comment or depth:
            parts.append(MARK + breaks if token.token_type != TokenType.TEXT else breaks)
            continue
        parts.append(token.contents)
    return "".join(parts), literals


class _Reader(HTMLParser):
    """Collects (line, text) of visible words and of checked attributes, outside <script> and <style>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self.hidden = 0  # inside <script>, <style> or <kbd>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            button = name == "value" and tag == "input" and (values.get("type") or "").lower() in ("submit", "button")
            if value and (name in CHECKED_ATTRIBUTES or button) and has_words(value):
                self.found.append((self.getpos()[0], f'{name}="{value.replace(MARK, "…")}"'))
        if tag in UNREAD:
            self.hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in UNREAD and self.hidden:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden and has_words(data):
            # The line of the first word: the data may begin with the line breaks before it.
            line = self.getpos()[0] + data[:len(data) - len(data.lstrip())].count("\n")
            self.found.append((line, shown(data)))


def unmarked(source: str, html: bool = True) -> list[tuple[int, str]]:
    """(line, text) of each piece of text in a template that a reader sees and that is not marked."""
    text, literals = skeleton(source)
    if html:
        reader = _Reader()
        reader.feed(text)
        reader.close()
        found = reader.found
    else:
        found, line = [], 1
        for row in text.split("\n"):
            if has_words(row):
                found.append((line, shown(row)))
            line += 1
    return sorted(found + [(line, f'default:"{value}"') for line, value in literals])


def offenders(root: Path = TEMPLATES) -> list[str]:
    """file:line: text for every unmarked text of the templates under root (.html and .txt)."""
    lines = []
    for path in sorted(root.rglob("*")):
        if path.suffix in (".html", ".txt") and path.is_file():
            for line, text in unmarked(path.read_text(encoding="utf-8"), html=path.suffix == ".html"):
                lines.append(f"{path.relative_to(root.parent)}:{line}: {text}")
    return lines


if __name__ == "__main__":
    found = offenders()
    print("\n".join(found) or "Every template string is marked for translation.")
    print(f"{len(found)} unmarked text(s) in {len({line.split(':')[0] for line in found})} template(s).",
          file=sys.stderr)
    sys.exit(1 if found else 0)
