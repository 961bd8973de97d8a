"""Every Insights figure on a hand-built history, the answers worked out here by hand.

The period is four whole weeks, Monday 2026-03-02 to Sunday 2026-03-29 (UTC), looked at on
Tuesday 2026-03-31 at 12:00. Weeks: 03-02, 03-09, 03-16, 03-23.

Releases (created / staged / production):
  R0  deployed 02-20, before the period: its deploy is not counted, its incidents are.
  R1  03-01 10:00 / 03-02 10:00 / 03-03 10:00      lead 48 h, staging 24 h, clean
  R2  03-05 00:00 / 03-06 00:00 / 03-10 00:00      lead 120 h, staging 96 h, rolled back
  R3  02-01 00:00 / 03-01 00:00 / failed 03-12, then 03-13 00:00
                                                   lead 960 h, staging 288 h
  R4  03-20 01:00 / 03-20 02:00 / 03-20 05:00      lead 4 h, staging 3 h, fix forward of X;
                                                   incident Z opened on it 03-29 20:00
  R5  in staging (gates open)
Deploy attempts in the period: R1, R2, R3 (failed), R3, R4 = 5; failed or followed by an
incident/rollback: R2, R3 (failed), R4 = 3.

Incidents:
  Y  on R0, opened 02-25 00:00, resolved 03-02 12:00     132 h, restored in the period
  W  on R2, opened 03-10 06:00, rolled back 03-10 08:00    2 h
  F  R3's failed deploy, 03-12 00:00, resolved 03-12 03:00 3 h
  X  on R0, opened 03-20 00:00, mitigated 03-20 12:00     12 h (resolved 03-25)
  Q  on R0, opened 03-28 00:00, resolved 03-30 00:00      after the period: still open at its end
  Z  on R4, opened 03-29 20:00, open                      still open
"""

from __future__ import annotations

from datetime import UTC, date, timedelta

import pytest

from insights.metrics import median, p90
from insights.periods import Period
from insights.report import build
from octoacme.names import display_name
from releases.models import Role, RoleAssignment, Stage

from .history import History, at

NOW = at("03-31", "12:00")
PERIOD = Period(first=date(2026, 3, 2), last=date(2026, 3, 29), now=NOW)


@pytest.fixture
def history(team):
    h = History(team.admin)
    r0 = h.release(created_at=at("02-10"), staged_at=at("02-11"), deployed_at=at("02-20"))
    r1 = h.release(
        created_at=at("03-01", "10:00"),
        staged_at=at("03-02", "10:00"),
        deployed_at=at("03-03", "10:00"),
    )
    r2 = h.release(
        stage=Stage.ROLLED_BACK,
        created_at=at("03-05"),
        staged_at=at("03-06"),
        deployed_at=at("03-10"),
        rolled_back_at=at("03-10", "08:00"),
    )
    r3 = h.release("major", created_at=at("02-01"), staged_at=at("03-01"), deployed_at=at("03-13"))
    h.incident(r0, at("02-25"), resolved_at=at("03-02", "12:00"))  # Y
    h.incident(
        r2, at("03-10", "06:00"), rolled_back_at=at("03-10", "08:00"), resolved_at=at("03-11")
    )
    h.incident(r3, at("03-12"), failed_deploy=True, resolved_at=at("03-12", "03:00"))  # F
    x = h.incident(r0, at("03-20"), mitigated_at=at("03-20", "12:00"), resolved_at=at("03-25"))
    h.incident(r0, at("03-28"), resolved_at=at("03-30"))  # Q
    r4 = h.release(
        "patch",
        created_at=at("03-20", "01:00"),
        staged_at=at("03-20", "02:00"),
        deployed_at=at("03-20", "05:00"),
        fixes_incident=x,
    )
    h.incident(r4, at("03-29", "20:00"))  # Z
    r5 = h.release(stage=Stage.STAGING, created_at=at("03-24"), staged_at=at("03-25"))

    # Gates: (opened, decided) -> hours
    h.gate(r1, "qa-lead", at("03-02", "10:00"), at("03-02", "14:00"), reminders_sent=1)  # 4
    h.gate(r1, "devops-engineer", at("03-02", "10:00"), at("03-03", "09:00"))  # 23
    h.gate(r3, "qa-lead", at("03-01"), at("03-05"), reminders_sent=5)  # 96, opened before
    h.gate(r2, "qa-lead", at("03-09"), at("03-09", "02:00"))  # 2
    h.gate(r5, "ux-designer", at("03-25"), at("03-26"), state="rejected")  # 24, rejected
    h.gate(r4, "qa-lead", at("03-29"), at("03-30"))  # decided after the period
    h.gate(r5, "business-analyst", at("03-25"), reminders_sent=3, escalations_sent=1)  # open
    h.gate(r5, "qa-lead", None)  # not open yet: neither waiting nor decided
    h.event(r5, "gate.rejected", "UX Designer", at("03-26"))
    h.event(r3, "gate.rejected", "UX Designer", at("02-20"))  # before the period
    h.event(r3, "gate.stale", "QA Lead", at("03-05"))

    # Hand-offs: due / sent
    h.handoff(r1, "qa-to-devops", at("03-02", "18:00"), at("03-02", "17:00"))  # on time
    h.handoff(
        r1, "devops-to-project-manager", at("03-03", "12:00"), at("03-04", "12:00")
    )  # 24 late
    # Sent after its due time but before its overdue time (the guide's "within a few hours"):
    # on time.
    h.handoff(
        r2,
        "devops-to-project-manager",
        at("03-10", "02:00"),
        at("03-10", "03:00"),
        overdue=at("03-10", "04:00"),
    )
    h.handoff(r2, "qa-to-devops", at("03-09", "12:00"), at("03-09", "15:00"))  # 3 late
    h.handoff(r5, "qa-to-devops", at("03-27"), None)  # 108 late by now, not sent
    h.handoff(r0, "qa-to-devops", at("02-28"), None)  # due before the period
    cancelled = h.release(stage=Stage.CANCELLED, created_at=at("03-03"))
    h.handoff(cancelled, "qa-to-devops", at("03-04"), None)  # a cancelled release owes nothing
    return {"r5": r5}


