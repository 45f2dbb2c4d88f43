"""Paging: notification fan-out for a 500-person incident and escalation timer accuracy at 1,000
concurrent open incidents, with real `opsdesk worker` processes and a real SMTP sink (aiosmtpd).

- fanout: an incident whose first step targets a team of --people (500) people, each with the
  default rule (email at once); --workers (2) worker processes already running; the figure is the
  time from the incident's open (its commit) to the last email accepted by the SMTP sink
  (goal: <= 2 s).
- timer: --incidents (1,000) open incidents, each with a 2-step policy, their first steps due at
  instants spread over --spread seconds and their second steps --wait seconds later; the figure
  is the lateness of each step (when its pages were decided vs its due instant): max and p95
  (goal: every step within 5 s).

Fresh database: a temporary SQLite file by default, or an empty PostgreSQL database with
--database-url. Prints one JSON line; progress goes to stderr.

    .venv/bin/python bench/paging.py [--people 500] [--incidents 1000] [--workers 2] [--poll 1.0] [--database-url URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Sink:
    """aiosmtpd handler: the arrival instant of every message."""

    def __init__(self) -> None:
        self.arrivals: list[float] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.arrivals.append(time.time())
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def setup(database_url: str, var_dir: str) -> None:
    os.environ["OPSDESK_DATABASE_URL"] = database_url
    os.environ["OPSDESK_VAR_DIR"] = var_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def start_workers(n: int, env: dict[str, str], var_dir: str, poll: float) -> list[subprocess.Popen[bytes]]:
    procs = []
    for i in range(n):
        out = open(Path(var_dir) / f"worker{i}.log", "wb")  # noqa: SIM115  (closed with the process)
        procs.append(subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "opsdesk.cli", "worker", "--interval", str(poll), "--worker-id", f"bench{i}"],
            env=env, stdout=out, stderr=subprocess.STDOUT))
    time.sleep(3)  # started and polling
    return procs


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()


def fanout(people: int, sink: Sink) -> dict[str, Any]:
    from django.contrib.auth.models import Group

    from opsdesk.accounts.models import User
    from opsdesk.incidents import services as incidents
    from opsdesk.paging import policies
    from opsdesk.paging.models import EscalationPolicy, Page

    admin = User.objects.create(username="bench-admin", role="admin", email="admin@bench.test")
    team = Group.objects.create(name="Everyone")
    users = User.objects.bulk_create([User(username=f"p{i}", role="engineer", email=f"p{i}@bench.test")
                                      for i in range(people)])
    team.user_set.add(*users)
    EscalationPolicy.objects.update(is_default=False)
    policies.create_policy({"name": "Fan-out", "is_default": True,
                            "steps": [{"target": "team", "team": "Everyone", "wait_minutes": 60}]}, actor=admin)
    before = len(sink.arrivals)
    opened = time.time()
    incident = incidents.declare_incident({"title": "Everything is down", "severity": "sev1"}, actor=admin)
    deadline = time.time() + 120
    while len(sink.arrivals) - before < people and time.time() < deadline:
        time.sleep(0.01)
    last = max(sink.arrivals[before:], default=opened)
    sent = Page.objects.filter(escalation__incident=incident, state="sent").count()
    return {"people": people, "emails": len(sink.arrivals) - before, "pages_sent": sent,
            "open_to_last_email_s": round(last - opened, 3), "goal_s": 2.0, "met": last - opened <= 2.0}


def timer(incidents_n: int, spread: float, wait: float) -> dict[str, Any]:
    from opsdesk.accounts.models import User
    from opsdesk.core import clock
    from opsdesk.incidents.models import Incident
    from opsdesk.paging import policies
    from opsdesk.paging.models import Escalation, EscalationPolicy, Page

    owner = User.objects.create(username="bench-owner", role="incident_commander", email="owner@bench.test")
    second = User.objects.create(username="bench-second", role="engineer", email="second@bench.test")
    EscalationPolicy.objects.update(is_default=False)
    policies.create_policy({"name": "Timer", "is_default": True, "steps": [
        {"target": "person", "ref": owner.pk, "wait_minutes": wait / 60},
        {"target": "person", "ref": second.pk, "wait_minutes": 60}]}, actor=owner)
    now = clock.now()
    rows = Incident.objects.bulk_create([
        Incident(title=f"Incident {i}", severity="sev1", owner=owner, started_at=now, detected_at=now)
        for i in range(incidents_n)])
    # Escalations as the start would make them (bulk, so their due instants are spread exactly).
    start = clock.now() + dt.timedelta(seconds=3)
    due = {inc.pk: start + dt.timedelta(seconds=spread * i / incidents_n) for i, inc in enumerate(rows)}
    policy = EscalationPolicy.objects.get(name="Timer")
    Escalation.objects.bulk_create([Escalation(incident=inc, policy=policy, urgency="high", started_at=now,
                                               next_due_at=due[inc.pk]) for inc in rows])
    log(f"timer: {incidents_n} escalations due over {spread:.0f} s from {start:%H:%M:%S}")
    deadline = time.time() + spread + wait + 90
    expected = 2 * incidents_n
    mine = Page.objects.filter(escalation__policy=policy)
    while mine.count() < expected and time.time() < deadline:
        time.sleep(0.5)
    late = []
    first: dict[int, dt.datetime] = {}
    decided_rows = list(mine.values_list("escalation__incident", "position", "due_at"))
    for inc_id, position, decided in decided_rows:
        if position == 0:
            first[inc_id] = decided
    for inc_id, position, decided in decided_rows:
        target = due[inc_id] if position == 0 else first[inc_id] + dt.timedelta(seconds=wait)
        late.append((decided - target).total_seconds())
    late.sort()
    p95 = late[int(0.95 * (len(late) - 1))] if late else None
    return {"incidents": incidents_n, "steps": len(late), "expected_steps": expected,
            "lateness_max_s": round(max(late), 3) if late else None, "lateness_p95_s": round(p95, 3) if p95 else p95,
            "lateness_min_s": round(min(late), 3) if late else None, "goal_s": 5.0,
            "met": bool(late) and len(late) == expected and max(late) <= 5.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--spread", type=float, default=30.0)
    parser.add_argument("--wait", type=float, default=15.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--poll", type=float, default=1.0, help="the workers' --interval (their default: 1 s)")
    parser.add_argument("--database-url", default=os.environ.get("OPSDESK_DATABASE_URL", ""),
                        help="an empty PostgreSQL database (default: a temporary SQLite file)")
    args = parser.parse_args()
    var_dir = tempfile.mkdtemp(prefix="opsdesk-bench-paging-")
    url = args.database_url or f"sqlite:///{var_dir}/bench.sqlite3"
    sys.path.insert(0, str(ROOT / "src"))
    setup(url, var_dir)
    import logging

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)

    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSDESK_")} | {
        "OPSDESK_DATABASE_URL": url, "OPSDESK_VAR_DIR": var_dir, "OPSDESK_SMTP_HOST": "127.0.0.1",
        "OPSDESK_SMTP_PORT": str(smtp.port), "OPSDESK_EMAIL_ENABLED": "0", "OPSDESK_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    from django.conf import settings

    env["OPSDESK_SECRET_KEY"] = settings.SECRET_KEY
    workers = start_workers(args.workers, env, var_dir, args.poll)
    try:
        log(f"fanout: {args.people} people, {args.workers} workers")
        fan = fanout(args.people, sink)
        log(f"fanout: {fan}")
        tim = timer(args.incidents, args.spread, args.wait)
        log(f"timer: {tim}")
    finally:
        stop(workers)
        smtp.stop()
    print(json.dumps({"bench": "paging", "database": "postgresql" if url.startswith("postgres") else "sqlite",
                      "workers": args.workers, "poll_s": args.poll, "python": platform.python_version(), "fanout": fan, "timer": tim}))


if __name__ == "__main__":
    main()
