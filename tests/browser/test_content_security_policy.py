"""Real Chromium under the Content-Security-Policy (issue #12): no page of the app or of the
admin is broken by it. Chromium reports each thing the policy blocks on the console; a page
that needed an inline script or style, or an image from another host, would show up there.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.urls import reverse

from releases import services
from releases.models import RoleKey

from ..builders import Builder, Team, gate
from .helpers import ARTIFACTS, People

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("seeded")]
QA, PM = RoleKey.QA_LEAD, RoleKey.PROJECT_MANAGER


def watch(page: Any) -> None:
    """Keep what the policy blocks on this tab in page.blocked."""
    page.blocked = []
    page.on(
        "console",
        lambda msg: (
            page.blocked.append(msg.text) if "Content Security Policy" in msg.text else None
        ),
    )


def visit(page: Any, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.ok, url
    assert "default-src 'self'" in response.headers["content-security-policy"], url
    page.wait_for_load_state("load")
    assert page.blocked == [], url


def test_the_app_pages_work_under_the_policy(
    people: People, live_server: Any, team: Team, build: Builder
) -> None:
    base = live_server.url
    release = build.staging(
        summary="Wrap it in `<b>`. ![board](http://any-host.example/x.png)",
        rollback_plan="Redeploy the previous version.",
    )
    pm = people(PM)
    watch(pm)
    for url in (
        "/",
        reverse("dashboard"),
        reverse("release-edit", args=[release.pk]),
        reverse("release-detail", args=[release.pk]),
    ):
        visit(pm, base + url)
    # The code span shows the tag as typed, and the image is only a link to it.
    summary = pm.locator("dd.md").first
    assert summary.locator("code").inner_text() == "<b>"
    assert summary.locator("img").count() == 0
    assert summary.get_by_role("link", name="board").get_attribute("href") == (
        "http://any-host.example/x.png"
    )
    # The progress bars are <progress> elements now, styled from static/css.
    visit(pm, base + reverse("dashboard"))
    bar = pm.locator("progress.progress").first
    assert bar.bounding_box()["width"] > 50
    ARTIFACTS.mkdir(exist_ok=True)
    pm.screenshot(path=ARTIFACTS / "dashboard-under-csp.png", full_page=True)

    # static/js/app.js still runs: picking a type suggests its next version.
    visit(pm, base + reverse("release-create"))
    pm.get_by_label("Type (required)").select_option("major")
    assert pm.get_by_label("Version (required)").input_value() != ""

    # The sign-in page, to someone not signed in.
    stranger = pm.context.browser.new_page()
    watch(stranger)
    visit(stranger, base + reverse("login"))
    stranger.get_by_label("Username").wait_for()
    stranger.close()

    qa = people(QA)
    watch(qa)
    visit(qa, base + reverse("gate-detail", args=[gate(release, QA).pk]))
    assert pm.blocked == [] and qa.blocked == []


def test_the_admin_works_under_the_policy(
    people: People, live_server: Any, team: Team, build: Builder
) -> None:
    base = live_server.url
    build.closed(version="1.0.0", release_type="major")
    release = build.deployed(version="1.1.0", release_type="minor")
    services.incident_open(release_id=release.pk, actor=team[QA], title="Errors")
    draft = build.create()
    root = people(team.admin.username)
    watch(root)

    visit(root, base + reverse("admin:index"))
    for model in admin.site._registry:
        meta = model._meta
        visit(root, base + reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        add = root.request.get(base + reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
        if add.ok:
            visit(root, add.url)

    # The scripts of a change form run: the inline rows, the date shortcuts, the filters.
    visit(root, base + reverse("admin:releases_release_change", args=[draft.pk]))
    root.locator("#id_window_start_0").fill("")
    root.get_by_role("link", name="Today").first.click()
    assert root.locator("#id_window_start_0").input_value() != ""
    visit(root, base + reverse("admin:notifications_notification_changelist"))
    root.locator("#action-toggle").check()
    assert root.locator("input.action-select:checked").count() >= 2
    assert root.blocked == []
