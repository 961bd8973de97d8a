"""Real Chromium on release day and after: the incident playbook from a failed deploy to a
closed review, and the DevOps Engineer's hold on a release, put on and lifted.

The incident timeline and the held release are saved to artifacts/ (ignored by git).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Notification
from releases import services
from releases.models import ActionItem, Incident, Release, RoleKey, Stage
from signoffs.models import GateState

from ..builders import Builder, gate, refresh
from .helpers import ARTIFACTS, expect_message, open_release

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("seeded")]
QA, DEVOPS, BA, UX, CSM, PROD, PM = RoleKey.values


def _to_ready(build: Builder, release: Release) -> None:
    """The builder's steps from a created release to one the DevOps Engineer may deploy."""
    services.release_update(
        release_id=release.pk,
        actor=build.team[PM],
        data={
            "notable_changes": "- Migration 0042 in batches.",
            "rollback_plan": "Redeploy the previous image.",
            "smoke_test_plan": "Run the import on staging.",
        },
    )
    build.pre_release_done(release)
    services.release_move_to_staging(release_id=release.pk, actor=build.team[DEVOPS])
    build.proceed(release)
    build.six(release)
    build.approve(release, PM)
    for item in release.checklist.filter(template__optional=True).select_related("template__owner"):
        services.checklist_mark_not_applicable(
            item_id=item.pk, actor=build.team[item.template.owner.key], reason="Not needed."
        )
    build.final_decision(release)


def test_a_failed_deploy_runs_the_playbook_to_a_closed_review(people, live_server, build):
    base = live_server.url
    ARTIFACTS.mkdir(exist_ok=True)
    release = build.ready_to_deploy(name="Aurora", release_type="major")

    # The deploy fails: the DevOps Engineer records it, which opens an incident.
    devops = people(DEVOPS)
    open_release(devops, base, release)
    devops.get_by_text("Record a failed production deploy…").click()
    devops.get_by_label("What failed (required)").fill(
        "Migration 0042 timed out\r\non the big table."
    )
    devops.get_by_role("button", name="Record failed deploy and open an incident").click()
    expect_message(devops, "Failed deploy recorded")
    incident = Incident.objects.get(release=release)
    assert refresh(release).stage == Stage.APPROVED and incident.failed_deploy
    devops.get_by_text(re.compile("A production deploy of this release failed")).wait_for()

    # The DevOps Engineer fixes forward: a patch release linked to the incident.
    card = devops.locator(f"#incident-{incident.pk}")
    card.get_by_text("Fix forward with a patch release…").click()
    card.get_by_label("Summary").fill("Split migration 0042 in batches.")
    card.get_by_role("button", name="Create the patch release").click()
    expect_message(devops, "Patch release")
    patch = Release.objects.get(fixes_incident=incident)
    assert (release.version, patch.version) == ("1.0.0", "1.0.1")  # it follows the failed one

    # The patch goes through its own sign-off; its deploy restores service.
    _to_ready(build, patch)
    open_release(devops, base, patch)
    devops.get_by_text(re.compile("fixes forward the incident")).wait_for()
    devops.get_by_role("button", name="Record production deploy").click()
    expect_message(devops, "Production deploy recorded.")

    # The Project Manager resolves it with a root cause and assigns two action items.
    pm = people(PM)
    open_release(pm, base, release)
    card = pm.locator(f"#incident-{incident.pk}")
    card.get_by_label("Root cause (required)").fill("No batch size\r\nfor 40M rows.")
    card.get_by_role("button", name="Resolve incident and notify").click()
    expect_message(pm, "Incident resolved.")
    due = (timezone.localdate() + timedelta(days=7)).isoformat()
    for text, owner in (("Batch every big migration", QA), ("Alert on slow migrations", DEVOPS)):
        card.get_by_text("Add an action item…").click()
        card.get_by_label("Action item (required)").fill(text)
        card.get_by_label("Owner (required)").select_option(str(build.team[owner].pk))
        card.get_by_label("Due date (required)").fill(due)
        card.get_by_role("button", name="Add and notify the owner").click()
        expect_message(pm, "Action item added; its owner is notified.")
    # Open items keep the review open, and the page says why.
    card.get_by_text(re.compile(r"2 action item\(s\) are neither done nor deferred")).wait_for()

    # Each owner answers their own item: one done, one deferred with a reason.
    qa = people(QA)
    open_release(qa, base, release)
    item = ActionItem.objects.get(text="Batch every big migration")
    qa.locator(f"#action-item-{item.pk}").get_by_role("button", name="Done").click()
    expect_message(qa, "Action item done.")
    open_release(devops, base, release)
    item = ActionItem.objects.get(text="Alert on slow migrations")
    row = devops.locator(f"#action-item-{item.pk}")
    row.get_by_text("Defer…").click()
    row.get_by_label("Why defer (required)").fill("Next quarter's monitoring work.")
    row.get_by_role("button", name="Defer").click()
    expect_message(devops, "Action item deferred")

    open_release(pm, base, release)
    pm.get_by_role("button", name="Close the post-incident review").click()
    expect_message(pm, "Post-incident review closed.")
    card = pm.locator(f"#incident-{incident.pk}")
    card.locator(".state-done", has_text="Review closed").wait_for()
    card.screenshot(path=ARTIFACTS / "incident-timeline.png")

    incident.refresh_from_db()
    assert incident.state == "resolved" and incident.review_closed_at
    assert incident.root_cause == "No batch size\nfor 40M rows."  # CRLF stored as LF
    # The Customer Success Manager heard of the incident and of its resolution, once each.
    told = Notification.objects.filter(release_id=release.pk, recipient=build.team[CSM])
    kinds = list(told.values_list("kind", flat=True))
    assert kinds.count("incident_opened") == 1 and kinds.count("incident_resolved") == 1
    owners = Notification.objects.filter(kind="action_item_assigned")
    assert sorted(owners.values_list("recipient__username", flat=True)) == [DEVOPS, QA]


