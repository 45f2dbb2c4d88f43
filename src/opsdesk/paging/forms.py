"""Forms of the paging pages: a policy with its steps (one a line), contact methods, rules, quiet hours."""

from __future__ import annotations

from typing import Any

from django import forms

from . import rules

MODE_CHOICES = [(m, m.replace("_", " ")) for m in rules.MODES]
STEPS_HELP = ("One step a line: TARGET REF-OR-NAME WAIT-MINUTES, e.g. \"person 12 5\", \"team EPR engineers 10\", "
              "\"roles commander,operations 15\", \"schedule 3 15\".")


def parse_steps(text: str) -> list[dict[str, Any]]:
    """Steps from lines "kind what wait" (the API's shape); a bad line raises ValidationError."""
    steps = []
    for n, line in enumerate((t.strip() for t in text.splitlines()), 1):
        if not line:
            continue
        parts = line.split()
        kind, rest = parts[0].lower(), parts[1:]
        wait = 15.0
        if len(rest) >= 2:
            try:
                wait = float(rest[-1])
                rest = rest[:-1]
            except ValueError:
                pass
        what = " ".join(rest)
        step: dict[str, Any] = {"target": kind, "wait_minutes": wait}
        if kind in ("person", "schedule"):
            if not what.isdigit():
                raise forms.ValidationError(f"line {n}: {kind} needs an id")
            step["ref"] = int(what)
        elif kind == "team":
            step["team"] = what
        elif kind == "roles":
            step["roles"] = [r.strip() for r in what.split(",") if r.strip()]
        else:
            raise forms.ValidationError(f"line {n}: the target is person, team, roles or schedule")
        steps.append(step)
    return steps


def format_steps(policy: Any) -> str:
    """The policy's steps as the form's lines."""
    lines = []
    for s in policy.steps.order_by("position"):
        what = {"team": s.team, "roles": ",".join(s.roles)}.get(s.target_kind, str(s.target_ref or ""))
        lines.append(f"{s.target_kind} {what} {s.wait_minutes:g}")
    return "\n".join(lines)


class PolicyForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    repeat = forms.IntegerField(min_value=0, max_value=10, initial=0)
    is_default = forms.BooleanField(required=False)
    sev1 = forms.ChoiceField(choices=MODE_CHOICES, initial="page", label="SEV1")
    sev2 = forms.ChoiceField(choices=MODE_CHOICES, initial="page", label="SEV2")
    sev3 = forms.ChoiceField(choices=MODE_CHOICES, initial="business_hours", label="SEV3")
    sev4 = forms.ChoiceField(choices=MODE_CHOICES, initial="ticket", label="SEV4")
    steps = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), help_text=STEPS_HELP)

    def clean_steps(self) -> list[dict[str, Any]]:
        return parse_steps(self.cleaned_data["steps"])

    def to_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {"name": d["name"], "description": d["description"], "repeat": d["repeat"], "is_default": d["is_default"],
                "severity_rules": {s: d[s] for s in rules.SEVERITIES}, "steps": d["steps"]}


class ContactMethodForm(forms.Form):
    kind = forms.ChoiceField(choices=[("email", "Email")], initial="email")
    address = forms.EmailField(required=False, help_text="Blank: your account's email.")
    label = forms.CharField(max_length=100, required=False)


class RuleForm(forms.Form):
    urgency = forms.ChoiceField(choices=[("high", "High"), ("low", "Low")])
    contact_method = forms.TypedChoiceField(coerce=int, choices=[])
    delay_minutes = forms.FloatField(min_value=0, max_value=1440, initial=0)

    def __init__(self, *args: Any, methods: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact_method"].choices = [(m.pk, str(m)) for m in methods]  # type: ignore[attr-defined]


class ProfileForm(forms.Form):
    time_zone = forms.CharField(max_length=64, initial="UTC")
    quiet_start = forms.TimeField(required=False, help_text="Low-urgency notifications wait until the end.")
    quiet_end = forms.TimeField(required=False)
