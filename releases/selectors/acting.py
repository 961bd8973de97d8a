"""My work for someone acting for others (#14): which rows a delegate may act on, as query
conditions, and whom they act for on each row. The rule is `permissions.roles_held`: the
roles of the people who delegate to the user now count only on releases where the user holds
no role of their own."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Subquery, When

from signoffs.models import SignOffUserObjectPermission
from signoffs.permissions import SIGN

from ..models import RoleAssignment

L = TypeVar("L", bound=Iterable[Any])


def assigned(release_ref: str, **role: Any) -> QuerySet[RoleAssignment]:
    return RoleAssignment.objects.filter(release=OuterRef(release_ref), **role)


def acts(user: AbstractBaseUser, givers: list[int], release_ref: str, **role: Any) -> Q:
    """The user holds the role on the release, or holds no role there and someone who
    delegates to them now does (`permissions.roles_held`, as a condition)."""
    own = Exists(assigned(release_ref, **role).filter(Q(holder=user) | Q(backup=user)))
    if not givers:
        return Q(own)
    any_own = Exists(assigned(release_ref).filter(Q(holder=user) | Q(backup=user)))
    given = Exists(
        assigned(release_ref, **role).filter(Q(holder__in=givers) | Q(backup__in=givers))
    )
    return Q(own) | (Q(given) & ~Q(any_own))


def for_whom(
    qs: QuerySet, user: AbstractBaseUser, givers: dict[int, Any], release_ref: str, **role: Any
) -> QuerySet:
    """Annotate who the user would act for on each row (a giver's id), unless it is their own."""
    if not givers:
        return qs
    ids = list(givers)
    return qs.annotate(
        acting_own=Exists(assigned(release_ref, **role).filter(Q(holder=user) | Q(backup=user))),
        acting_giver=Subquery(
            assigned(release_ref, **role)
            .filter(Q(holder__in=ids) | Q(backup__in=ids))
            .annotate(
                giver=Case(When(holder_id__in=ids, then=F("holder_id")), default=F("backup_id"))
            )
            .values("giver")[:1]
        ),
    )


def label(
    listing: L, givers: dict[int, Any], *, annotated: Callable[[Any], Any] = lambda row: row
) -> L:
    """Each row's `acting_for`: the person the user acts for there, or None (their own).
    `annotated`: where `for_whom` put its annotations on a row."""
    for row in listing:
        target = annotated(row)
        giver = None if getattr(target, "acting_own", True) else getattr(target, "acting_giver", 0)
        row.acting_for = givers.get(giver)
    return listing


def gates_for_whom(qs: QuerySet, user: AbstractBaseUser, givers: dict[int, Any]) -> QuerySet:
    """Annotate whose grant a listed gate is signed with, when it is not the user's own."""
    if not givers:
        return qs
    grants = SignOffUserObjectPermission.objects.filter(
        content_object=OuterRef("pk"), permission__codename=SIGN
    )
    return qs.annotate(
        acting_own=Exists(grants.filter(user=user)),
        acting_giver=Subquery(grants.filter(user__in=list(givers)).values("user_id")[:1]),
    )
