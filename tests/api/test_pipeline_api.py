"""A pipeline through the API: evidence, the deployment gate, deployments and verification."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from api.models import ApiToken, IdempotencyRecord, Scope
from releases.models import AuditEvent, ChecklistState, Deployment, GateCheck, Release, Stage

from ..builders import Builder, refresh
from .conftest import bearer

SHA = "0123456789abcdef0123456789abcdef01234567"
CI = {"kind": "ci", "passed": True, "url": "https://ci.example.com/runs/7", "commit_sha": SHA}
ALL = (Scope.RELEASES_READ, Scope.EVIDENCE_WRITE, Scope.DEPLOYMENTS_WRITE)


def post(
    client: Client,
    secret: str,
    path: str,
    body: dict[str, Any],
    key: str | None = "new",
    method: str = "POST",
) -> Any:
    headers = bearer(secret)
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = str(uuid.uuid4()) if key == "new" else key
    return client.generic(
        method, f"/api/v1{path}", json.dumps(body), content_type="application/json", **headers
    )


@pytest.fixture
def secret(make_token: Callable[..., str]) -> str:
    return make_token(*ALL, name="deploy-bot")


@pytest.fixture
def bot() -> Any:
    return ApiToken.objects.get(name="deploy-bot").user


@pytest.mark.django_db
def test_evidence_ticks_the_item_as_the_token(build: Builder, api_client, secret, bot):
    release = build.create()
    post(api_client, secret, f"/releases/{release.pk}/evidence", CI)
    scan = CI | {"kind": "security_scan", "url": "https://scan.example.com/9"}
    response = post(api_client, secret, f"/releases/{release.pk}/evidence", scan)
    assert response.status_code == 201, response.content
    assert response.json()["item"] == "ci-security"
    assert response.json()["item_state"] == ChecklistState.DONE
    tick = AuditEvent.objects.get(release=release, verb="checklist.done")
    assert tick.actor == bot and "API token “deploy-bot”" in tick.comment


@pytest.mark.django_db
def test_a_malformed_body_names_the_field_and_changes_nothing(build, api_client, secret):
    release = build.create()
    before = AuditEvent.objects.count()
    bad = CI | {"commit_sha": "nope"}
    response = post(api_client, secret, f"/releases/{release.pk}/evidence", bad)
    assert response.status_code == 422
    assert "commit_sha" in response.json()["detail"]
    bad = CI | {"url": "javascript:alert(1)"}
    response = post(api_client, secret, f"/releases/{release.pk}/evidence", bad)
    assert response.status_code == 422 and "url" in response.json()["detail"]
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db
def test_the_gate_check_answers_200_and_is_stored(build, api_client, secret):
    release = build.ready_to_deploy()
    path = f"/releases/{release.pk}/gate-checks"
    ask = {"environment": "production", "commit_sha": SHA, "pipeline_url": "https://ci/x"}
    ask["pipeline_url"] = "https://ci.example.com/runs/8"
    pending = post(api_client, secret, path, ask, key=None)
    assert pending.status_code == 200, pending.content
    assert pending.json()["decision"] == "pending"
    assert pending.json()["retry_after_seconds"] == 60
    assert "No passed CI run" in pending.json()["comment"]
    post(api_client, secret, f"/releases/{release.pk}/evidence", CI)
    approved = post(api_client, secret, path, ask, key=None).json()
    assert approved["decision"] == "approved" and approved["blockers"] == []
    assert {c["name"] for c in approved["checks"]} >= {"gates", "commit", "freeze and window"}
    assert list(GateCheck.objects.values_list("decision", flat=True)) == ["approved", "pending"]


@pytest.mark.django_db
def test_the_gate_check_of_an_unknown_release_is_404(build, api_client, secret):
    response = post(
        api_client,
        secret,
        "/releases/999999/gate-checks",
        {"environment": "production", "commit_sha": SHA},
    )
    assert response.status_code == 404 and response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_a_production_deploy_of_a_release_not_approved_is_409_with_why(build, api_client, secret):
    release = build.staging()
    post(api_client, secret, f"/releases/{release.pk}/evidence", CI)
    before = AuditEvent.objects.count()
    body = {"environment": "production", "state": "success", "commit_sha": SHA}
    response = post(api_client, secret, f"/releases/{release.pk}/deployments", body)
    assert response.status_code == 409
    assert "The release is in staging" in response.json()["detail"]
    assert "QA Lead gate is pending" in response.json()["detail"]
    assert AuditEvent.objects.count() == before and not Deployment.objects.exists()


@pytest.mark.django_db
def test_a_pipeline_deploys_updates_and_verifies(build, api_client, secret, bot):
    release = build.ready_to_deploy()
    post(api_client, secret, f"/releases/{release.pk}/evidence", CI)
    body = {"environment": "production", "state": "running", "commit_sha": SHA}
    running = post(api_client, secret, f"/releases/{release.pk}/deployments", body)
    assert running.status_code == 201, running.content
    assert running.json()["release_stage"] == Stage.APPROVED
    path = f"/deployments/{running.json()['id']}"
    done = post(
        api_client,
        secret,
        path,
        {"state": "success", "log_url": "https://ci.example.com/l"},
        method="PATCH",
    )
    assert done.status_code == 200, done.content
    assert done.json()["release_stage"] == Stage.DEPLOYED
    assert AuditEvent.objects.get(release=release, verb="release.deploy").actor == bot
    verified = post(
        api_client, secret, f"{path}/verification", {"passed": True, "summary": "All green."}
    )
    assert verified.status_code == 200
    assert verified.json()["verification"] == "Passed: All green."


@pytest.mark.django_db
def test_a_failed_production_deploy_opens_an_incident(build, api_client, secret):
    release = build.ready_to_deploy()
    body = {"environment": "production", "state": "failed", "commit_sha": SHA}
    response = post(api_client, secret, f"/releases/{release.pk}/deployments", body)
    assert response.status_code == 201, response.content
    assert release.incidents.get().state == "open"


@pytest.mark.django_db
def test_a_retry_replays_and_a_reused_key_with_another_body_is_422(build, api_client, secret):
    release = build.create()
    path = f"/releases/{release.pk}/deployments"
    body = {"environment": "staging", "state": "running", "commit_sha": SHA}
    first = post(api_client, secret, path, body, key="run-1-deploy")
    again = post(api_client, secret, path, body, key="run-1-deploy")
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    other = post(api_client, secret, path, body | {"state": "success"}, key="run-1-deploy")
    assert other.status_code == 422
    assert Deployment.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("seeded")
def test_twenty_concurrent_retries_record_the_deployment_once(team, make_token):
    release: Release = Builder(team).ready_to_deploy()
    secret = make_token(*ALL, name="deploy-bot")
    from releases.services import pipeline

    pipeline.evidence_record(
        release_id=release.pk,
        kind="ci",
        passed=True,
        url=CI["url"],
        commit_sha=SHA,
        actor=ApiToken.objects.get(name="deploy-bot").user,
        via="deploy-bot",
    )
    body = {"environment": "production", "state": "success", "commit_sha": SHA}
    start, answers, errors = threading.Barrier(20), [], []

    def retry() -> None:
        try:
            start.wait(10)
            response = post(
                Client(), secret, f"/releases/{release.pk}/deployments", body, key="run-42"
            )
            answers.append((response.status_code, response.json()))
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=retry) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert len(answers) == 20
    assert {status for status, _ in answers} == {201}
    assert all(answer == answers[0][1] for _, answer in answers)
    assert Deployment.objects.count() == 1 and IdempotencyRecord.objects.count() == 1
    assert refresh(release).stage == Stage.DEPLOYED
    assert AuditEvent.objects.filter(release=release, verb="release.deploy").count() == 1


@pytest.mark.django_db
def test_the_gate_checks_query_count_is_pinned(build, api_client, secret):
    from ..queries import assert_num_queries

    release = build.ready_to_deploy()
    post(api_client, secret, f"/releases/{release.pk}/evidence", CI)
    ask = {"environment": "production", "commit_sha": SHA}
    path = f"/releases/{release.pk}/gate-checks"
    # The token (1), the release (2: exists, then read), its readiness rows (10: items,
    # hand-offs, gates, assignments, duties, incidents, action items, freezes, override,
    # latest scan), the CI run for the commit (1), the stored answer (1).
    with assert_num_queries(15):
        assert post(api_client, secret, path, ask, key=None).status_code == 200
