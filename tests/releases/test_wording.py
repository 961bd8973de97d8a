"""The audit trail, the CSV download and the emails say what happened in plain words, with
people's names, and in the same sentence for the same event (releases.wording)."""

from __future__ import annotations

import ast
import csv
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from notifications.models import Notification
from releases import audit, wording
from releases.lifecycle.tables import TRANSITIONS
from releases.models import ActionItemState, AuditEvent, ChecklistState, RoleKey
from signoffs import services as gate_services

from ..builders import gate

pytestmark = pytest.mark.django_db

QA, BA, PM = RoleKey.QA_LEAD, RoleKey.BUSINESS_ANALYST, RoleKey.PROJECT_MANAGER
DEVOPS = RoleKey.DEVOPS_ENGINEER
SOURCES = ("releases", "signoffs", "api", "insights")
VERB = re.compile(r"[a-z_]+\.[a-z_]+")

# Verbs built at run time from a prefix, and every value the code can put after it.
DYNAMIC: dict[str, set[str]] = {
    # action_items._close: an item leaves "open" for one of the other states.
    "action_item.": set(ActionItemState.values) - {ActionItemState.OPEN},
    "checklist.": set(ChecklistState.values),
    "release.": set(TRANSITIONS),  # lifecycle.move: f"release.{name}"
}


