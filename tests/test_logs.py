"""One log line per event (issue #12): a refused request is one line with its request id, the
user, the status and the reason, and no traceback; a 500 keeps its traceback on the same line.

The lines are read from the handler that settings.LOGGING gives the root logger, so the test
sees what an operator sees on stdout; caplog shows the records behind them.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import reverse

from octoacme.logs import OneLineFormatter
from releases.models import RoleKey

pytestmark = pytest.mark.django_db
QA = RoleKey.QA_LEAD


@pytest.fixture
def stdout() -> Iterator[io.StringIO]:
    """What the app's own log handler writes while the test runs."""
    handler = next(
        h for h in logging.getLogger().handlers if isinstance(h.formatter, OneLineFormatter)
    )
    written = io.StringIO()
    before = handler.setStream(written)
    yield written
    handler.setStream(before)


def lines_about(stdout: io.StringIO, path: str) -> list[str]:
    return [line for line in stdout.getvalue().splitlines() if path in line]


def request_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Django's records of responses (django.request, django.security.*), one per response."""
    return [r for r in caplog.records if r.name.startswith("django.")]


def test_a_refusal_is_one_line_with_who_what_and_why(client, team, build, stdout, caplog):
    release = build.create()
    path = reverse("release-edit", args=[release.pk])
    client.force_login(team.outsider)

    response = client.get(path, HTTP_X_REQUEST_ID="edit-refused-1")

    assert response.status_code == 403
    [record] = request_records(caplog)
    assert record.levelno == logging.WARNING
    assert record.exc_info is None and "\n" not in record.getMessage()
    [line] = lines_about(stdout, path)
    assert "request_id=edit-refused-1" in line
    assert f"GET {path} status=403 user=outsider reason=" in line
    assert "Project Manager" in line.split("reason=", 1)[1]  # the verdict's own words
    assert "Traceback" not in stdout.getvalue()


def test_a_missing_page_is_one_line_with_its_request_id(client, team, stdout, caplog):
    client.force_login(team[QA])
    unknown_release = reverse("release-detail", args=[999999])

    for path, rid in ((unknown_release, "missing-1"), ("/no/such/page/", "missing-2")):
        response = client.get(path, HTTP_X_REQUEST_ID=rid)

        assert response.status_code == 404
        [line] = lines_about(stdout, path)
        assert f"request_id={rid} GET {path} status=404 user={QA} reason=Not Found" in line
    assert len(request_records(caplog)) == 2
    assert all(r.exc_info is None for r in caplog.records)


def test_a_csrf_failure_is_one_line_with_its_reason(team, stdout, caplog):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(team[QA])
    path = reverse("release-create")

    assert browser.post(path, {"name": "x"}).status_code == 403

    [record] = request_records(caplog)
    assert record.name == "django.security.csrf"
    [line] = lines_about(stdout, path)
    assert f"POST {path} status=403 user={QA} reason=Forbidden (CSRF cookie not set.)" in line


def test_a_sign_in_lockout_is_one_line_with_its_request_id(client, team, settings, stdout):
    path = reverse("login")
    for attempt in range(settings.AXES_FAILURE_LIMIT + 1):
        response = client.post(
            path,
            {"username": QA, "password": "wrong"},
            HTTP_X_REQUEST_ID=f"try-{attempt}",
        )
    assert response.status_code == 429

    # django-axes writes its own lines about the lockout; the refused request is one line.
    [line] = [line for line in lines_about(stdout, f"{path} status=") if f"try-{attempt}" in line]
    assert f"request_id=try-{attempt} POST {path} status=429 user=anonymous" in line
    assert line.endswith("reason=Too Many Requests")


def test_a_crash_keeps_its_traceback_on_the_same_line(team, stdout, caplog, monkeypatch):
    from releases import selectors

    def crash(user):
        raise RuntimeError("first line\nsecond line")

    monkeypatch.setattr(selectors, "my_work", crash)
    browser = Client(raise_request_exception=False)
    browser.force_login(team[QA])
    path = reverse("my-work")

    assert browser.get(path, HTTP_X_REQUEST_ID="crash-1").status_code == 500

    [record] = request_records(caplog)
    assert record.levelno == logging.ERROR and record.exc_info is not None
    [line] = lines_about(stdout, path)
    assert f"request_id=crash-1 GET {path} status=500 user={QA}" in line
    assert "reason=Internal Server Error\\nTraceback (most recent call last):\\n" in line
    assert "RuntimeError: first line\\nsecond line" in line


def test_no_line_is_written_twice_in_development(team, settings, caplog):
    # Django's own console handler prints django.* records when DEBUG is on; the root's handler
    # already writes them, so the development log showed every refusal twice.
    settings.DEBUG = True
    record = logging.makeLogRecord({"name": "django.request", "levelno": logging.WARNING})
    logger: logging.Logger | None = logging.getLogger("django.request")
    handlers = []
    while logger is not None:
        handlers += [h for h in logger.handlers if h.filter(record)]
        logger = logger.parent if logger.propagate else None
    ours = [h for h in handlers if isinstance(h.formatter, OneLineFormatter)]
    others = [h for h in handlers if h not in ours and "pytest" not in type(h).__module__]
    assert len(ours) == 1 and others == []


@pytest.mark.parametrize(
    "message",
    ["two\nlines", "carriage\r\nreturn", "unicode\u2028separator", "next\x85line"],
)
def test_the_formatter_writes_any_message_on_one_line(message):
    line = OneLineFormatter("%(message)s").format(logging.makeLogRecord({"msg": message}))
    assert len(line.splitlines()) == 1


def test_the_request_filter_twice_on_one_record_writes_it_once(rf, team):
    """A second `dictConfig` (django.setup() again in the process) stacks the filter; the
    line must still be the event, not the event quoting itself."""
    from octoacme.logs import RequestEventFilter

    request = rf.get("/releases/999999/")
    request.user = team[QA]
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found: %s", (request.path,), None
    )
    record.request, record.status_code = request, 404
    for _ in range(2):
        assert RequestEventFilter().filter(record)
    assert record.getMessage() == f"GET /releases/999999/ status=404 user={QA} reason=Not Found"
