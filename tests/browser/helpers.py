"""What the browser modules import: signed-in tabs, and small steps every walk-through takes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from releases.models import Release

from .checks import PageChecks, report

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


class People:
    """One signed-in browser tab per person, as if each sat at their own machine."""

    def __init__(self, browser: Any, base: str, checks: PageChecks | None = None) -> None:
        self.browser, self.base, self.pages, self.checks = browser, base, {}, checks

    def __call__(self, username: str, width: int = 1280) -> Any:
        key = (username, width)
        if key not in self.pages:
            context = self.browser.new_context(viewport={"width": width, "height": 900})
            context.set_default_timeout(15_000)
            if self.checks is not None:
                self.checks.watch(context)
            page = context.new_page()
            page.goto(self.base + "/")
            assert "/signin/" in page.url
            page.get_by_label("Username").fill(username)
            page.get_by_label("Password").fill("octoacme")
            page.get_by_role("button", name="Sign in").click()
            page.get_by_role("heading", name="My work").wait_for()
            self.pages[key] = page
        return self.pages[key]

    def close(self) -> None:
        for page in self.pages.values():
            page.context.close()
        if self.checks is not None:
            problems = self.checks.check_pending(self.browser)
            assert not problems, report(problems, "accessibility violations (axe, WCAG 2.2 AA)")


def expect_message(page: Any, text: str) -> None:
    try:
        page.locator(".messages").get_by_text(text).wait_for()
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / "failure.png", full_page=True)
        raise


def open_release(page: Any, base: str, release: Release) -> None:
    page.goto(f"{base}/releases/{release.pk}/")
