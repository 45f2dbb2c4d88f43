"""Forms of the on-call pages: the schedule editor (with one sub-form per layer) and the override form."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from opsdesk.accounts.models import User
from opsdesk.services.models import Service
from opsdesk.sites.models import Region, Site
from opsdesk.tenancy.models import Client

from . import rules
from .models import Layer, Schedule

LAYER_SLOTS = 1  # blank layer forms offered below the existing ones


class ScheduleForm(forms.Form):
    """A schedule's own fields."""

    name = forms.CharField(max_length=120)
    time_zone = forms.CharField(max_length=64, initial="Europe/London", help_text="IANA name, e.g. Europe/London.")
    description = forms.CharField(required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))
    team = forms.CharField(required=False, max_length=100)
    region = forms.ModelChoiceField(Region.objects.order_by("name"), required=False)
    client = forms.ModelChoiceField(Client.objects.order_by("name"), required=False,
                                    help_text="The client contract this schedule covers (blank: internal).")
    services = forms.ModelMultipleChoiceField(Service.objects.order_by("name"), required=False)
    sites = forms.ModelMultipleChoiceField(Site.objects.order_by("code"), required=False)

    def clean_time_zone(self) -> str:
        try:
            return rules.valid_zone(self.cleaned_data["time_zone"].strip())
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def to_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {"name": d["name"], "time_zone": d["time_zone"], "description": d["description"], "team": d["team"],
                "region": d["region"].pk if d["region"] else None, "client": d["client"].pk if d["client"] else None,
                "services": [s.pk for s in d["services"]], "sites": [s.pk for s in d["sites"]]}


class LayerForm(forms.Form):
    """One layer; a layer left without a name is dropped (and `remove` drops one)."""

    name = forms.CharField(max_length=100, required=False)
    level = forms.IntegerField(min_value=-1000, max_value=1000, required=False,
                               help_text="Empty: its place in the list (later layers win).")
    rotation = forms.ChoiceField(choices=Layer.Rotation.choices, initial="weekly")
    shift_hours = forms.FloatField(required=False, help_text="Custom rotations only: e.g. 12, or 48 for every 2 days.")
    handoff = forms.TimeField(initial=dt.time(9, 0), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                              help_text="Local time in the schedule's zone.")
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), required=False,
                            help_text="Day of the first handoff.")
    people = forms.CharField(required=False, max_length=2000, help_text="Usernames in rotation order, comma-separated.")
    restrictions = forms.CharField(required=False, max_length=2000,
                                   help_text="e.g. 'Mon-Fri 09:00-17:00; Sat,Sun 22:00-06:00' (blank: always).")
    remove = forms.BooleanField(required=False)

    def clean_people(self) -> list[int]:
        names = [n.strip() for n in self.cleaned_data["people"].replace("\n", ",").split(",") if n.strip()]
        found = dict(User.objects.filter(username__in=names).values_list("username", "pk"))
        missing = [n for n in names if n not in found]
        if missing:
            raise forms.ValidationError(f"unknown username(s): {', '.join(missing)}")
        return [found[n] for n in names]

    def clean_restrictions(self) -> list[dict[str, object]]:
        try:
            return rules.parse_restriction_text(self.cleaned_data["restrictions"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def to_data(self) -> dict[str, Any] | None:
        d = self.cleaned_data
        if d.get("remove") or not d.get("name"):
            return None
        return {"name": d["name"], "level": d.get("level"), "rotation": d["rotation"],
                "shift_hours": d.get("shift_hours"), "handoff": d["handoff"], "start": d.get("start"),
                "people": d["people"], "restrictions": d["restrictions"]}


def schedule_initial(schedule: Schedule) -> dict[str, Any]:
    """The editor's initial values for a schedule."""
    return {"name": schedule.name, "time_zone": schedule.time_zone, "description": schedule.description,
            "team": schedule.team, "region": schedule.region_id, "client": schedule.client_id,
            "services": [s.pk for s in schedule.services.all()], "sites": [s.pk for s in schedule.sites.all()]}


def layer_initial(layer: Layer) -> dict[str, Any]:
    """A layer form's initial values."""
    return {"name": layer.name, "level": layer.level, "rotation": layer.rotation, "shift_hours": layer.shift_hours,
            "handoff": layer.handoff, "start": layer.start_on,
            "people": ", ".join(m.person.username for m in layer.members.all()),
            "restrictions": rules.restriction_text(layer.restrictions)}


class OverrideForm(forms.Form):
    """Someone covers from..to (local times in the schedule's zone)."""

    person = forms.ModelChoiceField(User.objects.none(), help_text="Who covers.")
    covers_for = forms.ModelChoiceField(User.objects.none(), required=False,
                                        help_text="Blank: covers whoever is on call.")
    start = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    end = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    reason = forms.CharField(required=False, max_length=300)

    def __init__(self, *args: Any, time_zone: str, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.time_zone = time_zone
        self.fields["person"].queryset = people  # type: ignore[attr-defined]
        self.fields["covers_for"].queryset = people  # type: ignore[attr-defined]

    def to_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        tz = rules.zone(self.time_zone)
        # The form's times are local wall times in the schedule's zone (Django parses them naive or
        # in the site's zone: take the wall-clock reading either way).
        start = rules.to_utc(d["start"].replace(tzinfo=None), tz)
        end = rules.to_utc(d["end"].replace(tzinfo=None), tz)
        return {"person": d["person"].pk, "covers_for": d["covers_for"].pk if d["covers_for"] else None,
                "start": start, "end": end, "reason": d["reason"]}
