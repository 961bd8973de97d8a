"""The one place that talks to django-guardian about gates.

Signing is an object permission on the gate, granted and revoked only by the assignment
service. Guardian's backend says yes to superusers for every permission; a sign-off must be
given by the person who holds the role, so `can_sign` reads the user's own grants instead.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from guardian.shortcuts import assign_perm, get_user_perms, remove_perm

from .models import SignOff, SignOffUserObjectPermission

SIGN = "sign_signoff"


def grant_sign(user: AbstractBaseUser, gate: SignOff) -> None:
    assign_perm(SIGN, user, gate)


def revoke_sign(user: AbstractBaseUser, gate: SignOff) -> None:
    remove_perm(SIGN, user, gate)


def can_sign(user: AbstractBaseUser | AnonymousUser, gate: SignOff) -> bool:
    if not (user and user.is_authenticated and user.is_active):
        return False
    # Not user.has_perm(): that is True for every superuser, whether they hold the role or not.
    return SIGN in get_user_perms(user, gate)


def signable_gates(user: AbstractBaseUser | AnonymousUser) -> QuerySet[SignOff]:
    """Gates `user` may sign, by a join on guardian's direct table (no generic lookups)."""
    if not (user and user.is_authenticated and user.is_active):
        return SignOff.objects.none()
    gate_ids = SignOffUserObjectPermission.objects.filter(
        user=user, permission__codename=SIGN
    ).values("content_object_id")
    return SignOff.objects.filter(pk__in=gate_ids)
