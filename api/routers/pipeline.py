"""What pipelines write: evidence (evidence:write), the deployment gate check and deployments
(deployments:write). Each handler checks the object exists (404), then calls one service of
releases.services.pipeline with the token's service user as the actor and the token's name
for the audit trail; the service's refusals answer 409 with the reason, nothing changed.
"""

# No `from __future__ import annotations`: ninja reads these annotations at import time.
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Header, Router, Schema
from ninja.responses import Status

from api.auth import TokenAuth
from api.errors import AUTH_ERRORS, ApiError, ErrorOut, ValidationErrorOut, not_found
from api.idempotency import HEADER, IdempotencyKey, idempotent
from api.models import Scope
from releases.models import Deployment, DeploymentState, EvidenceKind, EvidenceRecord, Release
from releases.services import pipeline

router = Router(tags=["pipeline"])
EVIDENCE = TokenAuth(Scope.EVIDENCE_WRITE)
DEPLOYMENTS = TokenAuth(Scope.DEPLOYMENTS_WRITE)
WRITE_ERRORS = {404: ErrorOut, 409: ErrorOut, 422: ValidationErrorOut, **AUTH_ERRORS}
Sha = Annotated[str, Field(pattern=r"^[0-9a-fA-F]{7,40}$", description="7 to 40 hex digits")]
Link = Annotated[str, Field(min_length=1, max_length=500, description="An http(s) link")]
Environment = Literal["staging", "production"]
T = TypeVar("T")


class EvidenceIn(Schema):
    kind: EvidenceKind = Field(
        description="ci and security_scan back “Passing CI and security scans”, prs_merged "
        "“All acceptance criteria met and PRs merged”; smoke_tests are stored"
    )
    passed: bool
    url: Link
    commit_sha: Sha


class EvidenceOut(Schema):
    id: int
    release_id: int
    kind: str
    passed: bool
    url: str
    commit_sha: str
    item: str | None = Field(description="The checklist item's key it backs, if any")
    item_state: str | None = Field(description="That item's state after this record")
    recorded_at: datetime


class GateCheckIn(Schema):
    environment: Environment
    commit_sha: Sha
    pipeline_url: str = Field("", max_length=500, description="The pipeline run asking")


class CheckOut(Schema):
    name: str
    ok: bool
    detail: str


class GateCheckOut(Schema):
    id: int
    decision: Literal["approved", "rejected", "pending"]
    checks: list[CheckOut]
    blockers: list[str]
    comment: str
    retry_after_seconds: int | None = Field(description="Ask again after this long (pending)")
    environment: str
    commit_sha: str
    checked_at: datetime


class DeploymentIn(Schema):
    environment: Environment
    state: DeploymentState
    commit_sha: Sha
    log_url: str = Field("", max_length=500)


class DeploymentPatch(Schema):
    state: DeploymentState
    log_url: str = Field("", max_length=500)


class VerificationIn(Schema):
    passed: bool
    summary: str = Field(min_length=1, max_length=2000)


class DeploymentOut(Schema):
    id: int
    release_id: int
    environment: str
    state: str
    commit_sha: str
    log_url: str
    verification: str
    release_stage: str = Field(description="The release's stage after this write")
    created_at: datetime
    updated_at: datetime


def _service(fn: Callable[[], T]) -> T:
    """A service's ValidationError (a field it refused) as a 422 naming the field."""
    try:
        return fn()
    except ValidationError as exc:
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"body": exc.messages}
        detail = "; ".join(f"{f}: {' '.join(m)}" for f, m in fields.items())
        raise ApiError(422, "invalid", f"Invalid request: {detail}") from None


def _release(release_id: int) -> Release:
    release = Release.objects.filter(pk=release_id).first()
    if release is None:
        raise not_found(f"No release has the id {release_id}.")
    return release


def _deployment(deployment_id: int) -> None:
    if not Deployment.objects.filter(pk=deployment_id).exists():
        raise not_found(f"No deployment has the id {deployment_id}.")


def _evidence_out(record: EvidenceRecord) -> dict[str, Any]:
    item = record.item
    if item is not None:
        item.refresh_from_db(fields=["state"])
    return {
        "id": record.pk,
        "release_id": record.release_id,
        "kind": record.kind,
        "passed": record.passed,
        "url": record.url,
        "commit_sha": record.commit_sha,
        "item": item.template.key if item else None,
        "item_state": item.state if item else None,
        "recorded_at": record.created_at,
    }


def _deployment_out(d: Deployment) -> dict[str, Any]:
    stage = Release.objects.filter(pk=d.release_id).values_list("stage", flat=True).get()
    return {
        **{f: getattr(d, f) for f in ("id", "release_id", "environment", "state", "commit_sha")},
        **{f: getattr(d, f) for f in ("log_url", "verification", "created_at", "updated_at")},
        "release_stage": stage,
    }


