"""A loopback HTTP receiver for channel tests: records every POST, verifies webhook signatures with
`standardwebhooks` (a client we did not write) and answers the status the test asks for."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    """One request as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool | None = None  # None: no secret registered for the path (Slack, Teams)
    problem: str = ""

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """What the server answers per path and what it received."""

    port: int = 0
    secrets: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, list[int]] = field(default_factory=dict)  # consumed in order; the last one repeats
    checks: dict[str, Any] = field(default_factory=dict)  # path -> callable(json) raising on a bad shape
    received: list[Received] = field(default_factory=list)
    delays: dict[str, float] = field(default_factory=dict)  # path -> seconds to wait before answering
    hooks: dict[str, Any] = field(default_factory=dict)  # path -> callable run while the sender waits for the answer
    answers: dict[str, Any] = field(default_factory=dict)  # path -> callable(Received) -> (status, body, headers)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def on(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    def status_for(self, path: str) -> int:
        queue = self.statuses.get(path) or [200]
        return queue.pop(0) if len(queue) > 1 else queue[0]


def _handler(state: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            got = Received(self.path, headers, body)
            secret = state.secrets.get(self.path)
            if secret is not None:
                try:
                    Webhook(secret).verify(body, headers)
                    got.verified = True
                except WebhookVerificationError as exc:
                    got.verified, got.problem = False, str(exc)
            status = state.status_for(self.path)
            if self.path in state.delays:
                time.sleep(state.delays[self.path])
            if self.path in state.hooks:
                state.hooks[self.path]()
            check = state.checks.get(self.path)
            if check is not None:
                try:
                    check(json.loads(body))
                except Exception as exc:  # the shape is wrong: answer 400 like the platform
                    got.problem, status = f"{type(exc).__name__}: {exc}", 400
            answer, extra = b'{"ok": true}' if status < 400 else b"receiver says no", {}
            if self.path in state.answers and not got.problem:  # a platform's own answer (the fake Slack API)
                status, answer, extra = state.answers[self.path](got)
            state.received.append(got)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


def serve() -> Iterator[Receiver]:
    """Run a receiver on 127.0.0.1 for the duration of a fixture."""
    state = Receiver()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
