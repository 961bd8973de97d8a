"""Webhooks, for admins: register an endpoint (its secret is shown once, on the answer to the
POST), disable or enable one, see deliveries with their state and last error, redeliver.

Everything here is an admin's: anyone else gets a 403, on GET and on a forged POST alike.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from notifications.models import WebhookDelivery, WebhookEndpoint, WebhookFormat
from octoacme.web import form_error, perform

from .. import permissions
from ..events import EVENTS
from ..services.webhooks import webhook_redeliver, webhook_register, webhook_set_active

RECENT = 100


class EndpointForm(forms.Form):
    name = forms.CharField(max_length=100, label="Name")
    # A CharField: the service checks the scheme and where the host resolves, in its words.
    url = forms.CharField(max_length=500, label="URL")
    format = forms.ChoiceField(choices=WebhookFormat.choices, label="Format")
    events = forms.MultipleChoiceField(
        choices=list(EVENTS.items()), required=False, label="Events (none: all)"
    )


def _page(request: HttpRequest, **extra: Any) -> HttpResponse:
    context = {
        "endpoints": WebhookEndpoint.objects.all(),
        "deliveries": WebhookDelivery.objects.select_related("endpoint")[:RECENT],
        "events": EVENTS,
        "formats": WebhookFormat.choices,
        **extra,
    }
    return render(request, "releases/webhooks.html", context)


@never_cache
@require_GET
def webhook_list(request: HttpRequest) -> HttpResponse:
    permissions.require_run_team(request.user)
    return _page(request)


@never_cache  # the answer carries the secret: no cache may keep it
@require_POST
def webhook_create(request: HttpRequest) -> HttpResponse:
    permissions.require_run_team(request.user)
    form = EndpointForm(request.POST)
    if not form.is_valid():
        form_error(request, form)
        return redirect(reverse("webhooks") + "#new")
    created: dict[str, Any] = {}

    def register() -> None:
        created["endpoint"], created["secret"] = webhook_register(
            actor=request.user, **form.cleaned_data
        )

    if not perform(
        request, register, "Endpoint registered. Copy its secret now: it is shown once."
    ):
        return redirect(reverse("webhooks") + "#new")
    return _page(request, new_endpoint=created["endpoint"], new_secret=created["secret"])


@require_POST
def webhook_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    permissions.require_run_team(request.user)
    active = request.POST.get("active") == "1"
    perform(
        request,
        lambda: webhook_set_active(actor=request.user, endpoint_id=pk, active=active),
        "Endpoint enabled." if active else "Endpoint disabled: nothing more is sent to it.",
    )
    return redirect(reverse("webhooks") + f"#endpoint-{pk}")


@require_POST
def webhook_redeliver_view(request: HttpRequest, pk: int) -> HttpResponse:
    permissions.require_run_team(request.user)
    perform(
        request,
        lambda: webhook_redeliver(actor=request.user, delivery_id=pk),
        "Redelivery queued, with the same webhook-id.",
    )
    return redirect(reverse("webhooks") + f"#delivery-{pk}")
