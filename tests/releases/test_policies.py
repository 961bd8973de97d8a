"""Release policies per release type: the guide by default, expedited patches on request."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from octoacme.errors import Refused
from releases import services
from releases.models import AuditEvent, ReleasePolicy, RoleKey, Stage
from releases.services import policies
from signoffs import services as gate_services
from signoffs.models import GateState, SignOff

from ..builders import Builder, Team, gate, refresh

pytestmark = pytest.mark.django_db

QA, DEVOPS, PM = RoleKey.QA_LEAD, RoleKey.DEVOPS_ENGINEER, RoleKey.PROJECT_MANAGER
PROD, SECURITY = RoleKey.PRODUCT_MANAGER, RoleKey.BUSINESS_ANALYST
RETRO = {
    RoleKey.BUSINESS_ANALYST,
    RoleKey.UX_DESIGNER,
    RoleKey.CUSTOMER_SUCCESS_MANAGER,
    RoleKey.PRODUCT_MANAGER,
}


def expedite(team: Team, hours: int = 48, **overrides: Any) -> bool:
    fields: dict[str, Any] = {
        "actor": team.admin,
        "release_type": "patch",
        "expedited": True,
        "name": "Expedited patch",
        "before_deploy": [QA, DEVOPS, PM],
        "retroactive_hours": hours,
    }
    fields.update(overrides)
    return policies.policy_set(**fields)


def retroactive_keys(release: Any) -> set[str]:
    return set(
        SignOff.objects.filter(release=release, retroactive=True).values_list(
            "role__key", flat=True
        )
    )


def approved_patch(build: Builder) -> Any:
    """A patch under the expedited policy, approved with only its before-deploy gates."""
    release = build.staging(release_type="patch")
    build.proceed(release)
    build.approve(release, QA, DEVOPS, PM)
    return refresh(release)


def deployed_patch(build: Builder) -> Any:
    release = approved_patch(build)
    team = build.team
    for item in release.checklist.filter(template__optional=True).select_related("template__owner"):
        services.checklist_mark_not_applicable(
            item_id=item.pk, actor=team[item.template.owner.key], reason="Not needed."
        )
    build.final_decision(release)
    services.release_record_deploy(release_id=release.pk, actor=team[DEVOPS])
    return refresh(release)


class TestValidation:
    def test_it_sets_an_expedited_policy_and_audits_the_old_and_new_rule(self, team):
        assert expedite(team) is True
        policy = ReleasePolicy.objects.get(release_type="patch")
        assert policy.expedited and policy.retroactive_hours == 48
        assert policy.updated_by == team.admin
        assert {r.key for r in policy.before_deploy.all()} == {QA, DEVOPS, PM}
        event = AuditEvent.objects.get(verb="policy.changed")
        assert event.release is None and event.actor == team.admin
        assert (event.from_state, event.to_state) == ("guide", "expedited")
        assert "From the guide: all seven gates approve before the deploy." in event.comment
        assert "within 48 h after it Business Analyst" in event.comment

    def test_saving_the_same_rule_again_changes_nothing(self, team):
        expedite(team)
        assert expedite(team) is False
        assert AuditEvent.objects.filter(verb="policy.changed").count() == 1

    def test_back_to_the_guide_deletes_the_policy_and_audits_it(self, team):
        expedite(team)
        assert policies.policy_set(actor=team.admin, release_type="patch", expedited=False)
        assert not ReleasePolicy.objects.exists()
        event = AuditEvent.objects.filter(verb="policy.changed").latest("pk")
        assert (event.from_state, event.to_state) == ("expedited", "guide")

    @pytest.mark.parametrize(
        ("overrides", "field", "words"),
        [
            ({"before_deploy": [QA, DEVOPS]}, "before_deploy", "Project Manager"),
            ({"before_deploy": [QA, PM]}, "before_deploy", "DevOps Engineer"),
            ({"retroactive_hours": None}, "retroactive_hours", "number of hours"),
            ({"retroactive_hours": 0}, "retroactive_hours", "at least 1"),
            ({"retroactive_hours": 721}, "retroactive_hours", "At most 720"),
            ({"before_deploy": list(RoleKey.values)}, "before_deploy", "guide's"),
            ({"before_deploy": [QA, DEVOPS, PM, "cto"]}, "before_deploy", "Unknown roles: cto"),
            ({"name": "  "}, "name", "name is required"),
            ({"release_type": "epic"}, "release_type", "not a release type"),
        ],
    )
    def test_it_refuses_bad_policies_and_changes_nothing(self, team, overrides, field, words):
        with pytest.raises(ValidationError) as caught:
            expedite(team, **overrides)
        assert words in " ".join(caught.value.message_dict[field])
        assert not ReleasePolicy.objects.exists()
        assert not AuditEvent.objects.filter(verb="policy.changed").exists()

    def test_a_refused_edit_keeps_the_policy_as_it_was(self, team):
        expedite(team)
        with pytest.raises(ValidationError):
            expedite(team, hours=0, name="Other")
        policy = ReleasePolicy.objects.get()
        assert (policy.name, policy.retroactive_hours) == ("Expedited patch", 48)

    @pytest.mark.parametrize("who", ["outsider", "pm", "backup"])
    def test_only_an_admin_may_set_a_policy(self, team, who):
        actor = {"outsider": team.outsider, "pm": team[PM], "backup": team.backup}[who]
        with pytest.raises(PermissionDenied):
            expedite(team, actor=actor)
        assert not ReleasePolicy.objects.exists()
        assert not AuditEvent.objects.filter(verb="policy.changed").exists()


class TestSnapshot:
    def test_without_a_policy_every_gate_approves_before_the_deploy(self, team, build):
        assert retroactive_keys(build.create(release_type="patch")) == set()

    def test_a_release_takes_its_types_policy_when_created(self, team, build):
        expedite(team)
        patch = build.create(release_type="patch")
        minor = build.create(release_type="minor")
        assert retroactive_keys(patch) == RETRO
        assert set(
            SignOff.objects.filter(release=patch, retroactive=True).values_list(
                "retroactive_hours", flat=True
            )
        ) == {48}
        assert retroactive_keys(minor) == set()

    def test_a_policy_edited_mid_flight_does_not_change_a_release_in_flight(self, team, build):
        expedite(team)
        release = build.staging(release_type="patch")
        expedite(team, hours=4, before_deploy=[QA, DEVOPS, PM, PROD])
        assert retroactive_keys(release) == RETRO
        policies.policy_set(actor=team.admin, release_type="patch", expedited=False)
        assert retroactive_keys(release) == RETRO
        build.proceed(release)
        build.approve(release, QA, DEVOPS, PM)
        assert refresh(release).stage == Stage.APPROVED
        # And a release of before the policy stays on the guide after it.
        expedite(team)
        assert retroactive_keys(build.create(release_type="patch")) == RETRO


class TestExpeditedPatch:
    def test_the_pm_gate_opens_when_the_before_deploy_gates_approve(self, team, build):
        expedite(team)
        release = build.staging(release_type="patch")
        build.proceed(release)
        build.approve(release, QA)
        assert gate(release, PM).opened_at is None
        build.approve(release, DEVOPS)
        assert gate(release, PM).opened_at is not None
        opened = AuditEvent.objects.get(release=release, verb="gate.opened")
        assert "Under the release's expedited policy Business Analyst" in opened.comment

    def test_it_goes_to_production_with_its_subset(self, team, build):
        expedite(team)
        release = deployed_patch(build)
        assert release.stage == Stage.DEPLOYED
        pending = SignOff.objects.filter(release=release, state=GateState.PENDING)
        assert {g.role.key for g in pending} == RETRO
        for g in pending:
            assert g.due_at == release.deployed_at + timedelta(hours=48)

    def test_the_guide_still_needs_all_six_without_a_policy(self, team, build):
        release = build.staging(release_type="patch")
        build.proceed(release)
        build.approve(release, QA, DEVOPS)
        assert gate(release, PM).opened_at is None

    def test_closing_is_refused_until_the_retroactive_gates_approve(self, team, build):
        expedite(team)
        release = build.post_release_done(deployed_patch(build))
        with pytest.raises(Refused) as caught:
            services.release_close(release_id=release.pk, actor=team[PM])
        assert "The Business Analyst gate is not signed yet (retroactive, due " in str(caught.value)
        # Named once, as a gate, not again as its checklist item.
        assert "Sign-off on requirements fulfillment" not in str(caught.value)
        build.approve(release, *sorted(RETRO))
        services.release_close(release_id=release.pk, actor=team[PM])
        assert refresh(release).stage == Stage.CLOSED

    def test_a_retroactive_rejection_before_the_deploy_blocks_it(self, team, build):
        expedite(team)
        release = approved_patch(build)
        gate_services.gate_reject(
            gate_id=gate(release, SECURITY).pk, actor=team[SECURITY], reason="Broken flow."
        )
        assert refresh(release).stage == Stage.APPROVED
        build.final_decision(release)
        with pytest.raises(Refused, match="Business Analyst gate is rejected"):
            services.release_record_deploy(release_id=release.pk, actor=team[DEVOPS])


def test_the_demo_sets_an_expedited_patch_policy_once_and_deploys_a_patch_under_it():
    from django.core.management import call_command

    call_command("demo", password="secret-pass", history=False)
    call_command("demo", password="secret-pass", history=False)
    policy = ReleasePolicy.objects.get(release_type="patch")
    assert (policy.name, policy.retroactive_hours) == ("Expedited patch", 48)
    assert {r.key for r in policy.before_deploy.all()} == {QA, DEVOPS, PM}
    assert AuditEvent.objects.filter(verb="policy.changed").count() == 1
    cirrus = SignOff.objects.filter(release__name="Cirrus", retroactive=True)
    assert {g.role.key for g in cirrus} == RETRO
    assert all(g.state == GateState.PENDING and g.due_at for g in cirrus)
