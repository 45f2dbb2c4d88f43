"""Schemas shared across the API: timeline entries, notifications."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import ConfigDict


class InSchema(Schema):
    """Base of request bodies: unknown fields are refused, so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid")


class ActivityOut(Schema):
    """One timeline entry."""

    id: int
    at: dt.datetime
    actor: str
    verb: str
    summary: str
    changes: dict[str, Any]
    visibility: str

    @staticmethod
    def resolve_actor(obj: Any) -> str:
        return obj.actor_label


class NotificationOut(Schema):
    """One inbox message."""

    id: int
    created_at: dt.datetime
    title: str
    body: str
    url: str
    read_at: dt.datetime | None


class MarkReadIn(InSchema):
    """Which notifications to mark read (all when omitted)."""

    ids: list[int] | None = None


class CountOut(Schema):
    """How many rows changed."""

    count: int

