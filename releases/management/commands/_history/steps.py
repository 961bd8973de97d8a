"""One step of a release's story each: a service call as the role that takes it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from releases import services
from releases.models import ChecklistKind, HandoffDecision, Release
from signoffs import services as gate_services
from signoffs.models import SignOff

from .plan import DEVOPS, EVIDENCE, NOTES, PM, PRODUCT, REJECTABLE, H, Planned


class Steps:
    def __init__(self, users: dict[str, AbstractBaseUser]) -> None:
        self.users = users

    def _call(self, service: Callable[..., Any], p: Planned, role: str) -> None:
        service(release_id=p.pk, actor=self.users[role])

    def _create(self, p: Planned) -> None:
        release = services.release_create(
            actor=self.users[PM],
            name=p.name,
            version=p.version,
            release_type=p.release_type,
            window_start=p.deploy - 4 * H,
            window_end=p.deploy + 2 * H,
            summary=f"{p.name}: what the team finished since the last release.",
            **NOTES,
        )
        p.pk = release.pk

    def _fill_in(self, p: Planned) -> None:
        services.release_update(
            release_id=p.pk,
            actor=self.users[PM],
            data={**NOTES, "window_start": p.deploy - 4 * H, "window_end": p.deploy + 2 * H},
        )

    def _tick_pre_release(self, p: Planned) -> None:
        items = Release.objects.get(pk=p.pk).checklist.filter(template__group="pre_release")
        for item in items.select_related("template__owner"):
            services.checklist_complete(
                item_id=item.pk,
                actor=self.users[item.template.owner.key],
                evidence=EVIDENCE.get(item.template.key, ""),
            )

    def _gate(self, p: Planned, key: str) -> SignOff:
        return SignOff.objects.get(release_id=p.pk, role__key=key)

    def _approve(self, p: Planned, key: str) -> None:
        gate = self._gate(p, key)
        if gate.state != "approved":
            gate_services.gate_approve(gate_id=gate.pk, actor=self.users[key], comment="Signed.")

    def _reject(self, p: Planned, key: str) -> None:
        gate = self._gate(p, key)
        gate_services.gate_reject(gate_id=gate.pk, actor=self.users[key], reason=REJECTABLE[key])

    def _edit(self, p: Planned) -> None:
        services.release_update(
            release_id=p.pk,
            actor=self.users[PM],
            data={"known_issues": "Exports of more than 10,000 rows are slow; fixed next time."},
        )

    def _handoff(self, p: Planned, key: str) -> Any:
        return (
            Release.objects.get(pk=p.pk)
            .handoffs.select_related("template__from_role", "template__to_role")
            .get(template__key=key)
        )

    def _send(self, p: Planned, key: str) -> None:
        handoff = self._handoff(p, key)
        services.handoff_send(
            handoff_id=handoff.pk,
            actor=self.users[handoff.template.from_role.key],
            notes="All smoke tests green; no known issues." if key == "qa-to-devops" else "Done.",
        )

    def _acknowledge(self, p: Planned, key: str) -> None:
        handoff = self._handoff(p, key)
        services.handoff_acknowledge(
            handoff_id=handoff.pk, actor=self.users[handoff.template.to_role.key]
        )

    def _proceed(self, p: Planned) -> None:
        services.handoff_acknowledge(
            handoff_id=self._handoff(p, "qa-to-devops").pk,
            actor=self.users[DEVOPS],
            decision=HandoffDecision.PROCEED,
        )

    def _go(self, p: Planned) -> None:
        release = Release.objects.get(pk=p.pk)
        for item in release.checklist.filter(template__optional=True, state="open"):
            services.checklist_mark_not_applicable(
                item_id=item.pk,
                actor=self.users[item.template.owner.key],
                reason="Routine release: no window or snapshot needed.",
            )
        duty = release.duties.get(role__key=PRODUCT, phase="release_day")
        services.duty_done(duty_id=duty.pk, actor=self.users[PRODUCT], note="Go.")

    def _verify(self, p: Planned) -> None:
        release = Release.objects.get(pk=p.pk)
        items = release.checklist.filter(template__kind=ChecklistKind.MANUAL, state="open")
        for item in items.select_related("template__owner"):
            services.checklist_complete(item_id=item.pk, actor=self.users[item.template.owner.key])

    def _duties(self, p: Planned) -> None:
        release = Release.objects.get(pk=p.pk)
        for duty in release.duties.exclude(phase="pre_release").filter(state="open"):
            services.duty_done(duty_id=duty.pk, actor=self.users[duty.role.key], note="Done.")
