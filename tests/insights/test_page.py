"""The Insights page and its CSV downloads: for everyone signed in, bad questions answered
with what is wrong (never a server error), a fixed number of queries."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from .history import History, at

URL = reverse("insights")


def csv_url(chart: str) -> str:
    return reverse("insights-csv", args=[chart])


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/signin/" in response["Location"]
    assert client.get(csv_url("deploys")).status_code == 302


@pytest.mark.parametrize("who", ["qa-lead", "project-manager", "outsider"])
def test_everyone_signed_in_reads_it(client, team, who):
    client.force_login(team.outsider if who == "outsider" else team[who])
    response = client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Deployment frequency" in body and "Sign-off latency per role" in body
    assert 'aria-current="page">Insights' in body


def test_the_default_is_the_last_90_days(client, team):
    client.force_login(team["project-manager"])
    response = client.get(URL)
    period = response.context["report"].period
    assert period.days == 90
    assert response.context["form"]["period"].value() == "90"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            {"period": "custom", "start": "2026-03-10", "end": "2026-03-01"},
            "ends (2026-03-01) before it starts",
        ),
        (
            {"period": "custom", "start": "1900-01-01", "end": "2020-01-01"},
            "cannot start before 2000-01-01",
        ),
        ({"period": "custom", "start": "2001-01-01", "end": "2020-01-01"}, "at most 1098 days"),
        (
            {"period": "custom", "start": "2026-01-01", "end": "2999-01-01"},
            "cannot end after today",
        ),
        ({"period": "custom", "start": "2026-01-01"}, "Give both the first and the last day"),
        ({"period": "custom", "start": "yesterday", "end": "2026-01-01"}, "Enter a valid date"),
        ({"period": "7"}, "Choose a period"),
        ({"type": "hotfix"}, "There is no release type “hotfix”"),
        ({"type": "<script>"}, "There is no release type “&lt;script&gt;”"),
    ],
)
def test_bad_questions_get_a_clear_message(client, team, query, message):
    client.force_login(team["project-manager"])
    response = client.get(URL, query)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "report" not in response.context
    download = client.get(csv_url("deploys"), query)
    assert download.status_code == 400
    assert download["Content-Type"].startswith("text/plain")


def test_a_chart_that_does_not_exist_is_a_404_that_names_the_charts(client, team):
    client.force_login(team["project-manager"])
    response = client.get(csv_url("no-such-chart"))
    assert response.status_code == 404
    assert "There is no chart “no-such-chart”" in response.content.decode()
    assert "deploys" in response.content.decode()


def test_a_chart_downloads_as_csv(client, team):
    h = History(team.admin)
    h.release(created_at=at("03-02"), staged_at=at("03-03"), deployed_at=at("03-04", "06:00"))
    client.force_login(team["qa-lead"])
    query = {"period": "custom", "start": "2026-03-02", "end": "2026-03-15"}
    response = client.get(csv_url("deploys"), query)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="deploys-2026-03-02-to-2026-03-15.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        ["Week", "Deploys", "Failed"],
        ["2026-03-02", "1", "0"],
        ["2026-03-09", "0", "0"],
    ]


def test_each_chart_links_its_csv_with_the_same_question(client, team):
    client.force_login(team["project-manager"])
    response = client.get(URL, {"period": "30", "type": "patch"})
    body = response.content.decode()
    assert f'href="{csv_url("deploys")}?period=30&amp;type=patch"' in body
    for chart in response.context["report"].charts:
        assert f'href="{csv_url(chart.key)}?' in body


def test_the_page_costs_a_fixed_number_of_queries(client, team, django_assert_num_queries):
    client.force_login(team["project-manager"])
    client.get(URL)  # warm whatever is cached per process (content types, the site)
    h = History(team.admin)
    for day in ("03-02", "03-03", "03-04"):
        h.release(created_at=at(day), staged_at=at(day), deployed_at=at(day, "12:00"))
    # The session, the user, the navigation's "may create a release", and the report's nine.
    with django_assert_num_queries(12):
        client.get(URL, {"period": "custom", "start": "2026-03-01", "end": "2026-03-31"})


@pytest.mark.parametrize(
    ("hours", "shown"),
    [
        (None, "—"),
        (0.25, "15 min"),
        (0.999, "1.0 h"),
        (2.5, "2.5 h"),
        (47.9, "47.9 h"),
        (60, "2.5 d"),
    ],
)
def test_durations_read_in_minutes_hours_or_days(hours, shown):
    from insights.templatetags.insights import duration

    assert duration(hours) == shown