def test_the_devops_engineer_holds_an_approved_release_and_lifts_the_hold(
    people, live_server, build
):
    base = live_server.url
    ARTIFACTS.mkdir(exist_ok=True)
    release = build.approved(name="Eddy")

    # A hold needs a reason: without one the server says so and nothing changes.
    devops = people(DEVOPS)
    open_release(devops, base, release)
    handoff = devops.locator("li.handoff", has_text="QA Lead → DevOps Engineer")
    handoff.get_by_label("Hold", exact=True).check()
    handoff.get_by_role("button", name="Record decision").click()
    devops.locator(".messages").get_by_text(re.compile("note|why", re.I)).wait_for()
    assert refresh(release).stage == Stage.APPROVED

    handoff = devops.locator("li.handoff", has_text="QA Lead → DevOps Engineer")
    handoff.get_by_label("Hold", exact=True).check()
    handoff.get_by_label(re.compile("Note")).fill("Import job fails\r\non staging data.")
    handoff.get_by_role("button", name="Record decision").click()
    expect_message(devops, "Hold put on")
    release = refresh(release)
    assert release.stage == Stage.STAGING
    assert gate(release, PM).state == GateState.PENDING

    # The Project Manager sees what blocks the release, and who holds it.
    pm = people(PM)
    open_release(pm, base, release)
    pm.get_by_text(re.compile("Import job fails")).first.wait_for()
    pm.locator("li.handoff", has_text="QA Lead → DevOps Engineer").screenshot(
        path=ARTIFACTS / "held-release.png"
    )

    # QA sends new results; the hold stays until the DevOps Engineer lifts it.
    qa = people(QA)
    open_release(qa, base, release)
    handoff = qa.locator("li.handoff", has_text="QA Lead → DevOps Engineer")
    handoff.get_by_text("Send new results").click()
    handoff.get_by_label(re.compile("Test results and known issues")).fill("Import fixed.")
    handoff.get_by_role("button", name="Send").click()
    expect_message(qa, "Hand-off sent.")
    assert release.handoffs.get(template__key="qa-to-devops").decision == "hold"

    open_release(devops, base, release)
    handoff = devops.locator("li.handoff", has_text="QA Lead → DevOps Engineer")
    handoff.get_by_label(re.compile("Proceed with deployment")).check()
    handoff.get_by_role("button", name="Record decision").click()
    expect_message(devops, "“Proceed” recorded.")

    # The Project Manager confirms again, and the release is approved.
    pm.goto(f"{base}/gates/{gate(release, PM).pk}/")
    pm.get_by_role("button", name=re.compile("^✓ Approve")).click()
    expect_message(pm, "Approved. Thank you.")
    assert refresh(release).stage == Stage.APPROVED
    verbs = list(release.audit_events.values_list("verb", flat=True))
    assert verbs.count("handoff.hold") == 1 and verbs.count("handoff.hold_lifted") == 1
    told = Notification.objects.filter(release_id=release.pk, kind="handoff_decided")
    assert told.exists()
