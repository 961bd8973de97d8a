"""Deploy freezes: which one is in force at an instant, to the second and across the
daylight-saving changes, and how admins create and end them."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from octoacme.errors import Refused
from releases import freezes, services
from releases.models import AuditEvent, Freeze, FreezeKind, RoleKey

pytestmark = pytest.mark.django_db

FRI, MON = 4, 0


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def weekend(**fields: object) -> Freeze:
    """Friday 16:00 to Monday 08:00 in Berlin, unsaved: the rules read rows, not tables."""
    defaults = dict(
        pk=1,
        reason="Weekend freeze",
        kind=FreezeKind.WEEKLY,
        start_weekday=FRI,
        start_time=time(16),
        end_weekday=MON,
        end_time=time(8),
        time_zone="Europe/Berlin",
    )
    return Freeze(**{**defaults, **fields})


class TestWeekly:
    def test_it_is_in_force_at_exactly_its_start_and_not_a_second_before(self):
        # Friday 27 November 2026, 16:00 in Berlin (CET, UTC+1) is 15:00 UTC.
        assert freezes.in_force([weekend()], utc(2026, 11, 27, 15, 0, 0)) is not None
        assert freezes.in_force([weekend()], utc(2026, 11, 27, 14, 59, 59)) is None

    def test_it_is_not_in_force_at_exactly_its_end(self):
        assert freezes.in_force([weekend()], utc(2026, 11, 30, 6, 59, 59)) is not None
        assert freezes.in_force([weekend()], utc(2026, 11, 30, 7, 0, 0)) is None

    def test_it_says_when_it_ends_in_its_own_zone(self):
        period = freezes.in_force([weekend()], utc(2026, 11, 28, 12))
        assert period.ends() == "Mon 2026-11-30 08:00 CET"
        assert period.span() == "Fri 27 Nov 16:00 to Mon 30 Nov 08:00 CET"

    def test_across_the_october_change_the_wall_clock_holds_and_it_lasts_an_hour_longer(self):
        # Clocks go back on Sunday 25 October 2026: 16:00 CEST is 14:00 UTC, 08:00 CET 07:00.
        period = freezes.in_force([weekend()], utc(2026, 10, 24, 12))
        assert (period.start, period.end) == (utc(2026, 10, 23, 14), utc(2026, 10, 26, 7))
        assert period.end - period.start == (utc(2026, 11, 30, 7) - utc(2026, 11, 27, 15)) + (
            utc(2026, 1, 1, 1) - utc(2026, 1, 1, 0)
        )
        assert period.span() == "Fri 23 Oct 16:00 CEST to Mon 26 Oct 08:00 CET"
        assert freezes.in_force([weekend()], utc(2026, 10, 23, 13, 59, 59)) is None
        assert freezes.in_force([weekend()], utc(2026, 10, 26, 7)) is None
        assert freezes.in_force([weekend()], utc(2026, 10, 26, 6, 59, 59)) is not None

    def test_across_the_march_change_it_lasts_an_hour_shorter(self):
        # Clocks go forward on Sunday 29 March 2026: 16:00 CET is 15:00 UTC, 08:00 CEST 06:00.
        period = freezes.in_force([weekend()], utc(2026, 3, 28, 12))
        assert (period.start, period.end) == (utc(2026, 3, 27, 15), utc(2026, 3, 30, 6))
        assert freezes.in_force([weekend()], utc(2026, 3, 30, 5, 59, 59)) is not None
        assert freezes.in_force([weekend()], utc(2026, 3, 30, 6)) is None
        assert period.ends() == "Mon 2026-03-30 08:00 CEST"

    def test_an_inactive_freeze_is_ignored(self):
        assert freezes.in_force([weekend(active=False)], utc(2026, 11, 28, 12)) is None
        assert freezes.next_after([weekend(active=False)], utc(2026, 11, 25)) is None

    def test_the_next_one_is_the_coming_friday(self):
        period = freezes.next_after([weekend()], utc(2026, 11, 25, 9))
        assert period.start == utc(2026, 11, 27, 15)
        # From inside a freeze, the next is the following weekend.
        assert freezes.next_after([weekend()], utc(2026, 11, 28)).start == utc(2026, 12, 4, 15)

    def test_a_window_overlapping_it_is_found_and_one_touching_it_is_not(self):
        hit = freezes.overlapping([weekend()], utc(2026, 11, 27, 14), utc(2026, 11, 27, 16))
        assert hit is not None and hit.reason == "Weekend freeze"
        assert (
            freezes.overlapping([weekend()], utc(2026, 11, 27, 13), utc(2026, 11, 27, 15)) is None
        )
        assert freezes.overlapping([weekend()], utc(2026, 11, 25, 9), utc(2026, 11, 25, 11)) is None


class TestOneOff:
    def test_it_holds_from_its_start_up_to_its_end(self):
        freeze = Freeze(
            pk=2,
            reason="Year-end",
            kind=FreezeKind.ONE_OFF,
            starts_at=utc(2026, 12, 20),
            ends_at=utc(2027, 1, 4),
        )
        assert freezes.in_force([freeze], utc(2026, 12, 19, 23, 59, 59)) is None
        assert freezes.in_force([freeze], utc(2026, 12, 20)).ends() == "Mon 2027-01-04 00:00 UTC"
        assert freezes.in_force([freeze], utc(2027, 1, 4)) is None
        assert freezes.next_after([freeze], utc(2026, 6, 1)).start == utc(2026, 12, 20)

    def test_back_to_back_freezes_hold_until_the_last_ends(self):
        first = Freeze(pk=3, reason="A", starts_at=utc(2026, 12, 1), ends_at=utc(2026, 12, 2))
        then = Freeze(pk=4, reason="B", starts_at=utc(2026, 12, 2), ends_at=utc(2026, 12, 3))
        period = freezes.in_force([first, then], utc(2026, 12, 1, 12))
        assert (period.reason, period.end) == ("A", utc(2026, 12, 3))


class TestCreateAndEnd:
    def test_an_admin_creates_a_weekly_freeze_with_an_audit_event(self, team):
        freeze = services.freeze_create(
            actor=team.admin,
            reason="Weekend freeze",
            kind=FreezeKind.WEEKLY,
            time_zone="Europe/Berlin",
            start_weekday=FRI,
            start_time=time(16),
            end_weekday=MON,
            end_time=time(8),
        )
        event = AuditEvent.objects.get(verb="freeze.created")
        assert (event.release, event.actor) == (None, team.admin)
        assert "every Friday 16:00 to Monday 08:00 (Europe/Berlin)" in event.comment
        assert freeze.active and freeze.created_by == team.admin

    def test_a_one_off_typed_as_wall_time_is_read_in_its_zone(self, team):
        freeze = services.freeze_create(
            actor=team.admin,
            reason="Migration",
            time_zone="Europe/Berlin",
            starts_at=datetime(2026, 12, 1, 9),
            ends_at=datetime(2026, 12, 1, 17),
        )
        assert (freeze.starts_at, freeze.ends_at) == (utc(2026, 12, 1, 8), utc(2026, 12, 1, 16))

    @pytest.mark.parametrize(
        "fields, message",
        [
            ({"starts_at": utc(2026, 12, 1)}, "A one-off freeze needs an end."),
            ({"ends_at": utc(2026, 12, 1)}, "A one-off freeze needs a start."),
            (
                {"starts_at": utc(2026, 12, 2), "ends_at": utc(2026, 12, 1)},
                "The freeze must end after it starts.",
            ),
            (
                {"starts_at": utc(2026, 12, 1), "ends_at": utc(2026, 12, 2), "reason": "  "},
                "The reason is required.",
            ),
            (
                {
                    "starts_at": utc(2026, 12, 1),
                    "ends_at": utc(2026, 12, 2),
                    "time_zone": "Mars/Olympus",
                },
                "Unknown time zone “Mars/Olympus”: use a name like Europe/Berlin.",
            ),
            (
                {"kind": FreezeKind.WEEKLY, "start_weekday": FRI, "start_time": time(16)},
                "A weekly freeze needs a start day and time and an end day and time.",
            ),
        ],
    )
    def test_bad_input_is_refused_and_creates_nothing(self, team, fields, message):
        events = AuditEvent.objects.count()
        with pytest.raises(ValidationError) as refused:
            services.freeze_create(actor=team.admin, **{"reason": "Freeze", **fields})
        assert message in refused.value.messages
        assert Freeze.objects.count() == 0 and AuditEvent.objects.count() == events

    def test_only_an_admin_creates_or_ends_one(self, team):
        with pytest.raises(PermissionDenied):
            services.freeze_create(
                actor=team[RoleKey.PROJECT_MANAGER],
                reason="Mine",
                starts_at=utc(2026, 12, 1),
                ends_at=utc(2026, 12, 2),
            )
        freeze = Freeze.objects.create(
            reason="Theirs", starts_at=utc(2026, 12, 1), ends_at=utc(2026, 12, 2)
        )
        with pytest.raises(PermissionDenied):
            services.freeze_end(freeze_id=freeze.pk, actor=team[RoleKey.PROJECT_MANAGER])
        assert Freeze.objects.get(pk=freeze.pk).active and Freeze.objects.count() == 1

    def test_ending_a_freeze_releases_deploys_and_is_audited_once(self, team):
        freeze = Freeze.objects.create(
            reason="Theirs", starts_at=utc(2026, 12, 1), ends_at=utc(2026, 12, 2)
        )
        services.freeze_end(freeze_id=freeze.pk, actor=team.admin)
        assert not Freeze.objects.get(pk=freeze.pk).active
        assert freezes.in_force(freezes.active(utc(2026, 11, 30)), utc(2026, 12, 1, 12)) is None
        with pytest.raises(Refused, match="already ended"):
            services.freeze_end(freeze_id=freeze.pk, actor=team.admin)
        assert AuditEvent.objects.filter(verb="freeze.ended").count() == 1
