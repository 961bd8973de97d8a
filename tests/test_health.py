from __future__ import annotations

import json

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_sign_in(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_checks_the_database_and_redis(client, settings):
    settings.REDIS_URL = ""
    body = client.get(reverse("readyz")).json()
    assert body == {"status": "ok", "database": "ok", "redis": "not used"}


@pytest.mark.redis
def test_readyz_sees_redis(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    assert client.get(reverse("readyz")).json()["redis"] == "ok"


def test_readyz_says_503_and_reveals_nothing_when_redis_is_away(client, settings):
    settings.REDIS_URL = "redis://:hunter2@127.0.0.1:1/0"
    response = client.get(reverse("readyz"))
    assert response.status_code == 503
    assert json.loads(response.content) == {
        "status": "unavailable",
        "database": "ok",
        "redis": "error",
    }
    assert b"hunter2" not in response.content and b"127.0.0.1" not in response.content


def test_every_response_carries_a_request_id(client):
    response = client.get(reverse("healthz"), HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"
    odd = client.get(reverse("healthz"), HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert odd["X-Request-ID"] != "bad id\nwith newline" and len(odd["X-Request-ID"]) == 32
