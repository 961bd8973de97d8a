"""Thin Celery tasks for the release sweeps: take nothing, call a service, safe to run twice.

Delivering notices is the notifications app's (`notifications.tasks`). The services are
imported inside each task, the usual Celery pattern, so a service that one day enqueues a
task of this module cannot make an import cycle.
"""

from __future__ import annotations

from celery import shared_task


@shared_task
def send_reminders() -> dict[str, int]:
    """Gate digests and escalations, then incident action items that are due or overdue."""
    from .chase.action_items import remind_action_items
    from .reminders import send_reminders

    return {**send_reminders(), **remind_action_items()}


@shared_task
def run_follow_ups() -> dict[str, int]:
    from .chase.follow_ups import run_follow_ups

    return run_follow_ups()


@shared_task
def chase() -> dict[str, int]:
    """Hand-offs past their due or overdue time; delegates whose delegation has begun."""
    from .chase.delegations import announce_delegations
    from .chase.handoffs import chase_handoffs

    return {**chase_handoffs(), **announce_delegations()}
