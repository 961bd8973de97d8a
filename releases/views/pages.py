"""The pages that only read: my work, the dashboard, a release, its notes."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from signoffs.permissions import signable_gates

from .. import cards, lifecycle, permissions, selectors, versions
from .. import freezes as freeze_rules
from ..forms import DashboardFilterForm, HandoffSendForm
from ..models import Release
from ..notes import notes_markdown
from .incidents import incident_section


@require_GET
def my_work(request: HttpRequest) -> HttpResponse:
    return render(request, "releases/my_work.html", {"work": selectors.my_work(request.user)})


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    form = DashboardFilterForm(request.GET or None)
    now = timezone.now()
    freezes = freeze_rules.active(now)  # the line above the cards, and the cards' flags
    filters: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()  # A bad value drops only its own filter (the page says which).
        filters = form.cleaned_data  # holds every field that validated
    page = selectors.dashboard(
        stage=filters.get("stage", ""),
        release_type=filters.get("release_type", ""),
        q=filters.get("q", ""),
        page=request.GET.get("page", 1),
        freezes=freezes,
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "releases/dashboard.html",
        {
            "form": form,
            "page": page,
            "cards": cards.render(list(page.object_list), freezes=freezes),
            "freeze_line": selectors.freeze_line(freezes, now),
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
    user, now = request.user, timezone.now()
    # The roles the user acts in here: their own, or (one query) those of whoever delegates
    # to them now, by the same rule the services apply.
    held: set[str] = set()
    if user.is_active:
        held = permissions.roles_held(
            ((a.role.key, a.holder_id, a.backup_id) for a in release.assignments.all()),
            user.pk,
            set(permissions.delegations_to(user).values_list("person_id", flat=True)),
        )
    # Every button on the page comes from the lifecycle's verdict for this user and object,
    # the same one the service checks when the button is pressed.
    actions = lifecycle.release_actions(user, release, held)
    for item in release.checklist_items:
        item.may = lifecycle.item_actions(item, release=release, held=held)
        # Ticks backed by evidence: the fields to fill in first (linked to the edit form),
        # and the links an item takes or was ticked with.
        item.missing = lifecycle.evidence.missing_fields(item, release)
        item.takes_evidence = lifecycle.evidence.takes_evidence(item)
        item.links = lifecycle.evidence.evidence_links(item)
    for handoff in release.handoff_list:
        handoff.may = lifecycle.handoff_actions(
            handoff, stage=release.stage, held=held, user_id=user.pk
        )
        handoff.is_overdue = bool(handoff.overdue_at and handoff.overdue_at <= now)
    for duty in release.duty_list:
        duty.may = lifecycle.duty_actions(duty, stage=release.stage, held=held)
    playbook = incident_section(release, actions, user)
    freezes = selectors.release_freezes(release, now)
    pipeline = selectors.pipeline_card(release)
    blockers = selectors.next_step_blockers(
        release, freezes=freezes, failed_scan=pipeline.failed_scan
    )
    return render(
        request,
        "releases/release_detail.html",
        {
            "release": release,
            "summary": summary,
            "actions": actions,
            "upcoming": [actions[a] for a in lifecycle.upcoming(release.stage)],
            # What still blocks the next step, from the rows loaded above; the step's service
            # refuses with the same list.
            "next_step": lifecycle.readiness.STEP_LABELS.get(
                lifecycle.readiness.next_step(release.stage) or "", ""
            ),
            "blockers": blockers,
            "pipeline": pipeline,
            # A freeze or the window blocks the deploy: who may let it through sees the form
            # (asked only then, by the rule the override service applies).
            "may_override": any(b.anchor == "next-step" for b in blockers)
            and permissions.can_override_deploy(user, release),
            "window_frozen": selectors.window_frozen(release, freezes),
            "signable": set(
                signable_gates(user).filter(release=release).values_list("pk", flat=True)
            ),
            **playbook,
            "send_form": HandoffSendForm(),
            # Deploying below the highest version in production asks for a reason first.
            "downgrade_from": versions.is_downgrade(release) if actions["deploy"] else None,
        },
    )


@require_GET
def release_notes(request: HttpRequest, pk: int) -> HttpResponse:
    release = get_object_or_404(Release, pk=pk)
    response = HttpResponse(notes_markdown(release), content_type="text/markdown; charset=utf-8")
    filename = f"release-notes-{release.version}.md"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
