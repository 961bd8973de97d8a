"""Hostile content in every field of every kind of notice: each is still sent, and sent only
to its recipient (#12).

A line break in one incident title used to make every notice about it unsendable (Django
refuses a header with CR or LF) until it was marked failed, so on-call never heard of the
incident. Here every field a notice quotes holds line breaks, a `Bcc:` header, markup,
Unicode separators and long text: the one-line fields as rows stored before they were checked
(`QuerySet.update`), the others typed through the services. Every notice goes through the real
delivery code to an SMTP server on loopback, which counts what it takes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from notifications import delivery
from notifications.models import Notification, NotificationState
from releases import reminders, services
from releases.chase import follow_ups
from releases.models import Incident, Release, Role, RoleKey
from signoffs import services as gate_services

from ..builders import gate, refresh
from ..factories import UserFactory
from .conftest import Crew
from .report import record
from .smtp_sink import Sink

pytestmark = pytest.mark.django_db
QA, DEVOPS, BA, UX, CSM, PROD, PM = RoleKey.values
SECTION = "Hostile notices (every kind, hostile content in every field, real SMTP)"

INJECTION = "Payments down\r\nBcc: attacker@evil.example"
NASTY = (
    f"{INJECTION}\nCc: cc@evil.example\rX-Evil: 1\u2028Bcc: ls@evil.example\u2029"
    '\x85\x0b\x0c\t<script>alert("x")</script><img src=x onerror=alert(1)> \u202eevil '
)


# What a one-line field accepts, hostile still: markup, a bidi override, long text.
ONE_LINE = '<script>alert("x")</script><img src=x onerror=alert(1)> \u202eevil ' + "é" * 400


def hostile(length: int, tag: str = "") -> str:
    """At most `length` characters: the injection, every kind of line break, markup, then
    filler to the full length."""
    start = f"{tag}{NASTY}"
    return (start + "é" * length)[:length]


# Every kind of notice the app writes; the test fails if one was not produced.
KINDS = {
    "gate_opened",
    "gate_rejected",
    "gate_revoked",
    "approval_stale",
    "handoff_reset",
    "handoff_decided",
    "confirm_signoffs",
    "release_approved",
    "release_reopened",
    "release_deployed",
    "final_decision_due",
    "final_decision_recorded",
    "downgrade_deployed",
    "role_assigned",
    "role_unassigned",
    "incident_opened",
    "rollback_recorded",
    "post_release_duties",
    "feedback_overdue",
    "reminder_digest",
    "escalation",
    "release_cancelled",
    "handoff_sent",
    "incident_resolved",
}


@pytest.fixture
def sink(settings: Any) -> Iterator[Sink]:
    s = Sink()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", s.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.ONCALL_EMAILS = ["oncall@example.com"]
    yield s
    s.close()


def stored(release: Release, tag: str) -> Release:
    """Hostile one-line fields as rows saved before they were checked; hostile text elsewhere."""
    Release.objects.filter(pk=release.pk).update(
        name=hostile(120, tag),
        summary=hostile(5000),
        notable_changes=hostile(20000),
        known_issues=hostile(20000),
    )
    return refresh(release)


def sign(release: Release, *keys: str, holders: dict[str, Any]) -> None:
    for key in keys:
        gate_services.gate_approve(gate_id=gate(release, key).pk, actor=holders[key])


def run_every_kind_of_notice(crew: Crew) -> None:
    """Every notice the app writes, as a team's weeks would write them, with hostile content."""
    b, t, admin = crew.build, crew.team, crew.team.admin
    # One newcomer per role handed on: separation of duties allows one role per person.
    newcomer = {key: UserFactory(username=f"new-{key}") for key in (UX, BA, CSM)}
    get_user_model().objects.update(first_name=hostile(150), last_name=hostile(150))
    for role in Role.objects.all():
        Role.objects.filter(pk=role.pk).update(
            name=hostile(80, f"{role.key} "),
            pre_release_duty=hostile(200),
            release_day_duty=hostile(200),
            post_release_duty=hostile(200),
            signoff_statement=hostile(200),
        )
    holders = dict(t.holders)
    b.closed(name="Known good", version="1.0.0", release_type="major")
    older = b.ready_to_deploy(name="Older", version="1.1.0", release_type="minor")
    stored(older, "older ")
    late = b.staging(name="Late", version="1.0.1", release_type="patch")
    stored(late, "late ")
    Release.objects.filter(pk=late.pk).update(window_start=timezone.now() + timedelta(hours=1))

    release = stored(b.create(name="Main", version="1.2.0", release_type="minor"), "main ")
    b.pre_release_done(release)
    services.release_move_to_staging(release_id=release.pk, actor=t[DEVOPS])  # gate_opened
    sign(release, QA, DEVOPS, BA, holders=holders)
    gate_services.gate_reject(gate_id=gate(release, UX).pk, actor=t[UX], reason=hostile(5000))
    gate_services.gate_revoke(gate_id=gate(release, BA).pk, actor=t[BA], comment=hostile(5000))
    # The UX gate waits: its new holder is asked to sign, the old one told.
    services.role_assign(
        release_id=release.pk,
        role_key=UX,
        holder=newcomer[UX],
        backup=crew.backups[UX],
        actor=admin,
    )
    holders[UX] = newcomer[UX]
    b.proceed(release)
    services.release_update(  # approval_stale, handoff_reset
        release_id=release.pk, actor=t[PM], data={"summary": hostile(5000, "new ")}
    )
    b.proceed(release)
    sign(release, QA, DEVOPS, BA, UX, CSM, PROD, holders=holders)  # confirm_signoffs
    sign(release, PM, holders=holders)  # release_approved
    gate_services.gate_revoke(  # gate_revoked (no longer approved), approval_stale (PM)
        gate_id=gate(release, QA).pk, actor=t[QA], comment=hostile(5000)
    )
    sign(release, QA, PM, holders=holders)
    # The Business Analyst who approved hands the role on: release_reopened.
    services.role_assign(
        release_id=release.pk,
        role_key=BA,
        holder=newcomer[BA],
        backup=crew.backups[BA],
        actor=admin,
    )
    holders[BA] = newcomer[BA]
    sign(release, BA, PM, holders=holders)
    for item in release.checklist.filter(template__optional=True).select_related("template__owner"):
        services.checklist_mark_not_applicable(
            item_id=item.pk,
            actor=t[item.template.owner.key],
            reason=ONE_LINE,
        )
    b.final_decision(release)  # final_decision_recorded
    services.release_record_deploy(  # release_deployed
        release_id=release.pk, actor=t[DEVOPS], comment=hostile(5000)
    )
    services.role_assign(  # role_assigned, role_unassigned
        release_id=release.pk, role_key=CSM, holder=newcomer[CSM], actor=admin
    )
    services.release_record_deploy(  # downgrade_deployed
        release_id=older.pk, actor=t[DEVOPS], downgrade_reason=hostile(5000)
    )
    incident = services.incident_open(  # incident_opened: a one-line title, hostile otherwise
        release_id=older.pk,
        actor=t[QA],
        title=ONE_LINE[:200],
        description=hostile(20000),
    )
    Incident.objects.filter(pk=incident.pk).update(title=hostile(200))  # stored before the check
    services.incident_record_rollback(  # rollback_recorded
        incident_id=incident.pk, actor=t[DEVOPS], comment=hostile(5000)
    )
    services.incident_resolve(  # incident_resolved (handoff_sent: QA's proceed, sent above)
        incident_id=incident.pk,
        actor=t[DEVOPS],
        root_cause=hostile(20000),
    )
    later = timezone.now() + timedelta(hours=49)
    follow_ups.run_follow_ups(now=later)  # post_release_duties, feedback_overdue
    reminders.send_reminders(now=later)  # reminder_digest, escalation
    services.release_cancel(  # release_cancelled
        release_id=late.pk, actor=t[PM], reason=hostile(5000)
    )


