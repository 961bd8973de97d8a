"""Health endpoints for load balancers and orchestrators; no sign-in, nothing secret."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

log = logging.getLogger(__name__)


@require_GET
@never_cache
@login_not_required
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive and serving."""
    return JsonResponse({"status": "ok"})


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        log.exception("readiness: database check failed")
        return "error"
    return "ok"


def _redis() -> str:
    if not settings.REDIS_URL:
        return "not used"  # embedded mode: the broker is on local disk
    import redis

    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
        )
        client.ping()
    except Exception:
        log.exception("readiness: Redis check failed")
        return "error"
    return "ok"


@require_GET
@never_cache
@login_not_required
def readyz(request: HttpRequest) -> JsonResponse:
    """PostgreSQL (or the configured database) and Redis answer."""
    checks = {"database": _database(), "redis": _redis()}
    ready = "error" not in checks.values()
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", **checks}, status=200 if ready else 503
    )
