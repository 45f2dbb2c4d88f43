"""Baseline: latency of list endpoints and pages on the large demo, over real HTTP.

Loads `opsdesk demo --size large` into a fresh SQLite database (or OPSDESK_DATABASE_URL),
starts `opsdesk serve` on a free loopback port, then times sequential requests.
Prints one JSON line of figures.

    .venv/bin/python bench/lists.py [--requests 300]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BIN = Path(sys.executable).parent / "opsdesk"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


def timed(port: int, path: str, headers: dict[str, str], n: int) -> dict[str, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        samples.append((time.perf_counter() - start) * 1000)
        if response.status != 200:
            raise SystemExit(f"{path} answered {response.status}")
    conn.close()
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 2),
    }


def session_cookie(port: int) -> str:
    """Sign in as admin through the login form; returns the Cookie header."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/login/")
    r = conn.getresponse()
    body = r.read().decode()
    csrf = next(c.split(";")[0] for c in r.headers.get_all("Set-Cookie") if c.startswith("csrftoken="))
    token = body.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    form = f"csrfmiddlewaretoken={token}&username=admin&password=opsdesk-demo"
    conn.request("POST", "/login/", body=form, headers={
        "Cookie": csrf, "Content-Type": "application/x-www-form-urlencoded", "Referer": f"http://127.0.0.1:{port}/login/"})
    r = conn.getresponse()
    r.read()
    session = next(c.split(";")[0] for c in r.headers.get_all("Set-Cookie") if c.startswith("sessionid="))
    return f"{csrf}; {session}"


def setting() -> dict[str, str]:
    """The machine and database the figures were measured on."""
    return {
        "machine": f"{os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}",
        "database": "sqlite" if "OPSDESK_DATABASE_URL" not in os.environ else "postgresql",
    }


@contextmanager
def served(env: dict[str, str]) -> Iterator[tuple[int, dict[str, str], dict[str, str]]]:
    """`opsdesk serve` on a free port: (port, bearer header of an admin token, admin session cookie)."""
    token = subprocess.run([str(BIN), "token", "create", "admin"], env=env, check=True, capture_output=True,  # noqa: S603
                           text=True).stdout.strip()
    port = free_port()
    server = subprocess.Popen([str(BIN), "serve", "--port", str(port), "--no-intake"], env=env,  # noqa: S603
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for(port)
        yield port, {"Authorization": f"Bearer {token}"}, {"Cookie": session_cookie(port)}
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    var = tempfile.mkdtemp(prefix="opsdesk-bench-")
    env = {**os.environ, "OPSDESK_VAR_DIR": var, "OPSDESK_LOG_LEVEL": "WARNING"}
    run = lambda *a: subprocess.run([str(BIN), *a], env=env, check=True, capture_output=True, text=True)  # noqa: E731, S603
    run("migrate", "--no-input")
    started = time.perf_counter()
    run("demo", "--size", "large", "--work-orders", "0")
    load_s = time.perf_counter() - started
    with served(env) as (port, bearer, cookie):
        figures = {
            "benchmark": "lists",
            **setting(),
            "demo_large_load_s": round(load_s, 2),
            "requests_each": args.requests,
            "api_sites_limit50": timed(port, "/api/v1/sites?limit=50", bearer, args.requests),
            "api_engineers_limit50": timed(port, "/api/v1/engineers?limit=50", bearer, args.requests),
            "api_services_limit50": timed(port, "/api/v1/services?limit=50", bearer, args.requests),
            "page_sites": timed(port, "/sites/", cookie, args.requests),
            "page_people": timed(port, "/people/", cookie, args.requests),
        }
        print(json.dumps(figures))

if __name__ == "__main__":
    main()
