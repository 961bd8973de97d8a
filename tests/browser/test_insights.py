"""The Project Manager reads Insights in Chromium: changes the period and the type, is told
plainly what is wrong with a period that ends before it starts, and downloads a chart's CSV;
the page reads at phone width too."""

from __future__ import annotations

import csv
import io

import pytest

from ..insights.history import History, at
from .helpers import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("seeded")]


@pytest.fixture
def march(team):
    h = History(team.admin)
    h.release(created_at=at("03-01"), staged_at=at("03-02"), deployed_at=at("03-03", "10:00"))
    h.release(
        "patch", created_at=at("03-09"), staged_at=at("03-09"), deployed_at=at("03-10", "09:00")
    )


def test_the_project_manager_reads_and_downloads_insights(people, live_server, march):
    page = people("project-manager")
    page.get_by_role("link", name="Insights").click()
    page.get_by_role("heading", name="Insights", level=1).wait_for()
    assert "(90 days;" in page.locator("main").inner_text()

    page.get_by_label("Period", exact=True).select_option("custom")
    page.get_by_label("From", exact=True).fill("2026-03-02")
    page.get_by_label("To", exact=True).fill("2026-03-29")
    page.get_by_role("button", name="Show").click()
    page.get_by_text("from 2026-03-02 to 2026-03-29 (28 days").wait_for()
    frequency = page.locator("#figure-frequency")
    assert "0.5 per week" in frequency.inner_text()  # two deploys in four weeks

    page.get_by_label("Release type", exact=True).select_option("patch")
    page.get_by_role("button", name="Show").click()
    page.get_by_text("Releases of type patch from 2026-03-02").wait_for()
    assert "0.2 per week" in page.locator("#figure-frequency").inner_text()  # one in four

    with page.expect_download() as download:
        page.locator("#chart-deploys").get_by_role("link", name="Download CSV").click()
    text = download.value.path().read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Week", "Deploys", "Failed"]
    assert rows[1:] == [
        ["2026-03-02", "0", "0"],
        ["2026-03-09", "1", "0"],
        ["2026-03-16", "0", "0"],
        ["2026-03-23", "0", "0"],
    ]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "insights-desktop.png", full_page=True)

    page.get_by_label("From", exact=True).fill("2026-03-29")
    page.get_by_label("To", exact=True).fill("2026-03-02")
    page.get_by_role("button", name="Show").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "ends (2026-03-02) before it starts (2026-03-29)" in alert.inner_text()


def test_insights_at_phone_width(people, live_server, march):
    page = people("project-manager", width=390)
    page.goto(f"{live_server.url}/insights/?period=custom&start=2026-03-02&end=2026-03-29")
    page.get_by_role("heading", name="Delivery: DORA's five metrics").wait_for()
    # Nothing wider than the screen: the tables scroll inside their own box.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "insights-phone.png", full_page=True)
