"""A release's incidents as its page shows them: action items, the fix-forward patch, and a
timeline with times (opened, who was notified, how service was restored and when, resolved,
review closed), so time to restore reads off it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Prefetch
from django.urls import reverse

from notifications.models import Notification
from octoacme.names import display_name

from ..models import ActionItem, ActionItemState, Incident, Release, Stage


@dataclass
class Moment:
    at: datetime
    text: str
    link: str = ""
    link_text: str = ""


def incidents_prefetch() -> Prefetch:
    return Prefetch(
        "incidents",
        queryset=Incident.objects.select_related(
            "opened_by", "rolled_back_to", "resolved_by", "mitigated_by", "review_closed_by"
        ).prefetch_related(
            Prefetch(
                "items",
                queryset=ActionItem.objects.select_related("owner", "closed_by"),
                to_attr="item_list",
            ),
            Prefetch("fix_releases", queryset=Release.objects.order_by("id"), to_attr="fix_list"),
        ),
        to_attr="incident_list",
    )


def duration(delta: timedelta) -> str:
    """Like "1 h 20 min": how long service was down, to the minute."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "less than a minute"
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else ""]
    parts.append(f"{minutes} min" if minutes and not days else "")
    return " ".join(p for p in parts if p)


def prepare_incidents(release: Release) -> None:
    """Give each prefetched incident `fix_deployed`, `open_items`, `fix`, `restored_at` and
    `story` (its timeline, oldest first). One query, for who was notified, when there are
    incidents at all."""
    if not release.incident_list:
        return
    notified = _notified(release)
    for incident in release.incident_list:
        # The same rule as the service's: the patch reached production, not rolled back.
        deployed = [p for p in incident.fix_list if p.deployed_at and p.stage != Stage.ROLLED_BACK]
        incident.fix = incident.fix_list[0] if incident.fix_list else None
        incident.fix_deployed = bool(deployed)
        incident.open_items = sum(i.state == ActionItemState.OPEN for i in incident.item_list)
        restores = [
            t
            for t in (
                incident.rolled_back_at,
                incident.mitigated_at,
                min((p.deployed_at for p in deployed), default=None),
            )
            if t
        ]
        incident.restored_at = min(restores) if restores else None
        incident.story = _story(incident, notified.get(incident.pk, []))


def _notified(release: Release) -> dict[int, list[str]]:
    """Who each incident's opening notice went to, by incident id."""
    people: dict[int, list[str]] = {}
    for n in (
        Notification.objects.filter(release_id=release.pk, kind="incident_opened")
        .select_related("recipient")
        .only("key", "to_email", "recipient")
        .order_by("id")
    ):
        head = n.key.split(":", 1)[0]
        if not head.startswith("incident") or not head[len("incident") :].isdigit():
            continue  # Opened before notices were keyed by incident.
        name = display_name(n.recipient) if n.recipient else f"on-call ({n.to_email})"
        people.setdefault(int(head[len("incident") :]), []).append(name)
    return people


def _story(incident: Incident, notified: list[str]) -> list[Moment]:
    opened = (
        "Production deploy recorded as failed; incident opened"
        if incident.failed_deploy
        else "Incident opened"
    )
    story = [Moment(incident.opened_at, f"{opened} by {display_name(incident.opened_by)}.")]
    if notified:
        story.append(Moment(incident.opened_at, "Notified: " + ", ".join(notified) + "."))
    if incident.rolled_back_at:
        story.append(Moment(incident.rolled_back_at, f"Rolled back to {incident.rolled_back_to}."))
    if incident.mitigated_at:
        story.append(
            Moment(incident.mitigated_at, f"Mitigated by {display_name(incident.mitigated_by)}.")
        )
    for patch in incident.fix_list:
        link = reverse("release-detail", args=[patch.pk])
        story.append(
            Moment(
                incident.fixed_forward_at or patch.created_at,
                "Fix forward: patch",
                link,
                str(patch),
            )
        )
        if patch.deployed_at:
            story.append(
                Moment(patch.deployed_at, "Patch deployed to production:", link, str(patch))
            )
    if incident.restored_at:
        story.append(
            Moment(
                incident.restored_at,
                f"Service restored after {duration(incident.restored_at - incident.opened_at)}.",
            )
        )
    if incident.resolved_at:
        story.append(
            Moment(incident.resolved_at, f"Resolved by {display_name(incident.resolved_by)}.")
        )
    if incident.review_closed_at:
        story.append(
            Moment(
                incident.review_closed_at,
                f"Review closed by {display_name(incident.review_closed_by)}.",
            )
        )
    story.sort(key=lambda m: m.at)  # stable: "restored" stays after the step that restored
    return story
