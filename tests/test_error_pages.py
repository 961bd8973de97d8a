"""The error pages say what happened and what to do next: a gate refused to someone who does
not hold it says who does and who can reassign it; 404, 429 and 500 in the app's own words;
no admin page says "Django"."""

from __future__ import annotations

import pytest
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse

import octoacme.urls
from releases.models import RoleKey

from .builders import gate

pytestmark = pytest.mark.django_db

QA, PM = RoleKey.QA_LEAD, RoleKey.PROJECT_MANAGER


def crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom")


# The project's URLs plus a view that fails, for the 500 page (see test_a_crash_...).
urlpatterns = [path("crash/", crash), *octoacme.urls.urlpatterns]


def named(user, first: str, last: str) -> None:
    user.first_name, user.last_name = first, last
    user.save()


class TestSomeoneElsesGate:
    def test_it_says_who_holds_it_and_whom_to_ask(self, client, team, build):
        named(team[QA], "Quinn", "Adams")
        named(team.backup, "Bo", "Backup")
        named(team[PM], "Pat", "Morgan")
        release = build.staging()
        client.force_login(team.outsider)
        response = client.get(reverse("gate-detail", args=[gate(release, QA).pk]))
        assert response.status_code == 403
        assert (
            f"You do not hold the QA Lead gate of {release}: Quinn Adams holds it (backup: Bo "
            "Backup) and they may sign it. To have it reassigned, ask the release&#x27;s Project "
            "Manager (Pat Morgan) or an admin."
        ) in response.text
        assert "Nothing was changed." in response.text

    def test_the_project_manager_is_told_they_may_reassign_it_but_not_sign_it(
        self, client, team, build
    ):
        release = build.staging()
        client.force_login(team[PM])
        response = client.post(reverse("gate-decide", args=[gate(release, QA).pk, "approve"]))
        assert response.status_code == 403
        assert "You may reassign the role under “Who holds which role”" in response.text
        assert "only the person who holds a gate signs it" in response.text

    def test_an_admin_is_told_the_same(self, client, team, build):
        release = build.staging()
        client.force_login(team.admin)
        response = client.get(reverse("gate-detail", args=[gate(release, QA).pk]))
        assert response.status_code == 403
        assert "You may reassign the role" in response.text


def test_a_missing_page_says_where_to_look(client, team):
    client.force_login(team.outsider)
    response = client.get("/releases/999999/")
    assert response.status_code == 404
    assert "There is nothing at this address" in response.text
    assert f'href="{reverse("dashboard")}"' in response.text


def test_a_sign_in_lockout_says_how_long_to_wait(client, team, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        response = client.post(reverse("login"), {"username": QA, "password": "wrong"})
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.text
    assert f"after {settings.AXES_FAILURE_LIMIT} wrong passwords" in response.text
    assert "Wait 15 minutes and try again" in response.text  # the default SIGNIN_COOLOFF


def test_the_429_page_stands_on_its_own(rf, team):
    from django.shortcuts import render

    request = rf.get("/")
    request.user = team.outsider
    response = render(request, "429.html", status=429)
    assert response.status_code == 429
    assert "Too many requests" in response.content.decode()
    assert "Wait a few minutes and try again" in response.content.decode()


@pytest.mark.urls("tests.test_error_pages")
def test_a_crash_shows_the_plain_500_page(client, team, settings):
    settings.DEBUG = False
    client.raise_request_exception = False
    client.force_login(team.outsider)
    response = client.get("/crash/")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    assert "tell an admin what you were doing" in response.text
    assert "boom" not in response.text and "Traceback" not in response.text


def test_no_admin_page_says_django(client, team):
    pages = [reverse("admin:login")]
    assert "Django" not in client.get(pages[0]).text
    client.force_login(team.admin)
    for url in (
        reverse("admin:index"),
        reverse("admin:password_change"),
        reverse("admin:releases_auditevent_changelist"),
        reverse("admin:releases_role_changelist"),
        reverse("admin:auth_user_add"),
        reverse("admin:app_list", args=["releases"]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Django" not in response.text, url
