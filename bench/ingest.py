"""Alert ingestion through the lean intake (`opsdesk intake`): throughput and latency over loopback HTTP.

A fresh SQLite database (or OPSDESK_DATABASE_URL) in a temporary OPSDESK_VAR_DIR: `opsdesk migrate`,
a client and integrations made in a child process (django.setup), `opsdesk intake` on a free port;
then each load runs for `--seconds` (default 30, after a 1 s warm-up not counted), driven from this
process by bench/loadgen.py (asyncio + uvloop, keep-alive connections, raw HTTP/1.1):

(a) PagerDuty Events API v2 single events: the most accepted per second (closed loop over
    `--connections` clients), and p50/p99 latency at a fixed offered rate of 2,000/s (open loop,
    latency from the instant each request was due);
(b) Alertmanager webhooks of 20 and of 100 alerts (2 % of the alerts resolved, the rest repeats:
    STEADY): alerts accepted per second, alone, then while `alerts.processing.drain()` runs in a
    process of its own; the processing lag at the end: deliveries and alerts accepted but not yet
    processed, the age of the oldest (each load starts with nothing pending), and how long
    processing alone then takes to catch up (its rate alone);
(b') batches of 100 offered at `--keep-up-rate` alerts/s (default 50,000; open loop) with
    processing alongside: whether it keeps up (no more than 3 s of load waiting at the end); and
    the closed loop again with 15 % resolved (CHURN: alerts opening and resolving all the time);
(c) `--preload N` (default 1,000,000) alerts bulk-inserted, then (a)'s maximum and (b) with 100 again.

`--peer alerta` also runs (a) against Alerta 9.1 (`POST /alert`, gunicorn 2 workers x 4 threads, on
a throw-away PostgreSQL from tests/pgserver.py; alerta-server is installed on demand into a venv in
the temp dir), and against opsdesk's intake on that same PostgreSQL, and prints the ratios.
The load generator shares the machine's cores with the servers. Prints one JSON line; progress on stderr.

    .venv/bin/python bench/ingest.py [--seconds 30] [--preload 1000000] [--keep-up-rate 50000] [--peer alerta] [--keep]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvloop
from lists import BIN, free_port, setting, wait_for
from loadgen import closed_loop, open_loop, request

ROOT = Path(__file__).resolve().parent.parent
SPAWN = mp.get_context("spawn")
MADE: list[str] = []  # temporary directories, removed at the end unless --keep
EVENTS_RATE = 2000
IDENTITIES = 20_000  # distinct alerts the load is about (repeats are dedup work for processing)
# Alertmanager resends every alert of a group with each notification (group_interval) while it fires:
# most alerts in a delivery are repeats. STEADY: 2 % of them resolved (and as many opening again
# later), an alert living ~50 notifications; CHURN: 15 %, alerts opening and resolving all the time.
STEADY, CHURN = 0.02, 0.15
CATCH_UP_LIMIT = 120.0  # seconds processing may take alone to clear the backlog a load left
KEPT_UP_S = 3.0  # processing keeps up when, as the load ends, no more than this many seconds of it wait


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def temp_dir(prefix: str) -> str:
    """A fresh temporary directory, noted for removal."""
    MADE.append(tempfile.mkdtemp(prefix=prefix))
    return MADE[-1]


# --- in child processes (Django set up there, never here) -----------------------------------------


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.settings")
    import django

    django.setup()


def _integrations() -> dict[str, Any]:
    """A client with an Events API and an Alertmanager integration: their keys and ids."""
    from opsdesk.alerts import keys
    from opsdesk.alerts.models import Integration
    from opsdesk.tenancy.models import Client

    client, _ = Client.objects.get_or_create(code="bench", defaults={"name": "Bench client"})
    out: dict[str, Any] = {"client": client.pk}
    for kind in ("events_v2", "alertmanager"):
        raw = keys.new_key()
        integration = Integration.objects.create(name=f"bench {kind}", kind=kind, client=client, key_hash=keys.hash_key(raw),
                                                 key_prefix=raw[:12], signing_salt=keys.new_salt())
        out[kind] = {"key": raw, "id": integration.pk}
    return out


def _pending(since: Any) -> dict[str, Any]:
    """Deliveries and alerts accepted but not processed yet, the age of the oldest, and the alerts
    processed since `since`."""
    from django.db import connection

    from opsdesk.alerts.models import RawEvent
    from opsdesk.core import clock

    length = "jsonb_array_length" if connection.vendor == "postgresql" else "json_array_length"
    table = RawEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), sum({length}(signals)), min(id) FROM {table} WHERE processed_at IS NULL")  # noqa: S608
        deliveries, alerts, oldest_id = cursor.fetchone()
        cursor.execute(f"SELECT sum({length}(signals)) FROM {table} WHERE processed_at > %s",  # noqa: S608
                       [connection.ops.adapt_datetimefield_value(since)])
        processed = cursor.fetchone()[0]
    oldest = RawEvent.objects.filter(pk=oldest_id).values_list("received_at", flat=True).first()
    return {"deliveries": deliveries, "alerts": int(alerts or 0), "processed_alerts": int(processed or 0),
            "oldest_s": round((clock.now() - oldest).total_seconds(), 1) if oldest else 0.0}


def _discard_pending() -> tuple[int, Any]:
    """Mark everything pending processed (each load starts from nothing pending): (how many, when)."""
    from opsdesk.alerts.models import RawEvent
    from opsdesk.core import clock

    now = clock.now()
    return RawEvent.objects.filter(processed_at__isnull=True).update(processed_at=now), now


def _preload(n: int, integration_id: int, client_id: int) -> float:
    """Bulk-insert n alerts (90 % resolved, spread over a year); seconds taken."""
    import datetime as dt

    from django.db import connection, transaction

    from opsdesk.alerts.models import Alert
    from opsdesk.core import bulk, clock

    started = time.perf_counter()
    now = clock.now()
    fields = [f for f in Alert._meta.concrete_fields if not f.primary_key]
    varying = {"key", "status", "severity", "summary", "source", "labels", "first_seen_at", "last_seen_at", "started_at",
               "resolved_at", "count"}
    constant = {f.column: f.get_db_prep_save(f.get_default(), connection) for f in fields if f.name not in varying}
    constant.update({"integration_id": integration_id, "client_id": client_id})
    columns = [f.column for f in fields]
    prep = {f.name: f for f in fields}
    quote = connection.ops.quote_name
    sql = (f"INSERT INTO {quote(Alert._meta.db_table)} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608
           f"VALUES ({', '.join(['%s'] * len(columns))})")
    severities = ["critical", "error", "warning", "info"]
    rnd = random.Random(7)

    def rows(start: int, stop: int) -> Iterator[list[Any]]:
        for i in range(start, stop):
            seen = now - dt.timedelta(minutes=rnd.randrange(525_600))
            resolved = i % 10 != 0
            values = {
                "key": f"pre-{i:07d}", "status": "resolved" if resolved else "firing",
                "severity": severities[i % 4], "summary": f"Preloaded alert {i} on host-{i % 5000}",
                "source": f"host-{i % 5000}.example.net",
                "labels": prep["labels"].get_db_prep_save({"alertname": f"Alert{i % 300}", "instance": f"host-{i % 5000}"}, connection),
                "first_seen_at": seen, "last_seen_at": seen, "started_at": seen,
                "resolved_at": seen + dt.timedelta(minutes=5) if resolved else None, "count": 1 + i % 7,
            }
            yield [constant[c] if c in constant else connection.ops.adapt_datetimefield_value(values[name])
                   if name.endswith("_at") else values[name] for c, name in zip(columns, (f.name for f in fields), strict=True)]

    with transaction.atomic(), bulk.without_indexes(Alert), bulk.no_cycle_collection(), connection.cursor() as cursor:
        for start in range(0, n, 20_000):
            cursor.executemany(sql, list(rows(start, min(n, start + 20_000))))
    return time.perf_counter() - started


def _drain_until(stop: Any, out: Any) -> None:
    """Run alerts.processing.drain() until `stop` is set; put (deliveries processed, error) on `out`."""
    _setup()
    import logging

    from opsdesk.alerts import processing

    logging.disable(logging.WARNING)  # e.g. one line per alert that opens no incident
    done, error = 0, None
    try:
        while not stop.is_set():
            n = processing.drain()
            done += n
            if n == 0:
                time.sleep(0.2)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:300]
    out.put((done, error))


def processing_available() -> bool:
    """Whether alerts.processing.drain exists (the lead's worker side)."""
    import importlib.util

    return importlib.util.find_spec("opsdesk.alerts.processing") is not None


# --- loads ----------------------------------------------------------------------------------------


def events_requests(routing_key: str, n: int = 4000) -> list[bytes]:
    """Events API v2 requests: mostly triggers of IDENTITIES alerts, some resolves."""
    rnd = random.Random(1)
    out = []
    for i in range(n):
        who = rnd.randrange(IDENTITIES)
        body = {
            "routing_key": routing_key, "event_action": "resolve" if i % 10 == 9 else "trigger", "dedup_key": f"svc-{who}",
            "payload": {"summary": f"Disk /var at 9{who % 10}% on host-{who % 500}.dc1.example.net", "source": f"host-{who % 500}.dc1",
                        "severity": ["critical", "error", "warning", "info"][who % 4], "component": "disk", "group": "storage",
                        "class": "filesystem", "custom_details": {"free_bytes": 1_000_000 + who, "mount": "/var"}},
            "client": "bench", "client_url": "https://monitoring.example.net",
        }
        out.append(request("POST", "/v2/enqueue", json.dumps(body).encode()))
    return out


def alertmanager_requests(key: str, size: int, n: int = 300, resolved: float = STEADY) -> list[bytes]:
    """Alertmanager webhook messages (version 4) of `size` alerts each, a share `resolved` of them resolved."""
    rnd = random.Random(size)
    out = []
    for _ in range(n):
        alerts = []
        for _ in range(size):
            who = rnd.randrange(IDENTITIES)
            firing = rnd.random() >= resolved
            alerts.append({
                "status": "firing" if firing else "resolved",
                "labels": {"alertname": f"HighLatency{who % 50}", "instance": f"web-{who}.dc1.example.net:9100", "job": "node",
                           "severity": ["critical", "warning", "info"][who % 3], "service": f"svc-{who % 40}"},
                "annotations": {"summary": f"p99 latency above 500 ms on web-{who}", "description": "For 5 minutes."},
                "startsAt": "2026-11-23T10:00:00.123456789Z",
                "endsAt": "0001-01-01T00:00:00Z" if firing else "2026-11-23T10:20:00.5Z",
                "generatorURL": "http://prometheus.dc1.example.net:9090/graph?g0.expr=latency", "fingerprint": f"{who:016x}",
            })
        body = {"version": "4", "groupKey": '{}:{alertname="HighLatency"}', "truncatedAlerts": 0, "status": "firing",
                "receiver": "opsdesk", "groupLabels": {"alertname": "HighLatency"}, "commonLabels": {"job": "node"},
                "commonAnnotations": {}, "externalURL": "http://alertmanager.dc1.example.net:9093", "alerts": alerts}
        out.append(request("POST", f"/api/v1/integrations/alertmanager/{key}", json.dumps(body).encode()))
    return out


def writer_state(port: int) -> dict[str, Any] | None:
    """The lean intake's writer counters (GET /healthz); None for a server without them."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        body = response.read()
        return json.loads(body) if response.status == 200 and b"transactions" in body else None
    except (OSError, ValueError):
        return None
    finally:
        conn.close()


def measured(port: int, load: Any) -> tuple[Any, dict[str, Any] | None]:
    """Run a load; its result and the writer's transactions meanwhile (count, rows each, ms each)."""
    before = writer_state(port)
    result = uvloop.run(load)
    after = writer_state(port)
    if before is None or after is None or after["transactions"] == before["transactions"]:
        return result, None
    n = after["transactions"] - before["transactions"]
    return result, {"transactions": n, "rows_each": round((after["stored"] - before["stored"]) / n, 1),
                    "ms_each": round((after["storing_seconds"] - before["storing_seconds"]) * 1000 / n, 2)}


def events_figures(port: int, requests: list[bytes], seconds: float, connections: int, ok: int = 202) -> dict[str, Any]:
    """(a): the most per second, then latency at EVENTS_RATE offered (skipped when far beyond the most)."""
    result, writer = measured(port, closed_loop(port, requests, connections, seconds))
    most = {**result.summary(ok), "connections": connections, "writer": writer}
    log(f"  most: {most}")
    fixed: dict[str, Any] | None = None
    if most["requests_per_s"] >= EVENTS_RATE / 2:
        result, writer = measured(port, open_loop(port, requests, EVENTS_RATE, seconds))
        fixed = {**result.summary(ok), "writer": writer}
        log(f"  at {EVENTS_RATE}/s: {fixed}")
    return {"max_per_s": most["requests_per_s"], "max_load": most, f"at_{EVENTS_RATE}_per_s": fixed}


def commit_latency(directory: str, n: int = 300) -> dict[str, float]:
    """How long a one-row SQLite commit (WAL, synchronous=FULL, as opsdesk runs) takes on this disk
    right now: the floor under every acknowledged delivery's latency."""
    path = Path(directory) / "commit-probe.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
    samples = []
    for _ in range(n):
        began = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO t (body) VALUES (?)", ("x" * 600,))
        db.execute("COMMIT")
        samples.append((time.perf_counter() - began) * 1000)
    db.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    samples.sort()
    return {"p50_ms": round(samples[n // 2], 2), "p99_ms": round(samples[int(n * 0.99)], 2), "max_ms": round(samples[-1], 2)}


def batch_figures(port: int, requests: list[bytes], size: int, seconds: float, connections: int,
                  db: ProcessPoolExecutor) -> dict[str, Any]:
    """(b): alerts per second in batches of `size`: the intake alone, then with processing alongside."""
    db.submit(_discard_pending).result()
    alone, writer = measured(port, closed_loop(port, requests, connections, seconds))
    figures = {"alerts_per_s": round(alone.ok(202) * size / seconds), "requests": alone.summary(202), "writer": writer}
    log(f"  batches of {size}: {figures}")
    if processing_available():
        figures["with_processing"] = with_processing(port, closed_loop(port, requests, connections, seconds), size,
                                                     seconds, db)
        log(f"  with processing: {figures['with_processing']}")
    return figures


def kept_up(port: int, requests: list[bytes], size: int, rate: float, seconds: float, db: ProcessPoolExecutor) -> dict[str, Any]:
    """Deliveries offered at a fixed `rate` of alerts per second while processing runs: whether it keeps up."""
    figures = {"offered_alerts_per_s": rate,
               **with_processing(port, open_loop(port, requests, rate / size, seconds), size, seconds, db)}
    lag = figures["processing_lag"]
    figures["kept_up"] = lag["pending_alerts"] <= rate * KEPT_UP_S and lag["oldest_pending_s"] <= KEPT_UP_S
    log(f"  offered {rate:,.0f} alerts/s with processing: {figures}")
    return figures


def with_processing(port: int, load: Any, size: int, seconds: float, db: ProcessPoolExecutor) -> dict[str, Any]:
    """A load while alerts.processing.drain() runs in another process: its lag when the load ends,
    then how long processing takes to catch up alone (at most CATCH_UP_LIMIT s)."""
    discarded, since = db.submit(_discard_pending).result()
    stop, out = SPAWN.Event(), SPAWN.Queue()
    drainer = SPAWN.Process(target=_drain_until, args=(stop, out))
    drainer.start()
    result = uvloop.run(load)
    pending = db.submit(_pending, since).result()
    ended = time.monotonic()
    left = pending
    while left["alerts"] and time.monotonic() - ended < CATCH_UP_LIMIT:
        time.sleep(0.5)
        left = db.submit(_pending, since).result()
    catch_up = time.monotonic() - ended
    stop.set()
    done, error = out.get(timeout=600)
    drainer.join()
    accepted_alerts = result.ok(202) * size
    lag = {"pending_deliveries": pending["deliveries"], "pending_alerts": pending["alerts"],
           "oldest_pending_s": pending["oldest_s"], "deliveries_processed": done,
           "processed_alerts_per_s": round(pending["processed_alerts"] / (seconds + 1)),
           "catch_up_s": round(catch_up, 1), "left_after_catch_up": left["alerts"],
           # processing's rate alone, from a backlog big enough to time (polled every 0.5 s)
           "alone_alerts_per_s": round(pending["alerts"] / catch_up) if catch_up >= 5 and not left["alerts"] else None,
           "error": error}
    return {"alerts_per_s": round(accepted_alerts / seconds), "requests": result.summary(202), "processing_lag": lag,
            "backlog_discarded_before": discarded}


@contextmanager
def intake_server(env: dict[str, str]) -> Iterator[int]:
    """`opsdesk intake` on a free port."""
    port = free_port()
    server = subprocess.Popen([str(BIN), "intake", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,  # noqa: S603
                              start_new_session=True)
    try:
        wait_for(port)
        yield port
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=60)


def opsdesk_figures(args: argparse.Namespace) -> dict[str, Any]:
    """(a), (b) and (c) on a fresh database."""
    var = temp_dir("opsdesk-bench-")
    os.environ.update({"OPSDESK_VAR_DIR": var, "OPSDESK_LOG_LEVEL": "WARNING"})
    env = dict(os.environ)
    subprocess.run([str(BIN), "migrate", "--no-input"], env=env, check=True, capture_output=True)  # noqa: S603
    figures: dict[str, Any] = {}
    with ProcessPoolExecutor(1, mp_context=SPAWN, initializer=_setup) as db, intake_server(env) as port:
        made = db.submit(_integrations).result()
        events = events_requests(made["events_v2"]["key"])
        batches = {size: alertmanager_requests(made["alertmanager"]["key"], size) for size in (20, 100)}
        figures["sqlite_commit_before"] = commit_latency(var)
        log(f"one-row commit on this disk now: {figures['sqlite_commit_before']}")
        log(f"(a) Events API v2 single events, {args.seconds:.0f} s each (var dir {var})")
        figures["events_v2"] = events_figures(port, events, args.seconds, args.connections)
        log("(b) Alertmanager batches")
        for size in (20, 100):
            figures[f"alertmanager_batch{size}"] = batch_figures(port, batches[size], size, args.seconds, args.batch_connections, db)
        if processing_available():
            log(f"(b') batches of 100 offered at {args.keep_up_rate:,} alerts/s, processing alongside; then the churn mix")
            figures["alertmanager_batch100_offered"] = kept_up(port, batches[100], 100, args.keep_up_rate, args.seconds, db)
            churn = alertmanager_requests(made["alertmanager"]["key"], 100, resolved=CHURN)
            figures["alertmanager_batch100_churn"] = with_processing(
                port, closed_loop(port, churn, args.batch_connections, args.seconds), 100, args.seconds, db)
            log(f"  churn with processing: {figures['alertmanager_batch100_churn']}")
        if args.preload:
            db.submit(_discard_pending).result()
            log(f"(c) preloading {args.preload:,} alerts")
            preload_s = db.submit(_preload, args.preload, made["alertmanager"]["id"], made["client"]).result()
            log(f"  loaded in {preload_s:.1f} s")
            result, writer = measured(port, closed_loop(port, events, args.connections, args.seconds))
            most = {**result.summary(202), "writer": writer}
            log(f"  events most: {most}")
            figures[f"with_{args.preload}_alerts"] = {
                "preload_s": round(preload_s, 1), "events_v2_max_per_s": most["requests_per_s"], "events_v2_max_load": most,
                "alertmanager_batch100": batch_figures(port, batches[100], 100, args.seconds, args.batch_connections, db),
            }
        figures["sqlite_commit_after"] = commit_latency(var)
    return figures


# --- the peer: Alerta -----------------------------------------------------------------------------


def alerta_requests(n: int = 4000) -> list[bytes]:
    """Alerta alerts equivalent to events_requests()."""
    rnd = random.Random(1)
    out = []
    for i in range(n):
        who = rnd.randrange(IDENTITIES)
        body = {"resource": f"host-{who % 500}.dc1", "event": f"DiskFull{who}", "environment": "Production",
                "severity": "normal" if i % 10 == 9 else ["critical", "major", "warning", "informational"][who % 4],
                "service": ["storage"], "group": "storage", "text": f"Disk /var at 9{who % 10}% on host-{who % 500}.dc1.example.net",
                "origin": "bench", "attributes": {"free_bytes": 1_000_000 + who, "mount": "/var"}}
        out.append(request("POST", "/alert", json.dumps(body).encode()))
    return out


def peer_alerta(args: argparse.Namespace, ours: dict[str, Any]) -> dict[str, Any]:
    """(a) against Alerta on PostgreSQL, and against opsdesk on the same PostgreSQL."""
    sys.path.insert(0, str(ROOT))
    from tests import pgserver

    tmp = Path(temp_dir("opsdesk-bench-alerta-"))
    venv = tmp / "alerta-venv"
    log(f"installing alerta-server 9.1 into {venv}")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)  # noqa: S603
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "alerta-server==9.1.*", "gunicorn", "psycopg2-binary"],  # noqa: S603
                   check=True, capture_output=True)
    server = pgserver.Server(bindir=pgserver.find_bindir(), root=Path(tempfile.mkdtemp(prefix="opsdesk-pg-")),
                             owner=pgserver.server_owner())
    pgserver.start(server)
    figures: dict[str, Any] = {"alerta_version": "9.1", "database": "postgresql"}
    try:
        port = free_port()
        env = {**os.environ, "DATABASE_URL": server.url.replace("postgresql://", "postgres://"), "DEBUG": "False",
               "AUTH_REQUIRED": "False", "SECRET_KEY": "bench", "LOG_LEVEL": "ERROR"}
        alerta = subprocess.Popen([str(venv / "bin" / "gunicorn"), "--workers", "2", "--threads", "4", "--worker-class", "gthread",  # noqa: S603
                                   "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--no-control-socket",
                                   "alerta:create_app()"],
                                  env=env, stdout=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_for(port, timeout=60)
            time.sleep(2)
            log("peer: Alerta POST /alert")
            figures["alerta"] = events_figures(port, alerta_requests(), args.seconds, args.connections, ok=201)
        finally:
            os.killpg(alerta.pid, 15)
            alerta.wait(timeout=60)
        figures["opsdesk_postgresql"] = opsdesk_on(server, args)
    finally:
        pgserver.stop(server.bindir, server.root, server.owner)
    ratio = lambda a, b: round(a / b, 1) if b else None  # noqa: E731
    figures["ratio_max_per_s"] = ratio(ours["events_v2"]["max_per_s"], figures["alerta"]["max_per_s"])
    figures["ratio_max_per_s_same_postgresql"] = ratio(figures["opsdesk_postgresql"]["max_per_s"], figures["alerta"]["max_per_s"])
    return figures


def opsdesk_on(server: Any, args: argparse.Namespace) -> dict[str, Any]:
    """(a) with opsdesk's intake on the peer's PostgreSQL server (its own database)."""
    import psycopg

    with psycopg.connect(f"host=127.0.0.1 port={server.port} user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute("CREATE DATABASE opsdesk_intake")
    env = {**os.environ, "OPSDESK_DATABASE_URL": server.url.rsplit("/", 1)[0] + "/opsdesk_intake",
           "OPSDESK_VAR_DIR": temp_dir("opsdesk-bench-")}
    subprocess.run([str(BIN), "migrate", "--no-input"], env=env, check=True, capture_output=True)  # noqa: S603
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        with ProcessPoolExecutor(1, mp_context=SPAWN, initializer=_setup) as db, intake_server(env) as port:
            made = db.submit(_integrations).result()
            log("peer: opsdesk intake on the same PostgreSQL")
            return events_figures(port, events_requests(made["events_v2"]["key"]), args.seconds, args.connections)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30.0, help="seconds per load (default 30)")
    parser.add_argument("--preload", type=int, default=1_000_000, help="alerts stored before (c); 0 skips (c)")
    parser.add_argument("--connections", type=int, default=64, help="clients for single events (default 64)")
    parser.add_argument("--batch-connections", type=int, default=16, help="clients for batches (default 16)")
    parser.add_argument("--keep-up-rate", type=int, default=50_000,
                        help="alerts/s offered in batches of 100 to see whether processing keeps up (default 50,000)")
    parser.add_argument("--peer", choices=["alerta"], help="also measure a peer product")
    parser.add_argument("--keep", action="store_true", help="keep the databases and the peer's venv afterwards")
    args = parser.parse_args()
    try:
        run(args)
    finally:
        if not args.keep:
            for path in MADE:
                shutil.rmtree(path, ignore_errors=True)


def run(args: argparse.Namespace) -> None:
    """Measure, then print the one JSON line."""
    figures: dict[str, Any] = {"benchmark": "ingest", **setting(), "seconds_each": args.seconds,
                               "processing": "alerts.processing.drain" if processing_available() else None}
    figures |= opsdesk_figures(args)
    events, batch100 = figures["events_v2"], figures["alertmanager_batch100"]
    figures["goals"] = {
        "single_events_4000_per_s": events["max_per_s"] >= 4000,
        "p99_under_25ms_at_2000_per_s": ((events[f"at_{EVENTS_RATE}_per_s"] or {}).get("p99_ms") or 1e9) < 25,
        "batch100_50000_alerts_per_s": batch100["alerts_per_s"] >= 50_000,
    }
    if "alertmanager_batch100_offered" in figures:
        offered = figures["alertmanager_batch100_offered"]
        figures["goals"][f"batch100_processing_keeps_up_at_{offered['offered_alerts_per_s']}"] = offered["kept_up"]
    if args.peer == "alerta":
        figures["peer"] = peer_alerta(args, figures)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
