"""Separation of duties: one person, one role per release (as holder or backup).

The rule is on while `TeamSettings.separate_duties` is (the default); an admin's
`DutyException` for a (release, person) lets that person hold more than one role there. Every
caller asks here: the assignment service, release creation, the default holders and (for a
delegate acting for someone) the delegation check, so the rule and its words live in one place.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q

from octoacme.names import display_name

from .models import DefaultHolder, DutyException, Release, Role, RoleAssignment, TeamSettings


def enforced() -> bool:
    return TeamSettings.load().separate_duties


def other_roles_held(user: AbstractBaseUser, release: Release, *, except_role: str) -> list[Role]:
    """The roles other than `except_role` that `user` holds or backs up on `release`."""
    return [
        a.role
        for a in RoleAssignment.objects.filter(release=release)
        .filter(Q(holder=user) | Q(backup=user))
        .exclude(role__key=except_role)
        .select_related("role")
    ]


def has_exception(user: AbstractBaseUser, release: Release) -> bool:
    return DutyException.objects.filter(release=release, person=user).exists()


def refusal(user: AbstractBaseUser, other: Role, *, where: str = "on this release") -> str:
    return (
        f"{display_name(user)} already holds the {other.name} role {where}; separation of "
        "duties allows one role per person unless an admin records an exception for them."
    )


def conflict(user: AbstractBaseUser | None, release: Release, *, role_key: str) -> str | None:
    """Why `user` may not take `role_key` on `release` (holder, backup or delegate), or None."""
    if user is None or not enforced():
        return None
    others = other_roles_held(user, release, except_role=role_key)
    if not others or has_exception(user, release):
        return None
    return refusal(user, others[0])


def default_conflict(user: AbstractBaseUser | None, *, role_key: str) -> str | None:
    """Why `user` may not be the team-wide default holder or backup of `role_key`, or None:
    every new release copies the defaults, so two default roles would give one person two
    roles on every release."""
    if user is None or not enforced():
        return None
    other = (
        DefaultHolder.objects.filter(Q(holder=user) | Q(backup=user))
        .exclude(role__key=role_key)
        .select_related("role")
        .first()
    )
    return refusal(user, other.role, where="by default") if other else None
