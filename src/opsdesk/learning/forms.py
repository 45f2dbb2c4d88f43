"""Forms of the postmortem and problem pages; each gives a service its input with the API's names."""

from __future__ import annotations

from typing import Any

from django import forms

from opsdesk.accounts.models import User

from . import queries, rules
from .client_view import Shown
from .models import ActionItem, Postmortem, Problem

SECTION_LABELS = {
    "summary": "Summary",
    "impact": "Impact",
    "detection": "Detection",
    "response": "Response",
    "contributing_factors": "Contributing factors",
    "went_well": "What went well",
    "was_hard": "What was hard",
}
SECTION_HELP = {
    "contributing_factors": "Conditions, not people: what made the failure possible and the response harder?",
}


class StaffChoiceField(forms.ModelChoiceField[User]):
    """An active staff user, shown by name."""

    def label_from_instance(self, obj: User) -> str:
        return str(obj.get_full_name() or obj.get_username())


def _staff_field(**kwargs: Any) -> StaffChoiceField:
    return StaffChoiceField(queryset=queries.staff_users(), **kwargs)


class PostmortemForm(forms.Form):
    """Edit a postmortem's sections and owner."""

    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    impact = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    detection = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    response = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), required=False)
    contributing_factors = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    went_well = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    was_hard = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    owner = _staff_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = queries.staff_users()  # type: ignore[attr-defined]
        for name, label in SECTION_LABELS.items():
            self.fields[name].label = label
            self.fields[name].help_text = SECTION_HELP.get(name, "")
            self.fields[name].max_length = 50_000  # type: ignore[attr-defined]

    @classmethod
    def initial_for(cls, pm: Postmortem | Shown) -> dict[str, Any]:
        """The form's values for a postmortem."""
        return {**{name: getattr(pm, name) for name in rules.SECTIONS}, "owner": pm.owner_id}

    def to_data(self) -> dict[str, Any]:
        """The service's input."""
        d = self.cleaned_data
        return {**{name: d[name] for name in rules.SECTIONS}, "owner": d["owner"].pk}


class TransitionForm(forms.Form):
    """Move a postmortem to another state, with a reason for the timeline."""

    to = forms.ChoiceField(choices=Postmortem.State.choices)
    reason = forms.CharField(max_length=500, required=False)


class ActionForm(forms.Form):
    """A new action item."""

    title = forms.CharField(max_length=300)
    owner = _staff_field()
    due_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Due")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = queries.staff_users()  # type: ignore[attr-defined]


class ActionUpdateForm(forms.Form):
    """Changes to one action item from its row: owner, due day, state."""

    owner = _staff_field(required=False)
    due_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), required=False)
    state = forms.ChoiceField(choices=ActionItem.State.choices, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = queries.staff_users()  # type: ignore[attr-defined]

    def to_data(self) -> dict[str, Any]:
        """Only what the row sent."""
        d = self.cleaned_data
        data: dict[str, Any] = {}
        if d.get("owner") is not None:
            data["owner"] = d["owner"].pk
        if d.get("due_on") is not None:
            data["due_on"] = d["due_on"]
        if d.get("state"):
            data["state"] = d["state"]
        return data


class ProblemForm(forms.Form):
    """Edit a problem: title, state, known error, workaround, owner."""

    title = forms.CharField(max_length=200)
    state = forms.ChoiceField(choices=Problem.State.choices)
    known_error = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=50_000,
                                  help_text="What is wrong, as far as it is known.")
    workaround = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=50_000,
                                 help_text="What restores service until the cause is removed.")
    owner = _staff_field(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = queries.staff_users()  # type: ignore[attr-defined]

    @classmethod
    def initial_for(cls, problem: Problem) -> dict[str, Any]:
        """The form's values for a problem."""
        return {
            "title": problem.title, "state": problem.state, "known_error": problem.known_error,
            "workaround": problem.workaround, "owner": problem.owner_id,
        }

    def to_data(self) -> dict[str, Any]:
        """The service's input."""
        d = self.cleaned_data
        owner = d.get("owner")
        return {
            "title": d["title"], "state": d["state"], "known_error": d["known_error"],
            "workaround": d["workaround"], "owner": owner.pk if owner is not None else None,
        }


class LinkForm(forms.Form):
    """The incident to make part of a problem, by number (INC-123 or 123)."""

    incident = forms.CharField(max_length=20, label="Incident")

    def clean_incident(self) -> int:
        """The incident's id from "INC-123" or "123"."""
        text = self.cleaned_data["incident"].strip().upper().removeprefix("INC-").strip()
        if not text.isdigit() or not 0 < int(text) < 2**63:
            raise forms.ValidationError("Give the incident's number, e.g. INC-42.")
        return int(text)
