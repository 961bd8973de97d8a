"""The audit trail downloads: a release's (`release-audit-csv`, anyone who may read the
release page) and a period's (`audit-csv`, admins and the team's Project Manager), as CSV
that a spreadsheet opens without running anything typed into a comment."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
import time_machine
from django.template.loader import render_to_string
from django.test import override_settings
from django.urls import reverse

from releases import audit, chain
from releases.models import AuditEvent, DefaultHolder, Release, RoleKey

from ...builders import login_url
from ...queries import assert_num_queries

pytestmark = pytest.mark.django_db

QA, PM = RoleKey.QA_LEAD, RoleKey.PROJECT_MANAGER
HEADER = [
    "time",
    "actor",
    "on behalf of",
    "verb",
    "subject",
    "from",
    "to",
    "comment",
    "release",
    "chain hash",
    "what happened",
]
UTC = dt.UTC


def url(release: Release) -> str:
    return reverse("release-audit-csv", args=[release.pk])


def period(**query: str) -> str:
    return reverse("audit-csv") + ("?" + "&".join(f"{k}={v}" for k, v in query.items()))


def rows(response: Any) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")  # so Excel reads it as UTF-8
    table = list(csv.reader(io.StringIO(text[1:])))
    assert table[0] == HEADER
    return table[1:]


# A release's trail -------------------------------------------------------------------------


def test_it_requires_login(client, build):
    release = build.create()
    response = client.get(url(release))
    assert response.status_code == 302
    assert response["Location"] == login_url(url(release))


def test_it_works_for_someone_without_a_role(client, team, build):
    # The trail is on the release page, which anyone signed in may read.
    release = build.create()
    client.force_login(team.outsider)
    response = client.get(url(release))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        f'attachment; filename="audit-{release.version}.csv"' == (response["Content-Disposition"])
    )


def test_an_unknown_release_is_404(client, team):
    client.force_login(team[PM])
    assert client.get(reverse("release-audit-csv", args=[999999])).status_code == 404


def test_it_lists_the_releases_events_in_chain_order_with_their_hashes(client, team, build):
    release = build.staging()
    other = build.create()
    team[PM].first_name, team[PM].last_name = "Pat", "Morgan"
    team[PM].save()
    client.force_login(team[QA])
    table = rows(client.get(url(release)))
    events = list(release.audit_events.order_by("id"))
    assert len(table) == len(events) >= 3
    assert [r[9] for r in table] == [e.chain_hash for e in events]
    assert all(str(other) not in r for r in table)
    first = table[0]
    created = events[0]
    assert first[0] == created.created_at.astimezone(UTC).isoformat(timespec="microseconds")
    assert first[0].endswith("+00:00")
    assert first[1] == "Pat Morgan"
    assert first[3:5] == [created.verb, created.subject]
    assert first[8] == str(release)


def test_it_names_on_whose_behalf_and_leaves_blank_who_nobody_was(client, team, build):
    release = build.create()
    audit.record(release=release, actor=team.backup, on_behalf_of=team[QA], verb="gate.approved")
    audit.record(release=release, actor=None, verb="followup.due")
    client.force_login(team.outsider)
    *_, delegated, system = rows(client.get(url(release)))
    assert delegated[1:4] == ["qa-backup", QA, "gate.approved"]
    assert system[1:4] == ["", "", "followup.due"]


def test_it_defuses_spreadsheet_formulas(client, team, build):
    release = build.create()
    for comment in ('=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tx", "\rx", "a=b"):
        audit.record(release=release, actor=team[QA], verb="note", comment=comment)
    audit.record(release=release, actor=team[QA], verb="note", subject="=1+1")
    client.force_login(team[QA])
    table = rows(client.get(url(release)))
    assert [r[7] for r in table if r[3] == "note"][:7] == [
        '\'=HYPERLINK("http://x")',
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "a=b",
    ]
    assert table[-1][4] == "'=1+1"


def test_its_queries_do_not_grow_with_the_trail(client, team, build):
    release = build.create()
    client.force_login(team[QA])
    client.get(url(release))  # the session and user, loaded once like on every page
    with assert_num_queries(4):
        client.get(url(release))
    for n in range(10):
        audit.record(release=release, actor=team[QA], verb="note", comment=str(n))
    with assert_num_queries(4):
        assert len(rows(client.get(url(release)))) > 10


def test_the_release_page_links_its_trail(client, team, build):
    release = build.create()
    client.force_login(team.outsider)
    page = client.get(reverse("release-detail", args=[release.pk])).content.decode()
    assert f'href="{url(release)}" download' in page


# A period's trail --------------------------------------------------------------------------


def test_the_period_requires_login(client):
    target = period(**{"from": "2026-01-01", "to": "2026-01-31"})
    response = client.get(target)
    assert response.status_code == 302
    assert response["Location"] == login_url(reverse("audit-csv")) + (
        "%3Ffrom%3D2026-01-01%26to%3D2026-01-31"
    )


@pytest.mark.parametrize("who", ["outsider", "qa", "qa-backup"])
def test_the_period_is_refused_to_others(client, team, who):
    person = {"outsider": team.outsider, "qa": team[QA], "qa-backup": team.backup}[who]
    client.force_login(person)
    response = client.get(period(**{"from": "2026-01-01", "to": "2026-01-31"}))
    assert response.status_code == 403


@pytest.mark.parametrize("who", ["admin", "project-manager"])
def test_the_period_works_for_admins_and_the_project_manager(client, team, who):
    client.force_login(team.admin if who == "admin" else team[PM])
    response = client.get(period(**{"from": "2026-01-01", "to": "2026-01-31"}))
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Disposition"] == (
        'attachment; filename="audit-2026-01-01-to-2026-01-31.csv"'
    )
    assert rows(response) == []


def test_the_period_works_for_the_project_managers_default_backup(client, team):
    DefaultHolder.objects.filter(role__key=PM).update(backup=team.outsider)
    client.force_login(team.outsider)
    assert client.get(period(**{"from": "2026-01-01", "to": "2026-01-01"})).status_code == 200


def test_the_period_is_refused_to_a_release_project_manager_who_is_not_the_teams(
    client, team, build
):
    # Holding the Project Manager role on one release does not open every release's trail.
    release = build.create()
    release.assignments.filter(role__key=PM).update(holder=team.outsider)
    client.force_login(team.outsider)
    assert client.get(period(**{"from": "2026-01-01", "to": "2026-01-01"})).status_code == 403


def at(when: dt.datetime, **fields: Any) -> AuditEvent:
    with time_machine.travel(when, tick=False):
        return audit.record(release=None, actor=None, **fields)


def test_the_period_holds_whole_days_both_included(client, team, build):
    release = build.create()  # now: outside the period
    at(dt.datetime(2025, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), verb="before")
    at(dt.datetime(2026, 1, 1, tzinfo=UTC), verb="first.second")
    with time_machine.travel(dt.datetime(2026, 1, 15, 12, tzinfo=UTC), tick=False):
        audit.record(release=release, actor=team[QA], verb="middle", comment="=x")
    at(dt.datetime(2026, 1, 31, 23, 59, 59, 999999, tzinfo=UTC), verb="last.moment")
    at(dt.datetime(2026, 2, 1, tzinfo=UTC), verb="after")
    client.force_login(team[PM])
    table = rows(client.get(period(**{"from": "2026-01-01", "to": "2026-01-31"})))
    assert [r[3] for r in table] == ["first.second", "middle", "last.moment"]
    assert table[0][0] == "2026-01-01T00:00:00.000000+00:00"
    assert table[1][7:9] == ["'=x", str(release)]
    assert table[0][8] == ""  # a team event belongs to no release
    # The hashes are the chain's, so the download can be checked against the database.
    events = {e.verb: e for e in AuditEvent.objects.all()}
    assert table[2][9] == events["last.moment"].chain_hash
    assert chain.verify().intact


@override_settings(TIME_ZONE="Europe/Berlin")
def test_the_days_are_the_sites_days(client, team):
    # 00:30 in Berlin on the day the clocks go forward is 23:30 UTC the day before.
    at(dt.datetime(2026, 3, 28, 22, 59, tzinfo=UTC), verb="saturday")
    at(dt.datetime(2026, 3, 28, 23, 30, tzinfo=UTC), verb="sunday.early")
    at(dt.datetime(2026, 3, 29, 21, 59, tzinfo=UTC), verb="sunday.late")
    at(dt.datetime(2026, 3, 29, 22, 0, tzinfo=UTC), verb="monday")
    client.force_login(team[PM])
    table = rows(client.get(period(**{"from": "2026-03-29", "to": "2026-03-29"})))
    assert [r[3] for r in table] == ["sunday.early", "sunday.late"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({}, "Give the first day of the period as from=YYYY-MM-DD."),
        ({"from": "2026-01-01"}, "Give the last day of the period as to=YYYY-MM-DD."),
        ({"from": "01/02/2026", "to": "2026-01-31"}, "from= is not a date"),
        ({"from": "2026-01-01", "to": "2026-02-30"}, "to= is not a date"),
        ({"from": "2026-02-01", "to": "2026-01-31"}, "The period ends before it starts."),
        ({"from": "2025-01-01", "to": "2026-01-02"}, "A period is at most 366 days"),
    ],
)
def test_bad_periods_are_a_400_with_a_plain_message(client, team, query, message):
    client.force_login(team.admin)
    response = client.get(period(**query) if query else reverse("audit-csv"))
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert message in response.content.decode()


def test_a_period_of_366_days_is_allowed(client, team):
    client.force_login(team.admin)
    assert client.get(period(**{"from": "2024-01-01", "to": "2024-12-31"})).status_code == 200
    assert client.get(period(**{"from": "2024-01-01", "to": "2025-01-01"})).status_code == 400


def test_the_period_form_sends_from_and_to_to_the_download():
    # The include the Team page shows to whoever may download a period.
    html = render_to_string("releases/_audit_period.html")
    assert f'action="{reverse("audit-csv")}"' in html
    assert 'method="get"' in html
    for name in ("from", "to"):
        assert f'<label for="id_audit_{name}">' in html
        assert f'type="date" id="id_audit_{name}" name="{name}" required' in html
