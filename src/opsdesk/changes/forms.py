"""The change request form: the window is typed in one affected site's local time and stored in UTC."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from . import page_queries
from .models import Approval, ChangeRequest

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class LocalDateTimeInput(forms.DateTimeInput):
    """A native date-and-time picker holding a naive, site-local value."""

    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format=LOCAL_FORMAT, **kwargs)


class LocalDateTimeField(forms.DateTimeField):
    """A wall-clock date and time with no zone attached (the form attaches the site's zone)."""

    widget = LocalDateTimeInput
    input_formats = [LOCAL_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]

    def to_python(self, value: Any) -> dt.datetime | None:
        """Parse without Django's conversion from the current (UTC) time zone."""
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            return value.replace(tzinfo=None)
        text = str(value).strip()
        for fmt in self.input_formats:
            try:
                return dt.datetime.strptime(text, fmt)  # noqa: DTZ007 - site-local wall clock
            except ValueError:
                continue
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


def to_utc(local: dt.datetime, time_zone: str) -> dt.datetime:
    """A site-local wall-clock time as a UTC instant; ValueError for a time the clocks skip."""
    zone = page_queries.zone_of(time_zone)
    aware = local.replace(tzinfo=zone)
    back = aware.astimezone(dt.UTC).astimezone(zone)
    if back.replace(tzinfo=None) != local:
        raise ValueError(
            f"{local:%Y-%m-%d %H:%M} does not exist in {time_zone} (the clocks go forward then); "
            "choose a time outside the skipped hour"
        )
    return aware.astimezone(dt.UTC)


class ChangeForm(forms.Form):
    """Create or edit a change request."""

    type = forms.ChoiceField(choices=ChangeRequest.Type.choices, initial=ChangeRequest.Type.NORMAL)
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    services: Any = forms.ModelMultipleChoiceField(queryset=None, required=False)
    sites: Any = forms.ModelMultipleChoiceField(queryset=None)
    reference_site: Any = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="First affected site",
        label="Times are in the local time of",
    )
    window_start = LocalDateTimeField(label="Window starts")
    window_end = LocalDateTimeField(label="Window ends")
    implementation_plan = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    verification_plan = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    rollback_steps = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Rollback steps"
    )
    rollback_trigger = forms.CharField(
        max_length=500, required=False, label="Rollback trigger",
        help_text="What observation calls the rollback.",
    )
    rollback_duration_minutes = forms.IntegerField(
        min_value=1, max_value=10_000, required=False, label="Rollback takes (minutes)"
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sites = page_queries.visible_sites(user)
        self.fields["sites"].queryset = sites  # type: ignore[attr-defined]
        self.fields["reference_site"].queryset = sites  # type: ignore[attr-defined]
        self.fields["services"].queryset = page_queries.visible_services(user)  # type: ignore[attr-defined]
        self.fields["sites"].label_from_instance = lambda s: f"{s.code} · {s.name} ({s.time_zone})"  # type: ignore[attr-defined]
        self.fields["reference_site"].label_from_instance = lambda s: f"{s.code} ({s.time_zone})"  # type: ignore[attr-defined]
        self.fields["services"].label_from_instance = lambda s: f"{s.name} · {s.client.name}"  # type: ignore[attr-defined]
        self.reference_zone = "UTC"

    @classmethod
    def initial_for(cls, change: ChangeRequest) -> dict[str, Any]:
        """Form values for an existing change, its window in its first affected site's local time."""
        sites = sorted(change.sites.all(), key=lambda s: s.code)
        zone = sites[0].time_zone if sites else "UTC"
        plan = change.rollback_plan or {}
        return {
            "type": change.type,
            "title": change.title,
            "description": change.description,
            "services": list(change.services.all()),
            "sites": sites,
            "reference_site": sites[0] if sites else None,
            "window_start": change.window_start.astimezone(page_queries.zone_of(zone)).replace(tzinfo=None),
            "window_end": change.window_end.astimezone(page_queries.zone_of(zone)).replace(tzinfo=None),
            "implementation_plan": change.implementation_plan,
            "verification_plan": change.verification_plan,
            "rollback_steps": plan.get("steps", ""),
            "rollback_trigger": plan.get("trigger", ""),
            "rollback_duration_minutes": plan.get("duration_minutes"),
        }

    def clean(self) -> dict[str, Any]:
        """Convert the local window to UTC in the reference site's zone."""
        data = super().clean() or {}
        sites = sorted(data.get("sites") or [], key=lambda s: s.code)
        reference = data.get("reference_site") or (sites[0] if sites else None)
        if reference is not None and sites and reference not in sites:
            self.add_error("reference_site", "Choose one of the affected sites (or leave the default).")
            return data
        self.reference_zone = reference.time_zone if reference is not None else "UTC"
        for name in ("window_start", "window_end"):
            local = data.get(name)
            if local is None:
                continue
            try:
                data[f"{name}_utc"] = to_utc(local, self.reference_zone)
            except ValueError as exc:
                self.add_error(name, str(exc))
        start, end = data.get("window_start_utc"), data.get("window_end_utc")
        if start and end and end <= start:
            self.add_error("window_end", "The window must end after it starts.")
        return data

    def to_data(self) -> dict[str, Any]:
        """The service's input, with the API's field names."""
        d = self.cleaned_data
        rollback = None
        if d["rollback_steps"] or d["rollback_trigger"] or d["rollback_duration_minutes"]:
            rollback = {
                "steps": d["rollback_steps"],
                "trigger": d["rollback_trigger"],
                "duration_minutes": d["rollback_duration_minutes"],
            }
        return {
            "type": d["type"],
            "title": d["title"],
            "description": d["description"],
            "services": [s.pk for s in d["services"]],
            "sites": [s.pk for s in d["sites"]],
            "window_start": d["window_start_utc"],
            "window_end": d["window_end_utc"],
            "implementation_plan": d["implementation_plan"],
            "verification_plan": d["verification_plan"],
            "rollback_plan": rollback,
        }


class TransitionForm(forms.Form):
    """Move a change to another state, with a reason for the timeline."""

    to = forms.ChoiceField(choices=ChangeRequest.State.choices)
    reason = forms.CharField(max_length=500, required=False)


class DecisionForm(forms.Form):
    """Approve or reject a change in one capacity."""

    decision = forms.ChoiceField(choices=Approval.Decision.choices)
    capacity = forms.ChoiceField(choices=Approval.Capacity.choices)
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ReviewForm(forms.Form):
    """The post-implementation review."""

    outcome = forms.ChoiceField(choices=ChangeRequest.Outcome.choices)
    caused_incident = forms.BooleanField(required=False, label="This change caused an incident")
    lessons = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
