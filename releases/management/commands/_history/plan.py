"""The history's plan: which release ships when, and what happens to it on the way."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from releases.models import RoleKey
from releases.versions import Version

RELEASES = 60
DAYS = 182
SEED = 2026
FIRST = Version(1, 0, 0)
# Major releases at these places in the train (the first release is the product's 1.0.0).
MAJORS = {0, 20, 42}
# Two minors that broke production and were rolled back; one whose incident was fixed
# forward by the patch after it; three whose first production deploy attempt failed; two
# whose scope was edited while their gates were being signed.
ROLLED_BACK = {14, 37}
FIXED_FORWARD = 27
FAILED_FIRST = {9, 31, 50}
EDITED_IN_SIGN_OFF = {12, 46}

H = timedelta(hours=1)
PM, QA, DEVOPS = RoleKey.PROJECT_MANAGER, RoleKey.QA_LEAD, RoleKey.DEVOPS_ENGINEER
CSM, PRODUCT = RoleKey.CUSTOMER_SUCCESS_MANAGER, RoleKey.PRODUCT_MANAGER
# Typical hours from a gate opening to its decision, per role: the latency chart should show
# a quick DevOps Engineer and a Customer Success Manager who needs chasing.
LATENCY = {
    QA: 16,
    DEVOPS: 4,
    RoleKey.BUSINESS_ANALYST: 26,
    RoleKey.UX_DESIGNER: 11,
    CSM: 36,
    PRODUCT: 8,
}
REJECTABLE = {
    QA: "Two regressions in the export tests; fixing before I sign.",
    RoleKey.BUSINESS_ANALYST: "An acceptance criterion is not met on staging yet.",
    RoleKey.UX_DESIGNER: "The new dialog fails the contrast check; sending a fix.",
    CSM: "Support has no article for the changed settings page yet.",
}
# Minor and major releases are named after rivers; a patch after the release it fixes.
RIVERS = tuple(
    "Amazon Danube Elbe Ganges Indus Jordan Loire Mekong Niger Oder Po Rhine Rhone Seine "  # noqa: SIM905
    "Shannon Tagus Thames Tiber Volga Weser Yukon Zambezi Douro Ebro Garonne Inn Lena Main "
    "Moselle Neckar Orinoco Ural Vistula".split()
)
NOTES = {
    "notable_changes": "- Faster pages\n- Fixes reported by support",
    "migration_steps": "Run `manage.py migrate`.",
    "known_issues": "None known.",
    "rollback_plan": "Redeploy the previous image; migrations are backwards compatible.",
    "smoke_test_plan": "Sign in, open the dashboard, approve a gate on staging.",
    "links": "https://git.octoacme.example/releases/pulls?state=merged",
}
EVIDENCE = {
    "ci-security": "https://ci.octoacme.example/pipelines/1204",
    "acceptance-criteria": "https://git.octoacme.example/releases/pulls?state=merged",
}


@dataclass
class Planned:
    """One release of the history and the moments its story is told at."""

    index: int
    name: str
    version: str
    release_type: str
    created: datetime
    deploy: datetime
    story: str = ""  # "rolled_back", "fixed_forward", "fix", "failed_first" or ""
    rejected: str = ""  # a role whose first decision was a rejection
    edited: bool = False
    pk: int = 0
    incident_pk: int = 0
    # The moment the release is ready to close (raised by every step after the deploy).
    done: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def plan(now: datetime, rng: random.Random) -> list[Planned]:
    """Sixty releases, a deploy every two or three weekdays over the last six months."""
    days = weekdays(now.date() - timedelta(days=DAYS), now.date() - timedelta(days=5))
    slots = [days[round(i * (len(days) - 1) / (RELEASES - 1))] for i in range(RELEASES)]
    out: list[Planned] = []
    version, river = FIRST, 0
    for i, day in enumerate(slots):
        previous = out[-1] if out else None
        if i in MAJORS:
            kind = "major"
        elif i - 1 == FIXED_FORWARD:
            kind = "patch"
        elif i in ROLLED_BACK | {FIXED_FORWARD} or (previous and previous.story == "rolled_back"):
            # A rolled-back version stays taken and production is the release before it
            # again: the next change is the reworked minor.
            kind = "minor"
        else:
            kind = "patch" if rng.random() < 0.5 else "minor"
        if i:
            version = version.bump(kind)
        deploy = at_hour(day, 9 + rng.random() * 5.5)
        lead = {
            "patch": rng.uniform(20, 54),
            "minor": rng.uniform(4, 8) * 24,
            "major": rng.uniform(10, 15) * 24,
        }[kind]
        created = deploy - lead * H
        if previous:
            created = max(created, previous.created + H)
            # A patch bumps the version in production, and after a major the next version
            # bumps that major: both wait for the release before them to be deployed.
            if kind == "patch" or previous.release_type == "major":
                created = max(created, previous.deploy + H)
        if kind == "patch":
            name = f"{out[-1].name.split()[0]} hotfix {version.patch}" if out else "Hotfix"
        else:
            name, river = RIVERS[river % len(RIVERS)], river + 1
        p = Planned(i, name, str(version), kind, created, deploy)
        if i in ROLLED_BACK:
            p.story = "rolled_back"
        elif i == FIXED_FORWARD:
            p.story = "fixed_forward"
        elif i - 1 == FIXED_FORWARD:
            p.story = "fix"
            p.created = previous.deploy + 3 * H  # made from the incident, see `_break`
        elif i in FAILED_FIRST:
            p.story = "failed_first"
        p.edited = i in EDITED_IN_SIGN_OFF
        if not p.edited and p.story != "fix" and rng.random() < 0.25:
            p.rejected = rng.choice(sorted(REJECTABLE))
        out.append(p)
    return out


def weekdays(first: date, last: date) -> list[date]:
    return [
        first + timedelta(days=n)
        for n in range((last - first).days + 1)
        if (first + timedelta(days=n)).weekday() < 5
    ]


def at_hour(day: date, hours: float) -> datetime:
    return datetime.combine(day, time(), tzinfo=timezone.get_default_timezone()) + hours * H
