"""GET /api/v1/releases and /api/v1/releases/{id}: what a pipeline reads."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from api.models import Scope
from releases.models import RoleKey

from ..builders import Builder, Team
from ..queries import assert_num_queries
from .conftest import bearer

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(make_token: Callable[..., str]) -> dict[str, str]:
    return bearer(make_token(Scope.RELEASES_READ))


def test_it_lists_newest_first_filtered_and_paged(
    build: Builder, api_client: Client, reader: dict[str, str]
) -> None:
    first, second = build.create(), build.create(release_type="patch")
    staged = build.staging()

    everything = api_client.get("/api/v1/releases", **reader).json()
    assert [r["id"] for r in everything["items"]] == [staged.pk, second.pk, first.pk]
    assert everything["count"] == 3
    listed = everything["items"][0]
    assert listed["stage"] == "staging" and listed["url"] == f"/releases/{staged.pk}/"

    planning = api_client.get("/api/v1/releases?stage=planning", **reader).json()
    assert {r["id"] for r in planning["items"]} == {first.pk, second.pk}
    patches = api_client.get("/api/v1/releases?type=patch", **reader).json()
    assert [r["id"] for r in patches["items"]] == [second.pk]
    page = api_client.get("/api/v1/releases?limit=1&offset=1", **reader).json()
    assert page["count"] == 3 and [r["id"] for r in page["items"]] == [second.pk]


def test_a_bad_filter_is_a_422_naming_the_field(api_client: Client, reader: dict[str, str]) -> None:
    response = api_client.get("/api/v1/releases?stage=launched", **reader)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid" and "stage" in body["detail"]
    assert any("stage" in e["loc"] for e in body["errors"])


def test_it_shows_gates_checklist_handoffs_and_blockers(
    build: Builder, team: Team, api_client: Client, reader: dict[str, str]
) -> None:
    release = build.staging()
    build.approve(release, RoleKey.QA_LEAD)

    body = api_client.get(f"/api/v1/releases/{release.pk}", **reader).json()

    assert body["stage"] == "staging" and body["next_step"] is None
    gates = {g["role"]: g for g in body["gates"]}
    qa = next(g for g in body["gates"] if g["state"] == "approved")
    assert qa["decided_by"]["username"] == RoleKey.QA_LEAD and qa["pending_who"] == []
    pending = [g for g in gates.values() if g["state"] == "pending"]
    assert pending and all(g["pending_who"] for g in pending)
    assert pending[0]["pending_who"][0] == pending[0]["holder"]
    ci = next(i for i in body["checklist"] if i["key"] == "ci-security")
    assert ci["state"] != "open" and ci["evidence"].startswith("https://")
    assert {h["key"] for h in body["handoffs"]} >= {"qa-to-devops"}
    assert body["open_incidents"] == []


def test_it_lists_the_same_blockers_as_the_release_page(
    build: Builder, api_client: Client, reader: dict[str, str]
) -> None:
    release = build.create()  # planning: the pre-release requirements block staging
    body = api_client.get(f"/api/v1/releases/{release.pk}", **reader).json()
    assert body["next_step"] == "stage"
    assert body["blockers"], "a fresh release cannot move to staging"
    assert all(b["text"] and b["who"] and b["anchor"] for b in body["blockers"])


def test_an_unknown_release_is_a_json_404(api_client: Client, reader: dict[str, str]) -> None:
    response = api_client.get("/api/v1/releases/999999", **reader)
    assert response.status_code == 404
    assert response.json() == {"detail": "No release has the id 999999.", "code": "not_found"}


def test_the_detail_runs_a_fixed_number_of_queries(
    build: Builder, api_client: Client, reader: dict[str, str]
) -> None:
    small = build.create()
    big = build.staging()
    build.approve(big, RoleKey.QA_LEAD)
    api_client.get(f"/api/v1/releases/{small.pk}", **reader)  # last use written: not counted

    with assert_num_queries(QUERIES) as small_run:
        api_client.get(f"/api/v1/releases/{small.pk}", **reader)
    with assert_num_queries(len(small_run.captured_queries)):
        api_client.get(f"/api/v1/releases/{big.pk}", **reader)


def test_the_list_runs_a_fixed_number_of_queries(
    build: Builder, api_client: Client, reader: dict[str, str]
) -> None:
    build.create()
    api_client.get("/api/v1/releases", **reader)
    # The token, the count, the page.
    with assert_num_queries(3):
        api_client.get("/api/v1/releases", **reader)
    for _ in range(3):
        build.create()
    with assert_num_queries(3):
        api_client.get("/api/v1/releases", **reader)


# The token; the release and its prefetched signoffs, assignments, checklist, hand-offs,
# duties, incidents, exceptions and timeline (the page selector); the latest security scan
# (a failing one blocks, as on the page); the evidence records.
QUERIES = 12
