"""The intake's writes: accepted deliveries inserted as RawEvents in one transaction, with a short
lock wait, so that a busy or unreachable database becomes a 503 (`Unavailable`), never a hang."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction

from ..models import RawEvent

ROWS_PER_INSERT = 1000  # rows per INSERT statement (5 parameters each; every database takes 5,000)

# integration_id, received_at, signals (JSON text), digest (SHA-256 hex of the body), how many signals
Row = tuple[int, dt.datetime, str, str, int]


class Unavailable(Exception):
    """The delivery cannot be stored right now (database locked or unreachable, overload): 503."""


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
