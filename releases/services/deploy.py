"""The production deploy: it supersedes the release in production and sets follow-ups due."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from octoacme.errors import Refused
from signoffs import services as gate_services
from signoffs.selectors import says_proceed

from .. import audit, lifecycle, notices, versions
from ..locks import lock_release
from ..models import (
    ChecklistPhase,
    FollowUp,
    FollowUpKind,
    Release,
)
from ..text import clean_field
from .duties import announce_duties
from .freezes import use_override
from .handoffs import set_due_times
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
    # The page's list of what is left: pre-deploy items, the DevOps "proceed", the gates and
    # the Product Manager's final release decision. A downgrade is confirmed above, not here.
    # A freeze or the window blocks too, unless an unused override waits: then it is used.
    rows = lifecycle.readiness.load(release)
    lifecycle.readiness.require_ready(release, rows, says_proceed=says_proceed)
    now = timezone.now()
    event = lifecycle.move(release, "deploy", actor=actor, now=now, comment=comment)
    if rows.override is not None and lifecycle.readiness.timing(release, rows):
        use_override(release, rows.override, actor=actor, now=now)
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
    set_due_times(release, ChecklistPhase.POST_DEPLOY, now=now)
    # Gates an expedited policy lets sign after the deploy are due from now (none by default).
    gate_services.set_due(release, rows.gates, now=now, event=event)
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
    # One email per person: their release-day and post-release duties, with the notes.
    announce_duties(release, event=event, now=now)
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
