"""Ticks backed by evidence: a field-backed item needs its fields filled in, the CI and
acceptance items need links, and an edit that empties a field reopens its item."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from octoacme.errors import Refused
from releases import services
from releases.models import ChecklistItem, ChecklistState, Release, RoleKey

from ..builders import EVIDENCE, Builder, Team, audit_events, refresh

pytestmark = pytest.mark.django_db

QA, DEVOPS, BA = RoleKey.QA_LEAD, RoleKey.DEVOPS_ENGINEER, RoleKey.BUSINESS_ANALYST
PROD, PM = RoleKey.PRODUCT_MANAGER, RoleKey.PROJECT_MANAGER


def item(release: Release, key: str) -> ChecklistItem:
    return release.checklist.select_related("template__owner").get(template__key=key)


def tick(team: Team, it: ChecklistItem, evidence: str = "") -> ChecklistItem:
    return services.checklist_complete(
        item_id=it.pk, actor=team[it.template.owner.key], evidence=evidence
    )


class TestFieldsFirst:
    @pytest.mark.parametrize(
        ("key", "empty", "named"),
        [
            ("release-notes", {"summary": ""}, "Fill in Summary on the release"),
            ("release-notes", {"notable_changes": ""}, "Fill in Notable changes on the release"),
            (
                "release-notes",
                {"summary": "", "notable_changes": ""},
                "Fill in Summary and Notable changes",
            ),
            ("rollback-plan", {"rollback_plan": ""}, "Fill in Rollback / mitigation plan"),
            ("smoke-tests", {"smoke_test_plan": "   "}, "Fill in Smoke test plan"),
        ],
    )
    def test_an_item_is_not_ticked_while_its_field_is_empty(self, team, build, key, empty, named):
        release = build.create(**empty)
        it, events = item(release, key), audit_events()
        with pytest.raises(Refused, match=named) as exc:
            tick(team, it)
        assert it.template.text in exc.value.message
        it = refresh(it)
        assert (it.state, it.done_by, it.done_at) == (ChecklistState.OPEN, None, None)
        assert audit_events() == events

    def test_it_is_ticked_once_the_field_is_filled_in(self, team, build):
        release = build.create(rollback_plan="")
        with pytest.raises(Refused):
            tick(team, item(release, "rollback-plan"))
        services.release_update(
            release_id=release.pk, actor=team[PM], data={"rollback_plan": "Redeploy 1.0."}
        )
        assert tick(team, item(release, "rollback-plan")).state == ChecklistState.DONE

    def test_the_deployment_window_needs_both_ends_but_may_be_not_applicable(self, team, build):
        release = build.create()
        window = item(release, "deployment-window")
        with pytest.raises(
            Refused, match="Fill in Deployment window opens and Deployment window closes"
        ):
            tick(team, window)
        services.checklist_mark_not_applicable(
            item_id=window.pk, actor=team[PM], reason="Continuous deploy."
        )
        assert refresh(window).state == ChecklistState.NOT_APPLICABLE

    def test_the_deployment_window_is_ticked_with_a_window(self, team, build):
        start = timezone.now() + timedelta(days=3)
        release = build.create(window_start=start, window_end=start + timedelta(hours=2))
        assert tick(team, item(release, "deployment-window")).state == ChecklistState.DONE

    def test_the_owner_check_comes_first(self, team, build):
        # Someone who may not tick it at all gets a 403, not a hint about the fields.
        release = build.create(smoke_test_plan="")
        with pytest.raises(PermissionDenied):
            services.checklist_complete(item_id=item(release, "smoke-tests").pk, actor=team[PM])


class TestEvidenceLinks:
    @pytest.mark.parametrize("key", ["ci-security", "acceptance-criteria"])
    def test_it_needs_at_least_one_link(self, team, build, key):
        release = build.create()
        it, events = item(release, key), audit_events()
        with pytest.raises(ValidationError) as exc:
            tick(team, it, "  \n ")
        assert "needs evidence: give at least one link" in exc.value.message_dict["evidence"][0]
        assert refresh(it).state == ChecklistState.OPEN
        assert audit_events() == events

    def test_links_are_stored_one_a_line_and_audited(self, team, build):
        release = build.create()
        it = tick(
            team,
            item(release, "ci-security"),
            "  https://ci.example.com/runs/1 \r\n\r\nhttp://scan.example.com/r/2\n",
        )
        it = refresh(it)
        assert it.state == ChecklistState.DONE
        assert it.evidence == "https://ci.example.com/runs/1\nhttp://scan.example.com/r/2"
        event = release.audit_events.get(verb="checklist.done")
        assert event.comment == it.evidence

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("javascript:alert(1)", "Link 1 starts with “javascript:”; only http:// and https://"),
            (
                "https://ci.example.com/1\nJavaScript:alert(document.cookie)",
                "Link 2 starts with “javascript:”",
            ),
            ("data:text/html,<script>alert(1)</script>", "starts with “data:”"),
            ("ftp://files.example.com/x", "starts with “ftp:”"),
            ("see the CI run", "Link 1 is not a web address"),
            ("https://", "Link 1 is not a web address"),
            (
                "\n".join(f"https://ci.example.com/{n}" for n in range(6)),
                "Give at most 5 links, one a line; you gave 6.",
            ),
        ],
    )
    def test_bad_links_are_refused_and_change_nothing(self, team, build, text, message):
        release = build.create()
        it, events = item(release, "acceptance-criteria"), audit_events()
        with pytest.raises(ValidationError) as exc:
            tick(team, it, text)
        assert message in exc.value.message_dict["evidence"][0]
        it = refresh(it)
        assert (it.state, it.evidence) == (ChecklistState.OPEN, "")
        assert audit_events() == events

    def test_five_links_are_enough(self, team, build):
        release = build.create()
        links = "\n".join(f"https://git.example.com/pr/{n}" for n in range(5))
        assert tick(team, item(release, "acceptance-criteria"), links).evidence == links

    def test_an_item_without_evidence_takes_no_links(self, team, build):
        release = build.create()
        with pytest.raises(ValidationError, match="takes no evidence links"):
            tick(team, item(release, "smoke-tests"), "https://ci.example.com/1")
        assert item(release, "smoke-tests").state == ChecklistState.OPEN

    def test_reopening_clears_the_links_the_trail_keeps_them(self, team, build):
        release = build.create()
        it = tick(team, item(release, "ci-security"), EVIDENCE["ci-security"])
        services.checklist_reopen(item_id=it.pk, actor=team[DEVOPS])
        it = refresh(it)
        assert (it.state, it.evidence) == (ChecklistState.OPEN, "")
        assert release.audit_events.filter(comment=EVIDENCE["ci-security"]).exists()


class TestReopenWhenEmptied:
    def test_emptying_a_field_reopens_its_done_item_with_why(self, team, build: Builder):
        release = build.pre_release_done(build.create())
        services.release_update(release_id=release.pk, actor=team[PM], data={"notable_changes": ""})
        it = item(release, "release-notes")
        assert (it.state, it.done_by, it.done_at) == (ChecklistState.OPEN, None, None)
        event = release.audit_events.filter(verb="checklist.open").get()
        assert event.subject == "Release notes drafted"
        assert event.comment == "Reopened: the edit emptied Notable changes."
        assert (event.from_state, event.to_state, event.actor) == ("done", "open", team[PM])
        assert release.audit_events.filter(verb="release.edited").exists()
        # Items tied to other fields stay done.
        assert item(release, "rollback-plan").state == ChecklistState.DONE

    def test_changing_a_field_without_emptying_it_keeps_the_tick(self, team, build):
        release = build.pre_release_done(build.create())
        services.release_update(
            release_id=release.pk, actor=team[PM], data={"rollback_plan": "Roll back to 1.0."}
        )
        assert item(release, "rollback-plan").state == ChecklistState.DONE
        assert not release.audit_events.filter(verb="checklist.open").exists()

    def test_emptying_the_window_reopens_the_window_item_in_staging(self, team, build):
        start = timezone.now() + timedelta(days=3)
        release = build.create(window_start=start, window_end=start + timedelta(hours=2))
        tick(team, item(release, "deployment-window"))
        build.pre_release_done(release)
        services.release_move_to_staging(release_id=release.pk, actor=team[DEVOPS])
        services.release_update(release_id=release.pk, actor=team[PM], data={"window_end": None})
        assert item(release, "deployment-window").state == ChecklistState.OPEN
        assert release.audit_events.filter(
            verb="checklist.open", comment="Reopened: the edit emptied Deployment window closes."
        ).exists()

    def test_a_field_whose_item_can_no_longer_be_ticked_cannot_be_emptied(self, team, build):
        release = build.staging()
        events = audit_events()
        with pytest.raises(ValidationError) as exc:
            services.release_update(
                release_id=release.pk, actor=team[PM], data={"rollback_plan": ""}
            )
        assert (
            "Rollback / mitigation plan cannot be emptied"
            in (exc.value.message_dict["rollback_plan"][0])
        )
        # Nothing changed: the plan, the tick, the approvals and the trail.
        assert refresh(release).rollback_plan == "Redeploy previous."
        assert item(release, "rollback-plan").state == ChecklistState.DONE
        assert audit_events() == events


def test_the_edit_page_says_why_a_field_cannot_be_emptied(client, team, build):
    from django.urls import reverse

    from releases.changes import edit_token

    release = build.staging()
    client.force_login(team[PROD])
    data = {
        f: getattr(release, f) or ""
        for f in ("name", "version", "release_type", "summary", "notable_changes")
    }
    events = audit_events()
    response = client.post(
        reverse("release-edit", args=[release.pk]),
        {**data, "rollback_plan": "", "smoke_test_plan": "", "seen": edit_token(release)},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "cannot be emptied" in errors["rollback_plan"][0]
    assert errors["smoke_test_plan"] == [
        "Smoke test plan cannot be emptied: “Smoke tests prepared” is done and cannot be ticked "
        "again now that the release is staging."
    ]
    release = refresh(release)
    assert (release.rollback_plan, release.smoke_test_plan) != ("", "")
    assert audit_events() == events
