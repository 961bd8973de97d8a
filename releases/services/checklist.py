"""The guide's checklist: its owner ticks an item, marks it not applicable or reopens it.

Ticks are backed by evidence: an item tied to release fields is ticked only once they are
filled in (the rule is `lifecycle.item_action`), the CI and acceptance items are ticked with
links, and an edit that empties such a field reopens its item (`reopen_emptied`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from .. import audit, lifecycle, permissions
from ..locks import lock_child
from ..models import (
    ChecklistItem,
    ChecklistState,
    Release,
)
from ..text import clean_field, clean_text

EVIDENCE_SCHEMES = ("http", "https")
_is_url = URLValidator(schemes=list(EVIDENCE_SCHEMES))
_SCHEME = re.compile(r"([a-z][a-z0-9+-]*):", re.IGNORECASE)


def _require(release: Release, item: ChecklistItem, actor: AbstractBaseUser, action: str) -> None:
    held = permissions.held_role_keys(actor, release)
    lifecycle.require(lifecycle.item_action(item, action, release=release, held=held))


@transaction.atomic
def checklist_complete(
    *, item_id: int, actor: AbstractBaseUser, evidence: str = ""
) -> ChecklistItem:
    """Tick an item. "Passing CI and security scans" and "All acceptance criteria met and PRs
    merged" need `evidence`: one to five http(s) links, one a line."""
    release, item = lock_child(
        ChecklistItem, item_id, what="checklist item", related=("template__owner",)
    )
    _require(release, item, actor, "done")
    if lifecycle.evidence.takes_evidence(item):
        evidence = clean_evidence(evidence, item=item)
    elif clean_text(evidence):
        raise ValidationError({"evidence": f"“{item.template.text}” takes no evidence links."})
    return _set_item(
        release, item, ChecklistState.DONE, actor=actor, reason="", evidence=evidence or ""
    )


def clean_evidence(text: str, *, item: ChecklistItem) -> str:
    """The links, one a line, each a full http(s) address; a `ValidationError` says which
    line is wrong and why. Blank lines are dropped."""
    lines = [line.strip() for line in clean_text(text).splitlines() if line.strip()]
    most = lifecycle.EVIDENCE_MAX_LINKS
    if not lines:
        raise ValidationError(
            {
                "evidence": f"“{item.template.text}” needs evidence: give at least one link "
                "(http:// or https://), such as the CI run, the scan report or the merged PRs."
            }
        )
    if len(lines) > most:
        raise ValidationError(
            {"evidence": f"Give at most {most} links, one a line; you gave {len(lines)}."}
        )
    for n, line in enumerate(lines, 1):
        found = _SCHEME.match(line)
        scheme = found.group(1).lower() if found else ""
        if scheme and scheme not in EVIDENCE_SCHEMES:
            # javascript:, data:, file: ... would run or open something on the release page.
            raise ValidationError(
                {
                    "evidence": f"Link {n} starts with “{scheme}:”; only http:// and "
                    "https:// links are accepted."
                }
            )
        try:
            _is_url(line)
        except ValidationError:
            raise ValidationError(
                {
                    "evidence": f"Link {n} is not a web address: give the full link, "
                    "starting with https:// (one a line)."
                }
            ) from None
    return clean_field(
        "\n".join(lines), field="evidence", label="The links", required=True, max_length=5000
    )


@transaction.atomic
def checklist_mark_not_applicable(
    *, item_id: int, actor: AbstractBaseUser, reason: str
) -> ChecklistItem:
    release, item = lock_child(
        ChecklistItem, item_id, what="checklist item", related=("template__owner",)
    )
    _require(release, item, actor, "not_applicable")
    reason = clean_field(
        reason, field="reason", label="The reason", required=True, max_length=500, line=True
    )
    return _set_item(release, item, ChecklistState.NOT_APPLICABLE, actor=actor, reason=reason)


@transaction.atomic
def checklist_reopen(*, item_id: int, actor: AbstractBaseUser) -> ChecklistItem:
    release, item = lock_child(
        ChecklistItem, item_id, what="checklist item", related=("template__owner",)
    )
    _require(release, item, actor, "reopen")
    return _set_item(release, item, ChecklistState.OPEN, actor=actor, reason="")


def reopen_emptied(
    release: Release, changed: Iterable[str], *, actor: AbstractBaseUser
) -> list[ChecklistItem]:
    """For an edit, under the release lock, with the new values set on `release`: reopen every
    done item tied to a field the edit emptied, audited with why. An item whose phase is over
    could not be ticked again, so emptying its field is refused instead (a `ValidationError`
    on the field; the caller's transaction undoes the edit)."""
    emptied = {f for f in changed if lifecycle.evidence.is_empty(getattr(release, f))}
    tied = lifecycle.evidence.items_needing(emptied)
    if not tied:
        return []
    items = list(
        release.checklist.filter(template__key__in=tied, state=ChecklistState.DONE)
        .select_related("template__owner")
        .order_by("template__group", "template__position")
    )
    refused = {
        name: f"{lifecycle.evidence.label(name)} cannot be emptied: “{item.template.text}” is "
        "done and cannot be ticked again now that the release is "
        f"{release.get_stage_display().lower()}."
        for item in items
        if release.stage not in lifecycle.PHASE_STAGES[item.template.phase]
        for name in tied[item.template.key]
        if name in emptied
    }
    if refused:
        raise ValidationError(refused)
    for item in items:
        labels = [lifecycle.evidence.label(f) for f in tied[item.template.key] if f in emptied]
        _set_item(
            release,
            item,
            ChecklistState.OPEN,
            actor=actor,
            reason="",
            why=f"Reopened: the edit emptied {' and '.join(labels)}.",
        )
    return items


def _set_item(
    release: Release,
    item: ChecklistItem,
    state: str,
    *,
    actor: AbstractBaseUser,
    reason: str,
    evidence: str = "",
    why: str = "",
) -> ChecklistItem:
    from_state = item.state
    item.state, item.reason, item.evidence = state, reason, evidence
    done = state != ChecklistState.OPEN
    item.done_by, item.done_at = (actor, timezone.now()) if done else (None, None)
    item.save(update_fields=["state", "reason", "evidence", "done_by", "done_at"])
    audit.record(
        release=release,
        actor=actor,
        # A delegate ticking the person's item: "by X for Y".
        on_behalf_of=permissions.acting_for(actor, release, [item.template.owner.key]),
        verb="checklist." + state,
        subject=item.template.text,
        from_state=from_state,
        to_state=state,
        # The links are the tick's evidence: the trail keeps them after a reopen clears them.
        comment=why or reason or evidence,
    )
    return item
