"""Every action x every actor kind x every stage, through the HTTP layer: 0 mismatches."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from releases import services, versions
from releases.changes import edit_token
from releases.models import (
    ActionItem,
    AuditEvent,
    DefaultHolder,
    Delegation,
    DeployOverride,
    DutyException,
    Freeze,
    Incident,
    Release,
    ReleasePolicy,
    RoleKey,
    TeamSettings,
)
from signoffs import services as gate_services
from signoffs.models import SignOff

from .matrix import KINDS, MATRIX, STAGES, Action, expected
from .report import add, record

pytestmark = pytest.mark.django_db
QA, DEVOPS, BA, UX, CSM, PROD, PM = RoleKey.values


def _gate(r: Release) -> SignOff:
    return r.signoffs.get(role__key=QA)


def _item(key: str) -> Any:
    return lambda r: r.checklist.get(template__key=key)


def _qa_handoff(r: Release) -> Any:
    return r.handoffs.get(template__key="qa-to-devops")


def _incident(r: Release) -> Incident:
    # Where no incident could exist, one is placed directly: the action must still refuse.
    return r.incidents.order_by("id").first() or Incident.objects.create(
        release=r, title="Matrix", opened_by=r.created_by
    )


# Steps that need service restored first (a mitigation, placed directly), or the incident
# resolved as well (its review closes after that).
RESTORED = {"resolve incident", "close incident review"}
INCIDENT_STEPS = {
    "mitigate incident": ("incident-mitigate", {"mitigation": "Matrix"}),
    "resolve incident": ("incident-resolve", {"root_cause": "Matrix"}),
    "close incident review": ("incident-close-review", {}),
}


def _try(fn: Any) -> None:
    """Set-up that only makes sense in some stages; elsewhere the state stays as it is."""
    try:
        with transaction.atomic():
            fn()
    except Exception:
        pass


def prepare(action: str, r: Release, crew: Any) -> None:
    t = crew.team
    if action == "revoke approval" and r.stage == "staging":
        _try(lambda: gate_services.gate_approve(gate_id=_gate(r).pk, actor=t[QA]))
    elif action == "move to staging":
        crew.build.pre_release_done(r) if r.stage == "planning" else None
    elif action == "record deploy":
        for item in r.checklist.filter(template__optional=True, state="open"):
            _try(
                lambda i=item: services.checklist_mark_not_applicable(
                    item_id=i.pk, actor=t[i.template.owner.key], reason="n/a"
                )
            )
        _try(lambda: crew.build.final_decision(r))  # the Product Manager's, before the deploy
    elif action == "close" and r.stage == "deployed":
        crew.build.post_release_done(r)
    elif action == "reopen checklist item" and r.stage == "planning":
        services.checklist_complete(item_id=_item("smoke-tests")(r).pk, actor=t[QA])
    elif action in RESTORED:
        now = timezone.now()
        Incident.objects.filter(pk=_incident(r).pk).update(mitigated_at=now)
        if action == "close incident review":
            Incident.objects.filter(pk=_incident(r).pk).update(state="resolved", resolved_at=now)
    elif action == "end freeze":
        Freeze.objects.create(
            reason="Matrix",
            starts_at=timezone.now() + timedelta(days=30),
            ends_at=timezone.now() + timedelta(days=31),
        )
    elif action == "cancel delegation":
        now = timezone.now()
        Delegation.objects.create(
            person=_pm(r),
            delegate=_stand_in("matrix-target"),
            starts_at=now + timedelta(days=60),
            ends_at=now + timedelta(days=67),
        )
    elif action == "acknowledge QA hand-off" and r.stage == "staging":
        # The QA Lead has sent it; the DevOps Engineer's answer is what the matrix tries.
        services.handoff_send(handoff_id=_qa_handoff(r).pk, actor=t[QA], notes="Matrix")


def target_of(action: str, r: Release) -> Any:
    if action in {"approve gate", "reject gate", "revoke approval"}:
        return _gate(r)
    if action in {"tick checklist item", "reopen checklist item"}:
        return _item("smoke-tests")(r)
    if action == "mark item not applicable":
        return _item("backup-snapshot")(r)
    if action in {"send QA hand-off", "acknowledge QA hand-off"}:
        return _qa_handoff(r)
    if action in {"record rollback", "fix forward", "add action item", *INCIDENT_STEPS}:
        return _incident(r)
    return r


def post(action: str, client: Client, r: Release) -> tuple[Any, Any]:
    """Send the action's request; return the response and the object it targets."""
    if action in {"approve gate", "reject gate", "revoke approval"}:
        gate = _gate(r)
        verb = {"approve gate": "approve", "reject gate": "reject", "revoke approval": "revoke"}
        url = reverse("gate-decide", args=[gate.pk, verb[action]])
        return client.post(url, {"revision": gate.revision, "comment": "Matrix"}), gate
    simple = {"move to staging": "stage", "record deploy": "deploy", "close": "close"}
    if action in simple:
        return client.post(reverse("release-action", args=[r.pk, simple[action]])), r
    if action == "cancel":
        return client.post(
            reverse("release-action", args=[r.pk, "cancel"]), {"reason": "Matrix"}
        ), r
    if action == "edit release":
        # Every field as it is, but the name (not scope): no approval turns stale.
        data = {f: getattr(r, f) or "" for f in Release.EDITABLE_FIELDS}
        data.update(name="Edited by matrix", seen=edit_token(r))
        return client.post(reverse("release-edit", args=[r.pk]), data), r
    items = {
        "tick checklist item": ("smoke-tests", "done"),
        "mark item not applicable": ("backup-snapshot", "na"),
        "reopen checklist item": ("smoke-tests", "reopen"),
    }
    if action in items:
        key, verb = items[action]
        item = _item(key)(r)
        return client.post(
            reverse("checklist-action", args=[item.pk, verb]), {"reason": "Matrix"}
        ), item
    if action == "send QA hand-off":
        h = _qa_handoff(r)
        return client.post(reverse("handoff-send", args=[h.pk]), {"notes": "Matrix"}), h
    if action == "acknowledge QA hand-off":
        h = _qa_handoff(r)
        # A hold: possible whether the hand-off says nothing yet (staging) or "proceed"
        # (approved), and it changes the hand-off either way.
        return client.post(
            reverse("handoff-ack", args=[h.pk]), {"decision": "hold", "response": "Matrix"}
        ), h
    if action == "open incident":
        return client.post(
            reverse("incident-open", args=[r.pk]), {"title": "Matrix", "severity": "minor"}
        ), r
    if action == "record rollback":
        i = _incident(r)
        return client.post(reverse("incident-rollback", args=[i.pk])), i
    if action in INCIDENT_STEPS:
        i = _incident(r)
        name, data = INCIDENT_STEPS[action]
        return client.post(reverse(name, args=[i.pk]), data), i
    if action == "record failed deploy":
        return client.post(
            reverse("release-failed-deploy", args=[r.pk]),
            {"what_failed": "Matrix", "severity": "major"},
        ), r
    if action == "fix forward":
        i = _incident(r)
        return client.post(
            reverse("incident-fix-forward", args=[i.pk]),
            {"name": "Matrix patch", "version": versions.suggest(release_type="patch")},
        ), i
    if action == "add action item":
        i = _incident(r)
        return client.post(
            reverse("action-item-add", args=[i.pk]),
            {"text": "Matrix", "owner_id": r.created_by_id, "due_on": timezone.localdate()},
        ), i
    if action in TEAM_ACTIONS:
        return TEAM_ACTIONS[action](client, r), r
    if action in FREEZE_ACTIONS:
        return FREEZE_ACTIONS[action](client, r), r
    assert action == "create release"
    return client.post(
        reverse("release-create"),
        {"name": "Made by matrix", "version": "9.0.0", "release_type": "major"},
    ), r


