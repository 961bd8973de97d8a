"""A pipeline's deployments to staging and production, and their post-deploy verification.

In production, `running` and `success` need the gate's "approved" for the commit (the refusal
lists its blockers); a success moves the release to deployed and a failure records the failed
deploy, through the DevOps Engineer's own services (`permissions.is_pipeline_action`).
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from octoacme.errors import Refused

from .. import audit
from ..locks import lock_child, lock_release
from ..models import Deployment, DeploymentState, Release, Stage
from ..text import clean_field
from .deploy import release_record_deploy
from .incidents import release_record_failed_deploy
from .pipeline_gate import APPROVED, ENVIRONMENTS, PRODUCTION, evaluate
from .pipeline_input import by as _by
from .pipeline_input import clean_choice as _clean_choice
from .pipeline_input import clean_sha as _clean_sha
from .pipeline_input import clean_url as _clean_url

FINISHED_STAGES = frozenset({Stage.CLOSED, Stage.CANCELLED, Stage.ROLLED_BACK})
TERMINAL = frozenset({DeploymentState.SUCCESS, DeploymentState.FAILED, DeploymentState.CANCELED})


@transaction.atomic
def deployment_record(
    *,
    release_id: int,
    environment: str,
    state: str,
    commit_sha: str,
    log_url: str = "",
    actor: AbstractBaseUser,
    via: str,
) -> Deployment:
    environment = _clean_choice(environment, "environment", ENVIRONMENTS)
    state = _clean_choice(state, "state", DeploymentState.values)
    commit_sha = _clean_sha(commit_sha)
    log_url = _clean_url(log_url, "log_url", required=False)
    release = lock_release(release_id)
    if release.stage in FINISHED_STAGES:
        raise Refused(
            f"Cannot record a deployment: the release is {release.get_stage_display().lower()}."
        )
    deployment = Deployment(
        release=release,
        environment=environment,
        state=state,
        commit_sha=commit_sha,
        log_url=log_url,
        recorded_by=actor,
    )
    if environment == PRODUCTION and state in (DeploymentState.RUNNING, DeploymentState.SUCCESS):
        _require_approved(release, commit_sha)
    deployment.save()
    _audit(release, deployment, actor=actor, via=via, verb="deployment.recorded")
    _apply_production(release, deployment, actor=actor, via=via)
    return deployment


@transaction.atomic
def deployment_update(
    *, deployment_id: int, state: str, log_url: str = "", actor: AbstractBaseUser, via: str
) -> Deployment:
    state = _clean_choice(state, "state", DeploymentState.values)
    log_url = _clean_url(log_url, "log_url", required=False)
    release, deployment = lock_child(Deployment, deployment_id, what="deployment")
    if deployment.state == state and (not log_url or log_url == deployment.log_url):
        return deployment  # A repeated report changes nothing.
    if deployment.state in TERMINAL:
        raise Refused(
            f"This deployment already ended ({deployment.get_state_display().lower()}); "
            "record a new one."
        )
    if deployment.environment == PRODUCTION and state == DeploymentState.SUCCESS:
        _require_approved(release, deployment.commit_sha)
    from_state = deployment.state
    deployment.state = state
    deployment.log_url = log_url or deployment.log_url
    deployment.save(update_fields=["state", "log_url", "updated_at"])
    _audit(
        release, deployment, actor=actor, via=via, verb="deployment.updated", from_state=from_state
    )
    _apply_production(release, deployment, actor=actor, via=via)
    return deployment


@transaction.atomic
def verification_record(
    *, deployment_id: int, passed: bool, summary: str, actor: AbstractBaseUser, via: str
) -> Deployment:
    summary = clean_field(
        summary, field="summary", label="The summary", required=True, max_length=2000
    )
    release, deployment = lock_child(Deployment, deployment_id, what="deployment")
    if deployment.state != DeploymentState.SUCCESS:
        raise Refused(
            "Post-deploy verification follows a successful deployment; this one is "
            f"{deployment.get_state_display().lower()}."
        )
    line = f"{'Passed' if passed else 'Failed'}: {summary}"
    deployment.verification = "\n".join(filter(None, [deployment.verification, line]))
    deployment.save(update_fields=["verification", "updated_at"])
    audit.record(
        release=release,
        actor=actor,
        verb="deployment.verified" if passed else "deployment.verification_failed",
        subject=f"{deployment.environment} deployment",
        comment=f"{line} {_by(via)}",
    )
    return deployment


def _require_approved(release: Release, commit_sha: str) -> None:
    """Refuse a production deploy the gate would not approve now, with its blockers."""
    answer = evaluate(release, environment=PRODUCTION, commit_sha=commit_sha)
    if answer.decision != APPROVED:
        raise Refused(
            "Cannot record the production deploy: the gate says "
            f"{answer.decision}: "
            + "; ".join(b.rstrip(".") for b in answer.blockers or [answer.comment])
            + "."
        )


def _apply_production(
    release: Release, deployment: Deployment, *, actor: AbstractBaseUser, via: str
) -> None:
    """A production success moves the release to deployed, a failure records the failed
    deploy (which opens an incident), through the DevOps Engineer's services."""
    if deployment.environment != PRODUCTION:
        return
    where = f" {deployment.log_url}" if deployment.log_url else ""
    if deployment.state == DeploymentState.SUCCESS:
        release_record_deploy(
            release_id=release.pk,
            actor=actor,
            comment=f"Recorded by the pipeline {_by(via)}:{where or ' no log link'}",
        )
    elif deployment.state == DeploymentState.FAILED:
        release_record_failed_deploy(
            release_id=release.pk,
            actor=actor,
            what_failed=f"The pipeline's production deploy of {deployment.commit_sha[:12]} "
            f"failed {_by(via)}.{where}",
        )


def _audit(
    release: Release,
    deployment: Deployment,
    *,
    actor: AbstractBaseUser,
    via: str,
    verb: str,
    from_state: str = "",
) -> None:
    where = f": {deployment.log_url}" if deployment.log_url else ""
    audit.record(
        release=release,
        actor=actor,
        verb=verb,
        subject=f"{deployment.environment} deployment",
        from_state=from_state,
        to_state=deployment.state,
        comment=f"{deployment.get_state_display()} on {deployment.commit_sha[:12]}{where} "
        + _by(via),
    )
