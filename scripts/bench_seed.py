"""The benchmark's data: a team's history at a constant delivery rate, and the same ~50
releases in flight at every size.

History is seeded at about 20 releases a week going back from now, so 1,000 releases span
about a year and 10,000 about ten, and a period like "the last 90 days" holds the same work at
both sizes: a page that slows down at 10,000 reads history it should not. Every timestamp
Insights reads is filled (created, staged, deployed, rolled back; incidents, failed deploys,
fixes forward; gate openings, decisions, rejections, stale approvals, reminders and
escalations; hand-off due and sent times), drawn from `random.Random(SEED)` so every run
seeds the same story. Rows are bulk-created; the audit rows are hash-chained as
`audit.record()` would chain them, so `manage.py verify_audit` passes on this data too.

The benchmark user (the QA Lead) holds a role on every release, as someone who has been on
the team for the whole history.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

SEED = 2026
PER_WEEK = 20
SPACING = timedelta(days=7) / PER_WEEK
H = timedelta(hours=1)
# The work in flight, the same at every size.
ACTIVE = {"planning": 15, "staging": 25, "approved": 9, "deployed": 1}
# Typical hours from a gate opening to its decision, per role (the Project Manager's gate
# opens when the others are decided and is confirmed just before the deploy).
LATENCY = {
    "qa-lead": 16,
    "devops-engineer": 4,
    "business-analyst": 26,
    "ux-designer": 11,
    "customer-success-manager": 36,
    "product-manager": 8,
}
LEAD_HOURS = {"patch": (20, 54), "minor": (96, 192), "major": (240, 360)}
FINISHED = ("closed", "rolled_back")


@dataclass
class Plan:
    """One release and the moments of its story."""

    stage: str
    release_type: str
    created: datetime
    staged: datetime | None = None
    approved: datetime | None = None
    deployed: datetime | None = None
    closed: datetime | None = None
    cancelled: datetime | None = None
    rolled_back: datetime | None = None
    # "rolled_back", "failed_first", "incident" (fixed forward by the next release), "fix"
    story: str = ""
    rejected: str = ""  # the role whose gate said no first
    stale: bool = False  # approvals turned stale by a scope change
    window: datetime | None = None
    decided: dict[str, datetime] = field(default_factory=dict)


def seed(total: int, active: dict[str, int] = ACTIVE) -> dict[str, Any]:
    """`total` releases: `sum(active)` in flight, the rest history. Returns what the
    benchmark needs to address (users, pages, gates)."""
    from releases.models import Role

    rng = random.Random(SEED)
    now = datetime.now(UTC)
    roles = list(Role.objects.order_by("position"))
    users, admin = _people(roles)
    history = max(total - sum(active.values()), 0)
    plans = history_plan(history, now, rng) + active_plan(active, now, rng)
    releases = _releases(plans, users)
    _incidents(plans, releases, users, rng)
    gates, assignments = _gates(plans, releases, roles, users, rng)
    _checklists_and_handoffs(plans, releases, rng)
    events = _audit(plans, releases, gates, users)
    staging = [r for r in releases if r.stage == "staging"]
    qa_gates = {g.release_id: g for g in gates if g.role.key == "qa-lead"}
    signable = [qa_gates[r.pk].pk for r in staging if qa_gates[r.pk].state == "pending"]
    return {
        "qa": users[0],
        "admin": admin,
        "releases": len(releases),
        "active": sum(active.values()),
        "gates": len(gates),
        "assignments": len(assignments),
        "events": events,
        "users": len(users) + 1,
        "span_days": (now - plans[0].created).days,
        "signable": signable,
        "release_page": staging[-1].pk,
        "gate_page": qa_gates[staging[-1].pk].pk,
        "approved_release": next(r for r in releases if r.stage == "approved"),
    }


def _people(roles: list[Any]) -> tuple[list[Any], Any]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    User = get_user_model()
    password = make_password("octoacme")
    users = User.objects.bulk_create(
        [User(username=r.key, email=f"{r.key}@bench.test", password=password) for r in roles]
        + [
            User(username=f"user{i}", email=f"user{i}@bench.test", password=password)
            for i in range(43)
        ]
    )
    admin = User.objects.create(
        username="admin", password=password, is_staff=True, is_superuser=True
    )
    return users, admin


def history_plan(n: int, now: datetime, rng: random.Random) -> list[Plan]:
    """`n` finished releases, oldest first, one deploy every `SPACING` back from yesterday."""
    plans: list[Plan] = []
    for k in reversed(range(n)):
        deployed = now - 24 * H - k * SPACING
        kind = rng.choices(("patch", "minor", "major"), (5, 4, 1))[0]
        p = Plan("closed", kind, deployed - rng.uniform(*LEAD_HOURS[kind]) * H, deployed=deployed)
        if plans and plans[-1].story == "incident":
            # The patch made from the previous release's incident.
            p.release_type, p.story = "patch", "fix"
            p.created = plans[-1].deployed + 2 * H
        else:
            p.story = rng.choices(
                ("", "rolled_back", "cancelled", "failed_first", "incident"), (91, 2, 2, 3, 2)
            )[0]
        _fill_times(p, rng)
        plans.append(p)
    return plans


def _fill_times(p: Plan, rng: random.Random) -> None:
    lead = p.deployed - p.created
    p.staged = p.created + lead * rng.uniform(0.15, 0.3)
    if p.story != "fix":
        p.rejected = rng.choice(sorted(LATENCY)) if rng.random() < 0.1 else ""
        p.stale = rng.random() < 0.05
    if p.story == "cancelled":
        p.stage, p.rejected = "cancelled", p.rejected or "business-analyst"
        p.cancelled, p.deployed = p.staged + (p.deployed - p.staged) * 0.8, None
        return
    p.approved = p.deployed - rng.uniform(1, 4) * H
    p.closed = p.deployed + rng.uniform(30, 60) * H
    if p.story == "rolled_back":
        p.stage, p.closed = "rolled_back", None
        p.rolled_back = p.deployed + rng.uniform(1, 6) * H


def active_plan(active: dict[str, int], now: datetime, rng: random.Random) -> list[Plan]:
    """The releases in flight: created in the last two weeks, windows in the days ahead."""
    plans = []
    for stage, count in active.items():
        for _ in range(count):
            created = now - rng.uniform(1, 14) * 24 * H
            p = Plan(stage, rng.choice(("patch", "minor", "major")), created)
            p.window = now + rng.uniform(1, 30) * 24 * H
            if stage != "planning":
                p.staged = created + (now - created) * rng.uniform(0.2, 0.5)
            if stage in ("approved", "deployed"):
                p.approved = now - rng.uniform(2, 6) * H
            if stage == "deployed":
                p.deployed = now - H
            plans.append(p)
    # A few releases in staging are blocked by a rejection (never the QA Lead's gate: those
    # are the ones the benchmark approves and revokes).
    for p in [p for p in plans if p.stage == "staging"][:3]:
        p.rejected = "business-analyst"
    return plans


@contextmanager
def given_times(model: Any, *names: str) -> Iterator[None]:
    """Let bulk_create keep the times a history has: auto_now(_add) would stamp every row now."""
    fields = [model._meta.get_field(n) for n in names]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def _releases(plans: list[Plan], users: list[Any]) -> list[Any]:
    from releases.models import Release
    from releases.models.release import version_key

    rows = []
    for i, p in enumerate(plans):
        version = f"{i // 100 + 1}.{i % 100}.0"
        last = p.closed or p.rolled_back or p.cancelled or p.deployed or p.staged or p.created
        rows.append(
            Release(
                name=f"Bench {i}",
                version=version,
                version_key=version_key(version),
                release_type=p.release_type,
                stage=p.stage,
                created_by=users[6],
                window_start=p.window or p.deployed,
                summary="Benchmark release",
                created_at=p.created,
                updated_at=last,
                staged_at=p.staged,
                approved_at=p.approved,
                deployed_at=p.deployed,
                closed_at=p.closed,
                cancelled_at=p.cancelled,
                rolled_back_at=p.rolled_back,
            )
        )
    with given_times(Release, "created_at", "updated_at"):
        return Release.objects.bulk_create(rows, batch_size=2000)


def _incident(i: int, plans: list[Plan], r: Any, good: Any, rng: random.Random) -> dict | None:
    """The incident of release `i`'s story, as Incident fields, or None."""
    p = plans[i]
    if p.story == "rolled_back" and good is not None:
        r.rolled_back_to = good
        return {
            "opened_at": p.deployed + (p.rolled_back - p.deployed) * 0.3,
            "rolled_back_to": good,
            "rolled_back_at": p.rolled_back,
            "resolved_at": p.rolled_back + rng.uniform(2, 24) * H,
        }
    if p.story == "failed_first":
        opened = p.deployed - 3 * H
        return {
            "opened_at": opened,
            "failed_deploy": True,
            "mitigated_at": opened + 0.5 * H,
            "resolved_at": p.deployed - H,
        }
    if p.story == "incident" and i + 1 < len(plans) and plans[i + 1].story == "fix":
        fix, opened = plans[i + 1].deployed, p.deployed + H
        return {
            "opened_at": opened,
            "mitigated_at": opened + rng.uniform(0.3, 0.9) * H,
            "fixed_forward_at": fix,
            "resolved_at": fix + H,
        }
    return None