def _plain() -> Any:
    # Holds nothing anywhere, so separation of duties never stands in the way.
    return get_user_model().objects.get(username="plain")


# The Team page's actions (#14): each posts a change that the watched value shows.
TEAM_ACTIONS = {
    "assign role": lambda c, r: c.post(
        reverse("team-assign", args=[r.pk, UX]), {"holder": _plain().pk}
    ),
    "change default holder": lambda c, r: c.post(
        reverse("team-default-set", args=[UX]), {"holder": _plain().pk}
    ),
    "switch separation of duties": lambda c, r: c.post(reverse("team-separation-set"), {}),
    "record duty exception": lambda c, r: c.post(
        reverse("team-exception-record", args=[r.pk]),
        {"person": r.assignments.get(role__key=QA).holder_id, "reason": "Matrix"},
    ),
    "delegate own roles": lambda c, r: c.post(reverse("my-delegations"), _delegation_form()),
    "delegate someone's roles": lambda c, r: c.post(
        reverse("team-delegations"), {**_delegation_form(), "person": _pm(r).pk}
    ),
    "cancel delegation": lambda c, r: c.post(
        reverse("delegation-cancel", args=[_pm_delegation(r).pk])
    ),
    "set release policy": lambda c, r: c.post(
        reverse("team-policy-set", args=["patch"]),
        {
            "rule": "expedited",
            "name": "Matrix",
            "before_deploy": [QA, DEVOPS, PM],
            "retroactive_hours": "48",
        },
    ),
}


# Deploy freezes and overrides (#14): "end freeze" ends the one `prepare` placed.
FREEZE_ACTIONS = {
    "create freeze": lambda c, r: c.post(
        reverse("freeze-create"),
        {
            "reason": "Matrix",
            "kind": "one_off",
            "time_zone": "UTC",
            "starts_at": "2030-01-01T00:00",
            "ends_at": "2030-01-02T00:00",
        },
    ),
    "end freeze": lambda c, r: c.post(
        reverse("freeze-end", args=[Freeze.objects.get(reason="Matrix").pk])
    ),
    "record deploy override": lambda c, r: c.post(
        reverse("deploy-override", args=[r.pk]), {"reason": "Matrix"}
    ),
}


