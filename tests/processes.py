"""Real processes for integration tests: start them, wait for them, stop them by process id."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def wait_for(
    check: Callable[[], Any], timeout: float, what: str, poke: Callable[[], Any] | None = None
) -> None:
    """Poll `check` until it is true; `poke` nudges the system between polls."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if poke:
            poke()
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_database_url() -> str:
    """The database this test run uses, for processes that must see the same rows."""
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def start(args: list[str], *, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`python -m <args>` from the project folder, its output in `log`."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", *args], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )


def start_worker(*, env: dict[str, str], log: Path, name: str) -> subprocess.Popen[bytes]:
    """A Celery worker (solo pool), returned once it says it is ready."""
    proc = start(
        [
            "celery",
            "-A",
            "octoacme",
            "worker",
            "--pool",
            "solo",
            "--without-mingle",
            "--without-gossip",
            "--loglevel",
            "INFO",
            "--hostname",
            f"{name}-{os.getpid()}@%h",
        ],
        env=env,
        log=log,
    )
    wait_for(
        lambda: b"ready." in log.read_bytes() or proc.poll() is not None,
        60,
        f"worker {name} to start",
    )
    assert proc.poll() is None, log.read_text()
    return proc


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM each by its pid (a warm shutdown), SIGKILL whatever has not gone in 30 s."""
    for proc in procs:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
