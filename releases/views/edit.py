"""Creating and editing a release, with the warning before a save turns approvals stale."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from octoacme.errors import Refused

from .. import changes, lifecycle, permissions, selectors, services
from ..forms import ReleaseForm
from ..models import Release


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
            for note in getattr(release, "left_unassigned", []):
                messages.warning(request, f"Left unassigned: {note}")
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
