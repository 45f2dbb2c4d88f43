"""Forms of the work pages. Windows are typed in the site's local time and stored in UTC; category
information fields come from CategoryField rows (completeness rules are data)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from opsdesk.changes.forms import LocalDateTimeField, to_utc

from .models import CATEGORIES, Arrangement, Comment, WorkOrder
from .page_queries import zone_of

INFO_PREFIX = "info"


def info_name(category: str, key: str) -> str:
    """The form field name of one category information field."""
    return f"{INFO_PREFIX}-{category}-{key}"


class _WindowMixin:
    """Turns the site-local window fields into UTC instants (errors on the fields, never a 500)."""

    def _window(self: Any, data: dict[str, Any], time_zone: str) -> None:
        for name in ("window_start", "window_end"):
            local = data.get(name)
            if local is None:
                data[f"{name}_utc"] = None
                continue
            try:
                data[f"{name}_utc"] = to_utc(local, time_zone)
            except ValueError as exc:
                self.add_error(name, str(exc))
        start, end = data.get("window_start_utc"), data.get("window_end_utc")
        if start and end and end <= start:
            self.add_error("window_end", "The window must end after it starts.")
        if bool(data.get("window_start")) != bool(data.get("window_end")) and not self.errors:
            self.add_error("window_end", "Give both the start and the end of the window, or neither.")


class RequestForm(_WindowMixin, forms.Form):
    """A client's request for work: becomes a submitted work order."""

    client: Any = forms.ModelChoiceField(queryset=None, required=False)
    site: Any = forms.ModelChoiceField(queryset=None, label="Site")
    category = forms.ChoiceField(choices=[("", "Choose the kind of work"), *CATEGORIES], label="Kind of work")
    services: Any = forms.ModelMultipleChoiceField(
        queryset=None, required=False, label="Services affected"
    )
    title = forms.CharField(max_length=200, label="What do you need?")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, label="Details")
    window_start = LocalDateTimeField(required=False, label="Preferred start (site's local time)")
    window_end = LocalDateTimeField(required=False, label="Preferred end (site's local time)")

    def __init__(self, *args: Any, user: Any, sites: Any, services: Any, clients: Any, fields: list[Any], **kw: Any):
        super().__init__(*args, **kw)
        self.user = user
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]
        self.fields["site"].label_from_instance = lambda s: f"{s.code} · {s.name} ({s.time_zone})"  # type: ignore[attr-defined]
        self.fields["services"].queryset = services  # type: ignore[attr-defined]
        self.fields["services"].label_from_instance = lambda s: f"{s.name} · {s.client.name}"  # type: ignore[attr-defined]
        if getattr(user, "is_client_user", False):
            del self.fields["client"]
        else:
            self.fields["client"].queryset = clients  # type: ignore[attr-defined]
            self.fields["client"].required = True
            self.fields["client"].label = "Client (staff entering a request on a client's behalf)"
        self.category_fields = fields
        for row in fields:
            self.fields[info_name(row.category, row.key)] = forms.CharField(
                max_length=500, required=False, label=row.label,
            )

    def info_groups(self) -> list[tuple[str, str, list[Any]]]:
        """(category, label, bound fields) for each category with information fields."""
        labels = dict(CATEGORIES)
        groups: dict[str, list[Any]] = {}
        for row in self.category_fields:
            groups.setdefault(row.category, []).append(self[info_name(row.category, row.key)])
        return [(c, labels.get(c, c), groups[c]) for c, _ in CATEGORIES if c in groups]

    def clean(self) -> dict[str, Any]:
        """Check the site belongs to the client; convert the window from the site's zone to UTC."""
        data = super().clean() or {}
        site, client = data.get("site"), data.get("client")
        if site is not None and client is not None and client not in site.clients.all():
            self.add_error("site", f"{site.code} does not serve {client.name}.")
        self._window(data, site.time_zone if site is not None else "UTC")
        return data

    def to_data(self) -> dict[str, Any]:
        """The service's input, with the API's field names."""
        d = self.cleaned_data
        category = d["category"]
        info = {
            row.key: d.get(info_name(row.category, row.key), "").strip()
            for row in self.category_fields
            if row.category == category and d.get(info_name(row.category, row.key), "").strip()
        }
        client = d.get("client") or getattr(self.user, "client", None)
        return {
            "client": client.pk if client is not None else None,
            "site": d["site"].pk,
            "services": [s.pk for s in d["services"]],
            "category": category,
            "title": d["title"],
            "description": d["description"],
            "window_start": d.get("window_start_utc"),
            "window_end": d.get("window_end_utc"),
            "info": info,
        }


