"""Release policies per release type: admins edit them, everyone signed in reads them.

The forms are drawn only for admins; a forged POST from anyone else is a 403 and changes
nothing (the service checks before it reads anything else).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from octoacme.errors import Refused
from octoacme.web import form_error

from .. import permissions
from ..models import ReleaseType, Role, RoleKey
from ..services import policies
from ..services.policies import ALWAYS_BEFORE, MAX_RETROACTIVE_HOURS


class PolicyForm(forms.Form):
    # The two rules the page offers; the service checks the rest (names, gates, hours).
    rule = forms.ChoiceField(
        choices=[("guide", "The guide"), ("expedited", "Expedited")], label="Rule"
    )
    name = forms.CharField(required=False, max_length=120, label="Name")
    before_deploy = forms.MultipleChoiceField(
        required=False, choices=RoleKey.choices, label="Gates before the deploy"
    )
    retroactive_hours = forms.IntegerField(
        required=False, min_value=0, max_value=32767, label="Hours after the deploy"
    )


@require_GET
def policy_page(request: HttpRequest) -> HttpResponse:
    context = {
        "rules": policies.rules(),
        "roles": list(Role.objects.all()),
        "always_before": ALWAYS_BEFORE,
        "max_hours": MAX_RETROACTIVE_HOURS,
        "may_edit": permissions.can_run_team(request.user),
    }
    return render(request, "releases/policies.html", context)


@require_POST
def policy_set(request: HttpRequest, release_type: str) -> HttpResponse:
    # Forbidden first: a non-admin's POST is a 403 whatever it carries.
    permissions.require_run_team(request.user)
    form = PolicyForm(request.POST)
    anchor = release_type if release_type in ReleaseType.values else ""
    if not form.is_valid():
        form_error(request, form)
        return _back(anchor)
    data = form.cleaned_data
    try:
        changed = policies.policy_set(
            actor=request.user,
            release_type=release_type,
            expedited=data["rule"] == "expedited",
            name=data["name"],
            before_deploy=data["before_deploy"],
            retroactive_hours=data["retroactive_hours"],
        )
    except (ValidationError, Refused) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else exc.message
        messages.error(request, text)
        return _back(anchor)
    if changed:
        messages.success(
            request,
            "Policy saved. Releases created from now on follow it; releases already created "
            "keep the rule they were created with.",
        )
    else:
        messages.info(request, "Nothing changed.")
    return _back(anchor)


def _back(anchor: str) -> HttpResponse:
    return redirect(reverse("team-policies") + (f"#policy-{anchor}" if anchor else ""))
