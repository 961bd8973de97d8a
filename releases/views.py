"""Release pages. Each POST view reads a form, calls one service and redirects.

A refusal (bad input, wrong stage, someone acted first) becomes a message on the page it came
from and changes nothing; `PermissionDenied` from a service becomes a 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from signoffs.permissions import signable_gates

from . import cards, changes, lifecycle, permissions, selectors, services, versions
from .errors import Refused
from .forms import (
    CommentForm,
    DashboardFilterForm,
    DeployForm,
    HandoffSendForm,
    IncidentForm,
    NotApplicableForm,
    ReasonForm,
    ReleaseForm,
    ResolveForm,
)
from .models import ChecklistItem, Handoff, Incident, Release
from .notes import notes_markdown


def perform(request: HttpRequest, action: Callable[[], object], success: str) -> bool:
    """Run one service call; show its refusal as a message. PermissionDenied propagates (403)."""
    try:
        action()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return False
    except Refused as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, success)
    return True


def form_error(request: HttpRequest, form: Any) -> None:
    text = " ".join(
        # The bound field's label falls back to the name in words: "Root cause", not "root_cause".
        f"{form[f].label}: {' '.join(errs)}" if f in form.fields else " ".join(errs)
        for f, errs in form.errors.items()
    )
    messages.error(request, text)


def _release_url(release_id: int, anchor: str = "") -> str:
    return reverse("release-detail", args=[release_id]) + (f"#{anchor}" if anchor else "")


@require_GET
def my_work(request: HttpRequest) -> HttpResponse:
    return render(request, "releases/my_work.html", {"work": selectors.my_work(request.user)})


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    form = DashboardFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()  # A bad value drops only its own filter (the page says which).
        filters = form.cleaned_data  # holds every field that validated
    page = selectors.dashboard(
        stage=filters.get("stage", ""),
        release_type=filters.get("release_type", ""),
        q=filters.get("q", ""),
        page=request.GET.get("page", 1),
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "releases/dashboard.html",
        {
            "form": form,
            "page": page,
            "cards": cards.render(list(page.object_list)),
            "finished": selectors.recently_finished(),
            "query": query.urlencode(),
        },
    )


@require_GET
def release_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        release, summary = selectors.release_page(pk)
    except Release.DoesNotExist:
        raise Http404("No such release.") from None
    user = request.user
    held = {
        a.role.key
        for a in release.assignments.all()
        if user.pk in (a.holder_id, a.backup_id) and user.is_active
    }
    # Every button on the page comes from the lifecycle's verdict for this user and object,
    # the same one the service checks when the button is pressed.
    actions = lifecycle.release_actions(user, release, held)
    for item in release.checklist_items:
        item.may = lifecycle.item_actions(item, stage=release.stage, held=held)
    for handoff in release.handoff_list:
        handoff.may = lifecycle.handoff_actions(handoff, stage=release.stage, held=held)
    for incident in release.incident_list:
        incident.may = lifecycle.incident_actions(incident, actions)
    return render(
        request,
        "releases/release_detail.html",
        {
            "release": release,
            "summary": summary,
            "actions": actions,
            "upcoming": [actions[a] for a in lifecycle.upcoming(release.stage)],
            "signable": set(
                signable_gates(user).filter(release=release).values_list("pk", flat=True)
            ),
            "incident_form": IncidentForm(),
            "send_form": HandoffSendForm(),
            # Deploying below the highest version in production asks for a reason first.
            "downgrade_from": versions.is_downgrade(release) if actions["deploy"] else None,
        },
    )


@require_http_methods(["GET", "POST"])
def release_create(request: HttpRequest) -> HttpResponse:
    permissions.require_create_release(request.user)
    form = ReleaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            release = services.release_create(actor=request.user, **form.release_data())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Created {release}. Default role holders were assigned.")
            return redirect("release-detail", pk=release.pk)
    return render(request, "releases/release_form.html", {"form": form, "release": None})


def _edit_verdict(request: HttpRequest, release: Release) -> lifecycle.Verdict:
    held = permissions.held_role_keys(request.user, release)
    return lifecycle.release_action(request.user, release, "edit", held)


@require_http_methods(["GET", "POST"])
def release_edit(request: HttpRequest, pk: int) -> HttpResponse:
    release = get_object_or_404(Release, pk=pk)
    verdict = _edit_verdict(request, release)
    if verdict.forbidden:
        raise PermissionDenied(verdict.reason)
    if not verdict:
        messages.error(request, verdict.reason)
        return redirect("release-detail", pk=pk)
    seen = changes.edit_token(release)
    form = ReleaseForm(request.POST or None, instance=release, initial={"seen": seen})
    stale_count = 0
    conflict = False
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data[f] for f in form.changed_data if f in Release.EDITABLE_FIELDS}
        fresh = Release.objects.get(pk=pk)
        stale_count = selectors.approvals_affected_by(fresh, data)
        if stale_count and not form.cleaned_data["confirm_stale"]:
            messages.warning(
                request,
                f"Saving changes what people signed: {stale_count} approval(s) will turn stale "
                "and must be given again. Tick the confirmation to save.",
            )
        else:
            try:
                services.release_update(
                    release_id=pk, actor=request.user, data=data, seen=form.cleaned_data["seen"]
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            except Refused as exc:
                current = Release.objects.get(pk=pk)
                seen_then = form.cleaned_data["seen"]
                if not (
                    seen_then
                    and seen_then != changes.edit_token(current)
                    and _edit_verdict(request, current)
                ):
                    messages.error(request, exc.message)
                    return redirect("release-edit", pk=pk)
                # Someone else saved meanwhile. Keep what this person typed rather than make
                # them type it again: redraw it against the release as it is now, with the new
                # token so that their next save goes through once they have seen the change.
                # Their stale confirmation was for the old version, so it is asked again.
                typed = request.POST.copy()
                typed["seen"] = changes.edit_token(current)
                typed.pop("confirm_stale", None)
                release, stale_count, conflict = current, 0, True
                form = ReleaseForm(typed, instance=current)
                form.add_error(
                    None,
                    "Someone changed this release while you were editing it. Your text is "
                    "kept below: review their change on the release page, then save again.",
                )
            else:
                note = f" {stale_count} approval(s) turned stale." if stale_count else ""
                messages.success(request, f"Saved {release.name}.{note}")
                return redirect("release-detail", pk=pk)
    return render(
        request,
        "releases/release_form.html",
        {"form": form, "release": release, "stale_count": stale_count, "conflict": conflict},
    )


@require_GET
def release_notes(request: HttpRequest, pk: int) -> HttpResponse:
    release = get_object_or_404(Release, pk=pk)
    response = HttpResponse(notes_markdown(release), content_type="text/markdown; charset=utf-8")
    filename = f"release-notes-{release.version}.md"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


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
        perform(
            request,
            lambda: services.checklist_complete(item_id=pk, actor=request.user),
            "Checklist item done.",
        )
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
    handoff = get_object_or_404(Handoff, pk=pk)
    perform(
        request,
        lambda: services.handoff_acknowledge(handoff_id=pk, actor=request.user),
        "Hand-off acknowledged.",
    )
    return redirect(_release_url(handoff.release_id, "handoffs"))


@require_POST
def incident_open(request: HttpRequest, pk: int) -> HttpResponse:
    release = get_object_or_404(Release, pk=pk)
    form = IncidentForm(request.POST)
    if not form.is_valid():
        permissions.require(request.user, "open_incident", release)
        form_error(request, form)
    else:
        perform(
            request,
            lambda: services.incident_open(release_id=pk, actor=request.user, **form.cleaned_data),
            "Incident opened. Follow the playbook: notify on-call, roll back if necessary.",
        )
    return redirect(_release_url(pk, "incidents"))


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
    return redirect(_release_url(incident.release_id, "incidents"))


@require_POST
def incident_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_object_or_404(Incident.objects.select_related("release"), pk=pk)
    form = ResolveForm(request.POST)
    if not form.is_valid():
        permissions.require(request.user, "resolve_incident", incident.release)
        form_error(request, form)
    else:
        perform(
            request,
            lambda: services.incident_resolve(
                incident_id=pk, actor=request.user, **form.cleaned_data
            ),
            "Incident resolved.",
        )
    return redirect(_release_url(incident.release_id, "incidents"))
