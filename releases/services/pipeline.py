"""What a pipeline records through the API: evidence, gate checks, deployments, verification.

The actor is the token's service user, which holds no role. Two rules let it act:
- it may tick and un-tick the evidence-backed checklist items only (`lifecycle.EVIDENCE_ITEMS`:
  "Passing CI and security scans", "All acceptance criteria met and PRs merged"), and only
  from what the evidence says: a pass adds its link and ticks the item once the latest record
  of every kind behind it passed; a failed security scan un-ticks it and blocks the deploy;
- it may record the production deploy and its failure (`permissions.is_pipeline_action`),
  through the DevOps Engineer's own services, never a gate.
`via` names the token in every audit comment.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from octoacme.errors import Refused

from .. import audit, lifecycle
from ..locks import lock_release
from ..models import (
    ChecklistItem,
    ChecklistState,
    EvidenceKind,
    EvidenceRecord,
    GateCheck,
    Release,
    Stage,
)
from .checklist import _set_item
from .pipeline_deploy import deployment_record, deployment_update, verification_record
from .pipeline_gate import ENVIRONMENTS, Answer, evaluate
from .pipeline_input import by as _by
from .pipeline_input import clean_choice as _clean_choice
from .pipeline_input import clean_sha as _clean_sha
from .pipeline_input import clean_url as _clean_url

__all__ = [
    "deployment_record",
    "deployment_update",
    "evidence_record",
    "gate_check",
    "pipeline_may_tick",
    "verification_record",
]

# Each kind of evidence backs one checklist item (smoke tests on staging back none: stored).
ITEM_OF_KIND = {
    EvidenceKind.CI: "ci-security",
    EvidenceKind.SECURITY_SCAN: "ci-security",
    EvidenceKind.PRS_MERGED: "acceptance-criteria",
}
# Evidence counts while the release can still be deployed.
EVIDENCE_STAGES = frozenset({Stage.PLANNING, Stage.STAGING, Stage.APPROVED})


def pipeline_may_tick(item: ChecklistItem) -> bool:
    """The one rule for a token's checklist work: evidence-backed items only."""
    return lifecycle.evidence.takes_evidence(item)


@transaction.atomic
def evidence_record(
    *,
    release_id: int,
    kind: str,
    passed: bool,
    url: str,
    commit_sha: str,
    actor: AbstractBaseUser,
    via: str,
) -> EvidenceRecord:
    kind = _clean_choice(kind, "kind", EvidenceKind.values)
    url, commit_sha = _clean_url(url, "url"), _clean_sha(commit_sha)
    release = lock_release(release_id)
    lifecycle.require_stage(EVIDENCE_STAGES, release.stage, "record evidence")
    item = None
    if key := ITEM_OF_KIND.get(kind):
        item = (
            release.checklist.select_for_update(of=("self",))
            .select_related("template__owner")
            .get(template__key=key)
        )
    record = EvidenceRecord.objects.create(
        release=release,
        item=item,
        kind=kind,
        passed=passed,
        url=url,
        commit_sha=commit_sha,
        recorded_by=actor,
    )
    label = EvidenceKind(kind).label
    audit.record(
        release=release,
        actor=actor,
        verb="evidence." + ("passed" if passed else "failed"),
        subject=label,
        comment=f"{label} {'passed' if passed else 'failed'} on {commit_sha[:12]}: {url} "
        + _by(via),
    )
    if item is not None and pipeline_may_tick(item):
        _follow_evidence(release, item, record, actor=actor, via=via)
    return record


def _follow_evidence(
    release: Release,
    item: ChecklistItem,
    record: EvidenceRecord,
    *,
    actor: AbstractBaseUser,
    via: str,
) -> None:
    """Tick or un-tick `item` from its evidence, under the release lock."""
    if not record.passed:
        if record.kind == EvidenceKind.SECURITY_SCAN and item.state == ChecklistState.DONE:
            why = f"Reopened: the security scan failed: {record.url} {_by(via)}"
            _set_item(release, item, ChecklistState.OPEN, actor=actor, reason="", why=why)
        return
    links = [line for line in lifecycle.evidence.evidence_links(item) if line != record.url]
    links = [*links, record.url][-lifecycle.EVIDENCE_MAX_LINKS :]
    if item.state != ChecklistState.OPEN:
        item.evidence = "\n".join(links)
        item.save(update_fields=["evidence"])
        return
    kinds = [k for k, key in ITEM_OF_KIND.items() if key == item.template.key]
    latest = [release.evidence_records.filter(kind=k).first() for k in kinds]
    if all(r is not None and r.passed for r in latest):
        why = (
            "Ticked by the pipeline: all its evidence passed " + _by(via) + "\n" + "\n".join(links)
        )
        _set_item(
            release,
            item,
            ChecklistState.DONE,
            actor=actor,
            reason="",
            evidence="\n".join(links),
            why=why,
        )
    else:
        item.evidence = "\n".join(links)
        item.save(update_fields=["evidence"])


def gate_check(
    *,
    release_id: int,
    environment: str,
    commit_sha: str,
    pipeline_url: str,
    actor: AbstractBaseUser,
) -> tuple[GateCheck, Answer]:
    """Ask the gate; store the question and its answer. A read plus one insert: no lock and
    no audit event (pipelines poll it every minute; the stored `GateCheck` is its record)."""
    environment = _clean_choice(environment, "environment", ENVIRONMENTS)
    commit_sha = _clean_sha(commit_sha)
    pipeline_url = _clean_url(pipeline_url, "pipeline_url", required=False)
    try:
        release = Release.objects.get(pk=release_id)
    except Release.DoesNotExist:
        raise Refused("This release does not exist.") from None
    answer = evaluate(release, environment=environment, commit_sha=commit_sha)
    check = GateCheck.objects.create(
        release=release,
        environment=environment,
        commit_sha=commit_sha,
        pipeline_url=pipeline_url,
        decision=answer.decision,
        checks=answer.checks,
        comment=answer.comment,
        asked_by=actor,
    )
    return check, answer
