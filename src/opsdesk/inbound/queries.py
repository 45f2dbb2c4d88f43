"""Reads of inbound mail (staff only: tenant_path is staff-only, scoped through core.tenancy)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from opsdesk.core.tenancy import get_scoped, scope

from .models import InboundAttachment, InboundMessage

LIST_FIELDS = ("id", "received_at", "mail_from", "sender", "subject", "state", "outcome", "target_type",
               "target_id", "message_id", "size", "protocol", "error", "processed_at", "answered_at", "attempts",
               "rcpt_to", "detail")


def list_messages(user: Any = None, *, outcome: str | None = None, state: str | None = None) -> QuerySet[InboundMessage]:
    """Messages, newest first (user None: the CLI, everything); filtered by outcome/state (comma-separated)."""
    qs = InboundMessage.objects.only(*LIST_FIELDS)
    if user is not None:
        qs = scope(qs, user)
    if outcome:
        qs = qs.filter(outcome__in=[o.strip() for o in outcome.split(",") if o.strip()])
    if state:
        qs = qs.filter(state__in=[s.strip() for s in state.split(",") if s.strip()])
    return qs.order_by("-received_at", "-id")


def get_message(user: Any, message_id: int) -> InboundMessage:
    """One message the user may see (staff), or 404."""
    return get_scoped(InboundMessage.objects.all(), user, pk=message_id)


def list_attachments(message: InboundMessage) -> QuerySet[InboundAttachment]:
    """The message's attachments."""
    return message.attachments.all()


def get_attachment(user: Any, message_id: int, attachment_id: int) -> InboundAttachment:
    """One attachment the user may read: staff, or a client user who may see the work order the
    message became (its comment links it); else 404."""
    from opsdesk.workorders.models import WorkOrder

    found = InboundAttachment.objects.select_related("message").filter(pk=attachment_id, message_id=message_id).first()
    if found is not None and getattr(user, "is_client_user", False):
        m = found.message
        visible = m.target_type == "workorder" and m.target_id is not None and scope(
            WorkOrder.objects.filter(pk=m.target_id), user).exists()
        found = found if visible else None
    if found is None or not getattr(user, "is_authenticated", False):
        from opsdesk.core.errors import NotFound

        raise NotFound(f"No attachment {attachment_id} of message {message_id}.")
    return found


def brief(message: InboundMessage) -> dict[str, Any]:
    """A message as the list shows it."""
    return {name: getattr(message, name) for name in (
        "id", "received_at", "mail_from", "sender", "subject", "state", "outcome", "target_type", "target_id",
        "attempts")} | {"target_url": message.target_url}


def describe(message: InboundMessage) -> dict[str, Any]:
    """A message with its headers, text and attachments (for the API and the page)."""
    from . import services

    msg = services.parse(bytes(message.raw))
    headers: list[tuple[str, str]] = []
    for name, value in msg.raw_items():
        try:
            headers.append((name, str(msg[name] if msg.get_all(name, [None])[0] is not None else value)))
        except (ValueError, TypeError, IndexError):
            headers.append((name, str(value)))
    try:
        text = services.body_text(msg)
    except (LookupError, ValueError, KeyError):
        text = ""
    attachments = [{"id": a.pk, "filename": a.filename, "content_type": a.content_type, "size": a.size,
                    "url": f"/inbound/{message.pk}/attachments/{a.pk}/"} for a in list_attachments(message)]
    return brief(message) | {
        "rcpt_to": list(message.rcpt_to), "message_id": message.message_id, "protocol": message.protocol,
        "size": message.size, "headers": headers[:200], "text": text[:100_000], "detail": message.detail,
        "error": message.error, "processed_at": message.processed_at, "answered_at": message.answered_at,
        "attachments": attachments,
    }