def _stand_in(name: str) -> Any:
    """A user no matrix kind is: the delegate of the "delegate" kind, or whom one delegates to."""
    return get_user_model().objects.get_or_create(username=name)[0]


def _delegation_form() -> dict[str, object]:
    start = timezone.localtime() + timedelta(days=30)
    return {
        "delegate": _stand_in("matrix-target").pk,
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
    }


def _pm(r: Release) -> Any:
    return r.assignments.get(role__key=PM).holder


def _pm_delegation(r: Release) -> Delegation:
    return Delegation.objects.get(person=_pm(r), delegate__username="matrix-target")


def _delegate_for(person: Any) -> Any:
    """The "delegate" kind: a stand-in the person delegated to, in force now (set up directly,
    without an audit event, and rolled back with the case)."""
    now = timezone.now()
    stand_in = _stand_in("matrix-delegate")
    Delegation.objects.create(
        person=person,
        delegate=stand_in,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=7),
    )
    return stand_in


def watched(action: str, r: Release, target: Any) -> object:
    """The value the action should change, read fresh from the database."""
    if action in {"delegate own roles", "delegate someone's roles"}:
        return Delegation.objects.filter(delegate__username="matrix-target").count()
    if action == "cancel delegation":
        return _pm_delegation(r).cancelled_at
    if action in {"create freeze", "end freeze"}:
        return Freeze.objects.filter(active=True).count()
    if action == "record deploy override":
        return DeployOverride.objects.filter(release=r).count()
    if action == "assign role":
        return r.assignments.get(role__key=UX).holder_id
    if action == "change default holder":
        return DefaultHolder.objects.get(role__key=UX).holder_id
    if action == "switch separation of duties":
        return TeamSettings.load().separate_duties
    if action == "record duty exception":
        return DutyException.objects.filter(release=r).count()
    if action == "set release policy":
        return ReleasePolicy.objects.filter(release_type="patch").count()
    if action == "create release":
        return Release.objects.filter(name="Made by matrix").count()
    if action in {"edit release"}:
        return Release.objects.get(pk=r.pk).name
    if action in {"open incident", "record failed deploy"}:
        return r.incidents.count()
    if action == "mitigate incident":
        return Incident.objects.get(pk=target.pk).mitigated_at
    if action == "fix forward":
        return Release.objects.filter(fixes_incident=target).count()
    if action == "add action item":
        return ActionItem.objects.filter(incident=target).count()
    if action == "close incident review":
        return Incident.objects.get(pk=target.pk).review_closed_at
    if action == "acknowledge QA hand-off":
        return type(target).objects.get(pk=target.pk).decision
    if action in {"move to staging", "record deploy", "close", "cancel", "record rollback"}:
        return Release.objects.get(pk=r.pk).stage
    return type(target).objects.get(pk=target.pk).state


def actor(kind: str, action: Action, crew: Any) -> Any:
    t = crew.team
    return {
        "holder": t[action.role],
        "backup": crew.backups[action.role],
        "other_role": t[UX if action.role != UX else BA],
        "product_manager": t[PROD],
        "project_manager": t[PM],
        "admin": t.admin,
        "plain": t.outsider,
        "delegate": _delegate_for(t[action.role]) if kind == "delegate" else None,
        "anonymous": None,
    }[kind]


def observe(response: Any, events_before: int, changed: bool) -> str:
    if response.status_code >= 500:
        return "server error"
    if response.status_code == 302 and response["Location"].startswith(reverse("login")):
        return "sign-in" if not changed else "changed after sign-in redirect"
    if response.status_code == 403:
        return "forbidden" if not changed else "changed despite 403"
    grew = AuditEvent.objects.count() > events_before
    if changed and grew:
        return "done"
    if not changed and not grew and response.status_code in (200, 302):
        return "refused"
    return f"inconsistent (status {response.status_code}, changed={changed}, audit={grew})"


@pytest.mark.parametrize("stage", STAGES)
def test_the_permission_matrix_holds_over_http(crew, stage):
    release = crew.stage(stage)
    client = Client()
    mismatches = []
    for action in MATRIX:
        for kind in KINDS:
            with transaction.atomic():
                r = Release.objects.get(pk=release.pk)
                prepare(action.name, r, crew)
                user = actor(kind, action, crew)
                client.logout()
                if user is not None:
                    client.force_login(user)
                events = AuditEvent.objects.count()
                before = watched(action.name, r, target_of(action.name, r))
                response, target = post(action.name, client, r)
                changed = watched(action.name, r, target) != before
                got = observe(response, events, changed)
                want = expected(action, kind, stage)
                add("Permission matrix", "cases run")
                add("Permission matrix", f"expected {want}")
                if got != want:
                    mismatches.append(f"{action.name} / {kind} / {stage}: want {want}, got {got}")
                transaction.set_rollback(True)
    add("Permission matrix", "mismatches", len(mismatches))
    record(
        "Permission matrix",
        actions=len(MATRIX),
        **{"actor kinds": len(KINDS), "stages": len(STAGES)},
    )
    assert not mismatches, "\n".join(mismatches)
