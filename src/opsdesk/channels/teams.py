"""A `Message` as a Microsoft Teams Workflows webhook body: one Adaptive Card (version 1.5).

Office 365 connectors are retired; a Workflows "post to a channel when a webhook request is
received" flow takes this `message` with an Adaptive Card attachment.

A Workflows webhook cannot update a card it posted: it answers no id of the message, and the
flow only posts. So every event of an incident posts a new card to the channel (opened, then
acknowledged, then resolved), each with the incident's current state; `thread_key` is kept on
the delivery but unused here. Editing the card in place, as Slack app endpoints do with
`chat.update`, would need a Teams bot (Bot Framework, an Azure bot registration and its
credentials), which opsdesk does not have.
"""

from __future__ import annotations

from typing import Any

from .messages import Message

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD = "application/vnd.microsoft.card.adaptive"


def render(message: Message) -> dict[str, Any]:
    """The Workflows webhook body of a message."""
    title = (message.title or message.event).strip() or message.event
    facts = [{"title": name, "value": value} for name, value in message.fields]
    facts += [{"title": label, "value": value} for label, value in (("Severity", message.severity),
                                                                   ("Status", message.status)) if value]
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": title, "weight": "Bolder", "size": "Medium", "wrap": True},
        {"type": "TextBlock", "text": message.summary.strip() or title, "wrap": True},
    ]
    if facts:
        body.append({"type": "FactSet", "facts": facts})
    actions = [{"type": "Action.OpenUrl", "title": a.label or "Open", "url": a.url} for a in message.actions if a.url]
    if message.url and message.url not in {a["url"] for a in actions}:
        actions.append({"type": "Action.OpenUrl", "title": "Open in opsdesk", "url": message.url})
    content = {"$schema": SCHEMA, "type": "AdaptiveCard", "version": "1.5", "body": body, "actions": actions}
    return {"type": "message", "attachments": [{"contentType": CARD, "contentUrl": None, "content": content}]}
