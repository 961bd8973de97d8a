"""Gates an expedited policy lets sign after the deploy (`SignOff.retroactive`).

They stay on the release, open, through the deploy; the deploy sets each one's due time (the
deploy time plus the hours its release was created with) and asks its people to sign. Signed
after the deploy, a decision changes no stage: an approval clears a close blocker, a rejection
is one more (readiness) and tells the people who decide what to do about production.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from releases import notices
from releases.models import AuditEvent, Release

from ..models import GateState, SignOff
from .sync import _sync_checklist


def set_due(
    release: Release, gates: Sequence[SignOff], *, now: datetime, event: AuditEvent
) -> None:
    """At the production deploy (caller holds the release lock): due times, and the asks.

    `gates`: the release's gates the deploy already loaded; under the guide none is
    retroactive and this runs no query."""
    retroactive = [g for g in gates if g.retroactive]
    if not retroactive:
        return
    for gate in retroactive:
        gate.due_at = now + timedelta(hours=gate.retroactive_hours or 0)
        gate.release = release
    SignOff.objects.bulk_update(retroactive, ["due_at"])
    # One signed before the deploy is done; the rest are asked now.
    notices.retroactive_due(
        release, [g for g in retroactive if g.state != GateState.APPROVED], event
    )


def decided_after_deploy(release: Release, gate: SignOff, event: AuditEvent) -> None:
    """A retroactive gate decided on a deployed release (caller holds the locks)."""
    _sync_checklist(release)
    if gate.state == GateState.REJECTED:
        notices.retroactive_rejected(gate, event)
