"""A `Message` as a Slack incoming-webhook body: a `text` fallback and Block Kit blocks.

Incoming webhooks post a new message each time and cannot change one already posted: updating
the incident card in place needs a bot token and `chat.update` (with the `ts` Slack answers to
`chat.postMessage`), which this channel does not hold. `thread_key` is kept on the delivery for
that later step.
"""

from __future__ import annotations

from typing import Any

from .messages import Message

# Block Kit limits (https://api.slack.com/reference/block-kit/blocks).
HEADER_MAX = 150
SECTION_TEXT_MAX = 3000
FIELD_MAX = 2000
FIELDS_MAX = 10
BUTTON_TEXT_MAX = 75
BUTTONS_MAX = 25
URL_MAX = 3000


def escape(text: str) -> str:
    """Slack's control characters in user text: &, < and > (so nothing becomes a link or mention)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _buttons(message: Message) -> list[dict[str, Any]]:
    links = [(a.label, a.url, a.style) for a in message.actions]
    if message.url and message.url not in {url for _l, url, _s in links}:
        links.append(("Open in opsdesk", message.url, "default"))
    buttons: list[dict[str, Any]] = []
    for n, (label, url, style) in enumerate(links[:BUTTONS_MAX]):
        if not url or len(url) > URL_MAX:
            continue
        button: dict[str, Any] = {"type": "button", "action_id": f"opsdesk-{n}",
                                  "text": {"type": "plain_text", "text": _cut(label or "Open", BUTTON_TEXT_MAX)},
                                  "url": url}
        if style in ("primary", "danger"):
            button["style"] = style
        buttons.append(button)
    return buttons


def render(message: Message) -> dict[str, Any]:
    """The incoming-webhook body of a message: `text` (notifications, old clients) and `blocks`."""
    title = (message.title or message.event).strip() or message.event
    summary = escape(message.summary.strip()) or escape(title)
    section: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": _cut(summary, SECTION_TEXT_MAX)}}
    fields = [{"type": "mrkdwn", "text": _cut(f"*{escape(name)}*\n{escape(value)}", FIELD_MAX)}
              for name, value in message.fields[:FIELDS_MAX]]
    if fields:
        section["fields"] = fields
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(title, HEADER_MAX)}},
        section,
    ]
    facts = [f"{label}: *{escape(value)}*" for label, value in (("Severity", message.severity),
                                                                 ("Status", message.status)) if value]
    if facts:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(facts)}]})
    buttons = _buttons(message)
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    fallback = escape(title) + (f": {escape(message.summary.strip())}" if message.summary.strip() else "")
    return {"text": _cut(fallback, SECTION_TEXT_MAX), "blocks": blocks}
