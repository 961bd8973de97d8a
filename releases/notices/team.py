"""The team as a whole: who is named the team-wide default holder or backup of a role."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.urls import reverse

from notifications.outbox import absolute, notify, recipients

from ..models import AuditEvent, Role


def default_holder_named(
    role: Role,
    *,
    holder: AbstractBaseUser | None,
    backup: AbstractBaseUser | None,
    event: AuditEvent,
) -> None:
    """The newly named default holder and backup are told what every new release asks of them.

    Pass only the people new to the default: someone who stays is not told again.
    """
    for person, what, suffix in ((holder, "holder", ""), (backup, "backup", "-backup")):
        if person is None:
            continue
        notify(
            key=f"ev{event.pk}:default-named{suffix}",
            kind="default_holder_named",
            to=recipients([person]),
            subject=f"You are now the default {what} of the {role.name} role",
            context={
                "headline": f"You are now the team-wide default {what} of the {role.name} role: "
                "every new release names you for it. On each release the role's duties are:",
                "items": [
                    {"text": f"Pre-release: {role.pre_release_duty}"},
                    {"text": f"Release day: {role.release_day_duty}"},
                    {"text": f"Post-release: {role.post_release_duty}"},
                    {"text": f"Sign-off: {role.signoff_statement}"},
                ],
                "link": absolute(reverse("team")),
                "link_text": "Open the Team page",
            },
        )
