"""Thin Celery tasks: take ids or nothing, call a service, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from . import outbox, reminders


@shared_task
def deliver_notification(key: str) -> str:
    return outbox.deliver(key)


@shared_task
def deliver_due() -> dict[str, int]:
    return outbox.sweep()


@shared_task
def send_reminders() -> dict[str, int]:
    return reminders.send_reminders()


@shared_task
def run_follow_ups() -> dict[str, int]:
    return reminders.run_follow_ups()
