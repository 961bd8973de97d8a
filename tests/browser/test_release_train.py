"""Real Chromium on a team's weeks: edits that must not stale approvals, and a release train.

The release page with the downgrade prompt is saved to artifacts/ (ignored by git).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from notifications.models import Notification
from releases.models import (
    AuditEvent,
    Incident,
    Release,
    RoleKey,
    Stage,
)
from signoffs.models import GateState

from ..builders import Builder, Team, refresh
from .helpers import ARTIFACTS, People, expect_message, open_release

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("seeded")]
QA, DEVOPS, BA, UX, CSM, PROD, PM = RoleKey.values

NOTABLE_CHANGES = (
    "- Exports: CSV & JSON, with `a < b` filters\n"
    "- Dashboard loads in <2 s\n"
    '- Quotes stay "as typed" & so do ampersands'
)
MIGRATION_STEPS = (
    "1. Stop the workers.\n"
    '2. Back up first: dump > backup.json && echo "A & B"\n'
    "3. Run `manage.py migrate` && restart the workers.\n"
    '4. If it fails, restore: `load < backup.json && echo "A & B"`'
)
SHELL_LINE = 'dump > backup.json && echo "A & B"'
ROLLBACK_BUTTON = "Record rollback to the last known-good release"


def retype(field: Any, text: str) -> None:
    """Select what the field holds and type over it, key by key, as a person would."""
    field.click()
    field.press("ControlOrMeta+a")
    field.press_sequentially(text)


def type_moment(page: Any, field: Any, moment: datetime) -> None:
    """Type a local time into a `datetime-local` field segment by segment (month/day/year,
    then hour:minute AM/PM: the layout Chromium draws for en-US)."""
    field.focus()
    page.keyboard.type(moment.strftime("%m%d%Y"))
    page.keyboard.press("ArrowRight")  # the year takes up to six digits; move on by hand
    page.keyboard.type(moment.strftime("%I%M%p"))
    assert field.input_value() == moment.strftime("%Y-%m-%dT%H:%M"), "the widget's layout changed"


def messages_text(page: Any) -> str:
    return page.locator(".messages").inner_text()


def assert_nothing_stale(page: Any, release: Release) -> None:
    """In the database and on the page: approved, seven approvals standing, none turned stale."""
    release = refresh(release)
    assert release.stage == Stage.APPROVED
    gates = list(release.signoffs.values_list("role__key", "state", "stale"))
    assert len(gates) == 7
    assert all(state == GateState.APPROVED and not stale for _, state, stale in gates), gates
    assert not AuditEvent.objects.filter(release=release, verb="gate.stale").exists()
    assert not Notification.objects.filter(release_id=release.pk, kind="approval_stale").exists()
    gates_section = page.locator("#gates")
    assert gates_section.locator(".chip-approved").count() == 7
    assert gates_section.locator(".chip-stale").count() == 0
    assert "stale" not in page.locator("main").inner_text().lower()
    assert page.locator(".stage").first.inner_text() == "Approved"


def test_editing_the_name_or_the_window_in_chromium_stales_no_approval(
    people: People, live_server: Any, team: Team, build: Builder
) -> None:
    base = live_server.url
    start = timezone.now().replace(microsecond=123456) + timedelta(days=2, seconds=17)
    end = start + timedelta(hours=2, seconds=5)
    release = build.approved(
        name="Halyard",
        notable_changes=NOTABLE_CHANGES,
        migration_steps=MIGRATION_STEPS,
        window_start=start,
        window_end=end,
    )
    assert release.stage == Stage.APPROVED
    # The services store the window to the minute; a row from before that (or from an import)
    # still has seconds and microseconds, which the minute-only widget cannot send back.
    Release.objects.filter(pk=release.pk).update(window_start=start, window_end=end)
    release = refresh(release)
    assert release.window_start == start and release.window_start.microsecond == 123456

    pm = people(PM)
    open_release(pm, base, release)
    # The typed shell text shows as typed: escaped once, not twice, and not dropped.
    notes = pm.locator("section[aria-labelledby=h-notes]").inner_text()
    assert SHELL_LINE in notes  # plain text
    assert 'load < backup.json && echo "A & B"' in notes  # a code span
    assert "a < b" in notes and '"as typed" & so do ampersands' in notes
    assert not re.search(r"&(gt|lt|amp|quot|#\d+);", notes), notes

    # First save: only the name.
    pm.get_by_role("link", name="Edit release").click()
    pm.get_by_role("heading", name=re.compile("^Edit Halyard")).wait_for()
    assert pm.get_by_label("Migration steps (if any)").input_value() == MIGRATION_STEPS
    assert pm.get_by_label("Notable changes").input_value() == NOTABLE_CHANGES
    retype(pm.get_by_label("Release name / number (required)"), "Halyard (renamed)")
    pm.get_by_role("button", name="Save changes").click()
    expect_message(pm, "Saved Halyard (renamed).")
    assert messages_text(pm).strip() == "✓ Saved Halyard (renamed)."
    assert_nothing_stale(pm, release)
    assert SHELL_LINE in pm.locator("section[aria-labelledby=h-notes]").inner_text()
    release = refresh(release)
    assert release.name == "Halyard (renamed)"
    # Untouched fields are stored as they were, the window to the microsecond.
    assert (release.window_start, release.window_end) == (start, end)
    assert (release.notable_changes, release.migration_steps) == (NOTABLE_CHANGES, MIGRATION_STEPS)
    edits = list(
        release.audit_events.filter(verb="release.edited").values_list("comment", flat=True)
    )
    assert edits == ["Changed: release name / number."]

    # Second save: only the window, one day later, typed into the date-time widgets.
    pm.get_by_role("link", name="Edit release").click()
    pm.get_by_role("heading", name=re.compile("^Edit Halyard \\(renamed\\)")).wait_for()
    new_start = timezone.localtime(start).replace(second=0, microsecond=0) + timedelta(days=1)
    new_end = timezone.localtime(end).replace(second=0, microsecond=0) + timedelta(days=1)
    type_moment(pm, pm.get_by_label("Deployment window opens"), new_start)
    type_moment(pm, pm.get_by_label("Deployment window closes"), new_end)
    pm.get_by_role("button", name="Save changes").click()
    expect_message(pm, "Saved Halyard (renamed).")
    assert messages_text(pm).strip() == "✓ Saved Halyard (renamed)."
    assert_nothing_stale(pm, release)
    release = refresh(release)
    assert (release.window_start, release.window_end) == (new_start, new_end)
    assert (release.notable_changes, release.migration_steps) == (NOTABLE_CHANGES, MIGRATION_STEPS)
    edits = list(
        release.audit_events.filter(verb="release.edited").values_list("comment", flat=True)
    )
    assert edits[1:] == ["Changed: deployment window opens, deployment window closes."]
    # Neither save sent the release back to sign-off.
    assert not release.audit_events.filter(verb="release.reopen").exists()


def test_a_release_train_downgrade_in_chromium(
    people: People, live_server: Any, team: Team, build: Builder
) -> None:
    base = live_server.url
    ARTIFACTS.mkdir(exist_ok=True)
    first = build.deployed(name="Anchor", version="1.1.0", release_type="minor")
    older = build.ready_to_deploy(name="Bowline", version="1.2.0", release_type="minor")
    hotfix = build.staging(name="Cleat", version="1.1.1", release_type="patch")
    newer = build.deployed(name="Davit", version="1.3.0", release_type="minor")
    assert refresh(first).superseded_by == newer
    assert list(Release.objects.in_production()) == [newer]

    # The Project Manager renames the hotfix still in staging: 1.3.0 shipped meanwhile, but
    # the version did not change, so it is not checked against production again.
    pm = people(PM)
    open_release(pm, base, hotfix)
    pm.get_by_role("link", name="Edit release").click()
    retype(pm.get_by_label("Release name / number (required)"), "Cleat hotfix")
    pm.get_by_role("button", name="Save changes").click()
    expect_message(pm, "Saved Cleat hotfix.")
    assert "does not come after" not in pm.locator("main").inner_text()
    hotfix = refresh(hotfix)
    assert (hotfix.name, hotfix.version, hotfix.stage) == ("Cleat hotfix", "1.1.1", Stage.STAGING)
    assert not hotfix.signoffs.filter(stale=True).exists()

    # The DevOps Engineer opens the approved 1.2.0: deploying it would go below 1.3.0.
    devops = people(DEVOPS)
    open_release(devops, base, older)
    actions = devops.locator("section[aria-labelledby=h-actions]")
    actions.get_by_text(
        "1.2.0 is lower than 1.3.0 (Davit), the highest version in production."
    ).wait_for()
    reason = actions.get_by_label("Why downgrade? (required)")
    deploy = actions.get_by_role("button", name="Record production deploy as a downgrade")
    assert actions.get_by_role("button", name="Record production deploy", exact=True).count() == 0
    actions.scroll_into_view_if_needed()
    actions.screenshot(path=ARTIFACTS / "release-downgrade-prompt.png")
    devops.evaluate("window.scrollTo(0, 0)")
    devops.screenshot(path=ARTIFACTS / "release-downgrade-page.png")

    # Without a reason the browser keeps the form: the textarea is required.
    events = older.audit_events.count()
    devops.evaluate("window.__sameDocument = true")
    deploy.click()
    assert reason.evaluate("el => el.validity.valueMissing") is True
    assert devops.evaluate("document.activeElement.id") == "downgrade-reason"
    devops.wait_for_timeout(700)  # time enough for a submission to have left
    assert devops.evaluate("window.__sameDocument === true"), "the form was submitted"
    assert refresh(older).stage == Stage.APPROVED
    assert older.audit_events.count() == events

    why = "1.3.0 corrupts CSV exports; back to 1.2.0 until the fix ships."
    reason.press_sequentially(why)
    deploy.click()
    expect_message(devops, "Production deploy recorded.")
    older, newer = refresh(older), refresh(newer)
    assert older.stage == Stage.DEPLOYED
    assert newer.superseded_by == older and newer.superseded_at is not None
    assert list(Release.objects.in_production()) == [older]
    downgrade = AuditEvent.objects.get(release=older, verb="release.downgrade")
    assert downgrade.actor == team[DEVOPS]
    assert downgrade.comment == f"Deliberate downgrade from 1.3.0: {why}"
    announcements = Notification.objects.filter(kind="downgrade_deployed", release_id=older.pk)
    assert announcements.exists()
    assert {n.recipient.username for n in announcements} >= set(RoleKey.values)
    for notice in announcements:
        assert "1.3.0" in notice.subject and older.version in notice.subject
        assert why in notice.body_text
    devops.get_by_text("in production", exact=True).wait_for()

    # The superseded 1.3.0 says so; an incident opened on it offers no rollback (only the
    # release in production can be rolled back).
    open_release(devops, base, newer)
    devops.get_by_text(re.compile(r"superseded in production by Bowline \(1\.2\.0\)")).wait_for()
    open_incident(devops, "Exports broken on 1.3.0")
    incident = Incident.objects.get(release=newer)
    assert incident.title == "Exports broken on 1.3.0"
    assert devops.get_by_role("button", name=ROLLBACK_BUTTON).count() == 0
    devops.screenshot(path=ARTIFACTS / "release-superseded-incident.png", full_page=True)
    # The same person on the release in production is offered the rollback: the check above
    # looks for a button that exists.
    open_release(devops, base, older)
    open_incident(devops, "Something else on 1.2.0")
    devops.get_by_role("button", name=ROLLBACK_BUTTON).wait_for()


def open_incident(page: Any, title: str) -> None:
    incidents = page.locator("#incidents")
    incidents.get_by_text("Open an incident…").click()
    page.get_by_label("Title (required)").press_sequentially(title)
    page.get_by_label("What happened").press_sequentially("Seen by customers.")
    incidents.get_by_role("button", name="Open incident and notify on-call").click()
    expect_message(page, "Incident opened.")
