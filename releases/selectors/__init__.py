"""Reads for the pages: a fixed number of queries whatever the number of releases."""

from .dashboard import (
    FINISHED,
    PAGE_SIZE,
    GateView,
    ReleaseSummary,
    blockers,
    dashboard,
    recently_finished,
    summaries,
    summarize,
)
from .my_work import MY_WORK_LIMIT, NEXT_STEPS, Listing, MyWork, NextStep, my_work
from .release_page import approvals_affected_by, next_step_blockers, release_page

__all__ = [
    "FINISHED",
    "MY_WORK_LIMIT",
    "NEXT_STEPS",
    "PAGE_SIZE",
    "GateView",
    "Listing",
    "MyWork",
    "NextStep",
    "ReleaseSummary",
    "approvals_affected_by",
    "blockers",
    "dashboard",
    "my_work",
    "next_step_blockers",
    "recently_finished",
    "release_page",
    "summaries",
    "summarize",
]
