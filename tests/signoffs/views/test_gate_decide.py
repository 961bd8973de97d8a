"""Deciding a gate (`gate-decide`): its holder approves, rejects or revokes, on a fresh form."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from releases.models import RoleKey
from signoffs.models import GateState, SignOff

from ...builders import Builder, audit_events, gate, login_url, messages_of, refresh

pytestmark = pytest.mark.django_db

QA, DEVOPS, PM = RoleKey.QA_LEAD, RoleKey.DEVOPS_ENGINEER, RoleKey.PROJECT_MANAGER


def url(signoff: SignOff, decision: str) -> str:
    return reverse("gate-decide", args=[signoff.pk, decision])


@pytest.fixture
def qa(build: Builder) -> SignOff:
    """The QA Lead's gate, open on a release in staging."""
    return gate(build.staging(), QA)


class TestApprove:
    def test_it_requires_login(self, client, qa):
        response = client.post(url(qa, "approve"), {"revision": qa.revision})
        assert response.status_code == 302
        assert response["Location"] == login_url(url(qa, "approve"))
        assert refresh(qa).state != GateState.APPROVED

    def test_it_refuses_someone_without_the_role(self, client, team, qa):
        client.force_login(team[DEVOPS])
        events = audit_events()
        response = client.post(url(qa, "approve"), {"revision": qa.revision})
        assert response.status_code == 403
        assert refresh(qa).state != GateState.APPROVED
        assert audit_events() == events

    def test_it_works_for_the_holder(self, client, team, qa):
        client.force_login(team[QA])
        response = client.post(url(qa, "approve"), {"revision": qa.revision})
        assert response.status_code == 302
        assert refresh(qa).state == GateState.APPROVED, messages_of(response)


class TestReject:
    def data(self, signoff: SignOff) -> dict[str, object]:
        return {"revision": signoff.revision, "comment": "Broken"}

    def test_it_requires_login(self, client, qa):
        response = client.post(url(qa, "reject"), self.data(qa))
        assert response.status_code == 302
        assert response["Location"] == login_url(url(qa, "reject"))
        assert refresh(qa).state != GateState.REJECTED

    def test_it_refuses_someone_without_the_role(self, client, team, qa):
        client.force_login(team[PM])
        events = audit_events()
        assert client.post(url(qa, "reject"), self.data(qa)).status_code == 403
        assert refresh(qa).state != GateState.REJECTED
        assert audit_events() == events

    def test_it_works_for_the_holder(self, client, team, qa):
        client.force_login(team[QA])
        response = client.post(url(qa, "reject"), self.data(qa))
        assert response.status_code == 302
        assert refresh(qa).state == GateState.REJECTED, messages_of(response)


class TestRevoke:
    @pytest.fixture
    def approved(self, build: Builder) -> SignOff:
        release = build.staging()
        build.approve(release, QA)
        return gate(release, QA)

    def test_it_requires_login(self, client, approved):
        response = client.post(url(approved, "revoke"), {"revision": approved.revision})
        assert response.status_code == 302
        assert response["Location"] == login_url(url(approved, "revoke"))
        assert refresh(approved).state != GateState.PENDING

    def test_it_refuses_someone_without_the_role(self, client, team, approved):
        client.force_login(team[DEVOPS])
        events = audit_events()
        response = client.post(url(approved, "revoke"), {"revision": approved.revision})
        assert response.status_code == 403
        assert refresh(approved).state != GateState.PENDING
        assert audit_events() == events

    def test_it_works_for_the_holder(self, client, team, approved):
        client.force_login(team[QA])
        response = client.post(url(approved, "revoke"), {"revision": approved.revision})
        assert response.status_code == 302
        assert refresh(approved).state == GateState.PENDING, messages_of(response)


def test_it_refuses_an_admin_who_does_not_hold_the_gate(client, team, qa):
    client.force_login(team.admin)
    assert client.post(url(qa, "approve"), {"revision": 0}).status_code == 403
    assert refresh(qa).state == GateState.PENDING


def test_an_unknown_gate_is_404(client, team):
    client.force_login(team[PM])
    assert client.post(reverse("gate-decide", args=[999999, "approve"])).status_code == 404


def test_a_form_older_than_the_gate_is_refused_with_a_message(client, team, build):
    release = build.staging()
    qa = gate(release, QA)
    drawn = qa.revision
    build.approve(release, QA)  # the backup's page is now out of date
    client.force_login(team.backup)
    response = client.post(url(qa, "reject"), {"revision": drawn, "comment": "No"}, follow=True)
    assert "changed while you were reading it" in response.content.decode()
    assert refresh(qa).state == GateState.APPROVED


def test_a_rejection_without_a_reason_is_refused_with_a_message(client, team, qa):
    client.force_login(team[QA])
    data = {"revision": qa.revision, "comment": ""}
    response = client.post(url(qa, "reject"), data, follow=True)
    assert "A reason for rejecting is required" in response.content.decode()
    assert refresh(qa).state == GateState.PENDING


def test_csrf_is_enforced(team, qa):
    client = Client(enforce_csrf_checks=True)
    client.force_login(team[QA])
    assert client.post(url(qa, "approve"), {"revision": 0}).status_code == 403
    assert refresh(qa).state == GateState.PENDING
