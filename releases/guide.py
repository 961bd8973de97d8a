"""The guide (`docs/release-guide.md`) as data, word for word; seeded by a data migration.

Kept as plain literals so migrations can import it without importing models.
"""

from typing import Any

ROLES = [
    # key, name, pre-release, release day, post-release, sign-off required
    (
        "qa-lead",
        "QA Lead",
        "Complete final test pass in staging",
        "Execute production smoke tests",
        "Monitor for quality regressions",
        "Test completion confirmation",
    ),
    (
        "devops-engineer",
        "DevOps Engineer",
        "Validate deployment pipeline and rollback procedures",
        "Execute deployment and monitor system health",
        "Review deployment metrics and performance",
        "Infrastructure readiness confirmation",
    ),
    (
        "business-analyst",
        "Business Analyst",
        "Validate all acceptance criteria met",
        "Available for requirement clarifications",
        "Coordinate UAT if needed",
        "Requirements fulfillment confirmation",
    ),
    (
        "ux-designer",
        "UX Designer",
        "Validate design implementation in staging",
        "Review production UI/UX",
        "Monitor user feedback on design changes",
        "Design quality confirmation",
    ),
    (
        "customer-success-manager",
        "Customer Success Manager",
        "Prepare customer communications and training materials",
        "Announce release to customers",
        "Monitor customer feedback and adoption",
        "Customer readiness confirmation",
    ),
    (
        "product-manager",
        "Product Manager",
        "Validate feature completeness against roadmap",
        "Approve final release decision",
        "Monitor success metrics",
        "Product acceptance confirmation",
    ),
    (
        "project-manager",
        "Project Manager",
        "Coordinate all sign-offs and communications",
        "Facilitate release coordination and escalations",
        "Update stakeholders and close project artifacts",
        "Overall release readiness confirmation",
    ),
]

# The guide names no owner for the pre-release requirements; each goes to the role whose
# pre-release duty covers it.
PRE_RELEASE = [
    # key, text, owner
    ("acceptance-criteria", "All acceptance criteria met and PRs merged", "business-analyst"),
    ("ci-security", "Passing CI and security scans", "devops-engineer"),
    ("release-notes", "Release notes drafted", "product-manager"),
    ("rollback-plan", "Rollback / mitigation plan documented", "devops-engineer"),
    ("smoke-tests", "Smoke tests prepared", "qa-lead"),
]

DEPLOYMENT = [
    # key, text, owner, phase, kind, optional
    (
        "deployment-window",
        "Deployment window scheduled (if needed)",
        "project-manager",
        "pre_deploy",
        "manual",
        True,
    ),
    (
        "backup-snapshot",
        "Backup or snapshot (if applicable)",
        "devops-engineer",
        "pre_deploy",
        "manual",
        True,
    ),
    (
        "deploy-to-staging",
        "Deploy to staging and run smoke tests",
        "devops-engineer",
        "pre_deploy",
        "event",
        False,
    ),
    (
        "signoff-qa-lead",
        "QA Lead: Sign-off on test completion",
        "qa-lead",
        "pre_deploy",
        "gate",
        False,
    ),
    (
        "signoff-devops-engineer",
        "DevOps Engineer: Sign-off on infrastructure readiness",
        "devops-engineer",
        "pre_deploy",
        "gate",
        False,
    ),
    (
        "signoff-business-analyst",
        "Business Analyst: Sign-off on requirements fulfillment",
        "business-analyst",
        "pre_deploy",
        "gate",
        False,
    ),
    (
        "signoff-ux-designer",
        "UX Designer: Sign-off on design quality",
        "ux-designer",
        "pre_deploy",
        "gate",
        False,
    ),
    (
        "signoff-customer-success-manager",
        "Customer Success Manager: Sign-off on customer readiness",
        "customer-success-manager",
        "pre_deploy",
        "gate",
        False,
    ),
    (
        "signoff-product-manager",
        "Product Manager: Sign-off on product acceptance",
        "product-manager",
        "pre_deploy",
        "gate",
        False,
    ),
    (
        "signoff-project-manager",
        "Project Manager: Confirm all sign-offs received",
        "project-manager",
        "pre_deploy",
        "gate",
        False,
    ),
    (
        "deploy-to-production",
        "Deploy to production (automated pipeline preferred)",
        "devops-engineer",
        "pre_deploy",
        "event",
        False,
    ),
    (
        "post-deploy-verifications",
        "Run post-deploy verifications",
        "qa-lead",
        "post_deploy",
        "manual",
        False,
    ),
    (
        "announce-release",
        "Announce release to stakeholders and support",
        "customer-success-manager",
        "post_deploy",
        "manual",
        False,
    ),
]

HANDOFFS = [
    # key, from, to, hand off, expected action, timing, phase, is_gate, due h, overdue h
    (
        "qa-to-devops",
        "qa-lead",
        "devops-engineer",
        "Test results and known issues",
        "Proceed with deployment or hold decision",
        "Pre-deployment gate",
        "pre_deploy",
        True,
        None,
        None,
    ),
    (
        "devops-to-project-manager",
        "devops-engineer",
        "project-manager",
        "Deployment status and system health metrics",
        "Stakeholder communication",
        "Post-deployment",
        "post_deploy",
        False,
        0,
        None,
    ),
    (
        "project-manager-to-csm",
        "project-manager",
        "customer-success-manager",
        "Release notes and known issues",
        "Customer communication and support enablement",
        "Immediately after production deployment",
        "post_deploy",
        False,
        0,
        None,
    ),
    (
        "csm-to-product-manager",
        "customer-success-manager",
        "product-manager",
        "Early customer feedback and adoption metrics",
        "Success metric tracking and issue prioritization",
        "24-48 hours post-release",
        "post_deploy",
        False,
        24,
        48,
    ),
]


def seed(apps: Any) -> None:
    """Create or refresh the roles and templates; `apps` is a migration's or the live registry."""
    Role = apps.get_model("releases", "Role")
    ChecklistTemplate = apps.get_model("releases", "ChecklistTemplate")
    HandoffTemplate = apps.get_model("releases", "HandoffTemplate")
    roles = {}
    for position, (key, name, pre, day, post, statement) in enumerate(ROLES, start=1):
        roles[key], _ = Role.objects.update_or_create(
            key=key,
            defaults=dict(
                name=name,
                position=position,
                pre_release_duty=pre,
                release_day_duty=day,
                post_release_duty=post,
                signoff_statement=statement,
            ),
        )
    for position, (key, text, owner) in enumerate(PRE_RELEASE, start=1):
        ChecklistTemplate.objects.update_or_create(
            key=key,
            defaults=dict(
                group="pre_release",
                position=position,
                text=text,
                owner=roles[owner],
                phase="pre_release",
                kind="manual",
                optional=False,
            ),
        )
    for position, (key, text, owner, phase, kind, optional) in enumerate(DEPLOYMENT, start=1):
        ChecklistTemplate.objects.update_or_create(
            key=key,
            defaults=dict(
                group="deployment",
                position=position,
                text=text,
                owner=roles[owner],
                phase=phase,
                kind=kind,
                optional=optional,
            ),
        )
    for position, (key, src, dst, what, action, timing, phase, gate, due, overdue) in enumerate(
        HANDOFFS, start=1
    ):
        HandoffTemplate.objects.update_or_create(
            key=key,
            defaults=dict(
                position=position,
                from_role=roles[src],
                to_role=roles[dst],
                what=what,
                expected_action=action,
                timing=timing,
                phase=phase,
                is_gate=gate,
                due_after_hours=due,
                overdue_after_hours=overdue,
            ),
        )
