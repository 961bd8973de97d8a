"""The production deploy: it supersedes the release in production and sets follow-ups due."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from octoacme.errors import Refused

from .. import audit, lifecycle, notices, versions
from ..locks import lock_release
from ..models import (
    ChecklistKind,
    ChecklistPhase,
    ChecklistState,
    FollowUp,
    FollowUpKind,
    Release,
)
from ..text import clean_field
from .releases import _tick_event_item

PRODUCTION_ITEM = "deploy-to-production"


@transaction.atomic
def release_record_deploy(
    *, release_id: int, actor: AbstractBaseUser, comment: str = "", downgrade_reason: str = ""
) -> Release:
    """The DevOps Engineer records the production deployment; follow-ups come due.

    The release replaces the one in production (marked superseded). A version lower than the
    highest in production is refused unless the DevOps Engineer confirms it as a deliberate
    downgrade with a reason, which is audited and announced.
    """
    release = lock_release(release_id)
    lifecycle.require_release_action(actor, release, "deploy")
    comment = clean_field(
        comment, field="comment", label="Comment", required=False, max_length=5000
    )
    downgrade_reason = clean_field(
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
