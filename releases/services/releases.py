"""A release's own life: create, edit, stage, close, cancel (the deploy is in `deploy`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from octoacme.errors import Refused
from signoffs import permissions as gate_permissions
from signoffs import services as gate_services
from signoffs.models import SignOff
from signoffs.selectors import says_proceed

from .. import audit, lifecycle, notices, permissions, separation, versions
from ..changes import changed_fields, check_lines, edit_token, normalize
from ..locks import lock_release
from ..models import (
    ChecklistItem,
    ChecklistPhase,
    ChecklistState,
    ChecklistTemplate,
    DefaultHolder,
    Handoff,
    HandoffTemplate,
    Release,
    Role,
    RoleAssignment,
    Stage,
)
from ..text import clean_field
from .checklist import reopen_emptied
from .duties import create_duties
from .handoffs import set_due_times
from .policies import gate_terms

STAGING_ITEM = "deploy-to-staging"


@transaction.atomic
def release_create(*, actor: AbstractBaseUser, **fields: Any) -> Release:
    """Create a release with its seven gates, checklist and hand-offs; copy default holders."""
    permissions.require_create_release(actor)
    return create_release(actor=actor, fields=fields)


def create_release(*, actor: AbstractBaseUser, fields: dict[str, Any], **links: Any) -> Release:
    """`release_create` without the check of who may create releases, for a caller whose own
    verdict already allowed it (a fix-forward patch); `links` sets non-editable fields
    (`fixes_incident`). Runs inside the caller's transaction."""
    unknown = set(fields) - set(Release.EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown release fields: {', '.join(sorted(unknown))}.")
    check_lines(fields)
    release = Release(created_by=actor, stage=Stage.PLANNING, **normalize(fields), **links)
    release.full_clean(validate_constraints=False)
    versions.validate_change(None, version=release.version, release_type=release.release_type)
    release.validate_constraints()
    _save_version_safely(release)

    roles = list(Role.objects.all())
    defaults = {d.role_id: d for d in DefaultHolder.objects.all()}
    # The type's policy as it stands now: later edits of it leave this release's gates alone.
    retroactive = gate_terms(release.release_type)
    SignOff.objects.bulk_create(
        SignOff(
            release=release,
            role=role,
            retroactive=role.pk in retroactive,
            retroactive_hours=retroactive.get(role.pk),
        )
        for role in roles
    )
    ChecklistItem.objects.bulk_create(
        ChecklistItem(release=release, template=t) for t in ChecklistTemplate.objects.all()
    )
    Handoff.objects.bulk_create(
        Handoff(release=release, template=t) for t in HandoffTemplate.objects.all()
    )
    create_duties(release, roles)
    audit.record(
        release=release,
        actor=actor,
        verb="release.created",
        subject="release",
        to_state=Stage.PLANNING,
        comment=f"{release.name} {release.version}",
    )
    gates = {g.role_id: g for g in SignOff.objects.filter(release=release)}
    # The default-holder service refuses defaults that give one person two roles while
    # separation of duties is on; defaults set before it was switched on still might. Such a
    # person keeps the first role in the guide's order, and the other stays unassigned (the
    # release page lists it as a role without a holder) with the reason in the audit trail.
    separate = separation.enforced()
    placed: dict[int, Role] = {}
    release.left_unassigned = []
    for role in roles:
        default = defaults.get(role.pk)
        people = {}
        for field in ("holder", "backup"):
            user = getattr(default, field) if default else None
            if not _active(user):
                continue
            if separate and user.pk in placed:
                reason = separation.refusal(user, placed[user.pk])
                release.left_unassigned.append(f"{role.name} {field}: {reason}")
                continue
            people[field] = user
        RoleAssignment.objects.create(release=release, role=role, **people)
        for user in people.values():
            placed.setdefault(user.pk, role)
            gate_permissions.grant_sign(user, gates[role.pk])
    if release.left_unassigned:
        audit.record(
            release=release,
            actor=actor,
            verb="role.left_unassigned",
            subject="separation of duties",
            comment=" ".join(release.left_unassigned),
        )
    return release


def _save_version_safely(release: Release, **kwargs: Any) -> None:
    """Save; a concurrent save of the same version loses with a message, not a 500."""
    try:
        with transaction.atomic():
            release.save(**kwargs)
    except IntegrityError as exc:
        if "release_version_unique_unless_cancelled" not in str(exc):
            raise
        raise ValidationError(
            {"version": f"Another release already has version {release.version}."}
        ) from exc


def _active(user: AbstractBaseUser | None) -> bool:
    return user is not None and user.is_active


@transaction.atomic
def release_update(
    *, release_id: int, actor: AbstractBaseUser, data: dict[str, Any], seen: str = ""
) -> list[str]:
    """Edit a release; a change of scope turns every approval stale. Returns the changed fields.

    `seen` is the release's `edit_token` when the form was drawn: a form older than the last
    change is refused rather than silently overwriting someone else's edit.
    """
    release = lock_release(release_id)
    lifecycle.require_release_action(actor, release, "edit")
    if seen and seen != edit_token(release):
        raise Refused(
            "Someone changed this release while you were editing it. "
            "Reload the page to see their change, then edit again."
        )
    unknown = set(data) - set(Release.EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"These fields cannot be edited: {', '.join(sorted(unknown))}.")
    check_lines(data, release)
    new = changed_fields(release, data)
    if not new:
        return []
    changed = list(new)
    if {"version", "release_type"} & set(changed):
        versions.validate_change(
            release,
            version=new.get("version", release.version),
            release_type=new.get("release_type", release.release_type),
        )
    for field in changed:
        setattr(release, field, new[field])
    release.full_clean(validate_constraints=False)
    release.validate_constraints()
    _save_version_safely(release, update_fields=[*changed, "updated_at"])
    labels = [str(Release._meta.get_field(f).verbose_name) for f in changed]
    audit.record(
        release=release,
        actor=actor,
        verb="release.edited",
        subject="release",
        comment="Changed: " + ", ".join(labels) + ".",
    )
    # A tick backed by a field the edit emptied no longer says anything: it reopens.
    reopen_emptied(release, changed, actor=actor)
    scope = [
        str(Release._meta.get_field(f).verbose_name) for f in changed if f in Release.SCOPE_FIELDS
    ]
    if scope:
        gate_services.mark_stale(release, actor=actor, now=timezone.now(), changed=scope)
    return changed


@transaction.atomic
def release_move_to_staging(*, release_id: int, actor: AbstractBaseUser) -> Release:
    """Deployed to staging, smoke tests ran: needs every pre-release requirement and holder."""
    release = lock_release(release_id)
    lifecycle.require_release_action(actor, release, "stage")
    # What the page lists before the click: pre-release requirements open, roles unheld.
    lifecycle.readiness.require_ready(
        release, lifecycle.readiness.load(release), says_proceed=says_proceed
    )
    now = timezone.now()
    event = lifecycle.move(
        release, "stage", actor=actor, now=now, comment="Deployed to staging and smoke tests ran."
    )
    _tick_event_item(release, STAGING_ITEM, actor=actor, now=now)
    # The QA Lead's hand-off to DevOps falls due from the start of sign-off.
    set_due_times(release, ChecklistPhase.PRE_DEPLOY, now=now)
    gate_services.open_gates(release, actor=actor, now=now, event=event)
    return release


def _tick_event_item(release: Release, key: str, *, actor: AbstractBaseUser, now: datetime) -> None:
    release.checklist.filter(template__key=key).update(
        state=ChecklistState.DONE, done_by=actor, done_at=now
    )


@transaction.atomic
def release_close(*, release_id: int, actor: AbstractBaseUser) -> Release:
    """The Project Manager closes a deployed release once its post-release work is done."""
    release = lock_release(release_id)
    lifecycle.require_release_action(actor, release, "close")
    # The page's list of what is left (items, hand-offs, duties, incidents, action items).
    lifecycle.readiness.require_ready(
        release, lifecycle.readiness.load(release), says_proceed=says_proceed
    )
    lifecycle.move(release, "close", actor=actor, now=timezone.now())
    return release


@transaction.atomic
def release_cancel(*, release_id: int, actor: AbstractBaseUser, reason: str) -> Release:
    release = lock_release(release_id)
    lifecycle.require_release_action(actor, release, "cancel")
    reason = clean_field(
        reason, field="reason", label="A reason for cancelling", required=True, max_length=5000
    )
    was = release.stage
    event = lifecycle.move(release, "cancel", actor=actor, now=timezone.now(), comment=reason)
    notices.release_cancelled(release, event, was=was)
    return release
