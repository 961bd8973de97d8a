"""Token authentication, scopes, expiry, revocation, last use and the per-token rate limit.

How a router uses it (one scope per operation; `request.auth` is then the ApiToken, and
`request.auth.user` its service user, the actor of every audit event the write records):

    from api.auth import TokenAuth
    from api.models import Scope

    @router.get("/releases", auth=TokenAuth(Scope.RELEASES_READ))
    def release_list(request): ...

Inside a handler that needs a second scope: `require_scope(request, Scope.EVIDENCE_WRITE)`.
Refusals raise ApiError: 401 (missing, malformed, unknown, wrong, expired, revoked token, with
WWW-Authenticate: Bearer), 429 (over API_RATE_LIMIT requests a minute, with Retry-After),
403 (the token lacks the scope).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from .errors import ApiError, unauthorized
from .models import ApiToken, Scope

TOKEN_LEAD = "oar_"
# last_used_at is for people ("is this token still used?"), not forensics: a minute's
# precision saves a row write on every request.
LAST_USE_PRECISION = timedelta(minutes=1)


def hash_secret(secret: str) -> str:
    """sha256 of the secret. The secret is 32 random bytes, so there is nothing to guess and
    nothing a slow hash (bcrypt, argon2) would protect; a fast hash keeps every request cheap."""
    return hashlib.sha256(secret.encode()).hexdigest()


def split_token(raw: str) -> tuple[str, str] | None:
    """`oar_<prefix>_<secret>` -> (prefix, secret). Prefixes hold no underscore (api/tokens.py),
    so the first underscore after the lead ends the prefix; the secret may contain more."""
    if not raw.startswith(TOKEN_LEAD):
        return None
    prefix, sep, secret = raw[len(TOKEN_LEAD) :].partition("_")
    if not sep or not prefix or not secret or len(prefix) > 16:
        return None
    return prefix, secret


def token_for(raw: str) -> ApiToken:
    """The live token `raw` names, or ApiError 401 saying why not."""
    parts = split_token(raw.strip())
    if parts is None:
        raise unauthorized("The token is malformed: expected oar_<prefix>_<secret>.", "bad_token")
    prefix, secret = parts
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    # The same answer for an unknown prefix and a wrong secret: no oracle for prefixes.
    if token is None or not hmac.compare_digest(token.secret_hash, hash_secret(secret)):
        raise unauthorized("The token is not valid.", "bad_token")
    now = timezone.now()
    if token.revoked_at is not None:
        raise unauthorized("The token was revoked.", "token_revoked")
    if token.expires_at is not None and token.expires_at <= now:
        raise unauthorized("The token has expired.", "token_expired")
    if not token.user.is_active:
        raise unauthorized("The token's service account is deactivated.", "token_revoked")
    _touch(token, now)
    return token


def _touch(token: ApiToken, now: datetime) -> None:
    stale = now - LAST_USE_PRECISION
    if token.last_used_at is not None and token.last_used_at > stale:
        return
    # Conditional, so concurrent first requests of a minute write once between them.
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale)
    ).update(last_used_at=now)
    token.last_used_at = now


def check_rate(token: ApiToken) -> None:
    """A fixed one-minute window per token in the default cache; over the limit -> 429."""
    limit = int(getattr(settings, "API_RATE_LIMIT", 120))
    if limit <= 0:
        return
    now = time.time()
    window = int(now // 60)
    key = f"api-rate:{token.pk}:{window}"
    cache.add(key, 0, timeout=61)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr: a new window
        cache.set(key, 1, timeout=61)
        used = 1
    if used > limit:
        retry_after = max(1, int((window + 1) * 60 - now) + 1)
        raise ApiError(
            429,
            "rate_limited",
            f"Too many requests: {limit} a minute per token. Retry in {retry_after} s.",
            {"Retry-After": str(retry_after)},
        )


def require_scope(request: HttpRequest, scope: Scope | str) -> ApiToken:
    """The request's token if it holds `scope`; ApiError 403 otherwise."""
    token = getattr(request, "auth", None)
    if not isinstance(token, ApiToken):
        raise unauthorized("A bearer token is required.", "no_token")
    if str(scope) not in token.scopes:
        raise ApiError(403, "out_of_scope", f"The token lacks the scope {scope}.")
    return token


class TokenAuth(HttpBearer):
    """`Authorization: Bearer oar_...` holding `scope`. Raises rather than returns None, so
    the client learns why (ninja hands an auth callback's exception to api/api.py's handlers)."""

    def __init__(self, scope: Scope | str) -> None:
        super().__init__()
        self.scope = str(scope)

    def __call__(self, request: HttpRequest) -> ApiToken:
        value = request.headers.get("Authorization", "")
        scheme, _, raw = value.partition(" ")
        if not value:
            raise unauthorized("A bearer token is required.", "no_token")
        if scheme.lower() != "bearer" or not raw.strip():
            raise unauthorized("Use Authorization: Bearer <token>.", "bad_token")
        return self.authenticate(request, raw)

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken:
        found = token_for(token)
        # Counted before the scope check: out-of-scope attempts spend the budget too.
        check_rate(found)
        request.auth = found  # type: ignore[attr-defined]
        require_scope(request, self.scope)
        return found
