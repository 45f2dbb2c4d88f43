"""The endpoint form of the channels pages (staff only)."""

from __future__ import annotations

from typing import Any

from django import forms

from opsdesk.tenancy.models import Client

from .models import Endpoint
from .services import EVENTS


class EndpointForm(forms.Form):
    """A new endpoint: where to, which kind, which events, for whom."""

    name = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=Endpoint.Kind.choices, initial=Endpoint.Kind.WEBHOOK)
    url = forms.CharField(max_length=2000, label="URL", required=False,
                          help_text="The receiver's http(s) URL (a Slack app: the Slack API base, blank for "
                                    "https://slack.com/api).")
    slack_channel = forms.CharField(max_length=80, required=False, label="Slack channel",
                                    help_text="Slack app only: the channel id (C0123456789) the app is invited to.")
    events = forms.MultipleChoiceField(choices=[(e, e) for e in EVENTS if e != "ping"], required=False,
                                       widget=forms.CheckboxSelectMultiple, help_text="None ticked: every event.")
    client: Any = forms.ModelChoiceField(queryset=Client.objects.none(), required=False, empty_label="Internal")
    team = forms.CharField(max_length=100, required=False)
    failure_threshold = forms.IntegerField(min_value=1, max_value=1000, initial=10)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.order_by("name")  # type: ignore[attr-defined]

    def to_data(self) -> dict[str, Any]:
        """What the service takes."""
        data = dict(self.cleaned_data)
        data["client"] = data["client"].pk if data.get("client") else None
        return data