def figures(report):
    return {f.key: f for f in report.delivery}


def test_percentiles_by_hand():
    assert median([4, 48, 120, 960]) == 84
    assert p90([4, 48, 120, 960]) == 960
    assert p90(range(1, 11)) == 9  # the 9th of ten values has 90 % at or below it
    assert median([]) is None and p90([]) is None


def test_the_five_delivery_metrics(history):
    f = figures(build(PERIOD, None))
    assert f["frequency"].count == 5
    assert f["frequency"].value == pytest.approx(1.25)  # 5 attempts in 4 weeks
    assert f["frequency"].band.name == "High"
    assert f["lead-time"].value == 84  # median of 4, 48, 120, 960 h
    assert f["lead-time"].p90 == 960
    assert f["lead-time"].band.name == "High"  # between a day and a week
    assert f["change-fail-rate"].value == pytest.approx(60)  # 3 of 5
    assert f["change-fail-rate"].band.name == "Low"
    assert f["recovery-time"].count == 4  # Y, W, F, X; Q and Z not restored in the period
    assert f["recovery-time"].value == pytest.approx(7.5)  # median of 2, 3, 12, 132 h
    assert f["recovery-time"].p90 == 132
    assert f["recovery-time"].band.name == "High / Medium"
    assert f["rework-rate"].value == pytest.approx(20)  # R4 of 5
    assert f["rework-rate"].band is None


def test_staging_lead_time_and_incidents_open_at_the_end(history):
    report = build(PERIOD, None)
    assert report.staging_lead_time.value == 60  # median of 3, 24, 96, 288 h
    assert report.still_open == 2  # Q (restored after the period) and Z


def test_the_release_type_narrows_every_figure(history):
    report = build(PERIOD, "patch")
    f = figures(report)
    assert f["frequency"].count == 1 and f["rework-rate"].value == 100
    assert f["lead-time"].value == 4
    assert f["change-fail-rate"].value == 100  # Z followed it
    assert f["recovery-time"].count == 0 and report.still_open == 1  # Z only
    assert all(r.decided == 0 for r in report.roles)


def test_sign_off_latency_per_role(history):
    rows = {r.role: r for r in build(PERIOD, None).roles}
    qa = rows["QA Lead"]
    assert (qa.decided, qa.median, qa.p90) == (3, 4, 96)  # 2, 4, 96 h
    assert qa.stale == 1 and qa.rejections == 0
    assert qa.reminders == 1  # the gate opened before the period does not count
    assert (rows["DevOps Engineer"].median, rows["DevOps Engineer"].p90) == (23, 23)
    ux = rows["UX Designer"]
    assert (ux.decided, ux.median, ux.rejections) == (1, 24, 1)
    ba = rows["Business Analyst"]
    assert (ba.decided, ba.median, ba.reminders, ba.escalations) == (0, None, 3, 1)
    assert list(rows) == [
        "QA Lead",
        "DevOps Engineer",
        "Business Analyst",
        "UX Designer",
        "Customer Success Manager",
        "Product Manager",
        "Project Manager",
    ]


def test_the_slowest_open_gates_now(history, team):
    r5 = history["r5"]
    gates = build(PERIOD, None).open_gates
    assert [(g.role, g.release_id, g.holder) for g in gates] == [
        ("Business Analyst", r5.pk, "nobody")
    ]
    RoleAssignment.objects.create(
        release=r5, role=Role.objects.get(key="business-analyst"), holder=team["business-analyst"]
    )
    assert build(PERIOD, None).open_gates[0].holder == display_name(team["business-analyst"])


