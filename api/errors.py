"""The API's one error type: every refusal is JSON `{"detail": ..., "code": ...}`."""

from __future__ import annotations

from ninja import Schema


class ApiError(Exception):
    """Raise from an auth callback, a helper or a handler; api/api.py turns it into JSON.

    `code` is a stable machine word (clients branch on it); `detail` is for the person reading
    the pipeline's log. `headers` carries WWW-Authenticate or Retry-After.
    """

    def __init__(
        self, status: int, code: str, detail: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers or {}


class ErrorOut(Schema):
    """The body of every error answer."""

    detail: str
    code: str


class ValidationErrorOut(ErrorOut):
    """422: `errors` lists the per-field errors; `loc` names the field (e.g. body.sha)."""

    errors: list[dict] = []


# The refusals every token-authenticated operation may answer, for its `response=` dict:
# `response={200: Out, **AUTH_ERRORS}`. Documented so clients and schemathesis expect them.
AUTH_ERRORS: dict[int, type[ErrorOut]] = {401: ErrorOut, 403: ErrorOut, 429: ErrorOut}


def unauthorized(detail: str, code: str = "unauthorized") -> ApiError:
    # RFC 6750: a 401 names the scheme the client should use.
    return ApiError(401, code, detail, {"WWW-Authenticate": 'Bearer realm="api"'})


def not_found(detail: str) -> ApiError:
    return ApiError(404, "not_found", detail)


def conflict(detail: str, code: str = "conflict") -> ApiError:
    return ApiError(409, code, detail)
