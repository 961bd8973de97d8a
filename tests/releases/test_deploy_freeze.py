"""The production deploy during a freeze or outside the release's window: refused with the
reason and when it ends, unless an override recorded with a reason lets it through once."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from notifications.models import Notification
from octoacme.errors import Refused
from releases import services
from releases.lifecycle import readiness
from releases.models import (
    AuditEvent,
    DeployOverride,
    Freeze,
    FreezeKind,
    Release,
    RoleKey,
    Stage,
)
from signoffs.selectors import says_proceed

from ..builders import refresh

pytestmark = pytest.mark.django_db
DEVOPS, PM, QA = RoleKey.DEVOPS_ENGINEER, RoleKey.PROJECT_MANAGER, RoleKey.QA_LEAD
# Friday 27 November 2026, 16:00 in Berlin.
FREEZE_STARTS = datetime(2026, 11, 27, 15, 0, 0, tzinfo=UTC)
FREEZE_ENDS = datetime(2026, 11, 30, 7, 0, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
FROZEN = "Deploys are frozen until Mon 2026-11-30 08:00 CET: Weekend freeze"


@pytest.fixture
def weekend(db):
    return Freeze.objects.create(
        reason="Weekend freeze",
        kind=FreezeKind.WEEKLY,
        start_weekday=4,
        start_time=time(16),
        end_weekday=0,
        end_time=time(8),
        time_zone="Europe/Berlin",
    )


def deploy(team, release: Release) -> Release:
    services.release_record_deploy(release_id=release.pk, actor=team[DEVOPS])
    return refresh(release)


def ready_at(build, moment: datetime, **fields) -> Release:
    with time_machine.travel(moment - timedelta(hours=3), tick=False):
        return build.ready_to_deploy(**fields)


class TestFreezeBoundaries:
    def test_at_exactly_the_start_it_is_refused_with_the_reason_and_the_end(
        self, team, build, weekend
    ):
        release = ready_at(build, FREEZE_STARTS)
        events = AuditEvent.objects.count()
        with time_machine.travel(FREEZE_STARTS, tick=False), pytest.raises(Refused) as refused:
            deploy(team, release)
        assert FROZEN in refused.value.message
        assert refresh(release).stage == Stage.APPROVED
        assert AuditEvent.objects.count() == events

    def test_one_second_before_the_start_it_goes_ahead(self, team, build, weekend):
        release = ready_at(build, FREEZE_STARTS)
        with time_machine.travel(FREEZE_STARTS - SECOND, tick=False):
            assert deploy(team, release).stage == Stage.DEPLOYED

    def test_at_exactly_the_end_it_goes_ahead_and_a_second_before_it_does_not(
        self, team, build, weekend
    ):
        release = ready_at(build, FREEZE_ENDS)
        with (
            time_machine.travel(FREEZE_ENDS - SECOND, tick=False),
            pytest.raises(Refused, match="frozen until"),
        ):
            deploy(team, release)
        with time_machine.travel(FREEZE_ENDS, tick=False):
            assert deploy(team, release).stage == Stage.DEPLOYED

    def test_an_ended_freeze_holds_nothing_back(self, team, build, weekend):
        release = ready_at(build, FREEZE_STARTS)
        services.freeze_end(freeze_id=weekend.pk, actor=team.admin)
        with time_machine.travel(FREEZE_STARTS + timedelta(hours=1), tick=False):
            assert deploy(team, release).stage == Stage.DEPLOYED

    def test_the_page_lists_the_freeze_before_the_click_with_the_project_manager(
        self, team, build, weekend
    ):
        release = ready_at(build, FREEZE_STARTS)
        with time_machine.travel(FREEZE_STARTS, tick=False):
            found = readiness.blockers(release, readiness.load(release), says_proceed=says_proceed)
        assert [(b.text, b.role, b.anchor) for b in found] == [
            (FROZEN, "Project Manager", "next-step")
        ]


class TestWindow:
    def test_before_and_after_the_window_it_is_refused_inside_it_goes_ahead(self, team, build):
        opens = datetime(2026, 12, 1, 10, tzinfo=UTC)
        release = ready_at(build, opens, window_start=opens, window_end=opens + timedelta(hours=2))
        with (
            time_machine.travel(opens - SECOND, tick=False),
            pytest.raises(Refused, match="The deployment window opens Tue 2026-12-01 10:00"),
        ):
            deploy(team, release)
        with (
            time_machine.travel(opens + timedelta(hours=2) + SECOND, tick=False),
            pytest.raises(Refused, match="The deployment window closed Tue 2026-12-01 12:00"),
        ):
            deploy(team, release)
        with time_machine.travel(opens + timedelta(hours=2), tick=False):
            assert deploy(team, release).stage == Stage.DEPLOYED


class TestOverride:
    def test_an_override_lets_one_deploy_through_the_freeze_and_is_used(self, team, build, weekend):
        release = ready_at(build, FREEZE_STARTS)
        with time_machine.travel(FREEZE_STARTS + timedelta(hours=2), tick=False):
            override = services.deploy_override_record(
                release_id=release.pk, actor=team[PM], reason="Security fix for CVE-2026-1234"
            )
            assert deploy(team, release).stage == Stage.DEPLOYED
        override.refresh_from_db()
        assert override.used_at == FREEZE_STARTS + timedelta(hours=2)
        used = release.audit_events.get(verb="deploy.override_used")
        assert f"override {override.pk}" in used.comment and "CVE-2026-1234" in used.comment
        assert not DeployOverride.objects.filter(used_at__isnull=True).exists()

    def test_an_override_not_needed_stays_unused(self, team, build, weekend):
        release = ready_at(build, FREEZE_STARTS)
        with time_machine.travel(FREEZE_STARTS - timedelta(hours=1), tick=False):
            override = services.deploy_override_record(
                release_id=release.pk, actor=team.admin, reason="Just in case"
            )
            deploy(team, release)
        assert refresh(override).used_at is None
        assert not release.audit_events.filter(verb="deploy.override_used").exists()

    def test_the_project_manager_and_on_call_are_told_once_each(
        self, team, build, weekend, settings
    ):
        settings.ONCALL_EMAILS = ["oncall@example.com", team[PM].email]
        release = build.ready_to_deploy()
        services.deploy_override_record(release_id=release.pk, actor=team.admin, reason="Hotfix")
        sent = Counter(
            n.to_email.lower() for n in Notification.objects.filter(kind="deploy_override")
        )
        assert sent == {"oncall@example.com": 1, team[PM].email.lower(): 1}
        event = release.audit_events.get(verb="deploy.override")
        assert event.actor == team.admin and "Hotfix" in event.comment

    @pytest.mark.parametrize("who", [DEVOPS, QA, "outsider"])
    def test_anyone_else_is_forbidden_and_nothing_changes(self, team, build, who):
        release = build.ready_to_deploy()
        actor = team.outsider if who == "outsider" else team[who]
        events = AuditEvent.objects.count()
        with pytest.raises(PermissionDenied):
            services.deploy_override_record(release_id=release.pk, actor=actor, reason="Please")
        assert DeployOverride.objects.count() == 0 and AuditEvent.objects.count() == events

    def test_a_reason_is_required(self, team, build):
        release = build.ready_to_deploy()
        with pytest.raises(ValidationError, match="The reason is required"):
            services.deploy_override_record(release_id=release.pk, actor=team[PM], reason=" ")
        assert DeployOverride.objects.count() == 0

    def test_one_waits_at_a_time_and_none_after_the_deploy(self, team, build):
        release = build.ready_to_deploy()
        services.deploy_override_record(release_id=release.pk, actor=team[PM], reason="One")
        with pytest.raises(Refused, match="already waits"):
            services.deploy_override_record(release_id=release.pk, actor=team[PM], reason="Two")
        deployed = build.deployed()
        with pytest.raises(Refused, match="not yet deployed"):
            services.deploy_override_record(release_id=deployed.pk, actor=team[PM], reason="Late")
        assert DeployOverride.objects.count() == 1


class TestDemo:
    def test_on_a_weekend_with_the_freeze_in_place_its_deploys_go_through_overrides(self):
        from django.core.management import call_command

        with time_machine.travel(FREEZE_STARTS + timedelta(days=1)):  # Saturday
            call_command(
                "demo", password="secret-pass", history=False
            )  # the freeze after deploying
            assert Freeze.objects.filter(reason="Weekend freeze").count() == 1
            assert not DeployOverride.objects.exists()
            # A deployed demo release set aside behind the app's back (the app cancels none
            # once deployed): the next run makes and deploys it anew, in the freeze.
            Release.objects.filter(name="Cirrus").update(stage=Stage.CANCELLED, deployed_at=None)
            call_command("demo", password="secret-pass", history=False)
        cirrus = Release.objects.get(name="Cirrus", stage=Stage.DEPLOYED)
        assert cirrus.stage == Stage.DEPLOYED
        assert cirrus.deploy_overrides.get().used_at is not None
        assert Freeze.objects.filter(reason="Weekend freeze").count() == 1
