"""The state tables: which release step, and which work on gates, checklist items, hand-offs
and incidents, each stage allows. Data only; `actions` reads it for pages and services alike."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from ..models import ChecklistPhase, DutyPhase, Stage


class GateState(models.TextChoices):
    """A sign-off gate's state (the gate model lives in `signoffs`, its rules here)."""

    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str]
    target: str
    label: str


def _t(name: str, sources: tuple[str, ...], target: str, label: str) -> Transition:
    return Transition(name, frozenset(sources), target, label)


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        _t("stage", (Stage.PLANNING,), Stage.STAGING, "move to staging"),
        # Entered when the Project Manager confirms all sign-offs received.
        _t("approve", (Stage.STAGING,), Stage.APPROVED, "approve"),
        # A revoked, rejected or stale gate sends an approved release back to staging.
        _t("reopen", (Stage.APPROVED,), Stage.STAGING, "reopen for sign-off"),
        _t("deploy", (Stage.APPROVED,), Stage.DEPLOYED, "record the production deploy"),
        _t("close", (Stage.DEPLOYED,), Stage.CLOSED, "close"),
        _t("roll_back", (Stage.DEPLOYED,), Stage.ROLLED_BACK, "record a rollback"),
        _t(
            "cancel",
            (Stage.PLANNING, Stage.STAGING, Stage.APPROVED),
            Stage.CANCELLED,
            "cancel",
        ),
    ]
}

# Stages in which the release's own fields may be edited.
EDITABLE_STAGES = frozenset({Stage.PLANNING, Stage.STAGING, Stage.APPROVED})
# Stages in which gates may be decided or revoked ("until production deploy").
SIGNING_STAGES = frozenset({Stage.STAGING})
REVOKING_STAGES = frozenset({Stage.STAGING, Stage.APPROVED})
# A gate its release type's expedited policy lets sign after the deploy (`SignOff.retroactive`)
# is approved or rejected from staging until it is done: before the deploy if its holder has
# the time, after it within the policy's hours. Revoking it follows REVOKING_STAGES.
RETROACTIVE_SIGNING_STAGES = frozenset({Stage.STAGING, Stage.APPROVED, Stage.DEPLOYED})
# Stages in which role assignments may change (not after the release is finished).
ASSIGNABLE_STAGES = frozenset({Stage.PLANNING, Stage.STAGING, Stage.APPROVED, Stage.DEPLOYED})
# A failed deploy is recorded on an approved release (the attempt did not go through) or a
# deployed one (it went through and broke).
FAILED_DEPLOY_STAGES = frozenset({Stage.APPROVED, Stage.DEPLOYED})
# Incidents are opened on what reached (or tried to reach) production; on an approved release
# only after a failed deploy was recorded (`actions` checks that).
INCIDENT_STAGES = frozenset({Stage.APPROVED, Stage.DEPLOYED, Stage.ROLLED_BACK})
# An open incident is worked on (mitigated, fixed forward, triaged, its action items closed)
# whatever happens to its release meanwhile: reopened, cancelled, rolled back or closed.
INCIDENT_WORK_STAGES = frozenset(Stage.values) - {Stage.PLANNING}

# When checklist items and hand-offs of each phase can be worked on.
PHASE_STAGES: dict[str, frozenset[str]] = {
    ChecklistPhase.PRE_RELEASE: frozenset({Stage.PLANNING}),
    ChecklistPhase.PRE_DEPLOY: frozenset({Stage.PLANNING, Stage.STAGING, Stage.APPROVED}),
    ChecklistPhase.POST_DEPLOY: frozenset({Stage.DEPLOYED}),
}
# The QA Lead -> DevOps hand-off is the pre-deployment gate: sent while sign-offs run.
HANDOFF_PHASE_STAGES: dict[str, frozenset[str]] = {
    ChecklistPhase.PRE_DEPLOY: frozenset({Stage.STAGING}),
    ChecklistPhase.POST_DEPLOY: frozenset({Stage.DEPLOYED}),
}
# A sent hand-off can be acknowledged only while it can still matter: a pre-deploy one (the
# DevOps "proceed"/"hold") until the production deploy, a post-deploy one until the release ends.
ACKNOWLEDGE_PHASE_STAGES: dict[str, frozenset[str]] = {
    ChecklistPhase.PRE_DEPLOY: frozenset({Stage.STAGING, Stage.APPROVED}),
    ChecklistPhase.POST_DEPLOY: frozenset({Stage.DEPLOYED}),
}


# When a role's duties can be marked done. Pre-release duties are confirmed by approving the
# role's gate, never by hand; the Product Manager's final release decision (a release-day duty)
# is recorded before the deploy, the other release-day and post-release duties after it.
DUTY_PHASE_STAGES: dict[str, frozenset[str]] = {
    DutyPhase.PRE_RELEASE: frozenset(),
    DutyPhase.RELEASE_DAY: frozenset({Stage.DEPLOYED}),
    DutyPhase.POST_RELEASE: frozenset({Stage.DEPLOYED}),
}
FINAL_DECISION_STAGES = frozenset({Stage.APPROVED})


# Ticks backed by evidence. An item tied to release fields cannot be ticked while any of them
# is empty (keyed by checklist template key): the tick says the work is on the page.
ITEM_FIELDS: dict[str, tuple[str, ...]] = {
    "release-notes": ("summary", "notable_changes"),
    "rollback-plan": ("rollback_plan",),
    "smoke-tests": ("smoke_test_plan",),
    "deployment-window": ("window_start", "window_end"),
}
# Items ticked with links to what backs them (the CI run, the scans, the merged PRs).
EVIDENCE_ITEMS = frozenset({"ci-security", "acceptance-criteria"})
EVIDENCE_MAX_LINKS = 5


# Release-level actions: the stages each is possible in, and how a refusal names it.
RELEASE_ACTIONS: dict[str, tuple[frozenset[str], str]] = {
    "edit": (EDITABLE_STAGES, "edit the release"),
    "stage": (TRANSITIONS["stage"].sources, TRANSITIONS["stage"].label),
    "deploy": (TRANSITIONS["deploy"].sources, TRANSITIONS["deploy"].label),
    "close": (TRANSITIONS["close"].sources, TRANSITIONS["close"].label),
    "cancel": (TRANSITIONS["cancel"].sources, TRANSITIONS["cancel"].label),
    "record_failed_deploy": (FAILED_DEPLOY_STAGES, "record a failed production deploy"),
    "open_incident": (INCIDENT_STAGES, "open an incident"),
    "roll_back": (TRANSITIONS["roll_back"].sources, TRANSITIONS["roll_back"].label),
    # Work on an incident: mitigate, triage, action items, resolve, close the review.
    "resolve_incident": (INCIDENT_WORK_STAGES, "work on an incident"),
    "fix_forward": (INCIDENT_WORK_STAGES, "fix forward with a patch release"),
}

# The main path, for "what comes next": the steps of the stage after this one are the ones a
# page explains before they are possible.
MAIN_PATH = (Stage.PLANNING, Stage.STAGING, Stage.APPROVED, Stage.DEPLOYED, Stage.CLOSED)


def upcoming(stage: str) -> list[str]:
    """The release steps that become possible in the stage after `stage` on the main path."""
    if stage not in MAIN_PATH or stage == MAIN_PATH[-1]:
        return []
    following = MAIN_PATH[MAIN_PATH.index(stage) + 1]
    return [a for a in ("stage", "deploy", "close") if following in RELEASE_ACTIONS[a][0]]
