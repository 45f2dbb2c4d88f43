"""The one shape every outbound channel renders: a message about an event, for an audience.

Senders (paging, the event publishers) build a `Message`; each channel renders it in its own
format (Standard Webhooks JSON, Slack Block Kit, a Teams Adaptive Card, an email). Plain data.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Audience = Literal["responders", "client", "end_users"]
Style = Literal["primary", "danger", "default"]


@dataclass(frozen=True)
class Action:
    """A one-click action in a message: a label and the (signed) URL it opens."""

    label: str
    url: str
    style: Style = "default"


@dataclass(frozen=True)
class Message:
    """What happened, said for one audience, with its links and one-click actions.

    `event` is the event type ("incident.opened", "workorder.state_changed", ...); `thread_key`
    names the object the message is about ("incident:42") so a channel that can update a card in
    place (Slack, Teams) finds the earlier one.
    """

    event: str
    title: str
    summary: str = ""
    audience: Audience = "responders"
    severity: str = ""
    status: str = ""
    url: str = ""
    fields: tuple[tuple[str, str], ...] = ()
    actions: tuple[Action, ...] = ()
    thread_key: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The message as JSON-ready data (the payload's `message` of a generic webhook)."""
        data = asdict(self)
        data["fields"] = [{"name": n, "value": v} for n, v in self.fields]
        return data
