"""API schemas of heartbeats."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

from opsdesk.core.schemas import Id, InSchema

from .rules import MAX_MINUTES

Severity = Literal["critical", "error", "warning", "info"]
SLUG = r"^[-a-zA-Z0-9_]+$"


class HeartbeatIn(InSchema):
    """A new heartbeat of an integration: a ping expected every `interval_minutes` (name and slug
    are required: optional in the schema so that an integration one may not see is 404 first)."""

    name: str | None = Field(None, min_length=1, max_length=100)
    slug: str | None = Field(None, min_length=1, max_length=50, pattern=SLUG, description="In the ping URL.")
    interval_minutes: int = Field(5, ge=1, le=MAX_MINUTES)
    grace_minutes: int = Field(5, ge=0, le=MAX_MINUTES)
    severity: Severity = "critical"
    service: Id | None = None
    site: Id | None = None
    labels: dict[str, str] = Field(default_factory=dict, max_length=50)


class HeartbeatPatch(InSchema):
    """Fields of a heartbeat to change."""

    name: str | None = Field(None, min_length=1, max_length=100)
    slug: str | None = Field(None, min_length=1, max_length=50, pattern=SLUG)
    interval_minutes: int | None = Field(None, ge=1, le=MAX_MINUTES)
    grace_minutes: int | None = Field(None, ge=0, le=MAX_MINUTES)
    severity: Severity | None = None
    service: Id | None = None
    site: Id | None = None
    labels: dict[str, str] | None = Field(None, max_length=50)


class HeartbeatOut(Schema):
    """A heartbeat: its schedule, state and last ping."""

    id: int
    integration: int = Field(alias="integration_id")
    name: str
    slug: str
    interval_minutes: int
    grace_minutes: int
    severity: str
    service: int | None = Field(None, alias="service_id")
    site: int | None = Field(None, alias="site_id")
    labels: dict[str, str]
    state: Literal["new", "up", "late", "down"]
    last_ping_at: dt.datetime | None
    pings: int
    due_at: dt.datetime | None = Field(description="The next ping is expected by then.")
    down_at: dt.datetime | None = Field(description="Without a ping by then, the alert fires.")
    created_at: dt.datetime


class PingOut(Schema):
    """What a ping answers: the heartbeat's state after it, and when the next ping is due."""

    heartbeat: str
    state: str
    due_at: dt.datetime | None
