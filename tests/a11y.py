"""The accessibility checks the browser tests run on every page they visit (issue 13, items 5 and 6).

- axe-core, the rules engine behind most accessibility audits, run in the page itself. Its script
  comes from the pinned `axe-playwright-python` package (axe_playwright_python/axe.min.js), injected
  with Playwright: nothing is fetched from the network. Every rule axe runs by default counts
  (WCAG 2.x A and AA, and its best practices: one main landmark, unique landmarks, heading order).
  Django's own admin (/admin/) is left out of axe: its templates are Django's, not the portal's, and
  axe's stylesheet preload turns the admin's @import rules into inline <style> elements, which the
  Content-Security-Policy refuses (a console error the browser tests count). It is still checked for
  sideways scrolling.
- No sideways scrolling: the document is no wider than the window at the current viewport (its
  clientWidth: the window less a vertical scroll bar); where it
  is, the widest elements that stick out are named, so the fix can be found.

`PageChecks.check(page, label)` records what it finds; `PageChecks.failures` lists it, one line per
page and rule (with the first few elements), for one message at the end of the test.
"""

from dataclasses import dataclass, field

# What sticks out of the window: the deepest elements whose right edge is past it (at most 5),
# as "tag#id.class" with their width, for a message a person can act on.
WIDER_THAN_THE_WINDOW = """() => {
    const limit = document.documentElement.clientWidth;  // the window less its scroll bar
    const sticking = [];
    for (const element of document.body.querySelectorAll("*")) {
        const box = element.getBoundingClientRect();
        if (box.width === 0 || box.right <= limit + 0.5) continue;
        // Inside a scrolling box (a .table-responsive, a pre) it does not widen the page.
        let inner = false;
        for (let up = element.parentElement; up && up !== document.body; up = up.parentElement) {
            const style = getComputedStyle(up);
            if (style.overflowX === "auto" || style.overflowX === "scroll" || style.overflowX === "hidden") {
                inner = true; break;
            }
        }
        if (inner) continue;
        if ([...element.children].some(child => child.getBoundingClientRect().right > limit + 0.5)) continue;
        const name = element.tagName.toLowerCase() + (element.id ? "#" + element.id : "")
            + [...element.classList].slice(0, 3).map(c => "." + c).join("");
        sticking.push(`${name} (${Math.round(box.left)}..${Math.round(box.right)} px)`);
        if (sticking.length === 5) break;
    }
    return {scrollWidth: document.documentElement.scrollWidth, width: limit, sticking};
}"""

NODES_SHOWN = 3
NOT_OURS = ("/admin/",)


def _target(node: dict) -> str:
    """axe's CSS selector path of an element (a list: one selector per frame or shadow root)."""
    return " >> ".join(part if isinstance(part, str) else " ".join(part) for part in node.get("target", []))


@dataclass
class PageChecks:
    """axe-core and the sideways-scroll check on each page given; everything found, by page."""

    failures: list[str] = field(default_factory=list)
    pages_checked: int = 0

    def check(self, page, label: str) -> list[str]:
        """Runs both checks on `page` as it is now; returns (and keeps) what failed."""
        from axe_playwright_python.sync_playwright import Axe  # noqa: PLC0415 - optional, like playwright

        self.pages_checked += 1
        found: list[str] = []
        width = page.viewport_size["width"] if page.viewport_size else "?"
        where = f"{label} [{urlpath(page.url)} at {width} px]"
        violations = [] if urlpath(page.url).startswith(NOT_OURS) else Axe().run(page).response["violations"]
        for violation in violations:
            nodes = violation["nodes"]
            shown = "; ".join(_target(node) for node in nodes[:NODES_SHOWN])
            more = f" and {len(nodes) - NODES_SHOWN} more" if len(nodes) > NODES_SHOWN else ""
            checks = nodes[0].get("any", []) + nodes[0].get("all", []) + nodes[0].get("none", [])
            detail = f" ({checks[0]['message']})" if checks and checks[0].get("message") else ""
            found.append(f"{where}: axe {violation['id']} ({violation['impact']}): {violation['help']} "
                         f"- {len(nodes)} element(s): {shown}{more}; first{detail}")
        size = page.evaluate(WIDER_THAN_THE_WINDOW)
        if size["scrollWidth"] > size["width"]:
            found.append(f"{where}: scrolls sideways ({size['scrollWidth']} px wide in a {size['width']} px "
                         f"window): {', '.join(size['sticking']) or 'no single element found'}")
        self.failures.extend(found)
        return found


def urlpath(url: str) -> str:
    """The path and query of a URL, which is what names a page in a report."""
    rest = url.split("://", 1)[-1]
    return "/" + rest.split("/", 1)[1] if "/" in rest else "/"
