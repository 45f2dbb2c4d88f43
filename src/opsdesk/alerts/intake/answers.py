"""The intake's answers, ready to send: PagerDuty's shape on the Events API paths, RFC 9457 problem
details on the others (alerts.intake)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

MAX_BODY = 512 * 1024  # bytes; larger deliveries are refused (413) without reading them
RETRY_AFTER = 1  # seconds, on 503
EVENTS_V2 = "events_v2"  # the kind whose paths answer in PagerDuty's shape
JSON = "application/json"
PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True, slots=True)
class Answer:
    """An HTTP answer, ready to send."""

    status: int
    body: bytes
    content_type: str = JSON
    retry_after: int | None = None


def problem(status: int, title: str, detail: str, errors: list[str] | None = None, retry_after: int | None = None) -> Answer:
    """An RFC 9457 problem details answer; `errors` as the API's [{field, message}]."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = [{"field": _field_of(m), "message": m} for m in errors]
    return Answer(status, orjson.dumps(body), PROBLEM_JSON, retry_after)


def _field_of(message: str) -> str:
    """The quoted field a format error names ("'payload.summary' is ..."), else "body"."""
    if message.startswith("'") and "'" in message[1:]:
        return message[1 : message.index("'", 1)]
    head = message.split(" ", 1)[0]
    return head if head.startswith(("alerts[", "events[")) else "body"


def events_invalid(errors: list[str], message: str = "Event object is invalid") -> Answer:
    """PagerDuty's 400 for an event it will never accept."""
    return Answer(400, orjson.dumps({"status": "invalid event", "message": message, "errors": errors}))


def unavailable(kind: str, reason: str) -> Answer:
    """503 with Retry-After, in the dialect of the path: the sender keeps the delivery and retries."""
    if kind == EVENTS_V2:
        body = {"status": "unavailable", "message": f"Try again shortly: {reason}", "errors": [reason]}
        return Answer(503, orjson.dumps(body), JSON, RETRY_AFTER)
    return problem(503, "Service unavailable", f"The delivery was not stored ({reason}); send it again shortly.",
                   retry_after=RETRY_AFTER)


def too_large(kind: str) -> Answer:
    """413: the body is over the limit (sending it again will not help)."""
    detail = f"The body is larger than {MAX_BODY} bytes; send fewer alerts per request."
    if kind == EVENTS_V2:
        return Answer(413, orjson.dumps({"status": "invalid event", "message": detail, "errors": [detail]}))
    return problem(413, "Request body too large", detail)


def not_found(detail: str) -> Answer:
    """404 problem details."""
    return problem(404, "Not found", detail)


def method_not_allowed() -> Answer:
    """405 problem details."""
    return problem(405, "Method not allowed", "Deliveries are sent with POST.")
