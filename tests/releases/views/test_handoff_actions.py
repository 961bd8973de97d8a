"""Hand-off actions (`handoff-send`, `handoff-ack`): the sending role sends, the receiver
acknowledges."""

from __future__ import annotations

import pytest
from django.urls import reverse

from releases import services
from releases.models import Handoff, HandoffState, RoleKey

from ...builders import Builder, audit_events, login_url, messages_of, refresh

pytestmark = pytest.mark.django_db

QA, DEVOPS, PM = RoleKey.QA_LEAD, RoleKey.DEVOPS_ENGINEER, RoleKey.PROJECT_MANAGER


def send_url(handoff: Handoff) -> str:
    return reverse("handoff-send", args=[handoff.pk])


def ack_url(handoff: Handoff) -> str:
    return reverse("handoff-ack", args=[handoff.pk])


class TestSend:
    DATA = {"notes": "All green"}

    @pytest.fixture
    def handoff(self, build: Builder) -> Handoff:
        return build.staging().handoffs.get(template__key="qa-to-devops")

    def test_it_requires_login(self, client, handoff):
        response = client.post(send_url(handoff), self.DATA)
        assert response.status_code == 302
        assert response["Location"] == login_url(send_url(handoff))
        assert refresh(handoff).state != HandoffState.SENT

    def test_it_refuses_someone_without_the_role(self, client, team, handoff):
        client.force_login(team[DEVOPS])
        events = audit_events()
        assert client.post(send_url(handoff), self.DATA).status_code == 403
        assert refresh(handoff).state != HandoffState.SENT
        assert audit_events() == events

    def test_it_works_for_the_holder(self, client, team, handoff):
        client.force_login(team[QA])
        response = client.post(send_url(handoff), self.DATA)
        assert response.status_code == 302
        assert refresh(handoff).state == HandoffState.SENT, messages_of(response)


class TestAcknowledge:
    DATA = {"decision": "proceed", "response": ""}

    @pytest.fixture
    def handoff(self, team, build: Builder) -> Handoff:
        release = build.staging()
        handoff = release.handoffs.get(template__key="qa-to-devops")
        services.handoff_send(handoff_id=handoff.pk, actor=team[QA], notes="All green")
        return handoff

    def test_it_requires_login(self, client, handoff):
        response = client.post(ack_url(handoff), self.DATA)
        assert response.status_code == 302
        assert response["Location"] == login_url(ack_url(handoff))
        assert refresh(handoff).state != HandoffState.ACKNOWLEDGED

    def test_it_refuses_someone_without_the_role(self, client, team, handoff):
        client.force_login(team[QA])
        events = audit_events()
        assert client.post(ack_url(handoff), self.DATA).status_code == 403
        assert refresh(handoff).state != HandoffState.ACKNOWLEDGED
        assert audit_events() == events

    def test_it_works_for_the_holder(self, client, team, handoff):
        client.force_login(team[DEVOPS])
        response = client.post(ack_url(handoff), self.DATA)
        assert response.status_code == 302
        assert refresh(handoff).state == HandoffState.ACKNOWLEDGED, messages_of(response)
        assert refresh(handoff).decision == "proceed"

    def test_a_hold_without_a_note_is_refused_and_changes_nothing(self, client, team, handoff):
        client.force_login(team[DEVOPS])
        events = audit_events()
        response = client.post(ack_url(handoff), {"decision": "hold", "response": " \r\n "})
        assert messages_of(response) == ["Why hold is required."] or any(
            "Why hold" in m for m in messages_of(response)
        )
        assert (refresh(handoff).state, refresh(handoff).decision) == (HandoffState.SENT, "")
        assert audit_events() == events


def test_an_unknown_handoff_is_404(client, team):
    client.force_login(team[PM])
    assert client.post(reverse("handoff-send", args=[999999])).status_code == 404
