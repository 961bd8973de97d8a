"""A delegate signs the gates of the person who delegated to them (#14): the decision and the
audit trail say "by X for Y"; a cancelled or ended delegation stops at once; and delegation never
lets someone sign a second role's gate on a release where they hold one (the page says why)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from releases import services
from releases.models import AuditEvent, RoleKey
from signoffs import services as gate_services
from signoffs.models import GateState
from signoffs.permissions import can_sign, signable_gates, signing_for

from ..builders import gate, refresh

pytestmark = pytest.mark.django_db

QA, DEVOPS, UX = RoleKey.QA_LEAD, RoleKey.DEVOPS_ENGINEER, RoleKey.UX_DESIGNER
NOW = datetime(2026, 6, 2, 9, 0, tzinfo=ZoneInfo("UTC"))


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def delegate(team, person=QA, to=None, **period):
    return services.delegation_create(
        person=team[person],
        delegate=to or team.outsider,
        starts_at=period.get("start", NOW - timedelta(hours=1)),
        ends_at=period.get("end", NOW + timedelta(days=7)),
        actor=team[person],
    )


def test_the_delegate_signs_and_the_audit_says_by_whom_for_whom(team, build):
    release = build.staging()
    qa = gate(release, QA)
    assert not can_sign(team.outsider, qa)
    delegate(team)
    assert can_sign(team.outsider, qa)
    assert signing_for(team.outsider, qa) == team[QA]
    gate_services.gate_approve(gate_id=qa.pk, actor=team.outsider, comment="Tests pass.")
    qa = refresh(qa)
    assert (qa.state, qa.decided_by, qa.decided_for) == (
        GateState.APPROVED,
        team.outsider,
        team[QA],
    )
    event = AuditEvent.objects.get(release=release, verb="gate.approved")
    assert (event.actor, event.on_behalf_of) == (team.outsider, team[QA])
    assert event.comment == "For qa-lead, by delegation. Tests pass."


def test_the_delegate_may_revoke_for_the_person_too(team, build):
    release = build.staging()
    delegate(team)
    qa = gate(release, QA)
    gate_services.gate_approve(gate_id=qa.pk, actor=team[QA])
    gate_services.gate_revoke(gate_id=qa.pk, actor=team.outsider, comment="Found a bug.")
    event = AuditEvent.objects.get(release=release, verb="gate.revoked")
    assert (event.actor, event.on_behalf_of) == (team.outsider, team[QA])


def test_the_holder_and_the_backup_still_sign_as_themselves(team, build):
    release = build.staging()
    delegate(team)
    qa = gate(release, QA)
    assert signing_for(team[QA], qa) is None
    gate_services.gate_approve(gate_id=qa.pk, actor=team.backup)
    event = AuditEvent.objects.get(release=release, verb="gate.approved")
    assert event.on_behalf_of is None and refresh(qa).decided_for == team[QA]


def test_a_cancelled_delegation_stops_at_once(team, build):
    release = build.staging()
    d = delegate(team)
    services.delegation_cancel(delegation_id=d.pk, actor=team[QA])
    qa = gate(release, QA)
    events = release.audit_events.count()
    with pytest.raises(PermissionDenied, match="You do not hold the QA Lead gate"):
        gate_services.gate_approve(gate_id=qa.pk, actor=team.outsider)
    assert refresh(qa).state == GateState.PENDING
    assert release.audit_events.count() == events


def test_signing_ends_with_the_period_to_the_second(team, build):
    release = build.staging()
    end = NOW + timedelta(hours=2)
    delegate(team, end=end)
    qa = gate(release, QA)
    with time_machine.travel(end - timedelta(seconds=1), tick=False):
        assert can_sign(team.outsider, qa)
        assert qa.pk in set(signable_gates(team.outsider).values_list("pk", flat=True))
    with time_machine.travel(end, tick=False):
        assert not can_sign(team.outsider, qa)
        assert not signable_gates(team.outsider).exists()
        with pytest.raises(PermissionDenied):
            gate_services.gate_approve(gate_id=qa.pk, actor=team.outsider)


def test_a_delegate_holding_a_role_on_the_release_may_not_sign_the_persons_gate(team, build):
    release = build.staging()
    delegate(team, person=UX, to=team[DEVOPS])
    ux = gate(release, UX)
    assert not can_sign(team[DEVOPS], ux)
    assert can_sign(team[DEVOPS], gate(release, DEVOPS))  # their own, still
    with pytest.raises(PermissionDenied):
        gate_services.gate_approve(gate_id=ux.pk, actor=team[DEVOPS])
    assert refresh(ux).state == GateState.PENDING


def test_the_gate_page_says_why_separation_of_duties_refuses_it(client, team, build):
    release = build.staging()
    delegate(team, person=UX, to=team[DEVOPS])
    client.force_login(team[DEVOPS])
    response = client.get(reverse("gate-detail", args=[gate(release, UX).pk]))
    assert response.status_code == 403
    page = response.content.decode()
    assert "You act for ux-designer" in page
    assert "you hold the DevOps Engineer role on this release yourself" in page


def test_a_forged_decision_for_a_gate_not_delegated_is_refused(client, team, build):
    release = build.staging()
    delegate(team)  # the QA Lead's roles only
    client.force_login(team.outsider)
    devops = gate(release, DEVOPS)
    response = client.post(
        reverse("gate-decide", args=[devops.pk, "approve"]), {"revision": devops.revision}
    )
    assert response.status_code == 403
    assert refresh(devops).state == GateState.PENDING


def test_the_delegate_signs_through_the_page(client, team, build):
    release = build.staging()
    delegate(team)
    qa = gate(release, QA)
    client.force_login(team.outsider)
    assert client.get(reverse("gate-detail", args=[qa.pk])).status_code == 200
    response = client.post(
        reverse("gate-decide", args=[qa.pk, "approve"]),
        {"revision": qa.revision, "comment": "Looks good."},
    )
    assert response.status_code == 302
    assert refresh(qa).decided_for == team[QA]
