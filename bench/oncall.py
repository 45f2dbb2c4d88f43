"""Who-is-on-call lookup over 1,000 on-call schedules (issue 19's goal: p95 <= 1 ms in-process).

Builds, in a fresh SQLite database under a temp OPSDESK_VAR_DIR (or OPSDESK_DATABASE_URL), 1,000
schedules in 8 time zones, each with 1-3 layers (daily, weekly, custom 8/12 h rotations; some
restricted to business hours or nights) of 2-6 people from 300 engineers, and 3 overrides each,
all with bulk_create. Loads them once with `queries.lookup_queryset()` (a fixed number of
queries), then times `queries.on_call(schedule, at)` for random schedules at random instants
across a year (DST changes included): the first lookup of a schedule compiles it, later ones use
the compiled form. Prints one JSON line of figures.

    .venv/bin/python bench/oncall.py [--schedules 1000] [--lookups 20000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
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
    args = parser.parse_args()
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
    }))


if __name__ == "__main__":
    sys.exit(main())
