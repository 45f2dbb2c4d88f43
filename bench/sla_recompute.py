"""Recomputing the stored SLA clocks of N work orders from their state histories in the database.

Run by bench/sla.py (which merges the figures into its JSON line); runs alone too:

    .venv/bin/python bench/sla_recompute.py [--work-orders 1000000] [--database-url URL]

Builds a fresh database (a temporary SQLite file by default; an empty PostgreSQL database with
--database-url): one London site (Mon-Fri 08:00-18:00, England's bank holidays), the standard
policies per priority (P1 24x7, P2-P4 in business hours), and N work orders created over 300
days, each with a state history in the timeline as the services write it ("transitioned"
entries with the state pair): 90 % of them finished (7 or 9 transitions; a fifth of them held
on hold for a day), 10 % still open part of the way (created in the last five days). Then `slas.bulk.recompute_all` (one
process per core) runs three times:

- first: no stored state yet and no compact histories (the work orders were bulk-loaded): every
  history read from the timeline, every clock row and compact history written;
- again: every work order and its compact history (slas.models.SlaHistory, one row each, kept by
  every change) read and every clock recomputed; nothing changed, nothing written (the figure
  the goal is about: under 10 s for 1,000,000 work orders);
- from_timeline: the same, but every history read from the timeline's entries;
- an hour later: the running clocks moved on and are rewritten.

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

UTC = dt.UTC
BASE = dt.datetime(2025, 12, 1, tzinfo=UTC)
NOW = BASE + dt.timedelta(days=310)
# (path, step, before, after, seconds after creation): path 1 has a day on hold.
STEPS = [
    (0, 1, "submitted", "triage", 900), (0, 2, "triage", "readiness", 2700),
    (0, 3, "readiness", "ready", 30_000), (0, 4, "ready", "scheduled", 86_400),
    (0, 5, "scheduled", "dispatched", 172_800), (0, 6, "dispatched", "on_site", 180_000),
    (0, 7, "on_site", "completed", 194_400), (0, 8, "completed", "closed", 280_000),
    (1, 1, "submitted", "triage", 900), (1, 2, "triage", "readiness", 2700),
    (1, 3, "readiness", "on_hold", 7200), (1, 4, "on_hold", "readiness", 93_600),
    (1, 5, "readiness", "ready", 120_000), (1, 6, "ready", "scheduled", 172_800),
    (1, 7, "scheduled", "dispatched", 259_200), (1, 8, "dispatched", "on_site", 266_400),
    (1, 9, "on_site", "completed", 280_800), (1, 10, "completed", "closed", 400_000),
]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def setup(database_url: str) -> None:
    os.environ["OPSDESK_DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def base_rows() -> dict[str, int]:
    """A region, client, London site, owner and the standard policies; their ids."""
    from opsdesk.accounts.models import User
    from opsdesk.sites.models import Region, Site
    from opsdesk.slas import services
    from opsdesk.tenancy.models import Client

    region = Region.objects.create(code="emea", name="EMEA")
    client = Client.objects.create(code="bench", name="Bench Health")
    hours = {day: [["08:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    site = Site.objects.create(code="lon", name="London", region=region, time_zone="Europe/London",
                               business_hours=hours, holiday_country="GB", holiday_subdivision="ENG")
    site.clients.add(client)
    owner = User.objects.create(username="desk", role="service_desk")
    for level, (response, onsite, resolution, business) in {
        "p1": (30, 240, 480, False), "p2": (60, 480, 1440, True), "p3": (240, 1440, 2400, True),
        "p4": (480, 4800, 9600, True),
    }.items():
        services.create_policy({"name": level, "applies_to": "work_order", "level": level, "response_minutes": response,
                                "onsite_minutes": onsite, "resolution_minutes": resolution,
                                "business_hours": business}, actor=None)
    return {"client": client.pk, "site": site.pk, "owner": owner.pk}


def generate(n: int, ids: dict[str, int]) -> int:
    """N work orders and their transitions, generated inside the database; the transitions' count."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from opsdesk.workorders.models import WorkOrder

    content_type = ContentType.objects.get_for_model(WorkOrder).pk
    pg = connection.vendor == "postgresql"
    epoch = (lambda x: f"to_timestamp({x})") if pg else (lambda x: f"datetime({x}, 'unixepoch')")
    seq = "generate_series(1, %s) AS s(i)" if pg else "seq"
    cte = "" if pg else "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < %s) "
    base, now = int(BASE.timestamp()), int(NOW.timestamp())
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("CREATE TEMPORARY TABLE bench_steps (path integer, step integer, before varchar(20), "
                    "after varchar(20), off integer)")
        cur.executemany("INSERT INTO bench_steps VALUES (%s, %s, %s, %s, %s)", STEPS)
        # Work order i: path (i % 5 = 0: held), steps taken (open work: part of the path), created.
        cur.execute(
            "CREATE TEMPORARY TABLE bench_wo AS " + cte +  # noqa: S608
            f"SELECT i, CASE WHEN i %% 5 = 0 THEN 1 ELSE 0 END AS path, "  # noqa: S608
            f"CASE WHEN i %% 10 = 3 THEN i %% 6 ELSE CASE WHEN i %% 5 = 0 THEN 10 ELSE 8 END END AS len, "
            f"CASE WHEN i %% 10 = 3 THEN {now} - (i * 7919) %% (5 * 86400) / 60 * 60 "
            f"ELSE {base} + (i * 7919) %% (300 * 86400) / 60 * 60 END AS created FROM {seq}", [n])
        cur.execute(
            "INSERT INTO workorders_workorder (id, category, title, description, info, priority, estimated_minutes, "  # noqa: S608
            "team, state, blocked, at_risk, readiness, completion_report, checklist, created_at, updated_at, "
            "client_id, owner_id, site_id, queue_at, finished) "
            f"SELECT i, 'remote_hands', 'Bench work', '', '{{}}', "
            "CASE i %% 20 WHEN 0 THEN 'p1' WHEN 1 THEN 'p1' WHEN 2 THEN 'p2' WHEN 3 THEN 'p2' WHEN 4 THEN 'p2' "
            "WHEN 5 THEN 'p4' WHEN 6 THEN 'p4' WHEN 7 THEN 'p4' WHEN 8 THEN 'p4' ELSE 'p3' END, 60, 'Desk', "
            "COALESCE((SELECT after FROM bench_steps s WHERE s.path = w.path AND s.step = w.len), 'submitted'), "
            f"{'false' if pg else '0'}, {'false' if pg else '0'}, '{{}}', '', '[]', "
            f"{epoch('created')}, {epoch('created')}, %s, %s, %s, {epoch('created')}, "
            f"{'w.len >= 7' if pg else '(w.len >= 7)'} FROM bench_wo w",
            [ids["client"], ids["owner"], ids["site"]])
        cur.execute(
            "INSERT INTO core_activity (at, actor_label, object_id, verb, summary, changes, visibility, content_type_id) "  # noqa: S608
            f"SELECT {epoch('w.created + s.off')}, 'bench', w.i, 'transitioned', '', "
            f"{'json_build_object' if pg else 'json_object'}('state', "
            f"{'json_build_array' if pg else 'json_array'}(s.before, s.after)), 'client', %s "
            "FROM bench_wo w JOIN bench_steps s ON s.path = w.path AND s.step <= w.len", [content_type])
        transitions = cur.rowcount
        if pg:
            cur.execute("SELECT setval(pg_get_serial_sequence('workorders_workorder', 'id'), %s)", [n])
    if pg:
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    return transitions


