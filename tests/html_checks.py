"""Small checks of rendered HTML that any page test can reuse (issue 13, accessibility): headings that
skip a level, and landmarks that repeat without a distinct label. The standard library's parser only."""

from html.parser import HTMLParser

LANDMARK_TAGS = {"nav": "navigation", "main": "main", "aside": "complementary", "header": "banner",
                 "footer": "contentinfo"}
LANDMARK_ROLES = {"navigation", "main", "complementary", "banner", "contentinfo", "search", "region", "form"}


def _heading_level(tag: str) -> int:
    return int(tag[1]) if len(tag) == 2 and tag[0] == "h" and tag[1] in "123456" else 0


class _Outline(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.titled: list[tuple[int, str]] = []  # (level, text with white space folded)
        self.landmarks: list[tuple[str, str | None]] = []
        self._open = 0  # the level of the heading being read, 0 outside one

    @property
    def headings(self) -> list[int]:
        return [level for level, _ in self.titled]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if _heading_level(tag):
            self._open = _heading_level(tag)
            self.titled.append((self._open, ""))
        role = attributes.get("role") or LANDMARK_TAGS.get(tag)
        if role in LANDMARK_ROLES:
            self.landmarks.append((role, attributes.get("aria-label") or attributes.get("aria-labelledby")))


    def handle_endtag(self, tag: str) -> None:
        if _heading_level(tag):
            self._open = 0

    def handle_data(self, data: str) -> None:
        if self._open:
            level, text = self.titled[-1]
            self.titled[-1] = (level, " ".join(f"{text} {data}".split()))


def outline(html: str) -> _Outline:
    parser = _Outline()
    parser.feed(html)
    return parser


def headings(html: str) -> list[tuple[int, str]]:
    """(level, text) of the page's h1..h6, in document order."""
    return outline(html).titled


def heading_levels(html: str) -> list[int]:
    """The levels of the page's h1..h6, in document order."""
    return outline(html).headings


def skipped_headings(html: str) -> list[tuple[int, int]]:
    """(level before, level) wherever a heading goes down more than one level (h2 then h4), counting
    from an implicit h0 so that a page must start with h1; [] when none is skipped."""
    skips, previous = [], 0
    for level in heading_levels(html):
        if level > previous + 1:
            skips.append((previous, level))
        previous = level
    return skips


def repeated_landmarks(html: str) -> list[tuple[str, str | None]]:
    """The (role, label) pairs that occur more than once: two landmarks of one role need distinct
    labels (aria-label or aria-labelledby); [] when every landmark is unique."""
    seen = outline(html).landmarks
    return sorted({landmark for landmark in seen if seen.count(landmark) > 1}, key=str)
