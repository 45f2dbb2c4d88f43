"""`opsdesk serve`: web server, worker and alert intake start together, answer, and stop together."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_serve_runs_web_worker_and_intake_and_stops_all_on_sigterm(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSDESK_")}
    env |= {"OPSDESK_VAR_DIR": str(tmp_path), "OPSDESK_DATABASE_URL": f"sqlite:///{tmp_path}/db"}
    cli = [sys.executable, "-m", "opsdesk.cli"]
    subprocess.run([*cli, "migrate", "-v", "0"], env=env, check=True, timeout=120)
    port, intake_port = free_port(), free_port()
    serve = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--workers", "1", "--intake-port", str(intake_port)],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert serve.stdout is not None
        line = serve.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in line
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json") as response:
            assert response.status == 200
        # The intake's line may come after gunicorn's access-log line for the request above.
        seen = [serve.stdout.readline() for _ in range(2)]
        assert any(f"http://127.0.0.1:{intake_port}/" in line for line in seen), seen
        with urllib.request.urlopen(f"http://127.0.0.1:{intake_port}/healthz") as response:
            assert response.status == 200
        # Web server, worker and intake are children in one process group of their own.
        children = subprocess.run(
            ["ps", "-o", "pid=,pgid=,args=", "--ppid", str(serve.pid)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        rows = [c.split(None, 2) for c in children]
        assert sorted("gunicorn" in r[2] for r in rows) == [False, False, True]
        assert any("worker" in r[2] for r in rows)
        assert any("intake" in r[2] for r in rows)
        assert len({r[1] for r in rows}) == 1
        pids = [int(r[0]) for r in rows]

        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=30) == 0
        deadline = time.monotonic() + 5
        while any(alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(alive(p) for p in pids)
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()


def test_serve_refuses_a_taken_port(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSDESK_")}
    env |= {"OPSDESK_VAR_DIR": str(tmp_path), "OPSDESK_DATABASE_URL": f"sqlite:///{tmp_path}/db"}
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "opsdesk.cli", "serve", "--port", str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr


def test_serve_refuses_a_taken_intake_port(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSDESK_")}
    env |= {"OPSDESK_VAR_DIR": str(tmp_path), "OPSDESK_DATABASE_URL": f"sqlite:///{tmp_path}/db"}
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "opsdesk.cli", "serve", "--port", str(free_port()), "--intake-port", str(taken)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{taken}" in done.stderr and "--intake-port" in done.stderr


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (children, their children, ...)."""
    found, todo = [], [pid]
    while todo:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(todo.pop())], capture_output=True, text=True)
        children = [int(p) for p in out.stdout.split()]
        found += children
        todo += children
    return found


def running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped (a zombie holds no port)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def start_serve(cli: list[str], env: dict[str, str], port: int, intake_port: int) -> subprocess.Popen[str]:
    serve = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--workers", "2", "--intake-port", str(intake_port)],
        env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )
    assert serve.stdout is not None
    line = serve.stdout.readline()
    assert f"http://127.0.0.1:{port}/" in line, line
    for _ in range(3):
        if "Press Ctrl+C" in serve.stdout.readline():
            break
    return serve


def test_serve_killed_with_sigkill_takes_its_children_along_and_restarts(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSDESK_")}
    env |= {"OPSDESK_VAR_DIR": str(tmp_path), "OPSDESK_DATABASE_URL": f"sqlite:///{tmp_path}/db"}
    cli = [sys.executable, "-m", "opsdesk.cli"]
    subprocess.run([*cli, "migrate", "-v", "0"], env=env, check=True, timeout=120)
    port, intake_port = free_port(), free_port()
    serve = start_serve(cli, env, port, intake_port)
    pids = descendants(serve.pid)
    again = None
    try:
        # gunicorn's master and its two workers, the worker, the intake
        assert len(pids) >= 5, pids
        serve.kill()  # SIGKILL: no handler runs in serve
        serve.wait()
        deadline = time.monotonic() + 20
        while any(running(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = [p for p in pids if running(p)]
        assert not left, subprocess.run(["ps", "-o", "pid,ppid,args", "-p", ",".join(map(str, left))],
                                        capture_output=True, text=True).stdout
        assert port_free(port) and port_free(intake_port)

        # What a supervisor does next: start serve again, on the same ports; it answers.
        again = start_serve(cli, env, port, intake_port)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json") as response:
            assert response.status == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{intake_port}/healthz") as response:
            assert response.status == 200
        again.send_signal(signal.SIGTERM)
        assert again.wait(timeout=30) == 0
    finally:
        for proc in (serve, again):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
        for pid in pids + (descendants(again.pid) if again is not None and again.poll() is None else []):
            if running(pid):
                os.kill(pid, signal.SIGKILL)
