"""An incident's action items (owner, due date, state), the post-incident review, and the sweep
that reminds owners and escalates overdue items to the Project Manager (issue #13, item 3)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from notifications.models import Notification
from octoacme.errors import Refused
from releases import services
from releases.chase.action_items import remind_action_items
from releases.models import ActionItem, ActionItemState, Incident, RoleKey

from ..builders import audit_events, refresh
from ..factories import UserFactory

pytestmark = pytest.mark.django_db
QA, DEVOPS, PM, CSM = (
    RoleKey.QA_LEAD,
    RoleKey.DEVOPS_ENGINEER,
    RoleKey.PROJECT_MANAGER,
    RoleKey.CUSTOMER_SUCCESS_MANAGER,
)


def received(kind: str) -> Counter:
    return Counter(
        n.recipient.username
        for n in Notification.objects.filter(kind=kind).select_related("recipient")
    )


@pytest.fixture
def incident(team, build) -> Incident:
    """A failed deploy on the first release, mitigated: service restored, triage under way."""
    release = build.deployed()
    incident = services.release_record_failed_deploy(
        release_id=release.pk, actor=team[DEVOPS], what_failed="Timeouts"
    )
    services.incident_mitigate(incident_id=incident.pk, actor=team[DEVOPS], mitigation="Flag off")
    return incident


def add(incident: Incident, actor, owner, *, days: int = 3, text: str = "Add a load test"):
    return services.action_item_add(
        incident_id=incident.pk,
        actor=actor,
        text=text,
        owner_id=owner.pk if owner else None,
        due_on=timezone.localdate() + timedelta(days=days),
    )


class TestAdding:
    def test_the_owner_is_told_once(self, team, incident):
        item = add(incident, team[PM], team[QA])
        assert (item.owner, item.state, item.created_by) == (team[QA], "open", team[PM])
        assert received("action_item_assigned") == Counter({QA: 1})
        [notice] = Notification.objects.filter(kind="action_item_assigned")
        assert (
            "Add a load test" in notice.body_text and f"#action-item-{item.pk}" in notice.body_text
        )
        assert incident.release.audit_events.filter(verb="action_item.added").count() == 1

    def test_anyone_active_may_own_one(self, team, incident):
        add(incident, team[DEVOPS], team.outsider)
        assert received("action_item_assigned") == Counter({"outsider": 1})

    @pytest.mark.parametrize(
        "change, field",
        [
            ({"owner": None}, "owner"),
            ({"owner": "inactive"}, "owner"),
            ({"days": -1}, "due_on"),
            ({"text": ""}, "text"),
            ({"text": "Two\nlines"}, "text"),
        ],
    )
    def test_bad_input_changes_nothing(self, team, incident, change, field):
        owner = change.get("owner", team[QA])
        if owner == "inactive":
            owner = UserFactory(username="gone", is_active=False)
        events = audit_events()
        with pytest.raises(ValidationError) as exc:
            add(
                incident,
                team[PM],
                owner,
                days=change.get("days", 1),
                text=change.get("text", "Add a load test"),
            )
        assert field in exc.value.message_dict
        assert not ActionItem.objects.exists() and audit_events() == events
        assert not Notification.objects.filter(kind="action_item_assigned").exists()

    def test_due_today_is_fine(self, team, incident):
        assert add(incident, team[PM], team[QA], days=0).due_on == timezone.localdate()

    @pytest.mark.parametrize("role", [QA, CSM])
    def test_only_devops_and_the_project_manager_add_them(self, team, incident, role):
        with pytest.raises(PermissionDenied):
            add(incident, team[role], team[QA])
        assert not ActionItem.objects.exists()


class TestClosingItems:
    def test_the_owner_marks_it_done_with_a_note(self, team, incident):
        item = add(incident, team[PM], team.outsider)
        services.action_item_done(item_id=item.pk, actor=team.outsider, note="Merged #12")
        item = refresh(item)
        assert (item.state, item.note, item.closed_by) == ("done", "Merged #12", team.outsider)
        assert incident.release.audit_events.filter(verb="action_item.done").count() == 1
        with pytest.raises(Refused, match="already done"):
            services.action_item_done(item_id=item.pk, actor=team.outsider)

    def test_the_project_manager_defers_it_with_a_reason(self, team, incident):
        item = add(incident, team[DEVOPS], team[QA])
        with pytest.raises(ValidationError, match="reason"):
            services.action_item_defer(item_id=item.pk, actor=team[PM], reason=" ")
        assert refresh(item).state == ActionItemState.OPEN
        services.action_item_defer(item_id=item.pk, actor=team[PM], reason="Next quarter")
        assert (refresh(item).state, refresh(item).note) == ("deferred", "Next quarter")

    def test_someone_else_may_not_close_it(self, team, incident):
        item = add(incident, team[PM], team[QA])
        events = audit_events()
        for action in (services.action_item_done, services.action_item_defer):
            with pytest.raises(PermissionDenied):
                action(
                    item_id=item.pk,
                    actor=team[CSM],
                    **({"reason": "x"} if action is services.action_item_defer else {}),
                )
        assert refresh(item).state == ActionItemState.OPEN and audit_events() == events


class TestReview:
    def test_it_closes_only_when_resolved_and_every_item_is_done_or_deferred(self, team, incident):
        done = add(incident, team[PM], team[QA])
        later = add(incident, team[PM], team[CSM], text="Runbook")
        with pytest.raises(Refused, match="Resolve the incident first"):
            services.incident_close_review(incident_id=incident.pk, actor=team[PM])
        services.incident_resolve(incident_id=incident.pk, actor=team[DEVOPS], root_cause="Flag")
        services.action_item_done(item_id=done.pk, actor=team[QA])
        with pytest.raises(Refused, match="1 action item"):
            services.incident_close_review(incident_id=incident.pk, actor=team[PM])
        assert refresh(incident).review_closed_at is None
        services.action_item_defer(item_id=later.pk, actor=team[CSM], reason="Next quarter")
        with pytest.raises(PermissionDenied):
            services.incident_close_review(incident_id=incident.pk, actor=team[QA])
        services.incident_close_review(incident_id=incident.pk, actor=team[PM])
        incident = refresh(incident)
        assert incident.review_closed_by == team[PM]
        event = incident.release.audit_events.get(verb="incident.review_closed")
        assert event.comment == "Action items: 1 done, 1 deferred."
        with pytest.raises(Refused, match="review is closed"):
            add(incident, team[PM], team[QA])


class TestReminders:
    @pytest.fixture
    def items(self, team, incident) -> dict[str, ActionItem]:
        made = {
            "due": add(incident, team[PM], team[QA], days=0, text="Due today"),
            "later": add(incident, team[PM], team[QA], days=5, text="Later"),
            "done": add(incident, team[PM], team[CSM], days=0, text="Done"),
        }
        services.action_item_done(item_id=made["done"].pk, actor=team[CSM])
        return made

    def test_the_owner_is_reminded_once_when_due_even_run_twice(self, team, items):
        now = timezone.now()
        assert remind_action_items(now) == {
            "action_item_reminders": 1,
            "action_item_escalations": 0,
        }
        assert remind_action_items(now + timedelta(minutes=1))["action_item_reminders"] == 0
        assert received("action_item_due") == Counter({QA: 1})
        assert refresh(items["due"]).reminded_at is not None
        assert refresh(items["later"]).reminded_at is None

    def test_overdue_items_escalate_once_to_the_project_manager(self, team, build, items, settings):
        settings.ACTION_ITEM_ESCALATE_AFTER = timedelta(hours=24)
        backup = UserFactory(username="pm-backup")
        release = items["due"].incident.release
        services.role_assign(
            release_id=release.pk, role_key=PM, holder=team[PM], backup=backup, actor=team.admin
        )
        # Due today: overdue from tomorrow, escalated a day after that.
        tomorrow = timezone.now() + timedelta(days=1)
        assert remind_action_items(tomorrow)["action_item_escalations"] == 0
        two_days = timezone.now() + timedelta(days=2, minutes=1)
        assert remind_action_items(two_days) == {
            "action_item_reminders": 0,  # reminded already, the day before
            "action_item_escalations": 2,  # the holder and the backup, once each
        }
        assert remind_action_items(two_days)["action_item_escalations"] == 0
        assert received("action_item_overdue") == Counter({PM: 1, "pm-backup": 1})
        assert received("action_item_due") == Counter({QA: 1})

    def test_an_item_claimed_by_another_worker_is_not_sent_again(self, team, items):
        # The other worker's conditional UPDATE won: this run finds nothing left to claim.
        ActionItem.objects.filter(pk=items["due"].pk).update(reminded_at=timezone.now())
        assert remind_action_items()["action_item_reminders"] == 0
        assert not Notification.objects.filter(kind="action_item_due").exists()
