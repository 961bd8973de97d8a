"""Sign-in lockouts behind a proxy: a lockout holds a username and the real client address,
taken from X-Forwarded-For only through the configured number of trusted proxies. Otherwise
every request seems to come from the proxy, and anyone can lock a colleague out."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessLog
from django.contrib.auth.hashers import PBKDF2SHA1PasswordHasher
from django.test import Client
from django.urls import reverse

from ..factories import UserFactory
from ..processes import ROOT, free_port, run_database_url, start, stop, wait_for
from .report import record

ATTACKER, COLLEAGUE = "203.0.113.7", "198.51.100.9"
FAILURE_LIMIT = 5
WRONG_PASSWORDS = 6
SECTION = "Hostile input"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Server:
    """One gunicorn worker with production settings behind one (pretend) proxy."""

    def __init__(self, tmp: Path) -> None:
        self.base = f"http://127.0.0.1:{free_port()}"
        self.log = tmp / "gunicorn.log"
        self.env = {
            **os.environ,
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": run_database_url(),
            "STATIC_ROOT": str(tmp / "static"),
            # Loopback has no TLS; everything else is the production configuration.
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_COOKIES": "false",
            "PROXY_COUNT": "1",
            "SIGNIN_FAILURE_LIMIT": str(FAILURE_LIMIT),
        }

    def sign_in(self, username: str, password: str, *, forwarded_for: str) -> int:
        """POST the sign-in form as the proxy would pass it on; the status that came back."""
        token = secrets.token_hex(16)  # 32 characters: a valid unmasked CSRF secret
        body = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "username": username, "password": password}
        ).encode()
        request = urllib.request.Request(
            self.base + reverse("login"),
            data=body,
            headers={"Cookie": f"csrftoken={token}", "X-Forwarded-For": forwarded_for},
        )
        try:
            with urllib.request.build_opener(NoRedirect).open(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(self.base + "/healthz", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    s = Server(tmp_path)
    # DEBUG=false serves hashed static names, which the sign-in pages need in a manifest.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env=s.env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    port = s.base.rsplit(":", 1)[1]
    proc = start(
        ["gunicorn", "octoacme.wsgi", "--workers", "1", "--bind", f"127.0.0.1:{port}"],
        env=s.env,
        log=s.log,
    )
    try:
        wait_for(lambda: proc.poll() is not None or s.ready(), 60, "gunicorn to be ready")
        assert proc.poll() is None, s.log.read_text()
        yield s
    finally:
        stop([proc])
        print(f"--- gunicorn (exit {proc.returncode})\n{s.log.read_text()[-2000:]}")


def quick_password(password: str) -> str:
    """A hash gunicorn checks at once: PBKDF2-SHA1 at few rounds (the real hasher costs
    ~0.5 s a check). Not the preferred hasher, so Django adds no rounds to wrong guesses."""
    hasher = PBKDF2SHA1PasswordHasher()
    return hasher.encode(password, hasher.salt(), iterations=1_000)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_lockout_behind_a_proxy_holds_the_user_and_the_real_client_address(server):
    user = UserFactory(username="ada", password=None)
    user.password = quick_password("right")
    user.save(update_fields=["password"])

    wrong = [server.sign_in("ada", "wrong", forwarded_for=ATTACKER) for _ in range(WRONG_PASSWORDS)]
    # The colleague, at another address behind the same proxy, signs in as usual...
    elsewhere = server.sign_in("ada", "right", forwarded_for=COLLEAGUE)
    # ...while the locked address stays refused, the right password included, and so does a
    # client that writes another address in front of what the proxy appended.
    locked = server.sign_in("ada", "right", forwarded_for=ATTACKER)
    spoofed = server.sign_in("ada", "right", forwarded_for=f"{COLLEAGUE}, {ATTACKER}")
    lockouts = list(
        AccessAttempt.objects.values_list("username", "ip_address", "failures_since_start")
    )
    record(
        SECTION,
        **{
            "lockout behind a proxy: other address signs in": "yes" if elsewhere == 302 else "no",
            "lockout behind a proxy: locked address refused": "yes" if locked == 429 else "no",
            "lockout behind a proxy: recorded addresses": ", ".join(str(a) for _, a, _ in lockouts),
        },
    )

    # The fifth failure locks the pair out; the sixth is refused before any password check.
    assert wrong == [200] * (FAILURE_LIMIT - 1) + [429] * (WRONG_PASSWORDS - FAILURE_LIMIT + 1)
    assert (elsewhere, locked, spoofed) == (302, 429, 429)
    # One lockout, for the user at the attacker's address (not the proxy's); every attempt
    # from there counts, the refused ones too.
    [(username, address, failures)] = lockouts
    assert (username, address) == ("ada", ATTACKER) and failures >= FAILURE_LIMIT
    assert list(AccessLog.objects.values_list("username", "ip_address")) == [("ada", COLLEAGUE)]


@pytest.mark.django_db
def test_without_a_proxy_a_forwarded_address_is_ignored():
    # PROXY_COUNT=0 (the default): X-Forwarded-For is whatever the client wrote.
    UserFactory(username="ada")
    client = Client(REMOTE_ADDR=COLLEAGUE, HTTP_X_FORWARDED_FOR=ATTACKER)
    client.post(reverse("login"), {"username": "ada", "password": "wrong"})
    assert AccessAttempt.objects.get(username="ada").ip_address == COLLEAGUE
