"""Webhook endpoints, run by admins: register one (its secret is shown once), disable or
enable it, redeliver a delivery. Each writes its audit event in the same transaction."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from notifications import webhook_delivery, webhooks
from notifications.models import WebhookDelivery, WebhookEndpoint
from octoacme.errors import Refused

from .. import audit, permissions
from ..events import EVENTS
from ..locks import begin_write


@transaction.atomic
def webhook_register(
    *, actor: AbstractBaseUser, name: str, url: str, events: list[str], format: str
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret, which is stored to sign with and shown to the admin once."""
    permissions.require_run_team(actor)
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        raise ValidationError({"events": f"Unknown event(s): {', '.join(unknown)}."})
    begin_write()
    endpoint, secret = webhooks.register(
        name=name, url=url, events=events, format=format, created_by=actor
    )
    audit.record(
        release=None,
        actor=actor,
        verb="webhook.registered",
        subject=f"webhook {endpoint.pk}",
        comment=f"“{endpoint.name}” ({endpoint.get_format_display()}) to {endpoint.url}, "
        + ("events: " + ", ".join(endpoint.events) if endpoint.events else "all events"),
    )
    return endpoint, secret


@transaction.atomic
def webhook_set_active(
    *, actor: AbstractBaseUser, endpoint_id: int, active: bool
) -> WebhookEndpoint:
    permissions.require_run_team(actor)
    begin_write()  # the chain's lock before the endpoint's row lock (releases.locks)
    endpoint = WebhookEndpoint.objects.select_for_update().filter(pk=endpoint_id).first()
    if endpoint is None:
        raise Refused("This webhook endpoint does not exist.")
    if endpoint.active == active:
        raise Refused(f"This endpoint is already {'enabled' if active else 'disabled'}.")
    if active:
        try:  # its address may have moved somewhere private since it was registered
            webhooks.resolve_target(endpoint.url)
        except webhooks.UnsafeTarget as exc:
            raise Refused(str(exc)) from None
    endpoint.active = active
    endpoint.disabled_reason = "" if active else "Disabled by an admin."
    endpoint.save(update_fields=["active", "disabled_reason"])
    audit.record(
        release=None,
        actor=actor,
        verb="webhook.enabled" if active else "webhook.disabled",
        subject=f"webhook {endpoint.pk}",
        comment=f"“{endpoint.name}” to {endpoint.url}",
    )
    return endpoint


@transaction.atomic
def webhook_redeliver(*, actor: AbstractBaseUser, delivery_id: int) -> WebhookDelivery:
    """A new attempt of a sent or failed delivery, with the same `webhook-id`."""
    permissions.require_run_team(actor)
    begin_write()
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None:
        raise Refused("This delivery does not exist.")
    if not delivery.endpoint.active:
        raise Refused("The endpoint is disabled: enable it before redelivering.")
    if not webhook_delivery.redeliver(delivery_id):
        raise Refused("This delivery is still waiting to be sent: there is nothing to redo.")
    audit.record(
        release=None,
        actor=actor,
        verb="webhook.redelivered",
        subject=f"webhook {delivery.endpoint_id}",
        comment=f"{delivery.event} {delivery.msg_id} to “{delivery.endpoint.name}”",
    )
    return delivery
