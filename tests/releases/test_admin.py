"""The admin: assignments go through the services, the audit trail is read-only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse

from releases.models import Release, RoleAssignment, RoleKey
from signoffs.permissions import can_sign

from ..builders import gate
from ..factories import UserFactory

pytestmark = pytest.mark.django_db
QA = RoleKey.QA_LEAD


def assignment_post(release: Release, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {f: getattr(release, f) or "" for f in Release.EDITABLE_FIELDS}
    data.update(
        {"window_start_0": "", "window_start_1": "", "window_end_0": "", "window_end_1": ""}
    )
    data.pop("window_start"), data.pop("window_end")
    assignments = list(RoleAssignment.objects.filter(release=release).order_by("role__position"))
    prefix = "assignments"
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": len(assignments),
            f"{prefix}-INITIAL_FORMS": len(assignments),
            f"{prefix}-MIN_NUM_FORMS": 0,
            f"{prefix}-MAX_NUM_FORMS": 1000,
        }
    )
    for i, a in enumerate(assignments):
        data[f"{prefix}-{i}-id"] = a.pk
        data[f"{prefix}-{i}-release"] = release.pk
        data[f"{prefix}-{i}-holder"] = a.holder_id or ""
        data[f"{prefix}-{i}-backup"] = a.backup_id or ""
        for key, value in changes.items():
            role, field = key.rsplit("__", 1)
            if a.role.key == role.replace("_", "-"):
                data[f"{prefix}-{i}-{field}"] = value
    data.update(
        {
            "signoffs-TOTAL_FORMS": 7,
            "signoffs-INITIAL_FORMS": 7,
            "signoffs-MIN_NUM_FORMS": 0,
            "signoffs-MAX_NUM_FORMS": 1000,
        }
    )
    for i, g in enumerate(release.signoffs.order_by("role__position")):
        data[f"signoffs-{i}-id"] = g.pk
        data[f"signoffs-{i}-release"] = release.pk
    return data


def test_an_assignment_made_in_the_admin_moves_the_gate_permission(client, team, build):
    release = build.staging()
    client.force_login(team.admin)
    url = reverse("admin:releases_release_change", args=[release.pk])
    response = client.post(
        url, assignment_post(release, qa_lead__holder=team.outsider.pk, qa_lead__backup="")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert can_sign(team.outsider, gate(release, QA))
    assert not can_sign(team[QA], gate(release, QA))
    assert release.audit_events.filter(verb="role.assigned", actor=team.admin).count() == 1


def test_a_staff_user_with_only_the_change_roleassignment_permission_can_reassign(
    client, team, build
):
    # Issue #12: saving the release always called the edit service, which refused (403) a
    # staff user who may reassign roles but holds no role that edits the release.
    release = build.create()
    staff = UserFactory(username="staff", is_staff=True)
    staff.user_permissions.set(
        Permission.objects.filter(
            codename__in=["view_release", "change_release", "change_roleassignment"]
        )
    )
    client.force_login(staff)
    url = reverse("admin:releases_release_change", args=[release.pk])
    response = client.post(url, assignment_post(release, ux_designer__holder=team.outsider.pk))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:releases_release_changelist")
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["success"]
    ux = RoleAssignment.objects.get(release=release, role__key=RoleKey.UX_DESIGNER)
    assert ux.holder == team.outsider
    assert list(release.audit_events.filter(actor=staff).values_list("verb", flat=True)) == [
        "role.assigned"
    ]


def test_a_holder_as_own_backup_is_refused_in_the_admin(client, team, build):
    release = build.create()
    client.force_login(team.admin)
    url = reverse("admin:releases_release_change", args=[release.pk])
    response = client.post(
        url,
        assignment_post(
            release, qa_lead__holder=team.outsider.pk, qa_lead__backup=team.outsider.pk
        ),
    )
    assert response.status_code == 200
    assert "The backup must be someone other than the holder" in response.content.decode()
    assert RoleAssignment.objects.get(release=release, role__key=QA).holder == team[QA]


def test_creating_in_the_admin_uses_the_service(client, team):
    client.force_login(team.admin)
    response = client.post(
        reverse("admin:releases_release_add"),
        {
            "name": "Zephyr",
            "version": "1.0.0",
            "release_type": "major",
            "window_start_0": "",
            "window_start_1": "",
            "window_end_0": "",
            "window_end_1": "",
        },
    )
    assert response.status_code == 302
    release = Release.objects.get(name="Zephyr")
    assert release.signoffs.count() == 7
    assert can_sign(team[QA], gate(release, QA))


def test_a_bad_type_is_a_form_error_in_the_admin(client, team, build):
    build.deployed(version="1.0.0", release_type="major")
    client.force_login(team.admin)
    response = client.post(
        reverse("admin:releases_release_add"),
        {
            "name": "Zephyr",
            "version": "1.1.0",
            "release_type": "patch",
            "window_start_0": "",
            "window_start_1": "",
            "window_end_0": "",
            "window_end_1": "",
        },
    )
    assert response.status_code == 200
    assert "is a minor bump from 1.0.0" in response.content.decode()


def test_audit_events_are_read_only_for_superusers(client, team, build):
    event = build.create().audit_events.get()
    client.force_login(team.admin)
    assert client.get(reverse("admin:releases_auditevent_changelist")).status_code == 200
    change = reverse("admin:releases_auditevent_change", args=[event.pk])
    assert client.post(change, {"comment": "rewritten"}).status_code == 403
    delete = reverse("admin:releases_auditevent_delete", args=[event.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert event.comment != "rewritten"


@pytest.mark.parametrize(
    "name",
    ["release", "role", "defaultholder", "checklisttemplate", "handofftemplate", "auditevent"],
)
def test_admin_lists_render(client, team, build, name):
    build.deployed()
    client.force_login(team.admin)
    assert client.get(reverse(f"admin:releases_{name}_changelist")).status_code == 200
