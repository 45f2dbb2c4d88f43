"""API schemas for users and API tokens."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from opsdesk.core.schemas import Id, InSchema

from .models import User


class UserIn(InSchema):
    """A new user; client users name their client."""

    username: str = Field(..., min_length=1, max_length=150, pattern=r"^[\w.@+-]+$")
    role: User.Role
    client: Id | None = None
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    password: str | None = Field(None, min_length=1, description="Omit for a user who signs in by token only")


class UserPatch(InSchema):
    """Changes to a user."""

    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    is_active: bool | None = None
    time_zone: str | None = None


class UserOut(Schema):
    """A user."""

    id: int
    username: str
    role: str
    client: int | None = Field(None, alias="client_id")
    email: str
    first_name: str
    last_name: str
    is_active: bool
    time_zone: str


class TokenIn(InSchema):
    """A new API token for yourself."""

    name: str = Field("", max_length=100)
    scopes: list[str] = ["read", "write"]


class TokenOut(Schema):
    """An API token (never its value)."""

    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenCreatedOut(TokenOut):
    """A new token: `token` is shown this once."""

    token: str
