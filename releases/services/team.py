"""Running the team: the team-wide default holders, separation of duties and its exceptions.

Admins only (the per-release assignments are `assignments.role_assign`, which a release's
Project Manager may use too). Every change writes its audit event; a team-wide one has no
release.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from octoacme.errors import Refused
from octoacme.names import display_name

from .. import audit, lifecycle, notices, permissions, separation
from ..locks import begin_write, lock_release
from ..models import (
    ACTIVE_STAGES,
    DefaultHolder,
    DutyException,
    Release,
    Role,
    RoleAssignment,
    TeamSettings,
)
from ..text import clean_field
from .assignments import role_assign


@dataclass
class DefaultChange:
    """What `default_holder_set` did: the default, and the active releases it was applied to
    (or not, each with the reason)."""

    default: DefaultHolder
    changed: bool = False
    applied: list[Release] = field(default_factory=list)
    skipped: list[tuple[Release, str]] = field(default_factory=list)


def using_default(role: Role, holder_id: int | None, backup_id: int | None) -> QuerySet:
    """Active releases whose assignment of `role` is exactly this holder and backup."""
    return (
        RoleAssignment.objects.filter(role=role, release__stage__in=ACTIVE_STAGES)
        .filter(**_is("holder", holder_id), **_is("backup", backup_id))
        .select_related("release")
        .order_by("release_id")
    )


def _is(name: str, pk: int | None) -> dict[str, object]:
    return {f"{name}__isnull": True} if pk is None else {f"{name}_id": pk}


def _check_person(user: AbstractBaseUser | None, what: str, role_key: str) -> None:
    if user is None:
        return
    if not user.is_active:
        raise ValidationError(
            {what: f"{display_name(user)} is deactivated and cannot hold a role."}
        )
    reason = separation.default_conflict(user, role_key=role_key)
    if reason:
        raise ValidationError({what: reason})


@transaction.atomic
def default_holder_set(
    *,
    role_key: str,
    holder: AbstractBaseUser | None,
    backup: AbstractBaseUser | None = None,
    actor: AbstractBaseUser,
    apply_to_active: bool = False,
) -> DefaultChange:
    """Name the team-wide default holder and backup of a role (copied into new releases).

    `apply_to_active`: also reassign the role on every active release that still has the old
    default (same holder and backup), each through `role_assign` with its own audit event and
    notices. A release where that is refused (separation of duties there, say) keeps its
    holders and is listed in `skipped` with the reason.
    """
    permissions.require_run_team(actor)
    role = Role.objects.filter(key=role_key).first()
    if role is None:
        raise ValidationError({"role": f"Unknown role “{role_key}”."})
    begin_write()  # the chain's lock before the default's row lock (releases.locks)
    default, _ = DefaultHolder.objects.get_or_create(role=role)
    default = (
        DefaultHolder.objects.select_for_update(of=("self",))
        .select_related("holder", "backup")
        .get(pk=default.pk)
    )
    if holder is None and backup is not None:
        raise ValidationError({"holder": "Name a holder before naming a backup."})
    if holder is not None and backup is not None and holder.pk == backup.pk:
        raise ValidationError({"backup": "The backup must be someone other than the holder."})
    was = (default.holder_id, default.backup_id)
    now = (holder.pk if holder else None, backup.pk if backup else None)
    result = DefaultChange(default=default)
    if was == now:
        return result
    for what, user in (("holder", holder), ("backup", backup)):
        if user is not None and user.pk not in was:
            _check_person(user, what, role_key)
    old_holder, old_backup = default.holder, default.backup
    # Read before the default changes: "still uses the old default" is about the old one.
    targets = list(using_default(role, *was)) if apply_to_active else []
    default.holder, default.backup = holder, backup
    default.save(update_fields=["holder", "backup"])
    result.changed = True
    for assignment in targets:
        try:
            with transaction.atomic():
                role_assign(
                    release_id=assignment.release_id,
                    role_key=role_key,
                    holder=holder,
                    backup=backup,
                    actor=actor,
                )
        except (ValidationError, Refused) as exc:
            reason = " ".join(exc.messages) if isinstance(exc, ValidationError) else exc.message
            result.skipped.append((assignment.release, reason))
        else:
            result.applied.append(assignment.release)
    comment = (
        f"Holder: {display_name(holder)} (was {display_name(old_holder)}); "
        f"backup: {display_name(backup)} (was {display_name(old_backup)})."
    )
    if apply_to_active:
        comment += f" Applied to {len(result.applied)} active release(s)"
        comment += f", not to {len(result.skipped)}." if result.skipped else "."
    event = audit.record(
        release=None,
        actor=actor,
        verb="default_holder.changed",
        subject=role.name,
        comment=comment,
    )
    notices.default_holder_named(
        role,
        holder=holder if holder is not None and holder.pk not in was else None,
        backup=backup if backup is not None and backup.pk not in was else None,
        event=event,
    )
    return result


@transaction.atomic
def separation_set(*, enabled: bool, actor: AbstractBaseUser) -> TeamSettings:
    """Switch separation of duties on or off for the whole team.

    Switching it on changes no existing assignment: the rule applies to each change from then
    on, and a new release whose defaults give one person two roles leaves the second unheld.
    """
    permissions.require_run_team(actor)
    TeamSettings.load()
    begin_write()
    team = TeamSettings.objects.select_for_update().get(pk=1)
    if team.separate_duties == enabled:
        return team
    team.separate_duties = enabled
    team.save(update_fields=["separate_duties"])
    audit.record(
        release=None,
        actor=actor,
        verb="team.separation_changed",
        subject="separation of duties",
        from_state="on" if not enabled else "off",
        to_state="on" if enabled else "off",
    )
    return team


@transaction.atomic
def duty_exception_record(
    *, release_id: int, person: AbstractBaseUser, reason: str, actor: AbstractBaseUser
) -> DutyException:
    """An admin lets `person` hold more than one role on one release, with a reason."""
    permissions.require_run_team(actor)
    release = lock_release(release_id)
    lifecycle.require_stage(lifecycle.ASSIGNABLE_STAGES, release.stage, "record an exception")
    reason = clean_field(
        reason, field="reason", label="A reason for the exception", required=True, max_length=500
    )
    if not person.is_active:
        raise ValidationError({"person": f"{display_name(person)} is deactivated."})
    if DutyException.objects.filter(release=release, person=person).exists():
        raise ValidationError(
            {"person": f"{display_name(person)} already has an exception on this release."}
        )
    exception = DutyException.objects.create(
        release=release, person=person, reason=reason, created_by=actor
    )
    audit.record(
        release=release,
        actor=actor,
        verb="duty_exception.recorded",
        subject=display_name(person),
        comment=reason,
    )
    return exception
