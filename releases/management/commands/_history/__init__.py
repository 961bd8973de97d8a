"""The demo's six months of history: about sixty finished releases, so that Insights has
deploys, lead times, failures, recoveries, sign-off latencies and hand-offs to chart.

Every step goes through the services the pages use, with the clock moved to the moment it
happened (time-machine), in the order the moments fall, so the audit chain, the stages and
the one-release-in-production rule come out as a real team would have left them. The daily
sweeps (gate reminders and escalations, hand-off chasing, the 24-48 h follow-ups) run each
weekday morning of the history too, so reminders and escalations count as they would have.

The plan is drawn from `random.Random(2026)`, relative to now: the same history on every run
of the same day, ending a few days ago. Built in one transaction, all or nothing, and only on
a database where no release reached production yet: the history's versions lie below the
demo's current releases, and a deploy under a version in production would be a downgrade.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from datetime import datetime, timedelta

import time_machine
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from notifications.models import Notification, NotificationState, WebhookDelivery
from releases import services
from releases.chase.follow_ups import run_follow_ups
from releases.chase.handoffs import chase_handoffs
from releases.models import Release, Stage
from releases.reminders import send_reminders

from .plan import DEVOPS, LATENCY, PM, QA, SEED, H, Planned, at_hour, plan, weekdays
from .steps import Steps

__all__ = ["History"]


class History(Steps):
    """Builds the planned releases step by step, every step at its own moment."""

    def __init__(self, users: dict[str, AbstractBaseUser]) -> None:
        self.users = users
        self.rng = random.Random(SEED)
        self.steps: list[tuple[datetime, int, Callable[[], None]]] = []
        self.count = 0

    # --- the schedule -------------------------------------------------------------------

    def at(self, when: datetime, step: Callable[[], None]) -> datetime:
        """Run `step` at `when` (steps at the same moment run in the order they were added)."""
        self.count += 1
        heapq.heappush(self.steps, (when, self.count, step))
        return when

    def build(self, now: datetime) -> int:
        """Build the history in one transaction; returns the number of releases made."""
        planned = plan(now, self.rng)
        if (
            Release.objects.exclude(stage=Stage.CANCELLED)
            .filter(version__in=[p.version for p in planned])
            .exists()
            or Release.objects.reached_production().exists()
        ):
            return 0
        connection = transaction.get_connection()
        with transaction.atomic():
            callbacks = len(connection.run_on_commit)
            notices = Notification.objects.order_by("-pk").values_list("pk", flat=True).first()
            deliveries = WebhookDelivery.objects.order_by("-pk").values_list("pk", flat=True)
            deliveries = deliveries.first()
            for p in planned:
                self._schedule(p, planned)
            first, last = self.steps[0][0], max(s[0] for s in self.steps)
            for day in weekdays(first.date(), last.date()):
                self.at(at_hour(day, 7.5), self._sweep)
            while self.steps:
                when, _, step = heapq.heappop(self.steps)
                with time_machine.travel(when, tick=True):
                    step()
            # Months-old notices and webhook deliveries: the worker at `make run` would mail
            # and post every one of them. They count as delivered when they were written.
            # (Written before `now`: anyone else's written meanwhile stay pending.)
            pending = {"state": NotificationState.PENDING, "created_at__lt": now}
            Notification.objects.filter(pk__gt=notices or 0, **pending).update(
                state=NotificationState.SENT, sent_at=F("created_at")
            )
            WebhookDelivery.objects.filter(pk__gt=deliveries or 0, **pending).update(
                state=NotificationState.SENT, delivered_at=F("created_at")
            )
            # Each of those writes also queued a worker kick for after the commit: about two
            # thousand broker messages for notices already delivered. Django has no public
            # way to withdraw an on_commit callback; the list is its long-standing internal.
            del connection.run_on_commit[callbacks:]
        return len(planned)

    def _sweep(self) -> None:
        """What the worker's beat would have done that morning."""
        now = timezone.now()
        send_reminders(now)
        chase_handoffs(now)
        run_follow_ups(now)

    def _schedule(self, p: Planned, planned: list[Planned]) -> None:
        rng = self.rng
        lead = p.deploy - p.created
        staged = p.created + lead * rng.uniform(0.15, 0.3)
        if p.story != "fix":
            self.at(p.created, lambda: self._create(p))
        else:
            # The patch is created from the incident (`_break` of the release before it); its
            # notes and window are filled in right after.
            self.at(p.created + 0.2 * H, lambda: self._fill_in(p))
        self.at(p.created + (staged - p.created) / 2, lambda: self._tick_pre_release(p))
        self.at(staged, lambda: self._call(services.release_move_to_staging, p, DEVOPS))
        # Everything before the deploy fits in the time before it (a failed first attempt
        # three hours earlier).
        ready_by = p.deploy - (4 * H if p.story == "failed_first" else H)
        room = (ready_by - staged) * 0.8
        hours = room / H

        def soon(after: datetime, typical: float) -> datetime:
            return min(after + typical * rng.uniform(0.4, 1.6) * H, staged + room)

        limit = staged + room
        edit = staged + room * 0.35 if p.edited else None
        decided: dict[str, datetime] = {}
        for key, typical in LATENCY.items():
            when = soon(staged, typical)
            if key == p.rejected:
                reject = staged + (when - staged) * 0.5
                self.at(reject, lambda k=key: self._reject(p, k))
                when = max(when, reject + rng.uniform(2, 12) * H)
                when = min(when, staged + room)
            self.at(when, lambda k=key: self._approve(p, k))
            if edit is not None and when < edit:
                # Signed before the scope changed: signed again, on what it says now.
                when = min(edit + rng.uniform(1, max(2, hours * 0.3)) * H, staged + room)
                self.at(when, lambda k=key: self._approve(p, k))
            decided[key] = when
        if edit is not None:
            self.at(edit, lambda: self._edit(p))
        # The QA Lead's hand-off is due a day after staging; about one in three is late.
        sent = staged + (rng.uniform(26, 40) if rng.random() < 0.3 else rng.uniform(4, 22)) * H
        if edit is not None:
            sent = max(sent, edit + H)
        sent = min(sent, staged + room)
        self.at(sent, lambda: self._send(p, "qa-to-devops"))
        proceed = min(sent + rng.uniform(0.5, 3) * H, limit)
        self.at(proceed, lambda: self._proceed(p))
        confirmed = max([proceed, *decided.values()]) + rng.uniform(0.5, 4) * H
        confirmed = min(confirmed, ready_by - 0.5 * H)
        self.at(confirmed, lambda: self._approve(p, PM))
        self.at(confirmed + 0.25 * H, lambda: self._go(p))
        if p.story == "failed_first":
            self._failed_first(p)
        self.at(p.deploy, lambda: self._call(services.release_record_deploy, p, DEVOPS))
        self._after_deploy(p, planned)

    def _after_deploy(self, p: Planned, planned: list[Planned]) -> None:
        rng, d = self.rng, p.deploy
        p.done = d
        if p.story == "rolled_back":
            self._roll_back(p, planned)
            return
        self._later(p, d + rng.uniform(0.5, 3) * H, lambda: self._verify(p))
        # The guide's post-deploy hand-offs; some go out after their due time.
        timing = {
            "devops-to-project-manager": (0.5, 1.6, 2.5, 6),
            "project-manager-to-csm": (0.1, 0.9, 1.5, 5),
            "csm-to-product-manager": (16, 23, 26, 52),
        }
        for key, (a, b, late_a, late_b) in timing.items():
            late = rng.random() < 0.2
            sent = d + rng.uniform(late_a, late_b) * H if late else d + rng.uniform(a, b) * H
            self._later(p, sent, lambda k=key: self._send(p, k))
            self._later(p, sent + rng.uniform(0.3, 8) * H, lambda k=key: self._acknowledge(p, k))
        self._later(p, d + rng.uniform(20, 40) * H, lambda: self._duties(p))
        if p.story == "fixed_forward":
            self._break(p, planned[p.index + 1])
        if p.story == "failed_first":
            self._review(p, d + rng.uniform(1, 3) * H, "Raise the migration lock timeout")
        self.at(p.done + rng.uniform(1, 8) * H, lambda: self._call(services.release_close, p, PM))

    def _later(self, p: Planned, when: datetime, step: Callable[[], None]) -> None:
        p.done = max(p.done or when, self.at(when, step))

    # --- stories ------------------------------------------------------------------------

    def _failed_first(self, p: Planned) -> None:
        """The first attempt fails: the deploy was aborted, the release before it kept
        serving; three hours later it goes through."""
        d = p.deploy

        def fail() -> None:
            incident = services.release_record_failed_deploy(
                release_id=p.pk,
                actor=self.users[DEVOPS],
                what_failed="The migration timed out waiting for a table lock; deploy aborted.",
                severity="major",
            )
            p.incident_pk = incident.pk

        self.at(d - 3 * H, fail)
        self.at(
            d - 2.6 * H,
            lambda: services.incident_mitigate(
                incident_id=p.incident_pk,
                actor=self.users[DEVOPS],
                mitigation="Deploy aborted; the previous release kept serving.",
            ),
        )
        self.at(
            d - 1.2 * H,
            lambda: services.incident_resolve(
                incident_id=p.incident_pk,
                actor=self.users[DEVOPS],
                root_cause="A long-running report held a lock the migration needed.",
            ),
        )

    def _roll_back(self, p: Planned, planned: list[Planned]) -> None:
        """Production breaks an hour or few after the deploy; back to the release before."""
        rng, d = self.rng, p.deploy
        opened = d + rng.uniform(1, 4) * H
        self._later(p, d + 0.7 * H, lambda: self._send(p, "devops-to-project-manager"))

        def open_incident() -> None:
            incident = services.incident_open(
                release_id=p.pk,
                actor=self.users[DEVOPS],
                title="Checkout error rate above 5% after the deploy",
                severity="critical",
            )
            p.incident_pk = incident.pk

        self.at(opened, open_incident)
        rolled = opened + rng.uniform(0.4, 1.5) * H
        self.at(
            rolled,
            lambda: services.incident_record_rollback(
                incident_id=p.incident_pk, actor=self.users[DEVOPS]
            ),
        )
        resolved = rolled + rng.uniform(18, 70) * H
        self.at(
            resolved,
            lambda: services.incident_resolve(
                incident_id=p.incident_pk,
                actor=self.users[DEVOPS],
                root_cause="A migration dropped an index the checkout query needs.",
            ),
        )
        self._review(p, rolled + 2 * H, "Add a query-plan check to CI", after=resolved)

    def _break(self, p: Planned, fix: Planned) -> None:
        """An incident two hours after the deploy, fixed forward by the next release, a patch;
        resolved once the patch is in production."""
        d = p.deploy

        def open_and_fix() -> None:
            incident = services.incident_open(
                release_id=p.pk,
                actor=self.users[DEVOPS],
                title="Invoices PDF export times out for large accounts",
                severity="major",
            )
            p.incident_pk = incident.pk

        def fix_forward() -> None:
            patch = services.incident_fix_forward(
                incident_id=p.incident_pk,
                actor=self.users[DEVOPS],
                name=fix.name,
                version=fix.version,
            )
            fix.pk = patch.pk

        self.at(d + 2 * H, open_and_fix)
        self.at(fix.created, fix_forward)
        resolved = fix.deploy + self.rng.uniform(2, 6) * H
        self.at(
            resolved,
            lambda: services.incident_resolve(
                incident_id=p.incident_pk,
                actor=self.users[DEVOPS],
                root_cause="The export loaded every invoice line at once; the patch streams them.",
            ),
        )
        self._review(p, d + 4 * H, "Load-test exports with the largest account", after=resolved)

    def _review(
        self, p: Planned, added: datetime, text: str, *, after: datetime | None = None
    ) -> None:
        """One action item, done a day or two later; the review closes after both."""
        rng = self.rng
        owner = self.users[QA]

        def add() -> None:
            item = services.action_item_add(
                incident_id=p.incident_pk,
                actor=self.users[PM],
                text=text,
                owner_id=owner.pk,
                due_on=timezone.localdate() + timedelta(days=7),
            )
            p.extra["item"] = item.pk

        self.at(added, add)
        done = added + rng.uniform(20, 50) * H
        self.at(
            done,
            lambda: services.action_item_done(item_id=p.extra["item"], actor=owner, note="Done."),
        )
        closed = max(done, after or done) + rng.uniform(1, 6) * H
        self._later(
            p,
            closed,
            lambda: services.incident_close_review(incident_id=p.incident_pk, actor=self.users[PM]),
        )

    # --- steps --------------------------------------------------------------------------
