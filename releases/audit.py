from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F

from .models import AuditEvent, Release


def record(
    *,
    release: Release | None,
    actor: AbstractBaseUser | None,
    verb: str,
    subject: str = "",
    from_state: str = "",
    to_state: str = "",
    comment: str = "",
) -> AuditEvent:
    """Append one audit event; call inside the transaction of the change it describes.

    Also bumps the release's revision, which keys its cached dashboard card. Services lock
    the release row first, so this adds no lock and no new lock order.
    """
    if release is not None and release.pk is not None:
        Release.objects.filter(pk=release.pk).update(revision=F("revision") + 1)
        # Keep the caller's instance current, so a later full save() does not undo the bump.
        release.revision = (release.revision or 0) + 1
    # The subject quotes a title or names (an incident title may be 200 characters, two role
    # names 163): cut to the column rather than fail the change it records.
    width = AuditEvent._meta.get_field("subject").max_length
    if len(subject) > width:
        subject = subject[: width - 1] + "…"
    return AuditEvent.objects.create(
        release=release,
        actor=actor,
        verb=verb,
        subject=subject,
        from_state=from_state,
        to_state=to_state,
        comment=comment,
    )
