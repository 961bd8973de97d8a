"""The audit trail's hash chain: tamper evidence for the append-only audit events.

Each event's `chain_hash` is sha256 over a canonical encoding of its content and the previous
event's hash (by id). Editing a row behind the application's back, deleting one or slipping
one in breaks the chain at that point, and `verify` (behind `manage.py verify_audit`) names
the first event that no longer matches. Anyone who can write the table can also recompute
every later hash, so the chain proves the most when its latest hash is noted somewhere else
now and then (a ticket, a log shipped off the machine) and checked with `anchor`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connection

from .models import AuditEvent

# The content an event's hash covers, besides its time and the previous hash. The id is not
# in it: it is only known after the insert, and the order of the chain covers it anyway.
CONTENT = (
    "release_id",
    "actor_id",
    "on_behalf_of_id",
    "verb",
    "subject",
    "from_state",
    "to_state",
    "comment",
)
# The "previous hash" of the first event.
GENESIS = ""
# pg_advisory_xact_lock key that serializes writers of the chain (any constant the app uses
# for nothing else; "audit" in ASCII).
CHAIN_LOCK = 0x6175646974


def utc_iso(value: dt.datetime) -> str:
    """The time as it goes into a hash: ISO 8601 in UTC with microseconds, the precision both
    PostgreSQL and SQLite keep, so a row reads back to the same text it was hashed from."""
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def event_hash(event: AuditEvent | Mapping[str, Any], previous: str) -> str:
    """The chain hash of `event` (a model instance, historical ones too, or a `.values()` row)
    following an event whose hash is `previous`."""
    get = event.__getitem__ if isinstance(event, Mapping) else event.__getattribute__
    material: dict[str, Any] = {name: get(name) for name in CONTENT}
    material["created_at"] = utc_iso(get("created_at"))
    material["previous"] = previous
    encoded = json.dumps(material, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def lock_chain() -> None:
    """Serialize the writers of the chain until the current transaction ends, so no two
    transactions chain onto the same predecessor. SQLite needs nothing: it has one writer at
    a time already (the settings open every transaction IMMEDIATE)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])


def head() -> str:
    """The latest event's hash, what the next event chains onto. Call after `lock_chain`."""
    latest = AuditEvent.objects.order_by("-id").values_list("chain_hash", flat=True).first()
    return latest or GENESIS


def seal(event: AuditEvent) -> None:
    """Give an unsaved event its chain hash; the caller inserts it in the same transaction."""
    lock_chain()
    event.chain_hash = event_hash(event, head())


@dataclass(frozen=True)
class Break:
    """The first event that does not match, and what is wrong with it."""

    event_id: int
    created_at: dt.datetime
    verb: str
    release_id: int | None
    problem: str

    def describe(self) -> str:
        release = f"release #{self.release_id}" if self.release_id else "no release"
        return (
            f"Audit event #{self.event_id} ({utc_iso(self.created_at)}, {self.verb}, "
            f"{release}) does not match: {self.problem}"
        )


@dataclass(frozen=True)
class Verdict:
    checked: int  # events that matched, in id order, before the break if any
    last_hash: str
    broken: Break | None = None
    anchor_missing: bool = False

    @property
    def intact(self) -> bool:
        return self.broken is None and not self.anchor_missing


def _problem(row: Mapping[str, Any], previous: str, before_previous: str | None) -> str:
    previous_id = row["previous_id"]
    if not row["chain_hash"]:
        return "it has no chain hash: it was written behind the application's back."
    if before_previous is not None and row["chain_hash"] == event_hash(row, before_previous):
        # It was chained onto the event before its predecessor: that predecessor came later.
        after = row["before_previous_id"]
        written = f"after event #{after}" if after is not None else "as the first event"
        return (
            f"the chain is broken: it was written {written}, "
            f"so event #{previous_id} before it was inserted or rewritten afterwards."
        )
    problem = (
        "its content was changed after it was written, or the chain is broken: "
        "an event before it was deleted, inserted or rewritten"
    )
    if previous_id is not None and row["id"] - previous_id > 1:
        # Ids also skip when a transaction rolls back, so a gap is a clue, not a proof.
        problem += f" (ids #{previous_id + 1}-#{row['id'] - 1} are missing)"
    elif previous_id is None and row["id"] > 1:
        problem += f" (it is the first event left; ids #1-#{row['id'] - 1} are missing)"
    return problem + "."


def verify(*, anchor: str = "", chunk_size: int = 2000) -> Verdict:
    """Recompute the chain in id order, streaming, and stop at the first event that does not
    match. `anchor`: a hash noted earlier, which must still be in the chain."""
    fields = ("id", "created_at", "chain_hash", *CONTENT)
    rows = AuditEvent.objects.order_by("id").values(*fields).iterator(chunk_size=chunk_size)
    previous, before_previous = GENESIS, None
    previous_id: int | None = None
    before_previous_id: int | None = None
    checked, anchor_seen = 0, not anchor
    for row in rows:
        if row["chain_hash"] and row["chain_hash"] == event_hash(row, previous):
            checked += 1
            anchor_seen = anchor_seen or row["chain_hash"] == anchor
            before_previous, previous = previous, row["chain_hash"]
            before_previous_id, previous_id = previous_id, row["id"]
            continue
        context = {**row, "previous_id": previous_id, "before_previous_id": before_previous_id}
        problem = _problem(context, previous, before_previous)
        broken = Break(row["id"], row["created_at"], row["verb"], row["release_id"], problem)
        return Verdict(checked, previous, broken=broken)
    return Verdict(checked, previous, anchor_missing=not anchor_seen)
