"""schemathesis against the served schema (/api/v1/openapi.json), with a token holding every
scope: no server errors, and every answer matches the schema (status, headers, body).

Examples are kept few (max_examples below) so the suite stays fast; each operation is run
on its own, through the WSGI app in the test's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from api.models import Scope
from octoacme.wsgi import application

from ..builders import Builder

# ninja serves OpenAPI 3.1, which schemathesis 3.39 checks behind this switch.
schemathesis.experimental.OPEN_API_3_1.enable()
schema = schemathesis.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    # Straight WSGI calls fire request_finished, which closes the database connection and
    # with it the test's transaction; Django's test Client disconnects this handler likewise.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def every_scope(make_token: Callable[..., str], build: Builder) -> str:
    # One release exists, so small generated ids sometimes find it (id 1 in a fresh sequence).
    build.create()
    return make_token(*Scope.values, name="schemathesis")


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_matches_its_schema(case: Any, every_scope: str) -> None:
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {every_scope}"}
    response = case.call_wsgi()
    case.validate_response(response)


@pytest.mark.django_db
def test_the_docs_page_works_offline_and_lists_every_operation() -> None:
    from django.test import Client

    page = Client().get("/api/v1/docs")
    html = page.content.decode()
    assert page.status_code == 200
    assert "GET /api/v1/releases/{release_id}" in html and "ReleaseOut" in html
    # Only this site's own static files: nothing loaded from another host.
    assert 'src="http' not in html and 'href="http' not in html and "//cdn" not in html
