"""Real processes for the end-to-end tests: opsdesk's own servers on the test's database, and a
Prometheus Alertmanager from the system package.

The processes use the database the test process uses, so the rows the test's factories made are
there, and what the processes write is read back here with plain driver connections:

- PostgreSQL (the suite's second pass, under tests.pgserver): pytest-django's test database itself
  (``test_opsdesk``; tests using it run with ``transactional_db``, so the factories' rows are
  committed and visible to other processes);
- SQLite: pytest-django's test database lives in memory, so it is copied into a file under the
  test's ``tmp_path`` (with the rows made so far) and the processes use that file.

Each process writes its output to a log file; a failed test keeps the logs in test-artifacts/
(see conftest.py). Waiting is always polling with a deadline, and a timeout says what was seen.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from tests.core.test_serve import free_port

CLI = [sys.executable, "-m", "opsdesk.cli"]
ALERTMANAGER_NAMES = ("prometheus-alertmanager", "alertmanager")  # Debian's name, upstream's name
T = TypeVar("T")


# --- waiting ----------------------------------------------------------------------------------------


def wait_for(probe: Callable[[], T], done: Callable[[T], bool], what: str, timeout: float = 30,
             every: float = 0.1) -> T:
    """Call `probe` until `done(value)`; the value. On timeout, fail saying what was seen last."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if done(value):
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s; last seen: {value!r}")
        time.sleep(every)


# --- the database -----------------------------------------------------------------------------------


class Database:
    """The test's database, as other processes reach it: its URL, and SQL from a fresh connection."""

    def __init__(self, tmp_path: Path) -> None:
        self.sqlite = connection.vendor == "sqlite"
        self.file = tmp_path / "opsdesk.sqlite3"
        db = connection.settings_dict
        if self.sqlite:
            connection.ensure_connection()
            if connection.is_in_memory_db():
                target = sqlite3.connect(self.file)
                connection.connection.backup(target)
                target.close()
            else:
                self.file = Path(db["NAME"])
            self.url = f"sqlite:///{self.file}"
        else:
            auth = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
            self.url = f"postgresql://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run SQL (%s placeholders) in its own connection and transaction; the rows."""
        if self.sqlite:
            db = sqlite3.connect(self.file, timeout=30)
            try:
                with db:
                    return db.execute(sql.replace("%s", "?"), params).fetchall()
            finally:
                db.close()
        import psycopg

        s = connection.settings_dict
        with psycopg.connect(host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432, user=s["USER"],
                             password=s.get("PASSWORD") or None, dbname=s["NAME"], autocommit=True) as db:
            cursor = db.execute(sql, params)  # type: ignore[arg-type]
            return cursor.fetchall() if cursor.description else []

    def signals(self) -> list[tuple[int, int, dict[str, Any]]]:
        """Every stored signal: (raw event id, integration id, signal), in order of arrival."""
        rows = self.query("SELECT id, integration_id, signals FROM alerts_rawevent ORDER BY id")
        return [(i, integration, s) for i, integration, text in rows
                for s in (json.loads(text) if isinstance(text, str) else text)]


def opsdesk_env(tmp_path: Path, database: Database) -> dict[str, str]:
    """The environment of an opsdesk process on the test's database (and its secret key)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSDESK_")}
    return env | {
        "OPSDESK_VAR_DIR": str(tmp_path), "OPSDESK_DATABASE_URL": database.url,
        "OPSDESK_SECRET_KEY": settings.SECRET_KEY, "OPSDESK_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "opsdesk.settings",
    }


def opsdesk(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    """Run an `opsdesk` command to its end; its stdout (fails with its stderr)."""
    done = subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"opsdesk {' '.join(args)} exited {done.returncode}:\n{done.stderr[-3000:]}"
    return done.stdout


# --- processes --------------------------------------------------------------------------------------


class Process:
    """A child process whose stdout and stderr go to a log file."""

    def __init__(self, name: str, log: Path) -> None:
        self.name = name
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, cmd: list[str], env: dict[str, str] | None, ready: Callable[[str], bool],
              timeout: float = 60) -> None:
        """Start `cmd`; return once `ready(log text)` (fails if it exits or the deadline passes)."""
        with self.log.open("ab") as out:
            out.write(f"=== {time.strftime('%H:%M:%S')} start: {' '.join(cmd)}\n".encode())
            out.flush()
            start = out.tell()
            self.proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while not ready(self.text(start)):
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited {self.proc.returncode} before it was ready:\n"
                                     f"{self.text(start)[-3000:]}")
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"{self.name} not ready within {timeout:.0f} s:\n{self.text(start)[-3000:]}")
            time.sleep(0.05)

    def text(self, start: int = 0) -> str:
        """The log from byte `start` on."""
        with self.log.open("rb") as f:
            f.seek(start)
            return f.read().decode(errors="replace")

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL, and reap it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        if self.proc is not None:
            self.proc.wait(timeout=30)

    def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM and wait (SIGKILL after `timeout`); the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode


class Intake(Process):
    """`opsdesk intake`: the lean alert intake, on a free port kept across restarts."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        super().__init__("opsdesk intake", log)
        self.env = env
        self.port = free_port()

    def start_server(self) -> None:
        url = f"http://127.0.0.1:{self.port}/"
        self.start([*CLI, "intake", "--port", str(self.port)], self.env, lambda text: url in text)


