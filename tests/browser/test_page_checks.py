"""The checks every browser test's pages go through (issue #18) fail a broken page: the Nu
checker names the misplaced element and the bad value, axe the image without a text and the
button without a name, each with its page. axe runs under the app's own policy."""

from __future__ import annotations

import os
from typing import Any

import pytest

from .checks import PageChecks, java

pytestmark = [pytest.mark.browser]

BROKEN = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Broken</title>
<link rel="stylesheet" href="/static/css/app.css"></head>
<body><main><h1>Broken</h1>
<span><form method="post" action="/"><button type="submit"></button></form></span>
<img src="/static/css/app.css">
<p><time datetime="2026-01-02T03:04:05.123456+00:00">then</time></p>
</main></body></html>
"""


@pytest.fixture
def checked(browser: Any, live_server: Any, transactional_db: Any) -> PageChecks:
    """The sign-in page as the app serves it, and a broken page served under its headers."""
    checks = PageChecks()
    context = browser.new_context()
    checks.watch(context)
    page = context.new_page()
    signin = page.goto(live_server.url + "/signin/")
    assert signin is not None and signin.ok
    headers = {"content-type": "text/html; charset=utf-8"} | {
        "content-security-policy": signin.headers["content-security-policy"]
    }
    page.route(
        live_server.url + "/broken/",
        lambda route: route.fulfill(status=200, headers=headers, body=BROKEN),
    )
    page.goto(live_server.url + "/broken/")
    # The recorder reads a page from Playwright's response event, which the sync API delivers
    # while it waits: give it the chance before the tab closes (CI once closed it first).
    for _ in range(50):
        if any(d.url.endswith("/broken/") for d in checks.pending):
            break
        page.wait_for_timeout(100)
    context.close()
    return checks


def test_axe_runs_under_the_policy_and_names_rule_element_and_page(
    checked: PageChecks, browser: Any, live_server: Any
) -> None:
    assert [d.url.removeprefix(live_server.url) for d in checked.pending] == [
        "/signin/",
        "/broken/",
    ]
    assert "script-src 'self'" in checked.pending[0].headers["content-security-policy"]

    problems = checked.check_pending(browser)

    assert checked.axe_runs == 4  # two pages, each at 1280 and 390 px; each one had passes
    broken = f"on {live_server.url}/broken/: "
    for width in (1280, 390):
        assert any(
            p.startswith(f"axe image-alt (critical) at {width}px {broken}img")
            and '<img src="/static/css/app.css">' in p
            for p in problems
        ), problems
        assert any(
            p.startswith(f"axe button-name (critical) at {width}px {broken}button")
            for p in problems
        ), problems
    assert not [p for p in problems if "/signin/" in p]


def test_the_nu_checker_names_element_line_and_page(checked: PageChecks, live_server: Any) -> None:
    if java() is None:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail("The Nu checker needs Java; .ci/run installs it.")
        pytest.skip("needs Java (apt-get install default-jre-headless)")

    problems = checked.check_html()

    broken = f"Nu {live_server.url}/broken/ "
    assert any(
        p.startswith(broken + "line 5: Element “form” not allowed as child of element “span”")
        for p in problems
    ), problems
    assert any(
        p.startswith(broken + "line 7: Bad value “2026-01-02T03:04:05.123456+00:00”")
        and "A fraction of a second must be one, two, or three digits" in p
        for p in problems
    ), problems
    assert not [p for p in problems if "/signin/" in p], problems
