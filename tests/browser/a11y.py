"""Running axe-core in a page, and walking the staff and host workspace to find every page.

Pages that need rows (a session, a token, a slot) are listed in :mod:`tests.browser.routes`;
:func:`crawl` also follows every same-site link it finds, so a new page reachable from the
dashboard is checked without anyone adding it here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import Page, Response

# axe impacts that fail a page (WCAG 2.1 AA is the bar; "moderate" and "minor" are reported only).
FAILING = ("serious", "critical")
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
    "resultTypes": ["violations"],
}
# Links never followed by the crawler: leaving, downloads, or anything not a page.
NOT_PAGES = re.compile(r"(/logout|\.(csv|xlsx|ics|json|png|svg|js|css|pdf))(\?|$)|^/(api|schema|static|ics)/")


@dataclass
class Finding:
    url: str
    rule: str
    impact: str
    help: str
    targets: list[str]

    def __str__(self) -> str:
        where = ", ".join(self.targets[:4]) + (" …" if len(self.targets) > 4 else "")
        return f"{self.url}: [{self.impact}] {self.rule}: {self.help} -> {where}"


@dataclass
class Audit:
    """What axe found over many pages; ``failures`` are the serious and critical ones."""

    axe_js: str
    visited: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.impact in FAILING]

    async def check(self, page: Page, label: str | None = None) -> None:
        """Run axe on the page as it is now."""
        url = label or _short(page.url)
        self.visited.append(url)
        if not await page.evaluate("() => typeof window.axe === 'object'"):
            await page.add_script_tag(content=self.axe_js)
        result: dict[str, Any] = await page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
        for violation in result["violations"]:
            self.findings.append(
                Finding(
                    url=url,
                    rule=violation["id"],
                    impact=violation.get("impact") or "unknown",
                    help=violation["help"],
                    targets=[" ".join(map(str, node["target"])) for node in violation["nodes"]],
                )
            )

    async def visit(self, page: Page, path: str) -> Response | None:
        """Open ``path`` and check it; a 5xx answer is recorded as a failure of its own."""
        response = await page.goto(path)
        if response is not None and response.status >= 500:
            self.server_errors.append(f"{path}: HTTP {response.status}")
        if response is None or "text/html" in (response.headers.get("content-type") or ""):
            await self.check(page)
        return response

    def report(self) -> str:
        lines = [f"axe-core checked {len(self.visited)} page states:", *(f"  {url}" for url in self.visited)]
        if self.server_errors:
            lines += ["server errors:", *(f"  {line}" for line in self.server_errors)]
        if self.failures:
            lines += ["serious or critical violations:", *(f"  {finding}" for finding in self.failures)]
        others = [finding for finding in self.findings if finding.impact not in FAILING]
        if others:
            lines += ["other findings (not failing):", *(f"  {finding}" for finding in others)]
        return "\n".join(lines)

    def assert_clean(self) -> None:
        assert not self.failures and not self.server_errors, self.report()


def _short(url: str) -> str:
    parts = urlsplit(url)
    path = re.sub(r"/r/[A-Za-z0-9_-]{20,}", "/r/<token>", parts.path)
    path = re.sub(r"/host/invite/[A-Za-z0-9_-]{20,}", "/host/invite/<token>", path)
    return path + (f"?{parts.query}" if parts.query else "")


def _shape(path: str) -> str:
    """Paths that differ only in numbers are the same page (``/staff/sessions/3`` ~ ``/staff/sessions/4``)."""
    return re.sub(r"\d+", "#", path)


async def crawl(
    audit: Audit, page: Page, start: list[str], *, prefixes: tuple[str, ...], limit: int = 60
) -> list[str]:
    """Visit ``start`` and every same-site link under ``prefixes`` they lead to (breadth first).

    Every listed start page is visited; of the pages found by following links, one per path
    shape (numbers replaced, ``lang`` dropped) is enough.
    """
    seen_shapes: set[str] = {_shape(path) for path in start}  # listed pages are all visited
    queue = list(start)
    visited: list[str] = []
    while queue and len(visited) < limit:
        path = queue.pop(0)
        if path in visited:
            continue
        seen_shapes.add(_shape(path))
        await audit.visit(page, path)
        visited.append(path)
        hrefs: list[str] = await page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
        for href in hrefs:
            parts = urlsplit(href)
            if parts.netloc and parts.netloc != urlsplit(page.url).netloc:
                continue
            link = parts.path + (f"?{parts.query}" if parts.query else "")
            link = re.sub(r"[?&]lang=[a-z-]+$", "", link)
            if not link.startswith(prefixes) or NOT_PAGES.search(link) or _shape(link) in seen_shapes:
                continue
            queue.append(link)
    return visited
