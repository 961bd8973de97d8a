"""Who may do what to a release, decided by the roles people hold on it.

Gate signing is an object permission (see `signoffs.permissions`); the release-level steps
below follow the guide's duties: DevOps deploys and rolls back, the Project Manager closes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import DefaultHolder, Delegation, Release, RoleAssignment, RoleKey

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


def delegations_in_force(now: datetime | None = None) -> QuerySet[Delegation]:
    """Delegations in force at `now`: from `starts_at` (included) until `ends_at` (excluded),
    not cancelled, between people both still active."""
    now = now or timezone.now()
    return Delegation.objects.filter(
        cancelled_at__isnull=True,
        starts_at__lte=now,
        ends_at__gt=now,
        person__is_active=True,
        delegate__is_active=True,
    )


def delegations_to(user: User, now: datetime | None = None) -> QuerySet[Delegation]:
    """The delegations to `user` in force at `now`."""
    if not _is_active(user):
        return Delegation.objects.none()
    return delegations_in_force(now).filter(delegate=user)


def roles_held(
    assignments: Iterable[tuple[str, int | None, int | None]],
    user_id: int,
    givers: set[int] | None,
) -> set[str]:
    """The one delegation rule, on (role key, holder id, backup id) rows of one release.

    The user acts in the roles they hold (or back up) there and, only where they hold none of
    their own, in the roles of the people who delegate to them now (`givers`; None when every
    other row was selected through a giver already): delegation never lets someone act in a
    second role on a release where they already have one (separation of duties).
    """
    rows = list(assignments)
    own = {key for key, holder, backup in rows if user_id in (holder, backup)}
    if own or givers == set():
        return own
    return {key for key, holder, backup in rows if givers is None or givers & {holder, backup}}


def held_role_keys(user: User, release: Release) -> set[str]:
    """The keys of the roles `user` holds (or backs up) on `release`, or holds by delegation
    (see `roles_held`)."""
    if not _is_active(user):
        return set()
    givers = delegations_to(user).values("person")
    # One query: the user's own rows and their givers' rows (a subquery, not a second query).
    rows = (
        RoleAssignment.objects.filter(release=release)
        .filter(Q(holder=user) | Q(backup=user) | Q(holder__in=givers) | Q(backup__in=givers))
        .values_list("role__key", "holder_id", "backup_id")
    )
    return roles_held(rows, user.pk, None)


def acting_for(user: User, release: Release, role_keys: Iterable[str]) -> AbstractBaseUser | None:
    """Whom `user` acts for when taking a step of `role_keys` on `release`: the person who
    delegated one of those roles to them, or None when they act in a role of their own (or
    may not act at all). For the audit trail's "by X for Y"."""
    if not _is_active(user):
        return None
    here = RoleAssignment.objects.filter(release=release)
    if here.filter(Q(holder=user) | Q(backup=user)).exists():
        return None  # Their own role: delegation adds nothing where they hold one.
    givers = set(delegations_to(user).values_list("person_id", flat=True))
    if not givers:
        return None
    for a in (
        here.filter(role__key__in=set(role_keys))
        .filter(Q(holder__in=givers) | Q(backup__in=givers))
        .select_related("holder", "backup", "role")
        .order_by("role__position")
    ):
        return a.holder if a.holder_id in givers else a.backup
    return None


def holds_any(user: User, release: Release, role_keys: Iterable[str]) -> bool:
    return bool(held_role_keys(user, release) & set(role_keys))


def is_admin_action(action: str, user: User) -> bool:
    return action in ADMIN_ACTIONS and _is_active(user) and user.is_superuser


# What a pipeline's token may do with the deployments:write scope: record the production
# deploy and its failure, as the DevOps Engineer's buttons do. Never a gate, never a role's step.
PIPELINE_ACTIONS = frozenset({"deploy", "record_failed_deploy"})
PIPELINE_SCOPE = "deployments:write"  # api.models.Scope.DEPLOYMENTS_WRITE (api sits above us)


def is_pipeline_action(action: str, user: User) -> bool:
    """A token's service user (`api.ApiToken.user`, reached by its relation: the api app sits
    above this one) with the deployments:write scope may take the PIPELINE_ACTIONS. The API
    checks the token's expiry and revocation before any service runs."""
    # Service users have no usable password: people's pages ask without a query.
    if action not in PIPELINE_ACTIONS or not _is_active(user) or user.has_usable_password():
        return False
    token = getattr(user, "api_token", None)
    return token is not None and token.revoked_at is None and PIPELINE_SCOPE in token.scopes


def can(user: User, action: str, release: Release, *, held: set[str] | None = None) -> bool:
    """`held`: the roles the user holds on the release, when the caller knows them already."""
    if not _is_active(user):
        return False
    if is_admin_action(action, user) or is_pipeline_action(action, user):
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


def can_manage_assignments(
    user: User, release: Release | None = None, *, held: set[str] | None = None
) -> bool:
    """Admins on every release; a release's Project Manager (holder or backup) on that one.

    `release` None asks about the team as a whole (admins only); `held`: the roles the user
    holds on the release, when the caller knows them already.
    """
    if not _is_active(user):
        return False
    if user.has_perm("releases.change_roleassignment"):
        return True
    if release is None:
        return False
    if held is None:
        held = held_role_keys(user, release)
    return RoleKey.PROJECT_MANAGER in held


def require_manage_assignments(user: User, release: Release | None = None) -> None:
    if not can_manage_assignments(user, release):
        raise PermissionDenied(
            "Only an admin or this release's Project Manager may change who holds a role."
        )


def can_run_team(user: User) -> bool:
    """Team-wide settings (default holders, separation of duties and its exceptions): admins."""
    return _is_active(user) and user.is_superuser


def require_run_team(user: User) -> None:
    if not can_run_team(user):
        raise PermissionDenied("Only an admin may change this.")


def can_export_audit(user: User, defaults: Iterable[DefaultHolder] | None = None) -> bool:
    """A period's audit trail, every release's and the team's: admins, and the team-wide
    Project Manager (default holder or backup), who answers for the process. A release's own
    trail is on its page, which everyone signed in may read. `defaults`: the default holders
    already loaded (with their roles), to spare the query."""
    if not _is_active(user):
        return False
    if user.is_superuser:
        return True
    if defaults is not None:
        return any(
            d.role.key == RoleKey.PROJECT_MANAGER and user.pk in (d.holder_id, d.backup_id)
            for d in defaults
        )
    return (
        DefaultHolder.objects.filter(role__key=RoleKey.PROJECT_MANAGER)
        .filter(Q(holder=user) | Q(backup=user))
        .exists()
    )


def require_export_audit(user: User) -> None:
    if not can_export_audit(user):
        raise PermissionDenied(
            "Only an admin or the team's Project Manager may download the audit trail of a period."
        )


def can_override_deploy(user: User, release: Release, *, held: set[str] | None = None) -> bool:
    """Letting a deploy through a freeze or outside its window: admins, and the release's
    Project Manager (holder or backup)."""
    if not _is_active(user):
        return False
    if user.is_superuser:
        return True
    if held is None:
        held = held_role_keys(user, release)
    return RoleKey.PROJECT_MANAGER in held


def require_override_deploy(user: User, release: Release) -> None:
    if not can_override_deploy(user, release):
        raise PermissionDenied(
            "Only an admin or this release's Project Manager may let a deploy through."
        )
