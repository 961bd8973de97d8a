"""What a person sets for themselves."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError

from .. import zones
from ..models import Profile


def profile_set_time_zone(*, user: AbstractBaseUser, time_zone: str) -> str:
    """Set `user`'s zone; the team's own is stored as "" so a later change of the team's zone
    reaches them. Returns what was stored."""
    if time_zone not in zones.known():
        raise ValidationError({"time_zone": f"“{time_zone}” is not a time zone this server knows."})
    stored = "" if time_zone == settings.TIME_ZONE else time_zone
    Profile.objects.update_or_create(user=user, defaults={"time_zone": stored})
    return stored
