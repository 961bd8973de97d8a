"""Admin: the team's roles and defaults, and releases whose assignments go through services.

Everything that changes a release (creating it, editing it, who holds its roles) calls the
same service the pages call, so gate permissions and audit events follow.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.shortcuts import redirect

from octoacme.errors import Refused
from signoffs.models import SignOff

from . import changes, lifecycle, permissions, selectors, services, versions
from . import forms as release_forms
from .models import (
    AuditEvent,
    ChecklistTemplate,
    DefaultHolder,
    FollowUp,
    HandoffTemplate,
    Release,
    Role,
    RoleAssignment,
)
from .text import OneLine

admin.site.site_header = "OctoAcme Releases administration"
admin.site.site_title = "OctoAcme Releases admin"
admin.site.index_title = "OctoAcme Releases: roles, templates and the audit trail"


class NoDeleteMixin:
    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RoleAdminForm(forms.ModelForm):
    """A role's name and duties go into email subjects and lists: each must be one line."""

    class Meta:
        model = Role
        fields = [
            "name",
            "position",
            "pre_release_duty",
            "release_day_duty",
            "post_release_duty",
            "signoff_statement",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if isinstance(field, forms.CharField):
                label = f"The {str(field.label or name).lower()}"
                field.validators.append(OneLine(label))


@admin.register(Role)
class RoleAdmin(NoDeleteMixin, admin.ModelAdmin):
    form = RoleAdminForm
    list_display = ["name", "signoff_statement", "pre_release_duty"]
    readonly_fields = ["key"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # The guide names seven roles; gates are made per role.


@admin.register(DefaultHolder)
class DefaultHolderAdmin(admin.ModelAdmin):
    """Read-only: the Team page changes defaults through `default_holder_set` (audited, the
    people named are emailed, separation of duties checked), which a bare admin save skips."""

    list_display = ["role", "holder", "backup"]
    list_select_related = ["role", "holder", "backup"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(NoDeleteMixin, admin.ModelAdmin):
    list_display = ["text", "group", "position", "owner", "phase", "kind", "optional"]
    list_filter = ["group", "phase", "kind"]
    readonly_fields = ["key", "group", "position", "phase", "kind"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(HandoffTemplate)
class HandoffTemplateAdmin(NoDeleteMixin, admin.ModelAdmin):
    list_display = ["__str__", "what", "expected_action", "timing"]
    readonly_fields = ["key", "position", "from_role", "to_role", "phase", "is_gate"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class AssignmentFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        for form in self.forms:
            data = getattr(form, "cleaned_data", {})
            if data.get("backup") and not data.get("holder"):
                form.add_error("holder", "Name a holder before naming a backup.")


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    formset = AssignmentFormSet
    fields = ["role", "holder", "backup"]
    readonly_fields = ["role"]
    autocomplete_fields = ["holder", "backup"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # Every role has its row from the moment the release exists.


class GateInline(admin.TabularInline):
    model = SignOff
    fields = ["role", "state", "stale", "decided_by", "decided_at", "comment"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "Sign-off gates (decided by their holders, not here)"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReleaseAdminForm(forms.ModelForm):
    # The same confirmation the edit page asks before a save turns approvals stale.
    confirm_stale = forms.BooleanField(
        required=False, label="Yes, save and turn the approvals stale"
    )

    class Meta:
        model = Release
        fields = list(Release.EDITABLE_FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        release_forms.check_lines(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        versions.validate_change(
            self.instance if self.instance.pk else None,
            version=data.get("version", self.instance.version),
            release_type=data.get("release_type", self.instance.release_type),
        )
        # Read now: once the form is valid, Django copies the new values onto the instance.
        fields = {f: data[f] for f in Release.EDITABLE_FIELDS if f in data}
        self.release_changes = (
            changes.changed_fields(self.instance, fields) if self.instance.pk else fields
        )
        if self.instance.pk is not None and not data.get("confirm_stale"):
            stale = selectors.approvals_affected_by(self.instance, self.release_changes)
            if stale:
                raise ValidationError(
                    f"Saving changes what people signed: {stale} approval(s) will turn stale "
                    "and must be given again. Tick the confirmation to save."
                )
        return data


@admin.register(Release)
class ReleaseAdmin(NoDeleteMixin, admin.ModelAdmin):
    form = ReleaseAdminForm
    list_display = ["name", "version", "release_type", "stage", "window_start", "created_at"]
    list_filter = ["stage", "release_type"]
    search_fields = ["name", "version"]
    readonly_fields = [
        "stage",
        "created_by",
        "created_at",
        "staged_at",
        "approved_at",
        "deployed_at",
        "closed_at",
        "cancelled_at",
        "rolled_back_at",
        "rolled_back_to",
    ]
    inlines = [RoleAssignmentInline, GateInline]

    def get_inlines(self, request: HttpRequest, obj: Release | None) -> list[type]:
        # A new release gets its assignments from the team-wide defaults.
        return self.inlines if obj is not None else []

    def get_readonly_fields(self, request: HttpRequest, obj: Release | None = None) -> list[str]:
        if obj is not None and obj.stage not in lifecycle.EDITABLE_STAGES:
            return [*Release.EDITABLE_FIELDS, *self.readonly_fields]
        return list(self.readonly_fields)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and permissions.can_create_release(request.user)

    def get_fields(self, request: HttpRequest, obj: Release | None = None) -> list[str]:
        fields = list(super().get_fields(request, obj))
        # Asked only where a save could stale approvals: an editable existing release.
        if obj is None or obj.stage not in lifecycle.EDITABLE_STAGES:
            fields = [f for f in fields if f != "confirm_stale"]
        return fields

    def save_model(
        self, request: HttpRequest, obj: Release, form: forms.ModelForm, change: bool
    ) -> None:
        # Only what changed goes to a service: a save that only reassigns roles (on a deployed
        # release, say) must not ask the edit service for anything.
        data = form.release_changes
        try:
            if not change:
                obj.pk = services.release_create(actor=request.user, **data).pk
            elif data:
                services.release_update(release_id=obj.pk, actor=request.user, data=data)
        except (ValidationError, Refused, PermissionDenied) as exc:
            messages.error(request, f"The release was not saved: {_message(exc)}")
            request._release_refused = True  # read by response_change / response_add
        if obj.pk:
            obj.refresh_from_db()

    def response_change(self, request: HttpRequest, obj: Release) -> Any:
        if getattr(request, "_release_refused", False) or getattr(
            request, "_assignment_refused", False
        ):
            return redirect(request.path)  # Stay on the form; the message says why.
        return super().response_change(request, obj)

    def save_formset(
        self, request: HttpRequest, form: forms.ModelForm, formset: Any, change: bool
    ) -> None:
        if formset.model is not RoleAssignment:
            return super().save_formset(request, form, formset, change)
        # The admin's change message reads what formset.save() would have recorded.
        formset.new_objects, formset.deleted_objects = [], []
        formset.changed_objects = [
            (f.instance, f.changed_data) for f in formset.forms if f.has_changed()
        ]
        for f in formset.forms:
            if not f.has_changed():
                continue
            try:
                services.role_assign(
                    release_id=form.instance.pk,
                    role_key=f.instance.role.key,
                    holder=f.cleaned_data.get("holder"),
                    backup=f.cleaned_data.get("backup"),
                    actor=request.user,
                )
            except (ValidationError, Refused, PermissionDenied) as exc:
                messages.error(request, f"{f.instance.role}: {_message(exc)}")
                request._assignment_refused = True
        return None


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only for everyone, superusers included: the trail is append-only."""

    list_display = ["created_at", "release", "actor", "verb", "subject", "from_state", "to_state"]
    list_filter = ["verb"]
    list_select_related = ["release", "actor"]
    search_fields = ["subject", "comment", "release__name", "release__version"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    list_display = ["release", "kind", "due_at", "done_at"]
    list_filter = ["kind"]
    list_select_related = ["release"]
    readonly_fields = ["release", "kind", "due_at", "done_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
