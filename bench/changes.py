"""Window/freeze/collision check for one new change, against 100,000 scheduled changes.

Builds, in a fresh SQLite database under a temp OPSDESK_VAR_DIR (or OPSDESK_DATABASE_URL),
200 sites in 12 time zones with recurring windows and freezes scoped to sites, regions and
clients, 400 services with dependencies, and 100,000 changes spread over a year (ChangeRequest
rows with their sites and services, and core.schedule entries), all with bulk_create. Then
times, for random new change windows, the full check the change lifecycle runs before
approval: `window_queries.violations_for` on the change's sites, plus
`core.schedule.overlapping` on its sites and services and their dependency chain.
Prints one JSON line of figures.

    .venv/bin/python bench/changes.py [--checks 300] [--changes 100000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time

UTC = dt.UTC
ZONES = [
    "Europe/London", "Europe/Berlin", "Europe/Paris", "America/New_York", "America/Chicago",
    "America/Los_Angeles", "America/Sao_Paulo", "Asia/Kolkata", "Asia/Singapore", "Asia/Tokyo",
    "Australia/Sydney", "Africa/Johannesburg",
]
YEAR_START = dt.datetime(2026, 1, 1, tzinfo=UTC)


def setup_django() -> None:
    if "OPSDESK_DATABASE_URL" not in os.environ:
        os.environ["OPSDESK_VAR_DIR"] = tempfile.mkdtemp(prefix="opsdesk-bench-changes-")
    os.environ.setdefault("OPSDESK_LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def build(n_changes: int, rng: random.Random) -> dict[str, object]:
    """The organisation, rules and scheduled changes; returns what the checks pick from."""
    from django.db import transaction

    from opsdesk.accounts.models import User
    from opsdesk.changes.models import ChangeRequest
    from opsdesk.changes.windows.models import ChangeWindow
    from opsdesk.core.models import ScheduleEntry, ScheduleTarget
    from opsdesk.services.models import Service, ServiceDependency
    from opsdesk.sites.models import Region, Site
    from opsdesk.tenancy.models import Client

    with transaction.atomic():
        regions = Region.objects.bulk_create([Region(code=c, name=c) for c in ("EMEA", "AMER", "APAC", "AFR")])
        clients = Client.objects.bulk_create([Client(code=f"c{i}", name=f"Client {i}") for i in range(40)])
        sites = Site.objects.bulk_create([
            Site(code=f"s{i:03d}", name=f"Site {i}", kind="data_centre", region=regions[i % 4],
                 time_zone=ZONES[i % len(ZONES)], business_hours={})
            for i in range(200)
        ])
        Site.clients.through.objects.bulk_create([
            Site.clients.through(site_id=s.pk, client_id=clients[(i + k) % 40].pk)
            for i, s in enumerate(sites) for k in range(1 + i % 2)
        ])
        services = Service.objects.bulk_create([
            Service(code=f"svc{i}", name=f"Service {i}", client=clients[i % 40]) for i in range(400)
        ])
        ServiceDependency.objects.bulk_create([
            ServiceDependency(service=services[i], depends_on=services[rng.randrange(i)])
            for i in range(1, 400) if i % 3
        ])
        Service.sites.through.objects.bulk_create([
            Service.sites.through(service_id=svc.pk, site_id=sites[i % 200].pk) for i, svc in enumerate(services)
        ])
        windows = []
        for i, s in enumerate(sites):
            day = ("SU", "SA", "WE")[i % 3]
            windows.append(ChangeWindow(kind="window", name=f"{s.code} weekly", site=s, start_on=dt.date(2024, 1, 1),
                                        start_time=dt.time(1 + i % 3, 0), duration_minutes=240 + 60 * (i % 4),
                                        rrule=f"FREQ=WEEKLY;BYDAY={day}"))
            if i % 5 == 0:
                windows.append(ChangeWindow(kind="window", name=f"{s.code} nightly", site=s, start_on=dt.date(2023, 6, 1),
                                            start_time=dt.time(22, 0), duration_minutes=300, rrule="FREQ=DAILY"))
        for r in regions:
            windows.append(ChangeWindow(kind="window", name=f"{r.code} first Sunday", region=r, start_on=dt.date(2022, 1, 2),
                                        start_time=dt.time(0, 0), duration_minutes=480, rrule="FREQ=MONTHLY;BYDAY=1SU"))
            windows.append(ChangeWindow(kind="freeze", name=f"{r.code} year end", region=r, start_on=dt.date(2020, 12, 15),
                                        start_time=dt.time(0, 0), duration_minutes=21 * 1440, rrule="FREQ=YEARLY"))
        for c in clients:
            windows.append(ChangeWindow(kind="freeze", name=f"{c.code} month end", client=c, start_on=dt.date(2024, 1, 28),
                                        start_time=dt.time(0, 0), duration_minutes=3 * 1440,
                                        rrule="FREQ=MONTHLY;BYMONTHDAY=28"))
            windows.append(ChangeWindow(kind="freeze", name=f"{c.code} audit", client=c, start_on=dt.date(2026, 6, 1),
                                        start_time=dt.time(0, 0), duration_minutes=7 * 1440))
        ChangeWindow.objects.bulk_create(windows)
        owner = User.objects.create(username="bench-owner", role="engineer")

    site_ids = [s.pk for s in sites]
    service_ids = [s.pk for s in services]
    states = ["submitted", "assessing", "approved", "scheduled", "implementing", "completed"]
    batch = 10_000
    for offset in range(0, n_changes, batch):
        with transaction.atomic():
            rows, plan = [], []
            for _ in range(min(batch, n_changes - offset)):
                start = YEAR_START + dt.timedelta(minutes=rng.randrange(365 * 24 * 60))
                end = start + dt.timedelta(minutes=rng.choice((60, 120, 240, 480)))
                rows.append(ChangeRequest(title="bench change", window_start=start, window_end=end,
                                          state=rng.choice(states), owner=owner))
                plan.append((rng.sample(site_ids, rng.choice((1, 1, 2, 3))), rng.sample(service_ids, rng.choice((1, 2, 3)))))
            changes = ChangeRequest.objects.bulk_create(rows)
            ChangeRequest.sites.through.objects.bulk_create([
                ChangeRequest.sites.through(changerequest_id=c.pk, site_id=s) for c, (ss, _) in zip(changes, plan, strict=True) for s in ss
            ])
            ChangeRequest.services.through.objects.bulk_create([
                ChangeRequest.services.through(changerequest_id=c.pk, service_id=s) for c, (_, vs) in zip(changes, plan, strict=True) for s in vs
            ])
            entries = ScheduleEntry.objects.bulk_create([
                ScheduleEntry(kind="change", ref=f"changes.changerequest:{c.pk}", label=f"CHG-{c.pk} {c.title}",
                              start_at=c.window_start, end_at=c.window_end, state=c.state,
                              maintenance=c.state in ("approved", "scheduled", "implementing"))
                for c in changes
            ])
            ScheduleTarget.objects.bulk_create([
                ScheduleTarget(entry_id=e.pk, kind=kind, target_id=t, start_at=e.start_at, end_at=e.end_at)
                for e, (ss, vs) in zip(entries, plan, strict=True)
                for kind, ids in (("site", ss), ("service", vs)) for t in ids
            ])
    return {"site_ids": site_ids, "service_ids": service_ids, "windows": len(windows)}


def check_one(
    start: dt.datetime, end: dt.datetime, site_ids: list[int], service_ids: list[int]
) -> tuple[int, int, float]:
    """The full check: windows and freezes at the sites, collisions on sites, services and their chain."""
    from opsdesk.changes.windows import queries as window_queries
    from opsdesk.core import schedule
    from opsdesk.services import queries as service_queries
    from opsdesk.services import rules as service_rules

    t0 = time.perf_counter()
    violations = window_queries.violations_for(start, end, site_ids)
    windows_ms = (time.perf_counter() - t0) * 1000
    edges = service_queries.all_edges()
    chain = set(service_ids)
    for s in service_ids:
        chain |= service_rules.upstream(s, edges) | service_rules.downstream(s, edges)
    overlapping = schedule.overlapping(start, end, site_ids=site_ids, service_ids=chain)
    return len(violations), len(overlapping), windows_ms


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return round(ordered[max(0, int(len(ordered) * p) - 1)], 2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checks", type=int, default=300)
    parser.add_argument("--changes", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    setup_django()
    started = time.perf_counter()
    world = build(args.changes, rng)
    build_s = time.perf_counter() - started
    from django.db import connection

    site_ids: list[int] = world["site_ids"]  # type: ignore[assignment]
    service_ids: list[int] = world["service_ids"]  # type: ignore[assignment]
    gc.collect()
    gc.freeze()  # as wsgi.py does: the loaded app is not rescanned by the collector
    samples, window_samples, found_violations, found_collisions = [], [], 0, 0
    for i in range(args.checks + 20):
        start = YEAR_START + dt.timedelta(minutes=rng.randrange(365 * 24 * 60))
        end = start + dt.timedelta(minutes=rng.choice((60, 120, 240, 360)))
        sites = rng.sample(site_ids, rng.choice((1, 2, 3, 5)))
        services = rng.sample(service_ids, rng.choice((1, 2, 3)))
        t0 = time.perf_counter()
        v, c, windows_ms = check_one(start, end, sites, services)
        elapsed = (time.perf_counter() - t0) * 1000
        if i >= 20:  # warm-up: first queries, zone data, rule parsing
            samples.append(elapsed)
            window_samples.append(windows_ms)
            found_violations += v
            found_collisions += c
    print(json.dumps({
        "benchmark": "changes",
        "machine": f"{os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}",
        "database": connection.vendor,
        "scheduled_changes": args.changes,
        "sites": len(site_ids),
        "window_rules": world["windows"],
        "services": len(service_ids),
        "build_s": round(build_s, 1),
        "checks": len(samples),
        "check_p50_ms": percentile(samples, 0.50),
        "check_p95_ms": percentile(samples, 0.95),
        "check_max_ms": round(max(samples), 2),
        "windows_part_p50_ms": percentile(window_samples, 0.50),
        "windows_part_p95_ms": percentile(window_samples, 0.95),
        "mean_violations": round(found_violations / len(samples), 2),
        "mean_collisions": round(found_collisions / len(samples), 2),
        "mean_ms": round(statistics.fmean(samples), 2),
    }))


if __name__ == "__main__":
    sys.exit(main())
