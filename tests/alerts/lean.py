"""A real `opsdesk intake` process against the test's database, for the intake's tests.

PostgreSQL: the server uses the test database itself (tests run with `transactional_db`, so what
they create is committed and visible to it). SQLite: the in-memory test database is copied into a
file (with the rows the test made before `start()`), and the server uses that file. Rows are
read, and locks taken, through plain driver connections of the test process.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from tests.core.test_serve import free_port

CLI = [sys.executable, "-m", "opsdesk.cli"]

POST_WITH_DJANGO = """
import json, sys
import django
django.setup()
from django.test import Client
r = Client().post(sys.argv[1], data=sys.argv[2], content_type="application/json")
print(json.dumps({"status": r.status_code, "retry_after": r.get("Retry-After"), "body": r.content.decode()}))
"""


class Lean:
    """`opsdesk intake` on a free port, started by `start()`, stopped by `stop()`."""

    def __init__(self, tmp_path: Path, lock_timeout: float = 0.5) -> None:
        self.tmp = tmp_path
        self.port = free_port()
        self.sqlite = connection.vendor == "sqlite"
        self.file = tmp_path / "intake.sqlite3"
        self.proc: subprocess.Popen[str] | None = None
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("OPSDESK_")}
        self.env |= {
            "OPSDESK_VAR_DIR": str(tmp_path), "OPSDESK_SECRET_KEY": settings.SECRET_KEY,
            "OPSDESK_INTAKE_LOCK_TIMEOUT": str(lock_timeout), "OPSDESK_LOG_LEVEL": "ERROR",
            "DJANGO_SETTINGS_MODULE": "opsdesk.settings",
        }

    # --- the database ---

    def _database_url(self) -> str:
        db = connection.settings_dict
        if self.sqlite:
            if connection.is_in_memory_db():
                connection.ensure_connection()
                target = sqlite3.connect(self.file)
                connection.connection.backup(target)
                target.close()
            else:
                self.file = Path(db["NAME"])
            return f"sqlite:///{self.file}"
        auth = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
        return f"postgresql://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"

    def _pg(self) -> Any:
        import psycopg

        db = connection.settings_dict
        return psycopg.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"],
                               password=db.get("PASSWORD") or None, dbname=db["NAME"], autocommit=True)

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run SQL (with %s placeholders) on the server's database from a fresh connection."""
        if self.sqlite:
            with sqlite3.connect(self.file, timeout=10) as db:
                return db.execute(sql.replace("%s", "?"), params).fetchall()
        with self._pg() as db:
            cursor = db.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def rows(self) -> list[tuple[int, list[dict[str, Any]], str]]:
        """Stored RawEvents: (integration id, signals, digest), in order."""
        rows = self.query("SELECT integration_id, signals, digest FROM alerts_rawevent ORDER BY id")
        return [(i, json.loads(s) if isinstance(s, str) else s, d) for i, s, d in rows]

    @contextmanager
    def write_lock(self) -> Iterator[None]:
        """Hold the lock an insert into alerts_rawevent needs, from another connection."""
        if self.sqlite:
            db = sqlite3.connect(self.file, timeout=0.1, isolation_level=None)
            db.execute("BEGIN IMMEDIATE")
            try:
                yield
            finally:
                db.execute("ROLLBACK")
                db.close()
            return
        with self._pg() as db:
            db.execute("BEGIN")
            db.execute("LOCK TABLE alerts_rawevent IN EXCLUSIVE MODE")
            try:
                yield
            finally:
                db.execute("ROLLBACK")

    # --- the server ---

    def start(self) -> Lean:
        """Prepare the database and start the server; returns once it listens."""
        if "OPSDESK_DATABASE_URL" not in self.env:
            self.env["OPSDESK_DATABASE_URL"] = self._database_url()
        self.proc = subprocess.Popen([*CLI, "intake", "--port", str(self.port)], env=self.env, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if f":{self.port}/" not in line:
            self.proc.kill()
            raise AssertionError(f"intake did not start: {line}{self.proc.communicate()[1]}")
        return self

    def stop(self) -> str:
        """SIGTERM and wait; the server's stderr."""
        if self.proc is None or self.proc.poll() is not None:
            return ""
        self.proc.send_signal(signal.SIGTERM)
        try:
            _, err = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        assert self.proc.returncode == 0, err
        return err

    def post(self, path: str, body: bytes | dict[str, Any] | list[Any], headers: dict[str, str] | None = None,
             conn: http.client.HTTPConnection | None = None) -> tuple[int, dict[str, str], Any]:
        """POST to the server: (status, headers in lower case, parsed JSON body)."""
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        own = conn is None
        conn = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("POST", path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
            response = conn.getresponse()
            raw = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(raw or b"null")
        finally:
            if own:
                conn.close()

    def get(self, path: str) -> tuple[int, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, json.loads(response.read() or b"null")
        finally:
            conn.close()

    def post_through_django(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST through the Django views (the web port's intake), in a process using the same database."""
        if "OPSDESK_DATABASE_URL" not in self.env:
            self.env["OPSDESK_DATABASE_URL"] = self._database_url()
        done = subprocess.run([sys.executable, "-c", POST_WITH_DJANGO, path, json.dumps(body)], env=self.env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])
