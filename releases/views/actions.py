"""The POST buttons of a release page: stage steps, checklist, hand-offs (incidents are in
`incidents`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from octoacme.web import form_error, perform

from .. import permissions, services
from ..forms import (
    DeployForm,
    EvidenceForm,
    HandoffAnswerForm,
    HandoffSendForm,
    NotApplicableForm,
    ReasonForm,
)
from ..models import ChecklistItem, Handoff, Release


def _release_url(release_id: int, anchor: str = "") -> str:
    return reverse("release-detail", args=[release_id]) + (f"#{anchor}" if anchor else "")


# --- Stage actions ------------------------------------------------------------------------------

STAGE_ACTIONS: dict[str, tuple[Callable[..., object], str, type[forms.Form] | None]] = {
    # name: (service, success message, the form whose cleaned data the service takes)
    "stage": (services.release_move_to_staging, "Moved to staging: the gates are open.", None),
    "deploy": (services.release_record_deploy, "Production deploy recorded.", DeployForm),
    "close": (services.release_close, "Release closed.", None),
    "cancel": (services.release_cancel, "Release cancelled.", ReasonForm),
}


@require_POST
def release_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    get_object_or_404(Release.objects.only("pk"), pk=pk)
    if action not in STAGE_ACTIONS:
        return HttpResponse(status=404)
    service, success, form_class = STAGE_ACTIONS[action]
    kwargs: dict[str, Any] = {}
    if form_class is not None:
        form = form_class(request.POST)
        if not form.is_valid():
            permissions.require(request.user, action, Release.objects.get(pk=pk))
            form_error(request, form)
            return redirect(_release_url(pk))
        kwargs = form.cleaned_data
    perform(request, lambda: service(release_id=pk, actor=request.user, **kwargs), success)
    return redirect(_release_url(pk))


@require_POST
def checklist_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    item = get_object_or_404(ChecklistItem, pk=pk)
    back = _release_url(item.release_id, "checklist")
    if action == "done":
        form = EvidenceForm(request.POST)
        if form.is_valid():
            perform(
                request,
                lambda: services.checklist_complete(
                    item_id=pk, actor=request.user, evidence=form.cleaned_data["evidence"]
                ),
                "Checklist item done.",
            )
        else:
            _refuse_if_not_owner(request, item)
            form_error(request, form)
    elif action == "reopen":
        perform(
            request,
            lambda: services.checklist_reopen(item_id=pk, actor=request.user),
            "Checklist item reopened.",
        )
    elif action == "na":
        form = NotApplicableForm(request.POST)
        if form.is_valid():
            perform(
                request,
                lambda: services.checklist_mark_not_applicable(
                    item_id=pk, actor=request.user, reason=form.cleaned_data["reason"]
                ),
                "Marked not applicable.",
            )
        else:
            _refuse_if_not_owner(request, item)
            form_error(request, form)
    else:
        return HttpResponse(status=404)
    return redirect(back)


def _refuse_if_not_owner(request: HttpRequest, item: ChecklistItem) -> None:
    # Bad input from someone who may not act at all is a 403, not a form message.
    if not permissions.holds_any(request.user, item.release, [item.template.owner.key]):
        raise PermissionDenied("Only the owner of this checklist item may change it.")


@require_POST
def handoff_send(request: HttpRequest, pk: int) -> HttpResponse:
    handoff = get_object_or_404(Handoff.objects.select_related("template__from_role"), pk=pk)
    form = HandoffSendForm(request.POST)
    if not form.is_valid():
        if not permissions.holds_any(
            request.user, handoff.release, [handoff.template.from_role.key]
        ):
            raise PermissionDenied("Only the sending role may send this hand-off.")
        form_error(request, form)
    else:
        perform(
            request,
            lambda: services.handoff_send(handoff_id=pk, actor=request.user, **form.cleaned_data),
            "Hand-off sent.",
        )
    return redirect(_release_url(handoff.release_id, "handoffs"))


@require_POST
def handoff_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    handoff = get_object_or_404(Handoff.objects.select_related("template__to_role"), pk=pk)
    form = HandoffAnswerForm(request.POST)
    if not form.is_valid():
        if not permissions.holds_any(request.user, handoff.release, [handoff.template.to_role.key]):
            raise PermissionDenied("Only the receiving role may answer this hand-off.")
        form_error(request, form)
    else:
        decision = form.cleaned_data["decision"]
        perform(
            request,
            lambda: services.handoff_acknowledge(
                handoff_id=pk, actor=request.user, **form.cleaned_data
            ),
            {
                "proceed": "“Proceed” recorded.",
                "hold": "Hold put on: the release cannot be "
                "confirmed or deployed until you lift it.",
            }.get(decision, "Hand-off acknowledged."),
        )
    return redirect(_release_url(handoff.release_id, "handoffs"))
