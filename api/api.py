"""The NinjaAPI at /api/v1/ and its error handlers: every error is `{"detail", "code"}` JSON.

To add a router (one line, below): `api.add_router("", "api.routers.<module>.router")` with
`router = Router(tags=[...])` in api/routers/<module>.py, paths starting "/releases/...".
Auth per operation: `auth=TokenAuth(Scope....)` (api/auth.py); writes go through
`idempotent(request, fn)` (api/idempotency.py); refusals raise ApiError (api/errors.py) or a
service's Refused, which answers 409.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from octoacme.errors import Refused

from .errors import ApiError, ErrorOut, ValidationErrorOut  # noqa: F401 (re-exported)

log = logging.getLogger(__name__)


api = NinjaAPI(
    title="OctoAcme Releases API",
    version="1",
    description="Releases, gates and blockers for pipelines; evidence, gate checks and "
    "deployments from them. Bearer tokens with scopes; see docs/api.md.",
    urls_namespace="api",
    # Ninja's Swagger page loads from a CDN; api/views.py renders an offline page instead.
    docs_url=None,
    openapi_url="/openapi.json",
)

api.add_router("", "api.routers.releases.router")
api.add_router("", "api.routers.pipeline.router")


def _error(
    request: HttpRequest,
    status: int,
    code: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: object,
) -> HttpResponse:
    response = api.create_response(
        request, {"detail": detail, "code": code, **extra}, status=status
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


@api.exception_handler(ApiError)
def on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return _error(request, exc.status, exc.code, exc.detail, exc.headers)


@api.exception_handler(Refused)
def on_refused(request: HttpRequest, exc: Refused) -> HttpResponse:
    # A service's refusal: the state or a rule does not allow it. Its transaction rolled back.
    return _error(request, 409, "refused", exc.message)


@api.exception_handler(NinjaValidationError)
def on_invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    fields = [".".join(str(p) for p in e.get("loc", ())) for e in exc.errors]
    detail = "Invalid request: " + "; ".join(
        f"{field}: {e.get('msg', 'invalid')}" for field, e in zip(fields, exc.errors, strict=True)
    )
    errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors]
    return _error(request, 422, "invalid", detail, errors=errors)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(
        request,
        401,
        "no_token",
        "A bearer token is required.",
        {"WWW-Authenticate": 'Bearer realm="api"'},
    )


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "not_found", str(exc) or "Not found.")


@api.exception_handler(PermissionDenied)
def on_forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _error(request, 403, "forbidden", str(exc) or "Forbidden.")


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, "error", str(exc))


@api.exception_handler(Exception)
def on_crash(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Logged with the request id (octoacme.logs); the client gets no internals.
    log.exception("API error on %s %s", request.method, request.path)
    return _error(request, 500, "server_error", "The server failed; nothing was changed.")
