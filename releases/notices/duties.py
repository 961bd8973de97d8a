"""Duties: the deploy announces each person's release-day and post-release duties (one email
each, with the release notes); the Product Manager is asked for the final release decision, and
the DevOps Engineer hears when it is recorded."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser

from notifications.outbox import notify, recipients
from octoacme.names import display_name

from .. import wording
from ..models import (
    AuditEvent,
    ChecklistPhase,
    Duty,
    DutyPhase,
    DutyState,
    HandoffTemplate,
    Release,
    RoleAssignment,
    RoleKey,
)
from ..notes import notes_markdown
from .common import release_link, role_people

_WHEN = {DutyPhase.RELEASE_DAY: "today", DutyPhase.POST_RELEASE: "after the release"}


def _duty_line(duty: Duty) -> str:
    done = (
        f" (done by {display_name(duty.done_by)})"
        if duty.state == DutyState.DONE and duty.done_by
        else ""
    )
    return f"As {duty.role.name}, {_WHEN[duty.phase]}: {duty.text}{done}"


def release_deployed(release: Release, event: AuditEvent, duties: Iterable[Duty]) -> None:
    """One email to each holder and backup, whatever number of roles they hold: each role's
    release-day and post-release duty, the post-deploy hand-offs it sends, the release notes."""
    link = release_link(release, "duties")
    by_role: dict[int, list[Duty]] = defaultdict(list)
    # Today's work first, then what follows the release (the phases do not sort by name).
    for duty in sorted(duties, key=lambda d: list(_WHEN).index(d.phase)):
        by_role[duty.role_id].append(duty)
    handoffs: dict[int, list[HandoffTemplate]] = defaultdict(list)
    for t in HandoffTemplate.objects.filter(phase=ChecklistPhase.POST_DEPLOY).select_related(
        "to_role"
    ):
        handoffs[t.from_role_id].append(t)
    people: dict[int, AbstractBaseUser] = {}
    roles_of: dict[int, list[RoleAssignment]] = defaultdict(list)
    for a in (
        RoleAssignment.objects.filter(release=release)
        .select_related("role", "holder", "backup")
        .order_by("role__position")
    ):
        for user in {u.pk: u for u in (a.holder, a.backup) if u is not None}.values():
            people[user.pk] = user
            roles_of[user.pk].append(a)
    body = notes_markdown(release)
    for uid, assignments in roles_of.items():
        items = []
        for a in assignments:
            items += [{"text": _duty_line(d), "url": link} for d in by_role[a.role_id]]
            items += [
                {
                    "text": f"As {a.role.name}, hand off {t.what.lower()} to the "
                    f"{t.to_role.name} ({t.timing.lower()})",
                    "url": release_link(release, "handoffs"),
                }
                for t in handoffs[a.role_id]
            ]
        names = " and ".join(a.role.name for a in assignments)
        notify(
            key=f"ev{event.pk}:deployed",
            kind="release_deployed",
            to=recipients([people[uid]]),
            subject=f"{release} is in production: your duties as {names}",
            release_id=release.pk,
            context={
                "headline": f"{release} is in production. Here is what is yours, as {names}, "
                "today and after the release; mark each duty done on the release page.",
                "items": items,
                "body": body,
                "link": link,
                "link_text": "Open your duties",
            },
        )


def final_decision_due(release: Release, duty: Duty | None, event: AuditEvent) -> None:
    """The release is approved: the Product Manager records the final release decision, which
    the production deploy waits for."""
    if duty is None or duty.state == DutyState.DONE:
        return
    notify(
        key=f"ev{event.pk}:final-decision",
        kind="final_decision_due",
        to=recipients(role_people(release, RoleKey.PRODUCT_MANAGER)),
        subject=f"{release} is approved: record the final release decision",
        release_id=release.pk,
        context={
            "headline": f"All sign-offs of {release} are in. As {duty.role.name}: "
            f"{duty.text}. The production deploy waits for it.",
            "link": release_link(release, "duties"),
            "link_text": "Record the final release decision",
        },
    )


def final_decision_recorded(release: Release, duty: Duty, event: AuditEvent) -> None:
    """The DevOps Engineer, who deploys, hears that nothing of the Product Manager's is left."""
    notify(
        key=f"ev{event.pk}:final-decision-recorded",
        kind="final_decision_recorded",
        to=recipients(role_people(release, RoleKey.DEVOPS_ENGINEER)),
        subject=f"Final release decision recorded for {release}",
        release_id=release.pk,
        context={
            "headline": wording.headline(event, release)
            + " The final release decision is recorded: it may be deployed to production.",
            "body": duty.note,
            "link": release_link(release),
            "link_text": "Open the release",
        },
    )
