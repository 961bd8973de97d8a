"""What an audit event says in plain words: the one sentence the release page, the audit page,
the CSV download and the emails about that event all use.

Each verb the services record has a sentence here, written for a role owner, not a developer:
people by name (octoacme.names.display_name), states by their labels ("Staging", "Success"),
never a dotted verb. `tests/releases/test_wording.py` collects every verb the code can write and
fails on one without a sentence; `sentence` still reads as words for an unknown verb (an event
of an older version, a test's made-up verb).
"""

from __future__ import annotations

from typing import Any

from octoacme.names import display_name

from .models import DeploymentState, Release, Stage

# Who did something nobody clicked: a periodic sweep, or a change that followed another.
NOBODY = "OctoAcme Releases"

# Placeholders: {actor} (the person's name), {subject} (as recorded: a role, an item's text, a
# title), {from} and {to} (the states as words). "for {on_behalf_of}" is appended by `sentence`.
SENTENCES: dict[str, str] = {
    # Sign-off gates (subject: the role).
    "gate.opened": "The {subject} gate opened for sign-off",
    "gate.approved": "{actor} approved the {subject} gate",
    "gate.rejected": "{actor} rejected the {subject} gate",
    "gate.revoked": "{actor} revoked the {subject} approval",
    "gate.stale": "The {subject} approval went stale: it is pending again",
    # The release's own steps (one verb per transition of lifecycle.tables.TRANSITIONS).
    "release.created": "{actor} created the release",
    "release.edited": "{actor} edited the release",
    "release.stage": "{actor} moved the release from {from} to {to}",
    "release.approve": "{actor} confirmed all sign-offs received, moving the release from "
    "{from} to {to}",
    "release.reopen": "{actor} sent the release back from {from} to {to}",
    "release.deploy": "{actor} recorded the production deploy, moving the release from {from} "
    "to {to}",
    "release.close": "{actor} closed the release, moving it from {from} to {to}",
    "release.roll_back": "{actor} recorded the rollback, moving the release from {from} to {to}",
    "release.cancel": "{actor} cancelled the release, moving it from {from} to {to}",
    "release.downgrade": "{actor} deployed the release as a deliberate downgrade",
    "release.superseded": "{actor} replaced the release in production with a newer one",
    "release.restored": "{actor} rolled production back to this release",
    "release.fixes_incident": "{actor} created this patch release to fix forward the incident "
    "“{subject}”",
    "deploy.failed": "{actor} recorded a failed production deploy",
    "deploy.override": "{actor} recorded a deploy override (through a freeze or outside the "
    "deployment window)",
    "deploy.override_used": "{actor} deployed on a deploy override",
    # Roles, duties and the team.
    "role.assigned": "{actor} changed who holds the {subject} role",
    "role.left_unassigned": "{actor} left roles unassigned to keep separation of duties",
    "default_holder.changed": "{actor} changed the team's default holder of the {subject} role",
    "team.separation_changed": "{actor} turned separation of duties {to}",
    "duty_exception.recorded": "{actor} recorded a separation-of-duties exception for {subject}",
    # (subject: "QA Lead: the duty's text", split into {role} and {duty}.)
    "duty.done": "{actor} marked the {role} duty “{duty}” done",
    "duty.reopened": "The {role} duty “{duty}” is to do again",
    "delegation.created": "{actor} set up the delegation of {subject}",
    "delegation.cancelled": "{actor} cancelled the delegation of {subject}",
    "policy.changed": "{actor} changed the {subject} from {from} to {to}",
    # The checklist (subject: the item's text).
    "checklist.done": "{actor} ticked “{subject}”",
    "checklist.not_applicable": "{actor} marked “{subject}” not applicable",
    "checklist.open": "{actor} reopened “{subject}”",
    # Hand-offs (subject: "QA Lead → DevOps Engineer").
    "handoff.sent": "{actor} sent the {subject} hand-off",
    "handoff.acknowledged": "{actor} acknowledged the {subject} hand-off",
    "handoff.proceed": "{actor} said “proceed with deployment” on the {subject} hand-off",
    "handoff.hold": "{actor} put a hold on the release in the {subject} hand-off",
    "handoff.hold_lifted": "{actor} lifted the hold and said “proceed with deployment” on the "
    "{subject} hand-off",
    "handoff.reset": "The {subject} hand-off is to be sent again: what it covered changed",
    # Incidents and their action items (subject: the title or the item's text).
    "incident.opened": "{actor} opened the incident “{subject}”",
    "incident.mitigated": "{actor} recorded a mitigation of the incident “{subject}”",
    "incident.fixed_forward": "{actor} started a fix forward of the incident “{subject}”",
    "incident.resolved": "{actor} resolved the incident “{subject}”",
    "incident.review_closed": "{actor} closed the review of the incident “{subject}”",
    "action_item.added": "{actor} added the action item “{subject}”",
    "action_item.done": "{actor} marked the action item “{subject}” done",
    "action_item.deferred": "{actor} deferred the action item “{subject}”",
    # What pipelines report (subject: "production deployment", an evidence kind).
    "evidence.passed": "{actor} reported a passing result for “{subject}”",
    "evidence.failed": "{actor} reported a failing result for “{subject}”",
    "deployment.recorded": "{actor} recorded a {subject}: {to}",
    "deployment.updated": "{actor} updated the {subject} from {from} to {to}",
    "deployment.verified": "{actor} recorded that the {subject} passed verification",
    "deployment.verification_failed": "{actor} recorded that the {subject} failed verification",
    # Freezes, integrations, feeds (the comment says which one and how).
    "freeze.created": "{actor} set up a deploy freeze",
    "freeze.ended": "{actor} ended a deploy freeze",
    "webhook.registered": "{actor} registered a webhook",
    "webhook.enabled": "{actor} switched a webhook on",
    "webhook.disabled": "{actor} switched a webhook off",
    "webhook.redelivered": "{actor} sent a webhook message again",
    "api_token.created": "{actor} created the {subject}",
    "api_token.revoked": "{actor} revoked the {subject}",
    "calendar.created": "{actor} created the {subject}",
    "calendar.regenerated": "{actor} gave the calendar feed a new address ({subject})",
    "calendar.revoked": "{actor} revoked the {subject}",
}

