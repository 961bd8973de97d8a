"""Outgoing webhooks against a real HTTP receiver on loopback: signed per Standard Webhooks,
retried with the same id, a 410 disables, private targets refused, redeliver (#15)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from notifications import webhook_delivery, webhooks
from notifications.models import NotificationState, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


class Receiver:
    """A webhook consumer: verifies each signature, answers the scripted statuses in turn
    (then 200), and handles each `webhook-id` once, as the spec asks of receivers."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.secret = ""
        self.attempts: list[dict[str, Any]] = []
        self.events: dict[str, dict[str, Any]] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook?team=ops"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                headers = dict(self.headers.items())
                valid = webhooks.verify(receiver.secret, headers, body)
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                receiver.attempts.append(
                    {"headers": headers, "body": body, "valid": valid, "path": self.path}
                )
                if valid and status == 200:
                    receiver.events.setdefault(headers["webhook-id"], json.loads(body))
                self.send_response(status if valid else 401)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def __enter__(self) -> Receiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def allow_loopback(settings: Any) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE = True  # the receiver runs on 127.0.0.1
    settings.WEBHOOK_RETRY_BASE = timedelta(0)  # a retry is due at once


def receiver(statuses: list[int], fmt: str = "generic") -> Iterator[Receiver]:
    with Receiver(statuses) as r:
        endpoint, r.secret = webhooks.register(name="ops", url=r.url, events=[], format=fmt)
        r.endpoint = endpoint  # type: ignore[attr-defined]
        yield r


def test_a_500_then_200_is_delivered_twice_with_one_id_and_seen_once(allow_loopback):
    for r in receiver([500]):
        assert webhooks.publish("gate.approved", {"summary": "QA approved"}) == 1
        assert webhook_delivery.sweep()["retry"] == 1
        d = WebhookDelivery.objects.get()
        assert (d.state, d.last_status, d.last_error) == (
            NotificationState.PENDING,
            500,
            "HTTP 500",
        )
        assert webhook_delivery.sweep()["sent"] == 1
        assert webhook_delivery.sweep()["sent"] == 0  # nothing left to send
        assert len(r.attempts) == 2 and all(a["valid"] for a in r.attempts)
        ids = {a["headers"]["webhook-id"] for a in r.attempts}
        assert ids == {d.msg_id} and d.msg_id.startswith("msg_")
        assert r.attempts[0]["path"] == "/hook?team=ops"
        [event] = r.events.values()
        assert event["type"] == "gate.approved" and event["data"] == {"summary": "QA approved"}
        d.refresh_from_db()
        assert (d.state, d.tries, d.last_status, d.last_error) == ("sent", 2, 200, "")


def test_a_tampered_body_fails_verification(allow_loopback):
    secret = webhooks.new_secret()
    headers = {"webhook-id": "msg_1", "webhook-timestamp": "1700000000"}
    headers["webhook-signature"] = webhooks.sign(secret, "msg_1", 1700000000, b'{"a":1}')
    assert webhooks.verify(secret, headers, b'{"a":1}', now=1700000010)
    assert not webhooks.verify(secret, headers, b'{"a":2}', now=1700000010)
    assert not webhooks.verify(secret, headers, b'{"a":1}', now=1700009999)  # too old


def test_a_410_disables_the_endpoint_and_fails_the_delivery(allow_loopback):
    for r in receiver([410]):
        webhooks.publish("release.stage_changed", {})
        assert webhook_delivery.sweep()["disabled"] == 1
        endpoint = WebhookEndpoint.objects.get()
        assert not endpoint.active and "410" in endpoint.disabled_reason
        assert WebhookDelivery.objects.get().state == NotificationState.FAILED
        assert (
            webhooks.publish("release.stage_changed", {}) == 0
        )  # a disabled endpoint hears nothing
        assert len(r.attempts) == 1


def test_errors_are_retried_until_the_last_try_then_failed(allow_loopback, settings):
    settings.WEBHOOK_MAX_TRIES = 3
    for r in receiver([503, 502, 500, 200]):
        webhooks.publish("escalation", {})
        results = [webhook_delivery.sweep() for _ in range(4)]
        assert [x["retry"] for x in results] == [1, 1, 0, 0] and results[2]["failed"] == 1
        d = WebhookDelivery.objects.get()
        assert (d.state, d.tries, d.last_error) == ("failed", 3, "HTTP 500")
        assert len(r.attempts) == 3


