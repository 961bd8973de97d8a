"""Shared by the browser modules: one Chromium per module and one signed-in tab per person."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from ..builders import CHROMIUM, Team
from .checks import PageChecks, java, report
from .helpers import People

# Playwright's sync API runs an event loop in this thread; the test still reads the database
# between steps, which Django refuses inside a loop unless told it is deliberate.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


_session_checks: list[PageChecks] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for checks in _session_checks:
        if checks.documents:
            terminalreporter.write_line(checks.summary())


@pytest.fixture(scope="session")
def page_checks() -> Iterator[PageChecks]:
    """Collects every page the tabs load; at the end of the session the Nu checker reads them
    all in one JVM start, and any error fails the run."""
    if java() is None and os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail("The HTML checks need Java (the Nu checker); .ci/run installs it.")
    checks = PageChecks()
    _session_checks.append(checks)
    yield checks
    if java() is None:
        import warnings

        warnings.warn(
            "Java is missing: the pages were not run through the Nu checker.", stacklevel=1
        )
        return
    problems = checks.check_html()
    assert not problems, report(problems, f"HTML errors in {len(checks.documents)} pages (Nu)")


@pytest.fixture
def people(browser: Any, live_server: Any, team: Team, page_checks: PageChecks) -> Iterator[People]:
    crowd = People(browser, live_server.url, page_checks)
    yield crowd
    crowd.close()
