"""Real Chromium on running the team: an admin changes a default holder and applies it to the
releases in flight; the QA Lead delegates for a week and the stand-in signs; a deploy in a
freeze is refused, then let through by the Project Manager's override.

The Team page and the refused deploy are saved to artifacts/ (ignored by git).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Notification
from releases import services
from releases.models import AuditEvent, RoleKey, Stage

from ..builders import gate, refresh
from ..factories import UserFactory
from .helpers import ARTIFACTS, expect_message, open_release

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("seeded")]
QA, DEVOPS, BA, UX, CSM, PROD, PM = RoleKey.values


def test_an_admin_changes_a_default_and_applies_it_to_releases_in_flight(
    people, live_server, team, build
):
    base = live_server.url
    ARTIFACTS.mkdir(exist_ok=True)
    in_flight = [build.staging(name="Gale"), build.create(name="Haze")]
    UserFactory(username="ux-two", first_name="Uma", last_name="Two")

    admin = people("root")
    admin.goto(base + "/team/")
    row = admin.locator("#default-ux-designer")
    row.get_by_text("Change").click()
    row.get_by_label("Holder").select_option(label="Uma Two (ux-two)")
    row.get_by_label(re.compile("Also apply to 2 active releases")).check()
    admin.screenshot(path=ARTIFACTS / "team-page.png", full_page=True)
    row.get_by_role("button", name="Save default").click()
    admin.locator(".messages").wait_for()
    admin.locator("#default-ux-designer").get_by_role("cell", name="Uma Two").wait_for()
    for release in in_flight:
        assert release.assignments.get(role__key=UX).holder.username == "ux-two"
    # Audited, defaults included; the new holder is told of the default once and once per
    # release (on the one in staging, as a sign-off request with their duties).
    assert AuditEvent.objects.filter(verb="default_holder.changed", actor=team.admin).count() == 1
    told = Notification.objects.filter(recipient__username="ux-two")
    assert sorted(told.values_list("kind", "release_id")) == [
        ("default_holder_named", None),
        ("gate_opened", in_flight[0].pk),
        ("role_assigned", in_flight[1].pk),
    ]


def test_the_qa_lead_delegates_for_a_week_and_the_stand_in_signs(people, live_server, team, build):
    base = live_server.url
    release = build.staging(name="Iris")
    stand_in = UserFactory(username="qa-stand-in", first_name="Quinn", last_name="Stand-in")

    qa = people(QA)
    qa.goto(base + "/me/delegations/")
    qa.get_by_label(re.compile("^To whom")).select_option(str(stand_in.pk))
    now = timezone.localtime()
    qa.get_by_label(re.compile("^From")).fill(now.strftime("%Y-%m-%dT%H:%M"))
    week = now + timedelta(days=7)
    qa.get_by_label(re.compile("^Until")).fill(week.strftime("%Y-%m-%dT%H:%M"))
    qa.get_by_label(re.compile("^Reason")).fill("Holiday.")
    qa.get_by_role("button", name="Delegate").click()
    qa.locator("#given").get_by_role("cell", name="Quinn Stand-in in force").wait_for()

    # The stand-in finds the QA gate in My work, marked as for the QA Lead, and approves it.
    sub = people("qa-stand-in")
    sub.goto(base + "/")
    sub.get_by_role("link", name=re.compile(f"QA Lead sign-off for {release.name}")).click()
    sub.get_by_role("button", name=re.compile("^✓ Approve")).click()
    expect_message(sub, "Approved. Thank you.")
    decided = gate(release, QA)
    assert decided.state == "approved" and decided.decided_by == stand_in
    assert decided.decided_for == team[QA]
    event = release.audit_events.get(verb="gate.approved")
    assert (event.actor, event.on_behalf_of) == (stand_in, team[QA])
    assert Notification.objects.filter(kind__startswith="delegation", recipient=stand_in).exists()


def test_a_deploy_in_a_freeze_is_refused_then_overridden_with_a_reason(
    people, live_server, team, build
):
    base = live_server.url
    release = build.ready_to_deploy(name="Juno")
    now = timezone.now()
    services.freeze_create(
        actor=team.admin,
        reason="Quarter-end close",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=2),
    )

    devops = people(DEVOPS)
    open_release(devops, base, release)
    devops.locator("#next-step").get_by_text(re.compile("Quarter-end close")).first.wait_for()
    devops.locator("#next-step").screenshot(path=ARTIFACTS / "deploy-frozen.png")
    # The button is not offered while the freeze blocks it, and a forged POST changes nothing.
    assert devops.get_by_role("button", name="Record production deploy").is_disabled()
    assert refresh(release).stage == Stage.APPROVED

    pm = people(PM)
    open_release(pm, base, release)
    pm.get_by_text("Let the deploy through with an override…").click()
    pm.get_by_label(re.compile("Why may it deploy now")).fill("Security fix; the CFO agreed.")
    pm.get_by_role("button", name="Record the override").click()
    pm.locator("#override-waiting").wait_for()

    open_release(devops, base, release)
    devops.get_by_role("button", name="Record production deploy").click()
    expect_message(devops, "Production deploy recorded.")
    assert refresh(release).stage == Stage.DEPLOYED
    verbs = list(release.audit_events.values_list("verb", flat=True))
    assert verbs.count("deploy.override") == 1 and verbs.count("deploy.override_used") == 1
    oncall = Notification.objects.filter(release_id=release.pk, to_email="oncall@example.com")
    assert oncall.count() == 1
