"""The embedded SQLite database takes concurrent writers (web + worker) without "database is locked".

Runs on every pass (also the PostgreSQL one): it makes its own SQLite file in a temporary
directory and drives it through real `opsdesk` processes with the production settings.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

WRITER = """
import time
from django.db import transaction
from opsdesk.core.models import PeriodicRun
from opsdesk.core import clock
time.sleep(max(0.0, start_at - time.time()))
done = 0
while time.time() < start_at + seconds:
    # Read, then write, in one transaction: the pattern that fails with deferred transactions.
    with transaction.atomic():
        shared = PeriodicRun.objects.get(name="shared")
        PeriodicRun.objects.create(name=f"{tag}-{done}", last_enqueued_at=clock.now())
        shared.last_enqueued_at = clock.now()
        shared.save()
    done += 1
    time.sleep(0.002)  # a breath between requests, as a web process has; no fairness otherwise
print(done)
"""

PRAGMAS = """
from django.db import connection
with connection.cursor() as cur:
    print(cur.execute("PRAGMA journal_mode").fetchone()[0], cur.execute("PRAGMA synchronous").fetchone()[0])
"""


def opsdesk(tmp: Path, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSDESK_")}
    env |= {"OPSDESK_VAR_DIR": str(tmp), "OPSDESK_DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}"}
    return subprocess.Popen(
        [sys.executable, "-m", "opsdesk.cli", *args],
        env=env,
        cwd=tmp,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def finish(proc: subprocess.Popen[str], timeout: float = 120) -> str:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err
    assert "locked" not in err.lower(), err
    return out


def test_two_processes_write_concurrently_without_locking_errors(tmp_path: Path):
    finish(opsdesk(tmp_path, "migrate", "--no-input", "-v", "0"))
    finish(
        opsdesk(
            tmp_path,
            "shell",
            "--no-imports",
            "-c",
            "from opsdesk.core.models import PeriodicRun; "
            "from opsdesk.core import clock; "
            "PeriodicRun.objects.create(name='shared', last_enqueued_at=clock.now())",
        )
    )
    # Both start at the same instant (after Django has loaded) and write for 3 seconds.
    start_at, seconds = time.time() + 5, 3
    writers = [
        opsdesk(
            tmp_path,
            "shell",
            "--no-imports",
            "-c",
            f"tag, start_at, seconds = {tag!r}, {start_at!r}, {seconds!r}\n{WRITER}",
        )
        for tag in ("web", "worker")
    ]
    counts = [int(finish(w).strip()) for w in writers]
    assert all(c >= 10 for c in counts), counts

    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        spans = {
            tag: db.execute(
                "SELECT count(*), min(last_enqueued_at), max(last_enqueued_at)"
                " FROM core_periodicrun WHERE name LIKE ?",
                (f"{tag}-%",),
            ).fetchone()
            for tag in ("web", "worker")
        }
    assert [spans["web"][0], spans["worker"][0]] == counts  # every committed write is there
    # ... and the two really wrote at the same time: their write periods overlap.
    assert spans["web"][1] < spans["worker"][2] and spans["worker"][1] < spans["web"][2], spans

    # The settings every opsdesk connection gets: WAL (persistent) and synchronous=FULL (2).
    assert finish(opsdesk(tmp_path, "shell", "--no-imports", "-c", PRAGMAS)).split() == ["wal", "2"]
    check = opsdesk(tmp_path, "check", "--database", "default")
    out = finish(check)
    assert "no issues" in out, out
