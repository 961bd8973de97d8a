"""The one lock order of the app: the audit chain, then a release row, then the row of it
being changed.

Every service that changes anything of a release takes the release's row lock before touching
it, so two people acting on the same release queue, and the second sees what the first did.

The audit chain's lock comes first of all. `audit.record` needs it (each event chains onto the
one before) and holds it to the commit; taken only there, after row locks, two transactions
could each hold a row the other waits for. Taken first, whoever holds a row lock already holds
the chain lock, so no such cycle can form. The price is one writer at a time, which a sign-off
tool's write rate affords. Services that lock rows other than a release's call `begin_write`.
"""

from __future__ import annotations

from typing import TypeVar

from django.db import models

from octoacme.errors import Refused

from .chain import lock_chain
from .models import Release

Child = TypeVar("Child", bound=models.Model)


def begin_write() -> None:
    """Take the audit chain's lock first, before any row lock (see the module's docstring)."""
    lock_chain()


def lock_release(release_id: int) -> Release:
    begin_write()
    try:
        return Release.objects.select_for_update(of=("self",)).get(pk=release_id)
    except Release.DoesNotExist:
        raise Refused("This release does not exist.") from None


def lock_child(
    model: type[Child], pk: int, *, what: str, related: tuple[str, ...] = ()
) -> tuple[Release, Child]:
    """Lock the release that row `pk` of `model` belongs to, then that row (two queries)."""
    begin_write()
    reverse = model._meta.get_field("release").remote_field.related_name
    release = (
        Release.objects.select_for_update(of=("self",)).filter(**{f"{reverse}__pk": pk}).first()
    )
    if release is None:
        raise Refused(f"This {what} does not exist.")
    child = model._default_manager.select_for_update(of=("self",)).select_related(*related)
    return release, child.get(pk=pk)
