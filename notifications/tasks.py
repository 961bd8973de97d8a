"""Thin Celery tasks: take a key or nothing, call a delivery service, safe to run twice.

The services are imported inside each task: the outbox imports this module to enqueue, so a
module-level import back would be a cycle.
"""

from __future__ import annotations

from celery import shared_task


@shared_task
def deliver_notification(key: str) -> str:
    from .delivery import deliver

    return deliver(key)


@shared_task
def deliver_due() -> dict[str, int]:
    from .delivery import sweep

    return sweep()


@shared_task
def deliver_webhook(delivery_id: int) -> str:
    from .webhook_delivery import deliver

    return deliver(delivery_id)


@shared_task
def deliver_webhooks_due() -> dict[str, int]:
    from .webhook_delivery import sweep

    return sweep()
