"""One log line per event, with the request's id: taken from X-Request-ID when a proxy set one.

Django logs each response of 400 or more once (`django.request`, or `django.security.*` for
a CSRF failure or a bad Host header). `RequestEventFilter` makes that line say what was asked,
the status, who asked and why; a refusal (403, 404, 429, ...) is an expected event, so its
traceback is dropped. A 500 keeps its traceback, which `OneLineFormatter` folds onto the line.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404
from django.utils.log import log_response

request_id: ContextVar[str] = ContextVar("request_id", default="-")
_SAFE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        # A client-chosen id is kept only if it is short and plain: it goes into log lines.
        rid = incoming if _SAFE.match(incoming) else uuid.uuid4().hex
        token = request_id.set(rid)
        try:
            response = self.get_response(request)
            if response.status_code >= 400:
                # Django logs a response that no exception explains (a 404, a lockout's 429)
                # only after the last middleware has returned, when the id is gone: the same
                # call here logs it with the id, and Django's own call then does nothing.
                log_response(
                    "%s: %s",
                    response.reason_phrase,
                    request.path,
                    response=response,
                    request=request,
                )
        finally:
            request_id.reset(token)
        response["X-Request-ID"] = rid
        return response


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class RequestEventFilter(logging.Filter):
    """Django's record of a response of 400 or more, as one event:
    `GET /releases/7/edit/ status=403 user=alice reason=Only the Project Manager ...`.

    Set on the loggers Django writes these records to (see LOGGING in settings), so every
    handler gets the same one-line record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        status = getattr(record, "status_code", None)
        if not isinstance(request, HttpRequest) or not isinstance(status, int):
            return True
        # Once per record: a second `logging.config.dictConfig` (django.setup() run again in
        # the process, as a test tool or an embedded worker may) adds this filter again
        # instead of replacing it, and a second pass would quote the first one's line.
        if getattr(record, "request_event", False):
            return True
        record.request_event = True
        exc = record.exc_info[1] if record.exc_info else None
        reason = _reason(record, exc, status)
        record.msg = "%s %s status=%s user=%s reason=%s"
        record.args = (
            request.method,
            # As Django escapes it: no control character from the address reaches the log.
            request.path.encode("unicode_escape").decode("ascii"),
            status,
            _user(request),
            reason,
        )
        if status < 500:
            record.exc_info = None
            record.exc_text = None
        return True


def _user(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    try:
        if user is not None and user.is_authenticated:
            return user.get_username()
    except Exception:  # a database that is down must not turn a log line into a second error
        return "?"
    return "anonymous"


def _reason(record: logging.LogRecord, exc: BaseException | None, status: int) -> str:
    # Why a refusal happened is the message of the PermissionDenied or Http404 that caused it.
    # Resolver404 carries a dict of the patterns tried, not a message.
    if status < 500 and exc is not None and not isinstance(exc, Resolver404) and str(exc):
        return str(exc)
    # Django's own message, less the path it ends with ("Forbidden (CSRF token missing.)").
    if isinstance(record.msg, str) and record.msg.endswith(": %s") and record.args:
        args = record.args if isinstance(record.args, tuple) else (record.args,)
        try:
            return record.msg.removesuffix(": %s") % args[:-1]
        except (TypeError, ValueError):
            pass
    return record.getMessage()


# Every character that ends a line for a log reader (str.splitlines) is written as an escape.
_LINE_BREAKS = str.maketrans(
    {c: c.encode("unicode_escape").decode("ascii") for c in "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"}
)


class OneLineFormatter(logging.Formatter):
    """Tracebacks and multi-line messages stay on one line, so one event is one line."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).translate(_LINE_BREAKS)
