"""The sign-off page: what you are signing, and approve / reject / revoke."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from octoacme.names import display_name
from octoacme.web import form_error, perform
from releases import permissions as release_permissions
from releases import selectors
from releases.models import ChecklistGroup, RoleAssignment, RoleKey

from . import permissions, services
from .forms import DecisionForm
from .models import GateState, SignOff
from .selectors import gate_decisions

DECISIONS = {
    "approve": (services.gate_approve, "comment", "Approved. Thank you."),
    "reject": (
        services.gate_reject,
        "reason",
        "Rejected. The release is blocked until it is fixed.",
    ),
    "revoke": (services.gate_revoke, "comment", "Approval revoked."),
}


def _gate_or_403(request: HttpRequest, pk: int) -> SignOff:
    gate = get_object_or_404(SignOff.objects.select_related("role", "release"), pk=pk)
    if not permissions.can_sign(request.user, gate):
        # Someone acting for the holder is told why delegation does not reach this gate.
        raise PermissionDenied(
            permissions.why_not_delegated(request.user, gate) or _not_yours(request.user, gate)
        )
    return gate


def _not_yours(user: AbstractBaseUser, gate: SignOff) -> str:
    """The refusal of someone else's gate says whose it is and who can change that, so the
    reader knows whom to ask rather than just that they may not."""
    release = gate.release
    held = {
        a.role.key: a
        for a in RoleAssignment.objects.filter(
            release=release, role__key__in=[gate.role.key, RoleKey.PROJECT_MANAGER]
        ).select_related("role", "holder", "backup")
    }
    mine = held.get(gate.role.key)
    people = [u for u in (mine.holder, mine.backup) if u is not None] if mine else []
    if not people:
        whose = "nobody holds it yet"
    elif len(people) == 1:
        whose = f"{display_name(people[0])} holds it and may sign it"
    else:
        whose = f"{display_name(people[0])} holds it (backup: {display_name(people[1])})"
        whose += " and they may sign it"
    text = f"You do not hold the {gate.role.name} gate of {release}: {whose}."
    if release_permissions.can_manage_assignments(user, release):
        return text + (
            " You may reassign the role under “Who holds which role” on the release page; "
            "even then, only the person who holds a gate signs it."
        )
    pm = held.get(RoleKey.PROJECT_MANAGER)
    managers = [display_name(u) for u in (pm.holder, pm.backup) if u is not None] if pm else []
    ask = (
        f"the release's Project Manager ({' or '.join(managers)})"
        if managers
        else ("the release's Project Manager")
    )
    return text + f" To have it reassigned, ask {ask} or an admin."


@require_GET
def gate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    gate = _gate_or_403(request, pk)
    release, summary = selectors.release_page(gate.release_id)
    gate = next(g.gate for g in summary.gates if g.gate.pk == pk)
    decide = gate_decisions(
        release,
        gate,
        request.user,
        gates=[g.gate for g in summary.gates],
        handoffs=release.gate_handoffs,
        may_sign=True,  # _gate_or_403 checked it
    )
    return render(
        request,
        "signoffs/gate_detail.html",
        {
            "gate": gate,
            "release": release,
            "summary": summary,
            "groups": [
                (label, [i for i in release.checklist_items if i.template.group == value])
                for value, label in ChecklistGroup.choices
            ],
            "decide": decide,
            # When no decision is possible, the page says why (the same words the service uses).
            "why_not": (
                decide["revoke"] if gate.state == GateState.APPROVED else decide["approve"]
            ).reason,
            "form": DecisionForm(initial={"revision": gate.revision}),
        },
    )


@require_POST
def gate_decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    if decision not in DECISIONS:
        return HttpResponse(status=404)
    gate = _gate_or_403(request, pk)
    service, text_arg, success = DECISIONS[decision]
    form = DecisionForm(request.POST)
    if not form.is_valid():
        form_error(request, form)
        return redirect("gate-detail", pk=pk)
    perform(
        request,
        lambda: service(
            gate_id=gate.pk,
            actor=request.user,
            revision=form.cleaned_data["revision"],
            **{text_arg: form.cleaned_data["comment"]},
        ),
        success,
    )
    return redirect("gate-detail", pk=pk)
