"""Real Chromium against a live server: a release from creation to closed, by its seven owners.

Screenshots of the dashboard and the sign-off page land in artifacts/ (ignored by git).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from releases.models import Release, RoleKey, Stage
from signoffs.models import GateState

from .helpers import ARTIFACTS, expect_message, open_release

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("seeded")]
QA, DEVOPS, BA, UX, CSM, PROD, PM = RoleKey.values


def tick_all_my_items(page: Any, base: str, release: Release) -> None:
    open_release(page, base, release)
    buttons = page.locator("#checklist").get_by_role("button", name="Mark done")
    while buttons.count():
        # The CI and acceptance items are ticked with links backing them.
        # `has=` is matched inside each form, so it takes a locator without the #checklist root.
        mark_done = page.get_by_role("button", name="Mark done")
        form = page.locator("#checklist form").filter(has=mark_done).first
        evidence = form.locator("textarea")
        if evidence.count():
            evidence.fill("https://ci.example.com/runs/1")
        buttons.first.click()
        expect_message(page, "Checklist item done.")


def do_all_my_duties(page: Any, base: str, release: Release) -> None:
    open_release(page, base, release)
    buttons = page.locator("#duties").get_by_role("button", name="Mark done")
    while buttons.count():
        buttons.first.click()
        expect_message(page, "Duty marked done.")


def sign_from_my_work(page: Any, base: str, release: Release, role: str) -> None:
    page.goto(base + "/")
    page.get_by_role("link", name=re.compile(f"{role} sign-off for {release.name}")).click()
    page.get_by_role("heading", name=f"{role} sign-off").wait_for()


def test_a_release_from_creation_to_closed_in_the_browser(people, live_server, team):
    base = live_server.url
    ARTIFACTS.mkdir(exist_ok=True)

    # The Project Manager creates the release; the form suggests the version for the type.
    pm = people(PM)
    pm.get_by_role("link", name="New release").click()
    pm.get_by_label("Release name / number (required)").fill("Nimbus")
    pm.get_by_label("Type (required)").select_option("major")
    assert pm.get_by_label("Version (required)").input_value() == "1.0.0"
    pm.get_by_label("Summary").fill("First **public** release.")
    pm.get_by_label("Notable changes").fill("- Sign-off in the browser\n- Dashboard")
    # What the pre-release and window ticks need filled in first.
    pm.get_by_label("Rollback / mitigation plan").fill("Redeploy the previous image.")
    pm.get_by_label("Smoke test plan").fill("Sign in; open the dashboard.")
    # A window around now: a deploy outside the release's window is refused.
    now = timezone.localtime()
    pm.get_by_label("Deployment window opens").fill(
        (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    )
    pm.get_by_label("Deployment window closes").fill(
        (now + timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M")
    )
    pm.get_by_role("button", name="Create release").click()
    expect_message(pm, "Created Nimbus (1.0.0)")
    release = Release.objects.get(name="Nimbus")

    # Each owner ticks their pre-release requirements (and the optional pre-deploy items).
    for who in (BA, DEVOPS, PROD, QA, PM):
        tick_all_my_items(people(who), base, release)

    devops = people(DEVOPS)
    open_release(devops, base, release)
    devops.get_by_role("button", name=re.compile("start sign-off")).click()
    expect_message(devops, "Moved to staging")

    # QA hands off test results; the DevOps Engineer, who receives them, says proceed.
    qa = people(QA)
    open_release(qa, base, release)
    handoff = qa.locator("li.handoff", has_text="QA Lead → DevOps Engineer")
    handoff.get_by_label(re.compile("Test results and known issues")).fill("All suites green.")
    handoff.get_by_role("button", name="Send").click()
    expect_message(qa, "Hand-off sent.")
    open_release(devops, base, release)
    handoff = devops.locator("li.handoff", has_text="QA Lead → DevOps Engineer")
    handoff.get_by_label("Proceed with deployment").check()
    handoff.get_by_role("button", name="Record decision").click()
    expect_message(devops, "“Proceed” recorded.")

    # Six role owners sign from My work; the Business Analyst rejects first, then approves.
    for who, role in (
        (QA, "QA Lead"),
        (DEVOPS, "DevOps Engineer"),
        (UX, "UX Designer"),
        (CSM, "Customer Success Manager"),
        (PROD, "Product Manager"),
    ):
        page = people(who)
        sign_from_my_work(page, base, release, role)
        page.get_by_role("button", name=re.compile("^✓ Approve")).click()
        expect_message(page, "Approved. Thank you.")

    ba = people(BA)
    sign_from_my_work(ba, base, release, "Business Analyst")
    ba.get_by_role("button", name="✗ Reject").click()
    expect_message(
        ba, "A reason for rejecting is required"
    )  # a rejection needs a reason; nothing changed
    ba.get_by_label("Comment (required to reject)").fill("Criterion 2 is not met.")
    ba.get_by_role("button", name="✗ Reject").click()
    expect_message(ba, "Rejected.")
    dashboard = people(PM)
    dashboard.goto(base + "/releases/")
    dashboard.get_by_text(f"Business Analyst ({BA}) rejected: Criterion 2 is not met.").wait_for()
    dashboard.screenshot(path=ARTIFACTS / "dashboard-blocked.png", full_page=True)
    ba.get_by_role("button", name=re.compile("^✓ Approve")).click()
    expect_message(ba, "Approved. Thank you.")

    # The Project Manager's gate has opened; confirming approves the release.
    sign_from_my_work(pm, base, release, "Project Manager")
    pm.screenshot(path=ARTIFACTS / "signoff-page.png", full_page=True)
    pm.get_by_role("button", name=re.compile("^✓ Approve")).click()
    expect_message(pm, "Approved. Thank you.")
    release.refresh_from_db()
    assert release.stage == Stage.APPROVED

    # The deploy waits for the Product Manager's final release decision, asked on My work.
    prod = people(PROD)
    prod.goto(base + "/")
    prod.get_by_role("link", name="Record the final release decision").click()
    prod.locator("#duties").get_by_label("Note (optional)").fill("Scope as promised.")
    prod.get_by_role("button", name="Record final release decision").click()
    expect_message(prod, "Final release decision recorded.")

    open_release(devops, base, release)
    devops.get_by_role("button", name="Record production deploy").click()
    expect_message(devops, "Production deploy recorded.")

    # Post-release: verifications, announcement, and the three hand-offs, each acknowledged.
    for who in (QA, CSM):
        tick_all_my_items(people(who), base, release)
    for sender, receiver, title in (
        (DEVOPS, PM, "DevOps Engineer → Project Manager"),
        (PM, CSM, "Project Manager → Customer Success Manager"),
        (CSM, PROD, "Customer Success Manager → Product Manager"),
    ):
        page = people(sender)
        open_release(page, base, release)
        item = page.locator("li.handoff", has_text=title)
        item.locator("textarea[name=notes]").fill(f"{title}: done.")
        item.get_by_role("button", name="Send").click()
        expect_message(page, "Hand-off sent.")
        page = people(receiver)
        open_release(page, base, release)
        page.locator("li.handoff", has_text=title).get_by_role("button", name="Acknowledge").click()
        expect_message(page, "Hand-off acknowledged.")

    # Each owner marks their release-day and post-release duties done.
    for who in RoleKey.values:
        do_all_my_duties(people(who), base, release)

    open_release(pm, base, release)
    pm.get_by_role("button", name="Close release").click()
    expect_message(pm, "Release closed.")
    release.refresh_from_db()
    assert release.stage == Stage.CLOSED
    assert release.signoffs.filter(state=GateState.APPROVED).count() == 7
    verbs = list(release.audit_events.values_list("verb", flat=True))
    assert verbs.count("gate.rejected") == 1 and verbs.count("gate.approved") == 7


def test_someone_without_a_gate_sees_no_sign_button_and_a_forged_post_is_refused(
    people, live_server, team, build
):
    base = live_server.url
    release = build.staging(name="Stratus")
    qa_gate = release.signoffs.get(role__key=QA)
    outsider = people("outsider")
    open_release(outsider, base, release)
    assert outsider.get_by_role("link", name="Open sign-off").count() == 0
    assert outsider.get_by_role("button", name=re.compile("Approve")).count() == 0

    token = next(c["value"] for c in outsider.context.cookies() if c["name"] == "csrftoken")
    response = outsider.context.request.post(
        f"{base}/gates/{qa_gate.pk}/approve/",
        form={"csrfmiddlewaretoken": token, "revision": str(qa_gate.revision)},
        headers={"Referer": f"{base}/releases/{release.pk}/"},
    )
    assert response.status == 403
    qa_gate.refresh_from_db()
    assert qa_gate.state == GateState.PENDING


def test_pages_fit_a_phone_and_work_from_the_keyboard(people, live_server, team, build):
    base = live_server.url
    release = build.staging(name="Cumulus")
    phone = people(QA, width=390)
    for name, path in (
        ("my-work", "/"),
        ("dashboard", "/releases/"),
        ("release", f"/releases/{release.pk}/"),
        ("signoff", f"/gates/{release.signoffs.get(role__key=QA).pk}/"),
    ):
        phone.goto(base + path)
        # Nothing wider than the screen: no sideways scrolling on a phone.
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390, name
        phone.screenshot(path=ARTIFACTS / f"phone-{name}.png", full_page=True)

    desk = people(QA)
    desk.goto(f"{base}/gates/{release.signoffs.get(role__key=QA).pk}/")
    desk.keyboard.press("Tab")
    assert desk.evaluate("document.activeElement.textContent") == "Skip to content"
    desk.get_by_label("Comment (required to reject)").focus()
    desk.keyboard.type("Checked on staging")
    desk.keyboard.press("Tab")  # to the Approve button
    assert "Approve" in desk.evaluate("document.activeElement.textContent")
    desk.keyboard.press("Enter")
    expect_message(desk, "Approved. Thank you.")
