"""Every change of state of a release, its roles, checklist, hand-offs and incidents.

Each function takes keyword arguments and the acting user, runs in one transaction, locks the
release row before touching anything of it (one lock order for the whole app, so two people
acting at once queue and the second sees the first's result), refuses what the lifecycle or
the guide's rules do not allow, and writes its audit event in the same transaction.

Raises: `PermissionDenied` (not yours to do), `ValidationError` (bad input),
`Refused` (not possible in the current state).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from signoffs import permissions as gate_permissions
from signoffs import services as gate_services
from signoffs.models import GateState, SignOff

from . import audit, lifecycle, notices, permissions, versions
from .errors import Refused
from .models import (
    ChecklistGroup,
    ChecklistItem,
    ChecklistKind,
    ChecklistPhase,
    ChecklistState,
    ChecklistTemplate,
    DefaultHolder,
    FollowUp,
    FollowUpKind,
    Handoff,
    HandoffDecision,
    HandoffState,
    HandoffTemplate,
    Incident,
    IncidentState,
    Release,
    Role,
    RoleAssignment,
    Severity,
    Stage,
)
from .text import clean_line, clean_text, clean_value

User = get_user_model()

STAGING_ITEM = "deploy-to-staging"
PRODUCTION_ITEM = "deploy-to-production"


def _lock_release(release_id: int) -> Release:
    try:
        return Release.objects.select_for_update(of=("self",)).get(pk=release_id)
    except Release.DoesNotExist:
        raise Refused("This release does not exist.") from None


def _text(value: str | None, *, field: str, label: str, required: bool, max_length: int) -> str:
    value = clean_text(value)
    if required and not value:
        raise ValidationError({field: f"{label} is required."})
    if len(value) > max_length:
        raise ValidationError({field: f"{label} must be at most {max_length} characters."})
    return value


# --- Releases -------------------------------------------------------------------------------


@transaction.atomic
def release_create(*, actor: AbstractBaseUser, **fields: Any) -> Release:
    """Create a release with its seven gates, checklist and hand-offs; copy default holders."""
    permissions.require_create_release(actor)
    unknown = set(fields) - set(Release.EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown release fields: {', '.join(sorted(unknown))}.")
    release = Release(created_by=actor, stage=Stage.PLANNING, **normalize(fields))
    release.full_clean(validate_constraints=False)
    versions.validate_change(None, version=release.version, release_type=release.release_type)
    release.validate_constraints()
    _save_version_safely(release)

    roles = list(Role.objects.all())
    defaults = {d.role_id: d for d in DefaultHolder.objects.all()}
    SignOff.objects.bulk_create(SignOff(release=release, role=role) for role in roles)
    ChecklistItem.objects.bulk_create(
        ChecklistItem(release=release, template=t) for t in ChecklistTemplate.objects.all()
    )
    Handoff.objects.bulk_create(
        Handoff(release=release, template=t) for t in HandoffTemplate.objects.all()
    )
    audit.record(
        release=release,
        actor=actor,
        verb="release.created",
        subject="release",
        to_state=Stage.PLANNING,
        comment=f"{release.name} {release.version}",
    )
    gates = {g.role_id: g for g in SignOff.objects.filter(release=release)}
    for role in roles:
        default = defaults.get(role.pk)
        assignment = RoleAssignment.objects.create(
            release=release,
            role=role,
            holder=default.holder if default and _active(default.holder) else None,
            backup=default.backup if default and _active(default.backup) else None,
        )
        for user in (assignment.holder, assignment.backup):
            if user is not None:
                gate_permissions.grant_sign(user, gates[role.pk])
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


# One-line fields: a line break there would end up in email subjects and headers.
_LINE_FIELDS = frozenset({"name", "version"})


def normalize(data: dict[str, Any]) -> dict[str, Any]:
    """Release fields as they are stored and compared (see `releases.text`)."""
    return {f: clean_line(v) if f in _LINE_FIELDS else clean_value(v) for f, v in data.items()}


def changed_fields(release: Release, data: dict[str, Any]) -> dict[str, Any]:
    """The fields of `data` whose normalized value differs from the release's normalized value.

    Both sides are normalized: a row saved before normalization (trailing spaces, seconds in
    the window) must not look changed when a browser sends it back.
    """
    data = normalize(data)
    stored = normalize({f: getattr(release, f) for f in data})
    return {f: v for f, v in data.items() if stored[f] != v}


@transaction.atomic
def release_update(
    *, release_id: int, actor: AbstractBaseUser, data: dict[str, Any], seen: str = ""
) -> list[str]:
    """Edit a release; a change of scope turns every approval stale. Returns the changed fields.

    `seen` is the release's `edit_token` when the form was drawn: a form older than the last
    change is refused rather than silently overwriting someone else's edit.
    """
    release = _lock_release(release_id)
    permissions.require(actor, "edit", release)
    if seen and seen != edit_token(release):
        raise Refused(
            "Someone changed this release while you were editing it. "
            "Reload the page to see their change, then edit again."
        )
    lifecycle.require_stage(lifecycle.EDITABLE_STAGES, release.stage, "edit the release")
    unknown = set(data) - set(Release.EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"These fields cannot be edited: {', '.join(sorted(unknown))}.")
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
    scope = [
        str(Release._meta.get_field(f).verbose_name) for f in changed if f in Release.SCOPE_FIELDS
    ]
    if scope:
        gate_services.mark_stale(release, actor=actor, now=timezone.now(), changed=scope)
    return changed


def edit_token(release: Release) -> str:
    return release.updated_at.isoformat()


def approvals_affected_by(release: Release, data: dict[str, Any]) -> int:
    """How many approvals a save of `data` would turn stale (for the warning before saving)."""
    if not set(changed_fields(release, data)) & set(Release.SCOPE_FIELDS):
        return 0
    return release.signoffs.filter(state=GateState.APPROVED).count()


@transaction.atomic
def release_move_to_staging(*, release_id: int, actor: AbstractBaseUser) -> Release:
    """Deployed to staging, smoke tests ran: needs every pre-release requirement and holder."""
    release = _lock_release(release_id)
    permissions.require(actor, "stage", release)
    lifecycle.require_transition("stage", release.stage)
    open_items = list(
        release.checklist.filter(
            template__group=ChecklistGroup.PRE_RELEASE, state=ChecklistState.OPEN
        ).select_related("template")
    )
    if open_items:
        raise Refused(
            "Pre-release requirements still open: "
            + "; ".join(i.template.text for i in open_items)
            + "."
        )
    unheld = list(release.assignments.filter(holder__isnull=True).select_related("role"))
    if unheld:
        raise Refused(
            "Every role needs a holder before sign-off starts; missing: "
            + ", ".join(a.role.name for a in unheld)
            + "."
        )
    now = timezone.now()
    event = lifecycle.move(
        release, "stage", actor=actor, now=now, comment="Deployed to staging and smoke tests ran."
    )
    _tick_event_item(release, STAGING_ITEM, actor=actor, now=now)
    gate_services.open_gates(release, actor=actor, now=now, event=event)
    return release


def _tick_event_item(release: Release, key: str, *, actor: AbstractBaseUser, now: datetime) -> None:
    release.checklist.filter(template__key=key).update(
        state=ChecklistState.DONE, done_by=actor, done_at=now
    )


@transaction.atomic
def release_record_deploy(
    *, release_id: int, actor: AbstractBaseUser, comment: str = "", downgrade_reason: str = ""
) -> Release:
    """The DevOps Engineer records the production deployment; follow-ups come due.

    The release replaces the one in production (marked superseded). A version lower than the
    highest in production is refused unless the DevOps Engineer confirms it as a deliberate
    downgrade with a reason, which is audited and announced.
    """
    release = _lock_release(release_id)
    permissions.require(actor, "deploy", release)
    lifecycle.require_transition("deploy", release.stage)
    comment = _text(comment, field="comment", label="Comment", required=False, max_length=5000)
    downgrade_reason = _text(
        downgrade_reason,
        field="downgrade_reason",
        label="The reason for the downgrade",
        required=False,
        max_length=5000,
    )
    higher = versions.is_downgrade(release)
    if higher is not None and not downgrade_reason:
        raise Refused(
            f"{release.version} is lower than {higher.version} ({higher.name}), the highest "
            "version in production. To deploy it anyway, confirm a deliberate downgrade and "
            "give the reason."
        )
    open_items = list(
        release.checklist.filter(
            template__phase=ChecklistPhase.PRE_DEPLOY,
            template__kind=ChecklistKind.MANUAL,
            state=ChecklistState.OPEN,
        ).select_related("template")
    )
    if open_items:
        raise Refused(
            "Before the production deploy, finish or mark not applicable: "
            + "; ".join(i.template.text for i in open_items)
            + "."
        )
    now = timezone.now()
    event = lifecycle.move(release, "deploy", actor=actor, now=now, comment=comment)
    _tick_event_item(release, PRODUCTION_ITEM, actor=actor, now=now)
    replaced = _supersede_production(release, actor=actor, now=now)
    if higher is not None:
        downgrade = audit.record(
            release=release,
            actor=actor,
            verb="release.downgrade",
            subject="release",
            comment=f"Deliberate downgrade from {higher.version}: {downgrade_reason}",
        )
        notices.downgrade_deployed(release, higher, replaced, downgrade)
    for handoff in release.handoffs.filter(
        template__phase=ChecklistPhase.POST_DEPLOY
    ).select_related("template"):
        t = handoff.template
        handoff.due_at = now + timedelta(hours=t.due_after_hours or 0)
        handoff.overdue_at = (
            now + timedelta(hours=t.overdue_after_hours) if t.overdue_after_hours else None
        )
        handoff.save(update_fields=["due_at", "overdue_at"])
    # The 24-48 h follow-ups live in the database; a periodic sweep acts on them when due.
    FollowUp.objects.bulk_create(
        [
            FollowUp(
                release=release,
                kind=FollowUpKind.POST_RELEASE_DUTIES,
                due_at=now + timedelta(hours=24),
            ),
            FollowUp(
                release=release,
                kind=FollowUpKind.FEEDBACK_OVERDUE,
                due_at=now + timedelta(hours=48),
            ),
        ]
    )
    notices.release_deployed(release, event)
    return release


def _supersede_production(
    release: Release, *, actor: AbstractBaseUser, now: datetime
) -> Release | None:
    """Mark the release in production until now as replaced by `release`; returns it."""
    previous = (
        Release.objects.in_production()
        .exclude(pk=release.pk)
        .select_for_update(of=("self",))
        .order_by("-deployed_at", "-id")
    )
    replaced = None
    for old in previous:  # One at most; a list keeps an older database consistent too.
        old.superseded_by, old.superseded_at = release, now
        old.save(update_fields=["superseded_by", "superseded_at", "updated_at"])
        audit.record(
            release=old,
            actor=actor,
            verb="release.superseded",
            subject="release",
            comment=f"Replaced in production by {release}.",
        )
        replaced = replaced or old
    return replaced


@transaction.atomic
def release_close(*, release_id: int, actor: AbstractBaseUser) -> Release:
    """The Project Manager closes a deployed release once its post-release work is done."""
    release = _lock_release(release_id)
    permissions.require(actor, "close", release)
    lifecycle.require_transition("close", release.stage)
    reasons = []
    open_items = release.checklist.filter(state=ChecklistState.OPEN).select_related("template")
    if open_items:
        reasons.append("checklist items open: " + "; ".join(i.template.text for i in open_items))
    unacked = (
        release.handoffs.filter(template__phase=ChecklistPhase.POST_DEPLOY)
        .exclude(state=HandoffState.ACKNOWLEDGED)
        .select_related("template__from_role", "template__to_role")
    )
    if unacked:
        reasons.append("hand-offs not acknowledged: " + "; ".join(str(h.template) for h in unacked))
    if release.incidents.filter(state=IncidentState.OPEN).exists():
        reasons.append("an incident is still open")
    if reasons:
        raise Refused("Cannot close yet: " + "; ".join(reasons) + ".")
    lifecycle.move(release, "close", actor=actor, now=timezone.now())
    return release


@transaction.atomic
def release_cancel(*, release_id: int, actor: AbstractBaseUser, reason: str) -> Release:
    release = _lock_release(release_id)
    permissions.require(actor, "cancel", release)
    reason = _text(
        reason, field="reason", label="A reason for cancelling", required=True, max_length=5000
    )
    lifecycle.require_transition("cancel", release.stage)
    was = release.stage
    event = lifecycle.move(release, "cancel", actor=actor, now=timezone.now(), comment=reason)
    notices.release_cancelled(release, event, was=was)
    return release


# --- Role assignments -------------------------------------------------------------------------


@transaction.atomic
def role_assign(
    *,
    release_id: int,
    role_key: str,
    holder: AbstractBaseUser | None,
    backup: AbstractBaseUser | None = None,
    actor: AbstractBaseUser,
) -> RoleAssignment:
    """Set who holds a role on a release (None unassigns); the gate permission follows."""
    permissions.require_manage_assignments(actor)
    release = _lock_release(release_id)
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
        f"Holder: {_name(holder)} (was {_name(assignment.holder)}); "
        f"backup: {_name(backup)} (was {_name(assignment.backup)})."
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
    )
    return assignment


def _name(user: AbstractBaseUser | None) -> str:
    if user is None:
        return "nobody"
    return user.get_full_name() or user.get_username()


# --- Checklist --------------------------------------------------------------------------------


def _lock_item(item_id: int) -> tuple[Release, ChecklistItem]:
    try:
        release_id = ChecklistItem.objects.values_list("release_id", flat=True).get(pk=item_id)
    except ChecklistItem.DoesNotExist:
        raise Refused("This checklist item does not exist.") from None
    release = _lock_release(release_id)
    item = (
        ChecklistItem.objects.select_for_update(of=("self",))
        .select_related("template__owner")
        .get(pk=item_id)
    )
    return release, item


def _check_item(
    release: Release, item: ChecklistItem, actor: AbstractBaseUser, action: str
) -> None:
    t = item.template
    if not permissions.holds_any(actor, release, [t.owner.key]):
        raise PermissionDenied(f"Only the {t.owner.name} of this release may {action} “{t.text}”.")
    if t.kind != ChecklistKind.MANUAL:
        source = (
            "its sign-off gate" if t.kind == ChecklistKind.GATE else "the lifecycle step it names"
        )
        raise Refused(f"“{t.text}” ticks itself from {source}; nobody ticks it by hand.")
    lifecycle.require_stage(lifecycle.PHASE_STAGES[t.phase], release.stage, f"{action} “{t.text}”")


@transaction.atomic
def checklist_complete(*, item_id: int, actor: AbstractBaseUser) -> ChecklistItem:
    release, item = _lock_item(item_id)
    _check_item(release, item, actor, "tick")
    if item.state == ChecklistState.DONE:
        raise Refused(f"“{item.template.text}” is already done.")
    return _set_item(release, item, ChecklistState.DONE, actor=actor, reason="")


@transaction.atomic
def checklist_mark_not_applicable(
    *, item_id: int, actor: AbstractBaseUser, reason: str
) -> ChecklistItem:
    release, item = _lock_item(item_id)
    _check_item(release, item, actor, "mark not applicable")
    if not item.template.optional:
        raise Refused(f"“{item.template.text}” is required by the guide; it cannot be skipped.")
    reason = _text(reason, field="reason", label="A reason", required=True, max_length=500)
    return _set_item(release, item, ChecklistState.NOT_APPLICABLE, actor=actor, reason=reason)


@transaction.atomic
def checklist_reopen(*, item_id: int, actor: AbstractBaseUser) -> ChecklistItem:
    release, item = _lock_item(item_id)
    _check_item(release, item, actor, "reopen")
    if item.state == ChecklistState.OPEN:
        raise Refused(f"“{item.template.text}” is already open.")
    return _set_item(release, item, ChecklistState.OPEN, actor=actor, reason="")


def _set_item(
    release: Release, item: ChecklistItem, state: str, *, actor: AbstractBaseUser, reason: str
) -> ChecklistItem:
    from_state = item.state
    item.state, item.reason = state, reason
    done = state != ChecklistState.OPEN
    item.done_by, item.done_at = (actor, timezone.now()) if done else (None, None)
    item.save(update_fields=["state", "reason", "done_by", "done_at"])
    audit.record(
        release=release,
        actor=actor,
        verb="checklist." + state,
        subject=item.template.text,
        from_state=from_state,
        to_state=state,
        comment=reason,
    )
    return item


# --- Hand-offs --------------------------------------------------------------------------------


def _lock_handoff(handoff_id: int) -> tuple[Release, Handoff]:
    try:
        release_id = Handoff.objects.values_list("release_id", flat=True).get(pk=handoff_id)
    except Handoff.DoesNotExist:
        raise Refused("This hand-off does not exist.") from None
    release = _lock_release(release_id)
    handoff = (
        Handoff.objects.select_for_update(of=("self",))
        .select_related("template__from_role", "template__to_role")
        .get(pk=handoff_id)
    )
    return release, handoff


@transaction.atomic
def handoff_send(
    *, handoff_id: int, actor: AbstractBaseUser, notes: str, links: str = "", decision: str = ""
) -> Handoff:
    """The sending role records what it hands off; QA → DevOps also says proceed or hold."""
    release, handoff = _lock_handoff(handoff_id)
    t = handoff.template
    if not permissions.holds_any(actor, release, [t.from_role.key]):
        raise PermissionDenied(
            f"Only the {t.from_role.name} of this release may send this hand-off."
        )
    lifecycle.require_stage(
        lifecycle.HANDOFF_PHASE_STAGES[t.phase], release.stage, f"send the {t} hand-off"
    )
    notes = _text(
        notes,
        field="notes",
        label=f"What you hand off ({t.what.lower()})",
        required=True,
        max_length=20000,
    )
    links = _text(links, field="links", label="Links", required=False, max_length=5000)
    if t.is_gate:
        if decision not in HandoffDecision.values:
            raise ValidationError({"decision": "Choose “proceed” or “hold”."})
    elif decision:
        raise ValidationError({"decision": "Only the pre-deployment gate records a decision."})
    elif handoff.state != HandoffState.PENDING:
        raise Refused(f"The {t} hand-off was already sent.")
    from_state = handoff.state
    handoff.state, handoff.notes, handoff.links, handoff.decision = (
        HandoffState.SENT,
        notes,
        links,
        decision,
    )
    handoff.sent_by, handoff.sent_at = actor, timezone.now()
    # A new decision needs a new acknowledgement.
    handoff.acknowledged_by = handoff.acknowledged_at = None
    handoff.save()
    audit.record(
        release=release,
        actor=actor,
        verb="handoff.sent",
        subject=str(t),
        from_state=from_state,
        to_state=decision or HandoffState.SENT,
        comment=notes,
    )
    if t.is_gate:
        # "proceed" may complete what the final gate waits for; "hold" withdraws it.
        gate_services.sync_final_gate(release, actor=actor, now=handoff.sent_at)
    return handoff


@transaction.atomic
def handoff_acknowledge(*, handoff_id: int, actor: AbstractBaseUser) -> Handoff:
    release, handoff = _lock_handoff(handoff_id)
    t = handoff.template
    if not permissions.holds_any(actor, release, [t.to_role.key]):
        raise PermissionDenied(
            f"Only the {t.to_role.name} of this release may acknowledge this hand-off."
        )
    lifecycle.require_stage(
        lifecycle.ACKNOWLEDGE_PHASE_STAGES[t.phase], release.stage, f"acknowledge the {t} hand-off"
    )
    if handoff.state != HandoffState.SENT:
        raise Refused(
            f"The {t} hand-off is {handoff.get_state_display().lower()}; "
            "only a sent hand-off can be acknowledged."
        )
    handoff.state = HandoffState.ACKNOWLEDGED
    handoff.acknowledged_by, handoff.acknowledged_at = actor, timezone.now()
    handoff.save(update_fields=["state", "acknowledged_by", "acknowledged_at"])
    audit.record(
        release=release,
        actor=actor,
        verb="handoff.acknowledged",
        subject=str(t),
        from_state=HandoffState.SENT,
        to_state=HandoffState.ACKNOWLEDGED,
    )
    return handoff


# --- Incidents and rollback -------------------------------------------------------------------


@transaction.atomic
def incident_open(
    *,
    release_id: int,
    actor: AbstractBaseUser,
    title: str,
    description: str = "",
    severity: str = Severity.CRITICAL,
) -> Incident:
    release = _lock_release(release_id)
    permissions.require(actor, "open_incident", release)
    lifecycle.require_stage(lifecycle.INCIDENT_STAGES, release.stage, "open an incident")
    title = _text(title, field="title", label="A title", required=True, max_length=200)
    description = _text(
        description, field="description", label="The description", required=False, max_length=20000
    )
    if severity not in Severity.values:
        raise ValidationError({"severity": "Choose critical, major or minor."})
    incident = Incident.objects.create(
        release=release, title=title, description=description, severity=severity, opened_by=actor
    )
    event = audit.record(
        release=release,
        actor=actor,
        verb="incident.opened",
        subject=title,
        to_state=IncidentState.OPEN,
        comment=description,
    )
    notices.incident_opened(incident, event)
    return incident


def last_known_good(release: Release) -> Release | None:
    """The previous release that reached production and was not rolled back."""
    return (
        Release.objects.known_good()
        .exclude(pk=release.pk)
        .filter(deployed_at__lt=release.deployed_at)
        .order_by("-deployed_at", "-id")
        .first()
    )


def _lock_incident(incident_id: int) -> tuple[Release, Incident]:
    try:
        release_id = Incident.objects.values_list("release_id", flat=True).get(pk=incident_id)
    except Incident.DoesNotExist:
        raise Refused("This incident does not exist.") from None
    release = _lock_release(release_id)
    return release, Incident.objects.select_for_update(of=("self",)).get(pk=incident_id)


@transaction.atomic
def incident_record_rollback(
    *, incident_id: int, actor: AbstractBaseUser, comment: str = ""
) -> Incident:
    """Roll the release back to the last known-good release, as the playbook says."""
    release, incident = _lock_incident(incident_id)
    permissions.require(actor, "roll_back", release)
    if incident.state != IncidentState.OPEN:
        raise Refused("This incident is resolved; open a new one to roll back.")
    lifecycle.require_transition("roll_back", release.stage)
    if release.superseded_by_id is not None:
        raise Refused(
            f"{release} is no longer in production: {release.superseded_by} replaced it. "
            "Only the release in production can be rolled back."
        )
    target = last_known_good(release)
    if target is None:
        raise Refused(
            "There is no earlier release that reached production and was not rolled "
            "back, so there is nothing known-good to roll back to."
        )
    comment = _text(comment, field="comment", label="Comment", required=False, max_length=5000)
    now = timezone.now()
    event = lifecycle.move(
        release,
        "roll_back",
        actor=actor,
        now=now,
        comment=f"Rolled back to {target}. {comment}".strip(),
    )
    release.rolled_back_to = target
    release.save(update_fields=["rolled_back_to"])
    # Production is the known-good release again.
    Release.objects.filter(pk=target.pk).update(superseded_by=None, superseded_at=None)
    audit.record(
        release=target,
        actor=actor,
        verb="release.restored",
        subject="release",
        comment=f"Back in production: {release} was rolled back to it.",
    )
    incident.rolled_back_to, incident.rolled_back_at = target, now
    incident.save(update_fields=["rolled_back_to", "rolled_back_at"])
    notices.rollback_recorded(incident, event)
    return incident


@transaction.atomic
def incident_resolve(
    *, incident_id: int, actor: AbstractBaseUser, root_cause: str, action_items: str
) -> Incident:
    """Triage done: record the root cause and the action items."""
    release, incident = _lock_incident(incident_id)
    permissions.require(actor, "resolve_incident", release)
    lifecycle.require_stage(lifecycle.RESOLVE_STAGES, release.stage, "resolve an incident")
    if incident.state != IncidentState.OPEN:
        raise Refused("This incident is already resolved.")
    incident.root_cause = _text(
        root_cause, field="root_cause", label="The root cause", required=True, max_length=20000
    )
    incident.action_items = _text(
        action_items, field="action_items", label="Action items", required=True, max_length=20000
    )
    incident.state, incident.resolved_by, incident.resolved_at = (
        IncidentState.RESOLVED,
        actor,
        timezone.now(),
    )
    incident.save()
    audit.record(
        release=release,
        actor=actor,
        verb="incident.resolved",
        subject=incident.title,
        from_state=IncidentState.OPEN,
        to_state=IncidentState.RESOLVED,
        comment=f"Root cause: {incident.root_cause}\nAction items: {incident.action_items}",
    )
    return incident
