"""Benchmark: seed a PostgreSQL database, serve it with gunicorn (2 workers), load it with wrk.

    .venv/bin/python scripts/benchmark.py                 # 1,000 releases
    .venv/bin/python scripts/benchmark.py --releases 10000
    make benchmark ARGS="--releases 10000"

Measures the dashboard, My work, a release page, the sign-off POST and the API's deployment
gate check (with a token) against a bare Django view (the limit of this stack), a bare view
that inserts one row, and the Django admin's
release changelist (what people would open instead); then the reminder sweep over 100,000
pending gates held by 1,000 people. Prints the figures and writes docs/performance.md.
Needs PostgreSQL and Redis on 127.0.0.1 and wrk (apt-get install wrk).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

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


def seed(n: int) -> dict[str, object]:
    """N releases in realistic proportions, with every row a real release has."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Permission

    from releases import chain
    from releases.models import (
        AuditEvent,
        ChecklistItem,
        ChecklistTemplate,
        Handoff,
        HandoffTemplate,
        Release,
        Role,
        RoleAssignment,
    )
    from signoffs.models import SignOff, SignOffUserObjectPermission

    User = get_user_model()
    password = make_password("octoacme")
    roles = list(Role.objects.order_by("position"))
    users = User.objects.bulk_create(
        [User(username=f"{r.key}", email=f"{r.key}@bench.test", password=password) for r in roles]
        + [
            User(username=f"user{i}", email=f"user{i}@bench.test", password=password)
            for i in range(43)
        ]
    )
    admin = User.objects.create(
        username="admin", password=password, is_staff=True, is_superuser=True
    )
    # Most releases of a long-lived team are finished; a few are in flight.
    mix = [
        ("closed", 0.85),
        ("planning", 0.05),
        ("staging", 0.05),
        ("approved", 0.03),
        ("deployed", 0.02),
    ]
    stages = [s for s, share in mix for _ in range(round(n * share))][:n]
    stages += ["closed"] * (n - len(stages))
    now = datetime.now(UTC)
    releases = Release.objects.bulk_create(
        [
            Release(
                name=f"Bench {i}",
                version=f"{i + 1}.0.0",
                release_type="major",
                stage=stage,
                created_by=users[6],
                window_start=now + timedelta(minutes=i),
                summary="Benchmark release",
                deployed_at=now if stage in ("deployed", "closed") else None,
            )
            for i, stage in enumerate(stages)
        ],
        batch_size=2000,
    )
    gates, assignments = [], []
    for i, r in enumerate(releases):
        for j, role in enumerate(roles):
            holder = users[j] if role.key == "qa-lead" else users[(i + j) % len(users)]
            decided = r.stage in ("approved", "deployed", "closed") or (
                r.stage == "staging" and role.key == "devops-engineer"
            )
            gates.append(
                SignOff(
                    release=r,
                    role=role,
                    state="approved" if decided else "pending",
                    opened_at=now
                    if r.stage != "planning" and role.key != "project-manager"
                    else None,
                )
            )
            assignments.append(RoleAssignment(release=r, role=role, holder=holder))
    gates = SignOff.objects.bulk_create(gates, batch_size=5000)
    assignments = RoleAssignment.objects.bulk_create(assignments, batch_size=5000)
    sign = Permission.objects.get(codename="sign_signoff")
    SignOffUserObjectPermission.objects.bulk_create(
        [
            SignOffUserObjectPermission(user_id=a.holder_id, permission=sign, content_object=g)
            for g, a in zip(gates, assignments, strict=True)
        ],
        batch_size=5000,
    )
    templates, handoffs = list(ChecklistTemplate.objects.all()), list(HandoffTemplate.objects.all())
    ChecklistItem.objects.bulk_create(
        [
            ChecklistItem(release=r, template=t, state="done" if r.stage != "planning" else "open")
            for r in releases
            for t in templates
        ],
        batch_size=10000,
    )
    Handoff.objects.bulk_create(
        [Handoff(release=r, template=t) for r in releases for t in handoffs], batch_size=10000
    )
    events = [
        AuditEvent(
            release=r,
            actor=users[k % len(users)],
            verb="release.edited",
            subject="release",
            comment="bench",
            created_at=now,
        )
        for r in releases
        for k in range(5)
    ]
    # Chained as audit.record() would, so `manage.py verify_audit` passes on this data too
    # (the rows get their ids in list order).
    previous = chain.head()
    for event in events:
        event.chain_hash = previous = chain.event_hash(event, previous)
    AuditEvent.objects.bulk_create(events, batch_size=10000)
    qa = users[0]
    signable = list(
        SignOff.objects.filter(role__key="qa-lead", release__stage="staging").values_list(
            "pk", flat=True
        )
    )
    return {
        "qa": qa,
        "admin": admin,
        "releases": len(releases),
        "gates": len(gates),
        "users": len(users) + 1,
        "signable": signable,
        "release_page": next(r.pk for r in releases if r.stage == "staging"),
        **gate_check_target(admin, next(r for r in releases if r.stage == "approved")),
    }


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


