"""The gates a set of people owe, read once for the reminder digest and the delegates' lines."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F, FilteredRelation, Q, QuerySet

from signoffs.models import SignOff


def gates_owed_by(due: QuerySet[SignOff], people: Iterable[int]) -> QuerySet:
    """Rows (holder_id, backup_id, release_id, gate_id, release name, version, role name,
    opened_at, due_at) of the `due` gates whose role `people` hold or back up: one join of each
    gate to its role's assignment (same release, same role)."""
    people = list(people)
    return (
        due.annotate(
            assignment=FilteredRelation(
                "release__assignments", condition=Q(release__assignments__role=F("role"))
            )
        )
        .filter(Q(assignment__holder_id__in=people) | Q(assignment__backup_id__in=people))
        .order_by("release__window_start", "release_id", "role__position")
        .values_list(
            "assignment__holder_id",
            "assignment__backup_id",
            "release_id",
            "pk",
            "release__name",
            "release__version",
            "role__name",
            "opened_at",
            "due_at",
        )
    )
