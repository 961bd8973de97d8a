"""The deployed topology without Docker: gunicorn (2 workers), a Celery worker and beat on the
CI machine's PostgreSQL and Redis, with production settings. Over HTTP a demo user signs in
and approves a gate; the notice it causes is delivered by the worker. Every process is
stopped by its process id."""

from __future__ import annotations

import http.cookiejar
import os
import re
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
from django.contrib.auth import get_user_model
from django.core.management import call_command

from notifications.models import Notification
from releases import services
from releases.models import Release, RoleKey
from signoffs import services as gate_services
from signoffs.models import SignOff

from .builders import EVIDENCE, celery_broker
from .processes import ROOT, free_port, run_database_url, start, start_worker, stop, wait_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded"),
]
BROKER = "redis://127.0.0.1:6379/14"


class Stack:
    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.mail = tmp / "mail"
        self.logs = tmp
        self.env = {
            **os.environ,
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": run_database_url(),
            "REDIS_URL": BROKER,
            "EMAIL_URL": f"filemail://{self.mail}",
            "SITE_URL": self.base,
            "STATIC_ROOT": str(tmp / "static"),
            # Loopback has no TLS; everything else is the production configuration.
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_COOKIES": "false",
        }
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *args: str) -> None:
        self.procs[name] = start(list(args), env=self.env, log=self.logs / f"{name}.log")

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def stop(self) -> None:
        stop(list(self.procs.values()))
        for name, proc in self.procs.items():
            print(f"--- {name} (exit {proc.returncode})\n{self.log(name)[-2000:]}")


@pytest.fixture
def stack(tmp_path: Path, settings: Any) -> Iterator[Stack]:
    # The demo users' passwords must be checkable by gunicorn, which uses the real hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    s = Stack(tmp_path)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env=s.env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    with celery_broker(BROKER):
        from octoacme.celery import app

        with app.connection_for_write() as conn:
            conn.default_channel.client.flushdb()
        # Started inside the try, so a worker that never gets ready still stops the rest.
        try:
            s.start(
                "gunicorn",
                "gunicorn",
                "octoacme.wsgi",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{s.port}",
                "--access-logfile",
                "-",
            )
            s.start(
                "beat",
                "celery",
                "-A",
                "octoacme",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(tmp_path / "beat-schedule"),
            )
            s.procs["worker"] = start_worker(env=s.env, log=s.logs / "worker.log", name="topology")
            yield s
        finally:
            s.stop()


class Browser:
    """A plain HTTP client with cookies, like a person's browser without the rendering."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def post(self, path: str, data: dict[str, str], referer: str) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(
            self.base + path, data=body, headers={"Referer": self.base + referer}
        )
        with self.opener.open(request, timeout=10) as r:
            return r.status, r.url, r.read().decode()


def csrf(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_sign_in_and_approve_over_http_and_the_notice_is_delivered(stack):
    call_command("demo", verbosity=0, history=False)
    # A fresh release, five gates approved: the sixth approval opens the Project Manager's
    # confirmation and mails them.
    users = {u.username: u for u in get_user_model().objects.all()}
    pm = users[RoleKey.PROJECT_MANAGER]
    release = services.release_create(
        actor=pm,
        name="Topology",
        version="9.0.0",
        release_type="major",
        # What the pre-release ticks need filled in.
        summary="Topology check.",
        notable_changes="- Nothing new.",
        rollback_plan="Redeploy the previous image.",
        smoke_test_plan="Sign in.",
    )
    for item in release.checklist.filter(template__group="pre_release").select_related(
        "template__owner"
    ):
        services.checklist_complete(
            item_id=item.pk,
            actor=users[item.template.owner.key],
            evidence=EVIDENCE.get(item.template.key, ""),
        )
    services.release_move_to_staging(release_id=release.pk, actor=users[RoleKey.DEVOPS_ENGINEER])
    qa_handoff = release.handoffs.get(template__key="qa-to-devops").pk
    services.handoff_send(handoff_id=qa_handoff, actor=users[RoleKey.QA_LEAD], notes="Green")
    services.handoff_acknowledge(
        handoff_id=qa_handoff, actor=users[RoleKey.DEVOPS_ENGINEER], decision="proceed"
    )
    for key in (
        RoleKey.QA_LEAD,
        RoleKey.DEVOPS_ENGINEER,
        RoleKey.BUSINESS_ANALYST,
        RoleKey.UX_DESIGNER,
        RoleKey.PRODUCT_MANAGER,
    ):
        gate_services.gate_approve(
            gate_id=SignOff.objects.get(release=release, role__key=key).pk, actor=users[key]
        )

    wait_for(
        lambda: (
            stack.procs["gunicorn"].poll() is None and Browser(stack.base).get("/readyz")[0] == 200
        ),
        60,
        "gunicorn to be ready",
    )

    browser = Browser(stack.base)
    status, page = browser.get("/signin/")
    assert status == 200
    status, url, page = browser.post(
        "/signin/",
        {
            "csrfmiddlewaretoken": csrf(page),
            "username": "customer-success-manager",
            "password": "octoacme",
            "next": "/",
        },
        referer="/signin/",
    )
    assert url == stack.base + "/" and "My work" in page
    gate = SignOff.objects.get(release=release, role__key=RoleKey.CUSTOMER_SUCCESS_MANAGER)
    status, page = browser.get(f"/gates/{gate.pk}/")
    assert status == 200
    status, url, page = browser.post(
        f"/gates/{gate.pk}/approve/",
        {"csrfmiddlewaretoken": csrf(page), "revision": str(gate.revision), "comment": "Ready"},
        referer=f"/gates/{gate.pk}/",
    )
    assert "Approved. Thank you." in page
    gate.refresh_from_db()
    assert gate.state == "approved"

    def delivered() -> bool:
        return Notification.objects.filter(
            kind="confirm_signoffs", release_id=release.pk, state="sent"
        ).exists()

    wait_for(delivered, 60, "the worker to deliver the confirmation request")
    mails = "\n".join(p.read_text() for p in stack.mail.iterdir())
    assert "Every role gate of Topology (9.0.0) is approved." in mails
    assert f"{stack.base}/gates/" in mails
    # Beat is the one process that wakes the sweeps: its first delivery sweep reaches the worker.
    wait_for(
        lambda: "notifications.tasks.deliver_due" in stack.log("worker"),
        60,
        "beat to schedule the delivery sweep",
    )
    assert all(p.poll() is None for p in stack.procs.values())
    assert Release.objects.get(pk=release.pk).stage == "staging"
