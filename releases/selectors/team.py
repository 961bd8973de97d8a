"""The Team page: default holders, the separation-of-duties switch and each active release's
assignments, in a fixed number of queries however many releases are active."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch

from .. import permissions
from ..models import DefaultHolder, DutyException, Release, Role, RoleAssignment, TeamSettings


@dataclass
class DefaultRow:
    role: Role
    holder: AbstractBaseUser | None
    backup: AbstractBaseUser | None
    # Active releases whose assignment of this role is still exactly this default.
    still_default: int = 0


@dataclass
class ReleaseRow:
    release: Release
    assignments: list[RoleAssignment]
    exceptions: list[DutyException]
    may_assign: bool


@dataclass
class TeamPage:
    separate_duties: bool
    may_run_team: bool
    defaults: list[DefaultRow]
    releases: list[ReleaseRow]
    # Whom a form may name: active people, once for the whole page (not once per form).
    people: list[AbstractBaseUser] = field(default_factory=list)
    may_export_audit: bool = False

    @property
    def may_assign_any(self) -> bool:
        return any(r.may_assign for r in self.releases)


def _default(role: Role) -> DefaultHolder | None:
    try:
        return role.default_holder
    except DefaultHolder.DoesNotExist:
        return None


def team_page(user: AbstractBaseUser) -> TeamPage:
    roles = Role.objects.select_related("default_holder__holder", "default_holder__backup")
    defaults, holders = [], []
    for role in roles:
        d = _default(role)
        defaults.append(DefaultRow(role, d.holder if d else None, d.backup if d else None))
        holders += [d] if d else []
    releases = list(
        Release.objects.active()
        .order_by("window_start", "id")
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=RoleAssignment.objects.select_related("role", "holder", "backup"),
                to_attr="assignment_list",
            ),
            Prefetch(
                "duty_exceptions",
                queryset=DutyException.objects.select_related("person", "created_by").order_by(
                    "id"
                ),
                to_attr="exception_list",
            ),
        )
    )
    by_role = {row.role.pk: row for row in defaults}
    rows = []
    for release in releases:
        held = set()
        for a in release.assignment_list:
            row = by_role.get(a.role_id)
            if row and (a.holder_id, a.backup_id) == (
                row.holder.pk if row.holder else None,
                row.backup.pk if row.backup else None,
            ):
                row.still_default += 1
            if user.pk in (a.holder_id, a.backup_id):
                held.add(a.role.key)
        may = permissions.can_manage_assignments(user, release, held=held)
        rows.append(ReleaseRow(release, release.assignment_list, release.exception_list, may))
    may_run_team = permissions.can_run_team(user)
    editing = may_run_team or any(r.may_assign for r in rows)
    people = (
        list(get_user_model().objects.filter(is_active=True).order_by("username"))
        if editing
        else []
    )
    return TeamPage(
        separate_duties=TeamSettings.load().separate_duties,
        may_run_team=may_run_team,
        defaults=defaults,
        releases=rows,
        people=people,
        may_export_audit=permissions.can_export_audit(user, holders),
    )
