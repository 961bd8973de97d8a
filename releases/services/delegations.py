"""Delegation: a person hands their roles to someone else for a period.

While it is in force (`permissions.delegations_to`: from `starts_at` until `ends_at`, not
cancelled) the delegate acts for the person: signs their gates, ticks their items, and every
decision says "by X for Y". The person sets it on their own page; an admin may set one for
anyone. Team-wide events: the audit events have no release.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from octoacme.errors import Refused
from octoacme.names import display_name

from .. import audit, notices
from ..locks import begin_write
from ..models import Delegation
from ..text import clean_field
from ..timefmt import format_time

REASON_MAX = Delegation._meta.get_field("reason").max_length


def may_delegate_for(actor: AbstractBaseUser, person: AbstractBaseUser) -> bool:
    """A person delegates their own roles; an admin may set or cancel anyone's."""
    if not (actor and actor.is_authenticated and actor.is_active):
        return False
    return actor.is_superuser or actor.pk == person.pk


def _require_may_delegate_for(actor: AbstractBaseUser, person: AbstractBaseUser) -> None:
    if not may_delegate_for(actor, person):
        raise PermissionDenied(
            "Only the person themselves or an admin may change their delegations."
        )


def _lock_person(person: AbstractBaseUser) -> None:
    # Two delegations of one person created at once must not both pass the overlap check:
    # the person's user row is the lock they queue on.
    begin_write()  # the chain's lock before any row lock (releases.locks)
    get_user_model().objects.select_for_update().filter(pk=person.pk).first()


def _period(starts_at: datetime, ends_at: datetime) -> str:
    return f"{format_time(starts_at)} until {format_time(ends_at)}"


@transaction.atomic
def delegation_create(
    *,
    person: AbstractBaseUser,
    delegate: AbstractBaseUser | None,
    starts_at: datetime,
    ends_at: datetime,
    reason: str = "",
    actor: AbstractBaseUser,
) -> Delegation:
    """Delegate `person`'s roles to `delegate` from `starts_at` until `ends_at` (excluded).

    Refused, with nothing changed: by anyone but the person or an admin (403); to nobody, to
    themselves or to someone deactivated; a period that ends before it starts or has ended
    already; a period overlapping another delegation of the person that is not cancelled.
    """
    _require_may_delegate_for(actor, person)
    now = timezone.now()
    you = "you" if actor.pk == person.pk else display_name(person)
    if not person.is_active:
        raise ValidationError({"person": f"{display_name(person)} is deactivated."})
    if delegate is None:
        raise ValidationError({"delegate": "Choose whom to delegate to."})
    if delegate.pk == person.pk:
        raise ValidationError(
            {
                "delegate": f"A delegation names someone else: {you} cannot delegate to "
                f"{'yourself' if you == 'you' else 'themselves'}."
            }
        )
    if not delegate.is_active:
        raise ValidationError(
            {"delegate": f"{display_name(delegate)} is deactivated and cannot act for anyone."}
        )
    if ends_at <= starts_at:
        raise ValidationError(
            {"ends_at": f"The delegation must end after it starts ({format_time(starts_at)})."}
        )
    if ends_at <= now:
        raise ValidationError(
            {"ends_at": f"The delegation would end in the past ({format_time(ends_at)})."}
        )
    reason = clean_field(
        reason, field="reason", label="The reason", required=False, max_length=REASON_MAX, line=True
    )
    _lock_person(person)
    clash = (
        Delegation.objects.filter(person=person, cancelled_at__isnull=True)
        .filter(starts_at__lt=ends_at, ends_at__gt=starts_at)
        .select_related("delegate")
        .first()
    )
    if clash is not None:
        raise ValidationError(
            {
                "starts_at": f"This overlaps the delegation to {display_name(clash.delegate)} "
                f"from {_period(clash.starts_at, clash.ends_at)}: cancel that one first, or "
                "choose a period after it."
            }
        )
    started = starts_at <= now
    delegation = Delegation.objects.create(
        person=person,
        delegate=delegate,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason,
        created_by=actor,
        # Started already: the delegate is told now, so the sweep must not tell them again.
        announced_at=now if started else None,
    )
    event = audit.record(
        release=None,
        actor=actor,
        verb="delegation.created",
        subject=f"{display_name(person)} to {display_name(delegate)}",
        comment=f"From {_period(starts_at, ends_at)}." + (f" {reason}" if reason else ""),
    )
    if started:
        notices.delegation_started(delegation)
    if actor.pk != person.pk:
        notices.delegation_set_for_you(delegation, event)
    return delegation


@transaction.atomic
def delegation_cancel(*, delegation_id: int, actor: AbstractBaseUser) -> Delegation:
    """Cancel a delegation: from this moment the delegate no longer acts for the person."""
    begin_write()
    delegation = (
        Delegation.objects.select_for_update(of=("self",))
        .select_related("person", "delegate")
        .filter(pk=delegation_id)
        .first()
    )
    if delegation is None:
        raise Refused("This delegation does not exist.")
    _require_may_delegate_for(actor, delegation.person)
    now = timezone.now()
    if delegation.cancelled_at is not None:
        raise Refused(
            f"This delegation was already cancelled ({format_time(delegation.cancelled_at)})."
        )
    if delegation.ends_at <= now:
        raise Refused(f"This delegation already ended ({format_time(delegation.ends_at)}).")
    delegation.cancelled_at = now
    delegation.save(update_fields=["cancelled_at"])
    event = audit.record(
        release=None,
        actor=actor,
        verb="delegation.cancelled",
        subject=f"{display_name(delegation.person)} to {display_name(delegation.delegate)}",
        comment=f"Was from {_period(delegation.starts_at, delegation.ends_at)}.",
    )
    notices.delegation_cancelled(delegation, event)
    return delegation