# States as words, by the family of verbs whose from/to they are (the same value can read
# differently: a hand-off "pending" is "Not sent").
_POLICY_STATES = {"guide": "the guide's rule", "expedited": "expedited"}
STATE_WORDS: dict[str, dict[str, str]] = {
    "release": dict(Stage.choices),
    "deployment": {value: str(label).lower() for value, label in DeploymentState.choices},
    "policy": _POLICY_STATES,
}


def state_word(verb: str, state: str) -> str:
    """`state` as a person reads it, for an event of `verb`: "rolled_back" -> "Rolled back"."""
    words = STATE_WORDS.get(verb.partition(".")[0], {})
    return words.get(state) or state.replace("_", " ") or "—"


def _fallback(verb: str, subject: str) -> str:
    # "followup.due" -> "{actor} recorded: followup due": words, never a dotted verb.
    text = "{actor} recorded: " + verb.replace(".", " ").replace("_", " ").strip()
    return text + (" ({subject})" if subject else "")


def sentence(event: Any) -> str:
    """The event in one sentence, without a closing full stop (the page puts the comment under
    it; an email goes on after it)."""
    template = SENTENCES.get(event.verb) or _fallback(event.verb, event.subject)
    role, _, duty = event.subject.partition(": ")
    if "{duty}" in template and not duty:
        template = _fallback(event.verb, event.subject)
    text = template.format(
        actor=display_name(event.actor, nobody=NOBODY),
        subject=event.subject,
        role=role,
        duty=duty,
        **{
            "from": state_word(event.verb, event.from_state),
            "to": state_word(event.verb, event.to_state),
        },
    )
    if event.on_behalf_of_id:
        text += f" for {display_name(event.on_behalf_of)}"
    return text


def headline(event: Any, release: Release | None = None) -> str:
    """The sentence as an email's first line: which release, then what happened."""
    release = release or event.release
    return f"{release}: {sentence(event)}." if release else f"{sentence(event)}."
