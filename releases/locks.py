"""The one lock order of the app: a release row first, then the row of it being changed.

Every service that changes anything of a release takes the release's row lock before touching
it, so two people acting on the same release queue, and the second sees what the first did.
"""

from __future__ import annotations

from typing import TypeVar

from django.db import models

from octoacme.errors import Refused

from .models import Release

Child = TypeVar("Child", bound=models.Model)


def lock_release(release_id: int) -> Release:
    try:
        return Release.objects.select_for_update(of=("self",)).get(pk=release_id)
    except Release.DoesNotExist:
        raise Refused("This release does not exist.") from None


def lock_child(
    model: type[Child], pk: int, *, what: str, related: tuple[str, ...] = ()
) -> tuple[Release, Child]:
    """Lock the release that row `pk` of `model` belongs to, then that row (two queries)."""
    reverse = model._meta.get_field("release").remote_field.related_name
    release = (
        Release.objects.select_for_update(of=("self",)).filter(**{f"{reverse}__pk": pk}).first()
    )
    if release is None:
        raise Refused(f"This {what} does not exist.")
    child = model._default_manager.select_for_update(of=("self",)).select_related(*related)
    return release, child.get(pk=pk)
