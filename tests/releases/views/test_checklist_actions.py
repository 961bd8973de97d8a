"""Checklist actions (`checklist-action`): an item's owner marks it done or not applicable."""

from __future__ import annotations

import pytest
from django.urls import reverse

from releases.models import ChecklistItem, ChecklistState, RoleKey

from ...builders import Builder, audit_events, login_url, messages_of, refresh

pytestmark = pytest.mark.django_db

QA, DEVOPS, PM = RoleKey.QA_LEAD, RoleKey.DEVOPS_ENGINEER, RoleKey.PROJECT_MANAGER


def url(item: ChecklistItem, action: str) -> str:
    return reverse("checklist-action", args=[item.pk, action])


class TestDone:
    @pytest.fixture
    def item(self, build: Builder) -> ChecklistItem:
        return build.create().checklist.get(template__key="smoke-tests")  # the QA Lead's

    def test_it_requires_login(self, client, item):
        response = client.post(url(item, "done"))
        assert response.status_code == 302
        assert response["Location"] == login_url(url(item, "done"))
        assert refresh(item).state != ChecklistState.DONE

    def test_it_refuses_someone_without_the_role(self, client, team, item):
        client.force_login(team[DEVOPS])
        events = audit_events()
        assert client.post(url(item, "done")).status_code == 403
        assert refresh(item).state != ChecklistState.DONE
        assert audit_events() == events

    def test_it_works_for_the_holder(self, client, team, item):
        client.force_login(team[QA])
        response = client.post(url(item, "done"))
        assert response.status_code == 302
        assert refresh(item).state == ChecklistState.DONE, messages_of(response)


class TestNotApplicable:
    DATA = {"reason": "No data change"}

    @pytest.fixture
    def item(self, build: Builder) -> ChecklistItem:
        return build.create().checklist.get(template__key="backup-snapshot")  # DevOps'

    def test_it_requires_login(self, client, item):
        response = client.post(url(item, "na"), self.DATA)
        assert response.status_code == 302
        assert response["Location"] == login_url(url(item, "na"))
        assert refresh(item).state != ChecklistState.NOT_APPLICABLE

    def test_it_refuses_someone_without_the_role(self, client, team, item):
        client.force_login(team[QA])
        events = audit_events()
        assert client.post(url(item, "na"), self.DATA).status_code == 403
        assert refresh(item).state != ChecklistState.NOT_APPLICABLE
        assert audit_events() == events

    def test_it_works_for_the_holder(self, client, team, item):
        client.force_login(team[DEVOPS])
        response = client.post(url(item, "na"), self.DATA)
        assert response.status_code == 302
        assert refresh(item).state == ChecklistState.NOT_APPLICABLE, messages_of(response)


def test_an_unknown_item_is_404(client, team):
    client.force_login(team[PM])
    assert client.post(reverse("checklist-action", args=[999999, "done"])).status_code == 404
