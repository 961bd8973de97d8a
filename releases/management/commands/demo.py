"""Load demo users and releases in every stage, through the same services the pages use.

Idempotent: users are updated in place and a release that already exists is left alone. A demo
release is recognised by its version (unique while not cancelled) or its name, so renaming one
in the app, or editing it otherwise, never makes a second run fail.
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from octoacme.errors import Refused
from releases import freezes, services
from releases.models import (
    ActionItem,
    ChecklistKind,
    DefaultHolder,
    Delegation,
    Freeze,
    FreezeKind,
    Handoff,
    HandoffDecision,
    Release,
    ReleasePolicy,
    Role,
    RoleKey,
    Stage,
    Weekday,
)
from releases.services import policies
from signoffs import services as gate_services
from signoffs.models import SignOff

from ._history import History

User = get_user_model()

NOTES = {
    "summary": "Faster sign-off pages and a clearer release dashboard.",
    "notable_changes": "- Dashboard shows who is late\n- Sign-off page lists duties",
    "migration_steps": "Run `manage.py migrate`.",
    "known_issues": "None known.",
    "rollback_plan": "Redeploy the previous image; migrations are backwards compatible.",
    "smoke_test_plan": "Sign in, open the dashboard, approve a gate on staging.",
    "links": "https://example.invalid/pr/1",
}
# Links backing the evidence items of the pre-release checklist.
EVIDENCE = {
    "ci-security": "https://ci.octoacme.example/pipelines/1842\nhttps://ci.octoacme.example/scans/1842",
    "acceptance-criteria": "https://git.octoacme.example/releases/pulls?state=merged",
}


# Stages the demo reaches through a production deploy.
DEPLOYED_IN_DEMO = {"deployed", "closed", "rolled_back"}
WEEKEND_FREEZE = "Weekend freeze"


class Command(BaseCommand):
    help = "Create demo users (one per role, plus admin) and releases in several stages."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--password", default="octoacme", help="password for every demo user")
        parser.add_argument(
            "--no-history",
            action="store_false",
            dest="history",
            help="skip the six months of finished releases (a quicker run for tests)",
        )

    def handle(self, *args: Any, password: str, history: bool = True, **options: Any) -> None:
        with transaction.atomic():
            users = self._users(password)
        self.admin = users["admin"]
        self.users = users
        # Before the policy below, which is set "now": the history's patches predate it.
        made = History(users).build(timezone.now()) if history else 0
        if made:
            self.stdout.write(f"history: {made} releases over the last six months")
        self._expedited_patch_policy()
        now = timezone.now()
        # Above the history's versions (1.0.0 to 3.x), which end six months of releases.
        plan = [
            ("Aurora", "4.0.0", "major", "closed"),
            ("Borealis", "4.1.0", "minor", "rolled_back"),
            # Borealis was rolled back, so production is Aurora 4.0.0 again: the hotfix and
            # the next minor are bumped from it (4.1.0 stays taken).
            ("Cirrus", "4.0.1", "patch", "deployed"),
            ("Drizzle", "4.2.0", "minor", "approved"),
            ("Eddy", "4.0.2", "patch", "staging"),
            ("Fog", "5.0.0", "major", "planning"),
        ]
        for index, (name, version, release_type, stage) in enumerate(plan):
            there = Release.objects.exclude(stage=Stage.CANCELLED).filter(
                Q(name=name) | Q(version=version)
            )
            if there.exists():
                continue
            # A release the demo deploys had its window around now (a deploy outside it is
            # refused); the others' windows lie ahead.
            if stage in DEPLOYED_IN_DEMO:
                window = now - timedelta(hours=1)
            else:
                window = now + timedelta(days=index + 1)
            try:
                # All or nothing per release, so a failed run leaves nothing half-built to skip.
                with transaction.atomic():
                    release = self._create(name, version, release_type, window)
                    self._advance(release, stage)
            except (ValidationError, Refused) as exc:
                # The data was changed in the app (a newer version shipped, say): leave it be.
                message = " ".join(exc.messages) if isinstance(exc, ValidationError) else exc
                self.stdout.write(f"release {name} {version}: skipped ({message})")
                continue
            self.stdout.write(f"release {name} {version}: {stage}")
        # After the demo's own deploys, so that a first run on a weekend still records them.
        self._weekend_freeze()
        self._qa_lead_away(password)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: sign in as admin or any role user ({', '.join(RoleKey.values)}) "
                f"with the password “{password}”."
            )
        )

    def _create(self, name: str, version: str, release_type: str, window: Any) -> Release:
        return services.release_create(
            actor=self.users[RoleKey.PROJECT_MANAGER],
            name=name,
            version=version,
            release_type=release_type,
            window_start=window,
            window_end=window + timedelta(hours=2),
            **NOTES,
        )

    def _users(self, password: str) -> dict[str, AbstractBaseUser]:
        users: dict[str, AbstractBaseUser] = {}
        for key, label in RoleKey.choices:
            first, _, last = label.partition(" ")
            user, _ = User.objects.update_or_create(
                username=key,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{key}@example.com",
                    "is_active": True,
                },
            )
            user.set_password(password)
            user.save()
            users[key] = user
            DefaultHolder.objects.update_or_create(
                role=Role.objects.get(key=key), defaults={"holder": user, "backup": None}
            )
        admin, _ = User.objects.update_or_create(
            username="admin",
            defaults={
                "email": "admin@example.com",
                "is_staff": True,
                "is_superuser": True,
                "is_active": True,
            },
        )
        admin.set_password(password)
        admin.save()
        users["admin"] = admin
        return users

    def _advance(self, release: Release, target: str) -> None:
        u = self.users
        if target == "planning":
            self._tick_pre_release(release, leave_open=1)
            return
        self._tick_pre_release(release)
        services.release_move_to_staging(release_id=release.pk, actor=u[RoleKey.DEVOPS_ENGINEER])
        if target == "staging":
            for key in (RoleKey.QA_LEAD, RoleKey.DEVOPS_ENGINEER, RoleKey.UX_DESIGNER):
                self._approve(release, key)
            gate = SignOff.objects.get(release=release, role__key=RoleKey.BUSINESS_ANALYST)
            gate_services.gate_reject(
                gate_id=gate.pk,
                actor=u[RoleKey.BUSINESS_ANALYST],
                reason="Acceptance criterion 3 (export to CSV) is not met on staging.",
            )
            handoff = self._send(release, "qa-to-devops", RoleKey.QA_LEAD)
            services.handoff_acknowledge(
                handoff_id=handoff.pk,
                actor=u[RoleKey.DEVOPS_ENGINEER],
                decision=HandoffDecision.HOLD,
                response="The database failover drill is tonight; no deploys until it is done.",
            )
            return
        if target == "cancelled":
            return
        handoff = self._send(release, "qa-to-devops", RoleKey.QA_LEAD)
        services.handoff_acknowledge(
            handoff_id=handoff.pk,
            actor=u[RoleKey.DEVOPS_ENGINEER],
            decision=HandoffDecision.PROCEED,
        )
        for key in RoleKey.values:
            # A deployed expedited patch shows its retroactive gates still to sign.
            if target != "deployed" or not self._retroactive(release, key):
                self._approve(release, key)
        if target == "approved":
            return
        for item in release.checklist.filter(template__optional=True, state="open"):
            services.checklist_mark_not_applicable(
                item_id=item.pk,
                actor=u[item.template.owner.key],
                reason="Routine release: no window or snapshot needed.",
            )
        duty = release.duties.get(role__key=RoleKey.PRODUCT_MANAGER, phase="release_day")
        services.duty_done(
            duty_id=duty.pk, actor=u[RoleKey.PRODUCT_MANAGER], note="Go: the roadmap item is in."
        )
        self._through_a_freeze(release)
        services.release_record_deploy(release_id=release.pk, actor=u[RoleKey.DEVOPS_ENGINEER])
        if target == "deployed":
            return
        if target == "rolled_back":
            self._failed_and_rolled_back(release)
            return
        for item in release.checklist.filter(template__kind=ChecklistKind.MANUAL, state="open"):
            services.checklist_complete(item_id=item.pk, actor=u[item.template.owner.key])
        for handoff in release.handoffs.filter(template__phase="post_deploy").select_related(
            "template__from_role", "template__to_role"
        ):
            self._send(release, handoff.template.key, handoff.template.from_role.key)
            services.handoff_acknowledge(
                handoff_id=handoff.pk, actor=u[handoff.template.to_role.key]
            )
        for duty in release.duties.exclude(phase="pre_release").filter(state="open"):
            services.duty_done(duty_id=duty.pk, actor=u[duty.role.key], note="Done.")
        services.release_close(release_id=release.pk, actor=u[RoleKey.PROJECT_MANAGER])

    def _failed_and_rolled_back(self, release: Release) -> None:
        """The playbook end to end: a failed deploy, its incident, a fix-forward patch, the
        rollback, the root cause and action items (one done, one open, one overdue)."""
        u = self.users
        devops, pm = u[RoleKey.DEVOPS_ENGINEER], u[RoleKey.PROJECT_MANAGER]
        incident = services.release_record_failed_deploy(
            release_id=release.pk,
            actor=devops,
            what_failed="Checkout error rate above 5% after the deploy",
            severity="critical",
        )
        services.incident_fix_forward(
            incident_id=incident.pk, actor=devops, name="Borealis hotfix", version="4.1.1"
        )
        services.incident_record_rollback(incident_id=incident.pk, actor=devops)
        services.incident_resolve(
            incident_id=incident.pk,
            actor=devops,
            root_cause="A migration dropped an index used by checkout.",
        )
        today = timezone.localdate()
        items = [
            ("Restore the checkout index", devops, True),
            ("Add a query-plan check to CI", u[RoleKey.QA_LEAD], False),
            ("Write the customer post-mortem", u[RoleKey.CUSTOMER_SUCCESS_MANAGER], False),
        ]
        for n, (text, owner, done) in enumerate(items):
            item = services.action_item_add(
                incident_id=incident.pk,
                actor=pm,
                text=text,
                owner_id=owner.pk,
                due_on=today + timedelta(days=7),
            )
            if done:
                services.action_item_done(item_id=item.pk, actor=owner, note="Index restored.")
            elif n == 2:
                # Demo history: this one fell due three days ago (the service refuses a past
                # date, so the demo moves it afterwards).
                ActionItem.objects.filter(pk=item.pk).update(due_on=today - timedelta(days=3))

    def _tick_pre_release(self, release: Release, leave_open: int = 0) -> None:
        items = list(
            release.checklist.filter(template__group="pre_release").select_related(
                "template__owner"
            )
        )
        for item in items[: len(items) - leave_open]:
            services.checklist_complete(
                item_id=item.pk,
                actor=self.users[item.template.owner.key],
                # The CI and acceptance items are ticked with the links that back them.
                evidence=EVIDENCE.get(item.template.key, ""),
            )

    def _weekend_freeze(self) -> None:
        """Friday 16:00 to Monday 08:00 in Berlin, every week; made once."""
        if Freeze.objects.filter(kind=FreezeKind.WEEKLY, reason=WEEKEND_FREEZE).exists():
            return
        services.freeze_create(
            actor=self.admin,
            reason=WEEKEND_FREEZE,
            kind=FreezeKind.WEEKLY,
            time_zone="Europe/Berlin",
            start_weekday=Weekday.FRIDAY,
            start_time=time(16),
            end_weekday=Weekday.MONDAY,
            end_time=time(8),
        )

    def _through_a_freeze(self, release: Release) -> None:
        """A later run on a weekend (the freeze exists by then) deploys as a team would in a
        freeze: the admin records an override with a reason first."""
        now = timezone.now()
        if freezes.in_force(freezes.active(now), now) is not None:
            services.deploy_override_record(
                release_id=release.pk,
                actor=self.admin,
                reason="Demo data: recorded during the weekend freeze.",
            )

    def _qa_lead_away(self, password: str) -> None:
        """The QA Lead is away for a week and delegated their roles to a stand-in, who holds
        no role of their own (so may sign the QA gates). Made again only once it is over."""
        stand_in, _ = User.objects.update_or_create(
            username="qa-backup",
            defaults={
                "first_name": "QA",
                "last_name": "Stand-in",
                "email": "qa-backup@example.com",
                "is_active": True,
            },
        )
        stand_in.set_password(password)
        stand_in.save()
        qa_lead = self.users[RoleKey.QA_LEAD]
        now = timezone.now()
        if Delegation.objects.filter(
            person=qa_lead, cancelled_at__isnull=True, ends_at__gt=now
        ).exists():
            return
        services.delegation_create(
            person=qa_lead,
            delegate=stand_in,
            starts_at=now,
            ends_at=now + timedelta(days=7),
            reason="Demo data: on holiday this week.",
            actor=qa_lead,
        )

    def _expedited_patch_policy(self) -> None:
        """Patches: QA Lead, DevOps Engineer and Project Manager before the deploy, the others
        within 48 hours after it. Left alone once set (an admin may have changed it since)."""
        if ReleasePolicy.objects.filter(release_type="patch").exists():
            return
        policies.policy_set(
            actor=self.admin,
            release_type="patch",
            expedited=True,
            name="Expedited patch",
            before_deploy=[RoleKey.QA_LEAD, RoleKey.DEVOPS_ENGINEER, RoleKey.PROJECT_MANAGER],
            retroactive_hours=48,
        )

    def _retroactive(self, release: Release, key: str) -> bool:
        return SignOff.objects.filter(release=release, role__key=key, retroactive=True).exists()

    def _approve(self, release: Release, key: str) -> None:
        gate = SignOff.objects.get(release=release, role__key=key)
        gate_services.gate_approve(gate_id=gate.pk, actor=self.users[key], comment="Looks good.")

    def _send(self, release: Release, template_key: str, sender: str) -> Handoff:
        handoff = release.handoffs.get(template__key=template_key)
        services.handoff_send(
            handoff_id=handoff.pk,
            actor=self.users[sender],
            notes="All smoke tests green; no known issues."
            if template_key == "qa-to-devops"
            else "Done, see links.",
        )
        return handoff