class Serve(Process):
    """`opsdesk serve`: gunicorn (the Django views), the worker (processing) and the lean intake."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        super().__init__("opsdesk serve", log)
        self.env = env
        self.port = self.intake_port = 0

    def start_server(self) -> None:
        for attempt in range(3):  # a free port may be taken before serve binds it
            self.port, self.intake_port = free_port(), free_port()
            cmd = [*CLI, "serve", "--port", str(self.port), "--intake-port", str(self.intake_port),
                   "--workers", "1", "--threads", "4"]
            try:
                self.start(cmd, self.env, lambda text: "Press Ctrl+C to stop." in text, timeout=90)
            except AssertionError:
                if attempt == 2 or "cannot listen" not in self.text():
                    raise
                continue
            if f"Alert intake at http://127.0.0.1:{self.intake_port}/" not in self.text():
                raise AssertionError(f"opsdesk serve started without its intake:\n{self.text()[-3000:]}")
            return

    def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM to serve (it stops its children); SIGKILL to all of them after `timeout`."""
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        children = subprocess.run(["ps", "-o", "pgid=", "--ppid", str(self.proc.pid)], capture_output=True,
                                  text=True).stdout.split()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            for group in {int(g) for g in children}:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(group, signal.SIGKILL)
            self.proc.wait(timeout=30)
        return self.proc.returncode


def system_binary(names: tuple[str, ...], package: str) -> str:
    """Path of a system program under one of `names`; fails (never skips) when it is not installed."""
    for name in names:
        found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
        if found:
            return found
    pytest.fail(f"{names[0]} is not installed: run `make system-deps` (it runs apt-get install {package})")


def alertmanager_binary() -> str:
    """Path of the system's Alertmanager; fails (never skips) when it is not installed."""
    return system_binary(ALERTMANAGER_NAMES, "prometheus-alertmanager")


class PrometheusTool(Process):
    """A server of the Prometheus project (Prometheus, Alertmanager) on a free loopback port, its
    config and storage in the test's tmp_path, ready when `/-/ready` answers 200."""

    name = ""
    config_name = ""

    def __init__(self, tmp_path: Path, binary: str) -> None:
        super().__init__(self.name, tmp_path / f"{self.name.lower()}.log")
        self.binary = binary
        self.dir = tmp_path / self.name.lower()
        self.dir.mkdir()
        self.port = 0

    def arguments(self, port: int) -> list[str]:
        """The command line after the binary, listening on `port`."""
        raise NotImplementedError

    def start_server(self, config: str) -> None:
        (self.dir / self.config_name).write_text(config)
        for attempt in range(3):
            self.port = free_port()
            try:
                self.start([self.binary, *self.arguments(self.port)], None, lambda text: self._ready())
                return
            except AssertionError:
                if attempt == 2 or "address already in use" not in self.text():
                    raise

    def _ready(self) -> bool:
        try:
            return request(self.port, "GET", "/-/ready")[0] == 200
        except OSError:
            return False


class Alertmanager(PrometheusTool):
    """A Prometheus Alertmanager on a free loopback port: no clustering, storage in the test's tmp_path."""

    name, config_name = "Alertmanager", "alertmanager.yml"

    def __init__(self, tmp_path: Path) -> None:
        super().__init__(tmp_path, alertmanager_binary())

    def arguments(self, port: int) -> list[str]:
        return [f"--config.file={self.dir / self.config_name}", f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=", f"--storage.path={self.dir / 'data'}", "--log.level=debug"]

    def post_alerts(self, alerts: list[dict[str, Any]]) -> None:
        """POST /api/v2/alerts, as Prometheus does."""
        status, body = request(self.port, "POST", "/api/v2/alerts", alerts)
        assert status == 200, f"Alertmanager refused the alerts: {status} {body}"

    def alerts(self) -> list[dict[str, Any]]:
        """GET /api/v2/alerts: what Alertmanager holds (active, silenced, inhibited)."""
        status, body = request(self.port, "GET", "/api/v2/alerts")
        assert status == 200, body
        return list(body)


# --- HTTP ---------------------------------------------------------------------------------------


def request(port: int, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
            timeout: float = 10) -> tuple[int, Any]:
    """One request to 127.0.0.1:port (never through a proxy): (status, parsed JSON or text)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = None if body is None else json.dumps(body).encode()
        conn.request(method, path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
        response = conn.getresponse()
        raw = response.read()
        try:
            return response.status, json.loads(raw or b"null")
        except ValueError:
            return response.status, raw.decode(errors="replace")
    finally:
        conn.close()
