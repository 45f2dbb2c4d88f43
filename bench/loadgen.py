"""A small, fast HTTP/1.1 load generator: keep-alive connections on asyncio (uvloop) protocols.

Requests are prepared as raw bytes beforehand; a connection sends one, waits for the whole answer
(Content-Length framing), and sends the next. Two patterns:

* `closed_loop`: N connections send back to back for a while (the most a server sustains);
* `open_loop`: requests are started at a fixed rate whatever the server does, and latency is taken
  from the instant each one was due, so a stalled server shows in the tail (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field


def request(method: str, path: str, body: bytes, headers: dict[str, str] | None = None) -> bytes:
    """A raw HTTP/1.1 request with a body."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json",
             f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Connection(asyncio.Protocol):
    """One keep-alive connection: `send(raw)` returns the answer's status code."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.waiter: asyncio.Future[int] | None = None
        self.transport: asyncio.Transport | None = None
        self.closed = False

    @classmethod
    async def open(cls, port: int) -> Connection:
        loop = asyncio.get_running_loop()
        _, conn = await loop.create_connection(cls, "127.0.0.1", port)
        return conn

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("connection closed"))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.waiter is None or self.waiter.done():
            return
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buffer[:end]).lower()
        at = head.find(b"content-length:")
        length = 0
        if at >= 0:
            stop = head.find(b"\r\n", at)
            length = int(head[at + 15 : stop if stop >= 0 else len(head)])
        if len(self.buffer) < end + 4 + length:
            return
        status = int(self.buffer[9:12])
        del self.buffer[: end + 4 + length]
        self.waiter.set_result(status)

    async def send(self, raw: bytes) -> int:
        """Send one request and wait for its answer's status."""
        if self.closed or self.transport is None:
            raise ConnectionError("connection closed")
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(raw)
        return await self.waiter

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


@dataclass
class Result:
    """What one run measured."""

    seconds: float
    statuses: Counter[int] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)

    def ok(self, status: int) -> int:
        return self.statuses.get(status, 0)

    def summary(self, ok_status: int) -> dict[str, object]:
        lat = sorted(self.latencies_ms)
        pick = (lambda q: round(lat[min(len(lat) - 1, int(len(lat) * q))], 2)) if lat else (lambda q: None)
        return {
            "requests_per_s": round(self.ok(ok_status) / self.seconds, 1),
            "p50_ms": round(statistics.median(lat), 2) if lat else None,
            "p99_ms": pick(0.99),
            "max_ms": round(lat[-1], 2) if lat else None,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
        }


async def _connect(port: int, n: int) -> list[Connection]:
    return list(await asyncio.gather(*(Connection.open(port) for _ in range(n))))


async def closed_loop(port: int, requests: Sequence[bytes], connections: int, seconds: float,
                      warmup: float = 1.0) -> Result:
    """`connections` clients sending back to back for `seconds` (after `warmup`, not counted)."""
    conns = await _connect(port, connections)
    cycle = itertools.cycle(requests)
    began = time.perf_counter()
    start, end = began + warmup, began + warmup + seconds
    result = Result(seconds)

    async def client(conn: Connection) -> None:
        while True:
            sent = time.perf_counter()
            if sent >= end:
                return
            try:
                status = await conn.send(next(cycle))
            except ConnectionError:
                result.statuses[0] += 1
                conn = await Connection.open(port)
                continue
            if sent >= start:
                result.statuses[status] += 1
                result.latencies_ms.append((time.perf_counter() - sent) * 1000)

    await asyncio.gather(*(client(c) for c in conns))
    for c in conns:
        c.close()
    return result


async def open_loop(port: int, requests: Sequence[bytes], rate: float, seconds: float, connections: int = 128,
                    warmup: float = 1.0) -> Result:
    """Requests started at `rate` per second for `seconds`; latency counted from when each was due."""
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for conn in await _connect(port, connections):
        idle.put_nowait(conn)
    cycle = itertools.cycle(requests)
    result = Result(seconds)
    began = time.perf_counter()
    start = began + warmup
    total = int((warmup + seconds) * rate)
    tasks: set[asyncio.Task[None]] = set()

    async def one(due: float, raw: bytes) -> None:
        conn = await idle.get()
        try:
            status = await conn.send(raw)
        except ConnectionError:
            result.statuses[0] += 1
            idle.put_nowait(await Connection.open(port))
            return
        idle.put_nowait(conn)
        if due >= start:
            result.statuses[status] += 1
            result.latencies_ms.append((time.perf_counter() - due) * 1000)

    sent = 0
    while sent < total:
        due_now = min(total, int((time.perf_counter() - began) * rate) + 1)
        for i in range(sent, due_now):
            task = asyncio.create_task(one(began + i / rate, next(cycle)))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        sent = due_now
        await asyncio.sleep(0.0005)
    if tasks:
        await asyncio.wait(tasks, timeout=30)
    while not idle.empty():
        idle.get_nowait().close()
    return result
