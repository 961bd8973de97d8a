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


class TestEvidence:
    """Ticks backed by evidence, through the page: the refusal names the field and the page
    links to it; the CI and acceptance items are ticked with links the page shows."""

    def test_a_tick_without_its_field_is_refused_with_a_message(self, client, team, build):
        release = build.create(notable_changes="")
        item = release.checklist.get(template__key="release-notes")  # the Product Manager's
        client.force_login(team[RoleKey.PRODUCT_MANAGER])
        events = audit_events()
        response = client.post(url(item, "done"))
        assert response.status_code == 302
        assert messages_of(response) == [
            "Fill in Notable changes on the release before ticking “Release notes drafted”."
        ]
        assert refresh(item).state == ChecklistState.OPEN
        assert audit_events() == events

    def test_the_page_links_to_the_field_to_fill_in(self, client, team, build):
        release = build.create(summary="", notable_changes="")
        client.force_login(team[RoleKey.PRODUCT_MANAGER])
        page = client.get(reverse("release-detail", args=[release.pk])).content.decode()
        edit = reverse("release-edit", args=[release.pk])
        assert f'<a href="{edit}#id_summary">Fill in Summary</a>' in page
        assert f'<a href="{edit}#id_notable_changes">Fill in Notable changes</a>' in page
        # The edit form has the fields the links point at.
        form = client.get(edit).content.decode()
        assert 'id="id_summary"' in form and 'id="id_notable_changes"' in form

    def test_the_window_item_can_still_be_marked_not_applicable_from_the_page(
        self, client, team, build
    ):
        release = build.create()
        item = release.checklist.get(template__key="deployment-window")
        client.force_login(team[PM])
        page = client.get(reverse("release-detail", args=[release.pk])).content.decode()
        assert url(item, "na") in page and url(item, "done") not in page
        response = client.post(url(item, "na"), {"reason": "Continuous deploy"})
        assert refresh(item).state == ChecklistState.NOT_APPLICABLE, messages_of(response)

    def test_evidence_links_are_stored_and_shown_as_links(self, client, team, build):
        release = build.create()
        item = release.checklist.get(template__key="ci-security")
        client.force_login(team[DEVOPS])
        page = client.get(reverse("release-detail", args=[release.pk])).content.decode()
        assert f'id="evidence-{item.pk}" name="evidence"' in page
        response = client.post(url(item, "done"), {"evidence": "https://ci.example.com/runs/7\r\n"})
        assert messages_of(response) == ["Checklist item done."]
        assert refresh(item).evidence == "https://ci.example.com/runs/7"
        client.force_login(team.outsider)  # Anyone signed in sees the evidence.
        page = client.get(reverse("release-detail", args=[release.pk])).content.decode()
        assert '<a href="https://ci.example.com/runs/7" rel="noopener noreferrer nofollow">' in page

    @pytest.mark.parametrize(
        ("evidence", "message"),
        [
            ("", "needs evidence: give at least one link"),
            ("javascript:alert(1)", "only http:// and https:// links are accepted"),
            ("x" * 5001, "Ensure this value has at most 5000 characters"),
        ],
    )
    def test_bad_evidence_is_refused_and_changes_nothing(
        self, client, team, build, evidence, message
    ):
        release = build.create()
        item = release.checklist.get(template__key="acceptance-criteria")
        client.force_login(team[RoleKey.BUSINESS_ANALYST])
        events = audit_events()
        response = client.post(url(item, "done"), {"evidence": evidence})
        assert response.status_code == 302
        assert any(message in m for m in messages_of(response)), messages_of(response)
        item = refresh(item)
        assert (item.state, item.evidence) == (ChecklistState.OPEN, "")
        assert audit_events() == events

    def test_bad_evidence_from_someone_without_the_role_is_403(self, client, team, build):
        item = build.create().checklist.get(template__key="acceptance-criteria")
        client.force_login(team[QA])
        assert client.post(url(item, "done"), {"evidence": "x" * 5001}).status_code == 403
        assert client.post(url(item, "done"), {"evidence": "https://a.example"}).status_code == 403
        assert refresh(item).state == ChecklistState.OPEN
