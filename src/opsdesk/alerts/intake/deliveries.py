"""The steps of one delivery: route, locate the key, check the signature, adapt the format, and
the row to store with the answer to give after its commit (alerts.intake)."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from .. import formats, keys
from ..formats import InvalidEvent
from ..signals import Signal
from .answers import EVENTS_V2, Answer, events_invalid, not_found, problem
from .queries import Source
from .storage import Row

SIGNATURE_WINDOW = 300  # seconds a signed timestamp may differ from our clock
ADAPTERS: dict[str, Callable[[Any], list[Signal]]] = {
    "alertmanager": formats.from_alertmanager,
    "grafana": formats.from_grafana,
    "generic": formats.from_generic,
}
INTEGRATIONS_PREFIX = "/api/v1/integrations/"
ENQUEUE_PATH = "/v2/enqueue"
KEY_HEADER = "X-Opsdesk-Key"  # for senders that can add a header but not Authorization (Grafana)


@dataclass(frozen=True, slots=True)
class Located:
    """A delivery's kind and the key to look its integration up by (the Events API's event, checked)."""

    kind: str
    key: str
    event: Signal | None = None


@dataclass(frozen=True, slots=True)
class Accepted:
    """A delivery to store (`row` None: nothing in it) and the answer to give after the commit."""

    row: Row | None
    answer: Answer
    signals: int


def route(path: str) -> tuple[str, str | None] | Answer:
    """(kind, path key) for an intake path, or the 404 answer."""
    if path == ENQUEUE_PATH:
        return EVENTS_V2, None
    if path.startswith(INTEGRATIONS_PREFIX):
        kind, _, key = path[len(INTEGRATIONS_PREFIX) :].partition("/")
        if kind in ADAPTERS and "/" not in key:
            return kind, key or None  # None: the key comes in a header
    return not_found(f"No intake endpoint at {path[:200]}.")


def header_key(header: Callable[[str], str | None]) -> str | None:
    """The integration key a sender put in a header: `Authorization: Bearer KEY` (Alertmanager's
    http_config.authorization) or `X-Opsdesk-Key: KEY` (Grafana's custom headers)."""
    authorization = (header("Authorization") or "").strip()
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return (header(KEY_HEADER) or "").strip() or None


def locate(kind: str, path_key: str | None, body: bytes) -> Located | Answer:
    """The key to find the integration by (the path's, or the header's: see `header_key`); for the
    Events API the body is parsed and checked here."""
    if kind != EVENTS_V2:
        if kind not in ADAPTERS:
            return not_found(f"No intake endpoint for '{kind[:50]}' deliveries.")
        if not path_key:
            return problem(401, "Unauthorized", "The integration key is missing: send it as 'Authorization: "
                           f"Bearer KEY' or '{KEY_HEADER}: KEY', or in the path (/api/v1/integrations/{kind}/KEY).")
        return Located(kind, path_key)
    try:
        document = parse(body)
        event = formats.from_events_v2(document)
    except InvalidEvent as exc:
        return events_invalid(exc.errors)
    return Located(kind, formats.routing_key_of(document) or "", event)


def parse(body: bytes) -> Any:
    """The JSON document of a body (InvalidEvent when it is not JSON)."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidEvent([f"The body is not valid JSON: {exc}"]) from None
    if b"\\u0000" in body:
        document = _without_nul(document)  # PostgreSQL's jsonb refuses NUL characters
    return document


def _without_nul(value: Any) -> Any:
    """The document with NUL characters removed from every string."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    if isinstance(value, dict):
        return {k.replace("\x00", ""): _without_nul(v) for k, v in value.items()}
    return value


def accept(located: Located, source: Source | None, body: bytes, header: Callable[[str], str | None],
           received_at: dt.datetime) -> Accepted | Answer:
    """Check and adapt a located delivery for `source` (None: no active integration has the key)."""
    if located.kind == EVENTS_V2:
        if source is None or source.kind != EVENTS_V2 or located.event is None:
            return events_invalid(["Invalid routing key"])
        signals = [located.event]
        answer = Answer(202, orjson.dumps(
            {"status": "success", "message": "Event processed", "dedup_key": located.event["key"]}))
    else:
        if source is None or source.kind != located.kind:
            return not_found(f"No active {located.kind} integration has this key.")
        if source.signature_header:
            refusal = check_signature(source, body, header)
            if refusal is not None:
                return refusal
        try:
            signals = ADAPTERS[located.kind](parse(body))
        except InvalidEvent as exc:
            return problem(400, "Invalid delivery", f"The delivery is not a valid {located.kind} message.", exc.errors)
        answer = Answer(202, orjson.dumps({"status": "accepted", "alerts": len(signals)}))
    if not signals:
        return Accepted(None, answer, 0)
    try:
        text = orjson.dumps(signals).decode()
    except TypeError:  # e.g. an integer beyond 64 bits in custom details
        return _refuse(located.kind, ["The event holds a value that cannot be stored (integer beyond 64 bits?)"])
    return Accepted((source.id, received_at, text, hashlib.sha256(body).hexdigest(), len(signals)), answer, len(signals))


def _refuse(kind: str, errors: list[str]) -> Answer:
    if kind == EVENTS_V2:
        return events_invalid(errors)
    return problem(400, "Invalid delivery", errors[0], errors)


def check_signature(source: Source, body: bytes, header: Callable[[str], str | None]) -> Answer | None:
    """None when the HMAC (over `timestamp:body` when a timestamp header is set) is right, else 401."""
    given = header(source.signature_header) or ""
    if not given or not given.isascii():
        return problem(401, "Unauthorized", f"The signature header {source.signature_header} is missing.")
    timestamp: str | None = None
    if source.timestamp_header:
        timestamp = (header(source.timestamp_header) or "").strip()
        try:
            seconds = float(timestamp)
        except ValueError:
            seconds = math.nan
        if not math.isfinite(seconds):
            return problem(401, "Unauthorized", f"The timestamp header {source.timestamp_header} is missing or not a Unix time.")
        if seconds > 1e11:
            seconds /= 1000  # sent in milliseconds
        if abs(time.time() - seconds) > SIGNATURE_WINDOW:
            return problem(401, "Unauthorized", "The signed timestamp is more than 5 minutes away from now.")
    if not keys.signature_ok(source.secret, body, given, timestamp):
        return problem(401, "Unauthorized", "The signature does not match the body.")
    return None
