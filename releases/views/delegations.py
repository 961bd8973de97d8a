"""Delegations: a person's own page (`/me/delegations/`) and the admins' page for everyone's
(`/team/delegations/`). Each POST reads a form, calls one service and redirects; a forged POST
for someone else's delegation is a 403 and changes nothing.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from octoacme.names import display_name
from octoacme.web import perform

from .. import permissions, services
from ..forms import DateTimeLocalInput
from ..models import Delegation
from ..text import OneLine


class _PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        name = display_name(obj)
        return name if name == obj.get_username() else f"{name} ({obj.get_username()})"


def _people() -> Any:
    return get_user_model().objects.filter(is_active=True).order_by("username")


class DelegationForm(forms.Form):
    """From, until (datetime-local, read in the server's time zone), to whom, why."""

    person = _PersonChoice(_people(), label="Whose roles")
    delegate = _PersonChoice(_people(), label="To whom")
    starts_at = forms.DateTimeField(label="From", widget=DateTimeLocalInput())
    ends_at = forms.DateTimeField(label="Until", widget=DateTimeLocalInput())
    reason = forms.CharField(
        required=False,
        max_length=Delegation._meta.get_field("reason").max_length,
        label="Reason (optional)",
        validators=[OneLine("The reason")],
    )

    def __init__(self, *args: Any, for_self: AbstractBaseUser | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zone = timezone.get_current_timezone_name()
        for name in ("starts_at", "ends_at"):
            self.fields[name].help_text = f"In {zone} time; the delegation ends at “until”."
        if for_self is not None:
            del self.fields["person"]
            self.fields["delegate"].queryset = _people().exclude(pk=for_self.pk)


def _listing(qs: Any) -> list[Delegation]:
    """Not cancelled and not over, soonest first; each says whether it is in force now."""
    now = timezone.now()
    rows = list(
        qs.filter(cancelled_at__isnull=True, ends_at__gt=now)
        .select_related("person", "delegate", "created_by")
        .order_by("starts_at", "id")
    )
    for d in rows:
        d.in_force = d.starts_at <= now
    return rows


def _create(request: HttpRequest, form: DelegationForm, person: AbstractBaseUser) -> bool:
    data = form.cleaned_data
    try:
        services.delegation_create(
            person=person,
            delegate=data["delegate"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            reason=data["reason"],
            actor=request.user,
        )
    except ValidationError as exc:
        # The service's refusal, shown on the field it concerns; nothing was saved.
        errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
        for field, messages_ in errors.items():
            form.add_error(field if field in form.fields else None, messages_)
        return False
    messages.success(
        request, f"Delegated {display_name(person)}'s roles to {display_name(data['delegate'])}."
    )
    return True


@require_http_methods(["GET", "POST"])
def my_delegations(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = DelegationForm(request.POST or None, for_self=user)
    if request.method == "POST" and form.is_valid() and _create(request, form, user):
        return redirect("my-delegations")
    return render(
        request,
        "releases/delegations.html",
        {
            "form": form,
            "given": _listing(Delegation.objects.filter(person=user)),
            "received": _listing(Delegation.objects.filter(delegate=user)),
            "team_view": False,
        },
    )


@require_http_methods(["GET", "POST"])
def team_delegations(request: HttpRequest) -> HttpResponse:
    if not permissions.can_run_team(request.user):
        raise PermissionDenied("Only an admin may set delegations for other people.")
    form = DelegationForm(request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and _create(request, form, form.cleaned_data["person"])
    ):
        return redirect("team-delegations")
    return render(
        request,
        "releases/delegations.html",
        {"form": form, "given": _listing(Delegation.objects.all()), "team_view": True},
    )


@require_POST
def delegation_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    # Back to the page the button was on (only these two: never a URL from the request).
    back = "team-delegations" if request.POST.get("back") == "team" else "my-delegations"
    perform(
        request,
        lambda: services.delegation_cancel(delegation_id=pk, actor=request.user),
        "Delegation cancelled: it no longer applies.",
    )
    return redirect(back)
