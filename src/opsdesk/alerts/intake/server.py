"""The lean intake server (`opsdesk intake`): a raw ASGI application for uvicorn (uvloop, httptools).

Serves `POST /v2/enqueue`, `POST /api/v1/integrations/{alertmanager|grafana|generic}[/{key}]` (the
key in the path or in a header: deliveries.header_key), the change events of
alerts.change_events.deliveries (`POST /v2/change/enqueue`, `/api/v1/integrations/change-events[/{key}]`,
recorded one per thread call: they are few) and `GET /healthz` with the steps of
alerts.intake.deliveries. Parsing and checks run on the event loop; the one writer thread takes
everything queued, inserts it in one transaction, commits, and only then completes each request
(group commit: many deliveries share one commit). Integrations are read
from a cache of every active one by key hash, reloaded every second (a deactivated or rotated
key stops working within about a second); a key not in the cache is looked up once in a thread.
The event loop never touches the database.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from queue import Empty, SimpleQueue
from typing import Any

import orjson
from django.db import close_old_connections

from opsdesk.core import clock
from opsdesk.core.metrics import registry as metrics
from opsdesk.core.redact import redact

from .. import keys
from ..change_events import deliveries as change_events
from . import answers, deliveries, queries, storage
from .answers import Answer
from .queries import Source
from .storage import Row, Unavailable

logger = logging.getLogger(__name__)

RELOAD_EVERY = 1.0  # seconds between reloads of the integration cache
MAX_PENDING = 20_000  # deliveries waiting for the writer; more are refused with 503
BATCH_ROWS = 2_000  # at most this many deliveries per transaction ...
BATCH_BYTES = 16 * 1024 * 1024  # ... and about this much signal text

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class Writer:
    """The single thread that stores deliveries: one transaction per batch of everything queued."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: SimpleQueue[tuple[Row, asyncio.Future[None]] | None] = SimpleQueue()
        self.pending = 0  # changed on the event loop only
        self.batches = self.rows = 0
        self.storing_seconds = 0.0
        self.thread = threading.Thread(target=self.run, name="intake-writer", daemon=True)

    def start(self) -> None:
        """Start the thread."""
        self.thread.start()

    def submit(self, row: Row) -> asyncio.Future[None]:
        """Queue a row; the future completes after its commit (Unavailable if it could not be stored)."""
        if self.pending >= MAX_PENDING or not self.thread.is_alive():
            raise Unavailable("the intake is overloaded")
        future = self.loop.create_future()
        self.pending += 1
        self.queue.put((row, future))
        return future

    def stop(self) -> None:
        """Store what is queued, then end the thread (blocking)."""
        self.queue.put(None)
        self.thread.join()

    def run(self) -> None:
        """Take everything queued, store it, wake the requests; until stopped."""
        storage.dedicate_thread()
        stopping = False
        while not stopping:
            item = self.queue.get()
            batch: list[tuple[Row, asyncio.Future[None]]] = []
            size = 0
            while item is not None:
                batch.append(item)
                size += len(item[0][2])
                if len(batch) >= BATCH_ROWS or size >= BATCH_BYTES:
                    break
                try:
                    item = self.queue.get_nowait()
                except Empty:
                    break
            stopping = item is None
            if batch:
                began = time.perf_counter()
                outcomes = self.store(batch)
                self.storing_seconds += time.perf_counter() - began
                self.batches += 1
                self.rows += len(batch)
                self.loop.call_soon_threadsafe(self.finish, batch, outcomes)
        close_old_connections()

    def store(self, batch: list[tuple[Row, asyncio.Future[None]]]) -> list[BaseException | None]:
        """Store the batch; per row, None or the exception its request gets."""
        try:
            storage.store([row for row, _ in batch])
            return [None] * len(batch)
        except Unavailable as exc:
            return [exc] * len(batch)
        except Exception as exc:
            if len(batch) == 1:
                logger.exception("could not store a delivery")
                return [exc]
        # Not a passing fault: store the rows one by one, so only the row at fault fails.
        return [self.store([item])[0] for item in batch]

    def finish(self, batch: list[tuple[Row, asyncio.Future[None]]], outcomes: list[BaseException | None]) -> None:
        """On the event loop: complete each request's future."""
        self.pending -= len(batch)
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if future.done():
                continue
            if outcome is None:
                future.set_result(None)
            else:
                future.set_exception(outcome)


