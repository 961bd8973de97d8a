"""Benchmark: PostgreSQL at two sizes of history, served by gunicorn (2 workers), loaded by wrk.

    make benchmark                                       # 1,000 then 10,000 releases
    .venv/bin/python scripts/benchmark.py --sizes 1000   # one size (no history ratios)

At each size (the same ~50 releases in flight, the rest history at ~20 releases a week; see
bench_seed.py) it measures the dashboard, My work, a release page, a sign-off page, Insights
(90 and 365 days), the API's gate check and the sign-off POST, each against the baseline that
matches it: a bare view behind sign-in for pages, a signed-in one-row POST that passes the CSRF
check for POSTs (bench_urls.py); the anonymous bare view stays as a reference line, and the
admin's release changelist as what people would open instead. Then, on the largest database:
each page's requests/s against its figure at the smallest size, the budgets of issue #17,
every gunicorn worker's peak RSS, a cProfile of the slowest page (and of any page over budget),
and the reminder sweep over 100,000 pending gates held by 1,000 people. Prints the figures and
writes docs/performance.md. A page that does not answer 200 (not built yet) is skipped with a
note. Needs PostgreSQL and Redis on 127.0.0.1 and wrk (apt-get install wrk).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DB = "octoacme_bench"
BROKER = "redis://127.0.0.1:6379/12"
WRK_THREADS = 2
sys.path.insert(0, str(ROOT))


def setup_django(url: str) -> None:
    os.environ.update(
        DATABASE_URL=url,
        CELERY_BROKER_URL=BROKER,
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        SECURE_COOKIES="false",
        EMAIL_URL="consolemail://",
        LOG_LEVEL="WARNING",
        # The bare views live in scripts/bench_urls.py, outside the application packages;
        # PYTHONPATH lets collectstatic and gunicorn, started from here, import it too.
        ROOT_URLCONF="bench_urls",
        PYTHONPATH=os.pathsep.join(
            filter(None, [str(ROOT / "scripts"), os.environ.get("PYTHONPATH")])
        ),
        REDIS_URL=BROKER,
        # The collected files' manifest, for gunicorn and for the profiled requests in here.
        STATIC_ROOT=str(ROOT / "var" / "bench-static"),
        # The gate check is measured flat out with one token: no per-token rate limit here.
        API_RATE_LIMIT="0",
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "octoacme.settings")
    import django

    django.setup()


def recreate_database() -> str:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        c.execute(f"CREATE DATABASE {DB}")
    return f"postgres://postgres@127.0.0.1:5432/{DB}"


def gate_check_target(admin: object, release: object) -> dict[str, object]:
    """A deployments:write token and an approved release with a passed CI run: what a
    pipeline's gate check polls (each ask reads the release's blockers and stores its answer)."""
    from api.tokens import token_create
    from releases.models import EvidenceRecord

    token, secret = token_create(
        name="bench-pipeline", scopes=["deployments:write"], expires_at=None, actor=admin
    )
    sha = "0123456789abcdef0123456789abcdef01234567"
    EvidenceRecord.objects.create(
        release=release,
        kind="ci",
        passed=True,
        url="https://ci.example.com/runs/1",
        commit_sha=sha,
        recorded_by=token.user,
    )
    body = json.dumps({"environment": "production", "commit_sha": sha})
    return {"gate_check": (release.pk, secret, body)}


def session_cookie(user: object, csrf: str) -> str:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    s = SessionStore()
    s[SESSION_KEY] = str(user.pk)
    s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    s[HASH_SESSION_KEY] = user.get_session_auth_hash()
    s.create()
    return f"sessionid={s.session_key}; csrftoken={csrf}"


def reset_gates(ids: list[int]) -> None:
    """Put the benchmark's gates back to pending at revision 0, where bench_wrk.lua starts."""
    from signoffs.models import SignOff

    SignOff.objects.filter(pk__in=ids).update(
        state="pending", revision=0, decided_by=None, decided_at=None, comment=""
    )


def decisions() -> int:
    from releases.models import AuditEvent

    return AuditEvent.objects.filter(verb__in=["gate.approved", "gate.revoked"]).count()


