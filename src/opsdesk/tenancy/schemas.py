"""API schemas for clients."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from opsdesk.core.schemas import InSchema


class ClientIn(InSchema):
    """A new client."""

    code: str = Field(..., min_length=1, max_length=40, pattern=r"^[-a-zA-Z0-9_]+$")
    name: str = Field(..., min_length=1, max_length=200)
    description: str = ""
    contact_email: str = ""


class ClientPatch(InSchema):
    """Changes to a client."""

    code: str | None = Field(None, min_length=1, max_length=40, pattern=r"^[-a-zA-Z0-9_]+$")
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = None
    contact_email: str | None = None


class ClientOut(Schema):
    """A client."""

    id: int
    code: str
    name: str
    description: str
    contact_email: str
    created_at: dt.datetime
    updated_at: dt.datetime