@router.post(
    "/releases/{release_id}/evidence",
    auth=EVIDENCE,
    response={201: EvidenceOut, **WRITE_ERRORS},
    summary="Record evidence: CI, a security scan, merged PRs, smoke tests",
)
def evidence_record(
    request: HttpRequest, release_id: int, payload: EvidenceIn, key: IdempotencyKey
) -> Any:
    token = request.auth

    def write() -> tuple[int, dict[str, Any]]:
        _release(release_id)
        record = _service(
            lambda: pipeline.evidence_record(
                release_id=release_id,
                kind=payload.kind,
                passed=payload.passed,
                url=payload.url,
                commit_sha=payload.commit_sha,
                actor=token.user,
                via=token.name,
            )
        )
        return 201, _evidence_out(record)

    return idempotent(request, write)


@router.post(
    "/releases/{release_id}/gate-checks",
    auth=DEPLOYMENTS,
    response={200: GateCheckOut, **WRITE_ERRORS},
    summary="Ask the deployment gate: may this release go to this environment now?",
    description="Always 200 with the decision when the check could run; poll while pending "
    "(every `retry_after_seconds`). Each ask is stored and shown on the release page. "
    f"An `{HEADER}` is optional here: without one every ask gets a fresh answer.",
)
def gate_check(
    request: HttpRequest,
    release_id: int,
    payload: GateCheckIn,
    key: Annotated[str | None, Header(alias=HEADER, max_length=200)] = None,
) -> Any:
    token = request.auth

    def ask() -> tuple[int, dict[str, Any]]:
        _release(release_id)
        check, answer = _service(
            lambda: pipeline.gate_check(
                release_id=release_id,
                environment=payload.environment,
                commit_sha=payload.commit_sha,
                pipeline_url=payload.pipeline_url,
                actor=token.user,
            )
        )
        return 200, {
            "id": check.pk,
            "decision": answer.decision,
            "checks": answer.checks,
            "blockers": answer.blockers,
            "comment": answer.comment,
            "retry_after_seconds": answer.retry_after_seconds,
            "environment": check.environment,
            "commit_sha": check.commit_sha,
            "checked_at": check.created_at,
        }

    if key:  # A retried ask within one poll replays its answer.
        return idempotent(request, ask)
    return Status(*ask())


@router.post(
    "/releases/{release_id}/deployments",
    auth=DEPLOYMENTS,
    response={201: DeploymentOut, **WRITE_ERRORS},
    summary="Record a deployment; a production success deploys the release",
)
def deployment_record(
    request: HttpRequest, release_id: int, payload: DeploymentIn, key: IdempotencyKey
) -> Any:
    token = request.auth

    def write() -> tuple[int, dict[str, Any]]:
        _release(release_id)
        deployment = _service(
            lambda: pipeline.deployment_record(
                release_id=release_id,
                environment=payload.environment,
                state=payload.state,
                commit_sha=payload.commit_sha,
                log_url=payload.log_url,
                actor=token.user,
                via=token.name,
            )
        )
        return 201, _deployment_out(deployment)

    return idempotent(request, write)


@router.patch(
    "/deployments/{deployment_id}",
    auth=DEPLOYMENTS,
    response={200: DeploymentOut, **WRITE_ERRORS},
    summary="Update a deployment's state (running -> success, failed or canceled)",
)
def deployment_update(
    request: HttpRequest, deployment_id: int, payload: DeploymentPatch, key: IdempotencyKey
) -> Any:
    token = request.auth

    def write() -> tuple[int, dict[str, Any]]:
        _deployment(deployment_id)
        deployment = _service(
            lambda: pipeline.deployment_update(
                deployment_id=deployment_id,
                state=payload.state,
                log_url=payload.log_url,
                actor=token.user,
                via=token.name,
            )
        )
        return 200, _deployment_out(deployment)

    return idempotent(request, write)


@router.post(
    "/deployments/{deployment_id}/verification",
    auth=DEPLOYMENTS,
    response={200: DeploymentOut, **WRITE_ERRORS},
    summary="Record post-deploy verification of a successful deployment",
)
def verification_record(
    request: HttpRequest, deployment_id: int, payload: VerificationIn, key: IdempotencyKey
) -> Any:
    token = request.auth

    def write() -> tuple[int, dict[str, Any]]:
        _deployment(deployment_id)
        deployment = _service(
            lambda: pipeline.verification_record(
                deployment_id=deployment_id,
                passed=payload.passed,
                summary=payload.summary,
                actor=token.user,
                via=token.name,
            )
        )
        return 200, _deployment_out(deployment)

    return idempotent(request, write)