def settle(quiet: float = 1.0, longest: float = 30.0) -> None:
    """Wait until no decision has been recorded for `quiet` seconds: wrk stops at its deadline
    but the server finishes the requests in flight, and one that lands after the reset would
    leave its gate a revision ahead of bench_wrk.lua, refusing every later POST on it."""
    deadline = time.monotonic() + longest
    seen = decisions()
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = decisions()
        if now == seen:
            return
        seen = now


def wrk(url: str, seconds: int, cookie: str = "", **env: str) -> dict[str, float]:
    out = subprocess.run(
        [
            "wrk",
            f"-t{WRK_THREADS}",
            "-c8",
            f"-d{seconds}s",
            "--timeout",
            # Long enough that the slowest page still shows a latency rather than timeouts.
            "60s",
            "-s",
            str(ROOT / "scripts" / "bench_wrk.lua"),
            "-H",
            f"Cookie: {cookie}",
            url,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "BENCH_THREADS": str(WRK_THREADS), **env},
        check=True,
    ).stdout
    return json.loads(re.search(r"BENCH (\{.*\})", out).group(1))


def seed_sweep(gates_wanted: int, people: int) -> None:
    """100,000 pending gates held by 1,000 people, open for two days (reminders are due)."""
    from django.contrib.auth import get_user_model

    from notifications.models import Throttle
    from releases.models import Release, Role, RoleAssignment
    from signoffs.models import SignOff

    User = get_user_model()
    roles = list(Role.objects.order_by("position"))
    users = User.objects.bulk_create(
        [User(username=f"sweeper{i}", email=f"s{i}@bench.test") for i in range(people)]
    )
    n = gates_wanted // len(roles)
    releases = Release.objects.bulk_create(
        [
            Release(
                name=f"Sweep {i}",
                version=f"0.{i}.0",
                release_type="minor",
                stage="staging",
                created_by=users[0],
            )
            for i in range(n)
        ],
        batch_size=5000,
    )
    opened = datetime.now(UTC) - timedelta(days=2)
    gates, assignments = [], []
    for i, r in enumerate(releases):
        for j, role in enumerate(roles):
            gates.append(SignOff(release=r, role=role, opened_at=opened))
            assignments.append(
                RoleAssignment(release=r, role=role, holder=users[(i * len(roles) + j) % people])
            )
    SignOff.objects.bulk_create(gates, batch_size=10000)
    RoleAssignment.objects.bulk_create(assignments, batch_size=10000)
    # Only the sweep's people: the HTTP benchmark's releases are not under test here.
    Release.objects.exclude(name__startswith="Sweep").filter(stage="staging").update(
        stage="planning"
    )
    Throttle.objects.all().delete()
    analyze()


def analyze() -> None:
    # Fresh bulk-loaded tables have no statistics until autovacuum comes round; a real
    # database has them, so give the planner what it would have in production.
    from django.db import connection

    with connection.cursor() as c:
        c.execute("ANALYZE")


def peak_rss_mb() -> float:
    # VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss across exec, so a child
    # started from this big seeding process would report the parent's peak as its own.
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


def time_sweep(people: int) -> dict[str, float]:
    """Run the sweep once, as the beat task does, timed and weighed without instrumentation."""
    from django.db import connection

    from notifications.models import Notification
    from releases import reminders
    from signoffs.models import SignOff

    connection.close()
    rss_before = peak_rss_mb()
    started = time.perf_counter()
    result = reminders.send_reminders()
    elapsed = time.perf_counter() - started
    rss_after = peak_rss_mb()
    digests = Notification.objects.filter(kind="reminder_digest").count()
    return {
        "pending gates": SignOff.objects.filter(
            release__name__startswith="Sweep", state="pending"
        ).count(),
        "people": people,
        "seconds": round(elapsed, 2),
        "digests": digests,
        "digests reported": result["digests"],
        "escalations": result["escalations"],
        "process peak RSS MB": round(rss_after, 1),
        "peak RSS before the sweep MB": round(rss_before, 1),
    }


