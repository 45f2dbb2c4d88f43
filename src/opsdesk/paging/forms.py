"""Forms of the paging pages: a policy with its steps (one a line), contact methods, rules, quiet hours."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from opsdesk.channels.models import Endpoint
from opsdesk.oncall.models import Schedule

from . import rules

MODE_CHOICES = [(m, m.replace("_", " ")) for m in rules.MODES]
STEPS_HELP = ("One step a line: TARGET ID-OR-NAME WAIT-MINUTES, e.g. \"person alice 5\", \"team EPR engineers 10\", "
              "\"roles commander,operations 15\", \"schedule Northgate Health EPR 24×7 15\".")


def _ref(kind: str, what: str, n: int) -> int:
    """The id a step line names: an id, a username (person) or a schedule's name."""
    if what.isdigit():
        return int(what)
    if kind == "person":
        found = list(get_user_model().objects.filter(username=what).values_list("id", flat=True))
    else:
        found = list(Schedule.objects.filter(name=what).values_list("id", flat=True)[:2])
    if len(found) != 1:
        noun = "user" if kind == "person" else "schedule"
        raise forms.ValidationError(f"line {n}: {'no' if not found else 'more than one'} {noun} {what!r}"
                                    + ("" if not found else "; give its id"))
    return found[0]


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
            if not what:
                raise forms.ValidationError(f"line {n}: {kind} needs an id or a name")
            step["ref"] = _ref(kind, what, n)
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
    for s in policy.steps.select_related("schedule", "person").order_by("position"):
        named = s.schedule.name if s.schedule else s.person.get_username() if s.person else ""
        what = {"team": s.team, "roles": ",".join(s.roles)}.get(s.target_kind, named)
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
    kind = forms.ChoiceField(choices=[("email", "Email"), ("chat", "Chat (Slack, Teams)"), ("webhook", "Webhook (pager/SMS gateway)")],
                             initial="email")
    address = forms.EmailField(required=False, help_text="Email: blank means your account's email.")
    endpoint = forms.TypedChoiceField(coerce=int, required=False, empty_value=None,
                                      help_text="Chat or webhook: one of the internal endpoints on the Channels page "
                                                "(staff with integrations.write add them).")
    label = forms.CharField(max_length=100, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        internal = Endpoint.objects.filter(client=None).order_by("name", "id")
        self.fields["endpoint"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (e.pk, f"{e.name} ({e.get_kind_display()})") for e in internal]


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
