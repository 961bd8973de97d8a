"""A person's own settings (`/me/`): the time zone pages and emails show times in."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from octoacme.web import form_error

from .. import services, zones


class ProfileForm(forms.Form):
    time_zone = forms.ChoiceField(label="Time zone", choices=())

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        names = zones.choices()
        self.fields["time_zone"].choices = [
            (names[0], f"{names[0]} (team default)"),
            *((n, n) for n in names[1:]),
        ]
        self.fields["time_zone"].error_messages["invalid_choice"] = (
            "“%(value)s” is not a time zone this server knows: pick one from the list."
        )


@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, initial={"time_zone": _current(request)})
    if request.method == "POST":
        if not form.is_valid():
            form_error(request, form)
            return render(request, "releases/profile.html", _context(form), status=400)
        name = services.profile_set_time_zone(
            user=request.user, time_zone=form.cleaned_data["time_zone"]
        )
        request.session[zones.SESSION_KEY] = name
        messages.success(request, f"Times are now shown in {name or settings.TIME_ZONE}.")
        return redirect("profile")
    return render(request, "releases/profile.html", _context(form))


def _context(form: ProfileForm) -> dict[str, object]:
    return {"form": form, "team_zone": settings.TIME_ZONE}


def _current(request: HttpRequest) -> str:
    return request.session.get(zones.SESSION_KEY) or timezone.get_current_timezone_name()
