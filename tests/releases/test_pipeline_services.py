"""A pipeline's evidence, gate checks and deployments, through the services the API calls."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError

from api.models import ApiToken, Scope
from octoacme.errors import Refused
from releases import services
from releases.lifecycle import readiness
from releases.models import (
    AuditEvent,
    ChecklistState,
    Deployment,
    EvidenceRecord,
    GateCheck,
    Incident,
    Release,
    RoleKey,
    Stage,
)
from releases.services import pipeline
from signoffs import services as gate_services
from signoffs.selectors import says_proceed

from ..builders import gate, refresh

pytestmark = pytest.mark.django_db
SHA = "0123456789abcdef0123456789abcdef01234567"
OTHER_SHA = "fedcba9876543210fedcba9876543210fedcba98"
CI_URL = "https://ci.example.com/runs/7"
SCAN_URL = "https://scan.example.com/reports/9"
VIA = "deploy-bot"


def service_user(name: str = VIA, scopes: tuple[str, ...] = tuple(Scope.values)):
    user = get_user_model().objects.create_user(username=f"api-{name}")
    user.set_unusable_password()
    user.save()
    ApiToken.objects.create(
        name=name, user=user, prefix=name[:8].replace("-", ""), secret_hash="x", scopes=scopes
    )
    return user


@pytest.fixture
def bot():
    return service_user()


def evidence(release: Release, bot, kind: str, passed: bool = True, **kw) -> EvidenceRecord:
    fields = {"url": CI_URL, "commit_sha": SHA} | kw
    return pipeline.evidence_record(
        release_id=release.pk, kind=kind, passed=passed, actor=bot, via=VIA, **fields
    )


def item(release: Release, key: str):
    return release.checklist.get(template__key=key)


def ask(release: Release, bot, environment: str = "production", sha: str = SHA):
    return pipeline.gate_check(
        release_id=release.pk,
        environment=environment,
        commit_sha=sha,
        pipeline_url="https://ci.example.com/runs/8",
        actor=bot,
    )


def deploy(release: Release, bot, state: str = "success", environment: str = "production"):
    return pipeline.deployment_record(
        release_id=release.pk,
        environment=environment,
        state=state,
        commit_sha=SHA,
        log_url="https://ci.example.com/runs/8/log",
        actor=bot,
        via=VIA,
    )


# --- Evidence ----------------------------------------------------------------------------------


def test_it_ticks_ci_and_scans_once_both_passed(build, bot):
    release = build.create()
    evidence(release, bot, "ci")
    assert item(release, "ci-security").state == ChecklistState.OPEN
    evidence(release, bot, "security_scan", url=SCAN_URL)
    ci = item(release, "ci-security")
    assert ci.state == ChecklistState.DONE
    assert ci.done_by == bot
    assert ci.evidence.splitlines() == [CI_URL, SCAN_URL]
    tick = AuditEvent.objects.filter(release=release, verb="checklist.done").get()
    assert tick.actor == bot and "API token “deploy-bot”" in tick.comment


def test_it_ticks_acceptance_from_merged_prs(build, bot):
    release = build.create()
    evidence(release, bot, "prs_merged", url="https://git.example.com/pulls?q=merged")
    assert item(release, "acceptance-criteria").state == ChecklistState.DONE


def test_it_audits_every_record_naming_the_token(build, bot):
    release = build.create()
    evidence(release, bot, "smoke_tests", passed=False)
    event = AuditEvent.objects.filter(release=release, verb="evidence.failed").get()
    assert event.actor == bot
    assert CI_URL in event.comment and "deploy-bot" in event.comment
    assert EvidenceRecord.objects.get(release=release).item is None


def test_a_failed_scan_unticks_its_item_and_blocks_the_deploy(build, team, bot):
    release = build.ready_to_deploy()
    assert item(release, "ci-security").state == ChecklistState.DONE
    evidence(release, bot, "security_scan", passed=False, url=SCAN_URL)
    assert item(release, "ci-security").state == ChecklistState.OPEN
    found = readiness.blockers(release, readiness.load(release), says_proceed=says_proceed)
    assert [b.text for b in found] == [f"The latest security scan failed: {SCAN_URL}"]
    with pytest.raises(Refused, match="security scan failed"):
        services.release_record_deploy(release_id=release.pk, actor=team[RoleKey.DEVOPS_ENGINEER])
    # A later passing scan (CI passed too) lifts the block and ticks the item again.
    evidence(release, bot, "ci")
    evidence(release, bot, "security_scan", url="https://scan.example.com/reports/10")
    assert item(release, "ci-security").state == ChecklistState.DONE
    assert readiness.blockers(release, readiness.load(release), says_proceed=says_proceed) == []


def test_it_refuses_bad_evidence_and_changes_nothing(build, bot):
    release = build.create()
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError, match="commit_sha"):
        evidence(release, bot, "ci", commit_sha="not-a-sha")
    with pytest.raises(ValidationError, match="url"):
        evidence(release, bot, "ci", url="javascript:alert(1)")
    with pytest.raises(ValidationError, match="kind"):
        evidence(release, bot, "vibes")
    assert AuditEvent.objects.count() == before and not EvidenceRecord.objects.exists()


def test_it_refuses_evidence_on_a_finished_release(build, bot):
    release = build.deployed()
    with pytest.raises(Refused, match="record evidence"):
        evidence(release, bot, "ci")


# --- Gate check --------------------------------------------------------------------------------


def test_the_gate_approves_a_ready_release_with_its_commit(build, bot):
    release = build.ready_to_deploy()
    evidence(release, bot, "ci")
    check, answer = ask(release, bot)
    assert answer.decision == "approved", answer.blockers
    assert answer.blockers == [] and answer.retry_after_seconds is None
    assert {c["name"] for c in answer.checks} >= {"gates", "commit", "incidents", "stage"}
    assert all(c["ok"] for c in answer.checks)
    assert GateCheck.objects.get() == check and check.decision == "approved"


def test_the_gate_is_pending_without_ci_evidence(build, bot):
    release = build.ready_to_deploy()
    _, answer = ask(release, bot)
    assert answer.decision == "pending" and answer.retry_after_seconds == 60
    assert answer.blockers == [
        "No passed CI run is recorded for this release yet: record CI evidence."
    ]


def test_the_gate_is_pending_for_another_commit(build, bot):
    release = build.ready_to_deploy()
    evidence(release, bot, "ci")
    _, answer = ask(release, bot, sha=OTHER_SHA)
    assert answer.decision == "pending"
    assert "is not the release's" in answer.blockers[0]


def test_the_gate_is_pending_while_sign_off_runs(build, bot):
    release = build.staging()
    evidence(release, bot, "ci")
    _, answer = ask(release, bot)
    assert answer.decision == "pending"
    assert answer.blockers[0] == "The release is in staging: sign-off is not complete."
    assert any("QA Lead gate is pending" in b for b in answer.blockers)
    # Staging itself may go now.
    assert ask(release, bot, environment="staging")[1].decision == "approved"


def test_the_gate_rejects_a_rejected_gate(build, team, bot):
    release = build.staging()
    gate_services.gate_reject(
        gate_id=gate(release, RoleKey.QA_LEAD).pk, actor=team[RoleKey.QA_LEAD], reason="Bugs."
    )
    _, answer = ask(release, bot)
    assert answer.decision == "rejected"
    assert "QA Lead gate is rejected" in answer.comment


def test_the_gate_rejects_a_failed_scan_and_a_cancelled_release(build, team, bot):
    release = build.ready_to_deploy()
    evidence(release, bot, "ci")
    evidence(release, bot, "security_scan", passed=False, url=SCAN_URL)
    _, answer = ask(release, bot)
    assert answer.decision == "rejected" and SCAN_URL in answer.comment
    services.release_cancel(
        release_id=release.pk, actor=team[RoleKey.PROJECT_MANAGER], reason="Dropped."
    )
    assert ask(release, bot)[1].decision == "rejected"


def test_the_gate_is_pending_with_an_open_incident(build, team, bot):
    release = build.ready_to_deploy()
    evidence(release, bot, "ci")
    deploy(release, bot, state="failed")
    _, answer = ask(release, bot)
    assert answer.decision == "pending"
    assert any(b.startswith("Incident") for b in answer.blockers)


# --- Deployments -------------------------------------------------------------------------------


def test_a_production_success_deploys_the_release_as_devops_would(build, bot):
    release = build.ready_to_deploy()
    evidence(release, bot, "ci")
    deployment = deploy(release, bot)
    release = refresh(release)
    assert release.stage == Stage.DEPLOYED and deployment.state == "success"
    moved = AuditEvent.objects.get(release=release, verb="release.deploy")
    assert moved.actor == bot and "API token “deploy-bot”" in moved.comment


def test_a_production_deploy_of_a_release_not_approved_is_refused_with_why(build, bot):
    release = build.staging()
    evidence(release, bot, "ci")
    before = AuditEvent.objects.count()
    with pytest.raises(Refused, match="gate says pending: The release is in staging"):
        deploy(release, bot)
    assert not Deployment.objects.exists() and AuditEvent.objects.count() == before
    assert refresh(release).stage == Stage.STAGING


def test_a_production_failure_records_the_failed_deploy_and_opens_an_incident(build, bot):
    release = build.ready_to_deploy()
    deploy(release, bot, state="failed")
    incident = Incident.objects.get(release=release)
    assert incident.opened_by == bot and "deploy-bot" in incident.description
    assert refresh(release).deploy_failed_at is not None


def test_a_staging_deployment_only_stores_the_record(build, bot):
    release = build.create()
    deployment = deploy(release, bot, environment="staging")
    assert refresh(release).stage == Stage.PLANNING and deployment.environment == "staging"


def test_a_running_deployment_finishes_and_is_verified(build, bot):
    release = build.ready_to_deploy()
    evidence(release, bot, "ci")
    deployment = deploy(release, bot, state="running")
    assert refresh(release).stage == Stage.APPROVED
    pipeline.deployment_update(deployment_id=deployment.pk, state="success", actor=bot, via=VIA)
    assert refresh(release).stage == Stage.DEPLOYED
    with pytest.raises(Refused, match="already ended"):
        pipeline.deployment_update(deployment_id=deployment.pk, state="failed", actor=bot, via=VIA)
    pipeline.verification_record(
        deployment_id=deployment.pk, passed=True, summary="Smoke tests green.", actor=bot, via=VIA
    )
    assert refresh(deployment).verification == "Passed: Smoke tests green."


def test_verification_needs_a_successful_deployment(build, bot):
    release = build.create()
    deployment = deploy(release, bot, state="running", environment="staging")
    with pytest.raises(Refused, match="follows a successful deployment"):
        pipeline.verification_record(
            deployment_id=deployment.pk, passed=False, summary="No.", actor=bot, via=VIA
        )


def test_a_token_without_deployments_write_cannot_deploy(build):
    reader = service_user("reader", scopes=(Scope.EVIDENCE_WRITE,))
    release = build.ready_to_deploy()
    evidence(release, reader, "ci")
    with pytest.raises(PermissionDenied):
        deploy(release, reader)
    assert refresh(release).stage == Stage.APPROVED


def test_a_token_never_signs_a_gate(build, bot):
    release = build.staging()
    with pytest.raises(PermissionDenied):
        gate_services.gate_approve(gate_id=gate(release, RoleKey.DEVOPS_ENGINEER).pk, actor=bot)


def test_the_release_page_shows_the_pipeline_card_and_the_failed_scan(client, build, team, bot):
    release = build.ready_to_deploy()
    evidence(release, bot, "ci")
    ask(release, bot)
    evidence(release, bot, "security_scan", passed=False, url=SCAN_URL)
    client.force_login(team[RoleKey.QA_LEAD])
    page = client.get(f"/releases/{release.pk}/").content.decode()
    assert 'id="pipeline"' in page and "Gate checks" in page
    assert f'href="{SCAN_URL}"' in page
    assert f"The latest security scan failed: {SCAN_URL}" in page  # listed as a blocker
