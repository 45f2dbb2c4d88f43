"""A throw-away PostgreSQL server for the test run.

    python -m tests.pgserver -- pytest -q

finds the server binaries, initialises a cluster in a temporary directory, starts it on a
free loopback port (unix socket inside the directory), creates the database ``opsdesk``,
runs the command with ``OPSDESK_DATABASE_URL`` pointing at it, then stops the server,
deletes the directory and exits with the command's status.

PostgreSQL refuses to run as root; as root the cluster belongs to the ``postgres`` system
user (created as a system user if missing). A watchdog process removes the server if this
process is killed outright (SIGKILL), so no cluster outlives its test run.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

DB_NAME = "opsdesk"
SUPERUSER = "postgres"
SERVER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    # A test server: durability is not needed, speed is.
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "100",
    "log_min_messages": "warning",
}


@dataclass
class Server:
    """One running cluster."""

    bindir: Path
    root: Path
    owner: str | None  # system user running the server, when we are root
    port: int = 0

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{DB_NAME}"


def find_bindir() -> Path:
    """Directory holding initdb, pg_ctl and postgres: $OPSDESK_PG_BIN, Debian's layout, or PATH."""
    candidates = [os.environ.get("OPSDESK_PG_BIN", "")]
    candidates += sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: [int(x) if x.isdigit() else 0 for x in Path(p).parent.name.split(".")],
        reverse=True,
    )
    which = shutil.which("pg_ctl")
    if which:
        candidates.append(str(Path(which).resolve().parent))
    for cand in filter(None, candidates):
        if all((Path(cand) / b).exists() for b in ("initdb", "pg_ctl", "postgres")):
            return Path(cand)
    sys.exit(
        "pgserver: no PostgreSQL server found (apt-get install postgresql, or set OPSDESK_PG_BIN)"
    )


def server_owner() -> str | None:
    """The system user to run the server as: None unless we are root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--user-group",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                "postgres",
            ],
            check=True,
        )
    return "postgres"


def pg(
    server: Server, binary: str, *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run a server binary, as the owner when we are root."""
    cmd = [str(server.bindir / binary), *args]
    if server.owner:
        cmd = ["runuser", "-u", server.owner, "--", *cmd]
    return subprocess.run(
        cmd,
        check=check,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # a terminal's Ctrl-C reaches us, not the server directly
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(server: Server) -> None:
    """initdb, configure, start and wait until the server accepts connections."""
    if server.owner:
        pw = pwd.getpwnam(server.owner)
        os.chown(server.root, pw.pw_uid, pw.pw_gid)
    pg(
        server,
        "initdb",
        "-D",
        str(server.data),
        "-U",
        SUPERUSER,
        "--auth=trust",
        "--encoding=UTF8",
        "--locale=C",
        "--no-sync",
    )
    settings = {**SERVER_SETTINGS, "unix_socket_directories": f"'{server.root}'"}
    for attempt in range(5):
        server.port = free_port()
        conf = "\n".join(f"{k} = {v}" for k, v in {**settings, "port": server.port}.items())
        (server.data / "postgresql.auto.conf").write_text(conf + "\n")
        done = pg(
            server,
            "pg_ctl",
            "-D",
            str(server.data),
            "-l",
            str(server.root / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
            check=False,
        )
        if done.returncode == 0:
            break
        log = (server.root / "server.log").read_text(errors="replace")
        if "could not bind" not in log or attempt == 4:
            raise RuntimeError(f"pg_ctl start failed:\n{done.stdout}\n{log[-2000:]}")
    create_database(server)


def create_database(server: Server) -> None:
    """CREATE DATABASE opsdesk, through the server's TCP port."""
    import psycopg

    dsn = f"host=127.0.0.1 port={server.port} user={SUPERUSER} dbname=postgres"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def stop(bindir: Path, root: Path, owner: str | None) -> None:
    """Stop the server (fast: roll back open sessions) and delete its directory; idempotent."""
    server = Server(bindir=bindir, root=root, owner=owner)
    if (server.data / "postmaster.pid").exists():
        pg(
            server,
            "pg_ctl",
            "-D",
            str(server.data),
            "-m",
            "fast",
            "-w",
            "-t",
            "30",
            "stop",
            check=False,
        )
    shutil.rmtree(root, ignore_errors=True)


def watchdog(bindir: str, root: str, owner: str) -> None:
    """Wait until our parent closes the pipe (exits, however it dies), then clean up."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.stdin.buffer.read()
    stop(Path(bindir), Path(root), owner or None)


def run(command: list[str]) -> int:
    """Run `command` against a fresh server; returns its exit status."""
    server = Server(
        bindir=find_bindir(),
        root=Path(tempfile.mkdtemp(prefix="opsdesk-pg-")),
        owner=server_owner(),
    )
    child: subprocess.Popen[bytes] | None = None

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if child is None or child.poll() is not None:
            raise SystemExit(128 + signum)
        # Let the command finish; cleanup follows in `finally`. A terminal's Ctrl-C already
        # reached the command (same process group), so only other signals are forwarded.
        if signum != signal.SIGINT:
            child.send_signal(signum)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    guard = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.pgserver",
            "--watchdog",
            str(server.bindir),
            str(server.root),
            server.owner or "",
        ],
        stdin=subprocess.PIPE,
        start_new_session=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        began = time.monotonic()
        start(server)
        print(
            f"pgserver: PostgreSQL up at 127.0.0.1:{server.port} in "
            f"{time.monotonic() - began:.1f}s ({server.root})",
            file=sys.stderr,
            flush=True,
        )
        child = subprocess.Popen(command, env={**os.environ, "OPSDESK_DATABASE_URL": server.url})
        return child.wait()
    finally:
        began = time.monotonic()
        stop(server.bindir, server.root, server.owner)
        print(
            f"pgserver: stopped and removed in {time.monotonic() - began:.1f}s",
            file=sys.stderr,
            flush=True,
        )
        with contextlib.suppress(OSError):
            guard.stdin.close()  # type: ignore[union-attr]
        guard.wait()


def main(argv: list[str]) -> int:
    """Entry point: `-- command...`, or the internal `--watchdog` mode."""
    if argv[:1] == ["--watchdog"]:
        watchdog(*argv[1:4])
        return 0
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    return run(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
