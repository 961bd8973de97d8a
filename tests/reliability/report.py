"""Figures the reliability tests record; `make reliability` writes them to docs/reliability.md."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

FIGURES: dict[str, dict[str, Any]] = defaultdict(dict)


def record(section: str, **values: Any) -> None:
    FIGURES[section].update(values)


def add(section: str, key: str, amount: int = 1) -> None:
    FIGURES[section][key] = FIGURES[section].get(key, 0) + amount