def _values(node: ast.expr) -> tuple[set[str], set[str]]:
    """(verbs, prefixes) an expression passed as a verb can have; a bare name (a parameter
    passing on a verb named at its call site) gives neither."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}, set()
    if isinstance(node, ast.IfExp):
        a, b = _values(node.body), _values(node.orelse)
        return a[0] | b[0], a[1] | b[1]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        (left, _), (right, _) = _values(node.left), _values(node.right)
        if left and right:
            return {x + y for x in left for y in right}, set()
        return set(), left
    if isinstance(node, ast.JoinedStr):
        head = node.values[0]
        assert isinstance(head, ast.Constant), ast.unparse(node)
        return set(), {head.value}
    return set(), set()


def written_verbs() -> set[str]:
    """Every audit verb the source can write: each `verb=` argument and each `verb = ...`
    assignment, with the prefixes of built verbs expanded through DYNAMIC."""
    verbs: set[str] = set()
    prefixes: set[str] = set()
    root = Path(settings.BASE_DIR)
    for package in SOURCES:
        for path in (root / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                found: list[ast.expr] = []
                if isinstance(node, ast.Call):
                    found = [k.value for k in node.keywords if k.arg == "verb"]
                elif isinstance(node, ast.Assign):
                    targets = [t for t in node.targets if isinstance(t, ast.Name)]
                    found = [node.value] if any(t.id == "verb" for t in targets) else []
                for value in found:
                    v, p = _values(value)
                    if isinstance(node, ast.Assign):
                        # Other locals are called `verb` too ("send", "acknowledge").
                        v = {x for x in v if VERB.fullmatch(x)}
                    verbs |= v
                    prefixes |= p
    unknown = prefixes - set(DYNAMIC)
    assert not unknown, f"Verbs built from {unknown}: add their values to DYNAMIC"
    for prefix in prefixes:
        verbs |= {prefix + value for value in DYNAMIC[prefix]}
    return verbs


def test_every_verb_the_code_writes_has_a_sentence():
    verbs = written_verbs()
    # The collector sees the kinds of writes there are (a constant, a built verb, one chosen).
    assert {"gate.approved", "release.deploy", "checklist.done", "evidence.failed"} <= verbs
    assert {"handoff.hold_lifted", "action_item.deferred", "calendar.regenerated"} <= verbs
    assert sorted(verbs - set(wording.SENTENCES)) == []
    # And no sentence waits for a verb nothing writes (a typo would hide there).
    assert sorted(set(wording.SENTENCES) - verbs) == []


@pytest.mark.parametrize("verb", sorted(wording.SENTENCES))
def test_each_sentence_reads_as_words(verb, team, build):
    team[QA].first_name, team[QA].last_name = "Quinn", "Adams"
    team[QA].save()
    release = build.create()
    event = audit.record(
        release=release,
        actor=team[QA],
        verb=verb,
        subject="QA Lead: Something",
        from_state="planning",
        to_state="rolled_back",
    )
    said = wording.sentence(event)
    assert verb not in said
    assert not re.search(r"[{}_]|\b[a-z]+\.[a-z]+\b", said), said
    assert said[0].isupper()


class TestSentences:
    def test_a_rejection_names_the_person_by_their_name(self, team, build):
        team[BA].first_name, team[BA].last_name = "Bea", "Nakamura"
        team[BA].save()
        release = build.staging()
        gate_services.gate_reject(gate_id=gate(release, BA).pk, actor=team[BA], reason="No AC")
        event = AuditEvent.objects.get(verb="gate.rejected")
        assert wording.sentence(event) == "Bea Nakamura rejected the Business Analyst gate"

    def test_a_stage_move_names_the_stages_by_their_labels(self, team, build):
        team[DEVOPS].first_name, team[DEVOPS].last_name = "Dana", "Lee"
        team[DEVOPS].save()
        release = build.staging()
        event = release.audit_events.get(verb="release.stage")
        assert wording.sentence(event) == "Dana Lee moved the release from Planning to Staging"

    def test_a_tick_quotes_the_item(self, team, build):
        release = build.create()
        event = audit.record(
            release=release, actor=team[QA], verb="checklist.done", subject="Smoke tests prepared"
        )
        assert wording.sentence(event) == "qa-lead ticked “Smoke tests prepared”"

    def test_a_delegate_is_named_with_whom_they_acted_for(self, team, build):
        team[QA].first_name, team[QA].last_name = "Quinn", "Adams"
        team[QA].save()
        release = build.create()
        event = audit.record(
            release=release,
            actor=team.backup,
            on_behalf_of=team[QA],
            verb="gate.approved",
            subject="QA Lead",
        )
        assert wording.sentence(event) == "qa-backup approved the QA Lead gate for Quinn Adams"

    def test_a_duty_names_its_role_and_quotes_its_text(self, team, build):
        release = build.staging()
        build.approve(release, QA)
        event = release.audit_events.get(verb="duty.done")
        assert wording.sentence(event) == (
            "qa-lead marked the QA Lead duty “Complete final test pass in staging” done"
        )

    def test_what_nobody_clicked_and_an_unknown_verb_still_read_as_words(self, build):
        release = build.create()
        stale = audit.record(release=release, actor=None, verb="gate.stale", subject="UX Designer")
        assert wording.sentence(stale) == "The UX Designer approval went stale: it is pending again"
        odd = audit.record(release=release, actor=None, verb="followup.due")
        assert wording.sentence(odd) == "OctoAcme Releases recorded: followup due"
        named = audit.record(release=release, actor=None, verb="note.added", subject="Event 7")
        assert wording.sentence(named) == "OctoAcme Releases recorded: note added (Event 7)"


def test_the_release_page_and_the_audit_page_show_sentences_not_verbs(client, team, build):
    release = build.deployed()
    events = list(release.audit_events.select_related("actor", "on_behalf_of"))
    assert len({e.verb for e in events}) >= 8
    client.force_login(team.outsider)
    for url, shown in (
        (reverse("release-detail", args=[release.pk]), 25),  # the page shows the latest 25
        (reverse("release-audit", args=[release.pk]), len(events)),
    ):
        html = client.get(url).text
        trail = html[html.index('<ol class="timeline">') :]
        trail = trail[: trail.index("</ol>")]
        assert trail.count("<li>") == min(len(events), shown)
        for event in events:
            assert event.verb not in trail
    # Every event in the same sentence the CSV and the emails use (none of these has a
    # character the page escapes).
    html = client.get(reverse("release-audit", args=[release.pk])).text
    for event in events:
        assert wording.sentence(event) in html
    assert "devops-engineer moved the release from Planning to Staging" in html
    deployed = "recorded the production deploy, moving the release from Approved to Deployed"
    assert f"devops-engineer {deployed}" in html


def test_the_csv_keeps_the_verb_and_adds_what_happened(client, team, build):
    team[DEVOPS].first_name, team[DEVOPS].last_name = "Dana", "Lee"
    team[DEVOPS].save()
    release = build.staging()
    client.force_login(team[QA])
    body = client.get(reverse("release-audit-csv", args=[release.pk])).content.decode()
    header, *rows = list(csv.reader(io.StringIO(body[1:])))
    assert header[3] == "verb" and header[-1] == "what happened"
    staged = next(r for r in rows if r[3] == "release.stage")
    assert staged[-1] == "Dana Lee moved the release from Planning to Staging"


def test_an_email_says_the_audit_trails_sentence_with_the_full_name(team, build):
    team[BA].first_name, team[BA].last_name = "Bea", "Nakamura"
    team[BA].save()
    release = build.staging()
    gate_services.gate_reject(gate_id=gate(release, BA).pk, actor=team[BA], reason="No AC")
    event = AuditEvent.objects.get(verb="gate.rejected")
    said = f"{release}: Bea Nakamura rejected the Business Analyst gate."
    assert wording.headline(event) == said
    mail = Notification.objects.get(kind="gate_rejected", to_email=team[PM].email)
    assert said in mail.body_text
    assert said in mail.body_html
    assert BA not in mail.body_text  # the username "business-analyst" nowhere
