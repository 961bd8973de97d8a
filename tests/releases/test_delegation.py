"""Delegation (#14): a person's roles acted on by another for a period.

The services refuse what makes no sense (overlap, backwards, past, to yourself, to someone
deactivated, by someone else) and change nothing; in force exactly from `starts_at` until
`ends_at`, to the second, not after a cancel; the delegate is told once when it starts; the
reminder digests reach the delegate; separation of duties holds.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from notifications.models import Notification
from octoacme.errors import Refused
from releases import permissions, reminders, services, tasks
from releases.chase.delegations import announce_delegations
from releases.models import AuditEvent, Delegation, RoleKey
from releases.selectors import my_work

from ..builders import refresh

pytestmark = pytest.mark.django_db

QA, DEVOPS, PM = RoleKey.QA_LEAD, RoleKey.DEVOPS_ENGINEER, RoleKey.PROJECT_MANAGER
UTC = ZoneInfo("UTC")
START = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
END = datetime(2026, 6, 8, 8, 0, tzinfo=UTC)


def delegate(team, *, person=QA, to=None, start=START, end=END, actor=None, reason=""):
    person_user = team[person] if isinstance(person, str) else person
    return services.delegation_create(
        person=person_user,
        delegate=to or team.outsider,
        starts_at=start,
        ends_at=end,
        reason=reason,
        actor=actor or person_user,
    )


def counts() -> tuple[int, int, int]:
    return Delegation.objects.count(), AuditEvent.objects.count(), Notification.objects.count()


# --- Creating and cancelling ------------------------------------------------------------------


@time_machine.travel(START - timedelta(days=1), tick=False)
def test_a_person_delegates_their_roles_and_it_is_audited(team):
    d = delegate(team, reason="Holiday")
    assert (d.person, d.delegate, d.created_by) == (team[QA], team.outsider, team[QA])
    event = AuditEvent.objects.get(verb="delegation.created")
    assert (event.release, event.actor) == (None, team[QA])
    assert event.subject == "qa-lead to outsider" and "Holiday" in event.comment
    # Not started yet: nobody is told before the period begins.
    assert not Notification.objects.filter(kind="delegation_started").exists()


@time_machine.travel(START - timedelta(days=1), tick=False)
@pytest.mark.parametrize(
    "kwargs, field, words",
    [
        ({"to": "self"}, "delegate", "cannot delegate to yourself"),
        ({"end": START}, "ends_at", "must end after it starts"),
        ({"end": START - timedelta(hours=1)}, "ends_at", "must end after it starts"),
        (
            {"start": START - timedelta(days=9), "end": START - timedelta(days=2)},
            "ends_at",
            "would end in the past",
        ),
        ({"to": "inactive"}, "delegate", "is deactivated"),
    ],
)
def test_it_refuses_bad_input_and_changes_nothing(team, kwargs, field, words):
    if kwargs.get("to") == "self":
        kwargs["to"] = team[QA]
    elif kwargs.get("to") == "inactive":
        team.outsider.is_active = False
        team.outsider.save()
        kwargs["to"] = team.outsider
    before = counts()
    with pytest.raises(ValidationError) as refused:
        delegate(team, **kwargs)
    assert words in " ".join(refused.value.message_dict[field])
    assert counts() == before


@time_machine.travel(START - timedelta(days=1), tick=False)
def test_it_refuses_a_period_overlapping_another_delegation_of_the_same_person(team):
    delegate(team)
    before = counts()
    with pytest.raises(ValidationError, match="overlaps the delegation to outsider"):
        delegate(team, to=team.backup, start=END - timedelta(seconds=1), end=END + timedelta(1))
    assert counts() == before
    # Back to back is no overlap: the first ends at END (excluded), the next starts there.
    delegate(team, to=team.backup, start=END, end=END + timedelta(days=1))
    # Someone else's delegation never clashes with this person's.
    delegate(team, person=DEVOPS, to=team.outsider)


@time_machine.travel(START - timedelta(days=1), tick=False)
def test_a_cancelled_delegation_no_longer_blocks_a_new_period(team):
    first = delegate(team)
    services.delegation_cancel(delegation_id=first.pk, actor=team[QA])
    delegate(team, to=team.backup)


@time_machine.travel(START - timedelta(days=1), tick=False)
@pytest.mark.parametrize("who", ["another_holder", "the_delegate", "outsider"])
def test_only_the_person_or_an_admin_may_delegate_or_cancel(team, who):
    actor = {
        "another_holder": team[DEVOPS],
        "the_delegate": team.outsider,
        "outsider": team.backup,
    }[who]
    before = counts()
    with pytest.raises(PermissionDenied, match="Only the person themselves or an admin"):
        delegate(team, actor=actor)
    assert counts() == before
    d = delegate(team)
    before = counts()
    with pytest.raises(PermissionDenied):
        services.delegation_cancel(delegation_id=d.pk, actor=actor)
    assert counts() == before and refresh(d).cancelled_at is None


@time_machine.travel(START - timedelta(days=1), tick=False)
def test_an_admin_sets_one_for_someone_and_the_person_is_told(team):
    d = delegate(team, actor=team.admin, reason="Sick leave")
    assert d.created_by == team.admin
    told = Notification.objects.get(kind="delegation_set")
    assert told.to_email == team[QA].email
    assert "root delegated your roles to outsider" in told.body_text


@time_machine.travel(START + timedelta(days=1), tick=False)
def test_cancelling_is_audited_and_refused_twice(team):
    d = delegate(team)
    services.delegation_cancel(delegation_id=d.pk, actor=team[QA])
    assert AuditEvent.objects.filter(verb="delegation.cancelled", release=None).count() == 1
    # The delegate had been told it started: they are told it ended.
    assert Notification.objects.filter(kind="delegation_cancelled").count() == 1
    before = counts()
    with pytest.raises(Refused, match="already cancelled"):
        services.delegation_cancel(delegation_id=d.pk, actor=team[QA])
    assert counts() == before


def test_an_ended_delegation_cannot_be_cancelled(team):
    with time_machine.travel(START - timedelta(days=1), tick=False):
        d = delegate(team)
    with time_machine.travel(END, tick=False), pytest.raises(Refused, match="already ended"):
        services.delegation_cancel(delegation_id=d.pk, actor=team[QA])


# --- In force: to the second --------------------------------------------------------------------


def in_force(team, when: datetime) -> bool:
    with time_machine.travel(when, tick=False):
        return permissions.delegations_to(team.outsider).filter(person=team[QA]).exists()


def test_it_is_in_force_from_start_until_end_to_the_second(team, build):
    with time_machine.travel(START - timedelta(days=1), tick=False):
        release = build.staging()
        delegate(team)
    assert not in_force(team, START - timedelta(seconds=1))
    assert in_force(team, START)
    assert in_force(team, END - timedelta(seconds=1))
    assert not in_force(team, END)
    for when, acts in (
        (START - timedelta(seconds=1), False),
        (START, True),
        (END - timedelta(seconds=1), True),
        (END, False),
    ):
        with time_machine.travel(when, tick=False):
            assert (permissions.held_role_keys(team.outsider, release) == {QA}) is acts


def test_across_a_dst_change_the_local_hours_hold(team, settings):
    # Europe/Berlin springs forward at 02:00 on 29 March 2026: from Saturday 12:00 to Sunday
    # 12:00 local is 23 hours, and it must end at 12:00 local (10:00 UTC), not 11:00 UTC.
    settings.TIME_ZONE = "Europe/Berlin"
    berlin = ZoneInfo("Europe/Berlin")
    start = datetime(2026, 3, 28, 12, 0, tzinfo=berlin)
    end = datetime(2026, 3, 29, 12, 0, tzinfo=berlin)
    with time_machine.travel(start - timedelta(days=1), tick=False):
        d = refresh(delegate(team, start=start, end=end))
    # (Python subtracts two times of one zone on the wall clock: compare the stored instants.)
    assert d.ends_at - d.starts_at == timedelta(hours=23)
    assert d.ends_at == datetime(2026, 3, 29, 10, 0, tzinfo=UTC)
    assert in_force(team, datetime(2026, 3, 29, 9, 59, 59, tzinfo=UTC))
    assert not in_force(team, datetime(2026, 3, 29, 10, 0, 0, tzinfo=UTC))


def test_a_cancelled_delegation_stops_at_once(team, build):
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        release = build.staging()
        d = delegate(team)
        assert permissions.held_role_keys(team.outsider, release) == {QA}
        services.delegation_cancel(delegation_id=d.pk, actor=team[QA])
        assert permissions.held_role_keys(team.outsider, release) == set()


def test_a_deactivated_person_is_no_longer_acted_for(team, build):
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        release = build.staging()
        delegate(team)
        team[QA].is_active = False
        team[QA].save()
        assert permissions.held_role_keys(team.outsider, release) == set()


# --- Separation of duties -------------------------------------------------------------------------


def test_a_delegate_with_a_role_of_their_own_acts_only_in_it(team, build):
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        release = build.staging()
        delegate(team, to=team[DEVOPS])
        # The DevOps Engineer holds their own role here: the QA Lead's does not reach them.
        assert permissions.held_role_keys(team[DEVOPS], release) == {DEVOPS}
        assert permissions.acting_for(team[DEVOPS], release, [QA]) is None


def test_acting_for_names_the_person_for_the_audit_trail(team, build):
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        release = build.staging()
        delegate(team, person=PM)
        assert permissions.acting_for(team.outsider, release, [PM]) == team[PM]
        assert permissions.acting_for(team.outsider, release, [QA]) is None
        assert permissions.can(team.outsider, "close", release)


# --- The delegate is told, once ------------------------------------------------------------------


def started_notices() -> list[str]:
    return list(
        Notification.objects.filter(kind="delegation_started").values_list("to_email", flat=True)
    )


def test_the_sweep_tells_the_delegate_once_when_it_starts(team, build):
    with time_machine.travel(START - timedelta(days=1), tick=False):
        build.staging()
        d = delegate(team)
    with time_machine.travel(START - timedelta(seconds=1), tick=False):
        assert announce_delegations() == {"delegations_announced": 0}
    with time_machine.travel(START, tick=False):
        assert announce_delegations() == {"delegations_announced": 1}
        # The chase task runs it too; a second run tells nobody again.
        assert tasks.chase()["delegations_announced"] == 0
    assert started_notices() == [team.outsider.email]
    assert refresh(d).announced_at == START
    body = Notification.objects.get(kind="delegation_started").body_text
    assert "qa-lead delegated their roles to you" in body and "QA Lead on Release 1" in body


def test_one_cancelled_before_it_starts_tells_nobody(team):
    with time_machine.travel(START - timedelta(days=1), tick=False):
        d = delegate(team)
        services.delegation_cancel(delegation_id=d.pk, actor=team[QA])
    with time_machine.travel(START, tick=False):
        assert announce_delegations() == {"delegations_announced": 0}
    assert started_notices() == []


def test_one_starting_now_is_told_at_once_and_not_again(team):
    with time_machine.travel(START, tick=False):
        delegate(team, start=START - timedelta(hours=1))
        assert started_notices() == [team.outsider.email]
        assert announce_delegations() == {"delegations_announced": 0}


# --- Reminders and My work go to whoever can act ------------------------------------------------


def digest_to(user) -> str:
    return Notification.objects.get(kind="reminder_digest", to_email=user.email).body_text


def test_the_reminder_digest_reaches_the_delegate_but_not_across_roles(team, build, settings):
    with time_machine.travel(START - timedelta(days=3), tick=False):
        release = build.staging()
        delegate(team)  # the QA Lead to the outsider
        delegate(team, person=RoleKey.UX_DESIGNER, to=team[DEVOPS])  # DevOps holds a role here
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        reminders.send_reminders()
    assert f"QA Lead for {release.name} ({release.version})" in digest_to(team.outsider)
    assert "for qa-lead" in digest_to(team.outsider)
    assert "UX Designer" not in digest_to(team[DEVOPS])
    assert "for ux-designer" not in digest_to(team[DEVOPS])


def test_my_work_lists_the_delegated_gate_for_the_person(team, build):
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        release = build.staging()
        build.create()  # in planning: the QA Lead's checklist items are open there
        assert not my_work(team.outsider).gates
        delegate(team)
        work = my_work(team.outsider)
        (row,) = work.gates
        assert (row.role.key, row.release, row.acting_for) == (QA, release, team[QA])
        assert work.items and all(i.acting_for == team[QA] for i in work.items)
        # The holder still sees it as their own.
        assert [g.acting_for for g in my_work(team[QA]).gates] == [None]
        # A delegate holding a role there sees only their own gate.
        delegate(team, person=RoleKey.UX_DESIGNER, to=team[DEVOPS])
        assert {g.role.key for g in my_work(team[DEVOPS]).gates} == {DEVOPS}


def test_a_delegate_ticking_the_persons_item_is_audited_for_them(team, build):
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        release = build.create()
        delegate(team)
        item = release.checklist.get(template__key="smoke-tests")
        services.checklist_complete(item_id=item.pk, actor=team.outsider)
        event = AuditEvent.objects.filter(release=release, verb="checklist.done").latest("id")
        assert (event.actor, event.on_behalf_of) == (team.outsider, team[QA])
        # The holder's own tick names nobody else.
        services.checklist_reopen(item_id=item.pk, actor=team[QA])
        assert AuditEvent.objects.filter(release=release).latest("id").on_behalf_of is None


def test_the_demo_has_the_qa_lead_away_for_a_week_and_runs_twice(settings):
    from django.core.management import call_command

    call_command("demo", password="secret-pass", history=False)
    call_command("demo", password="secret-pass", history=False)
    (d,) = Delegation.objects.all()
    assert (d.person.username, d.delegate.username) == ("qa-lead", "qa-backup")
    assert d.ends_at - d.starts_at == timedelta(days=7)
    assert permissions.delegations_to(d.delegate).exists()


def test_a_delegate_taking_a_release_step_is_recorded_as_acting_for_the_person(team, build):
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        release = build.pre_release_done(build.create())
        delegate(team, person=DEVOPS)
        services.release_move_to_staging(release_id=release.pk, actor=team.outsider)
        event = release.audit_events.get(verb="release.stage")
        assert (event.actor, event.on_behalf_of) == (team.outsider, team[DEVOPS])
        # The person's own step names nobody else.
        other = build.pre_release_done(build.create())
        services.release_move_to_staging(release_id=other.pk, actor=team[DEVOPS])
        assert other.audit_events.get(verb="release.stage").on_behalf_of is None


def test_the_release_page_says_whom_a_delegate_acted_for(client, team, build):
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        release = build.pre_release_done(build.create())
        delegate(team, person=DEVOPS)
        services.release_move_to_staging(release_id=release.pk, actor=team.outsider)
        client.force_login(team[PM])
        page = client.get(f"/releases/{release.pk}/").content.decode()
    # The audit trail's sentence (releases.wording): "by X for Y".
    assert f"{team.outsider.username} moved the release from Planning to Staging for {DEVOPS}" in (
        page
    )
