"""Who may do what to a release, decided by the roles people hold on it.

Gate signing is an object permission (see `signoffs.permissions`); the release-level steps
below follow the guide's duties: DevOps deploys and rolls back, the Project Manager closes.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Q

from .models import DefaultHolder, Release, RoleAssignment, RoleKey

ALL_ROLES = tuple(RoleKey)

# action -> the roles whose holder or backup on the release may take it.
ACTION_ROLES: dict[str, tuple[str, ...]] = {
    "edit": (RoleKey.PRODUCT_MANAGER, RoleKey.PROJECT_MANAGER),
    "stage": (RoleKey.DEVOPS_ENGINEER, RoleKey.PROJECT_MANAGER),
    "deploy": (RoleKey.DEVOPS_ENGINEER,),
    "close": (RoleKey.PROJECT_MANAGER,),
    "cancel": (RoleKey.PRODUCT_MANAGER, RoleKey.PROJECT_MANAGER),
    "record_failed_deploy": (RoleKey.DEVOPS_ENGINEER,),
    "open_incident": ALL_ROLES,
    "roll_back": (RoleKey.DEVOPS_ENGINEER,),
    "resolve_incident": (RoleKey.DEVOPS_ENGINEER, RoleKey.PROJECT_MANAGER),
    # A patch release is created by someone who may create releases and runs this one.
    "fix_forward": (RoleKey.DEVOPS_ENGINEER, RoleKey.PRODUCT_MANAGER, RoleKey.PROJECT_MANAGER),
}
# Admins run the team: they may edit a release's fields, never decide its stage for a role.
ADMIN_ACTIONS = frozenset({"edit"})
# Who may create releases: the two managers named as team-wide defaults, and admins.
CREATOR_ROLES = (RoleKey.PRODUCT_MANAGER, RoleKey.PROJECT_MANAGER)

User = AbstractBaseUser | AnonymousUser


def _is_active(user: User) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def held_role_keys(user: User, release: Release) -> set[str]:
    """The keys of the roles `user` holds (or backs up) on `release`."""
    if not _is_active(user):
        return set()
    return set(
        RoleAssignment.objects.filter(release=release)
        .filter(Q(holder=user) | Q(backup=user))
        .values_list("role__key", flat=True)
    )


def holds_any(user: User, release: Release, role_keys: Iterable[str]) -> bool:
    return bool(held_role_keys(user, release) & set(role_keys))


def is_admin_action(action: str, user: User) -> bool:
    return action in ADMIN_ACTIONS and _is_active(user) and user.is_superuser


def can(user: User, action: str, release: Release, *, held: set[str] | None = None) -> bool:
    """`held`: the roles the user holds on the release, when the caller knows them already."""
    if not _is_active(user):
        return False
    if is_admin_action(action, user):
        return True
    if held is None:
        held = held_role_keys(user, release)
    return bool(held & set(ACTION_ROLES[action]))


def refusal(action: str) -> str:
    roles = ", ".join(RoleKey(k).label for k in ACTION_ROLES[action])
    return f"Only the holder or backup of {roles} on this release may do this."


def require(user: User, action: str, release: Release) -> None:
    if not can(user, action, release):
        raise PermissionDenied(refusal(action))


def can_create_release(user: User) -> bool:
    if not _is_active(user):
        return False
    if user.is_superuser:
        return True
    return (
        DefaultHolder.objects.filter(role__key__in=CREATOR_ROLES)
        .filter(Q(holder=user) | Q(backup=user))
        .exists()
    )


def require_create_release(user: User) -> None:
    if not can_create_release(user):
        raise PermissionDenied(
            "Only the Product Manager, the Project Manager or an admin may create a release."
        )


def can_manage_assignments(user: User) -> bool:
    return _is_active(user) and user.has_perm("releases.change_roleassignment")


def require_manage_assignments(user: User) -> None:
    if not can_manage_assignments(user):
        raise PermissionDenied("Only an admin may change who holds a role.")
