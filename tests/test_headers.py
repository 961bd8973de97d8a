"""Headers on every page (issue #12): a Content-Security-Policy with no inline script or style
and images from the site only, and `Cache-Control: private, no-store` for a signed-in person.

"Every page" is every URL name of releases/urls.py and signoffs/urls.py, the sign-in page and
the admin index; a URL added without an entry in PAGES fails the first test.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, reverse
from django.utils import timezone

from insights.urls import urlpatterns as insights_urls
from notifications.models import WebhookDelivery, WebhookEndpoint
from releases import services
from releases.models import RoleKey
from releases.urls import urlpatterns as release_urls
from signoffs.urls import urlpatterns as signoff_urls

from .builders import Builder, Team, gate

pytestmark = pytest.mark.django_db
QA, PM = RoleKey.QA_LEAD, RoleKey.PROJECT_MANAGER

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'self'",
    "object-src": "'none'",
}


def _objects(build: Builder, team: Team) -> dict[str, Any]:
    build.closed(version="1.0.0", release_type="major")
    release = build.deployed(version="1.1.0", release_type="minor")
    incident = services.incident_open(release_id=release.pk, actor=team[QA], title="Errors")
    action_item = services.action_item_add(
        incident_id=incident.pk,
        actor=team[PM],
        text="Add an alert",
        owner_id=team[QA].pk,
        due_on=timezone.localdate(),
    )
    later = timezone.now() + timedelta(days=30)
    freeze = services.freeze_create(
        actor=team.admin, reason="Audit", starts_at=later, ends_at=later + timedelta(days=1)
    )
    delegation = services.delegation_create(
        person=team[QA],
        delegate=team.outsider,
        starts_at=later,
        ends_at=later + timedelta(days=7),
        reason="",
        actor=team[QA],
    )
    # Rows only (registering would resolve the host, and this machine has no DNS).
    endpoint = WebhookEndpoint.objects.create(
        name="Chat", url="https://hooks.example.com/x", format="generic", secret="whsec_x"
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, msg_id="msg_1", event="gate.opened", payload={}, next_attempt_at=later
    )
    return {
        "endpoint": endpoint,
        "delivery": delivery,
        "freeze": freeze,
        "delegation": delegation,
        "action_item": action_item,
        "duty": release.duties.first(),
        "draft": build.create(),
        "release": release,
        "item": release.checklist.first(),
        "handoff": release.handoffs.first(),
        "incident": incident,
        "gate": gate(release, QA),
    }


# URL name -> the arguments of one page of that kind, from the objects above.
PAGES: dict[str, Callable[[dict[str, Any]], list[Any]]] = {
    "my-work": lambda o: [],
    "dashboard": lambda o: [],
    "release-create": lambda o: [],
    "release-detail": lambda o: [o["release"].pk],
    "release-edit": lambda o: [o["draft"].pk],
    "release-notes": lambda o: [o["release"].pk],
    "release-audit-csv": lambda o: [o["release"].pk],
    "release-audit": lambda o: [o["release"].pk],
    "audit-csv": lambda o: [],
    "incident-open": lambda o: [o["release"].pk],
    "release-action": lambda o: [o["release"].pk, "close"],
    "checklist-action": lambda o: [o["item"].pk, "done"],
    "handoff-send": lambda o: [o["handoff"].pk],
    "handoff-ack": lambda o: [o["handoff"].pk],
    "incident-rollback": lambda o: [o["incident"].pk],
    "incident-resolve": lambda o: [o["incident"].pk],
    "incident-mitigate": lambda o: [o["incident"].pk],
    "incident-fix-forward": lambda o: [o["incident"].pk],
    "incident-close-review": lambda o: [o["incident"].pk],
    "release-failed-deploy": lambda o: [o["release"].pk],
    "action-item-add": lambda o: [o["incident"].pk],
    "action-item-done": lambda o: [o["action_item"].pk],
    "action-item-defer": lambda o: [o["action_item"].pk],
    "duty-done": lambda o: [o["duty"].pk],
    "gate-detail": lambda o: [o["gate"].pk],
    "gate-decide": lambda o: [o["gate"].pk, "approve"],
    "team": lambda o: [],
    "team-default-set": lambda o: ["ux-designer"],
    "team-separation-set": lambda o: [],
    "team-assign": lambda o: [o["release"].pk, "ux-designer"],
    "team-exception-record": lambda o: [o["release"].pk],
    "team-policies": lambda o: [],
    "team-policy-set": lambda o: ["patch"],
    "freezes": lambda o: [],
    "freeze-create": lambda o: [],
    "freeze-end": lambda o: [o["freeze"].pk],
    "deploy-override": lambda o: [o["release"].pk],
    "my-delegations": lambda o: [],
    "profile": lambda o: [],
    "insights": lambda o: [],
    "insights-csv": lambda o: ["deploys"],
    "team-delegations": lambda o: [],
    "delegation-cancel": lambda o: [o["delegation"].pk],
    "webhooks": lambda o: [],
    "webhook-create": lambda o: [],
    "webhook-toggle": lambda o: [o["endpoint"].pk],
    "webhook-redeliver": lambda o: [o["delivery"].pk],
}


def every_page(build: Builder, team: Team) -> Iterator[tuple[str, Any]]:
    """Each page with the person who opens it: the app's pages by the Project Manager (who
    sees the most forms and buttons) or a gate's holder, the sign-in page and the admin index
    by the admin."""
    objects = _objects(build, team)
    for name, args in PAGES.items():
        yield reverse(name, args=args(objects)), team[QA if name.startswith("gate") else PM]
    yield reverse("login"), team.admin
    yield reverse("admin:index"), team.admin


def responses(client: Client, build: Builder, team: Team) -> Iterator[tuple[str, Any]]:
    """Each page as a GET, and as a POST of an empty form (refused, redirected, shown again
    with its errors or not allowed: the page is what matters here, not the change)."""
    for url, person in every_page(build, team):
        client.force_login(person)
        yield f"GET {url}", client.get(url)
        yield f"POST {url}", client.post(url)


# What the policy blocks: a script element without src, a style element or attribute, an
# event-handler attribute.
INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=", re.I)


def policy(response: Any) -> dict[str, str]:
    header = response.get("Content-Security-Policy", "")
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


def cache_directives(response: Any) -> set[str]:
    return {d.strip().split("=")[0] for d in response.get("Cache-Control", "").split(",")}


def test_every_url_name_of_the_apps_is_a_page_here():
    names = {
        p.name for p in [*release_urls, *signoff_urls, *insights_urls] if isinstance(p, URLPattern)
    }
    assert names == set(PAGES)


def test_every_page_sends_the_content_security_policy(client, build, team):
    for what, response in responses(client, build, team):
        assert policy(response) == POLICY, (what, response.status_code)


def test_every_page_of_a_signed_in_person_is_private_and_not_stored(client, build, team):
    for what, response in responses(client, build, team):
        assert {"private", "no-store"} <= cache_directives(response), (what, response)


def test_the_sign_in_page_has_the_policy_before_anyone_signs_in(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert policy(response) == POLICY
    assert INLINE.findall(response.content.decode()) == []


def test_a_refusal_and_a_missing_page_have_the_headers_too(client, team, build):
    client.force_login(team.outsider)
    for url, status in (
        (reverse("release-edit", args=[build.create().pk]), 403),
        (reverse("release-detail", args=[999999]), 404),
        ("/no/such/page/", 404),
    ):
        response = client.get(url)
        assert response.status_code == status
        assert policy(response) == POLICY
        assert {"private", "no-store"} <= cache_directives(response)
        assert INLINE.findall(response.content.decode()) == []


def test_no_page_of_the_app_carries_an_inline_script_or_style(client, build, team):
    # The policy would block them; every look and behaviour lives in static/.
    checked = []
    for what, response in responses(client, build, team):
        if "/admin/" in what or not response["Content-Type"].startswith("text/html"):
            continue
        if response.status_code == 200:
            assert INLINE.findall(response.content.decode()) == [], what
            checked.append(what)
    assert len(checked) >= 7, checked
