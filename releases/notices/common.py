"""What every notice needs: the people holding a role, on-call, links to a release or a gate."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.urls import reverse

from notifications.outbox import Recipient, absolute

from ..models import Release, RoleAssignment


def role_people(release: Release, *role_keys: str) -> list[AbstractBaseUser]:
    """Holders and backups of these roles on the release."""
    people: list[AbstractBaseUser] = []
    for a in RoleAssignment.objects.filter(release=release, role__key__in=role_keys).select_related(
        "holder", "backup"
    ):
        people += [u for u in (a.holder, a.backup) if u is not None]
    return people


def oncall() -> list[Recipient]:
    return [Recipient(email) for email in settings.ONCALL_EMAILS if email]


def release_link(release: Release, anchor: str = "") -> str:
    return absolute(reverse("release-detail", args=[release.pk]) + (f"#{anchor}" if anchor else ""))


def gate_link(gate: object) -> str:
    return absolute(reverse("gate-detail", args=[gate.pk]))


def _gate_context(gate: object) -> dict[str, object]:
    role = gate.role
    return {
        "items": [
            {"text": f"You confirm: {role.signoff_statement}"},
            {"text": f"Pre-release duty: {role.pre_release_duty}"},
        ],
        "link": gate_link(gate),
        "link_text": "Review and sign",
    }