def wrk(url: str, seconds: int, cookie: str = "", **env: str) -> dict[str, float]:
    out = subprocess.run(
        [
            "wrk",
            f"-t{WRK_THREADS}",
            "-c8",
            f"-d{seconds}s",
            "--timeout",
            "10s",
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--releases", type=int, default=1000)
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
    url = recreate_database()
    setup_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    data = seed(args.releases)
    analyze()
    seeded_in = time.perf_counter() - t0
    print(f"seeded {data['releases']} releases, {data['gates']} gates in {seeded_in:.0f} s")
    static = ROOT / "var" / "bench-static"
    env = {**os.environ, "STATIC_ROOT": str(static)}
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
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
        env=env,
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
        csrf = secrets.token_hex(16)
        qa, admin = session_cookie(data["qa"], csrf), session_cookie(data["admin"], csrf)
        gates = " ".join(str(g) for g in data["signable"])
        checked, token, ask = data["gate_check"]
        plan = [
            ("bare Django view", "/bench/bare", "", {}),
            ("bare view inserting one row", "/bench/insert", "", {"BENCH_MODE": "insert"}),
            ("admin release changelist", "/admin/releases/release/", admin, {}),
            ("dashboard", "/releases/", qa, {}),
            ("My work", "/", qa, {}),
            ("release page", f"/releases/{data['release_page']}/", qa, {}),
            (
                "gate check (API, token)",
                f"/api/v1/releases/{checked}/gate-checks",
                "",
                {"BENCH_MODE": "gatecheck", "BENCH_TOKEN": token, "BENCH_BODY": ask},
            ),
            (
                "sign-off POST",
                "/",
                qa,
                {"BENCH_MODE": "signoff", "BENCH_CSRF": csrf, "BENCH_GATES": gates},
            ),
        ]
        results = {}
        for name, path, cookie, extra in plan:
            signing = extra.get("BENCH_MODE") == "signoff"
            if signing:
                reset_gates(data["signable"])
            wrk(base + path, 2, cookie, **extra)  # warm-up
            if signing:
                time.sleep(1)  # let the warm-up's last requests finish before the reset
                reset_gates(data["signable"])
                before = decisions()
            results[name] = wrk(base + path, args.seconds, cookie, **extra)
            r = results[name]
            if signing:
                # A refused POST also redirects; count the decisions the database recorded.
                r["decisions"] = decisions() - before
            print(
                f"{name:30} {r['rps']:8.1f} req/s  p50 {r['p50_ms']:7.2f} ms  "
                f"p95 {r['p95_ms']:7.2f} ms  errors {r['errors']}"
                + (f"  decisions recorded {r['decisions']} of {r['requests']}" if signing else "")
            )
    finally:
        gunicorn.terminate()
        gunicorn.wait(30)
    seed_sweep(args.sweep_gates, args.sweep_people)
    sweep = run_sweep_in_fresh_process(url, args.sweep_people)
    print("reminder sweep:", sweep)
    # A day later every gate has had its reminders: the same digests, plus one escalation to
    # each Project Manager.
    make_every_gate_late()
    escalating = run_sweep_in_fresh_process(url, args.sweep_people)
    print("reminder sweep with escalations:", escalating)
    write_report(args, results, sweep, escalating, data, seeded_in)


def write_report(
    args: argparse.Namespace,
    results: dict,
    sweep: dict,
    escalating: dict,
    data: dict,
    seeded_in: float,
) -> None:
    bare, insert = results["bare Django view"]["rps"], results["bare view inserting one row"]["rps"]
    admin, dash = results["admin release changelist"]["rps"], results["dashboard"]["rps"]
    post = results["sign-off POST"]["rps"]
    check, page = results["gate check (API, token)"]["rps"], results["release page"]["rps"]
    slowest = max(sweep["seconds"], escalating["seconds"])
    heaviest = max(sweep["process peak RSS MB"], escalating["process peak RSS MB"])
    budgets = [
        ("dashboard ≥ 2x admin changelist", dash / admin >= 2, f"{dash / admin:.2f}x"),
        ("dashboard ≥ 0.25x bare view", dash / bare >= 0.25, f"{dash / bare:.2f}x"),
        ("sign-off POST ≥ 0.3x one-row insert", post / insert >= 0.3, f"{post / insert:.2f}x"),
        # A pipeline polling the gate costs no more than a person opening the release page.
        ("gate check (token) ≥ 1x release page", check / page >= 1, f"{check / page:.2f}x"),
        (
            "dashboard p95 < 100 ms",
            results["dashboard"]["p95_ms"] < 100,
            f"{results['dashboard']['p95_ms']:.1f} ms",
        ),
        ("reminder sweep < 10 s (slower of the two)", slowest < 10, f"{slowest} s"),
        (
            "reminder sweep < 200 MB (peak RSS of the whole process)",
            heaviest < 200,
            f"{heaviest} MB",
        ),
        (
            "one digest per person",
            sweep["digests"] == escalating["digests"] == sweep["people"],
            f"{sweep['digests']} and {escalating['digests']} digests for {sweep['people']} people",
        ),
    ]
    lines = [
        "# Performance",
        "",
        f'Written by `make benchmark ARGS="--releases {args.releases}"` '
        f"(scripts/benchmark.py) on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Machine: "
        f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}, Python "
        f"{platform.python_version()}, PostgreSQL and Redis on the same machine. gunicorn with 2 "
        f"workers and wrk ({WRK_THREADS} threads, 8 connections, {args.seconds} s per endpoint "
        "after a 2 s warm-up) share those cores, so the absolute figures are low; the ratios, "
        "measured in one run, are what the budgets compare.",
        "",
        f"Data: {data['releases']} releases ({data['gates']} gates, with checklists, hand-offs, "
        f"assignments, guardian rows and audit events), {data['users']} users; seeded in "
        f"{seeded_in:.0f} s. Most releases are closed, as in a team's history; 5% are in staging.",
        "",
        "## Requests",
        "",
        "| endpoint | requests/s | p50 ms | p95 ms | errors | vs bare view |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['rps']:.1f} | {r['p50_ms']:.2f} | {r['p95_ms']:.2f} | "
            f"{r['errors']} | {r['rps'] / bare:.2f}x |"
        )
    signing = results["sign-off POST"]
    lines += [
        "",
        f"Sign-off POST: {signing['decisions']} decisions recorded in the database for "
        f"{signing['requests']} requests (approve, then revoke, cycling over "
        f"{len(data['signable'])} QA Lead gates, each form carrying the gate's revision).",
        "",
        "## Reminder sweep",
        "",
        f"{args.sweep_gates:,} pending gates held by {args.sweep_people:,} people, run once as "
        "the beat task runs it, in a fresh process: first when every gate is a day overdue "
        "(digests only), then a day later when every gate has had its reminders (digests plus "
        "one escalation to each Project Manager).",
        "",
        "| figure | first sweep | with escalations |",
        "| --- | --- | --- |",
    ]
    lines += [f"| {k} | {v} | {escalating[k]} |" for k, v in sweep.items()]
    lines += ["", "## Budgets", "", "| budget | measured | met |", "| --- | --- | --- |"]
    for name, met, shown in budgets:
        lines.append(f"| {name} | {shown} | {'yes' if met else 'NO'} |")
    notes = ROOT / "docs" / "performance-notes.md"
    if notes.exists():
        lines += ["", notes.read_text().strip()]
    Path(args.output).write_text("\n".join(lines) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
