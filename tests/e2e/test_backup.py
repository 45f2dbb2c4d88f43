"""`opsdesk backup` under write load and `opsdesk restore` into an empty database: every write
acknowledged before the backup began is in the restored database.

The writer is a real `opsdesk intake` taking generic alerts, one per request, each with its own key;
a 202 means the delivery is committed. While it writes, `opsdesk backup` runs as its own process;
then `opsdesk restore` fills a new, empty database (a new SQLite file; a new PostgreSQL database on
the same server), which is read back with a plain driver connection.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tests.alerts.factories import make_integration

from .peers import CLI, Database, Intake, opsdesk, opsdesk_env, request

pytestmark = pytest.mark.django_db(transaction=True)


class Writer(threading.Thread):
    """Posts generic alerts to the intake as fast as it answers; records when each was acknowledged."""

    def __init__(self, port: int, key: str) -> None:
        super().__init__(daemon=True)
        self.port, self.key = port, key
        self.acked: list[tuple[float, str]] = []  # (monotonic time of the 202, alert key)
        self.sent = 0
        self.stopping = threading.Event()
        self.errors: list[Any] = []

    def run(self) -> None:
        while not self.stopping.is_set():
            alert_key = f"w{self.sent}"
            self.sent += 1
            body = {"action": "trigger", "key": alert_key, "summary": f"write {alert_key}"}
            try:
                status, answer = request(self.port, "POST", "/api/v1/integrations/generic", body,
                                         {"Authorization": f"Bearer {self.key}"})
            except OSError as exc:
                self.errors.append(repr(exc))
                continue
            if status == 202:
                self.acked.append((time.monotonic(), alert_key))
            else:
                self.errors.append((status, answer))


def restored_keys(sqlite_file: Path | None, pg_name: str | None) -> set[str]:
    """The alert keys the restored database's RawEvents hold."""
    sql = "SELECT signals FROM alerts_rawevent"
    if sqlite_file is not None:
        db = sqlite3.connect(sqlite_file)
        try:
            rows = db.execute(sql).fetchall()
        finally:
            db.close()
    else:
        with pg_connect(pg_name) as db:
            rows = db.execute(sql).fetchall()
    return {s["key"] for (text,) in rows for s in (json.loads(text) if isinstance(text, str) else text)}


def pg_connect(name: str | None) -> Any:
    import psycopg

    s = connection.settings_dict
    return psycopg.connect(host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432, user=s["USER"],
                           password=s.get("PASSWORD") or None, dbname=name or "postgres", autocommit=True)


def test_backup_under_write_load_restores_every_acknowledged_write(process_logs: Path) -> None:
    _, key = make_integration("generic")
    database = Database(process_logs)
    env = opsdesk_env(process_logs, database)
    intake = Intake(env, process_logs / "intake.log")
    backup_file = process_logs / "backup" / "opsdesk.backup"
    writer = Writer(intake.port, key)
    pg_name = None
    try:
        intake.start_server()
        writer.start()
        time.sleep(1.5)
        began = time.monotonic()
        before = {k for at, k in list(writer.acked) if at < began}
        out = opsdesk(env, "backup", str(backup_file))
        ended = time.monotonic()
        time.sleep(0.5)
        writer.stopping.set()
        writer.join(timeout=30)
    finally:
        writer.stopping.set()
        intake.stop()
    during = [k for at, k in writer.acked if began <= at <= ended]
    assert "Backed up" in out and backup_file.stat().st_size > 0, out
    assert len(before) > 20 and during, (len(before), len(during), writer.errors[:5])  # under load
    assert not writer.errors, writer.errors[:5]

    # Restore into an empty database.
    if database.sqlite:
        target = process_logs / "restored.sqlite3"
        restore_env = env | {"OPSDESK_DATABASE_URL": f"sqlite:///{target}"}
    else:
        target = None
        pg_name = f"restore_{uuid.uuid4().hex[:10]}"
        with pg_connect(None) as db:
            db.execute(f"CREATE DATABASE {pg_name}")
        restore_env = env | {"OPSDESK_DATABASE_URL": database.url.rsplit("/", 1)[0] + f"/{pg_name}"}
    try:
        out = opsdesk(restore_env, "restore", str(backup_file))
        assert "Restored" in out, out
        found = restored_keys(target, pg_name)
        missing = before - found
        assert not missing, f"{len(missing)} acknowledged writes missing from the restore: {sorted(missing)[:10]}"
        assert found <= {k for _, k in writer.acked} | {f"w{i}" for i in range(writer.sent)}
        # The restored database is a working opsdesk database: migrations are all applied.
        assert "No migrations to apply" in opsdesk(restore_env, "migrate")

        # A second restore into the now full database is refused, saying why.
        again = subprocess.run([*CLI, "restore", str(backup_file)], env=restore_env, capture_output=True, text=True,
                               timeout=120)
        assert again.returncode == 1 and "not empty" in again.stderr and "--force" in again.stderr, again.stderr
        # --force replaces it.
        assert "Restored" in opsdesk(restore_env, "restore", "--force", str(backup_file))
        assert before <= restored_keys(target, pg_name)
    finally:
        if pg_name is not None:
            with pg_connect(None) as db:
                db.execute(f"DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)")
