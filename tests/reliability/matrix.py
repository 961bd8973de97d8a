"""The permission matrix: every action that changes something, who may take it, and when.

Written from the guide and DESIGN.md, not from the code it checks. For each case the test
expects: anonymous -> sent to sign in; an actor kind not listed -> 403; a listed actor in a
stage not listed -> a refusal that changes nothing; otherwise the action takes effect.
"""

from __future__ import annotations

from dataclasses import dataclass

from releases.models import RoleKey

QA, DEVOPS, BA, UX, CSM, PROD, PM = RoleKey.values

KINDS = [
    "holder",  # holds the action's role on the release
    "backup",  # that role's backup
    "other_role",  # holds a different role on the release
    "product_manager",
    "project_manager",
    "admin",  # superuser holding no role
    "plain",  # signed in, holds nothing
    # Holds nothing on the release, but the action's role holder delegated to them now (#14):
    # they may do what the holder may, except what is not a release's (creating releases).
    "delegate",
    "anonymous",
]
STAGES = ["planning", "staging", "approved", "deployed", "closed", "rolled_back", "cancelled"]
ALL_STAGES = frozenset(STAGES)
ROLE_HOLDERS = frozenset({"holder", "backup", "other_role", "product_manager", "project_manager"})


@dataclass(frozen=True)
class Action:
    name: str
    role: str  # whose holder/backup the "holder"/"backup" kinds are
    may: frozenset[str]  # actor kinds allowed
    when: frozenset[str]  # stages in which it succeeds


def _a(name: str, role: str, may: set[str], when: set[str]) -> Action:
    return Action(name, role, frozenset(may), frozenset(when))


HOLDERS = {"holder", "backup"}
ACTIVE = {"planning", "staging", "approved", "deployed"}
INCIDENT_WORK = set(ALL_STAGES - {"planning"})

MATRIX = [
    _a("approve gate", QA, HOLDERS, {"staging"}),
    _a("reject gate", QA, HOLDERS, {"staging", "approved"}),
    _a("revoke approval", QA, HOLDERS, {"staging", "approved"}),
    _a("move to staging", DEVOPS, HOLDERS | {"project_manager"}, {"planning"}),
    _a("record deploy", DEVOPS, HOLDERS, {"approved"}),
    _a("close", PM, HOLDERS | {"project_manager"}, {"deployed"}),
    _a(
        "cancel",
        PM,
        HOLDERS | {"project_manager", "product_manager"},
        {"planning", "staging", "approved"},
    ),
    _a(
        "edit release",
        PROD,
        HOLDERS | {"product_manager", "project_manager", "admin"},
        {"planning", "staging", "approved"},
    ),
    _a("tick checklist item", QA, HOLDERS, {"planning"}),
    _a("mark item not applicable", DEVOPS, HOLDERS, {"planning", "staging", "approved"}),
    _a("reopen checklist item", QA, HOLDERS, {"planning"}),
    _a("send QA hand-off", QA, HOLDERS, {"staging"}),
    _a("acknowledge QA hand-off", DEVOPS, HOLDERS, {"staging", "approved"}),
    # Incidents are opened on what reached production (an approved release only after a
    # failed deploy, which the matrix's approved release has not had).
    _a("open incident", QA, set(ROLE_HOLDERS), {"deployed", "rolled_back"}),
    _a("record failed deploy", DEVOPS, HOLDERS, {"approved", "deployed"}),
    _a("record rollback", DEVOPS, HOLDERS, {"deployed"}),
    # An open incident is worked on whatever happened to its release since (the matrix places
    # one directly where none could be opened); never on a release still in planning.
    _a("mitigate incident", DEVOPS, HOLDERS | {"project_manager"}, INCIDENT_WORK),
    _a(
        "fix forward",
        DEVOPS,
        HOLDERS | {"project_manager", "product_manager"},
        INCIDENT_WORK,
    ),
    _a("resolve incident", DEVOPS, HOLDERS | {"project_manager"}, INCIDENT_WORK),
    _a("add action item", DEVOPS, HOLDERS | {"project_manager"}, INCIDENT_WORK),
    _a("close incident review", DEVOPS, HOLDERS | {"project_manager"}, INCIDENT_WORK),
    # Creating is not tied to a release's stage: the managers (and their backups) and admins.
    _a(
        "create release",
        PM,
        HOLDERS | {"project_manager", "product_manager", "admin"},
        set(ALL_STAGES),
    ),
    # The Team page (#14). Who holds a role on a release: admins, and the release's Project
    # Manager (holder or backup), while the release is active.
    _a("assign role", PM, HOLDERS | {"project_manager", "admin"}, ACTIVE),
    # Team-wide, not tied to a release's stage: admins only.
    _a("change default holder", PM, {"admin"}, set(ALL_STAGES)),
    _a("switch separation of duties", PM, {"admin"}, set(ALL_STAGES)),
    # An exception to separation of duties on a release: admins, while it is active.
    _a("record duty exception", PM, {"admin"}, ACTIVE),
    # A release type's policy (expedited patches): team-wide, admins only.
    _a("set release policy", PM, {"admin"}, set(ALL_STAGES)),
    # Deploy freezes: team-wide, admins only. A deploy override with a reason: admins and the
    # release's Project Manager, for a release not yet deployed.
    _a("create freeze", PM, {"admin"}, set(ALL_STAGES)),
    _a("end freeze", PM, {"admin"}, set(ALL_STAGES)),
    _a(
        "record deploy override",
        PM,
        HOLDERS | {"project_manager", "admin"},
        {"planning", "staging", "approved"},
    ),
    # Delegation (#14), not tied to a release. Anyone signed in delegates their own roles; an
    # admin delegates anyone's; the person (here the Project Manager) or an admin cancels it.
    _a(
        "delegate own roles",
        PM,
        set(ROLE_HOLDERS) | {"admin", "plain", "delegate"},
        set(ALL_STAGES),
    ),
    _a("delegate someone's roles", PM, {"admin"}, set(ALL_STAGES)),
    # ("project_manager" is the Project Manager's holder: the person themselves.)
    _a("cancel delegation", PM, {"holder", "project_manager", "admin"}, set(ALL_STAGES)),
]

# What a delegate may not do for the holder: what is not a role on a release (creating
# releases, cancelling the person's own delegations).
NOT_DELEGATED = frozenset({"create release", "cancel delegation"})


def expected(action: Action, kind: str, stage: str) -> str:
    if kind == "anonymous":
        return "sign-in"
    if kind == "delegate" and "delegate" not in action.may:
        kind = "holder" if action.name not in NOT_DELEGATED else "plain"
    if kind not in action.may:
        return "forbidden"
    if stage not in action.when:
        return "refused"
    return "done"
