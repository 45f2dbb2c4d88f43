"""Issue 19's three figures: who-is-on-call lookup p95 over 1,000 schedules (goal <= 1 ms
in-process), notification fan-out for a 500-person incident (goal <= 2 s with 2 workers) and
escalation timer accuracy at 1,000 open incidents (goal: every step within 5 s).

The lookup is measured here, in-process. The other two need real worker processes and an SMTP
sink in a database of their own: they are bench/paging.py's, run as a child process (unless
--lookup-only) with its own fresh database (--paging-database-url: an empty PostgreSQL database),
its figures folded into this script's one JSON line under "paging".

Lookup:

Builds, in a fresh SQLite database under a temp OPSDESK_VAR_DIR (or OPSDESK_DATABASE_URL), 1,000
schedules in 8 time zones, each with 1-3 layers (daily, weekly, custom 8/12 h rotations; some
restricted to business hours or nights) of 2-6 people from 300 engineers, and 3 overrides each,
all with bulk_create. Loads them once with `queries.lookup_queryset()` (a fixed number of
queries), then times `queries.on_call(schedule, at)` for random schedules at random instants
across a year (DST changes included): the first lookup of a schedule compiles it, later ones use
the compiled form. Prints one JSON line of figures.

    .venv/bin/python bench/oncall.py [--schedules 1000] [--lookups 20000] [--lookup-only]
        [--paging-database-url URL] [-- ARGS FOR bench/paging.py]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time

UTC = dt.UTC
ZONES = ["Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "Europe/Berlin",
         "America/Los_Angeles", "Asia/Tokyo", "UTC"]
YEAR_START = dt.datetime(2026, 1, 1, tzinfo=UTC)


def setup_django() -> None:
    if "OPSDESK_DATABASE_URL" not in os.environ:
        os.environ["OPSDESK_VAR_DIR"] = tempfile.mkdtemp(prefix="opsdesk-bench-oncall-")
    os.environ.setdefault("OPSDESK_LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 4)


def build(schedules: int, rng: random.Random) -> None:
    from opsdesk.accounts.models import User
    from opsdesk.oncall.models import Layer, LayerMember, Override, Schedule

    users = User.objects.bulk_create(User(username=f"eng{i}", role="engineer") for i in range(300))
    made = Schedule.objects.bulk_create(Schedule(name=f"Schedule {i}", time_zone=rng.choice(ZONES))
                                        for i in range(schedules))
    layers: list[Layer] = []
    for s in made:
        for level in range(rng.randint(1, 3)):
            rotation = rng.choice(["daily", "weekly", "custom"])
            restrictions = rng.choice([[], [], [{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"}],
                                       [{"days": list(range(7)), "start": "20:00", "end": "08:00"}]])
            layers.append(Layer(schedule=s, name=f"L{level}", level=level, rotation=rotation,
                                shift_hours=rng.choice([8, 12]) if rotation == "custom" else None,
                                handoff=dt.time(rng.choice([0, 8, 9, 20]), rng.choice([0, 30])),
                                start_on=dt.date(2025, 12, 1) + dt.timedelta(days=rng.randint(0, 30)),
                                restrictions=restrictions))
    layers = Layer.objects.bulk_create(layers)
    LayerMember.objects.bulk_create(LayerMember(layer=layer, person=p, position=i)
                                    for layer in layers for i, p in enumerate(rng.sample(users, rng.randint(2, 6))))
    overrides = []
    for s in made:
        for _ in range(3):
            start = YEAR_START + dt.timedelta(hours=rng.randint(0, 24 * 365))
            overrides.append(Override(schedule=s, person=rng.choice(users), start_at=start,
                                      end_at=start + dt.timedelta(hours=rng.randint(1, 48))))
    Override.objects.bulk_create(overrides)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schedules", type=int, default=1000)
    parser.add_argument("--lookups", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--lookup-only", action="store_true", help="leave out bench/paging.py's fan-out and timer")
    parser.add_argument("--paging-database-url", default="", help="an empty PostgreSQL database for the paging part")
    parser.add_argument("paging_args", nargs="*", help="passed to bench/paging.py (after --)")
    args = parser.parse_args()
    paging = None if args.lookup_only else run_paging(args.paging_database_url, args.paging_args)
    setup_django()
    from django.db import connection

    from opsdesk.oncall import queries

    rng = random.Random(args.seed)
    started = time.perf_counter()
    build(args.schedules, rng)
    build_s = time.perf_counter() - started
    t0 = time.perf_counter()
    loaded = list(queries.lookup_queryset())
    load_ms = (time.perf_counter() - t0) * 1000
    first: list[float] = []
    for schedule in loaded:  # the first lookup of each compiles it
        at = YEAR_START + dt.timedelta(seconds=rng.randint(0, 365 * 86400))
        t0 = time.perf_counter()
        queries.on_call(schedule, at)
        first.append((time.perf_counter() - t0) * 1000)
    samples: list[float] = []
    empty = 0
    for _ in range(args.lookups):
        schedule = rng.choice(loaded)
        at = YEAR_START + dt.timedelta(seconds=rng.randint(0, 365 * 86400))
        t0 = time.perf_counter()
        people = queries.on_call(schedule, at)
        samples.append((time.perf_counter() - t0) * 1000)
        empty += not people
    print(json.dumps({
        "benchmark": "oncall",
        "machine": f"{os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}",
        "database": connection.vendor,
        "schedules": len(loaded),
        "build_s": round(build_s, 1),
        "load_all_ms": round(load_ms, 1),
        "lookups": len(samples),
        "lookup_p50_ms": percentile(samples, 0.50),
        "lookup_p95_ms": percentile(samples, 0.95),
        "lookup_max_ms": round(max(samples), 3),
        "lookup_mean_ms": round(statistics.fmean(samples), 4),
        "first_lookup_p95_ms": percentile(first, 0.95),
        "share_in_gap": round(empty / len(samples), 3),
        "goal_lookup_p95_ms": 1.0,
        "paging": paging,
    }))


def run_paging(database_url: str, extra: list[str]) -> dict[str, object]:
    """bench/paging.py's figures (fan-out and timer), from a child process with its own database."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "paging.py")
    env = {k: v for k, v in os.environ.items() if k != "OPSDESK_DATABASE_URL"}
    command = [sys.executable, script, *(["--database-url", database_url] if database_url else []), *extra]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603 (our own script)
    sys.stderr.write(done.stderr)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"bench/paging.py failed (exit {done.returncode})")
    figures: dict[str, object] = json.loads(lines[-1])
    return {"fanout": figures["fanout"], "timer": figures["timer"], "workers": figures["workers"],
            "poll_s": figures["poll_s"], "database": figures["database"]}


if __name__ == "__main__":
    sys.exit(main())
