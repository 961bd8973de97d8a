"""The delegation pages: `/me/delegations/` (anyone, their own roles), `/team/delegations/`
(admins, anyone's), and the cancel button. Forged requests are 403s and change nothing; the
datetime-local fields are read in the server's time zone, daylight-saving changes included."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from notifications.models import Notification
from releases import services
from releases.models import AuditEvent, Delegation, RoleKey

from ...builders import login_url, messages_of, refresh
from ...factories import UserFactory
from ...queries import assert_num_queries

pytestmark = pytest.mark.django_db

QA = RoleKey.QA_LEAD
ME, TEAM = reverse("my-delegations"), reverse("team-delegations")
UTC = ZoneInfo("UTC")
NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def form(delegate, start="2026-04-01T09:00", end="2026-04-08T09:00", **extra) -> dict:
    return {"delegate": delegate.pk, "starts_at": start, "ends_at": end, **extra}


def existing(team) -> Delegation:
    return services.delegation_create(
        person=team[QA],
        delegate=team.outsider,
        starts_at=NOW + timedelta(days=1),
        ends_at=NOW + timedelta(days=8),
        actor=team[QA],
    )


@pytest.mark.parametrize("url", [ME, TEAM])
def test_it_requires_login(client, url):
    assert client.get(url).url == login_url(url)


def test_a_person_delegates_on_their_own_page(client, team):
    client.force_login(team[QA])
    assert client.get(ME).status_code == 200
    response = client.post(ME, form(team.outsider, reason="Holiday"))
    assert response.status_code == 302
    d = Delegation.objects.get()
    assert (d.person, d.delegate, d.reason) == (team[QA], team.outsider, "Holiday")
    page = client.get(ME).content.decode()
    assert "outsider" in page and "Holiday" in page and "Cancel" in page


def test_the_delegate_sees_whom_they_act_for(client, team):
    existing(team)
    client.force_login(team.outsider)
    page = client.get(ME).content.decode()
    assert "You act for" in page and "qa-lead" in page


def test_datetime_local_is_read_in_the_server_zone_across_a_dst_change(client, team, settings):
    # Berlin springs forward at 02:00 on 29 March 2026: 12:00 local is 11:00 UTC on Saturday
    # and 10:00 UTC on Sunday.
    settings.TIME_ZONE = "Europe/Berlin"
    client.force_login(team[QA])
    client.post(ME, form(team.outsider, start="2026-03-28T12:00", end="2026-03-29T12:00"))
    d = Delegation.objects.get()
    assert d.starts_at == datetime(2026, 3, 28, 11, 0, tzinfo=UTC)
    assert d.ends_at == datetime(2026, 3, 29, 10, 0, tzinfo=UTC)


def test_a_local_time_that_does_not_exist_is_refused_clearly(client, team, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    client.force_login(team[QA])
    response = client.post(ME, form(team.outsider, start="2026-03-29T02:30"))
    assert response.status_code == 200
    assert "may be ambiguous or it may not exist" in response.content.decode()
    assert not Delegation.objects.exists()


@pytest.mark.parametrize(
    "data, words",
    [
        ({"end": "2026-04-01T08:00"}, "must end after it starts"),
        ({"start": "2026-03-01T09:00", "end": "2026-03-02T09:00"}, "would end in the past"),
        ({"start": "2026-03-27T09:00", "end": "2026-04-02T09:00"}, "overlaps the delegation"),
    ],
)
def test_bad_periods_are_refused_on_the_form_and_nothing_changes(client, team, data, words):
    existing(team)
    client.force_login(team[QA])
    before = (Delegation.objects.count(), AuditEvent.objects.count())
    response = client.post(ME, form(team.backup, **data))
    assert response.status_code == 200
    assert words in response.content.decode()
    assert (Delegation.objects.count(), AuditEvent.objects.count()) == before


def test_yourself_is_not_offered_and_a_forged_choice_is_refused(client, team):
    client.force_login(team[QA])
    page = client.get(ME).content.decode()
    assert f'<option value="{team[QA].pk}"' not in page
    response = client.post(ME, form(team[QA]))
    assert response.status_code == 200 and not Delegation.objects.exists()


def test_the_team_page_is_for_admins_only(client, team):
    client.force_login(team[RoleKey.PROJECT_MANAGER])
    assert client.get(TEAM).status_code == 403
    response = client.post(TEAM, {**form(team.outsider), "person": team[QA].pk})
    assert response.status_code == 403
    assert not Delegation.objects.exists()


def test_an_admin_delegates_for_someone_and_they_are_told(client, team):
    client.force_login(team.admin)
    assert client.get(TEAM).status_code == 200
    response = client.post(TEAM, {**form(team.outsider), "person": team[QA].pk})
    assert response.url == TEAM
    d = Delegation.objects.get()
    assert (d.person, d.created_by) == (team[QA], team.admin)
    assert Notification.objects.filter(kind="delegation_set", to_email=team[QA].email).exists()
    assert "qa-lead" in client.get(TEAM).content.decode()


def test_the_person_cancels_and_it_is_gone_from_the_page(client, team):
    d = existing(team)
    client.force_login(team[QA])
    response = client.post(reverse("delegation-cancel", args=[d.pk]))
    assert response.url == ME
    assert refresh(d).cancelled_at == NOW
    assert "Delegation cancelled" in " ".join(messages_of(response))


@pytest.mark.parametrize("who", ["delegate", "another_holder"])
def test_a_forged_cancel_is_refused_and_changes_nothing(client, team, who):
    d = existing(team)
    client.force_login(team.outsider if who == "delegate" else team[RoleKey.DEVOPS_ENGINEER])
    events = AuditEvent.objects.count()
    assert client.post(reverse("delegation-cancel", args=[d.pk])).status_code == 403
    assert refresh(d).cancelled_at is None and AuditEvent.objects.count() == events


def test_an_admin_cancels_from_the_team_page(client, team):
    d = existing(team)
    client.force_login(team.admin)
    response = client.post(reverse("delegation-cancel", args=[d.pk]), {"back": "team"})
    assert response.url == TEAM and refresh(d).cancelled_at == NOW


def test_my_delegations_query_count_does_not_grow_with_rows(client, team):
    client.force_login(team[QA])
    existing(team)
    with assert_num_queries(6) as first:
        assert client.get(ME).status_code == 200
    for n in range(5):
        services.delegation_create(
            person=team[QA],
            delegate=UserFactory(username=f"stand-in-{n}"),
            starts_at=NOW + timedelta(days=10 + n),
            ends_at=NOW + timedelta(days=10 + n, hours=12),
            actor=team[QA],
        )
    with assert_num_queries(len(first.captured_queries)):
        assert client.get(ME).status_code == 200


def test_my_work_shows_the_delegated_gate_for_the_person(client, team, build):
    release = build.staging()
    services.delegation_create(
        person=team[QA],
        delegate=team.outsider,
        starts_at=NOW,
        ends_at=NOW + timedelta(days=7),
        actor=team[QA],
    )
    client.force_login(team.outsider)
    page = client.get(reverse("my-work")).content.decode()
    assert f"sign-off for {release.name} {release.version}" in page
    assert "for qa-lead" in page