def make_every_gate_late() -> None:
    from django.conf import settings

    from notifications.models import Notification, Throttle
    from signoffs.models import SignOff

    SignOff.objects.filter(release__name__startswith="Sweep").update(
        reminders_sent=settings.SIGNOFF_REMINDER_ESCALATE_AFTER
    )
    Throttle.objects.all().delete()
    Notification.objects.all().delete()
    analyze()


def run_sweep_in_fresh_process(url: str, people: int) -> dict[str, float]:
    # A new process, like a worker's, so the peak RSS is the sweep's and not the seeding's.
    out = subprocess.run(
        [sys.executable, __file__, "--sweep-only", "--sweep-people", str(people)],
        env={**os.environ, "BENCH_DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


@dataclass(frozen=True)
class Endpoint:
    """One line of the benchmark: what wrk asks for, as whom, and what it is compared with."""

    name: str
    path: str
    who: str = ""  # "", "qa" or "admin": whose session cookie goes with it
    mode: str = "get"  # bench_wrk.lua's BENCH_MODE
    baseline: str = ""  # the baseline row this one is measured against
    budget: float = 0.0  # at least this many times the baseline's requests/s (0: none set)


BARE, SIGNED_IN, SIGNED_POST = (
    "bare view, anonymous",
    "bare view, signed in",
    "one-row POST, signed in",
)
HISTORY_BUDGET = 0.85  # requests/s at the largest size over the smallest: within 15%
INSIGHTS_P50_MS = 250


def endpoints(data: dict[str, Any]) -> list[Endpoint]:
    release, gate, checked = data["release_page"], data["gate_page"], data["gate_check"][0]
    return [
        Endpoint(BARE, "/bench/bare"),
        Endpoint(SIGNED_IN, "/bench/signed-in", "qa"),
        Endpoint(SIGNED_POST, "/bench/insert", "qa", "insert"),
        Endpoint(
            "admin release changelist", "/admin/releases/release/", "admin", baseline=SIGNED_IN
        ),
        Endpoint("dashboard", "/releases/", "qa", baseline=SIGNED_IN, budget=0.5),
        Endpoint("My work", "/", "qa", baseline=SIGNED_IN, budget=0.5),
        Endpoint("release page", f"/releases/{release}/", "qa", baseline=SIGNED_IN, budget=0.3),
        Endpoint("sign-off page", f"/gates/{gate}/", "qa", baseline=SIGNED_IN, budget=0.3),
        Endpoint("Insights, 90 days (default)", "/insights/", "qa", baseline=SIGNED_IN),
        Endpoint("Insights, 365 days", "/insights/?period=365", "qa", baseline=SIGNED_IN),
        Endpoint(
            "gate check (API, token)",
            f"/api/v1/releases/{checked}/gate-checks",
            mode="gatecheck",
            baseline=SIGNED_POST,
        ),
        Endpoint("sign-off POST", "/", "qa", "signoff", SIGNED_POST, 0.3),
    ]


def wrk_env(e: Endpoint, data: dict[str, Any], csrf: str) -> dict[str, str]:
    _, token, ask = data["gate_check"]
    extra = {
        "get": {},
        "insert": {"BENCH_CSRF": csrf},
        "gatecheck": {"BENCH_TOKEN": token, "BENCH_BODY": ask},
        "signoff": {"BENCH_CSRF": csrf, "BENCH_GATES": " ".join(map(str, data["signable"]))},
    }[e.mode]
    return {"BENCH_MODE": e.mode, **extra}


def probe(url: str, cookie: str) -> int:
    """The status a GET answers with, redirects not followed (a 302 here means the session
    did not sign in, and wrk would measure the sign-in page)."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        conn.request(
            "GET",
            urllib.parse.urlunsplit(("", "", parts.path, parts.query, "")),
            headers={"Cookie": cookie},
        )
        return conn.getresponse().status
    finally:
        conn.close()


def alone(url: str, cookie: str, times: int = 3) -> float:
    """The median time of a request with nothing else in flight (wrk's p50 includes the wait
    for one of the two workers behind 8 connections)."""
    took = []
    for _ in range(times):
        started = time.perf_counter()
        probe(url, cookie)
        took.append((time.perf_counter() - started) * 1000)
    return sorted(took)[len(took) // 2]


def measure_one(
    base: str, e: Endpoint, cookie: str, env: dict[str, str], data: dict[str, Any], seconds: int
) -> dict[str, float]:
    signing = e.mode == "signoff"
    if signing:
        reset_gates(data["signable"])
    wrk(base + e.path, 2, cookie, **env)  # warm-up
    if signing:
        settle()
        reset_gates(data["signable"])
        before = decisions()
    r = wrk(base + e.path, seconds, cookie, **env)
    if not r["requests"]:
        # Nothing finished within the run: no latency to show, and no budget can be met.
        r["p50_ms"] = r["p95_ms"] = float("inf")
    if e.name.startswith("Insights"):
        r["alone_ms"] = alone(base + e.path, cookie)
    if signing:
        # A refused POST also redirects; count the decisions the database recorded.
        r["decisions"] = decisions() - before
    print(
        f"  {e.name:30} {r['rps']:8.1f} req/s  p50 {r['p50_ms']:7.2f} ms  "
        f"p95 {r['p95_ms']:7.2f} ms  errors {r['errors']}"
        + (f"  decisions recorded {r['decisions']} of {r['requests']}" if signing else "")
    )
    return r


def measure(
    base: str, eps: list[Endpoint], data: dict[str, Any], seconds: int
) -> tuple[dict[str, dict], dict[str, str]]:
    """Every endpoint in turn; a page that does not answer 200 is skipped with a note."""
    csrf = secrets.token_hex(16)
    cookies = {
        "": "",
        "qa": session_cookie(data["qa"], csrf),
        "admin": session_cookie(data["admin"], csrf),
    }
    results, skipped = {}, {}
    for e in eps:
        cookie = cookies[e.who]
        if e.mode == "get" and (status := probe(base + e.path, cookie)) != 200:
            skipped[e.name] = f"{e.path} answered {status}"
            print(f"  skipped {e.name}: {skipped[e.name]}")
            continue
        results[e.name] = measure_one(base, e, cookie, wrk_env(e, data, csrf), data, seconds)
    return results, skipped


@contextmanager
def serving() -> Iterator[tuple[str, subprocess.Popen]]:
    """gunicorn with 2 workers on the bench URLs, stopped on the way out."""
    port = 8765
    gunicorn = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "octoacme.wsgi",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        else:
            sys.exit("gunicorn did not start: nothing answered /healthz in 20 s")
        yield base, gunicorn
    finally:
        gunicorn.terminate()
        gunicorn.wait(30)


def worker_rss_mb(master: int) -> list[float]:
    """Each gunicorn worker's peak resident memory (VmHWM) so far."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    peaks = []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        peaks.append(round(int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024, 1))
    return peaks


def run_size(size: int, args: argparse.Namespace) -> dict[str, Any]:
    """A fresh database with `size` releases, served and measured."""
    from bench_seed import seed
    from django.core.management import call_command
    from django.db import connection

    connection.close()
    recreate_database()
    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    data = seed(size)
    data.update(gate_check_target(data["admin"], data.pop("approved_release")))
    analyze()
    seeded_in = time.perf_counter() - t0
    print(
        f"{size:,} releases ({data['active']} active, {data['span_days']} days of history), "
        f"{data['gates']:,} gates, {data['events']:,} audit events: seeded in {seeded_in:.0f} s"
    )
    connection.close()  # no idle connection of ours beside the workers'
    eps = endpoints(data)
    with serving() as (base, gunicorn):
        results, skipped = measure(base, eps, data, args.seconds)
        rss = worker_rss_mb(gunicorn.pid)
    print(f"  gunicorn workers' peak RSS: {', '.join(f'{m} MB' for m in rss)}")
    return {
        "data": data,
        "endpoints": eps,
        "results": results,
        "skipped": skipped,
        "rss": rss,
        "seeded_in": seeded_in,
    }


def profile_page(e: Endpoint, data: dict[str, Any], requests: int = 3) -> dict[str, Any]:
    """cProfile over a few requests of one endpoint through Django's test client, in this
    process on the seeded database, after one request to warm the caches as a worker would."""
    import cProfile

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(SERVER_NAME="127.0.0.1")
    if e.mode == "gatecheck":
        _, token, body = data["gate_check"]
        ask = partial(
            client.post,
            e.path,
            body,
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )
    else:
        client.force_login(data["admin" if e.who == "admin" else "qa"])
        ask = partial(client.get, e.path)
    ask()
    profiler = cProfile.Profile()
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        profiler.enable()
        for _ in range(requests):
            assert ask().status_code < 400
        profiler.disable()
        elapsed = (time.perf_counter() - started) / requests
    return summarise(e, profiler, queries.captured_queries, elapsed, requests)


def summarise(
    e: Endpoint, profiler: Any, queries: list[dict], elapsed: float, requests: int
) -> dict[str, Any]:
    import pstats

    stats = pstats.Stats(profiler).stats
    rows = [(where(key), tt / requests, ct / requests) for key, (_, _, tt, ct, _) in stats.items()]
    # The middleware's __call__ wraps the whole request: it says nothing about where time goes.
    ours = [r for r in rows if r[0].startswith(OURS) and not r[0].endswith("(__call__)")]
    return {
        "page": e.name,
        "path": e.path,
        "ms": elapsed * 1000,
        "queries": len(queries) / requests,
        "sql_ms": sum(float(q["time"]) for q in queries) * 1000 / requests,
        "own": sorted(rows, key=lambda r: -r[1])[:8],
        "ours": sorted(ours, key=lambda r: -r[2])[:10],
    }


OURS = ("api/", "insights/", "notifications/", "octoacme/", "releases/", "signoffs/", "templates/")


def where(key: tuple[str, int, str]) -> str:
    """A profile entry as `path:line(function)`, relative to the project or site-packages."""
    filename, line, function = key
    for prefix in (str(ROOT / ".venv") + "/", str(ROOT) + "/"):
        if filename.startswith(prefix):
            filename = filename[len(prefix) :].split("site-packages/")[-1]
    return f"{filename}:{line}({function})" if line else function


def pages_to_profile(run: dict[str, Any], met: dict[str, bool]) -> list[Endpoint]:
    """The application's pages (and the gate check) that miss a budget, slowest first, at most
    four; the slowest if none does. The admin's changelist is Django's, not ours to profile."""
    results = run["results"]
    pages = [
        e
        for e in run["endpoints"]
        if e.mode in ("get", "gatecheck") and e.baseline and e.who != "admin" and e.name in results
    ]
    pages.sort(key=lambda e: results[e.name]["rps"])
    return ([e for e in pages if not met.get(e.name, True)] or pages[:1])[:4]


def history_ratio(runs: dict[int, dict], name: str) -> float | None:
    small, large = (runs[n]["results"].get(name) for n in (min(runs), max(runs)))
    if len(runs) < 2 or not small or not large or not small["rps"]:
        return None
    return large["rps"] / small["rps"]


def drift(runs: dict[int, dict], e: Endpoint) -> float | None:
    """The history ratio of the page's vs-baseline figure: what is left of it when the machine
    itself ran faster or slower during one size's run (the cores are shared)."""
    page, base = history_ratio(runs, e.name), history_ratio(runs, e.baseline)
    return page / base if page and base else None


def budgets(runs: dict[int, dict]) -> list[tuple[str, str, str, bool]]:
    """(endpoint, budget, measured, met) at the largest size, with each page's history ratio."""
    run = runs[max(runs)]
    r = run["results"]
    rows = []
    small = runs[min(runs)]
    for e in run["endpoints"]:
        if e.name not in r:
            # A page that did not answer has no figure to meet its budgets with.
            rows.append((e.name, "measured at all", f"not: {run['skipped'].get(e.name)}", False))
            continue
        if e.name in small["skipped"]:
            why = f"not measured at {min(runs):,}: {small['skipped'][e.name]}"
            rows.append((e.name, f"history: ≥ {HISTORY_BUDGET}x", why, False))
        if e.budget and e.baseline in r:
            ratio = r[e.name]["rps"] / r[e.baseline]["rps"]
            rows.append((e.name, f"≥ {e.budget}x {e.baseline}", f"{ratio:.2f}x", ratio >= e.budget))
        if e.name.startswith("Insights"):
            p50, solo, limit = r[e.name]["p50_ms"], r[e.name]["alone_ms"], INSIGHTS_P50_MS
            rows += [
                (e.name, f"p50 < {limit} ms (wrk, 8 connections)", f"{p50:.0f} ms", p50 < limit),
                (e.name, f"p50 < {limit} ms, one at a time", f"{solo:.0f} ms", solo < limit),
            ]
        if e.baseline and (h := history_ratio(runs, e.name)) is not None:
            rows.append(
                (
                    e.name,
                    f"history: ≥ {HISTORY_BUDGET}x its req/s at {min(runs):,}",
                    f"{h:.2f}x",
                    h >= HISTORY_BUDGET,
                )
            )
    return rows


def sweep_budgets(sweep: dict, escalating: dict) -> list[tuple[str, str, str, bool]]:
    """The reminder sweep's budgets (issue #7), kept beside the pages'."""
    slowest = max(sweep["seconds"], escalating["seconds"])
    heaviest = max(sweep["process peak RSS MB"], escalating["process peak RSS MB"])
    digests = (sweep["digests"], escalating["digests"])
    return [
        ("reminder sweep", "< 10 s (the slower of the two)", f"{slowest} s", slowest < 10),
        ("reminder sweep", "< 200 MB peak RSS (whole process)", f"{heaviest} MB", heaviest < 200),
        (
            "reminder sweep",
            "one digest per person",
            f"{digests[0]} and {digests[1]} digests for {sweep['people']} people",
            digests[0] == digests[1] == sweep["people"],
        ),
    ]


def print_summary(runs: dict[int, dict]) -> None:
    sizes = sorted(runs)
    run = runs[sizes[-1]]
    print(
        f"\n{'endpoint':30}"
        + "".join(f"{f'req/s @{n}':>14}" for n in sizes)
        + f"{'p50 ms':>9}{'vs baseline':>13}{'history':>9}{'same, vs baseline':>19}"
    )
    for e in run["endpoints"]:
        r = run["results"].get(e.name)
        if r is None:
            print(f"{e.name:30} skipped: {run['skipped'].get(e.name)}")
            continue
        rps = "".join(f"{runs[n]['results'].get(e.name, {}).get('rps', 0):14.1f}" for n in sizes)
        base = run["results"].get(e.baseline)
        vs = f"{r['rps'] / base['rps']:.2f}x" if base else ""
        h, d = times(history_ratio(runs, e.name)), times(drift(runs, e))
        print(f"{e.name:30}{rps}{r['p50_ms']:9.1f}{vs:>13}{h:>9}{d:>19}")


def times(ratio: float | None) -> str:
    return f"{ratio:.2f}x" if ratio is not None else "—"


def collect_static() -> None:
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, check=True
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="releases in all, comma-separated")
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per endpoint")
    parser.add_argument("--sweep-gates", type=int, default=100_000)
    parser.add_argument("--sweep-people", type=int, default=1000)
    parser.add_argument("--output", default=str(ROOT / "docs" / "performance.md"))
    parser.add_argument("--sweep-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sweep_only:
        setup_django(os.environ["BENCH_DATABASE_URL"])
        print(json.dumps(time_sweep(args.sweep_people)))
        return
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    started = time.perf_counter()
    url = recreate_database()
    setup_django(url)
    collect_static()
    runs = {n: run_size(n, args) for n in sorted(int(x) for x in args.sizes.split(","))}
    print_summary(runs)
    rows = budgets(runs)
    met = {}
    for name, _, _, ok in rows:
        met[name] = met.get(name, True) and ok
    largest = runs[max(runs)]
    profiles = []
    for e in pages_to_profile(largest, met):
        try:
            profiles.append(profile_page(e, largest["data"]))
        except Exception as error:  # the figures above stand without it; say why it is missing
            profiles.append({"page": e.name, "path": e.path, "error": repr(error)})
            print(f"could not profile {e.name}: {error!r}")
            continue
        print(f"profiled {e.name}: {profiles[-1]['ms']:.0f} ms a request under cProfile")
    # The sweep does not read history: measured once, on the largest database.
    seed_sweep(args.sweep_gates, args.sweep_people)
    sweep = run_sweep_in_fresh_process(url, args.sweep_people)
    print("reminder sweep:", sweep)
    # A day later every gate has had its reminders: the same digests, plus one escalation to
    # each Project Manager.
    make_every_gate_late()
    escalating = run_sweep_in_fresh_process(url, args.sweep_people)
    print("reminder sweep with escalations:", escalating)
    rows += sweep_budgets(sweep, escalating)
    took = time.perf_counter() - started
    write_report(args, runs, rows, profiles, (sweep, escalating), took)
    print(f"benchmark took {took / 60:.1f} min")


def write_report(
    args: argparse.Namespace,
    runs: dict[int, dict],
    rows: list[tuple[str, str, str, bool]],
    profiles: list[dict[str, Any]],
    sweeps: tuple[dict, dict],
    took: float,
) -> None:
    lines = report_head(args, runs, took) + requests_table(runs)
    lines += ["", "## Budgets", "", f"At {max(runs):,} releases, in one run.", ""]
    lines += ["| endpoint | budget | measured | met |", "| --- | --- | --- | --- |"]
    lines += [f"| {n} | {b} | {m} | {'yes' if ok else '**NO**'} |" for n, b, m, ok in rows]
    lines += ["", "## Memory", "", "Peak RSS (VmHWM) of each gunicorn worker after its run:", ""]
    lines += [
        f"- {n:,} releases: {', '.join(f'{m} MB' for m in runs[n]['rss'])}" for n in sorted(runs)
    ]
    lines += sweep_section(args, *sweeps) + profile_section(profiles)
    lines += [
        "",
        "Earlier optimisation notes, with figures measured before this benchmark had its "
        "signed-in baselines and two sizes: `docs/performance-notes.md`.",
    ]
    Path(args.output).write_text("\n".join(lines) + "\n")
    print(f"wrote {args.output}")


def report_head(args: argparse.Namespace, runs: dict[int, dict], took: float) -> list[str]:
    sizes = ",".join(str(n) for n in sorted(runs))
    lines = [
        "# Performance",
        "",
        f"Written by `make benchmark` (scripts/benchmark.py --sizes {sizes}) on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC in {took / 60:.1f} minutes. Machine: "
        f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}, Python "
        f"{platform.python_version()}, PostgreSQL and Redis on the same machine. gunicorn with 2 "
        f"workers and wrk ({WRK_THREADS} threads, 8 connections, {args.seconds} s per endpoint "
        "after a 2 s warm-up) share those cores, so the absolute figures are low; the ratios, "
        "measured in one run, are what the budgets compare.",
        "",
        "Each page is compared with the baseline that does the same plumbing and nothing else: "
        f"pages with the *{SIGNED_IN}* (session and user loaded, a few bytes returned), POSTs "
        f"with the *{SIGNED_POST}* (session, user, CSRF check, one INSERT). The *{BARE}* is "
        "a reference line: the limit of this stack.",
        "",
        "History is seeded at about 20 releases a week going back from now, with the same ~50 "
        "releases in flight at every size, and the benchmark user (a QA Lead) holds a role on "
        "every release, so a page that slows down with more history reads history it need not.",
        "",
    ]
    for n in sorted(runs):
        d = runs[n]["data"]
        lines.append(
            f"- {d['releases']:,} releases ({d['active']} active, history over {d['span_days']:,} "
            f"days): {d['gates']:,} gates, {d['assignments']:,} assignments, {d['events']:,} "
            f"audit events, {d['users']} users; seeded in {runs[n]['seeded_in']:.0f} s."
        )
    return lines


def requests_table(runs: dict[int, dict]) -> list[str]:
    small, large = min(runs), max(runs)
    run = runs[large]
    lines = ["", "## Requests", ""]
    lines += [
        f"| endpoint | compared with | req/s at {small:,} | req/s at {large:,} | history "
        f"({large:,} / {small:,}) | history of the vs-baseline ratio | p50 ms at {small:,} | "
        f"p50 ms at {large:,} | p95 ms at {large:,} | errors | vs its baseline at {large:,} |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for e in run["endpoints"]:
        r, s = run["results"].get(e.name), runs[small]["results"].get(e.name, {})
        if r is None:
            lines.append(f"| {e.name} | not measured: {run['skipped'].get(e.name)} ||||||||||")
            continue
        if not s and e.name in runs[small]["skipped"]:
            s = {"rps": 0.0, "p50_ms": float("nan")}
            why = runs[small]["skipped"][e.name]
            lines.append(f"| {e.name} at {small:,} | not measured: {why} ||||||||||")
        base = run["results"].get(e.baseline)
        vs = times(r["rps"] / base["rps"] if base else None)
        h, d = times(history_ratio(runs, e.name)), times(drift(runs, e))
        lines.append(
            f"| {e.name} | {e.baseline or '—'} | {s.get('rps', 0):.1f} | {r['rps']:.1f} | "
            f"{h} | {d} | {s.get('p50_ms', 0):.1f} | {r['p50_ms']:.1f} | "
            f"{r['p95_ms']:.1f} | {s.get('errors', 0) + r['errors']} | "
            f"{vs} |"
        )
    signing = run["results"].get("sign-off POST")
    if signing:
        lines += [
            "",
            f"Sign-off POST at {large:,}: {signing['decisions']} decisions recorded in the "
            f"database for {signing['requests']} requests (approve, then revoke, cycling over "
            f"{len(run['data']['signable'])} QA Lead gates, each form carrying the gate's "
            "revision).",
        ]
    return lines


def sweep_section(args: argparse.Namespace, sweep: dict, escalating: dict) -> list[str]:
    lines = [
        "",
        "## Reminder sweep",
        "",
        "Seeded into the largest database after its run (it reads no history): "
        f"{args.sweep_gates:,} pending gates held by {args.sweep_people:,} people, run once as "
        "the beat task runs it, in a fresh process: first when every gate is a day overdue "
        "(digests only), then a day later when every gate has had its reminders (digests plus "
        "one escalation to each Project Manager).",
        "",
        "| figure | first sweep | with escalations |",
        "| --- | --- | --- |",
    ]
    return lines + [f"| {k} | {v} | {escalating[k]} |" for k, v in sweep.items()]


def profile_section(profiles: list[dict[str, Any]]) -> list[str]:
    lines = [
        "",
        "## Profiles",
        "",
        "cProfile over 3 requests of each endpoint through Django's test client, on the largest "
        "database after the run, one request first to warm the caches. Times are per request "
        "and include cProfile's own overhead, so compare them with each other, not with wrk.",
    ]
    for p in profiles:
        if "error" in p:
            lines += ["", f"### {p['page']} (`{p['path']}`)", "", f"Not profiled: {p['error']}"]
            continue
        lines += [
            "",
            f"### {p['page']} (`{p['path']}`)",
            "",
            f"{p['ms']:.0f} ms a request; {p['queries']:.0f} SQL queries taking "
            f"{p['sql_ms']:.0f} ms (as the database driver timed them), so "
            f"{1 - p['sql_ms'] / p['ms']:.0%} of the time is Python in this process.",
            "",
            "Project code by cumulative time (ms a request):",
            "",
        ]
        lines += [f"- `{name}`: {ct * 1000:.1f}" for name, _, ct in p["ours"]]
        lines += ["", "Functions by own time (ms a request):", ""]
        lines += [f"- `{name}`: {tt * 1000:.1f}" for name, tt, _ in p["own"]]
    return lines


if __name__ == "__main__":
    main()
