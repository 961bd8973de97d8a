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
from .freezes import (
    FreezeLine,
    FreezePage,
    freeze_line,
    freeze_page,
    release_freezes,
    window_frozen,
)
from .my_work import MY_WORK_LIMIT, NEXT_STEPS, Listing, MyWork, NextStep, my_work
from .pipeline import PipelineCard, pipeline_card
from .release_page import approvals_affected_by, next_step_blockers, release_page
from .team import TeamPage, team_page

__all__ = [
    "FINISHED",
    "MY_WORK_LIMIT",
    "NEXT_STEPS",
    "PAGE_SIZE",
    "FreezeLine",
    "FreezePage",
    "GateView",
    "Listing",
    "MyWork",
    "NextStep",
    "PipelineCard",
    "ReleaseSummary",
    "TeamPage",
    "approvals_affected_by",
    "blockers",
    "dashboard",
    "freeze_line",
    "freeze_page",
    "my_work",
    "next_step_blockers",
    "pipeline_card",
    "recently_finished",
    "release_freezes",
    "release_page",
    "summaries",
    "summarize",
    "team_page",
    "window_frozen",
]