def measure(n: int, database_url: str | None) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="opsdesk-sla-bench-") as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        setup(url)
        from django.db import connection

        from opsdesk.slas import bulk

        t0 = time.perf_counter()
        transitions = generate(n, base_rows())
        log(f"generated {n:,} work orders and {transitions:,} transitions in {time.perf_counter() - t0:.1f} s")
        runs = {}
        for name, at, from_timeline in (("first", NOW, False), ("again", NOW, False), ("from_timeline", NOW, True),
                                        ("hour_later", NOW + dt.timedelta(hours=1), False)):
            figures = bulk.recompute_all(now=at, from_timeline=from_timeline)
            runs[name] = figures
            log(f"{name}: {figures.wall_s:.2f} s, {figures.rows:,} rows, {figures.written:,} written "
                f"(read {figures.read_s:.1f} s, compute {figures.compute_s:.1f} s, write {figures.write_s:.1f} s "
                f"summed over {figures.processes} processes)")
        again = runs["again"]
        return {
            "recompute_work_orders": n,
            "recompute_transitions": transitions,
            "recompute_database": connection.vendor,
            "recompute_processes": again.processes,
            "recompute_s": round(again.wall_s, 2),
            "recompute_read_s": round(again.read_s, 2),
            "recompute_compute_s": round(again.compute_s, 2),
            "recompute_first_s": round(runs["first"].wall_s, 2),
            "recompute_first_written": runs["first"].written,
            "recompute_from_timeline_s": round(runs["from_timeline"].wall_s, 2),
            "recompute_from_timeline_read_s": round(runs["from_timeline"].read_s, 2),
            "recompute_hour_later_s": round(runs["hour_later"].wall_s, 2),
            "recompute_hour_later_written": runs["hour_later"].written,
            "recompute_statuses": runs["first"].by_status,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work-orders", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: a temporary SQLite file)")
    args = parser.parse_args()
    figures = measure(args.work_orders, args.database_url)
    figures["machine"] = f"{os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}"
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
