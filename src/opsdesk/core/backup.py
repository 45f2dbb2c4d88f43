"""Backup and restore of the database (`opsdesk backup PATH`, `opsdesk restore PATH`).

- SQLite: the online backup API (`sqlite3.Connection.backup`) copies the database in one step,
  under one read transaction: a consistent snapshot while the server and the worker write (WAL
  lets them go on). The copy is written beside PATH and renamed into place once complete.
- PostgreSQL: `pg_dump --format=custom` (one repeatable-read snapshot; writers go on) and
  `pg_restore`. Their major version must be at least the server's: they are looked up in
  $OPSDESK_PG_BIN, Debian's /usr/lib/postgresql/<major>/bin, then PATH.

A restore goes into an empty database (it refuses one with tables unless `force`). The secret key
(`var/secret_key` or OPSDESK_SECRET_KEY) is not in the database: keep it with the backups.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupError(Exception):
    """A backup or restore that cannot be done, with what to do about it."""


@dataclass(frozen=True)
class Outcome:
    """What a backup or restore did: the engine, the file, its size, the tables in the database."""

    engine: str
    path: Path
    size: int
    tables: int


def engine() -> str:
    """'sqlite' or 'postgresql'."""
    if connection.vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"backups of {connection.vendor} databases are not supported")
    return connection.vendor


def user_tables() -> list[str]:
    """The tables the configured database holds (empty: a restore may go in)."""
    with connection.cursor() as cursor:
        return sorted(connection.introspection.table_names(cursor))


def backup(path: Path) -> Outcome:
    """Write a consistent backup of the database to `path` (replaced once the new one is complete)."""
    path = path.resolve()
    if path.is_dir():
        raise BackupError(f"{path} is a directory; give the backup file's name")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    tables = len(user_tables())
    try:
        if engine() == "sqlite":
            _sqlite_backup(partial)
        else:
            _pg_dump(partial)
        _fsync(partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return Outcome(engine(), path, path.stat().st_size, tables)


def restore(path: Path, *, force: bool = False) -> Outcome:
    """Restore the backup at `path` into the configured database, which must be empty unless `force`."""
    path = path.resolve()
    if not path.is_file():
        raise BackupError(f"no backup file at {path}")
    with path.open("rb") as fh:
        head = fh.read(16)
    kind = "sqlite" if head.startswith(SQLITE_MAGIC) else "postgresql" if head.startswith(PGDUMP_MAGIC) else None
    if kind is None:
        raise BackupError(f"{path} is neither an SQLite database nor a pg_dump custom-format archive")
    if kind != engine():
        raise BackupError(f"{path} is a {kind} backup, but this opsdesk uses {engine()} (OPSDESK_DATABASE_URL); "
                          "a restore goes into the same kind of database")
    existing = user_tables()
    if existing and not force:
        raise BackupError(
            f"the database is not empty ({len(existing)} tables, e.g. {', '.join(existing[:3])}); a restore "
            "goes into an empty database: create a new one (or move the SQLite file away), or pass --force "
            "to replace what is there (stop `opsdesk serve` and workers first)"
        )
    if kind == "sqlite":
        _sqlite_restore(path)
    else:
        _pg_restore(path, clean=bool(existing))
    connection.close()
    return Outcome(kind, path, path.stat().st_size, len(user_tables()))


# --- SQLite -------------------------------------------------------------------------------------


def _sqlite_file() -> str:
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        raise BackupError("the database is in memory; nothing to back up or restore")
    return name


def _sqlite_backup(target: Path) -> None:
    source = sqlite3.connect(_sqlite_file(), timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # all pages in one step: one read transaction, one snapshot
        check = copy.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"the backup did not pass SQLite's check: {check}")
    finally:
        copy.close()
        source.close()


def _sqlite_restore(path: Path) -> None:
    connection.close()
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    target = sqlite3.connect(_sqlite_file(), timeout=30)
    try:
        check = source.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"{path} did not pass SQLite's check: {check}")
        source.backup(target)
        target.execute("PRAGMA journal_mode=WAL")
    finally:
        target.close()
        source.close()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- PostgreSQL ---------------------------------------------------------------------------------


def server_major() -> int:
    """The PostgreSQL server's major version."""
    connection.ensure_connection()
    return int(connection.pg_version) // 10000  # type: ignore[attr-defined]


def _major_of(binary: str) -> int | None:
    try:
        out = subprocess.run(  # noqa: S603 (a pg_dump/pg_restore path we chose)
            [binary, "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(found.group(1)) if found else None


def find_pg_binary(name: str, at_least: int) -> str:
    """pg_dump or pg_restore of major version `at_least` or later (the same major first)."""
    candidates = [str(Path(settings.PG_BIN) / name)] if getattr(settings, "PG_BIN", "") else []
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
                    if Path(p).parent.name.isdigit() else 0)
    candidates += [f"{d}/{name}" for d in debian if Path(d).parent.name == str(at_least)]
    candidates += [f"{d}/{name}" for d in debian if Path(d).parent.name != str(at_least)]
    on_path = shutil.which(name)
    if on_path:
        candidates.append(on_path)
    seen = []
    for candidate in candidates:
        if not Path(candidate).exists():
            continue
        major = _major_of(candidate)
        seen.append(f"{candidate} ({major})")
        if major is not None and major >= at_least:
            return candidate
    found = f"; found only {', '.join(seen)}" if seen else ""
    raise BackupError(
        f"{name} for PostgreSQL {at_least} or later is needed and was not found{found}: install the client "
        f"tools (Debian: apt-get install postgresql-client-{at_least}) or set OPSDESK_PG_BIN to their directory"
    )


def _pg_env() -> dict[str, str]:
    db = connection.settings_dict
    env = dict(os.environ)
    env.update({"PGHOST": str(db.get("HOST") or "127.0.0.1"), "PGPORT": str(db.get("PORT") or 5432),
                "PGUSER": str(db.get("USER") or ""), "PGDATABASE": str(db["NAME"])})
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env


def _run(cmd: list[str]) -> None:
    done = subprocess.run(cmd, env=_pg_env(), capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{Path(cmd[0]).name} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def _pg_dump(target: Path) -> None:
    binary = find_pg_binary("pg_dump", server_major())
    _run([binary, "--format=custom", "--no-password", f"--file={target}"])


def _pg_restore(path: Path, *, clean: bool) -> None:
    binary = find_pg_binary("pg_restore", server_major())
    connection.close()
    cmd = [binary, "--no-password", "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
           f"--dbname={_pg_env()['PGDATABASE']}"]
    if clean:
        cmd += ["--clean", "--if-exists"]
    _run([*cmd, str(path)])
