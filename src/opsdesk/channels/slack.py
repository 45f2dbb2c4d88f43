"""A `Message` for Slack: Block Kit blocks with a `text` fallback, and the Slack Web API calls of a
Slack app endpoint.

Two ways in. An incoming webhook (kind `slack`) takes `render(message)` as its body; it posts a
new message each time and cannot change one already posted. A Slack app (kind `slack_app`) calls
the Web API with the server's bot token (`OPSDESK_SLACK_BOT_TOKEN`, never stored): the first
delivery of a thread (`incident:42`) is `chat.postMessage` with `{"channel", "text", "blocks"}`;
Slack answers where the message is (`{"ok": true, "channel", "ts"}`), which `channels.sending`
keeps as a `SlackMessage`, and every later delivery of the thread is `chat.update` with
`{"channel", "ts", "text", "blocks"}`: one card that changes as the incident is opened,
acknowledged and resolved. The blocks are the same in both ways. Here are only the pure parts
(bodies, method URLs, reading an answer); `channels.sending` makes the requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from .messages import Message

API_BASE = "https://slack.com/api"
POST_MESSAGE = "chat.postMessage"
UPDATE = "chat.update"
# chat.update errors meaning the posted message cannot be edited any more (deleted, too old, or
# not ours): the thread's record is dropped, so the retry posts a new card.
REPOST_ERRORS = frozenset({"message_not_found", "cant_update_message", "edit_window_closed"})

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


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One Web API request: the method (`chat.postMessage` or `chat.update`) and its JSON body."""

    method: str
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Answer:
    """What Slack answered: `ok`, where the message is (`channel`, `ts`) and Slack's `error` code."""

    ok: bool
    channel: str = ""
    ts: str = ""
    error: str = ""


def method_url(base: str, method: str) -> str:
    """`{base}/{method}`: `https://slack.com/api/chat.postMessage`."""
    return f"{base.rstrip('/')}/{method}"


def api_call(payload: dict[str, Any], *, channel: str, ts: str = "") -> ApiCall:
    """The request delivering a rendered message (`render`'s `text` and `blocks`): a new message in
    `channel`, or, given the `ts` of the thread's message, that message edited in place."""
    content = {"text": payload.get("text", ""), "blocks": payload.get("blocks", [])}
    if ts:
        return ApiCall(UPDATE, {"channel": channel, "ts": ts, **content})
    return ApiCall(POST_MESSAGE, {"channel": channel, **content})


def read_answer(method: str, status: int | None, raw: bytes) -> Answer:
    """Slack's answer to a Web API call. HTTP 200 with `"ok": true` is a success (for
    `chat.postMessage` only with the `channel` and `ts` of the new message); `"ok": false`, any
    other status (429 is `ratelimited`) or a body that is not Slack's JSON is a failure, with the
    reason as `error`."""
    if status is None:
        return Answer(False)
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        return Answer(False, error="ratelimited" if status == 429 else f"answered HTTP {status}, not Slack API JSON")
    error = str(data.get("error") or "")[:200]
    if status != 200 or data.get("ok") is not True:
        return Answer(False, error=error or ("ratelimited" if status == 429 else f"answered HTTP {status}"))
    channel, ts = data.get("channel"), data.get("ts")
    if not (isinstance(channel, str) and channel and isinstance(ts, str) and ts):
        if method == POST_MESSAGE:
            return Answer(False, error="the answer has no channel and ts of the posted message")
        channel, ts = "", ""
    return Answer(True, channel=channel, ts=ts)
