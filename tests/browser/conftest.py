"""Shared by the browser modules: one Chromium per module and one signed-in tab per person."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from ..builders import CHROMIUM, Team
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


@pytest.fixture
def people(browser: Any, live_server: Any, team: Team) -> Iterator[People]:
    crowd = People(browser, live_server.url)
    yield crowd
    crowd.close()
