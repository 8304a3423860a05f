"""A page's outline for the accessibility tests: its headings in order, and whether any level is skipped."""

import re
from html.parser import HTMLParser


def headings(body: str) -> list[tuple[int, str]]:
    """The page's headings in order: (level, text, white space folded)."""
    found: list[tuple[int, str]] = []

    class Outline(HTMLParser):
        level = 0

        def handle_starttag(self, tag: str, attrs: list) -> None:
            if re.fullmatch(r"h[1-6]", tag):
                self.level = int(tag[1])
                found.append((self.level, ""))

        def handle_endtag(self, tag: str) -> None:
            if re.fullmatch(r"h[1-6]", tag):
                self.level = 0

        def handle_data(self, data: str) -> None:
            if self.level:
                found[-1] = (found[-1][0], re.sub(r"\s+", " ", found[-1][1] + data).strip())

    Outline().feed(body)
    return found


def skipped_levels(outline: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The headings that go down more than one level from the one before (an h1 then an h3)."""
    return [heading for before, heading in zip(outline, outline[1:], strict=False) if heading[0] > before[0] + 1]
