"""Where a figure falls among the performance clusters of DORA's 2024 Accelerate State of
DevOps report, the latest to publish clusters per metric (the 2025 report describes team
archetypes instead, and no report has clusters for the deployment rework rate).

One table per metric, read from the report. Its change fail rates do not rise with the
cluster (Elite 5 %, Medium 10 %, High 20 %, Low 40 %), so a rate falls in the cluster whose
reported rate is nearest; and High and Medium share "less than one day" of recovery time.
"""

from __future__ import annotations

from dataclasses import dataclass

HOUR = 1.0
DAY = 24 * HOUR
WEEK = 7 * DAY


@dataclass(frozen=True)
class Band:
    name: str  # "Elite", "High", "Medium", "Low", or "High / Medium"
    meaning: str  # the report's words for the cluster on this metric


def frequency(per_week: float | None) -> Band | None:
    if not per_week:
        return None
    if per_week > 7:
        return Band("Elite", "on demand, several deploys a day")
    if per_week >= 1:
        return Band("High", "between once a day and once a week")
    if per_week >= 7 / 30:
        return Band("Medium", "between once a week and once a month")
    return Band("Low", "between once a month and once every six months")


def lead_time(hours: float | None) -> Band | None:
    if hours is None:
        return None
    if hours < DAY:
        return Band("Elite", "less than one day")
    if hours < WEEK:
        return Band("High", "between one day and one week")
    if hours < 30 * DAY:
        return Band("Medium", "between one week and one month")
    return Band("Low", "between one month and six months")


def change_fail_rate(percent: float | None) -> Band | None:
    if percent is None:
        return None
    if percent <= 7.5:
        return Band("Elite", "about 5 %")
    if percent <= 15:
        return Band("Medium", "about 10 %")
    if percent <= 30:
        return Band("High", "about 20 %")
    return Band("Low", "about 40 %")


def recovery_time(hours: float | None) -> Band | None:
    if hours is None:
        return None
    if hours < HOUR:
        return Band("Elite", "less than one hour")
    if hours < DAY:
        return Band("High / Medium", "less than one day")
    return Band("Low", "between one week and one month")
