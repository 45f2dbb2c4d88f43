"""Forms of the incident pages. Times are typed in the viewer's own time zone and stored in UTC."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from opsdesk.changes.forms import LocalDateTimeField, to_utc

from .models import Audience, Incident, Severity

AUDIENCE_HELP: dict[str, str] = {
    "responders": "Technical: what we know, what we are trying. Never shown to clients.",
    "clients": "For the client's IT and service owners: impact, progress, next steps. Shown in their portal.",
    "end_users": "For the people who use the service, in plain words. Shown in the client portal.",
}


def _person(user: Any) -> str:
    return f"{user.get_full_name() or user.username} · {user.get_role_display()}"


class _LocalTimes:
    """Turns local date-time fields into UTC instants in the viewer's zone (errors on the field)."""

    time_zone = "UTC"

    def _utc(self: Any, data: dict[str, Any], name: str) -> dt.datetime | None:
        local = data.get(name)
        if local is None:
            return None
        try:
            return to_utc(local, self.time_zone)
        except ValueError as exc:
            self.add_error(name, str(exc))
            return None


class DeclareForm(_LocalTimes, forms.Form):
    """Declare an incident by hand."""

    title = forms.CharField(max_length=300, label="What is broken?")
    severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.SEV3)
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=20000,
                              label="What we know so far")
    services: Any = forms.ModelMultipleChoiceField(queryset=None, required=False, label="Affected services")
    sites: Any = forms.ModelMultipleChoiceField(queryset=None, required=False, label="Affected sites")
    owner: Any = forms.ModelChoiceField(queryset=None, required=False, empty_label="Me",
                                        help_text="One owner, always: they run the incident until they hand it on.")
    started_at = LocalDateTimeField(required=False, label="Started at",
                                    help_text="When the failure began, in your time (blank: now).")

    def __init__(self, *args: Any, services: Any, sites: Any, staff: Any, time_zone: str = "UTC", **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.time_zone = time_zone or "UTC"
        self.fields["services"].queryset = services  # type: ignore[attr-defined]
        self.fields["services"].label_from_instance = lambda s: f"{s.name} · {s.client.name}"  # type: ignore[attr-defined]
        self.fields["sites"].queryset = sites  # type: ignore[attr-defined]
        self.fields["sites"].label_from_instance = lambda s: f"{s.code} · {s.name}"  # type: ignore[attr-defined]
        self.fields["owner"].queryset = staff  # type: ignore[attr-defined]
        self.fields["owner"].label_from_instance = _person  # type: ignore[attr-defined]
        self.fields["started_at"].help_text = f"When the failure began, in your time ({self.time_zone}); blank: now."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["started_at_utc"] = self._utc(data, "started_at")
        return data

    def to_data(self) -> dict[str, Any]:
        """The service's input, with the API's field names."""
        d = self.cleaned_data
        return {
            "title": d["title"], "severity": d["severity"], "summary": d["summary"],
            "services": [s.pk for s in d["services"]], "sites": [s.pk for s in d["sites"]],
            "owner": d["owner"].pk if d["owner"] else None, "started_at": d.get("started_at_utc"),
        }


class EditForm(forms.Form):
    """Change title, severity, summary, services and sites (impact is recomputed)."""

    title = forms.CharField(max_length=300)
    severity = forms.ChoiceField(choices=Severity.choices)
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=20000)
    services: Any = forms.ModelMultipleChoiceField(queryset=None, required=False, label="Affected services")
    sites: Any = forms.ModelMultipleChoiceField(queryset=None, required=False, label="Affected sites")

    def __init__(self, *args: Any, services: Any, sites: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["services"].queryset = services  # type: ignore[attr-defined]
        self.fields["services"].label_from_instance = lambda s: f"{s.name} · {s.client.name}"  # type: ignore[attr-defined]
        self.fields["sites"].queryset = sites  # type: ignore[attr-defined]
        self.fields["sites"].label_from_instance = lambda s: f"{s.code} · {s.name}"  # type: ignore[attr-defined]

    @staticmethod
    def initial_for(incident: Incident) -> dict[str, Any]:
        """The form's values for an incident."""
        return {
            "title": incident.title, "severity": incident.severity, "summary": incident.summary,
            "services": list(incident.services.all()), "sites": list(incident.sites.all()),
        }

    def to_data(self) -> dict[str, Any]:
        """The service's input."""
        d = self.cleaned_data
        return {
            "title": d["title"], "severity": d["severity"], "summary": d["summary"],
            "services": [s.pk for s in d["services"]], "sites": [s.pk for s in d["sites"]],
        }


class TransitionForm(forms.Form):
    """Move the incident to another state; resolving and closing say why."""

    to = forms.ChoiceField(choices=Incident.State.choices)
    reason = forms.CharField(max_length=2000, required=False, label="Reason",
                             help_text="Required to resolve or close: what fixed it.")


class RoleForm(forms.Form):
    """Give a role (named in the URL) to a person: a handoff they acknowledge."""

    user: Any = forms.ModelChoiceField(queryset=None, label="Give to")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000,
                           label="Handoff note", help_text="Where things stand, what is next.")

    def __init__(self, *args: Any, staff: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["user"].queryset = staff  # type: ignore[attr-defined]
        self.fields["user"].label_from_instance = _person  # type: ignore[attr-defined]


class OwnerForm(forms.Form):
    """Hand the incident to another owner."""

    owner: Any = forms.ModelChoiceField(queryset=None, label="New owner")
    note = forms.CharField(max_length=2000, required=False, label="Note")

    def __init__(self, *args: Any, staff: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["owner"].queryset = staff  # type: ignore[attr-defined]
        self.fields["owner"].label_from_instance = _person  # type: ignore[attr-defined]


class UpdateForm(_LocalTimes, forms.Form):
    """A status update for one audience (the form is prefixed with the audience)."""

    prefilled = False  # filled in from a template (the page opens it)

    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=20000, label="Update")
    can_do = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000,
                             label="What can people still do?")
    cannot_do = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000,
                                label="What can't they do right now?")
    workaround = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000,
                                 label="What to use instead")
    next_update_at = LocalDateTimeField(required=False, label="Next update at")

    def __init__(self, *args: Any, audience: str, time_zone: str = "UTC", **kw: Any) -> None:
        kw["prefix"] = audience
        super().__init__(*args, **kw)
        self.audience = audience
        self.time_zone = time_zone or "UTC"
        self.fields["body"].help_text = AUDIENCE_HELP.get(audience, "")
        if audience != Audience.END_USERS:
            for name in ("can_do", "cannot_do", "workaround"):
                del self.fields[name]
        if audience == Audience.RESPONDERS:
            del self.fields["next_update_at"]
        else:
            self.fields["next_update_at"].help_text = (
                f"Your time ({self.time_zone}). Blank: the severity's usual cadence."
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["next_update_at_utc"] = self._utc(data, "next_update_at")
        return data

    def to_data(self) -> dict[str, Any]:
        """The service's input."""
        d = self.cleaned_data
        return {
            "audience": self.audience, "body": d["body"], "can_do": d.get("can_do", ""),
            "cannot_do": d.get("cannot_do", ""), "workaround": d.get("workaround", ""),
            "next_update_at": d.get("next_update_at_utc"),
        }


class NoteForm(forms.Form):
    """A responder's note on the timeline."""

    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=20000, label="Note")


class LinkChangeForm(forms.Form):
    """The change that caused the incident."""

    change = forms.IntegerField(min_value=1)
