"""The playbook's POST buttons: record a failed deploy, open an incident, restore service (roll
back, mitigate, fix forward), resolve, action items and the review. Each reads a form, calls one
service and goes back to the release's incidents."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from octoacme.web import form_error, perform

from .. import lifecycle, permissions, services, versions
from ..forms import (
    ActionItemDoneForm,
    ActionItemForm,
    CommentForm,
    FailedDeployForm,
    FixForwardForm,
    IncidentForm,
    MitigateForm,
    ReasonForm,
    ResolveForm,
)
from ..models import ActionItem, Incident, Release, ReleaseType
from ..services.action_items import action_item_verdicts
from ..services.incidents import has_known_good, incident_verdicts


def incident_section(release: Release, actions: dict[str, Any], user: Any) -> dict[str, Any]:
    """The incident section's verdicts (on each incident and action item, from the lifecycle,
    as the services check them) and what its forms need; for the release page."""
    # One query, and only for someone who may roll back at all.
    known_good = not (release.incident_list and actions["roll_back"]) or has_known_good(release)
    for incident in release.incident_list:
        incident.may = lifecycle.incident_actions(
            incident, actions, open_items=incident.open_items, has_known_good=known_good
        )
        for item in incident.item_list:
            item.may = lifecycle.action_item_actions(
                item, user_id=user.pk, may_triage=actions["resolve_incident"]
            )
    adding = any(i.may["add_item"] for i in release.incident_list)
    fixing = any(i.may["fix_forward"] for i in release.incident_list)
    return {
        "incident_form": IncidentForm(),
        "failed_deploy_form": FailedDeployForm(),
        # Anyone active may own an action item; the list is read only when it is offered.
        "item_owners": list(get_user_model().objects.filter(is_active=True).order_by("username"))
        if adding
        else [],
        "patch_version": versions.suggest(release_type=ReleaseType.PATCH, after=release.version)
        if fixing
        else "",
        "today": timezone.localdate(),
    }


def _incidents_url(release_id: int, anchor: str = "incidents") -> str:
    return reverse("release-detail", args=[release_id]) + f"#{anchor}"


def _valid(request: HttpRequest, form: forms.Form, refuse_if_forbidden: Callable[[], None]) -> bool:
    """A bad form from someone who may not act at all is a 403, not a form message."""
    if form.is_valid():
        return True
    refuse_if_forbidden()
    form_error(request, form)
    return False


@require_POST
def incident_failed_deploy(request: HttpRequest, pk: int) -> HttpResponse:
    release = get_object_or_404(Release, pk=pk)
    form = FailedDeployForm(request.POST)
    if _valid(
        request, form, lambda: permissions.require(request.user, "record_failed_deploy", release)
    ):
        perform(
            request,
            lambda: services.release_record_failed_deploy(
                release_id=pk, actor=request.user, **form.cleaned_data
            ),
            "Failed deploy recorded; an incident is open and its responders are notified.",
        )
    return redirect(_incidents_url(pk))


@require_POST
def incident_open(request: HttpRequest, pk: int) -> HttpResponse:
    release = get_object_or_404(Release, pk=pk)
    form = IncidentForm(request.POST)
    if _valid(request, form, lambda: permissions.require(request.user, "open_incident", release)):
        perform(
            request,
            lambda: services.incident_open(release_id=pk, actor=request.user, **form.cleaned_data),
            "Incident opened. Follow the playbook: notify on-call, roll back if necessary.",
        )
    return redirect(_incidents_url(pk))


def _incident_step(incident: Incident, request: HttpRequest, step: str) -> Callable[[], None]:
    def refuse() -> None:
        verdict = incident_verdicts(request.user, incident.release, incident)[step]
        if verdict.forbidden:
            raise PermissionDenied(verdict.reason)

    return refuse


@require_POST
def incident_rollback(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_object_or_404(Incident, pk=pk)
    form = CommentForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    perform(
        request,
        lambda: services.incident_record_rollback(
            incident_id=pk, actor=request.user, comment=comment
        ),
        "Rollback recorded.",
    )
    return redirect(_incidents_url(incident.release_id))


def _incident_form_step(
    request: HttpRequest,
    pk: int,
    form_class: type[forms.Form],
    step: str,
    service: Callable[..., object],
    done: str,
    anchor: str = "incidents",
) -> HttpResponse:
    """One playbook step on an incident from a form: read it, call `service`, go back."""
    incident = get_object_or_404(Incident.objects.select_related("release"), pk=pk)
    form = form_class(request.POST)
    if _valid(request, form, _incident_step(incident, request, step)):
        perform(
            request,
            lambda: service(incident_id=pk, actor=request.user, **form.cleaned_data),
            done,
        )
    return redirect(_incidents_url(incident.release_id, anchor))


@require_POST
def incident_mitigate(request: HttpRequest, pk: int) -> HttpResponse:
    return _incident_form_step(
        request,
        pk,
        MitigateForm,
        "mitigate",
        services.incident_mitigate,
        "Mitigation recorded: service restored.",
    )


@require_POST
def incident_fix_forward(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_object_or_404(Incident.objects.select_related("release"), pk=pk)
    form = FixForwardForm(request.POST)
    created: list[Release] = []
    if _valid(request, form, _incident_step(incident, request, "fix_forward")):
        perform(
            request,
            lambda: created.append(
                services.incident_fix_forward(
                    incident_id=pk, actor=request.user, **form.cleaned_data
                )
            ),
            "Patch release created to fix forward. Fill in its release notes and take it "
            "through sign-off; the incident counts as restored once it is deployed.",
        )
    if created:
        return redirect(reverse("release-detail", args=[created[0].pk]))
    return redirect(_incidents_url(incident.release_id))


@require_POST
def incident_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    return _incident_form_step(
        request, pk, ResolveForm, "resolve", services.incident_resolve, "Incident resolved."
    )


@require_POST
def incident_item_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _incident_form_step(
        request,
        pk,
        ActionItemForm,
        "add_item",
        services.action_item_add,
        "Action item added; its owner is notified.",
        anchor=f"incident-{pk}",
    )


@require_POST
def incident_close_review(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_object_or_404(Incident, pk=pk)
    perform(
        request,
        lambda: services.incident_close_review(incident_id=pk, actor=request.user),
        "Post-incident review closed.",
    )
    return redirect(_incidents_url(incident.release_id, f"incident-{pk}"))


def _item_step(item: ActionItem, request: HttpRequest, step: str) -> Callable[[], None]:
    def refuse() -> None:
        verdict = action_item_verdicts(request.user, item.incident.release, item)[step]
        if verdict.forbidden:
            raise PermissionDenied(verdict.reason)

    return refuse


@require_POST
def action_item_done(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(ActionItem.objects.select_related("incident__release"), pk=pk)
    form = ActionItemDoneForm(request.POST)
    if _valid(request, form, _item_step(item, request, "done")):
        perform(
            request,
            lambda: services.action_item_done(item_id=pk, actor=request.user, **form.cleaned_data),
            "Action item done.",
        )
    return redirect(_incidents_url(item.incident.release_id, f"action-item-{pk}"))


@require_POST
def action_item_defer(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(ActionItem.objects.select_related("incident__release"), pk=pk)
    form = ReasonForm(request.POST)
    if _valid(request, form, _item_step(item, request, "defer")):
        perform(
            request,
            lambda: services.action_item_defer(item_id=pk, actor=request.user, **form.cleaned_data),
            "Action item deferred.",
        )
    return redirect(_incidents_url(item.incident.release_id, f"action-item-{pk}"))
