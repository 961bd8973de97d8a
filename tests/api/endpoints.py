"""Every API endpoint, one row each: the scope matrix (test_scope_matrix.py) runs each row
against no token, a wrong one, an expired, a revoked, one of the wrong scope and one of the
right scope. P2, P4: add your endpoints here as rows; nothing else in the matrix changes.

`path` is formatted with the release's id (`{release_id}`) and `{missing}` (an id no release
has). `release` names the tests.builders.Builder method that makes the release the row runs
on. Writes send `body` as JSON with a fresh Idempotency-Key; `ok` is the answer with the right
scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from api.models import Scope


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str
    scope: str
    ok: int = 200
    body: dict[str, Any] | None = None
    release: str = "create"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def writes(self) -> bool:
        return self.method != "GET"


ENDPOINTS: list[Endpoint] = [
    Endpoint("release list", "GET", "/api/v1/releases", Scope.RELEASES_READ),
    Endpoint(
        "release list filtered",
        "GET",
        "/api/v1/releases?stage=planning&type=minor",
        Scope.RELEASES_READ,
    ),
    Endpoint("release detail", "GET", "/api/v1/releases/{release_id}", Scope.RELEASES_READ),
    Endpoint(
        "release detail unknown", "GET", "/api/v1/releases/{missing}", Scope.RELEASES_READ, ok=404
    ),
    # P2: evidence, gate checks and deployments.
    Endpoint(
        "evidence",
        "POST",
        "/api/v1/releases/{release_id}/evidence",
        Scope.EVIDENCE_WRITE,
        ok=201,
        body={
            "kind": "ci",
            "passed": True,
            "url": "https://ci.example.com/runs/1",
            "commit_sha": "0123456789abcdef",
        },
    ),
    Endpoint(
        "evidence unknown release",
        "POST",
        "/api/v1/releases/{missing}/evidence",
        Scope.EVIDENCE_WRITE,
        ok=404,
        body={
            "kind": "ci",
            "passed": True,
            "url": "https://ci.example.com/runs/1",
            "commit_sha": "0123456789abcdef",
        },
    ),
    Endpoint(
        "gate check",
        "POST",
        "/api/v1/releases/{release_id}/gate-checks",
        Scope.DEPLOYMENTS_WRITE,
        body={"environment": "production", "commit_sha": "0123456789abcdef"},
        release="approved",
    ),
    Endpoint(
        "gate check staging",
        "POST",
        "/api/v1/releases/{release_id}/gate-checks",
        Scope.DEPLOYMENTS_WRITE,
        body={
            "environment": "staging",
            "commit_sha": "0123456789abcdef",
            "pipeline_url": "https://ci.example.com/runs/2",
        },
    ),
    Endpoint(
        "gate check unknown release",
        "POST",
        "/api/v1/releases/{missing}/gate-checks",
        Scope.DEPLOYMENTS_WRITE,
        ok=404,
        body={"environment": "production", "commit_sha": "0123456789abcdef"},
    ),
    Endpoint(
        "deployment to staging",
        "POST",
        "/api/v1/releases/{release_id}/deployments",
        Scope.DEPLOYMENTS_WRITE,
        ok=201,
        body={"environment": "staging", "state": "running", "commit_sha": "0123456789abcdef"},
    ),
    Endpoint(
        "production deployment not approved",
        "POST",
        "/api/v1/releases/{release_id}/deployments",
        Scope.DEPLOYMENTS_WRITE,
        ok=409,
        body={"environment": "production", "state": "success", "commit_sha": "0123456789abcdef"},
        release="staging",
    ),
    Endpoint(
        "deployment update unknown",
        "PATCH",
        "/api/v1/deployments/{missing}",
        Scope.DEPLOYMENTS_WRITE,
        ok=404,
        body={"state": "success"},
    ),
    Endpoint(
        "verification unknown deployment",
        "POST",
        "/api/v1/deployments/{missing}/verification",
        Scope.DEPLOYMENTS_WRITE,
        ok=404,
        body={"passed": True, "summary": "Smoke tests green."},
    ),
]