def test_hand_off_punctuality(history):
    rows = {h.name: h for h in build(PERIOD, None).handoffs}
    qa = rows["QA Lead → DevOps Engineer"]
    assert (qa.on_time, qa.late, qa.not_sent) == (1, 2, 1)
    assert qa.median_late == pytest.approx(55.5)  # 3 h and 108 h (03-27 00:00 to now)
    assert qa.max_late == pytest.approx(108)
    devops = rows["DevOps Engineer → Project Manager"]
    assert (devops.on_time, devops.late, devops.max_late) == (1, 1, 24)
    assert len(rows) == 2


def test_weekly_trends(history):
    report = build(PERIOD, None)
    charts = {c.key: c for c in report.charts}
    assert charts["deploys"].labels == ["2026-03-02", "2026-03-09", "2026-03-16", "2026-03-23"]
    assert [s.values for s in charts["deploys"].series] == [[1, 3, 1, 0], [0, 2, 1, 0]]
    assert charts["lead-time"].series[0].values == [2.0, 22.5, 0.17, None]  # days
    assert charts["change-fail-rate"].series[0].values == [0, 66.67, 100, None]
    assert charts["recovery-time"].series[0].values == [132, 2.5, 12, None]
    assert charts["rework-rate"].series[0].values == [0, 0, 100, None]
    assert charts["signoff-latency"].series[0].values == [23, 2, None, 24]
    assert [s.values for s in charts["handoffs"].series] == [[1, 1, 0, 0], [1, 1, 0, 1]]
    by_role = charts["signoff-latency-by-role"]
    assert by_role.labels[0] == "QA Lead" and by_role.series[1].values[0] == 96


def test_an_empty_period(team):
    period = Period(first=date(2026, 3, 2), last=date(2026, 3, 8), now=NOW)
    report = build(period, None)
    f = figures(report)
    assert f["frequency"].value == 0 and f["frequency"].band is None
    assert all(f[k].value is None for k in ("lead-time", "change-fail-rate", "recovery-time"))
    assert report.handoffs == [] and report.open_gates == [] and report.still_open == 0
    assert charts_empty(report)


def charts_empty(report) -> bool:
    return all(not any(v for v in s.values) for c in report.charts for s in c.series)


def test_a_period_with_one_deploy(team):
    h = History(team.admin)
    h.release(created_at=at("03-02"), staged_at=at("03-03"), deployed_at=at("03-04", "06:00"))
    f = figures(build(Period(first=date(2026, 3, 2), last=date(2026, 3, 8), now=NOW), None))
    assert f["frequency"].value == 1  # one deploy in one week
    assert f["lead-time"].value == f["lead-time"].p90 == 54
    assert f["change-fail-rate"].value == 0 and f["change-fail-rate"].band.name == "Elite"


def test_weeks_and_days_are_read_in_the_display_time_zone(team, settings):
    """Sunday 23:30 UTC is Monday 00:30 in Berlin: another day and another week there."""
    settings.TIME_ZONE = "Europe/Berlin"
    h = History(team.admin)
    h.release(created_at=at("03-01"), staged_at=at("03-02"), deployed_at=at("03-08", "23:30"))
    monday = Period(first=date(2026, 3, 9), last=date(2026, 3, 9), now=NOW)
    report = build(monday, None)
    assert figures(report)["frequency"].count == 1
    assert report.chart("deploys").labels == ["2026-03-09"]
    settings.TIME_ZONE = "UTC"
    monday = Period(first=date(2026, 3, 9), last=date(2026, 3, 9), now=NOW)
    assert figures(build(monday, None))["frequency"].count == 0


def test_a_week_across_the_change_to_summer_time(team, settings):
    """Berlin moves its clocks on Sunday 2026-03-29; the week still starts at local midnight."""
    settings.TIME_ZONE = "Europe/Berlin"
    period = Period(first=date(2026, 3, 23), last=date(2026, 3, 29), now=NOW)
    assert period.start == at("03-22", "23:00")  # 00:00 CET
    assert period.end == at("03-29", "22:00")  # 00:00 CEST on Monday
    # Aware datetimes in one zone subtract as wall times; the instants are an hour closer.
    assert period.end.astimezone(UTC) - period.start.astimezone(UTC) == timedelta(days=7, hours=-1)


def test_the_report_costs_a_fixed_number_of_queries(history, django_assert_num_queries):
    with django_assert_num_queries(9):
        build(PERIOD, None)
    with django_assert_num_queries(9):
        build(Period(first=date(2026, 3, 2), last=date(2026, 3, 8), now=NOW), "major")
