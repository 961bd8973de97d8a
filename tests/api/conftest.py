"""API fixtures: tokens made through the service, and a client that sends one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from api.models import ApiToken, Scope
from api.tokens import token_create, token_revoke

from ..builders import Team


@pytest.fixture(autouse=True)
def _fresh_rate_limit() -> None:
    # The rate limit counts in the default cache; no test may inherit another's count.
    cache.clear()


@pytest.fixture
def make_token(team: Team) -> Callable[..., str]:
    """make_token(*scopes, state="live"|"expired"|"revoked", name=None) -> the full secret."""
    counter = iter(range(1, 10_000))

    def make(*scopes: str, state: str = "live", name: str | None = None) -> str:
        token, secret = token_create(
            name=name or f"ci-{next(counter)}",
            scopes=scopes or [Scope.RELEASES_READ],
            expires_at=None,
            actor=team.admin,
        )
        if state == "expired":
            ApiToken.objects.filter(pk=token.pk).update(
                expires_at=timezone.now() - timedelta(seconds=1)
            )
        elif state == "revoked":
            token_revoke(token_id=token.pk, actor=team.admin)
        return secret

    return make


def bearer(secret: str | None) -> dict[str, Any]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"} if secret else {}


@pytest.fixture
def api_client() -> Client:
    # enforce_csrf_checks: the API must not depend on the test client skipping CSRF.
    return Client(enforce_csrf_checks=True)