def _incidents(
    plans: list[Plan], releases: list[Any], users: list[Any], rng: random.Random
) -> None:
    """Rollbacks (to the last release that stayed in production), failed first deploys, and
    incidents fixed forward by the next release."""
    from releases.models import Incident, Release

    made: list[tuple[int, Incident]] = []
    good = None  # the last release that reached production and stayed there
    for i, r in enumerate(releases):
        if fields := _incident(i, plans, r, good, rng):
            made.append((i, Incident(release=r, **fields)))
        if plans[i].stage == "closed":
            good = r
    for _, incident in made:
        incident.title, incident.opened_by, incident.state = "Bench incident", users[1], "resolved"
    with given_times(Incident, "opened_at"):
        Incident.objects.bulk_create([x for _, x in made], batch_size=2000)
    fixes = []
    for i, incident in made:
        if plans[i].story == "incident":
            releases[i + 1].fixes_incident = incident
            fixes.append(releases[i + 1])
    rolled_back = [r for r in releases if r.rolled_back_to_id]
    Release.objects.bulk_update(rolled_back, ["rolled_back_to"], batch_size=1000)
    Release.objects.bulk_update(fixes, ["fixes_incident"], batch_size=1000)


def _decide(p: Plan, now: datetime, rng: random.Random) -> None:
    """When each gate was decided (for a rejected gate still standing, when it said no)."""
    if p.stage in (*FINISHED, "approved", "deployed"):
        for key, typical in LATENCY.items():
            at = p.staged + typical * rng.uniform(0.4, 1.6) * H
            p.decided[key] = max(min(at, p.approved - H), p.staged + 0.1 * H)
        p.decided["project-manager"] = p.approved
    elif p.stage == "staging":
        p.decided["devops-engineer"] = p.staged + 2 * H
    if p.stage in ("cancelled", "staging") and p.rejected:
        end = p.cancelled or now
        p.decided[p.rejected] = p.staged + (end - p.staged) * 0.3


