"""The Insights report: the period's rows read once (queries.py), every figure computed from
them (metrics.py) and each trend drawn as a chart whose numbers also download as CSV."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from . import metrics, queries
from .charts import Chart, Series
from .metrics import HandoffRow, Report, RoleRow, hours, median, share
from .periods import Period
from .queries import Decision, Deploy, HandoffDue, Recovery

# The two charts the page shows beside their tables rather than among the weekly trends.
BY_ROLE = "signoff-latency-by-role"
BY_HANDOFF = "handoff-punctuality"


def build(period: Period, release_type: str | None) -> Report:
    """Nine queries whatever the period or the history (tests pin the count)."""
    deploys = queries.deploys(period, release_type)
    recoveries = queries.recoveries(period, release_type)
    decisions = queries.decisions(period, release_type)
    due = queries.handoffs_due(period, release_type)
    role_rows = metrics.roles(
        queries.roles(),
        decisions,
        queries.gate_events(period, release_type),
        queries.chasing(period, release_type),
    )
    handoff_rows = metrics.handoffs(due, period.now)
    return Report(
        period=period,
        delivery=metrics.delivery(period, deploys, recoveries),
        staging_lead_time=metrics.staging_lead_time(deploys),
        still_open=metrics.still_open(period, recoveries),
        roles=role_rows,
        open_gates=queries.open_gates(release_type),
        handoffs=handoff_rows,
        charts=[
            *trends(period, deploys, recoveries, decisions, due),
            *breakdowns(role_rows, handoff_rows),
        ],
    )


def _r(value: float | None) -> float | None:
    # Two decimals are more than a chart or a spreadsheet of hours and percentages needs.
    return None if value is None else round(value, 2)


def trends(
    period: Period,
    deploys: list[Deploy],
    recoveries: list[Recovery],
    decisions: list[Decision],
    due: list[HandoffDue],
) -> list[Chart]:
    labels = [week.isoformat() for week in period.weeks]

    def per_week(items: Iterable, when: Callable, value: Callable) -> list[float | None]:
        return [_r(value(b)) for b in metrics.weekly(period, items, when).values()]

    by_deploy = lambda d: d.at  # noqa: E731 (three charts bucket deploys by their time)
    failed = lambda ds: sum(d.failed for d in ds)  # noqa: E731
    went = [d for d in deploys if d.succeeded]
    return [
        Chart(
            "deploys",
            "Production deploys per week",
            "Deploy attempts to production each week, and how many of them failed or were "
            "followed by an incident or a rollback.",
            labels,
            [
                Series("Deploys", per_week(deploys, by_deploy, len)),
                Series("Failed", per_week(deploys, by_deploy, failed)),
            ],
            "deploys",
        ),
        Chart(
            "lead-time",
            "Change lead time per week",
            "Median days from a release's creation to its production deploy, by deploy week.",
            labels,
            [
                Series(
                    "Median",
                    per_week(
                        went, by_deploy, lambda ds: _days(hours(d.created_at, d.at) for d in ds)
                    ),
                )
            ],
            "days",
            kind="line",
        ),
        Chart(
            "change-fail-rate",
            "Change fail rate per week",
            "The share of the week's production deploys that failed or were followed by an "
            "incident or a rollback.",
            labels,
            [
                Series(
                    "Change fail rate",
                    per_week(deploys, by_deploy, lambda ds: share(failed(ds), len(ds))),
                )
            ],
            "%",
            kind="line",
        ),
        Chart(
            "recovery-time",
            "Failed deployment recovery time per week",
            "Median hours from an incident's opening to service restored (rolled back, mitigated "
            "or resolved), by the week it was restored.",
            labels,
            [
                Series(
                    "Median",
                    per_week(
                        recoveries,
                        lambda r: r.restored_at,
                        lambda rs: median(hours(r.opened_at, r.restored_at) for r in rs),
                    ),
                )
            ],
            "hours",
            kind="line",
        ),
        Chart(
            "rework-rate",
            "Deployment rework rate per week",
            "The share of the week's production deploys that were fix-forward patches for an "
            "incident.",
            labels,
            [
                Series(
                    "Rework rate",
                    per_week(
                        deploys, by_deploy, lambda ds: share(sum(d.rework for d in ds), len(ds))
                    ),
                )
            ],
            "%",
            kind="line",
        ),
        Chart(
            "signoff-latency",
            "Sign-off latency per week",
            "Median hours from a gate opening to its decision, all roles, by decision week.",
            labels,
            [
                Series(
                    "Median",
                    per_week(
                        decisions,
                        lambda d: d.decided_at,
                        lambda ds: median(hours(d.opened_at, d.decided_at) for d in ds),
                    ),
                )
            ],
            "hours",
            kind="line",
        ),
        Chart(
            "handoffs",
            "Hand-offs per week, on time and late",
            "Hand-offs by the week they were due: sent before they became overdue, or late.",
            labels,
            [
                Series(
                    "On time", per_week(due, lambda h: h.due_at, lambda hs: _on_time(hs, period))
                ),
                Series(
                    "Late",
                    per_week(due, lambda h: h.due_at, lambda hs: len(hs) - _on_time(hs, period)),
                ),
            ],
            "hand-offs",
        ),
    ]


def breakdowns(role_rows: list[RoleRow], handoff_rows: list[HandoffRow]) -> list[Chart]:
    return [
        Chart(
            BY_ROLE,
            "Sign-off latency by role",
            "Hours from a gate opening to its decision in the period: median and 90th "
            "percentile per role.",
            [r.role for r in role_rows],
            [
                Series("Median", [_r(r.median) for r in role_rows]),
                Series("90th percentile", [_r(r.p90) for r in role_rows]),
            ],
            "hours",
            label_heading="Role",
        ),
        Chart(
            BY_HANDOFF,
            "Hand-off punctuality",
            "Hand-offs due in the period, by hand-off: sent before they became overdue, or late.",
            [h.name for h in handoff_rows],
            [
                Series("On time", [h.on_time for h in handoff_rows]),
                Series("Late", [h.late for h in handoff_rows]),
            ],
            "hand-offs",
            label_heading="Hand-off",
        ),
    ]


def _days(values: Iterable[float]) -> float | None:
    m = median(values)
    return None if m is None else m / 24


def _on_time(items: list[HandoffDue], period: Period) -> int:
    return sum(metrics.lateness(h, period.now) is None for h in items)
