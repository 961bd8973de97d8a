"""Reads about deploy freezes for the pages: the freeze page, the dashboard's line and flags,
the release page's flag. The rules themselves are in `releases.freezes`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .. import freezes as freeze_rules
from ..models import Freeze, Release, Stage

# Stages whose deploy is still ahead: a window falling in a freeze matters only there.
BEFORE_DEPLOY = (Stage.PLANNING, Stage.STAGING, Stage.APPROVED)
ENDED_SHOWN = 20


@dataclass
class FreezeLine:
    """What the dashboard and the freeze page say first: the freeze in force, else the next."""

    in_force: freeze_rules.Period | None
    upcoming: freeze_rules.Period | None


def freeze_line(freezes: list[Freeze], now: datetime) -> FreezeLine:
    in_force = freeze_rules.in_force(freezes, now)
    upcoming = freeze_rules.next_after(freezes, in_force.end if in_force else now)
    return FreezeLine(in_force, upcoming)


def release_freezes(release: Release, now: datetime) -> list[Freeze]:
    """The active freezes, read (one query) only for a release whose deploy is next or whose
    window is set and still ahead of its deploy; [] without a query otherwise."""
    if release.stage == Stage.APPROVED or (
        release.stage in BEFORE_DEPLOY and release.window_start and release.window_end
    ):
        return freeze_rules.active(now)
    return []


def window_frozen(release: Release, freezes: list[Freeze]) -> freeze_rules.Period | None:
    """The freeze the release's window falls in, if its deploy is still ahead."""
    if release.stage not in BEFORE_DEPLOY:
        return None
    return freeze_rules.overlapping(freezes, release.window_start, release.window_end)


def card_flag(freezes: list[Freeze], stage: str, start: Any, end: Any) -> int:
    """The part of a dashboard card's cache key that the freeze flag adds: the id of the
    freeze its window falls in, 0 for none."""
    if stage not in BEFORE_DEPLOY:
        return 0
    period = freeze_rules.overlapping(freezes, start, end)
    return period.freeze.pk if period else 0


@dataclass
class FreezeRow:
    freeze: Freeze
    description: str


@dataclass
class FreezePage:
    line: FreezeLine
    active: list[FreezeRow] = field(default_factory=list)
    ended: list[FreezeRow] = field(default_factory=list)


def freeze_page(now: datetime) -> FreezePage:
    """Every freeze still in force or ahead, and the latest ended ones (two queries)."""
    active = list(freeze_rules.active_query(now).select_related("created_by"))
    ended = list(
        Freeze.objects.exclude(pk__in=[f.pk for f in active]).order_by("-created_at", "-id")[
            :ENDED_SHOWN
        ]
    )
    return FreezePage(
        line=freeze_line(active, now),
        active=[FreezeRow(f, freeze_rules.describe(f)) for f in active],
        ended=[FreezeRow(f, freeze_rules.describe(f)) for f in ended],
    )
