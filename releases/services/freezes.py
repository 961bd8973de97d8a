"""Deploy freezes (admins create and end them) and deploy overrides (an admin or the release's
Project Manager lets one deploy through a freeze or outside its window, with a reason)."""

from __future__ import annotations

from datetime import datetime, time

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from octoacme.errors import Refused
from octoacme.names import display_name

from .. import audit, notices, permissions
from .. import freezes as freeze_rules
from ..locks import begin_write, lock_release
from ..models import DeployOverride, Freeze, FreezeKind, Release, Stage, Weekday
from ..text import clean_field

# A release not yet deployed may have an override waiting for its deploy.
OVERRIDABLE_STAGES = (Stage.PLANNING, Stage.STAGING, Stage.APPROVED)


def _aware(value: datetime | None, zone: object) -> datetime | None:
    """A one-off freeze's ends as typed: a wall time in the freeze's own zone."""
    if value is None or timezone.is_aware(value):
        return value
    return value.replace(tzinfo=zone)  # type: ignore[arg-type]


def _weekday(value: int | str | None, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        day = int(value)
    except (TypeError, ValueError):
        day = -1
    if day not in Weekday.values:
        raise ValidationError({field: "Pick a day of the week."})
    return day


@transaction.atomic
def freeze_create(
    *,
    actor: AbstractBaseUser,
    reason: str,
    kind: str = FreezeKind.ONE_OFF,
    time_zone: str = "UTC",
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    start_weekday: int | str | None = None,
    start_time: time | None = None,
    end_weekday: int | str | None = None,
    end_time: time | None = None,
) -> Freeze:
    """A freeze: one-off from `starts_at` to `ends_at` (a time without a zone is read in
    `time_zone`), or weekly from a day and time to a day and time in `time_zone`."""
    permissions.require_run_team(actor)
    reason = clean_field(
        reason, field="reason", label="The reason", required=True, max_length=200, line=True
    )
    zone = freeze_rules.zone_named(time_zone or "")
    if zone is None:
        raise ValidationError(
            {"time_zone": f"Unknown time zone “{time_zone}”: use a name like Europe/Berlin."}
        )
    freeze = Freeze(reason=reason, kind=kind, time_zone=time_zone, created_by=actor)
    if kind == FreezeKind.ONE_OFF:
        if starts_at is None:
            raise ValidationError({"starts_at": "A one-off freeze needs a start."})
        if ends_at is None:
            raise ValidationError({"ends_at": "A one-off freeze needs an end."})
        freeze.starts_at, freeze.ends_at = _aware(starts_at, zone), _aware(ends_at, zone)
        if freeze.ends_at <= freeze.starts_at:
            raise ValidationError({"ends_at": "The freeze must end after it starts."})
    elif kind == FreezeKind.WEEKLY:
        freeze.start_weekday = _weekday(start_weekday, "start_weekday")
        freeze.end_weekday = _weekday(end_weekday, "end_weekday")
        freeze.start_time, freeze.end_time = start_time, end_time
        if None in (freeze.start_weekday, start_time, freeze.end_weekday, end_time):
            raise ValidationError(
                "A weekly freeze needs a start day and time and an end day and time."
            )
        if (freeze.start_weekday, start_time) == (freeze.end_weekday, end_time):
            raise ValidationError(
                {"end_time": "The freeze must end at another time than it starts."}
            )
    else:
        raise ValidationError({"kind": "Pick one-off or weekly."})
    freeze.save()
    audit.record(
        release=None,
        actor=actor,
        verb="freeze.created",
        subject=f"freeze {freeze.pk}",
        comment=f"{freeze.get_kind_display()} freeze, {freeze_rules.describe(freeze)}: {reason}",
    )
    return freeze


@transaction.atomic
def freeze_end(*, freeze_id: int, actor: AbstractBaseUser) -> Freeze:
    """End a freeze now: it no longer refuses deploys (its row stays, for the record)."""
    permissions.require_run_team(actor)
    begin_write()  # the chain's lock before the freeze's row lock (releases.locks)
    freeze = Freeze.objects.select_for_update().filter(pk=freeze_id).first()
    if freeze is None:
        raise Refused("This freeze does not exist.")
    if not freeze.active:
        raise Refused("This freeze has already ended.")
    freeze.active = False
    freeze.save(update_fields=["active"])
    audit.record(
        release=None,
        actor=actor,
        verb="freeze.ended",
        subject=f"freeze {freeze.pk}",
        comment=f"Ended the freeze “{freeze.reason}” ({freeze_rules.describe(freeze)}).",
    )
    return freeze


@transaction.atomic
def deploy_override_record(
    *, release_id: int, actor: AbstractBaseUser, reason: str
) -> DeployOverride:
    """Let the release's next production deploy through a freeze or outside its window.

    One waits at a time; the deploy it lets through marks it used (`use_override`)."""
    release = lock_release(release_id)
    permissions.require_override_deploy(actor, release)
    reason = clean_field(reason, field="reason", label="The reason", required=True, max_length=500)
    if release.stage not in OVERRIDABLE_STAGES:
        raise Refused(
            f"This release is {release.get_stage_display().lower()}: a deploy override is only "
            "for a release not yet deployed."
        )
    waiting = release.deploy_overrides.filter(used_at__isnull=True).first()
    if waiting is not None:
        raise Refused(
            "A deploy override already waits for this release's deploy "
            f"(recorded by {display_name(waiting.created_by)}: {waiting.reason})."
        )
    override = DeployOverride.objects.create(release=release, reason=reason, created_by=actor)
    event = audit.record(
        release=release,
        actor=actor,
        verb="deploy.override",
        subject="release",
        comment=f"Deploy override {override.pk}: {reason}",
    )
    notices.deploy_override_recorded(release, override, event)
    return override


def use_override(
    release: Release, override: DeployOverride, *, actor: AbstractBaseUser, now: datetime
) -> None:
    """The deploy service, under the release lock: this deploy went through on `override`."""
    DeployOverride.objects.filter(pk=override.pk).update(used_at=now)
    override.used_at = now
    audit.record(
        release=release,
        actor=actor,
        verb="deploy.override_used",
        subject="release",
        comment=f"Deployed on the override {override.pk} by {display_name(override.created_by)}: "
        f"{override.reason}",
    )