class Sources:
    """Active integrations by key hash, reloaded every second in a thread; misses looked up once."""

    def __init__(self) -> None:
        self.known: dict[str, Source] = {}
        self.unknown: set[str] = set()
        self.loaded_at = 0.0
        self.lookups = ThreadPoolExecutor(2, thread_name_prefix="intake-lookup")
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, name="intake-sources", daemon=True)

    def start(self) -> None:
        """Load once (so the first requests find their keys), then keep reloading."""
        self.reload()
        self.thread.start()

    def stop(self) -> None:
        """End the reloading thread and the lookup threads."""
        self.stopped.set()
        self.thread.join()
        self.lookups.shutdown()

    def run(self) -> None:
        """Reload until stopped."""
        while not self.stopped.wait(RELOAD_EVERY):
            self.reload()
        close_old_connections()

    def reload(self) -> None:
        """Replace the cache with what the database holds now (kept as it was when that fails)."""
        try:
            known = queries.all_sources()
        except Exception as exc:
            logger.warning("could not reload integrations: %s", exc)
            close_old_connections()
            return
        self.known, self.unknown = known, set()
        self.loaded_at = time.monotonic()

    async def find(self, key_hash: str) -> Source | None:
        """The source for a key hash: from the cache, else looked up in a thread (Unavailable on failure)."""
        source = self.known.get(key_hash)
        if source is not None or key_hash in self.unknown:
            return source
        loop = asyncio.get_running_loop()
        try:
            source = await loop.run_in_executor(self.lookups, self._lookup, key_hash)
        except Exception as exc:
            logger.warning("could not look an integration up: %s", exc)
            raise Unavailable("the database is not reachable") from exc
        if source is None:
            self.unknown.add(key_hash)
        else:
            self.known[key_hash] = source
        return source

    @staticmethod
    def _lookup(key_hash: str) -> Source | None:
        try:
            return queries.find_source(key_hash)
        except Exception:
            close_old_connections()
            raise


