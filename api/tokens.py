"""Creating and revoking API tokens: admins only, audited, the secret shown once."""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from octoacme.errors import Refused
from releases import audit, locks
from releases.permissions import require_run_team

from .auth import TOKEN_LEAD, hash_secret
from .models import ApiToken, Scope

# Letters and digits only: an underscore ends the prefix in `oar_<prefix>_<secret>`.
PREFIX_ALPHABET = string.ascii_letters + string.digits
PREFIX_LENGTH = 10
SECRET_BYTES = 32


def _clean_scopes(scopes: Iterable[str]) -> list[str]:
    wanted = sorted({str(s).strip() for s in scopes if str(s).strip()})
    unknown = [s for s in wanted if s not in Scope.values]
    if unknown:
        raise Refused(
            f"Unknown scope {', '.join(unknown)}; the scopes are {', '.join(Scope.values)}."
        )
    if not wanted:
        raise Refused("A token needs at least one scope.")
    return wanted


def token_create(
    *,
    name: str,
    scopes: Iterable[str],
    expires_at: datetime | None,
    actor: AbstractBaseUser,
) -> tuple[ApiToken, str]:
    """A new token and its full secret `oar_<prefix>_<secret>`, which is not kept anywhere."""
    require_run_team(actor)
    name = name.strip()
    if not name:
        raise Refused("Name the integration the token is for.")
    wanted = _clean_scopes(scopes)
    if expires_at is not None and expires_at <= timezone.now():
        raise Refused("The expiry is in the past.")
    User = get_user_model()
    username = f"api-{name}"[: User._meta.get_field("username").max_length]
    with transaction.atomic():
        locks.begin_write()
        if ApiToken.objects.filter(name=name).exists() or (
            User.objects.filter(username=username).exists()
        ):
            raise Refused(f"A token named {name} exists already.")
        # The integration's own account: no password, no role, no staff flag. The audit trail
        # names it, and a token never holds a gate because the account holds no role.
        user = User(username=username, first_name=name[:150])
        user.set_unusable_password()
        user.save()
        prefix = "".join(secrets.choice(PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))
        secret = secrets.token_urlsafe(SECRET_BYTES)
        token = ApiToken.objects.create(
            name=name,
            user=user,
            prefix=prefix,
            secret_hash=hash_secret(secret),
            scopes=wanted,
            expires_at=expires_at,
            created_by=actor,
        )
        expiry = f", expires {expires_at:%Y-%m-%d %H:%M}" if expires_at else ""
        audit.record(
            release=None,
            actor=actor,
            verb="api_token.created",
            subject=f"API token {name} ({prefix})",
            comment=f"scopes {', '.join(wanted)}{expiry}",
        )
    return token, f"{TOKEN_LEAD}{prefix}_{secret}"


def token_revoke(*, token_id: int, actor: AbstractBaseUser) -> ApiToken:
    """Revoked at once: the next request with it is a 401. The service account is kept (the
    audit trail names it) but deactivated."""
    require_run_team(actor)
    with transaction.atomic():
        locks.begin_write()
        token = ApiToken.objects.select_for_update().select_related("user").filter(pk=token_id)
        found = token.first()
        if found is None:
            raise Refused("This token does not exist.")
        if found.revoked_at is not None:
            raise Refused(f"The token {found.name} is revoked already.")
        found.revoked_at = timezone.now()
        found.save(update_fields=["revoked_at"])
        found.user.is_active = False
        found.user.save(update_fields=["is_active"])
        audit.record(
            release=None,
            actor=actor,
            verb="api_token.revoked",
            subject=f"API token {found.name} ({found.prefix})",
        )
    return found
