"""Insights reads what the services write: releases moved, gates rejected and approved, deploys
that failed before or after they went through."""

from __future__ import annotations

import pytest
from django.utils import timezone

from insights.periods import last_days
from insights.report import build
from releases import services
from releases.models import RoleKey
from signoffs import services as gate_services

from ..builders import gate

QA, DEVOPS = RoleKey.QA_LEAD, RoleKey.DEVOPS_ENGINEER


def figures():
    report = build(last_days(7, timezone.now()), None)
    return report, {f.key: f for f in report.delivery}


@pytest.fixture
def approved(build):
    return build.ready_to_deploy()


def test_a_deploy_that_failed_then_went_through_is_two_attempts_one_failed(team, approved):
    services.release_record_failed_deploy(
        release_id=approved.pk, actor=team[DEVOPS], what_failed="Migrations timed out"
    )
    services.release_record_deploy(release_id=approved.pk, actor=team[DEVOPS])
    report, f = figures()
    assert f["frequency"].count == 2
    assert f["change-fail-rate"].value == 50
    assert f["lead-time"].count == 1
    assert report.still_open == 1  # the failed deploy's incident is not resolved yet


def test_a_release_that_broke_after_its_deploy_is_one_failed_deploy(team, build):
    release = build.deployed()
    services.release_record_failed_deploy(
        release_id=release.pk, actor=team[DEVOPS], what_failed="Error rate up"
    )
    _, f = figures()
    assert f["frequency"].count == 1
    assert f["change-fail-rate"].value == 100


def test_a_rejection_then_an_approval(team, build):
    release = build.staging()
    gate_services.gate_reject(gate_id=gate(release, QA).pk, actor=team[QA], reason="Flaky login")
    gate_services.gate_approve(gate_id=gate(release, QA).pk, actor=team[QA])
    report, _ = figures()
    qa = next(r for r in report.roles if r.role == "QA Lead")
    assert (qa.decided, qa.rejections) == (1, 1)
    assert qa.median is not None and qa.median < 1  # decided within the test's run
    assert {g.role for g in report.open_gates} >= {"DevOps Engineer", "Business Analyst"}