def _gate(p: Plan, release: Any, role: Any, holder: Any, now: datetime) -> Any:
    from signoffs.models import SignOff

    others = [at for key, at in p.decided.items() if key != "project-manager"]
    if p.staged is None:
        opened = None
    elif role.key == "project-manager":
        # The last gate opens when the six others are decided.
        opened = max(others) if len(others) == len(LATENCY) else None
    else:
        opened = p.staged
    decided = p.decided.get(role.key)
    standing_no = role.key == p.rejected and p.stage in ("cancelled", "staging")
    state = "rejected" if standing_no else "approved" if decided else "pending"
    waited = ((decided or now) - opened) / H if opened else 0
    return SignOff(
        release=release,
        role=role,
        state=state,
        opened_at=opened,
        decided_at=decided,
        decided_by=holder if decided else None,
        reminders_sent=int(waited // 24),
        escalations_sent=int(waited >= 48),
    )


def _gates(
    plans: list[Plan], releases: list[Any], roles: list[Any], users: list[Any], rng: random.Random
) -> tuple[list[Any], list[Any]]:
    from django.contrib.auth.models import Permission

    from releases.models import RoleAssignment
    from signoffs.models import SignOff, SignOffUserObjectPermission

    now = datetime.now(UTC)
    gates, assignments = [], []
    for i, (p, r) in enumerate(zip(plans, releases, strict=True)):
        _decide(p, now, rng)
        for j, role in enumerate(roles):
            holder = users[0] if role.key == "qa-lead" else users[(i + j) % len(users)]
            assignments.append(RoleAssignment(release=r, role=role, holder=holder))
            gates.append(_gate(p, r, role, holder, now))
    gates = SignOff.objects.bulk_create(gates, batch_size=5000)
    assignments = RoleAssignment.objects.bulk_create(assignments, batch_size=5000)
    sign = Permission.objects.get(codename="sign_signoff")
    SignOffUserObjectPermission.objects.bulk_create(
        [
            SignOffUserObjectPermission(user_id=a.holder_id, permission=sign, content_object=g)
            for g, a in zip(gates, assignments, strict=True)
        ],
        batch_size=5000,
    )
    return gates, assignments


def _checklists_and_handoffs(plans: list[Plan], releases: list[Any], rng: random.Random) -> None:
    from releases.models import ChecklistItem, ChecklistTemplate, Handoff, HandoffTemplate

    templates = list(ChecklistTemplate.objects.all())
    ChecklistItem.objects.bulk_create(
        [
            ChecklistItem(release=r, template=t, state="done" if p.staged else "open")
            for p, r in zip(plans, releases, strict=True)
            for t in templates
        ],
        batch_size=10000,
    )
    kinds = list(HandoffTemplate.objects.all())
    Handoff.objects.bulk_create(
        [_handoff(p, r, t, rng) for p, r in zip(plans, releases, strict=True) for t in kinds],
        batch_size=10000,
    )


def _handoff(p: Plan, release: Any, template: Any, rng: random.Random) -> Any:
    """Due by the guide's timing from the phase's start; about one in four sent late."""
    from django.conf import settings

    from releases.models import Handoff

    start = p.staged if template.phase == "pre_deploy" else p.deployed
    if start is None:
        return Handoff(release=release, template=template)
    due, overdue = settings.HANDOFF_DUE.get(template.key, (24, 48))
    handoff = Handoff(
        release=release, template=template, due_at=start + due * H, overdue_at=start + overdue * H
    )
    done = p.stage in FINISHED or (template.phase == "pre_deploy" and p.approved)
    if done:
        late = rng.random() < 0.25
        sent = (
            handoff.due_at + rng.uniform(0.5, 12) * H
            if late
            else start + due * rng.uniform(0.2, 0.95) * H
        )
        handoff.state, handoff.sent_at, handoff.acknowledged_at = "acknowledged", sent, sent + H
        handoff.decision = "proceed" if template.is_gate else ""
    return handoff


def _audit(plans: list[Plan], releases: list[Any], gates: list[Any], users: list[Any]) -> int:
    """Each release's story as audit events, in time order, hash-chained in insert order."""
    from releases import chain
    from releases.models import AuditEvent

    by_release: dict[int, list[Any]] = {}
    for g in gates:
        by_release.setdefault(g.release_id, []).append(g)
    events = []
    for p, r in zip(plans, releases, strict=True):
        story = [(p.created, "release.created", "release", "", "planning")]
        story.append((p.created + H, "release.edited", "release", "", ""))
        story += _gate_story(p, by_release[r.pk])
        actor = users[(r.pk * 7) % len(users)]
        events += [
            AuditEvent(
                release=r,
                actor=actor,
                verb=verb,
                subject=subject,
                from_state=before,
                to_state=after,
                comment="bench",
                created_at=at,
            )
            for at, verb, subject, before, after in sorted(story, key=lambda e: e[0])
        ]
    previous = chain.head()
    for event in events:
        event.chain_hash = previous = chain.event_hash(event, previous)
    AuditEvent.objects.bulk_create(events, batch_size=10000)
    return len(events)


def _gate_story(p: Plan, gates: list[Any]) -> list[tuple[datetime, str, str, str, str]]:
    """Decisions, the first "no" of a gate approved later, and approvals turned stale."""
    story = []
    stale = {"qa-lead", "ux-designer"} if p.stale else set()
    for g in gates:
        name, key = g.role.name, g.role.key
        if g.decided_at:
            verb = "gate.rejected" if g.state == "rejected" else "gate.approved"
            story.append((g.decided_at, verb, name, "pending", g.state))
        if not g.opened_at or not g.decided_at or g.state == "rejected":
            continue
        if key == p.rejected:
            story.append(
                (
                    g.opened_at + (g.decided_at - g.opened_at) / 2,
                    "gate.rejected",
                    name,
                    "pending",
                    "rejected",
                )
            )
        if key in stale:
            turned = g.opened_at + (g.decided_at - g.opened_at) * 0.6
            story.append(
                (turned - (turned - g.opened_at) / 2, "gate.approved", name, "pending", "approved")
            )
            story.append((turned, "gate.stale", name, "approved", "stale"))
    return story
