"""The Team page: who holds which role by default and on each active release.

Everyone signed in reads it. Admins change the defaults, separation of duties and its
exceptions; a release's Project Manager reassigns roles on that release. The forms are drawn
only for who may use them; a forged POST from anyone else is a 403 and changes nothing.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from octoacme.errors import Refused
from octoacme.names import display_name
from octoacme.web import form_error, perform

from .. import permissions, selectors, services
from ..models import Release, RoleKey


def _person(label: str, required: bool = False) -> forms.ModelChoiceField:
    # Any user: naming a deactivated one is refused by the service, in its words.
    return forms.ModelChoiceField(
        get_user_model().objects.all(), required=required, label=label, empty_label="nobody"
    )


class HoldersForm(forms.Form):
    holder = _person("Holder")
    backup = _person("Backup")


class DefaultHoldersForm(HoldersForm):
    apply_to_active = forms.BooleanField(required=False)


class SeparationForm(forms.Form):
    separate_duties = forms.BooleanField(required=False)


class ExceptionForm(forms.Form):
    person = _person("Person", required=True)
    reason = forms.CharField(required=False, max_length=500)  # Required by the service.


def _back(anchor: str) -> HttpResponse:
    return redirect(reverse("team") + f"#{anchor}")


@require_GET
def team(request: HttpRequest) -> HttpResponse:
    page = selectors.team_page(request.user)
    return render(request, "releases/team.html", {"page": page})


@require_POST
def team_default_set(request: HttpRequest, role_key: str) -> HttpResponse:
    permissions.require_run_team(request.user)
    form = DefaultHoldersForm(request.POST)
    if not form.is_valid():
        form_error(request, form)
        return _back("defaults")
    try:
        change = services.default_holder_set(
            role_key=role_key,
            holder=form.cleaned_data["holder"],
            backup=form.cleaned_data["backup"],
            apply_to_active=form.cleaned_data["apply_to_active"],
            actor=request.user,
        )
    except (ValidationError, Refused) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else exc.message
        messages.error(request, text)
        return _back("defaults")
    role = change.default.role.name
    if not change.changed:
        messages.info(request, f"The default {role} was already as chosen; nothing changed.")
        return _back("defaults")
    text = f"Default {role} saved."
    if change.applied:
        text += f" Applied to {len(change.applied)} active release(s)."
    messages.success(request, text)
    for release, reason in change.skipped:
        messages.warning(request, f"Not applied to {release}: {reason}")
    return _back("defaults")


@require_POST
def team_separation_set(request: HttpRequest) -> HttpResponse:
    permissions.require_run_team(request.user)
    form = SeparationForm(request.POST)
    form.is_valid()  # A missing box is "off": a checkbox sends nothing when unticked.
    on = bool(form.cleaned_data.get("separate_duties"))
    perform(
        request,
        lambda: services.separation_set(enabled=on, actor=request.user),
        f"Separation of duties is {'on' if on else 'off'}.",
    )
    return _back("separation")


@require_POST
def team_assign(request: HttpRequest, pk: int, role_key: str) -> HttpResponse:
    release = get_object_or_404(Release, pk=pk)
    permissions.require_manage_assignments(request.user, release)
    form = HoldersForm(request.POST)
    if not form.is_valid():
        form_error(request, form)
    else:
        label = RoleKey(role_key).label if role_key in RoleKey.values else role_key
        holder = form.cleaned_data["holder"]
        perform(
            request,
            lambda: services.role_assign(
                release_id=pk,
                role_key=role_key,
                holder=holder,
                backup=form.cleaned_data["backup"],
                actor=request.user,
            ),
            f"{label} on {release}: {display_name(holder)} holds it now.",
        )
    return _back(f"release-{pk}")


@require_POST
def team_exception_record(request: HttpRequest, pk: int) -> HttpResponse:
    permissions.require_run_team(request.user)
    release = get_object_or_404(Release, pk=pk)
    form = ExceptionForm(request.POST)
    if not form.is_valid():
        form_error(request, form)
    else:
        person = form.cleaned_data["person"]
        perform(
            request,
            lambda: services.duty_exception_record(
                release_id=pk, person=person, reason=form.cleaned_data["reason"], actor=request.user
            ),
            f"Exception recorded: {display_name(person)} may hold more than one role on {release}.",
        )
    return _back(f"release-{pk}")
