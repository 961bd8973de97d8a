from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from . import chain
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
    on_behalf_of: AbstractBaseUser | None = None,
) -> AuditEvent:
    """Append one audit event; call inside the transaction of the change it describes.

    `on_behalf_of`: the person the actor acted for (a delegate acting for whoever delegated).

    Also bumps the release's revision, which keys its cached dashboard card. Services lock
    the release row first, so this adds no row lock and no new lock order. The event joins
    the hash chain (releases/chain.py): that takes the chain's lock, held to the end of the
    transaction, so record late in a transaction rather than early.
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
    event = AuditEvent(
        release=release,
        actor=actor,
        on_behalf_of=on_behalf_of,
        verb=verb,
        subject=subject,
        from_state=from_state,
        to_state=to_state,
        comment=comment,
        # Set here, not by the database: the hash covers it and rows are never updated.
        created_at=timezone.now(),
    )
    if connection.in_atomic_block:
        _append(event)
    else:
        # Outside a transaction the chain's lock would end with its own statement.
        with transaction.atomic():
            _append(event)
    return event


def _append(event: AuditEvent) -> None:
    chain.seal(event)
    event.save(force_insert=True)
