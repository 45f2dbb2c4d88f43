"""API schemas of channels (webhook, Slack, Slack app and Teams endpoints and their deliveries)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema

from opsdesk.core.schemas import Id, InSchema

Kind = Literal["webhook", "slack", "slack_app", "teams"]
EventType = Literal[
    "incident.opened", "incident.acknowledged", "incident.resolved", "incident.updated",
    "workorder.state_changed", "change.approved", "change.started", "change.completed",
    "sla.at_risk", "sla.breached",
]


class EndpointIn(InSchema):
    """A new endpoint (name and url are required: optional in the schema so the service names the field).

    `slack_app` (the Slack Web API with the server's bot token, `OPSDESK_SLACK_BOT_TOKEN`) edits an
    incident's card in place; it needs `slack_channel`, and its `url` is the Slack API base
    (default `https://slack.com/api`)."""

    name: str | None = Field(None, min_length=1, max_length=100)
    url: str | None = Field(None, min_length=1, max_length=2000, description="http(s) URL, vetted by the SSRF guard.")
    kind: Kind = "webhook"
    slack_channel: str | None = Field(None, max_length=80, description="slack_app: the channel id posted to "
                                                                       "(C0123456789); required for that kind.")
    events: list[EventType] = Field(default_factory=list, max_length=20, description="Empty: every event.")
    client: Id | None = Field(None, description="The client it belongs to (it gets only that client's events, "
                                                "in the client wording); blank: internal.")
    team: str = Field("", max_length=100)
    failure_threshold: int = Field(10, ge=1, le=1000)
    owner: Id | None = Field(None, description="Staff user told when it is disabled (default: you).")


class EndpointPatch(InSchema):
    """Fields of an endpoint to change (`active: false` switches it off, `true` on)."""

    name: str | None = Field(None, min_length=1, max_length=100)
    url: str | None = Field(None, min_length=1, max_length=2000)
    slack_channel: str | None = Field(None, max_length=80)
    events: list[EventType] | None = Field(None, max_length=20)
    team: str | None = Field(None, max_length=100)
    failure_threshold: int | None = Field(None, ge=1, le=1000)
    owner: Id | None = None
    active: bool | None = None


class EndpointOut(Schema):
    """An endpoint: where, what for, and its health."""

    id: int
    name: str
    kind: Kind
    url: str = Field(alias="shown_url", description="In full for webhooks and Slack apps (the API base); scheme "
                                                  "and host only for Slack and Teams webhooks, whose URL is the "
                                                  "credential.")
    slack_channel: str = Field("", description="slack_app: the channel id posted to.")
    client: int | None = Field(None, alias="client_id")
    team: str
    events: list[str]
    audience: Literal["responders", "client"]
    active: bool
    disabled_at: dt.datetime | None
    disabled_reason: str
    consecutive_failures: int
    failure_threshold: int
    owner: int | None = Field(None, alias="owner_id")
    signed: bool = Field(description="Whether deliveries carry Standard Webhooks signatures (webhook kind).")
    created_at: dt.datetime

    @staticmethod
    def resolve_signed(obj: Any) -> bool:
        return bool(obj.kind == "webhook")


class EndpointCreated(EndpointOut):
    """A new endpoint with its signing secret: shown this once, never again (webhook kind; else "")."""

    secret: str


class SecretOut(Schema):
    """A new signing secret: shown this once."""

    id: int
    secret: str


class AttemptOut(Schema):
    """One try of a delivery and the receiver's answer."""

    at: dt.datetime
    status_code: int | None
    answer: str
    error: str
    duration_ms: int
    replay: bool


class DeliveryOut(Schema):
    """One event sent to an endpoint: the body as sent, its state and every attempt."""

    id: int
    endpoint: int = Field(alias="endpoint_id")
    event: str
    message_id: str = Field(description="The webhook-id header: the same for every attempt and replay.")
    payload: dict[str, Any]
    state: Literal["pending", "delivered", "failed", "given_up"]
    attempts: int
    next_attempt_at: dt.datetime | None
    first_attempt_at: dt.datetime | None
    last_status_code: int | None
    last_answer: str
    last_error: str
    delivered_at: dt.datetime | None
    created_at: dt.datetime
    tries: list[AttemptOut] = Field(description="Every attempt, oldest first, with the receiver's answer.")

    @staticmethod
    def resolve_tries(obj: Any) -> list[Any]:
        return list(obj.attempt_rows.all())
