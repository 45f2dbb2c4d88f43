"""A loopback "Slack Web API" on the channel tests' receiver: `chat.postMessage` and `chat.update`
as Slack documents them (https://api.slack.com/methods/chat.postMessage, .../chat.update).

Every request is checked for the documented shape: `Authorization: Bearer <bot token>`, a JSON
body (`application/json; charset=utf-8`) with `channel`, a `text` fallback and Block Kit `blocks`
that slack_sdk's models validate; an update also names the `ts` of a message posted in that
channel. Slack answers HTTP 200 with `{"ok": true, "channel", "ts", "message"}` or
`{"ok": false, "error"}`, and 429 with Retry-After when rate limited; so does this one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import Block

from tests.channels.receiver import Received, Receiver

TOKEN = "xoxb-1-opsdesk-test-token"


def slack_shape(body: dict[str, Any]) -> None:
    """What Slack documents for a message: a `text` fallback and Block Kit `blocks` (slack_sdk validates)."""
    assert isinstance(body["text"], str) and body["text"]
    for raw in body["blocks"]:
        block = Block.parse(raw)
        assert block is not None
        block.validate_json()
        assert block.to_dict() == raw


@dataclass
class Posted:
    """A message as the fake workspace holds it: its latest body and every body it had."""

    channel: str
    ts: str
    versions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def body(self) -> dict[str, Any]:
        return self.versions[-1]


@dataclass
class SlackApi:
    """The fake workspace: messages by ts, the calls it answered, and scripted refusals."""

    receiver: Receiver
    messages: dict[str, Posted] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (method, body) answered ok
    refusals: list[str] = field(default_factory=list)  # the next calls answer ok:false with these errors
    rate_limited: list[int] = field(default_factory=list)  # the next calls answer 429 with this Retry-After
    problems: list[str] = field(default_factory=list)  # shapes that were wrong (the test asserts none)

    @property
    def base(self) -> str:
        return self.receiver.url("/api")

    def method(self, name: str) -> list[dict[str, Any]]:
        return [body for m, body in self.calls if m == name]

    def _answer(self, method: str, got: Received) -> tuple[int, bytes, dict[str, str]]:
        problem = self._problem(method, got)
        if problem:
            self.problems.append(f"{method}: {problem}")
            return _ok_false("invalid_arguments" if "auth" not in problem else "not_authed")
        if self.rate_limited:
            return 429, json.dumps({"ok": False, "error": "ratelimited"}).encode(), {
                "Retry-After": str(self.rate_limited.pop(0))}
        if self.refusals:
            return _ok_false(self.refusals.pop(0))
        body = got.json
        if method == "chat.update":
            posted = self.messages.get(body["ts"])
            if posted is None or posted.channel != body["channel"]:
                return _ok_false("message_not_found")
            posted.versions.append(body)
        else:
            ts = f"{1765000000 + len(self.messages)}.{len(self.messages) + 1:06d}"
            posted = self.messages[ts] = Posted(channel=body["channel"], ts=ts, versions=[body])
        self.calls.append((method, body))
        # Slack echoes the message (its blocks included): the answer is often longer than 2 KB.
        echo = {"type": "message", "subtype": "bot_message", "text": body["text"], "blocks": body["blocks"],
                "bot_id": "B0TEST", "ts": posted.ts, "padding": "x" * 3000}
        return 200, json.dumps({"ok": True, "channel": posted.channel, "ts": posted.ts, "message": echo}).encode(), {}

    @staticmethod
    def _problem(method: str, got: Received) -> str:
        if got.headers.get("authorization") != f"Bearer {TOKEN}":
            return f"bad auth header {got.headers.get('authorization')!r}"
        if got.headers.get("content-type") != "application/json; charset=utf-8":
            return f"content type {got.headers.get('content-type')!r}"
        try:
            body = got.json
            assert isinstance(body.get("channel"), str) and body["channel"], "no channel"
            slack_shape(body)
            expected = {"channel", "text", "blocks"} | ({"ts"} if method == "chat.update" else set())
            assert set(body) == expected, f"fields {sorted(body)}, expected {sorted(expected)}"
        except Exception as exc:  # reported as the problem
            return f"{type(exc).__name__}: {exc}"
        return ""


def _ok_false(error: str) -> tuple[int, bytes, dict[str, str]]:
    return 200, json.dumps({"ok": False, "error": error}).encode(), {}


def install(receiver: Receiver) -> SlackApi:
    """The fake Slack API at `receiver.url("/api")`."""
    api = SlackApi(receiver)
    for method in ("chat.postMessage", "chat.update"):
        receiver.answers[f"/api/{method}"] = lambda got, m=method: api._answer(m, got)
    return api
