"""Every endpoint (endpoints.py) x every kind of token: the expected status, the JSON error,
and nothing changed where refused."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from api.models import IdempotencyRecord, Scope
from releases.models import AuditEvent, Deployment, EvidenceRecord, GateCheck, Release

from ..builders import Builder
from .conftest import bearer
from .endpoints import ENDPOINTS, Endpoint

# (case, expected status when refused, its error code)
REFUSED = [
    ("no token", 401, "no_token"),
    ("garbage", 401, "bad_token"),
    ("wrong secret", 401, "bad_token"),
    ("expired", 401, "token_expired"),
    ("revoked", 401, "token_revoked"),
    ("wrong scope", 403, "out_of_scope"),
]


def snapshot() -> tuple[Any, ...]:
    """What any API write could change."""
    return (
        AuditEvent.objects.count(),
        EvidenceRecord.objects.count(),
        GateCheck.objects.count(),
        Deployment.objects.count(),
        IdempotencyRecord.objects.count(),
        list(Release.objects.order_by("pk").values_list("pk", "stage", "revision")),
    )


def call(client: Client, endpoint: Endpoint, release: Release, secret: str | None) -> Any:
    path = endpoint.path.format(release_id=release.pk, missing=release.pk + 10_000)
    headers = bearer(secret)
    if not endpoint.writes:
        return client.get(path, **headers)
    return client.generic(
        endpoint.method,
        path,
        json.dumps(endpoint.body or {}),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        **headers,
    )


def secret_for(case: str, endpoint: Endpoint, make_token: Callable[..., str]) -> str | None:
    if case == "no token":
        return None
    if case == "garbage":
        return "not-a-token"
    if case == "wrong secret":
        good = make_token(endpoint.scope)
        return good.rsplit("_", 1)[0] + "_" + "x" * 43
    if case in ("expired", "revoked"):
        return make_token(endpoint.scope, state=case)
    if case == "wrong scope":
        return make_token(*[s for s in Scope.values if s != endpoint.scope])
    return make_token(endpoint.scope)


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
@pytest.mark.parametrize(("case", "status", "code"), REFUSED, ids=[r[0] for r in REFUSED])
def test_it_refuses_and_changes_nothing(
    endpoint: Endpoint,
    case: str,
    status: int,
    code: str,
    build: Builder,
    make_token: Callable[..., str],
    api_client: Client,
) -> None:
    release = getattr(build, endpoint.release)()
    secret = secret_for(case, endpoint, make_token)
    before = snapshot()

    response = call(api_client, endpoint, release, secret)

    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert response.json()["detail"]
    if status == 401:
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_it_answers_the_right_scope(
    endpoint: Endpoint, build: Builder, make_token: Callable[..., str], api_client: Client
) -> None:
    release = getattr(build, endpoint.release)()
    secret = make_token(endpoint.scope)

    response = call(api_client, endpoint, release, secret)

    assert response.status_code == endpoint.ok, response.content
    assert response["Content-Type"].startswith("application/json")