class IntakeApp:
    """The lean intake server as a raw ASGI application."""

    def __init__(self) -> None:
        self.writer: Writer | None = None
        self.sources = Sources()
        self.started = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self.lifespan(receive, send)

    async def lifespan(self, receive: Receive, send: Send) -> None:
        """Start the writer and the cache before serving; store what is queued when stopping."""
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.start()
                except Exception as exc:
                    logger.exception("intake could not start")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def start(self) -> None:
        """Start the writer thread and load the integration cache."""
        if self.started:
            return
        self.started = True
        loop = asyncio.get_running_loop()
        self.writer = Writer(loop)
        self.writer.start()
        await loop.run_in_executor(None, self.sources.start)

    async def stop(self) -> None:
        """Stop the writer (after it stored everything queued) and the cache."""
        loop = asyncio.get_running_loop()
        if self.writer is not None:
            await loop.run_in_executor(None, self.writer.stop)
        await loop.run_in_executor(None, self.sources.stop)

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        """One request: route, read at most MAX_BODY bytes, deliver, answer."""
        path = scope["path"]
        if path == "/healthz":
            await respond(send, self.health())
            return
        changes = change_events.route(path)
        if changes is not None:
            await respond(send, await self.change_event(scope, receive, *changes))
            return
        found = deliveries.route(path)
        if isinstance(found, Answer):
            await respond(send, found, "unknown")
            return
        kind, path_key = found
        if scope["method"] != "POST":
            await respond(send, answers.method_not_allowed(), kind)
            return
        body = await read_body(scope, receive)
        if body is None:
            await respond(send, answers.too_large(kind), kind)
            return
        try:
            answer = await self.deliver(kind, path_key, body, scope["headers"])
        except Exception:
            logger.exception("unexpected error on %s", redact(path[:100]))
            answer = answers.problem(500, "Internal server error", "Something went wrong on our side; it was logged.")
        await respond(send, answer, kind)

    async def deliver(self, kind: str, path_key: str | None, body: bytes, headers: list[tuple[bytes, bytes]]) -> Answer:
        """Locate, find the integration, accept, and (after the commit) the answer."""
        if not self.started:
            await self.start()
        read_header = header_reader(headers)
        located = deliveries.locate(kind, path_key or deliveries.header_key(read_header), body)
        if isinstance(located, Answer):
            return located
        key_hash = keys.hash_key(located.key)
        source = self.sources.known.get(key_hash)  # the usual case, without a coroutine
        if source is None:
            try:
                source = await self.sources.find(key_hash)
            except Unavailable as exc:
                return answers.unavailable(kind, str(exc))
        result = deliveries.accept(located, source, body, read_header, clock.now())
        if isinstance(result, Answer) or result.row is None:
            return result if isinstance(result, Answer) else result.answer
        assert self.writer is not None
        try:
            await self.writer.submit(result.row)
        except Unavailable as exc:
            return answers.unavailable(kind, str(exc))
        return result.answer

    async def change_event(self, scope: Scope, receive: Receive, dialect: str, path_key: str | None) -> Answer:
        """A change event (alerts.change_events): checked, recorded and committed in a thread, then answered."""
        kind = answers.EVENTS_V2 if dialect == change_events.PAGERDUTY else change_events.GENERIC
        if scope["method"] != "POST":
            return answers.method_not_allowed()
        body = await read_body(scope, receive)
        if body is None:
            return answers.too_large(kind)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self.sources.lookups, _change_event, dialect, path_key, body,
                                              header_reader(scope["headers"]))
        except Exception:
            logger.exception("could not record a change event")
            return answers.unavailable(kind, "the change event could not be stored")

    def health(self) -> Answer:
        """200 while the writer runs (with its queue length), 503 when it stopped."""
        writer = self.writer
        running = writer is not None and writer.thread.is_alive()
        body: dict[str, Any] = {"status": "ok" if running else "unavailable", "integrations": len(self.sources.known)}
        if writer is not None:
            body.update(pending=writer.pending, stored=writer.rows, transactions=writer.batches,
                        storing_seconds=round(writer.storing_seconds, 3))
        return Answer(200 if running else 503, orjson.dumps(body), retry_after=None if running else answers.RETRY_AFTER)


def _change_event(dialect: str, path_key: str | None, body: bytes, header: Callable[[str], str | None]) -> Answer:
    """In a lookup thread: record one change event (its own connection, closed when it failed)."""
    try:
        return change_events.deliver(dialect, path_key, body, header, clock.now())
    except Exception:
        close_old_connections()
        raise


def header_reader(headers: list[tuple[bytes, bytes]]) -> Callable[[str], str | None]:
    """Look a request header up by name (any case), from ASGI's raw header list."""

    def header(name: str) -> str | None:
        wanted = name.lower().encode("latin-1")
        for key, value in headers:
            if key == wanted:
                return value.decode("latin-1")
        return None

    return header


async def read_body(scope: Scope, receive: Receive) -> bytes | None:
    """The request body, or None as soon as it is over MAX_BODY (the rest is never read)."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                if int(value) > answers.MAX_BODY:
                    return None
            except ValueError:
                pass
            break
    message = await receive()
    body: bytes = message.get("body", b"")
    if not message.get("more_body"):
        return body if len(body) <= answers.MAX_BODY else None
    chunks, size = [body], len(body)
    while message.get("more_body"):
        message = await receive()
        if message["type"] == "http.disconnect":
            return b""  # gone: nothing to store, nobody to answer
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > answers.MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


_CONTENT_TYPES = {answers.JSON: b"application/json", answers.PROBLEM_JSON: b"application/problem+json"}


async def respond(send: Send, answer: Answer, kind: str | None = None) -> None:
    """Send an Answer (a delivery's, of `kind`, counted in opsdesk_alert_intake_requests_total)."""
    if kind is not None:
        metrics.count_intake(kind, answer.status)
    headers = [
        (b"content-type", _CONTENT_TYPES.get(answer.content_type) or answer.content_type.encode()),
        (b"content-length", str(len(answer.body)).encode()),
    ]
    if answer.retry_after is not None:
        headers.append((b"retry-after", str(answer.retry_after).encode()))
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})
