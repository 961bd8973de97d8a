"""Throttles: "at most once per interval" for anything keyed by a string, safe under races."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from .models import Throttle

# The "last time" of a key never seen before: long enough ago for any interval.
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def claim_many(keys: Iterable[str], *, now: datetime, interval: timedelta) -> set[str]:
    """The keys whose interval has passed, claimed for this caller alone (in its transaction).

    Rows another sweep holds right now are skipped rather than waited for; once it commits
    they carry its time and are no longer due, so two sweeps never claim the same key.
    """
    keys = list(keys)
    if not keys:
        return set()
    Throttle.objects.bulk_create(
        [Throttle(key=k, last_at=EPOCH) for k in keys], ignore_conflicts=True, batch_size=5000
    )
    due = list(
        Throttle.objects.select_for_update(skip_locked=True)
        .filter(key__in=keys, last_at__lte=now - interval)
        .values_list("pk", "key")
    )
    Throttle.objects.filter(pk__in=[pk for pk, _ in due]).update(last_at=now)
    return {key for _, key in due}
