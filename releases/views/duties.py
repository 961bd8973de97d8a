"""Marking a duty done: the role's holder or backup, with an optional note."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from octoacme.web import form_error, perform

from .. import permissions, services
from ..forms import DutyDoneForm
from ..models import Duty
from ..services.duties import is_final_decision


@require_POST
def duty_done(request: HttpRequest, pk: int) -> HttpResponse:
    duty = get_object_or_404(Duty.objects.select_related("role", "release"), pk=pk)
    form = DutyDoneForm(request.POST)
    if not form.is_valid():
        # Bad input from someone who may not act at all is a 403, not a form message.
        if not permissions.holds_any(request.user, duty.release, [duty.role.key]):
            raise PermissionDenied(f"Only the {duty.role.name} of this release may do this.")
        form_error(request, form)
    else:
        final = is_final_decision(duty)
        perform(
            request,
            lambda: services.duty_done(duty_id=pk, actor=request.user, **form.cleaned_data),
            "Final release decision recorded." if final else "Duty marked done.",
        )
    return redirect(reverse("release-detail", args=[duty.release_id]) + "#duties")