def test_every_kind_of_notice_with_hostile_content_is_sent(crew, sink):
    run_every_kind_of_notice(crew)
    queued = Notification.objects.count()
    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert kinds == KINDS, KINDS ^ kinds

    delivery.sweep()

    states = dict.fromkeys(NotificationState.values, 0)
    for state in Notification.objects.values_list("state", flat=True):
        states[state] += 1
    notices = {n.key: n for n in Notification.objects.all()}
    extra_headers = wrong_envelopes = markup = 0
    for rcpts, raw in sink.envelopes:
        message = message_from_bytes(raw, policy=policy.default)
        notice = notices[message["X-OctoAcme-Notice"]]
        headers = {k.lower() for k in message}
        extra_headers += bool(headers & {"bcc", "cc", "x-evil"})
        extra_headers += len(message.get_all("Subject")) != 1
        wrong_envelopes += rcpts != [notice.to_email]
        assert "\n" not in message["Subject"] and "\r" not in message["Subject"]
        html = message.get_body(("html",)).get_content()
        markup += "<script>" in html or "<img src=x" in html
    record(
        SECTION,
        **{
            "kinds of notice": len(kinds),
            "queued": queued,
            "sent": states[NotificationState.SENT],
            "failed": states[NotificationState.FAILED],
            "still pending (retrying)": states[NotificationState.PENDING],
            "messages the SMTP server took": len(sink.envelopes),
            "messages with an injected header (Bcc, Cc, a second Subject)": extra_headers,
            "messages sent to anyone but their recipient": wrong_envelopes,
            "messages with live markup in the HTML part": markup,
        },
    )
    assert states[NotificationState.SENT] == queued, states
    assert len(sink.envelopes) == queued
    assert sink.counts(set(notices)) == {
        "notices": queued,
        "delivered": queued,
        "lost": 0,
        "sent twice": 0,
        "copies with a different Message-ID": 0,
    }
    assert (extra_headers, wrong_envelopes, markup) == (0, 0, 0)


def test_every_one_line_field_refuses_a_line_break_with_a_message(crew):
    """What the services refuse now, rather than store and quote in email subjects."""
    t = crew.team
    release = crew.stage("deployed")
    item = crew.build.create().checklist.get(template__key="backup-snapshot")
    attempts = {
        "release name (create)": lambda: crew.build.create(name=INJECTION),
        "release name (edit)": lambda: services.release_update(
            release_id=item.release_id, actor=t[PM], data={"name": INJECTION}
        ),
        "version": lambda: services.release_update(
            release_id=item.release_id,
            actor=t[PM],
            data={"version": "1.3.0\u2028Bcc: a@evil.example"},
        ),
        "incident title": lambda: services.incident_open(
            release_id=release.pk, actor=t[QA], title=INJECTION
        ),
        "not-applicable reason": lambda: services.checklist_mark_not_applicable(
            item_id=item.pk, actor=t[DEVOPS], reason=INJECTION
        ),
    }
    refused = {}
    for name, attempt in attempts.items():
        with pytest.raises(ValidationError) as caught:
            attempt()
        (message,) = caught.value.messages
        assert "must be on one line" in message, (name, message)
        refused[name] = message
    record(
        "Hostile input",
        **{"one-line fields refusing a line break with a message": len(refused)},
    )
