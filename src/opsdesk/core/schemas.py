"""Schemas shared across the API: timeline entries, notifications."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import ConfigDict

MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
"""An object id: positive and within a 64-bit integer, so it never overflows a database column.

api.py modules do not use `from __future__ import annotations`: Ninja builds its parameter
models from the real annotations, and a postponed `Id` would stay an unresolved forward ref.
"""


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

    ids: list[Id] | None = None


class CountOut(Schema):
    """How many rows changed."""

    count: int

