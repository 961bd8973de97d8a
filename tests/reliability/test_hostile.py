"""Hostile input: fuzzed forms, odd Unicode, markup, open redirects, id walking, brute force."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from releases.models import (
    AuditEvent,
    ChecklistItem,
    Handoff,
    Incident,
    Release,
    RoleKey,
)
from signoffs.models import SignOff

from .report import add, record

pytestmark = pytest.mark.django_db
QA, DEVOPS, BA, UX, CSM, PROD, PM = RoleKey.values
MARKUP = [
    '<script>alert("x")</script>',
    "<img src=x onerror=alert(1)>",
    "]]><!--",
    "{{ 7*7 }}",
    "{% debug %}",
    "javascript:alert(1)",
    "'; DROP TABLE releases_release; --",
]
ODD = [
    "\u202eevil",
    "\x00",
    "\ud7ff\ue000",
    "👩‍💻" * 50,
    "A\u0301" * 30,
    "\t\r\n",
    " " * 10,
    "ß" * 10_001,
]

text = st.one_of(
    st.text(max_size=120),
    st.sampled_from(MARKUP + ODD),
    st.text(min_size=5_001, max_size=25_000, alphabet="ab <>&\"'é€\n"),
)


def snapshot() -> str:
    """A fingerprint of everything a refused request must leave alone."""
    parts = [
        list(Release.objects.order_by("pk").values_list()),
        list(SignOff.objects.order_by("pk").values_list()),
        list(ChecklistItem.objects.order_by("pk").values_list()),
        list(Handoff.objects.order_by("pk").values_list()),
        list(Incident.objects.order_by("pk").values_list()),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


ENDPOINTS = {
    # name: (who posts, stage of the release, url, the fields it reads)
    "approve": (
        QA,
        "staging",
        lambda r: f"/gates/{r.signoffs.get(role__key=QA).pk}/approve/",
        ["revision", "comment"],
    ),
    "reject": (
        QA,
        "staging",
        lambda r: f"/gates/{r.signoffs.get(role__key=QA).pk}/reject/",
        ["revision", "comment"],
    ),
    "cancel": (PM, "planning", lambda r: f"/releases/{r.pk}/cancel/", ["reason"]),
    "edit": (
        PROD,
        "planning",
        lambda r: f"/releases/{r.pk}/edit/",
        [
            "name",
            "version",
            "release_type",
            "summary",
            "notable_changes",
            "known_issues",
            "window_start",
            "seen",
            "confirm_stale",
        ],
    ),
    "create": (
        PM,
        "planning",
        lambda r: "/releases/new/",
        ["name", "version", "release_type", "summary", "links", "window_end"],
    ),
    "not applicable": (
        DEVOPS,
        "planning",
        lambda r: "/checklist/{}/na/".format(r.checklist.get(template__key="backup-snapshot").pk),
        ["reason"],
    ),
    "evidence links": (
        DEVOPS,
        "planning",
        lambda r: "/checklist/{}/done/".format(r.checklist.get(template__key="ci-security").pk),
        ["evidence"],
    ),
    "hand-off": (
        QA,
        "staging",
        lambda r: "/handoffs/{}/send/".format(r.handoffs.get(template__key="qa-to-devops").pk),
        ["notes", "links"],
    ),
    "incident": (
        QA,
        "deployed",
        lambda r: f"/releases/{r.pk}/incidents/",
        ["title", "severity", "description"],
    ),
    "resolve": (
        DEVOPS,
        "deployed",
        lambda r: f"/incidents/{r.incidents.first().pk}/resolve/",
        ["root_cause"],
    ),
    "dashboard filter": (QA, "staging", lambda r: "/releases/?", ["q", "stage", "release_type"]),
}


@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_fuzzed_posts_never_fail_and_refusals_change_nothing(crew, name):
    who, stage, url_of, fields = ENDPOINTS[name]
    release = crew.stage(stage)
    if name == "resolve":
        from releases import services

        incident = services.incident_open(release_id=release.pk, actor=crew.team[QA], title="Fuzz")
        # Service restored, so a resolve can be accepted (it needs a restore first).
        services.incident_mitigate(
            incident_id=incident.pk, actor=crew.team[DEVOPS], mitigation="Fuzz"
        )
    url = url_of(release)
    client = Client()
    client.force_login(crew.team[who])
    page_urls = [
        reverse("release-detail", args=[release.pk]),
        reverse("dashboard"),
        reverse("release-notes", args=[release.pk]),
    ]
    counts = {"examples": 0, "accepted": 0, "refused": 0, "server errors": 0}

    @settings(
        max_examples=int(os.environ.get("FUZZ_EXAMPLES", "25")),
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(st.fixed_dictionaries({f: text for f in fields}))
    def one(data: dict[str, str]) -> None:
        counts["examples"] += 1
        before, events = snapshot(), AuditEvent.objects.count()
        if name == "dashboard filter":
            response = client.get(reverse("dashboard"), data)
        else:
            response = client.post(url, data)
        if response.status_code >= 500:
            counts["server errors"] += 1
        assert response.status_code < 500, (name, data)
        if AuditEvent.objects.count() == events:
            counts["refused"] += 1
            assert snapshot() == before, (name, data)
        else:
            counts["accepted"] += 1
        # Whatever was stored is shown as text, in pages and in the export.
        for page in page_urls:
            body = client.get(page).content.decode()
            for markup in MARKUP[:2]:
                assert markup not in body, (name, page)

    one()
    for key, value in counts.items():
        add("Fuzzing (Hypothesis, every form and POST endpoint)", key, value)
    add("Fuzzing (Hypothesis, every form and POST endpoint)", "endpoints")
    assert counts["server errors"] == 0


def test_sign_in_next_cannot_leave_the_site(crew):
    client = Client()
    for target in [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "http://127.0.0.1.evil.example/",
    ]:
        response = client.post(
            reverse("login"), {"username": QA, "password": "octoacme", "next": target}
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("my-work"), target
        client.logout()
    record("Hostile input", **{"off-site next targets refused": 5})


def test_sign_in_is_throttled_after_repeated_failures(crew):
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(4):
        response = client.post(reverse("login"), {"username": QA, "password": "wrong"})
        assert response.status_code == 200
    fifth = client.post(reverse("login"), {"username": QA, "password": "wrong"})
    assert fifth.status_code == 429  # the fifth failure locks the pair out
    # Now even the right password is refused, with a message that says why.
    locked = client.post(reverse("login"), {"username": QA, "password": "octoacme"})
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    # Another user, or the same user from another address, is not locked out by this.
    other = Client(REMOTE_ADDR="203.0.113.7")
    assert (
        other.post(reverse("login"), {"username": DEVOPS, "password": "octoacme"}).status_code
        == 302
    )
    elsewhere = Client(REMOTE_ADDR="198.51.100.9")
    assert (
        elsewhere.post(reverse("login"), {"username": QA, "password": "octoacme"}).status_code
        == 302
    )
    record("Hostile input", **{"sign-in lockout after failures": 5})


def test_session_cookie_flags(crew):
    response = Client().post(reverse("login"), {"username": QA, "password": "octoacme"})
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "x" * 60,
        "REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    out = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, "
            "s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE)",
        ],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.split()[-4:]
    assert out == ["True", "True", "True", "Lax"]
    record("Hostile input", **{"session cookie": "HttpOnly, SameSite=Lax, Secure in production"})


def test_object_ids_cannot_be_walked(crew):
    crew.stage("staging")  # rows to walk over
    # Every id that exists (of a release or a gate) and 20 on either side that do not: lower
    # ids were used by earlier tests in the same database (sequences are not reset), so
    # walking from 1 would only add more of the same 404s.
    ids = sorted(
        {
            pk
            for model in (Release, SignOff)
            for existing in model.objects.values_list("pk", flat=True)
            for pk in range(max(1, existing - 20), existing + 21)
        }
    )
    anonymous = Client()
    walked = 0
    for pk in ids:
        for url in (f"/releases/{pk}/", f"/gates/{pk}/", f"/releases/{pk}/notes.md"):
            assert anonymous.get(url)["Location"].startswith(reverse("login"))
            walked += 1
    plain = Client()
    plain.force_login(crew.team.outsider)
    for pk in ids:
        assert plain.get(f"/gates/{pk}/").status_code in (403, 404)
    record(
        "Hostile input",
        **{
            "guessed object URLs tried": walked + len(ids),
            "guessed URLs that showed a gate to a non-holder": 0,
        },
    )
