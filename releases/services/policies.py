"""Release policies: which gates of a release type approve before its deploy.

Without a policy row the guide holds: all seven gates approve before the deploy. An admin may
set an expedited policy for a type (a hotfix of a critical production issue): a named subset
of gates approves before the deploy, the others sign retroactively within a set number of
hours after it. A release copies its type's policy onto its gates when it is created
(`gate_terms`), so editing a policy never changes a release already in flight.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from octoacme.errors import Refused

from .. import audit, permissions
from ..locks import begin_write
from ..models import ReleasePolicy, ReleaseType, Role, RoleKey
from ..text import clean_field

# The Project Manager's confirmation is what approves a release, and the DevOps Engineer is
# the one who deploys it: neither can come after the deploy, whatever the hurry.
ALWAYS_BEFORE = (RoleKey.PROJECT_MANAGER, RoleKey.DEVOPS_ENGINEER)
# A retroactive sign-off weeks after the deploy is no review at all; a month is the ceiling.
MAX_RETROACTIVE_HOURS = 720
GUIDE_RULE = "the guide: all seven gates approve before the deploy"


@dataclass(frozen=True)
class Rule:
    """A release type's rule as the policy page shows it and the audit trail quotes it."""

    release_type: str
    label: str
    policy: ReleasePolicy | None
    before: list[Role]
    after: list[Role]
    hours: int | None

    def __str__(self) -> str:
        if self.policy is None or not self.after:
            return GUIDE_RULE
        return (
            f"{self.policy.name}: before the deploy {_names(self.before)}; "
            f"within {self.hours} h after it {_names(self.after)}"
        )


def _names(roles: Iterable[Role]) -> str:
    return ", ".join(r.name for r in roles)


def type_label(release_type: str) -> str:
    """ "Patch" rather than the choice's long description."""
    return ReleaseType(release_type).label.split(" (")[0]


def rules() -> list[Rule]:
    """Every release type's rule, in the types' order (two queries)."""
    roles = list(Role.objects.all())
    policies = {p.release_type: p for p in ReleasePolicy.objects.prefetch_related("before_deploy")}
    return [_rule(t, policies.get(t), roles) for t in ReleaseType.values]


def _rule(release_type: str, policy: ReleasePolicy | None, roles: list[Role]) -> Rule:
    if policy is None or not policy.expedited:
        return Rule(release_type, type_label(release_type), policy, roles, [], None)
    before = {r.pk for r in policy.before_deploy.all()}
    return Rule(
        release_type,
        type_label(release_type),
        policy,
        [r for r in roles if r.pk in before],
        [r for r in roles if r.pk not in before],
        policy.retroactive_hours,
    )


def gate_terms(release_type: str) -> dict[int, int]:
    """Role id -> retroactive hours for each gate a new release of this type signs after its
    deploy; empty under the guide. Copied onto the gates at creation (one query by default)."""
    policy = (
        ReleasePolicy.objects.filter(release_type=release_type, expedited=True)
        .prefetch_related("before_deploy")
        .first()
    )
    if policy is None or not policy.retroactive_hours:
        return {}
    before = {r.pk for r in policy.before_deploy.all()}
    hours = policy.retroactive_hours
    return {pk: hours for pk in Role.objects.values_list("pk", flat=True) if pk not in before}


@transaction.atomic
def policy_set(
    *,
    actor: AbstractBaseUser,
    release_type: str,
    expedited: bool,
    name: str = "",
    before_deploy: Iterable[str] = (),
    retroactive_hours: int | None = None,
) -> bool:
    """Set a release type's policy (an admin); `expedited=False` returns it to the guide.

    Returns whether anything changed; a change writes one "policy.changed" event quoting the
    old and the new rule. Releases already created keep the rule they were created with.
    """
    permissions.require_run_team(actor)
    if release_type not in ReleaseType.values:
        raise ValidationError({"release_type": f"“{release_type}” is not a release type."})
    roles = list(Role.objects.all())
    # Lock the type's row so two admins saving at once queue, and the second one's audit
    # event quotes the first one's rule as the old rule.
    begin_write()  # the chain's lock before the policy's row lock (releases.locks)
    current = (
        ReleasePolicy.objects.select_for_update()
        .filter(release_type=release_type)
        .prefetch_related("before_deploy")
        .first()
    )
    old = _rule(release_type, current, roles)
    if not expedited:
        if current is None:
            return False
        current.delete()
        _record(actor, release_type, old, _rule(release_type, None, roles))
        return True
    name, keys, hours = _check_expedited(name, before_deploy, retroactive_hours, roles)
    chosen = [r for r in roles if r.key in keys]
    unchanged = (
        current is not None
        and current.expedited
        and current.name == name
        and current.retroactive_hours == hours
        and {r.pk for r in current.before_deploy.all()} == {r.pk for r in chosen}
    )
    if unchanged:
        return False
    policy = current or ReleasePolicy(release_type=release_type)
    policy.name, policy.expedited, policy.retroactive_hours = name, True, hours
    policy.updated_by = actor
    try:
        with transaction.atomic():
            policy.save()
    except IntegrityError:
        # Another admin created this type's policy between our read and our insert.
        raise Refused(
            f"Someone else set the {type_label(release_type)} policy just now; "
            "review it and save again."
        ) from None
    policy.before_deploy.set(chosen)
    new = _rule(release_type, policy, roles)
    _record(actor, release_type, old, new)
    return True


def _check_expedited(
    name: str, before_deploy: Iterable[str], hours: int | None, roles: list[Role]
) -> tuple[str, set[str], int]:
    name = clean_field(
        name, field="name", label="The policy's name", required=True, max_length=120, line=True
    )
    keys = set(before_deploy)
    known = {r.key for r in roles}
    if keys - known:
        raise ValidationError(
            {"before_deploy": "Unknown roles: " + ", ".join(sorted(keys - known)) + "."}
        )
    missing = [r.name for r in roles if r.key in ALWAYS_BEFORE and r.key not in keys]
    if missing:
        raise ValidationError(
            {
                "before_deploy": "An expedited policy still needs "
                + " and ".join(missing)
                + " before the deploy: the Project Manager's confirmation approves the "
                "release and the DevOps Engineer deploys it."
            }
        )
    if keys == known:
        raise ValidationError(
            {
                "before_deploy": "With all seven gates before the deploy the policy is the "
                "guide's; leave at least one to sign after the deploy, or choose the guide."
            }
        )
    if not hours or hours < 1:
        raise ValidationError(
            {
                "retroactive_hours": "An expedited policy needs the number of hours after the "
                "deploy within which the other gates sign (at least 1)."
            }
        )
    if hours > MAX_RETROACTIVE_HOURS:
        raise ValidationError(
            {
                "retroactive_hours": f"At most {MAX_RETROACTIVE_HOURS} hours (30 days): a "
                "later sign-off is no review."
            }
        )
    return name, keys, hours


def _record(actor: AbstractBaseUser, release_type: str, old: Rule, new: Rule) -> None:
    audit.record(
        release=None,
        actor=actor,
        verb="policy.changed",
        subject=f"{type_label(release_type)} release policy",
        from_state="expedited" if old.after else "guide",
        to_state="expedited" if new.after else "guide",
        comment=f"From {old}. To {new}. Releases already created keep their rule.",
    )
