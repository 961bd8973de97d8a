from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from releases import services, versions
from releases.models import RoleKey

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "bad", ["1.0", "v1.0.0", "01.0.0", "1.0.0-beta", "1.0.0.0", "a.b.c", " 1.0.0"]
)
def test_it_refuses_a_malformed_version(team, build, bad):
    with pytest.raises(ValidationError, match=r"MAJOR\.MINOR\.PATCH"):
        build.create(version=bad)


def test_the_first_release_may_start_anywhere(team, build):
    assert build.create(version="4.2.0", release_type="patch").version == "4.2.0"


@pytest.mark.parametrize(
    ("version", "release_type"),
    [("1.2.4", "patch"), ("1.2.9", "patch"), ("1.3.0", "minor"), ("2.0.0", "major")],
)
def test_the_type_agrees_with_the_bump(team, build, version, release_type):
    build.deployed(version="1.2.3", release_type="major")
    assert build.create(version=version, release_type=release_type).version == version


@pytest.mark.parametrize(
    ("version", "release_type", "message"),
    [
        ("1.3.0", "patch", "is a minor bump from 1.2.3"),
        ("1.2.4", "major", "is a patch bump from 1.2.3"),
        ("2.0.0", "minor", "is a major bump from 1.2.3"),
        ("1.2.3", "patch", "already has version 1.2.3"),
        ("1.2.2", "patch", "does not come after 1.2.3"),
        ("1.3.1", "minor", "does not come after 1.2.3"),
    ],
)
def test_it_refuses_a_type_that_disagrees(team, build, version, release_type, message):
    build.deployed(version="1.2.3", release_type="major")
    with pytest.raises(ValidationError, match=message):
        build.create(version=version, release_type=release_type)


def test_duplicates_are_refused(team, build):
    build.create(version="1.0.0", release_type="major")
    with pytest.raises(ValidationError, match=r"already has version 1\.0\.0"):
        build.create(version="1.0.0", release_type="major")


def test_the_base_is_the_last_release_that_reached_production_even_if_rolled_back(team, build):
    build.closed(version="1.0.0", release_type="major")
    bad = build.deployed(version="1.1.0", release_type="minor")
    incident = services.incident_open(release_id=bad.pk, actor=team[RoleKey.QA_LEAD], title="x")
    services.incident_record_rollback(incident_id=incident.pk, actor=team[RoleKey.DEVOPS_ENGINEER])
    assert versions.suggest(release_type="patch") == "1.1.1"


def test_it_suggests_the_next_free_version_for_each_type(team, build):
    assert versions.suggest(release_type="major") == "1.0.0"
    build.deployed(version="1.4.2", release_type="major")
    assert versions.suggest(release_type="patch") == "1.4.3"
    assert versions.suggest(release_type="minor") == "1.5.0"
    assert versions.suggest(release_type="major") == "2.0.0"
    build.create(version="1.5.0", release_type="minor")  # planned, not yet in production
    assert versions.suggest(release_type="minor") == "1.6.0"
