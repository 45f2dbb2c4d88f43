"""Schemas shared across the API: timeline entries, notifications."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict

MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
"""An object id: positive and within a 64-bit integer, so it never overflows a database column.

api.py modules do not use `from __future__ import annotations`: Ninja builds its parameter
models from the real annotations, and a postponed `Id` would stay an unresolved forward ref.
"""


MIN_YEAR, MAX_YEAR = 1970, 2199


def _instant(value: dt.datetime) -> dt.datetime:
    """An instant a person could mean, with its offset (sites differ: a bare time is ambiguous)."""
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"the year must be between {MIN_YEAR} and {MAX_YEAR}")
    if value.tzinfo is None:
        raise ValueError("give the UTC offset, e.g. 2026-03-29T01:30:00+01:00 or ...Z")
    offset = value.utcoffset() or dt.timedelta(0)
    if abs(offset) > dt.timedelta(hours=14):
        raise ValueError("the UTC offset must be between -14:00 and +14:00")
    return value.astimezone(dt.UTC)


Instant = Annotated[dt.datetime, AfterValidator(_instant)]
"""A datetime from input (query or body): with an offset, bounded year, normalised to UTC."""


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
        return str(obj.actor_label)


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



class AuditEventOut(Schema):
    """One audit event: who (and from which address), when, what, before/after."""

    id: int
    at: dt.datetime
    action: str
    actor: str = Field(validation_alias="actor_label")
    address: str | None
    target: str
    before: dict[str, Any]
    after: dict[str, Any]
    detail: dict[str, Any]


class Brief:
    """An object seen through a brief schema: only the attributes that schema reads.

    Answering `Full | Brief` (left to right), the full schema cannot read this view (its other
    attributes are missing), so the brief schema answers: a client user never gets the full shape.
    """

    def __init__(self, obj: Any, schema: type[Schema]) -> None:
        names = {n for name, f in schema.model_fields.items() for n in (name, f.alias) if n}
        self._obj, self._names = obj, names

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in self._names:
            raise AttributeError(name)
        return getattr(self._obj, name)
