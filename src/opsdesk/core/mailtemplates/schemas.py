"""Ninja schemas of email wording."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from ..schemas import Id, InSchema


class TemplateTexts(Schema):
    """A subject and body template (Django template syntax, rendered as plain text)."""

    subject: str
    body: str


class MailTemplateVariable(Schema):
    """A variable the templates of an email may use."""

    name: str
    description: str


class StoredTemplate(Schema):
    """An override stored over the shipped text (for every client when `client` is null)."""

    subject: str
    body: str
    client: int | None
    client_name: str
    updated_at: dt.datetime
    updated_by: str


class MailTemplateOut(Schema):
    """One email opsdesk sends to one audience: its shipped text, variables and overrides."""

    key: str
    audience: str
    description: str
    audience_description: str
    per_client: bool = Field(description="A client's own wording may replace the audience's")
    variables: list[MailTemplateVariable]
    default: TemplateTexts
    override: StoredTemplate | None = Field(description="The wording for every client, if stored")
    client_overrides: list[StoredTemplate]
    customised: bool


class MailTemplateIn(InSchema):
    """New wording; a field left out keeps what applies now (the override's, else the shipped text)."""

    subject: str | None = Field(None, max_length=500)
    body: str | None = Field(None, max_length=20000)
    client: Id | None = Field(None, description="Only this client's users (per-client audiences)")


class MailPreviewIn(InSchema):
    """Texts to try (left out: what applies now), rendered with the email's sample values."""

    subject: str | None = Field(None, max_length=500)
    body: str | None = Field(None, max_length=20000)
    client: Id | None = None


class MailPreviewOut(Schema):
    """The rendered subject and body."""

    subject: str
    body: str
