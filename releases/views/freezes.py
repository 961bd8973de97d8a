"""Deploy freezes: everyone signed in sees them, admins create and end them; an admin or a
release's Project Manager records a deploy override on the release page.

Each POST reads a form, calls one service and redirects. A forged POST from someone not
allowed is a 403 and changes nothing (the service checks before it reads anything else).
"""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from octoacme.web import form_error, perform

from .. import permissions, selectors, services
from ..forms import DateTimeLocalInput
from ..models import FreezeKind, Release, Weekday

DAYS = [("", "—"), *Weekday.choices]
# A short list for the select; the service takes any zone the system knows.
ZONES = ["UTC", "Europe/Berlin", "Europe/London", "America/New_York", "America/Los_Angeles"]


class FreezeForm(forms.Form):
    reason = forms.CharField(max_length=200, label="Reason")
    kind = forms.ChoiceField(choices=FreezeKind.choices, label="Kind")
    time_zone = forms.CharField(max_length=64, label="Time zone", initial="Europe/Berlin")
    starts_at = forms.DateTimeField(required=False, widget=DateTimeLocalInput(), label="Starts")
    ends_at = forms.DateTimeField(required=False, widget=DateTimeLocalInput(), label="Ends")
    start_weekday = forms.TypedChoiceField(
        choices=DAYS,
        coerce=int,
        empty_value=None,
        required=False,
        label="Starts on",
        widget=forms.Select(attrs={"id": "freeze-start-day"}),
    )
    start_time = forms.TimeField(required=False, label="at")
    end_weekday = forms.TypedChoiceField(
        choices=DAYS,
        coerce=int,
        empty_value=None,
        required=False,
        label="Ends on",
        widget=forms.Select(attrs={"id": "freeze-end-day"}),
    )
    end_time = forms.TimeField(required=False, label="at")

    def clean(self) -> dict:
        data = super().clean()
        # A one-off's moments are wall times in the freeze's own zone, not the server's: drop
        # the zone the form gave them and let the service read them in `time_zone`.
        for name in ("starts_at", "ends_at"):
            value: datetime | None = data.get(name)
            if value is not None:
                data[name] = timezone.make_naive(value)
        return data


class OverrideForm(forms.Form):
    reason = forms.CharField(max_length=500, label="The reason")


@require_GET
def freeze_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "releases/freezes.html",
        {
            "page": selectors.freeze_page(timezone.now()),
            "may_edit": permissions.can_run_team(request.user),
            "form": FreezeForm(),
            "zones": ZONES,
        },
    )


@require_POST
def freeze_create(request: HttpRequest) -> HttpResponse:
    permissions.require_run_team(request.user)
    form = FreezeForm(request.POST)
    if not form.is_valid():
        form_error(request, form)
    else:
        perform(
            request,
            lambda: services.freeze_create(actor=request.user, **form.cleaned_data),
            "Freeze created.",
        )
    return redirect(reverse("freezes"))


@require_POST
def freeze_end(request: HttpRequest, pk: int) -> HttpResponse:
    permissions.require_run_team(request.user)
    perform(
        request,
        lambda: services.freeze_end(freeze_id=pk, actor=request.user),
        "Freeze ended: it no longer holds deploys back.",
    )
    return redirect(reverse("freezes"))


@require_POST
def deploy_override(request: HttpRequest, pk: int) -> HttpResponse:
    release = get_object_or_404(Release, pk=pk)
    back = reverse("release-detail", args=[pk]) + "#next-step"
    form = OverrideForm(request.POST)
    if not form.is_valid():
        permissions.require_override_deploy(request.user, release)
        form_error(request, form)
        return redirect(back)
    perform(
        request,
        lambda: services.deploy_override_record(
            release_id=pk, actor=request.user, reason=form.cleaned_data["reason"]
        ),
        "Override recorded: the next production deploy may go through. The Project Manager "
        "and on-call are told.",
    )
    return redirect(back)
