"""Forms read and check input; the services decide. No rule of the guide lives here."""

from __future__ import annotations

from typing import Any

from django import forms

from . import versions
from .changes import LINE_FIELDS
from .models import ACTIVE_STAGES, HandoffDecision, Release, ReleaseType, Severity, Stage
from .text import OneLine


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def check_lines(form: forms.BaseForm) -> None:
    """Give a release form's one-line fields the services' message for a line break.

    A browser cannot type one into an `<input>`; a forged request or a script can, and is
    told what the services would tell it.
    """
    for name, label in LINE_FIELDS.items():
        if name in form.fields:
            form.fields[name].validators.append(OneLine(label))


class ReleaseForm(forms.ModelForm):
    # The version the release had when the form was drawn, to spot a concurrent edit.
    seen = forms.CharField(widget=forms.HiddenInput, required=False)
    confirm_stale = forms.BooleanField(
        required=False, label="Yes, save and turn these approvals stale"
    )

    class Meta:
        model = Release
        fields = list(Release.EDITABLE_FIELDS)
        widgets = {
            "window_start": DateTimeLocalInput(),
            "window_end": DateTimeLocalInput(),
            "summary": forms.Textarea(attrs={"rows": 3}),
            "notable_changes": forms.Textarea(attrs={"rows": 5}),
            "migration_steps": forms.Textarea(attrs={"rows": 3}),
            "known_issues": forms.Textarea(attrs={"rows": 3}),
            "rollback_plan": forms.Textarea(attrs={"rows": 3}),
            "smoke_test_plan": forms.Textarea(attrs={"rows": 3}),
            "links": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "summary": "Markdown. Shown in the release notes.",
            "notable_changes": "Markdown list of what changed.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        check_lines(self)
        self.suggestions = {t: versions.suggest(release_type=t) for t in ReleaseType.values}
        self.fields["version"].widget.attrs["data-suggestions"] = " ".join(
            f"{t}={v}" for t, v in self.suggestions.items()
        )
        self.fields["version"].help_text = "Suggested: " + ", ".join(
            f"{t} {v}" for t, v in self.suggestions.items()
        )
        self.fields["release_type"].widget.attrs["data-version-type"] = "1"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.errors:
            versions.validate_change(
                self.instance if self.instance.pk else None,
                version=data.get("version"),
                release_type=data.get("release_type"),
            )
        return data

    def release_data(self) -> dict[str, Any]:
        return {f: self.cleaned_data[f] for f in Release.EDITABLE_FIELDS}


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))


class DeployForm(forms.Form):
    # Asked only when the release's version is lower than the highest in production.
    downgrade_reason = forms.CharField(
        max_length=5000,
        required=False,
        label="Deliberate downgrade: why",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class NotApplicableForm(forms.Form):
    reason = forms.CharField(
        max_length=500, label="Not applicable because", validators=[OneLine("The reason")]
    )


class EvidenceForm(forms.Form):
    """A tick, with the links that back it where the item takes them (the service decides)."""

    evidence = forms.CharField(
        max_length=5000,
        required=False,
        label="Evidence links (one a line)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CommentForm(forms.Form):
    comment = forms.CharField(
        max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class DutyDoneForm(forms.Form):
    note = forms.CharField(
        max_length=5000,
        required=False,
        label="Note (optional)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class HandoffSendForm(forms.Form):
    notes = forms.CharField(max_length=20000, widget=forms.Textarea(attrs={"rows": 3}))
    links = forms.CharField(max_length=5000, required=False)


class HandoffAnswerForm(forms.Form):
    """The receiver's answer: for the QA Lead's hand-off, "proceed" or "hold" with a note."""

    decision = forms.ChoiceField(
        choices=[("", "—"), *HandoffDecision.choices], required=False, widget=forms.RadioSelect
    )
    response = forms.CharField(
        label="Note", max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class IncidentForm(forms.Form):
    title = forms.CharField(max_length=200, validators=[OneLine("The title")])
    severity = forms.ChoiceField(choices=Severity.choices)
    description = forms.CharField(
        max_length=20000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class FailedDeployForm(forms.Form):
    what_failed = forms.CharField(
        label="What failed", max_length=20000, widget=forms.Textarea(attrs={"rows": 3})
    )
    severity = forms.ChoiceField(choices=Severity.choices)


class MitigateForm(forms.Form):
    mitigation = forms.CharField(
        label="Mitigation", max_length=20000, widget=forms.Textarea(attrs={"rows": 2})
    )


class FixForwardForm(forms.Form):
    name = forms.CharField(
        label="Patch release name", max_length=120, validators=[OneLine("The name")]
    )
    version = forms.CharField(max_length=32, validators=[OneLine("The version")])
    summary = forms.CharField(
        max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ResolveForm(forms.Form):
    root_cause = forms.CharField(max_length=20000, widget=forms.Textarea(attrs={"rows": 3}))


class ActionItemForm(forms.Form):
    text = forms.CharField(
        label="Action item", max_length=300, validators=[OneLine("The action item")]
    )
    # The services check that the owner is an active user; the page offers only those.
    owner_id = forms.IntegerField(
        label="Owner", error_messages={"required": "Choose who owns this action item."}
    )
    due_on = forms.DateField(label="Due date", widget=forms.DateInput(attrs={"type": "date"}))


class ActionItemDoneForm(forms.Form):
    note = forms.CharField(
        max_length=5000, required=False, label="Note (optional)", widget=forms.TextInput
    )


class DashboardFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search name or version")
    stage = forms.ChoiceField(required=False, choices=[("", "All active stages")])
    release_type = forms.ChoiceField(
        required=False, choices=[("", "All types"), *ReleaseType.choices], label="Type"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:

        super().__init__(*args, **kwargs)
        active = [Stage(s) for s in ACTIVE_STAGES]
        self.fields["stage"].choices = [("", "All active stages")] + [
            (s.value, s.label) for s in active
        ]


class AuditPeriodForm(forms.Form):
    """The period of an audit trail download: whole days, both included. The parameters are
    `from` and `to`, and `from` is a Python keyword, so the fields are added by name."""

    MAX_DAYS = 366

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, which in (("from", "first"), ("to", "last")):
            self.fields[name] = forms.DateField(
                input_formats=["%Y-%m-%d"],
                error_messages={
                    "required": f"Give the {which} day of the period as {name}=YYYY-MM-DD.",
                    "invalid": f"{name}= is not a date: write it as YYYY-MM-DD.",
                },
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        first, last = data.get("from"), data.get("to")
        if first and last:
            if last < first:
                raise forms.ValidationError("The period ends before it starts.")
            if (last - first).days + 1 > self.MAX_DAYS:
                raise forms.ValidationError(
                    f"A period is at most {self.MAX_DAYS} days; download a longer one in parts."
                )
        return data
