"""Who holds which role on a release; the gate permission and the notices follow."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from octoacme.names import display_name
from signoffs import permissions as gate_permissions
from signoffs import services as gate_services
from signoffs.models import SignOff

from .. import audit, lifecycle, notices, permissions, separation
from ..locks import lock_release
from ..models import (
    RoleAssignment,
)


@transaction.atomic
def role_assign(
    *,
    release_id: int,
    role_key: str,
    holder: AbstractBaseUser | None,
    backup: AbstractBaseUser | None = None,
    actor: AbstractBaseUser,
) -> RoleAssignment:
    """Set who holds a role on a release (None unassigns); the gate permission follows.

    Admins on any release, the release's Project Manager on theirs; separation of duties
    refuses a person who already holds another role on the release (unless excepted).
    """
    release = lock_release(release_id)
    permissions.require_manage_assignments(actor, release)
    lifecycle.require_stage(lifecycle.ASSIGNABLE_STAGES, release.stage, "change role holders")
    try:
        assignment = (
            RoleAssignment.objects.select_for_update(of=("self",))
            .select_related("role", "holder", "backup")
            .get(release=release, role__key=role_key)
        )
    except RoleAssignment.DoesNotExist:
        raise ValidationError({"role": f"Unknown role “{role_key}”."}) from None
    if holder is None and backup is not None:
        raise ValidationError({"holder": "Name a holder before naming a backup."})
    if holder is not None and backup is not None and holder.pk == backup.pk:
        raise ValidationError({"backup": "The backup must be someone other than the holder."})
    for field, user in (("holder", holder), ("backup", backup)):
        if user is not None and not user.is_active:
            raise ValidationError({field: f"{user} is deactivated and cannot hold a role."})
        # Only people new to this role: a conflict that predates the rule (or an exception
        # since withdrawn) does not stop an unrelated edit of the same row.
        if user is not None and user.pk not in (assignment.holder_id, assignment.backup_id):
            reason = separation.conflict(user, release, role_key=role_key)
            if reason:
                raise ValidationError({field: reason})
    old = {u.pk: u for u in (assignment.holder, assignment.backup) if u is not None}
    new = {u.pk: u for u in (holder, backup) if u is not None}
    if (assignment.holder_id, assignment.backup_id) == (
        holder.pk if holder else None,
        backup.pk if backup else None,
    ):
        return assignment
    gate = (
        SignOff.objects.select_for_update(of=("self",))
        .select_related("role", "decided_by")
        .get(release=release, role=assignment.role)
    )
    for pk in old.keys() - new.keys():
        gate_permissions.revoke_sign(old[pk], gate)
    for pk in new.keys() - old.keys():
        gate_permissions.grant_sign(new[pk], gate)
    comment = (
        f"Holder: {display_name(holder)} (was {display_name(assignment.holder)}); "
        f"backup: {display_name(backup)} (was {display_name(assignment.backup)})."
    )
    assignment.holder, assignment.backup = holder, backup
    assignment.save(update_fields=["holder", "backup"])
    event = audit.record(
        release=release,
        actor=actor,
        verb="role.assigned",
        subject=assignment.role.name,
        comment=comment,
    )
    gate_services.reassigned(release, gate, actor=actor, now=timezone.now(), holders=set(new))
    notices.role_changed(
        release,
        gate,
        added=[new[pk] for pk in new.keys() - old.keys()],
        removed=[old[pk] for pk in old.keys() - new.keys()],
        event=event,
        backups=[backup.pk] if backup is not None else [],
    )
    return assignment
