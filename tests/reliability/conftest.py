"""Shared set-up for the reliability suite, and the report it writes when asked.

`RELIABILITY_REPORT=docs/reliability.md pytest tests/reliability` (or `make reliability`)
writes the figures the tests recorded.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from releases import services
from releases.models import DefaultHolder, Release, Role, RoleKey

from ..builders import Builder, Team
from ..factories import UserFactory
from .report import FIGURES, FINDINGS


@dataclass
class Crew:
    team: Team
    backups: dict[str, Any]
    build: Builder

    def stage(self, stage: str) -> Release:
        """A release in `stage`, with an earlier known-good release in production."""
        b, t = self.build, self.team
        b.closed(name="Known good", version="1.0.0", release_type="major")
        if stage == "planning":
            return b.create(version="1.1.0")
        if stage == "staging":
            return b.staging(version="1.1.0")
        if stage == "approved":
            return b.approved(version="1.1.0")
        if stage == "deployed":
            return b.deployed(version="1.1.0")
        if stage == "closed":
            return b.closed(version="1.1.0")
        if stage == "cancelled":
            release = b.staging(version="1.1.0")
            services.release_cancel(
                release_id=release.pk, actor=t[RoleKey.PROJECT_MANAGER], reason="Replanned"
            )
            return release
        assert stage == "rolled_back"
        release = b.deployed(version="1.1.0")
        incident = services.incident_open(
            release_id=release.pk, actor=t[RoleKey.QA_LEAD], title="Errors"
        )
        services.incident_record_rollback(incident_id=incident.pk, actor=t[RoleKey.DEVOPS_ENGINEER])
        release.refresh_from_db()
        return release


@pytest.fixture
def crew(db: Any) -> Crew:
    """A holder and a backup for every role, an admin holding nothing, and a plain user."""
    holders = {key: UserFactory(username=key) for key in RoleKey.values}
    backups = {key: UserFactory(username=f"{key}-backup") for key in RoleKey.values}
    for key in RoleKey.values:
        DefaultHolder.objects.update_or_create(
            role=Role.objects.get(key=key),
            defaults={"holder": holders[key], "backup": backups[key]},
        )
    team = Team(
        holders=holders,
        backup=backups[RoleKey.QA_LEAD],
        outsider=UserFactory(username="plain"),
        admin=UserFactory(username="root", is_staff=True, is_superuser=True),
    )
    return Crew(team=team, backups=backups, build=Builder(team))


def _table(rows: dict[str, Any]) -> str:
    return "\n".join(f"| {k} | {v} |" for k, v in rows.items())


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    target = os.environ.get("RELIABILITY_REPORT")
    if not target or not FIGURES:
        return
    failed = session.testsfailed
    lines = [
        "# Reliability figures",
        "",
        "Written by `make reliability` (`RELIABILITY_REPORT=docs/reliability.md pytest "
        "tests/reliability`), on PostgreSQL and Redis, from what the tests ran and saw. "
        "Every figure below is asserted by a test; a run with a failing test says so here.",
        "",
        f"- Run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} "
        f"({platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()})",
        f"- Tests: {session.testscollected} collected, {failed} failed",
        "",
    ]
    for section, values in FIGURES.items():
        lines += [f"## {section}", "", "| figure | value |", "| --- | --- |", _table(values), ""]
    lines += ["## Findings fixed", "", *[f"- {f}" for f in FINDINGS], ""]
    Path(target).write_text("\n".join(lines))