class EditForm(_WindowMixin, forms.Form):
    """The service desk's triage form: what, when (site-local), priority and category information."""

    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    priority = forms.ChoiceField(choices=WorkOrder.Priority.choices)
    estimated_minutes = forms.IntegerField(min_value=1, max_value=10_000, label="Estimated minutes")
    window_start = LocalDateTimeField(required=False, label="Window starts")
    window_end = LocalDateTimeField(required=False, label="Window ends")

    def __init__(self, *args: Any, work_order: WorkOrder, fields: list[Any], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.work_order = work_order
        self.category_fields = fields
        for row in fields:
            self.fields[info_name(row.category, row.key)] = forms.CharField(
                max_length=500, required=False, label=row.label,
                help_text="provided by the client" if row.owner == "client" else "",
            )

    @classmethod
    def initial_for(cls, wo: WorkOrder, fields: list[Any]) -> dict[str, Any]:
        """Form values of a work order, its window in the site's local time."""
        zone = wo.site.time_zone

        def local(value: dt.datetime | None) -> dt.datetime | None:
            return to_local(value, zone)

        initial: dict[str, Any] = {
            "title": wo.title, "description": wo.description, "priority": wo.priority,
            "estimated_minutes": wo.estimated_minutes,
            "window_start": local(wo.window_start), "window_end": local(wo.window_end),
        }
        for row in fields:
            initial[info_name(row.category, row.key)] = (wo.info or {}).get(row.key, "")
        return initial

    def info_fields(self) -> list[Any]:
        """The bound category information fields."""
        return [self[info_name(r.category, r.key)] for r in self.category_fields]

    def clean(self) -> dict[str, Any]:
        """Convert the window from the site's zone to UTC."""
        data = super().clean() or {}
        self._window(data, self.work_order.site.time_zone)
        return data

    def to_data(self) -> dict[str, Any]:
        """The changed values under the API's field names (info merged over what is stored)."""
        d = self.cleaned_data
        info = dict(self.work_order.info or {})
        for row in self.category_fields:
            value = d.get(info_name(row.category, row.key), "").strip()
            if value:
                info[row.key] = value
            else:
                info.pop(row.key, None)
        return {
            "title": d["title"], "description": d["description"], "priority": d["priority"],
            "estimated_minutes": d["estimated_minutes"],
            "window_start": d.get("window_start_utc"), "window_end": d.get("window_end_utc"),
            "info": info,
        }


def to_local(value: dt.datetime | None, time_zone: str) -> dt.datetime | None:
    """An instant as a naive wall-clock time in the zone (for a datetime-local input)."""
    return value.astimezone(zone_of(time_zone)).replace(tzinfo=None) if value else None


class TransitionForm(forms.Form):
    """Move a work order to another state, with a reason for the timeline."""

    to = forms.ChoiceField(choices=WorkOrder.State.choices)
    reason = forms.CharField(max_length=500, required=False)


class OverrideForm(forms.Form):
    """A dispatcher proceeds despite one blocker; the reason is recorded."""

    blocker = forms.CharField(max_length=200)
    reason = forms.CharField(max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class HandoffForm(forms.Form):
    """Hand the work order to another person (and team) with a structured summary."""

    to_user: Any = forms.ModelChoiceField(queryset=None, label="To")
    to_team = forms.CharField(max_length=100, required=False, label="Team")
    done_so_far = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Done so far")
    next_step = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Next step")
    open_questions = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Open questions")
    links = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 1}), required=False, label="Links", help_text="one per line",
    )

    def __init__(self, *args: Any, receivers: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["to_user"].queryset = receivers  # type: ignore[attr-defined]
        self.fields["to_user"].label_from_instance = lambda u: (  # type: ignore[attr-defined]
            f"{u.get_full_name() or u.username} · {u.get_role_display()}"
        )

    def clean_links(self) -> list[str]:
        """Non-empty lines."""
        return [line.strip() for line in self.cleaned_data["links"].splitlines() if line.strip()]


class CommentForm(forms.Form):
    """A comment; client users' comments are always visible to the client."""

    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, label="Comment")
    visibility = forms.ChoiceField(choices=Comment.Visibility.choices, initial=Comment.Visibility.INTERNAL)


class ArrangementForm(forms.Form):
    """What has been arranged for one site requirement (e.g. the access request approved)."""

    requirement = forms.IntegerField(min_value=1)
    state = forms.ChoiceField(choices=Arrangement.State.choices)
    reference = forms.CharField(max_length=200, required=False)
    note = forms.CharField(max_length=2000, required=False)


class AssignForm(forms.Form):
    """Assign an engineer (or nobody)."""

    engineer = forms.IntegerField(min_value=0, required=False)


class CheckInForm(forms.Form):
    """The engineer arrives and confirms having read the site's rules; outside the window, says why.
    The location fields are hidden: the browser fills them (check-in.js) when the device allows it."""

    read_rules = forms.BooleanField(label="I have read the method statement and the local standards")
    reason = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
        label="Reason, if you are checking in outside the visit's window",
    )
    latitude = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    longitude = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)
    accuracy_m = forms.FloatField(required=False, min_value=0, widget=forms.HiddenInput)


FAILURE_CHOICES = [
    ("no_access", "No access on arrival"),
    ("parts_missing", "Parts missing"),
    ("wrong_information", "Wrong information"),
    ("client_not_ready", "Client not ready"),
    ("other", "Other (say what happened)"),
]


class NotCompletedForm(forms.Form):
    """The engineer leaves without completing the work: why, from a fixed list ('other' with a note)."""

    failure_reason = forms.ChoiceField(choices=FAILURE_CHOICES, widget=forms.RadioSelect, label="Why the work could not be completed")
    failure_note = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), label="What happened (required for other)"
    )


class CheckOutForm(forms.Form):
    """The engineer leaves: the category's completion checklist and a report the client can see."""

    completion_report = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), label="Completion report (the client sees this)"
    )
    first_time_fix = forms.BooleanField(required=False, initial=True, label="Fixed on this visit (first-time fix)")

    def __init__(self, *args: Any, checklist: list[str], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.checklist = list(checklist)
        for i, item in enumerate(self.checklist):
            self.fields[f"item-{i}"] = forms.BooleanField(required=False, label=item)

    def items(self) -> list[Any]:
        """The bound checklist fields, in order."""
        return [self[f"item-{i}"] for i in range(len(self.checklist))]

    def answers(self) -> dict[str, bool]:
        """{checklist item: ticked}."""
        return {item: bool(self.cleaned_data.get(f"item-{i}")) for i, item in enumerate(self.checklist)}
