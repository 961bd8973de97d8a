"""The one place that talks to django-guardian about gates.

Signing is an object permission on the gate, granted and revoked only by the assignment
service. Guardian's backend says yes to superusers for every permission; a sign-off must be
given by the person who holds the role, so `can_sign` reads the user's own grants instead.

A delegate signs with the grants of whoever delegated to them (`_grants`), and the decision
says for whom (`signing_for`).
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet
from guardian.shortcuts import assign_perm, remove_perm

from octoacme.names import display_name
from releases import permissions
from releases.models import RoleAssignment
from releases.timefmt import format_time

from .models import SignOff, SignOffUserObjectPermission

SIGN = "sign_signoff"


def grant_sign(user: AbstractBaseUser, gate: SignOff) -> None:
    assign_perm(SIGN, user, gate)


def revoke_sign(user: AbstractBaseUser, gate: SignOff) -> None:
    remove_perm(SIGN, user, gate)


def _grants(user: AbstractBaseUser) -> QuerySet[SignOffUserObjectPermission]:
    """The sign grants `user` may use: their own, and those of the people who delegate to them
    now, on releases where `user` holds no role of their own (delegation never lets someone
    sign a second role's gate on one release). The one place gates meet delegation."""
    own_role_here = RoleAssignment.objects.filter(
        Q(holder=user) | Q(backup=user), release=OuterRef("content_object__release")
    )
    givers = permissions.delegations_to(user).values("person")
    return SignOffUserObjectPermission.objects.filter(
        Q(user=user) | (Q(user__in=givers) & ~Exists(own_role_here)),
        permission__codename=SIGN,
    )


def _active(user: AbstractBaseUser | AnonymousUser) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def can_sign(user: AbstractBaseUser | AnonymousUser, gate: SignOff) -> bool:
    if not _active(user):
        return False
    # Not user.has_perm(): that is True for every superuser, whether they hold the role or not.
    return _grants(user).filter(content_object=gate).exists()


def signing_for(user: AbstractBaseUser, gate: SignOff) -> AbstractBaseUser | None:
    """The person `user` signs `gate` for by delegation, or None when the grant is their own."""
    if not _active(user):
        return None
    grants = list(_grants(user).filter(content_object=gate).select_related("user"))
    if not grants or any(g.user_id == user.pk for g in grants):
        return None
    return grants[0].user


def why_not_delegated(user: AbstractBaseUser, gate: SignOff) -> str:
    """Why someone acting for the holder of `gate` may not sign it, or "": for the refusal."""
    if not _active(user):
        return ""
    holders = SignOffUserObjectPermission.objects.filter(
        content_object=gate, permission__codename=SIGN
    ).values("user")
    giver = (
        permissions.delegations_to(user).filter(person__in=holders).select_related("person").first()
    )
    if giver is None:
        return ""
    own = sorted(
        RoleAssignment.objects.filter(release_id=gate.release_id)
        .filter(Q(holder=user) | Q(backup=user))
        .values_list("role__name", flat=True)
    )
    if not own:
        return ""
    return (
        f"You act for {display_name(giver.person)} until {format_time(giver.ends_at)}, but you "
        f"hold the {', '.join(own)} role on this release yourself: separation of duties lets "
        f"nobody sign for a second role on one release, so the {gate.role.name} gate stays "
        f"with {display_name(giver.person)} (or its other holder)."
    )


def signable_gates(user: AbstractBaseUser | AnonymousUser) -> QuerySet[SignOff]:
    """Gates `user` may sign (their own and by delegation), by a join on guardian's direct
    table (no generic lookups)."""
    if not _active(user):
        return SignOff.objects.none()
    return SignOff.objects.filter(pk__in=_grants(user).values("content_object_id"))
