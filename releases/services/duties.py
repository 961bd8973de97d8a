"""Each role's duties on a release, as to-dos: created with the release, announced at the
production deploy, marked done by the role's holder (or backup) with an optional note.

Pre-release duties are confirmed by approving the role's gate (`signoffs.services.duties`);
the Product Manager's release-day duty is the final release decision, recorded on the approved
release, and the production deploy waits for it.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from .. import audit, lifecycle, notices, permissions
from ..locks import lock_child
from ..models import (
    DUTY_FIELDS,
    AuditEvent,
    Duty,
    DutyPhase,
    DutyState,
    Release,
    Role,
    RoleKey,
)
from ..text import clean_field

MAX_NOTE = 5000
# Phases announced at the production deploy.
ANNOUNCED_PHASES = (DutyPhase.RELEASE_DAY, DutyPhase.POST_RELEASE)


def create_duties(release: Release, roles: list[Role]) -> None:
    """Each role's three duties, with the role's text as it is today (what people are asked)."""
    Duty.objects.bulk_create(
        Duty(release=release, role=role, phase=phase, text=getattr(role, field))
        for role in roles
        for phase, field in DUTY_FIELDS.items()
    )


def is_final_decision(duty: Duty) -> bool:
    return duty.phase == DutyPhase.RELEASE_DAY and duty.role.key == RoleKey.PRODUCT_MANAGER


@transaction.atomic
def duty_done(*, duty_id: int, actor: AbstractBaseUser, note: str = "") -> Duty:
    """The role's holder or backup marks a release-day or post-release duty done (the Product
    Manager's final release decision on the approved release, the others once deployed)."""
    release, duty = lock_child(Duty, duty_id, what="duty", related=("role",))
    held = permissions.held_role_keys(actor, release)
    lifecycle.require(lifecycle.duty_actions(duty, stage=release.stage, held=held)["done"])
    note = clean_field(note, field="note", label="The note", required=False, max_length=MAX_NOTE)
    duty.state, duty.done_by, duty.done_at, duty.note = (
        DutyState.DONE,
        actor,
        timezone.now(),
        note,
    )
    duty.save(update_fields=["state", "done_by", "done_at", "note"])
    final = is_final_decision(duty)
    event = audit.record(
        release=release,
        actor=actor,
        on_behalf_of=permissions.acting_for(actor, release, [duty.role.key]),
        verb="duty.done",
        subject=f"{duty.role.name}: {duty.text}",
        from_state=DutyState.OPEN,
        to_state=DutyState.DONE,
        comment=("Final release decision recorded. " if final else "") + note,
    )
    if final:
        notices.final_decision_recorded(release, duty, event)
    return duty


def announce_duties(release: Release, *, event: AuditEvent, now: datetime) -> None:
    """At the production deploy (caller holds the lock): every role holder and backup gets one
    email with their release-day and post-release duties and the release notes."""
    duties = list(
        release.duties.filter(phase__in=ANNOUNCED_PHASES)
        .select_related("role", "done_by")
        .order_by("role__position", "phase")
    )
    release.duties.filter(phase__in=ANNOUNCED_PHASES, announced_at__isnull=True).update(
        announced_at=now
    )
    notices.release_deployed(release, event, duties)
