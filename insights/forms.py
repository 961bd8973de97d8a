"""The Insights page's question: which period, which release type. Every answer it gives to
bad input is a message on the page (or a 400 for a CSV), never a server error."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone

from releases.models import ReleaseType

from .periods import Period, last_days

PRESETS = {"30": 30, "90": 90, "365": 365}
DEFAULT_PERIOD = "90"
# Three years of weekly points is as much as a chart can show legibly.
MAX_DAYS = 3 * 366
EARLIEST = date(2000, 1, 1)


class InsightsForm(forms.Form):
    period = forms.ChoiceField(
        choices=[
            ("30", "Last 30 days"),
            ("90", "Last 90 days"),
            ("365", "Last 365 days"),
            ("custom", "Between two dates"),
        ],
        required=False,
        label="Period",
    )
    start = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    type = forms.ChoiceField(
        choices=[("", "All types"), *((v, v.capitalize()) for v in ReleaseType.values)],
        required=False,
        label="Release type",
        error_messages={
            "invalid_choice": "There is no release type “%(value)s”: choose patch, minor or major."
        },
    )

    def __init__(self, data: Any = None, *, now: Any = None) -> None:
        # A page opened with no question asks about the default period.
        super().__init__(data if data else {"period": DEFAULT_PERIOD})
        self.now = now or timezone.now()
        self.fields["period"].error_messages["invalid_choice"] = (
            "Choose a period: the last 30, 90 or 365 days, or between two dates."
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        choice = data.get("period") or (
            "custom" if data.get("start") or data.get("end") else DEFAULT_PERIOD
        )
        if choice in PRESETS:
            data["range"] = last_days(PRESETS[choice], self.now)
        else:
            data["range"] = self._custom(data.get("start"), data.get("end"))
        data["release_type"] = data.get("type") or None
        return data

    def _custom(self, first: date | None, last: date | None) -> Period:
        today = timezone.localtime(self.now).date()
        if first is None or last is None:
            raise forms.ValidationError("Give both the first and the last day of the period.")
        if last < first:
            raise forms.ValidationError(
                f"The period ends ({last:%Y-%m-%d}) before it starts ({first:%Y-%m-%d})."
            )
        if first < EARLIEST:
            raise forms.ValidationError(f"The period cannot start before {EARLIEST:%Y-%m-%d}.")
        if last > today:
            raise forms.ValidationError(
                f"The period cannot end after today ({today:%Y-%m-%d}): "
                "nothing after now has happened yet."
            )
        if (last - first) + timedelta(days=1) > timedelta(days=MAX_DAYS):
            raise forms.ValidationError(
                f"Choose a period of at most {MAX_DAYS} days (about three years)."
            )
        return Period(first=first, last=last, now=self.now)

    def period_or_none(self) -> Period | None:
        return self.cleaned_data["range"] if self.is_valid() else None

    def messages(self) -> list[str]:
        """Every problem, in plain words, for the page or a 400."""
        return [str(m) for errors in self.errors.values() for m in errors]
