"""Admin actions as a staff user who may only look: every action declares the permission it
needs, so the admin offers none of them, and posting one anyway changes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification, NotificationState

from ..factories import UserFactory
from .report import record

pytestmark = pytest.mark.django_db


def actions() -> list[tuple[type[Model], str, Any]]:
    """(model, name, function) of every action the admin can offer, as a superuser sees them."""
    request = RequestFactory().get("/admin/")
    request.user = UserFactory(username="every-action", is_staff=True, is_superuser=True)
    return [
        (model, name, func)
        for model, model_admin in admin.site._registry.items()
        for name, (func, _, _) in model_admin.get_actions(request).items()
    ]


def rows(model: type[Model]) -> list[tuple[Any, ...]]:
    return list(model._default_manager.order_by("pk").values_list())


def test_every_admin_action_declares_the_permission_it_needs():
    undeclared = [
        f"{model._meta.label}: {name}"
        for model, name, func in actions()
        if not getattr(func, "allowed_permissions", None)
    ]
    assert undeclared == []


def test_a_view_only_staff_user_is_offered_no_action_and_posting_one_changes_nothing(crew):
    # Rows for every list that has an action: releases, gates, follow-ups, default holders,
    # users, a group, a failed notice and (below) sign-in attempts.
    crew.stage("deployed")
    Group.objects.create(name="Release managers")
    Notification.objects.create(
        key="failed",
        kind="test",
        release_id=1,
        to_email="ada@example.com",
        subject="Hi",
        body_text="x",
        body_html="x",
        state=NotificationState.FAILED,
        tries=8,
        next_attempt_at=timezone.now(),
    )
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.set(
        Permission.objects.get(
            content_type=ContentType.objects.get_for_model(model),
            codename=f"view_{model._meta.model_name}",
        )
        for model in admin.site._registry
    )
    client = Client()
    client.force_login(viewer)
    # After signing in, which makes axes delete the expired attempts itself.
    sign_in = {"username": "ada", "ip_address": "203.0.113.7", "user_agent": "test"}
    AccessAttempt.objects.create(**sign_in, failures_since_start=5, get_data="", post_data="")
    # Expired, so the clean-up action would have something to delete.
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(days=1))
    AccessFailureLog.objects.create(**sign_in, locked_out=True)
    AccessLog.objects.create(**sign_in)

    tried, offered, changed = actions(), set(), []
    for model, name, _ in tried:
        changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        listing = client.get(changelist)
        assert listing.status_code == 200, changelist
        if listing.context["action_form"] is not None:
            offered.add(model._meta.label)
        before = rows(model)
        assert before, f"{model._meta.label} needs rows for its actions to be tried"
        # "post": "yes" is the confirmation a deletion asks for.
        data = {"action": name, "_selected_action": [r[0] for r in before], "post": "yes"}
        client.post(changelist, data)
        if rows(model) != before:
            changed.append(f"{model._meta.label}: {name}")

    record(
        "Admin",
        **{
            "admin actions tried as view-only staff": len(tried),
            "admin actions refused to view-only staff": len(tried) - len(changed),
            "admin lists offering actions to view-only staff": len(offered),
        },
    )
    assert (sorted(offered), changed) == ([], [])
