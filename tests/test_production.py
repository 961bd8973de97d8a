"""Production settings come from the environment alone, and Django's deploy check agrees."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def production_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECURE_"))}
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="releases.example.com",
        CSRF_TRUSTED_ORIGINS="https://releases.example.com",
        REDIS_URL="redis://127.0.0.1:6379/0",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/octoacme",
        **extra,
    )
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_prints_no_warning_with_the_production_environment():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_the_deploy_check_would_catch_a_weakened_setting():
    # The same check fails when hardening is switched off: the test above can fail.
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=production_env(SECURE_COOKIES="false")
    )
    assert result.returncode != 0
    assert "security.W012" in result.stdout + result.stderr


def test_debug_off_refuses_the_development_secret_key():
    env = production_env()
    del env["SECRET_KEY"]
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "Set SECRET_KEY when DEBUG is false" in result.stderr


def test_the_embedded_default_migrates_and_loads_the_demo_on_sqlite(tmp_path):
    """`make run` on a fresh machine: SQLite, no services. The test suite itself runs on
    PostgreSQL, so a query SQLite cannot run (a JSON `contains`, say) would pass there and break
    `make run` here. Also checks the audit chain the demo wrote."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECURE_"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'run.db'}", REDIS_URL="", DEBUG="true")
    for args in (("migrate", "--noinput", "-v0"), ("demo",), ("verify_audit",)):
        result = manage(*args, env=env)
        assert result.returncode == 0, (args, result.stdout[-2000:], result.stderr[-3000:])
    assert "Audit trail intact" in result.stdout
