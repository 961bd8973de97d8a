"""The seeded roles, checklist and hand-offs say what the guide says, word for word."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from releases.models import ChecklistTemplate, HandoffTemplate, Role

pytestmark = pytest.mark.django_db

# The guide ships with the project; a missing copy fails these tests rather than skipping them.
GUIDE = Path(__file__).resolve().parents[2] / "docs" / "release-guide.md"


def section(text: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, title
    return match.group(1)


@pytest.fixture(scope="module")
def guide_text() -> str:
    return GUIDE.read_text(encoding="utf-8")


def test_seven_roles_in_the_guides_order():
    assert list(Role.objects.values_list("name", flat=True)) == [
        "QA Lead",
        "DevOps Engineer",
        "Business Analyst",
        "UX Designer",
        "Customer Success Manager",
        "Product Manager",
        "Project Manager",
    ]


def test_roles_match_the_guide(guide_text):
    roles = section(guide_text, "Role-Specific Release Responsibilities")
    for role in Role.objects.all():
        block = re.search(rf"### {re.escape(role.name)}\n(.*?)(?=###|\Z)", roles, re.S).group(1)
        duties = dict(re.findall(r"- \*\*(.+?)\*\*: (.+)", block))
        assert duties == {
            "Pre-release": role.pre_release_duty,
            "Release day": role.release_day_duty,
            "Post-release": role.post_release_duty,
            "Sign-off required": role.signoff_statement,
        }


def test_pre_release_requirements_match_the_guide(guide_text):
    lines = re.findall(r"^- (.+)$", section(guide_text, "Pre-release requirements"), re.M)
    seeded = ChecklistTemplate.objects.filter(group="pre_release").order_by("position")
    assert [t.text for t in seeded] == lines
    assert len(lines) == 5


def test_deployment_checklist_matches_the_guide(guide_text):
    lines = re.findall(r"^- \[ \] (.+)$", section(guide_text, "Deployment Checklist"), re.M)
    # "**QA Lead**: Sign-off on ..." is stored without the Markdown emphasis.
    lines = [line.replace("**", "") for line in lines]
    seeded = ChecklistTemplate.objects.filter(group="deployment").order_by("position")
    assert [t.text for t in seeded] == lines
    assert len(lines) == 13


def test_only_if_needed_items_are_optional():
    optional = ChecklistTemplate.objects.filter(optional=True).values_list("text", flat=True)
    assert sorted(optional) == [
        "Backup or snapshot (if applicable)",
        "Deployment window scheduled (if needed)",
    ]


def test_each_sign_off_item_is_owned_by_its_role():
    for item in ChecklistTemplate.objects.filter(kind="gate").select_related("owner"):
        assert item.text.startswith(item.owner.name + ":")


def test_handoffs_match_the_guide(guide_text):
    text = section(guide_text, "Cross-functional Release Hand-offs")
    blocks = re.findall(
        r"### (.+?) → (.+?)\n- Hand off: (.+)\n- Expected action: (.+)\n- Timing: (.+)", text
    )
    seeded = [
        (h.from_role.name, h.to_role.name, h.what, h.expected_action, h.timing)
        for h in HandoffTemplate.objects.select_related("from_role", "to_role")
    ]
    assert seeded == blocks
    assert len(blocks) == 4


def test_the_qa_handoff_is_the_only_gate_and_feedback_is_due_24_to_48_hours():
    assert list(HandoffTemplate.objects.filter(is_gate=True).values_list("key", flat=True)) == [
        "qa-to-devops"
    ]
    csm = HandoffTemplate.objects.get(key="csm-to-product-manager")
    assert (csm.due_after_hours, csm.overdue_after_hours) == (24, 48)
