"""What test modules import: the team, a release builder, small look-ups, a broker switch.

Fixtures stay in conftest.py, which pytest loads itself; nothing imports a conftest.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.urls import reverse

from releases import services
from releases.models import HandoffDecision, Release, RoleKey
from signoffs import services as gate_services
from signoffs.models import SignOff

# Debian's Chromium, which the browser suite drives (Playwright cannot download one here).
CHROMIUM = "/usr/bin/chromium"

# Typed into a release's text fields by the escaping tests; every page must show it as text.
HTML_TYPED = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@dataclass
class Team:
    holders: dict[str, AbstractBaseUser]
    backup: AbstractBaseUser  # backup of the QA Lead
    outsider: AbstractBaseUser  # signed in, holds nothing
    admin: AbstractBaseUser  # superuser, holds nothing

    def __getitem__(self, key: str) -> AbstractBaseUser:
        return self.holders[key]


# The links the CI and acceptance items are ticked with.
EVIDENCE = {
    "ci-security": "https://ci.example.com/runs/42",
    "acceptance-criteria": "https://git.example.com/acme/app/pulls?q=is%3Amerged",
}


def gate(release: Release, key: str) -> SignOff:
    return SignOff.objects.select_related("role").get(release=release, role__key=key)


class Builder:
    """Moves a release forward step by step, as its role holders would."""

    def __init__(self, team: Team) -> None:
        self.team = team
        self._n = 0

    def create(self, **fields: Any) -> Release:
        self._n += 1
        defaults = {
            "name": f"Release {self._n}",
            "release_type": "minor",
            "version": services_suggest(fields.get("release_type", "minor")),
            # The fields the pre-release ticks need (their evidence).
            "summary": "Summary",
            "notable_changes": "- A change.",
            "rollback_plan": "Redeploy previous.",
            "smoke_test_plan": "Sign in; open the dashboard.",
        }
        defaults.update(fields)
        return services.release_create(actor=self.team[RoleKey.PROJECT_MANAGER], **defaults)

    def pre_release_done(self, release: Release) -> Release:
        for item in release.checklist.filter(template__group="pre_release").select_related(
            "template__owner"
        ):
            services.checklist_complete(
                item_id=item.pk,
                actor=self.team[item.template.owner.key],
                evidence=EVIDENCE.get(item.template.key, ""),
            )
        return release

    def staging(self, **fields: Any) -> Release:
        release = self.pre_release_done(self.create(**fields))
        services.release_move_to_staging(
            release_id=release.pk, actor=self.team[RoleKey.DEVOPS_ENGINEER]
        )
        return refresh(release)

    def proceed(self, release: Release, decision: str = HandoffDecision.PROCEED) -> None:
        """The QA Lead hands off test results; the DevOps Engineer answers `decision`."""
        handoff = release.handoffs.get(template__key="qa-to-devops")
        services.handoff_send(
            handoff_id=handoff.pk, actor=self.team[RoleKey.QA_LEAD], notes="All tests pass."
        )
        services.handoff_acknowledge(
            handoff_id=handoff.pk,
            actor=self.team[RoleKey.DEVOPS_ENGINEER],
            decision=decision,
            response="Known issue in the import job." if decision == HandoffDecision.HOLD else "",
        )

    def approve(self, release: Release, *keys: str) -> None:
        for key in keys:
            gate_services.gate_approve(gate_id=gate(release, key).pk, actor=self.team[key])

    def held(self, **fields: Any) -> Release:
        """In staging, approved by the QA Lead; the DevOps Engineer put a hold on."""
        release = self.staging(**fields)
        self.approve(release, RoleKey.QA_LEAD)
        self.proceed(release, decision=HandoffDecision.HOLD)
        return release

    def six(self, release: Release) -> None:
        self.approve(release, *[k for k in RoleKey.values if k != RoleKey.PROJECT_MANAGER])

    def approved(self, **fields: Any) -> Release:
        release = self.staging(**fields)
        self.proceed(release)
        self.six(release)
        self.approve(release, RoleKey.PROJECT_MANAGER)
        return refresh(release)

    def ready_to_deploy(self, **fields: Any) -> Release:
        release = self.approved(**fields)
        for item in release.checklist.filter(template__optional=True).select_related(
            "template__owner"
        ):
            services.checklist_mark_not_applicable(
                item_id=item.pk, actor=self.team[item.template.owner.key], reason="Not needed."
            )
        self.final_decision(release)
        return release

    def final_decision(self, release: Release) -> None:
        """The Product Manager records the final release decision the deploy waits for."""
        duty = release.duties.get(role__key=RoleKey.PRODUCT_MANAGER, phase="release_day")
        services.duty_done(duty_id=duty.pk, actor=self.team[RoleKey.PRODUCT_MANAGER])

    def deployed(self, **fields: Any) -> Release:
        release = self.ready_to_deploy(**fields)
        services.release_record_deploy(
            release_id=release.pk, actor=self.team[RoleKey.DEVOPS_ENGINEER]
        )
        return refresh(release)

    def post_release_done(self, release: Release) -> Release:
        for item in release.checklist.filter(template__phase="post_deploy").select_related(
            "template__owner"
        ):
            services.checklist_complete(item_id=item.pk, actor=self.team[item.template.owner.key])
        for handoff in release.handoffs.filter(template__phase="post_deploy").select_related(
            "template__from_role", "template__to_role"
        ):
            services.handoff_send(
                handoff_id=handoff.pk,
                notes="Done.",
                actor=self.team[handoff.template.from_role.key],
            )
            services.handoff_acknowledge(
                handoff_id=handoff.pk, actor=self.team[handoff.template.to_role.key]
            )
        for duty in release.duties.filter(state="open").exclude(phase="pre_release"):
            services.duty_done(duty_id=duty.pk, actor=self.team[duty.role.key], note="Done.")
        return release

    def closed(self, **fields: Any) -> Release:
        release = self.post_release_done(self.deployed(**fields))
        services.release_close(release_id=release.pk, actor=self.team[RoleKey.PROJECT_MANAGER])
        return refresh(release)


def services_suggest(release_type: str) -> str:
    from releases import versions

    return versions.suggest(release_type=release_type)


def refresh(obj: Any) -> Any:
    obj.refresh_from_db()
    return obj


def login_url(next_url: str) -> str:
    """Where a signed-out visitor to `next_url` is sent."""
    return f"{reverse('login')}?next={next_url}"


def audit_events() -> int:
    """Audit events of every release: a refused request must not add one."""
    return sum(r.audit_events.count() for r in Release.objects.all())


def messages_of(response: Any) -> list[str]:
    """The messages a request left for the next page (shown when an action did not happen)."""
    return [str(m) for m in response.wsgi_request._messages]


@contextmanager
def celery_broker(url: str) -> Iterator[None]:
    """Publish through a real broker at `url` for the duration, then go back to in-process.

    Celery caches its connection and producer pools; they are dropped on the way in and out so
    that no publish goes to a broker an earlier test configured.
    """
    from octoacme.celery import app

    def reset_pools() -> None:
        from kombu import pools

        pools.reset()  # kombu's global registry would hand back a closed pool otherwise
        app._pool = None
        app.amqp._producer_pool = None

    previous = app.conf.broker_url, app.conf.task_always_eager
    reset_pools()
    app.conf.broker_url, app.conf.task_always_eager = url, False
    try:
        yield
    finally:
        reset_pools()
        app.conf.broker_url, app.conf.task_always_eager = previous
