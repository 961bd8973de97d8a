"""The deployment gate's answer: may this release go to an environment now, with this commit?

Derived from the lifecycle's readiness (the same blockers the release page lists and the
deploy service refuses with), plus what only a pipeline can ask: does the commit it is about
to deploy match the release's latest passed CI run, and is an incident open. A read: the
gate check service stores the answer, the deployment service refuses with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from signoffs.selectors import says_proceed

from .. import lifecycle
from ..lifecycle.readiness import Blocker
from ..models import EvidenceKind, IncidentState, Release, Stage

PRODUCTION, STAGING = "production", "staging"
ENVIRONMENTS = (STAGING, PRODUCTION)
APPROVED, REJECTED, PENDING = "approved", "rejected", "pending"
# How long a pipeline should wait before asking again while the answer is pending: people
# sign in minutes to hours, so a minute keeps the API quiet without delaying the deploy.
RETRY_SECONDS = 60
# Stages that end a release: a gate check on one is rejected, never pending.
ENDED = {
    Stage.CANCELLED: "The release is cancelled.",
    Stage.ROLLED_BACK: "The release was rolled back.",
    Stage.CLOSED: "The release is closed.",
}
# Which check each readiness blocker belongs to (by the release page's section).
CHECK_OF_ANCHOR = {
    "gates": "gates",
    "h-roles": "gates",
    "checklist": "checklist",
    "handoffs": "handoffs",
    "duties": "final decision",
    "pipeline": "security scan",
    "next-step": "freeze and window",
}
CHECK_NAMES = (
    "stage",
    "gates",
    "checklist",
    "handoffs",
    "final decision",
    "security scan",
    "freeze and window",
    "incidents",
    "commit",
)


@dataclass
class Answer:
    decision: str
    checks: list[dict[str, object]] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)
    comment: str = ""

    @property
    def retry_after_seconds(self) -> int | None:
        return RETRY_SECONDS if self.decision == PENDING else None


def evaluate(release: Release, *, environment: str, commit_sha: str) -> Answer:
    """The gate's answer for `release` (rows read now; a service calls it under the lock)."""
    rows = lifecycle.readiness.load(release, deploying=environment == PRODUCTION)
    found: list[Blocker] = []
    stage_ok, stage_detail = _stage(release, environment)
    if environment == PRODUCTION:
        found = lifecycle.readiness.deploy_blockers(release, rows, says_proceed=says_proceed)
    elif release.stage == Stage.PLANNING:
        # Staging takes the pre-release requirements, as the move to staging does.
        found = lifecycle.readiness.blockers(release, rows, says_proceed=says_proceed)
        if rows.failed_scan is not None:  # The pre-release list names the item, not the link.
            found.append(
                Blocker(
                    f"The latest security scan failed: {rows.failed_scan.url}", "", "", "pipeline"
                )
            )
    incidents = [i for i in rows.incidents if i.state == IncidentState.OPEN]
    commit_ok, commit_detail = _commit(release, commit_sha)
    by_check: dict[str, list[str]] = {name: [] for name in CHECK_NAMES}
    for b in found:
        by_check[CHECK_OF_ANCHOR.get(b.anchor, "checklist")].append(str(b) if b.who else b.text)
    by_check["incidents"] = [f"Incident “{i}” is open" for i in incidents]
    checks: list[dict[str, object]] = [{"name": "stage", "ok": stage_ok, "detail": stage_detail}]
    for name in CHECK_NAMES[1:-1]:
        texts = by_check[name]
        checks.append({"name": name, "ok": not texts, "detail": "; ".join(texts) or "Clear."})
    checks.append({"name": "commit", "ok": commit_ok, "detail": commit_detail})
    blockers = [t for name in CHECK_NAMES[1:-1] for t in by_check[name]]
    blockers = ([] if stage_ok else [stage_detail]) + blockers
    if not commit_ok:
        blockers.append(commit_detail)
    decision, why = _decision(release, environment, rows, stage_detail, blockers)
    return Answer(decision, checks, blockers, _comment(release, environment, decision, why))


def _decision(
    release: Release, environment: str, rows: Any, stage_detail: str, blockers: list[str]
) -> tuple[str, str]:
    """rejected: the release ended (or is already in production), a gate said no, or the
    latest security scan failed; pending: anything else open; approved: nothing blocks."""
    if release.stage in ENDED or (environment == PRODUCTION and release.stage == Stage.DEPLOYED):
        return REJECTED, stage_detail
    rejected = [g for g in rows.gates if g.state == lifecycle.GateState.REJECTED]
    if rejected:
        return REJECTED, f"The {rejected[0].role.name} gate is rejected."
    if rows.failed_scan is not None:
        return REJECTED, f"The latest security scan failed: {rows.failed_scan.url}"
    if blockers:
        more = f" (and {len(blockers) - 1} more)" if len(blockers) > 1 else ""
        return PENDING, blockers[0] + more
    return APPROVED, ""


def _stage(release: Release, environment: str) -> tuple[bool, str]:
    stage = release.get_stage_display().lower()
    if release.stage in ENDED:
        return False, ENDED[release.stage]
    if environment == PRODUCTION:
        if release.stage == Stage.APPROVED:
            return True, "The release is approved."
        if release.stage == Stage.DEPLOYED:
            return False, "The release is already deployed to production; a new one is needed."
        return False, f"The release is in {stage}: sign-off is not complete."
    if release.stage == Stage.DEPLOYED:
        return False, "The release is already deployed to production."
    return True, f"The release is in {stage}."


def _commit(release: Release, commit_sha: str) -> tuple[bool, str]:
    """The commit matches the release's latest passed CI run (short SHAs match their prefix)."""
    ci = release.evidence_records.filter(kind=EvidenceKind.CI, passed=True).first()
    if ci is None:
        return False, "No passed CI run is recorded for this release yet: record CI evidence."
    ours, theirs = ci.commit_sha.lower(), commit_sha.lower()
    if ours.startswith(theirs) or theirs.startswith(ours):
        return True, f"Commit {theirs[:12]} passed CI ({ci.url})."
    return False, (
        f"Commit {theirs[:12]} is not the release's: its latest passed CI run is of "
        f"{ours[:12]} ({ci.url})."
    )


def _comment(release: Release, environment: str, decision: str, why: str) -> str:
    name = f"{release.name} {release.version}"
    if decision == APPROVED:
        return f"{name} may deploy to {environment} now."
    if decision == REJECTED:
        return f"{name} may not deploy to {environment}: {why}"[:500]
    return f"{name} is waiting before {environment}: {why}"[:500]
