"""Two people acting at the same moment on PostgreSQL: exactly one decision stands."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from octoacme.errors import Refused
from releases import services
from releases.models import RoleKey
from signoffs import services as gate_services
from signoffs.models import GateState

from ..builders import gate

# Transactional: each thread needs its own committed view. `seeded` restores the guide's
# rows, which the truncation after each such test removes.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded"),
]
QA = RoleKey.QA_LEAD


def race(*actions: Callable[[], Any]) -> list[Any]:
    """Run the actions in threads released at the same instant; return result or exception."""
    barrier = threading.Barrier(len(actions))
    results: list[Any] = [None] * len(actions)

    def run(i: int, action: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[i] = action()
        except Exception as exc:  # The loser's refusal is the result under test.
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def test_holder_and_backup_decide_the_same_gate_at_once(team, build):
    release = build.staging()
    qa = gate(release, QA)
    results = race(
        lambda: gate_services.gate_approve(gate_id=qa.pk, actor=team[QA], revision=0),
        lambda: gate_services.gate_reject(
            gate_id=qa.pk, actor=team.backup, reason="Bug", revision=0
        ),
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], Refused), results
    final = gate(release, QA)
    assert final.state in {GateState.APPROVED, GateState.REJECTED}
    decisions = release.audit_events.filter(verb__in=["gate.approved", "gate.rejected"])
    assert decisions.count() == 1
    assert decisions.get().to_state == final.state


def test_two_approvals_of_the_same_gate_make_one_event(team, build):
    release = build.staging()
    qa = gate(release, QA)
    results = race(
        *[
            lambda u=u: gate_services.gate_approve(gate_id=qa.pk, actor=u)
            for u in (team[QA], team.backup)
        ]
        * 2
    )
    assert sum(not isinstance(r, Exception) for r in results) == 1, results
    assert release.audit_events.filter(verb="gate.approved").count() == 1


def test_reassigning_while_the_holder_signs(team, build):
    release = build.staging()
    qa = gate(release, QA)
    results = race(
        lambda: gate_services.gate_approve(gate_id=qa.pk, actor=team[QA]),
        lambda: services.role_assign(
            release_id=release.pk, role_key=QA, holder=team.outsider, actor=team.admin
        ),
    )
    signed, assigned = results
    assert not isinstance(assigned, Exception)
    final = gate(release, QA)
    if isinstance(signed, PermissionDenied):  # Reassignment went first.
        assert final.state == GateState.PENDING
    else:  # The holder signed first, while they still held the role...
        assert release.audit_events.filter(verb="gate.approved", actor=team[QA]).exists()
        # ...and the reassignment then took that approval away: the new holder signs.
        assert (final.state, final.stale, final.decided_by) == (GateState.PENDING, True, None)
