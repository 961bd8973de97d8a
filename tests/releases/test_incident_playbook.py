"""The incident and rollback playbook as services (issue #13, item 3): a failed production
deploy opens an incident; service is restored by a rollback, a mitigation or a fix-forward
patch; only then is the incident resolved. Each notice reaches each responder once."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from notifications.models import Notification
from octoacme.errors import Refused
from releases import services
from releases.models import AuditEvent, Incident, IncidentState, Release, RoleKey, Stage

from ..builders import audit_events, refresh

pytestmark = pytest.mark.django_db
QA, DEVOPS, PM, CSM, PROD = (
    RoleKey.QA_LEAD,
    RoleKey.DEVOPS_ENGINEER,
    RoleKey.PROJECT_MANAGER,
    RoleKey.CUSTOMER_SUCCESS_MANAGER,
    RoleKey.PRODUCT_MANAGER,
)
ONCALL = "oncall@example.com"
RESPONDERS = Counter({DEVOPS: 1, PM: 1, CSM: 1, ONCALL: 1})


@pytest.fixture(autouse=True)
def _oncall(settings):
    settings.ONCALL_EMAILS = [ONCALL]


def received(kind: str) -> Counter:
    """How many notices of `kind` each person (or address) got."""
    return Counter(
        n.recipient.username if n.recipient else n.to_email
        for n in Notification.objects.filter(kind=kind).select_related("recipient")
    )


def verbs(release: Release) -> list[str]:
    return list(release.audit_events.order_by("id").values_list("verb", flat=True))


def fail(release: Release, actor, what: str = "Migration 42 timed out\nlogs attached") -> Incident:
    return services.release_record_failed_deploy(
        release_id=release.pk, actor=actor, what_failed=what, severity="major"
    )


class TestFailedDeploy:
    def test_on_an_approved_release_the_attempt_failed_and_it_stays_approved(self, team, build):
        release = build.approved()
        incident = fail(release, team[DEVOPS])
        release = refresh(release)
        assert release.stage == Stage.APPROVED
        assert release.deploy_failed_at is not None
        assert incident.failed_deploy and incident.state == IncidentState.OPEN
        assert incident.title == "Production deploy failed: Migration 42 timed out"
        assert incident.severity == "major"
        assert incident.description == "Migration 42 timed out\nlogs attached"
        assert verbs(release)[-2:] == ["deploy.failed", "incident.opened"]
        assert received("incident_opened") == RESPONDERS

    def test_on_a_deployed_release_it_broke(self, team, build):
        release = build.deployed()
        fail(release, team[DEVOPS])
        release = refresh(release)
        assert release.stage == Stage.DEPLOYED
        assert release.deploy_failed_at is None  # It did go through; it broke.
        assert release.incidents.get().failed_deploy
        assert received("incident_opened") == RESPONDERS
        [notice] = Notification.objects.filter(kind="incident_opened", recipient=team[CSM])
        assert "recorded a failed production deploy" in notice.body_text

    def test_what_failed_is_required_and_nothing_changes(self, team, build):
        release = build.approved()
        events = audit_events()
        with pytest.raises(ValidationError, match="What failed"):
            fail(release, team[DEVOPS], what="  ")
        with pytest.raises(ValidationError, match="severity"):
            services.release_record_failed_deploy(
                release_id=release.pk, actor=team[DEVOPS], what_failed="x", severity="huge"
            )
        assert refresh(release).deploy_failed_at is None
        assert not release.incidents.exists() and audit_events() == events
        assert not Notification.objects.filter(kind="incident_opened").exists()

    @pytest.mark.parametrize("stage", ["create", "staging", "closed"])
    def test_a_release_neither_approved_nor_deployed_is_refused(self, team, build, stage):
        release = getattr(build, stage)()
        events = audit_events()
        with pytest.raises(Refused, match="record a failed production deploy"):
            fail(release, team[DEVOPS])
        assert not release.incidents.exists() and audit_events() == events
        assert refresh(release).deploy_failed_at is None

    @pytest.mark.parametrize("role", [QA, PM, PROD])
    def test_only_the_devops_engineer_records_it(self, team, build, role):
        release = build.approved()
        with pytest.raises(PermissionDenied):
            fail(release, team[role])
        assert not release.incidents.exists() and refresh(release).deploy_failed_at is None

    def test_a_long_first_line_is_cut_to_the_title(self, team, build):
        incident = fail(build.deployed(), team[DEVOPS], what="x" * 500)
        assert len(incident.title) == 200 and incident.title.endswith("…")


class TestOpeningAnIncident:
    def test_an_approved_release_needs_a_failed_deploy_first(self, team, build):
        release = build.approved()
        with pytest.raises(Refused, match="record the failed deploy"):
            services.incident_open(release_id=release.pk, actor=team[QA], title="x")
        fail(release, team[DEVOPS])
        services.incident_open(release_id=release.pk, actor=team[QA], title="Second symptom")
        assert release.incidents.count() == 2

    def test_a_rolled_back_release_may_have_one(self, team, build):
        build.closed(version="1.0.0", release_type="major")
        release = build.deployed(version="1.1.0")
        first = services.incident_open(release_id=release.pk, actor=team[QA], title="Down")
        services.incident_record_rollback(incident_id=first.pk, actor=team[DEVOPS])
        services.incident_open(release_id=release.pk, actor=team[CSM], title="Data to repair")
        assert refresh(release).stage == Stage.ROLLED_BACK
        assert release.incidents.count() == 2


class TestRestoringService:
    def test_resolving_is_refused_until_service_is_restored(self, team, build):
        incident = fail(build.deployed(), team[DEVOPS])
        with pytest.raises(Refused, match="Restore service first"):
            services.incident_resolve(incident_id=incident.pk, actor=team[DEVOPS], root_cause="x")
        assert refresh(incident).state == IncidentState.OPEN

    def test_the_first_release_is_mitigated_then_resolved(self, team, build):
        release = build.deployed()  # Nothing earlier to roll back to.
        incident = fail(release, team[DEVOPS])
        with pytest.raises(Refused, match="nothing known-good"):
            services.incident_record_rollback(incident_id=incident.pk, actor=team[DEVOPS])
        with pytest.raises(ValidationError, match="mitigation"):
            services.incident_mitigate(incident_id=incident.pk, actor=team[PM], mitigation=" ")
        assert refresh(incident).mitigated_at is None
        services.incident_mitigate(
            incident_id=incident.pk, actor=team[PM], mitigation="Feature flag turned off."
        )
        incident = refresh(incident)
        assert (incident.mitigation, incident.mitigated_by) == (
            "Feature flag turned off.",
            team[PM],
        )
        assert received("incident_mitigated") == RESPONDERS
        with pytest.raises(Refused, match="already recorded"):
            services.incident_mitigate(incident_id=incident.pk, actor=team[PM], mitigation="x")
        services.incident_resolve(
            incident_id=incident.pk, actor=team[DEVOPS], root_cause="A flag defaulted on."
        )
        incident = refresh(incident)
        assert incident.state == IncidentState.RESOLVED
        assert received("incident_resolved") == RESPONDERS
        assert verbs(release)[-2:] == ["incident.mitigated", "incident.resolved"]

    def test_only_devops_and_the_project_manager_mitigate(self, team, build):
        incident = fail(build.deployed(), team[DEVOPS])
        with pytest.raises(PermissionDenied):
            services.incident_mitigate(incident_id=incident.pk, actor=team[QA], mitigation="x")
        assert refresh(incident).mitigated_at is None

    def test_a_rollback_restores_service(self, team, build):
        build.closed(version="1.0.0", release_type="major")
        incident = fail(build.deployed(version="1.1.0"), team[DEVOPS])
        services.incident_record_rollback(incident_id=incident.pk, actor=team[DEVOPS])
        services.incident_resolve(incident_id=incident.pk, actor=team[PM], root_cause="Bug")
        assert refresh(incident).state == IncidentState.RESOLVED


class TestFixForward:
    def test_devops_creates_a_linked_patch_and_the_responders_hear_of_it(self, team, build):
        release = build.deployed(version="1.0.0", release_type="major")
        incident = fail(release, team[DEVOPS])
        patch = services.incident_fix_forward(
            incident_id=incident.pk, actor=team[DEVOPS], name="Hotfix", version="1.0.1"
        )
        patch = refresh(patch)
        assert (patch.release_type, patch.stage, patch.created_by) == (
            "patch",
            "planning",
            team[DEVOPS],
        )
        assert patch.fixes_incident == incident
        assert incident.title in patch.summary  # A summary for its release notes.
        # The team's default holders, like any release, and its seven gates.
        assert patch.assignments.get(role__key=QA).holder == team[QA]
        assert patch.signoffs.count() == 7
        assert refresh(incident).fixed_forward_at is not None
        assert verbs(release)[-1] == "incident.fixed_forward"
        assert verbs(patch)[-2:] == ["release.created", "release.fixes_incident"]
        assert received("incident_fixed_forward") == RESPONDERS
        [notice] = Notification.objects.filter(kind="incident_fixed_forward", recipient=team[PM])
        assert f"/releases/{patch.pk}/" in notice.body_text

    def test_a_second_patch_is_refused(self, team, build):
        incident = fail(build.deployed(version="1.0.0", release_type="major"), team[DEVOPS])
        services.incident_fix_forward(
            incident_id=incident.pk, actor=team[PROD], name="Hotfix", version="1.0.1"
        )
        with pytest.raises(Refused, match="already created"):
            services.incident_fix_forward(
                incident_id=incident.pk, actor=team[PM], name="Again", version="1.0.2"
            )
        assert Release.objects.filter(fixes_incident=incident).count() == 1

    def test_a_bad_version_or_name_changes_nothing(self, team, build):
        incident = fail(build.deployed(version="1.0.0", release_type="major"), team[DEVOPS])
        count, events = Release.objects.count(), AuditEvent.objects.count()
        with pytest.raises(ValidationError):
            services.incident_fix_forward(
                incident_id=incident.pk, actor=team[DEVOPS], name="Hotfix", version="1.1.0"
            )
        with pytest.raises(ValidationError):
            services.incident_fix_forward(
                incident_id=incident.pk, actor=team[DEVOPS], name="", version="1.0.1"
            )
        assert (Release.objects.count(), AuditEvent.objects.count()) == (count, events)
        assert refresh(incident).fixed_forward_at is None
        assert not Notification.objects.filter(kind="incident_fixed_forward").exists()

    def test_the_qa_lead_may_not_fix_forward(self, team, build):
        incident = fail(build.deployed(version="1.0.0", release_type="major"), team[DEVOPS])
        with pytest.raises(PermissionDenied):
            services.incident_fix_forward(
                incident_id=incident.pk, actor=team[QA], name="Hotfix", version="1.0.1"
            )
        assert not Release.objects.filter(fixes_incident=incident).exists()

    def test_service_counts_as_restored_once_the_patch_is_deployed(self, team, build):
        incident = fail(build.approved(version="1.0.0", release_type="major"), team[DEVOPS])
        patch = services.incident_fix_forward(
            incident_id=incident.pk, actor=team[DEVOPS], name="Hotfix", version="1.0.1"
        )
        with pytest.raises(Refused, match="Restore service first"):
            services.incident_resolve(incident_id=incident.pk, actor=team[PM], root_cause="x")
        # The patch goes through sign-off and production like any release.
        Release.objects.filter(pk=patch.pk).update(stage=Stage.DEPLOYED)
        with pytest.raises(Refused, match="Restore service first"):  # Not in production yet.
            services.incident_resolve(incident_id=incident.pk, actor=team[PM], root_cause="x")
        Release.objects.filter(pk=patch.pk).update(deployed_at=refresh(patch).created_at)
        services.incident_resolve(incident_id=incident.pk, actor=team[PM], root_cause="x")
        assert refresh(incident).state == IncidentState.RESOLVED
