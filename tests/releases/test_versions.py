from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from releases import services, versions
from releases.models import RoleKey

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "bad", ["1.0", "v1.0.0", "01.0.0", "1.0.0-beta", "1.0.0.0", "a.b.c", "1. 0.0"]
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
        (
            "1.3.1",
            "minor",
            "a minor release resets the patch number, so the next minor version is 1.3.0",
        ),
        (
            "2.1.0",
            "major",
            "resets the minor and patch numbers, so the next major version is 2.0.0",
        ),
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


def test_the_base_is_the_highest_version_in_production_not_rolled_back(team, build):
    build.closed(version="1.0.0", release_type="major")
    bad = build.deployed(version="1.1.0", release_type="minor")
    incident = services.incident_open(release_id=bad.pk, actor=team[RoleKey.QA_LEAD], title="x")
    services.incident_record_rollback(incident_id=incident.pk, actor=team[RoleKey.DEVOPS_ENGINEER])
    assert versions.production_base().version == "1.0.0"
    assert versions.suggest(release_type="patch") == "1.0.1"
    # 1.1.0 stays taken: the next minor skips it.
    assert versions.suggest(release_type="minor") == "1.2.0"


def test_the_base_follows_versions_not_deploy_times(team, build):
    """A release train: 1.2.0 in staging while 1.3.0 ships; then 1.2.0 ships as a downgrade.
    The base stays 1.3.0, so releases planned from it remain valid."""
    build.deployed(version="1.1.0", release_type="major")
    older = build.ready_to_deploy(version="1.2.0", release_type="minor")
    build.deployed(version="1.3.0", release_type="minor")
    services.release_record_deploy(
        release_id=older.pk,
        actor=team[RoleKey.DEVOPS_ENGINEER],
        downgrade_reason="1.3.0 breaks exports; 1.2.0 is what customers had.",
    )
    assert versions.production_base().version == "1.3.0"
    assert build.create(version="1.4.0", release_type="minor").version == "1.4.0"


def test_versions_sort_as_numbers(team, build):
    build.deployed(version="1.9.0", release_type="major")
    build.deployed(version="1.10.0", release_type="minor")
    assert versions.production_base().version == "1.10.0"
    assert versions.suggest(release_type="minor") == "1.11.0"


def test_it_suggests_the_next_free_version_for_each_type(team, build):
    assert versions.suggest(release_type="major") == "1.0.0"
    build.deployed(version="1.4.2", release_type="major")
    assert versions.suggest(release_type="patch") == "1.4.3"
    assert versions.suggest(release_type="minor") == "1.5.0"
    assert versions.suggest(release_type="major") == "2.0.0"
    build.create(version="1.5.0", release_type="minor")  # planned, not yet in production
    assert versions.suggest(release_type="minor") == "1.6.0"
