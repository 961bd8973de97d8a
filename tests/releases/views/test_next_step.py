"""The release page's next step: what still blocks it, each with its owner and a link, and a
button that is enabled only when nothing does."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from releases import services
from releases.models import Release, RoleKey

from ...builders import Builder, refresh

pytestmark = pytest.mark.django_db

QA, DEVOPS, PM = RoleKey.QA_LEAD, RoleKey.DEVOPS_ENGINEER, RoleKey.PROJECT_MANAGER


def page(client, release: Release) -> str:
    return client.get(reverse("release-detail", args=[release.pk])).content.decode()


def button(html: str, label: str) -> str:
    """The opening tag of the button with this label."""
    found = re.search(r"<button[^>]*>" + re.escape(label) + "</button>", html)
    assert found, f"no “{label}” button"
    return found.group(0)


def blockers(html: str) -> list[str]:
    """The next step's list, as text: each item's words with the tags removed."""
    found = re.search(r'<div class="blocked next-blockers" id="next-blockers".*?</ul>', html, re.S)
    if not found:
        return []
    items = re.findall(r"<li>(.*?)</li>", found.group(0), re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", i).split()) for i in items]


class TestClose:
    def test_the_button_is_disabled_and_the_page_lists_what_is_left(self, client, team, build):
        release = build.deployed()
        client.force_login(team[PM])
        html = page(client, release)
        assert button(html, "Close release") == (
            '<button class="primary" type="submit" disabled aria-describedby="next-blockers">'
            "Close release</button>"
        )
        left = blockers(html)
        assert "Checklist item “Run post-deploy verifications” is open · QA Lead: qa-lead" in left
        assert (
            "The Customer Success Manager → Product Manager hand-off is not sent · "
            "Customer Success Manager: customer-success-manager"
        ) in left
        assert "Before you can close the release," in html
        # Each links to its section of the page.
        assert '<a href="#handoffs">The DevOps Engineer → Project Manager hand-off' in html
        assert '<a href="#checklist">Checklist item “Run post-deploy verifications”' in html
        assert '<a href="#duties">' in html

    def test_the_list_is_the_one_the_service_refuses_with(self, client, team, build):
        release = build.deployed()
        client.force_login(team[PM])
        left = blockers(page(client, release))
        response = client.post(reverse("release-action", args=[release.pk, "close"]))
        [refusal] = [str(m) for m in response.wsgi_request._messages]
        assert refusal.startswith("Cannot close yet: ")
        assert refusal.count("; ") == len(left) - 1
        assert refresh(release).stage == "deployed"

    def test_the_button_is_enabled_when_nothing_blocks(self, client, team, build: Builder):
        release = build.post_release_done(build.deployed())
        client.force_login(team[PM])
        html = page(client, release)
        assert (
            button(html, "Close release")
            == '<button class="primary" type="submit">Close release</button>'
        )
        assert 'id="next-blockers"' not in html

    def test_an_open_incident_is_listed_with_its_owner(self, client, team, build):
        release = build.post_release_done(build.deployed())
        services.incident_open(release_id=release.pk, actor=team[QA], title="Checkout 500s")
        client.force_login(team[PM])
        html = page(client, release)
        assert blockers(html) == [
            "Incident “Checkout 500s” is open · DevOps Engineer: devops-engineer"
        ]
        assert 'href="#incidents"' in html
        assert "disabled" in button(html, "Close release")

    def test_someone_who_may_not_close_sees_the_list_but_no_button(self, client, team, build):
        release = build.deployed()
        client.force_login(team.outsider)
        html = page(client, release)
        assert blockers(html)
        assert "Close release</button>" not in html


class TestDeploy:
    def test_the_deploy_button_waits_for_the_final_decision(self, client, team, build):
        release = build.approved()
        client.force_login(team[DEVOPS])
        html = page(client, release)
        assert "disabled" in button(html, "Record production deploy")
        assert (
            "The Product Manager has not recorded “Approve final release decision” yet · "
            "Product Manager: product-manager"
        ) in blockers(html)

    def test_it_is_enabled_for_a_ready_release(self, client, team, build):
        release = build.ready_to_deploy()
        client.force_login(team[DEVOPS])
        html = page(client, release)
        assert "disabled" not in button(html, "Record production deploy")
        assert blockers(html) == []

    def test_a_downgrade_keeps_its_form_and_is_not_a_blocker(self, client, team, build):
        build.deployed(version="1.1.0", release_type="major")
        older = build.ready_to_deploy(version="1.2.0", release_type="minor")
        build.deployed(version="1.3.0", release_type="minor")
        client.force_login(team[DEVOPS])
        html = page(client, older)
        assert 'name="downgrade_reason"' in html
        assert button(html, "Record production deploy as a downgrade") == (
            '<button class="danger" type="submit">Record production deploy as a downgrade</button>'
        )


class TestStage:
    def test_the_move_to_staging_waits_for_the_pre_release_items(self, client, team, build):
        release = build.create(rollback_plan="")
        client.force_login(team[DEVOPS])
        html = page(client, release)
        label = "Deployed to staging, smoke tests ran: start sign-off"
        assert "disabled" in button(html, label)
        assert len(blockers(html)) == 5
        ready = build.pre_release_done(build.create())
        assert "disabled" not in button(page(client, ready), label)
