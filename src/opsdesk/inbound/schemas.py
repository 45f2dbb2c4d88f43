"""API schemas of inbound mail."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema


class InboundMessageBrief(Schema):
    """A received message in the list: who, what, and what it became."""

    id: int
    received_at: dt.datetime
    mail_from: str
    sender: str
    subject: str
    state: str
    outcome: str
    target_type: str
    target_id: int | None
    target_url: str | None
    attempts: int


class AttachmentOut(Schema):
    """An attachment kept of a message."""

    id: int
    filename: str
    content_type: str
    size: int
    url: str


class InboundMessageOut(InboundMessageBrief):
    """One message: envelope, headers, text, attachments, outcome and what it became."""

    rcpt_to: list[str]
    message_id: str
    protocol: str
    size: int
    headers: list[tuple[str, str]]
    text: str
    detail: dict[str, Any]
    error: str
    processed_at: dt.datetime | None
    answered_at: dt.datetime | None
    attachments: list[AttachmentOut]
