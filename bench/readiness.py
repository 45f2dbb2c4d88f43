"""Readiness of every open work order of the large demo, and the service desk queue's latency.

Loads `opsdesk demo --size large` (1,000,000 work orders; `--work-orders N` to change) into a fresh
SQLite database (or OPSDESK_DATABASE_URL) and times the load; evaluates the readiness gate for every
open work order with `workorders.readiness.queries.evaluate_many` (in `--processes` worker processes, started
and set up before the clock starts, each reading its share of the ids from the database); then starts `opsdesk serve` and times sequential
requests to the queue: the API (`?blocked=true&limit=50`, a deep offset page, a deep cursor page)
and the HTML page (`/work/?blocked=true`). Prints one JSON line of figures. `--var DIR` re-times all but
the load on an earlier run's database.

    .venv/bin/python bench/readiness.py [--work-orders 1000000] [--requests 300] [--processes 2]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor

from lists import BIN, served, setting, timed


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.settings")
    import django

    django.setup()


def _open_ids() -> list[int]:
    _setup()
    from opsdesk.workorders.models import WorkOrder
    from opsdesk.workorders.rules import OPEN_STATES

    return list(WorkOrder.objects.filter(state__in=OPEN_STATES).order_by("id").values_list("id", flat=True))


def _warm(_: int) -> None:
    time.sleep(0.5)  # long enough that every worker takes one


def _evaluate(ids: list[int]) -> tuple[int, int, int]:
    """Readiness of these open work orders: (evaluated, blocked, at risk)."""
    _setup()
    from opsdesk.workorders.readiness import queries as rq

    results = rq.evaluate_ids(ids)
    return len(results), sum(not r.ready for r in results.values()), sum(r.at_risk for r in results.values())


def readiness_figures(processes: int) -> dict[str, float]:
    with ProcessPoolExecutor(1) as pool:  # ids in a child, so this process never sets Django up
        ids = pool.submit(_open_ids).result()
    share = -(-len(ids) // processes)
    parts = [ids[i : i + share] for i in range(0, len(ids), share)]
    with ProcessPoolExecutor(processes, initializer=_setup) as pool:
        list(pool.map(_warm, range(processes)))  # workers started, Django set up: not timed
        started = time.perf_counter()
        done = list(pool.map(_evaluate, parts))
        seconds = time.perf_counter() - started
    evaluated = sum(d[0] for d in done)
    return {
        "open_work_orders": evaluated,
        "blocked": sum(d[1] for d in done),
        "at_risk": sum(d[2] for d in done),
        "processes": processes,
        "seconds": round(seconds, 2),
        "per_second": round(evaluated / seconds),
    }


def deep_cursor(port: int, headers: dict[str, str], pages: int) -> str:
    """The cursor `pages` pages deep into the blocked queue."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    cursor = ""
    for _ in range(pages):
        conn.request("GET", f"/api/v1/work-orders?blocked=true&limit=50&cursor={cursor}", headers=headers)
        body = json.loads(conn.getresponse().read())
        cursor = body["next_cursor"]
    conn.close()
    return cursor


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--work-orders", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--var", help="reuse the OPSDESK_VAR_DIR of an earlier run: readiness and the queue are timed, not the load")
    args = parser.parse_args()
    var = args.var or tempfile.mkdtemp(prefix="opsdesk-bench-")
    os.environ.update({"OPSDESK_VAR_DIR": var, "OPSDESK_LOG_LEVEL": "WARNING"})
    env = dict(os.environ)
    run = lambda *a: subprocess.run([str(BIN), *a], env=env, check=True, capture_output=True, text=True)  # noqa: E731, S603
    run("migrate", "--no-input")
    load_s: float | None = None
    if not args.var:
        started = time.perf_counter()
        run("demo", "--size", "large", "--work-orders", str(args.work_orders))
        load_s = time.perf_counter() - started
        print(f"loaded in {load_s:.1f} s (var dir {var})", file=sys.stderr, flush=True)
    readiness = readiness_figures(args.processes)
    print(f"readiness: {readiness}", file=sys.stderr, flush=True)
    with served(env) as (port, bearer, cookie):
        deep = deep_cursor(port, bearer, 100)
        figures = {
            "benchmark": "readiness",
            **setting(),
            "work_orders": args.work_orders,
            "demo_large_load_s": round(load_s, 1) if load_s is not None else None,
            "readiness": readiness,
            "requests_each": args.requests,
            "api_queue_blocked_limit50": timed(port, "/api/v1/work-orders?blocked=true&limit=50", bearer, args.requests),
            "api_queue_blocked_offset5000": timed(
                port, "/api/v1/work-orders?blocked=true&limit=50&offset=5000", bearer, args.requests),
            "api_queue_blocked_cursor_page100": timed(
                port, f"/api/v1/work-orders?blocked=true&limit=50&cursor={deep}", bearer, args.requests),
            "page_queue_blocked": timed(port, "/work/?blocked=true", cookie, args.requests),
            "page_queue": timed(port, "/work/", cookie, args.requests),
        }
        print(json.dumps(figures))

if __name__ == "__main__":
    sys.exit(main())
