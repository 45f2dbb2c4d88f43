"""The heartbeat form of the integration page (staff only)."""

from __future__ import annotations

from typing import Any

from django import forms

from opsdesk.services.models import Service

from ..models import Alert, Integration
from .rules import MAX_MINUTES


class HeartbeatForm(forms.Form):
    """A heartbeat: its name, slug (in the ping URL), how often it pings, and where its alert lands."""

    name = forms.CharField(max_length=100)
    slug = forms.SlugField(max_length=50, help_text="In the ping URL; letters, digits, - and _.")
    interval_minutes = forms.IntegerField(min_value=1, max_value=MAX_MINUTES, initial=5, label="Every (minutes)")
    grace_minutes = forms.IntegerField(min_value=0, max_value=MAX_MINUTES, initial=5, label="Grace (minutes)")
    severity = forms.ChoiceField(choices=Alert.Severity.choices, initial="critical")
    service: Any = forms.ModelChoiceField(
        queryset=Service.objects.none(), required=False, empty_label="From the integration's rules",
    )

    def __init__(self, *args: Any, integration: Integration, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        services = Service.objects.filter(client_id=integration.client_id).order_by("name")
        self.fields["service"].queryset = services  # type: ignore[attr-defined]

    def to_data(self) -> dict[str, Any]:
        """What the service takes."""
        data = dict(self.cleaned_data)
        data["service"] = data["service"].pk if data.get("service") else None
        return data
