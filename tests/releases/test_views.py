"""Pages: the three permission cases for every protected view, and bad input changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from releases import services
from releases.changes import edit_token
from releases.models import (
    ChecklistState,
    HandoffState,
    IncidentState,
    Release,
    RoleKey,
    Stage,
)
from signoffs.models import GateState

from ..builders import Builder, Team, gate, refresh
from ..queries import assert_num_queries

pytestmark = pytest.mark.django_db

QA, DEVOPS, PM, PROD, CSM = (
    RoleKey.QA_LEAD,
    RoleKey.DEVOPS_ENGINEER,
    RoleKey.PROJECT_MANAGER,
    RoleKey.PRODUCT_MANAGER,
    RoleKey.CUSTOMER_SUCCESS_MANAGER,
)


def login_url(next_url: str) -> str:
    return f"{reverse('login')}?next={next_url}"


@dataclass
class Case:
    """One protected view: how to reach it, who may and who may not, what it changes."""

    name: str
    setup: Callable[[Builder, Team], Any]
    url: Callable[[Any], str]
    right: str
    wrong: str | None
    method: str = "get"
    data: Callable[[Any], dict[str, Any]] = lambda obj: {}
    changed: Callable[[Any], bool] | None = None  # True once the action took effect


def _first_item(release: Release, key: str) -> Any:
    return release.checklist.get(template__key=key)


def _incident(b: Builder, t: Team) -> Any:
    b.closed(version="1.0.0", release_type="major")
    release = b.deployed(version="1.1.0", release_type="minor")
    return services.incident_open(release_id=release.pk, actor=t[QA], title="Errors")


CASES = [
    Case("my work", lambda b, t: None, lambda o: reverse("my-work"), QA, None),
    Case("dashboard", lambda b, t: b.staging(), lambda o: reverse("dashboard"), QA, None),
    Case(
        "release page",
        lambda b, t: b.staging(),
        lambda r: reverse("release-detail", args=[r.pk]),
        QA,
        None,
    ),
    Case(
        "notes export",
        lambda b, t: b.create(),
        lambda r: reverse("release-notes", args=[r.pk]),
        QA,
        None,
    ),
    Case("create form", lambda b, t: None, lambda o: reverse("release-create"), PM, QA),
    Case(
        "edit form",
        lambda b, t: b.create(),
        lambda r: reverse("release-edit", args=[r.pk]),
        PROD,
        QA,
    ),
    Case(
        "sign-off page",
        lambda b, t: gate(b.staging(), QA),
        lambda g: reverse("gate-detail", args=[g.pk]),
        QA,
        DEVOPS,
    ),
    Case(
        "approve",
        lambda b, t: gate(b.staging(), QA),
        lambda g: reverse("gate-decide", args=[g.pk, "approve"]),
        QA,
        DEVOPS,
        "post",
        lambda g: {"revision": g.revision},
        lambda g: refresh(g).state == GateState.APPROVED,
    ),
    Case(
        "reject",
        lambda b, t: gate(b.staging(), QA),
        lambda g: reverse("gate-decide", args=[g.pk, "reject"]),
        QA,
        PM,
        "post",
        lambda g: {"revision": g.revision, "comment": "Broken"},
        lambda g: refresh(g).state == GateState.REJECTED,
    ),
    Case(
        "revoke",
        lambda b, t: (b.approve(r := b.staging(), QA), gate(r, QA))[1],
        lambda g: reverse("gate-decide", args=[g.pk, "revoke"]),
        QA,
        DEVOPS,
        "post",
        lambda g: {"revision": g.revision},
        lambda g: refresh(g).state == GateState.PENDING,
    ),
    Case(
        "create",
        lambda b, t: None,
        lambda o: reverse("release-create"),
        PM,
        QA,
        "post",
        lambda o: {"name": "Nova", "version": "1.0.0", "release_type": "major"},
        lambda o: Release.objects.filter(name="Nova").exists(),
    ),
    Case(
        "edit",
        lambda b, t: b.create(),
        lambda r: reverse("release-edit", args=[r.pk]),
        PROD,
        QA,
        "post",
        lambda r: {
            "name": "Renamed",
            "version": r.version,
            "release_type": r.release_type,
            "seen": edit_token(r),
        },
        lambda r: refresh(r).name == "Renamed",
    ),
    Case(
        "move to staging",
        lambda b, t: b.pre_release_done(b.create()),
        lambda r: reverse("release-action", args=[r.pk, "stage"]),
        DEVOPS,
        QA,
        "post",
        changed=lambda r: refresh(r).stage == Stage.STAGING,
    ),
    Case(
        "deploy",
        lambda b, t: b.ready_to_deploy(),
        lambda r: reverse("release-action", args=[r.pk, "deploy"]),
        DEVOPS,
        PM,
        "post",
        changed=lambda r: refresh(r).stage == Stage.DEPLOYED,
    ),
    Case(
        "close",
        lambda b, t: b.post_release_done(b.deployed()),
        lambda r: reverse("release-action", args=[r.pk, "close"]),
        PM,
        DEVOPS,
        "post",
        changed=lambda r: refresh(r).stage == Stage.CLOSED,
    ),
    Case(
        "cancel",
        lambda b, t: b.create(),
        lambda r: reverse("release-action", args=[r.pk, "cancel"]),
        PM,
        QA,
        "post",
        lambda r: {"reason": "Descoped"},
        lambda r: refresh(r).stage == Stage.CANCELLED,
    ),
    Case(
        "checklist done",
        lambda b, t: _first_item(b.create(), "smoke-tests"),
        lambda i: reverse("checklist-action", args=[i.pk, "done"]),
        QA,
        DEVOPS,
        "post",
        changed=lambda i: refresh(i).state == ChecklistState.DONE,
    ),
    Case(
        "checklist n/a",
        lambda b, t: _first_item(b.create(), "backup-snapshot"),
        lambda i: reverse("checklist-action", args=[i.pk, "na"]),
        DEVOPS,
        QA,
        "post",
        lambda i: {"reason": "No data change"},
        lambda i: refresh(i).state == ChecklistState.NOT_APPLICABLE,
    ),
    Case(
        "hand-off send",
        lambda b, t: b.staging().handoffs.get(template__key="qa-to-devops"),
        lambda h: reverse("handoff-send", args=[h.pk]),
        QA,
        DEVOPS,
        "post",
        lambda h: {"notes": "All green", "decision": "proceed"},
        lambda h: refresh(h).state == HandoffState.SENT,
    ),
    Case(
        "hand-off acknowledge",
        lambda b, t: (b.proceed(r := b.staging()), r.handoffs.get(template__key="qa-to-devops"))[1],
        lambda h: reverse("handoff-ack", args=[h.pk]),
        DEVOPS,
        QA,
        "post",
        changed=lambda h: refresh(h).state == HandoffState.ACKNOWLEDGED,
    ),
    Case(
        "open incident",
        lambda b, t: b.deployed(),
        lambda r: reverse("incident-open", args=[r.pk]),
        QA,
        "outsider",
        "post",
        lambda r: {"title": "Errors", "severity": "critical"},
        lambda r: r.incidents.exists(),
    ),
    Case(
        "rollback",
        _incident,
        lambda i: reverse("incident-rollback", args=[i.pk]),
        DEVOPS,
        QA,
        "post",
        changed=lambda i: refresh(i.release).stage == Stage.ROLLED_BACK,
    ),
    Case(
        "resolve",
        _incident,
        lambda i: reverse("incident-resolve", args=[i.pk]),
        DEVOPS,
        QA,
        "post",
        lambda i: {"root_cause": "Config", "action_items": "Lint"},
        lambda i: refresh(i).state == IncidentState.RESOLVED,
    ),
]


def _user(team: Team, who: str) -> Any:
    return team.outsider if who == "outsider" else team[who]


def _request(client: Client, case: Case, obj: Any) -> Any:
    url = case.url(obj)
    return client.post(url, case.data(obj)) if case.method == "post" else client.get(url)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_anonymous_goes_to_sign_in(client, team, build, case):
    obj = case.setup(build, team)
    response = _request(client, case, obj)
    assert response.status_code == 302
    assert response["Location"] == login_url(case.url(obj))
    if case.changed:
        assert not case.changed(obj)


@pytest.mark.parametrize("case", [c for c in CASES if c.wrong], ids=lambda c: c.name)
def test_the_wrong_user_gets_403_and_nothing_changes(client, team, build, case):
    obj = case.setup(build, team)
    client.force_login(_user(team, case.wrong))
    events = sum(r.audit_events.count() for r in Release.objects.all())
    response = _request(client, case, obj)
    assert response.status_code == 403
    if case.changed:
        assert not case.changed(obj)
    assert sum(r.audit_events.count() for r in Release.objects.all()) == events


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_the_right_user_succeeds(client, team, build, case):
    obj = case.setup(build, team)
    client.force_login(_user(team, case.right))
    response = _request(client, case, obj)
    if case.method == "get":
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert case.changed(obj), [str(m) for m in response.wsgi_request._messages]


def test_an_admin_cannot_sign_a_gate_they_do_not_hold(client, team, build):
    release = build.staging()
    qa = gate(release, QA)
    client.force_login(team.admin)
    assert client.get(reverse("gate-detail", args=[qa.pk])).status_code == 403
    response = client.post(reverse("gate-decide", args=[qa.pk, "approve"]), {"revision": 0})
    assert response.status_code == 403
    assert refresh(qa).state == GateState.PENDING


def test_a_non_holder_sees_no_sign_button(client, team, build):
    release = build.staging()
    client.force_login(team.outsider)
    page = client.get(reverse("release-detail", args=[release.pk])).content.decode()
    assert "Open sign-off" not in page
    client.force_login(team[QA])
    page = client.get(reverse("release-detail", args=[release.pk])).content.decode()
    assert page.count("Open sign-off") == 1


def test_a_form_older_than_the_gate_is_refused_with_a_message(client, team, build):
    release = build.staging()
    qa = gate(release, QA)
    drawn = qa.revision
    build.approve(release, QA)  # the backup's page is now out of date
    client.force_login(team.backup)
    url = reverse("gate-decide", args=[qa.pk, "reject"])
    response = client.post(url, {"revision": drawn, "comment": "No"}, follow=True)
    assert "changed while you were reading it" in response.content.decode()
    assert refresh(qa).state == GateState.APPROVED


def test_a_rejection_without_a_reason_is_refused_with_a_message(client, team, build):
    qa = gate(build.staging(), QA)
    client.force_login(team[QA])
    url = reverse("gate-decide", args=[qa.pk, "reject"])
    response = client.post(url, {"revision": qa.revision, "comment": ""}, follow=True)
    assert "A reason for rejecting is required" in response.content.decode()
    assert refresh(qa).state == GateState.PENDING


def test_csrf_is_enforced(team, build):
    qa = gate(build.staging(), QA)
    client = Client(enforce_csrf_checks=True)
    client.force_login(team[QA])
    response = client.post(reverse("gate-decide", args=[qa.pk, "approve"]), {"revision": 0})
    assert response.status_code == 403
    assert refresh(qa).state == GateState.PENDING


@pytest.mark.parametrize(
    "url",
    [
        reverse("release-detail", args=[999999]),
        reverse("release-edit", args=[999999]),
        reverse("release-notes", args=[999999]),
        reverse("gate-detail", args=[999999]),
    ],
)
def test_unknown_ids_are_404(client, team, url):
    client.force_login(team[PM])
    assert client.get(url).status_code == 404


def test_unknown_post_targets_are_404(client, team):
    client.force_login(team[PM])
    for url in (
        reverse("release-action", args=[999999, "close"]),
        reverse("checklist-action", args=[999999, "done"]),
        reverse("handoff-send", args=[999999]),
        reverse("incident-resolve", args=[999999]),
        reverse("gate-decide", args=[999999, "approve"]),
    ):
        assert client.post(url).status_code == 404, url


def test_html_typed_into_fields_is_shown_as_text(client, team, build):
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    release = build.staging(name=evil, summary=evil, known_issues=evil)
    build.approve(release, QA)
    client.force_login(team[QA])
    for url in (
        reverse("release-detail", args=[release.pk]),
        reverse("dashboard"),
        reverse("gate-detail", args=[gate(release, QA).pk]),
        reverse("my-work"),
    ):
        page = client.get(url).content.decode()
        assert "<script>alert" not in page and "<img src=x" not in page, url
        assert "&lt;script&gt;" in page, url
    # The notes file is Markdown carrying what was typed, served as a download; whatever renders
    # it escapes once (the pages above, the HTML email).
    export = client.get(reverse("release-notes", args=[release.pk]))
    assert export["Content-Disposition"].startswith("attachment")
    assert evil in export.content.decode()


def test_notes_export_follows_the_guides_template(client, team, build):
    release = build.create(summary="Faster", notable_changes="- A\n- B", known_issues="None")
    client.force_login(team[QA])
    response = client.get(reverse("release-notes", args=[release.pk]))
    assert response["Content-Type"].startswith("text/markdown")
    assert f'release-notes-{release.version}.md"' in response["Content-Disposition"]
    text = response.content.decode()
    for heading in (
        "Release name / number:",
        "Date:",
        "## Summary",
        "## Notable changes",
        "## Migration steps (if any)",
        "## Known issues",
    ):
        assert heading in text
    assert "- A\n- B" in text


def test_markdown_is_rendered_in_the_page(client, team, build):
    release = build.create(notable_changes="- **Bold** change")
    client.force_login(team[QA])
    page = client.get(reverse("release-detail", args=[release.pk])).content.decode()
    assert "<li><strong>Bold</strong> change</li>" in page


class TestEditScope:
    def test_a_scope_change_warns_first_then_marks_approvals_stale(self, client, team, build):
        release = build.staging()
        build.approve(release, QA, DEVOPS)
        client.force_login(team[PROD])
        url = reverse("release-edit", args=[release.pk])
        data = {
            "name": release.name,
            "version": release.version,
            "release_type": release.release_type,
            "summary": "New scope",
            "rollback_plan": release.rollback_plan,
            "seen": edit_token(release),
        }
        response = client.post(url, data)
        assert response.status_code == 200
        assert "2 approval(s)" in response.content.decode()
        assert refresh(release).summary != "New scope"
        response = client.post(url, {**data, "confirm_stale": "on"}, follow=True)
        assert "2 approval(s) turned stale" in response.content.decode()
        assert gate(release, QA).stale

    def test_an_edit_on_a_stale_form_is_refused(self, client, team, build):
        release = build.create()
        seen = edit_token(release)
        services.release_update(release_id=release.pk, actor=team[PM], data={"name": "First"})
        client.force_login(team[PROD])
        response = client.post(
            reverse("release-edit", args=[release.pk]),
            {"name": "Second", "version": release.version, "release_type": "minor", "seen": seen},
            follow=True,
        )
        assert "Someone changed this release while you were editing it" in (
            response.content.decode()
        )
        assert refresh(release).name == "First"

    def test_a_bad_type_is_shown_on_the_field(self, client, team, build):
        build.deployed(version="1.0.0", release_type="major")
        client.force_login(team[PM])
        response = client.post(
            reverse("release-create"), {"name": "X", "version": "1.1.0", "release_type": "patch"}
        )
        assert response.status_code == 200
        assert "is a minor bump from 1.0.0" in response.content.decode()
        assert not Release.objects.filter(name="X").exists()

    def test_the_form_suggests_the_next_version_per_type(self, client, team, build):
        build.deployed(version="2.3.4", release_type="major")
        client.force_login(team[PM])
        page = client.get(reverse("release-create")).content.decode()
        assert "patch=2.3.5 minor=2.4.0 major=3.0.0" in page


class TestMyWork:
    def test_it_lists_open_gates_items_and_handoffs(self, client, team, build):
        staging = build.staging(name="Stage me")
        planning = build.create(name="Plan me")
        client.force_login(team[QA])
        page = client.get(reverse("my-work")).content.decode()
        assert reverse("gate-detail", args=[gate(staging, QA).pk]) in page
        assert "Smoke tests prepared" in page  # QA's open pre-release item on Plan me
        assert "Test results and known issues" in page  # QA must send the pre-deploy gate
        assert f"{planning.name}" in page

    def test_the_backup_sees_the_gate_too(self, client, team, build):
        staging = build.staging()
        client.force_login(team.backup)
        page = client.get(reverse("my-work")).content.decode()
        assert reverse("gate-detail", args=[gate(staging, QA).pk]) in page

    def test_it_says_when_there_is_nothing_to_do(self, client, team, build):
        build.staging()
        client.force_login(team.outsider)
        assert "Nothing to do right now" in client.get(reverse("my-work")).content.decode()

    def test_follow_ups_show_their_due_time(self, client, team, build):
        build.deployed()
        client.force_login(team[CSM])
        page = client.get(reverse("my-work")).content.decode()
        assert "Early customer feedback and adoption metrics" in page
        assert "due in" in page


class TestDashboard:
    def test_it_shows_blocked_releases_and_why(self, client, team, build):
        release = build.staging(name="Held")
        build.proceed(release, decision="hold")
        services.release_update(release_id=release.pk, actor=team[PM], data={"summary": "x"})
        client.force_login(team[PM])
        build.approve(release, DEVOPS)
        services.release_update(release_id=release.pk, actor=team[PM], data={"summary": "y"})
        from signoffs import services as gate_services

        gate_services.gate_reject(gate_id=gate(release, QA).pk, actor=team[QA], reason="Crash")
        page = client.get(reverse("dashboard")).content.decode()
        # Each blocker names the person who can clear it.
        assert "QA Lead (qa-lead) rejected: Crash" in page
        assert "QA Lead (qa-lead) says hold: All tests pass." in page
        assert "Stale approvals to renew: DevOps Engineer (devops-engineer)" in page

    def test_filters_and_search(self, client, team, build):
        build.create(name="Alpha", version="1.0.0", release_type="major")
        build.staging(name="Beta", version="2.0.0", release_type="major")
        client.force_login(team[PM])
        page = client.get(reverse("dashboard"), {"stage": "staging"}).content.decode()
        assert "Beta" in page and "Alpha" not in page
        page = client.get(reverse("dashboard"), {"q": "1.0"}).content.decode()
        assert "Alpha" in page and "Beta" not in page

    def test_it_paginates(self, client, team, build):
        for i in range(21):
            build.create(name=f"R{i:02d}", version=f"{i + 1}.0.0", release_type="major")
        client.force_login(team[PM])
        page = client.get(reverse("dashboard")).content.decode()
        assert "Page 1 of 2" in page
        # Newest first when no window is set: the oldest lands alone on page 2.
        assert "R20" in page and "R00" not in page
        second = client.get(reverse("dashboard"), {"page": 2}).content.decode()
        assert second.count('class="card release-card"') == 1 and "R00" in second


@pytest.mark.parametrize(
    ("page", "budget"),
    [("dashboard", 10), ("my-work", 8), ("release-detail", 11), ("gate-detail", 12)],
)
def test_query_counts_are_pinned_and_do_not_grow_with_releases(client, team, build, page, budget):
    from django.core.cache import caches

    def url() -> str:
        release = Release.objects.filter(stage=Stage.STAGING).order_by("id").first()
        if page == "release-detail":
            return reverse(page, args=[release.pk])
        if page == "gate-detail":
            return reverse(page, args=[gate(release, QA).pk])
        return reverse(page)

    def get_within_budget() -> None:
        target = url()  # Looked up before counting: the budget is the page's queries alone.
        caches["fragments"].clear()  # Cold: every dashboard card is drawn.
        with assert_num_queries(budget):
            assert client.get(target).status_code == 200

    build.staging(version="1.0.0", release_type="major")
    client.force_login(team[QA])
    get_within_budget()
    for i in range(8):
        release = build.staging(version=f"{i + 2}.0.0", release_type="major")
        build.approve(release, QA)
        build.proceed(release, decision="hold")
    get_within_budget()


def test_warm_dashboard_draws_no_card_and_its_query_count_is_pinned(client, team, build):
    def warm() -> None:
        client.get(reverse("dashboard"))  # Draws and caches the cards.
        # Session, user, the navigation's role check, count, the page's (id, revision) pairs,
        # recently finished: no query for any card.
        with assert_num_queries(6):
            assert client.get(reverse("dashboard")).status_code == 200

    build.staging(version="1.0.0", release_type="major")
    client.force_login(team[PM])
    warm()
    for i in range(8):
        build.approve(build.staging(version=f"{i + 2}.0.0", release_type="major"), QA)
    warm()


def test_cached_dashboard_cards_follow_every_kind_of_change(client, team, build):
    """After each change, the cached dashboard equals one drawn from nothing."""
    from django.core.cache import caches

    from signoffs import services as gate_services

    client.force_login(team[PM])

    def cards() -> str:
        page = client.get(reverse("dashboard")).content.decode()
        return page[page.index('<ul class="releases">') : page.index('id="h-finished"')]

    def same_as_cold() -> None:
        warm = cards()
        caches["fragments"].clear()
        assert warm == cards()

    other = build.staging(name="Other")
    release = build.create(name="Watched")
    cards()
    steps: list[Callable[[], object]] = [
        lambda: build.pre_release_done(release),
        lambda: services.release_move_to_staging(release_id=release.pk, actor=team[DEVOPS]),
        lambda: build.approve(release, QA, RoleKey.UX_DESIGNER),
        lambda: gate_services.gate_reject(
            gate_id=gate(release, RoleKey.BUSINESS_ANALYST).pk,
            actor=team[RoleKey.BUSINESS_ANALYST],
            reason="Scope unclear",
        ),
        lambda: build.proceed(release, decision="hold"),
        lambda: services.release_update(
            release_id=release.pk, actor=team[PM], data={"summary": "New scope"}
        ),
        lambda: services.role_assign(
            release_id=release.pk, role_key=QA, holder=team[DEVOPS], actor=team.admin
        ),
        lambda: build.approve(other, QA),
    ]
    for step in steps:
        before = cards()
        step()
        after = cards()
        assert after != before, step
        same_as_cold()
