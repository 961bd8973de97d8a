"""Tokens: their format and storage, last use, the rate limit, the command and the pages."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from api.models import ApiToken, Scope
from api.tokens import token_create, token_revoke
from octoacme.errors import Refused
from releases.models import AuditEvent, DefaultHolder, RoleAssignment

from ..builders import Team, login_url
from .conftest import bearer

pytestmark = pytest.mark.django_db
LIST = "/api/v1/releases"


def test_it_keeps_only_the_hash_and_finds_the_token_by_prefix(team: Team) -> None:
    token, secret = token_create(
        name="ci", scopes=[Scope.RELEASES_READ], expires_at=None, actor=team.admin
    )
    lead, prefix, rest = secret.split("_", 2)
    assert (lead, prefix) == ("oar", token.prefix)
    assert len(prefix) >= 8 and len(rest) >= 43
    assert token.secret_hash == hashlib.sha256(rest.encode()).hexdigest()
    assert secret not in str(ApiToken.objects.filter(pk=token.pk).values().get())


def test_each_token_has_its_own_role_less_service_account(team: Team) -> None:
    token, _ = token_create(
        name="deployer", scopes=[Scope.DEPLOYMENTS_WRITE], expires_at=None, actor=team.admin
    )
    assert token.user.username == "api-deployer"
    assert not token.user.has_usable_password()
    assert not token.user.is_staff and not token.user.is_superuser
    assert not RoleAssignment.objects.filter(holder=token.user).exists()
    assert not DefaultHolder.objects.filter(holder=token.user).exists()


def test_only_an_admin_creates_or_revokes_and_both_are_audited(team: Team) -> None:
    with pytest.raises(Exception, match="admin"):
        token_create(name="x", scopes=[Scope.RELEASES_READ], expires_at=None, actor=team.outsider)
    token, _ = token_create(
        name="ci", scopes=[Scope.RELEASES_READ], expires_at=None, actor=team.admin
    )
    token_revoke(token_id=token.pk, actor=team.admin)
    verbs = list(AuditEvent.objects.filter(release=None).values_list("verb", "actor"))
    assert verbs[-2:] == [
        ("api_token.created", team.admin.pk),
        ("api_token.revoked", team.admin.pk),
    ]
    with pytest.raises(Refused, match="revoked already"):
        token_revoke(token_id=token.pk, actor=team.admin)


def test_it_refuses_unknown_scopes_and_past_expiry(team: Team) -> None:
    with pytest.raises(Refused, match="Unknown scope"):
        token_create(name="x", scopes=["admin:all"], expires_at=None, actor=team.admin)
    with pytest.raises(Refused, match="past"):
        token_create(
            name="x",
            scopes=[Scope.RELEASES_READ],
            expires_at=timezone.now() - timedelta(days=1),
            actor=team.admin,
        )
    assert not ApiToken.objects.exists()


def test_it_records_last_use_at_most_once_a_minute(
    make_token: Callable[..., str], api_client: Client
) -> None:
    secret = make_token(Scope.RELEASES_READ)
    assert api_client.get(LIST, **bearer(secret)).status_code == 200
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    api_client.get(LIST, **bearer(secret))
    assert ApiToken.objects.get().last_used_at == first
    ApiToken.objects.update(last_used_at=first - timedelta(minutes=2))
    api_client.get(LIST, **bearer(secret))
    assert ApiToken.objects.get().last_used_at > first


def test_it_rate_limits_per_token(
    make_token: Callable[..., str], api_client: Client, settings
) -> None:
    settings.API_RATE_LIMIT = 3
    busy, quiet = make_token(Scope.RELEASES_READ), make_token(Scope.RELEASES_READ)
    for _ in range(3):
        assert api_client.get(LIST, **bearer(busy)).status_code == 200
    refused = api_client.get(LIST, **bearer(busy))
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= 61
    assert api_client.get(LIST, **bearer(quiet)).status_code == 200


def test_a_deactivated_service_account_is_refused(
    make_token: Callable[..., str], api_client: Client
) -> None:
    secret = make_token(Scope.RELEASES_READ)
    ApiToken.objects.get().user.__class__.objects.filter(username__startswith="api-").update(
        is_active=False
    )
    assert api_client.get(LIST, **bearer(secret)).status_code == 401


def test_the_command_prints_a_working_token(team: Team, api_client: Client) -> None:
    out = StringIO()
    call_command(
        "create_api_token",
        "pipeline",
        "--scopes",
        "releases:read",
        "--expires-in-days",
        "7",
        stdout=out,
    )
    secret = out.getvalue().strip()
    assert secret.startswith("oar_")
    token = ApiToken.objects.get(name="pipeline")
    assert token.scopes == ["releases:read"]
    assert timedelta(days=6) < token.expires_at - timezone.now() <= timedelta(days=7)
    assert api_client.get(LIST, **bearer(secret)).status_code == 200


class TestTokenPages:
    url = "/team/tokens/"

    def test_it_requires_login(self, client: Client) -> None:
        response = client.get(self.url)
        assert response.status_code == 302
        assert response["Location"] == login_url(self.url)

    def test_it_refuses_a_non_admin(self, client: Client, team: Team) -> None:
        client.force_login(team.outsider)
        assert client.get(self.url).status_code == 403
        assert client.post(self.url, {"name": "x", "scopes": ["releases:read"]}).status_code == 403
        assert not ApiToken.objects.exists()

    def test_an_admin_creates_sees_the_secret_once_and_revokes(
        self, client: Client, team: Team
    ) -> None:
        client.force_login(team.admin)
        assert "API tokens" in client.get(reverse("team")).content.decode()
        response = client.post(
            self.url, {"name": "gha", "scopes": ["releases:read", "evidence:write"]}
        )
        token = ApiToken.objects.get(name="gha")
        page = response.content.decode()
        assert response.status_code == 200 and f"oar_{token.prefix}_" in page
        assert 'id="new-token"' not in client.get(self.url).content.decode()
        response = client.post(reverse("api-token-revoke", args=[token.pk]))
        assert response.status_code == 302
        token.refresh_from_db()
        assert token.revoked_at is not None


def test_the_api_needs_no_session_and_no_csrf(
    make_token: Callable[..., str], api_client: Client
) -> None:
    # Not redirected to sign in (LoginRequiredMiddleware), and answered JSON.
    response = api_client.get(LIST)
    assert response.status_code == 401
    assert response.json() == {"detail": "A bearer token is required.", "code": "no_token"}
    assert api_client.get("/api/v1/openapi.json").status_code == 200