def test_a_connection_refused_is_an_error_to_retry(allow_loopback):
    with Receiver([]) as r:
        url = r.url
    webhooks.WebhookEndpoint.objects.create(
        name="x", url=url, format="generic", secret=webhooks.new_secret()
    )
    webhooks.publish("escalation", {})
    assert webhook_delivery.sweep()["retry"] == 1
    assert "ConnectionRefusedError" in WebhookDelivery.objects.get().last_error


def test_redeliver_makes_a_new_attempt_with_the_same_id(allow_loopback):
    for r in receiver([]):
        webhooks.publish("incident.opened", {})
        webhook_delivery.sweep()
        d = WebhookDelivery.objects.get()
        assert not webhook_delivery.redeliver(d.pk + 1000)
        assert webhook_delivery.redeliver(d.pk)
        assert WebhookDelivery.objects.get().state == NotificationState.PENDING
        assert webhook_delivery.deliver(d.pk) == "sent"
        assert [a["headers"]["webhook-id"] for a in r.attempts] == [d.msg_id, d.msg_id]
        assert len(r.events) == 1  # the receiver drops the repeat


def test_two_workers_never_send_one_attempt_twice(allow_loopback):
    for r in receiver([]):
        webhooks.publish("gate.opened", {})
        pk = WebhookDelivery.objects.get().pk
        assert webhook_delivery.deliver(pk) == "sent"
        assert webhook_delivery.deliver(pk) == "skipped"
        assert len(r.attempts) == 1


def test_only_subscribed_endpoints_get_an_event(allow_loopback):
    secret = webhooks.new_secret()
    for name, events in [
        ("all", []),
        ("gates", ["gate.opened"]),
        ("incidents", ["incident.opened"]),
    ]:
        WebhookEndpoint.objects.create(
            name=name, url="http://127.0.0.1:9/", events=events, format="generic", secret=secret
        )
    assert webhooks.publish("gate.opened", {}) == 2
    assert set(WebhookDelivery.objects.values_list("endpoint__name", flat=True)) == {"all", "gates"}


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8000/hook",
        "http://10.1.2.3/",
        "http://192.168.0.10/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "ftp://example.com/",
    ],
)
def test_a_private_target_is_refused_when_registering(settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(ValidationError) as refused:
        webhooks.register(name="x", url=url, events=[], format="generic")
    assert "url" in refused.value.message_dict
    assert not WebhookEndpoint.objects.exists()


def test_a_private_target_is_refused_when_delivering(settings, allow_loopback):
    for r in receiver([]):
        settings.WEBHOOK_ALLOW_PRIVATE = False  # registered while allowed, then forbidden
        webhooks.publish("gate.opened", {})
        assert webhook_delivery.sweep()["failed"] == 1
        d = WebhookDelivery.objects.get()
        assert d.state == "failed" and d.last_error.startswith("Refused:") and not r.attempts


def test_slack_and_teams_bodies(allow_loopback):
    body = {
        "type": "gate.rejected",
        "timestamp": "t",
        "data": {
            "summary": "QA rejected",
            "release": {"name": "Orca", "version": "1.2.0", "url": "https://x/releases/1/"},
        },
    }
    slack = json.loads(webhooks.render("slack", body))
    assert slack == {"text": "*Orca 1.2.0*: QA rejected <https://x/releases/1/|Open>"}
    teams = json.loads(webhooks.render("teams", body))
    [attachment] = teams["attachments"]
    assert teams["type"] == "message"
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["content"]["type"] == "AdaptiveCard"
    assert attachment["content"]["actions"][0]["url"] == "https://x/releases/1/"
    for r in receiver([], fmt="slack"):
        webhooks.publish("gate.rejected", body["data"])
        assert webhook_delivery.sweep()["sent"] == 1
        assert json.loads(r.attempts[0]["body"])["text"].startswith("*Orca 1.2.0*")


def test_the_worker_is_kicked_after_commit(allow_loopback, django_capture_on_commit_callbacks):
    for r in receiver([]):
        with django_capture_on_commit_callbacks(execute=True):
            webhooks.publish("gate.opened", {})
            assert not r.attempts  # nothing leaves before the commit
        assert len(r.attempts) == 1 and WebhookDelivery.objects.get().state == "sent"
