"""Delegation notices: the delegate is told when the period starts (with what they now act in);
the person is told when an admin sets or cancels one for them; a delegate already told is told
of a cancellation."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q
from django.urls import reverse

from notifications.outbox import absolute, notify, recipients
from octoacme.names import display_name

from .. import wording
from ..models import ACTIVE_STAGES, AuditEvent, Delegation, RoleAssignment
from ..timefmt import mail_time
from .common import release_link


def _period(delegation: Delegation) -> str:
    return f"from {mail_time(delegation.starts_at)} until {mail_time(delegation.ends_at)}"


def _roles_now(person: AbstractBaseUser) -> list[dict[str, str]]:
    """The roles `person` holds on active releases: what the delegate now acts in."""
    rows = (
        RoleAssignment.objects.filter(release__stage__in=ACTIVE_STAGES)
        .filter(Q(holder=person) | Q(backup=person))
        .select_related("release", "role")
        .order_by("release__window_start", "release_id", "role__position")
    )
    return [{"text": f"{a.role.name} on {a.release}", "url": release_link(a.release)} for a in rows]


def delegation_started(delegation: Delegation) -> int:
    """To the delegate, once (keyed by the delegation), when its period begins."""
    person = display_name(delegation.person)
    reason = f" Reason: {delegation.reason}" if delegation.reason else ""
    return notify(
        key=f"delegation:{delegation.pk}:started",
        kind="delegation_started",
        to=recipients([delegation.delegate]),
        subject=f"You now act for {person}",
        context={
            "headline": f"{person} delegated their roles to you {_period(delegation)}: you may "
            "sign their gates and do their work, and each decision records that you acted for "
            f"them.{reason}",
            "items": _roles_now(delegation.person),
            "body": "Where you hold a role of your own on a release, you act only in that one "
            "(separation of duties).",
            "link": absolute(reverse("my-work")),
            "link_text": "Open My work",
        },
    )


def delegation_set_for_you(delegation: Delegation, event: AuditEvent) -> int:
    """To the person, when an admin set a delegation of their roles for them."""
    return notify(
        key=f"ev{event.pk}:delegation-set",
        kind="delegation_set",
        to=recipients([delegation.person]),
        subject=f"Your roles are delegated to {display_name(delegation.delegate)}",
        context={
            "headline": f"{display_name(event.actor)} delegated your roles to "
            f"{display_name(delegation.delegate)} {_period(delegation)}.",
            "body": delegation.reason,
            "link": absolute(reverse("my-delegations")),
            "link_text": "See your delegations",
        },
    )


def delegation_cancelled(delegation: Delegation, event: AuditEvent) -> int:
    """To the delegate if they were told it started, and to the person if someone else
    cancelled it."""
    people = []
    if delegation.announced_at is not None:
        people.append(delegation.delegate)
    if event.actor_id != delegation.person_id:
        people.append(delegation.person)
    return notify(
        key=f"ev{event.pk}:delegation-cancelled",
        kind="delegation_cancelled",
        to=recipients(people),
        subject=f"Delegation cancelled: {display_name(delegation.person)} to "
        f"{display_name(delegation.delegate)}",
        context={
            "headline": wording.headline(event) + f" It ran {_period(delegation)}. From now on "
            f"{display_name(delegation.delegate)} no longer acts for them.",
            "link": absolute(reverse("my-work")),
            "link_text": "Open My work",
        },
    )
