from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

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
    """Append one audit event; call inside the transaction of the change it describes."""
    return AuditEvent.objects.create(
        release=release,
        actor=actor,
        verb=verb,
        subject=subject,
        from_state=from_state,
        to_state=to_state,
        comment=comment,
    )
