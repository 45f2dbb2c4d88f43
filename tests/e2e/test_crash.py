"""No data loss: a write acknowledged over HTTP survives `kill -9` of every opsdesk process.

Real processes on a real SQLite file (the embedded default, where durability is ours to
configure: WAL, synchronous=FULL). A client keeps creating regions while the whole server
(the `opsdesk serve` supervisor, gunicorn and its workers, the task worker) is killed with
SIGKILL; after a restart every region that got a 201 is there exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.core.test_serve import free_port

CLI = [sys.executable, "-m", "opsdesk.cli"]


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSDESK_")}
    return env | {"OPSDESK_VAR_DIR": str(tmp_path), "OPSDESK_DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
                  "OPSDESK_LOG_LEVEL": "WARNING"}


def _start(env: dict[str, str], port: int) -> subprocess.Popen[str]:
    serve = subprocess.Popen([*CLI, "serve", "--port", str(port), "--workers", "2", "--no-intake"], env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert serve.stdout is not None
    assert f":{port}/" in serve.stdout.readline()
    return serve


def _kill_everything(serve: subprocess.Popen[str]) -> None:
    rows = subprocess.run(["ps", "-o", "pgid=", "--ppid", str(serve.pid)], capture_output=True, text=True).stdout
    groups = {int(g) for g in rows.split()}
    serve.send_signal(signal.SIGKILL)
    for group in groups:
        os.killpg(group, signal.SIGKILL)
    serve.wait(timeout=10)


def _request(port: int, method: str, path: str, token: str, body: object = None) -> tuple[int, object]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, None


def test_acknowledged_writes_survive_kill_9(tmp_path: Path):
    env = _env(tmp_path)
    subprocess.run([*CLI, "migrate", "-v", "0"], env=env, check=True, timeout=120)
    subprocess.run([*CLI, "createuser", "admin", "--role", "admin", "--no-password"], env=env, check=True,
                   capture_output=True, timeout=60)
    token = subprocess.run([*CLI, "token", "create", "admin"], env=env, check=True, capture_output=True,
                           text=True, timeout=60).stdout.strip()
    port = free_port()
    serve = _start(env, port)
    acknowledged: list[str] = []
    stop = threading.Event()

    def writer() -> None:
        i = 0
        while not stop.is_set():
            i += 1
            code = f"R{i}"
            try:
                status, _ = _request(port, "POST", "/api/v1/regions", token, {"code": code, "name": f"Region {i}"})
            except OSError:
                continue  # the server is down: not acknowledged
            if status == 201:
                acknowledged.append(code)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while len(acknowledged) < 40 and time.monotonic() < deadline:
            time.sleep(0.05)
        _kill_everything(serve)
        time.sleep(0.3)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert len(acknowledged) >= 40, "the server acknowledged too few writes before the kill"

    serve = _start(env, port)
    try:
        status, body = _request(port, "GET", "/api/v1/regions?limit=500", token)
        assert status == 200
        stored = [item["code"] for item in body["items"]]  # type: ignore[index]
        assert len(stored) == len(set(stored))
        missing = set(acknowledged) - set(stored)
        assert not missing, f"acknowledged but lost after kill -9: {sorted(missing)}"
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=30)
