"""The alert intake: a sender's delivery checked, adapted, stored, and answered.

The one hot path, shared by the Django views (alerts.intake_views, on `opsdesk serve`'s port,
one commit per request) and the lean server (alerts.intake_server, `opsdesk intake`, commits
grouped by a writer thread). A delivery goes through:

1. `locate(kind, path_key, body)`: which integration key to look up (the path's, else the one in
   the `Authorization: Bearer` or `X-Opsdesk-Key` header (`header_key`), or the Events API's
   `routing_key`, for which the body is parsed and checked first);
2. the integration's `Source`, by the key's hash: `find_source` (database) or the server's cache;
3. `accept(...)`: signature (Grafana HMAC), JSON, format adapter -> the RawEvent row to store and
   the answer to give once it is committed, or a refusal;
4. `store(rows)`: one transaction; the 2xx is sent only after its commit.

Answers follow what senders do with them: 5xx and 429 are retried, other 4xx are dropped. So a
busy or unreachable database is 503 with Retry-After (never 4xx, never 500); a delivery that can
never succeed (unknown key, bad signature, not an event, too large) is 4xx. `/v2/enqueue` answers
in PagerDuty's shape; the `/api/v1/integrations/...` paths in RFC 9457 problem details.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import orjson
from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction

from . import formats, keys
from .formats import InvalidEvent
from .models import Integration, RawEvent
from .signals import Signal

MAX_BODY = 512 * 1024  # bytes; larger deliveries are refused (413) without reading them
SIGNATURE_WINDOW = 300  # seconds a signed timestamp may differ from our clock
RETRY_AFTER = 1  # seconds, on 503
EVENTS_V2 = "events_v2"
ADAPTERS: dict[str, Callable[[Any], list[Signal]]] = {
    "alertmanager": formats.from_alertmanager,
    "grafana": formats.from_grafana,
    "generic": formats.from_generic,
}
JSON = "application/json"
PROBLEM_JSON = "application/problem+json"
INTEGRATIONS_PREFIX = "/api/v1/integrations/"
ENQUEUE_PATH = "/v2/enqueue"
KEY_HEADER = "X-Opsdesk-Key"  # for senders that can add a header but not Authorization (Grafana)
ROWS_PER_INSERT = 1000  # rows per INSERT statement (5 parameters each; every database takes 5,000)

# integration_id, received_at, signals (JSON text), digest (SHA-256 hex of the body), how many signals
Row = tuple[int, dt.datetime, str, str, int]


class Unavailable(Exception):
    """The delivery cannot be stored right now (database locked or unreachable, overload): 503."""


@dataclass(frozen=True, slots=True)
class Source:
    """What the intake needs to know of an active integration."""

    id: int
    kind: str
    signature_header: str  # "" when deliveries are not signed
    timestamp_header: str
    secret: str  # the HMAC secret, when signed


@dataclass(frozen=True, slots=True)
class Answer:
    """An HTTP answer, ready to send."""

    status: int
    body: bytes
    content_type: str = JSON
    retry_after: int | None = None


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


# --- answers --------------------------------------------------------------------------------------


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


# --- the steps ------------------------------------------------------------------------------------


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


# --- integrations ---------------------------------------------------------------------------------

SOURCE_FIELDS = ("id", "kind", "key_hash", "signature_header", "timestamp_header", "signing_salt")


def _source(id: int, kind: str, signature_header: str, timestamp_header: str, salt: str) -> Source:
    secret = keys.signing_secret(salt) if signature_header else ""
    return Source(id, kind, signature_header.strip(), timestamp_header.strip(), secret)


def find_source(key_hash: str) -> Source | None:
    """The active integration with this key hash (alerts.keys.hash_key), from the database."""
    row = Integration.objects.filter(key_hash=key_hash, active=True).values_list(*SOURCE_FIELDS).first()
    if row is None:
        return None
    return _source(row[0], row[1], row[3], row[4], row[5])


def all_sources() -> dict[str, Source]:
    """Every active integration by key hash (the lean server's cache, reloaded every second)."""
    rows = Integration.objects.filter(active=True).values_list(*SOURCE_FIELDS)
    return {r[2]: _source(r[0], r[1], r[3], r[4], r[5]) for r in rows}


# --- storage --------------------------------------------------------------------------------------

TRANSIENT = (OperationalError, InterfaceError, IntegrityError)


def store(rows: Sequence[Row]) -> None:
    """Insert the rows as RawEvents in one transaction (committed on return); Unavailable when the
    database is locked, unreachable or refuses for now. Works from any thread (its own connection)."""
    try:
        with _lock_wait(), transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql" and not getattr(_thread, "dedicated", False):
                cursor.execute(f"SET LOCAL lock_timeout = {int(_lock_timeout() * 1000)}")
            for start in range(0, len(rows), ROWS_PER_INSERT):
                chunk = rows[start : start + ROWS_PER_INSERT]
                cursor.execute(_insert_sql(len(chunk)), _params(chunk))
    except TRANSIENT as exc:
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()
        raise Unavailable(reason(exc)) from exc


_thread = threading.local()


def dedicate_thread() -> None:
    """Mark the calling thread as one that only stores (the lean server's writer): its connection
    keeps the short lock wait for good, instead of setting and restoring it around each store."""
    _thread.dedicated = True


def _dedicated_connection() -> bool:
    """In a dedicated thread: True once its current connection has the short lock wait."""
    if not getattr(_thread, "dedicated", False):
        return False
    connection.ensure_connection()
    if getattr(_thread, "configured", None) is not connection.connection:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute(f"PRAGMA busy_timeout = {int(_lock_timeout() * 1000)}")
            elif connection.vendor == "postgresql":
                cursor.execute(f"SET lock_timeout = {int(_lock_timeout() * 1000)}")
        _thread.configured = connection.connection
    return True


def reason(exc: Exception) -> str:
    """What a database fault means for the sender, in a few words."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "locked" in text or "lock timeout" in text:
        return "the database is busy"
    if isinstance(exc, IntegrityError):
        return "the integration changed meanwhile"
    return "the database is not reachable"


def _lock_timeout() -> float:
    return float(settings.INTAKE_LOCK_TIMEOUT)


@contextmanager
def _lock_wait() -> Iterator[None]:
    """SQLite: wait at most INTAKE_LOCK_TIMEOUT for the write lock (not the 30 s others wait)."""
    if _dedicated_connection() or connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA busy_timeout = {int(_lock_timeout() * 1000)}")
        try:
            yield
        finally:
            usual = float(connection.settings_dict.get("OPTIONS", {}).get("timeout", 5))
            cursor.execute(f"PRAGMA busy_timeout = {int(usual * 1000)}")


_insert_cache: dict[int, str] = {}


def _insert_sql(n: int) -> str:
    """INSERT of n RawEvents in one statement (one round trip, one step of the database)."""
    sql = _insert_cache.get(n)
    if sql is None:
        quote = connection.ops.quote_name
        fields = (RawEvent._meta.get_field(f) for f in ("integration", "received_at", "signals", "digest", "size"))
        columns = ", ".join(quote(str(getattr(f, "column", ""))) for f in fields)
        # Table and column names come from the model, values are parameters.
        sql = f"INSERT INTO {quote(RawEvent._meta.db_table)} ({columns}) VALUES " + ", ".join(  # noqa: S608
            ["(%s, %s, %s, %s, %s)"] * n
        )
        if len(_insert_cache) < 64:
            _insert_cache[n] = sql
    return sql


def _params(rows: Sequence[Row]) -> list[Any]:
    adapt = connection.ops.adapt_datetimefield_value
    params: list[Any] = []
    for integration_id, received_at, signals, digest, size in rows:
        params += (integration_id, adapt(received_at), signals, digest, size)
    return params
