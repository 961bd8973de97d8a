"""An SMTP server on loopback that refuses every message, to test retries against a real peer."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class RefusingSMTP(socketserver.BaseRequestHandler):
    """A real SMTP peer on loopback that turns every client away (554)."""

    def handle(self) -> None:
        self.request.sendall(b"554 5.3.2 Service not available, try later\r\n")


@contextmanager
def refusing_smtp(settings: Any) -> Iterator[int]:
    """Point Django's mail at a refusing server for the block; yields its port."""
    server = socketserver.TCPServer(("127.0.0.1", 0), RefusingSMTP)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.server_address[1]
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
